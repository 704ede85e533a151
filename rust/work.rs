// SPDX-License-Identifier: GPL-2.0

//! The traced thread at its safe points: what a pass's folded answer makes it do next
//! ([`finish`]: park, arm a step, queue a stop or another report), and the task_work items
//! that run there.
//!
//! - The quiesce report asked by UTRACE_REPORT (queued with `TWA_RESUME`: it runs on the way
//!   back to user mode, without interrupting a blocking syscall) or UTRACE_INTERRUPT
//!   (`TWA_SIGNAL`: an interruptible sleep is broken, the syscall restarts or returns EINTR
//!   as it would for a signal with a handler).
//! - The stop (`stop.rs`) after a callback answered `UTRACE_STOP`: the thread parks in the
//!   task_work until every engine lets it go. The syscall-entry stop's items are
//!   `entrystop.rs`'s.
//! - The exit item, queued at `sched_process_exit` (or when an engine sets DEATH after it)
//!   and run by `exit_task_work()` before `exit_notify()`: the exit stop if `report_exit`
//!   answered `UTRACE_STOP`, then the death report. The thread runs no more user code and
//!   its mm is gone (`exit_mm()` ran); its registers are still there.
//! - The step report ([`step_ended`], [`queue_arm`], [`queue_arm_remote`]): arming a step
//!   asked at a probe or by another thread, or reporting a step that ended (`step.rs`).
//!
//! Each is an allocated item (`taskwork::queue_item`, which counts it for unload) that runs
//! one of the small functions below, except the step report's: the step trap (interrupts
//! off) must not allocate, so it uses the `taskwork::EmbeddedWork` of the per-task state
//! (`UtraceTask::step_work`), as the syscall-entry stop does (`entrystop.rs`); and the
//! items other threads queue for the thread, also embedded (`remote_arm_work`,
//! `remote_signal_work`): never one the thread queues itself ([`queue_arm_remote`]).
//!
//! Unload may drop every item queued here instead of running it, once no engine is left
//! ([`queue_report`]'s report clears `report_queued` when dropped, the step report ends
//! the step session): no engine is left to report to or to stop for.

use crate::atomic::{Full, Relaxed, Release};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::glue;
use crate::glue::gfp_for_context;
use crate::report::{self, Order};
use crate::signal;
use crate::step;
use crate::stop;
use crate::task::UtraceTask;
use crate::taskwork::{self, OnUnload};
use kernel::task::Task;

/// A body of an item queued here.
type Run = fn(&Arc<UtraceTask>, ());

fn queue(
    ut: &Arc<UtraceTask>,
    run: Run,
    on_unload: OnUnload<Run>,
    mode: bindings::task_work_notify_mode,
) -> Result {
    taskwork::queue_item(ut, ut.task(), run, (), on_unload, mode, gfp_for_context())
}

/// `UtraceTask::report_queued`: a quiesce report is queued.
const REPORT_QUEUED: i8 = 1;
/// `UtraceTask::report_queued`: the thread was kicked (`TWA_SIGNAL`) for it.
const REPORT_KICKED: i8 = 2;

/// Asks for a `report_quiesce(0)` at the task's next safe point; with `interrupt`, also
/// breaks an interruptible sleep (`TWA_SIGNAL`).
///
/// One report serves every request made before it runs. A request to interrupt that finds
/// a report already queued without a kick (REPORT, or STOP, on a thread blocked in a
/// syscall) adds an empty `TWA_SIGNAL` item: it breaks the sleep, and `get_signal()` runs
/// every queued item, the report included (without it the INTERRUPT was lost until the
/// syscall returned by itself).
pub(crate) fn queue_report(ut: &Arc<UtraceTask>, interrupt: bool) {
    let want = REPORT_QUEUED | if interrupt { REPORT_KICKED } else { 0 };
    // A fully ordered fetch_or, as a cmpxchg loop (7.3's `Atomic` has no fetch_or; the run
    // and the failure paths clear the bits concurrently, so a plain store would lose them).
    let mut prev = ut.report_queued.load(Relaxed);
    while let Err(cur) = ut.report_queued.cmpxchg(prev, prev | want, Full) {
        prev = cur;
    }
    if prev & REPORT_QUEUED == 0 {
        let on_unload = OnUnload::DropWith(report_dropped as Run);
        if queue(ut, run_report, on_unload, mode(interrupt)).is_err() {
            // The task is past exit_task_work(), or out of memory: no report is coming.
            ut.report_queued.store(0, Release);
        }
    } else if interrupt && prev & REPORT_KICKED == 0 {
        // On failure the task is exiting (no report needed) or out of memory (the report
        // still comes when the syscall returns).
        let _ = queue(
            ut,
            run_kick,
            OnUnload::Drop,
            bindings::task_work_notify_mode_TWA_SIGNAL,
        );
    }
}

fn mode(signal: bool) -> bindings::task_work_notify_mode {
    if signal {
        bindings::task_work_notify_mode_TWA_SIGNAL
    } else {
        bindings::task_work_notify_mode_TWA_RESUME
    }
}

/// Queues a stop; `signal` to run it in `get_signal()` (`TWA_SIGNAL`).
pub(crate) fn queue_stop(ut: &Arc<UtraceTask>, signal: bool) -> Result {
    queue(ut, run_stop, OnUnload::Drop, mode(signal))
}

/// Makes `ut`'s thread register the probes its engines' events need before it next returns
/// to user mode (`TWA_RESUME`): `utrace_set_events()` could not register them where it was
/// called (`hooks::add_needs`). If the thread is past `exit_task_work()` it
/// needs none; without memory the workqueue still registers them, a little later.
pub(crate) fn queue_sync_probes(ut: &Arc<UtraceTask>) {
    let _ = queue(
        ut,
        run_sync_probes,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_RESUME,
    );
}

/// Queues the exit item (the exit stop if one was asked, then the death report); it runs in
/// `exit_task_work()`, before `exit_notify()`. Fails only without memory, or once the task is
/// past `exit_task_work()`.
pub(crate) fn queue_exit(ut: &Arc<UtraceTask>) -> Result {
    queue(
        ut,
        run_exit,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_NONE,
    )
}

/// The quiesce report: `report_quiesce(0)`, then a stop if an engine wants one.
fn run_report(ut: &Arc<UtraceTask>, (): ()) {
    // Run by exit_task_work() after the death report (task_work is LIFO): no quiesce
    // report and no stop after death.
    if ut.is_dead() {
        ut.report_queued.store(0, Release);
        return;
    }
    let kicked = ut.report_queued.xchg(0, Full) & REPORT_KICKED != 0;
    // Event 0: only report_quiesce(0), to the engines with QUIESCE set.
    let out = report::report(ut, 0, Order::Attach, true, |_, _| None);
    finish(ut, out.action, Site::SafePoint);
    // UTRACE_INTERRUPT: then report_signal(UTRACE_SIGNAL_REPORT), where an engine may
    // inject a signal (`signal.rs`).
    if kicked {
        let action = signal::report_pass(ut);
        finish(ut, action, Site::SafePoint);
    }
}

/// Queues the signal interception item (`signal.rs`) on `ut`'s thread, with `TWA_NONE`: it
/// wakes nobody, and runs in the thread's next `get_signal()` (kernel/signal.c:2883, before
/// any dequeue), or any `task_work_run()` before it. No allocation: called by the
/// `signal_generate` probe (interrupts off, maybe in hardirq). If it is queued already,
/// that one serves.
pub(crate) fn queue_signal(ut: &Arc<UtraceTask>) {
    let _ = ut.signal_work.queue(
        ut,
        ut.task(),
        run_signal,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_NONE,
    );
}

/// `utrace_set_events()` from another thread turning a signal event on: the interception
/// item for the signals already queued, in an item only other threads queue
/// (`UtraceTask::remote_signal_work`), not the thread's `signal_work` (as
/// [`queue_arm_remote`]: claimed by a caller that can be preempted, the `signal_generate`
/// probe's queueing for a signal sent meanwhile would return without it, and the thread
/// would take that signal unintercepted).
pub(crate) fn queue_signal_remote(ut: &Arc<UtraceTask>) {
    let _ = ut.remote_signal_work.queue(
        ut,
        ut.task(),
        run_signal,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_NONE,
    );
}

/// The signal interception item: reports each signal `get_signal()` would take, until one is
/// approved or none is left (`signal::intercept`); a pass that answered `UTRACE_STOP`
/// parks here, holding its signal, and the resume applies the decision. Then, for
/// `UTRACE_EVENT(JCTL)`, the report of a group stop the thread is about to enter
/// (`jctl::stop_check`).
fn run_signal(ut: Arc<UtraceTask>) {
    // The syscall-entry stop's item, queued after this one (task_work runs the newest
    // first), must run before the thread can stop (`entrystop.rs`): this one runs again
    // after it, in the same task_work_run() (which runs what is queued meanwhile).
    if ut.entry_work.is_queued() {
        queue_signal(&ut);
        return;
    }
    // A continue owed is reported before the signals SIGCONT's wake-up lets it take, as the
    // kernel notifies a continue before get_signal() dequeues (`jctl.rs`).
    if ut.events() & abi::EVENT_JCTL != 0 {
        crate::jctl::report_owed(&ut);
    }
    if ut.events() & abi::EVENT_SIGNAL_ALL != 0 {
        for _ in 0..signal::MAX_ROUNDS {
            let Some(action) = signal::intercept(&ut) else {
                break;
            };
            finish(&ut, action, Site::SafePoint);
            signal::after_stop(&ut);
        }
    }
    // Then job control, seeing what the engines left queued: a stop signal they ignored
    // starts no stop (`jctl.rs`).
    crate::jctl::stop_check(&ut);
}

/// Unload dropped a queued quiesce report: none is queued any more.
fn report_dropped(ut: &Arc<UtraceTask>, (): ()) {
    ut.report_queued.store(0, Release);
}

/// A stop an engine asked for from a callback.
fn run_stop(ut: &Arc<UtraceTask>, (): ()) {
    stop::park(ut);
    step::resume(ut);
}

/// Nothing: queued with `TWA_SIGNAL` to break an interruptible sleep for a queued report
/// (see [`queue_report`]).
fn run_kick(_: &Arc<UtraceTask>, (): ()) {}

/// Register the probes the thread's engines need, which could not be registered where
/// their events were set (`hooks.rs`), before the thread returns to user mode.
fn run_sync_probes(_: &Arc<UtraceTask>, (): ()) {
    crate::hooks::sync_now();
}

/// In `exit_task_work()`: the exit stop if `report_exit` asked for one (`ExitState::stop`),
/// then the death report.
fn run_exit(ut: &Arc<UtraceTask>, (): ()) {
    // `stop` and `group_dead` were recorded by the exit probe, which ran before
    // exit_task_work() even when a late DEATH queued this item before it.
    let (stop, group_dead) = {
        let g = ut.lock();
        (g.exit.stop, g.exit.group_dead)
    };
    if stop {
        // The exit stop: no more user code, the mm is gone, registers remain.
        stop::park(ut);
    }
    if ut.begin_death() {
        // Unknown if the exit probe was not registered when this thread passed it
        // (DEATH set late): then "no thread of the group is left alive", which a
        // thread exiting after this one can make true for it too.
        // SAFETY: current, in exit_task_work(): its signal struct is still there.
        let group_dead = group_dead.unwrap_or_else(|| unsafe { glue::utrace_glue_group_dead() });
        // SAFETY: current is in do_exit(), where exit_signal is stable.
        let signal = unsafe { (*Task::current_raw()).exit_signal };
        // Only DETACH in report_death's answer matters (folded by `report`).
        let out = report::report(ut, abi::EVENT_DEATH, Order::Attach, true, |e, _| {
            e.report_death(group_dead, signal)
        });
        finish(ut, out.action, Site::NoStop);
    }
}

/// Where a pass was made: what a `UTRACE_STOP` answer turns into.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// utrace's own task_work: park right here.
    SafePoint,
    /// A syscall exit or a signal delivery, on the way back to user mode: park in
    /// `TWA_SIGNAL` task_work, before signal dequeue and syscall restart.
    ReturnToUser,
    /// Inside a syscall (clone, exec): park in `TWA_RESUME` task_work on the way out.
    InSyscall,
    /// Exit, death, reap: the thread will not return to user mode; no stop.
    NoStop,
}

/// Acts on a pass's resume action once every engine has answered, at `site`.
///
/// At a [`Site::SafePoint`] a REPORT asked from the `report_quiesce(0)` pass itself is not
/// queued again, so that an engine answering REPORT cannot loop forever; the thread parks
/// if any engine wants it stopped, whether or not it was called in this pass, and then
/// arms the step engines asked for. Elsewhere a SINGLESTEP/BLOCKSTEP is armed by the step
/// task_work on the way out ([`queue_arm`], [`run_step`]).
/// Wake-ups deferred by `utrace_wake_up()` in the pass are delivered here, or by the stop.
pub(crate) fn finish(ut: &Arc<UtraceTask>, action: u32, site: Site) {
    match (action, site) {
        (_, Site::SafePoint) => {
            stop::park(ut);
            step::resume(ut);
            return;
        }
        // The stop of `ut`'s thread, in its task_work; `TWA_SIGNAL` to park in
        // `get_signal()`. On failure (the thread is past `exit_task_work()`, or no memory)
        // there is no stop: the wake-ups are delivered below.
        (abi::STOP, Site::ReturnToUser | Site::InSyscall) => {
            if queue_stop(ut, site == Site::ReturnToUser).is_ok() {
                return;
            }
        }
        (abi::SINGLESTEP | abi::BLOCKSTEP, Site::ReturnToUser | Site::InSyscall) => {
            queue_arm(ut);
        }
        (abi::REPORT | abi::INTERRUPT, _) if site != Site::NoStop => {
            queue_report(ut, action == abi::INTERRUPT);
        }
        _ => {}
    }
    stop::flush_deferred(ut);
}

/// A pass made at a probe asked for a step: arm it on the way out (the step task_work).
/// Current only: see [`queue_arm_remote`].
pub(crate) fn queue_arm(ut: &Arc<UtraceTask>) {
    let _ = queue_step(ut);
}

/// `utrace_control(SINGLESTEP)` from another thread, of a thread that is not parked: arm the
/// request at its next safe point (`TWA_RESUME`), in an item only other threads queue
/// (`UtraceTask::remote_arm_work`), never the thread's `step_work`: that one is queued by
/// the thread itself when its step ends (the trap, interrupts off) and must be on its
/// task_work list before it returns to user mode. Were it claimed here first, the trap's
/// queueing would find it claimed and return, and if this caller was held up (preempted)
/// before handing it to task_work, the thread would return to user mode without it and
/// run on unstepped until its next kernel entry, where the step was reported (gdb saw a
/// `stepi` run to the next syscall). One item serves every request made before it runs.
pub(crate) fn queue_arm_remote(ut: &Arc<UtraceTask>) {
    let _ = ut.remote_arm_work.queue(
        ut,
        ut.task(),
        run_step,
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_RESUME,
    );
}

/// The step of current ended (trap, syscall exit, handler entry): report it at the next
/// safe point. If the thread is past `exit_task_work()`, the step is abandoned.
pub(crate) fn step_ended(ut: &Arc<UtraceTask>) {
    if !queue_step(ut) {
        step::abandon(ut);
    }
}

/// Queues the step task_work (`TWA_RESUME`), from current only ([`queue_arm_remote`]).
/// Returns false if the thread is past `exit_task_work()`. No allocation: callable with
/// interrupts off.
fn queue_step(ut: &Arc<UtraceTask>) -> bool {
    ut.step_work
        .queue(
            ut,
            ut.task(),
            run_step,
            OnUnload::DropWith(step::work_dropped),
            bindings::task_work_notify_mode_TWA_RESUME,
        )
        .is_ok()
}

/// The step task_work: arm a step asked at a probe, or report a step that ended
/// (`step::on_work`).
fn run_step(ut: Arc<UtraceTask>) {
    if step::on_work(&ut) {
        let out = report::report(&ut, 0, Order::Attach, true, |_, _| None);
        finish(&ut, out.action, Site::SafePoint);
        step::after_report(&ut);
    }
}
