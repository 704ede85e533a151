// SPDX-License-Identifier: GPL-2.0

//! Engines: one per attachment of a tracing engine to a thread.
//!
//! An [`Engine`] starts with the public `struct utrace_engine` of the C header, so the
//! pointer engines get is a pointer to the whole object. Two counts govern its life:
//!
//! - `users`, the API references (`utrace_engine_get`/`_put`, plus the "attached" reference
//!   held while the engine is attached). When it drops to zero, `ops->release(data)` is
//!   called, exactly once.
//! - The [`Arc`] strong count, which keeps the memory valid. Every API reference holds one,
//!   and so do the per-task engine lists and the snapshots a reporting thread iterates. A
//!   snapshot may thus outlive the last API reference: it then only sees a detached engine,
//!   which it skips without touching `ops` or `data`.
//!
//! Detach protocol (the original utrace's, with a flag instead of swapping `ops`): the
//! detacher sets `DETACHED`, then `smp_mb()`, then reads the task's `reporting` pointer;
//! the reporting thread stores `reporting`, then `smp_mb()`, then checks `DETACHED`
//! before each callback. So either the detacher sees the callback in flight (and leaves the
//! attached reference for the reporter to drop after the callback returns), or the reporter
//! sees the flag and makes no callback. This file holds every call into engine code.

use crate::atomic::{Acquire, Atomic, AtomicType, Full, Relaxed, Release};
use core::ffi::c_void;
use kernel::alloc::Flags;
use kernel::bindings;
use kernel::cred::Credential;
use kernel::ffi::{c_int, c_long, c_ulong};
use kernel::pr_warn_once;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::barrier::smp_mb;
use kernel::sync::{Arc, ArcBorrow};

use crate::abi::{self, utrace_engine, utrace_engine_ops};
use crate::task::{InCallback, UtraceTask};

/// An engine attached (or once attached) to one thread.
///
/// Invariant: `public.ops` points to a `utrace_engine_ops` that stays valid while the engine
/// is not [`orphaned`](Engine::orphan) (it lives in the engine module, which cannot unload
/// while engines it attached are alive without utrace orphaning them first).
#[repr(C)]
pub(crate) struct Engine {
    /// Must be first: engines get a pointer to it, which is a pointer to the `Engine`.
    public: utrace_engine,
    users: Atomic<usize>,
    detached: Atomic<bool>,
    /// The attached reference (one of `users`): [`AttachRef::Held`], [`AttachRef::Dropping`]
    /// while its put (and maybe `release`) runs, [`AttachRef::Dropped`] after. `utrace_barrier`
    /// waits for `Dropped` on a detached engine, so that no `release` runs in engine code after it.
    attach_ref: Atomic<AttachRef>,
    /// Set when the engine's module went away: never call into it again.
    orphaned: Atomic<bool>,
    /// The engine wants the thread stopped (`UTRACE_STOP` returned from its last callback or
    /// given to `utrace_control`). The thread stays parked while any attached engine wants
    /// it (`stop.rs`).
    wants_stop: Atomic<bool>,
    /// `UTRACE_SINGLESTEP` or `UTRACE_BLOCKSTEP` if the engine's last answer (or
    /// `utrace_control`) asked for a step, else 0. Taken (cleared) when the thread arms the
    /// step on its way back to user mode (`step.rs`). An `i8`: the actions fit.
    step: Atomic<i8>,
    /// The per-task state of the task attached to (kept after detach, for barrier).
    ut: Arc<UtraceTask>,
    /// A number no other engine of this load of the module has, ever (64 bits never wrap):
    /// the identity of its watchpoints (`trap::owner`), where an address could be reused.
    id: u64,
    /// The credentials of the task that attached the engine (None: attached outside task
    /// context), as ptrace records its tracer's: an exec that gains privilege detaches the
    /// engine unless they hold `CAP_SYS_PTRACE` over the new credentials (`access.rs`).
    tracer_cred: Option<ARef<Credential>>,
    /// The module `ops` lives in (one that came after utrace, `modwatch.rs`), or null if
    /// unknown. Dereferenced only while the engine is not orphaned: the module's GOING
    /// notifier orphans its engines before the module is freed.
    module: *mut bindings::module,
    /// Link in the list of releases deferred to process context ([`RELEASES`]).
    next_release: Atomic<*mut Engine>,
    /// Link in the list of orphaned engines utrace keeps until it unloads ([`ORPHANS`]).
    next_orphan: Atomic<*mut Engine>,
}

/// Engines orphaned by their module's going away (`modwatch.rs`), each with one `Arc`
/// reference: kept (not leaked into the void, where kmemleak would rightly report them)
/// until utrace unloads, which frees them ([`free_orphans`]).
static ORPHANS: Atomic<*mut Engine> = Atomic::new(core::ptr::null_mut());

/// Calls of `release` made by utrace in progress (see `release_from_utrace`).
static RELEASING: Atomic<usize> = Atomic::new(0);

/// The module whose GOING notifier is running (its exit function has returned), or null:
/// utrace makes no `release` into it (`release_from_utrace`; a Dekker pair with
/// `RELEASING`). One at a time: the glue calls the notifier's handler under a mutex.
static GOING: Atomic<*mut bindings::module> = Atomic::new(core::ptr::null_mut());

/// Whether `module`'s exit function has returned (its GOING notifier has begun). Only
/// compares pointers. The caller (`release_from_utrace`) passes an `smp_mb()` first: that is
/// the Dekker pair with `begin_module_going`, so an acquire load is enough here.
fn is_gone(module: *mut bindings::module) -> bool {
    !module.is_null() && GOING.load(Acquire) == module
}

/// The GOING notifier of `module` begins (`modwatch.rs`, under the glue's mutex): from now
/// on no `release` is made into it, and this returns once none made before is running.
/// Process context; sleeps.
pub(crate) fn begin_module_going(module: *mut bindings::module) {
    let prev = GOING.xchg(module, Full);
    if !prev.is_null() {
        pr_warn_once!("utrace: two modules marked going at once (the glue's mutex?)\n");
    }
    // Pairs with the smp_mb() in `release_from_utrace` (Dekker: mark, then read the count).
    smp_mb(Full);
    // The end of each call is signalled on the barrier queue (`release_from_utrace`).
    let _ = crate::glue::barrier_wait_until(&|| RELEASING.load(Acquire) == 0, false);
}

/// The GOING notifier's work is done: its module is forgotten.
pub(crate) fn end_module_going() {
    // Release: after the module's engines were orphaned and waited for. No Dekker pattern
    // reads GOING after this store (the pair is the mark in `begin_module_going`), so it
    // needs no smp_mb().
    GOING.store(core::ptr::null_mut(), Release);
}

/// Engines whose `release` utrace's attached-reference drop deferred to process context
/// (a lock-free stack; each entry holds one `Arc` reference), run by the glue's work item
/// (`utrace_rust_release_deferred`).
static RELEASES: Atomic<*mut Engine> = Atomic::new(core::ptr::null_mut());

/// Where the attached reference's drop is ([`Engine::attach_ref`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
enum AttachRef {
    Held = 0,
    Dropping = 1,
    Dropped = 2,
}

// SAFETY: a unit-only enum with `repr(i8)`: same size and alignment as `i8`, and
// round-trip transmutable to it (only values of the enum are ever stored).
unsafe impl AtomicType for AttachRef {
    type Repr = i8;
}

/// Engines alive (memory not yet freed), for debugfs and leak tests.
static LIVE: Atomic<usize> = Atomic::new(0);

/// The next engine's [`Engine::id`].
static NEXT_ID: Atomic<u64> = Atomic::new(1);

pub(crate) fn live_count() -> usize {
    LIVE.load(Relaxed)
}

impl Drop for Engine {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Relaxed);
    }
}

// SAFETY: the raw pointers are an immutable callback table and engine data owned by the
// engine module, which the C API lets any thread use, and the module's `struct module`,
// only read; everything mutable is atomic.
unsafe impl Send for Engine {}
// SAFETY: see `Send`.
unsafe impl Sync for Engine {}

impl Engine {
    /// A new, attached engine with no events: two API references (the caller's and the
    /// attached one), returned as the `Arc` the caller's reference is made from.
    pub(crate) fn new(
        ut: &Arc<UtraceTask>,
        ops: *const utrace_engine_ops,
        data: *mut c_void,
        tracer_cred: Option<ARef<Credential>>,
        flags: Flags,
    ) -> Result<Arc<Self>> {
        let e = Arc::new(
            Engine {
                public: utrace_engine {
                    ops,
                    data,
                    flags: Atomic::new(0),
                },
                users: Atomic::new(2),
                detached: Atomic::new(false),
                attach_ref: Atomic::new(AttachRef::Held),
                orphaned: Atomic::new(false),
                wants_stop: Atomic::new(false),
                step: Atomic::new(0),
                ut: ut.clone(),
                id: NEXT_ID.fetch_add(1, Relaxed),
                tracer_cred,
                // SAFETY: only compares the address with the tracked modules' ranges.
                module: unsafe { crate::glue::utrace_glue_module_of(ops.cast()) },
                next_release: Atomic::new(core::ptr::null_mut()),
                next_orphan: Atomic::new(core::ptr::null_mut()),
            },
            flags,
        )?;
        LIVE.fetch_add(1, Relaxed);
        Ok(e)
    }

    /// This engine's number, unique for the module's lifetime.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Turns one API reference into an `Arc`-owned raw pointer for the caller.
    pub(crate) fn into_api_ref(this: Arc<Self>) -> *mut utrace_engine {
        Arc::into_raw(this).cast_mut().cast()
    }

    /// Borrows the engine behind a pointer an engine module gave us.
    ///
    /// # Safety
    ///
    /// `ptr` must come from [`Engine::into_api_ref`] (an attach) and the caller must hold an
    /// API reference on it for the duration of the borrow.
    pub(crate) unsafe fn from_api<'a>(ptr: *mut utrace_engine) -> ArcBorrow<'a, Self> {
        // SAFETY: per the function's safety requirements, `ptr` is an `Arc<Engine>` raw
        // pointer whose reference is held by the caller.
        unsafe { ArcBorrow::from_raw(ptr.cast::<Engine>()) }
    }

    /// One more API reference, as a raw pointer for the caller, unless the count already
    /// dropped to zero (the engine was released: it must never be handed out again, or its
    /// `release` would run a second time). `None` then.
    pub(crate) fn try_get(this: ArcBorrow<'_, Self>) -> Option<*mut utrace_engine> {
        // Increment unless zero: a cmpxchg loop, acquire on success.
        let mut u = this.users.load(Relaxed);
        loop {
            if u == 0 {
                return None;
            }
            match this.users.cmpxchg(u, u + 1, Acquire) {
                Ok(_) => break,
                Err(cur) => u = cur,
            }
        }
        let arc: Arc<Self> = this.into();
        Some(Self::into_api_ref(arc))
    }

    /// `utrace_engine_put`: drops one API reference; the last one calls `release(data)`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a pointer from [`Engine::into_api_ref`] whose reference the caller owns
    /// and gives up here.
    pub(crate) unsafe fn put(ptr: *mut utrace_engine) {
        // SAFETY: per the safety requirements the caller owns this `Arc` reference.
        let this = unsafe { Arc::from_raw(ptr.cast::<Engine>()) };
        this.put_user();
    }

    /// The engine's own put (`utrace_engine_put`): the last one calls `release` right here,
    /// in the engine's context, as the original did.
    fn put_user(&self) {
        if self.users.fetch_sub(1, Release) != 1 {
            return;
        }
        // The acquire side of the release fetch_sub (a refcount's last put): orders the
        // other puts' accesses before `release`'s loads and stores. smp_mb(), not smp_rmb():
        // the stores would need the control dependency, which 7.3's Rust cannot name.
        smp_mb(Full);
        if self.orphaned.load(Acquire) {
            return;
        }
        if let Some(release) = self.ops().release {
            // SAFETY: the last API reference is gone, so nothing else can call the engine's
            // code with `data` any more; `release` is the engine's own callback for exactly
            // this moment, and the engine module is still loaded (not orphaned; it is the
            // caller).
            unsafe { release(self.public.data) };
        }
    }

    /// `release` after utrace's own (attached) reference was the last: not if the engine
    /// was orphaned, nor once its module's GOING notifier has begun (the exit function has
    /// returned: the module may have torn down what `release` uses; what `release` would
    /// free is leaked, as for an orphan). While the exit function runs, it is made: the
    /// exit may be waiting for it (an engine whose references the module dropped is known
    /// to be gone only by its `release`).
    fn release_from_utrace(&self) {
        if self.orphaned.load(Acquire) {
            return;
        }
        // Dekker pair with `begin_module_going` (the GOING handler): it marks the module,
        // smp_mb(), then waits for `RELEASING` to be zero. This counts, smp_mb() (pairs with
        // that one), then reads the mark. Either this sees the mark, or the handler waits for
        // this call to end.
        RELEASING.fetch_add(1, Full);
        smp_mb(Full);
        if !is_gone(self.module) {
            if let Some(release) = self.ops().release {
                // SAFETY: as in `put_user`: the last reference is gone, the engine is not
                // orphaned, and its module's GOING notifier has not begun (it waits for this
                // call to end before the module can be freed).
                unsafe { release(self.public.data) };
            }
        }
        RELEASING.fetch_sub(1, Release);
        // `begin_module_going` sleeps until the count is zero.
        crate::glue::barrier_wake();
    }

    /// Whether the engine's module has not begun its exit (true if the module is unknown).
    /// The caller makes sure the engine is not orphaned and cannot be while it looks (a
    /// callback in flight, or an attached reference being dropped: the module's GOING
    /// notifier waits for both), so the module is not freed.
    pub(crate) fn module_live(&self) -> bool {
        // SAFETY: see above: a non-null `module` is a live module here.
        self.module.is_null() || unsafe { crate::glue::utrace_glue_module_live(self.module) }
    }

    fn ops(&self) -> &utrace_engine_ops {
        // SAFETY: by the type invariant `ops` is valid while the engine is not orphaned;
        // callers check `orphaned` (through `is_attached`) before calling into it.
        unsafe { &*self.public.ops }
    }

    /// The task the engine is attached to.
    pub(crate) fn task(&self) -> *const bindings::task_struct {
        self.ut.task_ptr()
    }

    /// The per-task state of that task.
    pub(crate) fn utrace(&self) -> &Arc<UtraceTask> {
        &self.ut
    }

    /// The credentials the engine was attached with (see `tracer_cred`).
    pub(crate) fn tracer_cred(&self) -> Option<&Credential> {
        self.tracer_cred.as_deref()
    }

    /// Detached, and the attached reference dropped (its `release`, if it was the last
    /// reference, has returned): utrace will not call into the engine any more.
    pub(crate) fn is_fully_detached(&self) -> bool {
        !self.is_attached() && self.attach_ref.load(Acquire) == AttachRef::Dropped
    }

    /// The event mask.
    pub(crate) fn events(&self) -> usize {
        self.public.flags.load(Acquire)
    }

    /// Sets the event mask. Callers hold the task's lock (`task.rs`).
    pub(crate) fn set_events_locked(&self, events: usize) {
        self.public.flags.store(events, Release);
    }

    pub(crate) fn is_attached(&self) -> bool {
        !self.detached.load(Acquire)
    }

    /// Marks the engine detached. Returns false if it already was. Followed by an
    /// `smp_mb()`, which pairs with the one in `UtraceTask::start_callback`.
    pub(crate) fn mark_detached(&self) -> bool {
        let first = !self.detached.xchg(true, Full);
        smp_mb(Full);
        first
    }

    /// Drops the attached API reference, once, after the engine was marked detached and no
    /// callback of it can be in progress.
    ///
    /// If it was the last reference, `release` runs here when the caller can sleep, and
    /// otherwise (the reap, in softirq; a detach under siglock from `report_signal`; an
    /// engine detaching from an atomic context) from a work item, in process context: a
    /// `release` may sleep (a Rust engine value owning an `Attached` handle waits in
    /// `utrace_barrier` when it is dropped). `attach_ref` stays DROPPING until it has run,
    /// so `utrace_barrier` and the module notifier wait for it.
    pub(crate) fn drop_attach_ref(&self) {
        if self
            .attach_ref
            .cmpxchg(AttachRef::Held, AttachRef::Dropping, Full)
            .is_err()
        {
            // Someone else drops it (a failed cmpxchg is relaxed: nothing is read after).
            return;
        }
        if self.users.fetch_sub(1, Release) == 1 {
            // As in `put_user`: the acquire side of the last put.
            smp_mb(Full);
            if !crate::glue::can_sleep() {
                self.defer_release();
                return;
            }
            self.release_from_utrace();
        }
        self.mark_ref_dropped();
    }

    /// The attached reference's drop has completed: `utrace_barrier` on a detached engine
    /// sleeps until then, so wake it.
    fn mark_ref_dropped(&self) {
        self.attach_ref.store(AttachRef::Dropped, Release);
        crate::glue::barrier_wake();
    }

    /// Queues the release for [`utrace_rust_release_deferred`]. Any context.
    fn defer_release(&self) {
        // SAFETY: every engine lives in an `Arc`; this takes one more reference, which the
        // list owns until the work item takes it back.
        let arc: Arc<Self> = unsafe { ArcBorrow::from_raw(core::ptr::from_ref(self)) }.into();
        let p = Arc::into_raw(arc).cast_mut();
        let mut head = RELEASES.load(Acquire);
        loop {
            self.next_release.store(head, Relaxed);
            match RELEASES.cmpxchg(head, p, Full) {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        // SAFETY: queueing our own static work item is valid in any context.
        unsafe { crate::glue::utrace_glue_schedule_release() };
    }

    /// Whether the engine wants the thread stopped (see `stop.rs`).
    pub(crate) fn wants_stop(&self) -> bool {
        self.wants_stop.load(Acquire)
    }

    /// Records whether the engine wants the thread stopped. Clearing it from another thread
    /// goes through `stop::release`, which also wakes the thread if it was the last.
    pub(crate) fn set_wants_stop(&self, stop: bool) {
        self.wants_stop.store(stop, Release);
    }

    /// Records the step the engine asks for (`abi::SINGLESTEP`, `abi::BLOCKSTEP`, or 0).
    pub(crate) fn set_step(&self, action: u32) {
        self.step.store(action as i8, Release);
    }

    /// Takes the step the engine asked for (0 if none), clearing the request.
    pub(crate) fn take_step(&self) -> u32 {
        self.step.xchg(0, Full) as u32
    }

    /// The engine's module is going away: never call into it again, not even `release`.
    /// Returns false if it already was orphaned. The caller detaches it next.
    pub(crate) fn set_orphaned(&self) -> bool {
        !self.orphaned.xchg(true, Full)
    }

    /// The callback table, for the module notifier's "does it belong to that module?".
    pub(crate) fn ops_ptr(&self) -> *const utrace_engine_ops {
        self.public.ops
    }

    /// Whether a drop of the attached reference (and a `release` it makes) is under way.
    pub(crate) fn attach_ref_dropping(&self) -> bool {
        self.attach_ref.load(Acquire) == AttachRef::Dropping
    }

    /// Whether this engine matches an attach lookup.
    pub(crate) fn matches(
        &self,
        flags: c_int,
        ops: *const utrace_engine_ops,
        data: *mut c_void,
    ) -> bool {
        self.is_attached()
            && (flags & abi::ATTACH_MATCH_OPS == 0 || core::ptr::eq(self.public.ops, ops))
            && (flags & abi::ATTACH_MATCH_DATA == 0 || self.public.data == data)
    }
}

impl Engine {
    fn raw(&self) -> *mut utrace_engine {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

/// The callbacks, made through the proof that one may be made now ([`InCallback`]: the
/// engine is attached, so not orphaned: its module, `ops` and `data` are alive until the
/// guard is dropped). Each returns `None` when the engine has no callback for the event.
/// Callers run in the context the C header documents for that callback.
impl InCallback<'_> {
    fn raw(&self) -> *mut utrace_engine {
        self.engine().raw()
    }

    fn ops(&self) -> &utrace_engine_ops {
        self.engine().ops()
    }

    pub(crate) fn report_quiesce(&self, action: u32, event: usize) -> Option<u32> {
        let f = self.ops().report_quiesce?;
        // SAFETY: see the impl block: attached engine, documented context.
        Some(unsafe { f(action, self.raw(), event as c_ulong) })
    }

    pub(crate) fn report_clone(
        &self,
        action: u32,
        clone_flags: u64,
        child: *mut bindings::task_struct,
    ) -> Option<u32> {
        let f = self.ops().report_clone?;
        // SAFETY: see the impl block; `child` is the new task, alive while it is reported.
        Some(unsafe { f(action, self.raw(), clone_flags as c_ulong, child) })
    }

    pub(crate) fn report_exec(
        &self,
        action: u32,
        bprm: *const bindings::linux_binprm,
        regs: *mut bindings::pt_regs,
    ) -> Option<u32> {
        let f = self.ops().report_exec?;
        // SAFETY: see the impl block; `bprm` and `regs` are the exec's, valid during it.
        Some(unsafe { f(action, self.raw(), core::ptr::null(), bprm, regs) })
    }

    pub(crate) fn report_syscall_entry(
        &self,
        action: u32,
        regs: *mut bindings::pt_regs,
    ) -> Option<u32> {
        let f = self.ops().report_syscall_entry?;
        // SAFETY: see the impl block; `regs` are current's user registers.
        Some(unsafe { f(action, self.raw(), regs) })
    }

    pub(crate) fn report_syscall_exit(
        &self,
        action: u32,
        regs: *mut bindings::pt_regs,
    ) -> Option<u32> {
        let f = self.ops().report_syscall_exit?;
        // SAFETY: see the impl block; `regs` are current's user registers.
        Some(unsafe { f(action, self.raw(), regs) })
    }

    pub(crate) fn report_exit(&self, action: u32, orig: c_long, code: &mut c_long) -> Option<u32> {
        let f = self.ops().report_exit?;
        // SAFETY: see the impl block; `code` is a valid, exclusive pointer for the call.
        Some(unsafe { f(action, self.raw(), orig, code) })
    }

    pub(crate) fn report_death(&self, group_dead: bool, signal: c_int) -> Option<u32> {
        let f = self.ops().report_death?;
        // SAFETY: see the impl block.
        Some(unsafe { f(self.raw(), group_dead, signal) })
    }

    pub(crate) fn report_reap(&self, task: *mut bindings::task_struct) -> Option<u32> {
        let f = self.ops().report_reap?;
        // SAFETY: see the impl block; `task` is being freed but still valid.
        unsafe { f(self.raw(), task) };
        Some(abi::RESUME)
    }

    pub(crate) fn report_jctl(&self, action: u32, kind: c_int, notify: c_int) -> Option<u32> {
        let f = self.ops().report_jctl?;
        // SAFETY: see the impl block; the arguments are plain integers.
        Some(unsafe { f(action, self.raw(), kind, notify) })
    }

    pub(crate) fn report_signal(
        &self,
        action: u32,
        regs: *mut bindings::pt_regs,
        info: *mut bindings::kernel_siginfo,
        ka: *const bindings::k_sigaction,
    ) -> Option<u32> {
        let f = self.ops().report_signal?;
        // SAFETY: see the impl block; `info` (may be null) and `ka` are the signal's.
        Some(unsafe { f(action, self.raw(), regs, info, ka, core::ptr::null_mut()) })
    }
}

/// The work item of deferred releases (`Engine::drop_attach_ref`): runs them in process
/// context, then marks each attached reference dropped.
#[no_mangle]
pub(crate) extern "C" fn utrace_rust_release_deferred() {
    let mut p = RELEASES.xchg(core::ptr::null_mut(), Full);
    while !p.is_null() {
        // SAFETY: `defer_release` pushed an `Arc` reference; the xchg made it ours.
        let e = unsafe { Arc::from_raw(p) };
        p = e.next_release.load(Relaxed);
        e.release_from_utrace();
        e.mark_ref_dropped();
    }
}

/// Waits until every release deferred so far has run (module notifier, unload).
pub(crate) fn flush_deferred_releases() {
    // SAFETY: flushing our own static work item; process context.
    unsafe { crate::glue::utrace_glue_flush_release() };
}

/// Keeps an engine orphaned by its module's going away (after `detach_orphan`), until
/// utrace unloads. Process context.
pub(crate) fn keep_orphan(e: &Arc<Engine>) {
    let p = Arc::into_raw(e.clone()).cast_mut();
    let mut head = ORPHANS.load(Acquire);
    loop {
        e.next_orphan.store(head, Relaxed);
        match ORPHANS.cmpxchg(head, p, Full) {
            Ok(_) => break,
            Err(h) => head = h,
        }
    }
}

/// Unload: frees the orphaned engines. Their module is gone, so the API references it held
/// (`users`: its attached reference was dropped when it was orphaned) can never be put or
/// used: they are dropped here, each the `Arc` reference it owned, and `release` is not
/// called (orphaned).
pub(crate) fn free_orphans() {
    let mut p = ORPHANS.xchg(core::ptr::null_mut(), Full);
    while !p.is_null() {
        // SAFETY: `keep_orphan` pushed an `Arc` reference; the xchg made it ours.
        let e = unsafe { Arc::from_raw(p) };
        p = e.next_orphan.load(Relaxed);
        let leaked = e.users.xchg(0, Full);
        let raw = Arc::as_ptr(&e);
        for _ in 0..leaked {
            // SAFETY: each API reference owns one `Arc` reference (`into_api_ref`,
            // `try_get`); the module that held these is gone and nothing else can use them.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}
