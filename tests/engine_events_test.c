// SPDX-License-Identifier: GPL-2.0
/*
 * Event delivery to a C engine (engines/utrace_test_engine.c), with exact sequences and
 * exact values: syscall entry and exit, clone (fork, thread, vfork), exec, exit codes,
 * death and reap, signals; ordering of two engines and folding of their answers.
 *
 * Each test forks a tracee that waits on a pipe, attaches the test engine to it through
 * debugfs, sets events, lets it run its scenario, and compares the engine's log with what
 * the scenario must produce. The fixture checks after every test that utrace holds no
 * per-task state and no engine any more (no leak).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "linux/utrace.h"

#define NR_BOGUS	1000	/* no such syscall: its args are logged, it returns -ENOSYS */

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

/* Compares slot @slot's log lines with @want (NULL-terminated; '*' suffix = prefix). */
static void check_slot(struct __test_metadata *_metadata, int slot, char want[][256], int n)
{
	int got;

	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	got = ut_slot_lines(logbuf, slot, lines, 64);
	for (int i = 0; i < n && i < got; i++) {
		EXPECT_TRUE(ut_line_matches(lines[i], want[i])) {
			TH_LOG("line %d: got '%s', want '%s'", i, lines[i], want[i]);
		}
	}
	EXPECT_EQ(n, got) {
		TH_LOG("log:\n%s", logbuf);
	}
}

/* Starts @fn in a tracee, attaches @slot with @events, runs it, returns the wait status. */
static int run_traced_slot(struct __test_metadata *_metadata, int slot,
			   int (*fn)(struct ut_tracee *), struct ut_tracee *t, unsigned long events)
{
	ASSERT_EQ(0, ut_tracee_start(t, fn));
	ASSERT_EQ(0, ut_cmd("attach %d %d", slot, t->pid));
	ASSERT_EQ(0, ut_cmd("events %d %lx", slot, events));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(t);
	return ut_tracee_wait(t);
}

static int run_traced(struct __test_metadata *_metadata, int (*fn)(struct ut_tracee *),
		      struct ut_tracee *t, unsigned long events)
{
	return run_traced_slot(_metadata, 0, fn, t, events);
}

static int scenario_bogus_syscall(struct ut_tracee *t)
{
	syscall(NR_BOGUS, 1, 2, 3, 4, 5, 6);
	return 7;
}

TEST_F(engine, syscall_entry_exit_exact)
{
	struct ut_tracee t = { 0 };
	char want[8][256];
	int st;

	st = run_traced(_metadata, scenario_bogus_syscall, &t,
			UTRACE_EVENT_SYSCALL | UTRACE_EVENT(EXIT) | UTRACE_EVENT(DEATH) |
			UTRACE_EVENT(REAP));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(7, WEXITSTATUS(st));
	ASSERT_TRUE(ut_log_wait_for("reap 0", logbuf, sizeof(logbuf), 10));
	snprintf(want[0], 256, "syscall_exit 0 %d in=0x5 nr=%d ret=1", t.pid, SYS_read);
	snprintf(want[1], 256, "syscall_entry 0 %d in=0x5 nr=%d args=1,2,3,4,5,6", t.pid, NR_BOGUS);
	snprintf(want[2], 256, "syscall_exit 0 %d in=0x5 nr=%d ret=%d", t.pid, NR_BOGUS, -ENOSYS);
	snprintf(want[3], 256, "syscall_entry 0 %d in=0x5 nr=%d args=7,*", t.pid, SYS_exit_group);
	snprintf(want[4], 256, "exit 0 %d in=0x5 orig=%d code=%d", t.pid, 7 << 8, 7 << 8);
	snprintf(want[5], 256, "death 0 %d group_dead=1 signal=%d", t.pid, SIGCHLD);
	snprintf(want[6], 256, "reap 0 %d", t.pid);
	check_slot(_metadata, 0, want, 7);
}

static int scenario_getppid(struct ut_tracee *t)
{
	long r = syscall(SYS_getppid);

	return r == -1 && errno == ENOSYS ? 0 : 1;
}

/* UTRACE_SYSCALL_ABORT: the syscall does not run and returns -ENOSYS. */
TEST_F(engine, syscall_abort)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
	ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_RESUME | UTRACE_SYSCALL_ABORT));
	st = run_traced(_metadata, scenario_getppid, &t, UTRACE_EVENT_SYSCALL);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(lines[0], 256, "syscall_exit 0 %d in=0x5 nr=-1 ret=%d", t.pid, -ENOSYS);
	EXPECT_TRUE(strstr(logbuf, lines[0]) != NULL) TH_LOG("no '%s' in:\n%s", lines[0], logbuf);
}

static int scenario_exit3(struct ut_tracee *t)
{
	return 3;
}

/* report_exit sees the exit code and can change what the parent's wait gets. */
TEST_F(engine, exit_code_changed)
{
	struct ut_tracee t = { 0 };
	char want[2][256];
	int st;

	ASSERT_EQ(0, ut_cmd("exitcode 0 %d", 42 << 8));
	st = run_traced(_metadata, scenario_exit3, &t, UTRACE_EVENT(EXIT));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(42, WEXITSTATUS(st));
	snprintf(want[0], 256, "exit 0 %d in=0x5 orig=%d code=%d", t.pid, 3 << 8, 3 << 8);
	check_slot(_metadata, 0, want, 1);
}

static int scenario_fork(struct ut_tracee *t)
{
	pid_t c = fork();

	if (c == 0)
		_exit(0);
	if (write(t->back_w, &c, sizeof(c)) != sizeof(c))
		return 1;
	waitpid(c, NULL, 0);
	return 0;
}

static void *thread_report_tid(void *arg)
{
	struct ut_tracee *t = arg;
	pid_t tid = gettid();

	if (write(t->back_w, &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	return NULL;
}

static int scenario_thread(struct ut_tracee *t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_report_tid, t))
		return 1;
	pthread_join(th, NULL);
	return 0;
}

static int scenario_vfork(struct ut_tracee *t)
{
	pid_t c = vfork();

	if (c == 0)
		_exit(0);
	if (write(t->back_w, &c, sizeof(c)) != sizeof(c))
		return 1;
	waitpid(c, NULL, 0);
	return 0;
}

/* The clone report of @fn: exactly one, with @flags and the child the scenario reports. */
static void check_clone(struct __test_metadata *_metadata, int (*fn)(struct ut_tracee *),
			unsigned long flags)
{
	struct ut_tracee t = { 0 };
	char want[1][256];
	pid_t child = 0;
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, fn));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(CLONE)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	EXPECT_EQ((ssize_t)sizeof(child), read(t.back, &child, sizeof(child)));
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	snprintf(want[0], 256, "clone 0 %d in=0x5 flags=0x%lx child=%d", t.pid, flags, child);
	check_slot(_metadata, 0, want, 1);
}

TEST_F(engine, clone_fork)
{
	check_clone(_metadata, scenario_fork,
		    CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD);
}

TEST_F(engine, clone_thread)
{
	check_clone(_metadata, scenario_thread,
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID);
}

TEST_F(engine, clone_vfork)
{
	check_clone(_metadata, scenario_vfork, CLONE_VM | CLONE_VFORK | SIGCHLD);
}

static int scenario_exec_true(struct ut_tracee *t)
{
	execl("/bin/true", "true", NULL);
	return 99;
}

TEST_F(engine, exec)
{
	struct ut_tracee t = { 0 };
	char want[2][256];
	int st;

	st = run_traced(_metadata, scenario_exec_true, &t, UTRACE_EVENT(EXEC));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	snprintf(want[0], 256, "exec 0 %d in=0x5 tgid=%d regs_ok=1 file=true secure=0",
		 t.pid, t.pid);
	check_slot(_metadata, 0, want, 1);
}

/* Read end of a second pipe: the exec'ing thread waits on it until slot 1 is attached. */
static int attached_r = -1;

static void *thread_exec(void *arg)
{
	struct ut_tracee *t = arg;
	pid_t tid = gettid();
	char c;

	if (write(t->back_w, &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	if (read(attached_r, &c, 1) != 1)
		return NULL;
	execl("/bin/true", "true", NULL);
	return NULL;
}

static int scenario_thread_exec(struct ut_tracee *t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_exec, t))
		return 1;
	pause();
	return 2;
}

/*
 * exec from a non-leader thread (fs/exec.c de_thread()): the thread's engine sees the exec
 * with the thread now holding the leader's pid. The old leader's engine sees it exit with
 * code 0 (killed for the exec, kernel/exit.c do_group_exit()), die while the group lives on
 * (group_dead=0, still with SIGCHLD as exit signal), and get reaped under the thread's old
 * tid (exchange_tids() swapped them).
 */
TEST_F(engine, exec_from_non_leader_thread)
{
	struct ut_tracee t = { 0 };
	char want[4][256];
	int attached[2], st;
	pid_t tid;

	ASSERT_EQ(0, pipe(attached));
	attached_r = attached[0];
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_thread_exec));
	close(attached[0]);
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(EXEC) | UTRACE_EVENT(EXIT) |
			    UTRACE_EVENT(DEATH) | UTRACE_EVENT(REAP)));
	ut_tracee_go(&t);
	ASSERT_EQ((ssize_t)sizeof(tid), read(t.back, &tid, sizeof(tid)));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", tid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(EXEC) | UTRACE_EVENT(EXIT)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(1, write(attached[1], "a", 1));
	close(attached[1]);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	snprintf(lines[0], 256, "reap 0 %d", tid);
	ASSERT_TRUE(ut_log_wait_for(lines[0], logbuf, sizeof(logbuf), 10)) TH_LOG("%s", logbuf);
	snprintf(want[0], 256, "exit 0 %d in=0x5 orig=0 code=0", t.pid);
	snprintf(want[1], 256, "death 0 %d group_dead=0 signal=%d", t.pid, SIGCHLD);
	snprintf(want[2], 256, "reap 0 %d", tid);
	check_slot(_metadata, 0, want, 3);
	snprintf(want[0], 256, "exec 1 %d in=0x5 tgid=%d regs_ok=1 file=true secure=0",
		 t.pid, t.pid);
	snprintf(want[1], 256, "exit 1 %d in=0x5 orig=0 code=0", t.pid);
	check_slot(_metadata, 1, want, 2);
}

static void on_usr1(int sig)
{
}

static int scenario_signals(struct ut_tracee *t)
{
	sigset_t set;

	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);			/* handler: SIGNAL */
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGWINCH);		/* default ignore, blocked so it stays queued... */
	sigprocmask(SIG_UNBLOCK, &set, NULL);	/* ...and is delivered: SIGNAL_IGN */
	return 0;
}

/* Each engine gets only the signal classes it asked for. */
TEST_F(engine, signal_handler_and_ignored)
{
	struct ut_tracee t = { 0 };
	char want[2][256];
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_signals));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SIGNAL)));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SIGNAL_IGN)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	snprintf(want[0], 256, "signal 0 %d in=0x5 sig=%d handler=fn code=-6", t.pid, SIGUSR1);
	check_slot(_metadata, 0, want, 1);
	snprintf(want[0], 256, "signal 1 %d in=0x5 sig=%d handler=dfl code=-6", t.pid, SIGWINCH);
	check_slot(_metadata, 1, want, 1);
}

static int scenario_sigquit(struct ut_tracee *t)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	raise(SIGQUIT);
	return 0;
}

static int scenario_sigterm(struct ut_tracee *t)
{
	raise(SIGTERM);
	return 0;
}

/*
 * Default actions: SIGQUIT dumps core (SIGNAL_CORE, intercepted and delivered as itself).
 * SIGTERM terminates: the kernel turns a fatal default signal into a group exit when it is
 * sent, so it cannot be intercepted, and delivery reports the group exit's SIGKILL
 * (SIGNAL_TERM) after the fact (UTRACE_SIGNAL_OBSERVED, no siginfo: code=0).
 */
TEST_F(engine, signal_core_and_terminate)
{
	struct ut_tracee t = { 0 };
	char want[1][256];
	int st;

	st = run_traced(_metadata, scenario_sigquit, &t, UTRACE_EVENT(SIGNAL_CORE));
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGQUIT, WTERMSIG(st));
	snprintf(want[0], 256, "signal 0 %d in=0x5 sig=%d handler=dfl code=-6", t.pid, SIGQUIT);
	check_slot(_metadata, 0, want, 1);

	/* Slot 1: slot 0's engine may still be released (after its reap) meanwhile. */
	st = run_traced_slot(_metadata, 1, scenario_sigterm, &t, UTRACE_EVENT(SIGNAL_TERM));
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTERM, WTERMSIG(st));
	snprintf(want[0], 256, "signal 1 %d in=0x205 sig=%d handler=dfl code=0", t.pid, SIGKILL);
	check_slot(_metadata, 1, want, 1);
}

/*
 * Two engines: syscall entry goes in reverse attach order, exit in attach order; each
 * engine is passed the running minimum of the resume actions.
 */
TEST_F(engine, two_engines_order_and_folding)
{
	struct ut_tracee t = { 0 };
	char want[2][256];
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_bogus_syscall));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SYSCALL));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT_SYSCALL));
	ASSERT_EQ(0, ut_cmd("only_nr 1 %d", NR_BOGUS));
	ASSERT_EQ(0, ut_cmd("ret 1 syscall_entry %x", UTRACE_REPORT));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	/* Entry of the bogus syscall: slot 1 first (attached last), then slot 0 sees REPORT. */
	snprintf(want[0], 256, "syscall_entry 1 %d in=0x5 nr=%d *", t.pid, NR_BOGUS);
	snprintf(want[1], 256, "syscall_entry 0 %d in=0x2 nr=%d *", t.pid, NR_BOGUS);
	{
		char *a = strstr(logbuf, "syscall_entry 1");
		char *b = a ? strstr(a, "syscall_entry 0") : NULL;

		ASSERT_TRUE(a && b) TH_LOG("log:\n%s", logbuf);
		EXPECT_TRUE(ut_line_matches(strtok(a, "\n"), want[0])) TH_LOG("%s", a);
		EXPECT_TRUE(ut_line_matches(strtok(b, "\n"), want[1])) TH_LOG("%s", b);
	}
	/* Exit of the bogus syscall: slot 0 first, then slot 1. */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want[0], 256, "syscall_exit 0 %d in=0x5 nr=%d ret=%d\nsyscall_exit 1 %d in=0x5 nr=%d",
		 t.pid, NR_BOGUS, -ENOSYS, t.pid, NR_BOGUS);
	EXPECT_TRUE(strstr(logbuf, want[0]) != NULL) TH_LOG("no '%s' in:\n%s", want[0], logbuf);
}

/*
 * An engine attached from inside another engine's syscall_entry callback gets nothing for
 * that syscall entry, but gets the exit of the same syscall.
 */
TEST_F(engine, no_retroactive_event)
{
	struct ut_tracee t = { 0 };
	char want[2][256];
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_bogus_syscall));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ASSERT_EQ(0, ut_cmd("chain 0 1"));
	ASSERT_EQ(0, ut_cmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	snprintf(want[0], 256, "syscall_exit 1 %d in=0x5 nr=%d ret=%d", t.pid, NR_BOGUS, -ENOSYS);
	snprintf(want[1], 256, "syscall_entry 1 %d in=0x5 nr=%d *", t.pid, SYS_exit_group);
	check_slot(_metadata, 1, want, 2);
}

TEST_HARNESS_MAIN
