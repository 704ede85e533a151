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
//! ([`add_needs`] and [`drop_needs`] count, per tracepoint, the engines that need it): with no
//! engine asking for syscall events, `sys_enter`/`sys_exit` carry no probe of ours. The
//! reap probe is needed by every attached engine, to clean up when its task is freed.
//!
//! The probes of a thread's end, `sched_process_exit` (EXIT, DEATH) and `sched_process_free`
//! (REAP, cleanup), are registered from load to unload ([`Hooks::start`]): what needs them
//! (the first attach, DEATH set from `report_signal`) may come where no probe can be
//! registered, and then could not be lost.
//!
//! Registration takes a mutex and may sleep, and must not happen inside a tracepoint's read
//! section: `tracepoint_add_func()` (a 0->1 after a 1->0, of any tracepoint: the snapshot is
//! global) waits for an SRCU grace period of `tracepoint_srcu`, and the non-faultable
//! tracepoints (`task_newtask`, `sched_process_exec`, `sched_process_exit`) call their probes
//! inside that SRCU read section: the thread would wait for itself. Another thread holding
//! `tracepoints_mutex` in that wait, while this one blocks on the mutex, deadlocks just as
//! well. So the rule ([`add_needs`]): a probe an engine's new events need is registered
//! before `utrace_set_events()` returns when the caller can sleep (preemptible, interrupts
//! on, not under `rcu_read_lock()`) and is not inside one of those probes (a callback of
//! `report_clone`, `report_exec`, `report_exit`; utrace marks the thread while it runs
//! them). Elsewhere (those callbacks, `report_signal`, `report_reap`, any atomic context)
//! it is registered by the workqueue, and by the target thread itself in task_work before it
//! next returns to user mode (`work::queue_sync_probes`): events the thread meets in the
//! kernel before that (the exit of the syscall in progress) may be missed; none after.
//! The faultable syscall tracepoints run their probes under RCU Tasks Trace, which no
//! registration waits for: their callbacks register synchronously. Unregistration is always
//! deferred to the workqueue, and lingers: a probe is unregistered once nothing has needed
//! it for a second (the glue's `UTRACE_PROBE_LINGER`), so that a need given back and taken
//! again at once (a debugger's every single step takes the step probes) does not pay a
//! registration each time: tens of milliseconds of text patching and grace periods under
//! TCG, a 4-10x slower step. A probe with nothing to report costs one table lookup
//! meanwhile.

use crate::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use core::ffi::{c_void, CStr};
use core::fmt;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::barrier::smp_mb;
use kernel::sync::{Arc, Mutex};

use crate::abi;
use crate::glue;

/// A pseudo event bit: the engine is attached (it needs the reap probe).
pub(crate) const ATTACHED: usize = 1 << (usize::BITS - 1);

/// A pseudo event bit: a thread of the engine's task is stepping (`step.rs`): the probes
/// that end a step or clean up after it must stay registered.
pub(crate) const STEPPING: usize = 1 << (usize::BITS - 2);

/// A pseudo event bit: a thread holds a syscall_work mask (`entrymask.rs`): the probes that
/// set it back must stay registered.
pub(crate) const MASKED: usize = 1 << (usize::BITS - 3);

/// One hooked tracepoint.
pub(crate) struct HookDef {
    pub(crate) name: &'static CStr,
    /// The engine events (or [`ATTACHED`]) that need this probe; 0 for none (yet).
    pub(crate) events: usize,
    /// Registered from load to unload, whatever the engines need (see [`Hooks::start`]).
    pub(crate) always: bool,
    /// What it feeds, for debugfs and documentation.
    pub(crate) feeds: &'static str,
}

/// Every tracepoint utrace hooks. The index is the probe's identity.
pub(crate) const HOOKS: &[HookDef] = &[
    HookDef {
        name: c"sys_enter",
        events: abi::EVENT_SYSCALL_ENTRY | MASKED,
        always: false,
        feeds: "SYSCALL_ENTRY, entry masks",
    },
    HookDef {
        name: c"sys_exit",
        // SYSCALL_ENTRY too: a re-run that never reaches `sys_enter` (seccomp refused it)
        // is forgotten at its exit, so that a later syscall from the same place is not
        // taken for it.
        events: abi::EVENT_SYSCALL_EXIT | abi::EVENT_SYSCALL_ENTRY | STEPPING | MASKED,
        always: false,
        // Not SIGNAL_*: while registered it also re-arms signal interception after a
        // syscall (`probes::sys_exit`), but that alone would put every syscall in the
        // system on the tracepoint path (`Documentation/design.md`, "Signals").
        feeds: "SYSCALL_EXIT, SYSCALL_ENTRY re-runs, stepping, entry masks",
    },
    HookDef {
        name: c"task_newtask",
        events: abi::EVENT_CLONE | STEPPING,
        always: false,
        feeds: "CLONE, stepping",
    },
    HookDef {
        name: c"sched_process_fork",
        events: 0,
        always: false,
        feeds: "none yet (vfork completion)",
    },
    HookDef {
        name: c"sched_prepare_exec",
        // Always: an exec that gains privilege must detach the engines not allowed to follow
        // it (`access.rs`) whatever the engines' events.
        events: 0,
        always: true,
        feeds: "privileged-exec policy",
    },
    HookDef {
        name: c"sched_process_exec",
        // Always: EXEC set where no probe can be registered (from `report_signal`) must
        // not miss an exec that comes before a deferred registration.
        events: abi::EVENT_EXEC,
        always: true,
        feeds: "EXEC",
    },
    HookDef {
        name: c"sched_process_exit",
        events: abi::EVENT_EXIT | abi::EVENT_DEATH,
        always: true,
        feeds: "EXIT, DEATH",
    },
    HookDef {
        name: c"sched_process_free",
        events: ATTACHED | STEPPING,
        always: true,
        feeds: "REAP, cleanup",
    },
    HookDef {
        name: c"signal_generate",
        events: abi::EVENT_SIGNAL_ALL | abi::EVENT_JCTL,
        always: false,
        feeds: "SIGNAL_* interception, JCTL",
    },
    HookDef {
        name: c"signal_deliver",
        // SYSCALL_ENTRY too: a signal delivered before an entry stop's re-run sets the
        // re-run's masks back (`entrymask.rs`); registered with the engines that can stop
        // there, MASKED does not register and unregister it at every stop.
        events: abi::EVENT_SIGNAL_ALL
            | abi::EVENT_JCTL
            | abi::EVENT_SYSCALL_ENTRY
            | STEPPING
            | MASKED,
        always: false,
        feeds: "SIGNAL_*, JCTL, stepping, entry masks",
    },
];

const NHOOKS: usize = HOOKS.len();

/// The probe function of a tracepoint, as the untyped pointer the tracepoint API takes
/// (`probes::probe_for`, handed to [`Hooks::find`]: the probes depend on the hooks, not the
/// other way round).
pub(crate) type ProbeFor = fn(&CStr) -> Option<*mut c_void>;

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
    shutting_down: Atomic<bool>,
    /// Each tracepoint's probe.
    probe_for: ProbeFor,
}

/// Per hook, how many attached engines need its probe. Global because engines change
/// their events from any context, including atomic ones.
static NEED: [Atomic<usize>; NHOOKS] = [const { Atomic::new(0) }; NHOOKS];

/// Per hook, whether its probe is registered (a lock-free copy of `Hooks::registered`, set
/// after a registration completed, cleared before an unregistration starts).
static REGISTERED: [Atomic<bool>; NHOOKS] = [const { Atomic::new(false) }; NHOOKS];

/// The loaded module's hooks, for `sync` (set between init and exit).
static ACTIVE: Atomic<*mut Hooks> = Atomic::new(core::ptr::null_mut());

impl Hooks {
    /// Finds every tracepoint in [`HOOKS`] (plus a bogus one if `test_missing`), whose
    /// probes `probe_for` names.
    pub(crate) fn find(test_missing: bool, probe_for: ProbeFor) -> Result<Arc<Self>> {
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
                shutting_down: Atomic::new(false),
                probe_for,
            }),
            GFP_KERNEL,
        )
    }

    /// Makes the hooks the active ones: probes get registered as engines need them.
    pub(crate) fn activate(this: &Arc<Self>) {
        ACTIVE.store(Arc::as_ptr(this).cast_mut(), Release);
    }

    /// At load: registers the probes that stay from load to unload (`always`), those of a
    /// thread's end: `sched_process_exit` (EXIT, DEATH) and `sched_process_free` (REAP, and
    /// freeing the per-task state). Registered on demand, they raced with what needs them:
    /// a first attach entered its state in the table before the reap probe was there (the
    /// task could be reaped unseen: state and engine leaked, no REAP), and DEATH set where
    /// a probe cannot be registered (`report_signal`) got 0 for a report that never came.
    /// Always there, every attach and every `utrace_set_events()` finds them, in any
    /// context. The cost with nobody traced: one probe call that returns after one load (the
    /// filter) per thread exit and per task freed.
    pub(crate) fn start(&self) -> Result {
        self.sync(false);
        let reg = self.registered.lock();
        for (i, h) in HOOKS.iter().enumerate() {
            if h.always && !reg[i] {
                pr_err!(
                    "refusing to load: the {:?} probe could not be registered\n",
                    h.name
                );
                return Err(EBUSY);
            }
        }
        Ok(())
    }

    /// Number of tracepoints found.
    pub(crate) fn len(&self) -> usize {
        HOOKS.len()
    }

    /// Registers the probes that are needed and, if `unregister`, unregisters those that
    /// are not (the lingering work, a second after the last drop, and unload).
    fn sync(&self, unregister: bool) {
        let mut reg = self.registered.lock();
        let down = self.shutting_down.load(Acquire);
        for (i, tp) in self.tps.iter().enumerate().take(NHOOKS) {
            let Some(probe) = (self.probe_for)(HOOKS[i].name) else {
                continue;
            };
            let want = !down && (HOOKS[i].always || NEED[i].load(Acquire) != 0);
            if want == reg[i] || (!want && !unregister) {
                continue;
            }
            if !want {
                if !down {
                    crate::testing::delay(crate::testing::Window::ProbeUnregister);
                }
                // A need may come back between the load above and here, from a caller that
                // does not take `registered`: `add_needs` counts its need (fully ordered),
                // then reads `REGISTERED`; we clear `REGISTERED`, then read the count again.
                // One of us sees the other (both sides fully ordered): either `add_needs`
                // sees the probe unregistered and registers it again, or we keep it.
                // Reading the count only before clearing lost such a need: `add_needs` saw
                // the probe registered, and it was unregistered under a live need.
                REGISTERED[i].store(false, Release);
                smp_mb(Full);
                if !down && NEED[i].load(Relaxed) != 0 {
                    REGISTERED[i].store(true, Release);
                    continue;
                }
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
                if want {
                    REGISTERED[i].store(true, Release);
                }
            } else {
                REGISTERED[i].store(reg[i], Release);
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
        self.shutting_down.store(true, Release);
        // SAFETY: cancelling our own work item is always valid.
        unsafe { glue::utrace_glue_cancel_sync() };
        self.sync(true);
        // SAFETY: waits for the tracepoint grace periods; we are in process context.
        unsafe { glue::utrace_glue_tracepoint_sync() };
        ACTIVE.store(core::ptr::null_mut(), Release);
    }

    /// One line per tracepoint: `name found registered=yes|no engines=N feeds=...`.
    pub(crate) fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reg = self.registered.lock();
        for (i, tp) in self.tps.iter().enumerate().take(NHOOKS) {
            writeln!(
                f,
                "{} found registered={} engines={} feeds={}",
                tp.name().to_str().unwrap_or("?"),
                if reg[i] { "yes" } else { "no" },
                NEED[i].load(Relaxed),
                HOOKS[i].feeds
            )?;
        }
        Ok(())
    }
}

fn sync_active(unregister: bool) {
    let p = ACTIVE.load(Acquire);
    if !p.is_null() {
        // SAFETY: `ACTIVE` is set while the module's `Hooks` is alive; it is cleared at
        // unload before the work item is cancelled and the `Hooks` dropped.
        unsafe { (*p).sync(unregister) };
    }
}

/// The deferred (un)registration work, called by the glue's work items: registering at
/// once, unregistering a second after the last need was dropped (see the glue).
#[no_mangle]
pub(crate) extern "C" fn utrace_rust_sync_probes(unregister: bool) {
    crate::testing::delay(crate::testing::Window::ProbeSync);
    sync_active(unregister);
}

/// The probes of the events `bits` (with [`ATTACHED`] for an attached engine, or a pseudo
/// bit) are needed once more: an engine attached or set events, a thread began to step or
/// to mask. Registered before this returns if `here()` says the context may (the caller
/// knows the thread: see [`crate::task::may_register_probes`] and the file doc).
///
/// Returns true if a probe `bits` need is not registered yet: it could not be registered
/// here and the workqueue will. The caller then makes the target thread register it before
/// it returns to user mode (`work::queue_sync_probes`).
pub(crate) fn add_needs(bits: usize, here: fn() -> bool) -> bool {
    let mut missing = false;
    for (i, h) in HOOKS.iter().enumerate() {
        if bits & h.events == 0 {
            continue;
        }
        NEED[i].fetch_add(1, Full);
        // Not "did the count go from 0 to 1": an earlier need may have been deferred, and
        // its registration still be pending.
        if !REGISTERED[i].load(Acquire) {
            missing = true;
        }
    }
    if missing && here() {
        sync_active(false);
        missing = HOOKS
            .iter()
            .enumerate()
            .any(|(i, h)| bits & h.events != 0 && !REGISTERED[i].load(Acquire));
    }
    if missing {
        // SAFETY: queueing our own static work item is valid in any context.
        unsafe { glue::utrace_glue_schedule_sync() };
    }
    missing
}

/// The probes of the events `bits` are needed once less (the mirror of [`add_needs`]); a
/// probe no longer needed is unregistered by the workqueue a second later if it is still
/// not needed then, never here. A debugger's step takes the step probes and gives them back
/// at once: the next step finds them still registered.
pub(crate) fn drop_needs(bits: usize) {
    let mut deferred = false;
    for (i, h) in HOOKS.iter().enumerate() {
        if bits & h.events != 0 && NEED[i].fetch_sub(1, Full) == 1 {
            deferred = true;
        }
    }
    if deferred {
        // SAFETY: (re)arming our own static delayed work item is valid in any context.
        unsafe { glue::utrace_glue_schedule_unsync() };
    }
}

/// Registers the probes that are needed now, from a context that may (the thread's own
/// task_work, `work::queue_sync_probes`).
pub(crate) fn sync_now() {
    sync_active(false);
}
