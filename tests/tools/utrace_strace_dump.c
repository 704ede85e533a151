// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_strace_dump: a minimal client of /dev/utrace-strace (the utrace_strace engine) for
 * the guest: prints the raw records, one per line. Not the utrace-strace command: a probe
 * of the kernel side.
 *
 *   utrace_strace_dump [-f] [-q] [-b NREC] [-c NREC] [-d MS] -- CMD [ARG...]
 *	fork CMD, attach it (F_UNTIL_EXEC, and F_FOLLOW with -f) before it execs, print its
 *	records until end of file, then its wait status and the session's stats.
 *	-q: count records, print none. -b: read NREC records per read() (default 64). -d: sleep MS ms before each read.
 *	-c: read NREC records only, then close the device while CMD may be parked, and
 *	report whether CMD finishes (it must). -D: after NREC records, DETACH_ALL, then read
 *	on to the end of file. -U: first become UID (dumpable, as a user's shell is).
 *   utrace_strace_dump -p TID [-U UID]
 *	attach TID (after dropping to UID), print the errno, exit.
 *   utrace_strace_dump -X UID
 *	the access rule, as UID: its own child yes, its own non-dumpable child and pid 1 no.
 *   utrace_strace_dump -T
 *	the error paths: EINVAL, EFAULT, ENOTTY, ESRCH, EEXIST, EAGAIN; prints "selftest ok".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* The uapi header, from the tree (build-tests passes -I include only). */
#include "../../include/uapi/linux/utrace_strace.h"

_Static_assert(sizeof(struct utrace_strace_record) == 96, "record size");

static const char *type_name(unsigned t)
{
	static const char *n[] = { "?", "entry", "exit", "signal", "EXIT", "attached", "detached",
				   "exec" };
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static void print_rec(const struct utrace_strace_record *r)
{
	printf("seq=%llu tid=%d tgid=%d %s flags=%#x nr=%lld ret=%lld", (unsigned long long)r->seq,
	       r->tid, r->tgid, type_name(r->type), r->flags, (long long)r->nr, (long long)r->ret);
	if (r->type == UTRACE_STRACE_REC_SYSCALL_ENTRY || r->type == UTRACE_STRACE_REC_ATTACHED)
		printf(" args=%llx,%llx,%llx,%llx,%llx,%llx", (unsigned long long)r->args[0],
		       (unsigned long long)r->args[1], (unsigned long long)r->args[2],
		       (unsigned long long)r->args[3], (unsigned long long)r->args[4],
		       (unsigned long long)r->args[5]);
	if (r->type == UTRACE_STRACE_REC_SIGNAL) {
		const int *si = (const int *)r->args;
		printf(" si_signo=%d si_errno=%d si_code=%d", si[0], si[1], si[2]);
	}
	printf("\n");
}

static int open_dev(void)
{
	int fd = open(UTRACE_STRACE_DEVICE, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perror("open " UTRACE_STRACE_DEVICE);
		exit(2);
	}
	return fd;
}

static int attach(int fd, int tid, unsigned flags)
{
	struct utrace_strace_attach a = { .tid = tid, .flags = flags };

	return ioctl(fd, UTRACE_STRACE_IOC_ATTACH, &a) ? errno : 0;
}

static void print_stats(int fd)
{
	struct utrace_strace_stats st;

	if (ioctl(fd, UTRACE_STRACE_IOC_STATS, &st)) {
		perror("STATS");
		return;
	}
	printf("stats records=%llu stops=%llu lost=%llu attached=%u version=%u\n",
	       (unsigned long long)st.records, (unsigned long long)st.stops,
	       (unsigned long long)st.lost_records, st.attached, st.version);
}

#define CHECK(cond, what)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			printf("selftest FAIL: %s (errno %d)\n", what, errno);      \
			return 1;                                                    \
		}                                                                    \
	} while (0)

static int selftest(void)
{
	struct utrace_strace_record r[2];
	void *volatile bad = (void *)16;
	char small[95];
	int fd = open_dev(), nb, e;
	pid_t c;

	CHECK(ioctl(fd, UTRACE_STRACE_IOC_VERSION) == UTRACE_STRACE_VERSION, "VERSION");
	CHECK(ioctl(fd, _IO(UTRACE_STRACE_IOC_MAGIC, 42)) < 0 && errno == ENOTTY, "ENOTTY");
	CHECK(ioctl(fd, UTRACE_STRACE_IOC_ATTACH, bad) < 0 && errno == EFAULT,
	      "ATTACH bad pointer EFAULT");
	CHECK(ioctl(fd, UTRACE_STRACE_IOC_STATS, bad) < 0 && errno == EFAULT,
	      "STATS bad pointer EFAULT");
	CHECK(read(fd, small, sizeof(small)) < 0 && errno == EINVAL, "short read EINVAL");
	nb = open(UTRACE_STRACE_DEVICE, O_RDONLY | O_NONBLOCK);
	CHECK(nb >= 0, "open O_NONBLOCK");
	CHECK(read(nb, r, sizeof(r)) < 0 && errno == EAGAIN, "EAGAIN before any attach");
	CHECK(attach(fd, 0x7ffffff0, 0) == ESRCH, "ESRCH");
	c = fork();
	if (!c) {
		pause();
		_exit(0);
	}
	CHECK(attach(fd, c, 0x80) == EINVAL, "bad flags EINVAL");
	e = attach(fd, c, 0);
	CHECK(e == 0, "attach child");
	CHECK(attach(fd, c, 0) == EEXIST, "EEXIST");
	CHECK(attach(nb, c, 0) == 0, "second session on the same thread");
	CHECK(attach(fd, getpid(), 0) == EPERM, "own thread group EPERM");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	/* The EXIT record is there: a fault takes nothing off the queue. */
	CHECK(read(fd, bad, sizeof(r)) < 0 && errno == EFAULT, "read to a bad pointer EFAULT");
	/* Both sessions see the death, then end of file. */
	for (;;) {
		ssize_t n = read(fd, r, sizeof(r));

		CHECK(n >= 0, "read after death");
		if (!n)
			break;
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(r[0]); i++)
			print_rec(&r[i]);
	}
	for (;;) {
		ssize_t n = read(nb, r, sizeof(r));

		if (n < 0 && errno == EAGAIN) {
			usleep(10000);
			continue;
		}
		CHECK(n >= 0, "read after death (second session)");
		if (!n)
			break;
	}
	CHECK(ioctl(fd, UTRACE_STRACE_IOC_DETACH_ALL) == 0, "DETACH_ALL");
	CHECK(read(fd, r, sizeof(r)) == 0, "EOF after DETACH_ALL");
	print_stats(fd);
	close(nb);
	close(fd);
	printf("selftest ok\n");
	return 0;
}

#include <sys/prctl.h>

static pid_t paused_child(int dumpable)
{
	int p[2];
	pid_t c;
	char x;

	if (pipe(p))
		exit(2);
	c = fork();
	if (!c) {
		/* After setresuid() from root the process is not dumpable: say. */
		prctl(PR_SET_DUMPABLE, dumpable);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], &x, 1) != 1)
		exit(2);
	close(p[0]);
	close(p[1]);
	return c;
}

static int access_checks(int uid)
{
	pid_t a, b;
	int fd, ea, eb, e1;

	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
		perror("setresuid");
		return 2;
	}
	fd = open_dev();
	a = paused_child(1);
	b = paused_child(0);
	ea = attach(fd, a, 0);
	eb = attach(fd, b, 0);
	e1 = attach(fd, 1, 0);
	printf("access as uid %d: own child %s, own non-dumpable child %s, pid 1 %s\n", uid,
	       ea ? strerror(ea) : "ok", eb ? strerror(eb) : "ok", e1 ? strerror(e1) : "ok");
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	close(fd);
	return !(ea == 0 && eb == EPERM && e1 == EPERM);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned flags = UTRACE_STRACE_F_UNTIL_EXEC;
	int opt, quiet = 0, detach_after = -1, nrec = 64, close_after = -1, delay_ms = 0, tid = 0, uid = -1;
	struct utrace_strace_record *buf;
	int go[2], fd, e, status;
	unsigned long long total = 0, expect_seq = 0;
	pid_t c;

	while ((opt = getopt(argc, argv, "fqb:c:d:D:p:U:TX:")) != -1) {
		switch (opt) {
		case 'f': flags |= UTRACE_STRACE_F_FOLLOW; break;
		case 'q': quiet = 1; break;
		case 'b': nrec = atoi(optarg); break;
		case 'c': close_after = atoi(optarg); break;
		case 'D': detach_after = atoi(optarg); break;
		case 'd': delay_ms = atoi(optarg); break;
		case 'p': tid = atoi(optarg); break;
		case 'U': uid = atoi(optarg); break;
		case 'T': return selftest();
		case 'X': return access_checks(atoi(optarg));
		default: return 2;
		}
	}
	if (uid >= 0) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
			perror("setresuid");
			return 2;
		}
		prctl(PR_SET_DUMPABLE, 1);
	}
	if (tid) {
		fd = open_dev();
		e = attach(fd, tid, 0);
		printf("attach %d as uid %d: %s\n", tid, (int)getuid(), e ? strerror(e) : "ok");
		return 0;
	}
	if (optind >= argc)
		return 2;
	fd = open_dev();
	if (pipe(go))
		return 2;
	c = fork();
	if (!c) {
		char x;

		close(go[1]);
		if (read(go[0], &x, 1) != 1)
			_exit(126);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	close(go[0]);
	e = attach(fd, c, flags);
	if (e) {
		printf("attach: %s\n", strerror(e));
		return 1;
	}
	if (write(go[1], "x", 1) != 1)
		return 2;
	close(go[1]);
	buf = calloc(nrec, sizeof(*buf));
	for (;;) {
		ssize_t n;

		if (close_after >= 0 && total >= (unsigned long long)close_after) {
			double t0;

			printf("closing after %llu records\n", total);
			print_stats(fd);
			fflush(stdout);
			t0 = now();
			close(fd);
			waitpid(c, &status, 0);
			printf("child finished after close: status %#x in %.2f s\n", status, now() - t0);
			return 0;
		}
		if (detach_after >= 0 && total >= (unsigned long long)detach_after) {
			printf("DETACH_ALL after %llu records: %s\n", total,
			       ioctl(fd, UTRACE_STRACE_IOC_DETACH_ALL) ? strerror(errno) : "ok");
			detach_after = -1;
		}
		if (delay_ms)
			usleep(delay_ms * 1000);
		n = read(fd, buf, nrec * sizeof(*buf));
		if (n < 0) {
			perror("read");
			return 1;
		}
		if (!n)
			break;
		if (n % sizeof(*buf)) {
			printf("read returned %zd: not whole records\n", n);
			return 1;
		}
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(*buf); i++) {
			if (buf[i].seq != expect_seq)
				printf("SEQ GAP: expected %llu\n", expect_seq);
			expect_seq = buf[i].seq + 1;
			if (close_after < 0 && !quiet)
				print_rec(&buf[i]);
			total++;
		}
	}
	waitpid(c, &status, 0);
	printf("eof after %llu records; child status %#x\n", total, status);
	print_stats(fd);
	return 0;
}
