// SPDX-License-Identifier: GPL-2.0
/*
 * syscall_bench: nanoseconds per getppid(), for make bench. Not a test: it prints timings.
 *
 * usage: syscall_bench [--attach-self SLOT]
 *   --attach-self SLOT  first attach the C test engine's slot SLOT to this process in
 *                       count-only mode with syscall entry+exit events, and check after
 *                       the run that it counted two callbacks per call.
 *
 * Prints the median over 9 rounds of ROUND calls each, in ns per call. SYSCALL_BENCH_ROUND
 * in the environment sets another number of calls per round (fewer for the rows under
 * strace, whose two ptrace stops per call would make 900,000 calls take minutes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "linux/utrace.h"
#include "utrace_test_util.h"

#define ROUND	100000
#define ROUNDS	9

static long round_calls(void)
{
	const char *s = getenv("SYSCALL_BENCH_ROUND");
	long n = s ? atol(s) : ROUND;

	return n > 0 ? n : ROUND;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long count_of(int slot)
{
	struct ut_counts c;

	return ut_counts(slot, &c) ? -1 : c.count;
}

int main(int argc, char **argv)
{
	double ns[ROUNDS];
	long calls = round_calls();
	int slot = -1;
	long before = 0;

	if (argc == 3 && !strcmp(argv[1], "--attach-self")) {
		slot = atoi(argv[2]);
		/* Its own thread group: refused unless asked for (the access rules). */
		if (ut_cmd("attach %d %d 0x%x", slot, getpid(),
			   UTRACE_ATTACH_CREATE | UTRACE_ACCESS_OWN_GROUP) ||
		    ut_cmd("count %d", slot) ||
		    ut_cmd("events %d c0", slot)) {
			fprintf(stderr, "syscall_bench: cannot attach the test engine\n");
			return 1;
		}
		before = count_of(slot);
	}
	for (int r = 0; r < ROUNDS; r++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / calls;
	}
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp);
	if (slot >= 0) {
		long counted = count_of(slot) - before;

		/* Every getppid made an entry and an exit callback (plus a few other syscalls). */
		if (counted < 2L * calls * ROUNDS) {
			fprintf(stderr, "syscall_bench: engine counted %ld callbacks, want >= %ld\n",
				counted, 2L * calls * ROUNDS);
			return 1;
		}
		ut_cmd("control %d 6", slot);
		ut_cmd("put %d", slot);
	}
	printf("%.0f\n", ns[ROUNDS / 2]);
	return 0;
}
