// SPDX-License-Identifier: GPL-2.0
/*
 * Breakpoint-hit round trips per second: a tracee runs a compiled-in int3 in a loop; each
 * hit is reported to a tracer and the tracee resumed past it (the IP is already after the
 * int3, as ptrace and utrace both show it, so no register is written). Three ways, in the
 * same guest run:
 *
 *   utrace-kernel  the test engine (slot 0) answers report_signal of the SIGTRAP with
 *            UTRACE_RESUME | UTRACE_SIGNAL_IGN: hit, report, resume without leaving the
 *            kernel, as an engine that handles its breakpoints itself (bpauto, a gdb stub's
 *            conditional breakpoint) does; hits counted for 2 s (each report's
 *            utrace_wake_up(), with nobody waiting);
 *   utrace   the engine answers UTRACE_STOP | UTRACE_SIGNAL_IGN and wakes the tracer; the
 *            tracer's "wait_stop" write waits for the wake-up and checks
 *            utrace_prepare_examine(), then "control RESUME" lets it go: a tracer in user
 *            space, two syscalls per hit, as ptrace's;
 *   ptrace   PTRACE_SEIZE, then per hit waitpid() for the SIGTRAP signal-delivery stop and
 *            PTRACE_CONT without the signal.
 *
 * Prints "MODE ROUNDTRIPS_PER_SECOND". A benchmark, never a test: under TCG only the ratio
 * between modes in one run means anything.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/utrace.h>

#include "utrace_test_util.h"

#define ROUNDS 2000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "bkpt_bench: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Wake-ups delivered so far on slot 0's queue. */
static long delivered0(void)
{
	struct ut_counts c;

	return ut_counts(0, &c) ? -1 : c.wake_delivered;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ptrace";
	int ptraced = !strcmp(mode, "ptrace"), kern = !strcmp(mode, "utrace-kernel");
	int user = !strcmp(mode, "utrace");
	int go[2], status;
	long base = 0;
	double t0, t;
	pid_t pid;
	char c;

	if (!ptraced && !kern && !user) {
		fprintf(stderr, "usage: bkpt_bench [utrace-kernel|utrace|ptrace]\n");
		return 2;
	}
	if (pipe(go))
		return die("pipe");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		/* Wait until the tracer is ready, then hit the int3 for ever. */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (;;)
			__asm__ volatile("int3");
	}
	if (ptraced && ptrace(PTRACE_SEIZE, pid, 0, 0))
		return die("PTRACE_SEIZE");
	if (!ptraced) {
		base = delivered0();
		if (base < 0 || ut_cmd("attach 0 %d", pid) || ut_cmd("sigon 0 %d", SIGTRAP) ||
		    ut_cmd("ret 0 signal %x", (kern ? UTRACE_RESUME : UTRACE_STOP) |
						  UTRACE_SIGNAL_IGN) ||
		    ut_cmd("wake 0 1") ||
		    ut_cmd("events 0 %lx", UTRACE_EVENT_SIGNAL_ALL))
			return die("test engine");
	}
	if (write(go[1], "g", 1) != 1)
		return die("write");
	t0 = now();
	if (kern) {
		/* The hits are the engine's: count them for a fixed time. */
		struct ut_counts c0, c1;

		if (ut_counts(0, &c0))
			return die("counts");
		usleep(2000000);
		if (ut_counts(0, &c1))
			return die("counts");
		t = now() - t0;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ut_cmd("put 0");
		printf("%s %.0f\n", mode, (c1.wake_calls - c0.wake_calls) / t);
		return 0;
	}
	for (int i = 1; i <= ROUNDS; i++) {
		if (ptraced) {
			if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
			    WSTOPSIG(status) != SIGTRAP)
				return die("waitpid: no SIGTRAP stop");
			if (ptrace(PTRACE_CONT, pid, 0, 0))
				return die("PTRACE_CONT");
		} else {
			if (ut_cmd("wait_stop 0 %ld", base + i))
				return die("wait_stop");
			if (ut_cmd("control 0 %d", UTRACE_RESUME))
				return die("control RESUME");
		}
	}
	t = now() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ptraced)
		ut_cmd("put 0");
	printf("%s %.0f\n", mode, ROUNDS / t);
	return 0;
}
