// SPDX-License-Identifier: GPL-2.0

//! The signal interception state of one thread: data and its locking rule only. What it
//! means is `signal.rs` (the decisions) and `work.rs` (the item that makes them).
//!
//! - [`Approved`] (in `UtraceTask`): the signals the engines approved for `get_signal()` to
//!   take as they are. Only the thread itself touches it (its item and its `signal_deliver`
//!   probe), so relaxed atomics suffice.
//! - [`Held`] (in `UtraceTask::inner`, under that lock): the signal a thread holds while it
//!   is stopped at a signal report, and the decision that its resume applies, which
//!   `utrace_set_signal()` may change from another thread meanwhile.

use kernel::ffi::c_int;
use kernel::sync::atomic::{Atomic, Relaxed};

use crate::glue::SigInfo;

/// The bit of signal `sig` (1..=64) in a set.
pub(crate) fn bit(sig: c_int) -> u64 {
    if (1..=64).contains(&sig) {
        1u64 << (sig - 1)
    } else {
        0
    }
}

/// The signals approved by the engines (`UTRACE_SIGNAL_DELIVER`), not yet taken.
pub(crate) struct Approved(Atomic<u64>);

impl Approved {
    pub(crate) const fn new() -> Self {
        Approved(Atomic::new(0))
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }

    pub(crate) fn set(&self, set: u64) {
        self.0.store(set, Relaxed);
    }

    /// Marks `sig` approved.
    pub(crate) fn add(&self, sig: c_int) {
        self.set(self.get() | bit(sig));
    }

    /// Whether `sig` was approved; the approval is used up.
    pub(crate) fn take(&self, sig: c_int) -> bool {
        let set = self.get();
        if set & bit(sig) == 0 {
            return false;
        }
        self.set(set & !bit(sig));
        true
    }
}

/// A signal held by a stopped thread, and what to do with it when it resumes.
#[derive(Clone, Copy)]
pub(crate) struct HeldSignal {
    /// The signal as it was dequeued.
    pub(crate) orig: SigInfo,
    /// The decision: a `UTRACE_SIGNAL_*` action and, for DELIVER, the siginfo to deliver.
    pub(crate) action: u32,
    pub(crate) info: SigInfo,
    /// The signal's natural disposition (the `UTRACE_EVENT(SIGNAL*)` bit of its action).
    pub(crate) event: usize,
}

/// The held signal of a thread (in `Inner`, under its lock).
pub(crate) struct Held(pub(crate) Option<HeldSignal>);

impl Held {
    pub(crate) const fn new() -> Self {
        Held(None)
    }
}
