// SPDX-License-Identifier: GPL-2.0

//! Breakpoints and watchpoints (`Documentation/design.md`, "Breakpoints and watchpoints").
//!
//! - **`int3`.** The glue's die notifier gets `DIE_INT3` from `do_int3()` (interrupts off,
//!   before `do_trap()`'s `force_sig(SIGTRAP)`), after uprobes' notifier, which keeps every
//!   `int3` of an mm with uprobes (and forces SIGTRAP itself for the foreign ones: those
//!   come to the engines through signal interception, `signal.rs`, in the same shape). For
//!   a user-mode trap of a thread with an engine that wants a `SIGNAL*` event,
//!   [`utrace_rust_int3`] records it, queues the per-task trap item (`TWA_SIGNAL`: it runs
//!   first thing in the `get_signal()` on the way out) and answers `NOTIFY_STOP`: no
//!   SIGTRAP is sent. The item reports `report_signal` with the SIGTRAP the kernel would
//!   have forced (`si_code` `SI_KERNEL`, the registers' IP after the `int3`), and acts on
//!   the answer as for an intercepted signal (`signal::trap`): DELIVER forces it as
//!   `do_trap()` would, IGN drops it (the engine has rewound the IP), `UTRACE_STOP` parks
//!   holding it. If no engine wants it by then, it is forced all the same.
//! - **Writing breakpoints** ([`utrace_set_breakpoint`], [`utrace_clear_breakpoint`]):
//!   `utrace_access_vm()` with its rules (the thread stopped by the engine, or current in
//!   the engine's callback; ptrace's per-access rule), one byte.
//! - **Watchpoints** ([`utrace_set_watchpoint`], [`utrace_clear_watchpoint`]): ptrace's
//!   per-access rule at set time, as for a breakpoint; then perf breakpoint events on the
//!   thread (`register_user_hw_breakpoint()`, exported; the glue keeps the records). The
//!   handler runs in the thread's #DB, interrupts off, and calls [`utrace_rust_watch_hit`],
//!   which records the hit with the record's engine and queues the same item; it reports
//!   SIGTRAP with `si_code` `TRAP_HWBKPT` and `si_addr` the watched address to that engine
//!   alone. If that engine does not want it (detached, or without the event), it is
//!   dropped (only the engine asked for the trap). A detach (any context) has the glue's
//!   workqueue unregister its engine's watchpoints ([`detached`]); unload stops the trap
//!   path ([`close`]) and unregisters the rest ([`shutdown`]) before the handler's code
//!   goes.

use crate::atomic::{Atomic, Full, Relaxed};
use kernel::bindings;
use kernel::ffi::{c_int, c_uint, c_ulong};
use kernel::prelude::*;
use kernel::sync::barrier::smp_mb;
use kernel::sync::Arc;
use kernel::task::Task;

use crate::abi::{self, utrace_engine};
use crate::api::checked;
use crate::engine::Engine;
use crate::glue::{self, errno, is_err_or_null};
use crate::signal;
use crate::task::UtraceTask;
use crate::taskwork::OnUnload;
use crate::work::{self, Site};

/// The `int3` opcode.
const INT3: u8 = 0xcc;
/// `SI_KERNEL`, `TRAP_HWBKPT`.
const SI_KERNEL: c_int = 0x80;
const TRAP_HWBKPT: c_int = 4;

/// [`TrapState::pending`] bits.
const PENDING_INT3: u32 = 1;
const PENDING_WATCH: u32 = 2;

/// Set by unload ([`close`]) once every engine is detached: the notifier and the watchpoint
/// handler queue no more trap items.
static CLOSING: Atomic<bool> = Atomic::new(false);

/// Watch hits one run of the trap item may have to report: one #DB reports every debug
/// register that matched (4 on x86), and the item runs before the thread is back in user
/// mode, the only place where a watchpoint of utrace's fires (`exclude_kernel`).
const WATCH_HITS: usize = 4;

/// One watch hit: the watched address, and the engine the watchpoint is for ([`owner`]).
struct WatchHit {
    addr: Atomic<usize>,
    owner: Atomic<u64>,
}

impl WatchHit {
    const fn new() -> Self {
        WatchHit {
            addr: Atomic::new(0),
            owner: Atomic::new(0),
        }
    }
}

/// What the trap item of one thread is to report (`UtraceTask::trap`). Only the thread
/// itself touches it: the notifier and the watchpoint handler run in its user-mode traps,
/// the item in its task_work.
pub(crate) struct TrapState {
    pending: Atomic<u32>,
    /// How many of `hits` are recorded.
    nhits: Atomic<usize>,
    hits: [WatchHit; WATCH_HITS],
}

impl TrapState {
    pub(crate) const fn new() -> Self {
        TrapState {
            pending: Atomic::new(0),
            nhits: Atomic::new(0),
            hits: [const { WatchHit::new() }; WATCH_HITS],
        }
    }
}

/// Records `bit` (with `PENDING_WATCH`, the hit `watch`: address and owner) for current
/// and queues its trap item. False if current has no engine that wants a signal event, or
/// the item could not be queued (past `exit_task_work()`).
fn note(bit: u32, watch: Option<(usize, u64)>) -> bool {
    let Some(ut) = UtraceTask::lookup(Task::current_raw()) else {
        return false;
    };
    if ut.events() & abi::EVENT_SIGNAL_ALL == 0 || ut.is_gone() {
        return false;
    }
    // Unload has begun (no engine is left): the kernel handles the trap. Read inside the
    // caller's RCU read section (the die chain's `rcu_read_lock()`, and interrupts are off):
    // a call that read it clear has queued, and been counted in `PENDING`, before [`close`]
    // returns.
    if CLOSING.load(Relaxed) {
        return false;
    }
    let st = &ut.trap;
    let nhits = st.nhits.load(Relaxed);
    if let Some((addr, owner)) = watch {
        // More than `WATCH_HITS` cannot happen (see there); one more would be dropped.
        if let Some(h) = st.hits.get(nhits) {
            h.addr.store(addr, Relaxed);
            h.owner.store(owner, Relaxed);
            st.nhits.store(nhits + 1, Relaxed);
        }
    }
    st.pending.store(st.pending.load(Relaxed) | bit, Relaxed);
    // Runs before the thread returns to user mode: it is between the trap and
    // `get_signal()`, so unload waits for it (`MustRun`), and a trap eaten is never lost.
    let queued = ut.trap_work.queue(
        &ut,
        ut.task(),
        run_trap,
        OnUnload::MustRun,
        bindings::task_work_notify_mode_TWA_SIGNAL,
    );
    if queued.is_err() {
        st.pending.store(st.pending.load(Relaxed) & !bit, Relaxed);
        st.nhits.store(nhits, Relaxed);
        return false;
    }
    true
}

/// `DIE_INT3` from user mode, on current (the glue's die notifier, interrupts off): true
/// to take it over (`NOTIFY_STOP`: the kernel sends no SIGTRAP), false to leave it to the
/// kernel.
///
/// # Safety
///
/// `_regs` are current's user registers at the trap (unused: the item reads them).
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_int3(_regs: *mut bindings::pt_regs) -> bool {
    note(PENDING_INT3, None)
}

/// A watchpoint of utrace's fired in current (the glue's perf handler, in #DB, interrupts
/// off); `addr` is the watched address, `owner` the engine it is for ([`owner`]).
#[no_mangle]
pub(crate) extern "C" fn utrace_rust_watch_hit(addr: c_ulong, owner: u64) {
    note(PENDING_WATCH, Some((addr, owner)));
}

/// The trap item: reports what the traps recorded, in task context.
fn run_trap(ut: Arc<UtraceTask>) {
    let st = &ut.trap;
    let pending = st.pending.xchg(0, Full);
    // Copied out first: no hit is recorded while the thread is in the kernel, but a report
    // may park it, and the state is clean for the next return to user mode either way.
    let mut hits = [(0usize, 0u64); WATCH_HITS];
    let n = st.nhits.xchg(0, Relaxed).min(WATCH_HITS);
    for (h, out) in st.hits[..n].iter().zip(hits.iter_mut()) {
        *out = (h.addr.load(Relaxed), h.owner.load(Relaxed));
    }
    if pending & PENDING_INT3 != 0 {
        report(&ut, glue::trap_info(SI_KERNEL, 0), signal::TrapFrom::Int3);
    }
    if pending & PENDING_WATCH != 0 {
        for &(addr, owner) in &hits[..n] {
            let from = signal::TrapFrom::Watch(owner);
            report(&ut, glue::trap_info(TRAP_HWBKPT, addr), from);
        }
    }
}

fn report(ut: &Arc<UtraceTask>, info: glue::SigInfo, from: signal::TrapFrom) {
    if let Some(action) = signal::trap(ut, info, from) {
        work::finish(ut, action, Site::SafePoint);
        signal::after_stop(ut);
    }
}

/// `engine` was detached (`detach::mark_detached`, any context): its watchpoints go.
pub(crate) fn detached(ut: &UtraceTask, engine: &Engine) {
    // Pairs with the one in `utrace_set_watchpoint` (Dekker: each side stores, then reads
    // the other's): either that sees the engine detached, or the glue's list check below
    // sees the record it added. The glue looks at the list itself, not at a count: a count
    // raised after the record is added can be read as 0 by a detach of another engine while
    // records of this one are on the list, and a count shared by every engine can be taken
    // down by the records of another.
    smp_mb(Full);
    // SAFETY: the task is alive (`ut` holds it); the glue marks records and schedules its
    // work, in any context.
    unsafe { glue::utrace_glue_watch_drop(ut.task_ptr(), owner(engine)) };
}

/// Unload, after every engine was detached, before the task_work drain: no trap item is
/// queued after this returns. The notifier's check of the events and its queueing are not
/// atomic with the detach: a call that read an engine's events before `detach_all` could
/// queue its `MustRun` item after the drain saw `PENDING` at zero, and the item would run
/// freed module code (the die notifier is only unregistered later). Every call runs in an
/// RCU read section (the die chain is an atomic notifier chain; interrupts are off too):
/// after the grace period each has either seen `CLOSING` or finished queueing.
pub(crate) fn close() {
    CLOSING.store(true, Relaxed);
    kernel::sync::rcu::synchronize_rcu();
}

/// Unload, after every engine was detached: unregisters every watchpoint left.
pub(crate) fn shutdown() {
    // SAFETY: process context; no engine is left to set one.
    unsafe { glue::utrace_glue_watch_shutdown() };
}

/// An engine's identity for the glue's watchpoint records and their hits: its id, never
/// reused (an address would be, by an engine allocated where a freed one was).
pub(crate) fn owner(engine: &Engine) -> u64 {
    engine.id()
}

/// One byte of the thread's memory, through `utrace_access_vm()` and its rules.
///
/// # Safety
///
/// As for `utrace_access_vm()`: `target` valid, `engine` referenced by the caller.
unsafe fn access_byte(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
    byte: &mut u8,
    write: bool,
) -> Result {
    // SAFETY: per the function's safety requirements; `byte` is one valid byte.
    let n = unsafe {
        crate::examine::utrace_access_vm(
            target,
            engine,
            addr,
            core::ptr::from_mut(byte).cast(),
            1,
            write,
        )
    };
    if n < 0 {
        return Err(Error::from_errno(n));
    }
    Ok(())
}

/// `utrace_set_breakpoint()`: writes an `int3` at `addr` and stores the byte it replaced
/// in `*orig`. `EEXIST` if there is an `int3` there already.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `orig` points
/// to a writable byte.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_set_breakpoint(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
    orig: *mut u8,
) -> c_int {
    if is_err_or_null(orig) {
        pr_err_rl!("utrace_set_breakpoint: orig is not a pointer\n");
        return EINVAL.to_errno();
    }
    let mut old = 0u8;
    // SAFETY: per the function's safety requirements.
    if let Err(e) = unsafe { access_byte(target, engine, addr, &mut old, false) } {
        return e.to_errno();
    }
    if old == INT3 {
        return EEXIST.to_errno();
    }
    let mut new = INT3;
    // SAFETY: as above.
    if let Err(e) = unsafe { access_byte(target, engine, addr, &mut new, true) } {
        return e.to_errno();
    }
    // SAFETY: `orig` is writable (per the function's safety requirements).
    unsafe { orig.write(old) };
    0
}

/// `utrace_clear_breakpoint()`: puts `orig` back at `addr`. `ENOENT` if there is no `int3`
/// there (nothing written).
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_clear_breakpoint(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
    orig: u8,
) -> c_int {
    let mut now = 0u8;
    // SAFETY: per the function's safety requirements.
    if let Err(e) = unsafe { access_byte(target, engine, addr, &mut now, false) } {
        return e.to_errno();
    }
    if now != INT3 {
        return ENOENT.to_errno();
    }
    let mut old = orig;
    // SAFETY: as above.
    errno(unsafe { access_byte(target, engine, addr, &mut old, true) })
}

/// `HW_BREAKPOINT_W`, `HW_BREAKPOINT_RW`, `HW_BREAKPOINT_X` (`UTRACE_WATCH_*`).
fn valid_watch(len: c_uint, type_: c_uint) -> bool {
    matches!(type_, abi::WATCH_WRITE | abi::WATCH_RW | abi::WATCH_EXEC)
        && matches!(len, 1 | 2 | 4 | 8)
}

/// `utrace_set_watchpoint()`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_set_watchpoint(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
    len: c_uint,
    type_: c_uint,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    let e = match unsafe { checked(target, engine) } {
        Ok(e) => e,
        Err(err) => return err.to_errno(),
    };
    if !valid_watch(len, type_) {
        pr_err_rl!(
            "utrace_set_watchpoint: bad length {} or type {:#x}\n",
            len,
            type_
        );
        return EINVAL.to_errno();
    }
    // Registering sleeps (perf's mutexes).
    if !glue::can_sleep() || !glue::in_task() {
        pr_err_rl!("utrace_set_watchpoint: called from a context that cannot sleep\n");
        return EINVAL.to_errno();
    }
    if !e.is_attached() || e.utrace().is_gone() {
        return ESRCH.to_errno();
    }
    // ptrace's per-access rule, as `utrace_access_vm()` (so `utrace_set_breakpoint()`)
    // applies it: a watch hit tells the engine what the thread's memory is doing, so a thread
    // that made itself undumpable since the attach is closed to an engine whose tracer
    // credentials lack CAP_SYS_PTRACE over it. Asked at set time only (a watchpoint already
    // set stays, as its hits are reports, not accesses).
    // SAFETY: `target` is valid (per the function's safety requirements); process context.
    if !unsafe { crate::examine::memory_access_allowed(target, &e) } {
        return EPERM.to_errno();
    }
    // SAFETY: `target` is valid (per the function's safety requirements); process context.
    let ret = unsafe { glue::utrace_glue_watch_set(target, owner(&e), addr, len, type_) };
    if ret != 0 {
        return ret;
    }
    // The record is on the list: pairs with the barrier in `detached`. A detach that ran
    // meanwhile may have missed the new record; then this sees it.
    smp_mb(Full);
    if !e.is_attached() {
        detached(e.utrace(), &e);
        return ESRCH.to_errno();
    }
    0
}

/// `utrace_clear_watchpoint()`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_clear_watchpoint(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    let e = match unsafe { checked(target, engine) } {
        Ok(e) => e,
        Err(err) => return err.to_errno(),
    };
    if !glue::can_sleep() || !glue::in_task() {
        pr_err_rl!("utrace_clear_watchpoint: called from a context that cannot sleep\n");
        return EINVAL.to_errno();
    }
    if !e.is_attached() {
        return ESRCH.to_errno();
    }
    // SAFETY: `target` is valid; process context.
    unsafe { glue::utrace_glue_watch_clear(target, owner(&e), addr) }
}
