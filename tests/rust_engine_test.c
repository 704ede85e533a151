// SPDX-License-Identifier: GPL-2.0
/*
 * A Rust engine (engines/utrace_rust_test.rs, built on include/rust/utrace.rs, no unsafe of
 * its own) gets the same events with the same values as the C engine; a C and a Rust engine
 * on one task are called in the documented order and fold their answers; the Rust engine's
 * value is released exactly once; unloading it under a syscall storm is safe.
 */
#include <signal.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "linux/utrace.h"
#include "utrace_stop.h"

#define NR_BOGUS	1000

static char logbuf[256 * 1024];
static char lines[64][256];

FIXTURE(engines) {
	int dummy;
};

static const char *const modules[] = { "utrace", "utrace_test_engine", "utrace_rust_test", NULL };

FIXTURE_SETUP(engines)
{
	ut_fixture_load(_metadata, modules);
}

FIXTURE_TEARDOWN(engines)
{
	ut_fixture_unload(_metadata, modules);
}

static int scenario_bogus_syscall(struct ut_tracee *t)
{
	syscall(NR_BOGUS, 1, 2, 3, 4, 5, 6);
	return 7;
}

static int scenario_storm(struct ut_tracee *t)
{
	for (;;)
		syscall(SYS_getppid);
	return 0;
}

TEST_F(engines, rust_engine_syscalls_exit_death_reap)
{
	struct ut_tracee t = { 0 };
	char want[8][256];
	int n, st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_bogus_syscall));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT_SYSCALL | UTRACE_EVENT(EXIT) |
			     UTRACE_EVENT(DEATH) | UTRACE_EVENT(REAP)));
	ASSERT_EQ(0, ut_rcmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(7, WEXITSTATUS(st));
	for (int i = 0; i < 1000; i++) {
		if (ut_rlog(logbuf, sizeof(logbuf)) > 0 && strstr(logbuf, "reap 0"))
			break;
		usleep(10000);
	}
	snprintf(want[0], 256, "syscall_exit 0 %d in=0x5 nr=%d ret=1", t.pid, SYS_read);
	snprintf(want[1], 256, "syscall_entry 0 %d in=0x5 nr=%d args=1,2,3,4,5,6", t.pid, NR_BOGUS);
	snprintf(want[2], 256, "syscall_exit 0 %d in=0x5 nr=%d ret=%d", t.pid, NR_BOGUS, -ENOSYS);
	snprintf(want[3], 256, "syscall_entry 0 %d in=0x5 nr=%d args=7,*", t.pid, SYS_exit_group);
	snprintf(want[4], 256, "exit 0 %d in=0x5 orig=%d code=%d", t.pid, 7 << 8, 7 << 8);
	snprintf(want[5], 256, "death 0 %d group_dead=1 signal=%d", t.pid, SIGCHLD);
	snprintf(want[6], 256, "reap 0 %d", t.pid);
	n = ut_slot_lines(logbuf, 0, lines, 64);
	EXPECT_EQ(7, n) TH_LOG("log:\n%s", logbuf);
	for (int i = 0; i < n && i < 7; i++) {
		EXPECT_TRUE(ut_line_matches(lines[i], want[i])) {
			TH_LOG("got '%s' want '%s'", lines[i], want[i]);
		}
	}
}

/*
 * C engine attached first, Rust engine second. At syscall entry the Rust engine is called
 * first (reverse order) and answers REPORT; the C engine then sees REPORT as the running
 * action. At syscall exit the C engine goes first and sees RESUME.
 */
TEST_F(engines, c_and_rust_order_and_folding)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_bogus_syscall));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("ret_entry %x", UTRACE_REPORT));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", UTRACE_EVENT_SYSCALL));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_rcmd("clear"));
	ut_tracee_go(&t);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(lines[0], 256, "syscall_entry 0 %d in=0x2 nr=%d args=1,2,3,4,5,6", t.pid, NR_BOGUS);
	EXPECT_TRUE(strstr(logbuf, lines[0]) != NULL) TH_LOG("no '%s' in C log:\n%s", lines[0], logbuf);
	snprintf(lines[0], 256, "syscall_exit 0 %d in=0x5 nr=%d", t.pid, NR_BOGUS);
	EXPECT_TRUE(strstr(logbuf, lines[0]) != NULL) TH_LOG("no '%s' in C log:\n%s", lines[0], logbuf);
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(lines[0], 256, "syscall_entry 0 %d in=0x5 nr=%d args=1,2,3,4,5,6", t.pid, NR_BOGUS);
	EXPECT_TRUE(strstr(logbuf, lines[0]) != NULL) TH_LOG("no '%s' in Rust log:\n%s", lines[0], logbuf);
}

/* Detaching the Rust engine's handle releases its value once, and nothing is called after. */
TEST_F(engines, rust_detach_releases_once)
{
	struct ut_tracee t = { 0 };
	char *p;
	int n = 0;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_storm));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT_SYSCALL));
	ut_tracee_go(&t);
	for (int i = 0; i < 1000; i++) {
		if (ut_rlog(logbuf, sizeof(logbuf)) > 0 && strstr(logbuf, "syscall_entry"))
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, ut_rcmd("detach"));
	EXPECT_EQ(-ENOENT, ut_rcmd("detach"));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	/* "release" is the last line, exactly once. */
	for (p = logbuf; (p = strstr(p, "release 0")); p++)
		n++;
	EXPECT_EQ(1, n) TH_LOG("%s", logbuf);
	p = strstr(logbuf, "release 0");
	ASSERT_TRUE(p != NULL);
	EXPECT_EQ('\0', *(strchr(p, '\n') + 1)) TH_LOG("events after release:\n%s", p);
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
}

static const long magic = 0x1122334455667788;

/* getppid() with a pointer to a known value as its (ignored) argument; reports the result. */
static int scenario_getppid_ptr(struct ut_tracee *t)
{
	long r = syscall(SYS_getppid, &magic);

	return write(t->back_w, &r, sizeof(r)) == sizeof(r) ? 0 : 98;
}

/*
 * The Rust engine's stop, through the safe API only: report_syscall_entry answers STOP and
 * calls utrace::wake_up(); the woken tracer examines the stopped thread (registers and
 * memory, prepare/finish_examine both succeed), changes the syscall number, resumes it, and
 * the changed syscall runs once, reported as resumed.
 */
TEST_F(engines, rust_engine_stop_examine_change_resume)
{
	struct ut_tracee t = { 0 };
	char want[256];
	long r = 0;
	int n, found = 0;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_ptr));
	ASSERT_EQ(0, ut_rcmd("stop_nr %d", SYS_getppid));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT_SYSCALL));
	ASSERT_EQ(0, ut_rcmd("clear"));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_rcmd("wait_stop"));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "regs 0 %d orig_ax=%d ax=%d di=0x%lx mem=0x%lx", t.pid,
		 SYS_getppid, -ENOSYS, (long)&magic, magic);
	n = ut_slot_lines(logbuf, 0, lines, 64);
	for (int i = 0; i < n; i++)
		found += ut_line_matches(lines[i], want);
	EXPECT_EQ(1, found) TH_LOG("want '%s' in:\n%s", want, logbuf);
	ASSERT_EQ(0, ut_rcmd("setnr %d", SYS_getpid));
	ASSERT_EQ(0, ut_rcmd("resume"));
	ASSERT_EQ((ssize_t)sizeof(r), read(t.back, &r, sizeof(r)));
	EXPECT_EQ(t.pid, r);
	EXPECT_EQ(0, WEXITSTATUS(ut_tracee_wait(&t)));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x%x nr=%d *", t.pid,
		 UTRACE_RESUME | UTRACE_SYSCALL_RESUMED, SYS_getpid);
	n = ut_slot_lines(logbuf, 0, lines, 64);
	found = 0;
	for (int i = 0; i < n; i++)
		found += ut_line_matches(lines[i], want);
	EXPECT_EQ(1, found) TH_LOG("want '%s' in:\n%s", want, logbuf);
	ASSERT_EQ(0, ut_rcmd("stop_nr -1"));
	ASSERT_EQ(0, ut_rcmd("detach"));
}

/* rmmod of the Rust engine while its task storms through system calls. */
TEST(rmmod_rust_engine_under_storm)
{
	struct ut_tracee t = { 0 };

	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_load_module("utrace_rust_test", ""));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_storm));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT_SYSCALL | UTRACE_EVENT(QUIESCE)));
	ut_tracee_go(&t);
	for (int i = 0; i < 1000; i++) {
		if (ut_rlog(logbuf, sizeof(logbuf)) > 0 && strstr(logbuf, "syscall_entry"))
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, ut_unload_module("utrace_rust_test"));
	EXPECT_TRUE(ut_wait_no_leak(10));
	EXPECT_EQ(0, ut_unload_module("utrace"));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
}

/*
 * The Rust engine's intercept_signal: it stops holding SIGUSR1 (Action::STOP with
 * SignalAction::Deliver), Attached::set_signal turns it into SIGUSR2 with SI_QUEUE and a
 * value, and the resume delivers that. The tracee blocks SIGUSR1 while it is sent and then
 * opens its mask with ppoll(), so the interception item is queued first (signal_test.c).
 */
static struct ut_shared *rsh;

static void r_on_signal(int sig, siginfo_t *si, void *uc)
{
	rsh->value[sig == SIGUSR1 ? 0 : 1]++;
	rsh->value[2] = si->si_code;
	rsh->value[3] = si->si_value.sival_int;
}

static int scenario_signal_hold(struct ut_tracee *t)
{
	struct sigaction sa = { .sa_sigaction = r_on_signal, .sa_flags = SA_SIGINFO };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t set, open;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&open);
	rsh->progress = 1;
	while (!rsh->value[4])
		usleep(1000);
	ppoll(NULL, 0, &ts, &open);
	rsh->progress = 2;
	while (!rsh->value[5])
		usleep(1000);
	return 0;
}

TEST_F(engines, rust_engine_signal_hold_and_set_signal)
{
	struct ut_tracee t = { 0 };
	char want[256];
	int st, ret = -1;

	rsh = ut_shared_map();
	ASSERT_NE(NULL, rsh);
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_signal_hold));
	ASSERT_EQ(0, ut_rcmd("sig_stop %d", SIGUSR1));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SIGNAL)));
	ASSERT_EQ(0, ut_rcmd("clear"));
	/* Nothing held yet. */
	EXPECT_EQ(-ENOENT, ut_rcmd("setsig 10"));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_reaches(&rsh->progress, 1));
	ASSERT_EQ(0, kill(t.pid, SIGUSR1));
	rsh->value[4] = 1;
	/* ENOENT until the thread holds the signal (a deadline of 10 s). */
	for (int i = 0; i < 1000 && ret; i++) {
		ret = ut_rcmd("setsig 0 %d %d %d", SIGUSR2, SI_QUEUE, 4242);
		if (ret)
			usleep(10000);
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EINVAL, ut_rcmd("setsig 8"));
	EXPECT_EQ(-EINVAL, ut_rcmd("setsig 0 65 0 0"));
	EXPECT_EQ(0, rsh->value[0]);
	EXPECT_EQ(0, rsh->value[1]);
	ASSERT_EQ(0, ut_rcmd("resume"));
	ASSERT_TRUE(ut_reaches(&rsh->progress, 2));
	EXPECT_EQ(0, rsh->value[0]);
	EXPECT_EQ(1, rsh->value[1]);
	EXPECT_EQ(SI_QUEUE, rsh->value[2]);
	EXPECT_EQ(4242, rsh->value[3]);
	rsh->value[5] = 1;
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "signal 0 %d in=0x%x sig=%d code=0 kind=0", t.pid,
		 UTRACE_RESUME | UTRACE_SIGNAL_DELIVER, SIGUSR1);
	EXPECT_TRUE(strstr(logbuf, want) != NULL) TH_LOG("no '%s' in Rust log:\n%s", want, logbuf);
	/* No after-the-fact report let rewrite() through. */
	EXPECT_TRUE(strstr(logbuf, "kind=3") == NULL) TH_LOG("Rust log:\n%s", logbuf);
	ASSERT_EQ(0, ut_rcmd("sig_stop 0"));
	ASSERT_EQ(0, ut_rcmd("detach"));
	munmap(rsh, sizeof(*rsh));
}

TEST_HARNESS_MAIN
