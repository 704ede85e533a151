// SPDX-License-Identifier: GPL-2.0

//! The engine API of `include/linux/utrace.h`, as `extern "C"` functions.
//!
//! The C glue exports them with `EXPORT_SYMBOL_GPL` (a Rust module cannot). Every pointer an
//! engine passes is checked for what can be checked (NULL, an engine attached to another
//! task, unknown flag or event bits, an out-of-range action) and refused with the errno the
//! header documents, with no oops and no leak.

use core::ffi::c_void;
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong};
use kernel::prelude::*;
use kernel::task::Task;

use crate::abi::{self, utrace_engine, utrace_engine_ops};
use crate::access;
use crate::engine::Engine;
use crate::glue::errno;
use crate::glue::gfp_for_context;
use crate::glue::{self, is_err_or_null, to_err_ptr};
use crate::hooks;
use crate::stop;
use crate::task::{self, UtraceTask};
use crate::work;

/// `utrace_attach_task()`.
///
/// # Safety
///
/// `target` is a valid task the caller keeps alive; `ops` and `data`, if used, stay valid
/// as long as the engine is attached (they belong to the calling engine module).
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_attach_task(
    target: *mut bindings::task_struct,
    flags: c_int,
    ops: *const utrace_engine_ops,
    data: *mut c_void,
) -> *mut utrace_engine {
    if is_err_or_null(target) {
        pr_err_rl!(
            "utrace_attach_task: target {} is not a task\n",
            crate::glue::PtrKind::of(target)
        );
        return to_err_ptr(EINVAL);
    }
    if flags & !abi::ATTACH_ALL != 0 {
        pr_err_rl!("utrace_attach_task: unknown flags {:#x}\n", flags);
        return to_err_ptr(EINVAL);
    }
    if flags & abi::ATTACH_CREATE != 0 && is_err_or_null(ops) {
        pr_err_rl!(
            "utrace_attach_task: ops {} is not a callback table\n",
            crate::glue::PtrKind::of(ops)
        );
        return to_err_ptr(EINVAL);
    }
    // SAFETY: `Task` is a transparent wrapper of `task_struct`, and the caller keeps
    // `target` alive for the duration of the call.
    let task = unsafe { &*target.cast::<Task>() };
    match attach(task, flags, ops, data) {
        Ok(p) => p,
        Err(e) => to_err_ptr(e),
    }
}

fn attach(
    task: &Task,
    flags: c_int,
    ops: *const utrace_engine_ops,
    data: *mut c_void,
) -> Result<*mut utrace_engine> {
    if flags & abi::ATTACH_CREATE != 0 && ops.is_null() {
        return Err(EINVAL);
    }
    let access = flags & (abi::ACCESS_OWN_GROUP | abi::ACCESS_USER_WORKER);
    if flags & abi::ATTACH_CHECK_ACCESS == 0 {
        if access != 0 {
            // The access bits only make sense with the check.
            return Err(EINVAL);
        }
    } else if flags & abi::ATTACH_CREATE == 0 {
        access::may_trace(task, access)?;
    } else {
        // The check and the attach under the target's cred_guard_mutex, as ptrace_attach():
        // no exec can commit new credentials between them. Also for a thread of the
        // caller's own group, which needs no check: without the mutex it could attach to a
        // sibling between that sibling's privileged-exec decision (`sched_prepare_exec`,
        // under the mutex) and the `de_thread()` that kills the caller, and its engine
        // would follow the privileged image. With it, the caller waits and is killed.
        return match access::prelude(task, access)? {
            access::Verdict::OwnGroup => {
                let _guard = access::ExecGuard::lock(task)?;
                attach_new(task, flags, ops, data)
            }
            access::Verdict::AskKernel => {
                let guard = access::ExecGuard::lock(task)?;
                guard.check()?;
                attach_new(task, flags, ops, data)
            }
        };
    }
    if flags & abi::ATTACH_CREATE == 0 {
        let ut = UtraceTask::lookup(task.as_ptr()).ok_or(ENOENT)?;
        return ut.find_engine(flags, ops, data).ok_or(ENOENT);
    }
    attach_new(task, flags, ops, data)
}

/// Attaches a new engine (`UTRACE_ATTACH_CREATE`).
fn attach_new(
    task: &Task,
    flags: c_int,
    ops: *const utrace_engine_ops,
    data: *mut c_void,
) -> Result<*mut utrace_engine> {
    if ops.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: the caller keeps `task` alive; `flags` is a plain field.
    if unsafe { (*task.as_ptr()).flags } & bindings::PF_KTHREAD != 0 {
        return Err(EPERM);
    }
    let gfp = gfp_for_context();
    let cred = access::attacher_cred();
    loop {
        let ut = UtraceTask::lookup_or_create(task, gfp)?;
        crate::testing::delay(crate::testing::Window::Attach);
        let engine = Engine::new(&ut, ops, data, cred.clone(), gfp)?;
        let exclusive = flags & abi::ATTACH_EXCLUSIVE != 0;
        match ut.add_engine(&engine, gfp, |list| {
            if exclusive && list.engines.iter().any(|e| e.matches(flags, ops, data)) {
                Err(EEXIST)
            } else {
                Ok(())
            }
        }) {
            Ok(()) => {
                hooks::add_needs(hooks::ATTACHED, task::may_register_probes);
                return Ok(Engine::into_api_ref(engine));
            }
            // The state was removed (reaped or emptied) meanwhile: start over.
            Err(e) if e == EAGAIN => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `utrace_engine_get()`.
///
/// # Safety
///
/// `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_engine_get(engine: *mut utrace_engine) {
    if is_err_or_null(engine) {
        pr_err_rl!(
            "utrace_engine_get({}): not an engine\n",
            crate::glue::PtrKind::of(engine)
        );
        return;
    }
    // SAFETY: per the function's safety requirements.
    if Engine::try_get(unsafe { Engine::from_api(engine) }).is_none() {
        pr_err_rl!("utrace_engine_get() on a released engine (no reference held)\n");
    }
}

/// `utrace_engine_put()`.
///
/// # Safety
///
/// `engine` is an engine the caller holds a reference on, which it gives up.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_engine_put(engine: *mut utrace_engine) {
    if is_err_or_null(engine) {
        pr_err_rl!(
            "utrace_engine_put({}): not an engine\n",
            crate::glue::PtrKind::of(engine)
        );
        return;
    }
    // SAFETY: per the function's safety requirements.
    unsafe { Engine::put(engine) };
}

/// Validates a (task, engine) pair from an engine.
///
/// # Safety
///
/// `engine` is NULL, an `ERR_PTR()`, or an engine the caller holds a reference on.
pub(crate) unsafe fn checked<'a>(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
) -> Result<kernel::sync::ArcBorrow<'a, Engine>> {
    if is_err_or_null(target) || is_err_or_null(engine) {
        pr_err_rl!(
            "engine API called with task {}, engine {}: not a task and an engine\n",
            crate::glue::PtrKind::of(target),
            crate::glue::PtrKind::of(engine)
        );
        return Err(EINVAL);
    }
    // SAFETY: per the function's safety requirements.
    let e = unsafe { Engine::from_api(engine) };
    if !core::ptr::eq(e.task(), target) {
        pr_err_rl!("engine passed with a task it is not attached to\n");
        return Err(EINVAL);
    }
    Ok(e)
}

/// `utrace_set_events()`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_set_events(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    events: c_ulong,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    errno(unsafe { checked(target, engine) }.and_then(|e| set_events(&e, events)))
}

fn set_events(e: &Engine, events: usize) -> Result {
    if events & !abi::EVENT_ALL != 0 {
        pr_err_rl!("utrace_set_events: unknown event bits {:#x}\n", events);
        return Err(EINVAL);
    }
    let ut = e.utrace();
    // The new mask's probes first (see `hooks::add_needs` for when they are
    // registered before this returns), the old mask's given back after. DEATH on an exiting
    // thread (`set_engine_events`) relies on the exit probe, which is always registered.
    let pending = hooks::add_needs(events | hooks::ATTACHED, task::may_register_probes);
    let old = match ut.set_engine_events(e, events, || work::queue_exit(ut)) {
        Ok(old) => old,
        Err(err) => {
            hooks::drop_needs(events | hooks::ATTACHED);
            return Err(err);
        }
    };
    hooks::drop_needs(old | hooks::ATTACHED);
    // Signals queued before the engine asked (blocked ones, say) get the interception item
    // before the thread takes them (`signal.rs`): it runs at the thread's next
    // task_work_run(), and does nothing if nothing is deliverable then.
    if events & !old & abi::EVENT_SIGNAL_ALL != 0 {
        if core::ptr::eq(e.task(), Task::current_raw()) {
            work::queue_signal(ut);
        } else {
            work::queue_signal_remote(ut);
        }
    }
    if pending {
        // A probe could not be registered here: the thread registers it before it next
        // returns to user mode (the workqueue may do it sooner).
        work::queue_sync_probes(ut);
    }
    if old & !events != 0 && !core::ptr::eq(e.task(), Task::current_raw()) && ut.is_reporting(e) {
        return Err(EINPROGRESS);
    }
    Ok(())
}

/// `utrace_set_signal()`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on; `info` is NULL
/// or points to a valid `kernel_siginfo_t`.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_set_signal(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    action: u32,
    info: *const bindings::kernel_siginfo,
) -> c_int {
    let info = if info.is_null() {
        None
    } else if is_err_or_null(info) {
        pr_err_rl!("utrace_set_signal: info is an error pointer\n");
        return errno(Err(EINVAL));
    } else {
        // SAFETY: per the function's safety requirements, a valid siginfo.
        Some(unsafe { glue::SigInfo::read(info) })
    };
    // SAFETY: per the function's safety requirements.
    errno(
        unsafe { checked(target, engine) }
            .and_then(|e| crate::signal::set_signal(e.utrace(), &e, action, info)),
    )
}

/// `utrace_control()`.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_control(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
    action: u32,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    errno(unsafe { checked(target, engine) }.and_then(|e| control(&e, action)))
}

fn control(e: &Engine, action: u32) -> Result {
    // Every u32 is checked: an engine parsing a wider number must refuse what does not fit
    // (a truncated 2^32 + 5 would arrive here as a valid RESUME).
    if action >= abi::RESUME_MAX {
        pr_err_rl!("utrace_control: bad action {}\n", action);
        return Err(EINVAL);
    }
    let ut = e.utrace();
    if !e.is_attached() {
        return Err(ESRCH);
    }
    let is_current = core::ptr::eq(e.task(), Task::current_raw());
    match action {
        abi::DETACH => {
            // Detaching also lets the thread go if this engine was the last to stop it.
            // During the engine's own report_death too (`EINPROGRESS`, as for any
            // callback): the original's `EALREADY` there left the engine attached until the
            // reap, so "DETACH, barrier, put" did not detach an engine of a zombie nobody
            // reaps, and its report_reap still came after its owner let it go.
            crate::detach::detach_engine(ut, e, is_current)
        }
        // Past its death (report begun, or a zombie): no stop or report can come any more.
        _ if ut.is_gone() => Err(ESRCH),
        abi::STOP => {
            // 0 only if the thread is already parked; otherwise it stops at its next safe
            // point (after a report_quiesce(0) if the engine wants QUIESCE).
            e.set_step(0);
            if stop::request(ut, e) {
                return Ok(());
            }
            work::queue_report(ut, false);
            Err(EINPROGRESS)
        }
        abi::REPORT | abi::INTERRUPT | abi::SINGLESTEP | abi::BLOCKSTEP
            if e.events() & abi::EVENT_QUIESCE == 0 =>
        {
            pr_err_rl!(
                "utrace_control: action {} needs UTRACE_EVENT(QUIESCE)\n",
                action
            );
            Err(EINVAL)
        }
        abi::SINGLESTEP | abi::BLOCKSTEP => {
            // Armed when the thread next leaves for user mode: at once if this releases it
            // from its stop (`step::resume` after the park), else by an arm item (never
            // the thread's own step work: `work::queue_arm_remote`).
            e.set_step(action);
            stop::release(ut, e);
            if !stop::is_stopped(ut) {
                if is_current {
                    work::queue_arm(ut);
                } else {
                    work::queue_arm_remote(ut);
                }
            }
            Ok(())
        }
        _ => {
            // Every other action lets the thread go, as far as this engine is concerned, and
            // withdraws its step request.
            e.set_step(0);
            stop::release(ut, e);
            if action != abi::RESUME {
                work::queue_report(ut, action == abi::INTERRUPT);
            }
            Ok(())
        }
    }
}

/// `utrace_barrier()`: interruptible, `ERESTARTSYS` when a signal is pending first.
///
/// # Safety
///
/// `target` is valid; `engine` is an engine the caller holds a reference on.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_barrier(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    errno(unsafe { checked(target, engine) }.and_then(|e| barrier(&e, true)))
}

/// `utrace_barrier_uninterruptible()`: the same, for callers that must not fail (an engine
/// module's exit, `Attached::drop`): signals do not end the wait.
///
/// # Safety
///
/// As for [`utrace_barrier`].
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_barrier_uninterruptible(
    target: *mut bindings::task_struct,
    engine: *mut utrace_engine,
) -> c_int {
    // SAFETY: per the function's safety requirements.
    errno(unsafe { checked(target, engine) }.and_then(|e| barrier(&e, false)))
}

/// What a barrier waits for: no callback of the engine in flight and, once it is detached,
/// the attached reference's drop (and a `release` it may make) completed, wherever it runs
/// (reporter, reap, detacher). Both are signalled on the glue's barrier queue: by
/// `UtraceTask::finish_callback` (and `start_callback_raw`'s detached path) after `reporting` is
/// cleared, and by `Engine::drop_attach_ref` after the drop.
fn barrier_done(e: &Engine) -> bool {
    !e.utrace().is_reporting(e) && (e.is_attached() || e.is_fully_detached())
}

fn barrier(e: &Engine, interruptible: bool) -> Result {
    if core::ptr::eq(e.task(), Task::current_raw()) {
        return Ok(());
    }
    let ut = e.utrace();
    // Called from the engine's own report_reap (softirq; e.g. a Rust handle dropped there):
    // the callback in flight is the caller's, and waiting for it would never end. As for
    // current, return at once: no other callback of the engine can start (the reap is the
    // last one), and its attached reference is dropped when the callback returns.
    if ut.is_reporting(e) && ut.reaped_by_current() {
        return Ok(());
    }
    loop {
        // A sleep on the barrier queue, not a poll: woken when a callback ends or an attached
        // reference is dropped.
        glue::barrier_wait_until(&|| barrier_done(e), interruptible)?;
        // Decided on one reading: a detach (or a new callback) since the wake-up waits again.
        if !e.utrace().is_reporting(e) {
            if e.is_attached() {
                return Ok(());
            }
            if e.is_fully_detached() {
                return Err(ESRCH);
            }
        }
    }
}
