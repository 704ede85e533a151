// SPDX-License-Identifier: GPL-2.0

//! The syscall-entry stop's per-task state (`UtraceTask::entry`): data and its rule only.
//! The stop itself, top to bottom, is `entrystop.rs`.

use crate::atomic::{Atomic, AtomicType, Relaxed};

use crate::arch;

/// Where the thread is in a syscall-entry stop ([`EntryStop::state`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum SyscallStop {
    None = 0,
    /// `sys_enter` skipped the syscall: its `sys_exit` is the skipped pass, not reported.
    Skipped = 1,
    /// Parked (or about to) in the entry stop's task_work.
    Stopped = 2,
    /// Stopped and resumed: the next `sys_enter` is the re-run, `UTRACE_SYSCALL_RESUMED`.
    Resumed = 3,
    /// Sent back through the entry code without a stop, because an engine changed the
    /// syscall and seccomp must filter it: the next `sys_enter` is the re-run, already
    /// reported.
    Rechecked = 4,
}

// SAFETY: a unit-only enum with `repr(i32)`: same size and alignment as `i32`, and
// round-trip transmutable to it (only values of the enum are ever stored).
unsafe impl AtomicType for SyscallStop {
    type Repr = i32;
}

/// What a syscall-entry item does before the syscall enters again.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum EntryKind {
    /// The syscall-entry stop.
    Stop = 0,
    /// No stop: an engine changed the syscall at its report; seccomp must filter it. The
    /// new entry is not reported again.
    Recheck = 1,
    /// No stop: the syscall entered with utrace's masks meant for another call
    /// (`entrymask.rs`); seccomp and ptrace must see it. The new entry is reported.
    Unmasked = 2,
}

// SAFETY: a unit-only enum with `repr(i32)`: same size and alignment as `i32`, and
// round-trip transmutable to it (only values of the enum are ever stored).
unsafe impl AtomicType for EntryKind {
    type Repr = i32;
}

/// A queued entry item's orders: what was skipped, whether to abort, whether to stop.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) skipped: arch::Skipped,
    pub(crate) abort: bool,
    pub(crate) kind: EntryKind,
}

/// The per-task entry-stop state (`UtraceTask::entry`). Only the thread itself reads or
/// writes it: at `sys_enter`, at `sys_exit`, and in its own task_work (its item is
/// `UtraceTask::entry_work`). Relaxed atomics: one thread, no ordering needed.
pub(crate) struct EntryStop {
    /// [`SyscallStop`].
    state: Atomic<SyscallStop>,
    /// With `Resumed` or `Rechecked`: the return address of the syscall to be re-run.
    rerun_ip: Atomic<usize>,
    /// The [`Pending`] of the embedded item, written before it is queued, read when it
    /// runs.
    nr: Atomic<isize>,
    ax: Atomic<usize>,
    abort: Atomic<bool>,
    kind: Atomic<EntryKind>,
}

impl EntryStop {
    pub(crate) const fn new() -> Self {
        EntryStop {
            state: Atomic::new(SyscallStop::None),
            rerun_ip: Atomic::new(0),
            nr: Atomic::new(0),
            ax: Atomic::new(0),
            abort: Atomic::new(false),
            kind: Atomic::new(EntryKind::Stop),
        }
    }

    /// Where the thread is in a syscall-entry stop.
    pub(crate) fn state(&self) -> SyscallStop {
        self.state.load(Relaxed)
    }

    pub(crate) fn set_state(&self, s: SyscallStop) {
        self.state.store(s, Relaxed);
    }

    /// After an entry stop (`Resumed`) or a pass back through seccomp (`Rechecked`): the
    /// syscall returning to `ip` is the re-run.
    pub(crate) fn set_rerun_at(&self, ip: usize, s: SyscallStop) {
        self.rerun_ip.store(ip, Relaxed);
        self.set_state(s);
    }

    /// Whether the syscall returning to `ip` is the re-run after an entry stop (`Resumed`)
    /// or a pass back through seccomp (`Rechecked`), or neither (`None`); a re-run is
    /// consumed. A signal handler's syscalls in between do not match.
    pub(crate) fn take_rerun_at(&self, ip: usize) -> SyscallStop {
        let s = self.state();
        if matches!(s, SyscallStop::Resumed | SyscallStop::Rechecked)
            && self.rerun_ip.load(Relaxed) == ip
        {
            self.set_state(SyscallStop::None);
            return s;
        }
        SyscallStop::None
    }

    /// Whether this is the skipped pass of an entry stop (its `sys_exit` is not a syscall
    /// exit: not reported, and it ends no step).
    pub(crate) fn is_skipped_pass(&self) -> bool {
        self.state() == SyscallStop::Skipped
    }

    /// Whether the thread is about to re-run a syscall after an entry stop (`step.rs`: the
    /// step then covers that syscall instruction).
    pub(crate) fn rerun_pending(&self) -> bool {
        self.state() == SyscallStop::Resumed
    }

    /// Before the embedded item is queued: its orders.
    pub(crate) fn set_pending(&self, p: Pending) {
        self.nr.store(p.skipped.nr, Relaxed);
        self.ax.store(p.skipped.ax, Relaxed);
        self.abort.store(p.abort, Relaxed);
        self.kind.store(p.kind, Relaxed);
    }

    /// When the embedded item runs: the orders [`set_pending`](Self::set_pending) stored.
    pub(crate) fn pending(&self) -> Pending {
        Pending {
            skipped: arch::Skipped {
                nr: self.nr.load(Relaxed),
                ax: self.ax.load(Relaxed),
            },
            abort: self.abort.load(Relaxed),
            kind: self.kind.load(Relaxed),
        }
    }
}
