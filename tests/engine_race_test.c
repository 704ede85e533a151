// SPDX-License-Identifier: GPL-2.0
/*
 * Races, run in loops: detach, set_events and barrier against a tracee that is making
 * callbacks, exiting, dying and being reaped (children are autoreaped: SIGCHLD is ignored,
 * so the reap happens at exit, on the tracee's side). Every answer must be one the API
 * documents for that race, nothing may hang, nothing may leak (the fixture checks), and the
 * console must stay clean (the host checks: lockdep, list debugging, atomic-sleep are on).
 */
#include <signal.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "linux/utrace.h"

#define ROUNDS 150

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

FIXTURE(race) {
	int dummy;
};

FIXTURE_SETUP(race)
{
	ut_fixture_load(_metadata, modules);
	signal(SIGCHLD, SIG_IGN);	/* autoreap: reap races with the test's commands */
}

FIXTURE_TEARDOWN(race)
{
	signal(SIGCHLD, SIG_DFL);
	ut_fixture_unload(_metadata, modules);
}

static int scenario_few_syscalls_then_exit(struct ut_tracee *t)
{
	for (int i = 0; i < 20; i++)
		syscall(SYS_getppid);
	return 0;
}

#define ALL_EVENTS (UTRACE_EVENT_SYSCALL | UTRACE_EVENT(EXIT) | UTRACE_EVENT(DEATH) | \
		    UTRACE_EVENT(REAP) | UTRACE_EVENT(CLONE) | UTRACE_EVENT(EXEC) | \
		    UTRACE_EVENT_SIGNAL_ALL | UTRACE_EVENT(QUIESCE))

/*
 * Detach while the tracee runs into exit: 0 (detached between callbacks), -EINPROGRESS (a
 * callback was running, report_death included; then barrier), or -ESRCH (already reaped,
 * engine detached by utrace). Never -EALREADY: the engine never outlives the barrier.
 */
TEST_F_TIMEOUT(race, detach_vs_syscalls_exit_and_reap, 900)
{
	int outcome[3] = { 0 };

	for (int i = 0; i < ROUNDS; i++) {
		struct ut_tracee t = { 0 };
		int slot = i % 4, r, b;

		ASSERT_EQ(0, ut_tracee_start(&t, scenario_few_syscalls_then_exit));
		ASSERT_EQ(0, ut_cmd("attach %d %d", slot, t.pid));
		ASSERT_EQ(0, ut_cmd("events %d %lx", slot, ALL_EVENTS));
		ut_tracee_go(&t);
		usleep(i % 10 * 5000);	/* 0 to 45 ms: before, during and after exit and reap */
		r = ut_cmd("control %d %d", slot, UTRACE_DETACH);
		ASSERT_TRUE(r == 0 || r == -EINPROGRESS || r == -ESRCH) TH_LOG("detach: %d", r);
		outcome[r == 0 ? 0 : r == -EINPROGRESS ? 1 : 2]++;
		b = ut_cmd("barrier %d", slot);
		ASSERT_TRUE(b == 0 || b == -ESRCH) TH_LOG("barrier: %d", b);
		/* After the barrier the engine is fully detached: only -ESRCH. */
		EXPECT_EQ(-ESRCH, ut_cmd("control %d %d", slot, UTRACE_RESUME));
		ASSERT_EQ(0, ut_cmd("put %d", slot));
		close(t.back);
	}
	TH_LOG("detach returned 0 %d times, -EINPROGRESS %d, -ESRCH %d",
	       outcome[0], outcome[1], outcome[2]);
}

/* Flip events on and off while the tracee runs and exits: every answer is documented. */
TEST_F_TIMEOUT(race, set_events_vs_exit_and_reap, 900)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct ut_tracee t = { 0 };
		int slot = i % 4, r = 0;

		ASSERT_EQ(0, ut_tracee_start(&t, scenario_few_syscalls_then_exit));
		ASSERT_EQ(0, ut_cmd("attach %d %d", slot, t.pid));
		ut_tracee_go(&t);
		for (int j = 0; j < 8 && r != -ESRCH; j++) {
			r = ut_cmd("events %d %lx", slot, j % 2 ? ALL_EVENTS : 0UL);
			ASSERT_TRUE(r == 0 || r == -EINPROGRESS || r == -ESRCH || r == -EALREADY)
				TH_LOG("set_events: %d", r);
		}
		ut_cmd("control %d %d", slot, UTRACE_DETACH);
		r = ut_cmd("barrier %d", slot);
		ASSERT_TRUE(r == 0 || r == -ESRCH) TH_LOG("barrier: %d", r);
		ASSERT_EQ(0, ut_cmd("put %d", slot));
		close(t.back);
	}
}

/* Two engines on one tracee detached at once, while it exits, from two processes. */
TEST_F_TIMEOUT(race, two_detachers_vs_exit, 900)
{
	for (int i = 0; i < ROUNDS / 3; i++) {
		struct ut_tracee t = { 0 };
		int hp[2], hr = 1, st;
		pid_t helper;

		ASSERT_EQ(0, ut_tracee_start(&t, scenario_few_syscalls_then_exit));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", ALL_EVENTS));
		ASSERT_EQ(0, ut_cmd("events 1 %lx", ALL_EVENTS));
		ASSERT_EQ(0, pipe(hp));
		ut_tracee_go(&t);
		helper = fork();
		ASSERT_LE(0, helper);
		if (helper == 0) {
			int r = ut_cmd("control 1 %d", UTRACE_DETACH);

			_exit(write(hp[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
		close(hp[1]);
		st = ut_cmd("control 0 %d", UTRACE_DETACH);
		ASSERT_TRUE(st == 0 || st == -EINPROGRESS || st == -ESRCH)
			TH_LOG("detach: %d", st);
		/* Autoreaped (SIGCHLD ignored): the helper reports through the pipe. */
		ASSERT_EQ((ssize_t)sizeof(hr), read(hp[0], &hr, sizeof(hr)));
		close(hp[0]);
		EXPECT_TRUE(hr == 0 || hr == -EINPROGRESS || hr == -ESRCH)
			TH_LOG("detach 1: %d", hr);
		for (int s = 0; s < 2; s++) {
			int b = ut_cmd("barrier %d", s);

			ASSERT_TRUE(b == 0 || b == -ESRCH) TH_LOG("barrier %d: %d", s, b);
			ASSERT_EQ(0, ut_cmd("put %d", s));
		}
		close(t.back);
	}
}

TEST_HARNESS_MAIN
