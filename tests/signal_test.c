// SPDX-License-Identifier: GPL-2.0
/*
 * Signal interception (Documentation/design.md, "Signals"): an engine's report_signal
 * answer decides what happens to a signal before the kernel acts on it. A signal ignored by
 * the engine never reaches the process (no handler, no EINTR); SIGUSR1 rewritten into
 * SIGUSR2 runs the SIGUSR2 handler with the engine's siginfo; a stop on SIGINT, then a
 * resume with nothing, with another signal, or as it was; a signal injected at the
 * UTRACE_SIGNAL_REPORT after UTRACE_INTERRUPT; SIGKILL while stopped on a held signal; two
 * engines that disagree (the last engine's signal action wins); a ptrace tracer on the same
 * thread sees exactly the signals the engines let through.
 *
 * Also: two pending signals, the second ignored (the item is re-armed after the first is
 * delivered); a ptrace tracer cancelling an approved SIGUSR1, then a second SIGUSR1 that
 * must be reported (the approval does not outlive its instance); a group-wide signal to a
 * two-thread process (delivered once, reported once per thread that peeked it at most); a
 * seccomp RET_KILL_PROCESS kills under an engine that ignores every signal (SA_IMMUTABLE
 * signals are never intercepted); a detach while a signal is held applies the pass's
 * decision; a group-wide signal taken by another thread while the engine decides does not
 * let the signal behind it go unreported.
 *
 * Determinism: the tracee blocks the test signals; the test sends them (the sender's
 * signal_generate probe queues the interception item before kill() returns), then asks the
 * tracee to take them (a ppoll() with a mask that opens them, as pselect/epoll_pwait do).
 * The tracee runs no task_work in between (it sleeps in nanosleep, with no signal it can
 * take), so the item is still queued when that ppoll()'s get_signal() runs it: the
 * generation race of Documentation/design.md ("Signals") cannot hit.
 *
 * A default-fatal signal sent to a process without a ptracer is a group exit from the
 * moment it is sent (kernel/signal.c complete_signal()): it cannot be intercepted, so every
 * tracee here has handlers. Every wait is a deadline for something that must happen.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

/*
 * Shared with the tracee: progress = 1 once its handlers are set, then 1 + the number of
 * "take" requests (value[7], V_REL) it has served; value[1] set by the test lets it
 * finish; the handlers count in value[0] (SIGUSR1), value[2] (SIGUSR2), value[5] (SIGINT)
 * and record the last si_code and sival_int in value[3], value[4]; value[6] counts the
 * ppoll() calls that returned EINTR (a handler ran).
 */
static struct ut_shared *sh;
static char logbuf[1 << 16];

#define V_USR1	0
#define V_GO	1
#define V_USR2	2
#define V_CODE	3
#define V_VALUE	4
#define V_INT	5
#define V_EINTR	6
#define V_REL	7

/* The value rewritten or injected signals carry (SI_QUEUE, sival_int). */
#define MAGIC	20817

FIXTURE(sig) {
	int dummy;
};

FIXTURE_SETUP(sig)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(sig)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	if (sig == SIGUSR1)
		__atomic_fetch_add(&sh->value[V_USR1], 1, __ATOMIC_SEQ_CST);
	else if (sig == SIGUSR2)
		__atomic_fetch_add(&sh->value[V_USR2], 1, __ATOMIC_SEQ_CST);
	else if (sig == SIGINT)
		__atomic_fetch_add(&sh->value[V_INT], 1, __ATOMIC_SEQ_CST);
	sh->value[V_CODE] = si->si_code;
	sh->value[V_VALUE] = si->si_value.sival_int;
}

/* The test signals, blocked by the tracee except while it takes them. */
static void test_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGINT);
}

/*
 * Takes the pending test signals: ppoll() with a mask that opens them, 20 ms (the signals
 * are taken on its way out, or it times out if the engines dropped them). Counts EINTRs.
 */
static void take_signals(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t open;

	sigemptyset(&open);
	if (ppoll(NULL, 0, &ts, &open) < 0 && errno == EINTR)
		__atomic_fetch_add(&sh->value[V_EINTR], 1, __ATOMIC_SEQ_CST);
}

/*
 * Serves "take" requests (V_REL) until the test says go; value[@ack] (-1: progress)
 * counts the served ones, starting at @base.
 */
static void serve(int ack, long base)
{
	long seen = 0;

	while (!sh->value[V_GO]) {
		long rel = sh->value[V_REL];

		if (rel != seen) {
			seen = rel;
			take_signals();
			if (ack < 0)
				sh->progress = base + seen;
			else
				sh->value[ack] = base + seen;
		}
		usleep(1000);
	}
}

/* Handlers for the test signals (SA_SIGINFO, no SA_RESTART), and blocks them. */
static void set_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	test_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Handlers, test signals blocked, then serves "take" requests until go. Exits 0. */
static int scenario_wait(struct ut_tracee *t)
{
	set_handlers();
	sh->progress = 1;
	serve(-1, 1);
	return 0;
}

/* Asks the tracee to take the pending test signals (does not wait). */
static void release(void)
{
	__atomic_fetch_add(&sh->value[V_REL], 1, __ATOMIC_SEQ_CST);
}

/* Waits until the tracee served every request so far (a deadline). */
static int released(void)
{
	return ut_reaches(&sh->progress, 1 + sh->value[V_REL]);
}

/* Sends @sig to @pid while the tracee blocks it, then asks it to take it. */
static int send_and_release(pid_t pid, int sig)
{
	if (kill(pid, sig))
		return -1;
	release();
	return 0;
}

/* Starts scenario_wait with slot 0 attached for @events and waits until it is ready. */
static void start(struct __test_metadata *_metadata, struct ut_tracee *t, unsigned long events)
{
	memset((void *)sh, 0, sizeof(*sh));
	ASSERT_EQ(0, ut_tracee_start(t, scenario_wait));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t->pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", events));
	ut_tracee_go(t);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
}

/* Waits for slot @slot's report of @sig (a deadline). */
static int reported(int slot, pid_t pid, int sig)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "signal %d %d in=", slot, pid);
	for (int i = 0; i < 1000; i++) {
		char sigpart[32];
		char *p;

		if (ut_log(logbuf, sizeof(logbuf)) > 0) {
			snprintf(sigpart, sizeof(sigpart), " sig=%d ", sig);
			for (p = strstr(logbuf, needle); p; p = strstr(p + 1, needle)) {
				char *eol = strchr(p, '\n');
				char *s = strstr(p, sigpart);

				if (s && (!eol || s < eol))
					return 1;
			}
		}
		usleep(10000);
	}
	return 0;
}

/* Lets the tracee finish; returns its wait status (-1 on timeout). */
static int finish(struct ut_tracee *t)
{
	int st;

	sh->value[V_GO] = 1;
	st = ut_wait_exit(t->pid, 20);
	close(t->back);
	return st;
}

/* UTRACE_SIGNAL_IGN: the handler never runs and the sleep it interrupted is restarted. */
TEST_F(sig, ignored_never_reaches_process)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(reported(0, t.pid, SIGUSR1));
	ASSERT_TRUE(released());
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, sh->value[V_USR1]);
	EXPECT_EQ(0, sh->value[V_EINTR]);
}

/* SIGUSR1 rewritten into SIGUSR2 with SI_QUEUE and a value: the SIGUSR2 handler sees them. */
TEST_F(sig, rewritten_usr1_runs_usr2_handler)
{
	struct ut_tracee t = { 0 };
	char want[1][256];
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("sigrewrite 0 %d %d %d", SIGUSR2, SI_QUEUE, MAGIC));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_DELIVER));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR2], 1));
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, sh->value[V_USR1]);
	EXPECT_EQ(1, sh->value[V_USR2]);
	EXPECT_EQ(SI_QUEUE, sh->value[V_CODE]);
	EXPECT_EQ(MAGIC, sh->value[V_VALUE]);
	/* One report of SIGUSR1 (kill(): SI_USER), none of the SIGUSR2 it became. */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want[0], 256, "signal 0 %d in=0x5 sig=%d handler=fn code=0", t.pid, SIGUSR1);
	EXPECT_EQ(1, ut_count_matching(logbuf, 0, want[0]));
	EXPECT_EQ(1, ut_count_containing(logbuf, 0, "signal 0"));
}

/*
 * Starts a tracee whose engine (slot 0) answers UTRACE_STOP with DELIVER to @sig, sends
 * @sig, and waits until the tracee is stopped (and off its CPU) holding it.
 */
static void start_held(struct __test_metadata *_metadata, struct ut_tracee *t, int sig)
{
	ASSERT_EQ(0, ut_cmd("sigon 0 %d", sig));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_STOP | UTRACE_SIGNAL_DELIVER));
	start(_metadata, t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, send_and_release(t->pid, sig));
	ASSERT_EQ(0, ut_cmd_until_ok(10, "prepare 0"));
}

/*
 * UTRACE_STOP with the signal: the thread stops holding SIGINT; utrace_set_signal() decides
 * what its resume does: @how 0 nothing, 1 SIGUSR2 instead, 2 nothing set (SIGINT itself).
 */
static void stop_then(struct __test_metadata *_metadata, int how)
{
	struct ut_tracee t = { 0 };
	int st;

	/* Stopped (and off its CPU) at the report, holding SIGINT. */
	start_held(_metadata, &t, SIGINT);
	EXPECT_EQ(0, sh->value[V_INT]);
	/* Nothing is delivered while it is stopped. */
	usleep(100000);
	EXPECT_EQ(0, sh->value[V_INT]);
	if (how == 0) {
		ASSERT_EQ(0, ut_cmd("sigset 0 %x", UTRACE_SIGNAL_IGN));
	} else if (how == 1) {
		ASSERT_EQ(0, ut_cmd("sigset 0 %x %d %d %d", UTRACE_SIGNAL_DELIVER, SIGUSR2,
				    SI_QUEUE, MAGIC));
	}
	/* Bad input is refused, and changes nothing. */
	EXPECT_EQ(-EINVAL, ut_cmd("sigset 0 %x", 0x8));
	EXPECT_EQ(-EINVAL, ut_cmd("sigset 0 %x", UTRACE_SIGNAL_REPORT));
	EXPECT_EQ(-EINVAL, ut_cmd("sigset 0 %x %d 0 0", UTRACE_SIGNAL_DELIVER, 65));
	EXPECT_EQ(-EINVAL, ut_cmd("sigset 0 %x %d 0 0", UTRACE_SIGNAL_DELIVER, 0));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	if (how == 1) {
		ASSERT_TRUE(ut_reaches(&sh->value[V_USR2], 1));
	} else if (how == 2) {
		ASSERT_TRUE(ut_reaches(&sh->value[V_INT], 1));
	}
	usleep(100000);
	/* Nothing held any more. */
	EXPECT_EQ(-ENOENT, ut_cmd("sigset 0 %x", UTRACE_SIGNAL_IGN));
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(how == 2 ? 1 : 0, sh->value[V_INT]);
	EXPECT_EQ(how == 1 ? 1 : 0, sh->value[V_USR2]);
	if (how == 1) {
		EXPECT_EQ(SI_QUEUE, sh->value[V_CODE]);
		EXPECT_EQ(MAGIC, sh->value[V_VALUE]);
	}
}

TEST_F(sig, stop_on_sigint_resume_with_nothing)
{
	stop_then(_metadata, 0);
}

TEST_F(sig, stop_on_sigint_resume_with_other)
{
	stop_then(_metadata, 1);
}

TEST_F(sig, stop_on_sigint_resume_as_is)
{
	stop_then(_metadata, 2);
}

/* UTRACE_INTERRUPT, then report_signal(UTRACE_SIGNAL_REPORT) injects SIGUSR2. */
TEST_F(sig, injected_at_report_runs_handler)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("siginject 0 %d %d %d", SIGUSR2, SI_QUEUE, MAGIC));
	start(_metadata, &t, UTRACE_EVENT(QUIESCE) | UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_INTERRUPT));
	/* Injected while the tracee blocks it: pending until it takes it. */
	ASSERT_TRUE(reported(0, t.pid, 0));
	release();
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR2], 1));
	/* Inject once: the next REPORT injects nothing. */
	ASSERT_EQ(0, ut_cmd("siginject 0 0"));
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, sh->value[V_USR2]);
	EXPECT_EQ(SI_QUEUE, sh->value[V_CODE]);
	EXPECT_EQ(MAGIC, sh->value[V_VALUE]);
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_LE(1, ut_count_containing(logbuf, 0, "sig=0 handler=none"));
}

/* SIGKILL while stopped holding a signal kills at once; the held signal is never run. */
TEST_F(sig, sigkill_while_holding_kills)
{
	struct ut_tracee t = { 0 };
	int st;

	start_held(_metadata, &t, SIGUSR1);
	ASSERT_EQ(0, kill(t.pid, SIGKILL));
	st = ut_wait_exit(t.pid, 10);
	close(t.back);
	ASSERT_NE(-1, st);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGKILL, WTERMSIG(st));
	EXPECT_EQ(0, sh->value[V_USR1]);
}

/*
 * Two engines disagree: the first ignores SIGUSR1, the second (attached later, called
 * later) delivers it. The last engine's signal action wins, and it is passed the first
 * one's (in=0x15). Then the other way round: the signal is dropped.
 */
static void two_engines(struct __test_metadata *_metadata, bool last_delivers)
{
	struct ut_tracee t = { 0 };
	unsigned int first = UTRACE_RESUME | (last_delivers ? UTRACE_SIGNAL_IGN : UTRACE_SIGNAL_DELIVER);
	unsigned int second = UTRACE_RESUME | (last_delivers ? UTRACE_SIGNAL_DELIVER : UTRACE_SIGNAL_IGN);
	char want[256];
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("sigon 1 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", first));
	ASSERT_EQ(0, ut_cmd("ret 1 signal %x", second));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SIGNAL)));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(reported(1, t.pid, SIGUSR1));
	if (last_delivers) {
		ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 1));
	}
	usleep(100000);
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(last_delivers ? 1 : 0, sh->value[V_USR1]);
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "signal 1 %d in=0x%x sig=%d handler=fn code=0", t.pid,
		 first, SIGUSR1);
	EXPECT_EQ(1, ut_count_matching(logbuf, 1, want));
}

TEST_F(sig, two_engines_last_delivers)
{
	two_engines(_metadata, true);
}

TEST_F(sig, two_engines_last_ignores)
{
	two_engines(_metadata, false);
}

/* Waits for a ptrace stop of @pid; returns the status, or -1 after 10 s. */
static int wait_ptrace_stop(pid_t pid)
{
	int st;

	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG | __WALL);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

/*
 * A ptrace tracer on the same thread sees exactly the signals the engines let through: the
 * engine ignores SIGUSR1, so the tracer's first signal-delivery stop is the SIGUSR2 sent
 * after it, and no stop ever shows SIGUSR1.
 */
TEST_F(sig, ptrace_sees_only_signals_let_through)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, 0, 0));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(reported(0, t.pid, SIGUSR1));
	ASSERT_TRUE(released());
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR2));
	st = wait_ptrace_stop(t.pid);
	ASSERT_NE(-1, st);
	ASSERT_TRUE(WIFSTOPPED(st));
	EXPECT_EQ(SIGUSR2, WSTOPSIG(st));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, SIGUSR2));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR2], 1));
	sh->value[V_GO] = 1;
	/* No other signal stop comes before the exit. */
	for (;;) {
		st = wait_ptrace_stop(t.pid);
		ASSERT_NE(-1, st);
		if (!WIFSTOPPED(st))
			break;
		EXPECT_NE(SIGUSR1, WSTOPSIG(st));
		ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, WSTOPSIG(st)));
	}
	close(t.back);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, sh->value[V_USR1]);
	EXPECT_EQ(1, sh->value[V_USR2]);
}

/* The count of slot @slot's intercepted (not after-the-fact) reports of @sig in the log. */
static int intercepted(int slot, pid_t pid, int sig)
{
	char want[256];

	if (ut_log(logbuf, sizeof(logbuf)) <= 0)
		return -1;
	snprintf(want, sizeof(want), "signal %d %d in=0x%x sig=%d handler=fn code=*", slot, pid,
		 UTRACE_RESUME | UTRACE_SIGNAL_DELIVER, sig);
	return ut_count_matching(logbuf, slot, want);
}

/*
 * Two signals pending when the tracee opens its mask; the engine ignores the second. The
 * item reports SIGUSR1 (delivered), is re-armed by its delivery, and reports SIGUSR2 before
 * get_signal() takes it: dropped, never after the fact.
 */
TEST_F(sig, two_pending_second_ignored)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR2));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, kill(t.pid, SIGUSR1));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR2));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 1));
	ASSERT_TRUE(reported(0, t.pid, SIGUSR2));
	ASSERT_TRUE(released());
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, sh->value[V_USR1]);
	EXPECT_EQ(0, sh->value[V_USR2]);
	EXPECT_EQ(1, intercepted(0, t.pid, SIGUSR1)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(1, intercepted(0, t.pid, SIGUSR2)) TH_LOG("log:\n%s", logbuf);
	/* Nothing after the fact. */
	EXPECT_EQ(0, ut_count_containing(logbuf, 0, "in=0x205"));
}

/* Waits for the next ptrace signal-delivery stop of @pid, which must be @sig; -1 if not. */
static int ptrace_stop_on(pid_t pid, int sig)
{
	int st = wait_ptrace_stop(pid);

	/* A timeout (-1) is no stop: WIFSTOPPED(-1) is false. */
	return WIFSTOPPED(st) && WSTOPSIG(st) == sig ? 0 : -1;
}

/*
 * A ptrace tracer cancels an approved SIGUSR1 at its signal-delivery stop (the approval is
 * never used up at signal_deliver); a second SIGUSR1 must still be reported before
 * get_signal() takes it (it is "fresh": the old approval is dropped).
 */
TEST_F(sig, ptrace_cancel_then_same_signal_reported)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_DELIVER));
	start(_metadata, &t, UTRACE_EVENT(SIGNAL));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, 0, 0));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_EQ(0, ptrace_stop_on(t.pid, SIGUSR1));
	/* Cancelled. */
	ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, 0));
	ASSERT_TRUE(released());
	EXPECT_EQ(1, intercepted(0, t.pid, SIGUSR1));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_EQ(0, ptrace_stop_on(t.pid, SIGUSR1));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, SIGUSR1));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 1));
	ASSERT_TRUE(released());
	EXPECT_EQ(2, intercepted(0, t.pid, SIGUSR1)) TH_LOG("log:\n%s", logbuf);
	sh->value[V_GO] = 1;
	for (;;) {
		st = wait_ptrace_stop(t.pid);
		ASSERT_NE(-1, st);
		if (!WIFSTOPPED(st))
			break;
		ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, WSTOPSIG(st)));
	}
	close(t.back);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, sh->value[V_USR1]);
}

/*
 * The second thread of scenario_threads: its tid in value[4], its acks in value[5]. Slot 4
 * is also V_VALUE, which the handler overwrites with the signal's sival_int: the test reads
 * the tid before any signal is sent.
 */
#define V_TID	4
#define V_TACK	5

static void *second_thread(void *arg)
{
	sh->value[V_TID] = syscall(SYS_gettid);
	serve(V_TACK, 0);
	return NULL;
}

/* Two threads, both blocking the test signals and serving "take" requests. */
static int scenario_threads(struct ut_tracee *t)
{
	pthread_t th;

	set_handlers();
	if (pthread_create(&th, NULL, second_thread, NULL))
		return 1;
	while (!sh->value[V_TID])
		usleep(1000);
	sh->progress = 1;
	serve(-1, 1);
	pthread_join(th, NULL);
	return 0;
}

/*
 * kill(pid) to a two-thread process, both threads traced, both opening their masks at
 * once: the signal is delivered once; each thread whose item peeked it before the other
 * took it reports it, so one or two reports (design.md, "Signals": the double report of a
 * shared signal), never more, and the thread that did not take it sends nothing.
 */
TEST_F(sig, group_signal_two_threads_delivered_once)
{
	struct ut_tracee t = { 0 };
	int st, n, n0, n1;
	pid_t tid;

	memset((void *)sh, 0, sizeof(*sh));
	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("sigon 1 %d", SIGUSR1));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_threads));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SIGNAL)));
	tid = (pid_t)sh->value[V_TID];
	ASSERT_EQ(0, ut_cmd("attach 1 %d", tid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SIGNAL)));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 1));
	ASSERT_TRUE(released());
	ASSERT_TRUE(ut_reaches(&sh->value[V_TACK], 1));
	usleep(100000);
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(1, sh->value[V_USR1]);
	/* Each count is -1 if the log could not be read: not summed blindly. */
	n0 = intercepted(0, t.pid, SIGUSR1);
	n1 = intercepted(1, tid, SIGUSR1);
	ASSERT_LE(0, n0) TH_LOG("slot 0 log not read");
	ASSERT_LE(0, n1) TH_LOG("slot 1 log not read");
	n = n0 + n1;
	EXPECT_LE(1, n) TH_LOG("tids %d %d, counts %d %d, log:\n%s", t.pid, tid, n0, n1,
			       logbuf);
	EXPECT_GE(2, n) TH_LOG("log:\n%s", logbuf);
}

/* Kills itself through seccomp (RET_KILL_PROCESS on getppid()) once the test says go. */
static int scenario_seccomp_kill(struct ut_tracee *t)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return 2;
	sh->progress = 1;
	while (!sh->value[V_GO])
		usleep(1000);
	syscall(SYS_getppid);
	return 0;
}

/*
 * seccomp's RET_KILL_PROCESS forces SIGSYS fatal (SA_IMMUTABLE): an engine that ignores
 * every signal of every disposition cannot save the process.
 */
TEST_F(sig, seccomp_kill_process_not_interceptable)
{
	struct ut_tracee t = { 0 };
	int st;

	memset((void *)sh, 0, sizeof(*sh));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_seccomp_kill));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SIGNAL_ALL));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
	st = finish(&t);
	ASSERT_NE(-1, st);
	ASSERT_TRUE(WIFSIGNALED(st)) TH_LOG("status %#x", st);
	EXPECT_EQ(SIGSYS, WTERMSIG(st));
	/* Never intercepted: at most an after-the-fact report. */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_EQ(0, ut_count_containing(logbuf, 0, "in=0x5 sig=31 ")) TH_LOG("log:\n%s", logbuf);
}

/*
 * Detach while the thread is stopped holding SIGINT: the park ends and the pass's decision
 * (DELIVER) is applied: the handler runs once.
 */
TEST_F(sig, detach_while_held_delivers)
{
	struct ut_tracee t = { 0 };
	int st;

	start_held(_metadata, &t, SIGINT);
	EXPECT_EQ(0, sh->value[V_INT]);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	ASSERT_TRUE(ut_reaches(&sh->value[V_INT], 1));
	ASSERT_TRUE(released());
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, sh->value[V_INT]);
}

/*
 * utrace_set_events() from the test turning SIGNAL on for a running tracee, held up 500 ms
 * inside it (test window 64, `RemoteQueue`: before its interception item is handed to
 * task_work; an embedded work claimed by another thread is held up the same way), while
 * another thread of the test sends the tracee SIGUSR1 and has it take it. The engine
 * (answering IGN) must intercept it: the handler never runs. The race this catches: the
 * call claimed the thread's own interception item, the sender's signal_generate probe
 * found it claimed and queued nothing, and the thread took the signal unintercepted.
 */
FIXTURE(remote_queue_window) {
	int dummy;
};

FIXTURE_SETUP(remote_queue_window)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load_windowed(_metadata, "test_delay_mask=64 test_delay_us=500000");
}

FIXTURE_TEARDOWN(remote_queue_window)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

struct window_sender {
	pid_t pid;
	long before;	/* windows entered before the call */
	int sent;
};

/* Once the call is inside the window: SIGUSR1 to the tracee, which then takes it. */
static void *send_in_window(void *arg)
{
	struct window_sender *w = arg;

	if (!ut_window_entered_since(w->before, 10000))
		return NULL;
	if (!send_and_release(w->pid, SIGUSR1))
		w->sent = 1;
	return NULL;
}

TEST_F(remote_queue_window, signal_sent_while_events_set_is_intercepted)
{
	struct window_sender w = { 0 };
	struct ut_tracee t = { 0 };
	pthread_t th;
	int st;

	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR1));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	start(_metadata, &t, UTRACE_EVENT(QUIESCE));
	w.pid = t.pid;
	w.before = ut_windows_entered();
	ASSERT_LE(0, w.before);
	ASSERT_EQ(0, pthread_create(&th, NULL, send_in_window, &w));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(QUIESCE) | UTRACE_EVENT(SIGNAL)));
	pthread_join(th, NULL);
	ASSERT_TRUE(w.sent);
	ASSERT_TRUE(released());
	ASSERT_TRUE(reported(0, t.pid, SIGUSR1));
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, sh->value[V_USR1]);
	EXPECT_EQ(0, sh->value[V_EINTR]);
}

/*
 * The engines decide about a group-wide SIGUSR1 in the traced thread's item, held up 500 ms
 * (test window 128, `SignalDecision`: between the report and acting on the answer), while
 * an untraced thread of the group takes that SIGUSR1. The engine delivers SIGUSR1 and
 * ignores SIGUSR2, which is pending behind it. The traced thread's item must peek again
 * after its approval: the approved signal is gone (no signal_generate told the thread), and
 * SIGUSR2 must be reported and dropped before get_signal() takes it. The regression this
 * catches: ending the item's loop at an approval (design.md, "Signals", step 4) let the
 * thread take SIGUSR2 unintercepted and run its handler.
 */
FIXTURE(decision_window) {
	int dummy;
};

FIXTURE_SETUP(decision_window)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load_windowed(_metadata, "test_delay_mask=128 test_delay_us=500000");
}

FIXTURE_TEARDOWN(decision_window)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* The untraced thread's request: 1 asks it to take SIGUSR1, it answers 2 once it has. */
#define V_TAKE1	V_INT

/* Untraced: blocks the test signals until asked, then takes SIGUSR1 only. */
static void *usr1_taker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t open;

	while (sh->value[V_TAKE1] != 1 && !sh->value[V_GO])
		usleep(1000);
	if (sh->value[V_GO])
		return NULL;
	sigfillset(&open);
	sigdelset(&open, SIGUSR1);
	ppoll(NULL, 0, &ts, &open);
	sh->value[V_TAKE1] = 2;
	return NULL;
}

/* The main thread serves "take" requests; the second one takes SIGUSR1 when asked. */
static int scenario_taker(struct ut_tracee *t)
{
	pthread_t th;

	set_handlers();
	if (pthread_create(&th, NULL, usr1_taker, NULL))
		return 1;
	sh->progress = 1;
	serve(-1, 1);
	pthread_join(th, NULL);
	return 0;
}

TEST_F(decision_window, signal_behind_one_taken_elsewhere_is_intercepted)
{
	struct ut_tracee t = { 0 };
	long before;
	int st;

	memset((void *)sh, 0, sizeof(*sh));
	ASSERT_EQ(0, ut_cmd("sigon 0 %d", SIGUSR2));
	ASSERT_EQ(0, ut_cmd("ret 0 signal %x", UTRACE_RESUME | UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_taker));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT(SIGNAL)));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_reaches(&sh->progress, 1));
	/*
	 * A first SIGUSR1, taken by the main thread: it runs the interception item that
	 * utrace_set_events() queued above, which would otherwise run after the one below in
	 * the same task_work_run() and peek again on its own, hiding the regression.
	 */
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR1));
	ASSERT_TRUE(released());
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 1));
	before = ut_windows_entered();
	ASSERT_LE(0, before);
	/* Both group-wide, both blocked by both threads: the item is queued on the main one. */
	ASSERT_EQ(0, kill(t.pid, SIGUSR1));
	ASSERT_EQ(0, send_and_release(t.pid, SIGUSR2));
	/* The main thread's item reports SIGUSR1 and waits; meanwhile the other thread takes it. */
	ASSERT_TRUE(ut_window_entered_since(before, 2000));
	sh->value[V_TAKE1] = 1;
	ASSERT_TRUE(ut_reaches(&sh->value[V_TAKE1], 2));
	ASSERT_TRUE(ut_reaches(&sh->value[V_USR1], 2));
	ASSERT_TRUE(released());
	ASSERT_TRUE(reported(0, t.pid, SIGUSR2));
	st = finish(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(2, sh->value[V_USR1]);
	EXPECT_EQ(0, sh->value[V_USR2]) TH_LOG("log:\n%s", logbuf);
	/* SIGUSR2 reported before it was taken (DELIVER passed in), never after the fact. */
	EXPECT_EQ(1, intercepted(0, t.pid, SIGUSR2)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, ut_count_containing(logbuf, 0, "in=0x205")) TH_LOG("log:\n%s", logbuf);
}

TEST_HARNESS_MAIN
