/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Argument decoders that print what strace 6.1 prints by default (-X abbrev, no -v,
 * -s 32, no -x/-y) on x86_64, as pure formatters.
 *
 * Every fmt_*() writes a NUL-terminated string into buf (never more than size bytes, a
 * longer result is cut) and returns the length written. No I/O, no state: the caller
 * fetches the tracee's memory and passes the bytes in. The rules and tables follow strace
 * v6.1's src/util.c (string_quote, printstr_ex, printpathn), src/xlat.c (printflags_ex,
 * sprintflags_ex), src/open.c, src/mem.c, src/clone.c, src/signal.c, src/printmode.c,
 * src/print_dev_t.c, src/print_struct_stat.c, src/execve.c and the src/xlat tables, with x86_64
 * values; xlat-test.c checks them against text copied from real strace 6.1 runs.
 */
#ifndef UTRACE_STRACE_XLAT_H
#define UTRACE_STRACE_XLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FMT_COUNT(a)		(sizeof(a) / sizeof((a)[0]))

/* strace's defaults: -s 32 and the path buffer of printpathn (PATH_MAX - 1 bytes) */
#define FMT_MAX_STRLEN		32
#define FMT_MAX_PATHLEN		4095

/* fmt_quoted() styles */
#define QUOTE_BUF		0	/* printstrn: a read/write buffer, NUL bytes included */
#define QUOTE_PATH		1	/* printpathn: whole path, no -s limit */
#define QUOTE_STR		2	/* printstr: a C string under the -s limit (argv) */

/* A bounded output cursor: once full, everything after is dropped, never overflowed. */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

static inline struct fmt_out fmt_begin(char *buf, size_t size)
{
	struct fmt_out o = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	return o;
}

static inline int fmt_end(struct fmt_out *o)
{
	if (o->size)
		o->buf[o->len] = '\0';
	return (int)o->len;
}

static inline void fmt_putc(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
}

static inline void fmt_puts(struct fmt_out *o, const char *s)
{
	while (*s)
		fmt_putc(o, *s++);
}

/* digits of v in base 8, 10 or 16 (lower case), no prefix */
static inline void fmt_digits(struct fmt_out *o, uint64_t v, unsigned int base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		fmt_putc(o, tmp[--n]);
}

/* "%#llx": 0 is "0", anything else "0x..." */
static inline void fmt_hex(struct fmt_out *o, uint64_t v)
{
	if (v)
		fmt_puts(o, "0x");
	fmt_digits(o, v, 16);
}

static inline void fmt_dec(struct fmt_out *o, int64_t v)
{
	if (v < 0) {
		fmt_putc(o, '-');
		fmt_digits(o, -(uint64_t)v, 10);
	} else {
		fmt_digits(o, v, 10);
	}
}

/* "%#03llo" (PRINT_VAL_03O): 0 is "000", 7 is "007", 0644 stays "0644" */
static inline void fmt_oct03(struct fmt_out *o, uint64_t v)
{
	int n = 1;	/* the '#' zero */
	uint64_t t;

	for (t = v; t; t >>= 3)
		n++;
	for (; n < 3; n++)
		fmt_putc(o, '0');
	if (v)
		fmt_putc(o, '0');
	fmt_digits(o, v, 8);
}

/* printaddr: NULL or %#llx */
static inline void fmt_put_addr(struct fmt_out *o, uint64_t addr)
{
	if (addr)
		fmt_hex(o, addr);
	else
		fmt_puts(o, "NULL");
}

static inline int fmt_addr(char *buf, size_t size, uint64_t addr)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_addr(&o, addr);
	return fmt_end(&o);
}

/* ------------------------------------------------------------------ flag tables */

struct fmt_flag {
	uint64_t val;
	const char *name;
};

/*
 * printflags_ex() in abbrev style: names in table order, each taking its bits, leftover
 * bits as |0x...; nothing known: 0x... and dflt in a C comment; 0 prints the table's 0
 * entry if any, else "0" (only when there is a dflt). printflags_ex() takes a list of
 * tables: y (ny entries, may be NULL) is searched after x, as if appended to it.
 */
static inline void fmt_put_flags2(struct fmt_out *o, const struct fmt_flag *x, size_t nx,
				  const struct fmt_flag *y, size_t ny, uint64_t flags,
				  const char *dflt)
{
	unsigned int n = 0;

	for (size_t i = 0; (flags || !n) && i < nx + ny; i++) {
		const struct fmt_flag *e = i < nx ? &x[i] : &y[i - nx];
		uint64_t v = e->val;

		if (flags == v || (v && (flags & v) == v)) {
			if (n++)
				fmt_putc(o, '|');
			fmt_puts(o, e->name);
			flags &= ~v;
		}
		if (!flags)
			break;
	}
	if (n) {
		if (flags) {
			fmt_putc(o, '|');
			fmt_hex(o, flags);
		}
	} else if (flags) {
		fmt_hex(o, flags);
		if (dflt && *dflt) {
			fmt_puts(o, " /* ");
			fmt_puts(o, dflt);
			fmt_puts(o, " */");
		}
	} else if (dflt) {
		fmt_putc(o, '0');
	}
}

static inline void fmt_put_flags(struct fmt_out *o, const struct fmt_flag *x, size_t nx,
				 uint64_t flags, const char *dflt)
{
	fmt_put_flags2(o, x, nx, NULL, 0, flags, dflt);
}

/* xlookup(): first entry with exactly this value */
static inline const char *fmt_lookup(const struct fmt_flag *x, size_t nx, uint64_t val)
{
	for (size_t i = 0; i < nx; i++)
		if (x[i].val == val)
			return x[i].name;
	return NULL;
}

/* src/xlat/open_mode_flags.in; O_SYNC before __O_SYNC/O_DSYNC, O_TMPFILE before O_DIRECTORY */
static const struct fmt_flag fmt_open_mode_flags[] = {
	{ 0100, "O_CREAT" },
	{ 0200, "O_EXCL" },
	{ 0400, "O_NOCTTY" },
	{ 01000, "O_TRUNC" },
	{ 02000, "O_APPEND" },
	{ 04000, "O_NONBLOCK" },
	{ 04010000, "O_SYNC" },
	{ 04000000, "__O_SYNC" },
	{ 010000, "O_DSYNC" },
	{ 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" },	/* the kernel's value, although glibc's is 0 on x86_64 */
	{ 0400000, "O_NOFOLLOW" },
	{ 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" },
	{ 010000000, "O_PATH" },
	{ 020200000, "O_TMPFILE" },
	{ 020000000, "__O_TMPFILE" },
	{ 0200000, "O_DIRECTORY" },
	{ 020000, "FASYNC" },
};

/* 3 is named O_ACCMODE (open_access_modes.in) */
static const char *const fmt_open_access_modes[] = {
	"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE",
};

#define FMT_O_CREAT		0100
#define FMT___O_TMPFILE		020000000

/*
 * open/openat flags (tprint_open_modes): the access mode, then |NAME... and |0x... for
 * unknown bits. strace takes the argument as unsigned int: bits 32-63 are never shown.
 * The mode argument follows only if flags & (O_CREAT | __O_TMPFILE): see fmt_open_has_mode().
 */
static inline int fmt_open_flags(char *buf, size_t size, uint64_t flags64)
{
	struct fmt_out o = fmt_begin(buf, size);
	uint32_t flags = (uint32_t)flags64;

	fmt_puts(&o, fmt_open_access_modes[flags & 3]);
	flags &= ~3u;
	for (size_t i = 0; flags && i < FMT_COUNT(fmt_open_mode_flags); i++) {
		uint32_t v = fmt_open_mode_flags[i].val;

		if ((flags & v) == v) {
			fmt_putc(&o, '|');
			fmt_puts(&o, fmt_open_mode_flags[i].name);
			flags &= ~v;
		}
	}
	if (flags) {
		fmt_putc(&o, '|');
		fmt_hex(&o, flags);
	}
	return fmt_end(&o);
}

static inline bool fmt_open_has_mode(uint64_t flags)
{
	return (uint32_t)flags & (FMT_O_CREAT | FMT___O_TMPFILE);
}

/*
 * A umode_t argument (print_numeric_umode_t: open, openat, creat, chmod, mkdir, mknod...):
 * "%#03o" of the value cut to unsigned short, so 0 is "000" and 0200755 is "0755".
 */
static inline int fmt_mode(char *buf, size_t size, unsigned int mode)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_oct03(&o, (uint16_t)mode);
	return fmt_end(&o);
}

/* src/xlat/mmap_prot.in; PROT_SAO and PROT_ADI are not defined on x86_64 */
static const struct fmt_flag fmt_mmap_prot_flags[] = {
	{ 0, "PROT_NONE" },
	{ 0x1, "PROT_READ" },
	{ 0x2, "PROT_WRITE" },
	{ 0x4, "PROT_EXEC" },
	{ 0x8, "PROT_SEM" },
	{ 0x01000000, "PROT_GROWSDOWN" },
	{ 0x02000000, "PROT_GROWSUP" },
};

/* mmap/mprotect/pkey_mprotect prot: printflags64, so all 64 bits are shown */
static inline int fmt_mmap_prot(char *buf, size_t size, uint64_t prot)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_flags(&o, fmt_mmap_prot_flags, FMT_COUNT(fmt_mmap_prot_flags), prot, "PROT_???");
	return fmt_end(&o);
}

/* src/xlat/mmap_flags.in, x86_64 values, in its order (entries undefined on x86_64 left out) */
static const struct fmt_flag fmt_mmap_flag_names[] = {
	{ 0x1, "MAP_SHARED" },
	{ 0x2, "MAP_PRIVATE" },
	{ 0x3, "MAP_SHARED_VALIDATE" },
	{ 0x10, "MAP_FIXED" },
	{ 0x20, "MAP_ANONYMOUS" },
	{ 0x40, "MAP_32BIT" },
	{ 0x4000, "MAP_NORESERVE" },
	{ 0x8000, "MAP_POPULATE" },
	{ 0x10000, "MAP_NONBLOCK" },
	{ 0x100, "MAP_GROWSDOWN" },
	{ 0x800, "MAP_DENYWRITE" },
	{ 0x1000, "MAP_EXECUTABLE" },
	{ 0, "MAP_FILE" },
	{ 0x2000, "MAP_LOCKED" },
	{ 0x20000, "MAP_STACK" },
	{ 0x40000, "MAP_HUGETLB" },
	{ 0x80000, "MAP_SYNC" },
	{ 0x4000000, "MAP_UNINITIALIZED" },	/* inside the MAP_HUGE mask: never printed */
	{ 0x100000, "MAP_FIXED_NOREPLACE" },
};

/*
 * mmap flags (print_mmap_flags): the MAP_TYPE nibble as a value (0 is MAP_FILE, 4..15 the
 * number and a MAP_??? comment), then the other flags, then the MAP_HUGE_* size as
 * N<<MAP_HUGE_SHIFT.
 * strace clears the huge mask with an unsigned int, which also drops bits 32-63.
 */
static inline int fmt_mmap_flags(char *buf, size_t size, uint64_t flags)
{
	struct fmt_out o = fmt_begin(buf, size);
	const char *type = fmt_lookup(fmt_mmap_flag_names, FMT_COUNT(fmt_mmap_flag_names),
				      flags & 0xf);
	uint32_t huge = flags & (0x3fu << 26);

	if (type) {
		fmt_puts(&o, type);
	} else {
		fmt_hex(&o, flags & 0xf);
		fmt_puts(&o, " /* MAP_??? */");
	}
	flags &= 0xffffffffu & ~(0x3fu << 26) & ~0xfu;
	if (flags) {
		fmt_putc(&o, '|');
		fmt_put_flags(&o, fmt_mmap_flag_names, FMT_COUNT(fmt_mmap_flag_names), flags,
			      NULL);
	}
	if (huge) {
		fmt_putc(&o, '|');
		fmt_digits(&o, huge >> 26, 10);
		fmt_puts(&o, "<<MAP_HUGE_SHIFT");
	}
	return fmt_end(&o);
}

/* src/xlat/access_modes.in */
static const struct fmt_flag fmt_access_modes[] = {
	{ 0, "F_OK" },
	{ 4, "R_OK" },
	{ 2, "W_OK" },
	{ 1, "X_OK" },
};

/* access/faccessat/faccessat2 mode: printflags (unsigned int) with "?_OK" */
static inline int fmt_access_mode(char *buf, size_t size, uint64_t mode)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_flags(&o, fmt_access_modes, FMT_COUNT(fmt_access_modes), (uint32_t)mode, "?_OK");
	return fmt_end(&o);
}

/* src/xlat/at_flags.in */
static const struct fmt_flag fmt_at_flag_names[] = {
	{ 0x100, "AT_SYMLINK_NOFOLLOW" },
	{ 0x200, "AT_REMOVEDIR" },
	{ 0x400, "AT_SYMLINK_FOLLOW" },
	{ 0x800, "AT_NO_AUTOMOUNT" },
	{ 0x1000, "AT_EMPTY_PATH" },
	{ 0x8000, "AT_RECURSIVE" },
};

/*
 * at_flags as printflags(at_flags, ..., "AT_???") prints them: newfstatat, unlinkat, linkat,
 * fchownat, utimensat, execveat. No 0 entry, so 0 is "0"; unsigned int.
 */
static inline int fmt_at_flags(char *buf, size_t size, uint64_t flags)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_flags(&o, fmt_at_flag_names, FMT_COUNT(fmt_at_flag_names), (uint32_t)flags,
		      "AT_???");
	return fmt_end(&o);
}

/* unlinkat uses the very same table (src/link.c), AT_REMOVEDIR included */
static inline int fmt_unlinkat_flags(char *buf, size_t size, uint64_t flags)
{
	return fmt_at_flags(buf, size, flags);
}

/* ------------------------------------------------------------------ clone */

/* src/xlat/clone_flags.in (CLONE_DETACHED deliberately absent: it prints as 0x400000) */
static const struct fmt_flag fmt_clone_flag_names[] = {
	{ 0x00000100, "CLONE_VM" },
	{ 0x00000200, "CLONE_FS" },
	{ 0x00000400, "CLONE_FILES" },
	{ 0x00000800, "CLONE_SIGHAND" },
	{ 0x00001000, "CLONE_PIDFD" },
	{ 0x00002000, "CLONE_PTRACE" },
	{ 0x00004000, "CLONE_VFORK" },
	{ 0x00008000, "CLONE_PARENT" },
	{ 0x00010000, "CLONE_THREAD" },
	{ 0x00020000, "CLONE_NEWNS" },
	{ 0x00040000, "CLONE_SYSVSEM" },
	{ 0x00080000, "CLONE_SETTLS" },
	{ 0x00100000, "CLONE_PARENT_SETTID" },
	{ 0x00200000, "CLONE_CHILD_CLEARTID" },
	{ 0x00800000, "CLONE_UNTRACED" },
	{ 0x01000000, "CLONE_CHILD_SETTID" },
	{ 0x02000000, "CLONE_NEWCGROUP" },
	{ 0x04000000, "CLONE_NEWUTS" },
	{ 0x08000000, "CLONE_NEWIPC" },
	{ 0x10000000, "CLONE_NEWUSER" },
	{ 0x20000000, "CLONE_NEWPID" },
	{ 0x40000000, "CLONE_NEWNET" },
	{ 0x80000000, "CLONE_IO" },
};

#define FMT_CLONE_PIDFD			0x00001000
#define FMT_CLONE_SETTLS		0x00080000
#define FMT_CLONE_PARENT_SETTID		0x00100000
#define FMT_CLONE_CHILD_CLEARTID	0x00200000
#define FMT_CLONE_CHILD_SETTID		0x01000000

/* signame(): names for 1..32 (signalent), SIGRT_n for 33..64, else the number */
static const char *const fmt_signal_names[] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
	"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
	"SIGRTMIN",
};

/* printsignal() in abbrev style */
static inline void fmt_put_signal(struct fmt_out *o, int sig)
{
	if (sig > 0 && sig < (int)FMT_COUNT(fmt_signal_names)) {
		fmt_puts(o, fmt_signal_names[sig]);
	} else if (sig > 32 && sig <= 64) {
		fmt_puts(o, "SIGRT_");
		fmt_digits(o, sig - 32, 10);
	} else {
		fmt_dec(o, sig);
	}
}

/*
 * clone(flags, stack, parent_tid, child_tid, tls) at syscall entry (x86_64 personality):
 * "child_stack=..., flags=NAMES|SIGNAL". The exit signal (low byte) is printed as a signal
 * after the flags, "flags=0" when both are 0; flags keep all 64 bits.
 * parent_tid, tls and child_tidptr are printed only at exit: fmt_clone_exit().
 */
static inline int fmt_clone_args(char *buf, size_t size, const uint64_t args[5])
{
	struct fmt_out o = fmt_begin(buf, size);
	uint64_t flags = args[0] & ~(uint64_t)0xff;
	int sig = args[0] & 0xff;

	fmt_puts(&o, "child_stack=");
	fmt_put_addr(&o, args[1]);
	fmt_puts(&o, ", flags=");
	if (flags) {
		fmt_put_flags(&o, fmt_clone_flag_names, FMT_COUNT(fmt_clone_flag_names), flags,
			      "CLONE_???");
		if (sig) {
			fmt_putc(&o, '|');
			fmt_put_signal(&o, sig);
		}
	} else {
		fmt_put_signal(&o, sig);
	}
	return fmt_end(&o);
}

/* Whether clone has an exit part at all (strace returns RVAL_DECODED at entry otherwise). */
static inline bool fmt_clone_has_exit(const uint64_t args[5])
{
	return args[0] & (FMT_CLONE_PARENT_SETTID | FMT_CLONE_PIDFD | FMT_CLONE_CHILD_SETTID |
			  FMT_CLONE_CHILD_CLEARTID | FMT_CLONE_SETTLS);
}

/*
 * The rest of clone's arguments, printed at syscall exit, each starting with ", ":
 * ", parent_tid=[TID]" (CLONE_PIDFD alone: the pidfd, "[5]"), ", tls=ADDR",
 * ", child_tidptr=ADDR". ptid points to the int read at args[2] after the call, or is NULL
 * when the call failed or the read faulted: strace then prints the address (NULL for 0).
 * Empty when !fmt_clone_has_exit().
 */
static inline int fmt_clone_exit(char *buf, size_t size, const uint64_t args[5], const int *ptid)
{
	struct fmt_out o = fmt_begin(buf, size);
	uint64_t flags = args[0];

	if (flags & (FMT_CLONE_PARENT_SETTID | FMT_CLONE_PIDFD)) {
		fmt_puts(&o, ", parent_tid=");
		if (ptid && args[2]) {
			fmt_putc(&o, '[');
			fmt_dec(&o, *ptid);
			fmt_putc(&o, ']');
		} else {
			fmt_put_addr(&o, args[2]);
		}
	}
	if (flags & FMT_CLONE_SETTLS) {
		fmt_puts(&o, ", tls=");
		fmt_put_addr(&o, args[4]);
	}
	if (flags & (FMT_CLONE_CHILD_SETTID | FMT_CLONE_CHILD_CLEARTID)) {
		fmt_puts(&o, ", child_tidptr=");
		fmt_put_addr(&o, args[3]);
	}
	return fmt_end(&o);
}

/* ------------------------------------------------------------------ clone3 */

/* src/xlat/clone3_flags.in: searched after fmt_clone_flag_names */
static const struct fmt_flag fmt_clone3_flag_names[] = {
	{ 0x00000080, "CLONE_NEWTIME" },
	{ 0x100000000ULL, "CLONE_CLEAR_SIGHAND" },
	{ 0x200000000ULL, "CLONE_INTO_CGROUP" },
};

#define FMT_CLONE_INTO_CGROUP		0x200000000ULL

/*
 * The kernel's struct clone_args: eleven __aligned_u64. strace 6.1 knows 88 bytes (up to
 * cgroup) and decodes nothing below 64 (CLONE_ARGS_SIZE_VER0, up to tls).
 */
enum {
	FMT_CLONE3_FLAGS, FMT_CLONE3_PIDFD, FMT_CLONE3_CHILD_TID, FMT_CLONE3_PARENT_TID,
	FMT_CLONE3_EXIT_SIGNAL, FMT_CLONE3_STACK, FMT_CLONE3_STACK_SIZE, FMT_CLONE3_TLS,
	FMT_CLONE3_SET_TID, FMT_CLONE3_SET_TID_SIZE, FMT_CLONE3_CGROUP, FMT_CLONE3_NR
};

#define FMT_CLONE3_ARGS_SIZE		88
#define FMT_CLONE3_MIN_SIZE		64
#define FMT_CLONE3_MAX_SET_TID		32
#define FMT_PAGE_SIZE			4096

/* strace's fetch_size: MIN(size, sizeof(struct clone_args)) */
static inline size_t fmt_clone3_fetch_size(uint64_t usize)
{
	return usize < FMT_CLONE3_ARGS_SIZE ? usize : FMT_CLONE3_ARGS_SIZE;
}

/* the bytes of the tail print_nonzero_bytes() looks at: [88, MIN(size, page size)) */
static inline size_t fmt_clone3_total_size(uint64_t usize)
{
	return usize < FMT_PAGE_SIZE ? usize : FMT_PAGE_SIZE;
}

/* the fields strace sees: the first fetch_size bytes, the rest zero */
static inline void fmt_clone3_load(uint64_t v[FMT_CLONE3_NR], const void *args, size_t len,
				   uint64_t usize)
{
	size_t n = fmt_clone3_fetch_size(usize);

	memset(v, 0, FMT_CLONE3_NR * sizeof(v[0]));
	memcpy(v, args, len < n ? len : n);
}

/* print_quoted_string(QUOTE_FORCE_HEX): "\x00\xab" */
static inline void fmt_put_hex_quoted(struct fmt_out *o, const unsigned char *s, size_t n)
{
	fmt_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		fmt_puts(o, "\\x");
		fmt_putc(o, "0123456789abcdef"[s[i] >> 4]);
		fmt_putc(o, "0123456789abcdef"[s[i] & 0xf]);
	}
	fmt_putc(o, '"');
}

/*
 * print_nonzero_bytes() on the bytes past struct clone_args when size > 88: nothing if they
 * are all zero, else prefix, a C comment "bytes 88..N-1", a space and the first 32 of them in
 * hex ("\x00\xab"), then "..." if there are more; N = MIN(size, 4096). prefix and "???" if
 * they could not be read. Returns whether it printed.
 */
static inline bool fmt_clone3_put_tail(struct fmt_out *o, const char *prefix, const void *args,
				       size_t len, uint64_t usize)
{
	const unsigned char *p = args;
	size_t total = fmt_clone3_total_size(usize);
	size_t i;

	if (total <= FMT_CLONE3_ARGS_SIZE)
		return false;
	if (len < total) {
		fmt_puts(o, prefix);
		fmt_puts(o, "???");
		return true;
	}
	for (i = FMT_CLONE3_ARGS_SIZE; i < total && !p[i]; i++)
		;
	if (i == total)
		return false;
	fmt_puts(o, prefix);
	fmt_puts(o, "/* bytes ");
	fmt_digits(o, FMT_CLONE3_ARGS_SIZE, 10);
	fmt_puts(o, "..");
	fmt_digits(o, total - 1, 10);
	fmt_puts(o, " */ ");
	i = total - FMT_CLONE3_ARGS_SIZE;
	fmt_put_hex_quoted(o, p + FMT_CLONE3_ARGS_SIZE, i < FMT_MAX_STRLEN ? i : FMT_MAX_STRLEN);
	if (i > FMT_MAX_STRLEN)
		fmt_puts(o, "...");
	return true;
}

/*
 * Whether strace decodes the struct at all: a non-NULL address, size >= 64 and the first
 * MIN(size, 88) bytes readable (len: how many bytes from addr the caller could read).
 */
static inline bool fmt_clone3_decoded(size_t len, uint64_t addr, uint64_t usize)
{
	size_t n = fmt_clone3_fetch_size(usize);

	return addr && n >= FMT_CLONE3_MIN_SIZE && len >= n;
}

/*
 * clone3(uargs, size)'s first argument at syscall entry (SYS_FUNC(clone3) in src/clone.c).
 * args/len: the bytes read from addr (the uargs argument); read MIN(size, 4096) of them, or
 * 88 when size <= 88: a short read is a fault there. usize: the size argument.
 * NULL, or the address, when addr is NULL, size < 64 or the first MIN(size, 88) bytes could not
 * be read. Otherwise "{flags=..." with pidfd= (CLONE_PIDFD), child_tid= (CLONE_CHILD_SETTID or
 * CLONE_CHILD_CLEARTID), parent_tid= (CLONE_PARENT_SETTID), exit_signal= (always: a signal
 * below INT_MAX, else the number), stack=, stack_size= (always), tls= (CLONE_SETTLS),
 * set_tid=, set_tid_size= (either non-zero), cgroup= (size > 80 and non-zero or
 * CLONE_INTO_CGROUP), then the non-zero bytes past 88 if size > 88, and "}".
 * set_tid/set_tid_len: the ints read from set_tid, set_tid_len < set_tid_size if the read
 * faulted at that element (the array is printed only if both fields are non-zero and
 * set_tid_size <= 32, else set_tid's address).
 * The ", SIZE" that follows is printed at entry when !fmt_clone3_has_exit(), else at exit.
 */
static inline int fmt_clone3_entry(char *buf, size_t size, const void *args, size_t len,
				   uint64_t addr, uint64_t usize, const int *set_tid,
				   size_t set_tid_len)
{
	struct fmt_out o = fmt_begin(buf, size);
	uint64_t v[FMT_CLONE3_NR];
	uint64_t flags;

	if (!fmt_clone3_decoded(len, addr, usize)) {
		fmt_put_addr(&o, addr);
		return fmt_end(&o);
	}
	fmt_clone3_load(v, args, len, usize);
	flags = v[FMT_CLONE3_FLAGS];

	fmt_puts(&o, "{flags=");
	fmt_put_flags2(&o, fmt_clone_flag_names, FMT_COUNT(fmt_clone_flag_names),
		       fmt_clone3_flag_names, FMT_COUNT(fmt_clone3_flag_names), flags,
		       "CLONE_???");
	if (flags & FMT_CLONE_PIDFD) {
		fmt_puts(&o, ", pidfd=");
		fmt_put_addr(&o, v[FMT_CLONE3_PIDFD]);
	}
	if (flags & (FMT_CLONE_CHILD_SETTID | FMT_CLONE_CHILD_CLEARTID)) {
		fmt_puts(&o, ", child_tid=");
		fmt_put_addr(&o, v[FMT_CLONE3_CHILD_TID]);
	}
	if (flags & FMT_CLONE_PARENT_SETTID) {
		fmt_puts(&o, ", parent_tid=");
		fmt_put_addr(&o, v[FMT_CLONE3_PARENT_TID]);
	}
	fmt_puts(&o, ", exit_signal=");
	if (v[FMT_CLONE3_EXIT_SIGNAL] < INT32_MAX)
		fmt_put_signal(&o, (int)v[FMT_CLONE3_EXIT_SIGNAL]);
	else
		fmt_digits(&o, v[FMT_CLONE3_EXIT_SIGNAL], 10);
	fmt_puts(&o, ", stack=");
	fmt_put_addr(&o, v[FMT_CLONE3_STACK]);
	fmt_puts(&o, ", stack_size=");
	fmt_hex(&o, v[FMT_CLONE3_STACK_SIZE]);
	if (flags & FMT_CLONE_SETTLS) {
		fmt_puts(&o, ", tls=");
		fmt_put_addr(&o, v[FMT_CLONE3_TLS]);
	}
	if (v[FMT_CLONE3_SET_TID] || v[FMT_CLONE3_SET_TID_SIZE]) {
		uint64_t n = v[FMT_CLONE3_SET_TID_SIZE];

		fmt_puts(&o, ", set_tid=");
		if (!v[FMT_CLONE3_SET_TID] || !n || n > FMT_CLONE3_MAX_SET_TID ||
		    !set_tid_len) {
			fmt_put_addr(&o, v[FMT_CLONE3_SET_TID]);
		} else {
			fmt_putc(&o, '[');
			for (size_t i = 0; i < n; i++) {
				if (i)
					fmt_puts(&o, ", ");
				if (i >= set_tid_len) {
					fmt_puts(&o, "... /* ");
					fmt_hex(&o, v[FMT_CLONE3_SET_TID] + 4 * i);
					fmt_puts(&o, " */");
					break;
				}
				fmt_dec(&o, set_tid[i]);
			}
			fmt_putc(&o, ']');
		}
		fmt_puts(&o, ", set_tid_size=");
		fmt_digits(&o, n, 10);
	}
	if (fmt_clone3_fetch_size(usize) > 10 * 8 &&
	    (v[FMT_CLONE3_CGROUP] || (flags & FMT_CLONE_INTO_CGROUP))) {
		fmt_puts(&o, ", cgroup=");
		fmt_digits(&o, v[FMT_CLONE3_CGROUP], 10);
	}
	fmt_clone3_put_tail(&o, ", ", args, len, usize);
	fmt_putc(&o, '}');
	return fmt_end(&o);
}

/*
 * Whether strace left clone3 unfinished at entry (RVAL_TID without RVAL_DECODED): the struct
 * was decoded and it has CLONE_PIDFD or CLONE_PARENT_SETTID, or size > 88. Arguments as for
 * fmt_clone3_entry(). Then the entry printed "clone3(" ENTRY (ending in "}") and the exit
 * prints fmt_clone3_exit() (" => {...}", " => ADDR" or nothing), ", SIZE" and ") = RET";
 * with -f and another task in between: "clone3({...} <unfinished ...>", then
 * "<... clone3 resumed> => {parent_tid=[N]}, 88) = N". Otherwise the entry printed
 * "clone3(" ENTRY ", SIZE" (unfinished: "clone3({...}, 88 <unfinished ...>", then
 * "<... clone3 resumed>) = N"). SIZE is the size argument in decimal.
 */
static inline bool fmt_clone3_has_exit(const void *args, size_t len, uint64_t addr,
				       uint64_t usize)
{
	uint64_t v[FMT_CLONE3_NR];

	if (!fmt_clone3_decoded(len, addr, usize))
		return false;
	fmt_clone3_load(v, args, len, usize);
	return (v[FMT_CLONE3_FLAGS] & (FMT_CLONE_PIDFD | FMT_CLONE_PARENT_SETTID)) ||
	       usize > FMT_CLONE3_ARGS_SIZE;
}

/*
 * clone3's exit part, to call only when fmt_clone3_has_exit() was true at entry and the call
 * succeeded (nothing at all is printed after an error). args/len: struct clone_args read
 * again from addr after the call (as for fmt_clone3_entry(); its flags decide). " => ADDR" if
 * that read faulted. Else " => {pidfd=[FD], parent_tid=[TID]}" for the flags set, then the
 * non-zero bytes past 88 (" => {" or ", " before them), each value read from the pointer
 * in the struct: pidfd/parent_tid point to it, NULL if it could not be read (strace then
 * prints the pointer, NULL for 0). Empty when none of these applies (size > 88 with a zero
 * tail and neither flag).
 */
static inline int fmt_clone3_exit(char *buf, size_t size, const void *args, size_t len,
				  uint64_t addr, uint64_t usize, const int *parent_tid,
				  const int *pidfd)
{
	struct fmt_out o = fmt_begin(buf, size);
	const char *prefix = " => {";
	uint64_t v[FMT_CLONE3_NR];

	if (len < fmt_clone3_fetch_size(usize)) {
		fmt_puts(&o, " => ");
		fmt_put_addr(&o, addr);
		return fmt_end(&o);
	}
	fmt_clone3_load(v, args, len, usize);
	if (v[FMT_CLONE3_FLAGS] & FMT_CLONE_PIDFD) {
		fmt_puts(&o, prefix);
		prefix = ", ";
		fmt_puts(&o, "pidfd=");
		if (pidfd && v[FMT_CLONE3_PIDFD]) {
			fmt_putc(&o, '[');
			fmt_dec(&o, *pidfd);
			fmt_putc(&o, ']');
		} else {
			fmt_put_addr(&o, v[FMT_CLONE3_PIDFD]);
		}
	}
	if (v[FMT_CLONE3_FLAGS] & FMT_CLONE_PARENT_SETTID) {
		fmt_puts(&o, prefix);
		prefix = ", ";
		fmt_puts(&o, "parent_tid=");
		if (parent_tid && v[FMT_CLONE3_PARENT_TID]) {
			fmt_putc(&o, '[');
			fmt_dec(&o, *parent_tid);
			fmt_putc(&o, ']');
		} else {
			fmt_put_addr(&o, v[FMT_CLONE3_PARENT_TID]);
		}
	}
	if (usize > FMT_CLONE3_ARGS_SIZE && fmt_clone3_put_tail(&o, prefix, args, len, usize))
		prefix = ", ";
	if (prefix[0] == ',')
		fmt_putc(&o, '}');
	return fmt_end(&o);
}

/* ------------------------------------------------------------------ strings */

/*
 * string_quote() with xflag = HEXSTR_NONE (6.1's default: no hex heuristic without -x):
 * \" \\ \f \n \r \t \v, bytes 0x20..0x7e as is, the rest in octal, padded to three digits
 * only when the next printed byte is an octal digit ("\1" "23" is \00123, "\0" "8" is \08).
 * The look-ahead stops at the printed length, so a byte cut off by -s never pads.
 */
static inline void fmt_put_quoted(struct fmt_out *o, const unsigned char *s, size_t n)
{
	fmt_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"': case '\\':
			fmt_putc(o, '\\');
			fmt_putc(o, c);
			break;
		case '\f':
			fmt_puts(o, "\\f");
			break;
		case '\n':
			fmt_puts(o, "\\n");
			break;
		case '\r':
			fmt_puts(o, "\\r");
			break;
		case '\t':
			fmt_puts(o, "\\t");
			break;
		case '\v':
			fmt_puts(o, "\\v");
			break;
		default:
			if (c >= ' ' && c < 0x7f) {
				fmt_putc(o, c);
				break;
			}
			fmt_putc(o, '\\');
			if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') {
				fmt_putc(o, '0' + (c >> 6));
				fmt_putc(o, '0' + ((c >> 3) & 7));
			} else if (c >> 3) {
				if (c >> 6)
					fmt_putc(o, '0' + (c >> 6));
				fmt_putc(o, '0' + ((c >> 3) & 7));
			}
			fmt_putc(o, '0' + (c & 7));
		}
	}
	fmt_putc(o, '"');
}

/*
 * A quoted string or buffer. s/len: the bytes captured; total: the object's length.
 * QUOTE_BUF (printstrn: write's buffer, read's at exit): the first min(len, 32) bytes,
 *   NULs included, then "..." if total > 32. An empty buffer is "".
 * QUOTE_PATH (printpathn): s is the path without its NUL, printed whole up to 4095 bytes;
 *   "..." when the path was longer than what is printed (total > printed length).
 * QUOTE_STR (printstr, e.g. each argv element): a C string: stops at a NUL within len,
 *   prints at most 32 bytes, "..." when the string is longer than 32 (capture at least
 *   33 bytes or up to the NUL, and pass total > 32 when cut).
 */
static inline int fmt_quoted(char *buf, size_t size, const unsigned char *s, size_t len,
			     size_t total, int style)
{
	struct fmt_out o = fmt_begin(buf, size);
	size_t max = style == QUOTE_PATH ? FMT_MAX_PATHLEN : FMT_MAX_STRLEN;
	size_t n = len;

	if (style == QUOTE_STR) {
		const unsigned char *nul = memchr(s, '\0', len);

		if (nul) {
			n = nul - s;
			total = n;
		}
	}
	if (style == QUOTE_PATH) {
		if (total < n)
			total = n;
	} else if (n > total) {
		n = total;
	}
	if (n > max)
		n = max;
	fmt_put_quoted(&o, s, n);
	if (total > (style == QUOTE_PATH ? n : max))
		fmt_puts(&o, "...");
	return fmt_end(&o);
}

/*
 * execve/execveat argv (printargv, verbose): ["a", "b"] with each element as QUOTE_STR.
 * strs[i]: element i as a C string (or at least its first 33 bytes, unterminated), or
 * NULL if it could not be read: then addrs[i] is printed instead (addrs may be NULL when no
 * strs[i] is NULL). n: the non-NULL pointers read; strace stops after 32 with ", ...", so
 * reading 33 is enough. fault_addr: 0 if the array was NULL-terminated after n elements, else
 * the address of the pointer slot that could not be read: ", ..." and that address in a C
 * comment before the "]", or only that address when n == 0 (argv == NULL prints as NULL:
 * use fmt_addr()).
 */
static inline int fmt_strv(char *buf, size_t size, const char *const strs[],
			   const uint64_t addrs[], size_t n, uint64_t fault_addr)
{
	struct fmt_out o = fmt_begin(buf, size);

	if (!n && fault_addr) {
		fmt_put_addr(&o, fault_addr);
		return fmt_end(&o);
	}
	fmt_putc(&o, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			fmt_puts(&o, ", ");
		if (i >= FMT_MAX_STRLEN) {
			fmt_puts(&o, "...");
			fault_addr = 0;
			break;
		}
		if (strs[i]) {
			size_t l = 0;

			while (l <= FMT_MAX_STRLEN && strs[i][l])
				l++;
			fmt_put_quoted(&o, (const unsigned char *)strs[i],
				       l > FMT_MAX_STRLEN ? FMT_MAX_STRLEN : l);
			if (l > FMT_MAX_STRLEN)
				fmt_puts(&o, "...");
		} else {
			fmt_put_addr(&o, addrs ? addrs[i] : 0);
		}
	}
	if (fault_addr) {
		fmt_puts(&o, ", ... /* ");
		fmt_hex(&o, fault_addr);
		fmt_puts(&o, " */");
	}
	fmt_putc(&o, ']');
	return fmt_end(&o);
}

/*
 * execve's envp without -v (printargc): the address, then "23 vars" ("1 var") in a C
 * comment. count: the non-NULL pointers before the NULL; count < 0 if the first slot could
 * not be read (only the address is printed); unterminated: a later slot could not be read.
 */
static inline int fmt_envp(char *buf, size_t size, uint64_t addr, long count, bool unterminated)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_addr(&o, addr);
	if (addr && count >= 0) {
		fmt_puts(&o, " /* ");
		fmt_digits(&o, (uint64_t)count, 10);
		fmt_puts(&o, count == 1 ? " var" : " vars");
		if (unterminated)
			fmt_puts(&o, ", unterminated");
		fmt_puts(&o, " */");
	}
	return fmt_end(&o);
}

/* ------------------------------------------------------------------ struct stat */

/* src/xlat/modetypes.in */
static const struct fmt_flag fmt_mode_types[] = {
	{ 0100000, "S_IFREG" },
	{ 0140000, "S_IFSOCK" },
	{ 0010000, "S_IFIFO" },
	{ 0120000, "S_IFLNK" },
	{ 0040000, "S_IFDIR" },
	{ 0060000, "S_IFBLK" },
	{ 0020000, "S_IFCHR" },
};

/* print_symbolic_mode_t: S_IFREG|S_ISUID|0755; an unknown file type: the number, 0170644 */
static inline void fmt_put_symbolic_mode(struct fmt_out *o, unsigned int mode)
{
	const char *ifmt = "";

	if (mode & 0170000)
		ifmt = fmt_lookup(fmt_mode_types, FMT_COUNT(fmt_mode_types), mode & 0170000);
	if (!ifmt) {
		fmt_oct03(o, mode);
		return;
	}
	if (*ifmt) {
		fmt_puts(o, ifmt);
		fmt_putc(o, '|');
	}
	if (mode & 04000)
		fmt_puts(o, "S_ISUID|");
	if (mode & 02000)
		fmt_puts(o, "S_ISGID|");
	if (mode & 01000)
		fmt_puts(o, "S_ISVTX|");
	fmt_oct03(o, mode & 0777);
}

static inline int fmt_symbolic_mode(char *buf, size_t size, unsigned int mode)
{
	struct fmt_out o = fmt_begin(buf, size);

	fmt_put_symbolic_mode(&o, mode);
	return fmt_end(&o);
}

/* print_dev_t: makedev(0x1, 0x3) with glibc's major()/minor() split, 0 as "0" */
static inline void fmt_put_dev(struct fmt_out *o, uint64_t dev)
{
	uint32_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu);
	uint32_t minor = (dev & 0xff) | ((dev >> 12) & ~0xffu);

	fmt_puts(o, "makedev(");
	fmt_hex(o, major);
	fmt_puts(o, ", ");
	fmt_hex(o, minor);
	fmt_putc(o, ')');
}

/* Offsets in the kernel's x86_64 struct stat (arch/x86/include/uapi/asm/stat.h, 144 bytes) */
#define FMT_STAT_SIZE		144
#define FMT_STAT_MODE_OFF	24
#define FMT_STAT_RDEV_OFF	40
#define FMT_STAT_SIZE_OFF	48

/*
 * print_struct_stat() abbreviated: {st_mode=S_IFREG|0644, st_size=1234, ...}, or for
 * character and block devices {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}.
 * st points to the 144 bytes of newfstatat/fstat/stat/lstat's buffer (any alignment);
 * st_size is printed unsigned, as strace does.
 */
static inline int fmt_stat(char *buf, size_t size, const void *st)
{
	struct fmt_out o = fmt_begin(buf, size);
	const unsigned char *p = st;
	uint32_t mode;
	uint64_t v;

	memcpy(&mode, p + FMT_STAT_MODE_OFF, sizeof(mode));
	fmt_puts(&o, "{st_mode=");
	fmt_put_symbolic_mode(&o, mode);
	switch (mode & 0170000) {
	case 0020000: case 0060000:
		memcpy(&v, p + FMT_STAT_RDEV_OFF, sizeof(v));
		fmt_puts(&o, ", st_rdev=");
		fmt_put_dev(&o, v);
		break;
	default:
		memcpy(&v, p + FMT_STAT_SIZE_OFF, sizeof(v));
		fmt_puts(&o, ", st_size=");
		fmt_digits(&o, v, 10);
		break;
	}
	fmt_puts(&o, ", ...}");
	return fmt_end(&o);
}

#endif /* UTRACE_STRACE_XLAT_H */
