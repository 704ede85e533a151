/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the access tests (who may trace whom): a "tracer", a process that dropped its
 * privileges (to uid 1000, or root without CAP_SYS_PTRACE) after inheriting the test
 * engines' control files, opened as root (debugfs is root-only), and then does what the
 * test asks through a pipe: attach with the C or the Rust engine, ask utrace_may_trace(),
 * PTRACE_ATTACH for comparison, start children of its own, exec a program. And targets: pause()
 * loops with chosen credentials, dumpability and Yama PR_SET_PTRACER exception. Include after
 * kselftest_harness.h.
 */
#ifndef _UTRACE_ACCESS_H
#define _UTRACE_ACCESS_H

#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "utrace_test_util.h"
#include "linux/utrace.h"

#define UT_USER		1000	/* the unprivileged user of the tests */
#define UT_HELPER	"/utrace/tests/access_euid"	/* exits 0 euid 0, 1 euid == uid */
#define UT_HELPER_SUID	"/utrace/tests/access_euid_setuid"	/* the same, setuid root */
#define UT_YAMA		"/proc/sys/kernel/yama/ptrace_scope"

/* Who the tracer is. */
enum ut_who {
	UT_ROOT,		/* root with every capability */
	UT_ROOT_NO_PTRACE,	/* root without CAP_SYS_PTRACE */
	UT_USER1000,		/* uid/gid 1000, no capability */
	UT_USER1001,		/* uid/gid 1001, no capability */
	UT_U1000_G1001,		/* uid 1000, gid 1001 */
	UT_MIXED,		/* real uid 1000, effective (so fs) uid 1001, gid 1001 */
	UT_ROOT_NO_CAPS,	/* uid 0 without any capability (its exec regains them) */
};

static inline int ut_set_ids(uid_t ruid, uid_t euid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(ruid, euid, euid))
		return -errno;
	/* Changing uid made the process non-dumpable: a user's ordinary process is. */
	return prctl(PR_SET_DUMPABLE, 1) ? -errno : 0;
}

/* Drops current's privileges to @who's. Returns 0 or -errno. */
static inline int ut_become(enum ut_who who)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	switch (who) {
	case UT_ROOT:
		return 0;
	case UT_ROOT_NO_PTRACE:
		if (syscall(SYS_capget, &h, d))
			return -errno;
		d[0].effective &= ~(1U << CAP_SYS_PTRACE);
		d[0].permitted &= ~(1U << CAP_SYS_PTRACE);
		d[0].inheritable &= ~(1U << CAP_SYS_PTRACE);
		return syscall(SYS_capset, &h, d) ? -errno : 0;
	case UT_USER1000:
		return ut_set_ids(UT_USER, UT_USER, UT_USER);
	case UT_USER1001:
		return ut_set_ids(UT_USER + 1, UT_USER + 1, UT_USER + 1);
	case UT_U1000_G1001:
		return ut_set_ids(UT_USER, UT_USER, UT_USER + 1);
	case UT_MIXED:
		return ut_set_ids(UT_USER, UT_USER + 1, UT_USER + 1);
	case UT_ROOT_NO_CAPS:
		memset(d, 0, sizeof(d));
		return syscall(SYS_capset, &h, d) ? -errno : 0;
	}
	return -EINVAL;
}

/* Whether current has CAP_SYS_PTRACE in its effective set. */
static inline int ut_has_cap_sys_ptrace(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	return !syscall(SYS_capget, &h, d) && (d[0].effective & (1U << CAP_SYS_PTRACE));
}

/* One command on an open control file. Returns 0 or the command's -errno. */
static inline int ut_fcmd(int fd, const char *fmt, ...)
{
	char cmd[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return write(fd, cmd, len) < 0 ? -errno : 0;
}

/* PTRACE_ATTACH, wait for the attach stop, PTRACE_DETACH. 0 or -errno of the attach. */
static inline int ut_try_ptrace(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0)
		return -errno;
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

/* A process that sleeps until killed. */
struct ut_target {
	pid_t pid;
};

struct ut_target_opts {
	enum ut_who who;	/* credentials */
	int nondumpable;	/* PR_SET_DUMPABLE 0 */
	pid_t ptracer;		/* Yama: PR_SET_PTRACER this pid (-1: any) */
};

/* Forks a target; returns once it has set itself up. 0 or -1. */
static inline int ut_target_start(struct ut_target *t, const struct ut_target_opts *o)
{
	int p[2];
	char c = 0;

	if (pipe(p))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		close(p[0]);
		if (ut_become(o->who))
			c = 'b';
		if (o->nondumpable && prctl(PR_SET_DUMPABLE, 0))
			c = 'd';
		if (o->ptracer && prctl(PR_SET_PTRACER, o->ptracer == -1 ?
					(unsigned long)PR_SET_PTRACER_ANY :
					(unsigned long)o->ptracer, 0, 0, 0))
			c = 'p';
		if (write(p[1], c ? &c : "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'k') {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return 0;
}

static inline void ut_target_stop(struct ut_target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	t->pid = 0;
}

/* What a tracer does on request. */
enum ut_op {
	OP_ATTACH,	/* a = tid, b = flags: C engine slot 0, then detached and put */
	OP_ATTACH_KEEP,	/* a = tid, b = slot: C engine, kept attached */
	OP_LOOKUP,	/* a = tid, b = slot: lookup of that slot's engine */
	OP_ATTACH_TASK,	/* a = from slot, b = slot: attach_task, then detached and put */
	OP_RATTACH,	/* a = tid: Rust engine (attach_checked), then detached */
	OP_RATTACH_KEEP,	/* a = tid: Rust engine, kept */
	OP_MAY,		/* a = tid, b = flags: utrace_may_trace() */
	OP_PTRACE,	/* a = tid: ut_try_ptrace() */
	OP_SPAWN,	/* a = nondumpable: a pause() child of the tracer; returns its pid */
	OP_THREAD,	/* a pause() thread of the tracer; returns its tid */
	OP_EXEC_CHILD,	/* a = setuid helper?, b = 1: child becomes uid 1000, 2: child drops
			 * every capability: a child that execs the helper on OP_GO; returns
			 * its pid */
	OP_GO,		/* a = pid of an OP_EXEC_CHILD: exec now; returns its exit status */
	OP_PTRACE_EXEC,	/* a, b as OP_EXEC_CHILD: a child the tracer ptraces (PTRACE_SEIZE)
			 * execs the helper; returns its exit status */
	OP_EVENTS,	/* a = slot: "events a 0", a command on a slot of the C engine */
	OP_REVENTS,	/* "events 0", a command on the Rust engine's handle */
	OP_EXIT,
};

struct ut_tracer {
	pid_t pid;
	int req;	/* write end */
	int resp;	/* read end */
};

struct ut_req {
	int op, a, b;
};

#define UT_MAX_KIDS 8

static volatile pid_t ut_thread_tid;

static void *ut_pause_thread(void *arg)
{
	ut_thread_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

/* The tracer's loop. @ctl, @rctl: the C and Rust engines' control files. */
static inline void ut_tracer_serve(int req, int resp, int ctl, int rctl)
{
	pid_t kids[UT_MAX_KIDS], go_pid[UT_MAX_KIDS];
	int go_fd[UT_MAX_KIDS];
	int nkids = 0, ngo = 0;
	struct ut_req r;
	int ret, st;

	while (read(req, &r, sizeof(r)) == sizeof(r)) {
		ret = -EINVAL;
		switch (r.op) {
		case OP_ATTACH:
			ret = ut_fcmd(ctl, "attach 0 %d 0x%x", r.a, UTRACE_ATTACH_CREATE | r.b);
			if (!ret) {
				ut_fcmd(ctl, "control 0 %d", UTRACE_DETACH);
				ut_fcmd(ctl, "put 0");
			}
			break;
		case OP_ATTACH_KEEP:
			ret = ut_fcmd(ctl, "attach %d %d", r.b, r.a);
			break;
		case OP_LOOKUP:
			ret = ut_fcmd(ctl, "lookup %d %d", r.b, r.a);
			break;
		case OP_ATTACH_TASK:
			ret = ut_fcmd(ctl, "attach_task %d %d", r.b, r.a);
			if (!ret) {
				ut_fcmd(ctl, "control %d %d", r.b, UTRACE_DETACH);
				ut_fcmd(ctl, "put %d", r.b);
			}
			break;
		case OP_RATTACH:
		case OP_RATTACH_KEEP:
			ret = ut_fcmd(rctl, "attach %d", r.a);
			if (!ret && r.op == OP_RATTACH)
				ut_fcmd(rctl, "detach");
			break;
		case OP_REVENTS:
			ret = ut_fcmd(rctl, "events 0");
			break;
		case OP_MAY:
			ret = ut_fcmd(ctl, "may %d 0x%x", r.a, r.b);
			break;
		case OP_PTRACE:
			ret = ut_try_ptrace(r.a);
			break;
		case OP_SPAWN: {
			int p[2];
			char c;

			if (nkids == UT_MAX_KIDS || pipe(p))
				break;
			ret = fork();
			if (!ret) {
				if (r.a)
					prctl(PR_SET_DUMPABLE, 0);
				if (write(p[1], "k", 1) != 1)
					_exit(1);
				for (;;)
					pause();
			}
			if (ret > 0) {
				kids[nkids++] = ret;
				/* Set up before the tracer answers. */
				if (read(p[0], &c, 1) != 1)
					ret = -EIO;
			}
			close(p[0]);
			close(p[1]);
			break;
		}
		case OP_THREAD: {
			pthread_t th;

			if (pthread_create(&th, NULL, ut_pause_thread, NULL))
				break;
			for (int i = 0; i < 10000 && !ut_thread_tid; i++)
				usleep(1000);
			ret = ut_thread_tid ? ut_thread_tid : -ESRCH;
			break;
		}
		case OP_EXEC_CHILD: {
			int p[2];

			if (ngo == UT_MAX_KIDS || pipe(p))
				break;
			ret = fork();
			if (!ret) {
				char c;

				close(p[1]);
				if (r.b && ut_become(r.b == 2 ? UT_ROOT_NO_CAPS : UT_USER1000))
					_exit(95);
				if (read(p[0], &c, 1) != 1)
					_exit(97);
				execl(r.a ? UT_HELPER_SUID : UT_HELPER, "access_euid", NULL);
				_exit(98);
			}
			close(p[0]);
			if (ret > 0) {
				go_pid[ngo] = ret;
				go_fd[ngo++] = p[1];
			} else {
				close(p[1]);
			}
			break;
		}
		case OP_GO:
			for (int i = 0; i < ngo; i++) {
				if (go_pid[i] != r.a)
					continue;
				ret = -EIO;
				if (write(go_fd[i], "g", 1) != 1 || waitpid(r.a, &st, 0) != r.a)
					break;
				ret = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				go_pid[i] = 0;
				close(go_fd[i]);
			}
			break;
		case OP_PTRACE_EXEC: {
			int p[2];
			pid_t pid;

			if (pipe(p))
				break;
			pid = fork();
			if (!pid) {
				char c;

				close(p[1]);
				if (r.b && ut_become(r.b == 2 ? UT_ROOT_NO_CAPS : UT_USER1000))
					_exit(95);
				if (read(p[0], &c, 1) != 1)
					_exit(97);
				execl(r.a ? UT_HELPER_SUID : UT_HELPER, "access_euid", NULL);
				_exit(98);
			}
			close(p[0]);
			if (pid < 0) {
				close(p[1]);
				break;
			}
			/* Attached by the tracer: its credentials are the ptracer's. */
			if (ptrace(PTRACE_SEIZE, pid, 0, 0)) {
				ret = -errno;
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				close(p[1]);
				break;
			}
			ret = write(p[1], "g", 1) == 1 ? 0 : -EIO;
			close(p[1]);
			for (int done = ret; !done;) {
				done = 1;
				if (waitpid(pid, &st, __WALL) != pid)
					ret = -EIO;
				else if (WIFEXITED(st))
					ret = WEXITSTATUS(st);
				else if (WIFSIGNALED(st))
					ret = 128 + WTERMSIG(st);
				else
					done = !ptrace(PTRACE_CONT, pid, 0, 0) ? 0 : (ret = -EIO, 1);
			}
			break;
		}
		case OP_EVENTS:
			ret = ut_fcmd(ctl, "events %d 0", r.a);
			break;
		case OP_EXIT:
			for (int i = 0; i < nkids; i++) {
				kill(kids[i], SIGKILL);
				waitpid(kids[i], NULL, 0);
			}
			for (int i = 0; i < ngo; i++) {
				if (go_pid[i]) {
					kill(go_pid[i], SIGKILL);
					waitpid(go_pid[i], NULL, 0);
				}
			}
			_exit(0);
		}
		if (write(resp, &ret, sizeof(ret)) != sizeof(ret))
			_exit(2);
	}
	_exit(0);
}

/*
 * Starts a tracer as @who. The engines' control files are opened here, as root, and
 * inherited; the tracer drops its privileges before serving. 0 or -1.
 */
static inline int ut_tracer_start(struct ut_tracer *tr, enum ut_who who)
{
	int req[2], resp[2], ctl, rctl, ret = 0;

	ctl = open(UT_ENGINE_DIR "/control", O_WRONLY | O_CLOEXEC);
	rctl = open(UT_RUST_ENGINE_DIR "/control", O_WRONLY | O_CLOEXEC);
	if (ctl < 0 || rctl < 0 || pipe(req) || pipe(resp))
		return -1;
	tr->pid = fork();
	if (tr->pid < 0)
		return -1;
	if (!tr->pid) {
		close(req[1]);
		close(resp[0]);
		ret = ut_become(who);
		if (write(resp[1], &ret, sizeof(ret)) != sizeof(ret) || ret)
			_exit(1);
		ut_tracer_serve(req[0], resp[1], ctl, rctl);
	}
	close(req[0]);
	close(resp[1]);
	close(ctl);
	close(rctl);
	tr->req = req[1];
	tr->resp = resp[0];
	if (read(tr->resp, &ret, sizeof(ret)) != sizeof(ret) || ret)
		return -1;
	return 0;
}

/* One request; returns the tracer's answer (-EPIPE if it is gone). */
static inline int ut_tracer_do(struct ut_tracer *tr, enum ut_op op, int a, int b)
{
	struct ut_req r = { .op = op, .a = a, .b = b };
	int ret;

	if (write(tr->req, &r, sizeof(r)) != sizeof(r) ||
	    read(tr->resp, &ret, sizeof(ret)) != sizeof(ret))
		return -EPIPE;
	return ret;
}

static inline void ut_tracer_stop(struct ut_tracer *tr)
{
	struct ut_req r = { .op = OP_EXIT };

	if (tr->pid <= 0)
		return;
	if (write(tr->req, &r, sizeof(r)) != sizeof(r))
		kill(tr->pid, SIGKILL);
	waitpid(tr->pid, NULL, 0);
	close(tr->req);
	close(tr->resp);
	tr->pid = 0;
}

/* Yama's ptrace_scope: the current value, or -1 without Yama. */
static inline int ut_yama_scope(void)
{
	char buf[16];

	if (ut_read_file(UT_YAMA, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

static inline int ut_set_yama_scope(int scope)
{
	char buf[16];
	int fd = open(UT_YAMA, O_WRONLY | O_CLOEXEC), len, ret;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", scope);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

#endif /* _UTRACE_ACCESS_H */
