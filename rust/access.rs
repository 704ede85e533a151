// SPDX-License-Identifier: GPL-2.0

//! Who may trace whom: `utrace_may_trace()`, the `UTRACE_ATTACH_CHECK_ACCESS` attach, the
//! tracer credentials every engine records, and the privileged-exec policy.
//!
//! - **The check** is ptrace's attach rule, run by the kernel itself (`utrace_access.c`
//!   explains how: a read of `/proc/<tid>/personality` on utrace's own procfs mount, under
//!   the caller's credentials with the real ids as fs ids), after utrace's own refusals:
//!   kernel threads, the caller's own thread group, and `PF_USER_WORKER` threads (io_uring,
//!   vhost), the last two unless the caller asks for them.
//! - **The attach** with `UTRACE_ATTACH_CHECK_ACCESS` holds the target's `cred_guard_mutex`
//!   across the check and the attach, as `ptrace_attach()` does: an exec cannot change the
//!   target's credentials in between.
//! - **Tracer credentials**: every engine records the credentials of the task that attached
//!   it ([`attacher_cred`]), as the kernel records a ptracer's (`ptracer_cred`).
//! - **Privileged exec** ([`secure_exec`]): an exec that gains privilege (what makes ptrace
//!   withhold it: an effective id other than the real one, permitted capabilities not held
//!   before; or an LSM label change, or `bprm->secureexec`) detaches, at
//!   `sched_prepare_exec` (before the point of no return, so also when the exec then fails),
//!   every engine whose tracer credentials lack `CAP_SYS_PTRACE` over the new credentials
//!   (the kernel's `ptracer_capable()` question for ptrace, which then withholds the
//!   privilege instead; utrace cannot).

use kernel::bindings;
use kernel::cred::Credential;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::Arc;
use kernel::task::Task;

use crate::abi;
use crate::glue::can_sleep;
use crate::glue::{self, errno};
use crate::task::UtraceTask;

/// What the caller may additionally allow in [`may_trace`].
const ALLOW_MASK: c_int = abi::ACCESS_OWN_GROUP | abi::ACCESS_USER_WORKER;

/// What the check decided before the kernel's rule is asked.
pub(crate) enum Verdict {
    /// The caller's own thread group, allowed by `UTRACE_ACCESS_OWN_GROUP`: nothing to ask
    /// (ptrace's rule lets a thread group introspect itself).
    OwnGroup,
    /// Ask the kernel's rule.
    AskKernel,
}

/// utrace's own refusals, made before the kernel's rule: `EINVAL` for unknown `flags` or a
/// caller that cannot sleep; `EPERM` for a kernel thread, a `PF_USER_WORKER` thread unless
/// `UTRACE_ACCESS_USER_WORKER`, the caller's thread group unless `UTRACE_ACCESS_OWN_GROUP`.
pub(crate) fn prelude(task: &Task, flags: c_int) -> Result<Verdict> {
    if flags & !ALLOW_MASK != 0 {
        return Err(EINVAL);
    }
    if !can_sleep() || !glue::in_task() {
        pr_err_rl!("utrace_may_trace() called where it cannot sleep; refused\n");
        return Err(EINVAL);
    }
    // SAFETY: the caller keeps `task` alive; `flags` is a plain word.
    if unsafe { (*task.as_ptr()).flags } & bindings::PF_KTHREAD != 0 {
        return Err(EPERM);
    }
    // SAFETY: as above.
    let user_worker = unsafe { glue::utrace_glue_user_worker(task.as_ptr()) };
    if user_worker && flags & abi::ACCESS_USER_WORKER == 0 {
        return Err(EPERM);
    }
    if glue::same_thread_group(task) {
        // A stop of a thread of its own group can deadlock the caller (and stopping itself
        // always does): ptrace refuses it too.
        return if flags & abi::ACCESS_OWN_GROUP != 0 {
            Ok(Verdict::OwnGroup)
        } else {
            Err(EPERM)
        };
    }
    Ok(Verdict::AskKernel)
}

/// The target's `cred_guard_mutex`, held: no exec of its thread group can compute or commit
/// new credentials (nor give the thread another pid) until it is dropped.
pub(crate) struct ExecGuard<'a>(&'a Task);

impl<'a> ExecGuard<'a> {
    /// Takes the mutex, interruptibly (`ERESTARTNOINTR` on a signal, as `ptrace_attach()`).
    pub(crate) fn lock(task: &'a Task) -> Result<Self> {
        // SAFETY: the caller keeps `task` alive, and with it its `signal_struct`.
        let ret = unsafe { glue::utrace_glue_cred_guard_lock(task.as_ptr()) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(ExecGuard(task))
    }

    /// The kernel's rule for current and the target, under the mutex.
    pub(crate) fn check(&self) -> Result {
        // SAFETY: the task is alive (the guard borrows it) and its mutex is held by us; the
        // caller can sleep (checked by `prelude`).
        let ret = unsafe { glue::utrace_glue_access_check(self.0.as_ptr()) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }
}

impl Drop for ExecGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `lock` took the mutex; the task is still alive (borrowed).
        unsafe { glue::utrace_glue_cred_guard_unlock(self.0.as_ptr()) };
    }
}

/// The whole check: may current trace `task`?
pub(crate) fn may_trace(task: &Task, flags: c_int) -> Result {
    match prelude(task, flags)? {
        Verdict::OwnGroup => Ok(()),
        Verdict::AskKernel => ExecGuard::lock(task)?.check(),
    }
}

/// `utrace_may_trace()`.
///
/// # Safety
///
/// `target` is NULL, an `ERR_PTR()`, or a valid task the caller keeps alive.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_may_trace(
    target: *mut bindings::task_struct,
    flags: c_int,
) -> c_int {
    if crate::glue::is_err_or_null(target) {
        pr_err_rl!(
            "utrace_may_trace({}): not a task\n",
            crate::glue::PtrKind::of(target)
        );
        return EINVAL.to_errno();
    }
    // SAFETY: `Task` is a transparent wrapper of `task_struct`; the caller keeps it alive.
    let task = unsafe { &*target.cast::<Task>() };
    errno(may_trace(task, flags))
}

/// The tracer credentials for an engine attached now: the attaching task's, as ptrace
/// records its tracer's. None (no privilege) outside task context, where `current` is
/// whatever task was interrupted.
///
/// An engine attached from a callback (a child followed from `report_clone`) gets the
/// credentials of the thread running the callback, the traced one: normally no more
/// privilege than the engine's own tracer had, since that tracer was allowed to trace it
/// (an exception: a thread that gained privilege by an exec its privileged tracer followed).
pub(crate) fn attacher_cred() -> Option<ARef<Credential>> {
    if !glue::in_task() {
        return None;
    }
    // SAFETY: a new reference on current's credentials, which the `ARef` takes over.
    let p = unsafe { glue::utrace_glue_get_current_cred() };
    // SAFETY: `Credential` is a transparent wrapper of `struct cred`; we own the reference.
    core::ptr::NonNull::new(p.cast_mut().cast::<Credential>()).map(|p| unsafe { ARef::from_raw(p) })
}

/// For current, at `sched_prepare_exec`, when its exec gains
/// privilege: detaches every engine whose tracer credentials lack `CAP_SYS_PTRACE` over the
/// exec's new credentials. Runs before the exec's reports, so such an engine gets no callback
/// from the new image, which has not run an instruction yet.
pub(crate) fn secure_exec(ut: &Arc<UtraceTask>, bprm: *const bindings::linux_binprm) {
    let Some(list) = ut.snapshot() else { return };
    let mut detached: c_int = 0;
    for e in list.engines.iter().filter(|e| e.is_attached()) {
        let cred = e
            .tracer_cred()
            .map_or(core::ptr::null(), Credential::as_ptr);
        // SAFETY: `cred` is NULL or the engine's counted reference; `bprm` is current's exec,
        // valid during the tracepoint that called us.
        if unsafe { glue::utrace_glue_cred_ptrace_capable(cred, bprm) } {
            continue;
        }
        // Current is not in a callback: the detach completes here (no -EINPROGRESS).
        if crate::detach::detach_engine(ut, e, true).is_ok() {
            detached += 1;
        }
    }
    if detached != 0 {
        // SAFETY: logs current's name and pid, rate-limited.
        unsafe { glue::utrace_glue_note_secure_exec(detached) };
    }
}
