// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_strace_threads: a multi-threaded workload for the utrace_strace checks (run under
 * utrace_strace_dump -f). N threads each make M getppid() calls; then, by MODE:
 *   exit    the main thread joins them and exits 7
 *   group   a non-main thread calls exit_group(9) while the others still run
 *   exec    a non-main thread execs /bin/true (a non-leader exec: it takes the leader's tid)
 * usage: utrace_strace_threads N M MODE
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int calls;
static const char *mode;

static void *worker(void *arg)
{
	long i = (long)arg;

	for (int k = 0; k < calls; k++)
		syscall(SYS_getppid);
	if (i == 1 && !strcmp(mode, "group"))
		syscall(SYS_exit_group, 9);
	if (i == 1 && !strcmp(mode, "exec")) {
		char *argv[] = { "true", NULL };

		execv("/bin/true", argv);
		_exit(126);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[256];

	calls = argc > 2 ? atoi(argv[2]) : 100;
	mode = argc > 3 ? argv[3] : "exit";
	if (n > 256)
		n = 256;
	for (long i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	if (strcmp(mode, "exit"))
		for (;;)
			pause();
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 7;
}
