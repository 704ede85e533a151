// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle's tracee for -p: echoes each line read from stdin as "line N", and exits 5
 * at end of file. Undumpable with the argument "undumpable" (prctl(PR_SET_DUMPABLE, 0)).
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[256], out[64];
	int n = 0, len;

	if (argc > 1 && !strcmp(argv[1], "undumpable") && prctl(PR_SET_DUMPABLE, 0))
		return 2;
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));

		if (r < 0)
			return 3;
		if (r == 0)
			return 5;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n')
				continue;
			len = snprintf(out, sizeof(out), "line %d\n", ++n);
			if (write(1, out, len) != len)
				return 4;
		}
	}
}
