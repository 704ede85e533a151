// SPDX-License-Identifier: GPL-2.0
/*
 * A utrace-stopped thread and the rest of the kernel: it sleeps as TASK_KILLABLE |
 * TASK_NOLOAD | TASK_FREEZABLE, which /proc shows as "I (idle)" (fs/proc/array.c: a sleep
 * with TASK_IDLE's bits), so it is not in the load average; the hung-task detector does not
 * report it however long it stays stopped; and the system freezer (suspend's process
 * freezing, run with /sys/power/pm_test = freezer) freezes it, and thaws it still stopped:
 * it runs no user instruction.
 */
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

static struct ut_shared *sh;

FIXTURE(sys) {
	int dummy;
};

FIXTURE_SETUP(sys)
{
	sh = ut_shared_map();
	ASSERT_NE(NULL, sh);
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(sys)
{
	ut_fixture_unload(_metadata, modules);
	munmap(sh, sizeof(*sh));
}

/* Spins in user mode, counting in sh->progress. */
static int scenario_spin(struct ut_tracee *t)
{
	for (;;)
		sh->progress++;
	return 0;
}

/* Calls getppid() in a loop, counting in sh->value[0]. */
static int scenario_getppid_loop(struct ut_tracee *t)
{
	for (;;) {
		syscall(SYS_getppid);
		sh->value[0]++;
	}
	return 0;
}

/*
 * Two stopped tracees: @a spins in user mode and is stopped by slot 0 with control(STOP);
 * @b is stopped by slot 1 at a getppid() entry.
 */
static void start_two_stopped(struct __test_metadata *_metadata, struct ut_tracee *a,
			      struct ut_tracee *b)
{
	sh->progress = 0;
	sh->value[0] = 0;
	ASSERT_EQ(0, ut_tracee_start(a, scenario_spin));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", a->pid));
	ut_tracee_go(a);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, ut_stop_now(0));
	ASSERT_EQ(0, ut_tracee_start(b, scenario_getppid_loop));
	ASSERT_EQ(0, ut_cmd("attach 1 %d", b->pid));
	ASSERT_EQ(0, ut_cmd("only_nr 1 %d", SYS_getppid));
	ASSERT_EQ(0, ut_cmd("ret 1 syscall_entry %x", UTRACE_STOP));
	ASSERT_EQ(0, ut_cmd("events 1 %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(b);
	ASSERT_EQ(0, ut_cmd_until_ok(10, "examine 1"));
}

static void end_two(struct __test_metadata *_metadata, struct ut_tracee *a,
		    struct ut_tracee *b)
{
	kill(a->pid, SIGKILL);
	kill(b->pid, SIGKILL);
	ut_tracee_wait(a);
	ut_tracee_wait(b);
	ASSERT_EQ(0, ut_cmd("put 0"));
	ASSERT_EQ(0, ut_cmd("put 1"));
}

/* The stopped threads show "I (idle)": TASK_UNINTERRUPTIBLE | TASK_NOLOAD, not loadavg. */
TEST_F(sys, stopped_thread_is_idle_not_in_loadavg)
{
	struct ut_tracee a = { 0 }, b = { 0 };
	char path[64], buf[2048];

	start_two_stopped(_metadata, &a, &b);
	EXPECT_EQ('I', ut_proc_state(a.pid));
	EXPECT_EQ('I', ut_proc_state(b.pid));
	snprintf(path, sizeof(path), "/proc/%d/status", a.pid);
	ASSERT_LT(0, ut_read_file(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "\nState:\tI (idle)\n")) TH_LOG("%s", buf);
	/* Resumed, it runs again (R, or S/I for a moment; never stuck in I). */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	/* b's getppid() returns, and the next one stops it again. */
	EXPECT_TRUE(ut_reaches(&sh->value[0], 1));
	end_two(_metadata, &a, &b);
}

#define HUNG_TIMEOUT "/proc/sys/kernel/hung_task_timeout_secs"

/*
 * With the hung-task timeout at 1 s, two threads stay stopped for 5 s (several check
 * periods): the detector reports nothing. (A report would also fail the whole run: vm-run
 * treats "blocked for more than" as a splat.)
 */
TEST_F(sys, hung_task_detector_ignores_stopped_thread)
{
	struct ut_tracee a = { 0 }, b = { 0 };
	char saved[32], line[256];
	int kmsg;

	ASSERT_LT(0, ut_read_file(HUNG_TIMEOUT, saved, sizeof(saved)));
	start_two_stopped(_metadata, &a, &b);
	kmsg = ut_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ut_write_file(HUNG_TIMEOUT, "1"));
	sleep(5);
	EXPECT_EQ(0, ut_write_file(HUNG_TIMEOUT, saved));
	EXPECT_EQ(0, ut_kmsg_find(kmsg, "blocked for more than", line, sizeof(line)))
		TH_LOG("%s", line);
	close(kmsg);
	/* Still stopped all along, then resumed. */
	EXPECT_EQ(0, ut_cmd("examine 0"));
	EXPECT_EQ(0, ut_cmd("examine 1"));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	end_two(_metadata, &a, &b);
}

#define PM_TEST "/sys/power/pm_test"
#define PM_DELAY "/sys/module/suspend/parameters/pm_test_delay"
#define PM_TIMEOUT "/sys/power/pm_freeze_timeout"
#define PM_STATE "/sys/power/state"

/* Saved settings of the freezer test, restored by pm_restore(). */
static char pm_saved_delay[16], pm_saved_timeout[16];

/* Sets up a freezer-only suspend test (1 s in the frozen state, 5 s freeze timeout). */
static int pm_setup(void)
{
	char buf[256];

	if (ut_read_file(PM_TEST, buf, sizeof(buf)) <= 0 || !strstr(buf, "freezer") ||
	    ut_read_file(PM_STATE, buf, sizeof(buf)) <= 0 || !strstr(buf, "freeze"))
		return -ENOENT;
	if (ut_read_file(PM_DELAY, pm_saved_delay, sizeof(pm_saved_delay)) <= 0 ||
	    ut_read_file(PM_TIMEOUT, pm_saved_timeout, sizeof(pm_saved_timeout)) <= 0)
		return -ENOENT;
	if (ut_write_file(PM_TEST, "freezer") || ut_write_file(PM_DELAY, "1") ||
	    ut_write_file(PM_TIMEOUT, "5000"))
		return -EIO;
	return 0;
}

static void pm_restore(void)
{
	ut_write_file(PM_TEST, "none");
	ut_write_file(PM_DELAY, pm_saved_delay);
	ut_write_file(PM_TIMEOUT, pm_saved_timeout);
}

/* One freeze and thaw of every user task. Returns 0 or the write's -errno. */
static int pm_freeze_once(char *line, size_t size)
{
	int kmsg = ut_kmsg_open(), r;

	r = ut_write_file(PM_STATE, "freeze");
	/* The freezer really ran (and froze every user task), or it said why not. */
	if (kmsg >= 0 && !ut_kmsg_find(kmsg, "Freezing user space processes completed",
				       line, size))
		r = r ? r : -ENOMSG;
	if (kmsg >= 0)
		close(kmsg);
	return r;
}

/*
 * The system freezer with two stopped threads: freezing succeeds, and after the thaw both
 * are still stopped and have run no user instruction; resumed, they run.
 */
TEST_F(sys, freezer_freezes_and_thaws_stopped_threads)
{
	struct ut_tracee a = { 0 }, b = { 0 };
	char line[256] = "";
	long pa, pb;
	int r;

	r = pm_setup();
	if (r == -ENOENT)
		SKIP(return, "no freezer test in this kernel (CONFIG_PM_DEBUG, CONFIG_SUSPEND)");
	ASSERT_EQ(0, r);
	/* The freezer works at all in this guest. */
	r = pm_freeze_once(line, sizeof(line));
	if (r) {
		pm_restore();
		ASSERT_EQ(0, r) TH_LOG("freeze without a stopped thread: %s", line);
	}
	start_two_stopped(_metadata, &a, &b);
	pa = sh->progress;
	pb = sh->value[0];
	r = pm_freeze_once(line, sizeof(line));
	pm_restore();
	EXPECT_EQ(0, r) TH_LOG("freeze with stopped threads: %s", line);
	EXPECT_EQ(0, ut_cmd("examine 0"));
	EXPECT_EQ(0, ut_cmd("examine 1"));
	EXPECT_EQ(pa, sh->progress);
	EXPECT_EQ(pb, sh->value[0]);
	EXPECT_EQ('I', ut_proc_state(a.pid));
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	ASSERT_EQ(0, ut_cmd("control 1 %d", UTRACE_RESUME));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	EXPECT_TRUE(ut_reaches(&sh->value[0], pb + 1));
	end_two(_metadata, &a, &b);
}

#define CGROOT "/sys/fs/cgroup"
#define CG CGROOT "/utrace_freeze"

/* Mounts cgroup2 if needed and makes a child cgroup. Returns 0 or -errno. */
static int cg_setup(void)
{
	if (!ut_path_exists(CGROOT "/cgroup.procs") &&
	    mount("none", CGROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	if (mkdir(CG, 0755) && errno != EEXIST)
		return -errno;
	return ut_path_exists(CG "/cgroup.freeze") ? 0 : -ENOENT;
}

/* "frozen 1" in cgroup.events within @ms (polled: a deadline, or a "not within"). */
static int cg_frozen_within(int ms)
{
	char buf[256];

	for (int i = 0; i <= ms / 10; i++) {
		if (ut_read_file(CG "/cgroup.events", buf, sizeof(buf)) > 0 &&
		    strstr(buf, "frozen 1"))
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * The cgroup v2 freezer and a utrace stop. cgroup.freeze only counts a thread frozen once
 * it sleeps in the kernel's own freezer trap or job-control/ptrace stop (get_signal(),
 * cgroup_enter_frozen(), not exported), and wakes only interruptible sleepers to get it
 * there: a thread parked in utrace's (killable) stop is neither woken nor counted, so the
 * freeze does not complete while it is parked ("frozen 0"). It stays stopped meanwhile
 * (examine works, no user instruction runs). Once the engine resumes it, it goes straight
 * into the freezer trap (no user instruction either): "frozen 1". Thawed, it runs.
 */
TEST_F(sys, cgroup_freeze_waits_for_stopped_thread)
{
	struct ut_tracee a = { 0 };
	char pid[16];
	long p;
	int r;

	r = cg_setup();
	if (r)
		SKIP(return, "no cgroup v2 freezer here: %s", strerror(-r));
	sh->progress = 0;
	ASSERT_EQ(0, ut_tracee_start(&a, scenario_spin));
	snprintf(pid, sizeof(pid), "%d", a.pid);
	ASSERT_EQ(0, ut_write_file(CG "/cgroup.procs", pid));
	ASSERT_EQ(0, ut_cmd("attach 0 %d", a.pid));
	ut_tracee_go(&a);
	ASSERT_TRUE(ut_progresses(&sh->progress));
	ASSERT_EQ(0, ut_stop_now(0));
	p = sh->progress;
	ASSERT_EQ(0, ut_write_file(CG "/cgroup.freeze", "1"));
	/* Not frozen while parked (2 s: a "not within", not a timing verdict on speed). */
	EXPECT_FALSE(cg_frozen_within(2000));
	EXPECT_EQ(0, ut_cmd("examine 0"));
	EXPECT_EQ('I', ut_proc_state(a.pid));
	EXPECT_EQ(p, sh->progress);
	/* Resumed, it enters the freezer trap: frozen, still no user instruction. */
	ASSERT_EQ(0, ut_cmd("control 0 %d", UTRACE_RESUME));
	EXPECT_TRUE(cg_frozen_within(10000));
	EXPECT_EQ(p, sh->progress);
	ASSERT_EQ(0, ut_write_file(CG "/cgroup.freeze", "0"));
	EXPECT_TRUE(ut_progresses(&sh->progress));
	kill(a.pid, SIGKILL);
	ut_tracee_wait(&a);
	ASSERT_EQ(0, ut_cmd("put 0"));
	rmdir(CG);
}

TEST_HARNESS_MAIN
