// SPDX-License-Identifier: GPL-2.0

//! The step state of one thread (`UtraceTask::step`): data and its rule only. Arming,
//! ending and reporting a step is `step.rs`; its task_work item is `UtraceTask::step_work`.

use crate::atomic::{Acquire, Atomic, AtomicType, Full};

/// A thread's step state ([`StepState::state`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub(crate) enum Phase {
    Idle = 0,
    /// utrace's TF is (or is about to be) in the thread's user registers.
    Armed = 1,
    /// The step ended; its report (the step task_work) is pending.
    Done = 2,
}

// SAFETY: a unit-only enum with `repr(i8)`: same size and alignment as `i8`, and
// round-trip transmutable to it (only values of the enum are ever stored).
unsafe impl AtomicType for Phase {
    type Repr = i8;
}

/// The step state of one thread (in `UtraceTask`). Written by the thread itself, except for
/// the trap-time transition (same thread, interrupts off) and unload's clean-up.
pub(crate) struct StepState {
    /// IDLE, ARMED or DONE.
    pub(crate) state: Atomic<Phase>,
    /// The armed action (`abi::SINGLESTEP` or `abi::BLOCKSTEP`; an `i8`: both fit).
    pub(crate) mode: Atomic<i8>,
    /// utrace set TF (the program had not): the trap is utrace's alone.
    pub(crate) forced: Atomic<bool>,
    /// The stepped instruction is `popf`/`iret`: TF after it is the program's.
    pub(crate) sets_tf: Atomic<bool>,
    /// utrace turned block-step (TIF_BLOCKSTEP, BTF) on.
    pub(crate) block: Atomic<bool>,
    /// The thread holds the `hooks::STEPPING` probe need.
    pub(crate) need: Atomic<bool>,
    /// Unload queued a kick (`shutdown`).
    pub(crate) kicked: Atomic<bool>,
}

impl StepState {
    pub(crate) const fn new() -> Self {
        StepState {
            state: Atomic::new(Phase::Idle),
            mode: Atomic::new(0),
            forced: Atomic::new(false),
            sets_tf: Atomic::new(false),
            block: Atomic::new(false),
            need: Atomic::new(false),
            kicked: Atomic::new(false),
        }
    }

    /// ARMED -> DONE: the step ended (trap, `sys_exit`, handler entry). Only the one caller
    /// that wins clears TF and queues the report.
    pub(crate) fn end_armed(&self) -> bool {
        self.state.cmpxchg(Phase::Armed, Phase::Done, Full).is_ok()
    }

    /// Whether utrace's TF may be live in the thread's registers, or a step report is
    /// pending. Read under the task's lock by `prune` (the thread changes it under it).
    pub(crate) fn active(&self) -> bool {
        self.state.load(Acquire) != Phase::Idle
    }
}
