/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest-side tests: loading and unloading modules with exact error
 * codes, reading small files, and watching the kernel log for a message.
 */
#ifndef _UTRACE_TEST_UTIL_H
#define _UTRACE_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where vm-run puts the built modules. */
#define UTRACE_MODDIR "/utrace"
#define UTRACE_DEBUGFS "/sys/kernel/debug/utrace"

/* Load UTRACE_MODDIR/<name>.ko with @params. Returns 0 or -errno. */
static inline int ut_load_module(const char *name, const char *params)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), UTRACE_MODDIR "/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* Unload module @name. Returns 0 or -errno. */
static inline int ut_unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) < 0 ? -errno : 0;
}

static inline int ut_module_loaded(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

/*
 * Forks a child that runs @setup(@arg), tells the parent it is ready, then runs @run(@arg),
 * which never returns. Returns the child's pid once it is ready, or -1 (a child that failed
 * its set-up, whose non-zero return is its exit code, is killed and reaped). The pipe is
 * close-on-exec, and closed in the child before @run.
 */
static inline pid_t ut_fork_ready(int (*setup)(void *arg), void (*run)(void *arg), void *arg)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		int ret = setup ? setup(arg) : 0;

		close(ready[0]);
		if (ret)
			_exit(ret);
		if (write(ready[1], "r", 1) != 1)
			_exit(96);
		close(ready[1]);
		run(arg);
		_exit(97);
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

static inline int ut_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Writes @val to @path (a sysctl, a sysfs file). Returns 0 or -errno. */
static inline int ut_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Read a whole (small) file into @buf, NUL-terminated. Returns the length or -errno.
 */
static inline ssize_t ut_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/*
 * How many times utrace entered a test-widened race window (debugfs state "test_windows",
 * present while the module's test_delay_mask is set, rust/testing.rs), or -1.
 */
static inline long ut_windows_entered(void)
{
	char buf[2048];
	const char *p;

	if (ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "test_windows ");
	return p ? atol(p + strlen("test_windows ")) : -1;
}

/* Waits until a window is entered after @before was read (deadline @ms). Returns 0 or 1. */
static inline int ut_window_entered_since(long before, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (ut_windows_entered() > before)
			return 1;
		usleep(1000);
	}
	return 0;
}

/*
 * Kernel log watching: ut_kmsg_open() returns an fd positioned at the end of /dev/kmsg;
 * ut_kmsg_find() then looks for @needle in the messages logged since, and copies the first
 * matching message text into @line (if not NULL).
 */
static inline int ut_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline int ut_kmsg_find(int fd, const char *needle, char *line, size_t size)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		char *text;

		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records: keep reading */
				continue;
			return 0;		/* EAGAIN: no more records */
		}
		rec[n] = '\0';
		/* "prio,seq,ts,flags;text\n" */
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = '\0';
		if (strstr(text, needle)) {
			if (line)
				snprintf(line, size, "%s", text);
			return 1;
		}
	}
	return 0;
}

/* Count lines in @s. */
static inline int ut_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Driving utrace_test_engine (engines/utrace_test_engine.c) through debugfs.
 */
#define UT_ENGINE_DIR "/sys/kernel/debug/utrace_test"

#define UT_RUST_ENGINE_DIR "/sys/kernel/debug/utrace_rust_test"

static inline int ut_vcmd_dir(const char *dir, const char *fmt, va_list ap)
{
	char cmd[128], path[128];
	int fd, len, ret;

	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	snprintf(path, sizeof(path), "%s/control", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, cmd, len) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* One command to the C test engine. Returns 0 or the command's -errno. */
static inline int ut_cmd(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ut_vcmd_dir(UT_ENGINE_DIR, fmt, ap);
	va_end(ap);
	return ret;
}

/* One command to the Rust test engine (engines/utrace_rust_test.rs). */
static inline int ut_rcmd(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = ut_vcmd_dir(UT_RUST_ENGINE_DIR, fmt, ap);
	va_end(ap);
	return ret;
}

/* The C engine's log: every callback since the last "clear". */
static inline ssize_t ut_log(char *buf, size_t size)
{
	return ut_read_file(UT_ENGINE_DIR "/log", buf, size);
}

/* The Rust engine's log. */
static inline ssize_t ut_rlog(char *buf, size_t size)
{
	return ut_read_file(UT_RUST_ENGINE_DIR "/log", buf, size);
}

/* One slot's line of the C engine's counts file ("S COUNT CALLS DELIVERED"). */
struct ut_counts {
	long count;		/* syscall callbacks of a count-only slot */
	long wake_calls;	/* utrace_wake_up() calls its callbacks made */
	long wake_delivered;	/* wake-ups delivered on its wait queue */
};

/* Reads slot @slot's counters into @c. Returns 0, or -1 if the file or the slot is missing. */
static inline int ut_counts(int slot, struct ut_counts *c)
{
	char buf[512];
	const char *p = buf;
	int s;

	if (ut_read_file(UT_ENGINE_DIR "/counts", buf, sizeof(buf)) <= 0)
		return -1;
	while (sscanf(p, "%d %ld %ld %ld", &s, &c->count, &c->wake_calls,
		      &c->wake_delivered) == 4) {
		if (s == slot)
			return 0;
		p = strchr(p, '\n');
		if (!p++)
			break;
	}
	return -1;
}

/*
 * Copies the log lines of @slot (those whose second word is @slot) into @lines. Returns
 * their number.
 */
static inline int ut_slot_lines(const char *log, int slot, char lines[][256], int max)
{
	int n = 0;

	while (*log && n < max) {
		const char *end = strchr(log, '\n');
		size_t len = end ? (size_t)(end - log) : strlen(log);
		char name[32];
		int s;

		if (sscanf(log, "%31s %d", name, &s) == 2 && s == slot) {
			snprintf(lines[n], 256, "%.*s", (int)len, log);
			n++;
		}
		if (!end)
			break;
		log = end + 1;
	}
	return n;
}

/* Whether @line matches @want: exactly, or as a prefix when @want ends in '*'. */
static inline int ut_line_matches(const char *line, const char *want)
{
	size_t n = strlen(want);

	if (n && want[n - 1] == '*')
		return !strncmp(line, want, n - 1);
	return !strcmp(line, want);
}

/*
 * A tracee: a forked child that waits on a pipe before running its scenario, so that the
 * test can attach and set events first. The scenario's return value is the exit code.
 */
struct ut_tracee {
	pid_t pid;
	int go;		/* write end: one byte starts the scenario */
	int back;	/* read end: what the scenario reports to the test */
	int back_w;	/* the scenario's write end (valid in the child) */
};

static inline int ut_tracee_start(struct ut_tracee *t, int (*fn)(struct ut_tracee *))
{
	int go[2], back[2];
	char c;

	if (pipe(go) || pipe(back))
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		close(go[1]);
		close(back[0]);
		t->back_w = back[1];
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		_exit(fn(t));
	}
	close(go[0]);
	close(back[1]);
	t->go = go[1];
	t->back = back[0];
	return 0;
}

static inline void ut_tracee_go(struct ut_tracee *t)
{
	if (write(t->go, "g", 1) != 1)
		perror("ut_tracee_go");
	close(t->go);
}

/* Waits for the tracee to exit; returns the wait status. */
static inline int ut_tracee_wait(struct ut_tracee *t)
{
	int status = -1;

	waitpid(t->pid, &status, 0);
	close(t->back);
	return status;
}

/* Polls the engine log until @needle appears (a deadline, not a timing check). */
static inline int ut_log_wait_for(const char *needle, char *buf, size_t size, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (ut_log(buf, size) > 0 && strstr(buf, needle))
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Polls utrace's state for up to @seconds until it contains @want, into @buf (the last
 * reading, for the failure message). The engine count is of engines whose memory is not
 * freed yet: a detached engine goes with its task's old engine list, after an RCU grace
 * period, so a count read right after a detach may still include it.
 */
static inline int ut_state_shows(const char *want, char *buf, size_t size, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (ut_read_file(UTRACE_DEBUGFS "/state", buf, size) > 0 && strstr(buf, want))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Polls utrace's state until no per-task state and no engine is left. */
static inline int ut_wait_no_leak(int seconds)
{
	char buf[512];

	for (int i = 0; i < seconds * 100; i++) {
		if (ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)) > 0 &&
		    strstr(buf, "\ntasks 0\n") && strstr(buf, "\nengines 0\n"))
			return 1;
		usleep(10000);
	}
	return 0;
}

#endif /* _UTRACE_TEST_UTIL_H */
