// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: three threads making system calls at the same time. Each thread's
 * own sequence is deterministic: no futex (threads are never joined, so glibc never waits on
 * a tid word nor reuses a stack), no malloc. The main thread learns each tid through a pipe
 * and waits for the thread's exit with poll() on a PIDFD_THREAD pidfd (returns 1 whether or
 * not the thread is already gone).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 3

static int tpipe[NTHREADS][2], gopipe[NTHREADS][2];

static void *thread_main(void *arg)
{
	long i = (long)arg;
	char msg[] = "thread N\n";
	pid_t tid = syscall(SYS_gettid);
	char go;

	if (write(tpipe[i][1], &tid, sizeof(tid)) != sizeof(tid) ||
	    read(gopipe[i][0], &go, 1) != 1)
		syscall(SYS_exit_group, 90);
	msg[7] = '0' + i;
	for (int k = 0; k <= i; k++) {
		syscall(SYS_getppid);
		syscall(SYS_getpid);
	}
	if (write(1, msg, sizeof(msg) - 1) < 0)
		syscall(SYS_exit_group, 91);
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	pid_t tid[NTHREADS];

	for (long i = 0; i < NTHREADS; i++)
		if (pipe(tpipe[i]) || pipe(gopipe[i]))
			return 2;
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)i))
			return 3;
	for (int i = 0; i < NTHREADS; i++) {
		struct pollfd p = { .events = POLLIN };

		if (read(tpipe[i][0], &tid[i], sizeof(tid[i])) != sizeof(tid[i]))
			return 4;
		p.fd = syscall(SYS_pidfd_open, tid[i], O_EXCL /* PIDFD_THREAD */);
		if (p.fd < 0 || write(gopipe[i][1], "g", 1) != 1 || poll(&p, 1, -1) != 1)
			return 5;
	}
	if (write(1, "main done\n", 10) != 10)
		return 6;
	return 0;
}
