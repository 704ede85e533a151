// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading utrace never depends on a stopped thread running. Each test leaves utrace work
 * behind on a thread that does not run it (a report queued on a thread stopped by SIGSTOP
 * or by ptrace, or on a thread blocked in read(); utrace's trap flag armed on a thread in a
 * job-control stop), unloads the engine and then utrace within a generous deadline, then
 * lets the thread go: it runs on normally (a syscall it was in gives the right result, no
 * -ERESTARTNOINTR, no SIGTRAP), and kmemleak finds nothing new.
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

#define RMMOD_DEADLINE	60	/* seconds */
#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static struct ut_shared *sh;
static int data_pipe[2];	/* what a tracee blocked in read() waits for */
static char buf[1 << 16];

/* The test unloads the modules itself; the teardown only cleans up after a failure. */
FIXTURE(unload) {
	int dummy;
};

FIXTURE_SETUP(unload)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, pipe(data_pipe));
	/* Forget older suspects: only what this test leaks is reported at its end. */
	ut_write_file(KMEMLEAK, "clear");
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", ""));
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(unload)
{
	ut_unload_module("utrace_test_engine");
	ut_unload_module("utrace");
	close(data_pipe[0]);
	close(data_pipe[1]);
	munmap(sh, sizeof(*sh));
}

/*
 * Unloads @name in a child (delete_module() blocks while the module's exit runs). Returns
 * 0 or the unload's -errno once it returned, or -ETIMEDOUT if it still runs after @seconds
 * (then *@child is the pid to wait for).
 */
static int rmmod_within(const char *name, int seconds, pid_t *child)
{
	int st;

	*child = fork();
	if (*child < 0)
		return -errno;
	if (*child == 0)
		_exit(-ut_unload_module(name));
	for (int i = 0; i < seconds * 100; i++) {
		if (waitpid(*child, &st, WNOHANG) == *child) {
			*child = 0;
			return WIFEXITED(st) ? -WEXITSTATUS(st) : -EINTR;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/*
 * Unloads the engine, then utrace, which must return within the deadline. If it does not,
 * @release (continue the thread) lets it finish, so that the guest can go on.
 */
static void unload_both(struct __test_metadata *_metadata, void (*release)(pid_t), pid_t pid)
{
	pid_t child;
	int r;

	ASSERT_EQ(0, ut_unload_module("utrace_test_engine"));
	r = rmmod_within("utrace", RMMOD_DEADLINE, &child);
	if (r == -ETIMEDOUT) {
		release(pid);
		waitpid(child, NULL, 0);
	}
	ASSERT_EQ(0, r) TH_LOG("rmmod utrace with a stopped thread: %s", strerror(-r));
	EXPECT_FALSE(ut_module_loaded("utrace"));
}

/* kmemleak (two scans: an object must be seen unreferenced twice) finds nothing new. */
static void no_new_leak(struct __test_metadata *_metadata)
{
	if (!ut_path_exists(KMEMLEAK))
		return;
	sleep(6);	/* kmemleak only reports objects older than 5 s */
	ASSERT_EQ(0, ut_write_file(KMEMLEAK, "scan"));
	ASSERT_EQ(0, ut_write_file(KMEMLEAK, "scan"));
	ASSERT_LE(0, ut_read_file(KMEMLEAK, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "unreferenced object")) TH_LOG("kmemleak:\n%.4000s", buf);
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

/* Spins in user mode, counting in sh->progress. */
static int scenario_spin(struct ut_tracee *t)
{
	for (;;)
		sh->progress++;
	return 0;
}

static void sigcont(pid_t pid)
{
	kill(pid, SIGCONT);
}

static void end_tracee(struct __test_metadata *_metadata, struct ut_tracee *t)
{
	int st;

	/* It runs on normally: it makes progress, and nothing (SIGTRAP) killed it. */
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(t->pid, SIGKILL);
	st = ut_tracee_wait(t);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status 0x%x", st);
}

/*
 * A report queued (TWA_RESUME) on a thread stopped by SIGSTOP: it runs it only when
 * continued. The hang: "unload waits for 1 queued report(s) to run" forever.
 */
TEST_F_TIMEOUT(unload, sigstopped_thread_with_queued_report, 300)
{
	struct ut_tracee t = { 0 };

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, kill(t.pid, SIGSTOP));
	ASSERT_TRUE(ut_wait_state(t.pid, 'T'));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_REPORT));
	unload_both(_metadata, sigcont, t.pid);
	EXPECT_EQ('T', ut_proc_state(t.pid));
	ASSERT_EQ(0, kill(t.pid, SIGCONT));
	end_tracee(_metadata, &t);
	no_new_leak(_metadata);
}

static void ptrace_detach(pid_t pid)
{
	ptrace(PTRACE_DETACH, pid, 0, 0);
}

/* The same with a thread in a ptrace stop (PTRACE_SEIZE + PTRACE_INTERRUPT). */
TEST_F_TIMEOUT(unload, ptrace_stopped_thread_with_queued_report, 300)
{
	struct ut_tracee t = { 0 };
	int st;

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, t.pid, 0, 0));
	ASSERT_EQ(t.pid, waitpid(t.pid, &st, 0));
	ASSERT_TRUE(WIFSTOPPED(st)) TH_LOG("status 0x%x", st);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_REPORT));
	unload_both(_metadata, ptrace_detach, t.pid);
	EXPECT_EQ('t', ut_proc_state(t.pid));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, t.pid, 0, 0));
	end_tracee(_metadata, &t);
	no_new_leak(_metadata);
}

/* Reads one long from data_pipe (blocking), reports it, exits 0. */
static int scenario_read_value(struct ut_tracee *t)
{
	long v = 0;
	ssize_t n = read(data_pipe[0], &v, sizeof(v));

	ut_report(t, n == sizeof(v) ? v : (n < 0 ? -errno : -EIO));
	return 0;
}

static void feed(pid_t pid)
{
	long v = 0;

	if (write(data_pipe[1], &v, sizeof(v)) != sizeof(v))
		perror("feed");
}

/*
 * The engine: UTRACE_REPORT at every syscall entry. The tracee's read() entry
 * queues a report (TWA_RESUME, which does not interrupt the read), and it blocks for good.
 */
TEST_F_TIMEOUT(unload, blocked_thread_with_report_from_every_entry, 300)
{
	struct ut_tracee t = { 0 };
	long v = 0, want = 0x5eed;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_read_value));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_REPORT));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_wait_blocked_in(t.pid, SYS_read));
	unload_both(_metadata, feed, t.pid);
	/* The read was not disturbed: it returns what is written now. */
	ASSERT_EQ((ssize_t)sizeof(want), write(data_pipe[1], &want, sizeof(want)));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(want, v);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	no_new_leak(_metadata);
}

/* One getppid(), its result (or -errno) reported. */
static int scenario_getppid(struct ut_tracee *t)
{
	long r = syscall(SYS_getppid);

	ut_report(t, r == -1 ? -errno : r);
	return 0;
}

/*
 * A thread stopped at a syscall entry with SIGSTOP pending: the engine's unload lets it go,
 * it puts the skipped syscall back and stops for SIGSTOP with the restart pending; utrace
 * unloads; SIGCONT: the syscall runs and returns its real result (no -ERESTARTNOINTR).
 */
TEST_F_TIMEOUT(unload, entry_stop_then_job_control_stop, 300)
{
	struct ut_tracee t = { 0 };
	long v = 0;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("only_nr 0 %d", SYS_getppid));
	ASSERT_EQ(0, ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd_until_ok(10, "examine 0"));
	ASSERT_EQ(0, kill(t.pid, SIGSTOP));
	ASSERT_EQ(0, ut_unload_module("utrace_test_engine"));
	ASSERT_TRUE(ut_wait_state(t.pid, 'T'));
	ASSERT_EQ(0, ut_unload_module("utrace"));
	ASSERT_EQ(0, kill(t.pid, SIGCONT));
	ASSERT_EQ(0, ut_read_back(&t, &v));
	EXPECT_EQ(getpid(), v);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	no_new_leak(_metadata);
}

/*
 * A thread armed for a single-step (utrace's TF in its registers) that stops for SIGSTOP
 * before it returns to user mode: unload takes the trap flag back from outside (the old
 * unload waited for a job-control stop to end). Continued, it runs on without a SIGTRAP.
 */
TEST_F_TIMEOUT(unload, stepping_thread_in_job_control_stop, 300)
{
	struct ut_tracee t = { 0 };
	char state[512];

	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_spin));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	/* QUIESCE (for SINGLESTEP), whose report_quiesce(0) keeps control(STOP)'s stop. */
	ASSERT_EQ(0, ut_cmd("ret 0 quiesce %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, ut_stop_now(0));
	/* Pending: it does not wake a thread parked in utrace's stop. */
	ASSERT_EQ(0, kill(t.pid, SIGSTOP));
	/* Leaves the stop armed, and stops for SIGSTOP before its next user instruction. */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_SINGLESTEP));
	ASSERT_TRUE(ut_wait_state(t.pid, 'T'));
	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/state", state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "\nstepping 1\n")) TH_LOG("%s", state);
	unload_both(_metadata, sigcont, t.pid);
	ASSERT_EQ(0, kill(t.pid, SIGCONT));
	end_tracee(_metadata, &t);
	no_new_leak(_metadata);
}

TEST_HARNESS_MAIN
