// SPDX-License-Identifier: GPL-2.0
/*
 * Breakpoints and watchpoints (Documentation/design.md, "Breakpoints and watchpoints"): a
 * user int3 in a thread whose engine wants signal events is reported as the SIGTRAP ptrace
 * would see (si_code SI_KERNEL, the IP after the int3) instead of killing it; an engine
 * writes an int3 into text (utrace_set_breakpoint()), and on each hit puts the byte back,
 * rewinds the IP, single-steps, writes the int3 again and continues, many times, with the
 * program's result unchanged; an int3 without an engine that wants it still kills with
 * SIGTRAP; a uprobe on the same program keeps working; a hardware write watchpoint fires on
 * the write and only then, reported to the engine that set it alone; the fifth watchpoint
 * of a thread gets -ENOSPC, and a detach gives the debug registers back; a writer without
 * the right to command the slot cannot poke the text; an unprivileged tracer's bpset and
 * watch are refused once its tracee made itself undumpable.
 *
 * The tracee's first act is a compiled-in int3 (ut_int3_fn), where the engine stops it
 * (UTRACE_STOP | UTRACE_SIGNAL_IGN): the test writes breakpoints or sets watchpoints while
 * it is stopped there, then resumes it. Every wait is a deadline for something that must
 * happen.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"
#include "utrace_access.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

/*
 * ut_int3_fn(x): int3, then returns x + 2 (ut_int3_after is just after the int3).
 * ut_bp_fn(x): a one-byte nop (the engines' breakpoint site), then returns x + 1.
 * ut_up_fn(x): the same, returning x + 3 (the uprobe's site).
 */
asm(".pushsection .text\n"
	".globl ut_int3_fn\n.type ut_int3_fn,@function\n"
	"ut_int3_fn:\n\tint3\n"
	".globl ut_int3_after\nut_int3_after:\n\tlea 2(%rdi),%rax\n\tret\n"
	".size ut_int3_fn, .-ut_int3_fn\n"
	/*
	 * The breakpoint sites each have a page of their own: under QEMU's TCG every write
	 * into a page of code throws away what was translated from that page, and the loop
	 * that calls them should not be retranslated at every hit.
	 */
	".balign 4096\n"
	".globl ut_bp_fn\n.type ut_bp_fn,@function\n"
	"ut_bp_fn:\n\tnop\n\tlea 1(%rdi),%rax\n\tret\n"
	".size ut_bp_fn, .-ut_bp_fn\n"
	".balign 4096\n"
	".globl ut_up_fn\n.type ut_up_fn,@function\n"
	"ut_up_fn:\n\tnop\n\tlea 3(%rdi),%rax\n\tret\n"
	".size ut_up_fn, .-ut_up_fn\n"
	".balign 4096\n"
	".popsection\n");
long ut_int3_fn(long x);
extern char ut_int3_after[];
long ut_bp_fn(long x);
long ut_up_fn(long x);

#define EV_SIG		(UTRACE_EVENT_SIGNAL_ALL | UTRACE_EVENT(QUIESCE))
/* report_signal's answer: stop, and drop the SIGTRAP. */
#define STOP_IGN	(UTRACE_STOP | UTRACE_SIGNAL_IGN)
#define NOP		0x90

/* Rounds of the in-engine loop (bpauto) and of the loop driven from here. */
#define AUTO_ROUNDS	10000
#define MANUAL_ROUNDS	100

static struct ut_shared *sh;
static char logbuf[1 << 18];

#define V_ROUNDS	0	/* the tracee's loop count, set before it starts */
#define V_PHASE		1	/* the watchpoint scenario's progress */
#define V_UPROBE	2	/* 1: the loop also calls ut_up_fn */

/* The watched variable: the same address in the tracee (fork, non-PIE static binary). */
static volatile long wvar;
static volatile long wvar2[8] __attribute__((aligned(64)));

FIXTURE(bp) {
	int dummy;
};

FIXTURE_SETUP(bp)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(bp)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* What the loop of the tracee computes, untraced: its "output". */
static long loop_result(long rounds, int uprobe)
{
	long sum = 0;

	for (long i = 0; i < rounds; i++) {
		sum += ut_bp_fn(i);
		if (uprobe)
			sum += ut_up_fn(i);
	}
	return sum;
}

/* The tracee of the breakpoint loops: the sync int3, then the loop; reports its result. */
static int scenario_loop(struct ut_tracee *t)
{
	ut_int3_fn(0);
	ut_report(t, loop_result(sh->value[V_ROUNDS], sh->value[V_UPROBE]));
	return 0;
}

/* The sync int3 alone, then exits 0 if it went on after it with the right result. */
static int scenario_int3(struct ut_tracee *t)
{
	return ut_int3_fn(5) == 7 ? 0 : 1;
}

/* No core files from the SIGTRAP deaths. */
static int scenario_int3_nocore(struct ut_tracee *t)
{
	struct rlimit r = { 0, 0 };

	setrlimit(RLIMIT_CORE, &r);
	return scenario_int3(t);
}

/* Reads then writes the watched variable, recording its progress in V_PHASE. */
static int scenario_watch(struct ut_tracee *t)
{
	long v = 0;

	ut_int3_fn(0);
	for (int i = 0; i < 100; i++)
		v += wvar;
	sh->value[V_PHASE] = 1;
	wvar = 42;
	sh->value[V_PHASE] = 2;
	for (int i = 0; i < 100; i++)
		v += wvar;
	sh->value[V_PHASE] = 3;
	return v == 100 * 42 ? 0 : 1;
}

/* The sync int3, then stays alive (until killed): no exit behind the test's back. */
static int scenario_hold(struct ut_tracee *t)
{
	ut_int3_fn(0);
	for (;;)
		pause();
	return 0;
}

/* Attaches slot 0 to @pid with signal events, stopping (and waking) at every SIGTRAP. */
static int attach_stopping(pid_t pid)
{
	if (ut_cmd("attach 0 %d", pid) || ut_cmd("events 0 %lx", (unsigned long)EV_SIG) ||
	    ut_cmd("wake 0 1") || ut_cmd("traplog 0 1") || ut_cmd("ret 0 signal %x", STOP_IGN))
		return -1;
	return 0;
}

/* The last "trap" line of the C engine's slot 0: its IP, address and si_code. */
static int last_trap(unsigned long *ip, unsigned long *addr, int *code)
{
	if (ut_log(logbuf, sizeof(logbuf)) <= 0)
		return -1;
	return ut_last_trap(logbuf, ip, addr, code);
}

/* The number of slot 0's breakpoint hits handled by bpauto ("counts" file). */
static long auto_hits(void)
{
	struct ut_counts c;

	return ut_counts(0, &c) ? -1 : c.count;
}

/* A compiled-in int3 stops the thread, reported with SI_KERNEL and the IP after it. */
TEST_F(bp, compiled_int3_reported_and_continued)
{
	struct ut_tracee t = { 0 };
	unsigned long ip, addr;
	int code, st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_int3));
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, last_trap(&ip, &addr, &code));
	EXPECT_EQ((unsigned long)ut_int3_after, ip);
	EXPECT_EQ(SI_KERNEL, code);
	EXPECT_EQ(0UL, addr);
	/* The signal report is SIGTRAP with its default action (core). */
	EXPECT_NE(NULL, strstr(logbuf, "sig=5 handler=dfl code=128"));
	/* Resumed with the SIGTRAP dropped: it goes on after the int3. */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(t.back);
}

/* Without an engine, or one without signal events, an int3 kills with SIGTRAP. */
TEST_F(bp, untraced_int3_gets_sigtrap)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_int3_nocore));
	ut_tracee_go(&t);
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTRAP, WTERMSIG(st));
	close(t.back);

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_int3_nocore));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", (unsigned long)UTRACE_EVENT(EXIT)));
	ut_tracee_go(&t);
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTRAP, WTERMSIG(st));
	close(t.back);
}

/* An engine that answers DELIVER: the SIGTRAP is forced as the kernel would have. */
TEST_F(bp, int3_delivered_kills)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_int3_nocore));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", (unsigned long)UTRACE_EVENT_SIGNAL_ALL));
	ASSERT_EQ(0, ut_cmd("traplog 0 1"));
	ut_tracee_go(&t);
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTRAP, WTERMSIG(st));
	ASSERT_GT(ut_log(logbuf, sizeof(logbuf)), 0);
	EXPECT_NE(NULL, strstr(logbuf, "trap 0 "));
	close(t.back);
}

/*
 * An engine-written int3, driven from here: each hit stops the thread with the IP after
 * it; the test puts the byte back, rewinds the IP, single-steps (the step's report stops it
 * again), writes the int3 again and resumes. The loop's result is the untraced one.
 */
TEST_F(bp, written_int3_stop_restore_step_reinsert)
{
	unsigned long site = (unsigned long)ut_bp_fn, ip, addr;
	long n = 1, result;
	struct ut_tracee t = { 0 };
	char want[64];
	int code, st;

	sh->value[V_ROUNDS] = MANUAL_ROUNDS;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_loop));
	ASSERT_EQ(0, attach_stopping(t.pid));
	/* The step's report_quiesce(0) stops it too. */
	ASSERT_EQ(0, ut_cmd("ret 0 quiesce 0"));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 %ld", n));
	ASSERT_EQ(0, ut_cmd("bpset 0 %lx", site));
	ASSERT_GT(ut_log(logbuf, sizeof(logbuf)), 0);
	snprintf(want, sizeof(want), "addr=0x%lx orig=0x%x", site, NOP);
	EXPECT_NE(NULL, strstr(logbuf, want));
	/* A second int3 at the same place is refused. */
	EXPECT_EQ(-EEXIST, ut_cmd("bpset 0 %lx", site));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	for (int i = 0; i < MANUAL_ROUNDS; i++) {
		ASSERT_EQ(0, ut_cmd("wait_stop 0 %ld", ++n));
		if (i == 0 || i == MANUAL_ROUNDS - 1) {
			ASSERT_EQ(0, last_trap(&ip, &addr, &code));
			EXPECT_EQ(site + 1, ip);
			EXPECT_EQ(SI_KERNEL, code);
		}
		ASSERT_EQ(0, ut_cmd("bpclear 0 %lx %x", site, NOP));
		ASSERT_EQ(0, ut_cmd("setreg 0 ip %ld", (long)site));
		ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_SINGLESTEP));
		ASSERT_EQ(0, ut_cmd("wait_stop 0 %ld", ++n));
		ASSERT_EQ(0, ut_cmd("bpset 0 %lx", site));
		ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	}
	ASSERT_EQ(0, ut_read_back(&t, &result));
	EXPECT_EQ(loop_result(MANUAL_ROUNDS, 0), result);
	/* The int3 is still there: take it out, let it exit. */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(t.back);
}

/*
 * The same, AUTO_ROUNDS times, done by the engine in its callbacks (bpauto). @expect is
 * the loop's untraced result, computed by the caller before any uprobe is enabled (this
 * process runs the probed function too, and would count in its hits).
 */
static void auto_loop(struct __test_metadata *_metadata, long rounds, int uprobe, long expect)
{
	unsigned long site = (unsigned long)ut_bp_fn;
	struct ut_tracee t = { 0 };
	long result;
	int st;

	sh->value[V_ROUNDS] = rounds;
	sh->value[V_UPROBE] = uprobe;
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_loop));
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("bpset 0 %lx", site));
	ASSERT_EQ(0, ut_cmd("wake 0 0"));
	ASSERT_EQ(0, ut_cmd("traplog 0 0"));
	ASSERT_EQ(0, ut_cmd("bpauto 0 %lx", site));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/*
	 * Under TCG on the debug kernel a round is slow (about 75 ms: two traps, two reports,
	 * two text writes; a uprobe hit alone costs about 12 ms there): 10000 rounds take
	 * about 12.5 minutes. Show the progress while waiting, 17 minutes at most.
	 */
	for (int i = 0; i < 34 && ut_read_back_ms(&t, &result, 30 * 1000); i++)
		ksft_print_msg("%ld of %ld hits after %d s\n", auto_hits(), rounds, 30 * (i + 1));
	ASSERT_EQ(rounds, auto_hits());
	EXPECT_EQ(expect, result);
	ASSERT_GT(ut_log(logbuf, sizeof(logbuf)), 0);
	EXPECT_EQ(NULL, strstr(logbuf, "bperr"));
	ASSERT_EQ(0, ut_cmd("bpauto 0 0"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(t.back);
}

TEST_F_TIMEOUT(bp, written_int3_ten_thousand_hits, 1140)
{
	auto_loop(_metadata, AUTO_ROUNDS, 0, loop_result(AUTO_ROUNDS, 0));
}

/* The tracefs directory, or NULL. */
static const char *tracefs(void)
{
	if (ut_path_exists("/sys/kernel/tracing/uprobe_events"))
		return "/sys/kernel/tracing";
	if (ut_path_exists("/sys/kernel/debug/tracing/uprobe_events"))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

/* The file offset of @addr in this program (from /proc/self/maps), or -1. */
static long file_offset(unsigned long addr, char *path, size_t size)
{
	unsigned long lo, hi, off;
	char line[512], file[256];
	FILE *f = fopen("/proc/self/maps", "r");
	long ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &lo, &hi, &off, file) == 4 &&
		    addr >= lo && addr < hi) {
			ret = addr - lo + off;
			snprintf(path, size, "%s", file);
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * The hits of the uprobe "site" on @file (uprobe_profile: "<file> <event> <nhits>" per
 * line, the event name without its group), or -1.
 */
static long uprobe_hits(const char *dir, const char *file)
{
	char path[128], buf[8192], f[256], ev[128], *line, *save = NULL;
	long hits = -1, n;

	snprintf(path, sizeof(path), "%s/uprobe_profile", dir);
	if (ut_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%255s %127s %ld", f, ev, &n) == 3 && !strcmp(ev, "site") &&
		    !strcmp(f, file))
			hits = n;
	}
	return hits;
}

/*
 * A uprobe on the same program keeps working: uprobes keeps every int3 of an mm with
 * uprobes (its die notifier runs first) and forces SIGTRAP for the engine's, which come
 * through signal interception in the same shape (SIGTRAP, SI_KERNEL, IP after the int3).
 */
TEST_F_TIMEOUT(bp, uprobe_keeps_working, 900)
{
	const char *dir = tracefs();
	char path[256], cmd[512], file[128];
	long off, rounds = 1000, expect;

	if (!dir)
		SKIP(return, "no uprobe_events in tracefs");
	/* Before the uprobe exists: this process's own run is not counted. */
	expect = loop_result(rounds, 1);
	off = file_offset((unsigned long)ut_up_fn, path, sizeof(path));
	ASSERT_GE(off, 0);
	snprintf(file, sizeof(file), "%s/uprobe_events", dir);
	ut_write_file(file, "-:utrace_bp/site");
	snprintf(cmd, sizeof(cmd), "p:utrace_bp/site %s:0x%lx", path, off);
	ASSERT_EQ(0, ut_write_file(file, cmd));
	snprintf(file, sizeof(file), "%s/events/utrace_bp/site/enable", dir);
	ASSERT_EQ(0, ut_write_file(file, "1"));
	auto_loop(_metadata, rounds, 1, expect);
	EXPECT_EQ(rounds, uprobe_hits(dir, path));
	ut_write_file(file, "0");
	snprintf(file, sizeof(file), "%s/uprobe_events", dir);
	ut_write_file(file, "-:utrace_bp/site");
}

/* A hardware write watchpoint fires on the write, and only then (reads do not). */
TEST_F(bp, watchpoint_fires_on_write_only)
{
	unsigned long ip, addr;
	struct ut_tracee t = { 0 };
	int code, st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_watch));
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar, UTRACE_WATCH_WRITE));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	/* Stopped after the write (a trap), not before at any of the reads. */
	ASSERT_EQ(0, ut_cmd("wait_stop 0 2"));
	EXPECT_EQ(1, sh->value[V_PHASE]);
	ASSERT_EQ(0, last_trap(&ip, &addr, &code));
	EXPECT_EQ(TRAP_HWBKPT, code);
	EXPECT_EQ((unsigned long)&wvar, addr);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(3, sh->value[V_PHASE]);
	/* Exactly one trap: the sync int3's and the write's. */
	ASSERT_GT(ut_log(logbuf, sizeof(logbuf)), 0);
	EXPECT_EQ(2, ut_count_containing(logbuf, 0, "trap 0 "));
	close(t.back);
}

/*
 * A watch hit goes to the engine that set the watchpoint alone: slot 1, attached later
 * with every signal event, would answer DELIVER (last engine's bits win) and have the
 * SIGTRAP forced on the program; it is not told, and the program runs to its end.
 */
TEST_F(bp, watch_hit_reported_to_its_engine_only)
{
	struct ut_tracee t = { 0 };
	int st;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_watch));
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", (unsigned long)UTRACE_EVENT_SIGNAL_ALL));
	ASSERT_EQ(0, ut_cmd("traplog 1 1"));
	ASSERT_EQ(0, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar, UTRACE_WATCH_WRITE));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_cmd("wait_stop 0 2"));
	EXPECT_EQ(1, sh->value[V_PHASE]);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_GT(ut_log(logbuf, sizeof(logbuf)), 0);
	EXPECT_EQ(2, ut_count_containing(logbuf, 0, "trap 0 "));
	EXPECT_EQ(0, ut_count_containing(logbuf, 1, "trap 1 "));
	close(t.back);
}

/* Four debug registers per thread: the fifth gets -ENOSPC; a detach gives them back. */
TEST_F(bp, watchpoint_enospc_and_detach)
{
	struct ut_tracee t = { 0 };
	int i, r = -1;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_hold));
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	/*
	 * Misaligned: -EINVAL from hw_breakpoint's parse. Asked while a slot is free: with
	 * all four taken, the slot reservation, which comes first, says -ENOSPC.
	 */
	EXPECT_EQ(-EINVAL, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar2[0] + 1,
				  UTRACE_WATCH_WRITE));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar2[i],
				    UTRACE_WATCH_WRITE));
	EXPECT_EQ(-ENOSPC, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar2[4],
				  UTRACE_WATCH_WRITE));
	EXPECT_EQ(-EEXIST, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar2[0],
				  UTRACE_WATCH_WRITE));
	ASSERT_EQ(0, ut_cmd("unwatch 0 %lx", (unsigned long)&wvar2[3]));
	EXPECT_EQ(-ENOENT, ut_cmd("unwatch 0 %lx", (unsigned long)&wvar2[3]));
	ASSERT_EQ(0, ut_cmd("watch 0 %lx 8 %d", (unsigned long)&wvar2[4], UTRACE_WATCH_WRITE));
	/* Slot 1 on the same thread: none left until slot 0 detaches. */
	ASSERT_EQ(0, ut_cmd("attach 1 %d", t.pid));
	EXPECT_EQ(-ENOSPC, ut_cmd("watch 1 %lx 8 %d", (unsigned long)&wvar2[5],
				  UTRACE_WATCH_WRITE));
	/* The detach resumes it; it stays alive (scenario_hold), slot 1 still attached. */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	/* Unregistered by a work item: soon. Any other answer than -ENOSPC is final. */
	for (i = 0; i < 1000; i++) {
		r = ut_cmd("watch 1 %lx 8 %d", (unsigned long)&wvar2[5], UTRACE_WATCH_WRITE);
		if (r != -ENOSPC)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, r);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, ut_cmd("watch 1 %lx 8 %d", (unsigned long)&wvar2[i],
				    UTRACE_WATCH_WRITE));
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_DETACH));
	kill(t.pid, SIGKILL);
	ut_wait_exit(t.pid, 20);
	close(t.back);
}

/*
 * A writer that did not attach the slot (root did) may not command it: the test engine's
 * own check (slot_may_command()), not utrace's; see the next test for utrace's.
 */
TEST_F(bp, poke_refused_to_unprivileged_writer)
{
	unsigned long site = (unsigned long)ut_bp_fn;
	unsigned char byte = 0;
	struct ut_tracee t = { 0 };
	char mem[64];
	int fd, st, mfd;
	pid_t child;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_loop));
	sh->value[V_ROUNDS] = 1;
	ASSERT_EQ(0, attach_stopping(t.pid));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_cmd("wait_stop 0 1"));
	fd = open(UT_ENGINE_DIR "/control", O_WRONLY);
	ASSERT_GE(fd, 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		if (ut_become(UT_USER1000))
			_exit(2);
		_exit(ut_fcmd(fd, "bpset 0 %lx", site) == -EPERM ? 0 : 1);
	}
	close(fd);
	ASSERT_EQ(child, waitpid(child, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* The text is unchanged. */
	snprintf(mem, sizeof(mem), "/proc/%d/mem", t.pid);
	mfd = open(mem, O_RDONLY);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(1, pread(mfd, &byte, 1, site));
	close(mfd);
	EXPECT_EQ(NOP, byte);
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	st = ut_wait_exit(t.pid, 20);
	ASSERT_TRUE(WIFEXITED(st));
	close(t.back);
}

/* The child of unprivileged_writer(): two sync int3s, undumpable in between, then waits. */
static void undumpable_child(int go)
{
	char c;

	if (read(go, &c, 1) != 1)
		_exit(99);
	ut_int3_fn(0);
	prctl(PR_SET_DUMPABLE, 0);
	ut_int3_fn(0);
	for (;;)
		pause();
}

/*
 * As uid 1000, through @fd (opened as root): attach slot 0 to a child of its own, bpset and
 * watch while the child is dumpable, then again once it made itself undumpable. Returns 0
 * if all went as expected, else the number of the step that did not.
 */
static int unprivileged_writer(int fd)
{
	unsigned long site = (unsigned long)ut_bp_fn, w = (unsigned long)&wvar;
	int go[2], ret = 0;
	pid_t c;

	if (ut_become(UT_USER1000) || pipe(go))
		return 2;
	c = fork();
	if (c < 0)
		return 3;
	if (c == 0) {
		close(go[1]);
		undumpable_child(go[0]);
	}
	close(go[0]);
	if (ut_fcmd(fd, "attach 0 %d", c) || ut_fcmd(fd, "events 0 %lx", (unsigned long)EV_SIG) ||
	    ut_fcmd(fd, "wake 0 1") || ut_fcmd(fd, "ret 0 signal %x", STOP_IGN))
		ret = 4;
	else if (write(go[1], "g", 1) != 1 || ut_fcmd(fd, "wait_stop 0 1"))
		ret = 5;
	/* Dumpable: both work. */
	else if (ut_fcmd(fd, "bpset 0 %lx", site) || ut_fcmd(fd, "bpclear 0 %lx %x", site, NOP))
		ret = 6;
	else if (ut_fcmd(fd, "watch 0 %lx 8 %d", w, UTRACE_WATCH_WRITE) ||
		 ut_fcmd(fd, "unwatch 0 %lx", w))
		ret = 7;
	else if (ut_fcmd(fd, "control 0 %d", UTRACE_RESUME) || ut_fcmd(fd, "wait_stop 0 2"))
		ret = 8;
	/* Undumpable since the attach, and no CAP_SYS_PTRACE: both refused. */
	else if (ut_fcmd(fd, "bpset 0 %lx", site) != -EPERM)
		ret = 9;
	else if (ut_fcmd(fd, "watch 0 %lx 8 %d", w, UTRACE_WATCH_WRITE) != -EPERM)
		ret = 10;
	ut_fcmd(fd, "control 0 %d", UTRACE_DETACH);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return ret;
}

/*
 * ptrace's per-access rule (ptracer_access_allowed()) at each bpset and watch: a uid-1000
 * writer that attached to its own uid-1000 child may write breakpoints and set watchpoints
 * while the child is dumpable, and gets -EPERM for both once the child made itself
 * undumpable (prctl(PR_SET_DUMPABLE, 0)) after the attach.
 */
TEST_F(bp, undumpable_refuses_bpset_and_watch)
{
	int fd, st;
	pid_t w;

	fd = open(UT_ENGINE_DIR "/control", O_WRONLY);
	ASSERT_GE(fd, 0);
	w = fork();
	ASSERT_GE(w, 0);
	if (w == 0)
		_exit(unprivileged_writer(fd));
	close(fd);
	ASSERT_EQ(w, waitpid(w, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
