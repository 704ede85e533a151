// SPDX-License-Identifier: GPL-2.0
/*
 * Workloads traced by both strace and utrace-strace to compare their output (the strace
 * oracle). strace_work MODE [ARGS]:
 *   norandom CMD [ARGS]  exec CMD with ASLR off (personality ADDR_NO_RANDOMIZE), so that two
 *                        runs print the same addresses; the tracers run under it
 *   asuser UID CMD [ARGS]  exec CMD with real, effective and saved uid and gid UID
 *   forkexec             fork, the child execs "true" (PATH), the parent waits
 *   threads              4 threads, each makes a few syscalls and returns
 *   exitgroup            exit_group(3) from a non-main thread while the others block
 *   handler              SIGUSR1 with a handler, raised
 *   nohandler            SIGCHLD (default: ignored) and SIGTERM (default: kill) to self
 *   restart              read() interrupted by a signal with SA_RESTART, restarted
 *   intr                 pause() and nanosleep() interrupted by a handled signal
 *   execfail             execve of a missing file (ENOENT), then exit 7
 *   sigkill              SIGKILL to self
 *   segv                 a NULL write
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void handler(int sig)
{
}

static void *thread_syscalls(void *arg)
{
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	return NULL;
}

static void *thread_block(void *arg)
{
	if (arg) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		syscall(SYS_exit_group, 3);
	}
	pause();
	return NULL;
}

static void on_usr1(void)
{
	struct sigaction sa = { .sa_handler = handler };

	sigaction(SIGUSR1, &sa, NULL);
}

/* A child that sends SIGUSR1 to its parent after 100 ms, n times. */
static void signal_parent_later(int n)
{
	pid_t parent = getpid();

	if (fork() == 0) {
		for (int i = 0; i < n; i++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			kill(parent, SIGUSR1);
		}
		_exit(0);
	}
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	pthread_t t[4];

	if (!strcmp(m, "norandom") && argc > 2) {
		if (personality(ADDR_NO_RANDOMIZE) < 0)
			perror("personality");
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	if (!strcmp(m, "asuser") && argc > 3) {
		uid_t uid = atoi(argv[2]);

		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
			perror("asuser");
			return 127;
		}
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		return 127;
	}
	if (!strcmp(m, "forkexec")) {
		pid_t pid = fork();

		if (pid == 0) {
			execlp("true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(m, "threads")) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, thread_syscalls, NULL);
		/* Not joined (a join may or may not wait, as the threads run): they are gone. */
		nanosleep(&ts, NULL);
		return 0;
	}
	if (!strcmp(m, "exitgroup")) {
		pthread_create(&t[0], NULL, thread_block, NULL);
		pthread_create(&t[1], NULL, thread_block, (void *)1);
		pause();
		return 0;
	}
	if (!strcmp(m, "handler")) {
		on_usr1();
		raise(SIGUSR1);
		return 0;
	}
	if (!strcmp(m, "nohandler")) {
		kill(getpid(), SIGCHLD);
		kill(getpid(), SIGTERM);
		return 0;
	}
	if (!strcmp(m, "restart")) {
		struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
		int p[2];
		char c;

		sigaction(SIGUSR1, &sa, NULL);
		if (pipe(p) < 0)
			return 1;
		signal_parent_later(1);
		if (fork() == 0) {
			struct timespec ts = { 0, 300 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			_exit(0);
		}
		if (read(p[0], &c, 1) != 1)
			return 1;
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (!strcmp(m, "intr")) {
		struct timespec ts = { 1, 0 };

		on_usr1();
		signal_parent_later(2);
		pause();
		nanosleep(&ts, NULL);
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (!strcmp(m, "execfail")) {
		char *args[] = { "/nonexistent", NULL };

		execve(args[0], args, NULL);
		return 7;
	}
	if (!strcmp(m, "sigkill")) {
		kill(getpid(), SIGKILL);
		return 0;
	}
	if (!strcmp(m, "segv")) {
		*(volatile int *)0 = 1;
		return 0;
	}
	fprintf(stderr, "usage: strace_work MODE (see the source)\n");
	return 2;
}
