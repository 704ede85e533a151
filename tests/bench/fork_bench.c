// SPDX-License-Identifier: GPL-2.0
/*
 * fork_bench: microseconds per fork() + _exit() + waitpid(), for make bench. Not a test: it
 * prints timings. It measures what a thread's birth and end cost, which utrace's probes on
 * sched_process_exit and sched_process_free (registered from load to unload) add to.
 *
 * Prints the median over 5 rounds of ROUND children each, in us per child (one decimal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define ROUND	200
#define ROUNDS	5

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	double us[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < ROUND; i++) {
			pid_t c = fork();

			if (c == 0)
				_exit(0);
			if (c < 0 || waitpid(c, NULL, 0) != c) {
				perror("fork_bench");
				return 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[r] = ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / ROUND;
	}
	qsort(us, ROUNDS, sizeof(us[0]), cmp);
	printf("%.1f\n", us[ROUNDS / 2]);
	return 0;
}
