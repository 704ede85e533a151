// SPDX-License-Identifier: GPL-2.0
/*
 * gdb_remote workload: a multi-threaded program for gdb scripts, the same under gdb's native
 * ptrace attach and under utrace-gdb (tests/gdb_remote_test.c).
 *
 *   gdw MODE DIR     MODE: threads, signals, busy, bench, plain
 *
 * Every mode starts the same way: the main thread creates NWORKERS workers one after the
 * other (each appends its tid to DIR/tids, in order of creation, and tells main it runs),
 * then every thread blocks in read(): the workers on their own pipe, main on the FIFO
 * DIR/go. That is where the test attaches gdb; the gdb script writes DIR/go (`shell`) when it
 * is ready, so the attach point and everything after it are reproducible. Then main runs
 * the workers one at a time (a worker runs only while main waits for it), so a breakpoint is
 * always hit by the same thread first.
 *
 * What the scripts use: worker_step() to break on in each thread, compute() for finish and
 * stepi, the getppid() line for next over a syscall, `global` to print and set, `watched`
 * for a write watchpoint, SIGUSR1/SIGUSR2 handlers (signals), a thread created and one
 * exiting while main is stopped at spawned_and_reaped() (threads), a busy thread and a
 * printing thread (busy: Ctrl-C and non-stop interrupt; the busy thread spins until gdb sets
 * busy_stop), a loop with a breakpoint in its body (bench). Output is deterministic: tids
 * are never printed, only into DIR/tids.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NWORKERS 3

int global = 42;
volatile int watched;
volatile int busy_stop;
volatile int started_said;
volatile long busy_count;
volatile int ticks;
volatile int usr1_seen, usr2_seen;
volatile long bench_sum;

static int tidfd, tickfd;
static long tids[16];
static volatile int ntids;
static int gopipe[NWORKERS + 1][2], donepipe[2];
static const char *mode;

static void die(int code, const char *what)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "gdw: %s failed\n", what);

	if (write(2, buf, n) < 0)
		code++;
	syscall(SYS_exit_group, code);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(1, buf, n) != n)
		die(90, "write");
}

static void record_tid(void)
{
	char buf[32];
	long tid = syscall(SYS_gettid);
	int n = snprintf(buf, sizeof(buf), "%ld\n", tid);

	if (write(tidfd, buf, n) != n)
		die(91, "write tids");
	if (ntids < 16)
		tids[ntids] = tid;
	ntids++;
}

/* 1 if thread @tid sleeps in read(), or is gone or exiting */
static int quiet(long tid)
{
	char path[64], buf[512], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 1;
	if (p[2] == 'Z' || p[2] == 'X')
		return 1;
	if (p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 1 && buf[0] == '0' && buf[1] == ' ';
}

/*
 * Waits until main and the workers other than the caller sleep in read() (or are gone):
 * then a breakpoint or signal that follows finds every other thread at the same place,
 * whatever the scheduling (a woken thread could otherwise still be in write()).
 */
static void quiesce(void)
{
	long self = syscall(SYS_gettid);

	/* plain: the same system calls in every run (with_utrace_strace compares them) */
	if (!strcmp(mode, "plain"))
		return;
	for (int i = 0; i < 1 + NWORKERS && i < ntids; i++)
		while (tids[i] != self && !quiet(tids[i]))
			usleep(1000);
}

static void wait_go(int i)
{
	char c;

	if (read(gopipe[i][0], &c, 1) != 1)
		die(92, "read go");
}

static void tell_main(void)
{
	if (write(donepipe[1], "d", 1) != 1)
		die(93, "write done");
}

static void wait_worker(void)
{
	char c;

	if (read(donepipe[0], &c, 1) != 1)
		die(94, "read done");
}

/* A pure computation: finish returns its value, stepi walks it */
int __attribute__((noinline)) compute(int i)
{
	int v = i + 1;

	for (int k = 0; k < 5; k++)
		v = v * 3 + k;
	return v;
}

/* Each worker's step: the breakpoint of the threads scenario */
void __attribute__((noinline)) worker_step(int i)
{
	int r = compute(i);

	watched = watched + r;
	for (int k = 0; k < 2; k++)
		syscall(SYS_getppid);
	say("worker %d: compute %d watched %d global %d\n", i, r, watched, global);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	record_tid();
	tell_main();
	wait_go(i);
	quiesce();
	worker_step(i);
	tell_main();
	wait_go(i);		/* released at the end, or exits early (threads mode) */
	return NULL;
}

/* The thread created while main is stopped (threads mode), then exits at once */
static void *short_lived(void *arg)
{
	record_tid();
	say("short-lived thread ran\n");
	tell_main();
	return NULL;
}

void __attribute__((noinline)) spawned_and_reaped(int n)
{
	say("spawned and reaped %d\n", n);
}

static void on_usr1(int sig)
{
	usr1_seen++;
}

static void on_usr2(int sig)
{
	usr2_seen++;
}

void __attribute__((noinline)) signals_done(void)
{
	say("SIGUSR1 handled %d, SIGUSR2 handled %d\n", usr1_seen, usr2_seen);
}

static void *busy(void *arg)
{
	record_tid();
	tell_main();
	while (!busy_stop) busy_count++;
	/*
	 * Not before main's line: through the remote target gdb 13 sends the resume of main
	 * (nonstop_interrupt's `thread 1`, `continue`) only with the next resume when the
	 * interrupted thread's stop is already pending (remote commit_resumed), so main and
	 * this thread may run on at the same moment; natively main runs at once.
	 */
	while (!started_said)
		usleep(1000);
	say("busy thread stopped\n");
	tell_main();
	return NULL;
}

/* Prints ticks into DIR/ticks (not stdout: their timing against the rest varies) */
static void *printer(void *arg)
{
	record_tid();
	tell_main();
	for (int k = 1; k <= 40; k++) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "tick %d\n", k);

		usleep(50000);
		ticks = k;
		if (write(tickfd, buf, n) != n)
			die(96, "write ticks");
	}
	tell_main();
	return NULL;
}

void __attribute__((noinline)) busy_started(void)
{
	say("busy and printer threads started\n");
	started_said = 1;
}

void __attribute__((noinline)) bench_body(long k)
{
	bench_sum += k;
}

static pthread_t spawn(void *(*fn)(void *), long arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, (void *)arg))
		die(95, "pthread_create");
	pthread_detach(t);
	wait_worker();
	return t;
}

int main(int argc, char **argv)
{
	char path[256];
	int gofd;
	char c;

	if (argc < 3)
		die(2, "usage: gdw MODE DIR;");
	mode = argv[1];
	snprintf(path, sizeof(path), "%s/tids", argv[2]);
	tidfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	snprintf(path, sizeof(path), "%s/ticks", argv[2]);
	tickfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(path, sizeof(path), "%s/go", argv[2]);
	gofd = open(path, O_RDWR);
	if (tidfd < 0 || tickfd < 0 || gofd < 0)
		die(3, "open");
	if (pipe(donepipe))
		die(4, "pipe");
	for (int i = 0; i <= NWORKERS; i++)
		if (pipe(gopipe[i]))
			die(4, "pipe");
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	record_tid();
	say("gdw %s\n", mode);
	for (long i = 0; i < NWORKERS; i++)
		spawn(worker, i);
	/* the attach point: every thread in read() */
	if (read(gofd, &c, 1) != 1)
		die(5, "read go");
	say("go\n");
	for (int i = 0; i < NWORKERS; i++) {
		if (write(gopipe[i][1], "g", 1) != 1)
			die(6, "write go");
		wait_worker();
	}
	if (!strcmp(mode, "threads")) {
		/* worker 2 exits, a new thread is created and exits: then main stops */
		if (write(gopipe[2][1], "g", 1) != 1)
			die(6, "write go");
		spawn(short_lived, 0);
		usleep(200000);
		quiesce();
		spawned_and_reaped(1);
	} else if (!strcmp(mode, "signals")) {
		quiesce();
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
		signals_done();
	} else if (!strcmp(mode, "busy")) {
		spawn(busy, 0);
		spawn(printer, 0);
		quiesce();
		busy_started();
		usleep(300000);
		wait_worker();	/* the busy thread stopped */
		wait_worker();	/* the printer is done */
		say("printer ticked %d times\n", ticks);
	} else if (!strcmp(mode, "bench")) {
		for (long k = 0; k < 1000000000 && !busy_stop; k++)
			bench_body(k);
	}
	say("done: global %d watched %d\n", global, watched);
	/*
	 * plain: the workers' last calls (the write that told main, then read()) are done
	 * before exit_group cuts them, so each thread's last line is "read(...) = ?" in every
	 * run (with_utrace_strace compares them)
	 */
	if (!strcmp(mode, "plain"))
		usleep(200000);
	return 0;
}
