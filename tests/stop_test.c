// SPDX-License-Identifier: GPL-2.0
/*
 * Stopping and resuming: UTRACE_STOP from a callback and from utrace_control(), the
 * syscall-entry stop that skips the syscall and re-runs it (UTRACE_SYSCALL_RESUMED, no
 * phantom exit), syscall abort and changed registers while stopped, the syscall-exit stop,
 * SIGKILL, detach and two engines, signals during a stop, examine, utrace_wake_up(), and
 * unloading an engine module with a stopped thread. Timing never decides a verdict: every
 * wait is a deadline for something that must happen.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

/* Shared with the tracee: progress is its progress counter, value[0] its handler's count. */
static struct ut_shared *sh;
static char logbuf[1 << 16];

FIXTURE(stop) {
	int dummy;
};

FIXTURE_SETUP(stop)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(stop)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* One getppid(), its result (or -errno) reported to the test. */
static int scenario_getppid(struct ut_tracee *t)
{
	long r = syscall(SYS_getppid);

	ut_report(t, r == -1 ? -errno : r);
	return 0;
}

static void on_usr1(int sig)
{
	sh->value[0]++;
}

/* As scenario_getppid, with a SIGUSR1 handler; also reports the handler's count. */
static int scenario_getppid_handler(struct ut_tracee *t)
{
	long r;

	signal(SIGUSR1, on_usr1);
	r = syscall(SYS_getppid);
	ut_report(t, r == -1 ? -errno : r);
	ut_report(t, sh->value[0]);
	return 0;
}

/* Spins in user mode, counting, until killed. */
static int scenario_spin(struct ut_tracee *t)
{
	for (;;)
		sh->progress++;
	return 0;
}

/* Start a spinning tracee with slot 0 attached, and stop it (asserts on failure). */
static void start_stopped_spinner(struct __test_metadata *_metadata, struct ut_tracee *t)
{
	ASSERT_EQ(0, ut_tracee_start(t, scenario_spin));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ut_tracee_go(t);
	ASSERT_EQ(0, ut_stop_now(0));
}

/* Attach slot 0 to @t, stopping at getppid's entry (and @exit_stop: at its exit). */
static void setup_getppid_stop(struct __test_metadata *_metadata, struct ut_tracee *t,
			       int (*fn)(struct ut_tracee *), int exit_stop)
{
	ASSERT_EQ(0, ut_tracee_start(t, fn));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
	ASSERT_EQ(0, ut_cmd("ret 0 %s %x", exit_stop ? "syscall_exit" : "syscall_entry",
			    UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UT_ENTRY_EXIT));
	ut_tracee_go(t);
}

/*
 * Stop at syscall entry: the woken tracer finds the thread stopped (utrace_wake_up waited
 * for the stop), sees the syscall-entry registers, and on resume the syscall runs once,
 * reported as a resumed entry, with no phantom exit for the skipped pass.
 */
TEST_F(stop, entry_stop_reruns_syscall)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	long v;

	setup_getppid_stop(_metadata, &t, scenario_getppid, 0);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("examine 0"));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "regs 0 %d orig_ax=%d ax=%d di=*", t.pid, SYS_getppid,
		 -ENOSYS);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	/* Stopped before the syscall ran: no exit for it, and no phantom exit, yet. */
	snprintf(want, sizeof(want), " nr=%d ret=", SYS_getppid);
	EXPECT_EQ(0, ut_count_containing(log, 0, want)) TH_LOG("log:\n%s", log);
	EXPECT_EQ(0, ut_count_containing(log, 0, " nr=-1 ")) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(getpid(), v);
	EXPECT_EQ(0, ut_tracee_wait(&t));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%d *", t.pid, UTRACE_RESUME,
		 SYS_getppid);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%d *", t.pid,
		 UTRACE_RESUME | UTRACE_SYSCALL_RESUMED, SYS_getppid);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%d ret=%d", t.pid,
		 UTRACE_RESUME, SYS_getppid, getpid());
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	EXPECT_EQ(0, ut_count_containing(log, 0, " nr=-1 ")) TH_LOG("log:\n%s", log);
	snprintf(want, sizeof(want), " nr=%d ret=", SYS_getppid);
	EXPECT_EQ(1, ut_count_containing(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* A syscall number changed during the entry stop is what runs on resume. */
TEST_F(stop, entry_stop_changed_number_runs)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	long v;

	setup_getppid_stop(_metadata, &t, scenario_getppid, 0);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("setreg 0 orig_ax %d", SYS_getpid));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(t.pid, v);
	EXPECT_EQ(0, ut_tracee_wait(&t));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%d *", t.pid,
		 UTRACE_RESUME | UTRACE_SYSCALL_RESUMED, SYS_getpid);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%d ret=%d", t.pid,
		 UTRACE_RESUME, SYS_getpid, t.pid);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Number -1 and a return value set during the entry stop: the syscall is aborted. */
TEST_F(stop, entry_stop_abort_returns_ax)
{
	struct ut_tracee t = { 0 };
	char log[8192];
	long v;

	setup_getppid_stop(_metadata, &t, scenario_getppid, 0);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("setreg 0 orig_ax -1"));
	ASSERT_EQ(0, ut_cmd("setreg 0 ax -77"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(-77, v);
	EXPECT_EQ(0, ut_tracee_wait(&t));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	/* Not re-run: no resumed entry, and (documented) no exit report for it. */
	EXPECT_EQ(0, ut_count_containing(log, 0, " in=0x105 ")) TH_LOG("log:\n%s", log);
	EXPECT_EQ(0, ut_count_containing(log, 0, " nr=-1 ")) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Stop at syscall exit: the return value set while stopped is what user mode gets. */
TEST_F(stop, exit_stop_changes_return_value)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	long v;

	setup_getppid_stop(_metadata, &t, scenario_getppid, 1);
	/* The entry callback's wake-up (no stop) is the first, the exit stop's the second. */
	ASSERT_EQ(0, ut_cmd("wait_stop 0 2"));
	ASSERT_EQ(0, ut_cmd("examine 0"));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "regs 0 %d orig_ax=%d ax=%d di=*", t.pid, SYS_getppid,
		 getpid());
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("setreg 0 ax 4242"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(4242, v);
	EXPECT_EQ(0, ut_tracee_wait(&t));
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/*
 * A signal that arrives during an entry stop is handled as if it had come just before the
 * syscall instruction: the handler runs once, then the syscall runs, once.
 */
TEST_F(stop, signal_during_entry_stop)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	long v, handled;

	sh->value[0] = 0;
	setup_getppid_stop(_metadata, &t, scenario_getppid_handler, 0);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, kill(t.pid, SIGUSR1));
	/* A signal does not end the stop (only SIGKILL does). */
	EXPECT_EQ(0, ut_cmd("examine 0"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	ASSERT_EQ(0, ut_read_back(&t, &handled));
	EXPECT_EQ(getpid(), v);
	EXPECT_EQ(1, handled);
	EXPECT_EQ(0, ut_tracee_wait(&t));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "syscall_exit 0 %d in=0x%x nr=%d ret=%d", t.pid,
		 UTRACE_RESUME, SYS_getppid, getpid());
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	/* The re-run (after the handler's rt_sigreturn) is the resumed entry. */
	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%d *", t.pid,
		 UTRACE_RESUME | UTRACE_SYSCALL_RESUMED, SYS_getppid);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/*
 * utrace_control(STOP) parks a thread running in user mode at its next safe point, after a
 * report_quiesce(0) (answered STOP); RESUME lets it go.
 */
TEST_F(stop, control_stop_and_resume)
{
	struct ut_tracee t = { 0 };
	long c;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_spin));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE)));
	ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_STOP));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, ut_stop_now(0));
	/* Parked: it runs no user instruction until resumed. */
	c = sh->progress;
	ASSERT_EQ(0, ut_cmd("examine 0"));
	usleep(100000);
	EXPECT_EQ(c, sh->progress);
	ASSERT_EQ(0, ut_cmd("examine 0"));
	ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_RESUME));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* SIGKILL always ends a stop: the thread dies. */
TEST_F(stop, sigkill_ends_stop)
{
	struct ut_tracee t = { 0 };
	int status;

	start_stopped_spinner(_metadata, &t);
	ASSERT_EQ(0, kill(t.pid, SIGKILL));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) TH_LOG("status %x", status);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Detaching the engine that stopped the thread lets it go. */
TEST_F(stop, detach_ends_stop)
{
	struct ut_tracee t = { 0 };

	start_stopped_spinner(_metadata, &t);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Two engines stop one thread: it stays stopped until both let go. */
TEST_F(stop, two_engines_stop_one_thread)
{
	struct ut_tracee t = { 0 };

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_spin));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_stop_now(0));
	/* Already parked: the second engine's STOP is satisfied at once. */
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/* Still stopped by engine 1, and it did not run in between (examine checks both). */
	EXPECT_EQ(0, ut_cmd("examine 1"));
	EXPECT_EQ(-EINVAL, ut_cmd("examine 0"));	/* engine 0 no longer stops it */
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_EQ(0, ut_cmd("put 1"));
}


/*
 * utrace_wake_up() from a callback that stops is never lost: whether the thread is
 * SIGKILLed, or the engine detached, before, during or after the stop, every wake-up
 * made is delivered.
 */
TEST_F(stop, wake_up_never_lost_vs_kill_and_detach)
{
	struct ut_counts c = { 0 };

	for (int i = 0; i < 40; i++) {
		struct ut_tracee t = { 0 };

		setup_getppid_stop(_metadata, &t, scenario_getppid, 0);
		usleep(i % 8 * 1000);
		if (i % 2)
			kill(t.pid, SIGKILL);
		else
			ut_cmd("control 0 %d", UTRACE_DETACH);
		ut_cmd("barrier 0");
		ut_tracee_wait(&t);
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
	/* Deadline: deliveries are synchronous with the tracee's exit or resumption. */
	EXPECT_TRUE(ut_wakeups_all_delivered(0, &c));
	EXPECT_EQ(c.wake_calls, c.wake_delivered);
	TH_LOG("%ld wake-ups made, %ld delivered", c.wake_calls, c.wake_delivered);
}

/* Forks a child that marks its first user-mode step in the shared page. */
static int scenario_fork_marker(struct ut_tracee *t)
{
	pid_t child = fork();
	int st = 0;

	if (child == 0) {
		sh->progress = 1;
		_exit(0);
	}
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? 0 : 1;
}

/*
 * An engine attached to a new child from report_clone, which asks it to stop, stops it
 * before its first user instruction.
 */
TEST_F(stop, clone_child_stops_before_first_instruction)
{
	struct ut_tracee t = { 0 };
	int r = -ENOENT;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_fork_marker));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("clone_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(CLONE)));
	ut_tracee_go(&t);
	/* Slot 1 exists once report_clone ran; then the child parks (deadline 10 s). */
	for (int i = 0; i < 1000 && r != 0; i++) {
		r = ut_cmd("control 1 %d", UTRACE_STOP);
		if (r)
			usleep(10000);
	}
	ASSERT_EQ(0, r);
	EXPECT_EQ(0, ut_cmd("examine 1"));
	EXPECT_EQ(0, sh->progress);
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	EXPECT_EQ(1, sh->progress);
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_EQ(0, ut_cmd("put 1"));
}

/* Exits with code 3 (exit_group). */
static int scenario_exit3(struct ut_tracee *t)
{
	return 3;
}

/* Attach slot 0 to a tracee that exits with 3, stopping at its exit; wait for the stop. */
static void setup_exit_stop(struct __test_metadata *_metadata, struct ut_tracee *t)
{
	ASSERT_EQ(0, ut_tracee_start(t, scenario_exit3));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("ret 0 exit %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(EXIT) | UTRACE_EVENT(DEATH)));
	ut_tracee_go(t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
}

/*
 * report_exit answering UTRACE_STOP parks the exiting thread before its death: no death
 * report, and the parent cannot reap it, until the engine resumes it; its registers can be
 * read meanwhile. Then death is reported once and the exit code is the program's.
 */
TEST_F(stop, exit_stop_holds_thread_before_death)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	int status;

	setup_exit_stop(_metadata, &t);
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "exit 0 %d in=0x%x orig=768 code=768", t.pid, UTRACE_RESUME);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	EXPECT_EQ(0, ut_count_containing(log, 0, "death ")) TH_LOG("log:\n%s", log);
	EXPECT_EQ(0, waitpid(t.pid, &status, WNOHANG));
	EXPECT_EQ(0, ut_cmd("examine 0"));
	/* Already parked: a STOP is satisfied at once. */
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) TH_LOG("status %x", status);
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "death 0 %d group_dead=1 signal=%d", t.pid, SIGCHLD);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Detaching the engine that stopped the thread at its exit lets it die (no death report). */
TEST_F(stop, exit_stop_detach_lets_it_die)
{
	struct ut_tracee t = { 0 };
	char log[8192];
	int status;

	setup_exit_stop(_metadata, &t);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) TH_LOG("status %x", status);
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	EXPECT_EQ(0, ut_count_containing(log, 0, "death ")) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

static void *thread_exit_when_told(void *arg)
{
	struct ut_tracee *t = arg;

	ut_report(t, syscall(SYS_gettid));
	while (!sh->progress)
		usleep(1000);
	syscall(SYS_exit, 0);	/* this thread only */
	return NULL;
}

/* A second thread reports its tid, then exits alone when told; the first waits forever. */
static int scenario_thread_exit(struct ut_tracee *t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_exit_when_told, t))
		return 97;
	for (;;)
		pause();
	return 0;
}

/*
 * SIGKILL ends an exit stop that it can reach: a thread stopped at its own exit (not a group
 * exit) dies with its process.
 */
TEST_F(stop, sigkill_ends_thread_exit_stop)
{
	struct ut_tracee t = { 0 };
	char log[8192], want[256];
	long tid;
	int status;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_thread_exit));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_read_back(&t, &tid));
	ASSERT_EQ(0, ut_cmd("attach 0 %ld", tid));
	ASSERT_EQ(0, ut_cmd("ret 0 exit %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(EXIT)));
	sh->progress = 1;
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_LT(0, ut_log(log, sizeof(log)));
	snprintf(want, sizeof(want), "exit 0 %ld in=0x%x orig=0 code=0", tid, UTRACE_RESUME);
	EXPECT_EQ(1, ut_count_matching(log, 0, want)) TH_LOG("log:\n%s", log);
	ASSERT_EQ(0, kill(t.pid, SIGKILL));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) TH_LOG("status %x", status);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* The only thread of its process exits alone (SYS_exit, not exit_group()), with 3. */
static int scenario_sys_exit3(struct ut_tracee *t)
{
	syscall(SYS_exit, 3);
	return 99;
}

/*
 * Where SIGKILL cannot reach the thread, it does not end an exit stop: after a group exit
 * (exit_group(): the kernel drops every further signal to the process) and for the last
 * thread of its process exiting alone (no thread can take the signal: it stays pending in
 * the process's queue). The thread stays stopped until the engine lets it go; then it dies
 * with its own exit code.
 */
static void sigkill_vs_exit_stop(struct __test_metadata *_metadata, int (*fn)(struct ut_tracee *))
{
	struct ut_tracee t = { 0 };
	int status;

	ASSERT_EQ(0, ut_tracee_start(&t, fn));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("ret 0 exit %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("wake 0 1"));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(EXIT)));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, kill(t.pid, SIGKILL));
	/* It would be dead within this deadline if the kill had reached it. */
	for (int i = 0; i < 100; i++) {
		EXPECT_EQ(0, waitpid(t.pid, &status, WNOHANG));
		usleep(10000);
	}
	EXPECT_EQ(0, ut_cmd("examine 0"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) TH_LOG("status %x", status);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

TEST_F(stop, sigkill_does_not_end_group_exit_stop)
{
	sigkill_vs_exit_stop(_metadata, scenario_exit3);
}

TEST_F(stop, sigkill_does_not_end_last_thread_exit_stop)
{
	sigkill_vs_exit_stop(_metadata, scenario_sys_exit3);
}

/*
 * A zombie is past its death for utrace: DEATH set now gets -EALREADY (no report can come:
 * the exit probe was not even registered when it exited, nobody wanted EXIT or DEATH), and
 * control() answers -ESRCH, not -EINPROGRESS for a stop that can never be made.
 */
TEST_F(stop, zombie_refuses_death_and_control)
{
	struct ut_tracee t = { 0 };
	siginfo_t si = { 0 };
	int status;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_exit3));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ut_tracee_go(&t);
	/* Exited, not reaped: a zombie while the engine is still attached. */
	ASSERT_EQ(0, waitid(P_PID, t.pid, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-EALREADY, ut_cmd("events 0 %lx", UTRACE_EVENT(DEATH)));
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_STOP));
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) TH_LOG("status %x", status);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/*
 * DETACH while the engine's report_death runs (held by the gate): -EINPROGRESS, as for any
 * other callback, and the engine is detached when the callback returns: the barrier says
 * -ESRCH while the zombie is still unreaped, and no report_reap comes. (The original
 * answered -EALREADY and kept the engine until the reap: "DETACH, barrier, put" then left
 * it attached to a zombie nobody reaped, as utrace_stress's drain found.) An engine
 * attached meanwhile, to the thread still in report_death, cannot stop it: its death began
 * (utrace keeps that, with no engine left).
 */
TEST_F(stop, detach_during_report_death_detaches_before_reap)
{
	struct ut_tracee t = { 0 };
	siginfo_t si = { 0 };
	char want[64];
	int status;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_exit3));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(DEATH) | UTRACE_EVENT(REAP)));
	ASSERT_EQ(0, ut_cmd("gate 0"));
	ut_tracee_go(&t);
	snprintf(want, sizeof(want), "death 0 %d ", t.pid);
	ASSERT_TRUE(ut_log_wait_for(want, logbuf, sizeof(logbuf), 10)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(-EINPROGRESS, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	EXPECT_EQ(-ESRCH, ut_cmd("control 1 %d", UTRACE_STOP));
	EXPECT_EQ(0, ut_cmd("control 1 %d", UTRACE_DETACH));
	EXPECT_EQ(0, ut_cmd("put 1"));
	EXPECT_EQ(0, ut_cmd("open 0"));
	EXPECT_EQ(-ESRCH, ut_cmd("barrier 0"));
	/* Detached, and not by a reap: the zombie is still there to be waited for. */
	ASSERT_EQ(0, waitid(P_PID, t.pid, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, ut_cmd("control 0 %d", UTRACE_RESUME));
	status = ut_tracee_wait(&t);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) TH_LOG("status %x", status);
	/* The reap is an RCU callback after the wait: give it time to (wrongly) report. */
	usleep(300000);
	ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "reap 0 %d", t.pid);
	EXPECT_EQ(0, ut_count_containing(logbuf, 0, want)) TH_LOG("log:\n%s", logbuf);
	ASSERT_EQ(0, ut_cmd("put 0"));
}

/* Exits with code 3 after @arg microseconds (the scenario's delay, from the shared page). */
static int scenario_exit3_later(struct ut_tracee *t)
{
	usleep(sh->value[1]);
	return 3;
}

/*
 * DEATH set while the thread exits, with no engine wanting EXIT or DEATH before (so the
 * exit probe may not have been registered when the thread passed it): either the call
 * succeeds and the death report comes, once, or it says -EALREADY and none comes. Never a
 * success without a report. In a loop, the set moving across the exit.
 */
TEST_F(stop, late_death_reported_or_refused)
{
	int reported = 0, refused = 0;

	for (int i = 0; i < 40; i++) {
		struct ut_tracee t = { 0 };
		char want[64];
		int r;

		sh->value[1] = (i % 8) * 250;
		ASSERT_EQ(0, ut_cmd("clear"));
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_exit3_later));
		ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
		ut_tracee_go(&t);
		usleep(1000 + (i % 5) * 300);
		r = ut_cmd("events 0 %lx", UTRACE_EVENT(DEATH));
		ASSERT_TRUE(r == 0 || r == -EALREADY) TH_LOG("round %d: set_events %d", i, r);
		EXPECT_EQ(3, WEXITSTATUS(ut_tracee_wait(&t)));
		ASSERT_LE(0, ut_log(logbuf, sizeof(logbuf)));
		snprintf(want, sizeof(want), "death 0 %d ", t.pid);
		EXPECT_EQ(r == 0 ? 1 : 0, ut_count_containing(logbuf, 0, want))
			TH_LOG("round %d: set_events %d, log:\n%s", i, r, logbuf);
		if (r == 0)
			reported++;
		else
			refused++;
		ut_cmd("control 0 %d", UTRACE_DETACH);
		ASSERT_EQ(0, ut_cmd("put 0"));
	}
	TH_LOG("%d reported, %d refused", reported, refused);
}

/* Unloading an engine module with a thread it stopped: the thread goes on. */
TEST_F(stop, rmmod_engine_with_stopped_thread)
{
	struct ut_tracee t = { 0 };

	start_stopped_spinner(_metadata, &t);
	ASSERT_EQ(0, ut_unload_module("utrace_test_engine"));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", ""));
}

TEST_HARNESS_MAIN
