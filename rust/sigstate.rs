// SPDX-License-Identifier: GPL-2.0

//! The signal interception state of one thread: data and its locking rule only. What it
//! means is `signal.rs` (the decisions) and `work.rs` (the item that makes them).
//!
//! - [`Approved`] (in `UtraceTask`): the signals the engines approved for `get_signal()` to
//!   take as they are. Only the thread itself touches it (its item and its `signal_deliver`
//!   probe), so relaxed atomics suffice.
//! - [`Fresh`] (in `UtraceTask`): the signal numbers queued for the thread since its last
//!   peek. The `signal_generate` probe sets them (any CPU, under the group's siglock), the
//!   peek exchanges the word for 0 under the same siglock, and the thread's re-send clears
//!   the bit of its own signal: atomics, so that the re-send's clear needs no lock. The peek
//!   drops the approval of every fresh number: an approval is for one queued instance, and
//!   one queued since may be another (the approved one cancelled by a ptracer, taken by
//!   another thread or by `sigtimedwait()`, or dropped as ignored), which must be reported.
//! - [`Held`] (in `UtraceTask::inner`, under that lock): the signal a thread holds while it
//!   is stopped at a signal report, and the decision that its resume applies, which
//!   `utrace_set_signal()` may change from another thread meanwhile.

use crate::atomic::{Atomic, Relaxed};
use kernel::ffi::c_int;

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

/// The signal numbers queued for the thread since its last peek (see the file doc).
pub(crate) struct Fresh(Atomic<u64>);

impl Fresh {
    pub(crate) const fn new() -> Self {
        Fresh(Atomic::new(0))
    }

    /// The word, for the peek (which exchanges it for 0 under siglock).
    pub(crate) fn word(&self) -> &Atomic<u64> {
        &self.0
    }

    fn update(&self, f: impl Fn(u64) -> u64) {
        let mut old = self.0.load(Relaxed);
        loop {
            match self.0.cmpxchg(old, f(old), Relaxed) {
                Ok(_) => return,
                Err(now) => old = now,
            }
        }
    }

    /// `sig` was queued for the thread (the `signal_generate` probe).
    pub(crate) fn mark(&self, sig: c_int) {
        if self.0.load(Relaxed) & bit(sig) == 0 {
            self.update(|w| w | bit(sig));
        }
    }

    /// The thread's own re-send of `sig`, about to be approved: not another instance.
    pub(crate) fn clear(&self, sig: c_int) {
        self.update(|w| w & !bit(sig));
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
    /// A trap utrace took over from the kernel (`trap.rs`): delivered unchanged, it is
    /// forced as the kernel would have (`force_sig()`), not merely sent.
    pub(crate) forced: bool,
}

/// The held signal of a thread (in `Inner`, under its lock).
pub(crate) struct Held(pub(crate) Option<HeldSignal>);

impl Held {
    pub(crate) const fn new() -> Self {
        Held(None)
    }
}
