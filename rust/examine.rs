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
use crate::api::checked;
use crate::arch;
use crate::engine::Engine;
use crate::glue::errno;
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

/// Spins on a thread still on its CPU before sleeping between looks (a woken tracer
/// typically gets here while the thread is inside `schedule()` on another CPU).
const OFF_CPU_SPINS: u32 = 1000;
/// The longest sleep between two looks at a thread that is not asleep yet (the sleeps grow
/// from 10 us to this).
const MAX_NAP_US: i64 = 1000;

/// The engine wants the thread stopped and the thread is parked in its stop.
fn stopped_by(e: &Engine) -> Result {
    stopped_by_with(e, || stop::is_stopped(e.utrace()))
}

/// [`stopped_by`], with `stopped` saying whether the thread is parked (the caller may hold
/// the lock that says it).
fn stopped_by_with(e: &Engine, stopped: impl FnOnce() -> bool) -> Result {
    if !e.is_attached() {
        return Err(ESRCH);
    }
    if !e.wants_stop() {
        return Err(EINVAL);
    }
    if e.utrace().is_gone() {
        return Err(ESRCH);
    }
    if !stopped() {
        return Err(EAGAIN);
    }
    Ok(())
}

/// Waits until `task`, committed to its stop, is asleep: off its CPU (its context switch
/// is over: every register is saved where the regsets read it) and off the runqueue
/// (`utrace_glue_task_inactive`). A thread preempted between committing to its stop and
/// `schedule()` (its wake-up of this tracer, on the same CPU, is a typical cause) is off its
/// CPU but runs again to switch out: the caller sleeps meanwhile, so that it can. No time
/// bound when the caller can sleep; `left` ends the wait early with its error (the thread
/// left its stop). A caller that cannot sleep spins a bounded time and gets `EAGAIN`: the
/// thread may be runnable on the caller's own CPU.
fn wait_asleep(task: &Task, mut left: impl FnMut() -> Result) -> Result {
    let sleepable = crate::glue::can_sleep();
    let mut spins = 0u32;
    let mut nap = 10;
    loop {
        if glue::task_inactive(task) {
            return Ok(());
        }
        left()?;
        if spins < OFF_CPU_SPINS && (!sleepable || glue::task_on_cpu(task)) {
            spins += 1;
            core::hint::spin_loop();
            continue;
        }
        if !sleepable {
            return Err(EAGAIN);
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_micros(nap));
        nap = (nap * 2).min(MAX_NAP_US);
    }
}

/// A register access to a thread its engine stopped, in progress: while the hold lives the
/// thread stays in its stop (whatever lets it go: resume, detach, SIGKILL) and off its CPU,
/// as ptrace freezes its tracee for `PTRACE_GETREGS`/`SETREGS` (`ptrace_freeze_traced`).
///
/// - The count of accesses is in the stop state (`StopState::examiners`); `park` does not
///   leave while it is not zero, and the releasers (`stop::release`, a detach) leave the
///   wake-up to the last access.
/// - SIGKILL would still wake the thread (`TASK_KILLABLE`), and a woken thread runs, if
///   only to go back to sleep: a register written while it is on a CPU is lost (the FS/GS
///   bases are saved at the next switch) and it could go on to exit (its stack freed under
///   the write). So the first access sets `JOBCTL_PTRACE_FROZEN`, as ptrace does, which
///   makes `signal_wake_up()` leave it asleep; the last one clears it and wakes the thread
///   if it must go.
/// - Then the access waits for the thread to be asleep (`wait_asleep`), without a time
///   bound when it can sleep.
/// - A caller that cannot sleep gets `EDEADLK` for a thread of its own thread group: it may
///   hold their shared siglock (`report_signal`), which the hold takes.
///
/// Before this, only `stopped` was checked: SIGKILL during the access let the thread exit
/// and free its stack while `putreg()` wrote to it (an oops, with the race window widened
/// by `lifetime_race_test`'s `regset_window`).
struct Hold<'a> {
    ut: &'a crate::task::UtraceTask,
}

impl<'a> Hold<'a> {
    fn new(e: &'a Engine) -> Result<Self> {
        let ut = e.utrace();
        let task = ut.task_ptr();
        if !crate::glue::can_sleep() && glue::same_thread_group(ut.task()) {
            pr_err_rl!("utrace_regset_get/set: a thread of the caller's own group, from a context that cannot sleep (its siglock may be held)\n");
            return Err(EDEADLK);
        }
        let mut flags: c_ulong = 0;
        // Lock order: siglock, then the task's lock.
        // SAFETY: the state holds a reference on the task; `flags` is ours.
        if unsafe { glue::utrace_glue_lock_sighand(task, &mut flags) }.is_null() {
            return Err(ESRCH);
        }
        let r = {
            let mut g = ut.lock();
            let stopped = g.stop_stopped();
            stopped_by_with(e, || stopped).and_then(|()| {
                // Already killed: it is on its way out (its wake-up came before the hold).
                if glue::task_fatal_pending(ut.task()) {
                    return Err(EAGAIN);
                }
                if g.stop.examiners == 0 {
                    // SAFETY: siglock held, as the glue requires.
                    g.stop.froze = unsafe { glue::utrace_glue_kill_freeze(task, true) };
                }
                g.stop.examiners += 1;
                Ok(())
            })
        };
        // SAFETY: the siglock taken above.
        unsafe { glue::utrace_glue_unlock_sighand(task, &mut flags) };
        r?;
        let hold = Hold { ut };
        // Held: it cannot leave its stop meanwhile (a spurious wake-up puts it back to sleep).
        wait_asleep(ut.task(), || Ok(()))?;
        crate::testing::delay(crate::testing::Window::Regset);
        Ok(hold)
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let ut = self.ut;
        let task = ut.task_ptr();
        let mut flags: c_ulong = 0;
        // SAFETY: as in `new`; the held thread cannot have exited (it is in its stop).
        let locked = !unsafe { glue::utrace_glue_lock_sighand(task, &mut flags) }.is_null();
        let wake = {
            let mut g = ut.lock();
            g.stop.examiners -= 1;
            if g.stop.examiners != 0 {
                false
            } else {
                if g.stop.froze && locked {
                    // SAFETY: siglock held.
                    unsafe { glue::utrace_glue_kill_freeze(task, false) };
                }
                g.stop.froze = false;
                // Let go while held (it sleeps uninterruptibly), or killed, resumed or
                // detached meanwhile (its wake-up was held back): it goes now.
                g.stop.held || stop::let_go(ut, &g)
            }
        };
        if locked {
            // SAFETY: the siglock taken above.
            unsafe { glue::utrace_glue_unlock_sighand(task, &mut flags) };
        }
        if wake {
            ut.task().wake_up();
        }
    }
}

fn prepare(e: &Engine, exam: &mut utrace_examiner) -> Result {
    stopped_by(e)?;
    let task = e.utrace().task();
    let ncsw = loop {
        wait_asleep(task, || stopped_by(e))?;
        let ncsw = glue::task_switches(task);
        // Still asleep after the count was read: it is the count of this sleep (a wake-up
        // in between queues or runs the thread, and it is read again).
        if glue::task_inactive(task) {
            break ncsw;
        }
    };
    // Still stopped (it may have been SIGKILLed meanwhile).
    stopped_by(e)?;
    arch::make_regs_coherent(task.as_ptr());
    exam.state = 0;
    exam.ncsw = ncsw | NCSW_VALID;
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
    let task = e.utrace().task();
    let now = glue::task_switches(task) | NCSW_VALID;
    if !stop::is_stopped(e.utrace()) || now != exam.ncsw || glue::task_on_cpu(task) {
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
/// by the engine, which is held in its stop ([`Hold`]) while `f` accesses it; in both cases
/// only while the engine is attached.
///
/// # Safety
///
/// As for [`checked`].
unsafe fn with_access(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    f: impl FnOnce(&Engine) -> c_int,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    let e = match unsafe { checked(target, engine) } {
        Ok(e) => e,
        Err(err) => return err.to_errno(),
    };
    if core::ptr::eq(target, Task::current_raw()) {
        if !e.is_attached() {
            return ESRCH.to_errno();
        }
        arch::make_regs_coherent(target);
        return f(&e);
    }
    let _hold = match Hold::new(&e) {
        Ok(h) => h,
        Err(err) => return err.to_errno(),
    };
    arch::make_regs_coherent(target);
    f(&e)
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
    if is_err_or_null(buf) {
        pr_err_rl!(
            "utrace_regset_get: buf {} is not a pointer\n",
            crate::glue::PtrKind::of(buf)
        );
        return EINVAL.to_errno();
    }
    // SAFETY: per the function's safety requirements; `target` is held in its stop (or is
    // current) during the access, and `buf` is writable for `size` bytes.
    unsafe {
        with_access(target, engine, |_| {
            glue::utrace_glue_regset_get(target, which, buf, size)
        })
    }
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
    if is_err_or_null(buf) {
        pr_err_rl!(
            "utrace_regset_set: buf {} is not a pointer\n",
            crate::glue::PtrKind::of(buf)
        );
        return EINVAL.to_errno();
    }
    // SAFETY: per the function's safety requirements; `target` is held in its stop (or is
    // current) during the access, and `buf` is readable for `size` bytes.
    unsafe {
        with_access(target, engine, |_| {
            glue::utrace_glue_regset_set(target, which, pos, buf, size)
        })
    }
}

/// The arguments of a memory access by `func` (`utrace_access_vm()`,
/// `utrace_copy_from_current()`): a buffer of `len` > 0 bytes, from a caller that can sleep.
fn check_memory_args(func: &str, buf: *mut c_void, len: c_int) -> Result {
    if is_err_or_null(buf) || len <= 0 {
        pr_err_rl!(
            "{}: buf {} / len {} is not a buffer\n",
            func,
            crate::glue::PtrKind::of(buf),
            len
        );
        return Err(EINVAL);
    }
    if !crate::glue::can_sleep() {
        pr_err_rl!("{}: called from a context that cannot sleep\n", func);
        return Err(EINVAL);
    }
    Ok(())
}

/// ptrace's per-access rule (`ptracer_access_allowed()`): may `e`'s tracer, with the
/// credentials it attached with, read or write `target`'s memory now? Process context.
///
/// # Safety
///
/// `target` is valid.
pub(crate) unsafe fn memory_access_allowed(target: *mut bindings::task_struct, e: &Engine) -> bool {
    let cred = e
        .tracer_cred()
        .map_or(core::ptr::null(), kernel::cred::Credential::as_ptr);
    // SAFETY: `target` is valid (the caller's requirement); `cred` is null or `e`'s
    // credentials, which it keeps while borrowed.
    unsafe { glue::utrace_glue_memory_access_allowed(target, cred) }
}

/// `utrace_copy_from_current()`: reads `len` bytes of current's memory at `addr` from a
/// callback of `engine`, with the rules of [`utrace_access_vm`] on current (attached;
/// ptrace's per-access rule) but without ever waiting for I/O, a userfaultfd, FUSE or
/// network server, or the mmap lock (`utrace_glue_copy_from_current_nowait`: a page not
/// mapped yet is faulted in only where a fault's waits are the kernel's own): a callback
/// runs inside the syscall tracepoints' RCU Tasks Trace read section, which a wait without
/// bound would hold for the whole system. Returns the bytes read or a negative errno.
///
/// # Safety
///
/// `engine` is an engine the caller holds a reference on; `buf` is writable for `len`
/// bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_copy_from_current(
    engine: *mut utrace_engine,
    addr: c_ulong,
    buf: *mut c_void,
    len: c_int,
) -> c_int {
    // (The fault-in may allocate: page tables, an anonymous page.)
    if let Err(err) = check_memory_args("utrace_copy_from_current", buf, len) {
        return err.to_errno();
    }
    let target = Task::current_raw();
    // SAFETY: per the function's safety requirements; `target` is current.
    unsafe {
        with_access(target, engine, |e| {
            if !memory_access_allowed(target, e) {
                return EPERM.to_errno();
            }
            glue::utrace_glue_copy_from_current_nowait(addr, buf, len)
        })
    }
}

/// The unit of a memory access between two checks of the rule (a page on x86_64).
const ACCESS_CHUNK: c_ulong = 4096;

/// `utrace_access_vm()`: reads (or with `write`, writes) `len` bytes of the thread's memory
/// at user address `addr`, as `PTRACE_PEEKDATA`/`POKEDATA` do (`FOLL_FORCE`). Returns the
/// bytes done or a negative errno.
///
/// The rules of the register access ([`with_access`]: current from its own callbacks, or a
/// thread stopped by the engine and held in its stop meanwhile, so that it cannot exec or
/// exit under the access), plus ptrace's per-access rule (`ptracer_access_allowed()`): the
/// thread is owner-dumpable now, or the engine's tracer credentials hold `CAP_SYS_PTRACE`
/// over it. The attach-time check alone let an engine go on reading a thread that had made
/// itself undumpable since (`prctl(PR_SET_DUMPABLE, 0)`).
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `buf` is
/// readable and writable for `len` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_access_vm(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    addr: c_ulong,
    buf: *mut c_void,
    len: c_int,
    write: bool,
) -> c_int {
    // (GUP sleeps: faults, the mmap lock.)
    if let Err(err) = check_memory_args("utrace_access_vm", buf, len) {
        return err.to_errno();
    }
    // SAFETY: per the function's safety requirements; `target` stays in its stop (or is
    // current) during the access, and `buf` is valid for `len` bytes.
    unsafe {
        with_access(target, engine, |e| {
            // A page at a time, the rule asked before each: another thread of the target's
            // process (not held) can make it undumpable during a long access; ptrace asks
            // for every word it peeks.
            let mut done: c_int = 0;
            while done < len {
                if !memory_access_allowed(target, e) {
                    return if done > 0 { done } else { EPERM.to_errno() };
                }
                let at = addr.wrapping_add(done as c_ulong);
                let in_page = (ACCESS_CHUNK - (at % ACCESS_CHUNK)) as c_int;
                let chunk = in_page.min(len - done);
                let n = glue::utrace_glue_access_process_vm(
                    target,
                    at,
                    buf.cast::<u8>().add(done as usize).cast(),
                    chunk,
                    write,
                );
                if n <= 0 {
                    break;
                }
                done += n;
                if n < chunk {
                    break;
                }
            }
            if done > 0 {
                done
            } else {
                EIO.to_errno()
            }
        })
    }
}
