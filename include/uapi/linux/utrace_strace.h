/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * utrace-strace: the interface between the utrace_strace engine module and the
 * utrace-strace command (tools/utrace-strace). The one source of this ABI: the engine's
 * Rust mirror (engines/utrace_strace.rs, `mod abi`) is compared with it at every build
 * (scripts/check-abi) and the record layout is asserted at compile time on both sides.
 *
 * A session is one open file of UTRACE_STRACE_DEVICE. The opener attaches threads with
 * UTRACE_STRACE_IOC_ATTACH (each attach is checked against ptrace's attach rule, in the
 * caller's context) and read()s records: a read returns whole records only (-EINVAL for a
 * buffer smaller than one), blocks until at least one is there (O_NONBLOCK: -EAGAIN). No
 * poll(): the 7.3 Rust miscdevice abstraction has no poll method.
 * Lossless: when the session's buffer is full, a traced thread that has a record to add
 * keeps it and stops (killable, like any utrace stop) until the reader made room; no record
 * is dropped (lost_records in the stats counts only records an allocation failure lost).
 * Closing the file detaches every engine of the session, whatever state its threads are in.
 */
#ifndef _UAPI_LINUX_UTRACE_STRACE_H
#define _UAPI_LINUX_UTRACE_STRACE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define UTRACE_STRACE_DEVICE	"/dev/utrace-strace"
#define UTRACE_STRACE_VERSION	2	/* 2: UTRACE_STRACE_F_DATA, UTRACE_STRACE_REC_DATA */

/* UTRACE_STRACE_IOC_ATTACH argument. */
struct utrace_strace_attach {
	__s32 tid;	/* a thread, by id in the caller's pid namespace */
	__u32 flags;	/* UTRACE_STRACE_F_* */
};

/* Follow clones: every thread and process @tid creates is attached too (strace -f). */
#define UTRACE_STRACE_F_FOLLOW	0x1
/*
 * Hide this thread's records until it enters execve (the thread the command forked to run
 * CMD: what it does between the attach and its exec is the command's, not CMD's).
 */
#define UTRACE_STRACE_F_UNTIL_EXEC 0x2
/*
 * Record what some arguments point to (UTRACE_STRACE_REC_DATA), for a decoded output: paths,
 * the first bytes of read and written buffers, stat results, execve's argv and env count.
 * Inherited by followed clones, as FOLLOW is.
 */
#define UTRACE_STRACE_F_DATA	0x4
#define UTRACE_STRACE_F_ALL	\
	(UTRACE_STRACE_F_FOLLOW | UTRACE_STRACE_F_UNTIL_EXEC | UTRACE_STRACE_F_DATA)

/* UTRACE_STRACE_IOC_STATS result. */
struct utrace_strace_stats {
	__u64 records;		/* records queued since open */
	__u64 stops;		/* times a thread stopped because the buffer was full */
	__u64 lost_records;	/* records lost (allocation failure only) */
	__u32 attached;		/* threads attached now */
	__u32 version;		/* UTRACE_STRACE_VERSION */
};

#define UTRACE_STRACE_IOC_MAGIC	0xb7
/* Returns UTRACE_STRACE_VERSION. */
#define UTRACE_STRACE_IOC_VERSION	_IO(UTRACE_STRACE_IOC_MAGIC, 0)
/*
 * Attach to one thread. 0, or -EPERM (ptrace's rule refuses), -ESRCH (no such thread, or
 * it is exiting), -EEXIST (this session has it already), -EINVAL (unknown flags).
 */
#define UTRACE_STRACE_IOC_ATTACH	_IOW(UTRACE_STRACE_IOC_MAGIC, 1, struct utrace_strace_attach)
/*
 * Detach every thread of the session; they run on. Records already queued stay readable,
 * then read() returns 0 (end of file) once the buffer is empty and nothing is attached.
 */
#define UTRACE_STRACE_IOC_DETACH_ALL	_IO(UTRACE_STRACE_IOC_MAGIC, 2)
#define UTRACE_STRACE_IOC_STATS		_IOR(UTRACE_STRACE_IOC_MAGIC, 3, struct utrace_strace_stats)

/* Record types. */
#define UTRACE_STRACE_REC_SYSCALL_ENTRY	1 /* nr, args[6] */
#define UTRACE_STRACE_REC_SYSCALL_EXIT	2 /* nr (of the entry), ret */
/*
 * The thread is about to take signal nr (after engines before it decided; a signal that
 * ends up ignored by its disposition is still reported, as strace does). args[] holds the
 * first 48 bytes of the kernel's siginfo (si_signo, si_errno, si_code, then the union)
 * exactly as in the kernel's struct kernel_siginfo on x86-64.
 */
#define UTRACE_STRACE_REC_SIGNAL	3
/*
 * The thread is dead. ret is its exit status in wait() form (the exit code << 8, or the
 * terminating signal, | 0x80 for a core dump); flags has UTRACE_STRACE_RF_GROUP_DEAD for
 * the last thread of its process.
 */
#define UTRACE_STRACE_REC_EXIT		4
/*
 * A new thread was attached by following a clone: nr is the tid of the thread that
 * created it, args[0] the clone flags. Comes before any record of the new thread.
 */
#define UTRACE_STRACE_REC_ATTACHED	5
/*
 * The thread was detached (engine detach, a privileged exec, UTRACE_STRACE_IOC_DETACH_ALL).
 * No record of it follows.
 */
#define UTRACE_STRACE_REC_DETACHED	6
/*
 * The thread completed an exec; nr is its tid before the exec (a non-leader thread's exec
 * takes over the leader's tid, as strace reports).
 */
#define UTRACE_STRACE_REC_EXEC		7
/*
 * Tracee memory an argument points to (UTRACE_STRACE_F_DATA only), read by the thread itself
 * at syscall entry (paths, written buffers, execve's argv) or exit (read buffers, stat
 * results). A syscall's DATA records come just before its SYSCALL_ENTRY or SYSCALL_EXIT
 * record among the thread's records (other threads' records may come between).
 * nr: the argument index (0-5), plus (i + 1) << 8 for element i of a string array (argv).
 * ret: the number of bytes of this record in args[] (0-48), or -EFAULT (unreadable).
 * An object longer than 48 bytes takes several records of the same nr, in order, all but
 * the last with UTRACE_STRACE_RF_DATA_MORE. No record: a NULL pointer, or nothing captured.
 */
#define UTRACE_STRACE_REC_DATA		8

/* Record flags. */
#define UTRACE_STRACE_RF_GROUP_DEAD	0x1 /* EXIT: last thread of its thread group */
#define UTRACE_STRACE_RF_RESTARTED	0x2 /* SYSCALL_ENTRY: a restart of an interrupted call */
#define UTRACE_STRACE_RF_DATA_MORE	0x4 /* DATA: the object goes on in the next record */
#define UTRACE_STRACE_RF_DATA_STR	0x8 /* DATA: a NUL-terminated string (NUL not included) */
#define UTRACE_STRACE_RF_DATA_TRUNC	0x10 /* DATA: the object is longer than captured */
/* DATA, nr = the array's argument index: ret is the array's length (elements before NULL). */
#define UTRACE_STRACE_RF_DATA_COUNT	0x20

/*
 * One record: fixed layout, 96 bytes, 8-byte aligned; @size says how long it is, so that a
 * later version may append fields (a reader skips what it does not know). Numbers are in
 * the opener's pid namespace.
 */
struct utrace_strace_record {
	__u16 size;		/* sizeof(struct utrace_strace_record) of this version */
	__u16 type;		/* UTRACE_STRACE_REC_* */
	__u32 flags;		/* UTRACE_STRACE_RF_* */
	__s32 tid;		/* the thread */
	__s32 tgid;		/* its thread group */
	__u64 seq;		/* session-wide sequence number, from 0, no gap */
	__u64 time_ns;		/* ktime_get_ns() when the event happened */
	__s64 nr;		/* syscall number, signal number, see each type */
	__s64 ret;		/* SYSCALL_EXIT: the return value; EXIT: wait status */
	__u64 args[6];		/* SYSCALL_ENTRY: arguments; SIGNAL: raw siginfo */
};

#endif /* _UAPI_LINUX_UTRACE_STRACE_H */
