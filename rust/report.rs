// SPDX-License-Identifier: GPL-2.0

//! Event dispatch: one pass over a task's engines for one event.
//!
//! Rules (the original utrace's, `Documentation/api.md`):
//! - engines are called in attach order, or in reverse for syscall entry;
//! - an engine with `UTRACE_EVENT(QUIESCE)` gets `report_quiesce(event)` first, in the same
//!   pass, for events reported in a sleepable context;
//! - the resume actions fold by minimum (STOP < INTERRUPT < REPORT < ... < RESUME); each
//!   engine is passed the running minimum plus the previous engine's event-specific bits,
//!   and the last engine's event-specific bits win;
//! - `UTRACE_DETACH` detaches only the engine that returns it and counts as RESUME;
//! - an engine's `UTRACE_STOP` answer makes it want the thread stopped; any other answer
//!   makes it no longer want that (the original's `ENGINE_STOP` rule);
//! - an engine attached during the pass gets nothing for this event (it is not in the
//!   snapshot the pass iterates).

use kernel::pr_warn_once;

use crate::abi;
use crate::engine::Engine;
use crate::task::{EngineList, InCallback, UtraceTask};

/// Order of the engines in a pass.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Attach,
    Reverse,
}

/// The folded answer of a pass.
pub(crate) struct Outcome {
    /// The minimum resume action.
    pub(crate) action: u32,
    /// The last engine's event-specific bits (syscall or signal action).
    pub(crate) bits: u32,
}

/// Reports `event` (one `EVENT_*` bit) to the engines of `ut`. `call` makes the event's
/// callback for one engine and returns its answer (`None` if it has no such callback).
/// `quiesce` says whether `report_quiesce(event)` goes first for QUIESCE engines.
pub(crate) fn report(
    ut: &UtraceTask,
    event: usize,
    order: Order,
    quiesce: bool,
    call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Outcome {
    match ut.snapshot() {
        Some(list) => report_list(&list, event, order, quiesce, call),
        None => Outcome {
            action: abi::RESUME,
            bits: 0,
        },
    }
}

/// [`report`] in attach order without `report_quiesce`, to the engines `keep` accepts only
/// (a watchpoint hit goes to the engine that set the watchpoint). The others are skipped
/// before their callback starts, as engines without the event are: not called, no answer
/// folded, and not seen "in a callback" by a concurrent detach or `utrace_barrier()`.
/// Returns `None` if no engine was called.
pub(crate) fn report_to(
    ut: &UtraceTask,
    event: usize,
    keep: impl Fn(&Engine) -> bool,
    mut call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Option<Outcome> {
    let list = ut.snapshot()?;
    let mut called = false;
    let out = report_list_from(&list, event, Pass::plain(0), keep, |e, a| {
        called = true;
        call(e, a)
    });
    called.then_some(out)
}

/// [`report`], for a snapshot the caller took (the hot paths, `UtraceTask::engines_wanting`).
pub(crate) fn report_list(
    list: &EngineList,
    event: usize,
    order: Order,
    quiesce: bool,
    call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Outcome {
    report_list_flagged(list, event, order, quiesce, 0, call)
}

/// [`report_list`], with `flags` (`UTRACE_SYSCALL_RESUMED`, `UTRACE_SIGNAL_OBSERVED`) in
/// every engine's action.
pub(crate) fn report_list_flagged(
    list: &EngineList,
    event: usize,
    order: Order,
    quiesce: bool,
    flags: u32,
    call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Outcome {
    let pass = Pass {
        order,
        quiesce,
        flags,
        bits: 0,
    };
    report_list_from(list, event, pass, |_| true, call)
}

/// [`report`] in attach order without `report_quiesce`, the first engine being passed the
/// event-specific bits `bits` (`UTRACE_SIGNAL_REPORT`), which each engine's answer replaces.
pub(crate) fn report_from_bits(
    ut: &UtraceTask,
    event: usize,
    bits: u32,
    call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Outcome {
    match ut.snapshot() {
        Some(list) => report_list_from(&list, event, Pass::plain(bits), |_| true, call),
        None => Outcome {
            action: abi::RESUME,
            bits,
        },
    }
}

/// How a pass goes: engine order, `report_quiesce` first or not, the flags every engine's
/// action has, the event-specific bits the first engine is passed.
struct Pass {
    order: Order,
    quiesce: bool,
    flags: u32,
    bits: u32,
}

impl Pass {
    /// Attach order, no `report_quiesce`, no flags.
    fn plain(bits: u32) -> Pass {
        Pass {
            order: Order::Attach,
            quiesce: false,
            flags: 0,
            bits,
        }
    }
}

fn report_list_from(
    list: &EngineList,
    event: usize,
    pass: Pass,
    keep: impl Fn(&Engine) -> bool,
    mut call: impl FnMut(&InCallback<'_>, u32) -> Option<u32>,
) -> Outcome {
    let Pass {
        order,
        quiesce,
        flags,
        bits,
    } = pass;
    let mut out = Outcome {
        action: abi::RESUME,
        bits,
    };
    let Some(ut) = list.utrace() else {
        return out;
    };
    let n = list.engines.len();
    let mut detached = false;
    let want = event | if quiesce { abi::EVENT_QUIESCE } else { 0 };
    for i in 0..n {
        let e = &list.engines[if order == Order::Reverse {
            n - 1 - i
        } else {
            i
        }];
        // An engine already seen detached is skipped without publishing it in `reporting`:
        // a detacher that woke this thread from its stop must not see it "in a callback".
        if e.events() & want == 0 || !e.is_attached() || !keep(e) {
            continue;
        }
        let Some(cb) = ut.start_callback(e) else {
            continue;
        };
        let events = e.events();
        if quiesce && events & abi::EVENT_QUIESCE != 0 {
            if let Some(r) = cb.report_quiesce(out.action | out.bits | flags, event) {
                detached |= fold(ut, e, &mut out, r, false);
            }
        }
        if events & event != 0 && e.is_attached() {
            if let Some(r) = call(&cb, out.action | out.bits | flags) {
                detached |= fold(ut, e, &mut out, r, true);
            }
        }
        // The callback ends here (`InCallback`'s drop).
        drop(cb);
    }
    if detached {
        ut.prune();
    }
    out
}

/// Folds one engine's answer into `out`. Returns true if the engine detached itself.
fn fold(ut: &UtraceTask, e: &Engine, out: &mut Outcome, ret: u32, event_bits: bool) -> bool {
    let mut resume = ret & abi::RESUME_MASK;
    if event_bits {
        out.bits = ret & !abi::RESUME_MASK;
    }
    if !e.is_attached() {
        // Detached by another thread during its callback: its resume action no longer
        // counts (a STOP from it would stop a thread nobody wants stopped), as in the
        // original's finish_callback_report(); its event bits do, as there.
        return false;
    }
    let mut detached = false;
    match resume {
        abi::DETACH => {
            detached = crate::detach::mark_detached(ut, e);
            resume = abi::RESUME;
        }
        abi::RESUME_MAX => {
            pr_warn_once!("an engine returned an invalid resume action; resuming\n");
            resume = abi::RESUME;
        }
        _ => {}
    }
    if !detached {
        e.set_wants_stop(resume == abi::STOP);
        // A step is armed when the thread next leaves for user mode (`step.rs`); any other
        // answer withdraws the engine's request.
        e.set_step(if resume == abi::SINGLESTEP || resume == abi::BLOCKSTEP {
            resume
        } else {
            0
        });
    }
    out.action = out.action.min(resume);
    detached
}
