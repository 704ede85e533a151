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
 * fstat,unlinkat,clone,execve" (strace 6.1, x86_64). The few cases marked "(source)" cannot
 * be produced by a kernel and follow strace's source instead.
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
	test_execve();
	printf("# %d tests, %d failed\n", nr_test, nr_fail);
	return nr_fail ? 1 : 0;
}
