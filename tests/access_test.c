// SPDX-License-Identifier: GPL-2.0
/*
 * Who may trace whom (Documentation/api.md, "Security"): both test engines attach with
 * UTRACE_ATTACH_CHECK_ACCESS, so utrace_may_trace() decides for every attach user space asks
 * for. Each case is made by a "tracer" that dropped its privileges (uid 1000, or root without
 * CAP_SYS_PTRACE) after inheriting the root-only control files, and compared with what the
 * kernel's own ptrace(PTRACE_ATTACH) says for the same pair: uid and dumpability rules,
 * CAP_SYS_PTRACE, Yama's ptrace_scope 1 and 2 with PR_SET_PTRACER exceptions (scope 3 is in
 * access_yama3_last_test: it cannot be undone). Then utrace's own refusals (own thread group,
 * kernel threads, bad flags), the fail-closed path without procfs, the privileged-exec policy
 * next to ptrace's behaviour on the same exec, and the rule of the Rust read_memory().
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_access.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#define IORING_SETUP_SQPOLL	(1U << 1)

/* A deadline for each test, fixture included (module loads take seconds under TCG). */
#define ACCESS_TEST(name) TEST_F_TIMEOUT(access, name, 600)

static char logbuf[256 * 1024];
static char lines[256][256];

static const char *const modules[] = { "utrace", "utrace_test_engine", "utrace_rust_test", NULL };

FIXTURE(access) {
	int scope;		/* Yama's ptrace_scope at the start, -1 without Yama */
	struct ut_tracer tr;
	struct ut_target t[4];
};

FIXTURE_SETUP(access)
{
	ut_fixture_load(_metadata, modules);
	self->scope = ut_yama_scope();
	/* The classic rules first; the Yama cases set their scope themselves. */
	if (self->scope > 0)
		ASSERT_EQ(0, ut_set_yama_scope(0));
	memset(&self->tr, 0, sizeof(self->tr));
	memset(self->t, 0, sizeof(self->t));
}

FIXTURE_TEARDOWN(access)
{
	ut_tracer_stop(&self->tr);
	for (int i = 0; i < 4; i++)
		ut_target_stop(&self->t[i]);
	if (self->scope >= 0)
		EXPECT_EQ(0, ut_set_yama_scope(self->scope));
	ut_fixture_unload(_metadata, modules);
}

/*
 * The tracer's answers for @pid: utrace_may_trace(), the C engine's attach, the Rust engine's
 * attach, and ptrace's attach. Each utrace answer must be ptrace's, and that must be @want.
 */
static void expect_all(struct __test_metadata *_metadata, struct ut_tracer *tr, pid_t pid,
		       int want, const char *what)
{
	int pt = ut_tracer_do(tr, OP_PTRACE, pid, 0);

	EXPECT_EQ(want, pt) TH_LOG("%s: ptrace", what);
	EXPECT_EQ(pt, ut_tracer_do(tr, OP_MAY, pid, 0)) TH_LOG("%s: utrace_may_trace", what);
	EXPECT_EQ(pt, ut_tracer_do(tr, OP_ATTACH, pid, 0)) TH_LOG("%s: C engine attach", what);
	EXPECT_EQ(pt, ut_tracer_do(tr, OP_RATTACH, pid, 0)) TH_LOG("%s: Rust engine attach", what);
}

static pid_t start_target(struct __test_metadata *_metadata, struct ut_target *t,
			  enum ut_who who, int nondumpable, pid_t ptracer)
{
	struct ut_target_opts o = { .who = who, .nondumpable = nondumpable, .ptracer = ptracer };

	if (ut_target_start(t, &o))
		return -1;
	return t->pid;
}

/* uid 1000 traces its own processes: its child, and (no Yama) another of its processes. */
ACCESS_TEST(user_attaches_own_process)
{
	pid_t kid, sib;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	ASSERT_LT(0, kid);
	expect_all(_metadata, &self->tr, kid, 0, "own child");
	sib = start_target(_metadata, &self->t[0], UT_USER1000, 0, 0);
	ASSERT_LT(0, sib);
	expect_all(_metadata, &self->tr, sib, 0, "same uid, not a child");
}

/* uid 1000 is refused root's processes: uids differ, and it has no CAP_SYS_PTRACE. */
ACCESS_TEST(user_refused_root_process)
{
	pid_t root;

	root = start_target(_metadata, &self->t[0], UT_ROOT, 0, 0);
	ASSERT_LT(0, root);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	expect_all(_metadata, &self->tr, root, -EPERM, "root's process");
	expect_all(_metadata, &self->tr, 1, -EPERM, "init");
}

/* A non-dumpable process (PR_SET_DUMPABLE 0) of the same user is refused. */
ACCESS_TEST(user_refused_nondumpable)
{
	pid_t kid, sib;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 1, 0);
	ASSERT_LT(0, kid);
	expect_all(_metadata, &self->tr, kid, -EPERM, "non-dumpable child");
	sib = start_target(_metadata, &self->t[0], UT_USER1000, 1, 0);
	ASSERT_LT(0, sib);
	expect_all(_metadata, &self->tr, sib, -EPERM, "non-dumpable process");
}

/*
 * ptrace's attach rule judges the real uid and gid, not the fs ones (which follow the
 * effective ones): a tracer with real uid 1000 and effective uid 1001 may not trace uid
 * 1001's process, and may trace one whose ids are its real ones.
 */
ACCESS_TEST(real_ids_not_fs_ids)
{
	pid_t u1001, own;

	u1001 = start_target(_metadata, &self->t[0], UT_USER1001, 0, 0);
	own = start_target(_metadata, &self->t[1], UT_U1000_G1001, 0, 0);
	ASSERT_LT(0, u1001);
	ASSERT_LT(0, own);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_MIXED));
	expect_all(_metadata, &self->tr, u1001, -EPERM, "target's ids are the tracer's fs ids");
	expect_all(_metadata, &self->tr, own, 0, "target's ids are the tracer's real ids");
}

/*
 * Root without CAP_SYS_PTRACE: refused for another uid's process, and for a root process
 * with more capabilities than it has (commoncap's rule); allowed for a root process with no
 * more. Root with the capability is allowed everywhere.
 */
ACCESS_TEST(root_without_cap_sys_ptrace)
{
	pid_t user, root, weak;

	user = start_target(_metadata, &self->t[0], UT_USER1000, 0, 0);
	root = start_target(_metadata, &self->t[1], UT_ROOT, 0, 0);
	weak = start_target(_metadata, &self->t[2], UT_ROOT_NO_PTRACE, 0, 0);
	ASSERT_LT(0, user);
	ASSERT_LT(0, root);
	ASSERT_LT(0, weak);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT_NO_PTRACE));
	expect_all(_metadata, &self->tr, user, -EPERM, "uid 1000 process");
	expect_all(_metadata, &self->tr, root, -EPERM, "root with every capability");
	expect_all(_metadata, &self->tr, weak, 0, "root without CAP_SYS_PTRACE either");
	ut_tracer_stop(&self->tr);

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	expect_all(_metadata, &self->tr, user, 0, "root tracer, uid 1000 process");
	expect_all(_metadata, &self->tr, weak, 0, "root tracer, weaker root process");
}

/*
 * Yama ptrace_scope 1 (relational): a descendant, or a process that named the tracer with
 * PR_SET_PTRACER (or PR_SET_PTRACER_ANY); not a sibling; CAP_SYS_PTRACE overrides.
 */
ACCESS_TEST(yama_scope_1_relational)
{
	pid_t kid, sib, named, any;

	if (self->scope < 0)
		SKIP(return, "no Yama in this kernel");
	ASSERT_EQ(0, ut_set_yama_scope(1));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	sib = start_target(_metadata, &self->t[0], UT_USER1000, 0, 0);
	named = start_target(_metadata, &self->t[1], UT_USER1000, 0, self->tr.pid);
	any = start_target(_metadata, &self->t[2], UT_USER1000, 0, -1);
	ASSERT_LT(0, kid);
	ASSERT_LT(0, sib);
	ASSERT_LT(0, named);
	ASSERT_LT(0, any);
	expect_all(_metadata, &self->tr, kid, 0, "scope 1, descendant");
	expect_all(_metadata, &self->tr, sib, -EPERM, "scope 1, sibling");
	expect_all(_metadata, &self->tr, named, 0, "scope 1, PR_SET_PTRACER tracer");
	expect_all(_metadata, &self->tr, any, 0, "scope 1, PR_SET_PTRACER_ANY");
	ut_tracer_stop(&self->tr);

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	expect_all(_metadata, &self->tr, sib, 0, "scope 1, CAP_SYS_PTRACE, sibling");
}

/* Yama ptrace_scope 2 (admin only): CAP_SYS_PTRACE needed, even for one's own child. */
ACCESS_TEST(yama_scope_2_admin)
{
	pid_t kid, user, weak;

	if (self->scope < 0)
		SKIP(return, "no Yama in this kernel");
	ASSERT_EQ(0, ut_set_yama_scope(2));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	ASSERT_LT(0, kid);
	expect_all(_metadata, &self->tr, kid, -EPERM, "scope 2, uid 1000, own child");
	ut_tracer_stop(&self->tr);

	weak = start_target(_metadata, &self->t[0], UT_ROOT_NO_PTRACE, 0, 0);
	ASSERT_LT(0, weak);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT_NO_PTRACE));
	expect_all(_metadata, &self->tr, weak, -EPERM, "scope 2, root without the capability");
	ut_tracer_stop(&self->tr);

	user = start_target(_metadata, &self->t[1], UT_USER1000, 0, 0);
	ASSERT_LT(0, user);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	expect_all(_metadata, &self->tr, user, 0, "scope 2, root with CAP_SYS_PTRACE");
}

/*
 * The caller's own thread group is refused (ptrace refuses it too), itself included, unless
 * UTRACE_ACCESS_OWN_GROUP asks for it.
 */
ACCESS_TEST(own_thread_group)
{
	int tid;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	tid = ut_tracer_do(&self->tr, OP_THREAD, 0, 0);
	ASSERT_LT(0, tid);
	expect_all(_metadata, &self->tr, tid, -EPERM, "another thread of the caller");
	expect_all(_metadata, &self->tr, self->tr.pid, -EPERM, "the caller itself");
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_MAY, tid, UTRACE_ACCESS_OWN_GROUP));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH, tid, UTRACE_ACCESS_OWN_GROUP));
}

/* Kernel threads are refused, whatever the flags; unknown flags are an error. */
ACCESS_TEST(kernel_threads_and_bad_flags)
{
	pid_t kid;

	/* kthreadd is pid 2. */
	EXPECT_EQ(-EPERM, ut_cmd("may 2"));
	EXPECT_EQ(-EPERM, ut_cmd("may 2 0x%x", UTRACE_ACCESS_OWN_GROUP | UTRACE_ACCESS_USER_WORKER));
	EXPECT_EQ(-EPERM, ut_cmd("attach 0 2"));
	EXPECT_EQ(-EPERM, ut_rcmd("attach 2"));
	kid = start_target(_metadata, &self->t[0], UT_USER1000, 0, 0);
	ASSERT_LT(0, kid);
	EXPECT_EQ(-EINVAL, ut_cmd("may %d 0x1", kid));
	EXPECT_EQ(-EINVAL, ut_cmd("may %d 0x%x", kid, UTRACE_ATTACH_CHECK_ACCESS));
	EXPECT_EQ(0, ut_cmd("may %d", kid));
}

/*
 * The test engines' control file is root-only, but its writers need not be equals: a slot
 * one attached is commanded only by a writer with CAP_SYS_PTRACE or with the attacher's
 * euid and at least its capabilities. Root without CAP_SYS_PTRACE may not command (here:
 * set the events of) an engine full root attached to a root process; it commands its own;
 * uid 1000 may not command it; full root commands everything.
 */
ACCESS_TEST(slots_are_commanded_by_their_attacher)
{
	pid_t root, kid;

	root = start_target(_metadata, &self->t[0], UT_ROOT, 0, 0);
	ASSERT_LT(0, root);
	ASSERT_EQ(0, ut_cmd("attach 0 %d", root));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT_NO_PTRACE));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_EVENTS, 0, 0));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_ATTACH_TASK, 0, 1));
	/* A process like the tracer (not its child: it outlives the tracer). */
	kid = start_target(_metadata, &self->t[1], UT_ROOT_NO_PTRACE, 0, 0);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_KEEP, kid, 1));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_EVENTS, 1, 0));
	ut_tracer_stop(&self->tr);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_EVENTS, 1, 0));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_EVENTS, 0, 0));
	EXPECT_EQ(0, ut_cmd("events 0 0"));
	EXPECT_EQ(0, ut_cmd("events 1 0"));
	EXPECT_EQ(0, ut_cmd("put 1"));
	EXPECT_EQ(0, ut_cmd("put 0"));
}

/*
 * A writer with the attacher's ids and capabilities is still judged by the LSMs for the
 * thread: under Yama ptrace_scope 1, uid 1000 B may not command the slot uid 1000 A
 * attached to A's own child (B is no ancestor of it: it could not have attached), and may
 * under scope 0; root may under both.
 */
ACCESS_TEST(commanding_writer_is_judged_by_the_lsms)
{
	struct ut_tracer b;
	pid_t kid;

	if (self->scope < 0)
		SKIP(return, "no Yama in this kernel");
	ASSERT_EQ(0, ut_set_yama_scope(1));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_KEEP, kid, 1));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_EVENTS, 1, 0));
	ASSERT_EQ(0, ut_tracer_start(&b, UT_USER1000));
	EXPECT_EQ(-EPERM, ut_tracer_do(&b, OP_EVENTS, 1, 0));
	EXPECT_EQ(0, ut_cmd("events 1 0"));
	ASSERT_EQ(0, ut_set_yama_scope(0));
	EXPECT_EQ(0, ut_tracer_do(&b, OP_EVENTS, 1, 0));
	ut_tracer_stop(&b);
	EXPECT_EQ(0, ut_cmd("put 1"));
}

/*
 * The Rust test engine's one handle, likewise (utrace::Attacher): root without
 * CAP_SYS_PTRACE may neither command the handle full root attached nor attach over it; once
 * full root detached it, it attaches its own and commands it; uid 1000 may not command that;
 * full root commands everything.
 */
ACCESS_TEST(rust_handle_is_commanded_by_its_attacher)
{
	pid_t root, kid;

	root = start_target(_metadata, &self->t[0], UT_ROOT, 0, 0);
	ASSERT_LT(0, root);
	kid = start_target(_metadata, &self->t[1], UT_ROOT_NO_PTRACE, 0, 0);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, ut_rcmd("attach %d", root));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT_NO_PTRACE));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_REVENTS, 0, 0));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_RATTACH_KEEP, kid, 0));
	EXPECT_EQ(0, ut_rcmd("detach"));
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_RATTACH_KEEP, kid, 0));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_REVENTS, 0, 0));
	ut_tracer_stop(&self->tr);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_REVENTS, 0, 0));
	EXPECT_EQ(0, ut_rcmd("events 0"));
	EXPECT_EQ(0, ut_rcmd("detach"));
}

/*
 * The lookup is checked too (slot 1: empty, so the slot's owner is not what refuses), and
 * an attach to another slot's task needs that slot to be the writer's (the test engine's
 * rule) before the access check.
 */
ACCESS_TEST(lookup_and_attach_task_are_checked)
{
	pid_t root;

	root = start_target(_metadata, &self->t[0], UT_ROOT, 0, 0);
	ASSERT_LT(0, root);
	ASSERT_EQ(0, ut_cmd("attach 0 %d", root));
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_LOOKUP, root, 1));
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_ATTACH_TASK, 0, 1));
	ut_tracer_stop(&self->tr);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_LOOKUP, root, 0));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_TASK, 0, 1));
	EXPECT_EQ(0, ut_cmd("control 0 %d", UTRACE_DETACH));
	EXPECT_EQ(0, ut_cmd("put 0"));

	/* A released task: the check answers -ESRCH (the slot still holds the task_struct). */
	ASSERT_EQ(0, ut_cmd("attach 0 %d", root));
	ut_target_stop(&self->t[0]);
	EXPECT_EQ(-ESRCH, ut_cmd("attach_task 1 0"));
	EXPECT_EQ(0, ut_cmd("put 0"));
}

/* PF_USER_WORKER threads (an io_uring SQPOLL thread here) only with the flag. */
ACCESS_TEST(user_worker_needs_flag)
{
	struct { unsigned int sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle,
		 features, wq_fd, resv[3]; unsigned long long off[10]; } p;
	char path[128], comm[64];
	int fd, tid = 0;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = 100000;
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		SKIP(return, "no io_uring in this kernel (CONFIG_IO_URING): %s", strerror(errno));
	ASSERT_LE(0, fd) TH_LOG("io_uring_setup: %s", strerror(errno));
	for (int t = getpid() + 1; t < getpid() + 4096 && !tid; t++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", getpid(), t);
		if (ut_read_file(path, comm, sizeof(comm)) > 0 && !strncmp(comm, "iou-sqp", 7))
			tid = t;
	}
	ASSERT_LT(0, tid) TH_LOG("no iou-sqp thread");
	EXPECT_EQ(-EPERM, ut_cmd("may %d 0x%x", tid, UTRACE_ACCESS_OWN_GROUP));
	EXPECT_EQ(0, ut_cmd("may %d 0x%x", tid,
			    UTRACE_ACCESS_OWN_GROUP | UTRACE_ACCESS_USER_WORKER));
	close(fd);
}

/* The engine log lines of @slot whose first word is @kind (and that contain @has). */
static int count(const char *log, int slot, const char *kind, const char *has)
{
	int n = ut_slot_lines(log, slot, lines, 256), c = 0;

	for (int i = 0; i < n; i++)
		c += !strncmp(lines[i], kind, strlen(kind)) && lines[i][strlen(kind)] == ' ' &&
		     (!has || strstr(lines[i], has));
	return c;
}

/* Whether slot 0's last log line is @pid's execve entry: nothing came after it. */
static int last_is_execve_entry(const char *log, pid_t pid)
{
	int n = ut_slot_lines(log, 0, lines, 256);
	char want[64];

	snprintf(want, sizeof(want), "syscall_entry 0 %d in=0x5 nr=%d ", pid, SYS_execve);
	return n > 0 && !strncmp(lines[n - 1], want, strlen(want));
}

#define EXEC_EVENTS	(UTRACE_EVENT_SYSCALL | UTRACE_EVENT(EXEC) | UTRACE_EVENT(EXIT) | \
			 UTRACE_EVENT(DEATH))

/*
 * The tracer's child that execs the helper (@setuid and @child as OP_EXEC_CHILD's a and b),
 * under slot 0's engine attached by the tracer with EXEC_EVENTS: its exit status (-1 when
 * the set-up failed), with the engine's log in logbuf.
 */
static int traced_exec(struct __test_metadata *_metadata, struct ut_tracer *tr, int setuid,
		       int child)
{
	pid_t t = ut_tracer_do(tr, OP_EXEC_CHILD, setuid, child);
	int st;

	if (t <= 0 || ut_tracer_do(tr, OP_ATTACH_KEEP, t, 0) ||
	    ut_cmd("events 0 %lx", EXEC_EVENTS) || ut_cmd("clear"))
		return -1;
	st = ut_tracer_do(tr, OP_GO, t, 0);
	EXPECT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	return st;
}

/*
 * A setuid-root program exec'd by a uid-1000 process traced by engines that uid 1000
 * attached: the engines are detached before the program's first instruction and get no
 * callback from it (not the exec report, not the execve's return, not its exit); the program
 * runs with euid 0 (utrace cannot withhold the privilege as ptrace does). An exec that gains
 * nothing keeps them.
 */
ACCESS_TEST(setuid_exec_detaches_unprivileged_engines)
{
	char nr[32], line[256];
	int kmsg, st;
	pid_t t;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));

	/* An ordinary exec: the engine stays, told secure=0. */
	t = ut_tracer_do(&self->tr, OP_EXEC_CHILD, 0, 0);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_KEEP, t, 0));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", EXEC_EVENTS));
	ASSERT_EQ(0, ut_cmd("clear"));
	EXPECT_EQ(1, ut_tracer_do(&self->tr, OP_GO, t, 0));	/* euid == uid */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_EQ(1, count(logbuf, 0, "exec", "secure=0")) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(1, count(logbuf, 0, "death", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, ut_cmd("put 0"));

	/* The setuid one. */
	t = ut_tracer_do(&self->tr, OP_EXEC_CHILD, 1, 0);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_KEEP, t, 0));
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_RATTACH_KEEP, t, 0));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", EXEC_EVENTS));
	ASSERT_EQ(0, ut_rcmd("events %lx", EXEC_EVENTS));
	ASSERT_EQ(0, ut_cmd("clear"));
	ASSERT_EQ(0, ut_rcmd("clear"));
	kmsg = ut_kmsg_open();
	ASSERT_LE(0, kmsg);
	st = ut_tracer_do(&self->tr, OP_GO, t, 0);
	EXPECT_EQ(0, st) TH_LOG("the setuid program did not run with euid 0");

	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(nr, sizeof(nr), "nr=%d ", SYS_execve);
	EXPECT_EQ(1, count(logbuf, 0, "syscall_entry", nr)) TH_LOG("log:\n%s", logbuf);
	/* Nothing from the new image. */
	EXPECT_EQ(0, count(logbuf, 0, "syscall_exit", nr)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "exec", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "exit", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "death", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_TRUE(last_is_execve_entry(logbuf, t)) TH_LOG("log:\n%s", logbuf);
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	EXPECT_TRUE(last_is_execve_entry(logbuf, t)) TH_LOG("Rust log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "exec", NULL)) TH_LOG("Rust log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "syscall_exit", nr)) TH_LOG("Rust log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "death", NULL)) TH_LOG("Rust log:\n%s", logbuf);
	/* Detached: the engines' calls fail, the Rust memory read too. */
	EXPECT_EQ(-ESRCH, ut_cmd("events 0 %lx", EXEC_EVENTS));
	EXPECT_EQ(-ESRCH, ut_rcmd("events %lx", EXEC_EVENTS));
	EXPECT_EQ(-ESRCH, ut_rcmd("peek 1000"));
	EXPECT_TRUE(ut_kmsg_find(kmsg, "executed a privileged program: 2 engine(s) detached",
				 line, sizeof(line)));
	close(kmsg);
	EXPECT_EQ(0, ut_cmd("put 0"));
	EXPECT_EQ(0, ut_rcmd("detach"));
}

/*
 * The same exec, traced by an engine root attached (CAP_SYS_PTRACE): it stays attached, is
 * told (secure=1) and follows the new program to its death.
 */
ACCESS_TEST(setuid_exec_keeps_privileged_engines)
{
	char nr[32];

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	EXPECT_EQ(0, traced_exec(_metadata, &self->tr, 1, 1));
	snprintf(nr, sizeof(nr), "nr=%d ret=0", SYS_execve);
	EXPECT_EQ(1, count(logbuf, 0, "exec", "file=access_euid_setuid secure=1"))
		TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(1, count(logbuf, 0, "syscall_exit", nr)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(1, count(logbuf, 0, "death", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, ut_cmd("put 0"));
}

/*
 * For comparison, the kernel's own ptrace on the same exec: a uid-1000 tracer makes the
 * kernel withhold the privilege (the program runs with euid 1000, still traced); a tracer
 * with CAP_SYS_PTRACE does not. Untraced, the program gets euid 0.
 */
ACCESS_TEST(setuid_exec_under_ptrace_for_comparison)
{
	pid_t t;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	EXPECT_EQ(1, ut_tracer_do(&self->tr, OP_PTRACE_EXEC, 1, 0));
	t = ut_tracer_do(&self->tr, OP_EXEC_CHILD, 1, 0);
	ASSERT_LT(0, t);
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_GO, t, 0));
	ut_tracer_stop(&self->tr);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_PTRACE_EXEC, 1, 1));
}

/*
 * Privilege gained without AT_SECURE: a uid-0 process without capabilities regains them all
 * at any exec (secureexec stays 0 for real root). Its tracer here is root without
 * CAP_SYS_PTRACE, which may attach (same uid, and the target's capabilities are a subset of
 * its own). ptrace withholds the capabilities from the traced exec (the program runs with
 * none: 4); utrace detaches the engine at sched_prepare_exec and the program gets them (0),
 * untraced: no callback from the new image, the engine's calls fail with -ESRCH.
 */
ACCESS_TEST(capability_regaining_exec_detaches_unprivileged_engines)
{
	char line[256];
	int kmsg;
	pid_t t;

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT_NO_PTRACE));
	EXPECT_EQ(4, ut_tracer_do(&self->tr, OP_PTRACE_EXEC, 0, 2))
		TH_LOG("ptrace did not withhold the capabilities");
	t = ut_tracer_do(&self->tr, OP_EXEC_CHILD, 0, 2);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_ATTACH_KEEP, t, 0));
	ASSERT_EQ(0, ut_cmd("events 0 %lx", EXEC_EVENTS));
	ASSERT_EQ(0, ut_cmd("clear"));
	kmsg = ut_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_GO, t, 0))
		TH_LOG("the program did not run with its capabilities");
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	EXPECT_EQ(0, count(logbuf, 0, "exec", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, count(logbuf, 0, "death", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_TRUE(last_is_execve_entry(logbuf, t)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(-ESRCH, ut_cmd("events 0 %lx", EXEC_EVENTS));
	EXPECT_TRUE(ut_kmsg_find(kmsg, "executed a privileged program: 1 engine(s) detached",
				 line, sizeof(line)));
	close(kmsg);
	EXPECT_EQ(0, ut_cmd("put 0"));

	/* The same exec under an engine root attached (CAP_SYS_PTRACE): it stays. */
	ut_tracer_stop(&self->tr);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	EXPECT_EQ(0, traced_exec(_metadata, &self->tr, 0, 2));
	EXPECT_EQ(1, count(logbuf, 0, "exec", "secure=0")) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(1, count(logbuf, 0, "death", NULL)) TH_LOG("log:\n%s", logbuf);
	EXPECT_EQ(0, ut_cmd("put 0"));
}

static volatile long marker = 0x1122334455667788;

static int scenario_getppid_loop(struct ut_tracee *t)
{
	/* A valid pointer as first argument, like the other Rust engine tests. */
	for (;;)
		syscall(SYS_getppid, &marker);
	return 0;
}

/*
 * Attached::read_memory() reads only a thread this engine stopped: refused (-EINVAL, the
 * engine does not stop it) while the thread runs, the right value once it is stopped.
 */
ACCESS_TEST(rust_read_memory_needs_stop)
{
	struct ut_tracee t = { 0 };
	char want[128];
	int ret;

	ASSERT_EQ(0, ut_tracee_start(&t, scenario_getppid_loop));
	ASSERT_EQ(0, ut_rcmd("stop_nr %d", SYS_getppid));
	ASSERT_EQ(0, ut_rcmd("attach %d", t.pid));
	ASSERT_EQ(0, ut_rcmd("clear"));
	EXPECT_EQ(-EINVAL, ut_rcmd("peek %lx", (unsigned long)&marker));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	ut_tracee_go(&t);
	/*
	 * Polled until the stop is made (deadline): -EINVAL until the engine's STOP answer is
	 * folded, -EAGAIN until the thread is parked and off its CPU. (Not the engine's
	 * wait_stop: its condition, a count bumped inside the callback, can be true before
	 * the answer is folded.)
	 */
	for (int i = 0; i < 2000; i++) {
		ret = ut_rcmd("peek %lx", (unsigned long)&marker);
		if (ret != -EAGAIN && ret != -EINVAL)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, ret);
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "mem 0 %d addr=%#lx val=0x1122334455667788", t.pid,
		 (unsigned long)&marker);
	EXPECT_TRUE(strstr(logbuf, want) != NULL) TH_LOG("want '%s' in:\n%s", want, logbuf);
	EXPECT_EQ(0, ut_rcmd("detach"));
	kill(t.pid, SIGKILL);
	ut_tracee_wait(&t);
	EXPECT_EQ(0, ut_rcmd("stop_nr -1"));
}

static int become_user1000(void *flag)
{
	return ut_become(UT_USER1000) ? 95 : 0;
}

static void undumpable_later(void *arg)
{
	int *flag = arg;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		syscall(SYS_getppid, &marker);
	prctl(PR_SET_DUMPABLE, 0);
	for (;;)
		syscall(SYS_getppid, &marker);
}

/*
 * A uid-1000 tracee that loops on getppid(&marker), makes itself undumpable when *flag is
 * set, and loops on. Returns its pid (ready: uid 1000, dumpable), or -1.
 */
static pid_t start_undumpable_later(volatile int *flag)
{
	return ut_fork_ready(become_user1000, undumpable_later, (void *)flag);
}

/* The Rust engine's peek of &marker, polled while the tracee is on its way to a stop. */
static int peek_at_stop(void)
{
	int ret = -EAGAIN;

	for (int i = 0; i < 2000; i++) {
		ret = ut_rcmd("peek %lx", (unsigned long)&marker);
		if (ret != -EAGAIN && ret != -EINVAL)
			break;
		usleep(10000);
	}
	return ret;
}

/*
 * Memory access is checked at every access, as ptrace's PEEKDATA is
 * (ptracer_access_allowed()): an engine attached by uid 1000 reads its uid-1000 tracee while
 * that is dumpable, and gets -EPERM once the tracee made itself undumpable
 * (PR_SET_DUMPABLE 0) after the attach; an engine attached by root (CAP_SYS_PTRACE) still
 * reads it. Before, the attach-time check was the only one.
 */
ACCESS_TEST(rust_read_memory_rechecks_dumpable)
{
	volatile int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				  -1, 0);
	char want[128];
	pid_t t;

	ASSERT_NE(MAP_FAILED, flag);
	*flag = 0;
	t = start_undumpable_later(flag);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	ASSERT_EQ(0, ut_rcmd("stop_nr %d", SYS_getppid));
	ASSERT_EQ(0, ut_tracer_do(&self->tr, OP_RATTACH_KEEP, t, 0));
	ASSERT_EQ(0, ut_rcmd("clear"));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	/* Dumpable: read. */
	EXPECT_EQ(0, peek_at_stop());
	ASSERT_LT(0, ut_rlog(logbuf, sizeof(logbuf)));
	snprintf(want, sizeof(want), "mem 0 %d addr=%#lx val=0x1122334455667788", t,
		 (unsigned long)&marker);
	EXPECT_TRUE(strstr(logbuf, want) != NULL) TH_LOG("want '%s' in:\n%s", want, logbuf);
	/* Undumpable from its next loop on, stopped again at the getppid after the prctl. */
	*flag = 1;
	ASSERT_EQ(0, ut_rcmd("clear"));
	ASSERT_EQ(0, ut_rcmd("resume"));
	EXPECT_EQ(-EPERM, peek_at_stop());
	ASSERT_LE(0, ut_rlog(logbuf, sizeof(logbuf)));
	EXPECT_TRUE(strstr(logbuf, "mem 0") == NULL) TH_LOG("read anyway:\n%s", logbuf);
	/* For comparison: uid 1000's ptrace is refused too, root's engine reads. */
	EXPECT_EQ(-EPERM, ut_tracer_do(&self->tr, OP_PTRACE, t, 0));
	EXPECT_EQ(0, ut_rcmd("detach"));
	ASSERT_EQ(0, ut_rcmd("attach %d", t));
	ASSERT_EQ(0, ut_rcmd("events %lx", UTRACE_EVENT(SYSCALL_ENTRY)));
	EXPECT_EQ(0, peek_at_stop());
	EXPECT_EQ(0, ut_rcmd("detach"));
	kill(t, SIGKILL);
	waitpid(t, NULL, 0);
	EXPECT_EQ(0, ut_rcmd("stop_nr -1"));
	munmap((void *)flag, 4096);
}

/* Without its procfs mount (test parameter), utrace refuses every check, saying why. */
FIXTURE(noproc) {
	int dummy;
};

FIXTURE_SETUP(noproc)
{
}

FIXTURE_TEARDOWN(noproc)
{
}

TEST_F_TIMEOUT(noproc, no_procfs_fails_closed, 600)
{
	struct ut_target t = { 0 };
	char line[256];
	int kmsg;

	ASSERT_EQ(0, ut_load_module("utrace", "test_no_procfs=1"));
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", ""));
	ASSERT_LT(0, start_target(_metadata, &t, UT_USER1000, 0, 0));
	kmsg = ut_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-EPERM, ut_cmd("may %d", t.pid));
	EXPECT_EQ(-EPERM, ut_cmd("attach 0 %d", t.pid));
	EXPECT_TRUE(ut_kmsg_find(kmsg, "no procfs mount: access check refused", line,
				 sizeof(line)));
	close(kmsg);
	ut_target_stop(&t);
	EXPECT_EQ(0, ut_unload_module("utrace_test_engine"));
	EXPECT_TRUE(ut_wait_no_leak(10));
	EXPECT_EQ(0, ut_unload_module("utrace"));
}

TEST_HARNESS_MAIN
