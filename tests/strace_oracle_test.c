// SPDX-License-Identifier: GPL-2.0
/*
 * strace_oracle: utrace-strace against the real strace. For each workload (busybox commands,
 * tests/strace_workloads/) both run as `TRACER -f -qq -X raw -e raw=all -ff -o DIR/PREFIX CMD`
 * with the same cwd, environment and file descriptors, ASLR off (personality
 * ADDR_NO_RANDOMIZE, inherited through the tracer by the program); then the per-thread files
 * are parsed and compared thread by thread (threads named by order of creation, pids
 * replaced by those names), exactly, except for the known differences below, each applied
 * as a narrow rule (tests/lib/strace_compare.h). Also: -c's calls and errors columns, -p
 * attach and detach on SIGINT, utrace-strace killed by SIGKILL, and what a non-root user may
 * trace.
 *
 * Known differences (struct so_rules), applied to strace's side only:
 *
 * | rule | reason |
 * |---|---|
 * | root_execve_args | the first execve's arguments point into the tracer's own memory (its argv and environ), which differs between two tracer programs; its name and return value are compared |
 * | ignored_signals | a signal the program ignores by its disposition when it is sent (SIG_IGN; SIG_DFL of SIGCHLD, SIGCONT, SIGURG, SIGWINCH) is dropped by the kernel at sending, except for a ptraced thread, for which sig_ignored() keeps it queued so that the tracer sees it (kernel/signal.c): strace shows "--- SIGCHLD ..." lines utrace (no ptrace) cannot see. Listed per workload, for the signals it ignores |
 * | fatal_signals | a signal without a handler whose default action kills, sent to a process that is not ptraced, becomes a group SIGKILL when it is sent (complete_signal() in kernel/signal.c, "!p->ptrace"): the thread never dequeues it and never returns from the call that sent it. strace (ptrace disables the shortcut) shows [kill(...) = 0, --- SIGTERM {...} ---, +++ killed by SIGTERM +++]; untraced (and so under utrace) it is [kill(...) = ?, +++ killed by SIGTERM +++]. Listed per workload |
 * | drop_group_stops | strace prints "--- stopped by SIGSTOP ---" from ptrace's group-stop report; utrace-strace's records have no group stop (the SIGSTOP itself is compared) |
 *
 * Differences strace itself hides (the tracer's own syscalls in the child between fork and
 * exec: strace starts showing at the execve, utrace-strace's UTRACE_STRACE_F_UNTIL_EXEC does
 * the same) are not rules: both sequences start at the execve.
 *
 * Run on the host against strace itself (no module needed), to test the comparator:
 *   UTRACE_ORACLE_SECOND=/usr/bin/strace out/tests/strace_oracle_test
 *   out/tests/strace_oracle_test --compare DIR PREFIX_A PREFIX_B [IGNORED_SIGNALS]
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_access.h"
#include "strace_compare.h"

#define STRACE		"/usr/bin/strace"
#define BUSYBOX		"/bin/busybox"
#define WORK		"/tmp/strace_oracle"
#define CWD		WORK "/cwd"

static char bindir[PATH_MAX];		/* where this test and the workloads are */
static char second[PATH_MAX];		/* utrace-strace, or strace on the host */
static int host_mode;			/* UTRACE_ORACLE_SECOND set: no module */

static uid_t trace_uid;			/* trace_workload()'s tracers run as this user */

static char *const tracer_env[] = {
	"PATH=/bin:/usr/bin:/sbin:/usr/sbin", "HOME=/", "LC_ALL=C", NULL
};

static void oracle_init(void)
{
	const char *env = getenv("UTRACE_ORACLE_SECOND");
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);

	if (n > 0) {
		bindir[n] = 0;
		*strrchr(bindir, '/') = 0;
	} else {
		snprintf(bindir, sizeof(bindir), "/utrace/tests");
	}
	if (env && *env) {
		host_mode = 1;
		snprintf(second, sizeof(second), "%s", env);
	} else {
		snprintf(second, sizeof(second), "%s/utrace-strace", bindir);
	}
}

/* One traced run */
struct run {
	const char *tracer;	/* path */
	pid_t pid;		/* the tracer */
	int status;		/* its wait status */
	char out[PATH_MAX];	/* the program's stdout (and the tracer's stderr: .err) */
};

static void so_ktap_print(void *ctx, const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static void rm_dir_files(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)) != NULL) {
		char p[PATH_MAX];

		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		unlink(p);
	}
	closedir(dp);
}

/* A fresh, empty @dir under WORK */
static int fresh_dir(char *dir, size_t size, const char *name)
{
	mkdir(WORK, 0755);
	mkdir(CWD, 0755);
	snprintf(dir, size, WORK "/%s", name);
	mkdir(dir, 0755);
	rm_dir_files(dir);
	return write_file(CWD "/in.txt", "one\ntwo\nthree\n");
}

/*
 * Starts @argv (argv[0] a path) the way both tracers are started: own process group, ASLR
 * off, cwd CWD, stdin @in_fd (or /dev/null), stdout to @out, stderr to @out.err, nothing
 * else open, environment tracer_env. Returns the pid.
 */
static pid_t start(char *const *argv, const char *out, int in_fd, uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		char err[PATH_MAX];
		int fd;

		setpgid(0, 0);
		if (personality(ADDR_NO_RANDOMIZE) < 0)
			_exit(120);
		if (chdir(CWD))
			_exit(121);
		snprintf(err, sizeof(err), "%s.err", out);
		fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(122);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(123);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(124);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		if (uid && ut_set_ids(uid, uid, uid))
			_exit(125);
		execve(argv[0], argv, tracer_env);
		_exit(126);
	}
	return pid;
}

/* Waits for @pid at most @secs seconds (a hang guard), then kills its process group. */
static int wait_bounded(pid_t pid, int *status, int secs)
{
	for (int i = 0; i < secs * 50; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -ETIMEDOUT;
}

static int read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return ut_read_file(path, buf, size);
}

/* The state letter of @pid (/proc/PID/stat), or 0 */
static char proc_state(pid_t pid)
{
	char buf[512], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* The child of @parent running @comm (after its exec), waiting at most ~60 s; or -1 */
static pid_t find_child(pid_t parent, const char *comm)
{
	for (int i = 0; i < 3000; i++) {
		struct dirent *d;
		DIR *dp = opendir("/proc");

		while (dp && (d = readdir(dp)) != NULL) {
			char buf[512], *p;
			pid_t pid = atoi(d->d_name);
			int ppid;

			if (pid <= 0 || read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
				continue;
			p = strrchr(buf, ')');
			if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != parent)
				continue;
			if (read_proc(pid, "comm", buf, sizeof(buf)) > 0 &&
			    !strncmp(buf, comm, strlen(comm)) && buf[strlen(comm)] == '\n') {
				closedir(dp);
				return pid;
			}
		}
		if (dp)
			closedir(dp);
		usleep(20000);
	}
	return -1;
}

/* Waits (at most ~60 s) until @pid sleeps in syscall @nr: /proc/PID/stat 'S', syscall nr. */
static int wait_in_syscall(pid_t pid, int nr)
{
	for (int i = 0; i < 3000; i++) {
		char buf[256];

		if (proc_state(pid) == 'S' && read_proc(pid, "syscall", buf, sizeof(buf)) > 0 &&
		    atoi(buf) == nr && proc_state(pid) == 'S')
			return 0;
		usleep(20000);
	}
	return -1;
}

/*
 * Waits (at most ~60 s) until @pid has taken its SIGSTOP: stopped ('t' or 'T') with no
 * SIGSTOP pending. Under strace a syscall-exit stop is a 't' too, with the SIGSTOP still
 * queued: a SIGCONT sent then would flush it (prepare_signal()), and strace's trace would
 * have no SIGSTOP at all (a race seen in make check).
 */
static int wait_took_sigstop(pid_t pid)
{
	const unsigned long long bit = 1ULL << (SIGSTOP - 1);

	for (int i = 0; i < 3000; i++) {
		char buf[2048], *p, *q;
		char s = proc_state(pid);

		if (s && strchr("tT", s) && read_proc(pid, "status", buf, sizeof(buf)) > 0) {
			p = strstr(buf, "\nSigPnd:");
			q = strstr(buf, "\nShdPnd:");
			if (p && q && !(strtoull(p + 8, NULL, 16) & bit) &&
			    !(strtoull(q + 8, NULL, 16) & bit))
				return 0;
		}
		usleep(20000);
	}
	return -1;
}

/* sow_restart's signals, each once the program sleeps in the call (see sow_restart.c) */
static int drive_restart(pid_t tracer)
{
	pid_t t = find_child(tracer, "sow_restart");

	if (t < 0)
		return -1;
	if (wait_in_syscall(t, SYS_read) || kill(t, SIGALRM))
		return -2;
	if (wait_in_syscall(t, SYS_clock_nanosleep) || kill(t, SIGSTOP))
		return -3;
	if (wait_took_sigstop(t) || kill(t, SIGCONT))
		return -4;
	if (wait_in_syscall(t, SYS_restart_syscall) || kill(t, SIGUSR1))
		return -5;
	return 0;
}

struct workload {
	const char *name;
	const char *argv[6];	/* a leading "@" is bindir */
	struct so_rules rules;
	int (*drive)(pid_t tracer);	/* the test's part while it runs */
};

#define WL(n) "@/sow_" #n

static const struct workload workloads[] = {
	{ .name = "busybox_ls", .argv = { BUSYBOX, "ls", "-a", "/" },
	  .rules = { .root_execve_args = 1 } },
	{ .name = "busybox_cat", .argv = { BUSYBOX, "cat", "in.txt" },
	  .rules = { .root_execve_args = 1 } },
	/* (sow_sigblock: SIGCHLD blocked, or the shell's handler runs before or after wait4) */
	{ .name = "busybox_pipe",
	  .argv = { WL(sigblock), BUSYBOX, "sh", "-c", "echo a | " BUSYBOX " wc -c" },
	  .rules = { .root_execve_args = 1 } },
	{ .name = "fork_exec_chain", .argv = { WL(exec), "2" },
	  .rules = { .ignored_signals = "SIGCHLD", .root_execve_args = 1 } },
	{ .name = "threads", .argv = { WL(threads) }, .rules = { .root_execve_args = 1 } },
	{ .name = "exit_group_from_thread", .argv = { WL(thread_exit_group) },
	  .rules = { .root_execve_args = 1 } },
	{ .name = "signals_handled_and_ignored", .argv = { WL(signals) },
	  .rules = { .ignored_signals = "SIGUSR2", .root_execve_args = 1 } },
	{ .name = "signal_default_fatal", .argv = { WL(sigfatal) },
	  .rules = { .fatal_signals = "SIGTERM", .root_execve_args = 1 } },
	{ .name = "restarted_syscalls", .argv = { WL(restart) },
	  .rules = { .ignored_signals = "SIGCONT", .drop_group_stops = 1, .root_execve_args = 1 },
	  .drive = drive_restart },
	{ .name = "sigkill", .argv = { WL(sigkill) },
	  .rules = { .ignored_signals = "SIGCHLD", .root_execve_args = 1 } },
};

static void workload_argv(const struct workload *wl, char **out, char (*buf)[PATH_MAX])
{
	int i;

	for (i = 0; wl->argv[i]; i++) {
		if (wl->argv[i][0] == '@')
			snprintf(buf[i], PATH_MAX, "%s%s", bindir, wl->argv[i] + 1);
		else
			snprintf(buf[i], PATH_MAX, "%s", wl->argv[i]);
		out[i] = buf[i];
	}
	out[i] = NULL;
}

/*
 * Runs @wl under @tracer with the oracle's options (and @extra ones, e.g. "-c"), output
 * DIR/PREFIX.*. Returns 0 or a negative step number.
 */
static int trace_workload(const struct workload *wl, struct run *run, const char *tracer,
			  const char *dir, const char *prefix, const char *const *extra)
{
	static char wbuf[6][PATH_MAX];
	char o[PATH_MAX], *argv[32];
	int n = 0, ret;

	snprintf(o, sizeof(o), "%s/%s", dir, prefix);
	argv[n++] = (char *)tracer;
	if (extra) {
		while (*extra)
			argv[n++] = (char *)*extra++;
	} else {
		static const char *const opts[] = {
			"-f", "-qq", "-X", "raw", "-e", "raw=all", "-ff", NULL
		};

		for (int i = 0; opts[i]; i++)
			argv[n++] = (char *)opts[i];
	}
	argv[n++] = "-o";
	argv[n++] = o;
	argv[n++] = "--";
	workload_argv(wl, argv + n, wbuf);
	run->tracer = tracer;
	snprintf(run->out, sizeof(run->out), "%s/%s.stdout", WORK, prefix);
	run->pid = start(argv, run->out, -1, trace_uid);
	if (run->pid < 0)
		return -1;
	if (wl->drive) {
		ret = wl->drive(run->pid);
		if (ret) {
			so_ktap_print(NULL, "%s: driving %s failed at step %d", tracer, wl->name,
				      -ret);
			wait_bounded(run->pid, &run->status, 1);
			return -2;
		}
	}
	ret = wait_bounded(run->pid, &run->status, 300);
	if (ret)
		so_ktap_print(NULL, "%s did not finish %s", tracer, wl->name);
	return ret ? -3 : 0;
}

static void print_file(const char *what, const char *path)
{
	char buf[2048], *line, *save;

	if (ut_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		so_ktap_print(NULL, "%s: %s", what, line);
}

static int same_file(const char *a, const char *b)
{
	static char ba[65536], bb[65536];
	int na = ut_read_file(a, ba, sizeof(ba)), nb = ut_read_file(b, bb, sizeof(bb));

	return na >= 0 && na == nb && !memcmp(ba, bb, na);
}

/* The names run.extra gives: the tracer process and this test */
static int load_run(struct so_run *r, const char *dir, const char *prefix, pid_t tracer)
{
	long pids[2] = { tracer, getpid() };
	const char *names[2] = { "tracer", "test" };

	return so_load(r, dir, prefix, 2, pids, names);
}

FIXTURE(oracle) {
	int loaded;
};

static const char *const oracle_modules[] = { "utrace", "utrace_strace", NULL };

FIXTURE_SETUP(oracle)
{
	oracle_init();
	self->loaded = 0;
	if (access(STRACE, X_OK))
		SKIP(return, "no %s in the guest (scripts/run-tests adds the host's)", STRACE);
	if (access(second, X_OK))
		SKIP(return, "no %s", second);
	if (host_mode)
		return;
	ut_fixture_load(_metadata, oracle_modules);
	self->loaded = 1;
}

FIXTURE_TEARDOWN(oracle)
{
	if (self->loaded)
		ut_fixture_unload(_metadata, oracle_modules);
}

/*
 * Runs workload @name under strace and under the second tracer and compares them. Returns
 * the number of differing threads, or -1 if a run failed.
 */
static int oracle_compare(struct __test_metadata *_metadata, const char *name)
{
	const struct workload *wl = NULL;
	struct run st = { 0 }, ut = { 0 };
	static struct so_run ra, rb;
	int differ, used[3], nev = 0;
	struct so_rules rules;
	char dir[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].name, name))
			wl = &workloads[i];
	if (!wl || fresh_dir(dir, sizeof(dir), name))
		return -1;
	if (trace_workload(wl, &st, STRACE, dir, "st", NULL) ||
	    trace_workload(wl, &ut, second, dir, "ut", NULL))
		return -1;
	if (load_run(&ra, dir, "st", st.pid) || load_run(&rb, dir, "ut", ut.pid)) {
		so_ktap_print(NULL, "parse: %s%s", ra.err, rb.err);
		print_file("utrace-strace stderr", WORK "/ut.stdout.err");
		so_free(&ra);
		so_free(&rb);
		return -1;
	}
	rules = wl->rules;
	rules.both = host_mode;
	differ = so_compare(&ra, &rb, &rules, "strace", "utrace-strace", so_ktap_print,
			    NULL, used);
	for (int i = 0; i < ra.nthreads; i++)
		nev += ra.t[i].nev;
	so_ktap_print(NULL, "%s: %d threads, %d events in strace's trace; the rules removed %d "
		      "ignored signals, %d group stops, %d fatal signals", name, ra.nthreads, nev,
		      used[0], used[1], used[2]);
	so_free(&ra);
	so_free(&rb);
	/* the program behaved the same, and both tracers ended the same way */
	EXPECT_TRUE(same_file(WORK "/st.stdout", WORK "/ut.stdout")) {
		print_file("strace run stdout", WORK "/st.stdout");
		print_file("utrace-strace run stdout", WORK "/ut.stdout");
	}
	EXPECT_EQ(st.status, ut.status) print_file("utrace-strace stderr", WORK "/ut.stdout.err");
	return differ;
}

#define ORACLE_TEST(name) \
	TEST_F_TIMEOUT(oracle, name, 900) \
	{ \
		EXPECT_EQ(0, oracle_compare(_metadata, #name)); \
	}

ORACLE_TEST(busybox_ls)
ORACLE_TEST(busybox_cat)
ORACLE_TEST(busybox_pipe)
ORACLE_TEST(fork_exec_chain)
ORACLE_TEST(threads)
ORACLE_TEST(exit_group_from_thread)
ORACLE_TEST(signals_handled_and_ignored)
ORACLE_TEST(signal_default_fatal)
ORACLE_TEST(restarted_syscalls)
ORACLE_TEST(sigkill)

/*
 * The decoded output (strace's default: no -e raw=all), compared line by line, exactly:
 * paths, buffers, flags, modes, stat results, argv, as strace prints them, for the calls
 * of DECODED_SET (what utrace-strace decodes; the others print raw, in hex, where strace
 * decodes structures). Two differences stay, masked on both sides: the first execve's envp
 * address, which points into the tracer's own memory (root_execve_args above), becomes
 * "ENVP"; clone's and clone3's return value and clone3's parent_tid, the id of a child of
 * another run (or 0 once the thread is gone: strace reads it later), become "N".
 */
#define DECODED_SET "trace=read,write,open,openat,close,stat,fstat,lstat,newfstatat,"	\
	"pread64,pwrite64,access,readlink,mkdir,unlinkat,rename,unlink,mmap,mprotect,"	\
	"munmap,execve,clone,clone3"

/* The digits at @s become "N" (in place: the line never grows). */
static void mask_number(char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n) {
		*s = 'N';
		memmove(s + 1, s + n, strlen(s + n) + 1);
	}
}

/* The lines of @path (at most @max, in @buf); the first execve's envp and clone's pid masked. */
static int read_lines(const char *path, char *buf, size_t size, char **lines, int max)
{
	int n = 0, len = ut_read_file(path, buf, size - 1);
	char *save, *line, *env, *p;

	if (len < 0)
		return -1;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	if (n && !strncmp(lines[0], "execve(", 7) && (env = strstr(lines[0], " /* "))) {
		p = env;
		while (p > lines[0] && p[-1] != ' ')
			p--;
		if (!strncmp(p, "0x", 2)) {
			memcpy(p, "ENVP", 4);
			memmove(p + 4, env, strlen(env) + 1);
		}
	}
	for (int i = 0; i < n; i++) {
		if (strncmp(lines[i], "clone", 5))
			continue;
		p = strstr(lines[i], "parent_tid=[");
		if (p)
			mask_number(p + 12);
		p = strrchr(lines[i], '=');
		if (p && p[1] == ' ')
			mask_number(p + 2);
	}
	return n;
}

static int decoded_compare(struct __test_metadata *_metadata, const char *name,
			   const char *const *argv, const char *const *must)
{
	static const char *const opts[] = { "-qq", "-e", DECODED_SET, NULL };
	static char ba[65536], bb[65536];
	static char *la[1024], *lb[1024];
	struct workload wl = { .name = name };
	struct run st = { 0 }, ut = { 0 };
	char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	int na, nb, differ = 0;

	for (int i = 0; argv[i]; i++)
		wl.argv[i] = argv[i];
	/* a non-root tracer writes its trace itself */
	if (fresh_dir(dir, sizeof(dir), name) || chmod(dir, 0777) ||
	    trace_workload(&wl, &st, STRACE, dir, "st", opts) ||
	    trace_workload(&wl, &ut, second, dir, "ut", opts))
		return -1;
	snprintf(a, sizeof(a), "%s/st", dir);
	snprintf(b, sizeof(b), "%s/ut", dir);
	na = read_lines(a, ba, sizeof(ba), la, ARRAY_SIZE(la));
	nb = read_lines(b, bb, sizeof(bb), lb, ARRAY_SIZE(lb));
	if (na < 0 || nb < 0)
		return -1;
	for (int i = 0; i < na || i < nb; i++) {
		if (i < na && i < nb && !strcmp(la[i], lb[i]))
			continue;
		so_ktap_print(NULL, "%s: line %d differs", name, i + 1);
		so_ktap_print(NULL, "  strace:        %s", i < na ? la[i] : "(none)");
		so_ktap_print(NULL, "  utrace-strace: %s", i < nb ? lb[i] : "(none)");
		differ++;
		if (differ == 5)
			break;
	}
	so_ktap_print(NULL, "%s: %d lines of strace's trace, %d of utrace-strace's", name, na, nb);
	/* strace decoded what the test is about (it cannot pass on two empty traces) */
	for (int i = 0; must[i]; i++) {
		int found = 0;

		for (int k = 0; k < na && !found; k++)
			found = !!strstr(la[k], must[i]);
		EXPECT_TRUE(found) TH_LOG("no \"%s\" in strace's trace", must[i]);
	}
	EXPECT_TRUE(same_file(WORK "/st.stdout", WORK "/ut.stdout"));
	EXPECT_EQ(st.status, ut.status) print_file("utrace-strace stderr", WORK "/ut.stdout.err");
	return differ;
}

TEST_F_TIMEOUT(oracle, decoded_output, 900)
{
	static const char *const argv[] = { WL(decode), NULL };
	static const char *const must[] = {
		"openat(AT_FDCWD, \"sow_decode.tmp\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0640)",
		"\"...", "read(3, \"\", 256)", "st_mode=S_IFCHR", "PROT_READ|PROT_WRITE",
		"\"an argument longer than thirty-t\"...", "flags=CLONE_CHILD_CLEARTID|",
		"clone3({flags=CLONE_VM|", "access(\"sow_decode.path\", F_OK)", NULL
	};

	EXPECT_EQ(0, decoded_compare(_metadata, "decoded_output", argv, must));
}

/*
 * ptrace's per-access rule: traced by a non-root user, a thread that made itself undumpable
 * since the attach shows its calls, not its memory: paths and buffers print as addresses
 * once it called prctl(PR_SET_DUMPABLE, 0), for strace and for utrace-strace alike.
 */
TEST_F_TIMEOUT(oracle, decoded_undumpable, 900)
{
	static const char *const argv[] = { WL(undumpable), NULL };
	static const char *const must[] = { "openat(AT_FDCWD, \"/dev/null\", O_WRONLY) = 3",
					    "write(3, \"dumpable\\n\", 9)", "openat(AT_FDCWD, 0x", NULL };
	int differ;

	trace_uid = 1000;
	differ = decoded_compare(_metadata, "decoded_undumpable", argv, must);
	trace_uid = 0;
	EXPECT_EQ(0, differ);
}

TEST_F_TIMEOUT(oracle, decoded_busybox_ls, 900)
{
	static const char *const argv[] = { BUSYBOX, "ls", "-la", "/dev", "/utrace/tests", NULL };
	static const char *const must[] = { "st_rdev=makedev(", "\"/dev\"", NULL };

	EXPECT_EQ(0, decoded_compare(_metadata, "decoded_busybox_ls", argv, must));
}

/* -c: "calls errors name" of each row of the summary table in @path, sorted; or -1 */
static int read_summary(const char *path, char *out, size_t size)
{
	char line[512], rows[64][96];
	int n = 0, in_table = 0;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < 64) {
		char tok[8][64];
		int k;

		if (!strncmp(line, "------", 6)) {
			in_table++;
			continue;
		}
		if (in_table != 1)
			continue;
		k = sscanf(line, "%63s %63s %63s %63s %63s %63s", tok[0], tok[1], tok[2], tok[3],
			   tok[4], tok[5]);
		if (k == 5)
			snprintf(rows[n++], sizeof(rows[0]), "%s %s 0", tok[4], tok[3]);
		else if (k == 6)
			snprintf(rows[n++], sizeof(rows[0]), "%s %s %s", tok[5], tok[3], tok[4]);
	}
	fclose(f);
	qsort(rows, n, sizeof(rows[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < n; i++)
		len += snprintf(out + len, len < size ? size - len : 0, "%s\n", rows[i]);
	return n;
}

/* -c: the calls and errors columns equal strace -c's, on two workloads */
TEST_F_TIMEOUT(oracle, count_summary, 900)
{
	static const char *const copts[] = { "-f", "-c", NULL };
	static const char *const names[] = { "fork_exec_chain", "threads" };
	static char sa[8192], sb[8192];
	char dir[PATH_MAX];

	for (int w = 0; w < 2; w++) {
		const struct workload *wl = NULL;
		struct run st = { 0 }, ut = { 0 };
		char pa[PATH_MAX], pb[PATH_MAX];
		int na, nb;

		for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
			if (!strcmp(workloads[i].name, names[w]))
				wl = &workloads[i];
		ASSERT_NE(NULL, wl);
		ASSERT_EQ(0, fresh_dir(dir, sizeof(dir), "count"));
		ASSERT_EQ(0, trace_workload(wl, &st, STRACE, dir, "st", copts));
		ASSERT_EQ(0, trace_workload(wl, &ut, second, dir, "ut", copts));
		snprintf(pa, sizeof(pa), "%s/st", dir);
		snprintf(pb, sizeof(pb), "%s/ut", dir);
		na = read_summary(pa, sa, sizeof(sa));
		nb = read_summary(pb, sb, sizeof(sb));
		EXPECT_LT(3, na) print_file("strace -c", pa);
		EXPECT_EQ(na, nb);
		EXPECT_STREQ(sa, sb) {
			print_file("strace -c", pa);
			print_file("utrace-strace -c", pb);
		}
		EXPECT_EQ(st.status, ut.status);
	}
}

/* Waits (at most ~60 s) until @path contains @what */
static int wait_file_has(const char *path, const char *what)
{
	static char buf[65536];

	for (int i = 0; i < 3000; i++) {
		if (ut_read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, what))
			return 0;
		usleep(20000);
	}
	return -1;
}

static int wait_no_engine(void)
{
	char buf[512];

	for (int i = 0; i < 3000; i++) {
		if (ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)) > 0 &&
		    strstr(buf, "\nengines 0\n"))
			return 0;
		usleep(20000);
	}
	return -1;
}

enum p_end { P_SIGINT, P_SIGKILL };

/*
 * -p: sow_loop (run as @tracee_uid, undumpable if @undumpable) echoes lines; @tracer
 * (run as @tracer_uid) attaches with -p. If @expect_attach: lines go on being echoed and
 * traced, then the tracer gets SIGINT or SIGKILL (@end) and the program runs on, unchanged:
 * all lines echoed, exit status 5, never stopped, no engine left. Otherwise the tracer must
 * fail (EPERM, strace's message). Returns the tracer's wait status, or -1.
 */
static int attach_case(struct __test_metadata *_metadata, const char *tracer, uid_t tracee_uid,
		       int undumpable, uid_t tracer_uid, int expect_attach, enum p_end end)
{
	char loop[PATH_MAX], pidbuf[16], trace[PATH_MAX], tout[PATH_MAX], lout[PATH_MAX];
	char *largv[] = { loop, undumpable ? "undumpable" : NULL, NULL };
	char *targv[] = { (char *)tracer, "-qq", "-X", "raw", "-e", "raw=all", "-o", trace,
			  "-p", pidbuf, NULL };
	int in[2], status = -1, tstatus = -1, sent = 0;
	pid_t lp, tp;
	char s;

	snprintf(loop, sizeof(loop), "%s/sow_loop", bindir);
	mkdir(WORK, 0755);
	mkdir(WORK "/p", 01777);
	chmod(WORK "/p", 01777);
	snprintf(trace, sizeof(trace), WORK "/p/trace.%d", tracer_uid);
	snprintf(tout, sizeof(tout), WORK "/p/tracer.%d", tracer_uid);
	snprintf(lout, sizeof(lout), WORK "/p/loop.%d", tracee_uid);
	unlink(trace);
	if (pipe(in))
		return -1;
	lp = start(largv, lout, in[0], tracee_uid);
	close(in[0]);
	if (lp < 0)
		return -1;
	snprintf(pidbuf, sizeof(pidbuf), "%d", lp);
	EXPECT_EQ(2, write(in[1], "a\n", 2));
	sent++;
	EXPECT_EQ(0, wait_file_has(lout, "line 1\n"));
	tp = start(targv, tout, -1, tracer_uid);
	if (expect_attach) {
		EXPECT_EQ(2, write(in[1], "b\n", 2));
		sent++;
		EXPECT_EQ(0, wait_file_has(lout, "line 2\n"));
		/* the write of "line 2" was traced (the attach came before it, or the next one) */
		if (wait_file_has(trace, "write(0x1, ")) {
			EXPECT_EQ(2, write(in[1], "c\n", 2));
			sent++;
			EXPECT_EQ(0, wait_file_has(trace, "write(0x1, ")) {
				print_file("trace", trace);
				print_file("tracer stderr", tout);
			}
		}
		kill(tp, end == P_SIGINT ? SIGINT : SIGKILL);
	}
	EXPECT_EQ(0, wait_bounded(tp, &tstatus, 120));
	if (!expect_attach) {
		EXPECT_TRUE(WIFEXITED(tstatus) && WEXITSTATUS(tstatus) != 0);
		snprintf(trace, sizeof(trace), "%s.err", tout);
		EXPECT_EQ(0, wait_file_has(trace, "Operation not permitted"))
			print_file("tracer stderr", trace);
	}
	/* the program runs on: not stopped, no engine left, every line echoed, its status */
	s = proc_state(lp);
	EXPECT_TRUE(s != 't' && s != 'T') TH_LOG("state %c", s);
	if (!host_mode)
		EXPECT_EQ(0, wait_no_engine());
	EXPECT_EQ(2, write(in[1], "d\n", 2));
	sent++;
	close(in[1]);
	EXPECT_EQ(0, wait_bounded(lp, &status, 120));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 5) TH_LOG("status %x", status);
	snprintf(trace, sizeof(trace), "line %d\n", sent);
	EXPECT_EQ(0, wait_file_has(lout, trace)) print_file("program", lout);
	return tstatus;
}

/* -p then SIGINT to the tracer: it detaches and exits as strace does; the program runs on */
TEST_F_TIMEOUT(oracle, attach_then_sigint, 900)
{
	int a = attach_case(_metadata, STRACE, 0, 0, 0, 1, P_SIGINT);
	int b = attach_case(_metadata, second, 0, 0, 0, 1, P_SIGINT);

	EXPECT_EQ(a, b);
}

/* utrace-strace killed by SIGKILL while attached: the program runs on, no engine stays */
TEST_F_TIMEOUT(oracle, tracer_sigkilled, 900)
{
	int b = attach_case(_metadata, second, 0, 0, 0, 1, P_SIGKILL);

	EXPECT_TRUE(WIFSIGNALED(b) && WTERMSIG(b) == SIGKILL);
}

/*
 * A non-root user (uid 1000, no capability): -p of root's process fails with EPERM and
 * strace's message, of its own process works, of its own undumpable process fails. strace
 * decides the same in each case.
 */
TEST_F_TIMEOUT(oracle, non_root_attach, 900)
{
	static const struct {
		uid_t tracee;
		int undumpable, attach;
	} cases[] = { { 0, 0, 0 }, { 1000, 0, 1 }, { 1000, 1, 0 } };

	for (int i = 0; i < 3; i++) {
		int a = attach_case(_metadata, STRACE, cases[i].tracee, cases[i].undumpable, 1000,
				    cases[i].attach, P_SIGINT);
		int b = attach_case(_metadata, second, cases[i].tracee, cases[i].undumpable, 1000,
				    cases[i].attach, P_SIGINT);

		EXPECT_EQ(a, b) TH_LOG("case %d: strace %x, utrace-strace %x", i, a, b);
	}
}

static void null_print(void *ctx, const char *fmt, ...)
{
}

/*
 * The comparator can fail: strace against itself on the threads workload is equal, and each
 * perturbation of the second run (a changed return value, a missing event, two threads'
 * order of creation swapped, an extra signal) is a difference.
 */
TEST_F_TIMEOUT(oracle, comparator_detects_differences, 900)
{
	const struct workload *wl = &workloads[4];	/* threads */
	struct so_rules none = { .root_execve_args = 1 };
	struct run a = { 0 }, b = { 0 };
	static struct so_run ra, rb;
	struct so_thread *t, *root;
	char dir[PATH_MAX], *saved;
	int used[3];
	long c;

	ASSERT_STREQ("threads", wl->name);
	ASSERT_EQ(0, fresh_dir(dir, sizeof(dir), "comparator"));
	ASSERT_EQ(0, trace_workload(wl, &a, STRACE, dir, "a", NULL));
	ASSERT_EQ(0, trace_workload(wl, &b, STRACE, dir, "b", NULL));
	ASSERT_EQ(0, load_run(&ra, dir, "a", a.pid)) TH_LOG("%s", ra.err);
	ASSERT_EQ(0, load_run(&rb, dir, "b", b.pid)) TH_LOG("%s", rb.err);
	ASSERT_EQ(4, ra.nthreads);
	EXPECT_EQ(0, so_compare(&ra, &rb, &none, "a", "b", so_ktap_print, NULL, used));

	/* a return value */
	t = so_find_sym(&rb, "1.2");
	ASSERT_NE(NULL, t);
	ASSERT_LT(4, t->nev);
	saved = t->ev[3].text;
	t->ev[3].text = "gettid() = <1.3>";
	EXPECT_EQ(1, so_compare(&ra, &rb, &none, "a", "b", null_print, NULL, used));
	t->ev[3].text = saved;
	/* a missing last event */
	t->nev--;
	EXPECT_EQ(1, so_compare(&ra, &rb, &none, "a", "b", null_print, NULL, used));
	t->nev++;
	/* the ignored-signal rule removes a signal of its list from strace's side, no other */
	t = so_find_sym(&ra, "1.2");
	ASSERT_NE(NULL, t);
	memmove(&t->ev[2], &t->ev[1], (t->nev - 1) * sizeof(t->ev[0]));
	t->nev++;
	memset(&t->ev[1], 0, sizeof(t->ev[1]));
	t->ev[1].kind = SO_SIGNAL;
	snprintf(t->ev[1].name, sizeof(t->ev[1].name), "SIGUSR2");
	t->ev[1].text = strdup("--- SIGUSR2 {si_signo=12, si_code=0} ---");
	EXPECT_EQ(1, so_compare(&ra, &rb, &none, "a", "b", null_print, NULL, used));
	none.ignored_signals = "SIGCHLD SIGUSR2";
	EXPECT_EQ(0, so_compare(&ra, &rb, &none, "a", "b", null_print, NULL, used));
	EXPECT_EQ(1, used[0]);
	snprintf(t->ev[1].name, sizeof(t->ev[1].name), "SIGUSR1");
	EXPECT_EQ(1, so_compare(&ra, &rb, &none, "a", "b", null_print, NULL, used));
	none.ignored_signals = NULL;
	so_free(&ra);
	so_free(&rb);

	/* two threads created in the other order: their names, and the pids, swap */
	ASSERT_EQ(0, load_run(&ra, dir, "a", a.pid));
	ASSERT_EQ(0, load_run(&rb, dir, "b", b.pid));
	root = so_find_sym(&rb, "1");
	ASSERT_NE(NULL, root);
	ASSERT_EQ(3, root->nchildren);
	c = root->children[0];
	root->children[0] = root->children[1];
	root->children[1] = c;
	for (int i = 0; i < rb.nthreads; i++)
		rb.t[i].sym[0] = 0;
	ASSERT_EQ(0, so_name_tree(&rb, root, "1", 0));
	EXPECT_LT(0, so_compare(&ra, &rb, &none, "a", "b", so_ktap_print, NULL, used));
	so_free(&ra);
	so_free(&rb);
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "--compare")) {
		struct so_rules rules = {
			.ignored_signals = argc > 5 ? argv[5] : NULL,
			.drop_group_stops = 1,
			.root_execve_args = 1,
			.both = 1,
		};
		static struct so_run a, b;
		int used[3], d;

		if (so_load(&a, argv[2], argv[3], 0, NULL, NULL) ||
		    so_load(&b, argv[2], argv[4], 0, NULL, NULL)) {
			fprintf(stderr, "%s%s\n", a.err, b.err);
			return 2;
		}
		d = so_compare(&a, &b, &rules, argv[3], argv[4], so_ktap_print, NULL, used);
		printf("%d threads differ (rules removed %d signals, %d group stops)\n", d,
		       used[0], used[1]);
		return d ? 1 : 0;
	}
	return test_harness_run(argc, argv);
}
