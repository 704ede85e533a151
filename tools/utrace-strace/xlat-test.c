// SPDX-License-Identifier: GPL-2.0
/*
 * Checks xlat.h's formatters against strace 6.1's own output.
 *
 * Build and run on the host (from the top of the tree):
 *	gcc -O2 -Wall -Wextra -Werror -o /tmp/xlat-test tools/utrace-strace/xlat-test.c &&
 *	/tmp/xlat-test
 * It prints "ok N - desc" / "not ok N - desc" (with the two strings on failure) and exits 1 if
 * any case failed.
 *
 * Every expected string was copied from a real run: a static program issuing the syscalls
 * with these arguments through syscall(2) (mostly on /nonexistent paths so nothing happens),
 * traced with "strace -e trace=write,openat,open,chmod,mmap,mprotect,access,newfstatat,stat,
 * fstat,unlinkat,clone,clone3,execve" (strace 6.1, x86_64; clone3's <unfinished ...> lines
 * with -f, its children exiting at once on their own stacks). The few cases marked "(source)"
 * cannot be produced by a kernel and follow strace's source instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat.h"

static int nr_test, nr_fail;
static char out[8192];

static void check(const char *desc, int ret, const char *want)
{
	int ok = !strcmp(out, want) && ret == (int)strlen(out);

	nr_test++;
	printf("%sok %d - %s\n", ok ? "" : "not ", nr_test, desc);
	if (!ok) {
		nr_fail++;
		printf("#   got (%d): %s\n#  want (%zu): %s\n", ret, out, strlen(want), want);
	}
}

/* write(fd, buf, len) / read's buffer */
static void t_buf(const char *b, size_t len, const char *want)
{
	check(want, fmt_quoted(out, sizeof(out), (const unsigned char *)b, len, len, QUOTE_BUF),
	      want);
}

static void t_path(const char *p, const char *want)
{
	size_t n = strlen(p);

	check(want, fmt_quoted(out, sizeof(out), (const unsigned char *)p, n, n, QUOTE_PATH),
	      want);
}

static void t_open(uint64_t flags, unsigned int mode, const char *want)
{
	int n = fmt_open_flags(out, sizeof(out), flags);

	if (fmt_open_has_mode(flags)) {
		strcpy(out + n, ", ");
		n += 2 + fmt_mode(out + n + 2, sizeof(out) - n - 2, mode);
	}
	check(want, n, want);
}

static void t_mode(unsigned int mode, const char *want)
{
	check(want, fmt_mode(out, sizeof(out), mode), want);
}

static void t_prot(uint64_t prot, const char *want)
{
	check(want, fmt_mmap_prot(out, sizeof(out), prot), want);
}

static void t_mmap(uint64_t flags, const char *want)
{
	check(want, fmt_mmap_flags(out, sizeof(out), flags), want);
}

static void t_access(uint64_t mode, const char *want)
{
	check(want, fmt_access_mode(out, sizeof(out), mode), want);
}

static void t_at(uint64_t flags, const char *want)
{
	check(want, fmt_at_flags(out, sizeof(out), flags), want);
}

/* a kernel x86_64 struct stat with the fields strace's abbreviated form shows */
static void t_stat(unsigned int mode, uint64_t size, unsigned int major, unsigned int minor,
		   const char *want)
{
	unsigned char st[FMT_STAT_SIZE];
	/* the kernel's new_encode_dev() */
	uint64_t rdev = (minor & 0xff) | (major << 8) | ((uint64_t)(minor & ~0xffu) << 12);

	memset(st, 0x5a, sizeof(st));
	memcpy(st + FMT_STAT_MODE_OFF, &mode, sizeof(mode));
	memcpy(st + FMT_STAT_RDEV_OFF, &rdev, sizeof(rdev));
	memcpy(st + FMT_STAT_SIZE_OFF, &size, sizeof(size));
	check(want, fmt_stat(out, sizeof(out), st), want);
}

/* clone's whole argument list as printed once the call returned: entry part + exit part */
static void t_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls,
		    const int *ptid_val, const char *want)
{
	const uint64_t args[5] = { flags, stack, ptid, ctid, tls };
	int n = fmt_clone_args(out, sizeof(out), args);

	if (fmt_clone_has_exit(args))
		n += fmt_clone_exit(out + n, sizeof(out) - n, args, ptid_val);
	else if (fmt_clone_exit(out + n, sizeof(out) - n, args, ptid_val) != 0)
		n = -1;
	check(want, n, want);
}

/* the kernel's struct clone_args */
struct clone_args_t {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

static unsigned char cbuf[FMT_PAGE_SIZE + 8];

/*
 * clone3's arguments as printed once the call returned: entry part, then (if strace deferred
 * it) the exit part when the call succeeded (ok), and ", SIZE". a is copied to cbuf, whose
 * first len bytes are readable; set_tid: the set_tid_len ints read from a->set_tid.
 * The exit part sees the same bytes.
 */
static void t_clone3_ex(const struct clone_args_t *a, size_t len, uint64_t addr, uint64_t usize,
			const int *set_tid, size_t set_tid_len, bool ok, const int *ptid,
			const int *pidfd, const char *want)
{
	int n;

	if (a)
		memcpy(cbuf, a, sizeof(*a));
	n = fmt_clone3_entry(out, sizeof(out), cbuf, len, addr, usize, set_tid, set_tid_len);
	if (fmt_clone3_has_exit(cbuf, len, addr, usize) && ok)
		n += fmt_clone3_exit(out + n, sizeof(out) - n, cbuf, len, addr, usize, ptid,
				     pidfd);
	n += snprintf(out + n, sizeof(out) - n, ", %llu", (unsigned long long)usize);
	check(want, n, want);
}

/* readable, at address 0x4b8000 */
static void t_clone3(const struct clone_args_t *a, uint64_t usize, bool ok, const int *ptid,
		     const int *pidfd, const char *want)
{
	size_t len = fmt_clone3_total_size(usize);

	if (len < FMT_CLONE3_ARGS_SIZE)
		len = FMT_CLONE3_ARGS_SIZE;
	t_clone3_ex(a, len, 0x4b8000, usize, NULL, 0, ok, ptid, pidfd, want);
}

/* what "strace -f" printed before " <unfinished ...>": "clone3(" ENTRY [", SIZE"] */
static void t_clone3_unfinished(const struct clone_args_t *a, uint64_t usize, const char *want)
{
	size_t len = fmt_clone3_total_size(usize);
	int n;

	if (len < FMT_CLONE3_ARGS_SIZE)
		len = FMT_CLONE3_ARGS_SIZE;
	memset(cbuf, 0, sizeof(cbuf));
	memcpy(cbuf, a, sizeof(*a));
	n = snprintf(out, sizeof(out), "clone3(");
	n += fmt_clone3_entry(out + n, sizeof(out) - n, cbuf, len, 0x4b8000, usize, NULL, 0);
	if (!fmt_clone3_has_exit(cbuf, len, 0x4b8000, usize))
		n += snprintf(out + n, sizeof(out) - n, ", %llu", (unsigned long long)usize);
	check(want, n, want);
}

/* execve's argv and envp, joined by ", " as in the strace line */
static void t_execve(const char *const *argv, const uint64_t *addrs, size_t n, uint64_t fault,
		     uint64_t envp, long envc, bool unterminated, const char *want)
{
	int len = argv || fault ? fmt_strv(out, sizeof(out), argv, addrs, n, fault)
				: fmt_addr(out, sizeof(out), 0);

	strcpy(out + len, ", ");
	len += 2 + fmt_envp(out + len + 2, sizeof(out) - len - 2, envp, envc, unterminated);
	check(want, len, want);
}

static void test_quote(void)
{
	unsigned char b[64];
	static char big[4600], want[4700];
	int i;

	t_buf("\0\1\2abc\n\x7f\xff", 9, "\"\\0\\1\\2abc\\n\\177\\377\"");
	t_buf("\1" "23" "\0" "8" "\33[0m" "\177" "7" "\t9", 14,
	      "\"\\00123\\08\\33[0m\\1777\\t9\\0\"");
	t_buf("0123456789abcdefghijklmnopqrstuvwxyzABCD", 40,
	      "\"0123456789abcdefghijklmnopqrstuv\"...");
	t_buf("", 0, "\"\"");
	t_buf("0123456789abcdefghijklmnopqrstuv", 32, "\"0123456789abcdefghijklmnopqrstuv\"");
	t_buf("0123456789abcdefghijklmnopqrstuvw", 33, "\"0123456789abcdefghijklmnopqrstuv\"...");
	t_buf("say \"hi\" \\ 'x' ?", 16, "\"say \\\"hi\\\" \\\\ 'x' ?\"");
	/* \2 at byte 31 is followed by '1' at byte 32, beyond -s 32: no padding */
	memset(b, 'a', 40);
	b[30] = 1;
	b[31] = 2;
	b[32] = '1';
	t_buf((char *)b, 40, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\1\\2\"...");
	/* no hex even when every byte is non-ASCII: 6.1 only hex-quotes with -x */
	for (i = 0; i < 32; i++)
		b[i] = 0x80 + i;
	t_buf((char *)b, 32,
	      "\"\\200\\201\\202\\203\\204\\205\\206\\207\\210\\211\\212\\213\\214\\215\\216"
	      "\\217\\220\\221\\222\\223\\224\\225\\226\\227\\230\\231\\232\\233\\234\\235\\236"
	      "\\237\"");
	t_buf("\r\f\v\t\b\a\x1f ~", 10, "\"\\r\\f\\v\\t\\10\\7\\37 ~\\0\"");
	t_buf("\0\0\0\0", 4, "\"\\0\\0\\0\\0\"");
	t_buf("\0" "0\0" "9\300" "1", 6, "\"\\0000\\09\\3001\"");
	t_buf("\x7f" "0\x80" "8\xff" "7", 6, "\"\\1770\\2008\\3777\"");
	/* write(4, buf, 1234) with only the first 32 bytes captured */
	memset(big, 'x', 32);
	check("write of 1234 bytes, 32 captured",
	      fmt_quoted(out, sizeof(out), (unsigned char *)big, 32, 1234, QUOTE_BUF),
	      "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"...");

	t_path("/nonexistent/a\nb\1" "1\tc\"\\", "\"/nonexistent/a\\nb\\0011\\tc\\\"\\\\\"");
	t_path("/ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
	       "pppppppppppppppppp",
	       "\"/ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
	       "pppppppppppppppppppp\"");
	t_path("", "\"\"");
	t_path("/tmp/\303\251\1", "\"/tmp/\\303\\251\\1\"");

	/* a 4499-byte path: strace printed its first 4095 bytes, then "..." */
	memset(big, 'q', 4499);
	big[0] = '/';
	big[4499] = '\0';
	want[0] = '"';
	memcpy(want + 1, big, 4095);
	strcpy(want + 4096, "\"...");
	check("4499-byte path: 4095 bytes and ...",
	      fmt_quoted(out, sizeof(out), (unsigned char *)big, 4499, 4499, QUOTE_PATH), want);
	check("4499-byte path, 4095 captured",
	      fmt_quoted(out, sizeof(out), (unsigned char *)big, 4095, 4499, QUOTE_PATH), want);
	/* a 4095-byte path is printed whole */
	memset(big, 'r', 4095);
	big[0] = '/';
	big[4095] = '\0';
	memcpy(want + 1, big, 4095);
	strcpy(want + 4096, "\"");
	check("4095-byte path: whole",
	      fmt_quoted(out, sizeof(out), (unsigned char *)big, 4095, 4095, QUOTE_PATH), want);

	/* the bounds: cut, never overflowed, always terminated */
	memset(out, '#', 64);
	i = fmt_quoted(out, 8, (const unsigned char *)"\1\2\3\4", 4, 4, QUOTE_BUF);
	nr_test++;
	if (i == 7 && !memcmp(out, "\"\\1\\2\\3\0#", 9)) {
		printf("ok %d - truncated to size 8\n", nr_test);
	} else {
		nr_fail++;
		printf("not ok %d - truncated to size 8: %d %.9s\n", nr_test, i, out);
	}
	memset(out, '#', 64);
	i = fmt_open_flags(out, 1, 0101);
	nr_test++;
	if (i == 0 && out[0] == '\0' && out[1] == '#') {
		printf("ok %d - size 1 gives an empty string\n", nr_test);
	} else {
		nr_fail++;
		printf("not ok %d - size 1 gives an empty string\n", nr_test);
	}
}

static void test_open(void)
{
	t_open(02000000, 0, "O_RDONLY|O_CLOEXEC");
	t_open(01101, 0644, "O_WRONLY|O_CREAT|O_TRUNC, 0644");
	t_open(0302, 0, "O_RDWR|O_CREAT|O_EXCL, 000");
	t_open(3, 0, "O_ACCMODE");
	t_open(3 | 02000000, 0, "O_ACCMODE|O_CLOEXEC");
	t_open(04000 | 0100000 | 0200000 | 02000000, 0,
	       "O_RDONLY|O_NONBLOCK|O_LARGEFILE|O_CLOEXEC|O_DIRECTORY");
	t_open(010000000 | 0400000, 0, "O_RDONLY|O_NOFOLLOW|O_PATH");
	t_open(020200000 | 2, 0600, "O_RDWR|O_TMPFILE, 0600");
	t_open(020000000, 0755, "O_RDONLY|__O_TMPFILE, 0755");
	t_open(04010001, 0, "O_WRONLY|O_SYNC");
	t_open(010000, 0, "O_RDONLY|O_DSYNC");
	t_open(04000000, 0, "O_RDONLY|__O_SYNC");
	t_open(0x800000 | 0x10000000, 0, "O_RDONLY|0x10800000");
	t_open(1 | 0x80000000, 0, "O_WRONLY|0x80000000");
	t_open(02000 | 0400 | 040000 | 01000000 | 020000, 0,
	       "O_RDONLY|O_NOCTTY|O_APPEND|O_DIRECT|O_NOATIME|FASYNC");
	t_open(0x100000002ULL, 0, "O_RDWR");
	t_open(0100, 01777, "O_RDONLY|O_CREAT, 01777");
	t_open(0100, 04755, "O_RDONLY|O_CREAT, 04755");
	t_open(0100, 0x12345, "O_RDONLY|O_CREAT, 021505");
	t_open(0100, (unsigned int)0x100000007ULL, "O_RDONLY|O_CREAT, 007");
	t_open(0, 0644, "O_RDONLY");
	t_open(02101, 0666, "O_WRONLY|O_CREAT|O_APPEND, 0666");	/* open(2) */

	t_mode(0, "000");
	t_mode(0644, "0644");
	t_mode(01777, "01777");
	t_mode(07, "007");
	t_mode(0177777, "0177777");
	t_mode(0200755, "0755");
}

static void test_mmap(void)
{
	t_prot(3, "PROT_READ|PROT_WRITE");
	t_prot(0, "PROT_NONE");
	t_prot(5, "PROT_READ|PROT_EXEC");
	t_prot(1 | 0x10, "PROT_READ|0x10");
	t_prot(1 | 0x100000000ULL, "PROT_READ|0x100000000");
	t_prot(0x20, "0x20 /* PROT_??? */");
	t_prot(0x8 | 0x01000000 | 2, "PROT_WRITE|PROT_SEM|PROT_GROWSDOWN");
	t_prot(0x02000000, "PROT_GROWSUP");

	t_mmap(0x22, "MAP_PRIVATE|MAP_ANONYMOUS");
	t_mmap(0x11, "MAP_SHARED|MAP_FIXED");
	t_mmap(0x812, "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
	t_mmap(0x80003, "MAP_SHARED_VALIDATE|MAP_SYNC");
	t_mmap(0x22 | 0x20000 | 0x4000 | 0x100,
	       "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_GROWSDOWN|MAP_STACK");
	t_mmap(0x100002, "MAP_PRIVATE|MAP_FIXED_NOREPLACE");
	t_mmap(0x20, "MAP_FILE|MAP_ANONYMOUS");
	t_mmap(0, "MAP_FILE");
	t_mmap(0x2f, "0xf /* MAP_??? */|MAP_ANONYMOUS");
	t_mmap(0x5, "0x5 /* MAP_??? */");
	t_mmap(0x22 | 0x40000 | (21u << 26),
	       "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT");
	t_mmap(0x2 | 0x200000 | 0x400000, "MAP_PRIVATE|0x600000");
	t_mmap(0x2 | 0x100000000ULL, "MAP_PRIVATE");
	t_mmap(0x2 | 0x40 | 0x8000 | 0x10000 | 0x1000 | 0x2000,
	       "MAP_PRIVATE|MAP_32BIT|MAP_POPULATE|MAP_NONBLOCK|MAP_EXECUTABLE|MAP_LOCKED");
	t_mmap(0x2 | 0x4000000, "MAP_PRIVATE|1<<MAP_HUGE_SHIFT");
	t_mmap(0x1 | 0x80000000, "MAP_SHARED|32<<MAP_HUGE_SHIFT");
}

static void test_access_at(void)
{
	static const char *const modes[] = {
		"F_OK", "X_OK", "W_OK", "W_OK|X_OK", "R_OK", "R_OK|X_OK", "R_OK|W_OK",
		"R_OK|W_OK|X_OK", "0x8 /* ?_OK */", "X_OK|0x8",
	};

	for (unsigned int i = 0; i < FMT_COUNT(modes); i++)
		t_access(i, modes[i]);
	t_access(0x100000004ULL, "R_OK");
	t_access(0x10, "0x10 /* ?_OK */");

	t_at(0, "0");
	t_at(0x100, "AT_SYMLINK_NOFOLLOW");
	t_at(0x1100, "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	t_at(0x800, "AT_NO_AUTOMOUNT");
	t_at(0x2, "0x2 /* AT_??? */");
	t_at(0x200, "AT_REMOVEDIR");
	t_at(0x80001000, "AT_EMPTY_PATH|0x80000000");
	t_at(0x100000400ULL, "AT_SYMLINK_FOLLOW");
	t_at(0x8000, "AT_RECURSIVE");
	t_at(0x6000, "0x6000 /* AT_??? */");
	check("unlinkat AT_REMOVEDIR", fmt_unlinkat_flags(out, sizeof(out), 0x200),
	      "AT_REMOVEDIR");
	check("unlinkat 0", fmt_unlinkat_flags(out, sizeof(out), 0), "0");
	check("unlinkat 0x1", fmt_unlinkat_flags(out, sizeof(out), 0x1), "0x1 /* AT_??? */");
}

static void test_stat(void)
{
	t_stat(0100644, 1234, 0, 0, "{st_mode=S_IFREG|0644, st_size=1234, ...}");
	t_stat(0100000, 0, 0, 0, "{st_mode=S_IFREG|000, st_size=0, ...}");
	t_stat(0104755, 0, 0, 0, "{st_mode=S_IFREG|S_ISUID|0755, st_size=0, ...}");
	t_stat(0107777, 0, 0, 0, "{st_mode=S_IFREG|S_ISUID|S_ISGID|S_ISVTX|0777, st_size=0, ...}");
	t_stat(0102710, 0, 0, 0, "{st_mode=S_IFREG|S_ISGID|0710, st_size=0, ...}");
	t_stat(0020666, 0, 1, 3, "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
	t_stat(0060600, 0, 7, 7, "{st_mode=S_IFBLK|0600, st_rdev=makedev(0x7, 0x7), ...}");
	t_stat(0060600, 0, 0x123, 0x45678,
	       "{st_mode=S_IFBLK|0600, st_rdev=makedev(0x123, 0x45678), ...}");
	t_stat(0020600, 0, 0, 0, "{st_mode=S_IFCHR|0600, st_rdev=makedev(0, 0), ...}");
	t_stat(0041777, 4096, 0, 0, "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}");
	t_stat(0040755, 4096, 0, 0, "{st_mode=S_IFDIR|0755, st_size=4096, ...}");
	t_stat(0010640, 0, 0, 0, "{st_mode=S_IFIFO|0640, st_size=0, ...}");
	t_stat(0120777, 3, 0, 0, "{st_mode=S_IFLNK|0777, st_size=3, ...}");
	t_stat(0140755, 0, 0, 0, "{st_mode=S_IFSOCK|0755, st_size=0, ...}");
	/* (source) print_symbolic_mode_t: an unknown type prints the number, no type: bits */
	t_stat(0170644, 5, 0, 0, "{st_mode=0170644, st_size=5, ...}");
	t_stat(04644, 5, 0, 0, "{st_mode=S_ISUID|0644, st_size=5, ...}");
}

static void test_clone(void)
{
	int tid = 23487, fd = 5;

	t_clone(0x1200000 | 17, 0, 0, 0x4aa300, 0, NULL,
		"child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
		"child_tidptr=0x4aa300");
	t_clone(0x3d0f00, 0x4aa300, 0x4a92e0, 0x4aa300, 0x15022380, &tid,
		"child_stack=0x4aa300, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
		"CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
		"parent_tid=[23487], tls=0x15022380, child_tidptr=0x4aa300");
	t_clone(17, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=SIGCHLD");
	t_clone(0, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=0");
	t_clone(0x4100 | 17, 0x4aa300, 0, 0, 0, NULL,
		"child_stack=0x4aa300, flags=CLONE_VM|CLONE_VFORK|SIGCHLD");
	/* failed calls: parent_tid is printed as its address */
	t_clone(0x100800 | 40, 0, 0x4a92e0, 0, 0, NULL,
		"child_stack=NULL, flags=CLONE_SIGHAND|CLONE_PARENT_SETTID|SIGRT_8, "
		"parent_tid=0x4a92e0");
	t_clone(0x800 | 100, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=CLONE_SIGHAND|100");
	t_clone(0x800 | 65, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=CLONE_SIGHAND|65");
	t_clone(0x800 | 64, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=CLONE_SIGHAND|SIGRT_32");
	t_clone(0x800 | 33, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=CLONE_SIGHAND|SIGRT_1");
	t_clone(0x800 | 32, 0, 0, 0, 0, NULL, "child_stack=NULL, flags=CLONE_SIGHAND|SIGRTMIN");
	t_clone(0x800 | 0x400000 | 0x100000000ULL | 17, 0, 0, 0, 0, NULL,
		"child_stack=NULL, flags=CLONE_SIGHAND|0x100400000|SIGCHLD");
	t_clone(0x1180800, 0x1234, 0x4a92e0, 0x4aa300, 0, NULL,
		"child_stack=0x1234, flags=CLONE_SIGHAND|CLONE_SETTLS|CLONE_PARENT_SETTID|"
		"CLONE_CHILD_SETTID, parent_tid=0x4a92e0, tls=NULL, child_tidptr=0x4aa300");
	t_clone(0x1000 | 17, 0, 0x4a92e0, 0, 0, &fd,
		"child_stack=NULL, flags=CLONE_PIDFD|SIGCHLD, parent_tid=[5]");
	t_clone(0x1800, 0, 0x4a92e0, 0, 0, NULL,
		"child_stack=NULL, flags=CLONE_SIGHAND|CLONE_PIDFD, parent_tid=0x4a92e0");
	/* a successful call whose parent_tid could not be read back */
	t_clone(0x100000 | 17, 0, 8, 0, 0, NULL,
		"child_stack=NULL, flags=CLONE_PARENT_SETTID|SIGCHLD, parent_tid=0x8");
	t_clone(0xfe8aa800, 0, 0, 0, 0x7f00, NULL,
		"child_stack=NULL, flags=CLONE_SIGHAND|CLONE_PTRACE|CLONE_PARENT|CLONE_NEWNS|"
		"CLONE_SETTLS|CLONE_UNTRACED|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|"
		"CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_IO, tls=0x7f00");
	t_clone(0x400000 | 17, 0, 0, 0, 0, NULL,
		"child_stack=NULL, flags=0x400000 /* CLONE_??? */|SIGCHLD");
	t_clone(0x800 | 0x400000, 0, 0, 0, 0, NULL,
		"child_stack=NULL, flags=CLONE_SIGHAND|0x400000");
}

#define CLONE3_THREAD	(0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000)

static void test_clone3(void)
{
	const struct clone_args_t thr = {
		.flags = CLONE3_THREAD | 0x80000 | 0x100000, .child_tid = 0x7f6b8a3ff990,
		.parent_tid = 0x7f6b8a3ff990, .stack = 0x7f6b89bff000, .stack_size = 0x7fff80,
		.tls = 0x7f6b8a3ff6c0,
	};
	const struct clone_args_t thr2 = {
		.flags = CLONE3_THREAD, .child_tid = 0x4b83e0, .stack = 0x4a83e0,
		.stack_size = 0x10000,
	};
	const struct clone_args_t pidfd_ptid = {
		.flags = 0x1000 | 0x100000 | 0x1000000, .pidfd = 0x4a60d0, .child_tid = 0x4b83e0,
		.parent_tid = 0x4b83e4, .exit_signal = 17,
		/* beyond size 64: ignored */
		.set_tid = 0x1234, .set_tid_size = 1, .cgroup = 3,
	};
	const struct clone_args_t cg = { .exit_signal = 0x7fffffff, .stack = 0x1000,
					 .stack_size = 0x2000, .cgroup = 7 };
	const struct clone_args_t chld = { .exit_signal = 17 };
	int tid = 27532, tid2 = 1117, fd = 3, tids[] = { 1, 2, 3 }, zeros[32] = { 0 };
	char want[1024];

	/* glibc's pthread_create */
	t_clone3(&thr, 88, true, &tid, NULL,
		 "{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
		 "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f6b8a3ff990, "
		 "parent_tid=0x7f6b8a3ff990, exit_signal=0, stack=0x7f6b89bff000, "
		 "stack_size=0x7fff80, tls=0x7f6b8a3ff6c0} => {parent_tid=[27532]}, 88");
	t_clone3_unfinished(&thr, 88,
		 "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
		 "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
		 "child_tid=0x7f6b8a3ff990, parent_tid=0x7f6b8a3ff990, exit_signal=0, "
		 "stack=0x7f6b89bff000, stack_size=0x7fff80, tls=0x7f6b8a3ff6c0}");
	/* no CLONE_PARENT_SETTID: ", 88" printed at entry */
	t_clone3(&thr2, 88, true, NULL, NULL,
		 "{flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
		 "CLONE_CHILD_CLEARTID, child_tid=0x4b83e0, exit_signal=0, stack=0x4a83e0, "
		 "stack_size=0x10000}, 88");
	t_clone3_unfinished(&thr2, 88,
		 "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
		 "CLONE_SYSVSEM|CLONE_CHILD_CLEARTID, child_tid=0x4b83e0, exit_signal=0, "
		 "stack=0x4a83e0, stack_size=0x10000}, 88");
	/* size 96 (zero tail): deferred to exit, which adds nothing */
	t_clone3_unfinished(&(struct clone_args_t){ .flags = CLONE3_THREAD, .child_tid = 0x4b83e0,
						    .stack = 0x4a83e0, .stack_size = 0x1000 }, 96,
		 "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
		 "CLONE_SYSVSEM|CLONE_CHILD_CLEARTID, child_tid=0x4b83e0, exit_signal=0, "
		 "stack=0x4a83e0, stack_size=0x1000}");
	t_clone3(&chld, 88, true, NULL, NULL,
		 "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88");
	t_clone3(&(struct clone_args_t){ .flags = 0x1000, .pidfd = 0x4a60d0, .exit_signal = 17 },
		 88, true, NULL, &fd,
		 "{flags=CLONE_PIDFD, pidfd=0x4a60d0, exit_signal=SIGCHLD, stack=NULL, "
		 "stack_size=0} => {pidfd=[3]}, 88");
	t_clone3(&pidfd_ptid, 64, true, &tid2, &fd,
		 "{flags=CLONE_PIDFD|CLONE_PARENT_SETTID|CLONE_CHILD_SETTID, pidfd=0x4a60d0, "
		 "child_tid=0x4b83e0, parent_tid=0x4b83e4, exit_signal=SIGCHLD, stack=NULL, "
		 "stack_size=0} => {pidfd=[3], parent_tid=[1117]}, 64");
	/* parent_tid not writable/NULL: the call succeeds, strace prints the pointer */
	t_clone3(&(struct clone_args_t){ .flags = 0x100000, .parent_tid = 8, .exit_signal = 17 },
		 88, true, NULL, NULL,
		 "{flags=CLONE_PARENT_SETTID, parent_tid=0x8, exit_signal=SIGCHLD, stack=NULL, "
		 "stack_size=0} => {parent_tid=0x8}, 88");
	t_clone3(&(struct clone_args_t){ .flags = 0x100000, .exit_signal = 17 }, 88, true, &tid,
		 NULL, "{flags=CLONE_PARENT_SETTID, parent_tid=NULL, exit_signal=SIGCHLD, "
		 "stack=NULL, stack_size=0} => {parent_tid=NULL}, 88");
	/* failed: no exit part */
	t_clone3(&(struct clone_args_t){ .flags = 0x1000, .exit_signal = 17 }, 88, false, NULL,
		 NULL, "{flags=CLONE_PIDFD, pidfd=NULL, exit_signal=SIGCHLD, stack=NULL, "
		 "stack_size=0}, 88");

	/* not decoded: size < 64, NULL, unreadable, short read (80 of 88 bytes) */
	t_clone3_ex(&chld, 88, 0x7ffe38619910, 8, NULL, 0, false, NULL, NULL,
		    "0x7ffe38619910, 8");
	t_clone3_ex(&chld, 88, 0x7ffe38619910, 63, NULL, 0, false, NULL, NULL,
		    "0x7ffe38619910, 63");
	t_clone3_ex(NULL, 0, 0x8, 88, NULL, 0, false, NULL, NULL, "0x8, 88");
	t_clone3_ex(NULL, 0, 0, 88, NULL, 0, false, NULL, NULL, "NULL, 88");
	t_clone3_ex(&chld, 80, 0x7fc324f2dfb0, 88, NULL, 0, false, NULL, NULL,
		    "0x7fc324f2dfb0, 88");

	/* odd values */
	t_clone3(&(struct clone_args_t){ .flags = 0x80 | 0x11 | 0x100000000ULL | 0x400000,
					 .exit_signal = 100, .stack = 0x1000,
					 .stack_size = 0x2000 }, 88, false, NULL, NULL,
		 "{flags=CLONE_NEWTIME|CLONE_CLEAR_SIGHAND|0x400011, exit_signal=100, "
		 "stack=0x1000, stack_size=0x2000}, 88");
	t_clone3(&(struct clone_args_t){ .flags = 0x200000000ULL | 0x80000,
					 .exit_signal = 1ULL << 40, .stack = 0x1000,
					 .stack_size = 0x2000 }, 88, false, NULL, NULL,
		 "{flags=CLONE_SETTLS|CLONE_INTO_CGROUP, exit_signal=1099511627776, "
		 "stack=0x1000, stack_size=0x2000, tls=NULL, cgroup=0}, 88");
	t_clone3(&cg, 88, false, NULL, NULL,
		 "{flags=0, exit_signal=2147483647, stack=0x1000, stack_size=0x2000, cgroup=7}, "
		 "88");
	t_clone3(&cg, 80, false, NULL, NULL,
		 "{flags=0, exit_signal=2147483647, stack=0x1000, stack_size=0x2000}, 80");
	t_clone3(&cg, 84, false, NULL, NULL,
		 "{flags=0, exit_signal=2147483647, stack=0x1000, stack_size=0x2000, cgroup=7}, "
		 "84");
	t_clone3(&(struct clone_args_t){ .exit_signal = 0x7ffffffe, .stack = 0x1000,
					 .stack_size = 0x2000, .cgroup = 7 }, 88, false, NULL,
		 NULL, "{flags=0, exit_signal=2147483646, stack=0x1000, stack_size=0x2000, "
		 "cgroup=7}, 88");
	t_clone3(&(struct clone_args_t){ .exit_signal = 64, .stack = 0x1000,
					 .stack_size = 0x2000, .cgroup = 7 }, 88, true, NULL,
		 NULL, "{flags=0, exit_signal=SIGRT_32, stack=0x1000, stack_size=0x2000, "
		 "cgroup=7}, 88");

	/* set_tid */
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 0x7ffeb4cbf920,
					    .set_tid_size = 3 }, 88, 0x4b8000, 88, tids, 3,
		    false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, set_tid=[1, 2, 3], "
		    "set_tid_size=3}, 88");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 0x7ffeb4cbf920,
					    .set_tid_size = 33 }, 88, 0x4b8000, 88, tids, 3,
		    false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, "
		    "set_tid=0x7ffeb4cbf920, set_tid_size=33}, 88");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 0x7ffeb4cbf920 }, 88,
		    0x4b8000, 88, tids, 0, false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, "
		    "set_tid=0x7ffeb4cbf920, set_tid_size=0}, 88");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid_size = 2 }, 88,
		    0x4b8000, 88, NULL, 0, false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, set_tid=NULL, "
		    "set_tid_size=2}, 88");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 8,
					    .set_tid_size = 2 }, 88, 0x4b8000, 88, NULL, 0,
		    false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, set_tid=0x8, "
		    "set_tid_size=2}, 88");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 0x7fd9ea64bff8,
					    .set_tid_size = 4 }, 88, 0x4b8000, 88, tids, 2,
		    false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, "
		    "set_tid=[1, 2, ... /* 0x7fd9ea64c000 */], set_tid_size=4}, 88");
	snprintf(want, sizeof(want), "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, "
		 "set_tid=[0%s], set_tid_size=32}, 88",
		 ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
		 "0, 0, 0, 0, 0");
	t_clone3_ex(&(struct clone_args_t){ .exit_signal = 17, .set_tid = 0x7fd9ea64b000,
					    .set_tid_size = 32 }, 88, 0x4b8000, 88, zeros, 32,
		    false, NULL, NULL, want);

	/* size > 88: the tail */
	memset(cbuf, 0, sizeof(cbuf));
	t_clone3(&chld, 96, true, NULL, NULL,
		 "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 96");
	t_clone3(&chld, 92, true, NULL, NULL,
		 "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 92");
	t_clone3_ex(&chld, 92, 0x7f0b8aaecfa4, 100, NULL, 0, false, NULL, NULL,
		    "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, ???}, 100");
	cbuf[90] = 1;
	cbuf[95] = 0xab;
	t_clone3(&chld, 96, false, NULL, NULL,
		 "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, /* bytes 88..95 */ "
		 "\"\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\xab\"}, 96");
	cbuf[130] = 'x';
	t_clone3(&chld, 200, false, NULL, NULL,
		 "{flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0, /* bytes 88..199 */ "
		 "\"\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\xab\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		 "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		 "\\x00\\x00\"...}, 200");
	memset(cbuf, 0, sizeof(cbuf));
	cbuf[3896 + 90] = 1;
	t_clone3(&(struct clone_args_t){ 0 }, 5000, false, NULL, NULL,
		 "{flags=0, exit_signal=0, stack=NULL, stack_size=0, /* bytes 88..4095 */ "
		 "\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		 "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		 "\\x00\\x00\"...}, 5000");

	/* (source) the struct or the tail unreadable at exit; a non-zero tail at exit */
	memset(cbuf, 0, sizeof(cbuf));
	memcpy(cbuf, &thr, sizeof(thr));
	check("(source) struct unreadable at exit",
	      fmt_clone3_exit(out, sizeof(out), cbuf, 87, 0x4b8000, 88, &tid, NULL),
	      " => 0x4b8000");
	check("(source) tail unreadable at exit",
	      fmt_clone3_exit(out, sizeof(out), cbuf, 88, 0x4b8000, 96, &tid, NULL),
	      " => {parent_tid=[27532], ???}");
	cbuf[88] = 0xff;
	check("(source) non-zero tail at exit",
	      fmt_clone3_exit(out, sizeof(out), cbuf, 89, 0x4b8000, 89, NULL, NULL),
	      " => {parent_tid=0x7f6b8a3ff990, /* bytes 88..88 */ \"\\xff\"}");
	check("(source) only a tail at exit",
	      fmt_clone3_exit(out, sizeof(out), &chld, 88, 0x4b8000, 96, NULL, NULL),
	      " => {???}");
	check("(source) nothing at exit",
	      fmt_clone3_exit(out, sizeof(out), &chld, 88, 0x4b8000, 88, NULL, NULL), "");
}

static void test_execve(void)
{
	static const char *const ls[] = { "ls", "-l" };
	static const char *const lng[] = {
		"0123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuv",
		"a\tb\001" "2\377", "",
	};
	static const char *const xy[] = { "x", "y" };
	static const char *const bad[] = { NULL };
	static const uint64_t bad_addr[] = { 0x8 };
	static char names[40][8];
	const char *a40[40];
	static const char a32[] =
		"[\"a0\", \"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\", \"a7\", \"a8\", \"a9\", "
		"\"a10\", \"a11\", \"a12\", \"a13\", \"a14\", \"a15\", \"a16\", \"a17\", \"a18\", "
		"\"a19\", \"a20\", \"a21\", \"a22\", \"a23\", \"a24\", \"a25\", \"a26\", \"a27\", "
		"\"a28\", \"a29\", \"a30\", \"a31\"";
	char want[1024];

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "a%d", i);
		a40[i] = names[i];
	}
	t_execve(ls, NULL, 2, 0, 0x7ffe647ba8a0, 3, false,
		 "[\"ls\", \"-l\"], 0x7ffe647ba8a0 /* 3 vars */");
	snprintf(want, sizeof(want), "%s, ...], 0x7ffe647ba870 /* 1 var */", a32);
	t_execve(a40, NULL, 40, 0, 0x7ffe647ba870, 1, false, want);
	snprintf(want, sizeof(want), "%s], 0x7ffe647ba868 /* 0 vars */", a32);
	t_execve(a40, NULL, 32, 0, 0x7ffe647ba868, 0, false, want);
	snprintf(want, sizeof(want), "%s, ...], 0x7ffe647ba868 /* 0 vars */", a32);
	t_execve(a40, NULL, 33, 0, 0x7ffe647ba868, 0, false, want);
	t_execve(lng, NULL, 4, 0, 0, 0, false,
		 "[\"0123456789abcdefghijklmnopqrstuv\"..., \"0123456789abcdefghijklmnopqrstuv\", "
		 "\"a\\tb\\0012\\377\", \"\"], NULL");
	t_execve(NULL, NULL, 0, 0, 0, 0, false, "NULL, NULL");
	t_execve(ls, NULL, 0, 0, 0x7ffe647ba8a0, 3, false, "[], 0x7ffe647ba8a0 /* 3 vars */");
	t_execve(xy, NULL, 2, 0x7fdb2da71000, 0x7fdb2da70ff0, 2, true,
		 "[\"x\", \"y\", ... /* 0x7fdb2da71000 */], "
		 "0x7fdb2da70ff0 /* 2 vars, unterminated */");
	t_execve(NULL, NULL, 0, 0x7fdb2da71000, 0x7fdb2da71000, -1, false,
		 "0x7fdb2da71000, 0x7fdb2da71000");
	t_execve(bad, bad_addr, 1, 0x7fdb2da71000, 0x7fdb2da70ff8, 1, true,
		 "[0x8, ... /* 0x7fdb2da71000 */], 0x7fdb2da70ff8 /* 1 var, unterminated */");
}

int main(void)
{
	test_quote();
	test_open();
	test_mmap();
	test_access_at();
	test_stat();
	test_clone();
	test_clone3();
	test_execve();
	printf("# %d tests, %d failed\n", nr_test, nr_fail);
	return nr_fail ? 1 : 0;
}
