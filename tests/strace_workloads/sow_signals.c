// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: signals with a handler (kill, tgkill, a blocked one delivered when
 * unblocked) and one ignored by its disposition (SIG_IGN): a ptrace tracer sees the ignored
 * one (the kernel queues it for the tracer), utrace cannot (it is dropped when sent).
 */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler(int sig)
{
	char msg[] = "handler NN\n";

	msg[8] = '0' + sig / 10;
	msg[9] = '0' + sig % 10;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(90);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = handler };
	sigset_t set;

	if (sigaction(SIGUSR1, &sa, NULL) || signal(SIGUSR2, SIG_IGN) == SIG_ERR)
		return 2;
	kill(getpid(), SIGUSR1);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	kill(getpid(), SIGUSR2);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (write(1, "signals done\n", 13) != 13)
		return 3;
	return 0;
}
