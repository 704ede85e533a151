// SPDX-License-Identifier: GPL-2.0
/*
 * A syscall-entry stop skips the syscall and makes it enter again (rust/arch.rs); utrace
 * masks the thread's SYSCALL_WORK_SECCOMP and SYSCALL_TRACE for the skipped pass's exit
 * and the re-run's entry (rust/entrymask.rs), so that seccomp filters each stopped syscall
 * once and ptrace sees one entry and one exit (stop_coexist_test checks ptrace). Here:
 *
 * - a seccomp user-notification supervisor answering CONTINUE is asked once per stopped
 *   syscall (twice before the masks);
 * - a signal handler that runs between a stop and its re-run is filtered as usual: the
 *   masks never let another syscall than the re-run pass unfiltered;
 * - a call an engine changes while stopped is filtered again (seccomp_rewrite_test too).
 *
 * The tracee attaches a utrace_harm engine to itself ("stopall [MS]": every syscall entry
 * stopped, resumed by the engine's kernel thread after MS ms).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"

static const char *const mods[] = { "utrace", "utrace_harm", NULL };

#define HARM_SELF "/sys/kernel/debug/utrace_harm/self"
#define NCALLS 5
#define DENY_ERRNO ENOTBLK

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

/* A filter: @nr gets @ret, everything else is allowed. */
static int filter(int nr, unsigned int ret, unsigned int flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, ret),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* The children's parent: the test's process. */
static pid_t getppid_cached;

static int run_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	getppid_cached = getpid();
	pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static volatile int notif_fd = -1;
static volatile int notifications;

/* The supervisor thread (not traced, not filtered): counts and answers CONTINUE. */
static void *supervise(void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	while (notif_fd < 0)
		usleep(1000);
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			return NULL;
		__atomic_add_fetch(&notifications, 1, __ATOMIC_SEQ_CST);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(notif_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

/* Exit status: the number of notifications for NCALLS stopped getppid(), or 100+ on error. */
static int notif_child(void)
{
	pthread_t th;
	int fd, i;

	if (pthread_create(&th, NULL, supervise, NULL))
		return 101;
	fd = filter(__NR_getppid, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	if (fd < 0)
		return 102;
	notif_fd = fd;
	if (harm_self("stopall"))
		return 103;
	for (i = 0; i < NCALLS; i++)
		if (syscall(__NR_getppid) != getppid_cached)
			return 104;
	return __atomic_load_n(&notifications, __ATOMIC_SEQ_CST);
}

FIXTURE(mask) {};
FIXTURE_SETUP(mask) { ut_fixture_load(_metadata, mods); }
FIXTURE_TEARDOWN(mask) { ut_fixture_unload(_metadata, mods); }

TEST_F(mask, user_notif_asked_once_per_stopped_syscall)
{
	int st = run_child(notif_child);

	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	ASSERT_EQ(NCALLS, WEXITSTATUS(st)) TH_LOG("%d notifications for %d calls",
						  WEXITSTATUS(st), NCALLS);
}

static volatile long handler_uid = 1;

static void on_usr1(int sig)
{
	long r = syscall(__NR_getuid);

	handler_uid = r == -1 ? -errno : r;
}

/*
 * getuid() is denied; a SIGUSR1 arrives while getppid() is stopped (for 600 ms), and its
 * handler runs before the re-run: its getuid() must be denied. Exit 0 if so.
 */
static int signal_child(void)
{
	pid_t me = getpid();
	long r;

	if (signal(SIGUSR1, on_usr1) == SIG_ERR)
		return 101;
	if (fork() == 0) {
		usleep(200000);
		kill(me, SIGUSR1);
		_exit(0);
	}
	if (filter(__NR_getuid, SECCOMP_RET_ERRNO | DENY_ERRNO, 0))
		return 102;
	if (harm_self("stopall 600"))
		return 103;
	r = syscall(__NR_getppid);
	if (r != getppid_cached)
		return 104;
	if (handler_uid == 1)
		return 105;	/* the handler did not run */
	return handler_uid == -DENY_ERRNO ? 0 : 106;
}

TEST_F(mask, handler_between_stop_and_rerun_is_filtered)
{
	int st = run_child(signal_child);

	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("status %#x", st);
	ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("exit %d (106: the handler's getuid() ran)",
					     WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
