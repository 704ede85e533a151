// SPDX-License-Identifier: GPL-2.0
/*
 * A Rust engine (engines/utrace_rust_test.rs, built on include/rust/utrace.rs, no unsafe of
 * its own) gets the same events with the same values as the C engine; a C and a Rust engine
 * on one task are called in the documented order and fold their answers; the Rust engine's
 * value is released exactly once; unloading it under a syscall storm is safe; through the
 * safe API only, it writes a breakpoint, sees the hit, takes it out, rewinds and resumes
 * with the program's result unchanged, sees a write watchpoint fire once, and logs job
 * control reports.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

/*
 * Breakpoints, watchpoints and job control (Documentation/api.md, "Breakpoints and
 * watchpoints", "Job control") through the Rust engine: it stops at every intercepted
 * SIGTRAP ("sig_stop 5", waking "wait_stop") and logs it as a "trap" line (the
 * SignalReport's ip, addr and si_code). The tracee's first act is a compiled-in int3
 * (rt_int3_fn), where the engine stops it: the test has the engine write breakpoints or set
 * watchpoints while it is stopped there, then resume it with the trap dropped.
 *
 * rt_int3_fn(x): int3, then returns x + 2 (rt_int3_after is just after the int3).
 * rt_bp_fn(x): a one-byte nop (the breakpoint's site), then returns x + 1.
 */
asm(".pushsection .text\n"
	".globl rt_int3_fn\n.type rt_int3_fn,@function\n"
	"rt_int3_fn:\n\tint3\n"
	".globl rt_int3_after\nrt_int3_after:\n\tlea 2(%rdi),%rax\n\tret\n"
	".size rt_int3_fn, .-rt_int3_fn\n"
	".globl rt_bp_fn\n.type rt_bp_fn,@function\n"
	"rt_bp_fn:\n\tnop\n\tlea 1(%rdi),%rax\n\tret\n"
	".size rt_bp_fn, .-rt_bp_fn\n"
	".popsection\n");
long rt_int3_fn(long x);
extern char rt_int3_after[];
long rt_bp_fn(long x);

#define NOP	0x90
#define INT3	0xcc

/* The last "trap" line of the Rust log: its IP, address and si_code. Returns 0 or -1. */
static int last_rtrap(unsigned long *ip, unsigned long *addr, int *code)
{
	if (ut_rlog(logbuf, sizeof(logbuf)) <= 0)
		return -1;
	return ut_last_trap(logbuf, ip, addr, code);
}

/* The 8 bytes at @addr of the stopped tracee, read by the Rust engine ("peek"). */
static int rpeek(unsigned long addr, unsigned long *val)
{
	char want[64], *p, *last = NULL;
	unsigned long a;

	if (ut_rcmd("peek %lx", addr) || ut_rlog(logbuf, sizeof(logbuf)) <= 0)
		return -1;
	snprintf(want, sizeof(want), " addr=0x%lx val=", addr);
	for (p = logbuf; (p = strstr(p, "mem 0 ")); p++)
		last = p;
	if (!last || !strstr(last, want))
		return -1;
	last = strstr(last, " addr=");
	return sscanf(last, " addr=0x%lx val=0x%lx", &a, val) == 2 && a == addr ? 0 : -1;
}

/* Stopped at the compiled int3, then runs through the engine's breakpoint at rt_bp_fn. */
static int scenario_breakpoint(struct ut_tracee *t)
{
	long a = rt_int3_fn(5);
	long b = rt_bp_fn(40);

	ut_report(t, a * 100 + b);
	return a == 7 && b == 41 ? 0 : 1;
}

/* Stops at every intercepted SIGTRAP, with the signal events SIGTRAP's report needs. */
static int attach_trap_stopping(pid_t pid)
{
	if (ut_rcmd("sig_stop %d", SIGTRAP) || ut_rcmd("attach %d", pid) ||
	    ut_rcmd("events %lx", (unsigned long)UTRACE_EVENT_SIGNAL_ALL) || ut_rcmd("clear"))
		return -1;
	return 0;
}

/*
 * Attached::insert_breakpoint at rt_bp_fn while the tracee is stopped (the int3 is in its
 * text; an int3 already there is refused); the tracee runs into it; intercept_signal sees
 * SIGTRAP, SI_KERNEL, ip = address + 1 and stops; remove_breakpoint puts the original
 * bytes back, the ip is set back to the address, the trap is dropped (set_signal IGN) and
 * the thread resumed: the nop runs, rt_bp_fn returns what it returns untraced, the tracee
 * exits 0.
 */
TEST_F(engines, rust_engine_breakpoint_hit_remove_rewind)
{
	unsigned long site = (unsigned long)rt_bp_fn, text, mem, ip, addr;
	struct ut_tracee t = { 0 };
	char want[256];
	long result;
	int code, st;

	/* The same static binary, forked: the tracee's text is this process's. */
	memcpy(&text, (void *)site, sizeof(text));
	ASSERT_EQ((unsigned long)NOP, text & 0xff);
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_breakpoint));
	ASSERT_EQ(0, attach_trap_stopping(t.pid));
	EXPECT_EQ(-ENOENT, ut_rcmd("bpclear"));
	ut_tracee_go(&t);
	/* The compiled int3: the engine holds its SIGTRAP. */
	ASSERT_EQ(0, ut_rcmd("wait_stop"));
	ASSERT_EQ(0, last_rtrap(&ip, &addr, &code));
	EXPECT_EQ((unsigned long)rt_int3_after, ip);
	EXPECT_EQ(SI_KERNEL, code);
	EXPECT_EQ(0UL, addr);
	EXPECT_EQ(-EEXIST, ut_rcmd("bpset %lx", (unsigned long)rt_int3_fn));
	ASSERT_EQ(0, ut_rcmd("bpset %lx", site));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "bp 0 %d addr=0x%lx orig=0x%x", t.pid, site, NOP);
	EXPECT_EQ(1, ut_count_matching(logbuf, 0, want)) TH_LOG("want '%s' in:\n%s", want, logbuf);
	ASSERT_EQ(0, rpeek(site, &mem));
	EXPECT_EQ((text & ~0xffUL) | INT3, mem);
	ASSERT_EQ(0, ut_rcmd("setsig %x", UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_rcmd("resume"));
	/* The written int3: the IP just after it. */
	ASSERT_EQ(0, ut_rcmd("wait_stop"));
	ASSERT_EQ(0, last_rtrap(&ip, &addr, &code));
	EXPECT_EQ(site + 1, ip);
	EXPECT_EQ(SI_KERNEL, code);
	EXPECT_EQ(0UL, addr);
	ASSERT_EQ(0, ut_rcmd("bpclear"));
	EXPECT_EQ(-ENOENT, ut_rcmd("bpclear"));
	ASSERT_EQ(0, rpeek(site, &mem));
	EXPECT_EQ(text, mem);
	ASSERT_EQ(0, ut_rcmd("setip %lx", site));
	ASSERT_EQ(0, ut_rcmd("setsig %x", UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_rcmd("resume"));
	ASSERT_EQ(0, ut_read_back(&t, &result));
	EXPECT_EQ(7 * 100 + 41, result);
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	/* Two traps, each reported once, intercepted (kind 0) with SI_KERNEL. */
	EXPECT_EQ(2, ut_count_containing(logbuf, 0, "trap 0 ")) TH_LOG("log:\n%s", logbuf);
	snprintf(want, sizeof(want), "signal 0 %d in=0x%x sig=%d code=%d kind=0", t.pid,
		 UTRACE_RESUME | UTRACE_SIGNAL_DELIVER, SIGTRAP, SI_KERNEL);
	EXPECT_EQ(2, ut_count_matching(logbuf, 0, want)) TH_LOG("want '%s' in:\n%s", want, logbuf);
	ASSERT_EQ(0, ut_rcmd("sig_stop 0"));
	ASSERT_EQ(0, ut_rcmd("detach"));
}

/* The watched variable: the same address in the tracee (fork, static binary). */
static volatile long rwvar;

/* Reads, writes (once watched), reads, writes again (no longer watched). */
static int scenario_watch(struct ut_tracee *t)
{
	long v = 0;

	rt_int3_fn(0);
	for (int i = 0; i < 100; i++)
		v += rwvar;
	rsh->progress = 1;
	rwvar = 42;
	rsh->progress = 2;
	for (int i = 0; i < 100; i++)
		v += rwvar;
	rwvar = 43;
	rsh->progress = 3;
	return v == 100 * 42 && rwvar == 43 ? 0 : 1;
}

/*
 * Attached::set_watchpoint (write, 8 bytes) on rwvar while the tracee is stopped: the reads
 * do not fire; the write does, once, reported as SIGTRAP with TRAP_HWBKPT and
 * SignalReport::addr() the variable's address; clear_watchpoint then takes it away (the
 * second write is not reported); the tracee exits 0.
 */
TEST_F(engines, rust_engine_watchpoint_write_reported_once)
{
	unsigned long ip, addr, var = (unsigned long)&rwvar;
	struct ut_tracee t = { 0 };
	int code, st;

	rsh = ut_shared_map();
	ASSERT_NE(NULL, rsh);
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_watch));
	ASSERT_EQ(0, attach_trap_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_rcmd("wait_stop"));
	ASSERT_EQ(0, ut_rcmd("watch %lx 8", var));
	EXPECT_EQ(-EEXIST, ut_rcmd("watch %lx 8", var));
	EXPECT_EQ(-EINVAL, ut_rcmd("watch %lx 8", var + 1));
	ASSERT_EQ(0, ut_rcmd("setsig %x", UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_rcmd("resume"));
	/* Stopped after the write (a trap), not at any of the reads before it. */
	ASSERT_EQ(0, ut_rcmd("wait_stop"));
	EXPECT_EQ(1, rsh->progress);
	ASSERT_EQ(0, last_rtrap(&ip, &addr, &code));
	EXPECT_EQ(TRAP_HWBKPT, code);
	EXPECT_EQ(var, addr);
	ASSERT_EQ(0, ut_rcmd("unwatch %lx", var));
	EXPECT_EQ(-ENOENT, ut_rcmd("unwatch %lx", var));
	ASSERT_EQ(0, ut_rcmd("setsig %x", UTRACE_SIGNAL_IGN));
	ASSERT_EQ(0, ut_rcmd("resume"));
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(3, rsh->progress);
	/* The compiled int3's trap and the first write's: nothing else. */
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	EXPECT_EQ(2, ut_count_containing(logbuf, 0, "trap 0 ")) TH_LOG("log:\n%s", logbuf);
	ASSERT_EQ(0, ut_rcmd("sig_stop 0"));
	ASSERT_EQ(0, ut_rcmd("detach"));
	munmap(rsh, sizeof(*rsh));
}

static int scenario_jctl(struct ut_tracee *t)
{
	rsh->progress = 1;
	while (!rsh->value[0])
		usleep(1000);
	return 0;
}

/*
 * Engine::report_jctl with Events::JCTL: kill -STOP logs one CLD_STOPPED report, kill -CONT
 * one CLD_CONTINUED with notify CLD_CONTINUED (the stop had completed: the parent saw it),
 * in that order; RESUME answers let the process stop and continue as untraced.
 */
TEST_F(engines, rust_engine_jctl_stop_cont_logged)
{
	struct ut_tracee t = { 0 };
	char want[256];
	int st;

	rsh = ut_shared_map();
	ASSERT_NE(NULL, rsh);
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_jctl));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("events %lx", (unsigned long)UTRACE_EVENT(JCTL)));
	ASSERT_EQ(0, ut_rcmd("clear"));
	ut_tracee_go(&t);
	ASSERT_TRUE(ut_reaches(&rsh->progress, 1));
	ASSERT_EQ(0, kill(t.pid, SIGSTOP));
	ASSERT_TRUE(ut_parent_sees(t.pid, WUNTRACED));
	ASSERT_EQ(0, kill(t.pid, SIGCONT));
	ASSERT_TRUE(ut_parent_sees(t.pid, WCONTINUED));
	rsh->value[0] = 1;
	st = ut_tracee_wait(&t);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "jctl 0 %d in=0x%x type=%d *", t.pid, UTRACE_RESUME,
		 CLD_STOPPED);
	EXPECT_EQ(1, ut_count_matching(logbuf, 0, want)) TH_LOG("want '%s' in:\n%s", want, logbuf);
	snprintf(want, sizeof(want), "jctl 0 %d in=0x%x type=%d notify=%d", t.pid, UTRACE_RESUME,
		 CLD_CONTINUED, CLD_CONTINUED);
	EXPECT_EQ(1, ut_count_matching(logbuf, 0, want)) TH_LOG("want '%s' in:\n%s", want, logbuf);
	EXPECT_EQ(2, ut_count_containing(logbuf, 0, "jctl 0 ")) TH_LOG("log:\n%s", logbuf);
	EXPECT_LT(ut_line_index(logbuf, 0, 0, "type=5 "), ut_line_index(logbuf, 0, 0, "type=6 "));
	ASSERT_EQ(0, ut_rcmd("detach"));
	munmap(rsh, sizeof(*rsh));
}

TEST_HARNESS_MAIN
