// SPDX-License-Identifier: GPL-2.0

//! Signal interception: the engines decide what happens to a signal before `get_signal()`
//! acts on it (`Documentation/design.md`, "Signals").
//!
//! 1. **Arm.** The `signal_generate` probe queues the per-task item
//!    (`UtraceTask::signal_work`, `TWA_NONE`, `work::queue_signal`) on the traced target, or
//!    for a group-wide signal on every traced thread of the group. `TWA_NONE` wakes nobody:
//!    the thread that takes the signal has `TIF_SIGPENDING`, and `get_signal()` runs every
//!    queued item before it looks at a signal (kernel/signal.c:2883).
//! 2. **Peek** ([`intercept`]), in the item: the signal `get_signal()` would take next, under
//!    siglock (`glue::signal_peek`), left queued.
//! 3. **Report** `report_signal` to the engines that want its disposition's event, in attach
//!    order, in task context.
//! 4. **Act** on the last engine's signal action ([`apply`]): DELIVER unchanged approves it
//!    (`UtraceTask::approved`; the `signal_deliver` probe then does not report it again,
//!    [`delivered`]; the peek drops an approval once its number is queued again,
//!    `UtraceTask::fresh`); IGN dequeues it; a changed signal or siginfo is dequeued and the new
//!    one sent with `send_sig_info()`; with `UTRACE_STOP` the signal is dequeued and held
//!    (`sigstate::Held`) while the thread is stopped, and its resume applies the decision,
//!    which [`set_signal`] may change meanwhile.

use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::abi;
use crate::arch::UserRegs;
use crate::engine::Engine;
use crate::glue::{self, SigInfo};
use crate::report::{self, Order};
use crate::sigstate::{bit, HeldSignal};
use crate::task::{InCallback, UtraceTask};

const SIGKILL: c_int = 9;
const SIGSTOP: c_int = 19;
/// `SI_KERNEL`.
const SI_KERNEL: c_int = 0x80;
/// `_NSIG`.
const NSIG: c_int = 64;

/// At most this many signals are reported by one run of the item: each report dequeues a
/// signal or approves one, so a run ends by itself; the bound only guards against an
/// engine that keeps injecting.
pub(crate) const MAX_ROUNDS: usize = 64;

/// The signal action that means "what the kernel would do anyway" for a signal whose
/// disposition is the event `event`.
fn natural(event: usize, action: u32, sig: c_int) -> bool {
    match action {
        abi::SIGNAL_DELIVER => true,
        abi::SIGNAL_TERM => event == abi::EVENT_SIGNAL_TERM,
        abi::SIGNAL_CORE => event == abi::EVENT_SIGNAL_CORE,
        abi::SIGNAL_STOP | abi::SIGNAL_TSTP => event == abi::EVENT_SIGNAL_STOP && sig != SIGKILL,
        _ => false,
    }
}

/// Whether `action` is a signal action an engine may choose (`utrace_set_signal()`).
pub(crate) fn valid_action(action: u32) -> bool {
    action & !abi::SIGNAL_MASK == 0
        && matches!(
            action,
            abi::SIGNAL_DELIVER
                | abi::SIGNAL_IGN
                | abi::SIGNAL_TERM
                | abi::SIGNAL_CORE
                | abi::SIGNAL_STOP
                | abi::SIGNAL_TSTP
        )
}

/// Whether `sig` is a signal number.
pub(crate) fn valid_signo(sig: c_int) -> bool {
    (1..=NSIG).contains(&sig)
}

/// The item's one round: peeks at the next signal, reports it and acts on the answer.
/// `None`: nothing to report (nothing deliverable, a signal already approved, nobody wants
/// this disposition, or a fatal signal, group exit or group stop comes first). Otherwise the
/// pass's resume action; for `UTRACE_STOP` the signal is held, and the caller parks, then
/// calls [`after_stop`].
pub(crate) fn intercept(ut: &Arc<UtraceTask>) -> Option<u32> {
    if ut.is_gone() {
        return None;
    }
    let mut approved = ut.approved.get();
    let peeked = glue::signal_peek(&mut approved, ut.fresh.word());
    ut.approved.set(approved);
    let (sig, orig, ka) = peeked?;
    if approved & bit(sig) != 0 {
        return None;
    }
    let event = glue::signal_event_of(sig, &ka);
    if ut.events() & event == 0 {
        return None;
    }
    let regs = UserRegs::current()?;
    let mut info = orig;
    let out = report::report(ut, event, Order::Attach, false, |e, a| {
        e.report_signal(a, regs.as_ptr(), info.as_mut_ptr(), ka.as_ptr())
    });
    crate::testing::delay(crate::testing::Window::SignalDecision);
    let action = out.bits & abi::SIGNAL_MASK;
    if out.action == abi::STOP {
        // Held while stopped: out of the queues, so that no other thread takes a shared
        // signal meanwhile, and get_signal() does not act on it before the decision. If it
        // is gone already (another thread took it), the thread parks all the same (the
        // engines asked for a stop), holding nothing: `utrace_set_signal()` says `ENOENT`.
        if let Some(taken) = glue::signal_take(sig) {
            let info = if info == orig { taken } else { info };
            hold(ut, taken, action, info, event, false);
        }
        return Some(abi::STOP);
    }
    apply(ut, Some(sig), &orig, action, &info, event, false);
    Some(out.action)
}

/// Where a trap of [`trap`] comes from.
#[derive(Clone, Copy)]
pub(crate) enum TrapFrom {
    /// A user `int3`, which the kernel would have answered with `force_sig(SIGTRAP)`:
    /// reported to every engine that wants the event.
    Int3,
    /// A hit of a watchpoint set by the engine whose identity (`trap::owner`) this is:
    /// reported to that engine alone (another engine did not ask for it, and its DELIVER
    /// answer would force a SIGTRAP on the program for a watchpoint it never set).
    Watch(u64),
}

/// A trap utrace took over from the kernel (`trap.rs`: a user `int3`, or a watchpoint hit,
/// which nobody but its engine asked for): reported as the SIGTRAP `orig`, with SIGTRAP's
/// action as `force_sig()` makes it, to the engines that want that disposition's event (for
/// a watch hit, its engine only), in attach order, in task context; the answer is acted on
/// as for an intercepted signal, except that DELIVER of the unchanged trap forces it.
/// Nobody wanting it: the kernel's `int3` SIGTRAP is forced, a watchpoint hit dropped. A
/// pending SIGKILL drops it (SIGKILL wins). Returns what [`intercept`] returns.
pub(crate) fn trap(ut: &Arc<UtraceTask>, orig: SigInfo, from: TrapFrom) -> Option<u32> {
    if glue::fatal_pending() {
        return None;
    }
    let (event, ka) = glue::trap_action();
    let regs = UserRegs::current();
    let Some(regs) = regs.filter(|_| ut.events() & event != 0 && !ut.is_gone()) else {
        if let TrapFrom::Int3 = from {
            force_approved(ut, &orig);
        }
        return None;
    };
    let mut info = orig;
    let call =
        |e: &InCallback<'_>, a| e.report_signal(a, regs.as_ptr(), info.as_mut_ptr(), ka.as_ptr());
    let out = match from {
        TrapFrom::Int3 => report::report(ut, event, Order::Attach, false, call),
        // A watchpoint hit goes to the engine that set it only. Not called (it detached
        // meanwhile, or does not want this disposition's event): the hit is dropped.
        TrapFrom::Watch(owner) => {
            report::report_to(ut, event, |e| crate::trap::owner(e) == owner, call)?
        }
    };
    let action = out.bits & abi::SIGNAL_MASK;
    if out.action == abi::STOP {
        hold(ut, orig, action, info, event, true);
        return Some(abi::STOP);
    }
    apply(ut, None, &orig, action, &info, event, true);
    Some(out.action)
}

/// Holds the signal `orig` (taken out of the queue, or a trap never queued: `forced`) with
/// the engines' decision, for [`after_stop`] to apply once the stop they asked for ends;
/// `utrace_set_signal()` may change the decision meanwhile.
fn hold(ut: &UtraceTask, orig: SigInfo, action: u32, info: SigInfo, event: usize, forced: bool) {
    ut.lock().held.0 = Some(HeldSignal {
        orig,
        action,
        info,
        event,
        forced,
    });
}

/// Forces the trap `info` on current (`glue::force_trap`) and approves it: not reported
/// again by the interception item or the `signal_deliver` probe (see [`send_approved`]).
fn force_approved(ut: &UtraceTask, info: &SigInfo) {
    let s = info.signo();
    if glue::force_trap(info).is_ok() {
        ut.fresh.clear(s);
        ut.approved.add(s);
    }
}

/// After the park of a pass that answered `UTRACE_STOP`: applies the held signal's decision
/// (dropped if a fatal signal is pending: SIGKILL wins).
pub(crate) fn after_stop(ut: &Arc<UtraceTask>) {
    let Some(h) = ut.lock().held.0.take() else {
        return;
    };
    if glue::fatal_pending() {
        return;
    }
    apply(ut, None, &h.orig, h.action, &h.info, h.event, h.forced);
}

/// Acts on a decision about the signal `orig`: still queued as `queued`, or already taken
/// out (held), or a trap never queued (`forced`: delivered unchanged, it is forced).
/// `info` is the siginfo the engines left (its `si_signo` the signal to deliver).
fn apply(
    ut: &UtraceTask,
    queued: Option<c_int>,
    orig: &SigInfo,
    action: u32,
    info: &SigInfo,
    event: usize,
    forced: bool,
) {
    let sig = orig.signo();
    // Whether the signal is still there to act on: a peeked one may have been taken by
    // another thread of the group (a shared signal) while the engines decided; then that
    // thread's decision (or the kernel's delivery) is what happens to it, and nothing is
    // sent here (`Documentation/design.md`, "Signals", races).
    let take = || match queued {
        Some(q) => glue::signal_take(q).is_some(),
        None => true,
    };
    match action {
        abi::SIGNAL_IGN => {
            take();
        }
        a if natural(event, a, sig) || !valid_action(a) => {
            // DELIVER (and the disposition the signal has anyway, and what means nothing
            // here: REPORT, HANDLER). A bad signal number keeps the original signal.
            let new = if valid_signo(info.signo()) {
                info
            } else {
                pr_err_rl!(
                    "utrace: report_signal left a bad signal number {}; delivering {}\n",
                    info.signo(),
                    sig
                );
                orig
            };
            if forced && new == orig {
                force_approved(ut, orig);
            } else if queued.is_some() && new == orig {
                ut.approved.add(sig);
            } else if take() {
                send_approved(ut, new);
            }
        }
        // Another default action than the signal's own: approximated with the signals that
        // have it and no handler (`Documentation/api.md`): TERM and CORE as SIGKILL (no
        // core dump can be asked for), STOP and TSTP as SIGSTOP. The init of a pid
        // namespace (SIGNAL_UNKILLABLE) gets neither: the signal is dropped, as the kernel
        // drops a SIGKILL or SIGSTOP sent to it from its namespace (`sig_task_ignored()`);
        // SI_KERNEL would have forced them through (`send_signal_locked()`).
        abi::SIGNAL_TERM | abi::SIGNAL_CORE => {
            if take() && !glue::unkillable() {
                send_approved(ut, &SigInfo::simple(SIGKILL, SI_KERNEL));
            }
        }
        _ => {
            if take() && !glue::unkillable() {
                send_approved(ut, &SigInfo::simple(SIGSTOP, SI_KERNEL));
            }
        }
    }
}

/// Sends `info` to current and approves it: not reported again. Its `signal_generate`
/// marked it fresh (the probe runs inside the send); that mark is for this very instance,
/// so it goes before the approval is added (a later instance marks it again).
fn send_approved(ut: &UtraceTask, info: &SigInfo) {
    let s = info.signo();
    if glue::signal_send(info).is_ok() {
        ut.fresh.clear(s);
        ut.approved.add(s);
    }
}

/// The `signal_deliver` probe: whether the engines approved `sig` already (then it is not
/// reported again; the approval is used up).
pub(crate) fn delivered(ut: &UtraceTask, sig: c_int) -> bool {
    ut.approved.take(sig)
}

/// The `report_signal(UTRACE_SIGNAL_REPORT)` pass after `UTRACE_INTERRUPT` (`work.rs`):
/// every engine with a `SIGNAL*` event may inject a signal, answering `UTRACE_SIGNAL_DELIVER`
/// with the siginfo it filled (`si_signo` set). Returns the pass's resume action.
pub(crate) fn report_pass(ut: &Arc<UtraceTask>) -> u32 {
    if ut.events() & abi::EVENT_SIGNAL_ALL == 0 || ut.is_gone() {
        return abi::RESUME;
    }
    let Some(regs) = UserRegs::current() else {
        return abi::RESUME;
    };
    let mut info = SigInfo::zeroed();
    let out = report::report_from_bits(ut, abi::EVENT_SIGNAL_ALL, abi::SIGNAL_REPORT, |e, a| {
        e.report_signal(a, regs.as_ptr(), info.as_mut_ptr(), core::ptr::null())
    });
    if out.bits & abi::SIGNAL_MASK == abi::SIGNAL_DELIVER && info.signo() != 0 {
        if valid_signo(info.signo()) {
            send_approved(ut, &info);
        } else {
            pr_err_rl!(
                "utrace: report_signal injected a bad signal number {}\n",
                info.signo()
            );
        }
    }
    out.action
}

/// `utrace_set_signal()`: changes the decision about the signal `ut`'s thread holds while
/// stopped at a signal report. `ENOENT` if it holds none. `info` matters only for
/// `UTRACE_SIGNAL_DELIVER` (ignored, unchecked, otherwise).
pub(crate) fn set_signal(
    ut: &UtraceTask,
    e: &Engine,
    action: u32,
    info: Option<SigInfo>,
) -> Result {
    if !valid_action(action) {
        pr_err_rl!("utrace_set_signal: bad signal action {:#x}\n", action);
        return Err(EINVAL);
    }
    let info = if action == abi::SIGNAL_DELIVER {
        info
    } else {
        None
    };
    if let Some(i) = &info {
        if !valid_signo(i.signo()) {
            pr_err_rl!("utrace_set_signal: bad signal number {}\n", i.signo());
            return Err(EINVAL);
        }
    }
    let mut g = ut.lock();
    if !e.is_attached() {
        return Err(ESRCH);
    }
    let Some(h) = g.held.0.as_mut() else {
        return Err(ENOENT);
    };
    h.action = action;
    if let Some(i) = info {
        h.info = i;
    }
    Ok(())
}
