// SPDX-License-Identifier: GPL-2.0

//! The engine ABI of `include/linux/utrace.h`, mirrored for Rust.
//!
//! The constants are the header's; the two `repr(C)` structs must have the header's layout,
//! which the load-time layout check (`layout.rs`) compares with the C compiler's.

// The whole ABI is mirrored, including what this version does not use yet.
#![allow(dead_code)]

use crate::atomic::Atomic;
use core::ffi::c_void;
use kernel::bindings;
use kernel::ffi::{c_int, c_long, c_ulong};

pub(crate) const EVENT_QUIESCE: usize = 1 << 0;
pub(crate) const EVENT_REAP: usize = 1 << 1;
pub(crate) const EVENT_CLONE: usize = 1 << 2;
pub(crate) const EVENT_EXEC: usize = 1 << 3;
pub(crate) const EVENT_EXIT: usize = 1 << 4;
pub(crate) const EVENT_DEATH: usize = 1 << 5;
pub(crate) const EVENT_SYSCALL_ENTRY: usize = 1 << 6;
pub(crate) const EVENT_SYSCALL_EXIT: usize = 1 << 7;
pub(crate) const EVENT_SIGNAL: usize = 1 << 8;
pub(crate) const EVENT_SIGNAL_ALL: usize = 0x1f << 8;
pub(crate) const EVENT_JCTL: usize = 1 << 13;
/// Every valid event bit (`UTRACE_EVENT_ALL`).
pub(crate) const EVENT_ALL: usize = (1 << 14) - 1;

pub(crate) const STOP: u32 = 0;
pub(crate) const INTERRUPT: u32 = 1;
pub(crate) const REPORT: u32 = 2;
pub(crate) const SINGLESTEP: u32 = 3;
pub(crate) const BLOCKSTEP: u32 = 4;
pub(crate) const RESUME: u32 = 5;
pub(crate) const DETACH: u32 = 6;
pub(crate) const RESUME_MAX: u32 = 7;
pub(crate) const RESUME_MASK: u32 = 7;

pub(crate) const SIGNAL_DELIVER: u32 = 0x00;
pub(crate) const SIGNAL_IGN: u32 = 0x10;
pub(crate) const SIGNAL_TERM: u32 = 0x20;
pub(crate) const SIGNAL_CORE: u32 = 0x30;
pub(crate) const SIGNAL_STOP: u32 = 0x40;
pub(crate) const SIGNAL_TSTP: u32 = 0x50;
pub(crate) const SIGNAL_REPORT: u32 = 0x60;
pub(crate) const SIGNAL_HANDLER: u32 = 0x70;
pub(crate) const SIGNAL_MASK: u32 = 0xf0;
pub(crate) const SIGNAL_HOLD: u32 = 0x100;
pub(crate) const SIGNAL_OBSERVED: u32 = 0x200;
pub(crate) const EVENT_SIGNAL_IGN: usize = 1 << 9;
pub(crate) const EVENT_SIGNAL_STOP: usize = 1 << 10;
pub(crate) const EVENT_SIGNAL_TERM: usize = 1 << 11;
pub(crate) const EVENT_SIGNAL_CORE: usize = 1 << 12;

pub(crate) const SYSCALL_ABORT: u32 = 0x10;
pub(crate) const SYSCALL_MASK: u32 = 0xf0;
pub(crate) const SYSCALL_RESUMED: u32 = 0x100;

pub(crate) const ATTACH_MATCH_OPS: c_int = 0x1;
pub(crate) const ATTACH_MATCH_DATA: c_int = 0x2;
pub(crate) const ATTACH_CREATE: c_int = 0x10;
pub(crate) const ATTACH_EXCLUSIVE: c_int = 0x20;
pub(crate) const ATTACH_CHECK_ACCESS: c_int = 0x40;
pub(crate) const ACCESS_OWN_GROUP: c_int = 0x100;
pub(crate) const ACCESS_USER_WORKER: c_int = 0x200;
pub(crate) const WATCH_WRITE: u32 = 2;
pub(crate) const WATCH_RW: u32 = 3;
pub(crate) const WATCH_EXEC: u32 = 4;
/// Every valid attach flag.
pub(crate) const ATTACH_ALL: c_int = 0x7f | ACCESS_OWN_GROUP | ACCESS_USER_WORKER;

/// `struct utrace_engine`: the part of an engine that engines may read.
#[repr(C)]
pub(crate) struct utrace_engine {
    pub(crate) ops: *const utrace_engine_ops,
    pub(crate) data: *mut c_void,
    /// The event mask; written by utrace under the task's lock, read by anyone. `Atomic<T>`
    /// has `T`'s size and alignment (`repr(transparent)`): the C `unsigned long`.
    pub(crate) flags: Atomic<usize>,
}

type Engine = *mut utrace_engine;

/// `struct utrace_engine_ops`: the engine's callbacks.
#[repr(C)]
pub(crate) struct utrace_engine_ops {
    pub(crate) report_quiesce: Option<unsafe extern "C" fn(u32, Engine, c_ulong) -> u32>,
    pub(crate) report_signal: Option<
        unsafe extern "C" fn(
            u32,
            Engine,
            *mut bindings::pt_regs,
            *mut bindings::kernel_siginfo,
            *const bindings::k_sigaction,
            *mut bindings::k_sigaction,
        ) -> u32,
    >,
    pub(crate) report_clone:
        Option<unsafe extern "C" fn(u32, Engine, c_ulong, *mut bindings::task_struct) -> u32>,
    pub(crate) report_jctl: Option<unsafe extern "C" fn(u32, Engine, c_int, c_int) -> u32>,
    pub(crate) report_exec: Option<
        unsafe extern "C" fn(
            u32,
            Engine,
            *const bindings::linux_binfmt,
            *const bindings::linux_binprm,
            *mut bindings::pt_regs,
        ) -> u32,
    >,
    pub(crate) report_syscall_entry:
        Option<unsafe extern "C" fn(u32, Engine, *mut bindings::pt_regs) -> u32>,
    pub(crate) report_syscall_exit:
        Option<unsafe extern "C" fn(u32, Engine, *mut bindings::pt_regs) -> u32>,
    pub(crate) report_exit: Option<unsafe extern "C" fn(u32, Engine, c_long, *mut c_long) -> u32>,
    pub(crate) report_death: Option<unsafe extern "C" fn(Engine, bool, c_int) -> u32>,
    pub(crate) report_reap: Option<unsafe extern "C" fn(Engine, *mut bindings::task_struct)>,
    pub(crate) release: Option<unsafe extern "C" fn(*mut c_void)>,
}
