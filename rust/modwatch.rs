// SPDX-License-Identifier: GPL-2.0

//! Engine modules that go away with engines still attached.
//!
//! The API requires an engine module's exit to detach, barrier and put every engine it
//! attached. One that does not would leave callbacks and a `release` pointing into freed
//! code. utrace watches modules going away (`MODULE_STATE_GOING`, which the kernel sends
//! after the module's exit function, or after a failed init, while its code is still mapped)
//! and, for every attached engine whose callback table lies in that module: marks it
//! orphaned (utrace never calls into it again, not even `release`), detaches it, and waits
//! until no callback of it is running. Its memory is leaked (the module kept references it
//! can no longer drop), and utrace says so in the kernel log.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

use crate::glue;
use crate::task::UtraceTask;

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Starts watching modules (init).
pub(crate) fn register() -> Result {
    // SAFETY: registering our static notifier block once.
    let ret = unsafe { glue::utrace_glue_module_notifier_register() };
    if ret != 0 {
        pr_err!("could not register the module notifier: error {}\n", ret);
        return Err(Error::from_errno(ret));
    }
    REGISTERED.store(true, Ordering::Release);
    Ok(())
}

/// Stops watching (unload).
pub(crate) fn unregister() {
    if REGISTERED.swap(false, Ordering::AcqRel) {
        // SAFETY: unregistering the block `register` registered; process context.
        unsafe { glue::utrace_glue_module_notifier_unregister() };
    }
}

/// Walk callback: collect a reference on each per-task state (under RCU: no sleeping).
///
/// # Safety
///
/// `p` is a table entry (valid under the walk's RCU section), `arg` the `KVec` of `going`.
unsafe extern "C" fn collect(p: *mut c_void, arg: *mut c_void) {
    // SAFETY: per the function's safety requirements.
    let states = unsafe { &mut *arg.cast::<KVec<Arc<UtraceTask>>>() };
    // SAFETY: the table holds a reference on `p` while the walk's RCU section lasts.
    let ut: Arc<UtraceTask> = unsafe { ArcBorrow::<UtraceTask>::from_raw(p.cast()) }.into();
    // An allocation failure only means this state is not looked at; say so below.
    let _ = states.push(ut, GFP_ATOMIC);
}

/// The module notifier's `MODULE_STATE_GOING` handler.
///
/// # Safety
///
/// Called by the glue's notifier with the module going away.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_module_going(module: *mut bindings::module) {
    let mut states: KVec<Arc<UtraceTask>> = KVec::new();
    // SAFETY: `collect` has the walk callback's prototype and only pushes into `states`,
    // which outlives the call.
    unsafe {
        glue::utrace_glue_table_walk(Some(collect), (&raw mut states).cast::<c_void>());
    }
    let mut orphaned = 0usize;
    for ut in states.iter() {
        let Some(list) = ut.snapshot() else { continue };
        for e in list.engines.iter() {
            // SAFETY: `within_module` only compares the address with the module's ranges.
            let ours = unsafe { glue::utrace_glue_within_module(e.ops_ptr().cast(), module) };
            if ours && e.set_orphaned() {
                ut.detach_orphan(e);
                orphaned += 1;
            }
        }
    }
    if orphaned != 0 {
        // SAFETY: the module is valid during its notifier; `name` is NUL-terminated.
        let name = unsafe { core::ffi::CStr::from_char_ptr(glue::utrace_glue_module_name(module)) };
        pr_warn!(
            "module {:?} went away with {} engine(s) still attached: detached them; \
             their memory is leaked (an engine module must detach, barrier and put)\n",
            name,
            orphaned
        );
    }
}
