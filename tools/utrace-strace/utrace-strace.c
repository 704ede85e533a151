// SPDX-License-Identifier: GPL-2.0
/*
 * utrace-strace: strace's command line and output, on the utrace_strace engine.
 *
 * The engine (engines/utrace_strace.rs) records every event of the threads a session
 * attached, without stopping them, as fixed-size binary records
 * (include/uapi/linux/utrace_strace.h); this command attaches (a command it starts, or
 * -p PIDs), reads the records and prints them the way strace 6.1 prints the same events:
 * "-e raw=all -X raw" exactly; without raw=all, the arguments of the common calls decoded as
 * strace's default does, from the tracee memory the engine records for them (DATA records:
 * paths, buffers, stat results, argv; decoded_classes()), the others' structures printed as
 * addresses. It mirrors strace's own output logic
 * (printleader, <unfinished ...>, <... resumed>, the -f/-o prefixes, -c's table) so that the
 * two can be compared line by line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/utrace_strace.h>

_Static_assert(sizeof(struct utrace_strace_record) == 96, "record layout");

#define ARRAY_SIZE(a)	((long)(sizeof(a) / sizeof((a)[0])))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

struct sysent {
	const char *name;
	int nargs;
	const char *cls;	/* per argument, for the decoded output: see gen-syscall-table */
};

#include "syscallent.h"
#include "xlat.h"

#define NSYSCALLS	ARRAY_SIZE(sysent)
#define NERRNOS		ARRAY_SIZE(errnoent)
#define ACOLUMN		40
#define MAX_ERRNO	4095
/* x86_64 system call numbers (syscallent.h is x86_64's table) */
#define NR_EXECVE	59
#define NR_EXECVEAT	322
#define NR_MMAP		9
#define NR_BRK		12
#define NR_MREMAP	25
#define NR_SHMAT	30
#define REC_BATCH	512

static const char *progname = "utrace-strace";

/* Options. */
static int followfork;		/* -f: 1, -ff: 2 */
static bool output_separately;	/* -ff with -o */
static const char *outfname;
static int qflag;		/* -q, -qq, -qqq */
static bool cflag;
static bool raw_args;		/* -e raw=all */
static bool xlat_raw;		/* -X raw */
static bool print_pid_pfx;
static const char *replay_file;
static unsigned char *trace_set;	/* NULL: all; else one byte per syscall number */
static bool trace_unknown = true;	/* numbers beyond the table */

/* One traced thread, strace's struct tcb. */
struct tcb {
	struct tcb *next;	/* hash chain */
	int tid;
	int tgid;
	bool live;		/* attached, not dead nor detached */
	bool in_syscall;
	bool filtered;		/* this syscall is not shown */
	bool hide_log;		/* before the command's exec (strace's TCB_HIDE_LOG) */
	bool check_exec;	/* the first exec: hide again if it fails */
	bool exit_pending;	/* group leader dead, its +++ line waits for the group */
	bool reprint;		/* print "<... NAME resumed>" even with -ff (strace's TCB_REPRINT) */
	int exit_status;
	long nr;
	uint64_t args[6];
	int exit_arg;		/* decoded: the first argument printed at the exit, or -1 */
	struct dpiece *dp;	/* the DATA records before the next entry or exit record */
	int ndp, dpcap;
	uint64_t entry_ns;
	int curcol;
	FILE *outf;
};

#define TCB_HASH 16384
static struct tcb *tcb_tab[TCB_HASH];
static struct tcb *printing_tcp;
static FILE *shared_log;
static int nprocs;		/* threads shown as traced: strace's nprocs */
static int nlive;		/* threads attached and not dead nor detached */
static pid_t strace_child;
static int exit_code;
static bool child_done;
static bool detaching;		/* DETACH_ALL asked */
static volatile sig_atomic_t interrupted;	/* set by the signal handler */

/* -c */
struct call_counts {
	uint64_t time_ns;
	uint64_t calls, errors;
};
static struct call_counts *counts;

static void verror_msg(const char *fmt, va_list ap)
{
	fflush(NULL);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __printf(1, 2)
error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_msg(fmt, ap);
	va_end(ap);
}

static void __printf(1, 2) __noreturn
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_msg(fmt, ap);
	va_end(ap);
	exit(1);
}

static void __noreturn try_help(void)
{
	fprintf(stderr, "Try '%s -h' for more information.\n", progname);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-f|-ff] [-qq] [-c] [-o FILE] [-e trace=NAME,...] [-e raw=all] [-X raw]\n"
		"       %*s [-p PID]... [-- CMD [ARGS]]\n"
		"strace's options, for what it supports:\n"
		"  -f             follow forks and threads; -ff with -o: one FILE.TID per thread\n"
		"  -o FILE        write the trace to FILE instead of stderr\n"
		"  -e trace=SET   only these syscalls (names, comma-separated; !SET, all, none)\n"
		"  -e raw=all     print arguments raw, in hex\n"
		"  -X raw         print constants (siginfo) as numbers\n"
		"  -q, -qq        quieter: no attach/detach messages; -qq: no exit lines\n"
		"  -c             count time, calls and errors per syscall, print a summary\n"
		"  -p PID         attach to PID and all its threads (repeatable)\n"
		"  -h             this help\n",
		progname, (int)strlen(progname), "");
}

/* --- the thread table ------------------------------------------------------------------ */

static struct tcb **tcb_slot(int tid)
{
	struct tcb **pp = &tcb_tab[(unsigned int)tid % TCB_HASH];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	return pp;
}

static struct tcb *pid2tcb(int tid)
{
	return *tcb_slot(tid);
}

static FILE *open_output(const char *name)
{
	FILE *f = fopen(name, "we");	/* close-on-exec: the tracee must not inherit it */

	if (!f)
		die("Can't fopen '%s': %s", name, strerror(errno));
	return f;
}

static void tcb_open_file(struct tcb *tcp)
{
	char name[PATH_MAX];

	if (!output_separately) {
		tcp->outf = shared_log;
		return;
	}
	if (snprintf(name, sizeof(name), "%s.%d", outfname, tcp->tid) >= (int)sizeof(name))
		die("output file name too long: %s.%d", outfname, tcp->tid);
	tcp->outf = open_output(name);
}

static struct tcb *alloctcb(int tid, int tgid)
{
	struct tcb **pp = tcb_slot(tid);
	struct tcb *tcp = *pp;

	if (!tcp) {
		tcp = calloc(1, sizeof(*tcp));
		if (!tcp)
			die("out of memory");
		tcp->tid = tid;
		*pp = tcp;
	} else if (tcp->live) {
		return tcp;
	} else if (tcp->outf && tcp->outf != shared_log) {
		fclose(tcp->outf);
	}
	tcp->tgid = tgid;
	tcp->live = true;
	tcp->in_syscall = false;
	tcp->hide_log = false;
	tcp->check_exec = false;
	tcp->exit_pending = false;
	tcp->ndp = 0;
	tcp->curcol = 0;
	tcp->outf = NULL;
	tcb_open_file(tcp);
	nprocs++;
	nlive++;
	return tcp;
}

/* strace's droptcb: the thread is gone from the output. */
static void droptcb(struct tcb *tcp)
{
	struct tcb **pp = tcb_slot(tcp->tid);

	if (tcp->curcol != 0 && (output_separately || printing_tcp == tcp)) {
		fprintf(tcp->outf, " <detached ...>\n");
		tcp->curcol = 0;
	}
	if (printing_tcp == tcp)
		printing_tcp = NULL;
	if (tcp->outf && tcp->outf != shared_log)
		fclose(tcp->outf);
	nprocs--;
	*pp = tcp->next;
	free(tcp->dp);
	free(tcp);
}

/* --- output, strace's tprintf/printleader/tabto/line_ended ------------------------------ */

static void __printf(2, 3)
tprintf(struct tcb *tcp, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(tcp->outf, fmt, ap);
	va_end(ap);
	if (n > 0)
		tcp->curcol += n;
}

/*
 * What a line per system call prints goes without vfprintf(): names, separators, numbers
 * and padding. Parsing printf formats was a quarter of all samples of a system-wide profile
 * of a traced getppid() loop (Documentation/notes-issue14.md). One thread writes every
 * stream, so the _unlocked stdio calls skip the stream lock.
 */
static void tputn(struct tcb *tcp, const char *s, size_t n)
{
	fwrite_unlocked(s, 1, n, tcp->outf);
	tcp->curcol += n;
}

static void tprints(struct tcb *tcp, const char *s)
{
	tputn(tcp, s, strlen(s));
}

static void tpad(struct tcb *tcp, int n)
{
	static const char blanks[] = "                                        ";

	while (n > 0) {
		int k = n < (int)sizeof(blanks) - 1 ? n : (int)sizeof(blanks) - 1;

		tputn(tcp, blanks, k);
		n -= k;
	}
}

/* @v's digits in @base (lower-case), written backwards from @end; returns the first. */
static char *digits(char *end, uint64_t v, unsigned int base)
{
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

/* "%" PRIu64, right-aligned in @width ("%5u"), or left-aligned if @width < 0 ("%-5u"). */
static void tprint_u(struct tcb *tcp, uint64_t v, int width)
{
	char buf[24], *end = buf + sizeof(buf), *p = digits(end, v, 10);
	int n = end - p;

	if (width > n)
		tpad(tcp, width - n);
	tputn(tcp, p, n);
	if (-width > n)
		tpad(tcp, -width - n);
}

/* "%" PRId64 */
static void tprint_d(struct tcb *tcp, int64_t v)
{
	if (v < 0) {
		tputn(tcp, "-", 1);
		tprint_u(tcp, -(uint64_t)v, 0);
	} else {
		tprint_u(tcp, v, 0);
	}
}

/* "%#" PRIx64: 0x and lower-case hex digits, plain 0 for zero */
static void tprint_x(struct tcb *tcp, uint64_t v)
{
	char buf[24], *end = buf + sizeof(buf), *p = digits(end, v, 16);

	if (v) {
		*--p = 'x';
		*--p = '0';
	}
	tputn(tcp, p, end - p);
}

static void tabto(struct tcb *tcp)
{
	if (tcp->curcol < ACOLUMN)
		tpad(tcp, ACOLUMN - tcp->curcol);
}

static void line_ended(struct tcb *tcp)
{
	tcp->curcol = 0;
	if (printing_tcp) {
		printing_tcp->curcol = 0;
		printing_tcp = NULL;
	}
}

static void printleader(struct tcb *tcp)
{
	if (output_separately)
		printing_tcp = tcp;
	if (printing_tcp && printing_tcp->curcol != 0 &&
	    (!output_separately || printing_tcp == tcp)) {
		fputs(" <unfinished ...>\n", printing_tcp->outf);
		printing_tcp->curcol = 0;
	}
	printing_tcp = tcp;
	tcp->curcol = 0;
	if (print_pid_pfx) {
		tprint_u(tcp, (unsigned int)tcp->tid, -5);	/* "%-5u " */
		tputn(tcp, " ", 1);
	} else if (nprocs > 1 && !outfname) {
		tputn(tcp, "[pid ", 5);				/* "[pid %5u] " */
		tprint_u(tcp, (unsigned int)tcp->tid, 5);
		tputn(tcp, "] ", 2);
	}
}

/* --- names ----------------------------------------------------------------------------- */

static const char *const signalent[] = {
	"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
	"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	"SIGIO", "SIGPWR", "SIGSYS", "SIGRTMIN",
};

/* strace's signame(): NULL if it has no name. */
static const char *signame(long sig)
{
	static char buf[32];

	if (sig > 0 && sig < ARRAY_SIZE(signalent))
		return signalent[sig];
	if (sig > 32 && sig <= 64) {
		snprintf(buf, sizeof(buf), "SIGRT_%ld", sig - 32);
		return buf;
	}
	return NULL;
}

static const char *sprintsigname(long sig)
{
	static char buf[32];
	const char *s = signame(sig);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "%ld", sig);
	return buf;
}

static const char *err_name(uint64_t err)
{
	return err < (uint64_t)NERRNOS ? errnoent[err] : NULL;
}

static const char *sc_name(long nr)
{
	static char buf[32];

	if (nr >= 0 && nr < NSYSCALLS && sysent[nr].name)
		return sysent[nr].name;
	snprintf(buf, sizeof(buf), "syscall_%#lx", (unsigned long)nr);
	return buf;
}

static int sc_nargs(long nr)
{
	if (nr >= 0 && nr < NSYSCALLS && sysent[nr].name)
		return sysent[nr].nargs;
	return 6;
}

static long sc_lookup(const char *name)
{
	for (long i = 0; i < NSYSCALLS; i++)
		if (sysent[i].name && !strcmp(sysent[i].name, name))
			return i;
	return -1;
}

/* strace 6.1's syscall classes for -e trace=%CLASS (its TRACE_* flags on x86_64). */
static const char *const class_process[] = {
	"clone", "clone3", "execve", "execveat", "exit", "exit_group", "fork", "kill",
	"pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "tkill",
	"vfork", "wait4", "waitid", NULL
};
static const char *const class_signal[] = {
	"io_uring_enter", "kill", "pause", "pidfd_send_signal", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4",
	"tgkill", "tkill", NULL
};
static const char *const class_network[] = {
	"accept", "accept4", "bind", "connect", "getpeername", "getpmsg", "getsockname",
	"getsockopt", "listen", "putpmsg", "recvfrom", "recvmmsg", "recvmsg", "sendfile",
	"sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket", "socketpair", NULL
};
static const char *const class_memory[] = {
	"brk", "get_mempolicy", "io_destroy", "io_setup", "io_uring_register", "madvise",
	"mbind", "migrate_pages", "mincore", "mlock", "mlock2", "mlockall", "mmap",
	"move_pages", "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap",
	"pkey_mprotect", "remap_file_pages", "set_mempolicy", "set_mempolicy_home_node",
	"shmat", "shmdt", NULL
};
static const char *const class_file[] = {
	"access", "acct", "chdir", "chmod", "chown", "chroot", "creat", "execve", "execveat",
	"faccessat", "faccessat2", "fanotify_mark", "fchmodat", "fchownat", "fsconfig",
	"fspick", "futimesat", "getcwd", "getxattr", "inotify_add_watch", "lchown",
	"lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr",
	"lstat", "mkdir", "mkdirat", "mknod", "mknodat", "mount", "mount_setattr",
	"move_mount", "name_to_handle_at", "newfstatat", "open", "open_tree", "openat",
	"openat2", "pivot_root", "quotactl", "readlink", "readlinkat", "removexattr", "rename",
	"renameat", "renameat2", "rmdir", "setxattr", "stat", "statfs", "statx", "swapoff",
	"swapon", "symlink", "symlinkat", "truncate", "umount2", "unlink", "unlinkat",
	"uselib", "utime", "utimensat", "utimes", NULL
};
static const char *const class_desc[] = {
	"bpf", "close", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd",
	"eventfd2", "execveat", "faccessat", "faccessat2", "fadvise64", "fallocate",
	"fanotify_init", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat",
	"fcntl", "fdatasync", "fgetxattr", "finit_module", "flistxattr", "flock",
	"fremovexattr", "fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat",
	"fstatfs", "fsync", "ftruncate", "futimesat", "getdents", "getdents64",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_uring_enter", "io_uring_register", "io_uring_setup", "ioctl", "kexec_file_load",
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "linkat",
	"lseek", "memfd_create", "memfd_secret", "mkdirat", "mknodat", "mmap", "mount_setattr",
	"move_mount", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedsend", "name_to_handle_at", "newfstatat", "open", "open_by_handle_at",
	"open_tree", "openat", "openat2", "perf_event_open", "pidfd_getfd", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "poll", "ppoll", "pread64", "preadv", "preadv2",
	"process_madvise", "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2",
	"quotactl_fd", "read", "readahead", "readlinkat", "readv", "renameat", "renameat2",
	"select", "sendfile", "setns", "signalfd", "signalfd4", "splice", "statx", "symlinkat",
	"sync_file_range", "syncfs", "tee", "timerfd_create", "timerfd_gettime",
	"timerfd_settime", "unlinkat", "userfaultfd", "utimensat", "vmsplice", "write",
	"writev", NULL
};
static const char *const class_ipc[] = {
	"msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
	"shmat", "shmctl", "shmdt", "shmget", NULL
};
static const struct {
	const char *name;
	const char *const *list;
} trace_classes[] = {
	{ "%process", class_process },
	{ "%signal", class_signal },
	{ "%network", class_network },
	{ "%memory", class_memory },
	{ "%file", class_file },
	{ "%desc", class_desc },
	{ "%ipc", class_ipc },
};

/* Set (or clear) the syscalls of a class in trace_set; false if there is no such class. */
static bool qualify_class(const char *name, bool on)
{
	for (long i = 0; i < ARRAY_SIZE(trace_classes); i++) {
		if (strcmp(trace_classes[i].name, name))
			continue;
		for (const char *const *p = trace_classes[i].list; *p; p++) {
			long nr = sc_lookup(*p);

			if (nr >= 0)
				trace_set[nr] = on;
		}
		return true;
	}
	return false;
}

static bool traced(long nr)
{
	if (!trace_set)
		return true;
	if (nr < 0 || nr >= NSYSCALLS)
		return trace_unknown;
	return trace_set[nr];
}

/* --- syscalls -------------------------------------------------------------------------- */

/* The calls strace prints in hex when it decodes (RVAL_HEX), the rest in decimal. */
static bool rval_hex(long nr)
{
	return nr == NR_MMAP || nr == NR_BRK || nr == NR_MREMAP || nr == NR_SHMAT;
}

/* --- tracee memory: the DATA records, for the decoded output --------------------------- */

/* One DATA record, kept for the entry or exit record of its thread that follows it. */
struct dpiece {
	int nr;			/* argument index | (element + 1) << 8 */
	uint32_t flags;		/* UTRACE_STRACE_RF_DATA_* */
	int64_t ret;		/* bytes in @bytes, a count, or -EFAULT */
	unsigned char bytes[48];
};

#define DATA_PIECES_MAX	256	/* a syscall's records, at most: paths 86 each, an argv 33 */
#define DATA_ELEM(i, k)	((i) | ((k) + 1) << 8)

static void keep_data(struct tcb *tcp, const struct utrace_strace_record *r)
{
	struct dpiece *p;

	if (tcp->ndp == tcp->dpcap) {
		int cap = tcp->dpcap ? tcp->dpcap * 2 : 8;

		if (cap > DATA_PIECES_MAX)
			return;		/* not from this engine: the argument prints raw */
		p = realloc(tcp->dp, cap * sizeof(*p));
		if (!p)
			die("out of memory");
		tcp->dp = p;
		tcp->dpcap = cap;
	}
	p = &tcp->dp[tcp->ndp++];
	p->nr = (int)r->nr;
	p->flags = r->flags;
	p->ret = r->ret;
	memcpy(p->bytes, r->args, sizeof(p->bytes));
}

/*
 * The bytes the DATA records gave of object @nr, joined into @buf (at most @size); @flags
 * gets their flags. False if there is none, or it was unreadable (printed as an address).
 */
static bool get_data(struct tcb *tcp, int nr, unsigned char *buf, size_t size, size_t *len,
		     uint32_t *flags)
{
	bool found = false;

	*len = 0;
	*flags = 0;
	for (int i = 0; i < tcp->ndp; i++) {
		const struct dpiece *p = &tcp->dp[i];
		size_t n;

		if (p->nr != nr || (p->flags & UTRACE_STRACE_RF_DATA_COUNT))
			continue;
		if (p->ret < 0 || p->ret > (int64_t)sizeof(p->bytes))
			return false;
		n = p->ret;
		if (n > size - *len)
			n = size - *len;
		memcpy(buf + *len, p->bytes, n);
		*len += n;
		*flags = (*flags & ~UTRACE_STRACE_RF_DATA_MORE) | p->flags;
		found = true;
	}
	/* a last piece that says more follows: some were lost (a record flood's losses) */
	return found && !(*flags & UTRACE_STRACE_RF_DATA_MORE);
}

/* Whether the DATA records of argument @i are a string (a path). */
static bool is_string(struct tcb *tcp, int i)
{
	for (int k = 0; k < tcp->ndp; k++)
		if (tcp->dp[k].nr == i && (tcp->dp[k].flags & UTRACE_STRACE_RF_DATA_STR))
			return true;
	return false;
}

/* The length the COUNT record gave of the array argument @i (-1: none, or unreadable). */
static long get_count(struct tcb *tcp, int i, bool *trunc)
{
	for (int k = 0; k < tcp->ndp; k++) {
		const struct dpiece *p = &tcp->dp[k];

		if (p->nr == i && (p->flags & UTRACE_STRACE_RF_DATA_COUNT)) {
			*trunc = p->flags & UTRACE_STRACE_RF_DATA_TRUNC;
			return p->ret < 0 ? -1 : (long)p->ret;
		}
	}
	return -1;
}

/*
 * The classes strace's decoders give some calls' arguments, beyond gen-syscall-table's
 * letters (x86_64 numbers): s a path, b a buffer the call reads (its length the next
 * argument), B a buffer it fills (its length the return value), T a struct stat it fills,
 * O open flags, M open's mode (only with O_CREAT or O_TMPFILE), P mmap's prot, F mmap's
 * flags, A access's mode, Z fstatat's flags, R unlinkat's flags, X "%#llx", V an argv,
 * E an envp (address and count), C clone's arguments (all of them, its parent_tid, tls and
 * child_tidptr at the exit), K clone3's (its struct; what the call stored through it, at
 * the exit). B and T are printed at the exit, with every argument after them, as strace
 * does.
 */
static const char *decoded_classes(long nr)
{
	switch (nr) {
	case 0:		return "dBU";		/* read */
	case 1:		return "dbU";		/* write */
	case 2:		return "sOM";		/* open */
	case 4:		return "sT";		/* stat */
	case 5:		return "dT";		/* fstat */
	case 6:		return "sT";		/* lstat */
	case 9:		return "pUPFdX";	/* mmap */
	case 10:	return "pUP";		/* mprotect */
	case 17:	return "dBUD";		/* pread64 */
	case 18:	return "dbUD";		/* pwrite64 */
	case 21:	return "sA";		/* access */
	case 56:	return "CCCCC";		/* clone */
	case 435:	return "KK";		/* clone3 */
	case 59:	return "sVE";		/* execve */
	case 76:	return "sD";		/* truncate */
	case 80:	return "s";		/* chdir */
	case 82:	return "ss";		/* rename */
	case 83:	return "so";		/* mkdir */
	case 84:	return "s";		/* rmdir */
	case 85:	return "so";		/* creat */
	case 86:	return "ss";		/* link */
	case 87:	return "s";		/* unlink */
	case 88:	return "ss";		/* symlink */
	case 89:	return "sBU";		/* readlink */
	case 90:	return "so";		/* chmod */
	case 161:	return "s";		/* chroot */
	case 257:	return "asOM";		/* openat */
	case 258:	return "aso";		/* mkdirat */
	case 262:	return "asTZ";		/* newfstatat */
	case 263:	return "asR";		/* unlinkat */
	case 267:	return "asBU";		/* readlinkat */
	case 269:	return "asA";		/* faccessat */
	}
	return NULL;
}

static bool exit_class(char cls)
{
	return cls == 'B' || cls == 'T';
}

static void tputs_fmt(struct tcb *tcp, int (*fmt)(char *, size_t, uint64_t), uint64_t v)
{
	char buf[512];

	tputn(tcp, buf, fmt(buf, sizeof(buf), v));
}

/* A path, a buffer or a string array element (object @nr) quoted, or false (no data). */
static bool print_quoted(struct tcb *tcp, int nr, int style, uint64_t total)
{
	unsigned char data[FMT_MAX_PATHLEN + 1 + 48];
	char out[4 * sizeof(data) + 16];
	size_t len;
	uint32_t flags;

	if (!get_data(tcp, nr, data, sizeof(data), &len, &flags))
		return false;
	if (style == QUOTE_PATH)
		total = (flags & UTRACE_STRACE_RF_DATA_TRUNC) ? len + 1 : len;
	else if (flags & UTRACE_STRACE_RF_DATA_STR)
		total = len;	/* an argv element: its whole length is known */
	else if (!total)
		total = len + !!(flags & UTRACE_STRACE_RF_DATA_TRUNC);
	tputn(tcp, out, fmt_quoted(out, sizeof(out), data, len, total, style));
	return true;
}

/* execve's argv: ["a", "b"], its first -s elements (then ...), each cut at -s bytes. */
static bool print_argv(struct tcb *tcp, int i)
{
	static char elem[FMT_MAX_STRLEN][FMT_MAX_STRLEN + 2];
	const char *strs[FMT_MAX_STRLEN];
	char out[FMT_MAX_STRLEN * (4 * (FMT_MAX_STRLEN + 1) + 8) + 64];
	bool trunc = false;
	long n = get_count(tcp, i, &trunc);

	if (n < 0)
		return false;
	for (long k = 0; k < n && k < FMT_MAX_STRLEN; k++) {
		size_t len;
		uint32_t flags;

		strs[k] = NULL;		/* unreadable: printed as NULL */
		if (get_data(tcp, DATA_ELEM(i, k), (unsigned char *)elem[k],
			     FMT_MAX_STRLEN + 1, &len, &flags)) {
			elem[k][len] = 0;
			strs[k] = elem[k];
		}
	}
	tputn(tcp, out, fmt_strv(out, sizeof(out), strs, NULL, n, 0));
	return true;
}

/* execve's envp: its address and its length, "0x7ffd... / * 12 vars * /" */
static bool print_envp(struct tcb *tcp, int i, uint64_t v)
{
	bool trunc = false;
	long n = get_count(tcp, i, &trunc);
	char buf[80];

	if (n < 0)
		return false;
	tputn(tcp, buf, fmt_envp(buf, sizeof(buf), v, n, trunc));
	return true;
}

static bool print_stat(struct tcb *tcp, int i)
{
	unsigned char st[144];
	char out[256];
	size_t len;
	uint32_t flags;

	if (!get_data(tcp, i, st, sizeof(st), &len, &flags) || len != sizeof(st))
		return false;
	tputn(tcp, out, fmt_stat(out, sizeof(out), st));
	return true;
}

/*
 * One argument by its class (from its type in the kernel's prototype, or strace's decoder:
 * decoded_classes()); @ret is the return value at the exit.
 */
static void print_arg(struct tcb *tcp, char cls, int i, int64_t ret)
{
	uint64_t v = tcp->args[i];

	switch (cls) {
	case 'd':
		tprint_d(tcp, (int)v);
		return;
	case 'D':
		tprint_d(tcp, (int64_t)v);
		return;
	case 'u':
		tprint_u(tcp, (unsigned int)v, 0);
		return;
	case 'U':
		tprint_u(tcp, v, 0);
		return;
	case 'o':
	case 'M': {
		char buf[32];

		tputn(tcp, buf, fmt_mode(buf, sizeof(buf), (unsigned int)v));
		return;
	}
	case 'a':
		if ((int)v == -100)
			tprints(tcp, "AT_FDCWD");
		else
			tprint_d(tcp, (int)v);
		return;
	case 'O':
		tputs_fmt(tcp, fmt_open_flags, v);
		return;
	case 'P':
		tputs_fmt(tcp, fmt_mmap_prot, v);
		return;
	case 'F':
		tputs_fmt(tcp, fmt_mmap_flags, v);
		return;
	case 'A':
		tputs_fmt(tcp, fmt_access_mode, v);
		return;
	case 'Z':
		tputs_fmt(tcp, fmt_at_flags, v);
		return;
	case 'R':
		tputs_fmt(tcp, fmt_unlinkat_flags, v);
		return;
	case 's':
		if (v && print_quoted(tcp, i, QUOTE_PATH, 0))
			return;
		break;
	case 'b':
	case 'B': {
		/* strace's printstrn(): "" for an empty buffer, else its first -s bytes */
		uint64_t len = cls == 'b' ? tcp->args[i + 1] : (uint64_t)ret;

		if (!v || (cls == 'B' && ret < 0))
			break;
		if (!len) {
			tputn(tcp, "\"\"", 2);
			return;
		}
		if (print_quoted(tcp, i, QUOTE_BUF, len))
			return;
		break;
	}
	case 'T':
		if (v && ret == 0 && print_stat(tcp, i))
			return;
		break;
	case 'V':
		if (v && print_argv(tcp, i))
			return;
		break;
	case 'E':
		if (v && print_envp(tcp, i, v))
			return;
		break;
	case 'p':
		/* a path the engine recorded for a call without a decoder of its own */
		if (v && is_string(tcp, i) && print_quoted(tcp, i, QUOTE_PATH, 0))
			return;
		break;
	default:
		tprint_x(tcp, v);
		return;
	}
	/* A pointer: NULL, or its address when its memory was not recorded. */
	if (v)
		tprint_x(tcp, v);
	else
		tprints(tcp, "NULL");
}

/* An int the call stored (object @nr), or NULL. */
static const int *get_int(struct tcb *tcp, int nr, int *v)
{
	unsigned char b[sizeof(*v)];
	size_t len;
	uint32_t flags;

	if (!get_data(tcp, nr, b, sizeof(b), &len, &flags) || len != sizeof(b))
		return NULL;
	memcpy(v, b, sizeof(*v));
	return v;
}

/*
 * clone3(args, size) as strace prints it: the struct at the entry, and when the call
 * stores something through it (pidfd, parent_tid), " => {...}" and the size at the exit.
 */
static void print_clone3(struct tcb *tcp, bool exiting, int64_t ret)
{
	unsigned char args[88];
	char out[1024];
	size_t len = 0;
	uint32_t flags;
	int ptid, pidfd;

	if (!get_data(tcp, 0, args, sizeof(args), &len, &flags))
		len = 0;	/* printed as an address */
	if (!exiting) {
		tputn(tcp, out, fmt_clone3_entry(out, sizeof(out), args, len, tcp->args[0],
						 tcp->args[1], NULL, 0));
		if (fmt_clone3_has_exit(args, len, tcp->args[0], tcp->args[1])) {
			tcp->exit_arg = 0;
			return;
		}
	} else if (ret >= 0) {
		tputn(tcp, out, fmt_clone3_exit(out, sizeof(out), args, len, tcp->args[0],
						tcp->args[1], get_int(tcp, DATA_ELEM(0, 0), &ptid),
						get_int(tcp, DATA_ELEM(0, 1), &pidfd)));
	}
	tputn(tcp, ", ", 2);
	tprint_u(tcp, tcp->args[1], 0);
}

/* The classes of the current call's arguments, NULL for raw (hex) ones. */
static const char *arg_classes(struct tcb *tcp, int n)
{
	const char *cls;

	if (raw_args || tcp->nr < 0 || tcp->nr >= NSYSCALLS)
		return NULL;
	cls = decoded_classes(tcp->nr);
	if (cls && (int)strlen(cls) == n)
		return cls;
	cls = sysent[tcp->nr].cls;
	return cls && (int)strlen(cls) == n ? cls : NULL;
}

/* The arguments strace prints at the entry: up to the first one filled by the call. */
static void print_args(struct tcb *tcp)
{
	int n = sc_nargs(tcp->nr);
	const char *cls = arg_classes(tcp, n);

	tcp->exit_arg = -1;
	if (cls && cls[0] == 'C') {
		char buf[512];

		tputn(tcp, buf, fmt_clone_args(buf, sizeof(buf), tcp->args));
		if (fmt_clone_has_exit(tcp->args))
			tcp->exit_arg = 0;	/* its ", child_tidptr=..." part */
		return;
	}
	if (cls && cls[0] == 'K') {
		print_clone3(tcp, false, 0);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (cls && cls[i] == 'M' && !fmt_open_has_mode(tcp->args[i - 1]))
			return;
		if (i)
			tputn(tcp, ", ", 2);
		if (cls && exit_class(cls[i])) {
			tcp->exit_arg = i;
			return;
		}
		print_arg(tcp, cls ? cls[i] : 'x', i, 0);
	}
}

/* The arguments strace prints at the exit (read's buffer and what follows it). */
static void print_exit_args(struct tcb *tcp, int64_t ret)
{
	int n = sc_nargs(tcp->nr);
	const char *cls = arg_classes(tcp, n);

	if (tcp->exit_arg < 0 || !cls)
		return;
	if (cls[0] == 'K') {
		print_clone3(tcp, true, ret);
		return;
	}
	if (cls[0] == 'C') {
		char buf[512];
		unsigned char ptid[4] = { 0 };
		size_t len;
		uint32_t flags;
		int v;
		bool have = ret >= 0 && get_data(tcp, 2, ptid, sizeof(ptid), &len, &flags) &&
			    len == sizeof(ptid);

		memcpy(&v, ptid, sizeof(v));
		tputn(tcp, buf, fmt_clone_exit(buf, sizeof(buf), tcp->args, have ? &v : NULL));
		return;
	}
	for (int i = tcp->exit_arg; i < n; i++) {
		if (i > tcp->exit_arg)
			tputn(tcp, ", ", 2);
		print_arg(tcp, cls[i], i, ret);
	}
}

static void print_syscall_resume(struct tcb *tcp)
{
	if ((!output_separately && printing_tcp != tcp) || tcp->reprint) {
		tcp->reprint = false;
		printleader(tcp);
		tprintf(tcp, "<... %s resumed>", sc_name(tcp->nr));
	}
}

static void print_err_ret(struct tcb *tcp, uint64_t err)
{
	const char *name = err_name(err);

	if (name)
		tprintf(tcp, "= -1 %s (%s)", name, strerror((int)err));
	else
		tprintf(tcp, "= -1 (errno %" PRIu64 ")", err);
}

static void print_retval(struct tcb *tcp, int64_t ret)
{
	uint64_t err = 0;

	if (ret < 0 && ret >= -MAX_ERRNO)
		err = -ret;
	if (raw_args) {
		if (err) {
			print_err_ret(tcp, err);
		} else {
			tputn(tcp, "= ", 2);
			tprint_x(tcp, ret);
		}
		return;
	}
	switch (err) {
	case 0:
		tputn(tcp, "= ", 2);
		if (rval_hex(tcp->nr))
			tprint_x(tcp, ret);
		else
			tprint_d(tcp, ret);
		break;
	case 512:
		tprints(tcp, "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
		break;
	case 513:
		tprints(tcp, "= ? ERESTARTNOINTR (To be restarted)");
		break;
	case 514:
		tprints(tcp, "= ? ERESTARTNOHAND (To be restarted if no handler)");
		break;
	case 516:
		tprints(tcp, "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
		break;
	default:
		print_err_ret(tcp, err);
	}
}

static void syscall_entry(struct tcb *tcp, const struct utrace_strace_record *r)
{
	if (tcp->in_syscall && !tcp->filtered && tcp->curcol != 0 && printing_tcp == tcp) {
		/* An entry without its exit: close the line as strace would. */
		fputs(" <unfinished ...>\n", tcp->outf);
		line_ended(tcp);
	}
	tcp->in_syscall = true;
	tcp->nr = r->nr;
	memcpy(tcp->args, r->args, sizeof(tcp->args));
	tcp->entry_ns = r->time_ns;
	tcp->exit_arg = -1;
	if (tcp->hide_log && (r->nr == NR_EXECVE || r->nr == NR_EXECVEAT)) {
		tcp->hide_log = false;
		tcp->check_exec = true;
	}
	tcp->filtered = tcp->hide_log || !traced(r->nr);
	if (tcp->filtered || cflag)
		return;
	printleader(tcp);
	tprints(tcp, sc_name(tcp->nr));
	tputn(tcp, "(", 1);
	print_args(tcp);
}

static void count_syscall(struct tcb *tcp, const struct utrace_strace_record *r)
{
	struct call_counts *cc;

	if (tcp->nr < 0 || tcp->nr >= NSYSCALLS || !sysent[tcp->nr].name)
		return;		/* strace -c counts only the calls it has a name for */
	if (!counts) {
		counts = calloc(NSYSCALLS, sizeof(*counts));
		if (!counts)
			die("out of memory");
	}
	cc = &counts[tcp->nr];
	cc->calls++;
	if (r->ret < 0 && r->ret >= -MAX_ERRNO)
		cc->errors++;
	if (r->time_ns > tcp->entry_ns)
		cc->time_ns += r->time_ns - tcp->entry_ns;
}

static void syscall_exit(struct tcb *tcp, const struct utrace_strace_record *r)
{
	if (!tcp->in_syscall) {
		/* Attached in the middle of this call: only its exit is known. */
		tcp->nr = r->nr;
		tcp->entry_ns = r->time_ns;
		tcp->filtered = tcp->hide_log || !traced(r->nr);
		tcp->exit_arg = -1;
		if (!tcp->filtered && !cflag) {
			printleader(tcp);
			tprintf(tcp, "<... %s resumed>", sc_name(tcp->nr));
		}
	}
	tcp->in_syscall = false;
	if (tcp->check_exec) {
		tcp->check_exec = false;
		if (r->ret < 0 && r->ret >= -MAX_ERRNO)
			tcp->hide_log = true;
	}
	if (tcp->filtered)
		return;
	if (cflag) {
		count_syscall(tcp, r);
		return;
	}
	print_syscall_resume(tcp);
	printing_tcp = tcp;
	print_exit_args(tcp, r->ret);
	tputn(tcp, ") ", 2);
	tabto(tcp);
	print_retval(tcp, r->ret);
	tputn(tcp, "\n", 1);
	line_ended(tcp);
}

/* strace's print_event_exit: the thread died inside a syscall. */
static void print_event_exit(struct tcb *tcp)
{
	if (!tcp->in_syscall || tcp->filtered || cflag)
		return;
	if (!output_separately && printing_tcp && printing_tcp != tcp &&
	    printing_tcp->curcol != 0) {
		fputs(" <unfinished ...>\n", printing_tcp->outf);
		printing_tcp->curcol = 0;
	}
	print_syscall_resume(tcp);
	printing_tcp = tcp;
	tprints(tcp, ") ");
	tabto(tcp);
	tprints(tcp, "= ?\n");
	line_ended(tcp);
}

/* --- signals: the raw kernel_siginfo of the record, as strace's printsiginfo --------------- */

static int32_t si_s32(const struct utrace_strace_record *r, int off)
{
	int32_t v;

	memcpy(&v, (const char *)r->args + off, sizeof(v));
	return v;
}

static uint64_t si_u64(const struct utrace_strace_record *r, int off)
{
	uint64_t v;

	memcpy(&v, (const char *)r->args + off, sizeof(v));
	return v;
}

struct xlat {
	int val;
	const char *str;
};

static const struct xlat siginfo_codes[] = {
	{ 0, "SI_USER" }, { 0x80, "SI_KERNEL" }, { -1, "SI_QUEUE" }, { -2, "SI_TIMER" },
	{ -3, "SI_MESGQ" }, { -4, "SI_ASYNCIO" }, { -5, "SI_SIGIO" }, { -6, "SI_TKILL" },
	{ -7, "SI_DETHREAD" }, { -60, "SI_ASYNCNL" }, { 0, NULL }
};
static const struct xlat sigchld_codes[] = {
	{ 1, "CLD_EXITED" }, { 2, "CLD_KILLED" }, { 3, "CLD_DUMPED" }, { 4, "CLD_TRAPPED" },
	{ 5, "CLD_STOPPED" }, { 6, "CLD_CONTINUED" }, { 0, NULL }
};
static const struct xlat sigsegv_codes[] = {
	{ 1, "SEGV_MAPERR" }, { 2, "SEGV_ACCERR" }, { 3, "SEGV_BNDERR" }, { 4, "SEGV_PKUERR" },
	{ 5, "SEGV_ACCADI" }, { 6, "SEGV_ADIDERR" }, { 7, "SEGV_ADIPERR" },
	{ 8, "SEGV_MTEAERR" }, { 9, "SEGV_MTESERR" }, { 10, "SEGV_CPERR" }, { 0, NULL }
};
static const struct xlat sigbus_codes[] = {
	{ 1, "BUS_ADRALN" }, { 2, "BUS_ADRERR" }, { 3, "BUS_OBJERR" }, { 4, "BUS_MCEERR_AR" },
	{ 5, "BUS_MCEERR_AO" }, { 0, NULL }
};
static const struct xlat sigill_codes[] = {
	{ 1, "ILL_ILLOPC" }, { 2, "ILL_ILLOPN" }, { 3, "ILL_ILLADR" }, { 4, "ILL_ILLTRP" },
	{ 5, "ILL_PRVOPC" }, { 6, "ILL_PRVREG" }, { 7, "ILL_COPROC" }, { 8, "ILL_BADSTK" },
	{ 9, "ILL_BADIADDR" }, { 0, NULL }
};
static const struct xlat sigfpe_codes[] = {
	{ 1, "FPE_INTDIV" }, { 2, "FPE_INTOVF" }, { 3, "FPE_FLTDIV" }, { 4, "FPE_FLTOVF" },
	{ 5, "FPE_FLTUND" }, { 6, "FPE_FLTRES" }, { 7, "FPE_FLTINV" }, { 8, "FPE_FLTSUB" },
	{ 9, "FPE_FLTUNK" }, { 10, "FPE_CONDTRAP" }, { 0, NULL }
};
static const struct xlat sigtrap_codes[] = {
	{ 1, "TRAP_BRKPT" }, { 2, "TRAP_TRACE" }, { 3, "TRAP_BRANCH" }, { 4, "TRAP_HWBKPT" },
	{ 5, "TRAP_UNK" }, { 6, "TRAP_PERF" }, { 0, NULL }
};
static const struct xlat sigpoll_codes[] = {
	{ 1, "POLL_IN" }, { 2, "POLL_OUT" }, { 3, "POLL_MSG" }, { 4, "POLL_ERR" },
	{ 5, "POLL_PRI" }, { 6, "POLL_HUP" }, { 0, NULL }
};
static const struct xlat sigsys_codes[] = {
	{ 1, "SYS_SECCOMP" }, { 2, "SYS_USER_DISPATCH" }, { 0, NULL }
};

static const char *xlookup(const struct xlat *x, int val)
{
	for (; x->str; x++)
		if (x->val == val)
			return x->str;
	return NULL;
}

static void print_si_code(struct tcb *tcp, int code, int signo)
{
	const struct xlat *x = NULL;
	const char *s = NULL;

	if (!xlat_raw) {
		s = xlookup(siginfo_codes, code);
		switch (signo) {
		case SIGCHLD:
			x = sigchld_codes;
			break;
		case SIGSEGV:
			x = sigsegv_codes;
			break;
		case SIGBUS:
			x = sigbus_codes;
			break;
		case SIGILL:
			x = sigill_codes;
			break;
		case SIGFPE:
			x = sigfpe_codes;
			break;
		case SIGTRAP:
			x = sigtrap_codes;
			break;
		case SIGIO:
			x = sigpoll_codes;
			break;
		case SIGSYS:
			x = sigsys_codes;
			break;
		}
		if (!s && x)
			s = xlookup(x, code);
	}
	if (s)
		tprints(tcp, s);
	else if (code)
		tprintf(tcp, "%#x", (unsigned int)code);
	else
		tprints(tcp, "0");
}

static void printsignal(struct tcb *tcp, long sig)
{
	const char *s = signame(sig);

	if (!s || xlat_raw)
		tprintf(tcp, "%ld", sig);
	else
		tprints(tcp, s);
}

static void print_ptr(struct tcb *tcp, const char *field, uint64_t v)
{
	if (v)
		tprintf(tcp, ", %s=%#" PRIx64, field, v);
	else
		tprintf(tcp, ", %s=NULL", field);
}

static void print_clock_t(struct tcb *tcp, const char *field, uint64_t v)
{
	tprintf(tcp, ", %s=%" PRIu64, field, v);
	if (!xlat_raw && v > 0)
		tprintf(tcp, " /* %" PRIu64 ".%02" PRIu64 " s */", v / 100, v % 100);
}

static void printsigsource(struct tcb *tcp, const struct utrace_strace_record *r)
{
	uint32_t uid = si_s32(r, 20);

	tprintf(tcp, ", si_pid=%d", si_s32(r, 16));
	if (uid == (uint32_t)-1)
		tprints(tcp, ", si_uid=-1");
	else
		tprintf(tcp, ", si_uid=%u", uid);
}

static void printsigval(struct tcb *tcp, const struct utrace_strace_record *r)
{
	tprintf(tcp, ", si_int=%d", si_s32(r, 24));
	print_ptr(tcp, "si_ptr", si_u64(r, 24));
}

static void print_si_info(struct tcb *tcp, const struct utrace_strace_record *r)
{
	int signo = si_s32(r, 0), err = si_s32(r, 4), code = si_s32(r, 8);

	if (err) {
		const char *e = err > 0 ? err_name(err) : NULL;

		if (e && !xlat_raw)
			tprintf(tcp, ", si_errno=%s", e);
		else
			tprintf(tcp, ", si_errno=%u", (unsigned int)err);
	}
	if (code <= 0) {
		switch (code) {
		case 0:		/* SI_USER */
		case -6:	/* SI_TKILL */
			printsigsource(tcp, r);
			break;
		case -2:	/* SI_TIMER */
			tprintf(tcp, ", si_timerid=%#x, si_overrun=%d", si_s32(r, 16), si_s32(r, 20));
			printsigval(tcp, r);
			break;
		case -5:	/* SI_SIGIO */
			tprintf(tcp, ", si_band=%" PRId64 ", si_fd=%d", (int64_t)si_u64(r, 16),
				si_s32(r, 24));
			break;
		default:
			printsigsource(tcp, r);
			if (si_u64(r, 24))
				printsigval(tcp, r);
		}
		return;
	}
	switch (signo) {
	case SIGCHLD:
		printsigsource(tcp, r);
		if (code == 1) {
			tprintf(tcp, ", si_status=%d", si_s32(r, 24));
		} else {
			tprints(tcp, ", si_status=");
			printsignal(tcp, si_s32(r, 24));
		}
		print_clock_t(tcp, "si_utime", si_u64(r, 32));
		print_clock_t(tcp, "si_stime", si_u64(r, 40));
		break;
	case SIGILL:
	case SIGFPE:
	case SIGSEGV:
	case SIGTRAP:
		print_ptr(tcp, "si_addr", si_u64(r, 16));
		if (signo == SIGSEGV && code == 3) {
			print_ptr(tcp, "si_lower", si_u64(r, 32));
			print_ptr(tcp, "si_upper", si_u64(r, 40));
		} else if (signo == SIGSEGV && code == 4) {
			tprintf(tcp, ", si_pkey=%u", (uint32_t)si_s32(r, 32));
		} else if (signo == SIGTRAP && code == 6) {
			tprintf(tcp, ", si_perf_data=%#" PRIx64 ", si_perf_type=%u, si_perf_flags=%#x",
				si_u64(r, 24), (uint32_t)si_s32(r, 32), (uint32_t)si_s32(r, 36));
		}
		break;
	case SIGBUS:
		print_ptr(tcp, "si_addr", si_u64(r, 16));
		if (code == 4 || code == 5)
			tprintf(tcp, ", si_addr_lsb=%#x", (unsigned int)(uint16_t)si_s32(r, 24));
		break;
	case SIGIO:
		if (code >= 1 && code <= 6)
			tprintf(tcp, ", si_band=%" PRId64 ", si_fd=%d", (int64_t)si_u64(r, 16),
				si_s32(r, 24));
		break;
	case SIGSYS:
		print_ptr(tcp, "si_call_addr", si_u64(r, 16));
		if (xlat_raw)
			tprintf(tcp, ", si_syscall=%d, si_arch=%#x", si_s32(r, 24),
				(uint32_t)si_s32(r, 28));
		else
			tprintf(tcp, ", si_syscall=__NR_%s, si_arch=%s", sc_name(si_s32(r, 24)),
				(uint32_t)si_s32(r, 28) == 0xc000003e ? "AUDIT_ARCH_X86_64" :
				"AUDIT_ARCH_???");
		break;
	default:
		if (si_s32(r, 16) || si_s32(r, 20))
			printsigsource(tcp, r);
		if (si_u64(r, 24))
			printsigval(tcp, r);
	}
}

static void print_signal(struct tcb *tcp, const struct utrace_strace_record *r)
{
	int signo = si_s32(r, 0);

	/* strace never sees SIGKILL delivered (nor a fatal signal the kernel turned into it). */
	if (tcp->hide_log || cflag || r->nr == SIGKILL)
		return;
	printleader(tcp);
	tprintf(tcp, "--- %s {", sprintsigname(r->nr));
	if (signo) {
		tprints(tcp, "si_signo=");
		printsignal(tcp, signo);
		tprints(tcp, ", si_code=");
		print_si_code(tcp, si_s32(r, 8), signo);
		print_si_info(tcp, r);
	}
	tprints(tcp, "} ---\n");
	line_ended(tcp);
}

/* --- exits ----------------------------------------------------------------------------- */

static void print_exit_line(struct tcb *tcp, int status)
{
	if (WIFSIGNALED(status)) {
		if (tcp->tid == strace_child) {
			exit_code = 0x100 | WTERMSIG(status);
			child_done = true;
		}
		if (!cflag) {
			printleader(tcp);
			tprintf(tcp, "+++ killed by %s %s+++\n", sprintsigname(WTERMSIG(status)),
				WCOREDUMP(status) ? "(core dumped) " : "");
			line_ended(tcp);
		}
	} else {
		if (tcp->tid == strace_child) {
			exit_code = WEXITSTATUS(status);
			child_done = true;
		}
		if (!cflag && qflag < 2) {
			printleader(tcp);
			tprintf(tcp, "+++ exited with %d +++\n", WEXITSTATUS(status));
			line_ended(tcp);
		}
	}
}

static struct tcb *find_leader_pending(int tgid)
{
	struct tcb *l = pid2tcb(tgid);

	return l && l->exit_pending ? l : NULL;
}

static void thread_exit(struct tcb *tcp, const struct utrace_strace_record *r)
{
	bool group_dead = r->flags & UTRACE_STRACE_RF_GROUP_DEAD;
	struct tcb *leader;

	print_event_exit(tcp);
	tcp->in_syscall = false;
	if (tcp->live) {
		tcp->live = false;
		nlive--;
	}
	if (tcp->tid == tcp->tgid && !group_dead) {
		/* Like wait(), strace sees a group leader die after its other threads. */
		tcp->exit_pending = true;
		tcp->exit_status = (int)r->ret;
		return;
	}
	print_exit_line(tcp, (int)r->ret);
	droptcb(tcp);
	if (group_dead) {
		leader = find_leader_pending(r->tgid);
		if (leader) {
			print_exit_line(leader, leader->exit_status);
			droptcb(leader);
		}
	}
}

static void thread_detached(struct tcb *tcp)
{
	if (tcp->live) {
		tcp->live = false;
		nlive--;
	}
	/* strace says it of every thread it detaches when interrupted (not of a setuid exec). */
	if (qflag < 1 && detaching)
		error_msg("Process %u detached", tcp->tid);
	droptcb(tcp);
}

/* A thread completed an exec; a non-leader's exec took over the leader's tid. */
static struct tcb *thread_exec(struct tcb *tcp, const struct utrace_strace_record *r)
{
	struct tcb *old = r->nr != r->tid ? pid2tcb((int)r->nr) : NULL;
	struct tcb **pp;
	FILE *f;

	if (!old)
		return tcp;
	/* tcp is the old leader's entry (now dead or pending): old takes its place. */
	if (old->curcol != 0 && output_separately) {
		fprintf(old->outf, " <pid changed to %d ...>\n", r->tid);
	} else if (old->curcol != 0) {
		fputs(" <unfinished ...>\n", old->outf);
		old->curcol = 0;
		printing_tcp = NULL;
	}
	if (tcp) {
		f = old->outf;
		old->outf = tcp->outf;
		tcp->outf = f;
		old->curcol = tcp->curcol;
		tcp->curcol = 0;
		if (tcp->live) {
			tcp->live = false;
			nlive--;
		}
		droptcb(tcp);
	}
	pp = tcb_slot(old->tid);
	*pp = old->next;
	old->tid = r->tid;
	pp = tcb_slot(old->tid);
	old->next = NULL;
	*pp = old;
	if (!cflag && qflag < 3) {
		printleader(old);
		tprintf(old, "+++ superseded by execve in pid %ld +++\n", (long)r->nr);
		line_ended(old);
	}
	/* Its execve's exit is printed as resumed, as strace does (TCB_REPRINT). */
	old->reprint = old->in_syscall;
	return old;
}

/* --- records --------------------------------------------------------------------------- */

static void handle_record(const struct utrace_strace_record *r)
{
	struct tcb *tcp = pid2tcb(r->tid);

	switch (r->type) {
	case UTRACE_STRACE_REC_ATTACHED:
		tcp = alloctcb(r->tid, r->tgid);
		if (qflag < 1)
			error_msg("Process %d attached", r->tid);
		return;
	case UTRACE_STRACE_REC_EXEC:
		tcp = thread_exec(tcp, r);
		if (tcp)
			tcp->tgid = r->tgid;
		return;
	}
	if (!tcp && replay_file && r->type != UTRACE_STRACE_REC_DETACHED &&
	    r->type != UTRACE_STRACE_REC_EXIT) {
		/* A replayed stream starts with its threads attached; the first is the command. */
		tcp = alloctcb(r->tid, r->tgid);
		if (!strace_child) {
			strace_child = r->tid;
			tcp->hide_log = true;
		}
	}
	if (!tcp)
		return;		/* not ours (or a record after its end): skip */
	tcp->tgid = r->tgid;
	switch (r->type) {
	case UTRACE_STRACE_REC_SYSCALL_ENTRY:
		syscall_entry(tcp, r);
		tcp->ndp = 0;	/* its DATA records were for it */
		break;
	case UTRACE_STRACE_REC_SYSCALL_EXIT:
		syscall_exit(tcp, r);
		tcp->ndp = 0;
		break;
	case UTRACE_STRACE_REC_SIGNAL:
		print_signal(tcp, r);
		break;
	case UTRACE_STRACE_REC_EXIT:
		thread_exit(tcp, r);
		break;
	case UTRACE_STRACE_REC_DETACHED:
		thread_detached(tcp);
		break;
	case UTRACE_STRACE_REC_DATA:
		if (!raw_args && !cflag)
			keep_data(tcp, r);
		break;
	default:
		break;		/* a later version's record type */
	}
}

static void flush_outputs(void)
{
	fflush(NULL);
}

/* Process a buffer of records; returns the number of bytes used. */
static size_t handle_records(const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= sizeof(struct utrace_strace_record)) {
		const struct utrace_strace_record *r = (const void *)(buf + off);

		if (r->size < sizeof(*r) || r->size % 8)
			die("bad record at byte %zu: size %u", off, r->size);
		if (r->size > len - off)
			break;
		handle_record(r);
		off += r->size;
	}
	return off;
}

static int dev_fd = -1;

/*
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE: detach everything here, not in the loop, so
 * that a read() already blocked on idle tracees returns (0, once the queue is drained).
 * Like strace's cleanup(), the command it started (still traced) dies of the signal.
 */
static void on_signal(int sig)
{
	int saved = errno;

	if (interrupted)
		return;
	interrupted = sig;
	if (strace_child && !child_done) {
		kill(strace_child, SIGCONT);
		kill(strace_child, sig);
	}
	if (dev_fd >= 0)
		ioctl(dev_fd, UTRACE_STRACE_IOC_DETACH_ALL);
	errno = saved;
}

static void read_loop(int fd, bool is_device)
{
	static unsigned char buf[REC_BATCH * sizeof(struct utrace_strace_record)];
	size_t have = 0;

	for (;;) {
		ssize_t n;
		size_t used;

		if (is_device && interrupted)
			detaching = true;
		if (is_device && nlive == 0 && !detaching)
			break;
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		have += n;
		used = handle_records(buf, have);
		memmove(buf, buf + used, have - used);
		have -= used;
		flush_outputs();
	}
	if (have)
		error_msg("%zu trailing bytes of a partial record ignored", have);
}

/* --- -e -------------------------------------------------------------------------------- */

static void qualify_trace(const char *spec)
{
	char *copy, *tok, *save;
	bool negate = false;

	if (*spec == '!') {
		negate = true;
		spec++;
	}
	if (!trace_set) {
		trace_set = calloc(NSYSCALLS, 1);
		if (!trace_set)
			die("out of memory");
	}
	memset(trace_set, negate, NSYSCALLS);
	trace_unknown = negate;
	copy = strdup(spec);
	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long nr;

		if (!strcmp(tok, "all")) {
			memset(trace_set, !negate, NSYSCALLS);
			trace_unknown = !negate;
			continue;
		}
		if (!strcmp(tok, "none")) {
			memset(trace_set, negate, NSYSCALLS);
			trace_unknown = negate;
			continue;
		}
		if (*tok == '%') {
			if (!qualify_class(tok, !negate))
				die("invalid system call '%s' (classes: %%process %%signal %%network %%memory %%file %%desc %%ipc)",
				    tok);
			continue;
		}
		if (*tok == '/' || *tok == '?')
			die("invalid system call '%s': regular expressions are not supported", tok);
		nr = sc_lookup(tok);
		if (nr < 0)
			die("invalid system call '%s'", tok);
		trace_set[nr] = !negate;
	}
	free(copy);
}

static void qualify(const char *arg)
{
	if (!strncmp(arg, "trace=", 6))
		qualify_trace(arg + 6);
	else if (!strcmp(arg, "raw=all"))
		raw_args = true;
	else if (!strcmp(arg, "raw=none"))
		raw_args = false;
	else if (!strchr(arg, '='))
		qualify_trace(arg);
	else
		die("invalid -e argument: '%s' (supported: trace=SET, raw=all)", arg);
}

/* --- attaching ------------------------------------------------------------------------- */

/* -f, and the tracee memory the decoded output prints (not for -e raw=all or -c). */
static unsigned int attach_flags(void)
{
	return (followfork ? UTRACE_STRACE_F_FOLLOW : 0) |
	       (raw_args || cflag ? 0 : UTRACE_STRACE_F_DATA);
}

static int attach_tid(int fd, int tid, unsigned int flags)
{
	struct utrace_strace_attach a = { .tid = tid, .flags = flags };

	return ioctl(fd, UTRACE_STRACE_IOC_ATTACH, &a) < 0 ? -errno : 0;
}

static int open_device(void)
{
	int fd = open(UTRACE_STRACE_DEVICE, O_RDONLY | O_CLOEXEC);
	int v;

	if (fd < 0)
		die("open %s: %s%s", UTRACE_STRACE_DEVICE, strerror(errno),
		    errno == ENOENT ? " (is utrace_strace.ko loaded?)" : "");
	v = ioctl(fd, UTRACE_STRACE_IOC_VERSION);
	if (v < UTRACE_STRACE_VERSION)
		die("%s: version %d, this command needs %d or later", UTRACE_STRACE_DEVICE, v,
		    UTRACE_STRACE_VERSION);
	return fd;
}

static void attach_error(int tid, int err)
{
	die("attach: ioctl(UTRACE_STRACE_IOC_ATTACH, %d): %s", tid, strerror(err));
}

/* -p PID: every thread of /proc/PID/task, until a pass finds no new one (strace's loop). */
static void attach_pid(int fd, int pid)
{
	char path[64];
	unsigned int ntid = 0;
	int err, tgid = pid;
	bool found;

	err = attach_tid(fd, pid, attach_flags());
	if (err && err != -EEXIST)
		attach_error(pid, -err);
	if (!err) {
		alloctcb(pid, pid);
		ntid++;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	do {
		DIR *dir = opendir(path);
		struct dirent *de;

		found = false;
		if (!dir)
			break;
		while ((de = readdir(dir))) {
			int tid = atoi(de->d_name);

			if (tid <= 0 || tid == pid)
				continue;
			err = attach_tid(fd, tid, attach_flags());
			if (err == -EEXIST || err == -ESRCH)
				continue;
			if (err)
				attach_error(tid, -err);
			alloctcb(tid, tgid);
			ntid++;
			found = true;
		}
		closedir(dir);
	} while (found);
	if (qflag < 1) {
		if (ntid > 1)
			error_msg("Process %u attached with %u threads", pid, ntid);
		else
			error_msg("Process %u attached", pid);
	}
}

/* strace's PATH search, so that the command's one execve is the one shown. */
static char *find_command(const char *name)
{
	static char path[PATH_MAX];
	const char *p, *env;
	struct stat st;

	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			die("Can't stat '%s': %s", name, strerror(errno));
		return (char *)name;
	}
	env = getenv("PATH");
	if (!env)
		env = "/bin:/usr/bin";
	for (p = env; ; ) {
		const char *e = strchrnul(p, ':');
		int len = e - p;

		if (len == 0)
			snprintf(path, sizeof(path), "%s", name);
		else
			snprintf(path, sizeof(path), "%.*s/%s", len, p, name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return path;
		if (!*e)
			break;
		p = e + 1;
	}
	die("Can't stat '%s': %s", name, strerror(ENOENT));
}

static void start_command(int fd, char **argv)
{
	char *path = find_command(argv[0]);
	int pipefd[2];
	char c = 0;
	int err;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(1);	/* the parent failed: it says why */
		close(pipefd[0]);
		execv(path, argv);
		error_msg("exec: %s", strerror(errno));
		_exit(1);
	}
	close(pipefd[0]);
	strace_child = pid;
	err = attach_tid(fd, pid, UTRACE_STRACE_F_UNTIL_EXEC | attach_flags());
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		attach_error(pid, -err);
	}
	/*
	 * The engine hides what the child does before its execve (F_UNTIL_EXEC); like strace,
	 * hide it again if that first exec fails, until the next one.
	 */
	alloctcb(pid, pid)->hide_log = true;
	if (write(pipefd[1], &c, 1) != 1)
		die("write: %s", strerror(errno));
	close(pipefd[1]);
}

/* --- -c -------------------------------------------------------------------------------- */

static int time_cmp(const void *a, const void *b)
{
	long i = *(const long *)a, j = *(const long *)b;

	if (counts[i].time_ns != counts[j].time_ns)
		return counts[i].time_ns > counts[j].time_ns ? -1 : 1;
	return i < j ? -1 : i > j;
}

static void call_summary(FILE *f)
{
	uint64_t tot_ns = 0, calls = 0, errors = 0, avg_max = 0;
	size_t name_max = 0;
	long *idx, n = 0;
	int w_sec, w_avg, w_calls, w_err, w_name;
	char tmp[64];
	double cum;

	idx = calloc(NSYSCALLS, sizeof(*idx));
	if (!idx)
		die("out of memory");
	for (long i = 0; counts && i < NSYSCALLS; i++) {
		uint64_t avg;

		if (!counts[i].calls)
			continue;
		idx[n++] = i;
		tot_ns += counts[i].time_ns;
		calls += counts[i].calls;
		errors += counts[i].errors;
		avg = counts[i].time_ns / counts[i].calls;
		if (avg > avg_max)
			avg_max = avg;
		if (strlen(sysent[i].name) > name_max)
			name_max = strlen(sysent[i].name);
	}
	cum = tot_ns / 1e9;
	if (n)
		qsort(idx, n, sizeof(*idx), time_cmp);
	w_sec = snprintf(tmp, sizeof(tmp), "%.6f", cum);
	w_sec = w_sec > 11 ? w_sec : 11;
	w_avg = snprintf(tmp, sizeof(tmp), "%" PRIu64, avg_max / 1000);
	w_avg = w_avg > 11 ? w_avg : 11;
	w_calls = snprintf(tmp, sizeof(tmp), "%" PRIu64, calls);
	w_calls = w_calls > 9 ? w_calls : 9;
	w_err = snprintf(tmp, sizeof(tmp), "%" PRIu64, errors);
	w_err = w_err > 9 ? w_err : 9;
	w_name = (int)name_max + 1 > 16 ? (int)name_max + 1 : 16;

	fprintf(f, "%6s %*s %*s %*s %*s %s\n", "% time", w_sec, "seconds", w_avg, "usecs/call",
		w_calls, "calls", w_err, "errors", "syscall");
#define DIVIDER() fprintf(f, "%.6s %.*s %.*s %.*s %.*s %.*s\n", dashes, w_sec, dashes, w_avg, \
			  dashes, w_calls, dashes, w_err, dashes, w_name, dashes)
	{
		static const char dashes[] =
			"----------------------------------------------------------------";
		DIVIDER();
		for (long k = 0; k < n; k++) {
			struct call_counts *cc = &counts[idx[k]];
			double t = cc->time_ns / 1e9, pct = 100.0 * t;

			if (pct != 0.0)
				pct /= cum;
			fprintf(f, "%6.2f %*.6f %*" PRIu64 " %*" PRIu64, pct, w_sec, t, w_avg,
				(uint64_t)(cc->time_ns / cc->calls / 1000), w_calls, cc->calls);
			if (cc->errors)
				fprintf(f, " %*" PRIu64, w_err, cc->errors);
			else
				fprintf(f, " %*s", w_err, "");
			fprintf(f, " %s\n", sysent[idx[k]].name);
		}
		DIVIDER();
	}
#undef DIVIDER
	fprintf(f, "%6.2f %*.6f %*" PRIu64 " %*" PRIu64, 100.0, w_sec, cum, w_avg,
		calls ? (uint64_t)(cum / calls * 1e6) : 0, w_calls, calls);
	if (errors)
		fprintf(f, " %*" PRIu64, w_err, errors);
	else
		fprintf(f, " %*s", w_err, "");
	fprintf(f, " total\n");
	free(idx);
}

/* --- main ------------------------------------------------------------------------------ */

static int parse_pid(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		die("Invalid process id: '%s'", s);
	return (int)v;
}

static int pids[1024];
static int npids;

/* -p PID, or strace's "-p PID1,PID2" / "-p 'PID1 PID2'". */
static void add_pids(const char *arg)
{
	char *copy = strdup(arg), *tok, *save;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (npids >= ARRAY_SIZE(pids))
			die("too many -p");
		pids[npids++] = parse_pid(tok);
	}
	free(copy);
}

static void __noreturn terminate(void)
{
	int sig = interrupted;

	if (cflag)
		call_summary(shared_log);
	fflush(NULL);
	if (shared_log != stderr)
		fclose(shared_log);
	if (sig)
		exit_code = 0x100 | sig;
	if (exit_code > 0xff) {
		struct rlimit rlim = { 0, 0 };
		sigset_t mask;

		/* The command was killed by a signal: be killed by it too, as strace. */
		setrlimit(RLIMIT_CORE, &rlim);
		exit_code &= 0xff;
		signal(exit_code, SIG_DFL);
		raise(exit_code);
		sigemptyset(&mask);
		sigaddset(&mask, exit_code);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		exit_code += 128;
	}
	exit(exit_code);
}

int main(int argc, char **argv)
{
	int fd = -1, i;
	struct sigaction sa = { .sa_handler = on_signal };

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--replay")) {
			if (++i >= argc)
				die("--replay needs a FILE");
			replay_file = argv[i];
			continue;
		}
		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		for (a++; *a; a++) {
			const char *optarg = NULL;

			switch (*a) {
			case 'f':
				followfork++;
				continue;
			case 'q':
				qflag++;
				continue;
			case 'c':
				cflag = true;
				continue;
			case 'h':
				usage(stdout);
				return 0;
			case 'o':
			case 'e':
			case 'X':
			case 'p':
				if (a[1])
					optarg = a + 1;
				else if (i + 1 < argc)
					optarg = argv[++i];
				else
					die("option requires an argument -- '%c'", *a);
				break;
			default:
				error_msg("invalid option -- '%c'", *a);
				try_help();
			}
			switch (*a) {
			case 'o':
				outfname = optarg;
				break;
			case 'e':
				qualify(optarg);
				break;
			case 'X':
				if (!strcmp(optarg, "raw"))
					xlat_raw = true;
				else if (!strcmp(optarg, "abbrev"))
					xlat_raw = false;
				else
					die("invalid xlat style '%s' (supported: raw, abbrev)", optarg);
				break;
			case 'p':
				add_pids(optarg);
				break;
			}
			break;
		}
	}
	argv += i;
	argc -= i;
	if (!argc && !npids && !replay_file) {
		error_msg("must have PROG [ARGS] or -p PID");
		try_help();
	}
	if (replay_file && (argc || npids))
		die("--replay takes no command and no -p");

	/* strace: -o FILE with a command implies -q. */
	if (outfname && (argc || replay_file) && !qflag)
		qflag = 1;
	if (followfork >= 2 && outfname)
		output_separately = true;
	shared_log = stderr;
	if (outfname && !output_separately)
		shared_log = open_output(outfname);
	print_pid_pfx = outfname && !output_separately && followfork;
	if (shared_log == stderr)
		setvbuf(stderr, NULL, _IOFBF, 1 << 16);

	if (replay_file) {
		FILE *f = fopen(replay_file, "re");

		if (!f)
			die("%s: %s", replay_file, strerror(errno));
		/* The first thread of the stream is the command, as if we had started it. */
		fd = fileno(f);
		read_loop(fd, false);
		fclose(f);
		terminate();
	}

	fd = open_device();
	dev_fd = fd;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	for (i = 0; i < npids; i++)
		attach_pid(fd, pids[i]);
	/* strace: -p with more than one thread prefixes the pids in -o FILE too. */
	if (nprocs > 1)
		print_pid_pfx = outfname && !output_separately;
	if (argc) {
		/* The command runs with the default SIGCHLD: utrace-strace reaps it. */
		start_command(fd, argv);
	}
	read_loop(fd, true);
	if (strace_child) {
		int status;

		/* Detached (a privileged exec): its exit status still is ours, as with strace. */
		if (waitpid(strace_child, &status, 0) == strace_child && !child_done)
			exit_code = WIFSIGNALED(status) ? 0x100 | WTERMSIG(status) :
				    WEXITSTATUS(status);
	}
	{
		struct utrace_strace_stats st;

		/* Lossless, but an allocation failure loses a record: say so. */
		if (ioctl(fd, UTRACE_STRACE_IOC_STATS, &st) == 0 && st.lost_records)
			error_msg("%llu records lost (allocation failures): the trace is incomplete",
				  (unsigned long long)st.lost_records);
		/* For make bench: how often backpressure parked a thread. */
		if (getenv("UTRACE_STRACE_STATS") &&
		    ioctl(fd, UTRACE_STRACE_IOC_STATS, &st) == 0)
			fprintf(stderr, "utrace-strace: %llu records, %llu stops for a full buffer, %llu lost\n",
				(unsigned long long)st.records, (unsigned long long)st.stops,
				(unsigned long long)st.lost_records);
	}
	close(fd);
	terminate();
}
