// SPDX-License-Identifier: GPL-2.0

//! Examining and changing a stopped thread: `utrace_prepare_examine()`,
//! `utrace_finish_examine()` and register access through the thread's user regset view.
//!
//! The original used `wait_task_inactive()`, which is not exported. The same guarantee is
//! derived from utrace's own stop bookkeeping and the scheduler's public fields:
//! - "stopped": the thread committed to its stop (`stop.rs`, under the task's lock) and an
//!   engine (the caller) wants it stopped, so only SIGKILL can wake it for good;
//! - "asleep": off its CPU (`on_cpu` clear: the context switch away from it has completed,
//!   so its user registers are all saved in `pt_regs` and the regsets) and off the runqueue
//!   (not merely preempted between committing to the stop and `schedule()`, which it would
//!   run again to reach), waited for without a time bound as `wait_task_inactive()` does;
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
use crate::glue;
use crate::stop;

/// `struct utrace_examiner` of the header.
#[repr(C)]
pub(crate) struct utrace_examiner {
    pub(crate) state: c_long,
    pub(crate) ncsw: c_ulong,
}

/// Bit set in a recorded switch count so that it is never 0 (0 means "not recorded").
const NCSW_VALID: c_ulong = 1 << (c_ulong::BITS - 1);

/// Spins on a thread still on its CPU before sleeping between looks (a woken tracer
/// typically gets here while the thread is inside `schedule()` on another CPU).
const OFF_CPU_SPINS: u32 = 1000;
/// The longest sleep between two looks at a thread that is not asleep yet (the sleeps grow
/// from 10 us to this).
const MAX_NAP_US: i64 = 1000;

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

/// Waits until the thread, stopped by `e`, is asleep: off its CPU and off the runqueue
/// (`utrace_glue_task_inactive`). No time bound: a thread that committed to its stop gets
/// there unless it leaves the stop (SIGKILL, another wake-up that lets it go), which ends
/// the wait with the error `stopped_by` gives. A thread preempted after committing (its
/// wake-up of this tracer, on the same CPU, is a typical cause) runs again only to call
/// `schedule()`: the tracer sleeps meanwhile, so that it can.
fn wait_asleep(e: &Engine) -> Result {
    let task = e.task();
    let mut spins = 0;
    let mut nap = 10;
    loop {
        // SAFETY: the engine's task state holds a reference on the task.
        if unsafe { glue::utrace_glue_task_inactive(task) } {
            return Ok(());
        }
        stopped_by(e)?;
        // SAFETY: as above.
        if spins < OFF_CPU_SPINS && unsafe { glue::utrace_glue_task_on_cpu(task) } {
            spins += 1;
            core::hint::spin_loop();
            continue;
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_micros(nap));
        nap = (nap * 2).min(MAX_NAP_US);
    }
}

fn prepare(e: &Engine, exam: &mut utrace_examiner) -> Result {
    stopped_by(e)?;
    let task = e.task();
    let ncsw = loop {
        wait_asleep(e)?;
        // SAFETY: the engine's task state holds a reference on the task.
        let ncsw = unsafe { glue::utrace_glue_task_switches(task) };
        // Still asleep after the count was read: it is the count of this sleep (a wake-up
        // in between queues or runs the thread, and it is read again).
        // SAFETY: as above.
        if unsafe { glue::utrace_glue_task_inactive(task) } {
            break ncsw;
        }
    };
    // Still stopped (it may have been SIGKILLed meanwhile).
    stopped_by(e)?;
    arch::make_regs_coherent(task.cast_mut());
    exam.state = 0;
    exam.ncsw = ncsw | NCSW_VALID;
    Ok(())
}

fn finish(e: &Engine, exam: &utrace_examiner) -> Result {
    if exam.ncsw & NCSW_VALID == 0 {
        pr_err!("utrace_finish_examine without a successful utrace_prepare_examine\n");
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
    if exam.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: per the function's safety requirements.
    let e = match unsafe { checked(target, engine) } {
        Ok(e) => e,
        Err(err) => return err.to_errno(),
    };
    // Current, from its own callbacks: nothing to wait for, as long as the engine is still
    // attached (a detached engine, e.g. after a privileged exec, examines nothing).
    if core::ptr::eq(target, Task::current_raw()) {
        return if e.is_attached() { 0 } else { ESRCH.to_errno() };
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
/// by the engine, in both cases only while the engine is attached.
///
/// # Safety
///
/// As for [`checked`].
unsafe fn may_access(target: *mut bindings::task_struct, engine: *mut utrace_engine) -> Result {
    // SAFETY: per the function's safety requirements.
    let e = unsafe { checked(target, engine) }?;
    if core::ptr::eq(target, Task::current_raw()) {
        return if e.is_attached() { Ok(()) } else { Err(ESRCH) };
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
