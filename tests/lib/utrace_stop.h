/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the stop tests: a page shared with the tracee (its progress counter), what the
 * tracee reports back through its pipe, stopping a thread through the test engine, and
 * counting log lines. Every wait is a deadline for something that must happen, never a
 * timing verdict. Include after kselftest_harness.h and utrace_fixture.h.
 */
#ifndef _UTRACE_STOP_H
#define _UTRACE_STOP_H

#include <poll.h>
#include <sys/mman.h>

#include "utrace_test_util.h"
#include "linux/utrace.h"

#define UT_ENTRY_EXIT	(UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(SYSCALL_EXIT))
#define UT_ALL_EVENTS	(UTRACE_EVENT_SYSCALL | UTRACE_EVENT(EXIT) | UTRACE_EVENT(DEATH) | \
			 UTRACE_EVENT(REAP) | UTRACE_EVENT(CLONE) | UTRACE_EVENT(EXEC) | \
			 UTRACE_EVENT_SIGNAL_ALL | UTRACE_EVENT(QUIESCE))

/* Shared with the tracee (MAP_SHARED, survives fork; not exec). */
struct ut_shared {
	volatile long progress;
	volatile long value[8];
};

static inline struct ut_shared *ut_shared_map(void)
{
	void *p = mmap(NULL, sizeof(struct ut_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Reads one long the tracee reported, waiting @ms at most. Returns 0 or -1. */
static inline int ut_read_back_ms(struct ut_tracee *t, long *v, int ms)
{
	struct pollfd p = { .fd = t->back, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return read(t->back, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

static inline int ut_read_back(struct ut_tracee *t, long *v)
{
	return ut_read_back_ms(t, v, 20000);
}

/* In the tracee: report one long to the test. */
static inline void ut_report(struct ut_tracee *t, long v)
{
	if (write(t->back_w, &v, sizeof(v)) != sizeof(v))
		_exit(98);
}

/* Whether *@counter changes within 10 s (a deadline). */
static inline int ut_progresses(volatile long *counter)
{
	long start = *counter;

	for (int i = 0; i < 1000; i++) {
		if (*counter != start)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Whether *@counter reaches at least @target within 10 s (a deadline). */
static inline int ut_reaches(volatile long *counter, long target)
{
	for (int i = 0; i < 1000; i++) {
		if (*counter >= target)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* utrace_control(STOP) of @slot until it says the thread is parked (deadline 10 s). */
static inline int ut_stop_now(int slot)
{
	int r = ut_cmd("control %d %d", slot, UTRACE_STOP);

	for (int i = 0; r == -EINPROGRESS && i < 1000; i++) {
		usleep(10000);
		r = ut_cmd("control %d %d", slot, UTRACE_STOP);
	}
	return r;
}

/* Polls the command until it returns 0 (deadline @seconds). Returns the last result. */
#define ut_cmd_until_ok(seconds, ...) ({					\
	int __r = ut_cmd(__VA_ARGS__);						\
	for (int __i = 0; __r && __i < (seconds) * 100; __i++) {		\
		usleep(10000);							\
		__r = ut_cmd(__VA_ARGS__);					\
	}									\
	__r;									\
})

#define UT_MAX_LINES 512

/* Lines of @slot in @log that match @want (exactly, or as a prefix if it ends in '*'). */
static inline int ut_count_matching(const char *log, int slot, const char *want)
{
	static char lines[UT_MAX_LINES][256];
	int n = ut_slot_lines(log, slot, lines, UT_MAX_LINES), c = 0;

	for (int i = 0; i < n; i++)
		c += ut_line_matches(lines[i], want);
	return c;
}

/* Lines of @slot in @log that contain @part. */
static inline int ut_count_containing(const char *log, int slot, const char *part)
{
	static char lines[UT_MAX_LINES][256];
	int n = ut_slot_lines(log, slot, lines, UT_MAX_LINES), c = 0;

	for (int i = 0; i < n; i++)
		c += strstr(lines[i], part) != NULL;
	return c;
}

/* Index of the first line of @slot at or after line @from that contains @part, or -1. */
static inline int ut_line_index(const char *log, int slot, int from, const char *part)
{
	static char lines[UT_MAX_LINES][256];
	int n = ut_slot_lines(log, slot, lines, UT_MAX_LINES);

	for (int i = from; i < n; i++)
		if (strstr(lines[i], part))
			return i;
	return -1;
}

/* All wake-ups utrace_wake_up() was asked for on @slot's queue were delivered (10 s). */
static inline int ut_wakeups_all_delivered(int slot, struct ut_counts *c)
{
	for (int k = 0; k < 1000; k++) {
		if (ut_counts(slot, c))
			return 0;
		if (c->wake_calls == c->wake_delivered)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* The state letter of thread @tid in /proc/TID/stat, or 0. */
static inline char ut_proc_state(pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	if (ut_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits (10 s at most) until /proc shows @tid in state @want. Returns 1, or 0 if not. */
static inline int ut_wait_state(pid_t tid, char want)
{
	for (int i = 0; i < 1000; i++) {
		if (ut_proc_state(tid) == want)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Waits (10 s at most) until @tid sleeps ('S') in syscall @nr (/proc/TID/syscall). */
static inline int ut_wait_blocked_in(pid_t tid, long nr)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	for (int i = 0; i < 1000; i++) {
		if (ut_proc_state(tid) == 'S' && ut_read_file(path, buf, sizeof(buf)) > 0 &&
		    strtol(buf, NULL, 10) == nr && buf[0] != 'r')
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Waits @seconds at most for @pid to end; kills it on timeout. Returns its status or -1. */
static inline int ut_wait_exit(pid_t pid, int seconds)
{
	int st;

	for (int i = 0; i < seconds * 100; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG | __WALL);

		if (r == pid && (WIFEXITED(st) || WIFSIGNALED(st)))
			return st;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
	return -1;
}

/*
 * Whether the parent's waitpid(@want) sees @pid stopped by SIGSTOP (WUNTRACED) or
 * continued (WCONTINUED), within 10 s.
 */
static inline int ut_parent_sees(pid_t pid, int want)
{
	for (int i = 0; i < 1000; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG | want);

		if (r < 0)
			return 0;
		if (r == pid)
			return want == WUNTRACED ? WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP :
						   WIFCONTINUED(st);
		usleep(10000);
	}
	return 0;
}

/*
 * The last "trap 0 ..." line of an engine's @log (both test engines write the same line):
 * its IP, address and si_code. Returns 0 or -1.
 */
static inline int ut_last_trap(const char *log, unsigned long *ip, unsigned long *addr,
			       int *code)
{
	const char *p, *last = NULL;

	for (p = log; (p = strstr(p, "trap 0 ")); p++)
		last = p;
	if (!last)
		return -1;
	last = strstr(last, " ip=");
	return last && sscanf(last, " ip=0x%lx addr=0x%lx code=%d", ip, addr, code) == 3 ? 0 : -1;
}

#endif /* _UTRACE_STOP_H */
