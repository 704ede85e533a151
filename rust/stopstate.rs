// SPDX-License-Identifier: GPL-2.0

//! The stop state of one thread (`UtraceTask::inner.stop`): data and its locking rule only.
//! What it means and who changes it when is `stop.rs` (parking, letting go,
//! `utrace_wake_up()`) and `examine.rs` (register accesses that hold a stop).
//!
//! Locking: every field is read and written under the task's `inner` spinlock.

use core::ffi::c_void;
use core::ptr;
use kernel::bindings;

use crate::glue;

/// Wake-ups one thread can defer in one pass; more are delivered at once (early, never lost).
const MAX_DEFERRED: usize = 4;

/// One wake-up held back by `utrace_wake_up()`: the queue, and the engine whose callback
/// asked for it (identity only, never dereferenced: its wake-ups go early if it detaches).
#[derive(Clone, Copy)]
struct DeferredWake {
    wq: *mut bindings::wait_queue_head,
    engine: *const c_void,
}

const NO_WAKE: DeferredWake = DeferredWake {
    wq: ptr::null_mut(),
    engine: ptr::null(),
};

/// The stop state of one thread (in `UtraceTask::inner`).
pub(crate) struct StopState {
    /// The thread has committed to sleep in `stop::park` and has not run since.
    pub(crate) stopped: bool,
    /// Register accesses in progress (`examine.rs`): the thread does not leave its stop,
    /// whatever lets it go (resume, detach, SIGKILL), until they are done.
    pub(crate) examiners: u32,
    /// The first of them set `JOBCTL_PTRACE_FROZEN` (SIGKILL does not wake the thread).
    pub(crate) froze: bool,
    /// Let go while accesses were in progress: the thread sleeps uninterruptibly until the
    /// last one wakes it.
    pub(crate) held: bool,
    /// Wake-ups `utrace_wake_up()` deferred in the current pass.
    deferred: [DeferredWake; MAX_DEFERRED],
    ndeferred: usize,
}

// SAFETY: the wait queue pointers are only handed to `wake_up()`, which any thread may call;
// the engine that deferred them keeps them valid until delivered (the API's contract). The
// engine pointers are only compared.
unsafe impl Send for StopState {}

/// What [`StopState::defer`] did.
pub(crate) enum Defer {
    /// The queue's wake-up was deferred in this pass already.
    Already,
    /// Deferred now.
    Deferred,
    /// No room: the caller wakes the queue at once.
    Full,
}

impl StopState {
    pub(crate) const fn new() -> Self {
        StopState {
            stopped: false,
            examiners: 0,
            froze: false,
            held: false,
            deferred: [NO_WAKE; MAX_DEFERRED],
            ndeferred: 0,
        }
    }

    /// Holds back the wake-up of `wq`, asked by a callback of `engine` (identity only).
    pub(crate) fn defer(
        &mut self,
        wq: *mut bindings::wait_queue_head,
        engine: *const c_void,
    ) -> Defer {
        if self.deferred[..self.ndeferred].iter().any(|w| w.wq == wq) {
            return Defer::Already;
        }
        if self.ndeferred == MAX_DEFERRED {
            return Defer::Full;
        }
        self.deferred[self.ndeferred] = DeferredWake { wq, engine };
        self.ndeferred += 1;
        Defer::Deferred
    }

    /// Takes out every deferred wake-up, to deliver once the lock is dropped.
    pub(crate) fn take_deferred(&mut self) -> Deferred {
        let d = Deferred {
            wakes: self.deferred,
            n: self.ndeferred,
        };
        self.ndeferred = 0;
        d
    }

    /// Takes out the wake-ups deferred by `engine`'s callbacks, keeping the others.
    pub(crate) fn take_deferred_of(&mut self, engine: *const c_void) -> Deferred {
        let mut d = Deferred {
            wakes: [NO_WAKE; MAX_DEFERRED],
            n: 0,
        };
        let mut kept = 0;
        for i in 0..self.ndeferred {
            let w = self.deferred[i];
            if ptr::eq(w.engine, engine) {
                d.wakes[d.n] = w;
                d.n += 1;
            } else {
                self.deferred[kept] = w;
                kept += 1;
            }
        }
        self.ndeferred = kept;
        d
    }
}

/// Deferred wake-ups taken out from under the lock, to deliver after it is dropped.
pub(crate) struct Deferred {
    wakes: [DeferredWake; MAX_DEFERRED],
    n: usize,
}

impl Deferred {
    /// Wakes every queue (no lock held).
    pub(crate) fn deliver(self) {
        for w in &self.wakes[..self.n] {
            // SAFETY: `wq` was valid when deferred and the engine keeps it valid until its
            // wake-up is delivered (`utrace_wake_up` contract).
            unsafe { glue::utrace_glue_wake_up(w.wq) };
        }
    }
}
