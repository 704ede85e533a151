// SPDX-License-Identifier: GPL-2.0
/*
 * thread_bench: ns per getppid() when THREADS threads of one process make CALLS calls in
 * all, for make bench (issue 14's rows of a tracer's cost as the traced process grows). Not
 * a test: it prints a timing.
 *
 * usage: thread_bench THREADS CALLS
 *
 * Every thread is created first and waits on a barrier; the clock runs from the first
 * thread's start after the barrier to the last thread's last call, so thread creation (and
 * a tracer's clone work) is not in the figure: only the calls, spread evenly over the
 * threads. Each thread reads its own start: main's clock after the barrier could come
 * after the workers are done (measured: 4 ns per call with 1,000 threads). Prints wall ns
 * per call: on N CPUs the threads run in parallel, so compare rows of the same CPU count.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static pthread_barrier_t start;
static long per_thread;
static struct timespec *starts, *ends;

static void *worker(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&start);
	clock_gettime(CLOCK_MONOTONIC, &starts[i]);
	for (long n = 0; n < per_thread; n++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &ends[i]);
	return NULL;
}

static double ns_of(const struct timespec *t)
{
	return t->tv_sec * 1e9 + t->tv_nsec;
}

int main(int argc, char **argv)
{
	long threads, calls;
	pthread_attr_t attr;
	pthread_t *tids;
	double first = 0, last = 0;

	threads = argc == 3 ? atol(argv[1]) : 0;
	calls = argc == 3 ? atol(argv[2]) : 0;
	if (threads < 1 || calls < threads) {
		fprintf(stderr, "usage: thread_bench THREADS CALLS (CALLS >= THREADS >= 1)\n");
		return 2;
	}
	per_thread = calls / threads;
	tids = calloc(threads, sizeof(*tids));
	starts = calloc(threads, sizeof(*starts));
	ends = calloc(threads, sizeof(*ends));
	if (!tids || !starts || !ends || pthread_barrier_init(&start, NULL, threads + 1))
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN > 65536 ? PTHREAD_STACK_MIN : 65536);
	for (long i = 0; i < threads; i++) {
		if (pthread_create(&tids[i], &attr, worker, (void *)i)) {
			fprintf(stderr, "thread_bench: thread %ld not created\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	for (long i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	for (long i = 0; i < threads; i++) {
		if (!i || ns_of(&starts[i]) < first)
			first = ns_of(&starts[i]);
		if (ns_of(&ends[i]) > last)
			last = ns_of(&ends[i]);
	}
	printf("%.0f\n", (last - first) / (per_thread * threads));
	return 0;
}
