// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: system calls interrupted by signals and restarted. The signals come
 * from the test (strace_oracle_test's drive_restart), each sent once this process is asleep
 * in the call, read from /proc/PID/syscall, so the sequence does not depend on timing:
 *  1. read() on an empty pipe, SIGALRM whose SA_RESTART handler writes a byte into the pipe:
 *     ERESTARTSYS, the handler, the read() again, which returns 1;
 *  2. nanosleep() of an hour, SIGSTOP then SIGCONT: ERESTART_RESTARTBLOCK, the stop, then
 *     restart_syscall() (no handler ran);
 *  3. in that restart_syscall(), SIGUSR1 with a handler: it returns EINTR.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>

static int p[2];

static void alrm(int sig)
{
	if (write(p[1], "x", 1) != 1)
		_exit(90);
}

static void usr1(int sig)
{
}

int main(void)
{
	struct sigaction sa = { .sa_handler = alrm, .sa_flags = SA_RESTART };
	struct timespec ts = { .tv_sec = 3600 };
	char c;

	if (pipe(p) || sigaction(SIGALRM, &sa, NULL))
		return 2;
	sa.sa_handler = usr1;
	sa.sa_flags = 0;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	if (read(p[0], &c, 1) != 1)
		return 3;
	if (nanosleep(&ts, NULL) == 0)
		return 4;
	if (write(1, "restart done\n", 13) != 13)
		return 5;
	return 0;
}
