// SPDX-License-Identifier: GPL-2.0
/*
 * utrace stops under ptrace. A tracee carries two engines: slot 0 stops it at every
 * getppid() entry (a helper thread of the test resumes each stop), slot 1 is passive and
 * asks for every event. A ptrace tracer (PTRACE_SYSCALL + waitpid) must see consistent
 * syscall entries and exits and the program must get the right results. Each
 * entry-stopped syscall shows ptrace one entry and one exit, as unstopped: utrace hides
 * the skipped pass's exit and the re-run's entry from it (rust/entrymask.rs; before that,
 * ptrace saw an exit of -ERESTARTNOINTR and a second entry). The same with the real
 * strace, when the guest has it (/usr/bin/strace, added by scripts/run-tests from the
 * host).
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_stop.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", NULL };

#define NCALLS		3
#define ERESTARTNOINTR	513

static char logbuf[1 << 16];

FIXTURE(coexist) {
	int dummy;
};

FIXTURE_SETUP(coexist)
{
	ut_fixture_load(_metadata, modules);
	ASSERT_EQ(0, ut_cmd("clear"));
}

FIXTURE_TEARDOWN(coexist)
{
	ut_fixture_unload(_metadata, modules);
}

/* Resumes @n utrace stops of slot 0, each once the tracer was woken for it. */
struct resumer {
	pthread_t th;
	int n;
	int done;	/* stops resumed */
	int err;	/* first failing command's result */
};

static void *resume_loop(void *arg)
{
	struct resumer *r = arg;

	for (int i = 1; i <= r->n; i++) {
		int e = ut_cmd("wait_stop 0 %d", i);

		if (!e)
			e = ut_cmd("control 0 %d", UTRACE_RESUME);
		if (e) {
			r->err = e;
			break;
		}
		r->done = i;
	}
	return NULL;
}

/* Slot 0 stops @pid at each getppid() entry and wakes the test; slot 1 sees everything. */
static int attach_engines(pid_t pid)
{
	if (ut_cmd("attach 0 %d", pid) || ut_cmd("only_nr 0 %d", SYS_getppid) ||
	    ut_cmd("ret 0 syscall_entry %x", UTRACE_STOP) || ut_cmd("wake 0 1") ||
	    ut_cmd("events 0 %lx", UTRACE_EVENT(SYSCALL_ENTRY)))
		return -1;
	if (ut_cmd("attach 1 %d", pid) || ut_cmd("events 1 %lx", UT_ALL_EVENTS))
		return -1;
	return 0;
}

static void detach_engines(struct __test_metadata *_metadata)
{
	for (int s = 0; s < 2; s++) {
		int r = ut_cmd("barrier %d", s);

		EXPECT_TRUE(r == 0 || r == -ESRCH) TH_LOG("barrier %d: %d", s, r);
		ut_cmd("control %d %d", s, UTRACE_DETACH);
		ASSERT_EQ(0, ut_cmd("put %d", s));
	}
}

/* The traced program: NCALLS getppid(), a write of "hello" to @fd, and an exit code. */
static int program(int fd)
{
	pid_t ppid = getppid();	/* glibc: the syscall; before the stops begin */
	int bad = 0;

	for (int i = 0; i < NCALLS; i++)
		bad += syscall(SYS_getppid) != ppid;
	bad += write(fd, "hello", 5) != 5;
	return bad ? 1 : 42;
}

/* Occurrences of @needle in @text, runs of spaces in @text counting as one space. */
static int count_lines_with(const char *text, const char *needle)
{
	static char squeezed[16384];
	size_t j = 0;
	int n = 0;

	for (size_t i = 0; text[i] && j + 1 < sizeof(squeezed); i++)
		if (text[i] != ' ' || !j || squeezed[j - 1] != ' ')
			squeezed[j++] = text[i];
	squeezed[j] = '\0';
	for (const char *p = squeezed; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Slot @slot's re-run (UTRACE_SYSCALL_RESUMED) entries of syscall @nr in @log. */
static int count_resumed_entries(const char *log, int slot, long nr)
{
	char want[64];

	snprintf(want, sizeof(want), "in=0x%x nr=%ld ", UTRACE_RESUME | UTRACE_SYSCALL_RESUMED,
		 nr);
	return ut_count_containing(log, slot, want);
}

struct sc_event {
	int exit;		/* 0 entry, 1 exit */
	long nr;		/* entry: info.entry.nr; exit: orig_rax */
	long ret;		/* exit: rval */
};

#define MAX_EVENTS 256

/*
 * PTRACE_SYSCALL + waitpid() until the tracee exits; records every syscall stop. Returns
 * the number of events, or -1.
 */
static int ptrace_loop(pid_t pid, struct sc_event *ev, int *status)
{
	int n = 0;

	for (;;) {
		struct __ptrace_syscall_info info;
		struct user_regs_struct regs;
		int st, sig = 0;

		if (waitpid(pid, &st, __WALL) != pid)
			return -1;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			*status = st;
			return n;
		}
		if (WSTOPSIG(st) == (SIGTRAP | 0x80) && n < MAX_EVENTS) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0 ||
			    ptrace(PTRACE_GETREGS, pid, 0, &regs))
				return -1;
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
				ev[n++] = (struct sc_event){ 0, (long)info.entry.nr, 0 };
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
				ev[n++] = (struct sc_event){ 1, (long)regs.orig_rax,
							     (long)info.exit.rval };
			}
		} else if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st);
		}
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig))
			return -1;
	}
}

/*
 * PTRACE_SYSCALL on a utraced program whose getppid() entries are stopped: entries and
 * exits alternate, each stopped getppid shows one entry and one exit with the parent's
 * pid, never -ERESTARTNOINTR; the program's results are right.
 */
TEST_F(coexist, ptrace_syscall_sees_stopped_syscall_once)
{
	struct resumer res = { .n = NCALLS + 1 };
	static struct sc_event ev[MAX_EVENTS];
	int data[2], status = 0, n, k = 0, in = 0;
	char buf[8] = "";
	pid_t pid;

	ASSERT_EQ(0, pipe(data));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(data[0]);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(90);
		raise(SIGSTOP);
		_exit(program(data[1]));
	}
	close(data[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD |
			    PTRACE_O_EXITKILL));
	ASSERT_EQ(0, attach_engines(pid));
	ASSERT_EQ(0, pthread_create(&res.th, NULL, resume_loop, &res));
	ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, 0, 0));
	n = ptrace_loop(pid, ev, &status);
	pthread_join(res.th, NULL);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(NCALLS + 1, res.done);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) TH_LOG("status %x", status);
	EXPECT_EQ(5, read(data[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	close(data[0]);
	/* Entries and exits alternate (the last entry, exit_group's, has no exit). */
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(in, ev[i].exit) TH_LOG("event %d out of order", i);
		in = !ev[i].exit;
	}
	/*
	 * Each getppid() (glibc's and the NCALLS direct ones) was stopped and re-run, and
	 * shows one entry and its exit with the result.
	 */
	for (int i = 0; i + 1 < n; i++) {
		EXPECT_NE(-ERESTARTNOINTR, ev[i].ret) TH_LOG("event %d: the restart shows", i);
		if (ev[i].exit || ev[i].nr != SYS_getppid)
			continue;
		EXPECT_EQ(1, ev[i + 1].exit);
		EXPECT_EQ(SYS_getppid, ev[i + 1].nr);
		EXPECT_EQ(getpid(), ev[i + 1].ret);
		k++;
	}
	EXPECT_EQ(NCALLS + 1, k);
	detach_engines(_metadata);
	/* The passive engine saw each re-run once, and the exit code. */
	ASSERT_LT(0, ut_log(logbuf, sizeof(logbuf)));
	snprintf(buf, sizeof(buf), " nr=%d ", SYS_getppid);
	EXPECT_EQ(NCALLS + 1, count_resumed_entries(logbuf, 1, SYS_getppid)) TH_LOG("%s", logbuf);
}

#define STRACE "/usr/bin/strace"

/* Tracee of the strace test: waits for the go byte, then runs the program. */
static int scenario_program(struct ut_tracee *t)
{
	return program(t->back_w);
}

/* Waits (10 s at most) until @pid has a ptrace tracer. */
static int wait_traced(pid_t pid)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	for (int i = 0; i < 1000; i++) {
		if (ut_read_file(path, buf, sizeof(buf)) > 0 &&
		    (p = strstr(buf, "\nTracerPid:\t")) && atoi(p + 12) > 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * The real strace, attached to a utraced program (strace -p): it shows every stopped
 * getppid() once, with its result, the write as it was, and the exit code.
 */
TEST_F(coexist, strace_on_utraced_program)
{
	struct resumer res = { .n = NCALLS + 1 };
	static char out[16384];
	struct ut_tracee t = { 0 };
	char want[128], pidbuf[16];
	int status = 0;
	pid_t st;

	if (access(STRACE, X_OK))
		SKIP(return, "no %s in the guest (scripts/run-tests adds the host's)", STRACE);
	ASSERT_EQ(0, ut_tracee_start(&t, scenario_program));
	ASSERT_EQ(0, attach_engines(t.pid));
	snprintf(pidbuf, sizeof(pidbuf), "%d", t.pid);
	st = fork();
	ASSERT_LE(0, st);
	if (st == 0) {
		execl(STRACE, "strace", "-q", "-o", "/tmp/strace.out", "-e",
		      "trace=getppid,write", "-p", pidbuf, (char *)NULL);
		_exit(91);
	}
	ASSERT_TRUE(wait_traced(t.pid));
	ASSERT_EQ(0, pthread_create(&res.th, NULL, resume_loop, &res));
	ut_tracee_go(&t);
	status = ut_tracee_wait(&t);
	pthread_join(res.th, NULL);
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(NCALLS + 1, res.done);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) TH_LOG("status %x", status);
	ASSERT_EQ(st, waitpid(st, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("strace: %x", status);
	ASSERT_LT(0, ut_read_file("/tmp/strace.out", out, sizeof(out)));
	/* Each stopped getppid() once, with its result; no restart shows. */
	snprintf(want, sizeof(want), "getppid() = %d\n", getpid());
	EXPECT_EQ(NCALLS + 1, count_lines_with(out, want)) TH_LOG("strace:\n%s", out);
	EXPECT_EQ(NCALLS + 1, count_lines_with(out, "getppid()")) TH_LOG("%s", out);
	EXPECT_EQ(0, count_lines_with(out, "ERESTARTNOINTR")) TH_LOG("%s", out);
	EXPECT_EQ(1, count_lines_with(out, ", \"hello\", 5) = 5\n")) TH_LOG("strace:\n%s", out);
	EXPECT_EQ(1, count_lines_with(out, "+++ exited with 42 +++")) TH_LOG("strace:\n%s", out);
	detach_engines(_metadata);
}

TEST_HARNESS_MAIN
