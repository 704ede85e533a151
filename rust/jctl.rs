// SPDX-License-Identifier: GPL-2.0

//! Job control: `report_jctl(CLD_STOPPED)` when a thread is about to enter a group stop,
//! `report_jctl(CLD_CONTINUED)` when SIGCONT let it out (`Documentation/design.md`, "Job
//! control"). The kernel has no hook in `do_signal_stop()` nor on the wake-up, so:
//!
//! - **CLD_STOPPED, in task context, before the stop.** The signal interception item
//!   (`UtraceTask::signal_work`, `TWA_NONE`, run by `get_signal()` before it looks at any
//!   signal or group stop, kernel/signal.c:2883) ends with [`stop_check`]: under siglock,
//!   is a group stop pending for the thread (`JOBCTL_STOP_PENDING`: it joins), or is the
//!   next signal it takes a stop signal with the default action (it starts one)? The item is
//!   queued on the traced threads of the group by the stop signal's `signal_generate`
//!   (`probes::arm`), and on every other traced thread by the starter's `signal_deliver`
//!   (right before `do_signal_stop()` wakes them to join: [`starting`]). `UTRACE_STOP`
//!   parks the thread there, before it joins (it stays counted in `group_stop_count`).
//! - **CLD_STOPPED, late.** A starter whose item did not run in time (the stop signal was
//!   generated after its `get_signal()` ran task_work) is seen only at its `signal_deliver`,
//!   under siglock, about to stop: the report is made by [`run`] when it is woken (before
//!   its CLD_CONTINUED report), never from the probe.
//! - **CLD_CONTINUED.** SIGCONT's `signal_generate` fires after `prepare_signal()` woke the
//!   stopped threads ([`continued`]); each thread that reported CLD_STOPPED gets the
//!   embedded item `UtraceTask::jctl_work` with `TWA_SIGNAL`, which runs in its next
//!   `get_signal()`, before it runs any user instruction: `UTRACE_STOP` there keeps it
//!   stopped after SIGCONT while its siblings run.

use crate::atomic::{Atomic, Full, Relaxed};
use core::ffi::c_void;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::sync::Arc;
use kernel::task::Task;

use crate::abi;
use crate::glue;
use crate::report::{self, Order};
use crate::task::UtraceTask;
use crate::taskwork::OnUnload;
use crate::work::{self, Site};

/// `CLD_STOPPED`, `CLD_CONTINUED` (include/uapi/asm-generic/siginfo.h).
pub(crate) const CLD_STOPPED: c_int = 5;
pub(crate) const CLD_CONTINUED: c_int = 6;

const SIGCONT: c_int = 18;

/// Whether `sig` is a stop signal (`sig_kernel_stop()`: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU).
pub(crate) fn is_stop_signal(sig: c_int) -> bool {
    (19..=22).contains(&sig)
}

/// Whether `sig` is SIGCONT.
pub(crate) fn is_cont(sig: c_int) -> bool {
    sig == SIGCONT
}

/// CLD_STOPPED was reported for the stop in progress (or coming); SIGCONT turns it into
/// [`CONT`]. Cleared by a check that finds no stop coming.
const REPORTED: u32 = 1 << 0;
/// The thread entered the stop unreported (seen at its `signal_deliver`): [`run`] reports
/// CLD_STOPPED after the fact.
const LATE: u32 = 1 << 1;
/// A continue to report, with `JctlState::notify`.
const CONT: u32 = 1 << 2;

/// The job control state of one thread (in `UtraceTask`). `bits` is changed by the thread
/// itself (its items) and by the probes of other threads (under the group's siglock): a
/// cmpxchg loop.
pub(crate) struct JctlState {
    bits: Atomic<u32>,
    /// The `notify` of the pending CLD_CONTINUED report.
    notify: Atomic<i32>,
}

impl JctlState {
    pub(crate) const fn new() -> Self {
        JctlState {
            bits: Atomic::new(0),
            notify: Atomic::new(0),
        }
    }

    /// Applies `f` to the bits; returns the old bits.
    fn update(&self, f: impl Fn(u32) -> u32) -> u32 {
        let mut old = self.bits.load(Relaxed);
        loop {
            match self.bits.cmpxchg(old, f(old), Full) {
                Ok(_) => return old,
                Err(now) => old = now,
            }
        }
    }
}

/// One `report_jctl` pass; returns its resume action.
fn report_jctl(ut: &UtraceTask, kind: c_int, notify: c_int) -> u32 {
    report::report(ut, abi::EVENT_JCTL, Order::Attach, true, |e, a| {
        e.report_jctl(a, kind, notify)
    })
    .action
}

/// The end of the signal interception item (`work::run_signal`), in task context: first
/// the reports still owed for an earlier stop ([`report_owed`]: a continue item may be
/// queued behind this one, task_work runs the newest first), then, if the thread is about to
/// enter a group stop and has not reported it, CLD_STOPPED with the `notify` predicted by the
/// glue; `UTRACE_STOP` parks it here, before it joins.
pub(crate) fn stop_check(ut: &Arc<UtraceTask>) {
    if ut.events() & abi::EVENT_JCTL == 0 || ut.is_gone() {
        return;
    }
    report_owed(ut);
    let Some((_sig, notify)) = glue::jctl_peek() else {
        // No stop coming: a CLD_STOPPED reported for a stop that did not happen (the stop
        // signal dropped in an orphaned process group, cancelled by a ptracer) is void;
        // the next stop is reported again.
        ut.jctl.update(|b| b & !REPORTED);
        return;
    };
    if ut.jctl.update(|b| b | REPORTED) & REPORTED != 0 {
        return;
    }
    let action = report_jctl(ut, CLD_STOPPED, notify);
    work::finish(ut, action, Site::SafePoint);
}

/// Queues the continue item (`TWA_SIGNAL`: it runs before the thread's next user
/// instruction). No allocation: called by probes with interrupts off. If it is queued
/// already, that one serves (it reads the bits when it runs).
fn queue(ut: &Arc<UtraceTask>) {
    let _ = ut.jctl_work.queue(
        ut,
        ut.task(),
        run,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_SIGNAL,
    );
}

/// The continue item: the reports owed ([`report_owed`]).
fn run(ut: Arc<UtraceTask>) {
    report_owed(&ut);
}

/// The reports a thread owes for a stop it was in, in order, each pass's `UTRACE_STOP`
/// parking it there: CLD_STOPPED after the fact if it stopped unreported (`LATE`), then
/// CLD_CONTINUED (`CONT`). `LATE` without `CONT` is a stop that did not happen after all
/// (`starting` runs before get_signal()'s last checks: an orphaned process group, an
/// unkillable init): nothing to report, and the stop is no longer counted as reported.
/// Killed or exiting (the item runs in exit_task_work()): nothing.
pub(crate) fn report_owed(ut: &Arc<UtraceTask>) {
    let bits = ut.jctl.update(|b| {
        if b & (LATE | CONT) == LATE {
            b & !(LATE | REPORTED)
        } else {
            b & !(LATE | CONT)
        }
    });
    if bits & CONT == 0 || ut.is_gone() || glue::current_exiting() || glue::fatal_pending() {
        return;
    }
    if bits & LATE != 0 {
        let action = report_jctl(ut, CLD_STOPPED, 0);
        work::finish(ut, action, Site::SafePoint);
    }
    let action = report_jctl(ut, CLD_CONTINUED, ut.jctl.notify.load(Relaxed));
    work::finish(ut, action, Site::SafePoint);
}

/// The `signal_deliver` probe of a stop signal with the default action (current's siglock
/// held, interrupts off): current is about to start a group stop (`do_signal_stop()`).
/// Queues the interception item on the other traced threads, which `do_signal_stop()` wakes
/// to join, so that each checks and reports before it joins; current itself, if its item did
/// not report, reports late ([`run`]).
pub(crate) fn starting() {
    let cur = Task::current_raw();
    if !crate::task::maybe_traced_group(cur) {
        return;
    }
    /// # Safety
    ///
    /// `t` is a live thread (the walk holds RCU and the group's siglock).
    unsafe extern "C" fn visit(t: *mut bindings::task_struct, _: *mut c_void) {
        let Some(ut) = UtraceTask::lookup(t) else {
            return;
        };
        if ut.events() & abi::EVENT_JCTL == 0 || ut.is_gone() {
            return;
        }
        if t != Task::current_raw() {
            work::queue_signal(&ut);
            return;
        }
        // A continue not reported yet (`CONT`: SIGCONT came, then this stop signal, before
        // the thread ran its items; get_signal() goes back to its loop after a stop without
        // running task_work): the engines have seen CLD_STOPPED and not the continue, so
        // this stop is the same stop to them; its SIGCONT reports the continue.
        let old = ut.jctl.update(|b| {
            if b & CONT != 0 {
                (b & !CONT) | REPORTED
            } else if b & REPORTED != 0 {
                b
            } else {
                b | REPORTED | LATE
            }
        });
        if old & (REPORTED | CONT) == 0 {
            queue(&ut);
        }
    }
    // SAFETY: current is alive and holds its siglock (the tracepoint's caller); `visit` has
    // the callback's prototype and does not sleep.
    unsafe { glue::utrace_glue_walk_group(cur, Some(visit), core::ptr::null_mut()) };
}

/// SIGCONT's `signal_generate` probe (`task`'s siglock held, any result: the continue was
/// done by `prepare_signal()` whether or not the SIGCONT is queued): every thread of the
/// group that reported CLD_STOPPED gets the continue item.
pub(crate) fn continued(task: *mut bindings::task_struct) {
    if !crate::task::maybe_traced_group(task) {
        return;
    }
    // SAFETY: `task` is the probe's target; the tracepoint's caller holds its siglock.
    let Some(notify) = (unsafe { glue::jctl_cont_notify(task) }) else {
        return;
    };
    /// # Safety
    ///
    /// `t` is a live thread (the walk holds RCU and the group's siglock); `arg` is the
    /// notify code.
    unsafe extern "C" fn visit(t: *mut bindings::task_struct, arg: *mut c_void) {
        let Some(ut) = UtraceTask::lookup(t) else {
            return;
        };
        if ut.is_gone() || ut.jctl.bits.load(Relaxed) & REPORTED == 0 {
            return;
        }
        // Before the bit: the item reads `notify` after it took CONT.
        ut.jctl.notify.store(arg as usize as i32, Relaxed);
        let old = ut.jctl.update(|b| {
            if b & REPORTED != 0 {
                (b & !REPORTED) | CONT
            } else {
                b
            }
        });
        if old & REPORTED != 0 {
            queue(&ut);
        }
    }
    // SAFETY: `task` is alive (the sender holds its siglock); `visit` has the callback's
    // prototype and does not sleep.
    unsafe { glue::utrace_glue_walk_group(task, Some(visit), notify as usize as *mut c_void) };
}
