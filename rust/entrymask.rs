// SPDX-License-Identifier: GPL-2.0

//! Keeping the syscall-entry stop's restart out of ptrace's and seccomp's sight.
//!
//! A syscall-entry stop skips the syscall at `sys_enter` and makes it enter again after the
//! stop (`arch.rs`). Unmasked, a ptracer with `PTRACE_SYSCALL` sees a phantom exit
//! (`-ERESTARTNOINTR`) and a second entry, and seccomp filters (a user-notification
//! supervisor too) run twice. The entry code reads `syscall_work` afresh at each syscall
//! entry and exit, so utrace clears the bits for exactly those two passes:
//!
//! - **exit mask** (`SYSCALL_TRACE`): set at `sys_enter` when the syscall is skipped for a
//!   stop, after ptrace's entry stop and seccomp have run for it; the skipped pass's exit
//!   reads the masked flags, so ptrace makes no exit stop; set back by the stop's task_work
//!   before it parks. Between the two, no ptrace stop can happen (none on the way from
//!   `sys_exit` to the `TWA_SIGNAL` task_work, which `get_signal()` runs first).
//! - **re-run mask** (`SYSCALL_TRACE`, and `SYSCALL_SECCOMP` when the call is still the one
//!   seccomp filtered): set by the stop's task_work after the stop; the re-run's entry reads
//!   the masked flags (no ptrace entry stop, no filter run); set back by the first of: the
//!   thread's next `sys_enter` (any syscall), its next `sys_exit` (a re-run that never
//!   reached `sys_enter`), a signal delivered to it (`signal_deliver`: a handler's syscalls
//!   must be filtered and traced), and utrace's unload. An engine that changed the call
//!   during the stop gets it filtered again (seccomp is not masked then).
//!
//! Why it is sound:
//! - seccomp: the bit is set again from the mode (never cleared by the kernel; a TSYNC
//!   filter from another thread sets it, which only makes the re-run filtered once more).
//!   The syscall that finds the bit masked must be the re-run: at the next `sys_enter` the
//!   call (number, six arguments, return address, compat-ness) is compared with the one
//!   seccomp filtered, and anything else (another thread rewrote the code, a ptracer or an
//!   engine changed the registers before the re-run) is sent back through seccomp
//!   (`entrystop::unmasked_entry`, with ptrace's view kept whole). While a mask is held the
//!   state stays in the table and the probes stay registered (`hooks::MASKED`), so that check
//!   always runs.
//! - ptrace: only a ptrace stop (resume, detach) or the tracer's exit (`__ptrace_unlink`)
//!   write `SYSCALL_TRACE`. A ptrace stop in the window (a signal-delivery or group stop
//!   before the re-run) is seen through `exit_code` (`entry_glue.c`): the tracer's own
//!   choice then stands and nothing is set back. The tracer's exit is seen through its
//!   `PF_EXITING` and the ptrace link, checked after setting the bit back.
//!
//! What stays visible (`Documentation/design.md`): a ptracer stopping the thread between
//! the stop and the re-run (a signal arrived during the stop) sees that stop inside the
//! syscall (the phantom exit was hidden already) and the re-run's entry; audit still sees
//! two entries; syscall user dispatch reads its selector twice.

use crate::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use kernel::bindings;
use kernel::sync::Arc;

use crate::arch::UserRegs;
use crate::glue;
use crate::hooks;
use crate::maskstate::Expected;
use crate::task::UtraceTask;

/// The bits of a mask (`i8`: a bit set).
const TRACE: i8 = 1;
const SECCOMP: i8 = 2;

/// Threads holding a re-run mask (and the `hooks::MASKED` probe need).
static ACTIVE: Atomic<usize> = Atomic::new(0);
/// Unload has begun: mask nothing more.
static SHUTDOWN: Atomic<bool> = Atomic::new(false);

/// Whether any thread holds a re-run mask (the probes' fast check).
pub(crate) fn any() -> bool {
    ACTIVE.load(Acquire) != 0
}

/// Masks ptrace's `SYSCALL_TRACE` of current; returns the bits masked and the tracer.
fn mask_trace() -> (i8, *mut bindings::task_struct) {
    let mut tracer = core::ptr::null_mut();
    // SAFETY: current's own flags and ptrace link; `tracer` is written on success.
    if unsafe { glue::utrace_glue_mask_trace(&mut tracer) } {
        (TRACE, tracer)
    } else {
        (0, core::ptr::null_mut())
    }
}

/// `sys_enter`, the syscall just skipped for a stop (or sent back through seccomp after a
/// mismatch): hide the skipped pass's exit from ptrace.
pub(crate) fn mask_exit(ut: &UtraceTask) {
    if SHUTDOWN.load(Acquire) {
        return;
    }
    let (bits, tracer) = mask_trace();
    ut.entry_mask.exit_tracer.store(tracer, Relaxed);
    ut.entry_mask.exit.store(bits, Release);
}

/// In the skip's task_work, before anything can stop the thread: set the exit mask back.
pub(crate) fn unmask_exit(ut: &UtraceTask) {
    if ut.entry_mask.exit.xchg(0, Full) & TRACE != 0 {
        let tracer = ut.entry_mask.exit_tracer.xchg(core::ptr::null_mut(), Full);
        // SAFETY: current; `tracer` is the reference `mask_trace` took.
        unsafe { glue::utrace_glue_restore_trace(current(), tracer, false) };
    }
}

fn current() -> *mut bindings::task_struct {
    kernel::task::Task::current_raw()
}

/// At the end of an entry stop's task_work, the syscall about to enter again: hide that
/// entry from ptrace, and from seccomp if the call is still `filtered` (what seccomp saw).
/// `regs` are after `UserRegs::entry_stop_end` (not aborted).
pub(crate) fn mask_rerun(ut: &UtraceTask, regs: &UserRegs, filtered: Expected) {
    if SHUTDOWN.load(Acquire) || glue::fatal_pending() {
        return;
    }
    let now = expected_now(regs);
    // The probes must be there before the first masked entry can happen. If one could not
    // be registered (no memory), mask nothing: the restart is then seen, not a filter lost.
    if hooks::add_needs(hooks::MASKED, crate::task::may_register_probes) {
        hooks::drop_needs(hooks::MASKED);
        return;
    }
    ACTIVE.fetch_add(1, Full);
    let (mut bits, tracer) = mask_trace();
    // SAFETY: current's own flags.
    if now == filtered && unsafe { glue::utrace_glue_mask_seccomp() } {
        bits |= SECCOMP;
    }
    let m = &ut.entry_mask;
    m.set_expected(now);
    m.rerun_tracer.store(tracer, Relaxed);
    // Published under the task lock, where `prune` and `shutdown` read it: either the state
    // stays in the table while the mask is held (and unload finds it), or it was removed (or
    // unload began) before, and the mask is undone.
    let kept = {
        let _g = ut.lock();
        let kept = bits != 0 && !ut.is_removed() && !SHUTDOWN.load(Acquire);
        if kept {
            m.rerun.store(bits, Release);
        }
        kept
    };
    if !kept && bits == 0 {
        release_need();
    } else if !kept {
        m.rerun.store(bits, Release);
        unmask_rerun(ut, current(), false);
    }
}

/// The call current is about to make (again), for [`mask_rerun`].
pub(crate) fn expected_now(regs: &UserRegs) -> Expected {
    Expected::new(
        regs.call(),
        regs.syscall_return_ip(),
        glue::in_compat_syscall(),
    )
}

fn release_need() {
    ACTIVE.fetch_sub(1, Full);
    hooks::drop_needs(hooks::MASKED);
}

/// Sets the re-run mask of `task` back. Returns the bits that were masked and whether the
/// ptrace bit was really set back (false: a ptrace stop or the tracer's exit decided).
fn unmask_rerun(
    ut: &UtraceTask,
    task: *mut bindings::task_struct,
    siglock_held: bool,
) -> (i8, bool) {
    let m = &ut.entry_mask;
    let bits = {
        let _g = ut.lock();
        m.rerun.xchg(0, Full)
    };
    if bits == 0 {
        return (0, false);
    }
    if bits & SECCOMP != 0 {
        // SAFETY: `task` is valid (the state holds a reference).
        unsafe { glue::utrace_glue_restore_seccomp(task) };
    }
    let mut traced = false;
    if bits & TRACE != 0 {
        let tracer = m.rerun_tracer.xchg(core::ptr::null_mut(), Full);
        // SAFETY: `tracer` is the reference `mask_trace` took; `task` is valid.
        traced = unsafe { glue::utrace_glue_restore_trace(task, tracer, siglock_held) };
    }
    release_need();
    (bits, traced)
}

/// `sys_enter` of current, before anything else: set a re-run mask back, and check that
/// the syscall that found it is the re-run. Returns the thread's state if it is not: it
/// entered with a mask meant for another call (seccomp did not filter it, or ptrace did not
/// see its entry), and must be sent back through the entry code.
///
pub(crate) fn on_sys_enter(regs: &UserRegs) -> Option<Arc<UtraceTask>> {
    if !any() {
        return None;
    }
    let ut = UtraceTask::lookup(current())?;
    if !ut.entry_mask.active() {
        return None;
    }
    let expected = ut.entry_mask.take_expected();
    let (bits, traced) = unmask_rerun(&ut, current(), false);
    forget_state_if_unused(&ut);
    let now = expected_now(regs);
    let missed = bits & SECCOMP != 0 || traced;
    (missed && expected != Some(now)).then_some(ut)
}

/// `sys_exit` of current: a re-run that never reached `sys_enter` (the filter refused a call
/// an engine changed during the stop) ends here.
pub(crate) fn on_sys_exit() {
    if !any() {
        return;
    }
    if let Some(ut) = UtraceTask::lookup(current()) {
        if ut.entry_mask.active() {
            ut.entry_mask.clear_expected();
            unmask_rerun(&ut, current(), false);
            forget_state_if_unused(&ut);
        }
    }
}

/// `signal_deliver` of current (siglock held, interrupts off): a signal is delivered before
/// the re-run; its handler's syscalls must be filtered and traced as usual, and the re-run
/// after it is an ordinary restarted syscall.
pub(crate) fn on_signal_deliver() {
    if !any() {
        return;
    }
    if let Some(ut) = UtraceTask::lookup(current()) {
        if ut.entry_mask.active() {
            ut.entry_mask.clear_expected();
            unmask_rerun(&ut, current(), true);
            forget_state_if_unused(&ut);
        }
    }
}

/// A state kept in the table for its mask alone goes once the mask is set back.
fn forget_state_if_unused(ut: &UtraceTask) {
    if ut.has_no_attached_engine() {
        ut.prune();
    }
}

/// The task is gone (reap): drop what a re-run mask holds; its flags no longer matter. (An
/// exit mask is always set back by the skip's task_work, which runs even at exit.)
pub(crate) fn forget(ut: &UtraceTask) {
    let m = &ut.entry_mask;
    let bits = {
        let _g = ut.lock();
        m.rerun.xchg(0, Full)
    };
    let t = m.rerun_tracer.xchg(core::ptr::null_mut(), Full);
    if !t.is_null() {
        put_task(t);
    }
    if bits != 0 {
        release_need();
    }
}

fn put_task(t: *mut bindings::task_struct) {
    // SAFETY: `t` is a reference we own (taken by `mask_trace`).
    unsafe { glue::utrace_glue_put_task(t) };
}

/// Unload, probes still registered: mask nothing more, and set every held re-run mask back
/// from here (the threads may be stopped anywhere: unload cannot wait for them).
pub(crate) fn shutdown() {
    // A thread publishing a mask checks this under its task lock, which the walk takes.
    SHUTDOWN.store(true, Release);
    crate::task::for_each_state(|ut| {
        // Not `active()` first: that reads the mask without the task lock, and a thread that
        // saw `SHUTDOWN` clear under it could publish its mask after such a read. The xchg
        // under the lock either takes the mask or comes before the thread's check of
        // `SHUTDOWN`, which then undoes the mask itself.
        unmask_rerun(&ut, ut.task_ptr(), false);
    });
}
