// SPDX-License-Identifier: GPL-2.0

//! The syscall_work masks of one thread (`UtraceTask::entry_mask`): data and its rules
//! only. When they are set and set back, and why that is sound, is `entrymask.rs`.

use core::cell::UnsafeCell;
use kernel::bindings;
use kernel::sync::atomic::{Acquire, Atomic};

use crate::arch;

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
    /// Only the thread touches it, while `rerun` is nonzero.
    expected: UnsafeCell<Option<Expected>>,
    /// What seccomp filtered at the stopping `sys_enter`, for `entrymask::mask_rerun`. Only
    /// the thread touches it (it has one entry stop at a time).
    filtered: UnsafeCell<Option<Expected>>,
}

// SAFETY: `expected` and `filtered` are only accessed by the thread the state belongs to
// (the accessors' safety requirements); the rest is atomic.
unsafe impl Sync for EntryMask {}
// SAFETY: see `Sync`; the tracer pointers are references handed over with the value.
unsafe impl Send for EntryMask {}

impl EntryMask {
    pub(crate) const fn new() -> Self {
        EntryMask {
            exit: Atomic::new(0),
            exit_tracer: Atomic::new(core::ptr::null_mut()),
            rerun: Atomic::new(0),
            rerun_tracer: Atomic::new(core::ptr::null_mut()),
            expected: UnsafeCell::new(None),
            filtered: UnsafeCell::new(None),
        }
    }

    /// At the stopping `sys_enter`: the call seccomp filtered.
    ///
    /// # Safety
    ///
    /// Called by the thread this state belongs to (as are the four accessors below): the
    /// thread-only slots are never touched by two threads.
    pub(crate) unsafe fn set_filtered(&self, e: Expected) {
        // SAFETY: per the function's safety requirements, only the thread touches `filtered`.
        unsafe { *self.filtered.get() = Some(e) };
    }

    /// In the entry stop's task_work.
    ///
    /// # Safety
    ///
    /// As [`set_filtered`](Self::set_filtered).
    pub(crate) unsafe fn take_filtered(&self) -> Option<Expected> {
        // SAFETY: per the function's safety requirements, only the thread touches `filtered`.
        unsafe { (*self.filtered.get()).take() }
    }

    /// While a re-run mask is held: the call it expects.
    ///
    /// # Safety
    ///
    /// As [`set_filtered`](Self::set_filtered).
    pub(crate) unsafe fn set_expected(&self, e: Expected) {
        // SAFETY: per the function's safety requirements, only the thread touches `expected`.
        unsafe { *self.expected.get() = Some(e) };
    }

    /// At the thread's next `sys_enter`.
    ///
    /// # Safety
    ///
    /// As [`set_filtered`](Self::set_filtered).
    pub(crate) unsafe fn take_expected(&self) -> Option<Expected> {
        // SAFETY: per the function's safety requirements, only the thread touches `expected`.
        unsafe { (*self.expected.get()).take() }
    }

    /// At the thread's next `sys_exit`, or a signal delivered to it.
    ///
    /// # Safety
    ///
    /// As [`set_filtered`](Self::set_filtered).
    pub(crate) unsafe fn clear_expected(&self) {
        // SAFETY: per the function's safety requirements, only the thread touches `expected`.
        unsafe { *self.expected.get() = None };
    }

    /// A re-run mask is held: the state must stay in the table (`UtraceTask::prune`).
    pub(crate) fn active(&self) -> bool {
        self.rerun.load(Acquire) != 0
    }
}
