// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: processes killed by SIGKILL. A child blocks in a write() of 256 KiB
 * into a pipe (more than it holds); the parent reads one byte of it (so the child is inside
 * that write), kills the child with SIGKILL, reaps it, then kills itself with SIGKILL.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char big[256 << 10];

int main(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe(p))
		return 2;
	pid = fork();
	if (pid == 0) {
		if (write(p[1], big, sizeof(big)) < 0)
			_exit(3);
		_exit(4);
	}
	if (pid < 0 || read(p[0], &c, 1) != 1)
		return 5;
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		return 6;
	kill(getpid(), SIGKILL);
	return 7;
}
