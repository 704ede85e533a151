// SPDX-License-Identifier: GPL-2.0

//! Per-task utrace state ([`UtraceTask`]) and the table that finds it.
//!
//! A task gets a `UtraceTask` when the first engine attaches to it, and loses it when the
//! task is reaped or its last engine is detached. The table (an rhashtable in the C glue,
//! keyed by task_struct pointer) owns one `Arc` reference; lookups on the hot paths are
//! lock-free under RCU and take their own reference only when they find an entry.
//!
//! The engine list is copy-on-write: `list` is an immutable `Arc<EngineList>` replaced as a
//! whole under the lock and published for lock-free readers under RCU (a replaced list's
//! reference is dropped a grace period later). A reporting thread takes a snapshot (one
//! reference) at the start of an event and calls the engines in it without any lock; an
//! engine attached meanwhile is in the next list only, so it gets nothing for the event in
//! progress, as the original utrace promises. The snapshot also keeps the `UtraceTask`
//! alive: every engine holds a reference on it.
//!
//! Before any of that, the hot paths ask a lock-free filter ([`maybe_traced`]) whether the
//! task may have state at all, so that tasks nobody traces pay one load per event.
//!
//! Locking: `inner` is an irq-safe spinlock (it is taken from `signal_deliver`, under
//! siglock with interrupts off, and from `sched_process_free`, in softirq). Lock order:
//! siglock, then `inner`. Nothing calls out of utrace with `inner` held.
//!
//! Lifetimes: a `UtraceTask` holds a reference on its `task_struct` (so the pointer stays
//! valid as long as anyone can reach it), every engine list holds references on its engines,
//! and queued task_work holds a reference on the `UtraceTask`.

use crate::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use core::ffi::c_void;
use core::ptr;
use kernel::alloc::Flags;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::barrier::smp_mb;
use kernel::sync::{Arc, ArcBorrow, SpinLockIrq};
use kernel::task::Task;
use kernel::types::Opaque;
use kernel::{new_spinlock_irq, sync::rcu};

use crate::engine::Engine;
use crate::glue;
use crate::taskwork::EmbeddedWork;

/// An immutable list of engines, in attach order.
pub(crate) struct EngineList {
    pub(crate) engines: KVec<Arc<Engine>>,
    /// For dropping a replaced list's reference after a grace period ([`retire`]).
    rcu: Opaque<bindings::callback_head>,
}

impl EngineList {
    fn new(engines: KVec<Arc<Engine>>, gfp: Flags) -> Result<Arc<Self>> {
        Ok(Arc::new(
            EngineList {
                engines,
                rcu: Opaque::uninit(),
            },
            gfp,
        )?)
    }

    /// The task state the engines belong to (all of them: a list is per task).
    pub(crate) fn utrace(&self) -> Option<&Arc<UtraceTask>> {
        self.engines.first().map(|e| e.utrace())
    }
}

// SAFETY: `rcu` is only touched by `retire`, once, when no reader can use the list any more;
// the rest is immutable and made of `Send + Sync` parts.
unsafe impl Send for EngineList {}
// SAFETY: see `Send`.
unsafe impl Sync for EngineList {}

/// Drops the list reference `p` (an `Arc::into_raw` pointer) after an RCU grace period, when
/// no reader that loaded it before it was replaced can still be cloning it.
fn retire(p: *const EngineList) {
    // SAFETY: `p` is a live list whose `rcu` head is unused (each list is retired once);
    // `retire_rcu` has the `rcu_callback_t` prototype; the module's unload waits for
    // pending RCU callbacks (`rcu_barrier`) before its code goes away.
    unsafe { bindings::call_rcu(Opaque::cast_into(&raw const (*p).rcu), Some(retire_rcu)) };
}

/// # Safety
///
/// Called by RCU with the `rcu` head of a list passed to [`retire`].
unsafe extern "C" fn retire_rcu(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the `rcu` field of an `EngineList` in an `Arc`; `retire` handed us
    // that reference.
    let p = unsafe { head.byte_sub(core::mem::offset_of!(EngineList, rcu)) };
    // SAFETY: as above.
    drop(unsafe { Arc::from_raw(p.cast::<EngineList>()) });
}

/// What the `inner` lock protects besides serialising the writers of a `UtraceTask` (list
/// replacement, event masks): the stop state.
pub(crate) struct Inner {
    pub(crate) stop: crate::stopstate::StopState,
    pub(crate) exit: ExitState,
    /// The signal held by a stop at a signal report (`sigstate.rs`).
    pub(crate) held: crate::sigstate::Held,
}

/// Where the task is in `do_exit()`, as far as utrace's exit item is concerned (under
/// `inner`): the item (`work.rs`, `run_exit`) runs in `exit_task_work()`, makes the exit
/// stop if one was asked for, then the death report.
#[derive(Default)]
pub(crate) struct ExitState {
    /// `sched_process_exit` has run: the task runs no more user code.
    exiting: bool,
    /// `group_dead` of `sched_process_exit`, for the death report (unknown if the probe was
    /// not registered when the task passed it).
    pub(crate) group_dead: Option<bool>,
    /// `report_exit` answered `UTRACE_STOP`: the exit item stops before the death report.
    pub(crate) stop: bool,
    /// The exit item is queued (or running, or has run).
    queued: bool,
}

/// The lock-free "may this task have utrace state?" filter: a hashed array of counts of
/// live `UtraceTask`s. A zero means certainly not; a collision only costs a table lookup.
const FILTER_SLOTS: usize = 1024;
static FILTER: [Atomic<u32>; FILTER_SLOTS] = [const { Atomic::new(0) }; FILTER_SLOTS];

fn filter_slot(task: *const bindings::task_struct) -> &'static Atomic<u32> {
    let p = task as usize;
    &FILTER[((p >> 6) ^ (p >> 16)) % FILTER_SLOTS]
}

/// Whether `task` may have utrace state (false: certainly not).
pub(crate) fn maybe_traced(task: *const bindings::task_struct) -> bool {
    filter_slot(task).load(Relaxed) != 0
}

/// The same filter by thread group, keyed by `task->signal` (constant for a task's life):
/// counts of live `UtraceTask`s of the groups that hash there. The `signal_generate` probe
/// skips the walk of a group-wide signal's thread group when it reads 0.
static GROUP_FILTER: [Atomic<u32>; FILTER_SLOTS] = [const { Atomic::new(0) }; FILTER_SLOTS];

fn group_filter_slot(group: usize) -> &'static Atomic<u32> {
    &GROUP_FILTER[((group >> 6) ^ (group >> 16)) % FILTER_SLOTS]
}

/// Whether a thread of `task`'s thread group may have utrace state (false: certainly not).
pub(crate) fn maybe_traced_group(task: *mut bindings::task_struct) -> bool {
    group_filter_slot(glue::task_group(task)).load(Relaxed) != 0
}

/// Per-task states alive (memory not yet freed), for debugfs and leak tests.
static LIVE: Atomic<usize> = Atomic::new(0);

pub(crate) fn live_count() -> usize {
    LIVE.load(Relaxed)
}

/// The utrace state of one task.
#[pin_data(PinnedDrop)]
pub(crate) struct UtraceTask {
    task: ARef<Task>,
    #[pin]
    inner: SpinLockIrq<Inner>,
    /// The engine list (an `Arc<EngineList>` raw pointer), null once the state is removed
    /// from the table (reap, last detach, unload): attaching must then create a new
    /// `UtraceTask`. Replaced under `inner`; read under RCU ([`UtraceTask::snapshot`]).
    list: Atomic<*mut EngineList>,
    /// Union of the attached engines' event masks: the filter on every hot path.
    events: Atomic<usize>,
    /// The engine whose callback the task is running now, or null.
    reporting: Atomic<*mut Engine>,
    /// Death has begun: the death report is being made or was made, or (no engine wanting
    /// DEATH at exit) will not be made. No stop after this.
    dead: Atomic<bool>,
    /// A REPORT/INTERRUPT quiesce report is queued, and whether the thread was kicked
    /// out of an interruptible sleep for it (`work::REPORT_*` bits; an `i8`: a bit set).
    pub(crate) report_queued: Atomic<i8>,
    /// `utrace_wake_up()` deferred something (the list is under `inner`); only the thread
    /// itself sets it, so the end of a pass can skip the lock when it is clear.
    pub(crate) wake_deferred: Atomic<bool>,
    /// Single- and block-stepping (`step.rs`).
    pub(crate) step: crate::stepstate::StepState,
    /// The step task_work (`step.rs`): embedded, so the trap path cannot fail to allocate.
    /// Queued only by the thread itself (`work::queue_arm_remote` says why).
    pub(crate) step_work: EmbeddedWork<UtraceTask>,
    /// The arm item of a step `utrace_control()` asked from another thread
    /// (`work::queue_arm_remote`): queued only by other threads.
    pub(crate) remote_arm_work: EmbeddedWork<UtraceTask>,
    /// The thread is inside one of utrace's probes on a non-faultable tracepoint, whose
    /// callbacks run in the tracepoint's SRCU read section (`hooks.rs`: no probe may be
    /// registered there). Only the thread itself reads or writes it.
    in_tracepoint: Atomic<u32>,
    /// During the reap pass (`sched_process_free`, softirq): the task that was current when
    /// it began, so that `utrace_barrier` called from a `report_reap` callback (a handle
    /// dropped there) does not wait for that very callback.
    reaper: Atomic<*mut bindings::task_struct>,
    /// The syscall-entry stop: where the thread is in it, and its task_work item
    /// (`entrystop.rs`). Only the thread itself touches it.
    pub(crate) entry: crate::entrystate::EntryStop,
    /// The syscall-entry stop's item (`entrystop.rs`): queued at `sys_enter`, so that no
    /// entry stop allocates.
    pub(crate) entry_work: EmbeddedWork<UtraceTask>,
    /// The syscall_work bits masked around a syscall-entry stop's restart (`entrymask.rs`).
    pub(crate) entry_mask: crate::maskstate::EntryMask,
    /// Signal interception (`signal.rs`): the item queued by the `signal_generate` probe,
    /// embedded (the probe runs with interrupts off, maybe in hardirq), and the signals the
    /// engines approved (only the thread itself touches them).
    pub(crate) signal_work: EmbeddedWork<UtraceTask>,
    /// The interception item `utrace_set_events()` queues from another thread
    /// (`work::queue_signal_remote`).
    pub(crate) remote_signal_work: EmbeddedWork<UtraceTask>,
    pub(crate) approved: crate::sigstate::Approved,
    /// The signal numbers queued for the thread since its item's last peek (`sigstate.rs`).
    pub(crate) fresh: crate::sigstate::Fresh,
    /// Job control (`jctl.rs`): what the thread has reported or must report, and the item
    /// that reports a continue (or a stop reported late), queued by a probe: embedded.
    pub(crate) jctl: crate::jctl::JctlState,
    pub(crate) jctl_work: EmbeddedWork<UtraceTask>,
    /// Breakpoints and watchpoints (`trap.rs`): the item the int3 notifier and the
    /// watchpoint handler queue (embedded: both run with interrupts off), and what it is
    /// to report.
    pub(crate) trap_work: EmbeddedWork<UtraceTask>,
    pub(crate) trap: crate::trap::TrapState,
    /// `task->signal`, as an address: the thread group's key in [`maybe_traced_group`].
    group: usize,
}

// SAFETY: `step_work`, `remote_arm_work`, `entry_work`, `signal_work`, `remote_signal_work`,
// `jctl_work` and `trap_work` are plain
// fields of a `UtraceTask`, which lives in an `Arc` from its creation (`UtraceTask::new`) and
// is never mutably borrowed: no code can move or overwrite them.
unsafe impl crate::taskwork::WorkOwner for UtraceTask {}

/// A callback of `engine` that this thread may make now: `reporting` names the engine, and
/// it was seen attached with its module live after that was published, so its module, its
/// `ops` and its `data` stay alive until the drop (a detacher and the module's GOING notifier
/// wait while `reporting` names it). Made only by [`UtraceTask::start_callback`]; the engine's
/// callbacks are its methods (`engine.rs`). Dropping it ends the callback.
/// It stays on the reporting thread (`!Send`, `!Sync`): `reporting` and the wake-ups a
/// callback defers are that thread's.
pub(crate) struct InCallback<'a> {
    ut: &'a UtraceTask,
    engine: &'a Engine,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl InCallback<'_> {
    /// The engine being called.
    pub(crate) fn engine(&self) -> &Engine {
        self.engine
    }
}

impl Drop for InCallback<'_> {
    fn drop(&mut self) {
        self.ut.finish_callback(self.engine);
    }
}

/// See [`UtraceTask::enter_tracepoint`].
pub(crate) struct InTracepoint<'a>(&'a UtraceTask);

impl Drop for InTracepoint<'_> {
    fn drop(&mut self) {
        self.0.in_tracepoint.fetch_sub(1, Relaxed);
    }
}

/// Calls `f` on every per-task state in the table, in the walk's RCU read section: `f` must
/// not sleep. It gets a borrow it cannot keep (turn it into an `Arc` to keep the state).
pub(crate) fn for_each_state<F: FnMut(ArcBorrow<'_, UtraceTask>)>(mut f: F) {
    /// # Safety
    ///
    /// `p` is a table entry (an `Arc<UtraceTask>` the table holds a reference on during the
    /// walk); `arg` is the `F` passed below, alive and not otherwise used during the walk.
    unsafe extern "C" fn visit<F: FnMut(ArcBorrow<'_, UtraceTask>)>(
        p: *mut c_void,
        arg: *mut c_void,
    ) {
        // SAFETY: per the function's safety requirements.
        let ut = unsafe { ArcBorrow::<UtraceTask>::from_raw(p.cast()) };
        // SAFETY: per the function's safety requirements.
        let f = unsafe { &mut *arg.cast::<F>() };
        f(ut);
    }
    // SAFETY: `visit::<F>` has the walk callback's prototype and does not sleep unless `f`
    // does (which the caller rules out); `f` outlives the walk.
    unsafe { glue::utrace_glue_table_walk(Some(visit::<F>), (&raw mut f).cast::<c_void>()) };
}

/// Whether the current context may register a probe now (`hooks.rs`, file doc): it can
/// sleep, and it is not inside one of utrace's probes on a non-faultable tracepoint (whose
/// SRCU read section a registration may wait for). For `hooks::add_needs`.
pub(crate) fn may_register_probes() -> bool {
    glue::can_sleep()
        && !UtraceTask::lookup(Task::current_raw()).is_some_and(|ut| ut.in_tracepoint())
}

#[pinned_drop]
impl PinnedDrop for UtraceTask {
    fn drop(self: Pin<&mut Self>) {
        // Only an empty list can be left (engines hold references on us); nobody can read
        // it any more, so drop it now.
        let p = self.list.xchg(ptr::null_mut(), Full);
        if !p.is_null() {
            // SAFETY: the pointer holds an `Arc<EngineList>` reference, ours to drop.
            drop(unsafe { Arc::from_raw(p) });
        }
        filter_slot(self.task.as_ptr()).fetch_sub(1, Relaxed);
        group_filter_slot(self.group).fetch_sub(1, Relaxed);
        LIVE.fetch_sub(1, Relaxed);
    }
}

impl UtraceTask {
    fn new(task: &Task, gfp: Flags) -> Result<Arc<Self>> {
        let empty = EngineList::new(KVec::new(), gfp)?;
        let group = glue::task_group(task.as_ptr());
        let ut = Arc::pin_init(
            pin_init!(UtraceTask {
                task: ARef::from(task),
                inner <- new_spinlock_irq!(Inner {
                    stop: crate::stopstate::StopState::new(),
                    exit: ExitState::default(),
                    held: crate::sigstate::Held::new(),
                }),
                list: Atomic::new(Arc::into_raw(empty).cast_mut()),
                events: Atomic::new(0),
                reporting: Atomic::new(ptr::null_mut()),
                dead: Atomic::new(false),
                report_queued: Atomic::new(0),
                wake_deferred: Atomic::new(false),
                step: crate::stepstate::StepState::new(),
                step_work: EmbeddedWork::new(),
                remote_arm_work: EmbeddedWork::new(),
                in_tracepoint: Atomic::new(0),
                reaper: Atomic::new(ptr::null_mut()),
                entry: crate::entrystate::EntryStop::new(),
                entry_work: EmbeddedWork::new(),
                entry_mask: crate::maskstate::EntryMask::new(task),
                signal_work: EmbeddedWork::new(),
                remote_signal_work: EmbeddedWork::new(),
                approved: crate::sigstate::Approved::new(),
                fresh: crate::sigstate::Fresh::new(),
                jctl: crate::jctl::JctlState::new(),
                jctl_work: EmbeddedWork::new(),
                trap_work: EmbeddedWork::new(),
                trap: crate::trap::TrapState::new(),
                group,
            }),
            gfp,
        )?;
        filter_slot(task.as_ptr()).fetch_add(1, Relaxed);
        group_filter_slot(group).fetch_add(1, Relaxed);
        LIVE.fetch_add(1, Relaxed);
        Ok(ut)
    }

    /// The engines of `task` if it has utrace state and an engine wants one of `events`:
    /// the hot-path entry (lock-free; one reference taken when there is something to do).
    pub(crate) fn engines_wanting(
        task: *const bindings::task_struct,
        events: usize,
    ) -> Option<Arc<EngineList>> {
        if !maybe_traced(task) {
            return None;
        }
        let _guard = rcu::read_lock();
        // SAFETY: called under `rcu_read_lock()`, as the glue requires.
        let p = unsafe { glue::utrace_glue_table_lookup(task) }.cast::<UtraceTask>();
        if p.is_null() {
            return None;
        }
        // SAFETY: the table's reference on `*p` is dropped only a grace period after its
        // removal, which cannot end before `_guard` is dropped.
        let ut = unsafe { &*p };
        if ut.events() & events == 0 {
            return None;
        }
        ut.snapshot_locked_rcu()
    }

    /// The task's state, if it has any.
    pub(crate) fn lookup(task: *const bindings::task_struct) -> Option<Arc<Self>> {
        if !maybe_traced(task) {
            return None;
        }
        let _guard = rcu::read_lock();
        // SAFETY: called under `rcu_read_lock()`, as the glue requires.
        let p = unsafe { glue::utrace_glue_table_lookup(task) };
        if p.is_null() {
            return None;
        }
        // SAFETY: the table holds an `Arc<UtraceTask>` reference for `p`, dropped only after a
        // grace period that cannot end before `_guard` is dropped; cloning it here is sound.
        let borrowed = unsafe { kernel::sync::ArcBorrow::<UtraceTask>::from_raw(p.cast()) };
        Some(borrowed.into())
    }

    /// The task's state, created and entered in the table if it has none yet.
    ///
    /// Returns `ESRCH` if the task has already been released (its pid is detached): a state
    /// created then would never see `sched_process_free` and never be freed.
    pub(crate) fn lookup_or_create(task: &Task, gfp: Flags) -> Result<Arc<Self>> {
        if let Some(ut) = Self::lookup(task.as_ptr()) {
            return Ok(ut);
        }
        let new = Self::new(task, gfp)?;
        let raw = Arc::into_raw(new.clone()).cast_mut().cast::<c_void>();
        // SAFETY: `raw` is a reference we own; the glue keeps it on success (returns `raw`).
        let got = unsafe { glue::utrace_glue_table_insert(task.as_ptr(), raw, glue::can_sleep()) };
        if got != raw {
            // SAFETY: the table did not take `raw`; give the reference back.
            drop(unsafe { Arc::from_raw(raw.cast::<UtraceTask>()) });
            if let Some(err) = glue::err_ptr(got) {
                return Err(err);
            }
            // SAFETY: another thread inserted `got` first; the glue took a reference for us
            // (`utrace_rust_table_get`) while it was valid under RCU.
            return Ok(unsafe { Arc::from_raw(got.cast::<UtraceTask>()) });
        }
        // Order the insertion before the check: either `sched_process_free` (which runs a
        // grace period after `release_task` detached the pid) finds our entry, or we see
        // the pid detached here and take the entry back out ourselves. The probe is
        // registered from load to unload (`Hooks::start`): taken with the first engine's
        // need, after this check, a reap in between went unseen and the state leaked. This
        // smp_mb() pairs with the RCU grace period between the pid's detach and the probe.
        smp_mb(Full);
        // SAFETY: `task` is valid (the caller's reference); `pid_alive` only reads it.
        if !unsafe { glue::utrace_glue_pid_alive(task.as_ptr()) } {
            new.remove_from_table();
            return Err(ESRCH);
        }
        Ok(new)
    }

    /// Marks the thread (current) as inside a probe on a non-faultable tracepoint until the
    /// guard is dropped (see `in_tracepoint`).
    pub(crate) fn enter_tracepoint(&self) -> InTracepoint<'_> {
        self.in_tracepoint.fetch_add(1, Relaxed);
        InTracepoint(self)
    }

    /// Marks the reap pass as made by current (`None`: over). See `reaper`.
    pub(crate) fn set_reaper(&self, reaping: bool) {
        let p = if reaping {
            Task::current_raw()
        } else {
            ptr::null_mut()
        };
        self.reaper.store(p, Release);
    }

    /// Whether current is making the reap pass (so is inside a `report_reap` callback if
    /// one is in progress).
    pub(crate) fn reaped_by_current(&self) -> bool {
        ptr::eq(self.reaper.load(Acquire), Task::current_raw())
    }

    /// Whether the thread (current) is inside such a probe.
    pub(crate) fn in_tracepoint(&self) -> bool {
        self.in_tracepoint.load(Relaxed) != 0
    }

    pub(crate) fn task_ptr(&self) -> *mut bindings::task_struct {
        self.task.as_ptr()
    }

    /// The task this state belongs to.
    pub(crate) fn task(&self) -> &Task {
        &self.task
    }

    /// Takes the lock (the stop state lives under it, see `stop.rs`).
    pub(crate) fn lock(
        &self,
    ) -> kernel::sync::lock::Guard<'_, Inner, kernel::sync::lock::spinlock::SpinLockIrqBackend>
    {
        self.inner.lock()
    }

    /// Whether the state has left the table (reap, last detach, unload).
    pub(crate) fn is_removed(&self) -> bool {
        self.list.load(Acquire).is_null()
    }

    /// Whether the state is still in the table with no attached engine (it stayed for a
    /// step in flight, `step.rs`).
    pub(crate) fn has_no_attached_engine(&self) -> bool {
        self.snapshot()
            .is_some_and(|list| list.engines.iter().all(|e| !e.is_attached()))
    }

    /// Whether an attached engine wants the thread stopped.
    pub(crate) fn any_engine_wants_stop(&self) -> bool {
        self.snapshot().is_some_and(|list| {
            list.engines
                .iter()
                .any(|e| e.is_attached() && e.wants_stop())
        })
    }

    /// The union of the attached engines' events.
    pub(crate) fn events(&self) -> usize {
        self.events.load(Acquire)
    }

    /// The engines to report an event to (`None` once removed from the table).
    pub(crate) fn snapshot(&self) -> Option<Arc<EngineList>> {
        let _guard = rcu::read_lock();
        self.snapshot_locked_rcu()
    }

    /// [`snapshot`](Self::snapshot), for a caller already under `rcu_read_lock()`.
    fn snapshot_locked_rcu(&self) -> Option<Arc<EngineList>> {
        let p = self.list.load(Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` carries a reference that is dropped (by `retire`) only a grace period
        // after it was replaced, so it is alive while the caller's RCU section lasts.
        let borrowed = unsafe { kernel::sync::ArcBorrow::<EngineList>::from_raw(p) };
        Some(borrowed.into())
    }

    /// Replaces the list (under `inner`): `new` is published, the old one retired.
    fn publish(
        &self,
        _inner: &kernel::sync::lock::Guard<
            '_,
            Inner,
            kernel::sync::lock::spinlock::SpinLockIrqBackend,
        >,
        new: Option<Arc<EngineList>>,
    ) {
        let new = new.map_or(ptr::null_mut(), |l| Arc::into_raw(l).cast_mut());
        let old = self.list.xchg(new, Full);
        if !old.is_null() {
            retire(old);
        }
    }

    /// Whether `cur` is still the published list.
    fn is_current(&self, cur: &Arc<EngineList>) -> bool {
        ptr::eq(self.list.load(Acquire), Arc::as_ptr(cur))
    }

    /// At `sched_process_exit`: records the exit, and returns whether the exit item must be
    /// queued now: if the exit report asked for a stop or an engine wants DEATH. Otherwise an
    /// engine that sets DEATH later queues it then ([`set_engine_events`]).
    ///
    /// [`set_engine_events`]: Self::set_engine_events
    ///
    /// An item already queued (by an engine that set DEATH while the task was exiting, before
    /// it got here) is not queued again: it reads `stop` when it runs, after this.
    pub(crate) fn exit_item_needed(&self, stop: bool, group_dead: bool) -> bool {
        let mut inner = self.inner.lock();
        let x = &mut inner.exit;
        x.exiting = true;
        x.group_dead = Some(group_dead);
        x.stop = stop;
        if x.queued {
            return false;
        }
        x.queued = stop || self.events() & crate::abi::EVENT_DEATH != 0;
        x.queued
    }

    /// Whether the task is exiting: `sched_process_exit` was seen, or (the probe may not
    /// have been registered when it passed) `PF_EXITING` is set.
    ///
    /// Pairs with the exiting thread: it sets `PF_EXITING`, then passes a full barrier
    /// (`atomic_dec_and_test(&signal->live)` in do_exit()), then reads the tracepoint's
    /// probes; the caller registered the exit probe, then this smp_mb(), then reads the flag.
    /// Either the thread runs the probe, or this sees it exiting.
    fn exiting_locked(&self, x: &ExitState) -> bool {
        if x.exiting {
            return true;
        }
        // Pairs with the full barrier of `atomic_dec_and_test()` in do_exit() (see above).
        smp_mb(Full);
        // SAFETY: the task is alive (our reference); `flags` is a plain word the task sets
        // for itself (PF_EXITING, once, in exit_signals()).
        let flags = unsafe { core::ptr::read_volatile(&(*self.task_ptr()).flags) };
        flags & bindings::PF_EXITING != 0
    }

    /// Whether the task has gone past its death for utrace: the death report began, or the
    /// task is a zombie (past `exit_notify()`), so no report or stop can come any more.
    pub(crate) fn is_gone(&self) -> bool {
        // SAFETY: the task is alive (our reference); `exit_state` is a word set under
        // tasklist_lock in exit_notify(); a racy read only decides sooner or later.
        self.is_dead() || unsafe { core::ptr::read_volatile(&(*self.task_ptr()).exit_state) } != 0
    }

    /// In the exit item, after any exit stop: marks death as begun. Returns whether to make
    /// the death report (an engine wants DEATH now, and death had not begun). Under the lock,
    /// so DEATH set concurrently is either seen here or refused with `EALREADY`.
    pub(crate) fn begin_death(&self) -> bool {
        let _inner = self.inner.lock();
        !self.dead.xchg(true, Full) && self.events() & crate::abi::EVENT_DEATH != 0
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Acquire)
    }

    /// The attach lookup (`utrace_attach_task()` without CREATE): the first attached engine
    /// matching `flags`/`ops`/`data`, with a new API reference for the caller.
    ///
    /// Found and referenced under the lock: an engine is marked detached under this lock
    /// (`UtraceTask::mark_detached`) before its attached reference is dropped, so one seen
    /// attached here still holds that reference, its count is not zero and it has not been
    /// released. (Checked and counted without the lock, a detach plus the owner's last put
    /// could release it in between: the lookup then handed out a released engine whose
    /// later put called `release` a second time.)
    pub(crate) fn find_engine(
        &self,
        flags: c_int,
        ops: *const crate::abi::utrace_engine_ops,
        data: *mut c_void,
    ) -> Option<*mut crate::abi::utrace_engine> {
        let _inner = self.inner.lock();
        let list = self.snapshot()?;
        let e = list.engines.iter().find(|e| e.matches(flags, ops, data))?;
        crate::testing::delay(crate::testing::Window::Lookup);
        Engine::try_get(e.as_arc_borrow())
    }

    /// Adds `engine` at the end of the list, unless `refuse` (called under the lock with the
    /// current list) returns an error. Returns `EAGAIN` if the state was removed from the
    /// table meanwhile (the caller starts over with a new one).
    pub(crate) fn add_engine(
        &self,
        engine: &Arc<Engine>,
        gfp: Flags,
        refuse: impl Fn(&EngineList) -> Result,
    ) -> Result {
        loop {
            let cur = self.snapshot().ok_or(EAGAIN)?;
            refuse(&cur)?;
            let mut v = KVec::with_capacity(cur.engines.len() + 1, gfp)?;
            for e in cur.engines.iter().filter(|e| e.is_attached()) {
                v.push(e.clone(), gfp)?;
            }
            v.push(engine.clone(), gfp)?;
            let new = EngineList::new(v, gfp)?;
            let inner = self.inner.lock();
            if self.list.load(Acquire).is_null() {
                return Err(EAGAIN);
            }
            if self.is_current(&cur) {
                self.recompute_events(&new);
                self.publish(&inner, Some(new));
                return Ok(());
            }
            // The list changed while we allocated: check and build again.
        }
    }

    /// Sets `engine`'s events (under the lock, so the union stays exact). Returns the old
    /// mask, or `ESRCH` if the engine is detached, or `EALREADY` if DEATH or QUIESCE is newly
    /// set after death began (checked under the lock: see [`begin_death`](Self::begin_death)).
    ///
    /// DEATH newly set on a task past `sched_process_exit` whose exit item is not queued
    /// queues it (`queue_exit`, called under the lock: it must not sleep); if that fails
    /// (the task is past `exit_task_work()`), the death report can no longer come and the
    /// answer is `EALREADY`.
    pub(crate) fn set_engine_events(
        &self,
        engine: &Engine,
        events: usize,
        queue_exit: impl FnOnce() -> Result,
    ) -> Result<usize> {
        let mut inner = self.inner.lock();
        let Some(list) = self.snapshot().filter(|_| engine.is_attached()) else {
            return Err(ESRCH);
        };
        let old = engine.events();
        let new_bits = events & !old;
        if new_bits & (crate::abi::EVENT_DEATH | crate::abi::EVENT_QUIESCE) != 0 && self.is_dead() {
            return Err(EALREADY);
        }
        let x = &mut inner.exit;
        if new_bits & crate::abi::EVENT_DEATH != 0 && !x.queued && self.exiting_locked(x) {
            // Allocated with GFP_ATOMIC under the lock; task_work_add() is lock-free and
            // fails once the task is past exit_task_work(): too late for the report.
            queue_exit().map_err(|e| if e == ESRCH { EALREADY } else { e })?;
            x.queued = true;
        }
        engine.set_events_locked(events);
        self.recompute_events(&list);
        Ok(old)
    }

    fn recompute_events(&self, list: &EngineList) {
        let mut all = 0;
        for e in list.engines.iter().filter(|e| e.is_attached()) {
            all |= e.events();
        }
        self.events.store(all, Release);
    }

    /// Drops detached engines from the list; removes the state from the table when no
    /// engine is left. Safe in any context; an allocation failure leaves the detached
    /// engines in the list, where every pass skips them, until the next prune.
    pub(crate) fn prune(&self) {
        loop {
            let Some(cur) = self.snapshot() else { return };
            let keep = cur.engines.iter().filter(|e| e.is_attached()).count();
            if keep == cur.engines.len() && keep != 0 {
                self.recompute_events(&cur);
                return;
            }
            let gfp = glue::gfp_for_context();
            let Ok(mut v) = KVec::with_capacity(keep, gfp) else {
                return;
            };
            for e in cur.engines.iter().filter(|e| e.is_attached()) {
                if v.push(e.clone(), gfp).is_err() {
                    return;
                }
            }
            let Ok(new) = EngineList::new(v, gfp) else {
                return;
            };
            let inner = self.inner.lock();
            if self.list.load(Acquire).is_null() {
                return;
            }
            if !self.is_current(&cur) {
                continue;
            }
            self.recompute_events(&new);
            if new.engines.is_empty() && (self.step.active() || self.entry_mask.active()) {
                // utrace's trap flag may still be live in the thread's registers: its trap
                // must find this state. The thread removes it when the step ends (`step.rs`;
                // it changes the step state under this lock). The same for a syscall_work
                // mask, set back at the thread's next syscall (`entrymask.rs`).
                self.publish(&inner, Some(new));
            } else if new.engines.is_empty() && !self.is_dead() {
                self.publish(&inner, None);
                drop(inner);
                self.remove_from_table();
            } else {
                // Past its death an emptied state stays (until the reap's `detach_all`, or
                // unload): a fresh one would not know that death began, and an engine
                // attached to the thread still in report_death (its last engine detached
                // there) could stop it after its death report.
                self.publish(&inner, Some(new));
            }
            return;
        }
    }

    fn remove_from_table(&self) {
        let raw = core::ptr::from_ref(self).cast_mut().cast::<c_void>();
        // SAFETY: removing an entry is valid in any context; the glue drops the table's
        // reference after a grace period if this call removed it.
        unsafe { glue::utrace_glue_table_remove(self.task.as_ptr(), raw) };
    }

    /// Detach-all's first half (`detach::detach_all`): the list is unpublished and handed
    /// to the caller, who detaches every engine in it; `None` if the state was removed.
    pub(crate) fn unpublish(&self) -> Option<Arc<EngineList>> {
        let inner = self.inner.lock();
        let list = self.snapshot()?;
        self.publish(&inner, None);
        Some(list)
    }

    /// Detach-all's last half: no engine is left; the state leaves the table.
    pub(crate) fn remove_emptied(&self) {
        self.events.store(0, Release);
        self.remove_from_table();
    }

    /// Before calling `engine`: publish it as the one being reported to, then check that it
    /// is still attached (and its module not going). Pairs with the barrier in
    /// `Engine::mark_detached`. The callback is made through the returned [`InCallback`],
    /// whose drop ends it ([`finish_callback`](Self::finish_callback)); `None`: no callback.
    pub(crate) fn start_callback<'a>(&'a self, engine: &'a Engine) -> Option<InCallback<'a>> {
        self.start_callback_raw(engine).then_some(InCallback {
            ut: self,
            engine,
            _not_send: core::marker::PhantomData,
        })
    }

    fn start_callback_raw(&self, engine: &Engine) -> bool {
        self.reporting
            .store(core::ptr::from_ref(engine).cast_mut(), Relaxed);
        // Pairs with the smp_mb() in `Engine::mark_detached` (Dekker: store, then read).
        smp_mb(Full);
        if engine.is_attached() {
            // Not into a module whose exit has begun (it may have torn down what the
            // callback uses; its GOING notifier, which orphans the engine, comes only after
            // the exit). Read while `reporting` names the engine: the notifier waits for
            // that before the module is freed.
            if engine.module_live() {
                return true;
            }
            self.reporting.store(ptr::null_mut(), Release);
            // A barrier may sleep until `reporting` no longer names the engine.
            glue::barrier_wake();
            // The module's exit may have detached it meanwhile, seen `reporting` set and
            // left the attached reference to us, as below.
            if !engine.is_attached() {
                engine.drop_attach_ref();
            }
            return false;
        }
        // Detached meanwhile. A detacher that saw `reporting == engine` just now returned
        // -EINPROGRESS and left the attached reference to us: drop it on the way out. (No
        // callback ran, so none deferred a wake-up: `finish_callback`'s delivery is not
        // needed, and `reporting` is cleared at once.)
        self.reporting.store(ptr::null_mut(), Release);
        glue::barrier_wake();
        engine.drop_attach_ref();
        false
    }

    /// After calling `engine` (the drop of its [`InCallback`]). If it was detached meanwhile
    /// (by its own return value or by another thread that saw the callback in flight), its
    /// attached reference is dropped here, now that the callback is over.
    fn finish_callback(&self, engine: &Engine) {
        // Wake-ups the callback deferred after a detacher's `deliver_deferred_of` (it runs
        // when the engine is marked detached, maybe while the callback is still running) go
        // now, while `reporting` still names the engine: `utrace_barrier` cannot return, nor
        // a detacher see the callback over, before this. A detach marked after this check
        // delivers them itself (its `deliver_deferred_of` takes the lock after the deferral).
        if !engine.is_attached() {
            self.deliver_deferred_of(engine);
        }
        self.reporting.store(ptr::null_mut(), Release);
        // `utrace_barrier` sleeps until `reporting` no longer names its engine.
        glue::barrier_wake();
        // A detacher that saw this callback in flight left the attached reference to us.
        // `utrace_barrier` waits for the drop to complete (see `Engine::attach_ref`).
        if !engine.is_attached() {
            engine.drop_attach_ref();
        }
    }

    /// The engine whose callback the thread is running now (identity only), or null.
    pub(crate) fn reporting_engine(&self) -> *const Engine {
        self.reporting.load(Acquire)
    }

    /// Whether a callback of `engine` may be in progress.
    pub(crate) fn is_reporting(&self, engine: &Engine) -> bool {
        ptr::eq(self.reporting.load(Acquire), engine)
    }

    /// Marks `engine` detached. Returns whether this call did (false: it already was) and
    /// its events then. Under the lock, so that `set_engine_events` and the detacher agree
    /// on the mask whose probes are given back (`detach::mark_detached`).
    pub(crate) fn mark_detached(&self, engine: &Engine) -> (bool, usize) {
        let _inner = self.inner.lock();
        (engine.mark_detached(), engine.events())
    }

    /// `engine` was detached: deliver the wake-ups its callbacks deferred now, early rather
    /// than after its module may have freed the queues (a detached engine's module may go
    /// away as soon as `utrace_barrier` returns, which does not wait for this thread's stop).
    pub(crate) fn deliver_deferred_of(&self, engine: &Engine) {
        let d = self
            .lock()
            .stop
            .take_deferred_of(ptr::from_ref(engine).cast());
        d.deliver();
    }
}

/// Called by the glue, under RCU, for an entry it found: one more reference, for the caller
/// of `utrace_glue_table_insert`.
///
/// # Safety
///
/// `p` is an `Arc<UtraceTask>` raw pointer owned by the table, in an RCU read-side section.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_table_get(p: *mut c_void) {
    // SAFETY: per the function's safety requirements the entry is alive; the new reference
    // is handed to the caller as a raw pointer.
    let borrowed = unsafe { kernel::sync::ArcBorrow::<UtraceTask>::from_raw(p.cast()) };
    let arc: Arc<UtraceTask> = borrowed.into();
    let _ = Arc::into_raw(arc);
}

/// Called by the glue a grace period after an entry left the table.
///
/// # Safety
///
/// `p` is the `Arc<UtraceTask>` raw pointer the table owned.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_table_release(p: *mut c_void) {
    // SAFETY: per the function's safety requirements, we own this reference.
    drop(unsafe { Arc::from_raw(p.cast::<UtraceTask>()) });
}
