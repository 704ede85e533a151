// SPDX-License-Identifier: GPL-2.0

//! task_work: the reports that must run in the traced thread at a safe point.
//!
//! - The quiesce report asked by UTRACE_REPORT (queued with `TWA_RESUME`: it runs on the way
//!   back to user mode, without interrupting a blocking syscall) or UTRACE_INTERRUPT
//!   (`TWA_SIGNAL`: an interruptible sleep is broken, the syscall restarts or returns EINTR
//!   as it would for a signal with a handler).
//! - The stop (`stop.rs`) after a callback answered `UTRACE_STOP`: the thread parks in the
//!   task_work until every engine lets it go. The syscall-entry stop's item is
//!   `entrystop.rs`'s; it is queued here only when the per-task one is busy.
//! - The exit item, queued at `sched_process_exit` (or when an engine sets DEATH after it)
//!   and run by `exit_task_work()` before `exit_notify()`: the exit stop if `report_exit`
//!   answered `UTRACE_STOP`, then the death report. The thread runs no more user code and
//!   its mm is gone (`exit_mm()` ran); its registers are still there.
//!
//! Items are allocated, except on the paths that must not (the step trap, interrupts off) or
//! should not (every syscall-entry stop) allocate: those use an [`EmbeddedWork`] inside the
//! per-task state.
//!
//! Each queued item holds a reference on the `UtraceTask`, and is counted in [`PENDING`].
//! Module unload waits for the count to drop to zero, so that no queued item can point into
//! freed module code; it does not wait for a thread that may never run its items (stopped
//! by job control or ptrace, blocked in a long syscall with a `TWA_RESUME` report queued):
//! it takes those items back out of the queues ([`cancel_stranded`]; the glue re-implements
//! `task_work_cancel_match()`, which is not exported) and frees them. Every kind may be
//! dropped once no engine is left, except the syscall-entry stop's, which puts the skipped
//! syscall back: that one always runs before the thread can stop or sleep (see
//! [`cancellable`]).

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use kernel::sync::Arc;

use crate::abi;
use crate::entrystop;
use crate::glue;
use crate::glue::gfp_for_context;
use crate::report::{self, Order, Site};
use crate::stop;
use crate::task::UtraceTask;
use kernel::task::Task;
use kernel::types::Opaque;

/// Queued and not yet finished task_work items.
pub(crate) static PENDING: Atomic<usize> = Atomic::new(0);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `report_quiesce(0)`, then a stop if an engine wants one.
    Report,
    /// A stop an engine asked for from a callback.
    Stop,
    /// Nothing: queued with `TWA_SIGNAL` to break an interruptible sleep for a queued
    /// `Report` (see [`queue_report`]).
    Kick,
    /// A stop at syscall entry, or a pass back through the entry code (`entrystop.rs`),
    /// when the embedded item was still queued.
    EntryStop(entrystop::Pending),
    /// In `exit_task_work()`: the exit stop if `report_exit` asked for one
    /// (`ExitState::stop`), then the death report.
    Exit,
    /// Register the probes the thread's engines need, which could not be registered where
    /// their events were set (`hooks.rs`), before the thread returns to user mode.
    SyncProbes,
}

#[repr(C)]
struct Item {
    /// Must be first: the task_work callback gets a pointer to it.
    head: bindings::callback_head,
    ut: Arc<UtraceTask>,
    kind: Kind,
}

fn queue(ut: &Arc<UtraceTask>, kind: Kind, mode: bindings::task_work_notify_mode) -> Result {
    let item = KBox::new(
        Item {
            head: bindings::callback_head {
                next: core::ptr::null_mut(),
                func: Some(run),
            },
            ut: ut.clone(),
            kind,
        },
        gfp_for_context(),
    )?;
    let raw = KBox::into_raw(item);
    PENDING.fetch_add(1, Full);
    // SAFETY: `raw` is a valid callback_head whose `func` is set; the task is kept alive by
    // the reference `ut` holds; `task_work_add` is callable in any context.
    let ret = unsafe { bindings::task_work_add(ut.task_ptr(), &raw mut (*raw).head, mode) };
    if ret != 0 {
        // SAFETY: the work was not queued, so we still own the item.
        drop(unsafe { KBox::from_raw(raw) });
        PENDING.fetch_sub(1, Full);
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// A task_work item embedded in the per-task state, for the paths that must not (the step
/// trap, interrupts off) or should not (every syscall-entry stop) allocate: queued at most
/// once at a time. While queued it holds one reference on the `UtraceTask`, taken back by
/// [`EmbeddedWork::take`] in the callback.
pub(crate) struct EmbeddedWork {
    head: Opaque<bindings::callback_head>,
    queued: Atomic<bool>,
}

// SAFETY: `head` is only touched by the thread that wins `queued` (to queue it) and by
// task_work (to run it); `queued` is atomic.
unsafe impl Send for EmbeddedWork {}
// SAFETY: see `Send`.
unsafe impl Sync for EmbeddedWork {}

impl EmbeddedWork {
    pub(crate) fn new() -> Self {
        EmbeddedWork {
            head: Opaque::uninit(),
            queued: Atomic::new(false),
        }
    }

    /// Queues `func` on `ut`'s task. `Ok(false)` if it already is queued (nothing done);
    /// `Err` if the task is past `exit_task_work()`. Callable in any context.
    ///
    /// `self` must be a field of `*ut`, and `func` must call [`EmbeddedWork::take`] with that
    /// field's offset.
    pub(crate) fn queue(
        &self,
        ut: &Arc<UtraceTask>,
        func: unsafe extern "C" fn(*mut bindings::callback_head),
        mode: bindings::task_work_notify_mode,
    ) -> Result<bool> {
        if self.queued.xchg(true, Full) {
            return Ok(false);
        }
        let head = self.head.get();
        // SAFETY: `queued` was clear, so the head is on no task_work list: it is ours.
        unsafe {
            (*head).next = core::ptr::null_mut();
            (*head).func = Some(func);
        }
        let raw = Arc::into_raw(ut.clone());
        PENDING.fetch_add(1, Full);
        // SAFETY: `head` is a valid callback_head with `func` set, inside the `UtraceTask`
        // whose reference `raw` keeps alive until `func` takes it back; the task is kept
        // alive by that state.
        let ret = unsafe { bindings::task_work_add(ut.task_ptr(), head, mode) };
        if ret != 0 {
            // SAFETY: not queued: the reference is still ours.
            drop(unsafe { Arc::from_raw(raw) });
            PENDING.fetch_sub(1, Full);
            self.queued.store(false, Release);
            return Err(Error::from_errno(ret));
        }
        Ok(true)
    }

    /// In the callback: the `UtraceTask` (with the reference `queue` took), the work free
    /// to be queued again. The caller decrements [`PENDING`] when it is done.
    ///
    /// # Safety
    ///
    /// `head` is the one `task_work_run()` passed to the callback [`EmbeddedWork::queue`]
    /// queued; `offset` is the offset of its `head` in `UtraceTask`.
    pub(crate) unsafe fn take(
        head: *mut bindings::callback_head,
        offset: usize,
    ) -> Arc<UtraceTask> {
        // SAFETY: per the function's safety requirements, `head` is inside a `UtraceTask` in
        // an `Arc` whose reference `queue` leaked.
        let ut = unsafe { Arc::from_raw(head.byte_sub(offset).cast::<UtraceTask>()) };
        let off_head = core::mem::offset_of!(EmbeddedWork, head);
        // SAFETY: `head` is the `head` field of an `EmbeddedWork` inside `ut`.
        let this = unsafe { &*head.byte_sub(off_head).cast::<EmbeddedWork>() };
        this.queued.store(false, Release);
        ut
    }

    /// Whether it is queued (and not yet taken by its callback).
    pub(crate) fn is_queued(&self) -> bool {
        self.queued.load(Acquire)
    }

    /// The offset of `head` within an `EmbeddedWork`, for [`EmbeddedWork::take`] callers.
    pub(crate) const fn head_offset() -> usize {
        core::mem::offset_of!(EmbeddedWork, head)
    }
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
        if queue(ut, Kind::Report, mode(interrupt)).is_err() {
            // The task is past exit_task_work(), or out of memory: no report is coming.
            ut.report_queued.store(0, Release);
        }
    } else if interrupt && prev & REPORT_KICKED == 0 {
        // On failure the task is exiting (no report needed) or out of memory (the report
        // still comes when the syscall returns).
        let _ = queue(ut, Kind::Kick, bindings::task_work_notify_mode_TWA_SIGNAL);
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
    queue(ut, Kind::Stop, mode(signal))
}

/// Queues an allocated entry item (`entrystop.rs`) when the per-task one is still queued.
pub(crate) fn queue_entry(ut: &Arc<UtraceTask>, p: entrystop::Pending) -> Result {
    queue(
        ut,
        Kind::EntryStop(p),
        bindings::task_work_notify_mode_TWA_SIGNAL,
    )
}

/// The end of an embedded item's callback (the allocated ones are counted by [`run`]).
pub(crate) fn item_done() {
    PENDING.fetch_sub(1, Full);
}

/// Makes `ut`'s thread register the probes its engines' events need before it next returns
/// to user mode (`TWA_RESUME`): `utrace_set_events()` could not register them where it was
/// called (`hooks::add_needs`). If the thread is past `exit_task_work()` it
/// needs none; without memory the workqueue still registers them, a little later.
pub(crate) fn queue_sync_probes(ut: &Arc<UtraceTask>) {
    let _ = queue(
        ut,
        Kind::SyncProbes,
        bindings::task_work_notify_mode_TWA_RESUME,
    );
}

/// Queues the exit item (the exit stop if one was asked, then the death report); it runs in
/// `exit_task_work()`, before `exit_notify()`. Fails only without memory, or once the task is
/// past `exit_task_work()`.
pub(crate) fn queue_exit(ut: &Arc<UtraceTask>) -> Result {
    queue(ut, Kind::Exit, bindings::task_work_notify_mode_TWA_NONE)
}

/// The task_work callback.
///
/// # Safety
///
/// Called by `task_work_run()` with the `head` of an [`Item`] queued by [`queue`].
unsafe extern "C" fn run(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `KBox<Item>` leaked by `queue`; task_work runs
    // each item once, so we own it now.
    let item = unsafe { KBox::from_raw(head.cast::<Item>()) };
    match item.kind {
        // Run by exit_task_work() after the death report (task_work is LIFO): no quiesce
        // report and no stop after death.
        Kind::Report if item.ut.is_dead() => item.ut.report_queued.store(0, Release),
        Kind::Report => {
            item.ut.report_queued.store(0, Release);
            // Event 0: only report_quiesce(0), to the engines with QUIESCE set.
            let out = report::report(&item.ut, 0, Order::Attach, true, |_, _| None);
            report::finish(&item.ut, out.action, Site::SafePoint);
        }
        Kind::Stop => {
            stop::park(&item.ut);
            crate::step::resume(&item.ut);
        }
        Kind::Kick => {}
        Kind::SyncProbes => crate::hooks::sync_now(),
        Kind::EntryStop(p) => entrystop::run(&item.ut, p),
        Kind::Exit => {
            // `stop` and `group_dead` were recorded by the exit probe, which ran before
            // exit_task_work() even when a late DEATH queued this item before it.
            let (stop, group_dead) = {
                let g = item.ut.lock();
                (g.exit.stop, g.exit.group_dead)
            };
            if stop {
                // The exit stop: no more user code, the mm is gone, registers remain.
                stop::park(&item.ut);
            }
            if item.ut.begin_death() {
                // Unknown if the exit probe was not registered when this thread passed it
                // (DEATH set late): then "no thread of the group is left alive", which a
                // thread exiting after this one can make true for it too.
                // SAFETY: current, in exit_task_work(): its signal struct is still there.
                let group_dead =
                    group_dead.unwrap_or_else(|| unsafe { glue::utrace_glue_group_dead() });
                // SAFETY: current is in do_exit(), where exit_signal is stable.
                let signal = unsafe { (*Task::current_raw()).exit_signal };
                // Only DETACH in report_death's answer matters (folded by `report`).
                let out =
                    report::report(&item.ut, abi::EVENT_DEATH, Order::Attach, true, |e, _| {
                        e.report_death(group_dead, signal)
                    });
                report::finish(&item.ut, out.action, Site::NoStop);
            }
        }
    }
    drop(item);
    PENDING.fetch_sub(1, Full);
}

/// A task_work callback as a queued item holds it.
pub(crate) type WorkFn = unsafe extern "C" fn(*mut bindings::callback_head);

/// Whether the `func` of a queued item is `f`. Both are this crate's own pointer to the
/// same function (the item was queued with `Some(f)`), and no two of utrace's task_work
/// callbacks have the same code, so the address identifies the callback.
pub(crate) fn is_fn(func: Option<WorkFn>, f: WorkFn) -> bool {
    func.is_some_and(|g| core::ptr::fn_addr_eq(g, f))
}

/// Unload, after probes are gone and every engine is detached: whether the queued item
/// `head` is utrace's and may be dropped instead of run. Called by the glue under the task's
/// `pi_lock` (no sleeping; the item can be neither run nor freed meanwhile).
///
/// Dropped: a report, a stop, a kick, the exit item (no engine is left to report to or to
/// stop for), the step work and unload's step kicks (`step.rs`). Never dropped: a
/// syscall-entry stop, which puts the skipped syscall back (`orig_ax` is -1 and `ax`
/// -ERESTARTNOINTR until it runs: dropped, the syscall would not run and user space would
/// see -ENOSYS). It needs no dropping either: it is queued (`TWA_SIGNAL`) by the thread
/// itself at `sys_enter` of a skipped syscall, and runs before the thread can stop or sleep:
/// the exit-to-user loop calls `get_signal()`, which runs task_work before it dequeues a
/// stop signal, and a ptrace syscall-exit stop (`ptrace_notify()`) runs task_work first too.
///
/// # Safety
///
/// `head` is an item on some task's task_work list, read under that task's `pi_lock`.
unsafe extern "C" fn cancellable(head: *mut bindings::callback_head) -> bool {
    // SAFETY: per the function's safety requirements, `head` is a valid queued item.
    let func = unsafe { (*head).func };
    if is_fn(func, run) {
        // SAFETY: an item with our `run` is the head of an `Item` (`queue`), still queued.
        let kind = unsafe { (*head.cast::<Item>()).kind };
        return !matches!(kind, Kind::EntryStop(_));
    }
    crate::step::work_cancellable(func)
}

/// Frees an item [`cancellable`] took out of a queue: it is ours, and will never run.
///
/// # Safety
///
/// `head` was queued by this module and unlinked from its task's list under `pi_lock`.
unsafe fn drop_cancelled(head: *mut bindings::callback_head) {
    // SAFETY: per the function's safety requirements.
    let func = unsafe { (*head).func };
    if is_fn(func, run) {
        // SAFETY: the head of a `KBox<Item>` leaked by `queue`; it will not run, so we own it.
        let item = unsafe { KBox::from_raw(head.cast::<Item>()) };
        if item.kind == Kind::Report {
            item.ut.report_queued.store(0, Release);
        }
        drop(item);
    } else {
        // SAFETY: per the function's safety requirements, one of step.rs's items.
        unsafe { crate::step::drop_cancelled(head) };
    }
    PENDING.fetch_sub(1, Full);
}

/// Unload: takes every droppable item of utrace out of every thread's task_work queue and
/// frees it ([`cancellable`]). Returns how many were dropped. Process context.
pub(crate) fn cancel_stranded() -> usize {
    // SAFETY: `cancellable` has the callback's prototype and does not sleep.
    let mut head = unsafe { glue::utrace_glue_task_work_cancel_all(Some(cancellable)) };
    let mut n = 0;
    while !head.is_null() {
        // SAFETY: the glue linked the taken items through `next`; each is ours now.
        let next = unsafe { (*head).next };
        // SAFETY: taken out of its queue by the glue, after `cancellable` accepted it.
        unsafe { drop_cancelled(head) };
        head = next;
        n += 1;
    }
    n
}
