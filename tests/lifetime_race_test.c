// SPDX-License-Identifier: GPL-2.0
/*
 * Races on lifetimes and contexts (issue 11, section 2), each run in a loop. Where the race
 * window is a few instructions wide, utrace is loaded with its test-only parameters
 * test_delay_mask/test_delay_us, which make it wait at that point (rust/testing.rs): the
 * loop then lands in the window every round instead of once in a thousand, and the
 * assertion is about what must never happen, not about timing.
 *
 *  - attach lookup vs detach + last put: a lookup never hands out a released engine (the
 *    engine's release is called exactly once);
 *  - first attach vs the reap of a short-lived task: the attach fails with -ESRCH or the
 *    REAP comes, and nothing leaks;
 *  - DEATH set from report_signal (atomic context) of a fatal signal: reported, or refused;
 *  - a probe unregistered and needed again from inside report_clone (the tracepoint's SRCU
 *    read section): no hang, and the events take effect before the thread returns to user
 *    mode;
 *  - a probe needed again while the workqueue is unregistering it: it stays registered;
 *  - a register write against SIGKILL: a write that succeeded is what the dying thread has;
 *  - out-of-range actions are refused, not truncated;
 *  - a thread attaching to its sibling while that sibling's privileged exec is between its
 *    decision (sched_prepare_exec) and de_thread(): the engine does not follow the image.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"
#include "utrace_access.h"

static char logbuf[1 << 16];

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

FIXTURE(plain) {
	int dummy;
};
FIXTURE_SETUP(plain) { ut_fixture_load_windowed(_metadata, ""); }
FIXTURE_TEARDOWN(plain) { ut_fixture_unload(_metadata, modules); }

/* The attach lookup waits 100 ms between finding the engine and taking its reference. */
FIXTURE(lookup_window) {
	int dummy;
};
FIXTURE_SETUP(lookup_window)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=1 test_delay_us=100000");
}
FIXTURE_TEARDOWN(lookup_window) { ut_fixture_unload(_metadata, modules); }

/* utrace_attach_task() waits 2 s between entering the task's state and adding the engine. */
FIXTURE(attach_window) {
	int dummy;
};
FIXTURE_SETUP(attach_window)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=2 test_delay_us=2000000");
}

/* utrace's workqueue registers probes 500 ms late. */
FIXTURE(late_probe_work) {
	int dummy;
};
FIXTURE_SETUP(late_probe_work)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=8 test_delay_us=500000");
}
FIXTURE_TEARDOWN(late_probe_work) { ut_fixture_unload(_metadata, modules); }
FIXTURE_TEARDOWN(attach_window) { ut_fixture_unload(_metadata, modules); }

/*
 * The lingering unregistration waits 5 s between finding a probe unneeded and
 * unregistering it.
 */
FIXTURE(unregister_window) {
	int dummy;
};
FIXTURE_SETUP(unregister_window)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=32 test_delay_us=5000000");
}
FIXTURE_TEARDOWN(unregister_window) { ut_fixture_unload(_metadata, modules); }

/* sched_prepare_exec waits 1 s after deciding about a privileged exec. */
FIXTURE(prepare_exec_window) {
	int dummy;
};
FIXTURE_SETUP(prepare_exec_window)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=16 test_delay_us=1000000");
}
FIXTURE_TEARDOWN(prepare_exec_window) { ut_fixture_unload(_metadata, modules); }

/* A register access waits 100 ms between its checks and the access (a write: setreg). */
FIXTURE(regset_window) {
	int dummy;
};
FIXTURE_SETUP(regset_window)
{
	ut_fixture_load_windowed(_metadata, "test_delay_mask=4 test_delay_us=100000");
}
FIXTURE_TEARDOWN(regset_window) { ut_fixture_unload(_metadata, modules); }

static int scenario_getppid_forever(struct ut_tracee *t)
{
	for (;;)
		syscall(SYS_getppid);
	return 0;
}

/* Kills @pid and waits for it (not autoreaped). */
static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * The tracee's callback answers DETACH (held in a gate until the lookup is under way) and
 * the owner has already put its reference, so the detach drops the last one: the engine is
 * released. A lookup racing with it either misses the engine or gets a reference that keeps
 * it alive; it never revives a released one (whose put would call release a second time).
 */
TEST_F_TIMEOUT(lookup_window, lookup_never_revives_a_released_engine, 300)
{
	for (int i = 0; i < 20; i++) {
		struct ut_tracee t = { 0 };
		int st, r, releases;
		pid_t helper;
		long w;

		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_forever));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_DETACH));
		ASSERT_EQ(0, ut_cmd("gate 0"));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
		ut_tracee_go(&t);
		/* The callback is in the gate once its line is logged. */
		ASSERT_TRUE(ut_log_wait_for("syscall_entry 0", logbuf, sizeof(logbuf), 10));
		/* Only the attached reference is left. */
		ASSERT_EQ(0, ut_cmd("put 0"));
		w = ut_windows_entered();
		helper = fork();
		ASSERT_LE(0, helper);
		if (helper == 0)	/* a lookup that matches any engine: -EBADSLT if found */
			_exit(-ut_cmd("lookup 0 %d 0", t.pid));
		/* The lookup found the engine and waits: now the detach drops the last ref. */
		ASSERT_TRUE(ut_window_entered_since(w, 20000));
		ASSERT_EQ(0, ut_cmd("open 0"));
		ASSERT_EQ(helper, waitpid(helper, &st, 0));
		r = -WEXITSTATUS(st);
		ASSERT_EQ(-EBADSLT, r) TH_LOG("lookup: %d", r);
		kill_wait(t.pid);
		close(t.back);
		ASSERT_TRUE(ut_log_wait_for("release 0", logbuf, sizeof(logbuf), 10));
		usleep(100000);	/* a second release would come now */
		ut_log(logbuf, sizeof(logbuf));
		releases = ut_count_containing(logbuf, 0, "release 0 ");
		ASSERT_EQ(1, releases) TH_LOG("round %d, lookup %d:\n%s", i, r, logbuf);
	}
}

static int scenario_exit(struct ut_tracee *t)
{
	return 0;
}

/*
 * The first attach to a task (no other engine anywhere: the reap probe attached engines
 * need was registered with the first engine, after the task's state was entered in the
 * table) while the task exits and is reaped: the attach waits between entering the state
 * and adding the engine, and the tracee is let go to exit then. Either the attach fails
 * with -ESRCH, or the engine gets its REAP; the per-task state never leaks.
 */
TEST_F_TIMEOUT(attach_window, first_attach_vs_reap, 300)
{
	int esrch = 0, reaped = 0;

	signal(SIGCHLD, SIG_IGN);	/* autoreap: the reap follows the exit */
	for (int i = 0; i < 6; i++) {
		struct ut_tracee t = { 0 };
		char want[64];
		pid_t helper;
		int r, hp[2];
		long w;

		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_TRUE(ut_wait_no_leak(10));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_exit));
		ASSERT_EQ(0, pipe(hp));
		w = ut_windows_entered();
		helper = fork();
		ASSERT_LE(0, helper);
		if (helper == 0) {	/* autoreaped too: it reports through the pipe */
			r = ut_cmd("attach 0 %d", t.pid);
			_exit(write(hp[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
		close(hp[1]);
		ASSERT_TRUE(ut_window_entered_since(w, 20000));
		ut_tracee_go(&t);	/* exits, and is reaped, while the attach waits */
		ASSERT_EQ((ssize_t)sizeof(r), read(hp[0], &r, sizeof(r)));
		close(hp[0]);
		if (r == -ESRCH) {
			esrch++;
		} else {
			ASSERT_EQ(0, r);
			/* -ESRCH: reaped (and detached by utrace) before REAP was set. */
			r = ut_cmd("events 0 %lx", UTRACE_EVENT(REAP));
			ASSERT_TRUE(r == 0 || r == -ESRCH) TH_LOG("events: %d", r);
			snprintf(want, sizeof(want), "reap 0 %d", t.pid);
			if (r == 0) {
				ASSERT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10))
					TH_LOG("attached, no REAP:\n%s", logbuf);
			}
			reaped++;
			ASSERT_EQ(0, ut_cmd("put 0"));
		}
		close(t.back);
		EXPECT_TRUE(ut_wait_no_leak(10)) TH_LOG("round %d leaked", i);
	}
	signal(SIGCHLD, SIG_DFL);
	TH_LOG("attach failed with -ESRCH %d times, REAP came %d times", esrch, reaped);
}

/*
 * DEATH set from report_signal (siglock held, interrupts off) for the fatal signal that
 * kills the thread, with no other engine asking for EXIT or DEATH, and utrace's workqueue
 * running late (it registered the exit probe when the need came from an atomic context):
 * utrace_set_events() either returns 0 and report_death comes, or returns an error. Never
 * 0 and no report.
 */
TEST_F_TIMEOUT(late_probe_work, death_set_from_report_signal, 300)
{
	int reported = 0, refused = 0;

	for (int i = 0; i < 20; i++) {
		struct ut_tracee t = { 0 };
		char want[64];
		long ret;
		char *p;

		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_forever));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("sigevents 0 %lx", UTRACE_EVENT(DEATH)));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SIGNAL_ALL));
		ut_tracee_go(&t);
		usleep(i % 4 * 3000);
		kill(t.pid, i % 2 ? SIGKILL : SIGTERM);
		ASSERT_EQ(t.pid, waitpid(t.pid, NULL, 0));
		close(t.back);
		snprintf(want, sizeof(want), "setev 0 %d ret=", t.pid);
		ASSERT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
		p = strstr(logbuf, want);
		ret = strtol(p + strlen(want), NULL, 10);
		snprintf(want, sizeof(want), "death 0 %d ", t.pid);
		if (ret == 0) {
			EXPECT_NE(NULL, strstr(logbuf, want))
				TH_LOG("round %d: DEATH set (0), no report:\n%s", i, logbuf);
			reported++;
		} else {
			EXPECT_TRUE(ret == -EALREADY || ret == -ESRCH) TH_LOG("set_events: %ld", ret);
			refused++;
		}
		ASSERT_EQ(0, ut_cmd("put 0"));
		/* Reaped (a grace period after the wait): no engine left behind at unload. */
		ASSERT_TRUE(ut_wait_no_leak(10));
	}
	TH_LOG("DEATH set and reported %d times, refused %d times", reported, refused);
}

static int scenario_fork_then_getppid(struct ut_tracee *t)
{
	pid_t c = fork();

	if (c == 0)
		_exit(0);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	waitpid(c, NULL, 0);
	return 7;
}

/*
 * From report_clone (inside the task_newtask tracepoint's SRCU read section) the engine
 * detaches the only engine that needed sys_exit, sleeps while utrace's workqueue
 * unregisters the probe (1 -> 0), then sets SYSCALL_EXIT itself (0 -> 1). Registering the
 * probe right there waited for an SRCU grace period that waits for this very thread: the
 * tracee hung in fork(). Now it is registered by the workqueue and by the thread before it
 * returns to user mode: no hang, and the getppid() calls after fork() are reported.
 */
TEST_F_TIMEOUT(plain, probe_needed_again_inside_report_clone, 120)
{
	struct ut_tracee t = { 0 }, other = { 0 };
	char want[64];
	int status;

	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_tracee_start(&other, scenario_getppid_forever));
		ASSERT_EQ(0, ut_cmd("attach 1 %d", other.pid));
		ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SYSCALL_EXIT)));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_fork_then_getppid));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("clone_flip 0 1 %lx", UTRACE_EVENT(SYSCALL_EXIT)));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(CLONE)));
		ut_tracee_go(&t);
		status = ut_tracee_wait(&t);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) TH_LOG("%x", status);
		ut_log(logbuf, sizeof(logbuf));
		snprintf(want, sizeof(want), "setev 0 %d ret=0 ", t.pid);
		ASSERT_NE(NULL, strstr(logbuf, want)) TH_LOG("%s", logbuf);
		snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x5 nr=%d ", t.pid, SYS_getppid);
		EXPECT_NE(NULL, strstr(logbuf, want)) TH_LOG("getppid not reported:\n%s", logbuf);
		ASSERT_EQ(0, ut_cmd("put 0"));
		ASSERT_EQ(0, ut_cmd("put 1"));
		kill_wait(other.pid);
		close(other.back);
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The line of @tp in utrace's debugfs hooks file, into @buf ("" if none). */
static const char *hook_line(const char *tp, char *buf, size_t size)
{
	char *p, *nl;

	buf[0] = 0;
	if (ut_read_file(UTRACE_DEBUGFS "/hooks", buf, size) <= 0)
		return buf;
	for (p = buf; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (!strncmp(p, tp, strlen(tp)) && p[strlen(tp)] == ' ') {
			if (nl)
				*nl = 0;
			return p;
		}
	}
	buf[0] = 0;
	return buf;
}

/*
 * The only engine that needed sys_exit detaches; a second later the workqueue finds the
 * probe unneeded and (window: 5 s) unregisters it. Meanwhile another engine sets
 * SYSCALL_EXIT: utrace_set_events() finds the probe still registered and does not register
 * it. Reading the count only before the window, the workqueue then unregistered it under
 * the new need: the engine's syscall exits were never reported. Now it sees the need.
 */
TEST_F_TIMEOUT(unregister_window, probe_needed_again_while_unregistering, 120)
{
	struct ut_tracee t = { 0 }, other = { 0 };
	char want[64], hooks[4096];
	const char *line;
	long w, t0;
	int r;

	ASSERT_EQ(0, ut_tracee_start(&other, scenario_getppid_forever));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", other.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SYSCALL_EXIT)));
	/* @other stays blocked before its scenario: no callback of slot 1 is running. */
	line = hook_line("sys_exit", hooks, sizeof(hooks));
	ASSERT_NE(NULL, strstr(line, "registered=yes")) TH_LOG("'%s'", line);
	w = ut_windows_entered();
	r = ut_cmd("control 1 %d", UTRACE_DETACH);
	ASSERT_TRUE(r == 0 || r == -EINPROGRESS) TH_LOG("detach: %d", r);
	ASSERT_EQ(0, ut_cmd("put 1"));
	ASSERT_TRUE(ut_window_entered_since(w, 20000));
	t0 = now_ms();
	/* Inside the window: the count is 0, the probe still registered. */
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_forever));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_EXIT)));
	/* Not a timing check: a need that came after the window would not test the race. */
	if (now_ms() - t0 > 4000)
		SKIP(goto out, "the attach took longer than the window");
	sleep(6);	/* the window is over */
	line = hook_line("sys_exit", hooks, sizeof(hooks));
	EXPECT_NE(NULL, strstr(line, "registered=yes")) TH_LOG("'%s'", line);
	ut_tracee_go(&t);
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x5 nr=%d ", t.pid, SYS_getppid);
	EXPECT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
out:
	ASSERT_EQ(0, ut_cmd("put 0"));
	kill_wait(t.pid);
	close(t.back);
	close(other.go);
	kill_wait(other.pid);
	close(other.back);
}

/*
 * A register write (held 100 ms between its checks and the write) against SIGKILL sent at
 * varying points: when the write returns 0, the thread's registers had that value when
 * it died (report_death logs them): SIGKILL does not take the thread out of its stop
 * while an access is in progress.
 */
TEST_F_TIMEOUT(regset_window, regset_write_vs_sigkill, 300)
{
	int written = 0, refused = 0;

	for (int i = 0; i < 16; i++) {
		struct ut_tracee t = { 0 };
		struct ut_counts c;
		long di = 1000 + i, w;
		char want[64];
		pid_t killer;
		int r;
		char *p;

		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_forever));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
		ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("wake 0 1"));
		ASSERT_EQ(0, ut_cmd("deathregs 0 1"));
		ASSERT_EQ(0, ut_cmd("events 0 %lx",
				    UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(DEATH)));
		ASSERT_EQ(0, ut_counts(0, &c));	/* wake-ups are counted per slot, ever */
		ut_tracee_go(&t);
		r = ut_cmd("wait_stop 0 %ld", c.wake_delivered + 1);
		ut_log(logbuf, sizeof(logbuf));
		ASSERT_EQ(0, r) TH_LOG("%s", logbuf);
		w = ut_windows_entered();
		killer = fork();
		ASSERT_LE(0, killer);
		if (killer == 0) {
			/* Odd rounds: while the write waits in its window; even: any time. */
			if (i % 2 && !ut_window_entered_since(w, 20000))
				_exit(1);
			usleep(i % 4 / 2 * 20000);
			kill(t.pid, SIGKILL);
			_exit(0);
		}
		r = ut_cmd("setreg 0 di %ld", di);
		waitpid(killer, NULL, 0);
		ASSERT_EQ(t.pid, waitpid(t.pid, NULL, 0));
		close(t.back);
		snprintf(want, sizeof(want), "regs 0 %d ", t.pid);
		ASSERT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
		p = strstr(strstr(logbuf, want), " di=");
		ASSERT_NE(NULL, p);
		if (r == 0) {
			EXPECT_EQ(di, strtol(p + 4, NULL, 10))
				TH_LOG("round %d: write returned 0, the thread died with:\n%s",
				       i, logbuf);
			written++;
		} else {
			EXPECT_TRUE(r == -EAGAIN || r == -ESRCH) TH_LOG("setreg: %d", r);
			refused++;
		}
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
	TH_LOG("writes done %d times, refused (thread already leaving) %d times", written, refused);
}

/*
 * utrace_control() takes a u32 action: 2^32 + 5 must be refused by the engine's parser,
 * not truncated to UTRACE_RESUME; and every u32 that is not an action is refused by the
 * core.
 */
TEST_F(plain, out_of_range_actions_refused)
{
	struct ut_tracee t = { 0 };

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_forever));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 4294967301"));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 4294967295"));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 7"));
	EXPECT_EQ(-EINVAL, ut_cmd("control 0 -1"));
	EXPECT_EQ(-EINVAL, ut_cmd("ret 0 syscall_entry 100000005"));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, ut_cmd("put 0"));
	kill_wait(t.pid);
	close(t.back);
}

static volatile pid_t exec_tid;
static int exec_go[2];

/* The sibling that execs: the helper, which exits 0 when it has its capabilities. */
static void *exec_thread(void *arg)
{
	char c;

	exec_tid = syscall(SYS_gettid);
	if (read(exec_go[0], &c, 1) != 1)
		return NULL;
	execl(UT_HELPER, "access_euid", NULL);
	return NULL;
}

/*
 * Root without CAP_SYS_PTRACE: its exec regains the capability, a privilege gain, so an
 * engine its threads attach may not follow the new image. One thread execs; while that exec
 * waits in sched_prepare_exec after the decision (the window), another attaches to it with
 * UTRACE_ACCESS_OWN_GROUP (no access check for its own group) and asks for EXEC. The attach
 * must wait for the exec's cred_guard_mutex (and so die in de_thread()) rather than slip in
 * after the decision: the program runs with its capabilities and the engine sees no exec.
 */
TEST_F_TIMEOUT(prepare_exec_window, own_group_attach_during_privileged_exec, 120)
{
	int tidpipe[2], gopipe[2], st = -1;
	pid_t pid, tid = 0;
	char c;

	ASSERT_EQ(0, pipe(tidpipe));
	ASSERT_EQ(0, pipe(gopipe));
	ASSERT_EQ(0, ut_cmd("clear"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t th;
		long before;

		if (ut_become(UT_ROOT_NO_PTRACE) || pipe(exec_go) ||
		    pthread_create(&th, NULL, exec_thread, NULL))
			_exit(90);
		while (!exec_tid)
			usleep(1000);
		tid = exec_tid;
		if (write(tidpipe[1], &tid, sizeof(tid)) != sizeof(tid) ||
		    read(gopipe[0], &c, 1) != 1)
			_exit(91);
		before = ut_windows_entered();
		if (write(exec_go[1], "g", 1) != 1 || !ut_window_entered_since(before, 20000))
			_exit(92);
		if (ut_cmd("attach 0 %d %d", exec_tid,
			   UTRACE_ATTACH_CREATE | UTRACE_ACCESS_OWN_GROUP) == 0)
			ut_cmd("events 0 %lx", UTRACE_EVENT(EXEC));
		/* de_thread() kills this thread; the exec goes on. */
		for (;;)
			pause();
	}
	ASSERT_EQ((ssize_t)sizeof(tid), read(tidpipe[0], &tid, sizeof(tid)));
	/* Root's engine (it stays: CAP_SYS_PTRACE) gives the thread its utrace state. */
	ASSERT_EQ(0, ut_cmd("attach 1 %d", tid));
	ASSERT_EQ(1, write(gopipe[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_TRUE(strstr(logbuf, "\nexec 0 ") == NULL && strncmp(logbuf, "exec 0 ", 7) != 0)
		TH_LOG("the engine followed the privileged exec:\n%s", logbuf);
	ut_cmd("put 0");
	ut_cmd("put 1");
	close(tidpipe[0]);
	close(tidpipe[1]);
	close(gopipe[0]);
	close(gopipe[1]);
}

TEST_HARNESS_MAIN
