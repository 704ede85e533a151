// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_stress: a randomized stress run of utrace, with invariants checked.
 *
 * Many worker threads run random operations, valid and invalid, through the stress engine
 * (tests/modules/utrace_stress.c, one operation per debugfs write) against many tracees at
 * once: attach (every flag combination, by task and by pid, lookups), set_events (every mask,
 * invalid bits), every utrace_control action (and out-of-range ones), barrier,
 * prepare/finish_examine, regset get/set, memory reads, detach, put. The engine's callbacks
 * answer at random (STOP, REPORT, INTERRUPT, steps, DETACH, syscall ABORT), set their own
 * events, read registers, follow clones, and wake waiters. Meanwhile the tracees fork, exec,
 * create and end threads, make syscalls, take signals, are stopped, continued and SIGKILLed,
 * and exit. The engine module is unloaded and reloaded at random times during a round, and
 * utrace itself between rounds.
 *
 * Checked, besides the absence of kernel splats (read from /dev/kmsg): the engine's own
 * invariant counters (no callback after a successful detach, release exactly once per
 * engine, every utrace_wake_up delivered, lookups never return a released engine, DEATH set
 * means report_death before the reap, errors as documented); every engine attached in a
 * module's life released by its exit; and utrace's debugfs state back to "tasks 0, engines 0"
 * after each round.
 *
 * usage: stress_test [-t SECS] [-r SECS] [-s SEED] [-w WORKERS] [-n TRACEES] [-R SECS]
 *                    [-x FEATURE,...] [-k] [-q] [-v]
 *   -t  time spent running operations (default 60 s, the make check run; loads, reloads
 *       and teardowns come on top); 'make stress' passes its own
 *   -r  round length: utrace is unloaded and reloaded between rounds (default 30 s)
 *   -s  seed (default: from the clock); printed, with each worker's and tracee's derived
 *   -w  worker threads (default 6), -n tracees kept alive (default 6)
 *   -R  mean time between engine module reloads within a round (default 15 s)
 *   -x  features to leave out (see the list printed with -h), e.g. -x stopped-unload
 *   -k  KTAP output (the default when run as stress_test by run-all); -q fewer diagnostics;
 *   -v  where the CPU time went in each round (reading /proc costs seconds under TCG)
 *
 * Reproduction: the seed fixes each worker's and tracee's sequence of choices; the
 * interleaving (the point of the exercise) is not reproducible.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/utrace.h>

#include "utrace_test_util.h"

#define MODDIR		"/utrace"
#define CONTROL		"/sys/kernel/debug/utrace_stress/control"
#define STATS		"/sys/kernel/debug/utrace_stress/stats"
#define UTRACE_STATE	"/sys/kernel/debug/utrace/state"

#define NSLOTS		128	/* as in the engine */
#define NTIDS		64	/* shared table of recent tracee tids */
#define MAX_TRACEES	64
#define MAX_WORKERS	32

/* ---- features that can be left out (-x) ---- */
enum feature {
	F_ATTACH, F_LOOKUP, F_EVENTS, F_CONTROL, F_BARRIER, F_EXAMINE, F_WAIT, F_MODE, F_PUT,
	F_DETACH, F_BADARGS, F_RMMOD_BUSY, F_RELOAD, F_UTRACE_RELOAD, F_STOPPED_UNLOAD,
	F_FOLLOW, F_SETEV, F_REGS, F_ABORT, F_CTRL, F_STEP, F_STOP, F_DEATH, F_SIGKILL,
	F_EXEC, F_FORK, F_THREADS, F_ANCHOR, F_NR
};

static const char *const feature_names[F_NR] = {
	"attach", "lookup", "events", "control", "barrier", "examine", "wait", "mode", "put",
	"detach", "badargs", "rmmod-busy", "reload", "utrace-reload", "stopped-unload",
	"follow", "setev", "regs", "abort", "ctrl", "step", "stop", "death", "sigkill",
	"exec", "fork", "threads", "anchor",
};

static bool off[F_NR];

/* ---- operations counted ---- */
enum op {
	OP_ATTACH, OP_ATTACH_BAD, OP_LOOKUP, OP_EVENTS, OP_EVENTS_BAD, OP_CONTROL,
	OP_CONTROL_BAD, OP_BARRIER, OP_EXAMINE, OP_WAIT, OP_MODE, OP_PUT, OP_DETACH,
	OP_RMMOD_BUSY, OP_DRAIN, OP_RELOAD, OP_UTRACE_RELOAD, OP_NR
};

static const char *const op_names[OP_NR] = {
	"attach", "attach_bad", "lookup", "events", "events_bad", "control", "control_bad",
	"barrier", "examine", "wait", "mode", "put", "detach", "rmmod_busy", "drain",
	"engine_reload", "utrace_reload",
};

#define NERR 140
static atomic_ulong op_count[OP_NR][NERR];	/* [op][errno], errno 0 = success */

static atomic_ulong op_usecs[OP_NR];	/* time spent in each kind of operation */
static atomic_ulong op_cpu_usecs[OP_NR];	/* CPU time (the worker's thread) */

static _Thread_local int last_op = -1;

static void count_op(enum op op, int err)
{
	last_op = op;
	if (err < 0 || err >= NERR)
		err = NERR - 1;
	atomic_fetch_add_explicit(&op_count[op][err], 1, memory_order_relaxed);
}

static unsigned long ops_total(void)
{
	unsigned long n = 0;

	for (int i = 0; i < OP_NR; i++)
		for (int e = 0; e < NERR; e++)
			n += atomic_load_explicit(&op_count[i][e], memory_order_relaxed);
	return n;
}

/* ---- small helpers ---- */
static bool ktap, quiet, verbose;
static uint64_t seed;
static pid_t self_pid;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void diag(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
	fflush(stdout);
}

/* xorshift64*: one state per thread or process. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(uint64_t *s, unsigned int n)
{
	return n ? rnd(s) % n : 0;
}

static bool pct(uint64_t *s, unsigned int p)
{
	return below(s, 100) < p;
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t s = a ^ (b * 0x9E3779B97F4A7C15ULL) ^ 0xD1B54A32D192ED03ULL;

	rnd(&s);
	rnd(&s);
	return s ? s : 1;
}

/*
 * delete_module from a child process, waited for at most @secs: an unload that hangs in the
 * kernel (a bug) leaves that child stuck, not this program. Returns 0, -errno, or
 * -ETIMEDOUT with *child set to the stuck child (waited for later with finish_unload()).
 */
static void dump_tasks(void);

static int unload_module_timed(const char *name, double secs, pid_t *child)
{
	bool dumped = false;

	struct timespec ts = { 0, 10000000 };
	/*
	 * A child with no exit signal (clone() with no flags: a fork whose parent gets no
	 * SIGCHLD). The manager's waitpid(-1) for dead tracees does not pass __WALL, so it
	 * never reaps this one and the status is ours. A fork()ed child it did reap: the
	 * unload's status was lost and an unload that had worked read as a 90 s timeout.
	 */
	pid_t pid = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	int status;

	*child = -1;
	if (pid == 0) {
		for (int tries = 0; tries < 500; tries++) {
			if (!syscall(SYS_delete_module, name, O_NONBLOCK))
				_exit(0);
			if (errno != EAGAIN)
				break;
			nanosleep(&ts, NULL);	/* in use for a moment (a fork between exec) */
		}
		_exit(errno & 0xff);
	}
	if (pid < 0)
		return -errno;
	for (double t0 = now(), end = t0 + secs; now() < end; nanosleep(&ts, NULL)) {
		if (waitpid(pid, &status, WNOHANG | __WCLONE) == pid)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
		if (!dumped && now() > t0 + 20) {
			/* Slow: where is the unload (and everything else) waiting? */
			diag("rmmod %s: still waiting after 20 s", name);
			dump_tasks();
			dumped = true;
		}
	}
	*child = pid;
	return -ETIMEDOUT;
}

/* Waits up to @secs more for an unload that timed out; its result, or -ETIMEDOUT. */
static int finish_unload(pid_t child, double secs)
{
	struct timespec ts = { 0, 10000000 };
	int status;

	for (double end = now() + secs; now() < end; nanosleep(&ts, NULL)) {
		if (waitpid(child, &status, WNOHANG | __WCLONE) == child)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
	}
	return -ETIMEDOUT;
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? -1 : (ssize_t)len;
}

/* ---- the watchdog: a phase that overruns its deadline ends the run, loudly ---- */
static _Atomic(const char *) phase = "start";
static _Atomic double phase_deadline;
static atomic_bool finished;
static void emit_results(bool watchdog_fired);
static void kmemleak_auto_scan(bool on);

static double phase_start;

/* Enters phase @name, which must end within @seconds; says how long a slow phase took. */
static void set_phase(const char *name, double seconds)
{
	double t = now();
	const char *prev = atomic_load(&phase);

	if (!quiet && phase_start && t - phase_start > 3 && strcmp(prev, "round"))
		diag("phase '%s' took %.1f s", prev, t - phase_start);
	phase_start = t;
	atomic_store(&phase_deadline, t + seconds);
	atomic_store(&phase, name);
}

static void dump_one_task(const char *dir, const char *who)
{
	char path[320], buf[512], wchan[64] = "";

	snprintf(path, sizeof(path), "%s/stat", dir);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	snprintf(path, sizeof(path), "%s/wchan", dir);
	read_file(path, wchan, sizeof(wchan));
	buf[strcspn(buf, "\n")] = '\0';
	diag("  %s %.120s wchan=%s", who, buf, wchan);
	snprintf(path, sizeof(path), "%s/stack", dir);
	if (read_file(path, buf, sizeof(buf)) > 0) {
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			diag("    %s", l);
	}
}

/* Whether process @pid has the engine's control file open (it holds the module busy). */
static bool holds_control(int pid)
{
	char path[64], target[256];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char link[320];
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strstr(target, "utrace_stress/control") != NULL;
		}
	}
	closedir(d);
	return found;
}

/*
 * Every user task (each thread: the one holding things up may not be the main one), kernel
 * threads only when they sleep uninterruptibly, the holders of the control file, and the
 * engine module's reference count: where a slow unload (or anything else) waits.
 */
static void dump_tasks(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char buf[64];
	int shown = 0;

	if (read_file("/sys/module/utrace_stress/refcnt", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		diag("  utrace_stress refcnt %s", buf);
	}
	if (!d)
		return;
	while ((de = readdir(d)) && shown < 60) {
		char tdir[64], stat[512], who[96];
		int pid = atoi(de->d_name);
		struct dirent *te;
		DIR *td;

		if (pid <= 1)
			continue;
		snprintf(tdir, sizeof(tdir), "/proc/%d/stat", pid);
		if (read_file(tdir, stat, sizeof(stat)) <= 0)
			continue;
		/* A kernel thread (flags has PF_KTHREAD) matters only in D state. */
		char *rp = strrchr(stat, ')');
		unsigned long flags = 0;
		char state = '?';

		if (rp)
			sscanf(rp + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags);
		if ((flags & 0x00200000) && state != 'D')
			continue;
		snprintf(tdir, sizeof(tdir), "/proc/%d/task", pid);
		td = opendir(tdir);
		if (!td)
			continue;
		while ((te = readdir(td)) && shown < 60) {
			char dir[320];
			int tid = atoi(te->d_name);

			if (tid <= 0)
				continue;
			snprintf(dir, sizeof(dir), "%s/%d", tdir, tid);
			snprintf(who, sizeof(who), "%s %d/%d", holds_control(pid) ?
				 "task (control file open)" : "task", pid, tid);
			dump_one_task(dir, who);
			shown++;
		}
		closedir(td);
	}
	closedir(d);
}

static void *watchdog(void *arg)
{
	while (!atomic_load(&finished)) {
		sleep(1);
		if (now() > atomic_load(&phase_deadline)) {
			diag("WATCHDOG: phase '%s' did not finish in time: giving up", atomic_load(&phase));
			dump_tasks();
			/* Blocked tasks to the console, for the report. */
			int fd = open("/proc/sysrq-trigger", O_WRONLY);

			if (fd >= 0) {
				if (write(fd, "w", 1) < 0)
					diag("sysrq: %s", strerror(errno));
				close(fd);
			}
			emit_results(true);
			kmemleak_auto_scan(true);
			_exit(1);
		}
	}
	return NULL;
}

/* ---- the kernel log: splats, the engine's exit line, its violation messages ---- */
static int kmsg_fd = -1;
static unsigned long splats, violation_lines;
static char first_splats[10][256];
/* The first violation message and the first round failure, repeated in the result lines. */
static char first_violation[256], first_failure[256];

static const char *const splat_pats[] = {
	"BUG:", "WARNING:", "Oops", "Kernel panic", "KASAN", "UBSAN", "general protection fault",
	"kernel BUG", "Call Trace:", "possible recursive locking", "possible circular locking",
	"inconsistent lock state", "suspicious RCU usage", "DEBUG_LOCKS_WARN_ON",
	"blocked for more than", "detected stall", "soft lockup", "hard LOCKUP",
	"scheduling while atomic", "sleeping function called from invalid context",
	"list_add corruption", "list_del corruption", "refcount_t:", "Unable to handle", NULL,
};

/* The engine's last exit line: "utrace_stress: exit: A engines attached, R released, ...". */
struct exit_line {
	bool seen;
	long attached, released, callbacks, violations;
};
static struct exit_line last_exit;

static void kmsg_scan(void)
{
	char rec[2048];
	ssize_t n;

	if (kmsg_fd < 0)
		return;
	while ((n = read(kmsg_fd, rec, sizeof(rec) - 1)) != 0) {
		char *text;

		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = '\0';
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = '\0';
		if (sscanf(text, "utrace_stress: exit: %ld engines attached, %ld released, %ld callbacks, %ld violation",
			   &last_exit.attached, &last_exit.released, &last_exit.callbacks,
			   &last_exit.violations) == 4) {
			last_exit.seen = true;
			continue;
		}
		if (strstr(text, "utrace_stress: VIOLATION")) {
			if (!violation_lines)
				snprintf(first_violation, sizeof(first_violation), "%s", text);
			if (violation_lines++ < 40)
				diag("kmsg: %s", text);
			continue;
		}
		/* A user program's fault logged by the kernel is not a kernel splat. */
		if (strstr(text, "traps: ") && strstr(text, "general protection fault ip:"))
			continue;
		for (int i = 0; splat_pats[i]; i++) {
			if (strstr(text, splat_pats[i])) {
				if (splats < 10)
					snprintf(first_splats[splats], sizeof(first_splats[0]), "%s", text);
				splats++;
				diag("SPLAT: %s", text);
				break;
			}
		}
	}
}

/* ---- the tracees: shared table of recent tids ---- */
struct tracee {
	pid_t pid;
	bool killed;
	double born, life;
};

static struct tracee tracees[MAX_TRACEES];	/* the manager's; workers read pids */
static int ntracees = 6;

struct shared {
	_Atomic int tids[NTIDS];
	atomic_uint next;
};
static struct shared *shm;
static int shm_fd = -1;

static void register_tid(pid_t tid)
{
	unsigned int i = atomic_fetch_add(&shm->next, 1) % NTIDS;

	atomic_store(&shm->tids[i], tid);
}

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	usr1_count++;
}

static char tracee_exe[PATH_MAX] = "/proc/self/exe";

/* The program's own path: exec'd by that name, tracees show as stress_test in /proc. */
static void find_exe(void)
{
	ssize_t n = readlink("/proc/self/exe", tracee_exe, sizeof(tracee_exe) - 1);

	if (n > 0)
		tracee_exe[n] = '\0';
	else
		strcpy(tracee_exe, "/proc/self/exe");
}

/* The left-out features, passed to tracees on their command line. */
static unsigned long off_mask(void)
{
	unsigned long m = 0;

	for (int i = 0; i < F_NR; i++)
		if (off[i])
			m |= 1UL << i;
	return m;
}

static void set_off_mask(unsigned long m)
{
	for (int i = 0; i < F_NR; i++)
		off[i] = m & (1UL << i);
}

/* One burst of cheap syscalls. */
static void syscall_burst(uint64_t *r)
{
	int n = 1 + below(r, 40);

	for (int i = 0; i < n; i++) {
		switch (below(r, 6)) {
		case 0:
			syscall(SYS_getppid);
			break;
		case 1:
			syscall(SYS_getpid);
			break;
		case 2: {
			struct timespec ts;

			syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
			break;
		}
		case 3:
			sched_yield();
			break;
		case 4: {
			char c = 'x';
			int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (write(fd, &c, 1) < 0)
					c = 0;
				close(fd);
			}
			break;
		}
		default:
			syscall(SYS_gettid);
			break;
		}
	}
}

/* A pure user-space loop: instructions to single-step through. */
static void user_loop(uint64_t *r)
{
	volatile unsigned long x = rnd(r);
	int n = 100 + below(r, 2000);

	for (int i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

struct tracee_args {
	uint64_t seed;
	int depth;
	double end;
};

static _Atomic int live_threads;

static void exec_self(uint64_t *r, int depth, double end)
{
	char s[32], f[16], l[32], d[16], m[32];
	long left_ms = (long)((end - now()) * 1000);

	if (depth > 3 || left_ms < 50)
		return;
	snprintf(s, sizeof(s), "%llu", (unsigned long long)rnd(r));
	snprintf(f, sizeof(f), "%d", shm_fd);
	snprintf(l, sizeof(l), "%ld", left_ms);
	snprintf(d, sizeof(d), "%d", depth + 1);
	snprintf(m, sizeof(m), "%lu", off_mask());
	execl(tracee_exe, "stress_tracee", "--tracee", s, f, l, d, m, (char *)NULL);
}

static void *tracee_thread(void *arg)
{
	struct tracee_args a = *(struct tracee_args *)arg;
	uint64_t r = a.seed;
	int n = 1 + below(&r, 8);

	free(arg);
	register_tid(syscall(SYS_gettid));
	for (int i = 0; i < n; i++) {
		syscall_burst(&r);
		if (pct(&r, 30)) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
		if (pct(&r, 20))
			user_loop(&r);
	}
	if (!off[F_EXEC] && pct(&r, 3))
		exec_self(&r, a.depth, a.end);	/* exec from a non-leader thread */
	if (pct(&r, 2))
		syscall(SYS_exit_group, (int)below(&r, 256));
	atomic_fetch_sub(&live_threads, 1);
	return NULL;
}

static int tracee_main(int argc, char **argv)
{
	struct tracee_args a;
	int pfd[2];
	uint64_t r;

	if (argc < 7)
		return 2;
	set_off_mask(strtoul(argv[6], NULL, 0));
	r = strtoull(argv[2], NULL, 0) | 1;
	shm_fd = atoi(argv[3]);
	a.end = now() + atoi(argv[4]) / 1000.0;
	a.depth = atoi(argv[5]);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (shm == MAP_FAILED)
		return 3;
	register_tid(getpid());
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC))
		return 4;
	while (now() < a.end) {
		/* Mostly syscalls and short sleeps; fork and exec (costly under TCG) rarely. */
		unsigned int k = below(&r, 64);

		switch (k < 20 ? 0 : k < 28 ? 4 : k < 32 ? 5 : k < 36 ? 6 : k < 42 ? 7 :
			k < 44 ? 8 : k < 45 ? 10 : k < 46 ? 11 : k < 48 ? 12 : k < 49 ? 13 :
			k < 50 ? 14 : k < 56 ? 15 : 4) {
		case 0:
			syscall_burst(&r);
			break;
		case 4: {
			struct timespec ts = { 0, (1 + below(&r, 4)) * 1000000 };

			nanosleep(&ts, NULL);
			break;
		}
		case 5: {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };
			char c;

			if (pct(&r, 50) && write(pfd[1], "y", 1) < 0)
				break;
			poll(&p, 1, 2);
			if (read(pfd[0], &c, 1) < 0)
				c = 0;
			break;
		}
		case 6:
			if (pct(&r, 50))
				raise(SIGUSR1);
			else
				kill(getpid(), SIGUSR2);
			break;
		case 7:
			user_loop(&r);
			break;
		case 8: {
			pid_t c;

			if (off[F_FORK])
				break;
			c = pct(&r, 15) ? vfork() : fork();
			if (c == 0) {
				uint64_t cr = mix(r, getpid());

				register_tid(getpid());
				syscall_burst(&cr);
				if (!off[F_EXEC] && pct(&cr, 10))
					exec_self(&cr, a.depth, a.end);
				_exit(below(&cr, 256));
			}
			if (c > 0 && pct(&r, 80))
				waitpid(c, NULL, 0);	/* else orphaned: the subreaper reaps it */
			break;
		}
		case 10: {
			struct tracee_args *ta;
			pthread_attr_t at;
			pthread_t t;

			if (off[F_THREADS] || atomic_load(&live_threads) >= 4)
				break;
			ta = malloc(sizeof(*ta));
			if (!ta)
				break;
			*ta = a;
			ta->seed = rnd(&r);
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			atomic_fetch_add(&live_threads, 1);
			if (pthread_create(&t, &at, tracee_thread, ta)) {
				atomic_fetch_sub(&live_threads, 1);
				free(ta);
			}
			pthread_attr_destroy(&at);
			break;
		}
		case 11:
			if (!off[F_EXEC] && pct(&r, 30))
				exec_self(&r, a.depth, a.end);
			else if (!off[F_EXEC])
				execl("/nonexistent/stress", "x", (char *)NULL);	/* fails */
			break;
		case 12: {
			void *p = mmap(NULL, 4096 << below(&r, 4), PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED) {
				memset(p, 1, 4096);
				munmap(p, 4096 << below(&r, 1));
			}
			break;
		}
		case 13:
			if (pct(&r, 3))
				raise(pct(&r, 50) ? SIGSEGV : SIGABRT);	/* dies, core signal */
			break;
		case 14:
			if (pct(&r, 5))
				syscall(SYS_exit_group, (int)below(&r, 256));
			break;
		default: {
			sigset_t s, old;

			sigemptyset(&s);
			sigaddset(&s, SIGUSR1);
			sigprocmask(SIG_BLOCK, &s, &old);
			raise(SIGUSR1);
			sigprocmask(SIG_SETMASK, &old, NULL);
			break;
		}
		}
	}
	_exit(below(&r, 256));
}

/* ---- the tracee manager ---- */
static atomic_bool stop_manager;
static unsigned long spawned, killed;

static pid_t spawn_tracee(uint64_t *r, double life)
{
	char s[32], f[16], l[32], m[32];
	pid_t pid;

	snprintf(s, sizeof(s), "%llu", (unsigned long long)rnd(r));
	snprintf(f, sizeof(f), "%d", shm_fd);
	snprintf(l, sizeof(l), "%ld", (long)(life * 1000));
	snprintf(m, sizeof(m), "%lu", off_mask());
	{
		/*
		 * posix_spawn (a vfork): copying the page tables of this many-threaded process
		 * for each tracee cost the manager a sixth of the guest's CPU time.
		 */
		char *argv[] = { "stress_tracee", "--tracee", s, f, l, "0", m, NULL };
		posix_spawnattr_t at;
		int err;

		posix_spawnattr_init(&at);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&at, 0);
		err = posix_spawn(&pid, tracee_exe, NULL, &at, argv, environ);
		posix_spawnattr_destroy(&at);
		if (err)
			return -1;
	}
	register_tid(pid);
	spawned++;
	return pid;
}

static void reap_children(void)
{
	pid_t p;

	while ((p = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < ntracees; i++) {
			if (tracees[i].pid == p) {
				/* Orphaned descendants in its group go too. */
				kill(-p, SIGKILL);
				tracees[i].pid = 0;
			}
		}
	}
}

static void *manager(void *arg)
{
	uint64_t r = mix(seed, 0x7ace);

	while (!atomic_load(&stop_manager)) {
		double t = now();

		reap_children();
		for (int i = 0; i < ntracees; i++) {
			struct tracee *tr = &tracees[i];

			if (!tr->pid) {
				tr->life = 0.5 + below(&r, 5000) / 1000.0;
				tr->born = t;
				tr->killed = false;
				tr->pid = spawn_tracee(&r, tr->life);
				if (tr->pid < 0)
					tr->pid = 0;
			} else if (t - tr->born > tr->life + 1.0) {
				/* Stopped by an engine, or by SIGSTOP: end it. */
				kill(-tr->pid, SIGKILL);
				kill(tr->pid, SIGKILL);
				if (!tr->killed)
					killed++;
				tr->killed = true;
			}
		}
		if (pct(&r, 10)) {
			struct tracee *tr = &tracees[below(&r, ntracees)];
			int sig;

			switch (below(&r, 6)) {
			case 0:
				sig = off[F_SIGKILL] ? SIGCONT : SIGKILL;
				break;
			case 1:
				sig = SIGSTOP;
				break;
			case 2: case 3:
				sig = SIGCONT;
				break;
			case 4:
				sig = SIGUSR1;
				break;
			default:
				sig = SIGTERM;
				break;
			}
			if (tr->pid > 0) {
				if (sig == SIGKILL && !tr->killed)
					killed++;
				tr->killed |= sig == SIGKILL;
				kill(pct(&r, 50) ? tr->pid : -tr->pid, sig);
			}
		}
		usleep(30000);
	}
	return NULL;
}

/* Kills every tracee and waits until no child is left (the subreaper gets them all). */
static bool kill_all_tracees(double seconds)
{
	double end = now() + seconds;

	for (int i = 0; i < ntracees; i++) {
		if (tracees[i].pid > 0) {
			kill(-tracees[i].pid, SIGKILL);
			kill(tracees[i].pid, SIGKILL);
		}
	}
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			break;
		if (p > 0) {
			kill(-p, SIGKILL);
			continue;
		}
		if (now() > end)
			return false;
		/* Stragglers: anything in our process tree gets SIGKILL again. */
		for (int i = 0; i < NTIDS; i++) {
			int tid = atomic_load(&shm->tids[i]);

			if (tid > 0 && getpgid(tid) > 0 && getpgid(tid) != getpgid(0))
				kill(tid, SIGKILL);
		}
		usleep(20000);
	}
	for (int i = 0; i < ntracees; i++)
		tracees[i].pid = 0;
	return true;
}

/* ---- the workers ---- */
static pthread_rwlock_t mod_lock;
static _Atomic int ctl_fd = -1;
static atomic_bool stop_workers;
static int nworkers = 6;

/* One command; returns 0 or the errno. */
static int cmd(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/*
	 * pwrite(), not write(): write() on a shared regular file serialises the threads on
	 * the file's position lock, and one blocking operation (a barrier, a wait) would then
	 * stall every worker.
	 */
	return pwrite(atomic_load(&ctl_fd), buf, len, 0) < 0 ? errno : 0;
}

static int pick_tid(uint64_t *r)
{
	/* Mostly a tracee's main thread (alive but for races), else any recent tid. */
	if (pct(r, 80)) {
		int first = below(r, ntracees);

		for (int i = 0; i < ntracees; i++) {
			int tid = __atomic_load_n(&tracees[(first + i) % ntracees].pid,
						  __ATOMIC_RELAXED);

			if (tid > 0)
				return tid;
		}
	}
	for (int tries = 0; tries < 8; tries++) {
		int tid = atomic_load(&shm->tids[below(r, NTIDS)]);

		if (tid > 0)
			return tid;
	}
	return 0;
}

/* A random event mask; @invalid adds bits beyond UTRACE_EVENT_ALL. */
static unsigned long pick_events(uint64_t *r, bool invalid)
{
	unsigned long m = 0;

	for (int b = 0; b < _UTRACE_NEVENTS; b++)
		if (pct(r, 35))
			m |= 1UL << b;
	if (pct(r, 30))
		m |= UTRACE_EVENT(QUIESCE);
	if (pct(r, 40))
		m |= UTRACE_EVENT(REAP) | UTRACE_EVENT(DEATH);
	if (off[F_DEATH])
		m &= ~UTRACE_EVENT(DEATH);
	if (pct(r, 10))
		m = 0;
	if (pct(r, 5))
		m = UTRACE_EVENT_ALL;
	if (invalid)
		m |= 1UL << (_UTRACE_NEVENTS + below(r, 64 - _UTRACE_NEVENTS));
	return m;
}

static unsigned int allowed_action(unsigned int a)
{
	if (off[F_STEP] && (a == UTRACE_SINGLESTEP || a == UTRACE_BLOCKSTEP))
		return UTRACE_RESUME;
	if (off[F_STOP] && a == UTRACE_STOP)
		return UTRACE_RESUME;
	return a;
}

static unsigned int pick_action(uint64_t *r)
{
	static const unsigned char w[UTRACE_RESUME_MAX] = {
		[UTRACE_STOP] = 14, [UTRACE_INTERRUPT] = 8, [UTRACE_REPORT] = 10,
		[UTRACE_SINGLESTEP] = 4, [UTRACE_BLOCKSTEP] = 2, [UTRACE_RESUME] = 30,
		[UTRACE_DETACH] = 8,
	};
	unsigned int x = below(r, 76);

	for (unsigned int a = 0; a < UTRACE_RESUME_MAX; a++) {
		if (x < w[a])
			return allowed_action(a);
		x -= w[a];
	}
	return UTRACE_RESUME;
}

/* Slots the workers use: fewer than the engine has (the last one is the anchor's). */
#define SLOTS_USED	48

/* Whether a slot probably holds an engine (racy hints: they only steer the choice). */
static atomic_bool slot_full[SLOTS_USED];

static int pick_slot(uint64_t *r, bool full)
{
	for (int tries = 0; tries < 8; tries++) {
		int s = below(r, SLOTS_USED);

		if (atomic_load_explicit(&slot_full[s], memory_order_relaxed) == full)
			return s;
	}
	return below(r, SLOTS_USED);
}

static void slots_all_empty(void)
{
	for (int i = 0; i < SLOTS_USED; i++)
		atomic_store(&slot_full[i], false);
}

/* Counts a slot operation's result, and learns from it whether the slot is in use. */
static void count_slot_op(enum op op, int s, int err)
{
	if (err == ENOENT)
		atomic_store_explicit(&slot_full[s], false, memory_order_relaxed);
	count_op(op, err);
}

static void op_mode(uint64_t *r, int s)
{
	static const unsigned int presets[] = {
		1 << UTRACE_RESUME,
		1 << UTRACE_RESUME | 1 << UTRACE_REPORT,
		1 << UTRACE_RESUME | 1 << UTRACE_STOP,
		1 << UTRACE_RESUME | 1 << UTRACE_INTERRUPT | 1 << UTRACE_REPORT,
		1 << UTRACE_RESUME | 1 << UTRACE_SINGLESTEP,
		1 << UTRACE_RESUME | 1 << UTRACE_BLOCKSTEP | 1 << UTRACE_SINGLESTEP,
		1 << UTRACE_RESUME | 1 << UTRACE_DETACH,
		(1 << UTRACE_RESUME_MAX) - 1,
	};
	unsigned int answers = presets[below(r, 8)];
	unsigned int modes = 0;

	if (off[F_STEP])
		answers &= ~(1 << UTRACE_SINGLESTEP | 1 << UTRACE_BLOCKSTEP);
	if (off[F_STOP])
		answers &= ~(1 << UTRACE_STOP);
	if (pct(r, 50))
		modes |= 0x01;				/* M_WAKE */
	if (!off[F_FOLLOW] && pct(r, 30))
		modes |= 0x02;				/* M_FOLLOW */
	if (!off[F_SETEV] && pct(r, 15))
		modes |= 0x04;				/* M_SETEV */
	if (!off[F_REGS] && pct(r, 20))
		modes |= 0x08;				/* M_REGS */
	if (!off[F_ABORT] && pct(r, 5))
		modes |= 0x10;				/* M_ABORT */
	if (!off[F_CTRL] && pct(r, 10))
		modes |= 0x20;				/* M_CTRL */
	if (pct(r, 10))
		modes |= 0x40;				/* M_EXITCODE */
	if (pct(r, 10))
		modes |= 0x80;				/* M_SLEEP */
	if (!off[F_STOP] && pct(r, 10))
		modes |= 0x100;				/* M_FOLLOW_STOP */
	count_slot_op(OP_MODE, s, cmd("mode %d %u %u %u 0x%lx", s, answers, modes,
				      40 + below(r, 60), pick_events(r, false)));
}

/* delete_module of a module in use must fail: utrace while the engine is loaded, the
 * engine while its control file is open. */
static atomic_ulong rmmod_accepted;

static void op_rmmod_busy(uint64_t *r)
{
	const char *name = pct(r, 50) ? "utrace" : "utrace_stress";
	int ret = ut_unload_module(name);

	count_op(OP_RMMOD_BUSY, -ret);
	if (!ret) {
		atomic_fetch_add(&rmmod_accepted, 1);
		diag("VIOLATION: rmmod %s succeeded while it was in use", name);
	}
}

static void one_op(uint64_t *r)
{
	unsigned int x = below(r, 1000);
	/* Attaches mostly to a free slot, everything else mostly to a slot in use. */
	int s = pick_slot(r, x >= 270 ? pct(r, 90) : pct(r, 10));
	int err;

	if (x < 180) {
		if (off[F_ATTACH])
			return;
		int flags = UTRACE_ATTACH_CREATE;

		if (pct(r, 30))
			flags |= below(r, 4);		/* MATCH_OPS / MATCH_DATA */
		if (pct(r, 20))
			flags |= UTRACE_ATTACH_EXCLUSIVE;
		if (pct(r, 30))
			flags |= UTRACE_ATTACH_CHECK_ACCESS;	/* root: allowed */
		int tid = pick_tid(r);

		err = cmd("attach %d %d %d %d %d", s, tid, flags, below(r, 2),
			  (int)below(r, SLOTS_USED + 1) - 1);
		count_op(OP_ATTACH, err);
	} else if (x < 200) {
		if (off[F_BADARGS])
			return;
		int tid = pick_tid(r), flags = UTRACE_ATTACH_CREATE, how = below(r, 2);

		switch (below(r, 6)) {
		case 0:
			/* An unknown flag bit, or an ACCESS bit without CHECK_ACCESS. */
			flags |= pct(r, 20) ? UTRACE_ACCESS_OWN_GROUP : 0x400 << below(r, 21);
			break;
		case 1:
			how = 2;				/* NULL ops */
			break;
		case 2:
			tid = 2;				/* kthreadd: a kernel thread */
			break;
		case 3:
			tid = pct(r, 50) ? 1 : self_pid;	/* out of scope: the engine refuses */
			break;
		case 4:
			tid = pct(r, 50) ? 0 : 4000000 + below(r, 100000);
			break;
		default:
			flags = -1;
			break;
		}
		count_op(OP_ATTACH_BAD, cmd("attach %d %d %d %d -1", s, tid, flags, how));
	} else if (x < 270) {
		if (off[F_LOOKUP])
			return;
		int how = below(r, 4) == 0 ? 3 : below(r, 2);	/* 3: another ops table */

		err = cmd("attach %d %d %d %d %d", s, pick_tid(r),
			  below(r, 4) | (pct(r, 10) ? UTRACE_ATTACH_EXCLUSIVE : 0), how,
			  (int)below(r, SLOTS_USED + 1) - 1);
		if (!err)
			atomic_store(&slot_full[s], true);
		count_op(OP_LOOKUP, err);
	} else if (x < 400) {
		if (off[F_EVENTS])
			return;
		count_slot_op(OP_EVENTS, s, cmd("events %d 0x%lx %d", s, pick_events(r, false),
					pct(r, 25)));
	} else if (x < 415) {
		if (off[F_BADARGS])
			return;
		count_slot_op(OP_EVENTS_BAD, s, cmd("events %d 0x%lx %d", s, pick_events(r, true),
					    pct(r, 25)));
	} else if (x < 565) {
		if (off[F_CONTROL])
			return;
		count_slot_op(OP_CONTROL, s, cmd("control %d %u %d", s, pick_action(r), pct(r, 25)));
	} else if (x < 580) {
		if (off[F_BADARGS])
			return;
		unsigned int a = pct(r, 50) ? UTRACE_RESUME_MAX + below(r, 10) : (unsigned int)rnd(r);

		if (a < UTRACE_RESUME_MAX)
			a = UTRACE_RESUME_MAX;
		count_slot_op(OP_CONTROL_BAD, s, cmd("control %d %u %d", s, a, pct(r, 25)));
	} else if (x < 640) {
		if (off[F_BARRIER])
			return;
		count_slot_op(OP_BARRIER, s, cmd("barrier %d %d", s, pct(r, 25)));
	} else if (x < 740) {
		if (off[F_EXAMINE])
			return;
		static const unsigned int whiches[] = { 0, 0, 0, 0, 1, 2, 3, 4, 1000 };
		unsigned int which = whiches[below(r, 9)], size = 8 * below(r, 512);
		/* 0x10 stop first, 0x20 resume after: half of them as a tracer would. */
		unsigned int xf = below(r, 16) | (pct(r, 50) ? 0x30 : below(r, 4) << 4);

		if (which == 0 && pct(r, 70))
			size = 27 * 8;			/* struct user_regs_struct */
		if (off[F_BADARGS])
			xf &= ~4;
		count_slot_op(OP_EXAMINE, s, cmd("examine %d %u %u %u", s, which, size, xf));
	} else if (x < 780) {
		if (off[F_WAIT])
			return;
		count_slot_op(OP_WAIT, s, cmd("wait %d %u", s, 5 + below(r, 30)));
	} else if (x < 880) {
		if (off[F_MODE])
			return;
		op_mode(r, s);
	} else if (x < 910) {
		if (off[F_PUT])
			return;
		atomic_store(&slot_full[s], false);
		count_op(OP_PUT, cmd("put %d", s));
	} else if (x < 999) {
		if (off[F_DETACH])
			return;
		atomic_store(&slot_full[s], false);
		count_op(OP_DETACH, cmd("detach %d", s));
	} else {
		if (!off[F_RMMOD_BUSY])
			op_rmmod_busy(r);
	}
}

static void *worker(void *arg)
{
	uint64_t r = mix(seed, (uintptr_t)arg + 1);

	while (!atomic_load(&stop_workers)) {
		pthread_rwlock_rdlock(&mod_lock);
		if (atomic_load(&ctl_fd) >= 0) {
			double t = now(), c = thread_cpu();

			last_op = -1;
			one_op(&r);
			if (last_op >= 0) {
				atomic_fetch_add_explicit(&op_usecs[last_op],
							  (unsigned long)((now() - t) * 1e6),
							  memory_order_relaxed);
				atomic_fetch_add_explicit(&op_cpu_usecs[last_op],
							  (unsigned long)((thread_cpu() - c) * 1e6),
							  memory_order_relaxed);
			}
		}
		pthread_rwlock_unlock(&mod_lock);
	}
	return NULL;
}

/* ---- the engine module's stats, per load ---- */
static bool utrace_stuck;	/* an unload hung in the kernel: no more rounds */
struct totals {
	long attached, released, callbacks, violations, lives, exits_missing, unbalanced;
	long rounds, rounds_failed, leaks, reloads, stopped_unload_hangs;
	long v[32];			/* the engine's v_* counters, summed */
	char vnames[32][32];
	int nv;
	long c_wake, c_followed, c_found, c_deaths, c_reaps, c_examined, c_sets, c_mem,
	     c_woken, c_drained;
	char tnames[16][32];		/* time spent inside utrace's API, per function */
	long tcalls[16], tns[16];
	int nt;
};
static struct totals tot;

static void stats_accumulate(void)
{
	char buf[4096], name[64];
	long v, w;

	if (read_file(STATS, buf, sizeof(buf)) <= 0)
		return;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		int n = sscanf(l, "%63s %ld %ld", name, &v, &w);

		if (n == 3 && !strncmp(name, "time_", 5)) {
			int i;

			for (i = 0; i < tot.nt; i++)
				if (!strcmp(tot.tnames[i], name + 5))
					break;
			if (i == tot.nt && tot.nt < 16)
				snprintf(tot.tnames[tot.nt++], sizeof(tot.tnames[0]), "%.31s", name + 5);
			if (i < 16) {
				tot.tcalls[i] += v;
				tot.tns[i] += w;
			}
			continue;
		}
		if (n != 2)
			continue;
		if (!strncmp(name, "v_", 2)) {
			int i;

			for (i = 0; i < tot.nv; i++)
				if (!strcmp(tot.vnames[i], name))
					break;
			if (i == tot.nv && tot.nv < 32)
				snprintf(tot.vnames[tot.nv++], sizeof(tot.vnames[0]), "%.31s", name);
			if (i < 32)
				tot.v[i] += v;
		}
#define ACC(key, field) if (!strcmp(name, key)) tot.field += v
		ACC("wake_calls", c_wake);
		ACC("followed", c_followed);
		ACC("lookups_found", c_found);
		ACC("deaths", c_deaths);
		ACC("reaps", c_reaps);
		ACC("examined", c_examined);
		ACC("regset_sets", c_sets);
		ACC("memreads", c_mem);
		ACC("waits_woken", c_woken);
		ACC("drained", c_drained);
#undef ACC
	}
}

static int scope_params(char *buf, size_t size)
{
	return snprintf(buf, size, "scope=%d", self_pid);
}

static int engine_load(void)
{
	char params[64];
	int ret, fd;

	scope_params(params, sizeof(params));
	double t0 = now();

	ret = ut_load_module("utrace_stress", params);
	if (verbose)
		diag("engine load: insmod %.1f s", now() - t0);
	if (ret) {
		diag("insmod utrace_stress: %s", strerror(-ret));
		return ret;
	}
	fd = open(CONTROL, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		diag("open %s: %s", CONTROL, strerror(errno));
		return -errno;
	}
	slots_all_empty();
	atomic_store(&ctl_fd, fd);
	return 0;
}

/* Unloads the engine (its exit detaches everything) and checks its exit line. */
static int engine_unload(void)
{
	int fd = atomic_exchange(&ctl_fd, -1), ret;
	double t0 = now(), t1;
	pid_t child;

	stats_accumulate();
	if (fd >= 0)
		close(fd);
	kmsg_scan();
	last_exit.seen = false;
	t1 = now();
	ret = unload_module_timed("utrace_stress", 90, &child);
	if (ret) {
		diag("rmmod utrace_stress: %s", strerror(-ret));
		if (!first_failure[0])
			snprintf(first_failure, sizeof(first_failure), "rmmod utrace_stress: %s",
				 strerror(-ret));
		if (ret == -ETIMEDOUT)
			utrace_stuck = true;
		return ret;
	}
	if (verbose)
		diag("engine unload: %.1f s for stats and the log, %.1f s for rmmod", t1 - t0,
		     now() - t1);
	kmsg_scan();
	tot.lives++;
	if (!last_exit.seen) {
		tot.exits_missing++;
		diag("the engine's exit line is missing from the kernel log");
		return 0;
	}
	tot.attached += last_exit.attached;
	tot.released += last_exit.released;
	tot.callbacks += last_exit.callbacks;
	tot.violations += last_exit.violations;
	if (last_exit.attached != last_exit.released) {
		tot.unbalanced++;
		diag("VIOLATION: %ld engines attached, %ld released in one engine module's life",
		     last_exit.attached, last_exit.released);
	}
	return 0;
}

/*
 * Forks a child that closes the control file and then pauses until killed. Returns once it
 * has closed it: a child stopped (SIGSTOP, an engine's STOP) before its close held the
 * engine module busy until it was killed (rmmod retried for 90 s).
 */
static int close_control(void *arg)
{
	close(atomic_load(&ctl_fd));
	return 0;
}

static void pause_forever(void *arg)
{
	for (;;)
		pause();
}

static pid_t fork_idle_child(void)
{
	return ut_fork_ready(close_control, pause_forever, NULL);
}

/*
 * The anchor: a paused child with an engine (the last slot, which workers never use) that
 * wants every event, so that each of utrace's probes stays registered. Without it the probe
 * needs of the few engines go 0 -> 1 -> 0 all the time, and each registration or removal
 * of a tracepoint probe patches kernel text: under TCG on the debug kernel an attach then
 * costs ~70 ms of CPU and a set_events ~140 ms, instead of a few ms. It is attached in
 * three engine module lives out of four (and at each round's start), so that the
 * registration paths are stressed too.
 */
static pid_t anchor = -1;

/* Attaches the anchor's engine (after each load of the engine module). */
static void anchor_attach(void)
{
	if (anchor > 0 &&
	    (cmd("attach %d %d %d 0 -1", NSLOTS - 1, anchor, UTRACE_ATTACH_CREATE) ||
	     cmd("events %d 0x%lx 0", NSLOTS - 1, UTRACE_EVENT_ALL & ~UTRACE_EVENT(QUIESCE))))
		diag("anchor: attach/events failed");
}

static void anchor_start(void)
{
	anchor = fork_idle_child();
	anchor_attach();
}

static void anchor_stop(void)
{
	if (anchor > 0) {
		kill(anchor, SIGKILL);
		waitpid(anchor, NULL, 0);
	}
	anchor = -1;
}

static void engine_reload(uint64_t *r)
{
	double t0 = now(), t1;
	bool drained = pct(r, 50);

	set_phase("engine reload: waiting for the workers", 120);
	pthread_rwlock_wrlock(&mod_lock);
	t1 = now();
	set_phase("engine reload", 120);
	if (drained) {
		count_op(OP_DRAIN, cmd("drain 0"));
		slots_all_empty();
	}
	count_op(OP_RELOAD, -engine_unload());
	if (engine_load())
		tot.rounds_failed++;
	else if (pct(r, 75))
		anchor_attach();
	tot.reloads++;
	set_phase("round", 1e9);
	pthread_rwlock_unlock(&mod_lock);
	if (!quiet)
		diag("engine reload%s: %ld engines in that life, %.1f s to pause the workers, %.1f s to reload",
		     drained ? " after a drain" : "", last_exit.attached, t1 - t0, now() - t1);
}

/* utrace's debugfs state shows no per-task state and no engine (within @seconds). */
static bool no_leak(double seconds, char *state, size_t size)
{
	double end = now() + seconds;

	do {
		if (read_file(UTRACE_STATE, state, size) > 0 && strstr(state, "\ntasks 0\n") &&
		    strstr(state, "\nengines 0\n"))
			return true;
		usleep(20000);
	} while (now() < end);
	return false;
}

/*
 * A tracee in a job-control stop with a report queued (task_work that only runs when it
 * continues) while the engine and then utrace are unloaded: unloading must not wait for it.
 */
static pid_t stopped_tracee(void)
{
	char path[64], buf[512];
	pid_t pid = fork_idle_child();

	if (pid < 0)
		return -1;
	if (cmd("attach 0 %d %d 0 -1", pid, UTRACE_ATTACH_CREATE) ||
	    cmd("events 0 0x%lx 0", UTRACE_EVENT(QUIESCE)))
		diag("stopped-unload: attach/events failed");
	kill(pid, SIGSTOP);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 500; i++) {
		char *p;

		if (read_file(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) && p[2] == 'T')
			break;
		usleep(10000);
	}
	if (cmd("control 0 %d 0", UTRACE_REPORT))
		diag("stopped-unload: control REPORT failed");
	if (cmd("control 0 %d 0", UTRACE_INTERRUPT))
		diag("stopped-unload: control INTERRUPT failed");
	if (cmd("put 0"))
		diag("stopped-unload: put failed");
	return pid;
}

/*
 * Where the guest's CPU time went during a round (ticks of 10 ms): our threads, the
 * tracees (reaped children), and every other task, from a snapshot taken at its start.
 */
#define MAX_SNAP 512
struct snap {
	int pid;
	unsigned long long ticks;
	char comm[24];
};
static struct snap snap0[MAX_SNAP], snap1[MAX_SNAP];
static int nsnap0;

static unsigned long long stat_ticks(const char *path, char *comm, size_t csize, bool children)
{
	unsigned long long ut = 0, st = 0;
	char buf[1024];
	char *p;

	if (read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (comm) {
		char *c = strchr(buf, '(');

		snprintf(comm, csize, "%.*s", (int)(p - c - 1), c + 1);
	}
	if (children)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu",
		       &ut, &st);
	else
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
	return ut + st;
}

static int take_snap(struct snap *sn)
{
	char path[300];
	struct dirent *de;
	int n = 0;
	DIR *d;

	sn[n].pid = -1;		/* the reaped children */
	strcpy(sn[n].comm, "tracees (reaped)");
	sn[n++].ticks = stat_ticks("/proc/self/stat", NULL, 0, true);
	d = opendir("/proc/self/task");
	while (d && (de = readdir(d)) && n < MAX_SNAP / 2) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		sn[n].pid = atoi(de->d_name);
		sn[n].ticks = stat_ticks(path, sn[n].comm, sizeof(sn[n].comm), false);
		snprintf(sn[n].comm, sizeof(sn[n].comm), "stress thread %d", sn[n].pid);
		n++;
	}
	if (d)
		closedir(d);
	d = opendir("/proc");
	while (d && (de = readdir(d)) && n < MAX_SNAP) {
		int pid = atoi(de->d_name);

		if (pid <= 0 || pid == self_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		sn[n].pid = pid;
		sn[n].ticks = stat_ticks(path, sn[n].comm, sizeof(sn[n].comm), false);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void cpu_round_start(void)
{
	nsnap0 = take_snap(snap0);
}

/* The tasks that used more than 2% of the round's CPU time since cpu_round_start(). */
static void cpu_round_report(double secs)
{
	int n = take_snap(snap1);
	unsigned long long total = secs * 100 * sysconf(_SC_NPROCESSORS_ONLN);

	for (int i = 0; i < n; i++) {
		unsigned long long t = snap1[i].ticks;

		for (int j = 0; j < nsnap0; j++)
			if (snap0[j].pid == snap1[i].pid && !strcmp(snap0[j].comm, snap1[i].comm))
				t -= snap0[j].ticks;
		if (total && t * 50 > total)
			diag("cpu: %-28s %5.1f s (%2llu%%)", snap1[i].comm, t / 100.0,
			     t * 100 / total);
	}
}

/* The scheduler state of each tracee's main thread, and where a sleeping one waits. */
static void tracee_states(void)
{
	char line[512] = "", path[64], buf[512], wchan[64];
	int len = 0;

	for (int i = 0; i < ntracees; i++) {
		pid_t pid = tracees[i].pid;
		char *p;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
		if (read_file(path, wchan, sizeof(wchan)) <= 0)
			wchan[0] = '\0';
		len += snprintf(line + len, sizeof(line) - len, " %d:%c:%s", pid, p[2], wchan);
		if (len >= (int)sizeof(line))
			break;
	}
	diag("tracees:%s", line);
}

/* The guest's CPU time split since the last call (user, system, idle), in percent. */
static void cpu_split(char *buf, size_t size)
{
	static unsigned long long last[8];
	unsigned long long v[8] = { 0 }, d[8], sum = 0;
	char line[256];
	FILE *f = fopen("/proc/stat", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++) {
			d[i] = v[i] - last[i];
			sum += d[i];
			last[i] = v[i];
		}
		if (sum)
			snprintf(buf, size, "cpu user %llu%% system %llu%% idle %llu%%",
				 (d[0] + d[1]) * 100 / sum, (d[2] + d[5] + d[6]) * 100 / sum,
				 (d[3] + d[4]) * 100 / sum);
	}
	fclose(f);
}

static int nrounds_planned;
static double total_secs = 60, round_secs = 30, reload_secs = 15;
/* -N: run rounds until this many operations (-t is then the cap on the time); 0: no target. */
static unsigned long ops_target;
static double t_start, t_ops;
static char leak_state[1024];

static void run_round(int round, double len)
{
	pthread_t wt[MAX_WORKERS], mt;
	uint64_t r = mix(seed, 1000 + round);
	double end, next, t0, t_end, next_states = 0;
	unsigned long ops0 = ops_total();
	pid_t sleeper = -1;
	char cpu[128];
	int ret;
	bool kill_first = pct(&r, 50), ok = true;

	set_phase("load", 60);
	if (!ut_module_loaded("utrace")) {
		ret = ut_load_module("utrace", "");
		if (ret) {
			diag("insmod utrace: %s", strerror(-ret));
			tot.rounds_failed++;
			return;
		}
	}
	if (engine_load()) {
		tot.rounds_failed++;
		return;
	}
	if (!off[F_ANCHOR])
		anchor_start();
	atomic_store(&stop_workers, false);
	atomic_store(&stop_manager, false);
	pthread_create(&mt, NULL, manager, NULL);
	/* The workers start once the tracees are there (each spawn is an exec under TCG). */
	for (int i = 0, n = 0; i < 500 && n < ntracees; i++, usleep(20000))
		for (int j = n = 0; j < ntracees; j++)
			n += __atomic_load_n(&tracees[j].pid, __ATOMIC_RELAXED) > 0;
	for (long i = 0; i < nworkers; i++)
		pthread_create(&wt[i], NULL, worker, (void *)(i + 100 * round));
	set_phase("round", 1e9);
	t0 = now();
	end = t0 + len;
	cpu_split(cpu, sizeof(cpu));
	if (verbose)
		cpu_round_start();	/* slow: reads every /proc/PID/stat */
	next = now() + reload_secs * (0.2 + below(&r, 1600) / 1000.0);
	while (now() < end) {
		double t = now(), k;

		usleep(100000);
		k = now();
		kmsg_scan();
		if (!quiet && now() - t > 2)
			diag("main thread: a 0.1 s sleep took %.1f s, the kernel log scan %.1f s",
			     k - t, now() - k);
		if (verbose && now() > next_states) {
			tracee_states();
			next_states = now() + 5;
		}
		if (!off[F_RELOAD] && now() > next) {
			engine_reload(&r);
			next = now() + reload_secs * (0.2 + below(&r, 1600) / 1000.0);
		}
	}
	cpu_split(cpu, sizeof(cpu));
	if (verbose)
		cpu_round_report(len);
	set_phase("stopping workers", 120);
	atomic_store(&stop_workers, true);
	for (int i = 0; i < nworkers; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&stop_manager, true);
	pthread_join(mt, NULL);
	t_end = now();
	t_ops += t_end - t0;

	/* Gone before the drain, with the tracees, so that "drain 1" can check reaps. */
	anchor_stop();
	/* Teardown in a random order: tracees killed before or after the engines' drain. */
	if (kill_first) {
		set_phase("killing tracees (before the drain)", 120);
		if (kill_all_tracees(10)) {
			set_phase("drain (tracees reaped)", 120);
			count_op(OP_DRAIN, cmd("drain 1"));
		} else {
			/* Some wait in an exit stop only a detach ends. */
			set_phase("drain (tracees in exit stops)", 120);
			count_op(OP_DRAIN, cmd("drain 0"));
			set_phase("killing tracees (after the drain)", 60);
			if (!kill_all_tracees(50)) {
				diag("round %d: tracees survive SIGKILL and the drain", round);
				ok = false;
			}
		}
	} else {
		set_phase("drain (tracees alive)", 120);
		count_op(OP_DRAIN, cmd("drain 0"));
		set_phase("killing tracees (after the drain)", 60);
		if (!kill_all_tracees(50)) {
			diag("round %d: tracees survive SIGKILL after the drain", round);
			ok = false;
		}
	}
	set_phase("engine unload", 120);
	if (engine_unload())
		ok = false;
	set_phase("leak check", 30);
	if (!no_leak(10, leak_state, sizeof(leak_state))) {
		tot.leaks++;
		ok = false;
		diag("round %d: utrace state not back to 0 tasks, 0 engines:", round);
		for (char *l = strtok(leak_state, "\n"); l; l = strtok(NULL, "\n"))
			diag("  %s", l);
	}
	if (!off[F_STOPPED_UNLOAD] && !off[F_UTRACE_RELOAD]) {
		set_phase("stopped-unload set-up", 60);
		if (!engine_load())
			sleeper = stopped_tracee();
		set_phase("engine unload (a tracee stopped with a report queued)", 120);
		if (engine_unload())
			ok = false;
	}
	if (!off[F_UTRACE_RELOAD]) {
		pid_t child;

		set_phase("utrace unload", 120);
		ret = unload_module_timed("utrace", 45, &child);
		if (ret == -ETIMEDOUT && sleeper > 0) {
			/*
			 * Unloading waits for the stopped tracee's queued report: the hang the
			 * stopped-unload scenario is there to catch. Let the tracee go (SIGKILL runs
			 * its task_work) so that the run ends cleanly, failed.
			 */
			tot.stopped_unload_hangs++;
			diag("VIOLATION: rmmod utrace still waits after 45 s for a SIGSTOPped tracee with a report queued; SIGKILL to it");
			kill(sleeper, SIGKILL);
			ret = finish_unload(child, 60);
		}
		count_op(OP_UTRACE_RELOAD, -ret);
		if (ret) {
			diag("rmmod utrace: %s", strerror(-ret));
			ok = false;
			if (ret == -ETIMEDOUT)
				utrace_stuck = true;
		}
	}
	if (sleeper > 0) {
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
	}
	kmsg_scan();
	tot.rounds++;
	if (!ok)
		tot.rounds_failed++;
	diag("round %d: %.0f s, %lu ops (%.0f/s), %s, teardown %s in %.0f s, %s", round, len,
	     ops_total() - ops0, (ops_total() - ops0) / (t_end - t0), cpu,
	     kill_first ? "kill-then-drain" : "drain-then-kill", now() - t_end,
	     ok ? "ok" : "FAILED");
}

static void print_ops(void)
{
	for (int i = 0; i < OP_NR; i++) {
		char line[1024];
		unsigned long n = 0;
		int len = 0;

		for (int e = 0; e < NERR; e++)
			n += atomic_load(&op_count[i][e]);
		if (!n)
			continue;
		len += snprintf(line + len, sizeof(line) - len,
				"op %-13s %9lu, %6.0f us each (%5.0f us CPU):", op_names[i], n,
				(double)atomic_load(&op_usecs[i]) / n,
				(double)atomic_load(&op_cpu_usecs[i]) / n);
		for (int e = 0; e < NERR && len < (int)sizeof(line) - 40; e++) {
			unsigned long c = atomic_load(&op_count[i][e]);

			if (c)
				len += snprintf(line + len, sizeof(line) - len, " %s %lu",
						e ? strerrorname_np(e) ?: "?" : "ok", c);
		}
		diag("%s", line);
	}
}

static int ktap_n;
static bool any_failed;

static void result(bool ok, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!ok)
		any_failed = true;
	if (ktap)
		printf("%sok %d %s (%s)\n", ok ? "" : "not ", ++ktap_n, name, buf);
	else
		printf("%s: %s (%s)\n", ok ? "PASS" : "FAIL", name, buf);
	fflush(stdout);
}

static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;

static void emit_results(bool watchdog_fired)
{
	unsigned long ops = ops_total();
	double el = now() - t_start;
	long vsum = 0;

	pthread_mutex_lock(&results_lock);
	kmsg_scan();
	print_ops();
	for (int i = 0; i < tot.nv; i++) {
		vsum += tot.v[i];
		if (tot.v[i])
			diag("engine counter %s = %ld", tot.vnames[i], tot.v[i]);
	}
	diag("engines: %ld attached, %ld released, %ld callbacks in %ld engine module lives; wake-ups %ld (%ld waits woken), followed %ld, lookups found %ld, deaths %ld, reaps %ld, examined %ld, regset writes %ld, memory reads %ld, drained by lookup %ld",
	     tot.attached, tot.released, tot.callbacks, tot.lives, tot.c_wake, tot.c_woken,
	     tot.c_followed, tot.c_found, tot.c_deaths, tot.c_reaps, tot.c_examined, tot.c_sets,
	     tot.c_mem, tot.c_drained);
	for (int i = 0; i < tot.nt; i++)
		if (tot.tcalls[i])
			diag("utrace_%s: %ld calls, %.0f us each", tot.tnames[i], tot.tcalls[i],
			     tot.tns[i] / 1e3 / tot.tcalls[i]);
	diag("tracees spawned %lu, SIGKILLed by the manager %lu, tids registered %u", spawned,
	     killed, atomic_load(&shm->next));
	diag("total: %lu operations in %.0f s (%.0f ops/s while running, %.0f overall), seed %llu",
	     ops, el, t_ops > 0 ? ops / t_ops : 0, ops / el, (unsigned long long)seed);
	result(!watchdog_fired && tot.rounds == nrounds_planned && !tot.rounds_failed,
	       "stress_rounds", "%ld of %d rounds, %ld failed, %ld engine reloads%s%s%s", tot.rounds,
	       nrounds_planned, tot.rounds_failed, tot.reloads,
	       watchdog_fired ? ", the watchdog fired" : "", first_failure[0] ? "; first: " : "",
	       first_failure);
	result(!tot.violations && !vsum && !tot.unbalanced && !tot.exits_missing &&
	       !violation_lines && !atomic_load(&rmmod_accepted) && !tot.stopped_unload_hangs,
	       "stress_invariants",
	       "%lu ops; %ld violation(s) in the engine, %ld life(s) with attached != released, %ld exit line(s) missing, %lu busy rmmod(s) accepted, %ld utrace unload(s) waiting for a stopped tracee%s%s",
	       ops, tot.violations > vsum ? tot.violations : vsum, tot.unbalanced,
	       tot.exits_missing, atomic_load(&rmmod_accepted), tot.stopped_unload_hangs,
	       first_violation[0] ? "; first: " : "", first_violation);
	result(!tot.leaks, "stress_no_leak", "%ld round(s) ended with utrace state left", tot.leaks);
	if (ops_target)
		result(ops >= ops_target, "stress_ops", "%lu operations run, %lu wanted (-N)", ops,
		       ops_target);
	result(!splats, "stress_no_splat", "%lu splat line(s)%s%s", splats, splats ? ": " : "",
	       splats ? first_splats[0] : "");
	pthread_mutex_unlock(&results_lock);
}

/*
 * kmemleak's automatic scan runs in a thread at nice 10 and walks every object inside one
 * RCU read-side section. With every CPU kept busy by the stress it is preempted there for
 * longer than the RCU stall timeout (seen: "rcu_preempt detected stalls", P40 kmemleak, 26 s
 * under TCG). It is off while the stress runs; explicit scans (tests/kmemleak_scan.sh) are
 * not affected.
 */
static bool kmemleak_was_on;

static void kmemleak_auto_scan(bool on)
{
	const char *cmd = on ? "scan=on" : "scan=off";
	int fd;

	if (on && !kmemleak_was_on)
		return;
	fd = open("/sys/kernel/debug/kmemleak", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, cmd, strlen(cmd)) > 0 && !on)
		kmemleak_was_on = true;
	close(fd);
}

static void usage(void)
{
	fprintf(stderr, "usage: stress_test [-t SECS] [-N OPS] [-r SECS] [-s SEED] [-w WORKERS] [-n TRACEES] [-R SECS] [-x FEATURE,...] [-k] [-q] [-v]\nfeatures:");
	for (int i = 0; i < F_NR; i++)
		fprintf(stderr, " %s", feature_names[i]);
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	pthread_rwlockattr_t ra;
	pthread_t wd;
	bool seeded = false;
	int opt;

	find_exe();
	if (argc > 1 && !strcmp(argv[1], "--tracee"))
		return tracee_main(argc, argv);
	base = base ? base + 1 : argv[0];
	ktap = strlen(base) > 5 && !strcmp(base + strlen(base) - 5, "_test");
	while ((opt = getopt(argc, argv, "t:N:r:s:w:n:R:x:kqvh")) != -1) {
		switch (opt) {
		case 't':
			total_secs = atof(optarg);
			break;
		case 'N':
			ops_target = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			round_secs = atof(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'w':
			nworkers = atoi(optarg);
			break;
		case 'n':
			ntracees = atoi(optarg);
			break;
		case 'R':
			reload_secs = atof(optarg);
			break;
		case 'x':
			for (char *f = strtok(optarg, ","); f; f = strtok(NULL, ",")) {
				int i;

				for (i = 0; i < F_NR; i++)
					if (!strcmp(f, feature_names[i]))
						break;
				if (i == F_NR)
					usage();
				off[i] = true;
			}
			break;
		case 'k':
			ktap = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (nworkers < 1 || nworkers > MAX_WORKERS || ntracees < 1 || ntracees > MAX_TRACEES ||
	    round_secs < 5 || total_secs < 5)
		usage();
	if (!seeded)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9);
	self_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ktap) {
		printf("TAP version 13\n1..%d\n", ops_target ? 5 : 4);
		fflush(stdout);
	}
	diag("utrace_stress: seed %llu (-s to repeat), %.0f s in rounds of %.0f s, %d workers, %d tracees, engine reloads every ~%.0f s",
	     (unsigned long long)seed, total_secs, round_secs, nworkers, ntracees, reload_secs);
	for (int i = 0; i < F_NR; i++)
		if (off[i])
			diag("left out: %s", feature_names[i]);
	if (geteuid()) {
		if (ktap)
			for (int i = 1; i <= (ops_target ? 5 : 4); i++)
				printf("ok %d stress # SKIP needs root\n", i);
		return ktap ? 0 : 4;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	shm_fd = memfd_create("utrace_stress_tids", 0);
	if (shm_fd < 0 || ftruncate(shm_fd, sizeof(*shm)))
		return 3;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (shm == MAP_FAILED)
		return 3;
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&mod_lock, &ra);
	set_phase("start", 60);
	pthread_create(&wd, NULL, watchdog, NULL);
	kmemleak_auto_scan(false);

	/* A clean start: no engine module, and utrace loaded fresh by the first round. */
	if (ut_module_loaded("utrace_stress"))
		ut_unload_module("utrace_stress");
	if (ut_module_loaded("utrace") && ut_unload_module("utrace"))
		diag("utrace is loaded and in use: the first round runs with it as it is");

	t_start = now();
	nrounds_planned = (int)(total_secs / round_secs + 0.5);
	if (nrounds_planned < 1)
		nrounds_planned = 1;
	/* -t is the time spent running operations; loads and teardowns come on top. */
	for (int round = 0; round < nrounds_planned && !utrace_stuck; round++) {
		run_round(round, total_secs / nrounds_planned);
		/* The operations wanted are done: the rounds run are the rounds planned. */
		if (ops_target && ops_total() >= ops_target && tot.rounds == round + 1) {
			nrounds_planned = round + 1;
			break;
		}
	}
	set_phase("results", 60);
	if (ut_module_loaded("utrace") && !off[F_UTRACE_RELOAD])
		diag("utrace still loaded at the end");
	emit_results(false);
	kmemleak_auto_scan(true);
	atomic_store(&finished, true);
	return any_failed ? 1 : 0;
}
