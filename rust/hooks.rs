// SPDX-License-Identifier: GPL-2.0

//! The kernel tracepoints utrace hooks: found by name at load, registered on demand.
//!
//! None of these tracepoints is exported to modules (`EXPORT_TRACEPOINT_SYMBOL` covers none
//! of them), but `for_each_kernel_tracepoint()` is: it walks every tracepoint built into
//! vmlinux, and `tracepoint_probe_register()` attaches to any of them. So the module finds
//! each one by name at load time and refuses to load if one is missing, rather than
//! discovering later that an event can never be reported.
//!
//! A probe is registered only while some attached engine wants an event that needs it
//! ([`engine_events_changed`] counts, per tracepoint, the engines that need it): with no
//! engine asking for syscall events, `sys_enter`/`sys_exit` carry no probe of ours. The
//! reap probe is needed by every attached engine, to clean up when its task is freed.
//!
//! Registration takes a mutex and may sleep. When an engine's new events need a probe that
//! is not registered yet, it is registered before `utrace_set_events()` returns if the caller
//! can sleep (every callback but `report_signal` and `report_reap`, and any process context);
//! otherwise from a workqueue, soon after (documented). Unregistration is always deferred
//! to the workqueue: a probe with nothing to report costs one table lookup meanwhile.

use core::ffi::{c_void, CStr};
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use kernel::bindings;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::abi;
use crate::glue;
use crate::probes;

/// A pseudo event bit: the engine is attached (it needs the reap probe).
pub(crate) const ATTACHED: usize = 1 << (usize::BITS - 1);

/// A pseudo event bit: a thread of the engine's task is stepping (`step.rs`): the probes
/// that end a step or clean up after it must stay registered.
pub(crate) const STEPPING: usize = 1 << (usize::BITS - 2);

/// A pseudo event bit: a thread holds a syscall_work mask (`entrymask.rs`): the probes that
/// set it back must stay registered.
pub(crate) const MASKED: usize = 1 << (usize::BITS - 3);

/// A pseudo event bit: needed as long as utrace is loaded (taken once by
/// [`Hooks::activate`]). The exec probe carries it: an exec that gains privilege must detach
/// the engines not allowed to follow it (`access.rs`) whatever the engines' events, and a
/// probe registered on demand could still be pending (registration deferred from an atomic
/// context) when the exec comes.
pub(crate) const PERMANENT: usize = 1 << (usize::BITS - 4);

/// One hooked tracepoint.
pub(crate) struct HookDef {
    pub(crate) name: &'static CStr,
    /// The engine events (or [`ATTACHED`]) that need this probe; 0 for none (yet).
    pub(crate) events: usize,
    /// What it feeds, for debugfs and documentation.
    pub(crate) feeds: &'static str,
}

/// Every tracepoint utrace hooks. The index is the probe's identity (see `probe_fn`).
pub(crate) const HOOKS: &[HookDef] = &[
    HookDef {
        name: c"sys_enter",
        events: abi::EVENT_SYSCALL_ENTRY | MASKED,
        feeds: "SYSCALL_ENTRY, entry masks",
    },
    HookDef {
        name: c"sys_exit",
        // SYSCALL_ENTRY too: a re-run that never reaches `sys_enter` (seccomp refused it)
        // is forgotten at its exit, so that a later syscall from the same place is not
        // taken for it.
        events: abi::EVENT_SYSCALL_EXIT | abi::EVENT_SYSCALL_ENTRY | STEPPING | MASKED,
        feeds: "SYSCALL_EXIT, SYSCALL_ENTRY re-runs, stepping, entry masks",
    },
    HookDef {
        name: c"task_newtask",
        events: abi::EVENT_CLONE | STEPPING,
        feeds: "CLONE, stepping",
    },
    HookDef {
        name: c"sched_process_fork",
        events: 0,
        feeds: "none yet (vfork completion)",
    },
    HookDef {
        name: c"sched_process_exec",
        events: abi::EVENT_EXEC | PERMANENT,
        feeds: "EXEC, privileged-exec policy (always)",
    },
    HookDef {
        name: c"sched_process_exit",
        events: abi::EVENT_EXIT | abi::EVENT_DEATH,
        feeds: "EXIT, DEATH",
    },
    HookDef {
        name: c"sched_process_free",
        events: ATTACHED | STEPPING,
        feeds: "REAP, cleanup",
    },
    HookDef {
        name: c"signal_generate",
        events: 0,
        feeds: "none yet (JCTL)",
    },
    HookDef {
        name: c"signal_deliver",
        // SYSCALL_ENTRY too: a signal delivered before an entry stop's re-run sets the
        // re-run's masks back (`entrymask.rs`); registered with the engines that can stop
        // there, MASKED does not register and unregister it at every stop.
        events: abi::EVENT_SIGNAL_ALL | abi::EVENT_SYSCALL_ENTRY | STEPPING | MASKED,
        feeds: "SIGNAL_*, stepping, entry masks",
    },
];

const NHOOKS: usize = HOOKS.len();

/// The probe function for hook `i`, as the untyped pointer the tracepoint API takes.
fn probe_fn(i: usize) -> Option<*mut c_void> {
    let f: *const () = match HOOKS[i].name.to_bytes() {
        b"sys_enter" => probes::sys_enter as *const (),
        b"sys_exit" => probes::sys_exit as *const (),
        b"task_newtask" => probes::task_newtask as *const (),
        b"sched_process_exec" => probes::sched_process_exec as *const (),
        b"sched_process_exit" => probes::sched_process_exit as *const (),
        b"sched_process_free" => probes::sched_process_free as *const (),
        b"signal_deliver" => probes::signal_deliver as *const (),
        _ => return None,
    };
    Some(f.cast_mut().cast())
}

/// A name that no kernel defines, required only when the `test_missing_tracepoint`
/// parameter is set, to exercise the refusal path.
const TEST_MISSING: &CStr = c"utrace_test_no_such_tracepoint";

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
}

/// Search state handed through `for_each_kernel_tracepoint()`'s `priv` pointer.
struct Search<'a> {
    wanted: &'a [&'static CStr],
    found: &'a mut [Option<Tracepoint>],
}

/// Called by `for_each_kernel_tracepoint()` for every vmlinux tracepoint.
///
/// # Safety
///
/// `tp` must be a valid vmlinux tracepoint and `data` the `Search` passed by `find`.
unsafe extern "C" fn visit(tp: *mut bindings::tracepoint, data: *mut c_void) {
    // SAFETY: `data` is the `&mut Search` that `find` passes; nothing else touches it while
    // `for_each_kernel_tracepoint()` runs, which calls us synchronously.
    let search = unsafe { &mut *data.cast::<Search<'_>>() };
    let Some(tp) = NonNull::new(tp) else { return };
    let tp = Tracepoint(tp);
    let name = tp.name();
    for (slot, want) in search.found.iter_mut().zip(search.wanted) {
        if slot.is_none() && name == *want {
            *slot = Some(tp);
        }
    }
}

/// Finds the tracepoints named in `wanted`, in order; `ENOENT` after naming each missing one.
fn find(wanted: &[&'static CStr]) -> Result<KVec<Tracepoint>> {
    let mut found = KVec::with_capacity(wanted.len(), GFP_KERNEL)?;
    for _ in 0..wanted.len() {
        found.push(None, GFP_KERNEL)?;
    }
    let mut search = Search {
        wanted,
        found: &mut found,
    };
    // SAFETY: `visit` has the C prototype `void (*)(struct tracepoint *, void *)`, and
    // `search` outlives the call, which does not keep the pointer.
    unsafe {
        bindings::for_each_kernel_tracepoint(Some(visit), (&raw mut search).cast::<c_void>())
    };

    let mut missing = 0;
    let mut tps = KVec::with_capacity(wanted.len(), GFP_KERNEL)?;
    for (slot, name) in found.iter().zip(wanted.iter()) {
        match slot {
            Some(tp) => tps.push(*tp, GFP_KERNEL)?,
            None => {
                pr_err!(
                    "tracepoint {:?} not found in this kernel; \
                     is CONFIG_FTRACE_SYSCALLS / CONFIG_TRACEPOINTS enabled?\n",
                    name
                );
                missing += 1;
            }
        }
    }
    if missing != 0 {
        pr_err!("refusing to load: {} tracepoint(s) missing\n", missing);
        return Err(ENOENT);
    }
    Ok(tps)
}

/// The hooks of the loaded module.
#[pin_data]
pub(crate) struct Hooks {
    tps: KVec<Tracepoint>,
    /// Which probes are registered; the mutex serialises (un)registration.
    #[pin]
    registered: Mutex<[bool; NHOOKS]>,
    /// Set at unload: register nothing any more.
    shutting_down: AtomicBool,
}

/// Per hook, how many attached engines need its probe. Global because engines change
/// their events from any context, including atomic ones.
static NEED: [AtomicUsize; NHOOKS] = [const { AtomicUsize::new(0) }; NHOOKS];

/// The loaded module's hooks, for `sync` (set between init and exit).
static ACTIVE: AtomicPtr<Hooks> = AtomicPtr::new(core::ptr::null_mut());

impl Hooks {
    /// Finds every tracepoint in [`HOOKS`] (plus a bogus one if `test_missing`).
    pub(crate) fn find(test_missing: bool) -> Result<Arc<Self>> {
        let mut wanted = KVec::with_capacity(NHOOKS + 1, GFP_KERNEL)?;
        for h in HOOKS {
            wanted.push(h.name, GFP_KERNEL)?;
        }
        if test_missing {
            wanted.push(TEST_MISSING, GFP_KERNEL)?;
        }
        let tps = find(&wanted)?;
        Arc::pin_init(
            pin_init!(Hooks {
                tps,
                registered <- new_mutex!([false; NHOOKS]),
                shutting_down: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Makes the hooks the active ones: probes get registered as engines need them.
    pub(crate) fn activate(this: &Arc<Self>) {
        ACTIVE.store(Arc::as_ptr(this).cast_mut(), Ordering::Release);
        // Registered now (module init can sleep), unregistered by `shutdown`.
        engine_events_changed(0, PERMANENT);
    }

    /// Number of tracepoints found.
    pub(crate) fn len(&self) -> usize {
        HOOKS.len()
    }

    /// Registers the probes that are needed and unregisters those that are not.
    fn sync(&self) {
        let mut reg = self.registered.lock();
        let down = self.shutting_down.load(Ordering::Acquire);
        for (i, tp) in self.tps.iter().enumerate().take(NHOOKS) {
            let Some(probe) = probe_fn(i) else { continue };
            let want = !down && NEED[i].load(Ordering::Acquire) != 0;
            if want == reg[i] {
                continue;
            }
            // SAFETY: `tp` is a vmlinux tracepoint; `probe` has exactly the prototype of the
            // tracepoint's probes (see `probes.rs`) and stays valid until the module is gone
            // (unload unregisters everything and waits for running probes).
            let ret = unsafe {
                if want {
                    bindings::tracepoint_probe_register(tp.0.as_ptr(), probe, core::ptr::null_mut())
                } else {
                    bindings::tracepoint_probe_unregister(
                        tp.0.as_ptr(),
                        probe,
                        core::ptr::null_mut(),
                    )
                }
            };
            if ret == 0 {
                reg[i] = want;
            } else {
                pr_err!(
                    "could not {}register the {:?} probe: error {}\n",
                    if want { "" } else { "un" },
                    tp.name(),
                    ret
                );
            }
        }
    }

    /// Unload: unregister every probe and wait until none is running.
    pub(crate) fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        // SAFETY: cancelling our own work item is always valid.
        unsafe { glue::utrace_glue_cancel_sync() };
        self.sync();
        // SAFETY: waits for the tracepoint grace periods; we are in process context.
        unsafe { glue::utrace_glue_tracepoint_sync() };
        ACTIVE.store(core::ptr::null_mut(), Ordering::Release);
    }

    /// One line per tracepoint: `name found registered=yes|no feeds=...`.
    pub(crate) fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reg = self.registered.lock();
        for (i, tp) in self.tps.iter().enumerate().take(NHOOKS) {
            writeln!(
                f,
                "{} found registered={} engines={} feeds={}",
                tp.name().to_str().unwrap_or("?"),
                if reg[i] { "yes" } else { "no" },
                NEED[i].load(Ordering::Relaxed),
                HOOKS[i].feeds
            )?;
        }
        Ok(())
    }
}

fn sync_active() {
    let p = ACTIVE.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: `ACTIVE` is set while the module's `Hooks` is alive; it is cleared at
        // unload before the work item is cancelled and the `Hooks` dropped.
        unsafe { (*p).sync() };
    }
}

/// The deferred (un)registration work, called by the glue's work item.
#[no_mangle]
pub(crate) extern "C" fn utrace_rust_sync_probes() {
    sync_active();
}

/// An engine's event mask changed from `old` to `new` (each with [`ATTACHED`] while it is
/// attached): adjust the per-probe counts, and the registrations with them.
pub(crate) fn engine_events_changed(old: usize, new: usize) {
    let mut register_now = false;
    let mut deferred = false;
    for (i, h) in HOOKS.iter().enumerate() {
        let (was, is) = (old & h.events != 0, new & h.events != 0);
        if is && !was && NEED[i].fetch_add(1, Ordering::AcqRel) == 0 {
            register_now = true;
        }
        if was && !is && NEED[i].fetch_sub(1, Ordering::AcqRel) == 1 {
            deferred = true;
        }
    }
    if register_now {
        // SAFETY: only reads the preempt count and irq state.
        if unsafe { glue::utrace_glue_can_sleep() } {
            sync_active();
        } else {
            deferred = true;
        }
    }
    if deferred {
        // SAFETY: queueing our own static work item is valid in any context.
        unsafe { glue::utrace_glue_schedule_sync() };
    }
}
