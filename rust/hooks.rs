// SPDX-License-Identifier: GPL-2.0

//! The kernel tracepoints utrace hooks, found by name.
//!
//! None of these tracepoints is exported to modules (`EXPORT_TRACEPOINT_SYMBOL` covers none
//! of them), but `for_each_kernel_tracepoint()` is: it walks every tracepoint built into
//! vmlinux, and `tracepoint_probe_register()` attaches to any of them. So the module finds
//! each one by name at load time and refuses to load if one is missing, rather than
//! discovering later that an event can never be reported.
//!
//! Probes are registered only while some engine wants an event that needs them (the core
//! does that); finding them is all this file does at load time.

use core::ffi::{c_void, CStr};
use core::fmt;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// Every tracepoint utrace hooks, and the events each one feeds.
pub(crate) const HOOKS: &[(&CStr, &str)] = &[
    (c"sys_enter", "SYSCALL_ENTRY"),
    (c"sys_exit", "SYSCALL_EXIT"),
    (c"task_newtask", "CLONE (clone flags)"),
    (c"sched_process_fork", "CLONE"),
    (c"sched_process_exec", "EXEC"),
    (c"sched_process_exit", "EXIT, DEATH"),
    (c"sched_process_free", "REAP"),
    (c"signal_generate", "SIGNAL, JCTL"),
    (c"signal_deliver", "SIGNAL_*"),
];

/// A name that no kernel defines, required only when the `test_missing_tracepoint`
/// parameter is set, to exercise the refusal path.
const TEST_MISSING: (&CStr, &str) = (c"utrace_test_no_such_tracepoint", "test only");

/// A tracepoint built into vmlinux.
///
/// Invariant: points to a `struct tracepoint` in vmlinux's `__tracepoints` section, which
/// lives as long as the kernel and whose `name` is never changed.
#[derive(Clone, Copy)]
pub(crate) struct Tracepoint(NonNull<bindings::tracepoint>);

// SAFETY: a vmlinux tracepoint is static kernel data, valid from any CPU and thread; the
// tracepoint API it is passed to does its own locking.
unsafe impl Send for Tracepoint {}
// SAFETY: see `Send`; shared references only read the immutable `name`.
unsafe impl Sync for Tracepoint {}

impl Tracepoint {
    /// The tracepoint's name, e.g. `sys_enter`.
    pub(crate) fn name(&self) -> &'static CStr {
        // SAFETY: by the type invariant the tracepoint is static and `name` points to a
        // NUL-terminated string literal set at build time.
        unsafe { CStr::from_char_ptr((*self.0.as_ptr()).name) }
    }

    /// Raw pointer for `tracepoint_probe_register()` and friends.
    #[allow(dead_code)] // Used by the core once probes are registered.
    pub(crate) fn as_ptr(&self) -> *mut bindings::tracepoint {
        self.0.as_ptr()
    }
}

/// The tracepoints found at load time, in [`HOOKS`] order.
pub(crate) struct Hooks {
    found: KVec<(Tracepoint, &'static str)>,
}

/// Search state handed through `for_each_kernel_tracepoint()`'s `priv` pointer.
struct Search<'a> {
    wanted: &'a [(&'static CStr, &'static str)],
    found: &'a mut [Option<Tracepoint>],
}

/// Called by `for_each_kernel_tracepoint()` for every vmlinux tracepoint.
///
/// # Safety
///
/// `tp` must be a valid vmlinux tracepoint and `data` the `Search` passed by [`Hooks::find`].
unsafe extern "C" fn visit(tp: *mut bindings::tracepoint, data: *mut c_void) {
    // SAFETY: `data` is the `&mut Search` that `find` passes; nothing else touches it while
    // `for_each_kernel_tracepoint()` runs, which calls us synchronously.
    let search = unsafe { &mut *data.cast::<Search<'_>>() };
    let Some(tp) = NonNull::new(tp) else { return };
    let tp = Tracepoint(tp);
    let name = tp.name();
    for (slot, (want, _)) in search.found.iter_mut().zip(search.wanted) {
        if slot.is_none() && name == *want {
            *slot = Some(tp);
        }
    }
}

impl Hooks {
    /// Finds every tracepoint in [`HOOKS`] (plus a bogus one if `test_missing`).
    ///
    /// Returns `ENOENT`, after naming each missing tracepoint, if any is not built in.
    pub(crate) fn find(test_missing: bool) -> Result<Self> {
        let mut wanted = KVec::with_capacity(HOOKS.len() + 1, GFP_KERNEL)?;
        wanted.extend_from_slice(HOOKS, GFP_KERNEL)?;
        if test_missing {
            wanted.push(TEST_MISSING, GFP_KERNEL)?;
        }
        let mut found = KVec::with_capacity(wanted.len(), GFP_KERNEL)?;
        for _ in 0..wanted.len() {
            found.push(None, GFP_KERNEL)?;
        }

        let mut search = Search {
            wanted: &wanted,
            found: &mut found,
        };
        // SAFETY: `visit` has the C prototype `void (*)(struct tracepoint *, void *)`, and
        // `search` outlives the call, which does not keep the pointer.
        unsafe {
            bindings::for_each_kernel_tracepoint(Some(visit), (&raw mut search).cast::<c_void>())
        };

        let mut missing = 0;
        let mut hooks = KVec::with_capacity(wanted.len(), GFP_KERNEL)?;
        for (slot, (name, events)) in found.iter().zip(wanted.iter()) {
            match slot {
                Some(tp) => hooks.push((*tp, *events), GFP_KERNEL)?,
                None => {
                    pr_err!(
                        "tracepoint {:?} not found in this kernel (needed for {}); \
                         is CONFIG_FTRACE_SYSCALLS / CONFIG_TRACEPOINTS enabled?\n",
                        name,
                        events
                    );
                    missing += 1;
                }
            }
        }
        if missing != 0 {
            pr_err!("refusing to load: {} tracepoint(s) missing\n", missing);
            return Err(ENOENT);
        }
        Ok(Hooks { found: hooks })
    }

    /// Number of tracepoints found.
    pub(crate) fn len(&self) -> usize {
        self.found.len()
    }

    /// One line per tracepoint: `name found events=...`.
    pub(crate) fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (tp, events) in self.found.iter() {
            writeln!(
                f,
                "{} found events={}",
                tp.name().to_str().unwrap_or("?"),
                events
            )?;
        }
        Ok(())
    }
}
