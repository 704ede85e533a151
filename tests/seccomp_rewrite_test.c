// SPDX-License-Identifier: GPL-2.0
/*
 * An engine that changes a syscall at its entry report must not get it past the tracee's
 * seccomp filter. sys_enter fires after seccomp in 7.3, so utrace sends such a syscall back
 * through the entry code (rust/probes.rs, recheck()); a change made while the thread is
 * stopped at entry is filtered by the re-run.
 *
 * Each case forks a child that installs a filter, attaches a utrace_harm engine to itself
 * ("rewrite FROM TO [stop]": FROM becomes TO, at the report or while stopped), makes
 * syscall FROM and reports what it got through its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"

static const char *const mods[] = { "utrace", "utrace_harm", NULL };

#define HARM_SELF "/sys/kernel/debug/utrace_harm/self"
/* The syscall the engine rewrites (allowed) and what it rewrites it to. */
#define NR_FROM __NR_getppid
#define NR_DENIED __NR_getuid
#define NR_ALLOWED __NR_getpid
#define DENY_ERRNO ENOTBLK

enum verdict { V_ERRNO, V_KILL };

/* Installs a filter that answers NR_DENIED with @v and allows everything else. */
static int deny_filter(enum verdict v)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_DENIED, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, v == V_KILL ? SECCOMP_RET_KILL_PROCESS :
			 SECCOMP_RET_ERRNO | DENY_ERRNO),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int harm_self(const char *cmd)
{
	int fd = open(HARM_SELF, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n == (ssize_t)strlen(cmd) ? 0 : -1;
}

/*
 * Child: filter (unless @v < 0), engine rewriting NR_FROM into @to (while stopped if
 * @stop), then syscall NR_FROM, twice (the second from the same call site). Exits 0 if
 * both returned @want (a value, or -errno), 10 + i if call i did not, 2-3 on set-up errors.
 */
static void child(int v, long to, int stop, long want)
{
	char cmd[64];
	int i;

	if (v >= 0 && deny_filter(v))
		_exit(2);
	snprintf(cmd, sizeof(cmd), "rewrite %d %ld%s", NR_FROM, to, stop ? " stop" : "");
	if (harm_self(cmd))
		_exit(3);
	for (i = 0; i < 2; i++) {
		long r = syscall(NR_FROM);

		if (r == -1)
			r = -errno;
		if (r != want)
			_exit(10 + i);
	}
	_exit(0);
}

/* Runs child() in a fresh process; returns its wait status. */
static int run(int v, long to, int stop, long want)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		child(v, to, stop, want);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

FIXTURE(rewrite) {};
FIXTURE_SETUP(rewrite) { ut_fixture_load(_metadata, mods); }
FIXTURE_TEARDOWN(rewrite) { ut_fixture_unload(_metadata, mods); }

/* No filter: the change takes effect (the engine API's promise). */
TEST_F(rewrite, no_filter_change_runs)
{
	int st = run(-1, NR_ALLOWED, 0, 0);

	/* getpid() in the child: its pid, unknown here; only "not getppid()" is checked. */
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_TRUE(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 10) TH_LOG("status %#x", st);
}

/* The filter denies what the engine rewrote to, at the report: denied as it says. */
TEST_F(rewrite, to_denied_at_report_errno)
{
	int st = run(V_ERRNO, NR_DENIED, 0, -DENY_ERRNO);

	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("getuid() ran unfiltered (exit %d)", WEXITSTATUS(st));
}

TEST_F(rewrite, to_denied_at_report_kill)
{
	int st = run(V_KILL, NR_DENIED, 0, 0);

	ASSERT_TRUE(WIFSIGNALED(st)) TH_LOG("status %#x: getuid() ran unfiltered", st);
	ASSERT_EQ(SIGSYS, WTERMSIG(st));
}

/* The same change made while the thread is stopped at entry: the re-run is filtered. */
TEST_F(rewrite, to_denied_while_stopped_errno)
{
	int st = run(V_ERRNO, NR_DENIED, 1, -DENY_ERRNO);

	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("getuid() ran unfiltered (exit %d)", WEXITSTATUS(st));
}

TEST_F(rewrite, to_denied_while_stopped_kill)
{
	int st = run(V_KILL, NR_DENIED, 1, 0);

	ASSERT_TRUE(WIFSIGNALED(st)) TH_LOG("status %#x: getuid() ran unfiltered", st);
	ASSERT_EQ(SIGSYS, WTERMSIG(st));
}

/*
 * A filter that allows what the engine rewrote to is not disturbed: the changed call runs
 * (getuid() is 0 here, as root: the rewrite's result, not getppid()'s).
 */
static void allowed_case(struct __test_metadata *_metadata, int stop)
{
	int st = run(V_ERRNO, __NR_getuid == NR_DENIED ? __NR_geteuid : __NR_getuid, stop,
		     (long)geteuid());

	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("exit %d", WEXITSTATUS(st));
}

TEST_F(rewrite, to_allowed_at_report) { allowed_case(_metadata, 0); }
TEST_F(rewrite, to_allowed_while_stopped) { allowed_case(_metadata, 1); }

TEST_HARNESS_MAIN
