// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle's wrapper: runs argv[1..] with SIGCHLD blocked (the mask is kept across
 * exec). busybox sh has a SIGCHLD handler: when a child exits before or after the shell
 * entered wait4() decides where the handler runs, which two runs of the same pipeline do not
 * agree on. Blocked, the signal stays pending and the shell reaps its children with wait4()
 * alone.
 */
#include <signal.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t set;

	if (argc < 2)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 3;
	execv(argv[1], argv + 1);
	return 4;
}
