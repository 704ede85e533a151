// SPDX-License-Identifier: GPL-2.0

//! The syscall-entry stop, top to bottom.
//!
//! An engine answers `UTRACE_STOP` from `report_syscall_entry`, but the `sys_enter` probe
//! cannot sleep (seed 003: probes never block). So the thread unwinds instead of stopping
//! there, stops where it can sleep, and enters the syscall again afterwards:
//!
//! 1. **`sys_enter`** ([`after_entry_report`]): the syscall is skipped
//!    ([`UserRegs::skip_for_stop`]: number `-1`, `ax = -ERESTARTNOINTR`), a `TWA_SIGNAL`
//!    item is queued ([`queue`], the per-task embedded one: no allocation), and the state
//!    becomes [`SyscallStop::Skipped`]. The skipped pass's exit is hidden from ptrace
//!    (`entrymask.rs`).
//! 2. **`sys_exit` of the skipped pass** ([`is_skipped_pass`]): not a syscall exit; not
//!    reported, and it does not end a step.
//! 3. **The item** ([`run`]), in `get_signal()` before any signal is dequeued: the exit mask
//!    comes off, the registers are made to look like an entry stop
//!    ([`UserRegs::entry_stop_begin`]), the thread parks ([`SyscallStop::Stopped`],
//!    `stop::park`) until every engine resumes it; then `ax = -ERESTARTNOINTR` with the
//!    (maybe changed) number ([`UserRegs::entry_stop_end`]), or the syscall is aborted.
//! 4. **The restart**: `arch_do_signal_or_restart()` backs `ip` up over the syscall
//!    instruction (after a handler, if a signal came during the stop), and the syscall
//!    enters again. That entry is hidden from ptrace, and from seccomp if the call is
//!    unchanged (`entrymask.rs`); it goes through seccomp if an engine changed it.
//! 5. **The re-run's `sys_enter`** ([`entry_flags`]): recognised by its return address
//!    ([`SyscallStop::Resumed`]; a signal handler's own syscalls in between do not match)
//!    and reported with `UTRACE_SYSCALL_RESUMED`.
//!
//! The same item, without a stop, sends a syscall back through the entry code
//! ([`EntryKind`]): when an engine changed it at its report (seccomp must filter what runs,
//! as it does a ptracer's changes), or when it entered with masks meant for another call.
//!
//! Unload never drops a queued entry-stop item (`OnUnload::MustRun`, see [`queue`]): it puts
//! the skipped syscall back, and always runs before the thread can stop or sleep.
//!
//! The per-task part ([`EntryStop`]) is touched only by the thread itself.

use kernel::bindings;
use kernel::ffi::c_long;
use kernel::pr_warn_once;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::arch::UserRegs;
use crate::entrymask;
use crate::entrystate::{EntryKind, Pending, SyscallStop};
use crate::glue;
use crate::glue::gfp_for_context;
use crate::maskstate::Expected;
use crate::task::UtraceTask;
use crate::taskwork::{self, OnUnload};

// --- 1. sys_enter -------------------------------------------------------------------------

/// First thing at `sys_enter`: a syscall that entered with the masks of an entry stop's
/// re-run has them set back; if it is not that re-run, seccomp and ptrace must see it, so it
/// is sent back through the entry code. Returns whether it was (the probe is done).
pub(crate) fn unmasked_entry(regs: &UserRegs) -> bool {
    let Some(ut) = entrymask::on_sys_enter(regs) else {
        return false;
    };
    resend(&ut, regs, EntryKind::Unmasked);
    true
}

/// At `sys_enter`, before the report: the flags of the report (`UTRACE_SYSCALL_RESUMED` for
/// the re-run after a stop) and the call as seccomp filtered it, or `None` when it must not
/// be reported (the re-run after a pass back through seccomp: reported already).
pub(crate) fn entry_flags(ut: &UtraceTask, regs: &UserRegs) -> Option<(u32, Expected)> {
    let flags = match ut.entry.take_rerun_at(regs.syscall_return_ip()) {
        SyscallStop::Resumed => abi::SYSCALL_RESUMED,
        SyscallStop::Rechecked => return None,
        _ => 0,
    };
    Some((flags, entrymask::expected_now(regs)))
}

/// At `sys_enter`, after the report: acts on what the engines answered: `stop`
/// (`UTRACE_STOP`), `abort` (`UTRACE_SYSCALL_ABORT`); `filtered` is the call as seccomp
/// filtered it, before the report. Returns `false` when an entry stop was queued (the pass
/// ends there: the stop's item does the rest), `true` when the probe finishes the pass as
/// usual.
///
/// Seccomp filtered the syscall before this tracepoint (`syscall_trace_enter()`), and the
/// entry code runs whatever the registers hold after it. So a change an engine made here,
/// without stopping, would run unfiltered: when the thread has seccomp on, such a syscall
/// is sent back through the entry code, as the re-run after a stop is, and seccomp filters
/// it as changed (a ptracer's changes at its entry stop are filtered the same way).
pub(crate) fn after_entry_report(
    ut: &Arc<UtraceTask>,
    regs: &UserRegs,
    stop: bool,
    abort: bool,
    filtered: Expected,
) -> bool {
    if stop {
        // A syscall aborted already (number -1) or by this pass does not run again: its
        // skipped pass's exit is its real exit, shown as it is.
        let aborted = abort || regs.syscall_aborted();
        let skipped = regs.skip_for_stop(aborted);
        let p = Pending {
            skipped,
            abort,
            kind: EntryKind::Stop,
        };
        if queue(ut, p).is_ok() {
            ut.entry.set_state(SyscallStop::Skipped);
            if !aborted {
                // Neither the skipped pass's exit nor the re-run's entry is shown to ptrace,
                // nor the re-run to seccomp if the call is unchanged (`entrymask.rs`).
                ut.entry_mask.set_filtered(filtered);
                entrymask::mask_exit(ut);
            }
            return false;
        }
        // No memory for the stop: run the syscall unstopped rather than lose it.
        pr_warn_once!("utrace: no memory for a syscall-entry stop; not stopping\n");
        regs.entry_stop_begin(skipped);
    }
    if abort {
        regs.abort_syscall();
    // An engine that set the number to -1 runs nothing: nothing to filter.
    } else if !regs.syscall_aborted() && regs.call() != filtered.call() && glue::seccomp_active() {
        resend(ut, regs, EntryKind::Recheck);
    }
    true
}

/// Sends the syscall at `sys_enter` back through the entry code: skip it and put it back
/// (the item without a stop), so that it enters again and seccomp filters it (`kind`).
/// Without memory for the item the syscall is refused: it fails with `-ENOMEM`.
fn resend(ut: &Arc<UtraceTask>, regs: &UserRegs, kind: EntryKind) {
    let skipped = regs.skip_for_stop(false);
    let p = Pending {
        skipped,
        abort: false,
        kind,
    };
    if queue(ut, p).is_ok() {
        ut.entry.set_state(SyscallStop::Skipped);
        if kind == EntryKind::Unmasked {
            entrymask::mask_exit(ut);
        }
        return;
    }
    pr_warn_once!("utrace: no memory to send a syscall back through seccomp; failing it\n");
    regs.fail_syscall(bindings::ENOMEM as c_long);
}

// --- 2. sys_exit --------------------------------------------------------------------------

/// First thing at `sys_exit`: a re-run that never reached `sys_enter` sets its masks back.
pub(crate) fn before_sys_exit() {
    entrymask::on_sys_exit();
}

/// Whether this is the skipped pass of an entry stop (not a syscall exit: not reported,
/// and it ends no step).
pub(crate) fn is_skipped_pass(ut: &UtraceTask) -> bool {
    ut.entry.is_skipped_pass()
}

/// At a real `sys_exit` of a thread with engines: a re-run whose entry was not reported
/// (events changed meanwhile, or seccomp refused it before the tracepoint) ends here, so a
/// later syscall from the same place is not taken for it.
pub(crate) fn at_sys_exit(ut: &UtraceTask, regs: &UserRegs) {
    ut.entry.take_rerun_at(regs.syscall_return_ip());
}

/// `signal_deliver` of current: a signal delivered before an entry stop's re-run ends its
/// masks (its handler's syscalls must be filtered and traced; `entrymask.rs`).
pub(crate) fn before_signal_deliver() {
    entrymask::on_signal_deliver();
}

// --- 3. the item --------------------------------------------------------------------------

/// Queues the entry item (`TWA_SIGNAL`, so that it runs in `get_signal()`, before any
/// signal is dequeued). The per-task embedded item serves it: a thread has one entry stop at
/// a time, which runs before it returns to user mode. (Only an entry stop abandoned by an
/// exit before its item ran could leave it queued: then an allocated item serves.)
///
/// Unload never drops either (`OnUnload::MustRun`): the item puts the skipped syscall back
/// (`orig_ax` is -1 and `ax` -ERESTARTNOINTR until it runs: dropped, the syscall would not
/// run and user space would see -ENOSYS). It needs no dropping either: it is queued
/// (`TWA_SIGNAL`) by the thread itself at `sys_enter` of a skipped syscall, and runs before
/// the thread can stop or sleep: the exit-to-user loop calls `get_signal()`, which runs
/// task_work before it dequeues a stop signal, and a ptrace syscall-exit stop
/// (`ptrace_notify()`) runs task_work first too.
fn queue(ut: &Arc<UtraceTask>, p: Pending) -> Result {
    let signal = bindings::task_work_notify_mode_TWA_SIGNAL;
    let work = &ut.entry_work;
    if !work.is_queued() {
        ut.entry.set_pending(p);
        if work.queue(ut, ut.task(), run_embedded, OnUnload::MustRun, signal)? {
            return Ok(());
        }
    }
    taskwork::queue_item(
        ut,
        ut.task(),
        run,
        p,
        OnUnload::MustRun,
        signal,
        gfp_for_context(),
    )
}

/// The embedded item's body: its [`Pending`] was stored in the per-task state by [`queue`].
fn run_embedded(ut: Arc<UtraceTask>) {
    let p = ut.entry.pending();
    run(&ut, p);
    drop(ut);
}

/// The item's body, in the thread's task_work after the skipped pass: registers as at
/// entry, the stop, then the syscall put back to run again (or aborted). Without a stop
/// (`p.kind`), only the putting back: the syscall enters again and seccomp filters it.
fn run(ut: &Arc<UtraceTask>, p: Pending) {
    // Nothing between the skipped pass's exit and here can stop the thread for ptrace.
    entrymask::unmask_exit(ut);
    // Set (at `sys_enter`) only when that exit was hidden: then the re-run's entry is too.
    let filtered = ut.entry_mask.take_filtered();
    // Task work runs in task context.
    let Some(regs) = UserRegs::current() else {
        return;
    };
    regs.entry_stop_begin(p.skipped);
    if p.kind == EntryKind::Stop {
        ut.entry.set_state(SyscallStop::Stopped);
        crate::stop::park(ut);
    }
    regs.entry_stop_end(p.abort);
    let ip = regs.syscall_return_ip();
    if p.abort || regs.syscall_aborted() {
        ut.entry.set_state(SyscallStop::None);
    } else {
        match p.kind {
            EntryKind::Stop => {
                ut.entry.set_rerun_at(ip, SyscallStop::Resumed);
                if let Some(filtered) = filtered {
                    entrymask::mask_rerun(ut, &regs, filtered);
                }
            }
            EntryKind::Recheck => ut.entry.set_rerun_at(ip, SyscallStop::Rechecked),
            EntryKind::Unmasked => ut.entry.set_state(SyscallStop::None),
        }
    }
    if p.kind == EntryKind::Stop {
        crate::step::resume(ut);
    }
}
