// SPDX-License-Identifier: GPL-2.0
/*
 * harm_launch MODE PROGRAM [ARGS...]: attach a utrace_harm engine of MODE ("follow",
 * "stopall", or "bare" for none) to this thread, then exec PROGRAM. The engine follows
 * every clone of the program and stays through exec (tests/modules/utrace_harm.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s bare|follow|stopall PROGRAM [ARGS...]\n", argv[0]);
		return 127;
	}
	if (strcmp(argv[1], "bare")) {
		int fd = open("/sys/kernel/debug/utrace_harm/self", O_WRONLY);

		if (fd < 0 || write(fd, argv[1], strlen(argv[1])) < 0) {
			perror("harm_launch: attach");
			return 127;
		}
		close(fd);
	}
	execv(argv[2], argv + 2);
	perror("harm_launch: exec");
	return 127;
}
