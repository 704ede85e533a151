// SPDX-License-Identifier: GPL-2.0

//! Safe Rust bindings to the utrace engine API, for Rust engine modules.
//!
//! Rust crates cannot be linked across kernel modules, so a Rust engine compiles this file
//! into its own crate:
//!
//! ```ignore
//! #[path = "<utrace-rs>/include/rust/utrace.rs"]
//! mod utrace;
//! ```
//!
//! and links against utrace.ko's exported C functions (build it in the same kbuild pass as
//! utrace.ko, or with `KBUILD_EXTRA_SYMBOLS=<utrace-rs>/out/modules/Module.symvers`).
//!
//! An engine is a type implementing [`Engine`]; [`Attached::attach`] attaches an
//! `Arc<E>` to a task and returns the handle through which events are set and the task
//! controlled. Dropping the handle detaches the engine and waits (`utrace_barrier`) until no
//! callback of it can run, so an engine module that drops its handles in its exit path can
//! never be called back after it is gone. The engine value itself is dropped by utrace's
//! `release` callback, once, when utrace and the handle have both let go of it: in the
//! context of the handle's drop, or, when utrace's reference is the last (a detach, the
//! reap), in process context (utrace defers it from softirq). So an engine value may own
//! `Attached` handles (of the children it follows, say): they are dropped, and wait, there.
//!
//! The callbacks run in the contexts documented in `include/linux/utrace.h`; in particular
//! [`Engine::report_reap`] cannot sleep, nor [`Engine::intercept_signal`] (and
//! [`Engine::report_signal`]) for a [`SignalKind::Observed`] report; an intercepted signal
//! is reported in task context, where they may.

// This file is a module of each engine's own crate: its `pub` items are that engine's API
// (hence `unreachable_pub`), and an engine uses only part of it (hence `dead_code`).
#![allow(dead_code, unreachable_pub)]

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::cred::Credential;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};
use kernel::fs::{File, Kiocb};
use kernel::miscdevice::{MiscDevice, MiscDeviceOptions};
use kernel::pid_namespace::PidNamespace;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::poll::PollTable;
use kernel::sync::{Arc, ArcBorrow, LockClassKey};
use kernel::task::Task;
use kernel::types::{ForeignOwnable, Opaque};

/// The constants of `include/linux/utrace.h`, under their C names (`UTRACE_EVENT_X` is
/// `UTRACE_EVENT(X)`). `scripts/check-abi` compares each with the header at every build.
mod c {
    use kernel::ffi::c_int;

    pub(super) const UTRACE_EVENT_QUIESCE: usize = 1 << 0;
    pub(super) const UTRACE_EVENT_REAP: usize = 1 << 1;
    pub(super) const UTRACE_EVENT_CLONE: usize = 1 << 2;
    pub(super) const UTRACE_EVENT_EXEC: usize = 1 << 3;
    pub(super) const UTRACE_EVENT_EXIT: usize = 1 << 4;
    pub(super) const UTRACE_EVENT_DEATH: usize = 1 << 5;
    pub(super) const UTRACE_EVENT_SYSCALL_ENTRY: usize = 1 << 6;
    pub(super) const UTRACE_EVENT_SYSCALL_EXIT: usize = 1 << 7;
    pub(super) const UTRACE_EVENT_SIGNAL: usize = 1 << 8;
    pub(super) const UTRACE_EVENT_SIGNAL_IGN: usize = 1 << 9;
    pub(super) const UTRACE_EVENT_SIGNAL_STOP: usize = 1 << 10;
    pub(super) const UTRACE_EVENT_SIGNAL_TERM: usize = 1 << 11;
    pub(super) const UTRACE_EVENT_SIGNAL_CORE: usize = 1 << 12;
    pub(super) const UTRACE_EVENT_JCTL: usize = 1 << 13;
    pub(super) const CLD_STOPPED: i32 = 5;
    pub(super) const CLD_CONTINUED: i32 = 6;
    pub(super) const UTRACE_EVENT_SIGNAL_ALL: usize = 0x1f << 8;
    pub(super) const UTRACE_EVENT_SYSCALL: usize = (1 << 6) | (1 << 7);
    pub(super) const UTRACE_STOP: u32 = 0;
    pub(super) const UTRACE_INTERRUPT: u32 = 1;
    pub(super) const UTRACE_REPORT: u32 = 2;
    pub(super) const UTRACE_SINGLESTEP: u32 = 3;
    pub(super) const UTRACE_BLOCKSTEP: u32 = 4;
    pub(super) const UTRACE_RESUME: u32 = 5;
    pub(super) const UTRACE_DETACH: u32 = 6;
    pub(super) const UTRACE_RESUME_MASK: u32 = 7;
    pub(super) const UTRACE_SYSCALL_ABORT: u32 = 0x10;
    pub(super) const UTRACE_SIGNAL_DELIVER: u32 = 0x00;
    pub(super) const UTRACE_SIGNAL_IGN: u32 = 0x10;
    pub(super) const UTRACE_SIGNAL_TERM: u32 = 0x20;
    pub(super) const UTRACE_SIGNAL_CORE: u32 = 0x30;
    pub(super) const UTRACE_SIGNAL_STOP: u32 = 0x40;
    pub(super) const UTRACE_SIGNAL_TSTP: u32 = 0x50;
    pub(super) const UTRACE_SIGNAL_REPORT: u32 = 0x60;
    pub(super) const UTRACE_SIGNAL_MASK: u32 = 0xf0;
    pub(super) const UTRACE_SIGNAL_OBSERVED: u32 = 0x200;
    pub(super) const UTRACE_SYSCALL_RESUMED: u32 = 0x100;
    pub(super) const UTRACE_ATTACH_MATCH_OPS: c_int = 0x1;
    pub(super) const UTRACE_ATTACH_CREATE: c_int = 0x10;
    pub(super) const UTRACE_ATTACH_EXCLUSIVE: c_int = 0x20;
    pub(super) const UTRACE_ATTACH_CHECK_ACCESS: c_int = 0x40;
    pub(super) const UTRACE_ACCESS_OWN_GROUP: c_int = 0x100;
    pub(super) const UTRACE_ACCESS_USER_WORKER: c_int = 0x200;
    pub(super) const UTRACE_WATCH_WRITE: u32 = 2;
    pub(super) const UTRACE_WATCH_RW: u32 = 3;
    pub(super) const UTRACE_WATCH_EXEC: u32 = 4;
}

/// A set of utrace events (`UTRACE_EVENT()` bits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Events(pub usize);

impl Events {
    pub const NONE: Events = Events(0);
    pub const QUIESCE: Events = Events(c::UTRACE_EVENT_QUIESCE);
    pub const REAP: Events = Events(c::UTRACE_EVENT_REAP);
    pub const CLONE: Events = Events(c::UTRACE_EVENT_CLONE);
    pub const EXEC: Events = Events(c::UTRACE_EVENT_EXEC);
    pub const EXIT: Events = Events(c::UTRACE_EVENT_EXIT);
    pub const DEATH: Events = Events(c::UTRACE_EVENT_DEATH);
    pub const SYSCALL_ENTRY: Events = Events(c::UTRACE_EVENT_SYSCALL_ENTRY);
    pub const SYSCALL_EXIT: Events = Events(c::UTRACE_EVENT_SYSCALL_EXIT);
    pub const SIGNAL: Events = Events(c::UTRACE_EVENT_SIGNAL);
    pub const SIGNAL_IGN: Events = Events(c::UTRACE_EVENT_SIGNAL_IGN);
    pub const SIGNAL_STOP: Events = Events(c::UTRACE_EVENT_SIGNAL_STOP);
    pub const SIGNAL_TERM: Events = Events(c::UTRACE_EVENT_SIGNAL_TERM);
    pub const SIGNAL_CORE: Events = Events(c::UTRACE_EVENT_SIGNAL_CORE);
    /// Job control: [`Engine::report_jctl`].
    pub const JCTL: Events = Events(c::UTRACE_EVENT_JCTL);
    pub const SIGNAL_ALL: Events = Events(c::UTRACE_EVENT_SIGNAL_ALL);
    pub const SYSCALL: Events = Events(c::UTRACE_EVENT_SYSCALL);

    /// Both sets.
    pub const fn with(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }
}

/// What a callback answers, or what `utrace_control()` asks (the `u32` action encoding).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Action(pub u32);

/// The resume actions, in folding order: the smallest of the engines' answers wins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum ResumeAction {
    Stop = c::UTRACE_STOP,
    Interrupt = c::UTRACE_INTERRUPT,
    Report = c::UTRACE_REPORT,
    SingleStep = c::UTRACE_SINGLESTEP,
    BlockStep = c::UTRACE_BLOCKSTEP,
    Resume = c::UTRACE_RESUME,
    Detach = c::UTRACE_DETACH,
}

impl Action {
    /// Resume normally.
    pub const RESUME: Action = Action(ResumeAction::Resume as u32);
    /// Detach this engine.
    pub const DETACH: Action = Action(ResumeAction::Detach as u32);
    /// Ask for a `report_quiesce(0)` soon.
    pub const REPORT: Action = Action(ResumeAction::Report as u32);
    /// Stop the thread at its next safe point, until this engine resumes it.
    pub const STOP: Action = Action(ResumeAction::Stop as u32);
    /// As [`Action::REPORT`], and break an interruptible sleep.
    pub const INTERRUPT: Action = Action(ResumeAction::Interrupt as u32);
    /// Execute one user instruction, then `report_quiesce(0)`.
    pub const SINGLESTEP: Action = Action(ResumeAction::SingleStep as u32);
    /// Run to the next branch, then `report_quiesce(0)`.
    pub const BLOCKSTEP: Action = Action(ResumeAction::BlockStep as u32);

    /// At syscall entry: this is the re-run of a syscall after a syscall-entry stop
    /// (`UTRACE_SYSCALL_RESUMED`).
    pub fn syscall_resumed(self) -> bool {
        self.0 & c::UTRACE_SYSCALL_RESUMED != 0
    }

    /// The resume action part.
    pub fn resume(self) -> u32 {
        self.0 & c::UTRACE_RESUME_MASK
    }

    /// The event-specific part (syscall or signal action bits).
    pub fn event_bits(self) -> u32 {
        self.0 & !c::UTRACE_RESUME_MASK
    }

    /// This action, with the syscall not run (syscall entry only).
    pub const fn abort_syscall(self) -> Action {
        Action(self.0 | c::UTRACE_SYSCALL_ABORT)
    }

    /// This resume action, with the signal action `sig` (`report_signal` only; the last
    /// engine's signal action decides).
    pub const fn with_signal(self, sig: SignalAction) -> Action {
        Action((self.0 & c::UTRACE_RESUME_MASK) | sig as u32)
    }

    /// The signal action part (`UTRACE_SIGNAL_*`, `report_signal` only).
    pub fn signal_action(self) -> u32 {
        self.0 & c::UTRACE_SIGNAL_MASK
    }

    /// `report_signal` after the fact (`UTRACE_SIGNAL_OBSERVED`): atomic context, the signal
    /// action of the answer is ignored.
    pub fn signal_observed(self) -> bool {
        self.0 & c::UTRACE_SIGNAL_OBSERVED != 0
    }

    /// This resume action, with the signal action `passed` carries (`report_signal`: the
    /// one the engines before chose), so that the signal's fate is left as it was.
    pub const fn keep_signal(self, passed: Action) -> Action {
        Action((self.0 & c::UTRACE_RESUME_MASK) | (passed.0 & c::UTRACE_SIGNAL_MASK))
    }

    /// This resume action, with the syscall action `passed` carries (`report_syscall_entry`:
    /// an abort the engines before asked for), so that it stands.
    pub const fn keep_syscall(self, passed: Action) -> Action {
        Action((self.0 & c::UTRACE_RESUME_MASK) | (passed.0 & c::UTRACE_SYSCALL_ABORT))
    }
}

/// What to do with a signal (`report_signal`'s answer, [`Attached::set_signal`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum SignalAction {
    /// Deliver the signal `si_signo` names, with the process's action for it.
    Deliver = c::UTRACE_SIGNAL_DELIVER,
    /// Drop it; the thread runs on.
    Ignore = c::UTRACE_SIGNAL_IGN,
    /// Terminate (approximated by SIGKILL unless it is the signal's own default action).
    Terminate = c::UTRACE_SIGNAL_TERM,
    /// Dump core (the same approximation: no core dump can be asked for).
    Core = c::UTRACE_SIGNAL_CORE,
    /// Stop (approximated by SIGSTOP unless it is the signal's own default action).
    Stop = c::UTRACE_SIGNAL_STOP,
    /// Stop as SIGTSTP would (the same approximation).
    Tstp = c::UTRACE_SIGNAL_TSTP,
}

/// Which job control report [`Engine::report_jctl`] is (`Documentation/api.md`, "Job
/// control").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JctlType {
    /// `CLD_STOPPED`: the thread is about to enter a group stop (or, reported late, entered
    /// one unseen).
    Stopped,
    /// `CLD_CONTINUED`: SIGCONT ended the group stop the thread had reported.
    Continued,
}

impl JctlType {
    fn from_raw(t: c_int) -> Option<JctlType> {
        match t {
            c::CLD_STOPPED => Some(JctlType::Stopped),
            c::CLD_CONTINUED => Some(JctlType::Continued),
            _ => None,
        }
    }

    /// The `CLD_*` code.
    pub fn code(self) -> i32 {
        match self {
            JctlType::Stopped => c::CLD_STOPPED,
            JctlType::Continued => c::CLD_CONTINUED,
        }
    }
}

/// Which `report_signal` a [`SignalReport`] is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignalKind {
    /// The thread is about to take the signal, which the answer decides (task context: the
    /// callback may sleep).
    Intercepted,
    /// After `UTRACE_INTERRUPT` (`UTRACE_SIGNAL_REPORT`): no signal; answering
    /// [`SignalAction::Deliver`] after [`SignalReport::inject`] injects one.
    Report,
    /// After the fact (`UTRACE_SIGNAL_OBSERVED`): atomic, the signal action is ignored.
    Observed,
}

/// The signal of a `report_signal` callback: read it, change it (number, `si_code`,
/// `si_value`), or inject one at a [`SignalKind::Report`].
pub struct SignalReport<'a> {
    info: Option<&'a mut bindings::kernel_siginfo>,
    /// The thread's user registers (read-only: a stopped thread's are changed with
    /// [`Attached::set_user_regs`]).
    regs: Option<&'a bindings::pt_regs>,
    kind: SignalKind,
}

impl SignalReport<'_> {
    /// Which report this is.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// The thread's user instruction pointer at the report: for an `int3` trap (SIGTRAP,
    /// [`SI_KERNEL`]) the address just after the `int3` ([`Breakpoint::hit_at`]), for a
    /// watchpoint hit ([`TRAP_HWBKPT`]) the instruction after the access. 0 if utrace passed
    /// no registers. To change it (rewind to a breakpoint's address), stop the thread and
    /// use [`Attached::user_regs`] and [`Attached::set_user_regs`].
    pub fn ip(&self) -> usize {
        self.regs.map_or(0, |r| r.ip)
    }

    /// The signal number (SIGKILL for an observed group exit, which has no siginfo; 0 at a
    /// [`SignalKind::Report`] before an injection).
    pub fn signo(&self) -> i32 {
        match &self.info {
            Some(i) => i.__bindgen_anon_1.si_signo,
            None => bindings::SIGKILL as i32,
        }
    }

    /// `si_code`.
    pub fn code(&self) -> i32 {
        self.info.as_ref().map_or(0, |i| i.__bindgen_anon_1.si_code)
    }

    /// `si_addr`, for a trap with an address: a watchpoint hit (`si_code` `TRAP_HWBKPT`,
    /// the watched address). 0 for other signals, whose siginfo has no address (an `int3`'s
    /// is `SI_KERNEL`: its address is the instruction pointer minus 1).
    pub fn addr(&self) -> usize {
        match &self.info {
            Some(i)
                if i.__bindgen_anon_1.si_signo == bindings::SIGTRAP as i32
                    && i.__bindgen_anon_1.si_code == TRAP_HWBKPT =>
            {
                // SAFETY: a TRAP_HWBKPT siginfo is filled through `_sigfault` (utrace's
                // trap report); a union field of plain data, any bits valid.
                unsafe { i.__bindgen_anon_1._sifields._sigfault._addr as usize }
            }
            _ => 0,
        }
    }

    /// The first 48 bytes of the siginfo (`si_signo`, `si_errno`, `si_code`, then the union),
    /// as in `struct kernel_siginfo` on x86-64, in native-endian 8-byte words: what a tracer
    /// copies out for user space to decode. Zero for a report with no siginfo (an observed
    /// group exit's SIGKILL).
    pub fn raw_words(&self) -> [u64; 6] {
        const _: () = assert!(core::mem::size_of::<bindings::kernel_siginfo>() >= 48);
        const _: () = assert!(core::mem::align_of::<bindings::kernel_siginfo>() >= 8);
        match &self.info {
            // SAFETY: the siginfo is at least 48 bytes and 8-byte aligned (asserted above),
            // valid for the callback; any bits are a valid `[u64; 6]`, and no byte (padding
            // included) is uninitialised: utrace passes a byte copy (`glue::SigInfo`) of a
            // siginfo the kernel zeroed before filling it (`clear_siginfo()`), or its own
            // zeroed one.
            Some(i) => unsafe { core::ptr::from_ref(&**i).cast::<[u64; 6]>().read() },
            None => [0; 6],
        }
    }

    /// Makes the signal delivered `signo` (1 to 64), with `si_code` `code` and
    /// `si_value.sival_int` `value`; the rest of the siginfo is cleared. `EINVAL` for a bad
    /// number, or at a [`SignalKind::Observed`] report (the signal is being delivered
    /// already: nothing can change it). utrace checks nothing but the number: an engine
    /// relaying a user's choice applies `rt_sigqueueinfo()`'s `si_code` rule itself.
    pub fn rewrite(&mut self, signo: i32, code: i32, value: i32) -> Result {
        if !(1..=64).contains(&signo) || self.kind == SignalKind::Observed {
            return Err(EINVAL);
        }
        let info = self.info.as_deref_mut().ok_or(EINVAL)?;
        fill_siginfo(info, signo, code, value);
        Ok(())
    }

    /// At a [`SignalKind::Report`]: the signal to inject (answer
    /// [`SignalAction::Deliver`]). `EINVAL` elsewhere, or for a bad number.
    pub fn inject(&mut self, signo: i32, code: i32, value: i32) -> Result {
        if self.kind != SignalKind::Report {
            return Err(EINVAL);
        }
        self.rewrite(signo, code, value)
    }
}

/// `TRAP_HWBKPT`: the `si_code` of a watchpoint hit.
pub const TRAP_HWBKPT: i32 = 4;
/// `SI_KERNEL`: the `si_code` of an `int3` trap.
pub const SI_KERNEL: i32 = 0x80;

/// A breakpoint written by [`Attached::insert_breakpoint`]: its address and the byte the
/// `int3` replaced, which [`Attached::remove_breakpoint`] puts back.
#[must_use = "the original byte is needed to remove the breakpoint"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breakpoint {
    addr: usize,
    orig: u8,
}

impl Breakpoint {
    /// Its address.
    pub fn addr(&self) -> usize {
        self.addr
    }

    /// The byte the `int3` replaced.
    pub fn orig(&self) -> u8 {
        self.orig
    }

    /// Whether a trap reported with the user instruction pointer `ip` is this breakpoint's
    /// (`ip` is just after the `int3`).
    pub fn hit_at(&self, ip: usize) -> bool {
        ip == self.addr.wrapping_add(1)
    }
}

/// What a watchpoint ([`Attached::set_watchpoint`]) fires on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WatchKind {
    /// A write to the range (`UTRACE_WATCH_WRITE`).
    Write = c::UTRACE_WATCH_WRITE,
    /// A read or a write (`UTRACE_WATCH_RW`; x86 has no read-only watchpoint).
    ReadWrite = c::UTRACE_WATCH_RW,
    /// Executing the instruction at the address (`UTRACE_WATCH_EXEC`).
    Exec = c::UTRACE_WATCH_EXEC,
}

/// A zeroed siginfo of signal `signo`, with `si_code` `code` and `sival_int` `value`.
fn fill_siginfo(info: &mut bindings::kernel_siginfo, signo: i32, code: i32, value: i32) {
    // SAFETY: any bit pattern is valid for this plain C struct of integers and unions.
    *info = unsafe { core::mem::zeroed() };
    let f = &mut info.__bindgen_anon_1;
    f.si_signo = signo;
    f.si_code = code;
    // `si_int` is `_sifields._rt._sigval.sival_int`.
    f._sifields._rt._sigval.sival_int = value;
}

/// The registers of a thread at syscall entry or exit (x86_64 names), in a callback of
/// the engine `engine` (for [`SyscallRegs::read_user`]).
pub struct SyscallRegs<'a> {
    regs: &'a mut bindings::pt_regs,
    engine: E,
}

impl SyscallRegs<'_> {
    /// The system call number (`orig_ax`).
    pub fn nr(&self) -> i64 {
        self.regs.orig_ax as i64
    }

    /// Argument `i` (0 to 5), as the x86_64 syscall ABI passes it.
    pub fn arg(&self, i: usize) -> u64 {
        let r = &self.regs;
        (match i {
            0 => r.di,
            1 => r.si,
            2 => r.dx,
            3 => r.r10,
            4 => r.r8,
            _ => r.r9,
        }) as u64
    }

    /// The return value (`ax`), meaningful at syscall exit.
    pub fn ret(&self) -> i64 {
        self.regs.ax as i64
    }

    /// Changes the return value (syscall exit), or the value an aborted syscall returns.
    pub fn set_ret(&mut self, v: i64) {
        self.regs.ax = v as usize;
    }

    /// Reads the thread's memory at user address `addr` into `buf`
    /// (`utrace_copy_from_current()`): the thread is current in this engine's syscall
    /// callback; ptrace's per-access rule holds (`EPERM` once the thread is not
    /// owner-dumpable, unless the task that attached the engine had `CAP_SYS_PTRACE` over
    /// it); the read never waits (for I/O, a userfaultfd or FUSE server, the mmap lock), as
    /// a probe must not. Returns the bytes read: fewer than `buf.len()` where memory is
    /// unmapped or would need a wait; `EAGAIN` if none could be read at once.
    pub fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<usize> {
        let len = c_int::try_from(buf.len()).map_err(|_| EINVAL)?;
        if len == 0 {
            return Ok(0);
        }
        // SAFETY: a `SyscallRegs` is built only by the syscall trampolines, as a borrow that
        // ends with the callback (private fields, not `Send`), so `engine` is the engine of
        // the callback running on current, which utrace holds meanwhile (and
        // `utrace_copy_from_current()` refuses an engine that is not current's); `buf` is
        // valid for `len` bytes of writes.
        let n = unsafe {
            utrace_copy_from_current(self.engine, addr as c_ulong, buf.as_mut_ptr().cast(), len)
        };
        to_result(n)?;
        Ok(n as usize)
    }
}

/// A tracing engine's callbacks. Every method has a default that answers
/// [`Action::RESUME`] (or does nothing); an engine only gets the events it set.
pub trait Engine: Send + Sync + Sized + 'static {
    /// The thread is at a safe point before `event`, or `event` is empty after REPORT.
    fn report_quiesce(&self, _action: Action, _event: Events) -> Action {
        Action::RESUME
    }
    /// The thread created `child` (not yet run) with the legacy `clone_flags` word.
    fn report_clone(&self, _action: Action, _clone_flags: u64, _child: &Task) -> Action {
        Action::RESUME
    }
    /// The thread completed an exec. After an exec that gained privilege (setuid, setgid,
    /// file capabilities), only engines attached by a task with `CAP_SYS_PTRACE` are still
    /// attached to get it: the others were detached before the new program ran.
    fn report_exec(&self, _action: Action) -> Action {
        Action::RESUME
    }
    /// The thread entered a system call.
    fn report_syscall_entry(&self, _action: Action, _regs: &mut SyscallRegs<'_>) -> Action {
        Action::RESUME
    }
    /// The thread is returning from a system call.
    fn report_syscall_exit(&self, _action: Action, _regs: &mut SyscallRegs<'_>) -> Action {
        Action::RESUME
    }
    /// The thread is exiting with `orig_code`; `code` may be changed.
    fn report_exit(&self, _action: Action, _orig_code: i64, _code: &mut i64) -> Action {
        Action::RESUME
    }
    /// The thread is dead. Only [`Action::DETACH`] means anything here.
    fn report_death(&self, _group_dead: bool, _signal: i32) -> Action {
        Action::RESUME
    }
    /// Job control ([`Events::JCTL`]; may sleep): the thread is about to enter a group stop,
    /// or SIGCONT continued it. `notify` is the `CLD_*` code the parent is (expected to be)
    /// notified of, or 0. [`Action::STOP`] at [`JctlType::Continued`] keeps the thread
    /// stopped after SIGCONT while its siblings run.
    fn report_jctl(&self, _action: Action, _kind: JctlType, _notify: i32) -> Action {
        Action::RESUME
    }
    /// The task is being freed (softirq: must not sleep); the engine is detached after. The
    /// engine's own handle may be dropped here (its `utrace_barrier` returns at once: this is
    /// the last callback), not another engine's.
    fn report_reap(&self, _task: &Task) {}
    /// Signal `signo` is being reported ([`Engine::intercept_signal`] calls this by
    /// default; it may sleep unless `action.signal_observed()`). The default answer lets
    /// the signal through as it is.
    fn report_signal(&self, action: Action, _signo: i32) -> Action {
        // Resume, leaving the signal action the engines before chose.
        Action(c::UTRACE_RESUME | action.signal_action())
    }
    /// The full `report_signal`: `sig` may be read and changed (or, at a
    /// [`SignalKind::Report`], a signal injected); the answer's [`SignalAction`] decides
    /// (see `Documentation/api.md`, "Signals"), with [`Action::STOP`] holding the signal
    /// while the thread is stopped ([`Attached::set_signal`] may change the decision).
    fn intercept_signal(&self, action: Action, sig: &mut SignalReport<'_>) -> Action {
        self.report_signal(action, sig.signo())
    }
}

// The C ABI of include/linux/utrace.h. utrace.ko checks at load time that these layouts
// are the C compiler's.
#[repr(C)]
struct RawEngine {
    ops: *const RawOps,
    data: *mut c_void,
    flags: c_ulong,
}

type E = *mut RawEngine;

#[repr(C)]
struct RawOps {
    report_quiesce: Option<unsafe extern "C" fn(u32, E, c_ulong) -> u32>,
    report_signal: Option<
        unsafe extern "C" fn(
            u32,
            E,
            *mut bindings::pt_regs,
            *mut bindings::kernel_siginfo,
            *const bindings::k_sigaction,
            *mut bindings::k_sigaction,
        ) -> u32,
    >,
    report_clone: Option<unsafe extern "C" fn(u32, E, c_ulong, *mut bindings::task_struct) -> u32>,
    report_jctl: Option<unsafe extern "C" fn(u32, E, c_int, c_int) -> u32>,
    report_exec: Option<
        unsafe extern "C" fn(
            u32,
            E,
            *const bindings::linux_binfmt,
            *const bindings::linux_binprm,
            *mut bindings::pt_regs,
        ) -> u32,
    >,
    report_syscall_entry: Option<unsafe extern "C" fn(u32, E, *mut bindings::pt_regs) -> u32>,
    report_syscall_exit: Option<unsafe extern "C" fn(u32, E, *mut bindings::pt_regs) -> u32>,
    report_exit: Option<unsafe extern "C" fn(u32, E, c_long, *mut c_long) -> u32>,
    report_death: Option<unsafe extern "C" fn(E, bool, c_int) -> u32>,
    report_reap: Option<unsafe extern "C" fn(E, *mut bindings::task_struct)>,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
}

// `task_struct` holds an empty struct; only pointers to it cross this boundary.
#[allow(improper_ctypes)]
extern "C" {
    fn utrace_attach_task(
        target: *mut bindings::task_struct,
        flags: c_int,
        ops: *const RawOps,
        data: *mut c_void,
    ) -> *mut RawEngine;
    fn utrace_engine_put(engine: *mut RawEngine);
    fn utrace_may_trace(target: *mut bindings::task_struct, flags: c_int) -> c_int;
    fn utrace_may_command(
        attacher: *const bindings::cred,
        target: *mut bindings::task_struct,
        flags: c_int,
    ) -> c_int;
    fn utrace_may_trace_as(
        cred: *const bindings::cred,
        target: *mut bindings::task_struct,
        flags: c_int,
    ) -> c_int;
    fn utrace_set_events(target: *mut bindings::task_struct, engine: E, events: c_ulong) -> c_int;
    fn utrace_control(target: *mut bindings::task_struct, engine: E, action: u32) -> c_int;
    fn utrace_set_signal(
        target: *mut bindings::task_struct,
        engine: E,
        action: u32,
        info: *const bindings::kernel_siginfo,
    ) -> c_int;
    fn utrace_barrier(target: *mut bindings::task_struct, engine: E) -> c_int;
    fn utrace_barrier_uninterruptible(target: *mut bindings::task_struct, engine: E) -> c_int;
    fn utrace_wake_up(wq: *mut bindings::wait_queue_head);
    fn utrace_prepare_examine(
        target: *mut bindings::task_struct,
        engine: E,
        exam: *mut RawExaminer,
    ) -> c_int;
    fn utrace_finish_examine(
        target: *mut bindings::task_struct,
        engine: E,
        exam: *mut RawExaminer,
    ) -> c_int;
    fn utrace_regset_get(
        target: *mut bindings::task_struct,
        engine: E,
        which: c_uint,
        buf: *mut c_void,
        size: c_uint,
    ) -> c_int;
    fn utrace_regset_set(
        target: *mut bindings::task_struct,
        engine: E,
        which: c_uint,
        pos: c_uint,
        buf: *const c_void,
        size: c_uint,
    ) -> c_int;
    fn utrace_access_vm(
        target: *mut bindings::task_struct,
        engine: E,
        addr: c_ulong,
        buf: *mut c_void,
        len: c_int,
        write: bool,
    ) -> c_int;
    fn utrace_copy_from_current(engine: E, addr: c_ulong, buf: *mut c_void, len: c_int) -> c_int;
    fn utrace_set_breakpoint(
        target: *mut bindings::task_struct,
        engine: E,
        addr: c_ulong,
        orig: *mut u8,
    ) -> c_int;
    fn utrace_clear_breakpoint(
        target: *mut bindings::task_struct,
        engine: E,
        addr: c_ulong,
        orig: u8,
    ) -> c_int;
    fn utrace_set_watchpoint(
        target: *mut bindings::task_struct,
        engine: E,
        addr: c_ulong,
        len: c_uint,
        type_: c_uint,
    ) -> c_int;
    fn utrace_clear_watchpoint(
        target: *mut bindings::task_struct,
        engine: E,
        addr: c_ulong,
    ) -> c_int;
}

/// `struct utrace_examiner`.
#[repr(C)]
#[derive(Default)]
struct RawExaminer {
    state: c_long,
    ncsw: c_ulong,
}

/// The callback table of engine type `T`: one per type, in static memory.
struct Vtable<T>(PhantomData<T>);

impl<T: Engine> Vtable<T> {
    const OPS: RawOps = RawOps {
        report_quiesce: Some(Self::quiesce),
        report_signal: Some(Self::signal),
        report_clone: Some(Self::clone),
        report_jctl: Some(Self::jctl),
        report_exec: Some(Self::exec),
        report_syscall_entry: Some(Self::syscall_entry),
        report_syscall_exit: Some(Self::syscall_exit),
        report_exit: Some(Self::exit),
        report_death: Some(Self::death),
        report_reap: Some(Self::reap),
        release: Some(Self::release),
    };

    /// The engine value of a callback.
    ///
    /// # Safety
    ///
    /// `engine` is a utrace engine whose `data` is an `Arc<T>` raw pointer (as `attach`
    /// makes it), valid during a callback (utrace calls `release` only after the last one).
    unsafe fn this<'a>(engine: E) -> ArcBorrow<'a, T> {
        // SAFETY: per the function's safety requirements.
        unsafe { ArcBorrow::from_raw((*engine).data.cast::<T>()) }
    }

    /// The `quiesce` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn quiesce(action: u32, engine: E, event: c_ulong) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made.
        let this = unsafe { Self::this(engine) };
        this.report_quiesce(Action(action), Events(event)).0
    }

    /// The `signal` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn signal(
        action: u32,
        engine: E,
        regs: *mut bindings::pt_regs,
        info: *mut bindings::kernel_siginfo,
        ka: *const bindings::k_sigaction,
        _ret_ka: *mut bindings::k_sigaction,
    ) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made.
        let this = unsafe { Self::this(engine) };
        let kind = if action & c::UTRACE_SIGNAL_OBSERVED != 0 {
            SignalKind::Observed
        } else if ka.is_null() {
            SignalKind::Report
        } else {
            SignalKind::Intercepted
        };
        let mut sig = SignalReport {
            // SAFETY: `info` is NULL or the siginfo of the report, valid and not otherwise
            // used during the callback.
            info: unsafe { info.as_mut() },
            // SAFETY: `regs` is NULL or the thread's user registers, valid during the
            // callback; only read through this reference.
            regs: unsafe { regs.cast_const().as_ref() },
            kind,
        };
        this.intercept_signal(Action(action), &mut sig).0
    }

    /// The `clone` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn clone(
        action: u32,
        engine: E,
        flags: c_ulong,
        child: *mut bindings::task_struct,
    ) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made; `child` is alive during the
        // callback and `Task` is a transparent wrapper of `task_struct`.
        let (this, child) = unsafe { (Self::this(engine), &*child.cast::<Task>()) };
        this.report_clone(Action(action), flags as u64, child).0
    }

    /// The `exec` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn exec(
        action: u32,
        engine: E,
        _fmt: *const bindings::linux_binfmt,
        _bprm: *const bindings::linux_binprm,
        _regs: *mut bindings::pt_regs,
    ) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made.
        let this = unsafe { Self::this(engine) };
        this.report_exec(Action(action)).0
    }

    /// The `syscall_entry` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn syscall_entry(
        action: u32,
        engine: E,
        regs: *mut bindings::pt_regs,
    ) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made; `regs` are the thread's user
        // registers, ours to read and change during the callback.
        let (this, regs) = unsafe { (Self::this(engine), &mut *regs) };
        this.report_syscall_entry(Action(action), &mut SyscallRegs { regs, engine })
            .0
    }

    /// The `syscall_exit` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn syscall_exit(action: u32, engine: E, regs: *mut bindings::pt_regs) -> u32 {
        // SAFETY: as for `syscall_entry`.
        let (this, regs) = unsafe { (Self::this(engine), &mut *regs) };
        this.report_syscall_exit(Action(action), &mut SyscallRegs { regs, engine })
            .0
    }

    /// The `exit` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn exit(action: u32, engine: E, orig: c_long, code: *mut c_long) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made; `code` is valid and ours
        // during the callback.
        let (this, code) = unsafe { (Self::this(engine), &mut *code) };
        let mut c = *code as i64;
        let r = this.report_exit(Action(action), orig as i64, &mut c).0;
        *code = c as c_long;
        r
    }

    /// The `death` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn death(engine: E, group_dead: bool, signal: c_int) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made.
        let this = unsafe { Self::this(engine) };
        this.report_death(group_dead, signal).0
    }

    /// The `jctl` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn jctl(action: u32, engine: E, kind: c_int, notify: c_int) -> u32 {
        // SAFETY: called by utrace for an engine `attach` made.
        let this = unsafe { Self::this(engine) };
        match JctlType::from_raw(kind) {
            Some(k) => this.report_jctl(Action(action), k, notify).0,
            None => c::UTRACE_RESUME,
        }
    }

    /// The `reap` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn reap(engine: E, task: *mut bindings::task_struct) {
        // SAFETY: called by utrace for an engine `attach` made; `task` is valid during the
        // callback.
        let (this, task) = unsafe { (Self::this(engine), &*task.cast::<Task>()) };
        this.report_reap(task);
    }

    /// The `release` trampoline.
    ///
    /// # Safety
    ///
    /// Called by utrace, with an engine `attach` made and the callback's arguments.
    unsafe extern "C" fn release(data: *mut c_void) {
        // SAFETY: `data` is the `Arc<T>` reference `attach` gave utrace; utrace calls
        // `release` once, after the last callback.
        drop(unsafe { Arc::from_raw(data.cast::<T>()) });
    }
}

/// A wait queue: a tracer sleeps on it ([`WaitQueue::wait_interruptible_timeout`]) and a
/// callback wakes it with [`wake_up`], which, if the callback answers [`Action::STOP`], holds
/// the wake-up back until the thread has committed to the stop, so that the woken tracer
/// always finds it stopped ([`Attached::prepare_examine`] succeeds) and its
/// [`Attached::control`]`(Resume)` always ends that stop. If the thread does not stop after
/// all (SIGKILL, exit, detach), the wake-up is still delivered.
///
/// What a tracer waits for must be the *delivery* of the wake-up, not something the callback
/// sets before returning (that is true before the thread has stopped): the queue counts its
/// delivered wake-ups ([`WaitQueue::delivered`]) for that.
#[pin_data(PinnedDrop)]
pub struct WaitQueue {
    #[pin]
    raw: Opaque<RawWaitQueue>,
}

/// The queue head and, first on it, the entry that counts delivered wake-ups.
#[repr(C)]
struct RawWaitQueue {
    head: bindings::wait_queue_head,
    counter: bindings::wait_queue_entry,
    delivered: core::sync::atomic::AtomicUsize,
}

/// The counter entry's wake function: runs under the queue's lock for every wake-up.
///
/// # Safety
///
/// `entry` is the `counter` of a [`RawWaitQueue`], called by `__wake_up()`.
unsafe extern "C" fn count_wake(
    entry: *mut bindings::wait_queue_entry,
    _mode: c_uint,
    _flags: c_int,
    _key: *mut c_void,
) -> c_int {
    let off = core::mem::offset_of!(RawWaitQueue, counter);
    // SAFETY: per the function's safety requirements, `entry` is inside a `RawWaitQueue`.
    let raw = unsafe { &*entry.byte_sub(off).cast::<RawWaitQueue>() };
    raw.delivered
        .fetch_add(1, core::sync::atomic::Ordering::AcqRel);
    0
}

// SAFETY: a wait queue head is made to be used from any thread; it has its own lock.
unsafe impl Send for WaitQueue {}
// SAFETY: see `Send`.
unsafe impl Sync for WaitQueue {}

#[pinned_drop]
impl PinnedDrop for WaitQueue {
    fn drop(self: Pin<&mut Self>) {
        let raw = self.raw.get();
        // SAFETY: the counter was added to the head by `new`; both are still valid.
        unsafe { bindings::remove_wait_queue(&raw mut (*raw).head, &raw mut (*raw).counter) };
    }
}

impl WaitQueue {
    /// A new wait queue; `key` is its lock class (`kernel::static_lock_class!()`).
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid and pinned while the closure runs and after; `name`
            // and `key` are static; the counter entry is initialised before it is queued,
            // first (a priority entry: it sees every wake-up, and returns 0 so that the
            // waiters after it are woken too).
            raw <- Opaque::ffi_init(|slot: *mut RawWaitQueue| unsafe {
                let head = &raw mut (*slot).head;
                let counter = &raw mut (*slot).counter;
                (&raw mut (*slot).delivered).write(core::sync::atomic::AtomicUsize::new(0));
                bindings::__init_waitqueue_head(head, name.as_char_ptr(), key.as_ptr());
                bindings::init_wait(counter);
                (*counter).func = Some(count_wake);
                bindings::add_wait_queue_priority(head, counter);
            }),
        })
    }

    fn raw(&self) -> *mut bindings::wait_queue_head {
        // SAFETY: `raw` is initialised by `new`; taking the address of a field.
        unsafe { &raw mut (*self.raw.get()).head }
    }

    /// How many wake-ups were delivered on this queue so far (counted when delivered: a
    /// wake-up that [`wake_up`] holds back until a stop is committed counts then).
    pub fn delivered(&self) -> usize {
        // SAFETY: `raw` is initialised by `new`; the counter is an atomic.
        unsafe { &(*self.raw.get()).delivered }.load(core::sync::atomic::Ordering::Acquire)
    }

    /// Sleeps until `cond()` is true (checked before each sleep and after each wake-up), at
    /// most `timeout_ms` milliseconds. `ERESTARTSYS` if a signal arrives, `ETIMEDOUT` on
    /// time-out.
    pub fn wait_interruptible_timeout(
        &self,
        mut cond: impl FnMut() -> bool,
        timeout_ms: u32,
    ) -> Result {
        let mut left =
            c_long::try_from(kernel::time::msecs_to_jiffies(timeout_ms)).unwrap_or(c_long::MAX);
        let wait = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `wait` is valid, on this stack frame, and not moved until `finish_wait`.
        unsafe { bindings::init_wait(wait.get()) };
        let ret = loop {
            // SAFETY: both are valid; the entry is taken off the queue by `finish_wait`.
            unsafe {
                bindings::prepare_to_wait(
                    self.raw(),
                    wait.get(),
                    bindings::TASK_INTERRUPTIBLE as c_int,
                )
            };
            if cond() {
                break Ok(());
            }
            if kernel::current!().signal_pending() {
                break Err(ERESTARTSYS);
            }
            if left <= 0 {
                break Err(ETIMEDOUT);
            }
            // SAFETY: process context, task state set by `prepare_to_wait`.
            left = unsafe { bindings::schedule_timeout(left) };
        };
        // SAFETY: as above.
        unsafe { bindings::finish_wait(self.raw(), wait.get()) };
        ret
    }

    /// `wake_up()`: from a callback, deferred as [`wake_up`] says; anywhere else at once.
    pub fn wake_up(&self) {
        // SAFETY: the queue is valid; `utrace_wake_up` outside a callback is `wake_up`.
        unsafe { utrace_wake_up(self.raw()) };
    }
}

/// `utrace_wake_up()`: from a callback, wakes the waiters of `wq` once the thread has
/// committed to the stop the callbacks asked for (or once it is clear that it will not stop).
///
/// `wq` must stay valid until the wake-up is delivered: keep it in the engine value (which
/// utrace keeps until the engine's `release`) or in something it references.
pub fn wake_up(wq: &WaitQueue) {
    wq.wake_up();
}

/// The user registers of an x86_64 thread (`struct user_regs_struct`, regset 0 of
/// `task_user_regset_view()`): what `PTRACE_GETREGS` shows.
#[cfg(target_arch = "x86_64")]
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct UserRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub bp: u64,
    pub bx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub ax: u64,
    pub cx: u64,
    pub dx: u64,
    pub si: u64,
    pub di: u64,
    pub orig_ax: u64,
    pub ip: u64,
    pub cs: u64,
    pub flags: u64,
    pub sp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

#[cfg(target_arch = "x86_64")]
const _: () = assert!(core::mem::size_of::<UserRegs>() == 27 * 8);

/// What [`Attached::prepare_examine`] recorded; give it back to
/// [`Attached::finish_examine`].
pub struct Examiner(RawExaminer);

/// Decodes an `ERR_PTR()` from the C API.
fn err_ptr<T>(p: *mut T) -> Option<Error> {
    let v = p as isize;
    if (-(bindings::MAX_ERRNO as isize)..0).contains(&v) {
        Some(Error::from_errno(v as i32))
    } else {
        None
    }
}

fn to_result(ret: c_int) -> Result {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(())
    }
}

/// What the access check ([`may_trace`], [`Attached::attach_checked`]) lets through besides
/// ptrace's rule; by default it refuses both.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Access(c_int);

impl Access {
    /// Nothing more than ptrace's attach rule allows.
    pub const DEFAULT: Access = Access(0);
    /// Threads of the caller's own thread group (`UTRACE_ACCESS_OWN_GROUP`): a stop of one of
    /// them can deadlock the caller.
    pub const OWN_GROUP: Access = Access(c::UTRACE_ACCESS_OWN_GROUP);
    /// `PF_USER_WORKER` threads: io_uring workers, vhost (`UTRACE_ACCESS_USER_WORKER`).
    pub const USER_WORKER: Access = Access(c::UTRACE_ACCESS_USER_WORKER);

    /// Both sets.
    pub const fn with(self, other: Access) -> Access {
        Access(self.0 | other.0)
    }
}

/// `utrace_may_trace()`: may the current task trace `task`, by ptrace's attach rule (uid and
/// gid, `CAP_SYS_PTRACE`, dumpable, the LSMs and so Yama), plus utrace's refusals (kernel
/// threads; the caller's thread group and `PF_USER_WORKER` threads unless `allow` says so)?
/// `EPERM` if not. Call it in the context of the task whose request it is; it may sleep.
/// To attach, use [`Attached::attach_checked`], which also holds off the target's exec
/// between the check and the attach.
pub fn may_trace(task: &Task, allow: Access) -> Result {
    // SAFETY: `task` is valid for the call.
    to_result(unsafe { utrace_may_trace(task.as_ptr(), allow.0) })
}

/// The credentials of the task whose request attached an engine (a write to an engine's
/// device or debugfs file), to check each later request against: `utrace_may_command()`.
/// An engine acts with its attacher's rights (memory access is checked against them), so a
/// later writer with fewer rights (root without `CAP_SYS_PTRACE`, a writer that changed its
/// ids after opening the file) must not command it.
pub struct Attacher(ARef<Credential>);

impl Attacher {
    /// The current task's credentials: call it in the request that attaches.
    pub fn current() -> Self {
        let task = Task::current_raw();
        // SAFETY: `task` is current, alive for the call; only current changes its own
        // `cred` pointer, so reading it without RCU is what `current_cred()` does. The
        // credentials are alive while current uses them; `ARef::from` takes a reference.
        let cred = unsafe { Credential::from_ptr((*task).cred) };
        Attacher(ARef::from(cred))
    }

    /// `utrace_may_command()`: whether the current task may command what this attacher
    /// attached to `task` (with `allow`, as given to the attach): it has the attacher's
    /// rights (`CAP_SYS_PTRACE` in the attacher's user namespace, or that namespace, all its
    /// ids and at least its effective capabilities) and may trace `task` itself
    /// ([`may_trace`]: the LSMs, Yama). The attacher itself may. `EPERM` if not; `ESRCH` for
    /// a released task. It may sleep.
    pub fn may_command(&self, task: &Task, allow: Access) -> Result {
        // SAFETY: we hold a reference on the credentials; `task` is valid for the call.
        to_result(unsafe { utrace_may_command(self.0.as_ptr(), task.as_ptr(), allow.0) })
    }

    /// `utrace_may_trace_as()`: whether this attacher (e.g. a device's opener) may trace
    /// `task` itself, by ptrace's rule with its credentials. A request another task makes
    /// through the attacher's file asks this as well as the check of the requester, so that
    /// a file handed to a more privileged process gets its opener nothing the opener could
    /// not trace. `EPERM` if not. It may sleep.
    pub fn may_trace(&self, task: &Task, allow: Access) -> Result {
        // SAFETY: we hold a reference on the credentials; `task` is valid for the call.
        to_result(unsafe { utrace_may_trace_as(self.0.as_ptr(), task.as_ptr(), allow.0) })
    }
}

/// The thread with thread id `tid` in the caller's pid namespace, if any.
pub fn task_by_tid(tid: i32) -> Option<ARef<Task>> {
    // SAFETY: `find_get_pid` takes a reference on the pid we drop below; `get_pid_task`
    // returns the task with a reference (or NULL), which `ARef::from_raw` takes over.
    unsafe {
        let pid = bindings::find_get_pid(tid);
        if pid.is_null() {
            return None;
        }
        let task = bindings::get_pid_task(pid, bindings::pid_type_PIDTYPE_PID);
        bindings::put_pid(pid);
        NonNull::new(task.cast::<Task>()).map(|t| ARef::from_raw(t))
    }
}

/// The thread id of `task` in the pid namespace `ns` (0 if it has none there: a thread of an
/// ancestor namespace, or one being released). Any context.
pub fn tid_in(task: &Task, ns: &PidNamespace) -> i32 {
    // SAFETY: `task` and `ns` are valid for the call; `__task_pid_nr_ns()` takes the RCU
    // read lock itself and copes with a task whose pid is gone.
    unsafe {
        bindings::__task_pid_nr_ns(task.as_ptr(), bindings::pid_type_PIDTYPE_PID, ns.as_ptr())
    }
}

/// `ktime_get_ns()`: the monotonic clock in nanoseconds. Any context but NMI.
pub fn ktime_get_ns() -> u64 {
    // SAFETY: `ktime_get()` may be called from any context but NMI; it never returns a
    // negative time.
    unsafe { bindings::ktime_get() as u64 }
}

/// `fatal_signal_pending(current)`: SIGKILL is pending for the current thread (a kill, or a
/// group exit or exec of another thread): it will not run another user instruction. A
/// syscall it is leaving has no result anyone sees (ptrace makes no syscall-exit stop then,
/// and strace prints `= ?`).
pub fn current_fatal_pending() -> bool {
    let task = Task::current_raw();
    // SAFETY: `task` is current, alive for the call. `__fatal_signal_pending()` is this
    // unlocked read of the thread's own pending set: SIGKILL, once set, stays set for a
    // thread that is dying, so a racy read can only see it late, as the kernel's own callers
    // of `fatal_signal_pending()` do.
    let word = unsafe { core::ptr::read_volatile(&raw const (*task).pending.signal.sig[0]) };
    word & (1 << (bindings::SIGKILL - 1)) != 0
}

/// `printk_ratelimit()`: whether a rate-limited message may be printed now (the kernel's
/// shared printk limit: a burst of 10 every 5 s). For messages user space can trigger.
pub fn printk_ratelimit() -> bool {
    // SAFETY: `__printk_ratelimit()` takes a static string and uses its own lock; any context.
    unsafe { bindings::__printk_ratelimit(c"utrace_engine".as_char_ptr()) != 0 }
}

/// Whether the `read_iter`/`write_iter` request of `kiocb` must not block: its file was
/// opened `O_NONBLOCK`, or the request is `IOCB_NOWAIT` (`preadv2(RWF_NOWAIT)`, io_uring).
/// The kernel crate's `Kiocb` does not say.
pub fn kiocb_nonblock<P: ForeignOwnable>(kiocb: &Kiocb<'_, P>) -> bool {
    let k = kiocb.as_raw();
    // SAFETY: a `Kiocb` is a valid kiocb whose `ki_filp` is a valid file during the call;
    // `f_flags` and `ki_flags` are plain integers (an `fcntl(F_SETFL)` racing with the read
    // is the usual benign race, as for every driver that reads them).
    let (f_flags, ki_flags) = unsafe { ((*(*k).ki_filp).f_flags, (*k).ki_flags) };
    // `IOCB_NOWAIT` is `RWF_NOWAIT` (include/uapi/linux/fs.h), a macro bindgen does not see.
    const IOCB_NOWAIT: c_int = 0x8;
    f_flags & bindings::O_NONBLOCK != 0 || ki_flags & IOCB_NOWAIT != 0
}

/// A misc character device registration, as `kernel::miscdevice::MiscDeviceRegistration`,
/// with the mode of its device node (the kernel crate's options have only the name, and
/// devtmpfs then makes it 0600), and optionally `poll()` ([`MiscPoll`],
/// [`MiscDeviceMode::register_poll`]), which the 7.3 `MiscDevice` trait lacks. The open
/// file holds the module (`fops.owner`), so a module cannot be unloaded while one is open.
#[pin_data(PinnedDrop)]
pub struct MiscDeviceMode<T> {
    #[pin]
    inner: Opaque<RawMisc>,
    _t: PhantomData<T>,
}

/// The `struct miscdevice` first (`private_data` of an opening file points to it, and the
/// kernel crate's file operations cast it to `MiscDeviceRegistration<T>`, a transparent
/// wrapper of it), then the registration's own copy of the file operations, for `poll`.
#[repr(C)]
struct RawMisc {
    misc: bindings::miscdevice,
    fops: bindings::file_operations,
}

// SAFETY: `misc_deregister()` may be called from any thread.
unsafe impl<T> Send for MiscDeviceMode<T> {}
// SAFETY: no `&self` method changes anything.
unsafe impl<T> Sync for MiscDeviceMode<T> {}

/// `EPOLLIN | EPOLLRDNORM`: `poll()` readable.
pub const POLL_READABLE: u32 = 0x0001 | 0x0040;
/// `EPOLLOUT | EPOLLWRNORM`: `poll()` writable.
pub const POLL_WRITABLE: u32 = 0x0004 | 0x0100;
/// `EPOLLERR`.
pub const POLL_ERR: u32 = 0x0008;
/// `EPOLLHUP`.
pub const POLL_HUP: u32 = 0x0010;

/// `poll()` for a misc device registered with [`MiscDeviceMode::register_poll`].
pub trait MiscPoll: MiscDevice {
    /// Registers the file's wait queues with `table` (`PollTable::register_wait` of a
    /// `kernel::sync::poll::PollCondVar`) and returns the ready mask ([`POLL_READABLE`],
    /// [`POLL_WRITABLE`], ...). Process context; may sleep briefly (no long waits).
    fn poll(
        device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        table: &PollTable<'_>,
    ) -> u32;
}

/// The `poll` file operation of a [`MiscPoll`] device.
///
/// # Safety
///
/// `file` is an open file of a [`MiscDeviceMode<T>`] registered by `register_poll`: its
/// `private_data` is what `T::open` returned, as `MiscDeviceRegistration<T>` stores it;
/// `table` is NULL or a valid poll table for the call.
unsafe extern "C" fn misc_poll<T: MiscPoll>(
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: the open file's private data is `T::Ptr`'s foreign form (set by the kernel
    // crate's `open` and taken back only by `release`, which cannot run during a poll).
    let device = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
    // SAFETY: the file is valid for the call; no `fdget_pos` region is active here.
    let f = unsafe { File::from_raw_file(file) };
    // SAFETY: `table` is NULL or valid for the call, which is the `PollTable`'s lifetime.
    let table = unsafe { PollTable::from_raw(table) };
    T::poll(device, f, &table)
}

impl<T: MiscDevice> MiscDeviceMode<T> {
    /// Registers `/dev/<name>` with device node mode `mode` (e.g. `0o666`).
    pub fn register(name: &'static CStr, mode: u16) -> impl PinInit<Self, Error> {
        Self::register_with(name, mode, None)
    }

    fn register_with(
        name: &'static CStr,
        mode: u16,
        poll: Option<
            unsafe extern "C" fn(
                *mut bindings::file,
                *mut bindings::poll_table_struct,
            ) -> bindings::__poll_t,
        >,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut RawMisc| {
                let mut raw = MiscDeviceOptions { name }.into_raw::<T>();
                raw.mode = mode;
                // SAFETY: the initialiser may write `slot`. It is pinned, and deregistered
                // by the drop before its memory goes. The file operations `into_raw` built
                // are those of `MiscDeviceRegistration<T>`, which cast `private_data` (this
                // `struct miscdevice`, first in `RawMisc`) to `&MiscDeviceRegistration<T>`:
                // a transparent wrapper of the same `Opaque<miscdevice>`. With `poll`, the
                // device uses a copy of them in the same pinned memory (the open file's
                // `f_op`: it holds the module, whose exit deregisters first, so the copy
                // outlives every open file), with `.poll` set.
                unsafe {
                    let fops = &raw mut (*slot).fops;
                    fops.write(*raw.fops);
                    if poll.is_some() {
                        (*fops).poll = poll;
                        raw.fops = fops;
                    }
                    (&raw mut (*slot).misc).write(raw);
                }
                // SAFETY: `slot` holds a `miscdevice` made by `into_raw`, pinned.
                kernel::error::to_result(unsafe { bindings::misc_register(&raw mut (*slot).misc) })
            }),
            _t: PhantomData,
        })
    }
}

impl<T: MiscPoll> MiscDeviceMode<T> {
    /// [`MiscDeviceMode::register`], with `poll()` calling [`MiscPoll::poll`].
    pub fn register_poll(name: &'static CStr, mode: u16) -> impl PinInit<Self, Error> {
        Self::register_with(name, mode, Some(misc_poll::<T>))
    }
}

#[pinned_drop]
impl<T> PinnedDrop for MiscDeviceMode<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered by `register` (a failed registration drops no `Self`).
        unsafe { bindings::misc_deregister(&raw mut (*self.inner.get()).misc) };
    }
}

/// The threads of `task`'s thread group (`for_each_thread()`), each with a reference; the
/// ones that are exiting and unhashed are not listed.
pub fn threads_of(task: &Task) -> Result<KVec<ARef<Task>>> {
    let mut v = KVec::new();
    // Counted first, outside the RCU read section, so that the pushes below need no
    // allocation; threads created in between are left out (the caller looks again).
    for _ in 0..2 {
        let n = {
            let _g = kernel::sync::rcu::read_lock();
            for_each_thread_rcu(task, |_| ())
        };
        v.reserve(n + 8, GFP_KERNEL)?;
        let _g = kernel::sync::rcu::read_lock();
        let cap = v.capacity();
        let mut full = false;
        for_each_thread_rcu(task, |t| {
            if v.len() < cap {
                // Within the capacity: no allocation.
                let _ = v.push(ARef::from(t), GFP_ATOMIC);
            } else {
                full = true;
            }
        });
        if !full {
            return Ok(v);
        }
        v.clear();
    }
    Err(EAGAIN)
}

/// The path of `task`'s executable (`/proc/PID/exe`'s target), without a NUL; `ESRCH` if it
/// has no memory map (a kernel thread, or exited), `ENAMETOOLONG` beyond `PATH_MAX`. May
/// sleep.
pub fn exe_path(task: &Task) -> Result<KVec<u8>> {
    const PATH_MAX: usize = 4096;
    let mut buf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
    // SAFETY: `task` is valid; `get_task_mm()` returns a referenced mm or NULL, put by
    // `mmput()`. `get_file_rcu()` is called under the RCU read lock as it requires, on the
    // mm's `exe_file` slot (the mm is held), and returns a referenced file or NULL, put by
    // `fput()`. `d_path()` writes at most `PATH_MAX` bytes into `buf` and returns a pointer
    // into it (the path ends at the buffer's end, NUL-terminated) or an `ERR_PTR`.
    unsafe {
        let mm = bindings::get_task_mm(task.as_ptr());
        if mm.is_null() {
            return Err(ESRCH);
        }
        let file = {
            let _g = kernel::sync::rcu::read_lock();
            bindings::get_file_rcu(&raw mut (*mm).__bindgen_anon_1.exe_file)
        };
        bindings::mmput(mm);
        if file.is_null() {
            return Err(ESRCH);
        }
        let p = bindings::d_path(
            &raw const (*file).__bindgen_anon_1.f_path,
            buf.as_mut_ptr().cast(),
            PATH_MAX as c_int,
        );
        bindings::fput(file);
        if let Some(e) = err_ptr(p) {
            return Err(e);
        }
        let start = p.cast::<u8>().offset_from(buf.as_ptr()) as usize;
        let len = CStr::from_char_ptr(p).to_bytes().len();
        let mut out = KVec::with_capacity(len, GFP_KERNEL)?;
        out.extend_from_slice(&buf[start..start + len], GFP_KERNEL)?;
        Ok(out)
    }
}

/// `task`'s auxiliary vector as `/proc/PID/auxv` shows it: the native-endian `(type,
/// value)` words the exec saved, up to and including the `AT_NULL` pair. `ESRCH` if it has
/// no memory map. May sleep.
pub fn auxv(task: &Task) -> Result<KVec<u8>> {
    // SAFETY: `task` is valid; `get_task_mm()` returns a referenced mm or NULL, put by
    // `mmput()`. `saved_auxv` is written by exec before the program runs (and by
    // `prctl(PR_SET_MM_AUXV)`, as racy for `/proc/PID/auxv`); plain words.
    let words = unsafe {
        let mm = bindings::get_task_mm(task.as_ptr());
        if mm.is_null() {
            return Err(ESRCH);
        }
        let w = core::ptr::read_volatile(&raw const (*mm).__bindgen_anon_1.saved_auxv);
        bindings::mmput(mm);
        w
    };
    let mut n = 0;
    while n + 1 < words.len() {
        n += 2;
        if words[n - 2] == 0 {
            break;
        }
    }
    let mut out = KVec::with_capacity(n * 8, GFP_KERNEL)?;
    for w in &words[..n] {
        out.extend_from_slice(&(*w as u64).to_ne_bytes(), GFP_KERNEL)?;
    }
    Ok(out)
}

/// `task`'s name (`comm`, as `/proc/PID/task/TID/comm` shows it), up to 15 bytes. A racing
/// rename (`prctl(PR_SET_NAME)`) may show a mix, as `/proc` readers can see. Any context.
pub fn comm(task: &Task) -> ([u8; 16], usize) {
    // SAFETY: `task` is valid; `comm` is an array of plain bytes, always NUL-terminated
    // within its 16 bytes (`__set_task_comm()` writes it with `strscpy_pad()`); a volatile
    // read of the whole array, as `get_task_comm()`'s copy does without the task lock.
    let c = unsafe { core::ptr::read_volatile(&raw const (*task.as_ptr()).comm) };
    let mut out = [0u8; 16];
    let mut n = 0;
    while n < 15 && c[n] != 0 {
        out[n] = c[n] as u8;
        n += 1;
    }
    (out, n)
}

/// Sends SIGKILL to `task`'s thread group (`send_sig(SIGKILL, task, 1)`: from the kernel).
/// For an engine that already checked that its user may trace the task (a debugger's kill).
pub fn send_sigkill(task: &Task) {
    // SAFETY: `task` is valid for the call; `send_sig()` takes the locks it needs.
    unsafe { bindings::send_sig(bindings::SIGKILL as c_int, task.as_ptr(), 1) };
}

/// Calls `f` for each thread of `task`'s group; the caller holds the RCU read lock. Returns
/// how many.
fn for_each_thread_rcu(task: &Task, mut f: impl FnMut(&Task)) -> usize {
    let off = core::mem::offset_of!(bindings::task_struct, thread_node);
    let mut n = 0;
    // SAFETY: `task` is valid and holds its `signal` until it is freed; the thread list is
    // walked under the RCU read lock the caller holds (threads leave it with
    // `list_del_rcu()` and are freed after a grace period, their last reference put by an
    // RCU callback, so each one seen has a reference count above zero and `ARef::from`
    // may take another). `thread_node` is the list entry of `signal->thread_head`.
    unsafe {
        let head = &raw mut (*(*task.as_ptr()).signal).thread_head;
        let mut p = core::ptr::read_volatile(&raw const (*head).next);
        while p != head {
            let t = p.byte_sub(off).cast::<Task>();
            f(&*t);
            n += 1;
            p = core::ptr::read_volatile(&raw const (*p).next);
        }
    }
    n
}

/// An engine of type `T` attached to a task: a reference on the engine and on the task.
///
/// Dropping it detaches the engine, waits until none of its callbacks can run, and drops
/// the reference; it may sleep, so drop it in process context, or in one of the engine's
/// own callbacks (on its own thread, or in its own `report_reap`), where the wait returns at
/// once.
pub struct Attached<T: Engine> {
    engine: NonNull<RawEngine>,
    task: ARef<Task>,
    _engine: PhantomData<T>,
}

// SAFETY: the engine pointer is a reference-counted utrace object usable from any thread;
// the C API does its own locking.
unsafe impl<T: Engine> Send for Attached<T> {}
// SAFETY: see `Send`; every method takes `&self` and goes through the C API.
unsafe impl<T: Engine> Sync for Attached<T> {}

impl<T: Engine> Attached<T> {
    /// Attaches a new engine `this` to `task`, with no events set. With `exclusive`, fails
    /// with `EEXIST` if an engine of the same type is attached already.
    ///
    /// No permission check: for engines acting on their own. An engine acting for a user
    /// (a request through a file) uses [`Attached::attach_checked`].
    pub fn attach(task: &Task, this: Arc<T>, exclusive: bool) -> Result<Self> {
        Self::attach_flags(task, this, exclusive, 0)
    }

    /// [`Attached::attach`], if the current task may trace `task` ([`may_trace`] with
    /// `allow`); `EPERM` if not. The check and the attach are made under the target's
    /// `cred_guard_mutex`, as `ptrace_attach()` does: no exec changes its credentials in
    /// between. Call it in the context of the task whose request it is; it may sleep.
    pub fn attach_checked(
        task: &Task,
        this: Arc<T>,
        exclusive: bool,
        allow: Access,
    ) -> Result<Self> {
        Self::attach_flags(
            task,
            this,
            exclusive,
            c::UTRACE_ATTACH_CHECK_ACCESS | allow.0,
        )
    }

    fn attach_flags(task: &Task, this: Arc<T>, exclusive: bool, extra: c_int) -> Result<Self> {
        const EXCLUSIVE_MATCH_OPS: c_int = c::UTRACE_ATTACH_EXCLUSIVE | c::UTRACE_ATTACH_MATCH_OPS;
        let flags =
            c::UTRACE_ATTACH_CREATE | extra | if exclusive { EXCLUSIVE_MATCH_OPS } else { 0 };
        let data = Arc::into_raw(this).cast_mut().cast::<c_void>();
        // SAFETY: `task` is valid for the call; `Vtable::<T>::OPS` is a promoted constant in
        // static memory; `data` is an `Arc<T>` reference that utrace owns on success and
        // gives back through `release`.
        let engine = unsafe { utrace_attach_task(task.as_ptr(), flags, &Vtable::<T>::OPS, data) };
        if let Some(e) = err_ptr(engine) {
            // SAFETY: utrace did not take `data`; the reference is still ours.
            drop(unsafe { Arc::from_raw(data.cast::<T>()) });
            return Err(e);
        }
        Ok(Attached {
            engine: NonNull::new(engine).ok_or(EINVAL)?,
            task: ARef::from(task),
            _engine: PhantomData,
        })
    }

    /// The task the engine is attached to.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// `utrace_set_events()`.
    pub fn set_events(&self, events: Events) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_set_events(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                events.0 as c_ulong,
            )
        })
    }

    /// `utrace_control()`.
    pub fn control(&self, action: ResumeAction) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_control(self.task.as_ptr(), self.engine.as_ptr(), action as u32)
        })
    }

    /// `utrace_set_signal()`: what the resume of the thread, stopped at a signal report
    /// holding its signal, does with it: `action`, and for [`SignalAction::Deliver`]
    /// optionally another signal `(signo, si_code, sival_int)`. `ENOENT` if it holds none,
    /// `EINVAL` for a bad signal number, `ESRCH` if detached.
    pub fn set_signal(&self, action: SignalAction, deliver: Option<(i32, i32, i32)>) -> Result {
        let info = match deliver {
            Some((signo, code, value)) => {
                // SAFETY: any bit pattern is valid for this plain C struct.
                let mut i: bindings::kernel_siginfo = unsafe { core::mem::zeroed() };
                fill_siginfo(&mut i, signo, code, value);
                Some(i)
            }
            None => None,
        };
        let p = info.as_ref().map_or(core::ptr::null(), core::ptr::from_ref);
        // SAFETY: we hold references on the engine and the task; `p` is NULL or a siginfo
        // that outlives the call.
        to_result(unsafe {
            utrace_set_signal(self.task.as_ptr(), self.engine.as_ptr(), action as u32, p)
        })
    }

    /// `utrace_prepare_examine()`: `Ok` if this engine stopped the thread and it is parked
    /// and off its CPU. `EINVAL` if this engine does not stop it, `EAGAIN` if it is not
    /// parked (yet), `ESRCH` if detached or dead.
    pub fn prepare_examine(&self) -> Result<Examiner> {
        let mut x = RawExaminer::default();
        // SAFETY: we hold references on the engine and the task; `x` is writable.
        to_result(unsafe {
            utrace_prepare_examine(self.task.as_ptr(), self.engine.as_ptr(), &mut x)
        })?;
        Ok(Examiner(x))
    }

    /// `utrace_finish_examine()`: `Ok` if the thread stayed stopped since `prepare_examine`,
    /// so what was read from it in between is consistent; `EAGAIN` if it ran.
    pub fn finish_examine(&self, mut x: Examiner) -> Result {
        // SAFETY: we hold references on the engine and the task; `x.0` is what prepare
        // recorded.
        to_result(unsafe {
            utrace_finish_examine(self.task.as_ptr(), self.engine.as_ptr(), &mut x.0)
        })
    }

    /// The user registers of the thread this engine stopped.
    #[cfg(target_arch = "x86_64")]
    pub fn user_regs(&self) -> Result<UserRegs> {
        let mut r = UserRegs::default();
        let size = core::mem::size_of::<UserRegs>();
        // SAFETY: we hold references on the engine and the task; `r` is writable for `size`
        // bytes.
        let n = unsafe {
            utrace_regset_get(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                0,
                (&raw mut r).cast(),
                size as c_uint,
            )
        };
        to_result(n)?;
        if n as usize != size {
            return Err(EIO);
        }
        Ok(r)
    }

    /// Changes the user registers of the thread this engine stopped.
    #[cfg(target_arch = "x86_64")]
    pub fn set_user_regs(&self, r: &UserRegs) -> Result {
        let size = core::mem::size_of::<UserRegs>();
        // SAFETY: we hold references on the engine and the task; `r` is readable for `size`
        // bytes.
        to_result(unsafe {
            utrace_regset_set(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                0,
                0,
                core::ptr::from_ref(r).cast(),
                size as c_uint,
            )
        })
    }

    /// Reads the thread's memory at user address `addr` into `buf` (`utrace_access_vm()`, as
    /// `PTRACE_PEEKDATA`). Returns the bytes read; `EIO` if none could be.
    ///
    /// The rules of the register access: the thread is stopped by this engine (it is held
    /// in its stop during the read, so it cannot exec or exit under it), or it is the
    /// current thread (a callback of this engine); and the engine is attached. Plus ptrace's
    /// per-access rule: `EPERM` once the thread is not owner-dumpable (it called
    /// `prctl(PR_SET_DUMPABLE, 0)`, say) unless the task that attached this engine had
    /// `CAP_SYS_PTRACE` over it. Other errors: `EINVAL` this engine does not want the
    /// thread stopped, `EAGAIN` not stopped, `ESRCH` detached (e.g. by an exec that gained
    /// privilege) or the thread is dead.
    pub fn read_memory(&self, addr: usize, buf: &mut [u8]) -> Result<usize> {
        self.access_memory(addr, buf.as_mut_ptr(), buf.len(), false)
    }

    /// Writes `buf` to the thread's memory at user address `addr` (as `PTRACE_POKEDATA`:
    /// read-only text is written through a private copy). The rules and errors of
    /// [`Attached::read_memory`]. Returns the bytes written.
    pub fn write_memory(&self, addr: usize, buf: &[u8]) -> Result<usize> {
        // The buffer is only read when `write` is true.
        self.access_memory(addr, buf.as_ptr().cast_mut(), buf.len(), true)
    }

    /// `utrace_set_breakpoint()`: writes an `int3` at `addr` (the rules and errors of
    /// [`Attached::write_memory`]); the returned [`Breakpoint`] keeps the byte it replaced.
    /// `EEXIST` if there is an `int3` there already (nothing written). When the thread runs
    /// into it, this engine's `report_signal` (with a `SIGNAL*` event) gets SIGTRAP, `si_code`
    /// [`SI_KERNEL`], the instruction pointer just after the `int3` ([`SignalReport::ip`],
    /// [`Breakpoint::hit_at`]).
    /// To go on past it: [`Attached::remove_breakpoint`], set the instruction pointer back to
    /// [`Breakpoint::addr`], single-step, insert it again. A uprobe registered at `addr`
    /// later adopts the `int3` (and its hits), and the removal then disables that uprobe
    /// in this process (`Documentation/api.md`): keep breakpoints off uprobes' addresses.
    pub fn insert_breakpoint(&self, addr: usize) -> Result<Breakpoint> {
        let mut orig = 0u8;
        // SAFETY: we hold references on the engine and the task; `orig` is a writable byte.
        to_result(unsafe {
            utrace_set_breakpoint(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                addr as c_ulong,
                &mut orig,
            )
        })?;
        Ok(Breakpoint { addr, orig })
    }

    /// `utrace_clear_breakpoint()`: puts back the byte `bp` replaced. `ENOENT` if there is
    /// no `int3` at its address any more (nothing written); the errors of
    /// [`Attached::write_memory`].
    pub fn remove_breakpoint(&self, bp: &Breakpoint) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_clear_breakpoint(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                bp.addr as c_ulong,
                bp.orig,
            )
        })
    }

    /// `utrace_set_watchpoint()`: a hardware watchpoint of `len` bytes (1, 2, 4, 8; aligned)
    /// at `addr`, reported to this engine's `report_signal` alone (not to the thread's other
    /// engines) as SIGTRAP with `si_code` [`TRAP_HWBKPT`] and [`SignalReport::addr`]
    /// `addr`. `ENOSPC` when the thread's 4 debug registers are taken (shared with ptrace,
    /// perf and other engines), `EEXIST` if this engine has one at `addr`, `EINVAL` for a
    /// bad length, alignment or address, `EPERM` under ptrace's per-access rule (as
    /// [`Attached::read_memory`], asked at set time), `ESRCH` if detached. It goes when
    /// cleared or when the engine detaches. May sleep.
    pub fn set_watchpoint(&self, addr: usize, len: u32, kind: WatchKind) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_set_watchpoint(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                addr as c_ulong,
                len as c_uint,
                kind as c_uint,
            )
        })
    }

    /// `utrace_clear_watchpoint()`: `ENOENT` if this engine has none at `addr`. May sleep.
    pub fn clear_watchpoint(&self, addr: usize) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_clear_watchpoint(self.task.as_ptr(), self.engine.as_ptr(), addr as c_ulong)
        })
    }

    fn access_memory(&self, addr: usize, buf: *mut u8, len: usize, write: bool) -> Result<usize> {
        let len = c_int::try_from(len).map_err(|_| EINVAL)?;
        if len == 0 {
            return Ok(0);
        }
        // SAFETY: we hold references on the engine and the task; `buf` is valid for `len`
        // bytes (writable unless `write`, when utrace only reads it).
        let n = unsafe {
            utrace_access_vm(
                self.task.as_ptr(),
                self.engine.as_ptr(),
                addr as c_ulong,
                buf.cast(),
                len,
                write,
            )
        };
        to_result(n)?;
        Ok(n as usize)
    }

    /// `utrace_barrier()`: sleeps until no callback of this engine runs; `ERESTARTSYS` if a
    /// signal is pending first.
    pub fn barrier(&self) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe { utrace_barrier(self.task.as_ptr(), self.engine.as_ptr()) })
    }

    /// `utrace_barrier_uninterruptible()`: the same wait, which signals do not end.
    pub fn barrier_uninterruptible(&self) -> Result {
        // SAFETY: we hold references on the engine and the task.
        to_result(unsafe {
            utrace_barrier_uninterruptible(self.task.as_ptr(), self.engine.as_ptr())
        })
    }
}

impl<T: Engine> Drop for Attached<T> {
    fn drop(&mut self) {
        let _ = self.control(ResumeAction::Detach);
        // Waits (sleeping, whatever signal is pending: returning early could leave a
        // callback running, and retrying an interruptible barrier with a signal pending
        // would spin) for an in-flight callback and for utrace's own reference to go.
        let _ = self.barrier_uninterruptible();
        // SAFETY: this is the reference `attach` got; nothing uses it after this.
        unsafe { utrace_engine_put(self.engine.as_ptr()) };
    }
}
