// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: a fork+exec chain. "sow_exec N" forks a child that first tries to
 * exec a program that does not exist (ENOENT), then execs itself (argv[0], an absolute path)
 * with N-1; the parent waits for it and exits with its status plus one. "sow_exec 0" writes
 * a line and exits 0.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	char arg[] = "N";
	int status;
	pid_t pid;

	if (n <= 0)
		return write(1, "leaf\n", 5) == 5 ? 0 : 2;
	pid = fork();
	if (pid == 0) {
		char *const env[] = { NULL };
		char *nargv[] = { argv[0], arg, NULL };

		arg[0] = '0' + n - 1;
		execve("/nonexistent/sow_exec", nargv, env);
		execve(argv[0], nargv, env);
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 3;
	return WEXITSTATUS(status) + 1;
}
