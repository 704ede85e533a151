// SPDX-License-Identifier: GPL-2.0
/*
 * wall_bench: the wall-clock time of one run of a command, in microseconds, for make bench
 * (a realistic workload under a tracer: issue 14). Not a test: it prints a timing, and
 * fails only if the command cannot be run or does not exit 0.
 *
 * usage: wall_bench CMD [ARGS...]
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	int st;
	pid_t c;

	if (argc < 2) {
		fprintf(stderr, "usage: wall_bench CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	c = fork();
	if (c == 0) {
		execvp(argv[1], argv + 1);
		perror("wall_bench: exec");
		_exit(127);
	}
	if (c < 0 || waitpid(c, &st, 0) != c) {
		perror("wall_bench");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "wall_bench: %s ended with status 0x%x\n", argv[1], st);
		return 1;
	}
	printf("%.0f\n", (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3);
	return 0;
}
