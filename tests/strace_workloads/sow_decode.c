// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle's tracee for the decoded output (oracle.decoded_output): the system calls
 * whose arguments strace decodes by default: paths, written and read buffers (bytes that
 * need escapes, one cut at strace's 32, an empty one), open and mmap flags, modes, stat
 * results (a file, a directory, a character device), access modes, fork's clone, a thread's
 * clone3, a failing execve's argv, paths in pages not mapped yet, an unreadable path. The
 * results are not checked: both tracers see the same ones.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Bytes strace escapes: NUL, controls, DEL, 0xff, quotes, backslash, octal before a digit. */
static void *thread(void *arg)
{
	return arg;
}

static const char bytes[] = "\0\1\2abc\n\x7f\xff\t\"\\z\0017\r\v\f end";

int main(void)
{
	static const char longer[] = "a line longer than thirty-two bytes, to be cut there\n";
	char *argv[] = { "/nonexistent/prog", "one", "an argument longer than thirty-two bytes",
			 "", NULL };
	char buf[256];
	struct stat st;
	sigset_t set;
	pthread_t t;
	pid_t pid;
	void *p;
	int fd;

	fd = openat(AT_FDCWD, "sow_decode.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (write(fd, bytes, sizeof(bytes)) < 0 || write(fd, longer, sizeof(longer) - 1) < 0 ||
	    pwrite(fd, "x", 1, 3) < 0 || write(fd, buf, 0) < 0)
		return 1;
	fstat(fd, &st);
	close(fd);
	fd = open("sow_decode.tmp", O_RDONLY);
	if (read(fd, buf, 5) < 0 || read(fd, buf, sizeof(buf)) < 0 ||
	    read(fd, buf, sizeof(buf)) < 0 || pread(fd, buf, 4, 1) < 0)
		return 1;
	close(fd);
	stat("/dev/null", &st);
	stat("/", &st);
	lstat("/nonexistent", &st);
	fstatat(AT_FDCWD, "sow_decode.tmp", &st, AT_SYMLINK_NOFOLLOW);
	access("/", R_OK | X_OK);
	access("/nonexistent", F_OK);
	if (readlink("/proc/self/exe", buf, sizeof(buf)) < 0)
		return 1;
	mkdir("sow_decode.dir", 0755);
	unlinkat(AT_FDCWD, "sow_decode.dir", AT_REMOVEDIR);
	rename("sow_decode.tmp", "sow_decode.tmp2");
	unlink("sow_decode.tmp2");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	mprotect(p, 4096, PROT_READ);
	munmap(p, 8192);
	/*
	 * fork(): clone's flags, and its child_tidptr printed at the exit. SIGCHLD blocked: the
	 * kernel drops an ignored signal at sending unless the thread is ptraced, so strace
	 * would show one more line (strace_oracle's ignored_signals rule).
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	/* a thread: glibc's clone3, its struct at the entry, parent_tid at the exit */
	if (pthread_create(&t, NULL, thread, NULL) || pthread_join(t, NULL))
		return 1;
	/*
	 * Paths in pages not mapped yet (the tracer reads them before the kernel touches
	 * them): a file's page, in the page cache, and an anonymous page (the zero page).
	 */
	fd = open("sow_decode.path", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "sow_decode.path", 16) != 16)
		return 1;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	access(p, F_OK);
	munmap(p, 4096);
	close(fd);
	unlink("sow_decode.path");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	access(p, F_OK);
	munmap(p, 4096);
	/* an unreadable path: strace prints its address */
	syscall(SYS_openat, AT_FDCWD, (char *)8, O_RDONLY);
	execve(argv[0], argv, environ);
	return 0;
}
