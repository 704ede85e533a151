// SPDX-License-Identifier: GPL-2.0

//! Stopping: where a traced thread parks while an engine wants it stopped, how it is let go,
//! and `utrace_wake_up()`.
//!
//! A probe never sleeps. A callback (or `utrace_control`) that asks for `UTRACE_STOP` sets
//! its engine's `wants_stop` and queues task_work; the thread parks in that task_work
//! ([`park`]), on its way back to user mode:
//!
//! | where the stop was asked | task_work mode | parks in |
//! |---|---|---|
//! | syscall entry | `TWA_SIGNAL` | `get_signal()`, the syscall skipped and re-run (`entrystop.rs`) |
//! | syscall exit, signal delivery | `TWA_SIGNAL` | `get_signal()`, before signal dequeue and the arch's syscall restart |
//! | clone, exec (parent or child) | `TWA_RESUME` | `resume_user_mode_work()` |
//! | `utrace_control(STOP)` | `TWA_RESUME` (`TWA_SIGNAL` for INTERRUPT) | either, after a `report_quiesce(0)` |
//! | exit (`report_exit`) | `TWA_NONE` (the exit item) | `exit_task_work()`, before the death report |
//!
//! State, under the task's `inner` lock: `stopped` is true from the moment the thread has
//! committed to sleep (its task state is already set, so any wake-up from then on is seen)
//! until it runs again after being woken. Every engine's `wants_stop` is read under the
//! same lock by the thread deciding to sleep and by the releaser deciding to wake it, which
//! closes the lost-wakeup race: either the thread sees the last `wants_stop` cleared and
//! does not sleep, or the releaser sees `stopped` and wakes it.
//!
//! The sleep is `TASK_KILLABLE | TASK_NOLOAD | TASK_FREEZABLE`: SIGKILL wakes it (and the
//! thread leaves at once; `get_signal()` then kills it before any user instruction), it is
//! not counted in the load average, the hung-task detector skips killable and no-load
//! sleeps, and the freezer treats a freezable sleeper as frozen.
//!
//! `utrace_wake_up(wq)` from a callback is deferred until the end of the reporting pass;
//! if the pass ends in a stop, until the thread has committed to it ([`park`]). Whatever
//! happens instead (resume, detach, SIGKILL, exit, failure to queue the stop), the deferred
//! wake-ups are delivered: never lost, never early.

use crate::atomic::{Acquire, Release};
use kernel::bindings;
use kernel::pr_warn_once;
use kernel::task::Task;

use crate::engine::Engine;
use crate::glue;
use crate::stopstate::Defer;
use crate::task::{Inner, UtraceTask};
use kernel::sync::lock::{spinlock::SpinLockIrqBackend, Guard};

/// Whether the thread is parked (committed to its stop).
pub(crate) fn is_stopped(ut: &UtraceTask) -> bool {
    ut.lock().stop.stopped
}

impl Inner {
    /// Whether the thread is parked, for a caller that holds the lock.
    pub(crate) fn stop_stopped(&self) -> bool {
        self.stop.stopped
    }
}

/// Whether the parked thread must leave its stop once no register access holds it (no
/// attached engine wants it stopped, a fatal signal is pending, or death began), with the
/// lock held (`g`).
pub(crate) fn let_go(ut: &UtraceTask, g: &Guard<'_, Inner, SpinLockIrqBackend>) -> bool {
    g.stop.stopped
        && (!ut.any_engine_wants_stop() || glue::task_fatal_pending(ut.task()) || ut.is_dead())
}

/// `engine` wants the thread stopped. Returns true if it is already stopped.
pub(crate) fn request(ut: &UtraceTask, engine: &Engine) -> bool {
    let g = ut.lock();
    engine.set_wants_stop(true);
    g.stop.stopped
}

/// `engine` no longer wants the thread stopped (resume, detach): wake the thread if it is
/// parked and no other attached engine wants it stopped.
pub(crate) fn release(ut: &UtraceTask, engine: &Engine) {
    // Cleared under the lock: a thread deciding to park either sees it cleared, or has set
    // `stopped`, which is read under the same lock (see the file doc).
    let g = ut.lock();
    engine.set_wants_stop(false);
    wake_if_let_go(ut, g);
}

/// Wakes the thread if it is parked and nobody wants it stopped any more (an engine was
/// detached by other means: its module went away, utrace unloads).
pub(crate) fn recheck(ut: &UtraceTask) {
    wake_if_let_go(ut, ut.lock());
}

/// With the lock `g` held: wakes the thread if it is parked and no attached engine wants it
/// stopped any more (the wake-up after the lock is dropped).
fn wake_if_let_go(ut: &UtraceTask, g: Guard<'_, Inner, SpinLockIrqBackend>) {
    // Not while a register access holds it (`examine.rs`): the last one wakes it.
    let wake = g.stop.stopped && g.stop.examiners == 0 && !ut.any_engine_wants_stop();
    drop(g);
    if wake {
        ut.task().wake_up();
    }
}

/// Parks the current thread while any attached engine wants it stopped and no fatal signal
/// is pending. Called only from utrace's task_work (a safe point: no locks, may sleep).
pub(crate) fn park(ut: &UtraceTask) {
    // The common case, a pass that asked for no stop: nothing to sleep for, so no task
    // state and no lock (an interception's cost, `Documentation/design.md`, "Signals").
    // Not parked now (this thread is running the pass), so no register access is in
    // progress (`examine.rs` begins one only on a parked thread). A request made after
    // this check queues a stop of its own (`utrace_control(STOP)`: `request`, then a
    // quiesce report that runs after this pass); a callback of this thread's pass set its
    // engine's `wants_stop` before this, in program order.
    if !ut.any_engine_wants_stop() {
        flush_deferred(ut);
        return;
    }
    loop {
        // The task state first: a wake-up after this point is not lost (see the file doc).
        // SAFETY: current, process context, no locks held.
        unsafe { glue::utrace_glue_stop_prepare() };
        let (stay, deferred) = {
            let mut g = ut.lock();
            // No stop with SIGKILL pending, nor once death has begun.
            let wanted = ut.any_engine_wants_stop() && !glue::fatal_pending() && !ut.is_dead();
            // Let go, but a register access is in progress (`examine.rs`): stay until the
            // last one is done and wakes us, in a sleep that SIGKILL cannot end (a killable
            // sleep with SIGKILL pending would not sleep at all).
            g.stop.held = !wanted && g.stop.examiners > 0;
            if g.stop.held {
                // SAFETY: current; the examiner wakes it under this lock (no lost wake-up).
                unsafe { glue::utrace_glue_stop_prepare_held() };
            }
            let stay = wanted || g.stop.held;
            g.stop.stopped = stay;
            ut.wake_deferred.store(false, Release);
            (stay, g.stop.take_deferred())
        };
        // The stop is committed (or abandoned): a woken tracer finds it stopped (or gone).
        deferred.deliver();
        if !stay {
            // SAFETY: current; back to TASK_RUNNING.
            unsafe { glue::utrace_glue_stop_finish() };
            return;
        }
        // SAFETY: process context, no locks held; a sleep in the state set above.
        unsafe { bindings::schedule() };
    }
}

/// Delivers the wake-ups deferred by the pass that just ended without a stop. Called after
/// every pass: lock-free unless something was deferred.
pub(crate) fn flush_deferred(ut: &UtraceTask) {
    if !ut.wake_deferred.load(Acquire) {
        return;
    }
    let d = ut.lock().stop.take_deferred();
    ut.wake_deferred.store(false, Release);
    d.deliver();
}

/// `utrace_wake_up()`.
///
/// # Safety
///
/// `wq` is a valid wait queue head that the caller keeps valid until the wake-up has been
/// delivered (at the latest when the engine is detached and `utrace_barrier` returned).
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_wake_up(wq: *mut bindings::wait_queue_head) {
    if crate::glue::is_err_or_null(wq) {
        pr_err_rl!(
            "utrace_wake_up({}): not a wait queue\n",
            crate::glue::PtrKind::of(wq)
        );
        return;
    }
    // Deferred only from a callback in the traced thread itself (task context).
    if glue::in_task() {
        if let Some(ut) = UtraceTask::lookup(Task::current_raw()) {
            let engine = ut.reporting_engine();
            if !engine.is_null() {
                let mut g = ut.lock();
                match g.stop.defer(wq, engine.cast()) {
                    Defer::Already => return,
                    Defer::Deferred => {
                        ut.wake_deferred.store(true, Release);
                        return;
                    }
                    Defer::Full => {
                        pr_warn_once!("utrace_wake_up: too many wake-ups in one callback pass\n")
                    }
                }
            }
        }
    }
    // SAFETY: per the function's safety requirements.
    unsafe { glue::utrace_glue_wake_up(wq) };
}
