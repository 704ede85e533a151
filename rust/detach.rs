// SPDX-License-Identifier: GPL-2.0

//! Detaching engines, and what a detach sets off: the probes its events needed are given
//! back, the wake-ups its callbacks deferred are delivered early, and a thread it kept
//! stopped is let go if no other engine wants it stopped.
//!
//! An engine is detached by its owner (`utrace_control(DETACH)`, [`detach_engine`]), by
//! its own callback's answer (`report.rs`), when its module goes away ([`detach_orphan`],
//! `modwatch.rs`), or with all the others when the task is reaped or utrace unloads
//! ([`detach_all`]). Its attached reference is dropped by whoever ends last: the detacher,
//! or the thread when a callback of the engine was in flight (`UtraceTask::start_callback`,
//! `finish_callback`).

use kernel::prelude::*;

use crate::engine::Engine;
use crate::glue;
use crate::hooks;
use crate::stop;
use crate::task::UtraceTask;

/// Marks `engine` detached and gives back the probes its events needed. Returns false if
/// it already was detached.
pub(crate) fn mark_detached(ut: &UtraceTask, engine: &Engine) -> bool {
    let (first, events) = ut.mark_detached(engine);
    if first {
        hooks::drop_needs(events | hooks::ATTACHED);
        // Its deferred wake-ups go now: its module may free their queues once it has
        // detached and `utrace_barrier` returned.
        ut.deliver_deferred_of(engine);
        // A detached engine no longer keeps the thread stopped.
        stop::recheck(ut);
        // Its watchpoints go (unregistered by a work item: this may be atomic context).
        crate::trap::detached(ut, engine);
    }
    first
}

/// Detaches `engine` on request of another thread (or of the task itself outside the
/// engine's callbacks, `is_current`). Returns `ESRCH` if it already was detached, and
/// `EINPROGRESS` if a callback of it may be running on another thread (which then drops
/// the attached reference when the callback ends).
pub(crate) fn detach_engine(ut: &UtraceTask, engine: &Engine, is_current: bool) -> Result {
    if !mark_detached(ut, engine) {
        return Err(ESRCH);
    }
    let in_flight = ut.is_reporting(engine);
    if !in_flight {
        engine.drop_attach_ref();
    }
    ut.prune();
    if in_flight && !is_current {
        return Err(EINPROGRESS);
    }
    Ok(())
}

/// Detaches an engine whose module is going away, and waits until no callback of it and
/// no drop of its attached reference is running (the module's code is still mapped
/// while its `MODULE_STATE_GOING` notifier runs). Process context; may sleep.
pub(crate) fn detach_orphan(ut: &UtraceTask, engine: &Engine) {
    mark_detached(ut, engine);
    // Both ends are signalled on the barrier queue (`finish_callback`,
    // `Engine::mark_ref_dropped`).
    let _ = glue::barrier_wait_until(
        &|| !ut.is_reporting(engine) && !engine.attach_ref_dropping(),
        false,
    );
    engine.drop_attach_ref();
    ut.prune();
}

/// Detaches every engine (reap, unload): no callback is running any more.
pub(crate) fn detach_all(ut: &UtraceTask) {
    let Some(list) = ut.unpublish() else {
        return;
    };
    for e in list.engines.iter() {
        mark_detached(ut, e);
        e.drop_attach_ref();
    }
    ut.remove_emptied();
    crate::step::forget(ut);
    crate::entrymask::forget(ut);
}
