// SPDX-License-Identifier: GPL-2.0

//! What `UTRACE_STRACE_F_DATA` records: the tracee memory some syscall arguments point to
//! (paths, the first bytes of written and read buffers, stat results, execve's argv), as
//! DATA records (`include/uapi/linux/utrace_strace.h`), for the command to decode as strace
//! does. x86_64 system call numbers.
//!
//! The thread's memory is read in its own syscall callbacks (`SyscallRegs::read_user`: no
//! lock held; ptrace's per-access rule, so a thread that made itself undumpable since the
//! attach shows no more of its memory, as to strace; never a wait), before the record of the
//! entry or exit is queued; the caller queues the DATA records first. Anything unreadable
//! is one record with `-EFAULT`: the command prints the address.
//!
//! What is read is bounded, so that one syscall adds a few records, never a ring's worth: a
//! path up to [`PATH_CAP`] bytes, a buffer's first [`BUF_CAP`] bytes (strace's `-s 32`), an
//! argv's first [`STRV_MAX`] elements of [`BUF_CAP`] + 1 bytes each (one more than printed,
//! to know that `...` follows) and its length counted up to [`COUNT_MAX`] pointers.

use super::abi::{
    UTRACE_STRACE_RF_DATA_COUNT, UTRACE_STRACE_RF_DATA_MORE, UTRACE_STRACE_RF_DATA_STR,
    UTRACE_STRACE_RF_DATA_TRUNC,
};
use super::utrace::SyscallRegs;

/// Bytes of a DATA record's payload (its `args`).
pub(crate) const CHUNK: usize = 48;
/// The longest path recorded (longer: `UTRACE_STRACE_RF_DATA_TRUNC`), 86 records at most.
/// (strace prints 4095 bytes of a path, then `...`.)
const PATH_CAP: usize = 4096;
/// Bytes of a buffer or an argv element recorded: what strace prints by default (`-s 32`).
const BUF_CAP: usize = 32;
/// Elements of an argv recorded (strace prints as many strings as `-s`).
const STRV_MAX: usize = 32;
/// Pointers of an argv or envp counted at most.
const COUNT_MAX: u64 = 4096;
/// x86_64's page size.
const PAGE_SIZE: usize = 4096;
/// `sizeof(struct stat)` on x86_64.
const STAT_SIZE: usize = 144;

/// What one argument (by index) points to.
#[derive(Clone, Copy)]
pub(crate) enum Obj {
    /// A path, read at entry.
    Path(usize),
    /// A buffer the call reads, its length in the second argument: read at entry.
    InBuf(usize, usize),
    /// A buffer the call fills, its length the return value: read at exit.
    OutBuf(usize),
    /// A `struct stat` the call fills: read at exit, on success.
    Stat(usize),
    /// The `int` clone stores through its `parent_tid` argument (with `CLONE_PARENT_SETTID`
    /// or `CLONE_PIDFD` only): read at exit, on success.
    CloneTid,
    /// clone3's `struct clone_args`, its size the second argument: read at entry.
    Clone3Args,
    /// At exit, on success: the struct again (its flags say what strace prints then), and
    /// the `int`s clone3 stored through its `parent_tid` (as element 0 of argument 0) and
    /// `pidfd` (element 1) pointers.
    Clone3Out,
    /// A NULL-terminated array of strings (execve's argv): its first elements and its
    /// length, read at entry.
    Strv(usize),
    /// A NULL-terminated array of strings counted only (execve's envp).
    Count(usize),
}

use Obj::*;

/// The objects of syscall `nr` read at its entry.
pub(crate) fn at_entry(nr: i64) -> &'static [Obj] {
    match nr {
        // write, pwrite64
        1 | 18 => &[InBuf(1, 2)],
        // open, stat, lstat, access, truncate, chdir, mkdir, rmdir, creat, unlink, readlink,
        // chmod, chown, lchown, utime, mknod, statfs, chroot, umount2, utimes
        2 | 4 | 6 | 21 | 76 | 80 | 83 | 84 | 85 | 87 | 89 | 90 | 92 | 94 | 132 | 133 | 137
        | 161 | 166 | 235 => &[Path(0)],
        // inotify_add_watch, openat, mkdirat, mknodat, fchownat, newfstatat, unlinkat,
        // readlinkat, fchmodat, faccessat, utimensat, statx, openat2, faccessat2
        254 | 257 | 258 | 259 | 260 | 262 | 263 | 267 | 268 | 269 | 280 | 332 | 437 | 439 => {
            &[Path(1)]
        }
        // rename, link, symlink
        82 | 86 | 88 => &[Path(0), Path(1)],
        // renameat, linkat, renameat2
        264 | 265 | 316 => &[Path(1), Path(3)],
        // symlinkat
        266 => &[Path(0), Path(2)],
        // clone3
        435 => &[Clone3Args],
        // execve, execveat
        59 => &[Path(0), Strv(1), Count(2)],
        322 => &[Path(1), Strv(2), Count(3)],
        _ => &[],
    }
}

/// The objects of syscall `nr` read at its exit.
pub(crate) fn at_exit(nr: i64) -> &'static [Obj] {
    match nr {
        // read, pread64, readlink
        0 | 17 | 89 => &[OutBuf(1)],
        // readlinkat
        267 => &[OutBuf(2)],
        // stat, fstat, lstat
        4..=6 => &[Stat(1)],
        // newfstatat
        262 => &[Stat(2)],
        // clone (parent_tid, set with CLONE_PARENT_SETTID or CLONE_PIDFD)
        56 => &[CloneTid],
        435 => &[Clone3Out],
        _ => &[],
    }
}

/// One DATA record's fields: `nr` (argument index and element), flags, `ret` (bytes or
/// `-EFAULT`), payload.
pub(crate) struct Piece<'a> {
    pub(crate) nr: i64,
    pub(crate) flags: u32,
    pub(crate) ret: i64,
    pub(crate) bytes: &'a [u8],
}

/// A DATA record's `ret` for memory that could not be read.
const EFAULT: i64 = -(kernel::bindings::EFAULT as i64);

/// Reads the objects `objs` of the current syscall (`ret`: its return value at exit) and
/// hands each DATA record to `emit`, in order.
pub(crate) fn capture(
    regs: &SyscallRegs<'_>,
    objs: &[Obj],
    ret: i64,
    emit: &mut dyn FnMut(Piece<'_>),
) {
    for &o in objs {
        match o {
            Path(i) => string(regs, regs.arg(i), i as i64, PATH_CAP, emit),
            InBuf(i, len) => buffer(regs, i, regs.arg(len), emit),
            OutBuf(i) if ret > 0 => buffer(regs, i, ret as u64, emit),
            Stat(i) if ret == 0 => object(regs, i, STAT_SIZE, emit),
            CloneTid if ret > 0 && regs.arg(0) & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 => {
                object(regs, 2, 4, emit)
            }
            Clone3Args => object(regs, 0, clone3_size(regs), emit),
            Clone3Out if ret > 0 => clone3_out(regs, emit),
            Strv(i) => strv(regs, i, true, emit),
            Count(i) => strv(regs, i, false, emit),
            _ => {}
        }
    }
}

/// The string at `addr` in pieces of [`CHUNK`] bytes, up to `cap` bytes.
fn string(regs: &SyscallRegs<'_>, addr: u64, nr: i64, cap: usize, emit: &mut dyn FnMut(Piece<'_>)) {
    if addr == 0 {
        return;
    }
    let mut buf = [0u8; CHUNK];
    let mut off = 0;
    loop {
        // Not past the end of a page in one read: the string's NUL may be before it, and
        // the next page may be one the syscall itself never touches.
        let at = addr.wrapping_add(off as u64);
        let in_page = PAGE_SIZE - (at % PAGE_SIZE as u64) as usize;
        let want = CHUNK.min(cap - off).min(in_page);
        let got = regs.read_user(at, &mut buf[..want]).unwrap_or(0);
        let (n, flags) = match buf[..got].iter().position(|&b| b == 0) {
            Some(n) => (n, UTRACE_STRACE_RF_DATA_STR),
            // No NUL before an unreadable byte: the string is unreadable, as for
            // strncpy_from_user().
            None if got < want => {
                emit(Piece {
                    nr,
                    flags: 0,
                    ret: EFAULT,
                    bytes: &[],
                });
                return;
            }
            None if off + want == cap => (want, UTRACE_STRACE_RF_DATA_TRUNC),
            None => (want, UTRACE_STRACE_RF_DATA_MORE),
        };
        off += n;
        emit(Piece {
            nr,
            flags,
            ret: n as i64,
            bytes: &buf[..n],
        });
        if flags != UTRACE_STRACE_RF_DATA_MORE {
            return;
        }
    }
}

/// The first [`BUF_CAP`] bytes of the `len`-byte buffer argument `i`.
fn buffer(regs: &SyscallRegs<'_>, i: usize, len: u64, emit: &mut dyn FnMut(Piece<'_>)) {
    let addr = regs.arg(i);
    if addr == 0 || len == 0 {
        return;
    }
    let n = BUF_CAP.min(usize::try_from(len).unwrap_or(BUF_CAP));
    let mut buf = [0u8; BUF_CAP];
    let flags = if len > n as u64 {
        UTRACE_STRACE_RF_DATA_TRUNC
    } else {
        0
    };
    let (ret, bytes) = if read_all(regs, addr, &mut buf[..n]) {
        (n as i64, &buf[..n])
    } else {
        (EFAULT, &buf[..0])
    };
    emit(Piece {
        nr: i as i64,
        flags,
        ret,
        bytes,
    });
}

/// Whether all of `buf` could be read at `addr`.
fn read_all(regs: &SyscallRegs<'_>, addr: u64, buf: &mut [u8]) -> bool {
    regs.read_user(addr, buf) == Ok(buf.len())
}

/// The `size`-byte object argument `i`, in pieces of [`CHUNK`] bytes.
fn object(regs: &SyscallRegs<'_>, i: usize, size: usize, emit: &mut dyn FnMut(Piece<'_>)) {
    let addr = regs.arg(i);
    if addr == 0 {
        return;
    }
    let mut buf = [0u8; CHUNK];
    let mut off = 0;
    while off < size {
        let n = CHUNK.min(size - off);
        if !read_all(regs, addr.wrapping_add(off as u64), &mut buf[..n]) {
            emit(Piece {
                nr: i as i64,
                flags: 0,
                ret: EFAULT,
                bytes: &[],
            });
            return;
        }
        off += n;
        let flags = if off < size {
            UTRACE_STRACE_RF_DATA_MORE
        } else {
            0
        };
        emit(Piece {
            nr: i as i64,
            flags,
            ret: n as i64,
            bytes: &buf[..n],
        });
    }
}

/// `sizeof(struct clone_args)` of 7.3 (`CLONE_ARGS_SIZE_VER2`).
const CLONE_ARGS_SIZE: usize = 88;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;

/// The bytes of clone3's `struct clone_args` to read: its size argument, up to what 7.3 has.
fn clone3_size(regs: &SyscallRegs<'_>) -> usize {
    usize::try_from(regs.arg(1)).map_or(CLONE_ARGS_SIZE, |n| n.min(CLONE_ARGS_SIZE))
}

/// [`Obj::Clone3Out`].
fn clone3_out(regs: &SyscallRegs<'_>, emit: &mut dyn FnMut(Piece<'_>)) {
    object(regs, 0, clone3_size(regs), emit);
    let mut args = [0u8; 32];
    if clone3_size(regs) < args.len() || !read_all(regs, regs.arg(0), &mut args) {
        return;
    }
    let word = |off: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&args[off..off + 8]);
        u64::from_ne_bytes(w)
    };
    let flags = word(0);
    // (element 0: parent_tid at offset 24; element 1: pidfd at offset 8)
    for (k, bit, off) in [(1i64, CLONE_PARENT_SETTID, 24), (2, CLONE_PIDFD, 8)] {
        let addr = word(off);
        if flags & bit == 0 || addr == 0 {
            continue;
        }
        let mut v = [0u8; 4];
        let (ret, bytes) = if read_all(regs, addr, &mut v) {
            (4, &v[..])
        } else {
            (EFAULT, &v[..0])
        };
        emit(Piece {
            nr: k << 8,
            flags: 0,
            ret,
            bytes,
        });
    }
}

/// The string array argument `i`: with `elements`, its first [`STRV_MAX`] strings (element
/// `k` as `nr` `i | (k + 1) << 8`, at most [`BUF_CAP`] + 1 bytes); then its length (a
/// COUNT record; `-EFAULT` if the array is unreadable; TRUNC past [`COUNT_MAX`]).
fn strv(regs: &SyscallRegs<'_>, i: usize, elements: bool, emit: &mut dyn FnMut(Piece<'_>)) {
    let base = regs.arg(i);
    if base == 0 {
        return;
    }
    let mut k = 0u64;
    let (ret, flags) = loop {
        if k == COUNT_MAX {
            break (
                k as i64,
                UTRACE_STRACE_RF_DATA_COUNT | UTRACE_STRACE_RF_DATA_TRUNC,
            );
        }
        let mut word = [0u8; 8];
        if !read_all(regs, base.wrapping_add(k * 8), &mut word) {
            break (EFAULT, UTRACE_STRACE_RF_DATA_COUNT);
        }
        let p = u64::from_ne_bytes(word);
        if p == 0 {
            break (k as i64, UTRACE_STRACE_RF_DATA_COUNT);
        }
        if elements && (k as usize) < STRV_MAX {
            string(
                regs,
                p,
                (i as i64) | ((k as i64 + 1) << 8),
                BUF_CAP + 1,
                emit,
            );
        }
        k += 1;
    };
    emit(Piece {
        nr: i as i64,
        flags,
        ret,
        bytes: &[],
    });
}
