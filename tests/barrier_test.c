// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for callbacks, and the test engine's own waits and slots.
 *
 * utrace_barrier() sleeps until the callback in flight ends (it is woken then; it does not
 * poll) and no longer: it is still waiting while the callback runs and returns once it
 * ended; a signal ends the interruptible wait (SIGKILL: the waiter dies at once). The Rust
 * handle's drop waits uninterruptibly: with a signal pending it sleeps, it does not spin.
 *
 * The test engine: kbench gives up (-ETIMEDOUT) when the thread does not stop again, and a
 * killed writer ends it; "attach S" on an occupied slot detaches the engine it replaces; a
 * callback (clone_stop) never replaces an engine in a slot; callbacks filling slots race
 * with commands emptying them without a double put or a leak.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", "utrace_rust_test", NULL };

static struct ut_shared *sh;
static int data_pipe[2];
static char logbuf[1 << 16];

FIXTURE(wait) {
	int dummy;
};

FIXTURE_SETUP(wait)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, pipe(data_pipe));
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_rcmd("clear"));
}

FIXTURE_TEARDOWN(wait)
{
	ut_fixture_unload(_metadata, modules);
	close(data_pipe[0]);
	close(data_pipe[1]);
	munmap(sh, sizeof(*sh));
}

/* getppid() in a loop, counting in sh->progress. */
static int scenario_getppid_loop(struct ut_tracee *t)
{
	for (;;) {
		syscall(SYS_getppid);
		sh->progress++;
	}
	return 0;
}

/* Runs @cmd ("barrier 0", "kbench 0 3", "detach" for the Rust engine) in a child whose
 * exit code is the command's -errno. */
static pid_t cmd_in_child(int rust, const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(-(rust ? ut_rcmd("%s", cmd) : ut_cmd("%s", cmd)));
	return pid;
}

/* Waits @seconds at most for @pid to end; returns its wait status, or -1. */
static int wait_end(pid_t pid, int seconds)
{
	int st;

	for (int i = 0; i < seconds * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	return -1;
}

/* Starts a tracee whose next getppid() entry callback of slot 0 blocks until "open 0". */
static void start_gated(struct __test_metadata *_metadata, struct ut_tracee *t)
{
	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("gate 0"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(t);
	ASSERT_TRUE(ut_log_wait_for("syscall_entry 0", logbuf, sizeof(logbuf), 10));
}

static void end_tracee(struct __test_metadata *_metadata, struct ut_tracee *t, int slot)
{
	int r = ut_cmd("control %d %d", slot, UTRACE_DETACH);

	EXPECT_TRUE(r == 0 || r == -EINPROGRESS) TH_LOG("detach: %d", r);
	EXPECT_EQ(-ESRCH, ut_cmd("barrier %d", slot));
	EXPECT_EQ(0, ut_cmd("put %d", slot));
	kill(t->pid, SIGKILL);
	ut_tracee_wait(t);
}

/*
 * A barrier waits while the callback runs (it must not return early) and returns 0 once it
 * ended.
 */
TEST_F_TIMEOUT(wait, barrier_returns_when_callback_ends, 300)
{
	struct ut_tracee t = { 0 };
	pid_t b;
	int st;

	start_gated(_metadata, &t);
	b = cmd_in_child(0, "barrier 0");
	ASSERT_LT(0, b);
	ASSERT_TRUE(ut_wait_state(b, 'S'));
	/* The callback still runs: the barrier must still wait. */
	usleep(500000);
	EXPECT_EQ(-1, wait_end(b, 0));
	EXPECT_EQ(0, ut_cmd("open 0"));
	st = wait_end(b, 30);
	ASSERT_NE(-1, st);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status 0x%x", st);
	EXPECT_TRUE(ut_progresses(&sh->progress));
	end_tracee(_metadata, &t, 0);
}

/* SIGKILL ends an interruptible barrier wait: the waiter dies while the callback runs. */
TEST_F_TIMEOUT(wait, sigkill_ends_barrier_wait, 300)
{
	struct ut_tracee t = { 0 };
	pid_t b;
	int st;

	start_gated(_metadata, &t);
	b = cmd_in_child(0, "barrier 0");
	ASSERT_LT(0, b);
	ASSERT_TRUE(ut_wait_state(b, 'S'));
	ASSERT_EQ(0, kill(b, SIGKILL));
	st = wait_end(b, 30);
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("0x%x", st);
	/* The callback was still running all along. */
	EXPECT_EQ(0, ut_cmd("open 0"));
	EXPECT_EQ(0, ut_cmd("barrier 0"));
	end_tracee(_metadata, &t, 0);
}

/* A signal with a handler ends it too: the write fails with EINTR (no SA_RESTART). */
static void on_usr1(int sig)
{
}

TEST_F_TIMEOUT(wait, signal_interrupts_barrier_wait, 300)
{
	struct ut_tracee t = { 0 };
	pid_t b;
	int st;

	start_gated(_metadata, &t);
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		sigaction(SIGUSR1, &sa, NULL);
		_exit(-ut_cmd("barrier 0"));
	}
	ASSERT_TRUE(ut_wait_state(b, 'S'));
	ASSERT_EQ(0, kill(b, SIGUSR1));
	st = wait_end(b, 30);
	EXPECT_TRUE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == EINTR) TH_LOG("0x%x", st);
	EXPECT_EQ(0, ut_cmd("open 0"));
	end_tracee(_metadata, &t, 0);
}

/*
 * The Rust handle's drop (detach, barrier, put) with a signal pending: it sleeps
 * uninterruptibly until the callback ends, then returns; it never spins (state R).
 */
TEST_F_TIMEOUT(wait, rust_drop_with_signal_pending_sleeps, 300)
{
	struct ut_tracee t = { 0 };
	int st, running = 0, n = 0;
	char *p;
	pid_t d;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("gate"));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(&t);
	for (int i = 0; i < 1000; i++) {
		if (ut_rlog(logbuf, sizeof(logbuf)) > 0 && strstr(logbuf, "syscall_entry"))
			break;
		usleep(10000);
	}
	d = cmd_in_child(1, "detach");
	ASSERT_LT(0, d);
	ASSERT_TRUE(ut_wait_state(d, 'D'));
	ASSERT_EQ(0, kill(d, SIGKILL));
	for (int i = 0; i < 20; i++) {
		char s = ut_proc_state(d);

		running += s == 'R';
		usleep(50000);
	}
	EXPECT_EQ(0, running) TH_LOG("the dropping thread ran (spun) with SIGKILL pending");
	EXPECT_EQ(-1, wait_end(d, 0));
	ASSERT_EQ(0, ut_rcmd("open"));
	st = wait_end(d, 30);
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("0x%x", st);
	/* The drop completed: released exactly once, nothing attached any more. */
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	for (p = logbuf; (p = strstr(p, "release 0")); p++)
		n++;
	EXPECT_EQ(1, n) TH_LOG("%s", logbuf);
	EXPECT_EQ(-ENOENT, ut_rcmd("detach"));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
}

/* getppid() (stopped there by slot 0), then a read() of data_pipe that never returns. */
static int scenario_stop_once_then_block(struct ut_tracee *t)
{
	long v;

	syscall(SYS_getppid);
	sh->progress++;
	if (read(data_pipe[0], &v, sizeof(v)) < 0)
		return 1;
	return 0;
}

static void start_stopped_once(struct __test_metadata *_metadata, struct ut_tracee *t)
{
	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(t, scenario_stop_once_then_block));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
	ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
}

/* kbench when the thread does not stop again: -ETIMEDOUT, not a wait forever. */
TEST_F_TIMEOUT(wait, kbench_gives_up_when_no_stop_comes, 180)
{
	struct ut_tracee t = { 0 };
	pid_t k;
	int st;

	start_stopped_once(_metadata, &t);
	k = cmd_in_child(0, "kbench 0 3");
	ASSERT_LT(0, k);
	st = wait_end(k, 120);
	ASSERT_NE(-1, st) TH_LOG("kbench still waits");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == ETIMEDOUT) TH_LOG("status 0x%x", st);
	EXPECT_EQ(1, sh->progress);
	end_tracee(_metadata, &t, 0);
}

/* A killed kbench writer ends the benchmark (its kernel thread stops). */
TEST_F_TIMEOUT(wait, killed_kbench_writer_ends_it, 180)
{
	struct ut_tracee t = { 0 };
	pid_t k;
	int st;

	start_stopped_once(_metadata, &t);
	k = cmd_in_child(0, "kbench 0 3");
	ASSERT_LT(0, k);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
	ASSERT_EQ(0, kill(k, SIGKILL));
	st = wait_end(k, 120);
	ASSERT_NE(-1, st) TH_LOG("the killed kbench writer still waits");
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status 0x%x", st);
	/* Commands work again (the control lock is free). */
	EXPECT_EQ(0, ut_cmd("clear"));
	end_tracee(_metadata, &t, 0);
}

/*
 * "attach S" on an occupied slot detaches the engine it replaces: it calls back no more,
 * and no engine is left attached when the slot is emptied.
 */
TEST_F_TIMEOUT(wait, attach_on_occupied_slot_detaches_old_engine, 300)
{
	struct ut_tracee t = { 0 };
	char state[512];
	long p;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_log_wait_for("syscall_entry 0", logbuf, sizeof(logbuf), 10));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("clear"));
	p = sh->progress;
	ASSERT_TRUE(ut_reaches(&sh->progress, p + 100));
	ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_EQ(0, ut_count_containing(logbuf, 0, "syscall_entry")) TH_LOG("%.2000s", logbuf);
	/* The replaced engine's memory goes after an RCU grace period: wait for it. */
	EXPECT_TRUE(ut_state_shows("\nengines 1\n", state, sizeof(state), 20)) TH_LOG("%s", state);
	end_tracee(_metadata, &t, 0);
}

/* Forks one child that exits at once; reports its exit status. */
static int scenario_fork_once(struct ut_tracee *t)
{
	int st = -1;
	pid_t c = fork();

	if (c == 0)
		_exit(7);
	waitpid(c, &st, 0);
	ut_report(t, st);
	return 0;
}

/*
 * clone_stop into an occupied slot: the callback does not replace the engine there (it
 * cannot take the control lock, nor wait for the old engine): the child is not stopped,
 * and slot 1 keeps its engine.
 */
TEST_F_TIMEOUT(wait, callback_does_not_replace_slot, 300)
{
	struct ut_tracee t = { 0 }, other = { 0 };
	char state[512];
	long st = 0;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&other, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", other.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_fork_once));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("clone_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(CLONE)));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_read_back(&t, &st));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7) TH_LOG("child status 0x%lx", st);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	/* Slot 1 still holds the engine on @other. */
	ut_tracee_go(&other);
	EXPECT_TRUE(ut_log_wait_for("syscall_entry 1", logbuf, sizeof(logbuf), 10));
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/state", state, sizeof(state)));
	end_tracee(_metadata, &other, 1);
}

/*
 * Callbacks fill slot 1 (chain, from every armed syscall entry) while commands empty and
 * refill it: no double put, no leak (the fixture checks), no splat (KASAN, refcounts).
 */
TEST_F_TIMEOUT(wait, callbacks_fill_slots_while_commands_empty_them, 300)
{
	struct ut_tracee t = { 0 };

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(&t);
	for (int i = 0; i < 200; i++) {
		int r;

		ASSERT_EQ(0, ut_cmd("chain 0 1"));
		if (i % 3 == 0)
			usleep(i % 7 * 300);
		r = ut_cmd("control 1 %d", UTRACE_DETACH);
		ASSERT_TRUE(r == 0 || r == -EINPROGRESS || r == -ENOENT || r == -ESRCH)
			TH_LOG("detach: %d", r);
		r = ut_cmd("barrier 1");
		ASSERT_TRUE(r == 0 || r == -ESRCH || r == -ENOENT) TH_LOG("barrier: %d", r);
		r = ut_cmd("put 1");
		ASSERT_TRUE(r == 0 || r == -ENOENT) TH_LOG("put: %d", r);
	}
	end_tracee(_metadata, &t, 0);
	ut_cmd("control 1 %d", UTRACE_DETACH);
	ut_cmd("barrier 1");
	ut_cmd("put 1");
}

TEST_HARNESS_MAIN
