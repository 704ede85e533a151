// SPDX-License-Identifier: GPL-2.0
/*
 * strace_device: the refusals of /dev/utrace-strace (include/uapi/linux/utrace_strace.h,
 * engines/utrace_strace.rs), each with its exact errno, and what must hold around them:
 *
 * - ioctl: an unknown number (including ATTACH's and STATS's numbers with another size or
 *   direction) is ENOTTY; a bad argument pointer is EFAULT.
 * - ATTACH: unknown flag bits are EINVAL (struct utrace_strace_attach has no size, version or
 *   reserved field: the size is in the ioctl number, so a struct of another size is an
 *   unknown ioctl); a tid that names no thread (0, negative, huge, reaped) or a zombie is
 *   ESRCH, as ptrace answers; a thread the session has already is EEXIST; the caller's own
 *   thread group or a kernel thread is EPERM (as ptrace); a non-root user (uid 1000) gets
 *   EPERM for root's process and for init, whether the file was opened as root or as that
 *   user, and root gets EPERM through a file a non-root user opened (the opener's rights
 *   count too); the user's own child is fine.
 * - read: a buffer smaller than a record is EINVAL; an empty session in O_NONBLOCK is EAGAIN
 *   (and a blocking read there is interrupted by a signal: EINTR); a bad buffer is EFAULT
 *   and loses no record (seq says which one a later read gets); a partly bad buffer returns
 *   the whole records that fit; a huge length returns every queued record, whole.
 * - DETACH_ALL on an empty session is 0 (then end of file); with an attached thread it
 *   records DETACHED and the thread runs on. Closing a session whose thread is parked by
 *   backpressure lets it run to its normal exit, and utrace keeps no engine.
 * - Several sessions at once, each on its own process: each sees its own records only.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_access.h"
#include "uapi/linux/utrace_strace.h"

#define REC_SIZE	sizeof(struct utrace_strace_record)
_Static_assert(sizeof(struct utrace_strace_record) == 96, "record layout");
_Static_assert(sizeof(struct utrace_strace_attach) == 8, "attach layout");

#define MAX_FDS		8
#define MAX_PIDS	8
#define MAX_RECS	16384
/* An address user space can never read or write. */
#define KERNEL_PTR	((void *)0xffffffff81000000UL)

/* Wait status of a normal exit with @code. */
#define EXITED(code)	((code) << 8)

FIXTURE(dev) {
	int loaded;
};

/*
 * What a test opened and started, closed and killed by the teardown if an assertion ended
 * the test early (each test is a process of its own).
 */
static int sd_fds[MAX_FDS];
static pid_t sd_pids[MAX_PIDS];

static const char *const dev_modules[] = { "utrace", "utrace_strace", NULL };

FIXTURE_SETUP(dev)
{
	for (int i = 0; i < MAX_FDS; i++)
		sd_fds[i] = -1;
	for (int i = 0; i < MAX_PIDS; i++)
		sd_pids[i] = 0;
	self->loaded = 0;
	ut_fixture_load(_metadata, dev_modules);
	self->loaded = 1;
}

FIXTURE_TEARDOWN(dev)
{
	/* A failed assertion may leave sessions open and tracees running: end them first. */
	for (int i = 0; i < MAX_FDS; i++)
		if (sd_fds[i] >= 0)
			close(sd_fds[i]);
	for (int i = 0; i < MAX_PIDS; i++) {
		if (sd_pids[i] > 0) {
			kill(sd_pids[i], SIGKILL);
			waitpid(sd_pids[i], NULL, 0);
		}
	}
	if (self->loaded)
		ut_fixture_unload(_metadata, dev_modules);
}

/* Opens a session (closed by the teardown if the test does not close it). */
static int sd_open(int flags)
{
	int fd = open(UTRACE_STRACE_DEVICE, O_RDWR | O_CLOEXEC | flags);

	for (int i = 0; fd >= 0 && i < MAX_FDS; i++) {
		if (sd_fds[i] < 0) {
			sd_fds[i] = fd;
			break;
		}
	}
	return fd;
}

static void sd_close(int fd)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (sd_fds[i] == fd)
			sd_fds[i] = -1;
	close(fd);
}

/* ioctl(): its return value, or -errno. */
static long sd_ioctl(int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static int sd_attach(int fd, pid_t tid, __u32 flags)
{
	struct utrace_strace_attach a = { .tid = tid, .flags = flags };

	return sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, &a);
}

static int sd_stats(int fd, struct utrace_strace_stats *st)
{
	memset(st, 0xa5, sizeof(*st));
	return sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, st);
}

static ssize_t sd_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	/* bad pointers on purpose: hide them from the compiler's bounds checks */
	__asm__("" : "+r"(buf));
	n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ut_read_file(path, buf, sizeof(buf)) <= 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * A tracee: a child that closes every inherited file but its pipe (it must not keep a
 * session open), waits in read() for a byte, then makes @loops getppid() calls and exits
 * with @code. Returns its pid once it sleeps in that read() (so that an attach finds it
 * there and it makes no other syscall before the byte comes), or -1.
 */
struct sd_tracee {
	pid_t pid;
	int go;
};

static int sd_tracee_start(struct sd_tracee *t, int loops, int code)
{
	int p[2];

	t->pid = -1;
	t->go = -1;
	if (pipe(p))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		char c;

		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		for (int i = 0; i < loops; i++)
			syscall(SYS_getppid);
		_exit(code);
	}
	close(p[0]);
	t->go = p[1];
	for (int i = 0; i < MAX_PIDS; i++) {
		if (!sd_pids[i]) {
			sd_pids[i] = t->pid;
			break;
		}
	}
	/* 'S': asleep in that read() (the only thing it can sleep in before the byte) */
	for (int i = 0; i < 3000 && proc_state(t->pid) != 'S'; i++)
		usleep(10000);
	return proc_state(t->pid) == 'S' ? t->pid : -1;
}

static void sd_tracee_go(struct sd_tracee *t)
{
	if (write(t->go, "g", 1) != 1)
		perror("sd_tracee_go");
	close(t->go);
	t->go = -1;
}

/* Reaps the tracee (at most @secs seconds, then SIGKILL); returns its wait status or -1. */
static int sd_tracee_wait(struct sd_tracee *t, int secs)
{
	int status = -1;

	for (int i = 0; i < secs * 100; i++) {
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid)
			break;
		if (r < 0)
			return -1;
		usleep(10000);
		if (i == secs * 100 - 1) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &status, 0);
			status = -1;
		}
	}
	for (int i = 0; i < MAX_PIDS; i++)
		if (sd_pids[i] == t->pid)
			sd_pids[i] = 0;
	if (t->go >= 0)
		close(t->go);
	return status;
}

/*
 * Reads the session until end of file (blocking reads of @chunk bytes), appending to @recs
 * (at most @max) from *@n on. Returns 0, or the read's -errno.
 */
static ssize_t sd_read_all(int fd, struct utrace_strace_record *recs, int max, int *n,
			   size_t chunk)
{
	for (;;) {
		size_t room = (max - *n) * REC_SIZE;

		if (!room)
			return -ENOSPC;
		ssize_t r = sd_read(fd, recs + *n, chunk < room ? chunk : room);

		if (r <= 0)
			return r;
		if (r % REC_SIZE)
			return -EMSGSIZE;
		*n += r / REC_SIZE;
	}
}

/*
 * What one tracee's session must hold: every record of @tid, whole, numbered from @seq0 with
 * no gap; @loops getppid entries, each followed by its exit returning the test's pid; last
 * its death record with @status and GROUP_DEAD. Reports what is wrong; returns its count.
 */
static int sd_check_run(struct __test_metadata *_metadata, const struct utrace_strace_record *r,
			int n, pid_t tid, __u64 seq0, int loops, int status)
{
	int bad = 0, entries = 0, exits = 0, deaths = 0;

	for (int i = 0; i < n; i++) {
		const struct utrace_strace_record *x = &r[i];

		if (x->size != REC_SIZE || x->tid != tid || x->tgid != tid || x->seq != seq0 + i) {
			if (bad++ < 4)
				TH_LOG("record %d: size %u type %u tid %d tgid %d seq %llu (want tid %d, seq %llu)",
				       i, x->size, x->type, x->tid, x->tgid,
				       (unsigned long long)x->seq, tid,
				       (unsigned long long)(seq0 + i));
			continue;
		}
		if (x->type == UTRACE_STRACE_REC_SYSCALL_ENTRY && x->nr == SYS_getppid)
			entries++;
		if (x->type == UTRACE_STRACE_REC_SYSCALL_EXIT && x->nr == SYS_getppid &&
		    x->ret == getpid())
			exits++;
		if (x->type == UTRACE_STRACE_REC_EXIT) {
			deaths++;
			if (i != n - 1 || x->ret != status ||
			    !(x->flags & UTRACE_STRACE_RF_GROUP_DEAD)) {
				bad++;
				TH_LOG("death record %d of %d: ret %#llx flags %#x, want %#x", i, n,
				       (unsigned long long)x->ret, x->flags, status);
			}
		}
	}
	if (entries != loops || exits != loops || deaths != 1) {
		bad++;
		TH_LOG("tid %d: %d getppid entries, %d exits, %d deaths in %d records; want %d, %d, 1",
		       tid, entries, exits, deaths, n, loops, loops);
	}
	return bad;
}

/* VERSION and STATS of a new session: what the header says. */
TEST_F(dev, version_and_stats)
{
	struct utrace_strace_stats st;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(UTRACE_STRACE_VERSION, sd_ioctl(fd, UTRACE_STRACE_IOC_VERSION, NULL));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ((__u32)UTRACE_STRACE_VERSION, st.version);
	EXPECT_EQ(0U, st.records);
	EXPECT_EQ(0U, st.stops);
	EXPECT_EQ(0U, st.lost_records);
	EXPECT_EQ(0U, st.attached);
	sd_close(fd);
}

/*
 * Unknown ioctl numbers: ENOTTY. ATTACH's and STATS's numbers with another size or
 * direction are other numbers: a caller built against another layout is refused, not
 * misread.
 */
TEST_F(dev, unknown_ioctl_enotty)
{
	static const unsigned long cmds[] = {
		0,
		_IO(UTRACE_STRACE_IOC_MAGIC, 4),
		_IO(UTRACE_STRACE_IOC_MAGIC, 0xff),
		_IO(UTRACE_STRACE_IOC_MAGIC + 1, 0),		/* VERSION's nr, other magic */
		_IO(UTRACE_STRACE_IOC_MAGIC, 1),		/* ATTACH without its size */
		_IOW(UTRACE_STRACE_IOC_MAGIC, 1, __u64[2]),	/* ATTACH, 16 bytes */
		_IOW(UTRACE_STRACE_IOC_MAGIC, 1, __u32),	/* ATTACH, 4 bytes */
		_IOR(UTRACE_STRACE_IOC_MAGIC, 1, struct utrace_strace_attach),
		_IOWR(UTRACE_STRACE_IOC_MAGIC, 1, struct utrace_strace_attach),
		_IOW(UTRACE_STRACE_IOC_MAGIC, 3, struct utrace_strace_stats),
		_IOR(UTRACE_STRACE_IOC_MAGIC, 3, __u64[2]),	/* STATS, 16 bytes */
		_IOR(UTRACE_STRACE_IOC_MAGIC, 0, int),		/* VERSION with a size */
		UTRACE_STRACE_IOC_ATTACH ^ 0x80000000UL,	/* ATTACH, 32-bit bits flipped */
		UTRACE_STRACE_IOC_ATTACH | (1UL << 32),		/* nr beyond 32 bits */
	};
	struct utrace_strace_stats st;
	char buf[64] = { 0 };
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (cmds[i] >> 32) {
			/*
			 * The syscall takes an unsigned int: the high bits are dropped and
			 * this is ATTACH (of tid 0: ESRCH), not an unknown number.
			 */
			EXPECT_EQ(-ESRCH, sd_ioctl(fd, cmds[i], buf)) TH_LOG("cmd %#lx", cmds[i]);
			continue;
		}
		EXPECT_EQ(-ENOTTY, sd_ioctl(fd, cmds[i], buf)) TH_LOG("cmd %#lx", cmds[i]);
	}
	/* nothing happened to the session */
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.attached);
	EXPECT_EQ(0U, st.records);
	sd_close(fd);
}

/* A bad argument pointer: EFAULT, for ATTACH (read) and STATS (written). */
TEST_F(dev, ioctl_bad_pointer_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sd_tracee t;
	struct utrace_strace_stats st;
	char *m;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	/* two pages, the second one not accessible */
	m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, mprotect(m + page, page, PROT_NONE));

	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, (void *)1));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, NULL));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, KERNEL_PTR));
	/* half of the struct in the page, half beyond it */
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, m + page - 4));

	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, (void *)1));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, NULL));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, KERNEL_PTR));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, m + page - 16));
	/* a read-only page */
	ASSERT_EQ(0, mprotect(m, page, PROT_READ));
	EXPECT_EQ(-EFAULT, sd_ioctl(fd, UTRACE_STRACE_IOC_STATS, m));

	/* the pointer to a real tracee's tid, at the end of a page: still read whole */
	ASSERT_LT(0, sd_tracee_start(&t, 0, 0));
	ASSERT_EQ(0, mprotect(m, page, PROT_READ | PROT_WRITE));
	((struct utrace_strace_attach *)(m + page - 8))->tid = t.pid;
	((struct utrace_strace_attach *)(m + page - 8))->flags = 0;
	EXPECT_EQ(0, sd_ioctl(fd, UTRACE_STRACE_IOC_ATTACH, m + page - 8));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(1U, st.attached);
	sd_tracee_go(&t);
	EXPECT_EQ(EXITED(0), sd_tracee_wait(&t, 30));
	munmap(m, 2 * page);
	sd_close(fd);
}

/* ATTACH with flag bits the ABI does not define: EINVAL, and nothing is attached. */
TEST_F(dev, attach_unknown_flags_einval)
{
	static const __u32 bad[] = {
		0x8, 0x10, 0x80000000U, UTRACE_STRACE_F_ALL | 0x8, ~0U, ~UTRACE_STRACE_F_ALL,
	};
	struct utrace_strace_stats st;
	struct sd_tracee t;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	ASSERT_LT(0, sd_tracee_start(&t, 3, 4));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = sd_attach(fd, t.pid, bad[i]);

		EXPECT_EQ(-EINVAL, r) TH_LOG("flags %#x", bad[i]);
	}
	/* checked before the tid: a bad tid with bad flags is EINVAL too */
	EXPECT_EQ(-EINVAL, sd_attach(fd, 0, 0x8));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.attached);
	EXPECT_TRUE(ut_wait_no_leak(10));
	/* the defined flags are accepted */
	EXPECT_EQ(0, sd_attach(fd, t.pid, UTRACE_STRACE_F_FOLLOW | UTRACE_STRACE_F_DATA));
	sd_tracee_go(&t);
	EXPECT_EQ(EXITED(4), sd_tracee_wait(&t, 30));
	sd_close(fd);
}

/* A tid that names no thread: ESRCH, as ptrace answers. */
TEST_F(dev, attach_no_such_thread_esrch)
{
	char buf[32];
	long pid_max = 4194304;
	struct utrace_strace_stats st;
	pid_t gone;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	if (ut_read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)) > 0)
		pid_max = atol(buf);
	gone = fork();
	if (!gone)
		_exit(0);
	ASSERT_LT(0, gone);
	ASSERT_EQ(gone, waitpid(gone, NULL, 0));

	EXPECT_EQ(-ESRCH, sd_attach(fd, 0, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, -1, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, -getpid(), 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, INT_MIN, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, INT_MAX, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, pid_max, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, pid_max + 1, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, gone, 0)) TH_LOG("reaped pid %d", gone);
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.attached);
	sd_close(fd);
}

/* A zombie (exited, not reaped) is "exiting": ESRCH, and no engine stays on it. */
TEST_F(dev, attach_zombie_esrch)
{
	struct utrace_strace_stats st;
	char buf[REC_SIZE];
	siginfo_t si;
	pid_t z;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	z = fork();
	if (!z)
		_exit(6);
	ASSERT_LT(0, z);
	/* exited, left unreaped */
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(0, waitid(P_PID, z, &si, WEXITED | WNOWAIT));
	ASSERT_EQ('Z', proc_state(z));
	EXPECT_EQ(-ESRCH, sd_attach(fd, z, 0));
	EXPECT_EQ(-ESRCH, sd_attach(fd, z, UTRACE_STRACE_F_FOLLOW));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.attached);
	/* the failed attaches changed nothing: an empty session, not an ended one */
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, sd_read(fd, buf, sizeof(buf)));
	ASSERT_EQ(z, waitpid(z, NULL, 0));
	EXPECT_TRUE(ut_wait_no_leak(10));
	sd_close(fd);
}

/* Threads ptrace refuses whoever asks: the caller's own thread group, a kernel thread. */
static void *sd_pause_thread(void *arg)
{
	__atomic_store_n((pid_t *)arg, gettid(), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

TEST_F(dev, attach_self_and_kthread_eperm)
{
	pid_t tid = 0;
	struct utrace_strace_stats st;
	char comm[32];
	pthread_t th;
	int fd = sd_open(0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, sd_pause_thread, &tid));
	while (!__atomic_load_n(&tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	EXPECT_EQ(-EPERM, sd_attach(fd, getpid(), 0));
	EXPECT_EQ(-EPERM, sd_attach(fd, gettid(), 0));
	EXPECT_EQ(-EPERM, sd_attach(fd, tid, 0));
	/* pid 2 is kthreadd */
	ASSERT_LT(0, ut_read_file("/proc/2/comm", comm, sizeof(comm)));
	EXPECT_STREQ("kthreadd\n", comm);
	EXPECT_EQ(-EPERM, sd_attach(fd, 2, 0));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.attached);
	pthread_cancel(th);
	pthread_join(th, NULL);
	sd_close(fd);
}

/*
 * The same thread twice in one session: EEXIST, whatever the flags, and its records come
 * once. Another session may attach it too, and sees the same syscalls.
 */
TEST_F(dev, attach_twice_eexist)
{
	static struct utrace_strace_record r1[MAX_RECS], r2[MAX_RECS];
	struct utrace_strace_stats st;
	struct sd_tracee t;
	int n1 = 0, n2 = 0;
	int fd = sd_open(0), fd2 = sd_open(0);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, sd_tracee_start(&t, 7, 2));
	ASSERT_EQ(0, sd_attach(fd, t.pid, 0));
	EXPECT_EQ(-EEXIST, sd_attach(fd, t.pid, 0));
	EXPECT_EQ(-EEXIST, sd_attach(fd, t.pid, UTRACE_STRACE_F_FOLLOW));
	EXPECT_EQ(-EEXIST, sd_attach(fd, t.pid, UTRACE_STRACE_F_ALL));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(1U, st.attached);
	EXPECT_EQ(0, sd_attach(fd2, t.pid, 0));
	EXPECT_EQ(-EEXIST, sd_attach(fd2, t.pid, 0));
	sd_tracee_go(&t);
	EXPECT_EQ(EXITED(2), sd_tracee_wait(&t, 30));
	EXPECT_EQ(0, sd_read_all(fd, r1, MAX_RECS, &n1, 64 * REC_SIZE));
	EXPECT_EQ(0, sd_read_all(fd2, r2, MAX_RECS, &n2, 64 * REC_SIZE));
	/* the read() the tracee slept in returns (its exit record), 7 getppid, exit_group */
	EXPECT_EQ(0, sd_check_run(_metadata, r1, n1, t.pid, 0, 7, EXITED(2)));
	EXPECT_EQ(0, sd_check_run(_metadata, r2, n2, t.pid, 0, 7, EXITED(2)));
	EXPECT_EQ(n1, n2);
	sd_close(fd);
	sd_close(fd2);
	EXPECT_TRUE(ut_wait_no_leak(10));
}

/* Passes @fd over @sock (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* What the uid 1000 worker found. */
struct sd_perm {
	int become;		/* ut_become(UT_USER1000) */
	int open;		/* its own open of the device (0 when inherited) */
	int root_proc;		/* ATTACH of root's process */
	int init;		/* ATTACH of pid 1 */
	int own_child;		/* ATTACH of its own child (uid 1000) */
	int attached;		/* STATS.attached after those */
	int own_child_pid;
};

/*
 * The worker: drops to uid 1000 (no capability), uses @fd (or, if -1, opens the device
 * itself as that user), attaches to @root_pid, init and a child of its own. With @sock, it
 * then passes its session to the test and waits for a byte on it before it ends its child.
 */
static void perm_worker(int fd, pid_t root_pid, int out, int sock)
{
	struct sd_perm p = { 0 };
	struct utrace_strace_stats st;
	pid_t kid;
	char c;

	p.become = ut_become(UT_USER1000);
	if (fd < 0) {
		fd = open(UTRACE_STRACE_DEVICE, O_RDWR | O_CLOEXEC);
		p.open = fd < 0 ? -errno : 0;
	}
	p.root_proc = sd_attach(fd, root_pid, 0);
	p.init = sd_attach(fd, 1, 0);
	kid = fork();
	if (!kid) {
		for (;;)
			pause();
	}
	/* once it runs as itself (its fork is done): attach it */
	while (proc_state(kid) != 'S')
		usleep(1000);
	p.own_child_pid = kid;
	p.own_child = sd_attach(fd, kid, 0);
	p.attached = sd_stats(fd, &st) ? -1 : (int)st.attached;
	if (write(out, &p, sizeof(p)) != sizeof(p))
		_exit(2);
	if (sock >= 0) {
		send_fd(sock, fd);
		if (read(sock, &c, 1) != 1)
			c = 0;
	}
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	_exit(0);
}

static void perm_run(struct __test_metadata *_metadata, int inherit,
		     pid_t root_pid)
{
	struct sd_perm p;
	int pp[2], fd = -1, status;
	pid_t w;

	ASSERT_EQ(0, pipe(pp));
	if (inherit) {
		fd = sd_open(0);
		ASSERT_LE(0, fd);
	}
	w = fork();
	ASSERT_LE(0, w);
	if (!w) {
		close(pp[0]);
		perm_worker(fd, root_pid, pp[1], -1);
	}
	sd_pids[MAX_PIDS - 2] = w;
	close(pp[1]);
	ASSERT_EQ((ssize_t)sizeof(p), read(pp[0], &p, sizeof(p)));
	close(pp[0]);
	ASSERT_EQ(w, waitpid(w, &status, 0));
	sd_pids[MAX_PIDS - 2] = 0;
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, p.become);
	ASSERT_EQ(0, p.open);
	EXPECT_EQ(-EPERM, p.root_proc);
	EXPECT_EQ(-EPERM, p.init);
	if (inherit) {
		/*
		 * A caller must have the opener's rights (utrace_may_command()): uid 1000 cannot
		 * use root's session at all, not even on its own child. Nothing was attached.
		 */
		EXPECT_EQ(-EPERM, p.own_child);
		EXPECT_EQ(0, p.attached);
		sd_close(fd);
		return;
	}
	EXPECT_EQ(0, p.own_child);
	EXPECT_EQ(1, p.attached);
}

/*
 * uid 1000 on a file root opened: it lacks the opener's rights, so every ATTACH is EPERM
 * (root's process, init, and its own child too: a less privileged holder of root's file
 * gets nothing from it).
 */
TEST_F(dev, non_root_caller_eperm)
{
	struct ut_target root = { 0 };
	struct ut_target_opts o = { .who = UT_ROOT };

	ASSERT_EQ(0, ut_target_start(&root, &o));
	sd_pids[MAX_PIDS - 1] = root.pid;
	perm_run(_metadata, 1, root.pid);
	EXPECT_TRUE(ut_wait_no_leak(10));
}

/* uid 1000 on a file it opened itself: the same. */
TEST_F(dev, non_root_opener_eperm)
{
	struct ut_target root = { 0 };
	struct ut_target_opts o = { .who = UT_ROOT };

	ASSERT_EQ(0, ut_target_start(&root, &o));
	sd_pids[MAX_PIDS - 1] = root.pid;
	perm_run(_metadata, 0, root.pid);
	EXPECT_TRUE(ut_wait_no_leak(10));
}

/*
 * Root attaching through a session uid 1000 opened (passed over a socket): the opener's
 * rights count too, so root's process is EPERM, the user's own child is fine.
 */
TEST_F(dev, root_on_non_root_session_eperm)
{
	struct ut_target root = { 0 };
	struct ut_target_opts o = { .who = UT_ROOT };
	struct utrace_strace_stats st;
	struct sd_perm p;
	int pp[2], sv[2], fd, status;
	pid_t w;

	ASSERT_EQ(0, ut_target_start(&root, &o));
	sd_pids[MAX_PIDS - 1] = root.pid;
	ASSERT_EQ(0, pipe(pp));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	w = fork();
	ASSERT_LE(0, w);
	if (!w) {
		close(pp[0]);
		close(sv[0]);
		perm_worker(-1, root.pid, pp[1], sv[1]);
	}
	sd_pids[MAX_PIDS - 2] = w;
	close(pp[1]);
	close(sv[1]);
	ASSERT_EQ((ssize_t)sizeof(p), read(pp[0], &p, sizeof(p)));
	close(pp[0]);
	EXPECT_EQ(-EPERM, p.root_proc);
	EXPECT_EQ(-EPERM, p.init);
	EXPECT_EQ(0, p.own_child);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	/* root (this test) on the user's session */
	EXPECT_EQ(-EPERM, sd_attach(fd, root.pid, 0));
	EXPECT_EQ(-EPERM, sd_attach(fd, 1, 0));
	EXPECT_EQ(-EEXIST, sd_attach(fd, p.own_child_pid, 0));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(1U, st.attached);
	close(fd);
	EXPECT_EQ(1, write(sv[0], "x", 1));
	close(sv[0]);
	ASSERT_EQ(w, waitpid(w, &status, 0));
	sd_pids[MAX_PIDS - 2] = 0;
	EXPECT_EQ(0, status);
	EXPECT_TRUE(ut_wait_no_leak(10));
}

/*
 * A tracee made @loops getppid calls and exited; its records wait in session @fd (fewer
 * than the ring holds: nothing parked). Returns how many, from STATS.
 */
static int sd_run_queued(struct sd_tracee *t, int fd, int loops, int code)
{
	struct utrace_strace_stats st;

	if (sd_tracee_start(t, loops, code) < 0 || sd_attach(fd, t->pid, 0))
		return -1;
	sd_tracee_go(t);
	if (sd_tracee_wait(t, 30) != EXITED(code))
		return -1;
	/* its death record was queued before it could be reaped */
	if (sd_stats(fd, &st) || st.attached || st.stops || st.lost_records)
		return -1;
	return st.records;
}

/* read() with room for less than one record: EINVAL, and the records stay. */
TEST_F(dev, read_too_small_einval)
{
	struct utrace_strace_record r[2];
	char half[2][REC_SIZE / 2];
	struct iovec iov[2] = {
		{ .iov_base = half[0], .iov_len = sizeof(half[0]) },
		{ .iov_base = half[1], .iov_len = sizeof(half[1]) },
	};
	struct sd_tracee t;
	int fd = sd_open(0), nrec;

	ASSERT_LE(0, fd);
	nrec = sd_run_queued(&t, fd, 3, 0);
	ASSERT_LT(2, nrec);
	EXPECT_EQ(-EINVAL, sd_read(fd, r, 0));
	EXPECT_EQ(-EINVAL, sd_read(fd, r, 1));
	EXPECT_EQ(-EINVAL, sd_read(fd, r, REC_SIZE - 1));
	EXPECT_EQ(-EINVAL, sd_read(fd, NULL, REC_SIZE - 1));
	iov[1].iov_len--;
	EXPECT_EQ(-EINVAL, readv(fd, iov, 2) < 0 ? -errno : 0);
	/* nothing was taken: the first record comes next, also split over two buffers */
	iov[1].iov_len++;
	ASSERT_EQ((ssize_t)REC_SIZE, readv(fd, iov, 2));
	memcpy(&r[0], half, REC_SIZE);
	EXPECT_EQ(0U, r[0].seq);
	EXPECT_EQ(t.pid, r[0].tid);
	/* a length between one and two records: one record */
	ASSERT_EQ((ssize_t)REC_SIZE, sd_read(fd, r, 2 * REC_SIZE - 1));
	EXPECT_EQ(1U, r[0].seq);
	sd_close(fd);
}

static void sd_on_alarm(int sig)
{
}

/*
 * O_NONBLOCK on a session with nothing to read: EAGAIN, whether nothing is attached or an
 * attached thread made no syscall yet; set with fcntl() too. Without it, the read waits and
 * a signal (no SA_RESTART) interrupts it: EINTR.
 */
TEST_F(dev, nonblock_empty_eagain)
{
	struct sigaction sa = { .sa_handler = sd_on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct utrace_strace_record r[4];
	struct sd_tracee t;
	int fd = sd_open(O_NONBLOCK), fd2 = sd_open(0);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EAGAIN, sd_read(fd, r, sizeof(r)));
	/* a bad buffer on an empty session: nothing to copy, EAGAIN first */
	EXPECT_EQ(-EAGAIN, sd_read(fd, (void *)1, sizeof(r)));
	/* too small is refused first */
	EXPECT_EQ(-EINVAL, sd_read(fd, r, 1));

	ASSERT_LT(0, sd_tracee_start(&t, 2, 0));
	ASSERT_EQ(0, sd_attach(fd, t.pid, 0));
	EXPECT_EQ(-EAGAIN, sd_read(fd, r, sizeof(r)));
	/* the blocking session, switched with fcntl */
	ASSERT_EQ(0, fcntl(fd2, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, sd_read(fd2, r, sizeof(r)));
	ASSERT_EQ(0, fcntl(fd2, F_SETFL, 0));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, sd_read(fd2, r, sizeof(r)));

	/* and once there is something, the non-blocking read has it */
	sd_tracee_go(&t);
	EXPECT_EQ(EXITED(0), sd_tracee_wait(&t, 30));
	ASSERT_EQ((ssize_t)sizeof(r), sd_read(fd, r, sizeof(r)));
	EXPECT_EQ(0U, r[0].seq);
	EXPECT_EQ(t.pid, r[0].tid);
	sd_close(fd);
	sd_close(fd2);
}

/*
 * A bad buffer: EFAULT, and no record is lost (the next good read starts at seq 0). A buffer
 * that goes bad in its second record: the first, whole, and the second comes next.
 */
TEST_F(dev, read_bad_buffer_efault_keeps_records)
{
	static struct utrace_strace_record r[MAX_RECS];
	long page = sysconf(_SC_PAGESIZE);
	struct utrace_strace_record *x;
	struct sd_tracee t;
	int fd = sd_open(O_NONBLOCK), nrec, n;
	char *m;

	ASSERT_LE(0, fd);
	nrec = sd_run_queued(&t, fd, 5, 3);
	ASSERT_LT(4, nrec);
	m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, mprotect(m + page, page, PROT_NONE));

	EXPECT_EQ(-EFAULT, sd_read(fd, (void *)1, REC_SIZE));
	EXPECT_EQ(-EFAULT, sd_read(fd, NULL, 10 * REC_SIZE));
	EXPECT_EQ(-EFAULT, sd_read(fd, KERNEL_PTR, REC_SIZE));
	EXPECT_EQ(-EFAULT, sd_read(fd, m + page, REC_SIZE));
	/* the first record would straddle the end of the page */
	EXPECT_EQ(-EFAULT, sd_read(fd, m + page - REC_SIZE / 2, 3 * REC_SIZE));
	ASSERT_EQ(0, mprotect(m, page, PROT_READ));
	EXPECT_EQ(-EFAULT, sd_read(fd, m, REC_SIZE));
	ASSERT_EQ(0, mprotect(m, page, PROT_READ | PROT_WRITE));

	/* the second record of three goes bad: the first comes back, whole */
	x = (void *)(m + page - REC_SIZE - REC_SIZE / 2);
	ASSERT_EQ((ssize_t)REC_SIZE, sd_read(fd, x, 3 * REC_SIZE));
	EXPECT_EQ(0U, x->seq);
	EXPECT_EQ((ssize_t)REC_SIZE, x->size);
	EXPECT_EQ(t.pid, x->tid);
	/* then the rest, from seq 1, each once, ending with the death record; then EOF */
	n = 0;
	EXPECT_EQ(0, sd_read_all(fd, r, MAX_RECS, &n, 2 * REC_SIZE));
	EXPECT_EQ(nrec - 1, n);
	for (int i = 0; i < n; i++)
		EXPECT_EQ((__u64)i + 1, r[i].seq);
	/* the run read in pieces is the whole run: records 1.. plus record 0 */
	memmove(&r[1], &r[0], n * REC_SIZE);
	r[0] = *x;
	EXPECT_EQ(0, sd_check_run(_metadata, r, n + 1, t.pid, 0, 5, EXITED(3)));
	/* nothing attached, nothing queued: end of file */
	EXPECT_EQ(0, sd_read(fd, r, REC_SIZE));
	munmap(m, 2 * page);
	sd_close(fd);
}

/* A huge length (not a multiple of 96): every queued record, whole, in one read. */
TEST_F(dev, huge_read_whole_records)
{
	size_t len = (8 << 20) - 1;
	struct sd_tracee t;
	int fd = sd_open(0), nrec;
	struct utrace_strace_record *r;
	ssize_t got;

	ASSERT_LE(0, fd);
	nrec = sd_run_queued(&t, fd, 500, 9);
	ASSERT_LT(1000, nrec);
	r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	got = sd_read(fd, r, len);
	EXPECT_EQ(0, got % (ssize_t)REC_SIZE);
	ASSERT_EQ((ssize_t)(nrec * REC_SIZE), got);
	EXPECT_EQ(0, sd_check_run(_metadata, r, nrec, t.pid, 0, 500, EXITED(9)));
	/* then end of file, also for a huge length */
	EXPECT_EQ(0, sd_read(fd, r, len));
	/* a length past the end of the address space is the VFS's EFAULT (access_ok) */
	EXPECT_EQ(-EFAULT, sd_read(fd, r, SSIZE_MAX));
	munmap(r, len);
	sd_close(fd);
}

/*
 * UTRACE_STRACE_F_DATA with bad pointers: a kernel address as a written buffer of 2^40
 * bytes, a kernel address as a path, execve with a path, argv and envp at unmapped low
 * addresses, a kernel stat buffer and read buffer of calls that fail. Each object the
 * engine records is one DATA record with -EFAULT, just before its entry record (write 1,
 * openat 1, execve 3); the failed calls' buffers are not read (newfstatat's good path is
 * its only DATA record); no record is lost; the thread runs on to its exit.
 */
TEST_F(dev, data_bad_pointers_efault)
{
	static const long want_nr[] = { SYS_write, SYS_openat, SYS_execve, SYS_newfstatat };
	static const int want_data[] = { 1, 1, 3, 1 };
	const unsigned long kaddr = 0xffffffff81000000UL;
	struct utrace_strace_record r[256];
	struct utrace_strace_stats st;
	int fd = sd_open(0), n = 0, k = 0, before, faults = 0, p[2];
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		syscall(SYS_write, -1, kaddr, 1UL << 40);
		syscall(SYS_openat, AT_FDCWD, 0xffffffffff600000UL, O_RDONLY);
		syscall(SYS_execve, 1UL, 8UL, 16UL);
		syscall(SYS_newfstatat, AT_FDCWD, "/", kaddr, 0);
		syscall(SYS_read, -1, kaddr, ~0UL);
		_exit(5);
	}
	close(p[0]);
	ASSERT_EQ(0, sd_attach(fd, pid, UTRACE_STRACE_F_DATA));
	ASSERT_EQ(1, write(p[1], "g", 1));
	close(p[1]);
	ASSERT_EQ(0, sd_read_all(fd, r, ARRAY_SIZE(r), &n, sizeof(r)));
	ASSERT_EQ(pid, waitpid(pid, &k, 0));
	EXPECT_EQ(EXITED(5), k);
	k = 0;
	for (int i = 0; i < n; i++) {
		if (r[i].type != UTRACE_STRACE_REC_SYSCALL_ENTRY)
			continue;
		/* its DATA records came just before it */
		before = 0;
		while (before < i && r[i - 1 - before].type == UTRACE_STRACE_REC_DATA)
			before++;
		if (k >= 4 || r[i].nr != want_nr[k]) {
			EXPECT_EQ(0, before) TH_LOG("record %d: syscall %lld", i, (long long)r[i].nr);
			continue;
		}
		EXPECT_EQ(want_data[k], before) TH_LOG("syscall %ld", want_nr[k]);
		for (int j = i - before; j < i && k < 3; j++)
			faults += r[j].ret == -EFAULT;
		if (k == 3 && before == 1)
			EXPECT_TRUE(r[i - 1].ret == 1 && (r[i - 1].flags & UTRACE_STRACE_RF_DATA_STR) &&
				    ((char *)r[i - 1].args)[0] == '/');
		k++;
	}
	EXPECT_EQ(4, k);
	EXPECT_EQ(5, faults);
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0ULL, st.lost_records);
	sd_close(fd);
}

/*
 * DETACH_ALL: on an empty session, 0, and then end of file (blocking read returns 0); with
 * an attached thread, it is detached (a DETACHED record, last) and runs on unchanged.
 */
TEST_F(dev, detach_all)
{
	struct utrace_strace_record r[8];
	struct utrace_strace_stats st;
	struct sd_tracee t;
	int fd = sd_open(0), fd2 = sd_open(0);
	char state[512];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, sd_ioctl(fd, UTRACE_STRACE_IOC_DETACH_ALL, NULL));
	EXPECT_EQ(0, sd_ioctl(fd, UTRACE_STRACE_IOC_DETACH_ALL, (void *)1));
	EXPECT_EQ(0, sd_read(fd, r, sizeof(r)));
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(0U, st.records);

	ASSERT_LT(0, sd_tracee_start(&t, 20, 8));
	ASSERT_EQ(0, sd_attach(fd2, t.pid, 0));
	EXPECT_TRUE(ut_state_shows("\nengines 1\n", state, sizeof(state), 10))
		TH_LOG("%s", state);
	EXPECT_EQ(0, sd_ioctl(fd2, UTRACE_STRACE_IOC_DETACH_ALL, NULL));
	ASSERT_EQ(0, sd_stats(fd2, &st));
	EXPECT_EQ(0U, st.attached);
	EXPECT_EQ(1U, st.records);
	ASSERT_EQ((ssize_t)REC_SIZE, sd_read(fd2, r, sizeof(r)));
	EXPECT_EQ(UTRACE_STRACE_REC_DETACHED, r[0].type);
	EXPECT_EQ(t.pid, r[0].tid);
	EXPECT_EQ(0U, r[0].seq);
	EXPECT_EQ(0, sd_read(fd2, r, sizeof(r)));
	/* the tracee runs on, untraced */
	sd_tracee_go(&t);
	EXPECT_EQ(EXITED(8), sd_tracee_wait(&t, 30));
	ASSERT_EQ(0, sd_stats(fd2, &st));
	EXPECT_EQ(1U, st.records);
	EXPECT_TRUE(ut_wait_no_leak(10));
	sd_close(fd);
	sd_close(fd2);
}

/*
 * Closing a session while its thread is parked (the ring full, nobody reading): the thread
 * runs on to its normal exit, and utrace keeps no engine.
 */
TEST_F(dev, close_with_parked_thread)
{
	struct utrace_strace_stats st;
	struct sd_tracee t;
	int fd = sd_open(0), status;
	__u64 before;
	char state[512];

	ASSERT_LE(0, fd);
	/* 2 records per call: far more than the ring (2048) holds */
	ASSERT_LT(0, sd_tracee_start(&t, 4000, 11));
	ASSERT_EQ(0, sd_attach(fd, t.pid, 0));
	sd_tracee_go(&t);
	for (int i = 0; i < 3000; i++) {
		if (sd_stats(fd, &st) || st.stops)
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, sd_stats(fd, &st));
	ASSERT_LE(1U, st.stops);
	before = st.records;
	/* parked: no record comes any more, the tracee has not exited */
	usleep(300000);
	ASSERT_EQ(0, sd_stats(fd, &st));
	EXPECT_EQ(before, st.records);
	EXPECT_EQ(1U, st.attached);
	EXPECT_EQ(0U, st.lost_records);
	EXPECT_LT(2048U, st.records);
	EXPECT_GT(8000U, st.records);
	EXPECT_EQ(0, waitpid(t.pid, &status, WNOHANG));
	EXPECT_TRUE(ut_state_shows("\nengines 1\n", state, sizeof(state), 10))
		TH_LOG("%s", state);
	sd_close(fd);
	EXPECT_EQ(EXITED(11), sd_tracee_wait(&t, 60));
	EXPECT_TRUE(ut_wait_no_leak(10)) {
		ut_read_file(UTRACE_DEBUGFS "/state", state, sizeof(state));
		TH_LOG("%s", state);
	}
}

/*
 * Three sessions at once, each on its own tracee, all running together: each session has
 * exactly its tracee's records, numbered from 0 without a gap.
 */
TEST_F(dev, sessions_see_only_their_own)
{
	static struct utrace_strace_record r[3][MAX_RECS];
	static const int loops[3] = { 30, 60, 90 };
	struct sd_tracee t[3];
	int fd[3], n[3] = { 0 };

	for (int i = 0; i < 3; i++) {
		fd[i] = sd_open(0);
		ASSERT_LE(0, fd[i]);
		ASSERT_LT(0, sd_tracee_start(&t[i], loops[i], 20 + i));
		ASSERT_EQ(0, sd_attach(fd[i], t[i].pid, 0));
	}
	for (int i = 0; i < 3; i++)
		sd_tracee_go(&t[i]);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(EXITED(20 + i), sd_tracee_wait(&t[i], 30));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(0, sd_read_all(fd[i], r[i], MAX_RECS, &n[i], 7 * REC_SIZE));
		EXPECT_EQ(0, sd_check_run(_metadata, r[i], n[i], t[i].pid, 0, loops[i],
					  EXITED(20 + i))) TH_LOG("session %d", i);
		sd_close(fd[i]);
	}
	EXPECT_TRUE(ut_wait_no_leak(10));
}

TEST_HARNESS_MAIN
