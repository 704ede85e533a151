// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle workload: a signal without a handler whose default action kills (SIGTERM),
 * after a write.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	if (write(1, "dying\n", 6) != 6)
		return 2;
	kill(getpid(), SIGTERM);
	return 3;
}
