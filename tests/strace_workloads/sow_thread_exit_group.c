// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: exit_group() from a thread that is not the main one, while the main
 * thread is inside a write() that cannot complete. The main thread writes 256 KiB into a
 * pipe (more than a pipe holds); the thread reads one byte of it, so it knows the main
 * thread has entered write() and cannot have left it, then calls exit_group(7). No timing.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int p[2];
static char big[256 << 10];

static void *thread_main(void *arg)
{
	char c;

	if (read(p[0], &c, 1) == 1)
		syscall(SYS_exit_group, 7);
	syscall(SYS_exit_group, 8);
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pipe(p) || pthread_create(&t, NULL, thread_main, NULL))
		return 2;
	if (write(p[1], big, sizeof(big)) < 0)
		return 3;
	return 4;
}
