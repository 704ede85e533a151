// SPDX-License-Identifier: GPL-2.0
/*
 * The engine API's contract, through the C test engine: the error codes of attach,
 * set_events and control; REPORT and INTERRUPT; detach with and without a callback in
 * flight, utrace_barrier(), release() exactly once; unloading an engine module and utrace
 * itself while traced tasks hammer system calls.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "linux/utrace.h"

#define NR_BOGUS	1000

static char logbuf[256 * 1024];
static char lines[64][256];

FIXTURE(engine) {
	int dummy;
};

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

FIXTURE_SETUP(engine)
{
	ut_fixture_load(_metadata, modules);
}

FIXTURE_TEARDOWN(engine)
{
	ut_fixture_unload(_metadata, modules);
}

/* How many log lines of @slot start with @what. */
static int count_lines(int slot, const char *what)
{
	int n, c = 0;

	if (ut_log(logbuf, sizeof(logbuf)) < 0)
		return -1;
	n = ut_slot_lines(logbuf, slot, lines, 64);
	for (int i = 0; i < n; i++)
		c += !strncmp(lines[i], what, strlen(what));
	return c;
}

static int scenario_wait_then_exit(struct ut_tracee *t)
{
	return 0;
}

/* A tracee that makes system calls until it is killed. */
static int scenario_storm(struct ut_tracee *t)
{
	for (;;)
		syscall(SYS_getppid);
	return 0;
}

TEST_F(engine, attach_error_codes)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_wait_then_exit));
	/* Lookup without CREATE on a task with no engine. */
	EXPECT_EQ(-ENOENT, ut_cmd("lookup 0 %d", t.pid));
	/* NULL ops, unknown flags, a kernel thread (kthreadd is pid 2). */
	EXPECT_EQ(-EINVAL, ut_cmd("attach_null_ops 0 %d", t.pid));
	EXPECT_EQ(-EINVAL, ut_cmd("attach 0 %d 0x%x", t.pid, UTRACE_ATTACH_CREATE | 0x1000));
	EXPECT_EQ(-EPERM, ut_cmd("attach 0 2"));
	/* EXCLUSIVE with MATCH_OPS: a second engine with the same ops is refused... */
	EXPECT_EQ(0, ut_cmd("attach 0 %d 0x%x", t.pid, UTRACE_ATTACH_CREATE |
			    UTRACE_ATTACH_EXCLUSIVE | UTRACE_ATTACH_MATCH_OPS));
	EXPECT_EQ(-EEXIST, ut_cmd("attach 1 %d 0x%x", t.pid, UTRACE_ATTACH_CREATE |
			     UTRACE_ATTACH_EXCLUSIVE | UTRACE_ATTACH_MATCH_OPS));
	/* ...but EXCLUSIVE with MATCH_DATA only conflicts on the same data (slot). */
	EXPECT_EQ(0, ut_cmd("attach 1 %d 0x%x", t.pid, UTRACE_ATTACH_CREATE |
			    UTRACE_ATTACH_EXCLUSIVE | UTRACE_ATTACH_MATCH_DATA));
	/* A lookup finds slot 0's own engine (the engine checks the pointer). */
	EXPECT_EQ(0, ut_cmd("lookup 0 %d", t.pid));
	EXPECT_EQ(0, ut_cmd("lookup 1 %d", t.pid));
	/* set_events and control refuse bad values. */
	EXPECT_EQ(-EINVAL, ut_cmd("events 0 %lx", UTRACE_EVENT_ALL + 1));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 %d", UTRACE_RESUME_MAX));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 %d", UTRACE_REPORT));	/* no QUIESCE */
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 %d", UTRACE_INTERRUPT));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/* STOP on a thread blocked in read(): it will stop on its way out, unless resumed. */
	EXPECT_EQ(-EINPROGRESS, ut_cmd("control 0 %d", UTRACE_STOP));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/* Stepping, like REPORT, needs QUIESCE (the step is reported through it). */
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 %d", UTRACE_SINGLESTEP));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 %d", UTRACE_BLOCKSTEP));

	/* After the task is dead and reaped, attaching to it (still referenced) is -ESRCH. */
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(REAP)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_TRUE(ut_log_wait_for("reap 0", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(-ESRCH, ut_cmd("attach_task 2 0"));
	/* Engines of a reaped task are detached: control and set_events say -ESRCH. */
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_EQ(-ESRCH, ut_cmd("events 0 %lx", UTRACE_EVENT(EXIT)));
	EXPECT_EQ(-ESRCH, ut_cmd("control 1 %d", UTRACE_DETACH));
	EXPECT_EQ(0, ut_cmd("put 0"));
	EXPECT_EQ(0, ut_cmd("put 1"));
	EXPECT_EQ(1, count_lines(0, "release"));
	EXPECT_EQ(1, count_lines(1, "release"));
}

/*
 * REPORT on a task blocked in read(): no report until the read returns. INTERRUPT: a
 * report_quiesce(0) at once, and the read restarts transparently.
 */
static int pipe_r = -1;

static int scenario_blocking_read(struct ut_tracee *t)
{
	char c;
	ssize_t n = read(pipe_r, &c, 1);

	return n == 1 && c == 'x' ? 0 : 10 + (int)n;
}

TEST_F(engine, report_and_interrupt)
{
	struct ut_tracee t = { 0 };
	int p[2], st;

	ASSERT_EQ(0, pipe(p));
	pipe_r = p[0];
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_blocking_read));
	close(p[0]);
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	/* Wait until the tracee sits in read(pipe_r): /proc/PID/syscall says "0 0x<fd> ...". */
	{
		char path[64], sc[256], want[32];
		int blocked = 0;

		snprintf(path, sizeof(path), "/proc/%d/syscall", t.pid);
		snprintf(want, sizeof(want), "%d 0x%x ", SYS_read, pipe_r);
		for (int i = 0; i < 1000 && !blocked; i++) {
			blocked = ut_read_file(path, sc, sizeof(sc)) > 0 && !strncmp(sc, want, strlen(want));
			usleep(10000);
		}
		ASSERT_TRUE(blocked) TH_LOG("%s: %s", path, sc);
	}
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_INTERRUPT));
	ASSERT_TRUE(ut_log_wait_for("quiesce 0", logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
	snprintf(lines[0], 256, "quiesce 0 %d in=0x5 event=0x0", t.pid);
	EXPECT_TRUE(strstr(logbuf, lines[0]) != NULL) TH_LOG("%s", logbuf);
	/* The interrupted read() restarts and still gets the byte. */
	ASSERT_EQ(1, write(p[1], "x", 1));
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(p[1]);
}

/* Slot @slot's count of syscall callbacks (count-only slots), or -1. */
static long slot_count(int slot)
{
	struct ut_counts c;

	return ut_counts(slot, &c) ? -1 : c.count;
}

/*
 * Start a storming tracee with slot @slot attached for syscall events. @count_only: the
 * slot counts instead of logging (several storms would fill the log).
 */
static void start_storm(struct __test_metadata *_metadata, struct ut_tracee *t, int slot,
			bool count_only)
{
	ASSERT_EQ(0, ut_tracee_start(t, scenario_storm));
	ASSERT_EQ(0, ut_cmd("attach %d %d", slot, t->pid));
	if (count_only)
		ASSERT_EQ(0, ut_cmd("count %d", slot));
	ASSERT_EQ(0, ut_cmd("events %d %lx", slot, UTRACE_EVENT_SYSCALL));
	ut_tracee_go(t);
	if (count_only) {
		int i;

		for (i = 0; i < 1000 && slot_count(slot) <= 0; i++)
			usleep(10000);
		ASSERT_LT(0, slot_count(slot));
		return;
	}
	snprintf(lines[0], 256, "syscall_entry %d", slot);
	ASSERT_TRUE(ut_log_wait_for(lines[0], logbuf, sizeof(logbuf), 10));
}

static void stop_storm(struct ut_tracee *t)
{
	kill(t->pid, SIGKILL);
	ut_tracee_wait(t);
}

static int scenario_block_then_storm(struct ut_tracee *t)
{
	char c;

	if (read(pipe_r, &c, 1) != 1)
		return 1;
	return scenario_storm(t);
}

/* Waits until @pid sits in read(@fd), between its syscall reports. */
static int wait_blocked_in_read(pid_t pid, int fd)
{
	char path[64], sc[256], want[32];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	snprintf(want, sizeof(want), "%d 0x%x ", SYS_read, fd);
	for (int i = 0; i < 1000; i++) {
		if (ut_read_file(path, sc, sizeof(sc)) > 0 && !strncmp(sc, want, strlen(want)))
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Detach with no callback in flight (the task is blocked inside read(), between its entry
 * and exit reports): exactly 0, and no callback after, even once it storms.
 */
TEST_F(engine, detach_idle_then_release_once)
{
	struct ut_tracee t = { 0 };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	pipe_r = p[0];
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_block_then_storm));
	close(p[0]);
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SYSCALL));
	ut_tracee_go(&t);
	ASSERT_TRUE(wait_blocked_in_read(t.pid, pipe_r));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(1, write(p[1], "x", 1));
	close(p[1]);
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_DETACH));
	EXPECT_EQ(-ESRCH, ut_cmd("barrier 0"));
	ASSERT_EQ(0, ut_cmd("clear"));
	usleep(300000);		/* the storm goes on: a window for wrong callbacks to show */
	EXPECT_EQ(0, count_lines(0, ""));
	EXPECT_EQ(0, count_lines(0, "release"));	/* slot 0 still holds its reference */
	EXPECT_EQ(0, ut_cmd("put 0"));
	EXPECT_EQ(1, count_lines(0, "release"));
	stop_storm(&t);
	EXPECT_EQ(1, count_lines(0, "release"));
}

struct barrier_arg {
	int ret;
	atomic_int done;
};

static void *do_barrier(void *arg)
{
	struct barrier_arg *b = arg;

	b->ret = ut_cmd("barrier 0");
	atomic_store(&b->done, 1);
	return NULL;
}

static int scenario_bogus_then_storm(struct ut_tracee *t)
{
	syscall(NR_BOGUS, 1, 2, 3, 4, 5, 6);
	return scenario_storm(t);
}

/*
 * Detach while a callback is in flight (held in the engine's gate): -EINPROGRESS;
 * utrace_barrier() waits for the callback; after it, no callback of the engine runs, and
 * release() comes once, at the engine's own put.
 */
TEST_F(engine, detach_in_flight_then_barrier)
{
	struct ut_tracee t = { 0 };
	struct barrier_arg b = { 0 };
	pthread_t th;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_bogus_then_storm));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SYSCALL));
	ASSERT_EQ(0, ut_cmd("gate 0"));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	/* The first syscall_entry (the bogus syscall's) is now held in the gate. */
	ASSERT_TRUE(ut_log_wait_for("syscall_entry 0", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(-EINPROGRESS, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, pthread_create(&th, NULL, do_barrier, &b));
	usleep(300000);
	EXPECT_EQ(0, atomic_load(&b.done));	/* barrier waits for the gated callback */
	ASSERT_EQ(0, ut_cmd("open 0"));
	pthread_join(th, NULL);
	EXPECT_EQ(-ESRCH, b.ret);		/* detached, and utrace's reference dropped */
	ASSERT_EQ(0, ut_cmd("clear"));
	usleep(300000);
	EXPECT_EQ(0, count_lines(0, ""));
	EXPECT_EQ(0, ut_cmd("put 0"));
	EXPECT_EQ(1, count_lines(0, "release"));
	stop_storm(&t);
}

/* release() once whether the engine's put comes before or after the reap. */
TEST_F(engine, release_once_around_reap)
{
	struct ut_tracee t = { 0 };
	int st;

	/* put before the task dies: the reap drops the last reference. */
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_wait_then_exit));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(REAP)));
	ASSERT_EQ(0, ut_cmd("clear"));
	EXPECT_EQ(0, ut_cmd("put 0"));
	EXPECT_EQ(0, count_lines(0, "release"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_TRUE(ut_log_wait_for("release 0", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(1, count_lines(0, "reap"));
	EXPECT_EQ(1, count_lines(0, "release"));

	/* put after the reap. */
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_wait_then_exit));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(REAP)));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(ut_log_wait_for("reap 1", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(0, count_lines(1, "release"));
	EXPECT_EQ(0, ut_cmd("put 1"));
	EXPECT_EQ(1, count_lines(1, "release"));
}

/*
 * Unloading the engine module, then utrace, while traced tasks storm through system calls:
 * no oops (the host checks the console), and utrace refuses to go while an engine module
 * that uses it is loaded.
 */
TEST(rmmod_under_syscall_storm)
{
	struct ut_tracee t[3];

	memset(t, 0, sizeof(t));
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", ""));
	for (int i = 0; i < 3; i++)
		start_storm(_metadata, &t[i], i, true);
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SYSCALL | UTRACE_EVENT(QUIESCE)));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_REPORT));
	EXPECT_EQ(-EWOULDBLOCK, ut_unload_module("utrace"));
	EXPECT_EQ(0, ut_unload_module("utrace_test_engine"));
	EXPECT_TRUE(ut_wait_no_leak(10));
	EXPECT_EQ(0, ut_unload_module("utrace"));
	for (int i = 0; i < 3; i++)
		stop_storm(&t[i]);
}

/*
 * An engine module that exits without detaching its engines (a bug) while its task storms:
 * utrace's module notifier detaches them and waits for their callbacks, so nothing calls
 * into the freed module; the engines' memory is leaked and utrace says so.
 */
TEST(engine_module_leaving_engines_attached)
{
	struct ut_tracee t = { 0 };
	char state[512];
	int kmsg = ut_kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", "test_leak_engines=1"));
	start_storm(_metadata, &t, 0, true);
	EXPECT_EQ(0, ut_unload_module("utrace_test_engine"));
	EXPECT_TRUE(ut_kmsg_find(kmsg,
		"module \"utrace_test_engine\" went away with 1 engine(s) still attached", NULL, 0));
	usleep(300000);		/* the storm goes on against a freed module's engine */
	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/state", state, sizeof(state)));
	EXPECT_TRUE(strstr(state, "\nengines 1\n") != NULL) TH_LOG("%s", state);
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	EXPECT_EQ(0, ut_unload_module("utrace"));
	close(kmsg);
}

TEST_HARNESS_MAIN
