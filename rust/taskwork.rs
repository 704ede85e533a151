// SPDX-License-Identifier: GPL-2.0

//! task_work, safely: a callback run by a given thread at its next safe point
//! (`task_work_add()`), owned by an object `T` kept in an [`Arc`] (utrace's per-task state).
//!
//! Two kinds of item, both holding one reference on their owner from the moment they are
//! queued until they have run or been dropped:
//!
//! - [`EmbeddedWork`]: a `callback_head` inside the owner itself, for the paths that must
//!   not allocate (interrupts off) or should not (a hot path). Queued at most once at a time.
//! - [`queue_item`]: an allocated item, carrying an argument.
//!
//! Either runs a safe `fn` of its owner's concern, through one `extern "C"` trampoline
//! ([`run_work`]), which is how a queued item is known to be this module's.
//!
//! Every queued item is counted in [`PENDING`] until it has run or been dropped. Module
//! unload waits for the count to drop to zero, so that no queued item can point into freed
//! module code; it does not wait for a thread that may never run its items (stopped by job
//! control or ptrace, blocked in a long syscall with a `TWA_RESUME` item queued): it takes
//! those items back out of the queues ([`cancel_stranded`]; the glue re-implements
//! `task_work_cancel_match()`, which is not exported) and drops them, if their queuer said
//! they may be dropped ([`OnUnload`]).
//!
//! This file depends on nothing in the crate but the glue: the concerns that queue work
//! depend on it, never the other way.

use crate::atomic::{Acquire, Atomic, Full, Release};
use core::cell::UnsafeCell;
use kernel::alloc::Flags;
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::task::Task;
use kernel::types::Opaque;

use crate::glue;

/// Queued and not yet finished task_work items.
///
/// Incremented before an item is handed to `task_work_add()` (and decremented again if that
/// fails); decremented once the item has run, after its owner reference was dropped, or once
/// unload dropped it. Only this file changes it.
pub(crate) static PENDING: Atomic<usize> = Atomic::new(0);

/// What unload may do with a queued item that has not run yet: every engine is detached by
/// then, and the thread may never run it (stopped, or blocked in a syscall).
pub(crate) enum OnUnload<H> {
    /// Never drop it: unload waits until it has run. For an item that must run for the
    /// thread's sake (and surely does, soon).
    MustRun,
    /// Drop it without running it: nothing to undo.
    Drop,
    /// Drop it without running it, after calling `H` to undo what its queueing recorded in
    /// the owner (a "queued" flag, a session).
    DropWith(H),
}

/// The start of every item this file queues.
///
/// # Invariants
///
/// - `head.func`, once the item is queued, is [`run_work`]. `run_work` is private to this
///   file, which queues nothing else with it: a queued `callback_head` whose `func` is
///   `run_work` is the `head` of a `Header`, itself at the start of an [`EmbeddedWork`] or an
///   [`Item`].
/// - `run` and `drop` are set before the item is queued and do not change while it is
///   queued; `run` runs (and then releases) the item that starts with this header; `drop`,
///   if set, releases it without running it. `drop` is `None` exactly for the items that
///   must not be dropped.
#[repr(C)]
struct Header {
    /// Must be first: task_work passes a pointer to it to [`run_work`]. Written by the
    /// kernel (`next`) while the item is queued, hence `Opaque`.
    head: Opaque<bindings::callback_head>,
    /// Runs the item. Called once per queueing, by [`run_work`].
    run: unsafe fn(*const Header),
    /// Releases the item without running it, at unload. Called at most once per queueing,
    /// instead of `run`.
    drop: Option<unsafe fn(*const Header)>,
}

impl Header {
    const fn new(run: unsafe fn(*const Header), drop: Option<unsafe fn(*const Header)>) -> Self {
        Header {
            head: Opaque::new(bindings::callback_head {
                next: core::ptr::null_mut(),
                func: Some(run_work),
            }),
            run,
            drop,
        }
    }
}

/// Hands the item starting with `hdr` to `task`'s task_work, counted in [`PENDING`]. On
/// `Err` the item was not queued but is still counted: the caller releases it, then calls
/// [`uncount`] (the order of the code before this file).
///
/// # Safety
///
/// `hdr` points to the header of an item that is on no task_work list, whose `head.func`
/// is [`run_work`], and which stays valid until its `run` or `drop` has been called.
unsafe fn add(hdr: *const Header, task: &Task, mode: bindings::task_work_notify_mode) -> Result {
    PENDING.fetch_add(1, Full);
    // SAFETY: `hdr` is valid (per the function's safety requirements).
    let head = Opaque::cast_into(unsafe { &raw const (*hdr).head });
    // SAFETY: `head` is a valid callback_head with `func` set, on no list, and valid until
    // it has run or been dropped (per the function's safety requirements); `task` is alive
    // for the call (a reference to it is held); `task_work_add` is callable in any context.
    let ret = unsafe { bindings::task_work_add(task.as_ptr(), head, mode) };
    if ret != 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// An item has run or been dropped, or was not queued after all.
fn uncount() {
    PENDING.fetch_sub(1, Full);
}

/// The task_work callback of every item this file queues: runs it, then uncounts it.
///
/// # Safety
///
/// Called by `task_work_run()`, once, with the `head` of a [`Header`] queued by [`add`].
unsafe extern "C" fn run_work(head: *mut bindings::callback_head) {
    let hdr = head.cast_const().cast::<Header>();
    // SAFETY: per the function's safety requirements and `Header`'s invariants, `hdr` is a
    // queued item's header (`head` is its first field), valid until its `run` has released
    // the item; task_work runs each queued item once, so this is its one `run` call.
    unsafe { ((*hdr).run)(hdr) };
    // After `run` released the item and its owner reference.
    uncount();
}

/// What an [`EmbeddedWork`] runs (or unload calls when it drops it), with the reference the
/// queued work held on its owner.
pub(crate) type OwnerFn<T> = fn(Arc<T>);

/// A task_work item embedded in its owner `T`, for the paths that must not (interrupts off)
/// or should not (a hot path) allocate. Queued at most once at a time.
///
/// Queued by [`EmbeddedWork::queue`] with the `fn` it runs and what unload may do with it,
/// which refuses a work that is not part of its owner. The callback gets the owner back,
/// the work free to be queued again. Its owner's type need not know who queues it: the
/// per-task state embeds the works, each concern queues its own.
///
/// # Invariants
///
/// - While `queued` is set, `header`, `owner`, `run` and `on_drop` belong to the thread that
///   set it (until it has queued the work or given up) and then to task_work (until the
///   item runs, or unload takes it out of its queue), which only writes `header.head.next`;
///   the callback, or unload's drop, clears `queued` once it has read them. Nobody writes
///   them while `queued` is clear.
/// - While the work is queued, `owner` is a reference on the `Arc<T>` that contains this
///   work, leaked by [`EmbeddedWork::queue`]: the work stays valid until that reference is
///   taken back, by the callback or by unload's drop.
#[repr(C)]
pub(crate) struct EmbeddedWork<T> {
    /// Must be first: [`run_work`] gets a pointer to it, and so to the work.
    header: UnsafeCell<Header>,
    /// The owner reference the queued work holds (`Arc::into_raw`).
    owner: UnsafeCell<*const T>,
    /// Set from queueing until the callback (or unload's drop) has taken `owner` back.
    queued: Atomic<bool>,
    /// What the callback runs, with the owner reference (set by `queue`).
    run: UnsafeCell<Option<OwnerFn<T>>>,
    /// Called with the owner reference when unload drops the work (`OnUnload::DropWith`).
    on_drop: UnsafeCell<Option<OwnerFn<T>>>,
}

// SAFETY: `header`, `owner`, `run` and `on_drop` are touched only as the type's invariants
// say (one thread at a time, handed over through `queued` and task_work); `queued` is
// atomic. The owner reference it may hold is an `Arc<T>`, which may be sent and shared
// when `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for EmbeddedWork<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Send + Sync> Sync for EmbeddedWork<T> {}

/// An owner of [`EmbeddedWork`]s: a type whose values live in an [`Arc`] and embed works
/// that are queued with a reference on them.
///
/// # Safety
///
/// No `EmbeddedWork<Self>` inside a value of `Self` is ever moved or overwritten while the
/// value is shared in an `Arc` (no `&mut` to it is ever made: not through a lock, a cell or
/// `Arc::get_mut`), so that a queued work's header stays where task_work's list points.
pub(crate) unsafe trait WorkOwner: Send + Sync + 'static {}

impl<T: WorkOwner> EmbeddedWork<T> {
    /// A work, not queued. It must be a field of the `T` it is queued for (see
    /// [`Self::queue`]).
    pub(crate) const fn new() -> Self {
        EmbeddedWork {
            header: UnsafeCell::new(Header::new(Self::run_queued, None)),
            owner: UnsafeCell::new(core::ptr::null()),
            queued: Atomic::new(false),
            run: UnsafeCell::new(None),
            on_drop: UnsafeCell::new(None),
        }
    }

    /// Whether `self` lies inside `*owner`: then the reference the queued work holds on
    /// `owner` keeps the work itself valid.
    fn is_part_of(&self, owner: &Arc<T>) -> bool {
        let start = Arc::as_ptr(owner) as usize;
        let this = core::ptr::from_ref(self) as usize;
        this >= start && this + size_of::<Self>() <= start + size_of::<T>()
    }

    /// Queues the work on `task` to run `run` there, with one reference on `owner` (which
    /// must contain it); unload may drop it or not (`on_unload`). `Ok(false)` if it already
    /// is queued (nothing done: the queued `run` and `on_unload` stay, so a work should be
    /// queued with one pair only); `Err` if the task is past `exit_task_work()` (or, never
    /// in a correct caller, `EINVAL` with a warning if `self` is not part of `*owner`).
    /// Callable in any context: it allocates nothing.
    pub(crate) fn queue(
        &self,
        owner: &Arc<T>,
        task: &Task,
        run: fn(Arc<T>),
        on_unload: OnUnload<fn(Arc<T>)>,
        mode: bindings::task_work_notify_mode,
    ) -> Result<bool> {
        if kernel::warn_on!(!self.is_part_of(owner)) {
            return Err(EINVAL);
        }
        if self.queued.xchg(true, Full) {
            return Ok(false);
        }
        // Claimed but not yet on the list: the owner's own queueing meanwhile returns
        // `Ok(false)` and relies on this one. Another thread may claim a work its owner
        // also queues only where it cannot be held up (a spinlock with interrupts off);
        // the items only other threads queue may be claimed anywhere
        // (`work::queue_arm_remote`). The test window makes a regression visible.
        if !core::ptr::eq(task.as_ptr(), Task::current_raw()) && crate::glue::can_sleep() {
            crate::testing::delay(crate::testing::Window::RemoteQueue);
        }
        let (drop_fn, on_drop): (Option<unsafe fn(*const Header)>, _) = match on_unload {
            OnUnload::MustRun => (None, None),
            OnUnload::Drop => (Some(Self::drop_queued as unsafe fn(*const Header)), None),
            OnUnload::DropWith(h) => (Some(Self::drop_queued as unsafe fn(*const Header)), Some(h)),
        };
        let raw = Arc::into_raw(owner.clone());
        // SAFETY: `queued` was clear and this thread set it: by the invariants, the header
        // is on no task_work list and every field but `queued` is this thread's to write.
        unsafe {
            *self.header.get() = Header::new(Self::run_queued, drop_fn);
            *self.owner.get() = raw;
            *self.run.get() = Some(run);
            *self.on_drop.get() = on_drop;
        }
        // The pointer task_work gets is derived from the whole work (`header` is its first
        // field): the callback reads the other fields through it.
        let hdr = core::ptr::from_ref(self).cast::<Header>();
        // SAFETY: the header is on no list, with `func` set to `run_work`; it is part of the
        // owner (checked above), which the reference leaked into `owner` keeps valid until
        // `run_queued` or `drop_queued` takes it back, and which never moves it (`WorkOwner`).
        if let Err(e) = unsafe { add(hdr, task, mode) } {
            // SAFETY: not queued: the reference is still ours.
            drop(unsafe { Arc::from_raw(raw) });
            uncount();
            self.queued.store(false, Release);
            return Err(e);
        }
        Ok(true)
    }

    /// Whether it is queued (and not yet taken by its callback).
    pub(crate) fn is_queued(&self) -> bool {
        self.queued.load(Acquire)
    }

    /// In the callback or unload's drop: the owner reference the queued work held, the work
    /// free to be queued again.
    ///
    /// # Safety
    ///
    /// The work is queued, and task_work is running it or unload took it out of its queue:
    /// it is taken back once per queueing.
    unsafe fn take(&self) -> Arc<T> {
        // SAFETY: queued: `owner` is the reference `queue` leaked, written before the work
        // was handed to task_work (which orders the write before the callback, or before
        // unload's walk of the queue), and not written again until `queued` is cleared below.
        let owner = unsafe { Arc::from_raw(*self.owner.get()) };
        // Fully ordered: a queuer that still finds it claimed must have made its request
        // (an event bit, a step) visible before the callback, which runs after this, reads
        // it; with a release store the callback's reads could pass the clear.
        self.queued.xchg(false, Full);
        owner
    }

    /// `Header::run` of an embedded work.
    ///
    /// # Safety
    ///
    /// `hdr` is the header of a queued `EmbeddedWork<T>` that task_work is running; called
    /// once, by [`run_work`].
    unsafe fn run_queued(hdr: *const Header) {
        // SAFETY: `header` is the first field of the `#[repr(C)]` `EmbeddedWork<T>`; queued,
        // the work is valid until its owner reference is dropped (by the invariants).
        let this = unsafe { &*hdr.cast::<Self>() };
        // SAFETY: queued: `run` was written by the queuer before the work was handed to
        // task_work, and is not written again until `queued` is cleared (in `take`).
        let run = unsafe { *this.run.get() };
        // SAFETY: queued and being run (per the function's safety requirements).
        let owner = unsafe { this.take() };
        // `this` is not used past this point: `run` may drop the last owner reference.
        if let Some(run) = run {
            run(owner);
        }
    }

    /// `Header::drop` of an embedded work that unload may drop.
    ///
    /// # Safety
    ///
    /// `hdr` is the header of a queued `EmbeddedWork<T>` that unload took out of its queue:
    /// it will never run; called once, by [`cancel_stranded`].
    unsafe fn drop_queued(hdr: *const Header) {
        // SAFETY: as in `run_queued`.
        let this = unsafe { &*hdr.cast::<Self>() };
        // SAFETY: as `run` in `run_queued`.
        let on_drop = unsafe { *this.on_drop.get() };
        // SAFETY: queued and taken out of its queue (per the function's safety requirements).
        let owner = unsafe { this.take() };
        if let Some(on_drop) = on_drop {
            on_drop(owner);
        }
    }
}

/// An allocated task_work item ([`queue_item`]).
///
/// # Invariants
///
/// From [`queue_item`] until its callback or unload's drop takes it back, the item is a
/// leaked `KBox` owned by task_work, which only writes `header.head.next`. Its
/// `header.drop` is `None` exactly for `OnUnload::MustRun`.
#[repr(C)]
struct Item<T, A> {
    /// Must be first: [`run_work`] gets a pointer to it, and so to the item.
    header: Header,
    /// The owner reference the item holds while queued.
    owner: Arc<T>,
    arg: A,
    run: fn(&Arc<T>, A),
    /// Called when unload drops the item (`OnUnload::DropWith`).
    on_drop: Option<fn(&Arc<T>, A)>,
}

impl<T: Send + Sync + 'static, A: Copy + Send + 'static> Item<T, A> {
    /// `Header::run` of an item.
    ///
    /// # Safety
    ///
    /// `hdr` is the header of an `Item<T, A>` leaked by [`queue_item`] that task_work is
    /// running: it is ours now. Called once, by [`run_work`].
    unsafe fn run_queued(hdr: *const Header) {
        // SAFETY: `header` is the first field of the `#[repr(C)]` item, a `KBox` leaked by
        // `queue_item`; per the function's safety requirements, it is ours.
        let item = unsafe { KBox::from_raw(hdr.cast::<Self>().cast_mut()) };
        (item.run)(&item.owner, item.arg);
        drop(item);
    }

    /// `Header::drop` of an item that unload may drop.
    ///
    /// # Safety
    ///
    /// `hdr` is the header of an `Item<T, A>` leaked by [`queue_item`] that unload took out
    /// of its queue: it will never run, and it is ours now. Called once, by
    /// [`cancel_stranded`].
    unsafe fn drop_queued(hdr: *const Header) {
        // SAFETY: as in `run_queued`.
        let item = unsafe { KBox::from_raw(hdr.cast::<Self>().cast_mut()) };
        if let Some(on_drop) = item.on_drop {
            on_drop(&item.owner, item.arg);
        }
        drop(item);
    }
}

/// Queues an allocated item on `task` that calls `run(owner, arg)` there; it holds a
/// reference on `owner` until it has run (or unload dropped it, as `on_unload` allows).
/// `Err(ENOMEM)` without memory (`gfp`); `task_work_add()`'s error (`ESRCH`) if the task is
/// past `exit_task_work()`. Callable in any context `gfp` allows.
pub(crate) fn queue_item<T: Send + Sync + 'static, A: Copy + Send + 'static>(
    owner: &Arc<T>,
    task: &Task,
    run: fn(&Arc<T>, A),
    arg: A,
    on_unload: OnUnload<fn(&Arc<T>, A)>,
    mode: bindings::task_work_notify_mode,
    gfp: Flags,
) -> Result {
    let (drop_fn, on_drop): (Option<unsafe fn(*const Header)>, _) = match on_unload {
        OnUnload::MustRun => (None, None),
        OnUnload::Drop => (Some(Item::<T, A>::drop_queued), None),
        OnUnload::DropWith(h) => (Some(Item::<T, A>::drop_queued), Some(h)),
    };
    let item = KBox::new(
        Item {
            header: Header::new(Item::<T, A>::run_queued, drop_fn),
            owner: owner.clone(),
            arg,
            run,
            on_drop,
        },
        gfp,
    )?;
    let raw = KBox::into_raw(item);
    // SAFETY: a new item, on no list, `func` set to `run_work` by `Header::new`; leaked, so
    // valid until `run_queued` or `drop_queued` takes it back.
    if let Err(e) = unsafe { add(&raw const (*raw).header, task, mode) } {
        // SAFETY: not queued: the item is still ours.
        drop(unsafe { KBox::from_raw(raw) });
        uncount();
        return Err(e);
    }
    Ok(())
}

/// Unload, after probes are gone and every engine is detached: whether the queued item
/// `head` is this module's and may be dropped instead of run ([`OnUnload`]). Called by the
/// glue under the task's `pi_lock` (no sleeping; the item can be neither run nor freed
/// meanwhile).
///
/// # Safety
///
/// `head` is an item on some task's task_work list, read under that task's `pi_lock`.
unsafe extern "C" fn cancellable(head: *mut bindings::callback_head) -> bool {
    // SAFETY: per the function's safety requirements, `head` is a valid queued item.
    let func = unsafe { (*head).func };
    let ours: unsafe extern "C" fn(*mut bindings::callback_head) = run_work;
    if !func.is_some_and(|f| core::ptr::fn_addr_eq(f, ours)) {
        return false;
    }
    // SAFETY: by `Header`'s invariants, a queued item with our `run_work` is the head of a
    // `Header`, still queued (so valid); `drop` does not change while it is queued.
    unsafe { (*head.cast_const().cast::<Header>()).drop.is_some() }
}

/// Unload: takes every item of this module that may be dropped ([`OnUnload`]) out of every
/// thread's task_work queue and drops it (its drop hook called, its owner reference given
/// back, [`PENDING`] decremented). Returns how many were dropped. Process context.
pub(crate) fn cancel_stranded() -> usize {
    // SAFETY: `cancellable` has the callback's prototype and does not sleep.
    let mut head = unsafe { glue::utrace_glue_task_work_cancel_all(Some(cancellable)) };
    let mut n = 0;
    while !head.is_null() {
        // SAFETY: the glue linked the taken items through `next`; each is ours now.
        let next = unsafe { (*head).next };
        let hdr = head.cast_const().cast::<Header>();
        // SAFETY: `cancellable` accepted it: the header of one of our items (`Header`'s
        // invariants) with `drop` set, which does not change while it is queued.
        let drop_fn = unsafe { (*hdr).drop };
        if let Some(drop_fn) = drop_fn {
            // SAFETY: taken out of its queue by the glue: it will never run, and this is its
            // one `drop` call.
            unsafe { drop_fn(hdr) };
        }
        uncount();
        head = next;
        n += 1;
    }
    n
}
