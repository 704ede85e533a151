// SPDX-License-Identifier: GPL-2.0

//! Engine modules that go away with engines still attached.
//!
//! The API requires an engine module's exit to detach, barrier and put every engine it
//! attached. One that does not would leave callbacks and a `release` pointing into freed
//! code. utrace watches modules going away (`MODULE_STATE_GOING`, which the kernel sends
//! after the module's exit function, or after a failed init, while its code is still mapped)
//! and, for every attached engine whose callback table lies in that module: marks it
//! orphaned (utrace never calls into it again, not even `release`), detaches it, and waits
//! until no callback of it is running. The references the module kept can never be put:
//! utrace keeps the engine (`engine::keep_orphan`) and frees it when it unloads, and says
//! so in the kernel log.
//!
//! The notifier comes only after the exit function. To not call into a module whose exit
//! has begun, utrace also tracks the modules that come after it (the glue's list: every
//! engine module does), records at attach which one holds the engine's callbacks, and
//! checks the module's state (`MODULE_STATE_GOING` is set before the exit function runs)
//! before each callback and before a `release` it makes itself.

use crate::atomic::{Atomic, Full, Release};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::glue;
use crate::task::UtraceTask;

static REGISTERED: Atomic<bool> = Atomic::new(false);

/// Starts watching modules (init).
pub(crate) fn register() -> Result {
    // SAFETY: registering our static notifier block once.
    let ret = unsafe { glue::utrace_glue_module_notifier_register() };
    if ret != 0 {
        pr_err!("could not register the module notifier: error {}\n", ret);
        return Err(Error::from_errno(ret));
    }
    REGISTERED.store(true, Release);
    Ok(())
}

/// Stops watching (unload).
pub(crate) fn unregister() {
    if REGISTERED.xchg(false, Full) {
        // SAFETY: unregistering the block `register` registered; process context.
        unsafe { glue::utrace_glue_module_notifier_unregister() };
    }
}

/// What the table walk collects into: a reference on each per-task state, in a vector
/// reserved beforehand (the walk runs under RCU: no allocation that may sleep, and an
/// atomic one could fail and drop a state silently). `missed` counts the states that did
/// not fit (the table grew since the count): the caller reserves more and walks again.
struct Collect {
    states: KVec<Arc<UtraceTask>>,
    missed: usize,
}

/// A reference on every per-task state in the table. Process context: counts, reserves
/// with `GFP_KERNEL` outside the walk, collects, and starts over if the table grew. Only
/// an allocation failure of `GFP_KERNEL`, or a table that keeps growing faster than the
/// reservations, gives `None` (the caller waits and asks again).
fn collect_states() -> Option<KVec<Arc<UtraceTask>>> {
    let mut want = 0usize;
    crate::task::for_each_state(|_| want += 1);
    for _ in 0..100 {
        // Slack for states created while we allocate.
        let mut c = Collect {
            states: KVec::with_capacity(want + want / 4 + 16, GFP_KERNEL).ok()?,
            missed: 0,
        };
        crate::task::for_each_state(|ut| {
            if c.states.len() == c.states.capacity() {
                c.missed += 1;
            } else {
                // Within capacity: no allocation, cannot fail.
                let _ = c.states.push(ut.into(), GFP_NOWAIT);
            }
        });
        if c.missed == 0 {
            return Some(c.states);
        }
        want = c.states.len() + c.missed;
    }
    None
}

/// The module notifier's `MODULE_STATE_GOING` handler.
///
/// The module's exit function has run (or its init failed); its code and data are still
/// mapped until this returns. First the module is marked gone (no `release` into it from
/// then on) and the releases utrace is making are waited for; the releases it deferred to
/// process context run (those of the module's engines are skipped, see
/// `Engine::release_from_utrace`). Then every engine whose callbacks lie in the module is
/// orphaned (never called again, not even `release`), detached, and waited for if a
/// callback of it is running. A callback in flight can attach a new engine of the module
/// (to a child, say): the walk is repeated until it finds none.
///
/// What cannot be done: between the module's exit function and this notifier, utrace
/// does not call into the module's engines (`MODULE_STATE_GOING` is set before the exit
/// function runs and `start_callback` checks it), but a callback that began before can
/// still be running while the exit function tears down its data; and an engine the module
/// detached without `utrace_barrier()` and whose callback is still in flight is in no list
/// for this walk to find. Both are the module's bug (its exit must detach, barrier and
/// put); the kernel offers no hook before the exit function to do better.
///
/// # Safety
///
/// Called by the glue's notifier with the module going away, under `utrace_going_mutex`
/// (one module at a time: a second mark would replace the first, and a `release` into the
/// first could then be made after its GOING began).
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_module_going(module: *mut bindings::module) {
    // No `release` into the module from here on, and none still running.
    crate::engine::begin_module_going(module);
    going(module);
    crate::engine::end_module_going();
}

/// The GOING handler's work, with the module marked gone.
fn going(module: *mut bindings::module) {
    crate::engine::flush_deferred_releases();
    let mut orphaned = 0usize;
    let mut warned = false;
    loop {
        // Without the list, engines whose callbacks point into the module would stay
        // attached once its memory is freed: wait for memory instead of giving up.
        let Some(states) = collect_states() else {
            if !warned {
                pr_warn!("no memory to look for the engines of a module going away: retrying\n");
                warned = true;
            }
            // Process context (the module notifier).
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(100));
            continue;
        };
        let mut found = 0usize;
        for ut in states.iter() {
            let Some(list) = ut.snapshot() else { continue };
            for e in list.engines.iter() {
                // SAFETY: `within_module` only compares the address with the module's ranges.
                let ours = unsafe { glue::utrace_glue_within_module(e.ops_ptr().cast(), module) };
                if ours && e.set_orphaned() {
                    crate::detach::detach_orphan(ut, e);
                    crate::engine::keep_orphan(e);
                    found += 1;
                }
            }
        }
        if found == 0 {
            break;
        }
        orphaned += found;
    }
    if orphaned != 0 {
        // SAFETY: the module is valid during its notifier; `name` is NUL-terminated.
        let name = unsafe { core::ffi::CStr::from_char_ptr(glue::utrace_glue_module_name(module)) };
        pr_warn!(
            "module {:?} went away with {} engine(s) still attached: detached them; \
             their memory is kept until utrace unloads (an engine module must detach, \
             barrier and put)\n",
            name,
            orphaned
        );
    }
}
