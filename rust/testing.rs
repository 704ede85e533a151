// SPDX-License-Identifier: GPL-2.0

//! Test-only fault injection: widening race windows so that the race tests hit them.
//!
//! Some races need two threads to interleave inside a window of a few instructions; a loop
//! test on a slow virtual machine almost never lands there. With the module parameters
//! `test_delay_mask` (a bit per [`Window`]) and `test_delay_us`, utrace waits that long at
//! the named point, and counts the entries (debugfs `state`, `test_windows`), so that a test
//! can act while a thread is inside the window: it then hits the race every time. Both are 0
//! (no delay, one load per point) unless a test sets them; nothing else uses this.

use crate::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use kernel::time::{delay, Delta};

/// A race window that a test can widen.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum Window {
    /// `utrace_attach_task()` without CREATE: between finding the engine and taking the
    /// reference (`UtraceTask::find_engine`), under the task's lock.
    Lookup = 0,
    /// `utrace_attach_task()`: between entering the per-task state in the table (and its
    /// `pid_alive()` check) and adding the engine to it.
    Attach = 1,
    /// `utrace_regset_set()`/`_get()`: between the check that the thread is stopped and the
    /// register access.
    Regset = 2,
    /// The workqueue's deferred probe (un)registration, before it starts: a work item that
    /// runs late.
    ProbeSync = 3,
    /// `sched_prepare_exec`, after the privileged-exec decision: a thread of the exec'ing
    /// one's group attaching meanwhile (before `de_thread()` kills it).
    PrepareExec = 4,
    /// The lingering probe unregistration (`Hooks::sync`), between finding a probe no
    /// longer needed and unregistering it: a need coming back meanwhile.
    ProbeUnregister = 5,
    /// A task_work item queued for another thread from a context that can sleep: before it
    /// is handed to task_work (an embedded one after it is claimed), while the thread runs
    /// on (`utrace_control(SINGLESTEP)` of a stepping thread, `utrace_set_events()` turning
    /// on a signal event).
    RemoteQueue = 6,
    /// The signal interception item, between the engines' report and acting on their
    /// answer (`signal::intercept`): the signal taken by another thread of the group
    /// meanwhile.
    SignalDecision = 7,
}

static MASK: Atomic<u32> = Atomic::new(0);
static MICROS: Atomic<u32> = Atomic::new(0);
/// How many times a widened window was entered: a test polls it (debugfs `state`,
/// `test_windows`) to act while another thread is inside the window.
static ENTERED: Atomic<u32> = Atomic::new(0);

/// `Some(count of windows entered)` if a test widened any, for debugfs.
pub(crate) fn entered() -> Option<u32> {
    (MASK.load(Acquire) != 0).then(|| ENTERED.load(Acquire))
}

/// Sets the windows to widen (module init, from the parameters).
pub(crate) fn init(mask: u32, micros: u32) {
    MICROS.store(micros, Relaxed);
    MASK.store(mask, Release);
}

/// Waits at window `w` if a test asked for it: sleeps if the caller can, else spins (at most
/// 100 ms, in 1 ms steps).
pub(crate) fn delay(w: Window) {
    if MASK.load(Acquire) & (1 << w as u32) == 0 {
        return;
    }
    ENTERED.fetch_add(1, Full);
    let us = i64::from(MICROS.load(Relaxed));
    if crate::glue::can_sleep() {
        delay::fsleep(Delta::from_micros(us));
    } else {
        for _ in 0..us.min(100_000) / 1000 {
            delay::udelay(Delta::from_micros(1000));
        }
    }
}
