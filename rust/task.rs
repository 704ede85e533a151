// SPDX-License-Identifier: GPL-2.0

//! Per-task utrace state ([`UtraceTask`]) and the table that finds it.
//!
//! A task gets a `UtraceTask` when the first engine attaches to it, and loses it when the
//! task is reaped or its last engine is detached. The table (an rhashtable in the C glue,
//! keyed by task_struct pointer) owns one `Arc` reference; lookups on the hot paths are
//! lock-free under RCU and take their own reference only when they find an entry.
//!
//! The engine list is copy-on-write: `inner.engines` is an immutable `Arc<EngineList>`
//! replaced as a whole under the lock. A reporting thread takes a snapshot (one reference)
//! at the start of an event and calls the engines in it without any lock; an engine attached
//! meanwhile is in the next list only, so it gets nothing for the event in progress, as the
//! original utrace promises.
//!
//! Locking: `inner` is an irq-safe spinlock (it is taken from `signal_deliver`, under
//! siglock with interrupts off, and from `sched_process_free`, in softirq). Lock order:
//! siglock, then `inner`. Nothing calls out of utrace with `inner` held.
//!
//! Lifetimes: a `UtraceTask` holds a reference on its `task_struct` (so the pointer stays
//! valid as long as anyone can reach it), every engine list holds references on its engines,
//! and queued task_work holds a reference on the `UtraceTask`.

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use kernel::alloc::Flags;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, SpinLockIrq};
use kernel::task::Task;
use kernel::{new_spinlock_irq, sync::rcu};

use crate::engine::Engine;
use crate::glue;

/// An immutable list of engines, in attach order.
pub(crate) struct EngineList {
    pub(crate) engines: KVec<Arc<Engine>>,
}

struct Inner {
    /// The engines; `None` once the state is removed from the table (reap, last detach,
    /// unload): attaching must then create a new `UtraceTask`. Engines hold a reference on
    /// their `UtraceTask`, so dropping the list here is also what breaks that cycle.
    engines: Option<Arc<EngineList>>,
}

/// Per-task states alive (memory not yet freed), for debugfs and leak tests.
static LIVE: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn live_count() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The utrace state of one task.
#[pin_data(PinnedDrop)]
pub(crate) struct UtraceTask {
    task: ARef<Task>,
    #[pin]
    inner: SpinLockIrq<Inner>,
    /// Union of the attached engines' event masks: the filter on every hot path.
    events: AtomicUsize,
    /// The engine whose callback the task is running now, or null.
    reporting: AtomicPtr<Engine>,
    /// `sched_process_exit` has been seen: the task runs no more user code.
    exiting: AtomicBool,
    /// `report_death` is being made or was made.
    dead: AtomicBool,
    /// A REPORT/INTERRUPT quiesce report is queued (`work.rs`).
    pub(crate) report_queued: AtomicBool,
}

/// Whether the caller may sleep (see `utrace_glue_can_sleep`).
pub(crate) fn can_sleep() -> bool {
    // SAFETY: `utrace_glue_can_sleep` only reads the preempt count and irq state.
    unsafe { glue::utrace_glue_can_sleep() }
}

/// Chooses the allocation flags for the caller's context.
pub(crate) fn gfp_for_context() -> Flags {
    if can_sleep() {
        GFP_KERNEL
    } else {
        GFP_ATOMIC
    }
}

#[pinned_drop]
impl PinnedDrop for UtraceTask {
    fn drop(self: Pin<&mut Self>) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl UtraceTask {
    fn new(task: &Task, gfp: Flags) -> Result<Arc<Self>> {
        let empty = Arc::new(
            EngineList {
                engines: KVec::new(),
            },
            gfp,
        )?;
        LIVE.fetch_add(1, Ordering::Relaxed);
        Arc::pin_init(
            pin_init!(UtraceTask {
                task: ARef::from(task),
                inner <- new_spinlock_irq!(Inner { engines: Some(empty) }),
                events: AtomicUsize::new(0),
                reporting: AtomicPtr::new(ptr::null_mut()),
                exiting: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                report_queued: AtomicBool::new(false),
            }),
            gfp,
        )
    }

    /// The task's state, if it has any.
    pub(crate) fn lookup(task: *const bindings::task_struct) -> Option<Arc<Self>> {
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
        let got = unsafe { glue::utrace_glue_table_insert(task.as_ptr(), raw, can_sleep()) };
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
        // the pid detached here and take the entry back out ourselves.
        fence(Ordering::SeqCst);
        // SAFETY: `task` is valid (the caller's reference); `pid_alive` only reads it.
        if !unsafe { glue::utrace_glue_pid_alive(task.as_ptr()) } {
            new.remove_from_table();
            return Err(ESRCH);
        }
        Ok(new)
    }

    pub(crate) fn task_ptr(&self) -> *mut bindings::task_struct {
        self.task.as_ptr()
    }

    /// The union of the attached engines' events.
    pub(crate) fn events(&self) -> usize {
        self.events.load(Ordering::Acquire)
    }

    /// The engines to report an event to (`None` once removed from the table).
    pub(crate) fn snapshot(&self) -> Option<Arc<EngineList>> {
        self.inner.lock().engines.clone()
    }

    pub(crate) fn set_exiting(&self) {
        self.exiting.store(true, Ordering::Release);
    }

    /// Marks death as reported; false if it already was.
    pub(crate) fn set_dead(&self) -> bool {
        !self.dead.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
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
            let new = Arc::new(EngineList { engines: v }, gfp)?;
            let mut inner = self.inner.lock();
            match &inner.engines {
                None => return Err(EAGAIN),
                Some(now) if Arc::ptr_eq(now, &cur) => {
                    self.recompute_events(&new);
                    inner.engines = Some(new);
                    return Ok(());
                }
                // The list changed while we allocated: check and build again.
                Some(_) => {}
            }
        }
    }

    /// Sets `engine`'s events (under the lock, so the union stays exact). Returns the old
    /// mask, or `ESRCH` if the engine is detached.
    pub(crate) fn set_engine_events(&self, engine: &Engine, events: usize) -> Result<usize> {
        let inner = self.inner.lock();
        let Some(list) = inner.engines.as_ref().filter(|_| engine.is_attached()) else {
            return Err(ESRCH);
        };
        let old = engine.events();
        engine.set_events_locked(events);
        self.recompute_events(list);
        Ok(old)
    }

    fn recompute_events(&self, list: &EngineList) {
        let mut all = 0;
        for e in list.engines.iter().filter(|e| e.is_attached()) {
            all |= e.events();
        }
        self.events.store(all, Ordering::Release);
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
            let gfp = gfp_for_context();
            let Ok(mut v) = KVec::with_capacity(keep, gfp) else {
                return;
            };
            for e in cur.engines.iter().filter(|e| e.is_attached()) {
                if v.push(e.clone(), gfp).is_err() {
                    return;
                }
            }
            let Ok(new) = Arc::new(EngineList { engines: v }, gfp) else {
                return;
            };
            let mut inner = self.inner.lock();
            match &inner.engines {
                Some(now) if Arc::ptr_eq(now, &cur) => {}
                None => return,
                Some(_) => continue,
            }
            self.recompute_events(&new);
            if new.engines.is_empty() {
                inner.engines = None;
                drop(inner);
                self.remove_from_table();
            } else {
                inner.engines = Some(new);
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

    /// Detaches every engine (reap, unload): no callback is running any more.
    pub(crate) fn detach_all(&self) {
        let Some(list) = self.inner.lock().engines.take() else {
            return;
        };
        for e in list.engines.iter() {
            self.mark_engine_detached(e);
            e.drop_attach_ref();
        }
        self.events.store(0, Ordering::Release);
        self.remove_from_table();
    }

    /// Before calling `engine`: publish it as the one being reported to, then check that it
    /// is still attached. Pairs with the barrier in `Engine::mark_detached`.
    pub(crate) fn start_callback(&self, engine: &Engine) -> bool {
        self.reporting
            .store(core::ptr::from_ref(engine).cast_mut(), Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if engine.is_attached() {
            return true;
        }
        self.reporting.store(ptr::null_mut(), Ordering::Release);
        false
    }

    /// After calling `engine`. If it was detached meanwhile (by its own return value or by
    /// another thread that saw the callback in flight), its attached reference is dropped
    /// here, now that the callback is over.
    pub(crate) fn finish_callback(&self, engine: &Engine) {
        self.reporting.store(ptr::null_mut(), Ordering::Release);
        fence(Ordering::SeqCst);
        // A detacher that saw this callback in flight left the attached reference to us.
        // `utrace_barrier` waits for the drop to complete (see `Engine::attach_ref`).
        if !engine.is_attached() {
            engine.drop_attach_ref();
        }
    }

    /// Whether a callback of `engine` may be in progress.
    pub(crate) fn is_reporting(&self, engine: &Engine) -> bool {
        ptr::eq(self.reporting.load(Ordering::Acquire), engine)
    }

    /// Detaches `engine` on request of another thread (or of the task itself outside the
    /// engine's callbacks). Returns `EINPROGRESS` if a callback of it may be running.
    /// Marks `engine` detached and gives back the probes its events needed. Returns false if
    /// it already was detached. Under the lock, so that `set_engine_events` and this agree
    /// on the mask whose probes are given back.
    pub(crate) fn mark_engine_detached(&self, engine: &Engine) -> bool {
        let (first, events) = {
            let _inner = self.inner.lock();
            (engine.mark_detached(), engine.events())
        };
        if first {
            crate::hooks::engine_events_changed(events | crate::hooks::ATTACHED, 0);
        }
        first
    }

    pub(crate) fn detach_engine(&self, engine: &Engine, is_current: bool) -> Result {
        if !self.mark_engine_detached(engine) {
            return Err(ESRCH);
        }
        let in_flight = self.is_reporting(engine);
        if !in_flight {
            engine.drop_attach_ref();
        }
        self.prune();
        if in_flight && !is_current {
            return Err(EINPROGRESS);
        }
        Ok(())
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
