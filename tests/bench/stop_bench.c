// SPDX-License-Identifier: GPL-2.0
/*
 * Stop round trips per second: a tracee calls getppid() in a loop and a tracer stops it at
 * each syscall entry, is woken, and resumes it. Three ways, in the same guest run:
 *
 *   utrace   the test engine answers UTRACE_STOP at getppid's entry and calls
 *            utrace_wake_up(); the tracer's "wait_stop" write waits for the wake-up and
 *            checks utrace_prepare_examine(), then "control RESUME" lets it go: a tracer
 *            in user space, two syscalls per round trip, as ptrace's;
 *   utrace-kernel  the same stops, but the tracer is a kernel thread of the engine (its
 *            "kbench" loop: resume, wait for the wake-up, prepare_examine), as an engine
 *            that does its work in the kernel (SystemTap, a gdb stub) has it: no user-space
 *            round trip, and no address space of its own to switch to;
 *   ptrace   PTRACE_SYSCALL + waitpid() per stop (entry and exit stops both count);
 *   seccomp  SECCOMP_RET_USER_NOTIF for getppid: a supervisor thread receives each
 *            notification and answers SECCOMP_USER_NOTIF_FLAG_CONTINUE.
 *
 * With "cpu0" as second argument, everything (tracer, tracee, supervisor, the engine's
 * kernel thread) runs on CPU 0: every wake-up is then local (no IPI), but switching between
 * two processes switches address spaces (under QEMU's TCG that flushes its software TLB).
 *
 * Prints "MODE ROUNDTRIPS_PER_SECOND". A benchmark, never a test: under TCG only the ratio
 * between modes in one run means anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utrace_test_util.h"

#define ROUNDS 2000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One write() per command on a control file kept open: one syscall, as ptrace's. */
static int cmd(const char *fmt, ...)
{
	static int fd = -1;
	char buf[128];
	va_list ap;
	int n;

	if (fd < 0)
		fd = open("/sys/kernel/debug/utrace_test/control", O_WRONLY);
	if (fd < 0)
		return -errno;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return write(fd, buf, n) < 0 ? -errno : 0;
}

/* Wake-ups delivered so far on slot 0's queue. */
static long delivered0(void)
{
	struct ut_counts c;

	return ut_counts(0, &c) ? -1 : c.wake_delivered;
}

static pid_t spinner(int traceme)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (traceme) {
			ptrace(PTRACE_TRACEME, 0, 0, 0);
			raise(SIGSTOP);
		}
		for (;;)
			syscall(SYS_getppid);
	}
	return pid;
}

static int on_cpu0;

static double bench_utrace(int in_kernel)
{
	long base = delivered0();
	pid_t pid = spinner(0);
	double t0, t;

	if (cmd("attach 0 %d", pid) || cmd("only_nr 0 %d", SYS_getppid) ||
	    cmd("ret 0 syscall_entry %x", 0) || cmd("wake 0 1") || cmd("nolog 0 1") ||
	    cmd("events 0 %lx", 1UL << 6))
		goto fail;
	if (base < 0 || cmd("wait_stop 0 %ld", base + 1))
		goto fail;
	t0 = now();
	if (in_kernel) {
		if (cmd("kbench 0 %d %d", ROUNDS, on_cpu0 ? 0 : -1))
			goto fail;
	} else {
		for (int i = 1; i <= ROUNDS; i++) {
			if (cmd("control 0 5") || cmd("wait_stop 0 %ld", base + i + 1))
				goto fail;
		}
	}
	t = now() - t0;
	cmd("control 0 6");
	cmd("barrier 0");
	cmd("nolog 0 0");
	cmd("put 0");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ROUNDS / t;
fail:
	fprintf(stderr, "stop_bench: utrace engine command failed\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static double bench_ptrace(void)
{
	pid_t pid = spinner(1);
	double t0, t;
	int st;

	waitpid(pid, &st, 0);	/* the SIGSTOP */
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) || waitpid(pid, &st, 0) != pid)
			return -1;
	}
	t = now() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ROUNDS / t;
}

static int notify_fd = -1;
static volatile int stop_supervisor;

static void *supervisor(void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	while (!stop_supervisor) {
		memset(&req, 0, sizeof(req));
		if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

/* In a child process: the main thread is filtered, a second thread supervises. */
static void seccomp_child(int out)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	pthread_t th;
	double t0, r = -1;

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	notify_fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (notify_fd >= 0 && !pthread_create(&th, NULL, supervisor, NULL)) {
		t0 = now();
		for (int i = 0; i < ROUNDS; i++)
			syscall(SYS_getppid);
		r = ROUNDS / (now() - t0);
	}
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

static double bench_seccomp(void)
{
	int p[2];
	double r = -1;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0)
		seccomp_child(p[1]);
	if (read(p[0], &r, sizeof(r)) != sizeof(r))
		r = -1;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	return r;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	cpu_set_t one;

	if (argc > 2 && !strcmp(argv[2], "cpu0")) {
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one)) {
			perror("stop_bench: sched_setaffinity");
			return 1;
		}
		on_cpu0 = 1;
	}

	if (!strcmp(mode, "utrace") || !strcmp(mode, "all"))
		printf("utrace %.0f\n", bench_utrace(0));
	if (!strcmp(mode, "utrace-kernel") || !strcmp(mode, "all"))
		printf("utrace-kernel %.0f\n", bench_utrace(1));
	if (!strcmp(mode, "ptrace") || !strcmp(mode, "all"))
		printf("ptrace %.0f\n", bench_ptrace());
	if (!strcmp(mode, "seccomp") || !strcmp(mode, "all"))
		printf("seccomp %.0f\n", bench_seccomp());
	return 0;
}
