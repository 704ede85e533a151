// SPDX-License-Identifier: GPL-2.0

//! Architecture-specific register handling: everything that knows x86_64's `pt_regs`.
//!
//! On x86_64 the syscall number is `orig_ax`, the return value `ax` (preset to `-ENOSYS` at
//! entry), and the syscall instruction is 2 bytes before `ip`. The entry code re-reads
//! `orig_ax` after the `sys_enter` tracepoint: `-1` runs no syscall and returns `ax`.
//!
//! The syscall-entry stop (the probe must not sleep, so it unwinds instead):
//! 1. [`skip_for_stop`] at `sys_enter`: `orig_ax = -1`, `ax = -ERESTARTNOINTR`; the
//!    syscall is not run; it still passes `sys_exit` (the skipped pass, not reported).
//! 2. [`entry_stop_begin`] in the `TWA_SIGNAL` task_work (inside `get_signal()`, before any
//!    signal is dequeued): the registers are made to look like a syscall-entry stop
//!    (`orig_ax` = the number, `ax = -ENOSYS`) for engines that examine or change them.
//! 3. [`entry_stop_end`] after the stop: `ax = -ERESTARTNOINTR` with the (maybe changed)
//!    number in `orig_ax`. `arch_do_signal_or_restart()` then restarts the syscall
//!    (`ax = orig_ax; ip -= 2`), after a handler if a signal arrived during the stop: as if
//!    the signal had come just before the syscall instruction.

use kernel::bindings;
use kernel::ffi::c_long;

/// `-ERESTARTNOINTR` (include/linux/errno.h; not in the UAPI headers bindgen sees).
const ERESTARTNOINTR: c_long = 513;
/// `-ENOSYS`, what the entry code presets `ax` to.
const ENOSYS: c_long = bindings::ENOSYS as c_long;
/// The "no syscall" number.
const NO_SYSCALL: usize = usize::MAX;

/// Skips the syscall at `sys_enter` so that the thread can stop before running it. Returns
/// the syscall number to put back.
///
/// # Safety
///
/// `regs` are current's user registers, at `sys_enter`.
pub(crate) unsafe fn skip_for_stop(regs: *mut bindings::pt_regs) -> c_long {
    // SAFETY: per the function's safety requirements.
    let r = unsafe { &mut *regs };
    let nr = r.orig_ax as c_long;
    r.orig_ax = NO_SYSCALL;
    r.ax = (-ERESTARTNOINTR) as usize;
    nr
}

/// Aborts the syscall at `sys_enter` (`UTRACE_SYSCALL_ABORT`): it returns `ax` (`-ENOSYS`
/// unless an engine stored another value).
///
/// # Safety
///
/// `regs` are current's user registers, at `sys_enter`.
pub(crate) unsafe fn abort_syscall(regs: *mut bindings::pt_regs) {
    // SAFETY: per the function's safety requirements.
    unsafe { (*regs).orig_ax = NO_SYSCALL };
}

/// Makes a skipped syscall's registers look like a syscall-entry stop, for the stop.
///
/// # Safety
///
/// `regs` are current's user registers, in the syscall-entry stop's task_work.
pub(crate) unsafe fn entry_stop_begin(regs: *mut bindings::pt_regs, nr: c_long) {
    // SAFETY: per the function's safety requirements.
    let r = unsafe { &mut *regs };
    r.orig_ax = nr as usize;
    r.ax = (-ENOSYS) as usize;
}

/// After a syscall-entry stop: re-run the syscall (whose number and arguments engines may
/// have changed), or, if it is aborted (`abort`, or an engine set the number to -1), return
/// `ax` without running it.
///
/// # Safety
///
/// `regs` are current's user registers, in the syscall-entry stop's task_work.
pub(crate) unsafe fn entry_stop_end(regs: *mut bindings::pt_regs, abort: bool) {
    // SAFETY: per the function's safety requirements.
    let r = unsafe { &mut *regs };
    if abort || r.orig_ax == NO_SYSCALL {
        r.orig_ax = NO_SYSCALL;
    } else {
        r.ax = (-ERESTARTNOINTR) as usize;
    }
}

/// Where a syscall returns to (just after its instruction): it identifies the re-run of a
/// syscall after an entry stop, which may come after a signal handler's own syscalls.
///
/// # Safety
///
/// `regs` are current's user registers.
pub(crate) unsafe fn syscall_return_ip(regs: *const bindings::pt_regs) -> usize {
    // SAFETY: per the function's safety requirements.
    unsafe { (*regs).ip }
}

/// Makes a stopped thread's user register state coherent before an engine examines it.
/// Nothing to do on x86_64: every user register is in `pt_regs` (the FPU state is read
/// through its regset, which saves it).
pub(crate) fn make_regs_coherent(_task: *mut bindings::task_struct) {}
