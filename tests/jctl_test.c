// SPDX-License-Identifier: GPL-2.0
/*
 * Job control (Documentation/design.md, "Job control"): report_jctl(CLD_STOPPED) on every
 * traced thread of a process that kill -STOP stops, and report_jctl(CLD_CONTINUED) on every
 * one when kill -CONT continues it; an engine answering UTRACE_STOP to one thread's
 * CLD_CONTINUED keeps that thread stopped while its siblings run, until it lets it go
 * (resume or detach) or SIGKILL ends it.
 *
 * The tracee has three threads, each counting in its own shared counter (a thread that
 * counts runs user code). One engine (slot i) is attached to thread i with
 * UTRACE_EVENT(JCTL). The group stop is seen completed through the parent's waitpid()
 * (WUNTRACED: the kernel notifies the parent only once every thread has stopped), the
 * continue through WCONTINUED. Every wait is a deadline for something that must happen.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

#define NTHREADS	3
/* value[0..2]: the threads' counters; value[3..5]: their tids; value[6]: finish. */
#define V_TID		3
#define V_GO		6

#define CLD_STOPPED_S	"type=5 "
#define CLD_CONTINUED_S	"type=6 "

static struct ut_shared *sh;
static char logbuf[1 << 16];

FIXTURE(jctl) {
	struct ut_tracee t;
	pid_t tid[NTHREADS];
};

static void count_until_go(int i)
{
	sh->value[V_TID + i] = syscall(SYS_gettid);
	while (!sh->value[V_GO]) {
		__atomic_fetch_add(&sh->value[i], 1, __ATOMIC_SEQ_CST);
		usleep(1000);
	}
}

static void *thread_fn(void *arg)
{
	count_until_go((int)(long)arg);
	return NULL;
}

/* Three threads count until the test says go; progress = 1 once all tids are published. */
static int scenario_three(struct ut_tracee *t)
{
	pthread_t th[NTHREADS - 1];

	for (long i = 1; i < NTHREADS; i++)
		if (pthread_create(&th[i - 1], NULL, thread_fn, (void *)i))
			return 2;
	sh->value[V_TID] = syscall(SYS_gettid);
	for (int i = 1; i < NTHREADS; i++)
		while (!sh->value[V_TID + i])
			usleep(1000);
	sh->progress = 1;
	count_until_go(0);
	for (int i = 1; i < NTHREADS; i++)
		pthread_join(th[i - 1], NULL);
	return 0;
}

FIXTURE_SETUP(jctl)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_tracee_start(&self->t, scenario_three));
	ut_tracee_go(&self->t);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
	for (int i = 0; i < NTHREADS; i++) {
		self->tid[i] = sh->value[V_TID + i];
		ASSERT_EQ(0, ut_cmd("attach %d %d", i, self->tid[i]));
		ASSERT_EQ(0, ut_cmd("jctlon %d 0", i));
		ASSERT_EQ(0, ut_cmd("ret %d jctl %x", i, UTRACE_RESUME));
		ASSERT_EQ(0, ut_cmd("events %d %lx", i, UTRACE_EVENT(JCTL)));
	}
}

FIXTURE_TEARDOWN(jctl)
{
	sh->value[V_GO] = 1;
	if (self->t.pid > 0) {
		kill(self->t.pid, SIGCONT);
		for (int i = 0; i < NTHREADS; i++)
			ut_cmd("control %d %d", i, UTRACE_DETACH);
		for (int i = 0; i < 1000; i++) {
			int st;
			pid_t r = waitpid(self->t.pid, &st, WNOHANG | __WALL);

			if (r < 0 || (r == self->t.pid && (WIFEXITED(st) || WIFSIGNALED(st))))
				break;
			usleep(10000);
		}
		kill(self->t.pid, SIGKILL);
		waitpid(self->t.pid, NULL, __WALL);
	}
	for (int i = 0; i < NTHREADS; i++)
		ut_cmd("put %d", i);
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* Waits (10 s) until every slot from @first on logged at least @n lines containing @part. */
static int logged_from(int first, const char *part, int n)
{
	for (int k = 0; k < 1000; k++) {
		int ok = 1;

		if (ut_log(logbuf, sizeof(logbuf)) < 0)
			return 0;
		for (int i = first; i < NTHREADS; i++)
			ok &= ut_count_containing(logbuf, i, part) >= n;
		if (ok)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int all_logged(const char *part, int n)
{
	return logged_from(0, part, n);
}

/*
 * The joiners' CLD_STOPPED reports. Thread 0 (the leader) is the one kill() wakes and the
 * one that takes SIGSTOP and starts the stop; the kernel wakes it before the tracepoint that
 * queues its check (kernel/signal.c complete_signal(), then trace_signal_generate()), so it
 * may take the signal unchecked and report CLD_STOPPED only after the fact, right before its
 * CLD_CONTINUED (Documentation/design.md, "Job control"). Threads 1 and 2 join the stop: they
 * always report before they stop.
 */
static int joiners_logged(const char *part, int n)
{
	return logged_from(1, part, n);
}

/* Whether counter @i stays put for 300 ms. */
static int frozen(int i)
{
	long c = sh->value[i];

	usleep(300 * 1000);
	return sh->value[i] == c;
}

/* SIGSTOP, then the group stop completes (the parent sees it), every thread reported it. */
static void stop_all(struct __test_metadata *_metadata, pid_t pid)
{
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_TRUE(ut_parent_sees(pid, WUNTRACED));
	ASSERT_TRUE(joiners_logged(CLD_STOPPED_S, 1)) TH_LOG("log:\n%s", logbuf);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_TRUE(frozen(i));
}

/*
 * kill -STOP, kill -CONT: each thread reports CLD_STOPPED once (the joiners before the stop
 * completes, the starter maybe after the fact), then CLD_CONTINUED once with notify
 * CLD_CONTINUED (the stop had completed), and all run again.
 */
TEST_F(jctl, stop_cont_reports_every_thread)
{
	stop_all(_metadata, self->t.pid);
	ASSERT_EQ(0, kill(self->t.pid, SIGCONT));
	ASSERT_TRUE(all_logged(CLD_CONTINUED_S, 1)) TH_LOG("log:\n%s", logbuf);
	ASSERT_TRUE(ut_parent_sees(self->t.pid, WCONTINUED));
	for (int i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(1, ut_count_containing(logbuf, i, CLD_STOPPED_S)) TH_LOG("log:\n%s", logbuf);
		EXPECT_EQ(1, ut_count_containing(logbuf, i, "type=6 notify=6"))
			TH_LOG("log:\n%s", logbuf);
		/* Stopped first, continued after. */
		EXPECT_LT(ut_line_index(logbuf, i, 0, CLD_STOPPED_S),
			  ut_line_index(logbuf, i, 0, CLD_CONTINUED_S));
		EXPECT_TRUE(ut_progresses(&sh->value[i]));
	}
}

/*
 * Slot 1 answers UTRACE_STOP to its CLD_CONTINUED: after SIGCONT thread 1 stays stopped
 * (its counter does not move) while threads 0 and 2 run; its resume lets it run.
 */
static void keep_one(struct __test_metadata *_metadata, pid_t pid, pid_t tid1)
{
	ASSERT_EQ(0, ut_cmd("jctlon 1 %d", CLD_CONTINUED));
	ASSERT_EQ(0, ut_cmd("ret 1 jctl %x", UTRACE_STOP));
	stop_all(_metadata, pid);
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_TRUE(all_logged(CLD_CONTINUED_S, 1)) TH_LOG("log:\n%s", logbuf);
	ASSERT_TRUE(ut_progresses(&sh->value[0]));
	ASSERT_TRUE(ut_progresses(&sh->value[2]));
	ASSERT_TRUE(frozen(1));
	ASSERT_TRUE(ut_progresses(&sh->value[0]));
	/* Parked by utrace (a killable sleep), not in a job control stop ('T'). */
	EXPECT_NE('T', ut_proc_state(tid1));
	EXPECT_NE('R', ut_proc_state(tid1));
}

TEST_F(jctl, engine_keeps_one_thread_stopped_after_cont)
{
	keep_one(_metadata, self->t.pid, self->tid[1]);
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	ASSERT_TRUE(ut_progresses(&sh->value[1]));
	sh->value[V_GO] = 1;
	ASSERT_EQ(0, ut_tracee_wait(&self->t));
	self->t.pid = 0;
}

/* SIGKILL while a thread is kept stopped after SIGCONT kills the process at once. */
TEST_F(jctl, sigkill_while_kept_stopped_kills)
{
	int st = -1;
	pid_t r = 0;

	keep_one(_metadata, self->t.pid, self->tid[1]);
	ASSERT_EQ(0, kill(self->t.pid, SIGKILL));
	for (int i = 0; i < 1000 && r != self->t.pid; i++) {
		r = waitpid(self->t.pid, &st, WNOHANG | __WALL);
		if (r != self->t.pid)
			usleep(10000);
	}
	ASSERT_EQ(self->t.pid, r);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGKILL, WTERMSIG(st));
	self->t.pid = 0;
}

/* Detaching the engine that keeps a thread stopped after SIGCONT lets it run. */
TEST_F(jctl, detach_while_kept_stopped_runs)
{
	keep_one(_metadata, self->t.pid, self->tid[1]);
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_DETACH));
	ASSERT_TRUE(ut_progresses(&sh->value[1]));
	sh->value[V_GO] = 1;
	ASSERT_EQ(0, ut_tracee_wait(&self->t));
	self->t.pid = 0;
}

/*
 * An engine that answers UTRACE_STOP to CLD_STOPPED holds its thread before it enters the
 * group stop (as a joiner, or as the starter before it takes the stop signal): the stop does
 * not complete (the parent is not notified) until it lets it go; then every thread reports
 * it, and the continue is reported as usual.
 */
TEST_F(jctl, stop_at_cld_stopped_delays_group_stop)
{
	int st;

	ASSERT_EQ(0, ut_cmd("jctlon 1 %d", CLD_STOPPED));
	ASSERT_EQ(0, ut_cmd("ret 1 jctl %x", UTRACE_STOP));
	ASSERT_EQ(0, kill(self->t.pid, SIGSTOP));
	ASSERT_TRUE(ut_log_wait_for("jctl 1 ", logbuf, sizeof(logbuf), 10));
	EXPECT_EQ(1, ut_count_containing(logbuf, 1, CLD_STOPPED_S)) TH_LOG("log:\n%s", logbuf);
	EXPECT_TRUE(frozen(1));
	EXPECT_EQ(0, waitpid(self->t.pid, &st, WNOHANG | WUNTRACED));
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	ASSERT_TRUE(ut_parent_sees(self->t.pid, WUNTRACED));
	ASSERT_TRUE(joiners_logged(CLD_STOPPED_S, 1)) TH_LOG("log:\n%s", logbuf);
	ASSERT_EQ(0, kill(self->t.pid, SIGCONT));
	ASSERT_TRUE(all_logged(CLD_CONTINUED_S, 1)) TH_LOG("log:\n%s", logbuf);
	for (int i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(1, ut_count_containing(logbuf, i, CLD_STOPPED_S)) TH_LOG("log:\n%s", logbuf);
		EXPECT_TRUE(ut_progresses(&sh->value[i]));
	}
}

TEST_HARNESS_MAIN
