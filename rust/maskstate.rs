// SPDX-License-Identifier: GPL-2.0

//! The syscall_work masks of one thread (`UtraceTask::entry_mask`): data and its rules
//! only. When they are set and set back, and why that is sound, is `entrymask.rs`.

use crate::atomic::{Acquire, Atomic};
use core::cell::UnsafeCell;
use core::ptr;
use kernel::bindings;
use kernel::task::Task;

use crate::arch;
use crate::glue;

/// The call a re-run mask expects: what seccomp filtered at the first pass.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expected {
    call: arch::Call,
    ip: usize,
    compat: bool,
}

impl Expected {
    pub(crate) fn new(call: arch::Call, ip: usize, compat: bool) -> Self {
        Expected { call, ip, compat }
    }

    /// The number and arguments.
    pub(crate) fn call(&self) -> arch::Call {
        self.call
    }
}

/// The masks of one thread (in `UtraceTask`). Written by the thread itself; unload reads and
/// clears them from another thread once the thread can no longer be in utrace's code
/// (probes unregistered) — see `entrymask::shutdown`.
pub(crate) struct EntryMask {
    /// The exit mask's bits.
    pub(crate) exit: Atomic<i8>,
    pub(crate) exit_tracer: Atomic<*mut bindings::task_struct>,
    /// The re-run mask's bits; nonzero = the state must stay and the probes registered.
    pub(crate) rerun: Atomic<i8>,
    pub(crate) rerun_tracer: Atomic<*mut bindings::task_struct>,
    /// The thread the state belongs to (identity only): the one that may touch the two
    /// thread-only slots below.
    owner: *const bindings::task_struct,
    /// Only the thread touches it, while `rerun` is nonzero.
    expected: UnsafeCell<Option<Expected>>,
    /// What seccomp filtered at the stopping `sys_enter`, for `entrymask::mask_rerun`. Only
    /// the thread touches it (it has one entry stop at a time).
    filtered: UnsafeCell<Option<Expected>>,
}

// SAFETY: `expected` and `filtered` are only accessed by the thread the state belongs to, in
// task context (checked by every accessor, `by_owner`); `owner` is only compared; the rest is
// atomic.
unsafe impl Sync for EntryMask {}
// SAFETY: see `Sync`; the tracer pointers are references handed over with the value.
unsafe impl Send for EntryMask {}

impl EntryMask {
    /// The masks of the thread `owner`.
    pub(crate) fn new(owner: &Task) -> Self {
        EntryMask {
            owner: owner.as_ptr(),
            exit: Atomic::new(0),
            exit_tracer: Atomic::new(core::ptr::null_mut()),
            rerun: Atomic::new(0),
            rerun_tracer: Atomic::new(core::ptr::null_mut()),
            expected: UnsafeCell::new(None),
            filtered: UnsafeCell::new(None),
        }
    }

    /// Whether the caller may touch the thread-only slots: it runs as the thread the state
    /// belongs to, in task context (an interrupt on that thread has the same `current`).
    /// Every caller does; a wrong one is refused with a warning instead of racing.
    fn by_owner(&self) -> bool {
        !kernel::warn_on!(!(glue::in_task() && ptr::eq(Task::current_raw(), self.owner)))
    }

    /// At the stopping `sys_enter`: the call seccomp filtered.
    pub(crate) fn set_filtered(&self, e: Expected) {
        if self.by_owner() {
            // SAFETY: only the owning thread, in task context, touches `filtered`.
            unsafe { *self.filtered.get() = Some(e) };
        }
    }

    /// In the entry stop's task_work.
    pub(crate) fn take_filtered(&self) -> Option<Expected> {
        self.by_owner().then(|| {
            // SAFETY: only the owning thread, in task context, touches `filtered`.
            unsafe { (*self.filtered.get()).take() }
        })?
    }

    /// While a re-run mask is held: the call it expects.
    pub(crate) fn set_expected(&self, e: Expected) {
        if self.by_owner() {
            // SAFETY: only the owning thread, in task context, touches `expected`.
            unsafe { *self.expected.get() = Some(e) };
        }
    }

    /// At the thread's next `sys_enter`.
    pub(crate) fn take_expected(&self) -> Option<Expected> {
        self.by_owner().then(|| {
            // SAFETY: only the owning thread, in task context, touches `expected`.
            unsafe { (*self.expected.get()).take() }
        })?
    }

    /// At the thread's next `sys_exit`, or a signal delivered to it.
    pub(crate) fn clear_expected(&self) {
        if self.by_owner() {
            // SAFETY: only the owning thread, in task context, touches `expected`.
            unsafe { *self.expected.get() = None };
        }
    }

    /// A re-run mask is held: the state must stay in the table (`UtraceTask::prune`).
    pub(crate) fn active(&self) -> bool {
        self.rerun.load(Acquire) != 0
    }
}
