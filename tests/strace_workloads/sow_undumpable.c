// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle's tracee for ptrace's per-access rule (oracle.decoded_undumpable), run by a
 * non-root user: the same calls before and after prctl(PR_SET_DUMPABLE, 0). A tracer
 * without CAP_SYS_PTRACE reads no memory of a thread that is no longer dumpable (ptrace's
 * ptracer_access_allowed(), at every access): strace then prints the path and the buffer
 * as addresses, and utrace-strace must too.
 */
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char msg[] = "dumpable\n";

int main(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) < 0 || close(fd))
		return 1;
	if (prctl(PR_SET_DUMPABLE, 0))
		return 2;
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || write(fd, msg, sizeof(msg) - 1) < 0 || close(fd))
		return 3;
	return 0;
}
