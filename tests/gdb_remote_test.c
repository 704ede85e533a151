// SPDX-License-Identifier: GPL-2.0
/*
 * gdb_remote: real, unmodified gdb (Debian's gdb 13, copied into the guest by
 * scripts/gdb-guest-adds) debugging a live process through utrace-gdb, against the same gdb
 * attached with its native ptrace as the oracle. For each scenario the workload
 * (tests/gdb_workloads/gdw.c) is started the same way (own process group, ASLR off through
 * personality(ADDR_NO_RANDOMIZE), cwd WORK, fixed environment), reaches its attach point
 * (every thread blocked in read()), and the same gdb script runs under
 *
 *   native:  gdb -batch -nx [-iex ...] -p PID -x SCRIPT
 *   utrace:  gdb -batch -nx [-iex ...] -ex 'target extended-remote /dev/utrace-gdb'
 *                -ex 'attach PID' -x SCRIPT
 *
 * (after insmod utrace.ko utrace_gdb.ko). The script releases the workload itself (`shell
 * echo g > WORK/run/go`), so the attach point and what follows are reproducible. Compared
 * exactly, after normalizing (tests/lib/gdb_compare.h): gdb's stdout, gdb's stderr, gdb's
 * exit status, the workload's own output and its wait status.
 *
 * What the normalizer changes, and why:
 *
 * | rule | reason |
 * |---|---|
 * | thread ids | pids and tids differ from run to run: after "LWP ", "process ", "Thread " a tid of the workload (in DIR/tids, in order of creation) reads "T<k>", k from 1 |
 * | target id | native gdb names a thread "LWP N" (with libthread_db "Thread 0x... (LWP N)"), the remote target "Thread P.N": all read "LWP T<k>" |
 * | blanks | `info threads` pads its columns to the longest target id: runs of blanks read as one, trailing blanks go |
 * | libthread_db lines | only native gdb prints them, when it finds the library (a host run) |
 * | attach lines | before the script's first line: "Remote debugging using", "Attaching to process/program", "Reading symbols from", "[New LWP Tk]" (native announces the threads found at attach as new, the remote target lists them), remote file-transfer warnings; the attach stop location stays |
 * | thread exits | "[LWP Tk exited]" lines move, sorted, to the end (after "thread exits:"): gdb prints an exit when it notices it, which depends on timing (at exit_group in scheduling order); which threads exited is still compared. "[LWP T1 exited]" and "[New process T1]" just before "[Inferior 1 (process T1) exited" go: native gdb prints one, the other or neither depending on which thread's exit it sees first (the process exit line stays) |
 * | busy pc (busy scenarios) | the instruction at which the spinning one-line loop of busy() is interrupted varies: "0x... in " before "busy (" goes (function, arguments, file, line stay) |
 *
 * Differences that stay (utrace-gdb against native) are listed above apply_known() and
 * apply_known_err() below, each with its reason: thread events the remote protocol of gdb 13
 * does not carry, and the maps warning (utrace-gdb serves no vFile).
 *
 * If /dev/utrace-gdb does not exist (utrace_gdb.ko missing or failing to load), the utrace
 * side of every scenario fails; so does the fuzz case.
 *
 * UTRACE_GDB_SECOND=native runs the native side twice instead (no module needed; on the host
 * too): the scenarios' stability and the normalizer, without utrace.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "gdb_compare.h"

#define GDB		"/usr/bin/gdb"
#define DEVICE		"/dev/utrace-gdb"
#define WORK		"/tmp/gdb_remote"
#define RUN		WORK "/run"
#define NTHREADS_AT_ATTACH 4	/* gdw: main and NWORKERS workers */

static char bindir[PATH_MAX];		/* where this test and gdw are */
static int second_native;		/* UTRACE_GDB_SECOND=native */
static int modules_loaded, gdb_module_err;

static char *const run_env[] = {
	"PATH=/bin:/usr/bin:/sbin:/usr/sbin", "HOME=/", "LC_ALL=C", "TERM=dumb", NULL
};

enum side { NATIVE, UTRACE };

struct scenario {
	const char *name;
	const char *mode;		/* gdw's MODE */
	const char *iex;		/* a gdb -iex command, or NULL */
	const char *sigint_after;	/* SIGINT to gdb once the printer ticked this */
	int flags;			/* GC_* */
	const char *script;
	/* the native session's gdb output must contain this: the scenario did its work */
	const char *expect;
};

#define GO "shell echo g > " RUN "/go\n"
#define MARK "echo " GC_MARKER "\\n\n"

static const struct scenario scenarios[] = {
	/* a breakpoint hit in each worker; info threads, bt in every thread */
	{ "threads_break", "threads", NULL, NULL, 0,
	  MARK "break worker_step\n" GO "continue\ninfo threads\nthread apply all bt\n"
	  "continue\ninfo threads\nbt\ncontinue\nthread apply all bt\ndelete\ncontinue\n",
	  "Thread 4 \"gdw\" hit Breakpoint 1, worker_step (i=2)" },
	/* print, set var of a global and a local, the program's output changed accordingly */
	{ "print_set_var", "threads", NULL, NULL, 0,
	  MARK "print global\nprint watched\nprint &global\nprint sizeof(global)\n"
	  "set var global = 7\nprint global\nprint global * 2 + 1\nprint/x global\n"
	  "break worker_step\n" GO "continue\nprint i\nset var i = 5\nprint i\n"
	  "print $rip == worker_step\ndelete\ncontinue\n", "$9 = 5" },
	/* stepi x100 through compute(), then next over the getppid() line */
	{ "stepi_next", "threads", NULL, NULL, 0,
	  MARK "break compute\n" GO "continue\nset $n = 0\nwhile $n < 100\nstepi\n"
	  "set $n = $n + 1\nend\ninfo registers rip\nbt\ndelete\n"
	  "break worker_step if i == 1\ncontinue\nnext\nnext\nnext\nnext\nnext\nnext\nnext\n"
	  "info registers rip\nprint watched\ndelete\ncontinue\n", "$1 = 845" },
	/* finish out of compute() and worker_step() */
	{ "finish", "threads", NULL, NULL, 0,
	  MARK "break compute\n" GO "continue\nbt\nfinish\nprint $\ndelete\nfinish\n"
	  "bt\ncontinue\n", "Value returned is $1 = 301" },
	/* a write watchpoint on a global, hit by each worker */
	{ "watch", "threads", NULL, NULL, 0,
	  MARK "break worker_step\n" GO "continue\nwatch watched\ndelete 1\ncontinue\nbt\n"
	  "continue\ncontinue\ninfo watchpoints\ndelete\ncontinue\n", "New value = 1632" },
	/* SIGUSR1 stopped and printed, passed, suppressed; SIGUSR2 sent by gdb */
	{ "signals", "signals", NULL, NULL, 0,
	  MARK "handle SIGUSR1 stop print\nbreak signals_done\n" GO "continue\nbt 1\n"
	  "continue\nprint usr1_seen\nsignal 0\nprint usr1_seen\nsignal SIGUSR2\n"
	  "print usr1_seen\nprint usr2_seen\ncontinue\n", "hit Breakpoint 1, signals_done" },
	/* Ctrl-C (SIGINT to gdb) while a thread spins and another prints: all-stop */
	{ "ctrl_c", "busy", NULL, "tick 10\n", GC_BUSY_PC,
	  MARK GO "continue\nthread\nbt\nthread 5\n"
	  "python f = gdb.selected_frame(); print(f.name(), f.find_sal().line)\n"
	  "set var busy_stop = 1\ncontinue\n", "received signal SIGINT" },
	/*
	 * non-stop: gdb attaches in non-stop mode; a Python loop continues until main hits
	 * busy_started() (through the other threads' attach stops, whose number and order
	 * vary: GC_NONSTOP_ATTACH), while the busy and printer threads run. `interrupt` of the
	 * spinning thread only, then main continues: that foreground continue ends at the busy
	 * thread's stop (any stop ends it in non-stop); the printer keeps printing meanwhile;
	 * then the busy thread continues and everything runs to the end. A difference that
	 * stays, in gdb: when the busy thread's stop is already pending, the remote target
	 * defers main's resume (commit_resumed) to the next resume, the final `continue`
	 * (`set debug remote 1` shows no vCont for main before it), while native gdb resumes
	 * main at once; the workload orders its two last lines itself (gdw.c, busy()).
	 */
	{ "nonstop_interrupt", "busy", "set non-stop on", NULL, GC_BUSY_PC | GC_NONSTOP_ATTACH,
	  MARK "break busy_started\n"
	  "python\nhit = []\ndef on_stop(ev):\n    if isinstance(ev, gdb.BreakpointEvent):\n"
	  "        hit.append(ev.inferior_thread.num)\ngdb.events.stop.connect(on_stop)\nend\n"
	  GO "python\nwhile not hit:\n    gdb.execute('continue -a', to_string=True)\nend\n"
	  "info threads 1\ndelete\nthread 5\ninterrupt\nthread 1\ncontinue\nthread 5\n"
	  "python f = gdb.selected_frame(); print(f.name(), f.find_sal().line)\n"
	  "python import time; v = int(gdb.parse_and_eval('ticks')); time.sleep(0.6); "
	  "print('printing goes on' if int(gdb.parse_and_eval('ticks')) > v else "
	  "'printing stopped')\n"
	  "info threads 1\nset var busy_stop = 1\ncontinue\n",
	  "printing goes on" },
	/* a thread created and one exiting while main is stopped, then info threads */
	{ "thread_create_exit", "threads", NULL, NULL, 0,
	  MARK "break spawned_and_reaped\n" GO "continue\ninfo threads\nbt\ncontinue\n",
	  "hit Breakpoint 1, spawned_and_reaped" },
	/* detach at a breakpoint: the program finishes normally, with its normal output */
	{ "detach", "threads", NULL, NULL, 0,
	  MARK "break worker_step\n" GO "continue\ncontinue\ninfo breakpoints\ndetach\n",
	  "breakpoint already hit 2 times" },
	/* kill at a breakpoint */
	{ "kill", "threads", NULL, NULL, 0,
	  MARK "break worker_step\n" GO "continue\nkill\ninfo threads\n", "killed]" },
};

/*
 * Differences between utrace-gdb and native gdb that must stay (applied to the native
 * session's normalized output, only when it is compared with utrace-gdb's):
 *
 * | difference | reason |
 * |---|---|
 * | thread events | gdb 13's remote protocol has no clone event, and gdb prints a remote thread's exit only when the stub reports it (QThreadEvents and 'w' stop replies, which gdb asks for only for some step-overs): through the remote target gdb learns of threads from the thread list at a stop. So native gdb's "[New LWP Tk]" of a thread that never appears in the remote session (born and gone between two stops), and native's block of thread exits (rule "thread exits") when the remote session has none, are dropped |
 */
static void apply_known(struct gc_lines *native, const struct gc_lines *remote)
{
	int o = 0, remote_exits = gc_has(remote, "thread exits:"), in_exits = 0;

	for (int i = 0; i < native->n; i++) {
		char *l = native->l[i];
		int drop = 0;

		if (!strcmp(l, "thread exits:"))
			in_exits = 1;
		if (in_exits && !remote_exits) {
			drop = 1;
		} else if (gc_starts(l, "[New LWP T")) {
			char id[32];

			snprintf(id, sizeof(id), "%.*s", (int)strcspn(l + 5, "]"), l + 5);
			drop = !gc_has(remote, id);
		}
		if (drop)
			free(l);
		else
			native->l[o++] = l;
	}
	native->n = o;
}

/*
 * The one stderr difference that stays:
 *
 * | difference | reason |
 * |---|---|
 * | "warning: unable to open /proc file '/proc/P/task/P/maps'" (utrace only, P the workload) | gdb reads the tracee's maps through the target to find the vDSO's range; through a remote target that is vFile:open, which utrace-gdb does not serve: the kernel's /proc maps file has `.read = seq_read` and no `read_iter` (fs/proc/task_mmu.c), so kernel_read() from the module refuses it ("kernel read not supported"), and serving vFile for other files would make gdb fetch every library over the device. gdb only loses the vDSO range (no scenario's output depends on it) |
 *
 * Dropped from utrace's stderr only when native's has no such line, and only with the
 * workload's own pid in the path.
 */
static void apply_known_err(const struct gc_lines *native, struct gc_lines *remote, long pid)
{
	char w[128];
	int o = 0;

	snprintf(w, sizeof(w), "warning: unable to open /proc file '/proc/%ld/task/%ld/maps'",
		 pid, pid);
	if (gc_has(native, w))
		return;
	for (int i = 0; i < remote->n; i++) {
		if (!strcmp(remote->l[i], w))
			free(remote->l[i]);
		else
			remote->l[o++] = remote->l[i];
	}
	remote->n = o;
}

static void ktap_print(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void print_file(const char *what, const char *path, int max)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n++ < max)
			ktap_print("%s: %s", what, line);
	}
	if (n > max)
		ktap_print("%s: ... (%d lines in all)", what, n);
	fclose(f);
}

static void gdb_init(void)
{
	const char *env = getenv("UTRACE_GDB_SECOND");
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);

	if (n > 0) {
		bindir[n] = 0;
		*strrchr(bindir, '/') = 0;
	} else {
		snprintf(bindir, sizeof(bindir), "/utrace/tests");
	}
	second_native = env && !strcmp(env, "native");
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

/* A fresh RUN with the FIFO go */
static int fresh_run_dir(void)
{
	mkdir(WORK, 0755);
	mkdir(RUN, 0755);
	unlink(RUN "/go");
	unlink(RUN "/tids");
	return mkfifo(RUN "/go", 0600) ? -errno : 0;
}

/*
 * Starts @argv like every run: own process group, ASLR off, cwd WORK, stdin /dev/null,
 * stdout to @out, stderr to @err, nothing else open, environment run_env.
 */
static pid_t start(char *const *argv, const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		setpgid(0, 0);
		if (personality(ADDR_NO_RANDOMIZE) < 0)
			_exit(120);
		if (chdir(WORK))
			_exit(121);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(122);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(123);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(124);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execve(argv[0], argv, run_env);
		_exit(126);
	}
	return pid;
}

/* Waits for @pid at most @secs seconds, then kills its process group. 0 or -ETIMEDOUT. */
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

/* 1 if thread @tid of @pid sleeps in read() */
static int in_read(pid_t pid, long tid)
{
	char path[96], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", pid, tid);
	if (ut_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%ld/syscall", pid, tid);
	return ut_read_file(path, buf, sizeof(buf)) > 0 && atoi(buf) == SYS_read;
}

/* Waits (at most ~60 s) until the workload's first threads all sleep in read() */
static int wait_attach_point(pid_t pid)
{
	long tids[GC_MAX_TIDS];

	for (int i = 0; i < 3000; i++) {
		int n = gc_read_tids(RUN "/tids", tids, GC_MAX_TIDS), k;

		for (k = 0; n == NTHREADS_AT_ATTACH && k < n; k++)
			if (!in_read(pid, tids[k]))
				break;
		if (n == NTHREADS_AT_ATTACH && k == n)
			return 0;
		usleep(20000);
	}
	return -1;
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

/* One gdb session on one workload run */
struct session {
	enum side side;
	char prefix[PATH_MAX];		/* WORK/<scenario>.<side> */
	pid_t pid;			/* the workload */
	int status, gdb_status;		/* wait statuses */
	int ntids;
	long tids[GC_MAX_TIDS];
	struct gc_lines out, err;	/* gdb's, normalized */
};

static const char *side_name(enum side s)
{
	return s == NATIVE ? "native" : second_native ? "native2" : "utrace";
}

/*
 * Runs @sc once under @side, gdb's stdout/stderr in PREFIX.gdb/.gdberr, the workload's in
 * PREFIX.out/.err. Returns 0 or a negative step number (the session is set up as far as it
 * went).
 */
static int run_session(const struct scenario *sc, enum side side, const char *tag,
		       struct session *s)
{
	char gdw[PATH_MAX], script[PATH_MAX], pidbuf[16], attach[32], p1[PATH_MAX],
	     p2[PATH_MAX];
	char *wargv[] = { gdw, (char *)sc->mode, RUN, NULL };
	char *gargv[24];
	int n = 0;
	pid_t gp;

	memset(s, 0, sizeof(*s));
	s->side = side;
	snprintf(s->prefix, sizeof(s->prefix), WORK "/%s.%s", sc->name, tag);
	snprintf(gdw, sizeof(gdw), "%s/gdw", bindir);
	snprintf(script, sizeof(script), WORK "/%s.gdb", sc->name);
	if (fresh_run_dir() || write_file(script, sc->script))
		return -1;
	snprintf(p1, sizeof(p1), "%s.out", s->prefix);
	snprintf(p2, sizeof(p2), "%s.err", s->prefix);
	s->pid = start(wargv, p1, p2);
	if (s->pid < 0)
		return -2;
	if (wait_attach_point(s->pid)) {
		ktap_print("%s: the workload did not reach its attach point", sc->name);
		print_file("workload stderr", p2, 20);
		wait_bounded(s->pid, &s->status, 0);
		return -3;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", s->pid);
	snprintf(attach, sizeof(attach), "attach %d", s->pid);
	gargv[n++] = GDB;
	gargv[n++] = "-batch";
	gargv[n++] = "-nx";
	if (sc->iex) {
		gargv[n++] = "-iex";
		gargv[n++] = (char *)sc->iex;
	}
	if (side == UTRACE && !second_native) {
		gargv[n++] = "-ex";
		gargv[n++] = "target extended-remote " DEVICE;
		gargv[n++] = "-ex";
		gargv[n++] = attach;
	} else {
		gargv[n++] = "-p";
		gargv[n++] = pidbuf;
	}
	gargv[n++] = "-x";
	gargv[n++] = script;
	gargv[n] = NULL;
	snprintf(p1, sizeof(p1), "%s.gdb", s->prefix);
	snprintf(p2, sizeof(p2), "%s.gdberr", s->prefix);
	gp = start(gargv, p1, p2);
	if (gp < 0)
		return -4;
	if (sc->sigint_after) {
		if (wait_file_has(RUN "/ticks", sc->sigint_after))
			ktap_print("%s: the workload never printed %s", sc->name, sc->sigint_after);
		kill(gp, SIGINT);
	}
	if (wait_bounded(gp, &s->gdb_status, 240)) {
		ktap_print("%s/%s: gdb did not finish within 240 s", sc->name, side_name(side));
		s->gdb_status = -1;
	}
	/* a workload left stopped or stuck fails here, and is killed */
	if (wait_bounded(s->pid, &s->status, 60)) {
		ktap_print("%s/%s: the workload did not finish within 60 s after gdb", sc->name,
			   side_name(side));
		s->status = -1;
	}
	s->ntids = gc_read_tids(RUN "/tids", s->tids, GC_MAX_TIDS);
	snprintf(p1, sizeof(p1), "%s.gdb", s->prefix);
	snprintf(p2, sizeof(p2), "%s.gdberr", s->prefix);
	if (gc_normalize(p1, 1, s->tids, s->ntids, sc->flags, &s->out) ||
	    gc_normalize(p2, 0, s->tids, s->ntids, sc->flags, &s->err))
		return -5;
	return 0;
}

static void free_session(struct session *s)
{
	gc_free(&s->out);
	gc_free(&s->err);
}

static int same_file(const char *a, const char *b)
{
	static char ba[65536], bb[65536];
	int na = ut_read_file(a, ba, sizeof(ba)), nb = ut_read_file(b, bb, sizeof(bb));

	return na >= 0 && na == nb && !memcmp(ba, bb, na);
}

/*
 * Compares two sessions: gdb's normalized stdout and stderr, gdb's status, the workload's
 * output and status. Returns the number of differing items.
 */
static int compare_sessions(const struct scenario *sc, struct session *a, struct session *b,
			    int verbose)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	const char *na = side_name(a->side), *nb = side_name(b->side);
	int d = 0;

	if (b->side == UTRACE && !second_native) {
		apply_known(&a->out, &b->out);
		if (b->ntids)
			apply_known_err(&a->err, &b->err, b->tids[0]);
	}
	/*
	 * The session first, the first difference last: a log cut to its tail (CI's) still
	 * shows which line differed.
	 */
	if (gc_compare(&a->out, &b->out, na, nb, NULL)) {
		d++;
		if (verbose) {
			ktap_print("%s: gdb's output differs (normalized; raw in %s.gdb, %s.gdb)",
				   sc->name, a->prefix, b->prefix);
			for (int i = 0; i < b->out.n && i < 200; i++)
				ktap_print("%s| %s", nb, b->out.l[i]);
			gc_compare(&a->out, &b->out, na, nb, ktap_print);
		}
	}
	if (gc_compare(&a->err, &b->err, na, nb, verbose ? ktap_print : NULL)) {
		d++;
		if (verbose)
			ktap_print("%s: gdb's stderr differs", sc->name);
	}
	if (a->gdb_status != b->gdb_status) {
		d++;
		if (verbose)
			ktap_print("%s: gdb's wait status %#x (%s), %#x (%s)", sc->name,
				   a->gdb_status, na, b->gdb_status, nb);
	}
	snprintf(pa, sizeof(pa), "%s.out", a->prefix);
	snprintf(pb, sizeof(pb), "%s.out", b->prefix);
	if (!same_file(pa, pb)) {
		d++;
		if (verbose) {
			ktap_print("%s: the workload's output differs", sc->name);
			print_file(na, pa, 60);
			print_file(nb, pb, 60);
		}
	}
	if (a->status != b->status) {
		d++;
		if (verbose)
			ktap_print("%s: the workload's wait status %#x (%s), %#x (%s)", sc->name,
				   a->status, na, b->status, nb);
	}
	return d;
}

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

FIXTURE(gdb) {
	int unused;
};

static const char *const gdb_modules[] = { "utrace", "utrace_gdb", NULL };

FIXTURE_SETUP(gdb)
{
	gdb_init();
	if (access(GDB, X_OK))
		SKIP(return, "no %s in the guest (scripts/run-tests adds the host's)", GDB);
	if (second_native)
		return;
	/* what a test killed by the harness's timeout (no teardown) may have left */
	if (ut_module_loaded("utrace")) {
		ut_unload_module("utrace_strace");
		ut_unload_module("utrace_gdb");
		ut_unload_module("utrace");
	}
	/* utrace first; utrace_gdb may not exist yet: then every utrace side fails */
	ASSERT_EQ(0, ut_load_module("utrace", "")) TH_LOG("insmod utrace");
	gdb_module_err = ut_load_module("utrace_gdb", "");
	modules_loaded = 1;
}

FIXTURE_TEARDOWN(gdb)
{
	if (!modules_loaded)
		return;
	ut_unload_module("utrace_strace");	/* left by a failed with_utrace_strace */
	if (!gdb_module_err)
		ut_fixture_unload(_metadata, gdb_modules);
	else
		EXPECT_EQ(0, ut_unload_module("utrace"));
	modules_loaded = 0;
}

/* The utrace side is possible: the module loaded and the device is there */
static int utrace_ready(void)
{
	if (second_native)
		return 1;
	if (gdb_module_err)
		ktap_print("insmod utrace_gdb.ko: %s", strerror(-gdb_module_err));
	if (access(DEVICE, R_OK | W_OK)) {
		ktap_print("no %s: the utrace side cannot run", DEVICE);
		return 0;
	}
	return 1;
}

static int scenario_compare(struct __test_metadata *_metadata, const char *name)
{
	const struct scenario *sc = find_scenario(name);
	static struct session a, b;
	char path[PATH_MAX];
	int ra, rb, d;

	if (!sc)
		return -1;
	ra = run_session(sc, NATIVE, "native", &a);
	if (ra) {
		ktap_print("%s: native session failed at step %d", name, -ra);
		free_session(&a);
		return -1;
	}
	if (a.ntids < NTHREADS_AT_ATTACH || !gc_has(&a.out, sc->expect) ||
	    gc_has(&a.err, "Error in sourced command file")) {
		ktap_print("%s: the native session did not do its work (no \"%s\" in its output)",
			   name, sc->expect);
		for (int i = 0; i < a.out.n && i < 120; i++)
			ktap_print("native| %s", a.out.l[i]);
		snprintf(path, sizeof(path), "%s.gdberr", a.prefix);
		print_file("native gdb stderr", path, 20);
		free_session(&a);
		return -1;
	}
	if (!utrace_ready()) {
		free_session(&a);
		return -1;
	}
	rb = run_session(sc, UTRACE, side_name(UTRACE), &b);
	if (rb) {
		ktap_print("%s: %s session failed at step %d", name, side_name(UTRACE), -rb);
		free_session(&a);
		free_session(&b);
		return -1;
	}
	d = compare_sessions(sc, &a, &b, 1);
	ktap_print("%s: %d lines of gdb output compared, %d differences", name, a.out.n, d);
	free_session(&a);
	free_session(&b);
	return d;
}

#define GDB_TEST(name) \
	TEST_F_TIMEOUT(gdb, name, 900) \
	{ \
		EXPECT_EQ(0, scenario_compare(_metadata, #name)); \
	}

GDB_TEST(threads_break)
GDB_TEST(print_set_var)
GDB_TEST(stepi_next)
GDB_TEST(finish)
GDB_TEST(watch)
GDB_TEST(signals)
GDB_TEST(ctrl_c)
GDB_TEST(nonstop_interrupt)
GDB_TEST(thread_create_exit)
GDB_TEST(detach)
GDB_TEST(kill)

/*
 * The comparator can fail: two native sessions of threads_break are equal after normalizing
 * (and each has the breakpoint hit in all three workers; the known differences of
 * utrace-gdb remove nothing there), and each perturbation of the second is a difference:
 * a changed line, a missing line, an extra line, a thread named
 * after another, a changed program output.
 */
TEST_F_TIMEOUT(gdb, comparator_self_test, 900)
{
	const struct scenario *sc = find_scenario("threads_break");
	static struct session a, b;
	char *saved, pb[PATH_MAX];
	int hits = 0, k = -1;

	ASSERT_NE(NULL, sc);
	ASSERT_EQ(0, run_session(sc, NATIVE, "self_a", &a));
	ASSERT_EQ(0, run_session(sc, NATIVE, "self_b", &b));
	ASSERT_EQ(0, compare_sessions(sc, &a, &b, 1));
	for (int i = 0; i < a.out.n; i++) {
		if (strstr(a.out.l[i], "hit Breakpoint 1, worker_step"))
			hits++;
		if (k < 0 && strstr(a.out.l[i], "LWP T2"))
			k = i;
	}
	EXPECT_EQ(3, hits);
	/* the known differences drop nothing the other side has */
	hits = a.out.n;
	apply_known(&a.out, &b.out);
	EXPECT_EQ(hits, a.out.n);
	EXPECT_EQ(0, gc_compare(&a.out, &b.out, "a", "b", ktap_print));
	ASSERT_LE(0, k);
	ASSERT_GT(b.out.n, k);
	/* a changed line */
	saved = b.out.l[k];
	b.out.l[k] = strdup("something else");
	EXPECT_NE(0, gc_compare(&a.out, &b.out, "a", "b", NULL));
	free(b.out.l[k]);
	/* another thread's name */
	b.out.l[k] = strdup(saved);
	*strstr(b.out.l[k], "LWP T2") = 0;
	EXPECT_NE(0, gc_compare(&a.out, &b.out, "a", "b", NULL));
	free(b.out.l[k]);
	b.out.l[k] = saved;
	EXPECT_EQ(0, gc_compare(&a.out, &b.out, "a", "b", NULL));
	/* a missing last line, an extra line */
	b.out.n--;
	EXPECT_NE(0, gc_compare(&a.out, &b.out, "a", "b", NULL));
	b.out.n++;
	ASSERT_EQ(0, gc_push(&b.out, "[extra]"));
	EXPECT_NE(0, gc_compare(&a.out, &b.out, "a", "b", NULL));
	b.out.n--;
	free(b.out.l[b.out.n]);
	/* the normalizer maps tids by order of creation: swapped, the names differ */
	if (b.ntids >= 3) {
		long t = b.tids[1];
		static struct gc_lines c;

		b.tids[1] = b.tids[2];
		b.tids[2] = t;
		snprintf(pb, sizeof(pb), "%s.gdb", b.prefix);
		ASSERT_EQ(0, gc_normalize(pb, 1, b.tids, b.ntids, 0, &c));
		EXPECT_NE(0, gc_compare(&a.out, &c, "a", "b", NULL));
		gc_free(&c);
	}
	/* a changed program output */
	snprintf(pb, sizeof(pb), "%s.out", b.prefix);
	ASSERT_EQ(0, write_file(pb, "worker 0: compute 1 watched 1 global 42\n"));
	EXPECT_EQ(1, compare_sessions(sc, &a, &b, 0));
	free_session(&a);
	free_session(&b);
}

/* Reads @path, tids replaced by T<k> (whole numbers only), into @g */
static int load_strace_file(const char *path, const long *tids, int ntids, struct gc_lines *g)
{
	static char line[4096], out[8192];
	FILE *f = fopen(path, "r");

	g->n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t o = 0;
		const char *p = line;

		line[strcspn(line, "\n")] = 0;
		out[0] = 0;
		while (*p) {
			int start = p == line || !isalnum((unsigned char)p[-1]);

			/* raw=all prints numbers in hex: "0x151" from gettid() is a tid too */
			if (start && p[0] == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) {
				char *end;
				long v = strtol(p + 2, &end, 16);
				int k = isalnum((unsigned char)*end) ? 0 :
					gc_tid_index(v, tids, ntids);

				if (k) {
					char name[16];

					gc_put(out, &o, sizeof(out), name,
					       snprintf(name, sizeof(name), "T%d", k));
					p = end;
					continue;
				}
			}
			/* a whole number (not the 0 of "0x..."): gc_take_id() moves p past it */
			if (start && gc_take_id(&p, out, &o, sizeof(out), tids, ntids))
				continue;
			gc_put(out, &o, sizeof(out), p++, 1);
		}
		if (gc_push(g, out))
			break;
	}
	fclose(f);
	return 0;
}

/* 1 if @l is a syscall's exit with a restart code (interrupted, to be restarted) */
static int restart_exit(const char *l)
{
	return strstr(l, "= -1 ERESTARTSYS ") || strstr(l, "= -1 ERESTARTNOINTR ") ||
	       strstr(l, "= -1 ERESTARTNOHAND ") || strstr(l, "= -1 ERESTART_RESTARTBLOCK ");
}

/*
 * What gdb's stops change in a thread's utrace-strace output, and must (applied to both
 * runs; the run alone has none of it):
 *
 * | difference | reason |
 * |---|---|
 * | a blocking call exits with a restart code and is made again | to stop a thread blocked in read(), utrace interrupts the call (as ptrace's stop does): the kernel returns -ERESTARTSYS to the syscall exit, where utrace-strace records it, and restarts the call on the way back. "CALL = -1 ERESTART..." followed by the same call again reads as the restarted call's line; "<... CALL resumed>) = -1 ERESTART..." followed by the call again reads as "<... CALL resumed>)" with the restarted call's result |
 * | the thread's last line "CALL = -1 ERESTART..." reads "CALL = ?" | the same, when the process exits before the call is restarted: the thread dies in it, which strace prints "= ?" |
 * | "--- SIGTRAP {si_signo=5, si_code=0x80" | a gdb breakpoint is an int3: the kernel raises SIGTRAP (SI_KERNEL), and every engine with signal events sees it in attach order (utrace-strace attached first) before utrace-gdb takes it; nothing is delivered to the program |
 */
static void strip_gdb_stops(struct gc_lines *g)
{
	int o = 0;

	for (int i = 0; i < g->n; i++) {
		char *l = g->l[i];

		if (gc_starts(l, "--- SIGTRAP {si_signo=5, si_code=0x80")) {
			free(l);
			continue;
		}
		if (restart_exit(l) && i + 1 == g->n) {
			/* interrupted, then killed before the restart: "= ?" as when killed in it */
			memcpy(strstr(l, "= -1 ERESTART"), "= ?", 4);
		}
		if (restart_exit(l) && i + 1 < g->n) {
			if (gc_starts(l, "<... ")) {
				/* "<... read resumed>)  = -1 ERESTARTSYS" + "read(...)  = R" */
				char *eq = strstr(l, "= -1 ERESTART"), *r = strrchr(g->l[i + 1], '=');
				char *m = r ? malloc((eq - l) + strlen(r) + 1) : NULL;

				if (m) {
					sprintf(m, "%.*s%s", (int)(eq - l), l, r);
					free(g->l[i + 1]);
					g->l[i + 1] = m;
				}
			}
			free(l);
			continue;
		}
		g->l[o++] = l;
	}
	g->n = o;
}

/*
 * gdb (through utrace-gdb) and utrace-strace on the same process at once: utrace-strace
 * -ff -p traces the workload (mode plain) once alone, once while a gdb session stops it at a
 * breakpoint in each worker; both sessions complete, and each thread's strace output is the
 * same as without gdb (tids by order of creation), but for what gdb's stops must change
 * (strip_gdb_stops()).
 */
TEST_F_TIMEOUT(gdb, with_utrace_strace, 900)
{
	static const struct scenario sc = {
		"with_utrace_strace", "plain", NULL, NULL, 0,
		MARK "break worker_step\n" GO "continue\nbt 2\ncontinue\nbt 2\ncontinue\nbt 2\n"
		"delete\ncontinue\n", "hit Breakpoint 1, worker_step (i=2)"
	};
	static struct gc_lines ta[NTHREADS_AT_ATTACH], tb[NTHREADS_AT_ATTACH];
	char gdw[PATH_MAX], us[PATH_MAX], o[PATH_MAX], pidbuf[16], attach[32], path[PATH_MAX];
	char *wargv[] = { gdw, "plain", RUN, NULL };
	int loaded_strace, differ = 0;

	ASSERT_TRUE(second_native || utrace_ready());
	if (second_native)
		SKIP(return, "UTRACE_GDB_SECOND=native: utrace only");
	snprintf(gdw, sizeof(gdw), "%s/gdw", bindir);
	snprintf(us, sizeof(us), "%s/utrace-strace", bindir);
	loaded_strace = ut_load_module("utrace_strace", "");
	ASSERT_TRUE(loaded_strace == 0 || loaded_strace == -EEXIST);
	for (int run = 0; run < 2; run++) {
		char *sargv[] = { us, "-f", "-qq", "-X", "raw", "-e", "raw=all", "-ff", "-o", o,
				  "-p", pidbuf, NULL };
		char *gargv[] = { GDB, "-batch", "-nx", "-ex", "target extended-remote " DEVICE,
				  "-ex", attach, "-x", path, NULL };
		struct gc_lines *t = run ? tb : ta;
		int status, sstatus, gstatus = 0, ntids;
		long tids[GC_MAX_TIDS];
		pid_t pid, sp, gp;

		ASSERT_EQ(0, fresh_run_dir());
		snprintf(o, sizeof(o), WORK "/cs%d", run);
		pid = start(wargv, WORK "/cs.out", WORK "/cs.err");
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, wait_attach_point(pid));
		ntids = gc_read_tids(RUN "/tids", tids, GC_MAX_TIDS);
		snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
		snprintf(attach, sizeof(attach), "attach %d", pid);
		for (int k = 0; k < ntids; k++) {
			snprintf(path, sizeof(path), "%s.%ld", o, tids[k]);
			unlink(path);
		}
		sp = start(sargv, WORK "/cs.strace", WORK "/cs.strace.err");
		ASSERT_LT(0, sp);
		/* attached: utrace counts an engine (at most ~30 s) */
		for (int i = 0; i < 1500; i++) {
			static char st[1024];

			if (ut_read_file(UTRACE_DEBUGFS "/state", st, sizeof(st)) > 0 &&
			    !strstr(st, "\nengines 0\n"))
				break;
			usleep(20000);
		}
		usleep(500000);
		ktap_print("with_utrace_strace: run %d (%s), utrace-strace attached", run,
			   run ? "with gdb" : "alone");
		if (run) {
			snprintf(path, sizeof(path), WORK "/cs.gdb");
			ASSERT_EQ(0, write_file(path, sc.script));
			gp = start(gargv, WORK "/cs.gdbout", WORK "/cs.gdberr");
			ASSERT_LT(0, gp);
			EXPECT_EQ(0, wait_bounded(gp, &gstatus, 120));
			EXPECT_EQ(0, gstatus);
			EXPECT_EQ(0, wait_file_has(WORK "/cs.gdbout", sc.expect)) {
				print_file("gdb", WORK "/cs.gdbout", 60);
				print_file("gdb stderr", WORK "/cs.gdberr", 20);
			}
		} else {
			EXPECT_EQ(0, write_file(RUN "/go", "g"));
		}
		EXPECT_EQ(0, wait_bounded(pid, &status, 60));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("run %d: workload status %#x", run, status);
		EXPECT_EQ(0, wait_bounded(sp, &sstatus, 30));
		EXPECT_EQ(0, sstatus) print_file("utrace-strace", WORK "/cs.strace.err", 20);
		for (int k = 0; k < ntids && k < NTHREADS_AT_ATTACH; k++) {
			snprintf(path, sizeof(path), "%s.%ld", o, tids[k]);
			EXPECT_EQ(0, load_strace_file(path, tids, ntids, &t[k]));
			strip_gdb_stops(&t[k]);
		}
	}
	for (int k = 0; k < NTHREADS_AT_ATTACH; k++) {
		char name[32];

		snprintf(name, sizeof(name), "T%d", k + 1);
		if (gc_compare(&ta[k], &tb[k], "alone", "with gdb", ktap_print)) {
			ktap_print("thread %s: utrace-strace's output differs with gdb", name);
			differ++;
		}
		EXPECT_LT(1, ta[k].n);
		gc_free(&ta[k]);
		gc_free(&tb[k]);
	}
	EXPECT_EQ(0, differ);
	if (loaded_strace == 0)
		EXPECT_EQ(0, ut_unload_module("utrace_strace"));
}

/* --- fuzz: random and mutated packets against the device, with a traced workload --- */

static unsigned long long rnd_state = 0x2545f4914f6cdd1dULL;

static unsigned int rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned int)(rnd_state >> 11);
}

/* "$payload#cs" into @buf */
static int packet(char *buf, size_t size, const char *payload)
{
	unsigned int cs = 0;

	for (const char *p = payload; *p; p++)
		cs += (unsigned char)*p;
	return snprintf(buf, size, "$%s#%02x", payload, cs & 0xff);
}

/*
 * Packets a session uses (reads and harmless requests). Mutations never send what would
 * change the program on purpose (memory or register writes, signals, kill, run), nor attach
 * to another process: the workload must be able to finish normally afterwards.
 */
static const char *const fuzz_corpus[] = {
	"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
	"exec-events+;vContSupported+;QThreadEvents+;no-resumed+;xmlRegisters=i386",
	"QStartNoAckMode", "?", "qfThreadInfo", "qsThreadInfo", "qC", "Hg0", "Hgp0.0",
	"Hc-1", "g", "p10", "p39", "p1a", "m401000,40", "m0,8", "mffffffffffffff00,100",
	"m7fffffffe000,1000", "qXfer:features:read:target.xml:0,fff",
	"qXfer:threads:read::0,fff", "qXfer:exec-file:read::0,fff", "vCont?", "qAttached",
	"Z0,401000,1", "z0,401000,1", "Z2,4c0000,4", "z2,4c0000,4", "Z4,deadbeef,8",
	"z4,deadbeef,8", "T1", "Tp1.1", "qTStatus", "qOffsets", "qSymbol::", "QNonStop:0",
	"vStopped", "qThreadExtraInfo,1", "vMustReplyEmpty", "QThreadEvents:1", "qL1200",
	"vFile:open:2f,0,0",
};

static int fuzz_forbidden(const char *p, pid_t pid)
{
	if (strchr("MXGPkCSIARcsD!", p[0]) || gc_starts(p, "vKill") || gc_starts(p, "vRun") ||
	    gc_starts(p, "vCont;") || gc_starts(p, "vAttach") || gc_starts(p, "QNonStop") ||
	    gc_starts(p, "vFile:unlink") || gc_starts(p, "vFile:pwrite") || gc_starts(p, "QEnv"))
		return 1;
	return 0;
}

/* Reads whatever the device has for us now (non-blocking), at most @ms milliseconds */
static void drain(int fd, int ms)
{
	char buf[16384];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
		ms = 0;
	}
}

/*
 * For 20 s: random bytes, wrong checksums, overlong packets, and mutations of fuzz_corpus[]
 * (byte flips, truncation, junk appended), after a valid attach to the workload, with
 * occasional valid continue/interrupt packets so that its threads run and stop. Then the
 * device is closed (detach) and the workload must finish normally: every thread runnable.
 */
TEST_F_TIMEOUT(gdb, fuzz_device, 900)
{
	char gdw[PATH_MAX], buf[8192], payload[4096];
	char *wargv[] = { gdw, "threads", RUN, NULL };
	struct timespec t0, t;
	long packets = 0;
	int fd, status;
	pid_t pid;

	ASSERT_TRUE(second_native || utrace_ready());
	if (second_native)
		SKIP(return, "UTRACE_GDB_SECOND=native: no device to fuzz");
	snprintf(gdw, sizeof(gdw), "%s/gdw", bindir);
	ASSERT_EQ(0, fresh_run_dir());
	pid = start(wargv, WORK "/fuzz.out", WORK "/fuzz.err");
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_attach_point(pid));
	fd = open(DEVICE, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", DEVICE, strerror(errno));
	snprintf(payload, sizeof(payload), "vAttach;%x", pid);
	packet(buf, sizeof(buf), payload);
	EXPECT_LT(0, write(fd, buf, strlen(buf)));
	drain(fd, 2000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		unsigned int kind = rnd() % 10;
		size_t len = 0;

		if (kind == 0) {
			/* random bytes */
			len = 1 + rnd() % 512;
			for (size_t i = 0; i < len; i++)
				buf[i] = rnd();
		} else if (kind == 1) {
			/* a valid packet with a wrong checksum */
			len = packet(buf, sizeof(buf), fuzz_corpus[rnd() % ARRAY_SIZE(fuzz_corpus)]);
			buf[len - 1] ^= 0x5;
		} else if (kind == 2) {
			/* overlong */
			len = 1 + sizeof(payload) - 64 + rnd() % 3000;
			if (len > sizeof(buf) - 8)
				len = sizeof(buf) - 8;
			buf[0] = '$';
			memset(buf + 1, 'm', len);
			len = 1 + len;
			len += snprintf(buf + len, 8, "#00");
		} else if (kind == 3) {
			/* Ctrl-C, or continue all: threads stop and run */
			if (rnd() & 1) {
				buf[0] = 0x03;
				len = 1;
			} else {
				len = packet(buf, sizeof(buf), "vCont;c");
			}
		} else {
			/* a mutated corpus packet, sent only if still harmless */
			const char *c = fuzz_corpus[rnd() % ARRAY_SIZE(fuzz_corpus)];
			size_t n = strlen(c);
			int flips = 1 + rnd() % 4;

			memcpy(payload, c, n + 1);
			for (int i = 0; i < flips; i++) {
				unsigned int r = rnd();

				if (r % 3 == 0)
					payload[r % n] = (char)(rnd() % 256);
				else if (r % 3 == 1)
					payload[r % n] = "0123456789abcdef,;:-"[rnd() % 20];
				else if (n < sizeof(payload) - 64)
					n += snprintf(payload + n, 16, "%x", rnd());
			}
			payload[n] = 0;
			if (rnd() % 4 == 0)
				payload[rnd() % (n + 1)] = 0;	/* truncated */
			if (fuzz_forbidden(payload, pid))
				continue;
			len = packet(buf, sizeof(buf), payload);
		}
		if (write(fd, buf, len) < 0 && errno != EAGAIN && errno != EINVAL &&
		    errno != E2BIG && errno != EPROTO)
			ktap_print("write: %s", strerror(errno));
		packets++;
		drain(fd, 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 20);
	/* the last word: continue everything, then close (detach) */
	packet(buf, sizeof(buf), "vCont;c");
	if (write(fd, buf, strlen(buf)) < 0)
		ktap_print("write vCont;c: %s", strerror(errno));
	drain(fd, 200);
	close(fd);
	ktap_print("fuzz: %ld packets in 20 s", packets);
	/* release the workload: it must finish normally, every thread having run */
	EXPECT_EQ(0, write_file(RUN "/go", "g"));
	EXPECT_EQ(0, wait_bounded(pid, &status, 120));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("status %#x", status);
		print_file("workload", WORK "/fuzz.out", 20);
		print_file("workload stderr", WORK "/fuzz.err", 20);
	}
	EXPECT_EQ(0, wait_file_has(WORK "/fuzz.out", "done: "));
}

TEST_HARNESS_MAIN
