// SPDX-License-Identifier: GPL-2.0
/*
 * Stop races, run in loops with the timing varied (small sleeps, or waiting for the stop to
 * be committed): SIGKILL against a syscall-entry stop being taken or parked (the syscall
 * must have no side effect, and a requested report_death still arrives), detach against a
 * stop (the thread always goes on; no callback after a successful detach), exec of another
 * thread and exit_group() of another thread while one thread is stopped (no hang, the right
 * outcome), and two engines stopping one thread with RESUMEs in both orders. In every loop
 * each utrace_wake_up() made is delivered, and the fixture checks that nothing leaks.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

static struct ut_shared *sh;
static char logbuf[1 << 16];

/*
 * The loops take 5-15 s each under TCG on the bench kernel, and up to minutes on the debug
 * kernel (KASAN, lockdep) on a loaded host; the harness's default of 30 s per test would
 * make that look like a hang. 900 s is the deadline for a real one.
 */

FIXTURE(srace) {
	int dummy;
};

FIXTURE_SETUP(srace)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(srace)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* Waits for @pid with a deadline of 20 s; kills it if it is still there. -1 on timeout. */
static int wait_deadline(pid_t pid, int *status)
{
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

/* The write end of the data pipe the tracee writes one byte to. */
static int data_w = -1;

static int scenario_write_byte(struct ut_tracee *t)
{
	long r = write(data_w, "x", 1);

	ut_report(t, r < 0 ? -errno : r);
	return 0;
}

/*
 * SIGKILL while a syscall-entry stop of write() is being taken or while it is parked: the
 * write never happens (the pipe stays empty), the tracee dies of SIGKILL, and the
 * report_death the engine asked for arrives, once.
 */
TEST_F_TIMEOUT(srace, sigkill_vs_entry_stop_no_side_effect, 900)
{
	int parked = 0;

	for (int i = 0; i < 90; i++) {
		struct ut_tracee t = { 0 };
		char want[128], c;
		int data[2], status = 0;
		struct ut_counts before;

		ASSERT_EQ(0, pipe(data));
		data_w = data[1];
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_write_byte));
		close(data[1]);
		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_write));
		ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("wake 0 1"));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT | UTRACE_EVENT(DEATH)));
		ASSERT_EQ(0, ut_counts(0, &before));
		ut_tracee_go(&t);
		switch (i % 3) {
		case 0:		/* parked: the entry callback's wake-up comes with the stop */
			ASSERT_EQ(0, ut_cmd("wait_stop 0 %ld", before.wake_delivered + 1));
			parked++;
			break;
		case 1:		/* while the stop is being taken (or before) */
			usleep(i % 7 * 150);
			break;
		default:	/* at once */
			break;
		}
		ASSERT_EQ(0, kill(t.pid, SIGKILL));
		ASSERT_EQ(0, wait_deadline(t.pid, &status));
		close(t.back);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: status %x", i, status);
		/* No writer is left: 0 (EOF) if nothing was written, 1 if the write ran. */
		EXPECT_EQ(0, read(data[0], &c, 1)) TH_LOG("round %d: the write ran", i);
		close(data[0]);
		ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
		snprintf(want, sizeof(want), "death 0 %d group_dead=1 signal=%d", t.pid, SIGCHLD);
		EXPECT_EQ(1, ut_count_matching(logbuf, 0, want)) TH_LOG("round %d:\n%s", i, logbuf);
		snprintf(want, sizeof(want), " nr=%d ret=", SYS_write);
		EXPECT_EQ(0, ut_count_containing(logbuf, 0, want)) TH_LOG("round %d:\n%s", i, logbuf);
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
	TH_LOG("%d of the kills hit a parked thread", parked);
}

/* getppid() in a loop, counting in the shared page. */
static int scenario_getppid_loop(struct ut_tracee *t)
{
	for (;;) {
		syscall(SYS_getppid);
		sh->progress++;
	}
	return 0;
}

/*
 * Detach against a syscall-entry stop being taken or parked, with and without a second
 * (passive) engine keeping the task traced: the detach returns 0 (or -EINPROGRESS and the
 * barrier then completes it), the thread always goes on, and the detached engine gets no
 * callback afterwards.
 */
TEST_F_TIMEOUT(srace, detach_vs_stop, 900)
{
	int outcome[2] = { 0 };
	struct ut_counts c;

	for (int i = 0; i < 80; i++) {
		struct ut_tracee t = { 0 };
		int r, b, passive = i % 2;

		sh->progress = 0;
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
		ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("wake 0 1"));
		/*
		 * Every event but QUIESCE: a quiesce report and the event's callback call
		 * utrace_wake_up() in the same pass, which delivers one wake-up for both, and
		 * the count check at the end compares calls with deliveries.
		 */
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ALL_EVENTS & ~UTRACE_EVENT(QUIESCE)));
		if (passive) {
			ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
			ASSERT_EQ(0, ut_cmd("events 1 %lx", UT_ENTRY_EXIT));
		}
		ut_tracee_go(&t);
		if (i % 4 < 2) {
			ASSERT_EQ(0, ut_cmd_until_ok(10, "examine 0"));
			/* Parked, not in a callback: the detach is complete at once. */
			r = ut_cmd("control 0 %d", UTRACE_DETACH);
			EXPECT_EQ(0, r) TH_LOG("round %d", i);
		} else {
			usleep(i % 9 * 200);
			r = ut_cmd("control 0 %d", UTRACE_DETACH);
			ASSERT_TRUE(r == 0 || r == -EINPROGRESS) TH_LOG("round %d: detach %d", i, r);
		}
		outcome[r != 0]++;
		b = ut_cmd("barrier 0");
		ASSERT_TRUE(b == 0 || b == -ESRCH) TH_LOG("round %d: barrier %d", i, b);
		/* From here on, not one callback of slot 0. */
		ASSERT_EQ(0, ut_cmd("clear"));
		EXPECT_TRUE(ut_progresses(&sh->progress)) TH_LOG("round %d: still stopped", i);
		kill(t.pid, SIGKILL);
		ut_tracee_wait(&t);
		ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
		EXPECT_EQ(0, ut_count_matching(logbuf, 0, "*")) TH_LOG("round %d:\n%s", i, logbuf);
		if (passive) {
			EXPECT_LT(0, ut_count_matching(logbuf, 1, "syscall_entry *"));
			/* -ESRCH once the reap (a grace period after the wait) detached it. */
			r = ut_cmd("control 1 %d", UTRACE_DETACH);
			ASSERT_TRUE(r == 0 || r == -ESRCH) TH_LOG("round %d: detach 1 %d", i, r);
			ut_cmd("barrier 1");
			ASSERT_EQ(0, ut_cmd("put 1"));
		}
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
	EXPECT_TRUE(ut_wakeups_all_delivered(0, &c))
		TH_LOG("%ld wake-ups made, %ld delivered", c.wake_calls, c.wake_delivered);
	TH_LOG("detach: 0 %d times, -EINPROGRESS %d", outcome[0], outcome[1]);
}

/* The read end of the pipe that tells the tracee to exec or exit. */
static int act_r = -1;
static int act_code;

static void wait_act(void)
{
	char c;

	if (read(act_r, &c, 1) != 1)
		_exit(97);
}

static void *spin_thread(void *arg)
{
	ut_report(arg, syscall(SYS_gettid));
	for (;;) {
		syscall(SYS_getppid);
		sh->progress++;
	}
	return NULL;
}

static void do_act(int exec)
{
	char cmd[32];

	if (!exec)
		syscall(SYS_exit_group, act_code);
	snprintf(cmd, sizeof(cmd), "exit %d", act_code);
	execl("/bin/busybox", "sh", "-c", cmd, (char *)NULL);
	_exit(96);
}

static void *act_thread(void *arg)
{
	wait_act();
	do_act((long)arg);
	return NULL;
}

/* A second thread spins (and gets stopped); the leader execs or exits when told. */
static int scenario_thread_spins_leader_acts(struct ut_tracee *t, int exec)
{
	pthread_t th;

	if (pthread_create(&th, NULL, spin_thread, t))
		return 95;
	wait_act();
	do_act(exec);
	return 94;
}

static int scenario_thread_spins_leader_execs(struct ut_tracee *t)
{
	return scenario_thread_spins_leader_acts(t, 1);
}

static int scenario_thread_spins_leader_exits(struct ut_tracee *t)
{
	return scenario_thread_spins_leader_acts(t, 0);
}

/* The leader spins (and gets stopped); a second thread execs or exits when told. */
static int scenario_leader_spins_thread_acts(struct ut_tracee *t, long exec)
{
	pthread_t th;

	if (pthread_create(&th, NULL, act_thread, (void *)exec))
		return 95;
	spin_thread(t);
	return 94;
}

static int scenario_leader_spins_thread_execs(struct ut_tracee *t)
{
	return scenario_leader_spins_thread_acts(t, 1);
}

static int scenario_leader_spins_thread_exits(struct ut_tracee *t)
{
	return scenario_leader_spins_thread_acts(t, 0);
}

/*
 * One thread of a two-thread process is stopped (at getppid's entry: parked, or with the
 * stop still being taken) while the other one execs a program that exits with a known
 * code, or calls exit_group(code). The stopped thread is killed by de_thread() or by the
 * group exit; the exec completes (nothing hangs) and the process exits with the code.
 */
static void stop_vs_other_thread(struct __test_metadata *_metadata, int exec)
{
	struct ut_counts c;
	int parked = 0;

	for (int i = 0; i < 40; i++) {
		int leader_stopped = i % 2, act[2], status = 0, r;
		int (*fn)(struct ut_tracee *t);
		struct ut_tracee t = { 0 };
		long tid;

		act_code = 10 + i;
		ASSERT_EQ(0, pipe(act));
		act_r = act[0];
		if (exec)
			fn = leader_stopped ? scenario_leader_spins_thread_execs :
					      scenario_thread_spins_leader_execs;
		else
			fn = leader_stopped ? scenario_leader_spins_thread_exits :
					      scenario_thread_spins_leader_exits;
		ASSERT_EQ(0, ut_tracee_start(&t, fn));
		close(act[0]);
		ut_tracee_go(&t);
		ASSERT_EQ(0, ut_read_back(&t, &tid));
		ASSERT_EQ(0, ut_cmd("attach 0 %ld", tid));
		ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
		ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("wake 0 1"));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT | UTRACE_EVENT(DEATH)));
		if (i % 4 < 2) {
			ASSERT_EQ(0, ut_cmd_until_ok(10, "examine 0"));
			parked++;
		} else {
			usleep(i % 5 * 300);
		}
		ASSERT_EQ(1, write(act[1], "a", 1));
		close(act[1]);
		ASSERT_EQ(0, wait_deadline(t.pid, &status)) TH_LOG("round %d: hangs", i);
		close(t.back);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == act_code)
			TH_LOG("round %d (%s stopped): status %x", i,
			       leader_stopped ? "leader" : "thread", status);
		/* The stopped thread died without returning from its getppid(). */
		ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
		EXPECT_EQ(0, ut_count_containing(logbuf, 0, "in=0x105 ")) TH_LOG("%s", logbuf);
		r = ut_cmd("barrier 0");
		ASSERT_TRUE(r == 0 || r == -ESRCH) TH_LOG("round %d: barrier %d", i, r);
		ASSERT_EQ(0, ut_cmd("put 0"));
		ASSERT_EQ(0, ut_cmd("clear"));
	}
	EXPECT_TRUE(ut_wakeups_all_delivered(0, &c))
		TH_LOG("%ld wake-ups made, %ld delivered", c.wake_calls, c.wake_delivered);
	TH_LOG("%d rounds with the thread parked", parked);
}

TEST_F_TIMEOUT(srace, stop_vs_exec_of_other_thread, 900)
{
	stop_vs_other_thread(_metadata, 1);
}

TEST_F_TIMEOUT(srace, stop_vs_group_exit_of_other_thread, 900)
{
	stop_vs_other_thread(_metadata, 0);
}

/*
 * Two engines stop one thread at every getppid() entry; each round lets it go with the two
 * RESUMEs in alternating order, with varied pauses. After the first RESUME the thread is
 * still parked for the other engine and has run no user instruction; after the second it
 * runs to its next getppid() and stops again.
 */
TEST_F_TIMEOUT(srace, two_engines_resume_in_both_orders, 900)
{
	struct ut_tracee t = { 0 };
	struct ut_counts c;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	for (int s = 0; s < 2; s++) {
		ASSERT_EQ(0, ut_cmd("attach %d %d", s, t.pid));
		ASSERT_EQ(0, ut_cmd("only_nr %d %d", s, SYS_getppid));
		ASSERT_EQ(0, ut_cmd("ret %d syscall_entry %x", s, UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("events %d %lx", s, UTRACE_EVENT(SYSCALL_ENTRY)));
	}
	/* Slot 0 wakes the test once per stop (the re-run entry does not wake). */
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ut_tracee_go(&t);
	for (int i = 1; i <= 100; i++) {
		int first = i % 2, second = !first;

		ASSERT_EQ(0, ut_cmd("wait_stop 0 %d", i)) TH_LOG("round %d", i);
		ASSERT_EQ(0, ut_cmd("examine 1")) TH_LOG("round %d", i);
		ASSERT_EQ(i - 1, sh->progress);
		usleep(i % 4 * 300);
		ASSERT_EQ(0, ut_cmd("control %d %d", first, UTRACE_RESUME));
		usleep(i % 3 * 200);
		/* Still parked for the other engine, which the first one no longer is. */
		ASSERT_EQ(0, ut_cmd("examine %d", second)) TH_LOG("round %d", i);
		ASSERT_EQ(-EINVAL, ut_cmd("examine %d", first)) TH_LOG("round %d", i);
		ASSERT_EQ(i - 1, sh->progress) TH_LOG("round %d: ran while stopped", i);
		ASSERT_EQ(0, ut_cmd("control %d %d", second, UTRACE_RESUME));
	}
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	EXPECT_TRUE(ut_wakeups_all_delivered(0, &c))
		TH_LOG("%ld wake-ups made, %ld delivered", c.wake_calls, c.wake_delivered);
	for (int s = 0; s < 2; s++) {
		ut_cmd("control %d %d", s, UTRACE_DETACH);
		ut_cmd("barrier %d", s);
		ASSERT_EQ(0, ut_cmd("put %d", s));
	}
}

TEST_HARNESS_MAIN
