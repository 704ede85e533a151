// SPDX-License-Identifier: GPL-2.0
/*
 * The stop contract of the original utrace (prior art, section 6A), for what stop_test does
 * not cover: control(STOP) on a stopped thread, detaching a stopped thread, examine on an
 * engine that does not stop and SIGKILL between prepare and finish, UTRACE_REPORT against a
 * blocking syscall (it does not interrupt it), and UTRACE_INTERRUPT against pause(), read()
 * on a pipe and epoll_wait(), compared with what SIGSTOP + SIGCONT does to the same call
 * on an untraced process.
 */
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

static struct ut_shared *sh;
static char logbuf[1 << 16];

FIXTURE(contract) {
	int dummy;
};

FIXTURE_SETUP(contract)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(contract)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

static int scenario_getppid_loop(struct ut_tracee *t)
{
	for (;;) {
		syscall(SYS_getppid);
		sh->progress++;
	}
	return 0;
}

/* Starts the getppid loop with slot 0 attached (@events), and stops it (control STOP). */
static void start_stopped_loop(struct __test_metadata *_metadata, struct ut_tracee *t,
			       unsigned long events)
{
	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", events));
	ut_tracee_go(t);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	/* With QUIESCE, the report before the next syscall event (or the control's) stops. */
	if (events & UTRACE_EVENT(QUIESCE))
		ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_stop_now(0));
	ASSERT_EQ(0, ut_cmd("examine 0"));
}

static void end_tracee(struct ut_tracee *t)
{
	kill(t->pid, SIGKILL);
	ut_tracee_wait(t);
}

/* control(STOP) on a thread already stopped by the engine: 0, and it stays stopped. */
TEST_F(contract, stop_again_on_stopped_thread)
{
	struct ut_tracee t = { 0 };
	long p;

	start_stopped_loop(_metadata, &t, 0);
	p = sh->progress;
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_STOP));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_STOP));
	EXPECT_EQ(0, ut_cmd("examine 0"));
	EXPECT_EQ(p, sh->progress);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	end_tracee(&t);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/*
 * Detaching an engine that stopped the thread (with every event, quiesce answered STOP):
 * 0 at once, the thread goes on, and the engine gets no callback at all afterwards, not
 * even for the syscalls, signal, exit, death and reap that follow.
 */
TEST_F(contract, detach_stopped_thread_no_more_callbacks)
{
	struct ut_tracee t = { 0 };

	start_stopped_loop(_metadata, &t, UT_ALL_EVENTS);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, ut_cmd("clear"));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	end_tracee(&t);
	/* The reap comes a grace period after the wait: the barrier and a deadline cover it. */
	EXPECT_EQ(-ESRCH, ut_cmd("barrier 0"));
	usleep(100000);		/* room for a wrong reap callback; the verdict is the log */
	ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_EQ(0, ut_count_matching(logbuf, 0, "*")) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* prepare_examine with an engine that does not want the thread stopped: -EINVAL. */
TEST_F(contract, examine_by_engine_not_stopping)
{
	struct ut_tracee t = { 0 };

	start_stopped_loop(_metadata, &t, 0);
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	EXPECT_EQ(-EINVAL, ut_cmd("prepare 1"));
	EXPECT_EQ(-EINVAL, ut_cmd("examine 1"));
	EXPECT_EQ(0, ut_cmd("prepare 0"));
	EXPECT_EQ(0, ut_cmd("finish 0"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/* Running, and wanted stopped by nobody. */
	EXPECT_EQ(-EINVAL, ut_cmd("prepare 0"));
	end_tracee(&t);
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_EQ(0, ut_cmd("put 1"));
}

/* Waits until @pid is a zombie, without reaping it. */
static int wait_zombie(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
}

/*
 * SIGKILL between prepare and finish. Without DEATH, finish says -EAGAIN (the thread left
 * its stop: it ran) and a new prepare -ESRCH (a zombie, as in the original, which checked
 * exit_state). With DEATH answered STOP (the engine still wants it stopped), finish says
 * -EAGAIN and prepare -ESRCH (dead). With DEATH
 * answered RESUME, that answer withdrew the engine's stop (any answer but STOP does): both
 * say -EINVAL. Once the zombie is reaped the engine is detached: -ESRCH.
 */
TEST_F(contract, sigkill_between_prepare_and_finish)
{
	static const struct {
		unsigned long events;
		unsigned int death_ret;
		int finish, prepare;
	} v[] = {
		{ 0, UTRACE_RESUME, -EAGAIN, -ESRCH },
		{ UTRACE_EVENT(DEATH), UTRACE_STOP, -EAGAIN, -ESRCH },
		{ UTRACE_EVENT(DEATH), UTRACE_RESUME, -EINVAL, -EINVAL },
	};

	for (int k = 0; k < 3; k++) {
		struct ut_tracee t = { 0 };
		int r = 0;

		ASSERT_EQ(0, ut_cmd("ret 0 death %x", v[k].death_ret));
		start_stopped_loop(_metadata, &t, v[k].events);
		ASSERT_EQ(0, ut_cmd("prepare 0"));
		ASSERT_EQ(0, kill(t.pid, SIGKILL));
		ASSERT_EQ(0, wait_zombie(t.pid));
		EXPECT_EQ(v[k].finish, ut_cmd("finish 0")) TH_LOG("case %d", k);
		EXPECT_EQ(v[k].prepare, ut_cmd("prepare 0")) TH_LOG("case %d", k);
		ut_tracee_wait(&t);
		for (int i = 0; i < 1000 && (r = ut_cmd("finish 0")) != -ESRCH; i++)
			usleep(10000);
		EXPECT_EQ(-ESRCH, r);
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
}

/* The pipe a tracee reads from (read end) and the test writes to. */
static int data_r = -1, data_w = -1;

static int scenario_read_pipe(struct ut_tracee *t)
{
	char c = 0;
	long r;

	ut_report(t, 0);	/* about to block */
	r = read(data_r, &c, 1);

	ut_report(t, r < 0 ? -errno : r);
	ut_report(t, c);
	return 0;
}

static int start_reader(struct ut_tracee *t, int (*fn)(struct ut_tracee *))
{
	int p[2];

	if (pipe(p))
		return -1;
	data_r = p[0];
	if (ut_tracee_start(t, fn))
		return -1;
	close(p[0]);
	data_w = p[1];
	return 0;
}

/* The index of slot 0's first (unstopped) entry of syscall @nr at or after line @from. */
static int entry_index(const char *log, pid_t pid, int from, long nr)
{
	char want[96];

	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%ld ", pid, UTRACE_RESUME,
		 nr);
	return ut_line_index(log, 0, from, want);
}

/* Reads the tracee's "about to block" marker and waits until it blocks in syscall @nr. */
static int blocked_in(struct ut_tracee *t, long nr)
{
	long marker;

	return !ut_read_back(t, &marker) && ut_wait_blocked_in(t->pid, nr);
}

/*
 * UTRACE_REPORT while the thread is blocked in read(): the read is not interrupted. It
 * returns the data written later, and the report_quiesce(0) comes after its exit report.
 */
TEST_F(contract, report_does_not_interrupt_blocking_syscall)
{
	struct ut_tracee t = { 0 };
	char want[96];
	int e, x, q;
	long v, c;

	ASSERT_EQ(0, start_reader(&t, scenario_read_pipe));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT | UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	ASSERT_TRUE(blocked_in(&t, SYS_read));
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_REPORT));
	/* Room for a wrong interruption to show (the verdict is the order, not this wait). */
	usleep(300000);
	EXPECT_EQ('S', ut_proc_state(t.pid));
	ASSERT_EQ(1, write(data_w, "r", 1));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	ASSERT_EQ(0, ut_read_back(&t, &c));
	EXPECT_EQ(1, v);
	EXPECT_EQ('r', c);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	close(data_w);
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%d ret=", t.pid, UTRACE_RESUME,
		 SYS_read);
	x = ut_line_index(logbuf, 0, 0, want);
	snprintf(want, sizeof(want), "quiesce 0 %d in=0x%x event=0x0", t.pid, UTRACE_RESUME);
	q = ut_line_index(logbuf, 0, 0, want);
	/* The first thing after the REPORT is read's exit with the data; then the report. */
	ASSERT_LE(0, x) TH_LOG("log:\n%s", logbuf);
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%d ret=1", t.pid, UTRACE_RESUME,
		 SYS_read);
	EXPECT_EQ(x, ut_line_index(logbuf, 0, 0, want)) TH_LOG("log:\n%s", logbuf);
	EXPECT_LT(x, q) TH_LOG("log:\n%s", logbuf);
	e = entry_index(logbuf, t.pid, 0, SYS_read);
	EXPECT_EQ(-1, e) TH_LOG("read was restarted:\n%s", logbuf);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

static void on_usr1(int sig)
{
}

static int scenario_pause(struct ut_tracee *t)
{
	long r;

	signal(SIGUSR1, on_usr1);
	ut_report(t, 0);
	r = syscall(SYS_pause);
	ut_report(t, r < 0 ? -errno : r);
	return 0;
}

static int scenario_epoll(struct ut_tracee *t)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	long r;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, data_r, &ev))
		return 90;
	ut_report(t, 0);
	r = syscall(SYS_epoll_wait, ep, &out, 1, -1);
	ut_report(t, r < 0 ? -errno : r);
	return 0;
}

enum poke { POKE_INTERRUPT, POKE_STOP_CONT };

/* Interrupts the tracee blocked in syscall @nr: UTRACE_INTERRUPT, or SIGSTOP + SIGCONT. */
static void poke(struct __test_metadata *_metadata, struct ut_tracee *t, long nr, enum poke how)
{
	char want[96];

	ASSERT_TRUE(blocked_in(t, nr));
	if (how == POKE_STOP_CONT) {
		ASSERT_EQ(0, kill(t->pid, SIGSTOP));
		for (int i = 0; i < 1000 && ut_proc_state(t->pid) != 'T'; i++)
			usleep(10000);
		ASSERT_EQ('T', ut_proc_state(t->pid));
		ASSERT_EQ(0, kill(t->pid, SIGCONT));
		return;
	}
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_INTERRUPT));
	/* Prompt: the report comes while the syscall would still be blocked (deadline). */
	snprintf(want, sizeof(want), "quiesce 0 %d in=0x%x event=0x0", t->pid, UTRACE_RESUME);
	ASSERT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
}

static void attach_for_interrupt(struct __test_metadata *_metadata, struct ut_tracee *t,
				 enum poke how)
{
	if (how != POKE_INTERRUPT)
		return;
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT | UTRACE_EVENT(QUIESCE)));
}

/*
 * After the interruption the syscall @nr was restarted (no return to user mode): its
 * exit report shows -@restart_err, then report_quiesce(0), then the same syscall entered
 * again.
 */
static void check_restarted(struct __test_metadata *_metadata, pid_t pid, long nr,
			    int restart_err)
{
	char want[96];
	int x, q, e;

	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%ld ret=%d", pid,
		 UTRACE_RESUME, nr, -restart_err);
	x = ut_line_index(logbuf, 0, 0, want);
	snprintf(want, sizeof(want), "quiesce 0 %d in=0x%x event=0x0", pid, UTRACE_RESUME);
	q = ut_line_index(logbuf, 0, 0, want);
	e = entry_index(logbuf, pid, q < 0 ? 0 : q, nr);
	EXPECT_LE(0, x) TH_LOG("log:\n%s", logbuf);
	EXPECT_LT(x, q) TH_LOG("log:\n%s", logbuf);
	EXPECT_LT(q, e) TH_LOG("log:\n%s", logbuf);
}

#define ERESTARTSYS	512
#define ERESTARTNOHAND	514

/*
 * Lets the tracee (started, with slot 0 attached for UTRACE_INTERRUPT) go, pokes it in the
 * blocking syscall @nr, and checks that the syscall did not return: the tracee is blocked
 * in it again and reported nothing; with UTRACE_INTERRUPT, check_restarted(@restart_err).
 */
static void poke_expect_restart(struct __test_metadata *_metadata, struct ut_tracee *t,
				long nr, int restart_err, enum poke how)
{
	long v;

	attach_for_interrupt(_metadata, t, how);
	ut_tracee_go(t);
	poke(_metadata, t, nr, how);
	ASSERT_TRUE(ut_wait_blocked_in(t->pid, nr));
	EXPECT_EQ(-1, ut_read_back_ms(t, &v, 200));
	if (how == POKE_INTERRUPT)
		check_restarted(_metadata, t->pid, nr, restart_err);
}

/*
 * pause() interrupted: it is restarted transparently (a SIGUSR1 with a handler still ends
 * it with EINTR afterwards), exactly as after SIGSTOP + SIGCONT.
 */
static void pause_case(struct __test_metadata *_metadata, enum poke how)
{
	struct ut_tracee t = { 0 };
	long v;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_pause));
	poke_expect_restart(_metadata, &t, SYS_pause, ERESTARTNOHAND, how);
	ASSERT_EQ(0, kill(t.pid, SIGUSR1));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(-EINTR, v);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	if (how == POKE_INTERRUPT)
		ASSERT_EQ(0, ut_cmd("put 0"));
}

TEST_F(contract, interrupt_pause_restarts)
{
	pause_case(_metadata, POKE_INTERRUPT);
}

TEST_F(contract, sigstop_sigcont_pause_restarts)
{
	pause_case(_metadata, POKE_STOP_CONT);
}

/* read() on a pipe interrupted: restarted; it returns the byte written afterwards. */
static void read_case(struct __test_metadata *_metadata, enum poke how)
{
	struct ut_tracee t = { 0 };
	long v, c;

	ASSERT_EQ(0, start_reader(&t, scenario_read_pipe));
	poke_expect_restart(_metadata, &t, SYS_read, ERESTARTSYS, how);
	ASSERT_EQ(1, write(data_w, "d", 1));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	ASSERT_EQ(0, ut_read_back(&t, &c));
	EXPECT_EQ(1, v);
	EXPECT_EQ('d', c);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	close(data_w);
	if (how == POKE_INTERRUPT)
		ASSERT_EQ(0, ut_cmd("put 0"));
}

TEST_F(contract, interrupt_pipe_read_restarts)
{
	read_case(_metadata, POKE_INTERRUPT);
}

TEST_F(contract, sigstop_sigcont_pipe_read_restarts)
{
	read_case(_metadata, POKE_STOP_CONT);
}

/* epoll_wait() interrupted: not restartable, it returns EINTR. */
static void epoll_case(struct __test_metadata *_metadata, enum poke how)
{
	struct ut_tracee t = { 0 };
	long v;

	ASSERT_EQ(0, start_reader(&t, scenario_epoll));
	attach_for_interrupt(_metadata, &t, how);
	ut_tracee_go(&t);
	poke(_metadata, &t, SYS_epoll_wait, how);
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(-EINTR, v);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	close(data_w);
	if (how == POKE_INTERRUPT)
		ASSERT_EQ(0, ut_cmd("put 0"));
}

TEST_F(contract, interrupt_epoll_wait_eintr)
{
	epoll_case(_metadata, POKE_INTERRUPT);
}

TEST_F(contract, sigstop_sigcont_epoll_wait_eintr)
{
	epoll_case(_metadata, POKE_STOP_CONT);
}

/*
 * UTRACE_INTERRUPT after a UTRACE_REPORT or a UTRACE_STOP that is still pending (neither
 * interrupts a blocking syscall) must still interrupt it: the report comes promptly. With
 * quiesce answering STOP the thread then parks; resumed, its read() restarts and returns
 * the data written afterwards.
 */
TEST_F(contract, interrupt_after_pending_report_or_stop)
{
	for (int stop = 0; stop < 2; stop++) {
		struct ut_tracee t = { 0 };
		char want[96];
		long v, c;

		ASSERT_EQ(0, start_reader(&t, scenario_read_pipe));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT | UTRACE_EVENT(QUIESCE)));
		ut_tracee_go(&t);
		ASSERT_TRUE(blocked_in(&t, SYS_read));
		ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_STOP));
		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(stop ? -EINPROGRESS : 0,
			  ut_cmd("control 0 %d", stop ? UTRACE_STOP : UTRACE_REPORT));
		ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_INTERRUPT));
		snprintf(want, sizeof(want), "quiesce 0 %d in=0x%x event=0x0", t.pid,
			 UTRACE_RESUME);
		EXPECT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10))
			TH_LOG("%s: no prompt report:\n%s", stop ? "STOP" : "REPORT", logbuf);
		EXPECT_EQ(0, ut_cmd_until_ok(10, "examine 0"));
		ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_RESUME));
		ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
		ASSERT_TRUE(ut_wait_blocked_in(t.pid, SYS_read));
		ASSERT_EQ(1, write(data_w, "i", 1));
		ASSERT_EQ(0, ut_read_back(&t, &v));
		ASSERT_EQ(0, ut_read_back(&t, &c));
		EXPECT_EQ(1, v);
		EXPECT_EQ('i', c);
		EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
		close(data_w);
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
}

static int scenario_getppid_once(struct ut_tracee *t)
{
	ut_report(t, syscall(SYS_getppid));
	return 0;
}

/*
 * A wake-up deferred by a callback of an engine detached while the callback ran is
 * delivered before utrace_barrier() returns: after it the engine may free its queue. Slot
 * 0's gated syscall_entry is detached (-EINPROGRESS), then opened: it calls
 * utrace_wake_up(); slot 1 (called after it: entry is reverse attach order) holds the pass
 * in its own gate, so the end of the pass cannot deliver it. Before the fix it was still
 * deferred here, delivered only when the pass ended, after the barrier.
 */
TEST_F(contract, detached_engine_wakeup_delivered_before_barrier)
{
	struct ut_tracee t = { 0 };
	struct ut_counts c = { 0 };
	char want[256];
	int b;
	long v;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_once));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("gate 0"));
	ASSERT_EQ(0, ut_cmd("gate 1"));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_log_wait_for("syscall_entry 0 ", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(-EINPROGRESS, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, ut_cmd("open 0"));
	/* Slot 0's callback returned; the pass now waits in slot 1's gate. */
	ASSERT_TRUE(ut_log_wait_for("syscall_entry 1 ", logbuf, sizeof(logbuf), 10));
	b = ut_cmd("barrier 0");
	EXPECT_TRUE(b == 0 || b == -ESRCH) TH_LOG("barrier %d", b);
	ASSERT_EQ(0, ut_counts(0, &c));
	EXPECT_EQ(1, c.wake_calls);
	EXPECT_EQ(c.wake_calls, c.wake_delivered);
	ASSERT_EQ(0, ut_cmd("open 1"));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(getpid(), v);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	/*
	 * The detached engine's STOP answer does not count: slot 1 was passed RESUME, and
	 * getppid was not stopped and re-run (no resumed entry for it).
	 */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "syscall_entry 1 %d in=0x%x nr=%d *", t.pid, UTRACE_RESUME,
		 SYS_getppid);
	EXPECT_EQ(1, ut_count_matching(logbuf, 1, want)) TH_LOG("log:\n%s", logbuf);
	snprintf(want, sizeof(want), " in=0x%x nr=%d ", UTRACE_RESUME | UTRACE_SYSCALL_RESUMED,
		 SYS_getppid);
	EXPECT_EQ(0, ut_count_containing(logbuf, 1, want)) TH_LOG("log:\n%s", logbuf);
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_EQ(0, ut_cmd("put 1"));
}

TEST_HARNESS_MAIN
