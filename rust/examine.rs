// SPDX-License-Identifier: GPL-2.0

//! Examining and changing a stopped thread: `utrace_prepare_examine()`,
//! `utrace_finish_examine()` and register access through the thread's user regset view.
//!
//! The original used `wait_task_inactive()`, which is not exported. The same guarantee is
//! derived from utrace's own stop bookkeeping and the scheduler's public fields:
//! - "stopped": the thread committed to its stop (`stop.rs`, under the task's lock) and an
//!   engine (the caller) wants it stopped, so only SIGKILL can wake it for good;
//! - "off its CPU": `on_cpu` is clear (the context switch away from it has completed, so
//!   its user registers are all saved in `pt_regs` and the regsets);
//! - "has not run since": its context-switch count (`nvcsw + nivcsw`) is unchanged between
//!   prepare and finish; any wake-up that let it run (even one that stopped it again)
//!   switches it in and out and changes the count.

use kernel::bindings;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::task::Task;

use crate::abi::utrace_engine;
use crate::api::{checked, errno};
use crate::arch;
use crate::engine::Engine;
use crate::glue::{self, is_err_or_null};
use crate::stop;

/// `struct utrace_examiner` of the header.
#[repr(C)]
pub(crate) struct utrace_examiner {
    pub(crate) state: c_long,
    pub(crate) ncsw: c_ulong,
}

/// Bit set in a recorded switch count so that it is never 0 (0 means "not recorded").
const NCSW_VALID: c_ulong = 1 << (c_ulong::BITS - 1);

/// How long prepare waits for a thread that committed to its stop to get off its CPU: spins
/// first, then 10 us sleeps.
const OFF_CPU_SPINS: u32 = 10_000;
const OFF_CPU_SLEEPS: u32 = 1000;

/// The engine wants the thread stopped and the thread is parked in its stop.
fn stopped_by(e: &Engine) -> Result {
    if !e.is_attached() {
        return Err(ESRCH);
    }
    if !e.wants_stop() {
        return Err(EINVAL);
    }
    let ut = e.utrace();
    if ut.is_gone() {
        return Err(ESRCH);
    }
    if !stop::is_stopped(ut) {
        return Err(EAGAIN);
    }
    Ok(())
}

fn prepare(e: &Engine, exam: &mut utrace_examiner) -> Result {
    stopped_by(e)?;
    let task = e.task();
    let mut tries = 0;
    // SAFETY: the engine's task state holds a reference on the task.
    while unsafe { glue::utrace_glue_task_on_cpu(task) } {
        tries += 1;
        if tries > OFF_CPU_SPINS + OFF_CPU_SLEEPS {
            return Err(EAGAIN);
        }
        // Committed to sleep but still switching out: usually a spin's worth (a woken
        // tracer typically gets here while the thread is inside schedule()).
        if tries <= OFF_CPU_SPINS {
            core::hint::spin_loop();
        } else {
            kernel::time::delay::fsleep(kernel::time::Delta::from_micros(10));
        }
    }
    // Still stopped after it got off its CPU (it may have been SIGKILLed meanwhile).
    stopped_by(e)?;
    arch::make_regs_coherent(task.cast_mut());
    exam.state = 0;
    // SAFETY: as above.
    exam.ncsw = unsafe { glue::utrace_glue_task_switches(task) } | NCSW_VALID;
    Ok(())
}

fn finish(e: &Engine, exam: &utrace_examiner) -> Result {
    if exam.ncsw & NCSW_VALID == 0 {
        pr_err_rl!("utrace_finish_examine without a successful utrace_prepare_examine\n");
        return Err(EINVAL);
    }
    if !e.is_attached() {
        return Err(ESRCH);
    }
    if !e.wants_stop() {
        return Err(EINVAL);
    }
    // A thread that left its stop since the prepare (woken, or killed: even one that is
    // dead by now) has run: -EAGAIN, as in the original. -ESRCH only once detached.
    let task = e.task();
    // SAFETY: the engine's task state holds a reference on the task.
    let now = unsafe { glue::utrace_glue_task_switches(task) } | NCSW_VALID;
    if !stop::is_stopped(e.utrace())
        || now != exam.ncsw
        // SAFETY: as above.
        || unsafe { glue::utrace_glue_task_on_cpu(task) }
    {
        return Err(EAGAIN);
    }
    Ok(())
}

/// The checks `utrace_prepare_examine` and `utrace_finish_examine` share, then `f`.
///
/// # Safety
///
/// As for [`utrace_prepare_examine`].
unsafe fn examine_call(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    exam: *mut utrace_examiner,
    f: impl FnOnce(&Engine, &mut utrace_examiner) -> Result,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    let e = match unsafe { checked(target, engine) } {
        Ok(e) => e,
        Err(err) => return err.to_errno(),
    };
    if is_err_or_null(exam) {
        pr_err_rl!(
            "utrace_prepare/finish_examine: exam {} is not a pointer\n",
            crate::glue::PtrKind::of(exam)
        );
        return EINVAL.to_errno();
    }
    if core::ptr::eq(target, Task::current_raw()) {
        return 0;
    }
    // SAFETY: per the function's safety requirements, `exam` is valid and writable.
    errno(f(&e, unsafe { &mut *exam }))
}

/// `utrace_prepare_examine()`: 0 if the thread is stopped by `engine` and off its CPU.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `exam` is a
/// valid, writable `struct utrace_examiner`.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_prepare_examine(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    exam: *mut utrace_examiner,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    unsafe { examine_call(target, engine, exam, prepare) }
}

/// `utrace_finish_examine()`: 0 if the thread stayed stopped since the prepare.
///
/// # Safety
///
/// As for [`utrace_prepare_examine`], with the same `exam`.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_finish_examine(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    exam: *mut utrace_examiner,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    unsafe { examine_call(target, engine, exam, |e, x| finish(e, x)) }
}

/// Register access is allowed on current (from its own callbacks) or on a thread stopped
/// by the engine.
///
/// # Safety
///
/// As for [`checked`].
unsafe fn may_access(target: *mut bindings::task_struct, engine: *mut utrace_engine) -> Result {
    // SAFETY: per the function's safety requirements.
    let e = unsafe { checked(target, engine) }?;
    if core::ptr::eq(target, Task::current_raw()) {
        return Ok(());
    }
    stopped_by(&e)
}

/// `utrace_regset_get()`: copies regset `which` of the thread into `buf`. Returns the bytes
/// copied or a negative errno.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `buf` is
/// writable for `size` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_regset_get(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    which: c_uint,
    buf: *mut c_void,
    size: c_uint,
) -> c_int {
    if buf.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: per the function's safety requirements.
    if let Err(e) = unsafe { may_access(target, engine) } {
        return e.to_errno();
    }
    arch::make_regs_coherent(target);
    // SAFETY: `target` is stopped (or current); `buf` is writable for `size` bytes.
    unsafe { glue::utrace_glue_regset_get(target, which, buf, size) }
}

/// `utrace_regset_set()`: writes `size` bytes at byte `pos` of regset `which` from `buf`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `buf` is
/// readable for `size` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_regset_set(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    which: c_uint,
    pos: c_uint,
    buf: *const c_void,
    size: c_uint,
) -> c_int {
    if buf.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: per the function's safety requirements.
    if let Err(e) = unsafe { may_access(target, engine) } {
        return e.to_errno();
    }
    arch::make_regs_coherent(target);
    // SAFETY: `target` is stopped (or current); `buf` is readable for `size` bytes.
    unsafe { glue::utrace_glue_regset_set(target, which, pos, buf, size) }
}
