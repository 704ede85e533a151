// SPDX-License-Identifier: GPL-2.0
/*
 * Engine modules and the contexts utrace calls them in (issue 11, section 2, items 5, 6):
 *
 *  - an engine module that goes away with engines attached (tests/modules/utrace_test_leaky):
 *    between its exit function and the module notifier utrace calls none of its callbacks
 *    (only those already running when the exit began may still run), and every engine it
 *    left, one per thread of a process tree, is detached;
 *  - a Rust engine following a process tree the natural way (tests/modules/
 *    utrace_test_follow.rs): values own their children's Attached handles, a child drops
 *    its own handle in report_reap (softirq), and a value dropped by utrace's release drops
 *    the handles it owns. No splat (DEBUG_ATOMIC_SLEEP: release and handle drops never
 *    sleep in atomic context), no hang, every value dropped, nothing leaked;
 *  - NULL and ERR_PTR() arguments to every entry point (tests/modules/utrace_test_badargs):
 *    refused with the documented errno, no oops, and the error messages rate-limited.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", NULL };

FIXTURE(mod) {
	int dummy;
};

FIXTURE_SETUP(mod)
{
	ut_fixture_load(_metadata, modules);
}

FIXTURE_TEARDOWN(mod)
{
	ut_fixture_unload(_metadata, modules);
}

#define LEAKY_CHILDREN 10

/* Syscalls until killed, a few hundred a second (busy loops would starve a 2-CPU guest). */
static void syscalls_forever(void)
{
	for (;;) {
		syscall(SYS_getppid);
		usleep(1000);
	}
}

/*
 * In its own process group, forks LEAKY_CHILDREN children that make syscalls until killed,
 * then makes its own.
 */
static int scenario_syscall_tree(struct ut_tracee *t)
{
	setpgid(0, 0);
	for (int i = 0; i < LEAKY_CHILDREN; i++) {
		if (fork() == 0)
			syscalls_forever();
	}
	ut_report(t, 1);
	syscalls_forever();
	return 0;
}

/* Waits for the kernel log line containing @needle (deadline 20 s). */
static int kmsg_wait(int fd, const char *needle, char *line, size_t size)
{
	for (int i = 0; i < 2000; i++) {
		if (ut_kmsg_find(fd, needle, line, size))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Kills the tracee's process group and reaps everything (the test is a subreaper). */
static void kill_tree(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/*
 * 11 threads making syscalls, each with an engine of the leaky module; its exit leaves them
 * attached and takes 300 ms, during which its data counts as gone. Callbacks starting in
 * that time were made (hundreds) before utrace checked the module's state; now at most
 * the one in flight per thread when the exit began can still run. Then every engine is
 * detached by utrace, which keeps them until it unloads (no fixture leak check here).
 */
TEST(leaky_module_exit_window)
{
	struct ut_tracee t = { 0 };
	char line[256], want[64];
	int kmsg = ut_kmsg_open(), attached, late;
	long v;

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_syscall_tree));
	snprintf(want, sizeof(want), "tid=%d", t.pid);
	ASSERT_EQ(0, ut_load_module("utrace_test_leaky", want));
	ut_tracee_go(&t);
	ASSERT_EQ(0, ut_read_back(&t, &v));
	usleep(200000);
	ASSERT_EQ(0, ut_unload_module("utrace_test_leaky"));
	ASSERT_TRUE(kmsg_wait(kmsg, "utrace_test_leaky: attached", line, sizeof(line)));
	ASSERT_EQ(2, sscanf(strstr(line, "attached"), "attached %d, late callbacks %d",
			    &attached, &late)) TH_LOG("%s", line);
	EXPECT_EQ(LEAKY_CHILDREN + 1, attached) TH_LOG("%s", line);
	EXPECT_LE(late, attached) TH_LOG("callbacks made after the module's exit began: %s", line);
	TH_LOG("%s", line);
	snprintf(want, sizeof(want), "went away with %d engine(s)", attached);
	EXPECT_TRUE(kmsg_wait(kmsg, want, line, sizeof(line))) TH_LOG("no \"%s\"", want);
	usleep(100000);		/* the threads run on, their engines detached */
	kill_tree(t.pid);
	close(t.back);
	EXPECT_EQ(0, ut_unload_module("utrace"));
	close(kmsg);
}

#define FOLLOW_CHILDREN 10

/*
 * A process tree: FOLLOW_CHILDREN children, each forking a grandchild that exits a little
 * later; odd children wait for their grandchild, even ones exit first (the grandchild is
 * then reparented to the tracee, a subreaper, which reaps it). The tracee reaps everything.
 */
static int scenario_tree(struct ut_tracee *t)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (int i = 0; i < FOLLOW_CHILDREN; i++) {
		if (fork() == 0) {
			pid_t g = fork();

			if (g == 0) {
				usleep(50000);
				_exit(0);
			}
			if (i % 2)
				waitpid(g, NULL, 0);
			_exit(0);
		}
	}
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return 0;
}

/* Polls utrace's state until it shows @want (deadline 20 s). */
static int state_shows(const char *want)
{
	char buf[512];

	for (int i = 0; i < 2000; i++) {
		if (ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)) > 0 && strstr(buf, want))
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * The Rust follower module on a process tree, three times: every task followed, children's
 * handles dropped in their own report_reap (softirq), values dropped (with the handles they
 * still own) by utrace's release in process context: no splat, no hang, every value
 * dropped once, nothing leaked.
 */
TEST_F_TIMEOUT(mod, rust_follower_handles_dropped_at_reap, 240)
{
	for (int round = 0; round < 3; round++) {
		struct ut_tracee t = { 0 };
		int kmsg = ut_kmsg_open(), followed, at_reap, dropped, status;
		char line[256], arg[32];

		ASSERT_LE(0, kmsg);
		ASSERT_EQ(0, ut_tracee_start(&t, scenario_tree));
		snprintf(arg, sizeof(arg), "tid=%d", t.pid);
		ASSERT_EQ(0, ut_load_module("utrace_test_follow", arg));
		ut_tracee_go(&t);
		status = ut_tracee_wait(&t);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("%x", status);
		/*
		 * Every task reaped; only the first engine is left (the module's handle), with
		 * the per-task state it refers to.
		 */
		ASSERT_TRUE(state_shows("\ntasks 1\nengines 1\n"));
		ASSERT_EQ(0, ut_unload_module("utrace_test_follow"));
		ASSERT_TRUE(kmsg_wait(kmsg, "utrace_test_follow: followed", line, sizeof(line)));
		ASSERT_EQ(3, sscanf(strstr(line, "followed"),
				    "followed %d, dropped in report_reap %d, values dropped %d",
				    &followed, &at_reap, &dropped)) TH_LOG("%s", line);
		EXPECT_EQ(1 + 2 * FOLLOW_CHILDREN, followed) TH_LOG("%s", line);
		EXPECT_LT(0, at_reap) TH_LOG("%s", line);
		EXPECT_EQ(followed, dropped) TH_LOG("%s", line);
		TH_LOG("round %d: %s", round, line);
		close(kmsg);
	}
}

/* Counts the kernel log records since @fd was opened that contain @needle. */
static int kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	while ((r = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (r < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[r] = '\0';
		n += strstr(rec, needle) != NULL;
	}
	return n;
}

/*
 * Every entry point with NULL and ERR_PTR() arguments, then 1000 bad actions: the module's
 * init checks each answer (its load fails otherwise); no oops; utrace's messages about them
 * are rate-limited (the kernel's default burst is 10 per 5 s), not 1000 lines.
 */
TEST(bad_arguments_refused_rate_limited)
{
	int kmsg = ut_kmsg_open(), n;

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	EXPECT_EQ(0, ut_load_module("utrace_test_badargs", ""));
	EXPECT_EQ(0, ut_unload_module("utrace_test_badargs"));
	n = kmsg_count(kmsg, "utrace: ");
	EXPECT_LE(n, 20) TH_LOG("%d utrace messages for about 1030 bad calls", n);
	TH_LOG("%d utrace messages for about 1030 bad calls", n);
	EXPECT_TRUE(ut_wait_no_leak(10));
	EXPECT_EQ(0, ut_unload_module("utrace"));
	close(kmsg);
}

TEST_HARNESS_MAIN
