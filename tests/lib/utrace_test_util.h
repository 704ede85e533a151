/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest-side tests: loading and unloading modules with exact error
 * codes, reading small files, and watching the kernel log for a message.
 */
#ifndef _UTRACE_TEST_UTIL_H
#define _UTRACE_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
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

static inline int ut_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
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

#endif /* _UTRACE_TEST_UTIL_H */
