// SPDX-License-Identifier: GPL-2.0
/*
 * Signal ping-pong round trips per second: the parent sends SIGUSR1 to the child, whose
 * handler sends SIGUSR2 back; both wait in sigsuspend() with the signal blocked otherwise
 * (no lost wake-up). Three ways, in the same guest run:
 *
 *   none     nobody traces either process;
 *   utrace   the test engine (slot 0) is attached to the child with UTRACE_EVENT(SIGNAL)
 *            and answers every report_signal with UTRACE_RESUME | UTRACE_SIGNAL_DELIVER: the
 *            child's every SIGUSR1 is intercepted, reported and delivered unchanged
 *            (Documentation/design.md, "Signals");
 *   ptrace   the parent is the child's ptrace tracer (PTRACE_SEIZE): each SIGUSR1 is a
 *            signal-delivery stop, waitpid(), then PTRACE_CONT passing the signal, what a
 *            debugger that lets a signal through does.
 *
 * Only the child is traced in both traced modes, one report or stop per round trip. With
 * "cpu0" as second argument both processes run on CPU 0 only: under TCG a wake-up of the
 * other CPU costs far more than a signal, and drowns the differences between modes.
 * Prints "MODE ROUNDTRIPS_PER_SECOND". A benchmark, never a test: under TCG only the
 * ratio between modes in one run means anything.
 */
#include <errno.h>
#include <sched.h>
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

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
	got = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits in sigsuspend() (everything but @sig blocked) until @sig's handler ran. */
static void wait_for(int sig)
{
	sigset_t open;

	sigfillset(&open);
	sigdelset(&open, sig);
	sigdelset(&open, SIGINT);
	sigdelset(&open, SIGTERM);
	while (!got)
		sigsuspend(&open);
	got = 0;
}

static void child(void)
{
	pid_t parent = getppid();

	for (;;) {
		wait_for(SIGUSR1);
		kill(parent, SIGUSR2);
	}
}

static int die(const char *what)
{
	fprintf(stderr, "signal_bench: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "none";
	int ptraced = !strcmp(mode, "ptrace"), utraced = !strcmp(mode, "utrace");
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	double t0, t;
	pid_t pid;
	int status;

	if (!ptraced && !utraced && strcmp(mode, "none")) {
		fprintf(stderr, "usage: signal_bench [none|utrace|ptrace] [cpu0]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "cpu0")) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one)) {
			perror("signal_bench: sched_setaffinity");
			return 1;
		}
	}
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0)
		child();
	if (ptraced && ptrace(PTRACE_SEIZE, pid, 0, 0))
		return die("PTRACE_SEIZE");
	if (utraced && (ut_cmd("attach 0 %d", pid) || ut_cmd("sigon 0 0") ||
			ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_DELIVER) ||
			ut_cmd("events 0 %lx", UTRACE_EVENT(SIGNAL))))
		return die("test engine");
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		if (kill(pid, SIGUSR1))
			return die("kill");
		if (ptraced) {
			if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
			    WSTOPSIG(status) != SIGUSR1)
				return die("waitpid: no SIGUSR1 signal-delivery stop");
			if (ptrace(PTRACE_CONT, pid, 0, SIGUSR1))
				return die("PTRACE_CONT");
		}
		wait_for(SIGUSR2);
	}
	t = now() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (utraced)
		ut_cmd("put 0");
	printf("%s %.0f\n", mode, ROUNDS / t);
	return 0;
}
