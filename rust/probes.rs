// SPDX-License-Identifier: GPL-2.0

//! The tracepoint probes: where each event enters utrace.
//!
//! Every probe has exactly the C prototype `void probe(void *data, TP_PROTO...)` of its
//! tracepoint (kCFI checks it). Each one looks the task up in the per-task table (lock-free,
//! under RCU), returns at once unless an attached engine wants the event, and otherwise
//! makes one reporting pass (`report.rs`). Contexts (see `Documentation/api.md`):
//!
//! | probe | runs in | may sleep |
//! |---|---|---|
//! | `sys_enter`, `sys_exit` | the task, syscall entry/exit (faultable tracepoint) | yes, may fault |
//! | `task_newtask` | the parent, end of `copy_process()`, child not yet woken | yes |
//! | `sched_prepare_exec` | the task, `begin_new_exec()` before the point of no return, new credentials computed (always registered: privileged-exec policy) | yes |
//! | `sched_process_exec` | the task, `exec_binprm()` after the new image is set up | yes |
//! | `sched_process_exit` | the task, `do_exit()` after `PF_EXITING`, mm still there | yes |
//! | `sched_process_free` | RCU callback (softirq) when the task_struct goes | no |
//! | `signal_generate` | the sender (any context, maybe hardirq), target's siglock held, irqs off | no |
//! | `signal_deliver` | the task, `get_signal()`, siglock held, irqs off | no |

use core::ffi::{c_void, CStr};
use kernel::bindings;
use kernel::ffi::{c_int, c_long};
use kernel::pr_warn_once;
use kernel::task::Task;

use crate::abi;
use crate::arch::UserRegs;
use crate::entrystop;
use crate::glue::{self, SigInfo};
use crate::report::{self, Order};
use crate::signal;
use crate::task::{EngineList, UtraceTask};
use crate::work::{self, Site};
use kernel::sync::Arc;

/// `PF_KTHREAD | PF_IO_WORKER`: tasks that never return to user mode.
const PF_NO_USER: u32 = bindings::PF_KTHREAD | bindings::PF_IO_WORKER;

/// The current task's engines if one of them wants one of `events`.
fn current_wanting(events: usize) -> Option<Arc<EngineList>> {
    UtraceTask::engines_wanting(Task::current_raw(), events)
}

/// The probe of the tracepoint `name`, as the untyped pointer the tracepoint API takes
/// (`hooks::Hooks::find`).
pub(crate) fn probe_for(name: &CStr) -> Option<*mut c_void> {
    let f: *const () = match name.to_bytes() {
        b"sys_enter" => sys_enter as *const (),
        b"sys_exit" => sys_exit as *const (),
        b"task_newtask" => task_newtask as *const (),
        b"sched_prepare_exec" => sched_prepare_exec as *const (),
        b"sched_process_exec" => sched_process_exec as *const (),
        b"sched_process_exit" => sched_process_exit as *const (),
        b"sched_process_free" => sched_process_free as *const (),
        b"signal_deliver" => signal_deliver as *const (),
        b"signal_generate" => signal_generate as *const (),
        _ => return None,
    };
    Some(f.cast_mut().cast())
}

/// Acts on a pass's resume action (see `work::finish`).
fn finish(list: &EngineList, action: u32, site: Site) {
    if let Some(ut) = list.utrace() {
        work::finish(ut, action, site);
    }
}

/// The `sys_enter` probe. What a stop or a changed syscall does here: `entrystop.rs`.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sys_enter(_: *mut c_void, regs: *mut bindings::pt_regs, _: c_long) {
    // SAFETY: the tracepoint passes current's user registers, on current.
    let regs = unsafe { UserRegs::from_raw(regs) };
    if entrystop::unmasked_entry(&regs) {
        return;
    }
    let Some(list) = current_wanting(abi::EVENT_SYSCALL_ENTRY) else {
        return;
    };
    let Some(ut) = list.utrace() else {
        return;
    };
    // The report's flags, and the call as seccomp filtered it.
    let Some((flags, filtered)) = entrystop::entry_flags(ut, &regs) else {
        return;
    };
    let out = report::report_list_flagged(
        &list,
        abi::EVENT_SYSCALL_ENTRY,
        Order::Reverse,
        true,
        flags,
        |e, a| e.report_syscall_entry(a, regs.as_ptr()),
    );
    let abort = out.bits & abi::SYSCALL_MASK == abi::SYSCALL_ABORT;
    if entrystop::after_entry_report(ut, &regs, out.action == abi::STOP, abort, filtered) {
        finish(&list, out.action, Site::ReturnToUser);
    }
}

/// The `sys_exit` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sys_exit(_: *mut c_void, regs: *mut bindings::pt_regs, _: c_long) {
    // SAFETY: the tracepoint passes current's user registers, on current.
    let regs = unsafe { UserRegs::from_raw(regs) };
    entrystop::before_sys_exit();
    // A stepped syscall instruction ends here (`step.rs`).
    if let Some(ut) = crate::step::syscall_exit(&regs) {
        work::step_ended(&ut);
    }
    let Some(list) =
        current_wanting(abi::EVENT_SYSCALL_ENTRY | abi::EVENT_SYSCALL_EXIT | abi::EVENT_SIGNAL_ALL)
    else {
        return;
    };
    let Some(ut) = list.utrace() else {
        return;
    };
    // While this probe is registered anyway: a syscall that unblocked a queued signal
    // (sigprocmask, rt_sigreturn, ppoll...) gets the interception item before the
    // get_signal() that follows (`signal.rs`; not a reason to register it: see
    // `Documentation/design.md`, "Signals").
    let events = ut.events();
    if events & abi::EVENT_SIGNAL_ALL != 0 && glue::signals_queued() {
        work::queue_signal(ut);
    }
    if events & (abi::EVENT_SYSCALL_ENTRY | abi::EVENT_SYSCALL_EXIT) == 0 {
        return;
    }
    // The skipped pass of a syscall-entry stop: not a syscall exit.
    if entrystop::is_skipped_pass(ut) {
        return;
    }
    entrystop::at_sys_exit(ut, &regs);
    if ut.events() & abi::EVENT_SYSCALL_EXIT == 0 {
        return;
    }
    let out = report::report_list(
        &list,
        abi::EVENT_SYSCALL_EXIT,
        Order::Attach,
        true,
        |e, a| e.report_syscall_exit(a, regs.as_ptr()),
    );
    finish(&list, out.action, Site::ReturnToUser);
}

/// The `task_newtask` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn task_newtask(
    _: *mut c_void,
    child: *mut bindings::task_struct,
    clone_flags: u64,
) {
    // SAFETY: `child` is the new task, not yet woken; its flags are set.
    if unsafe { (*child).flags } & PF_NO_USER != 0 {
        return;
    }
    // SAFETY: `child` has not run yet.
    unsafe { crate::step::new_task(child) };
    let Some(list) = current_wanting(abi::EVENT_CLONE) else {
        return;
    };
    // 7.3 keeps the exit signal out of the flags (`kernel_clone_args.exit_signal`); put it
    // back, as the original report_clone had it: the legacy clone() flags word.
    // SAFETY: `exit_signal` was set by copy_process() before this tracepoint.
    let exit_signal = unsafe { (*child).exit_signal };
    let clone_flags = if clone_flags & u64::from(bindings::CLONE_THREAD) == 0 && exit_signal > 0 {
        clone_flags | (exit_signal as u64 & u64::from(bindings::CSIGNAL))
    } else {
        clone_flags
    };
    let Some(ut) = list.utrace() else { return };
    let out = {
        // The callbacks run in the tracepoint's SRCU read section (`hooks.rs`).
        let _tp = ut.enter_tracepoint();
        report::report_list(&list, abi::EVENT_CLONE, Order::Attach, true, |e, a| {
            e.report_clone(a, clone_flags, child)
        })
    };
    finish(&list, out.action, Site::InSyscall);
}

/// The `sched_prepare_exec` probe: the exec's new credentials are computed, current still has
/// the old ones, and the point of no return comes next. An exec that gains privilege (in the
/// sense ptrace guards, `access.rs`) detaches here the engines whose tracer lacks
/// `CAP_SYS_PTRACE` over it: before the new image is mapped, so also when the exec fails
/// after this point and the process dies with the new credentials.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sched_prepare_exec(
    _: *mut c_void,
    _task: *mut bindings::task_struct,
    bprm: *mut bindings::linux_binprm,
) {
    // Untraced (the common case): nothing to decide. No engine can come before the exec
    // ends: a checked attach waits for the exec's cred_guard_mutex.
    let Some(ut) = UtraceTask::lookup(Task::current_raw()) else {
        return;
    };
    // SAFETY: `bprm` is the exec's, valid during the tracepoint; current is the task
    // exec'ing it.
    if unsafe { glue::utrace_glue_exec_gains_privilege(bprm) } {
        // Inside the tracepoint's SRCU section: a `release` the detaches make must not
        // register a probe here (`task::may_register_probes`).
        let _tp = ut.enter_tracepoint();
        crate::access::secure_exec(&ut, bprm);
        crate::testing::delay(crate::testing::Window::PrepareExec);
    }
}

/// The `sched_process_exec` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sched_process_exec(
    _: *mut c_void,
    _task: *mut bindings::task_struct,
    _old_pid: bindings::pid_t,
    bprm: *mut bindings::linux_binprm,
) {
    // An engine not allowed to follow a privileged exec was detached at `sched_prepare_exec`:
    // it gets no callback here.
    let Some(list) = current_wanting(abi::EVENT_EXEC) else {
        return;
    };
    let Some(ut) = list.utrace() else { return };
    // A tracepoint in the task (task context): always there.
    let Some(regs) = UserRegs::current() else {
        return;
    };
    let regs = regs.as_ptr();
    let out = {
        // The callbacks run in the tracepoint's SRCU read section (`hooks.rs`).
        let _tp = ut.enter_tracepoint();
        report::report_list(&list, abi::EVENT_EXEC, Order::Attach, true, |e, a| {
            e.report_exec(a, bprm, regs)
        })
    };
    finish(&list, out.action, Site::InSyscall);
}

/// The `sched_process_exit` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sched_process_exit(
    _: *mut c_void,
    task: *mut bindings::task_struct,
    group_dead: bool,
) {
    let Some(ut) = UtraceTask::lookup(task) else {
        return;
    };
    let mut stop = false;
    if ut.events() & abi::EVENT_EXIT != 0 {
        // SAFETY: `task` is current, in do_exit(), which set exit_code just before this.
        let orig = unsafe { (*task).exit_code } as c_long;
        let mut code = orig;
        let out = {
            // The callbacks run in the tracepoint's SRCU read section (`hooks.rs`).
            let _tp = ut.enter_tracepoint();
            report::report(&ut, abi::EVENT_EXIT, Order::Attach, true, |e, a| {
                e.report_exit(a, orig, &mut code)
            })
        };
        if code != orig {
            // SAFETY: `task` is current, in do_exit(); the glue takes siglock.
            unsafe { glue::utrace_glue_set_exit_code(task, code as c_int, group_dead) };
        }
        // The probe cannot sleep: the exit stop is made by the exit item, in
        // exit_task_work() (after exit_mm(): the registers are there, the memory is not).
        stop = out.action == abi::STOP;
        if !stop {
            work::finish(&ut, out.action, Site::NoStop);
        }
    }
    if ut.exit_item_needed(stop, group_dead) && work::queue_exit(&ut).is_err() {
        pr_warn_once!("utrace: no memory for the exit stop or death report of a task\n");
        // No stop is coming: deliver what the exit report's callbacks deferred.
        work::finish(&ut, abi::RESUME, Site::NoStop);
    }
}

/// The `sched_process_free` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sched_process_free(
    _: *mut c_void,
    task: *mut bindings::task_struct,
) {
    let Some(ut) = UtraceTask::lookup(task) else {
        return;
    };
    if ut.events() & abi::EVENT_REAP != 0 {
        ut.set_reaper(true);
        report::report(&ut, abi::EVENT_REAP, Order::Attach, false, |e, _| {
            e.report_reap(task)
        });
        ut.set_reaper(false);
    }
    crate::detach::detach_all(&ut);
}

/// The `signal_deliver` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn signal_deliver(
    _: *mut c_void,
    sig: c_int,
    info: *mut bindings::kernel_siginfo,
    ka: *mut bindings::k_sigaction,
) {
    // A signal delivered before an entry stop's re-run: its masks go (`entrymask.rs`).
    entrystop::before_signal_deliver();
    // SAFETY: `ka` is the signal's action in current's sighand, under siglock.
    let event = unsafe { glue::utrace_glue_signal_event(sig, ka) } as usize;
    // A stop signal with the default action: current starts a group stop next
    // (`do_signal_stop()`), which has no hook: the other threads check before they join
    // (`jctl.rs`).
    if event == abi::EVENT_SIGNAL_STOP {
        crate::jctl::starting();
    }
    // A tracepoint in the task (task context): always there.
    let Some(regs) = UserRegs::current() else {
        return;
    };
    // Before the signal frame is set up.
    if let Some(ut) = crate::step::signal_deliver(event, &regs) {
        work::step_ended(&ut);
    }
    let Some(ut) = UtraceTask::lookup(Task::current_raw()) else {
        return;
    };
    // The item ran once in this get_signal() call (kernel/signal.c:2883): the signals left
    // queued, deliverable now or once unblocked, get it again, at the next get_signal()
    // (it runs after this call's task_work_run(): no loop) or any task_work_run() before.
    if sig != SIGKILL && ut.events() & abi::EVENT_SIGNAL_ALL != 0 && glue::signals_queued() {
        work::queue_signal(&ut);
    }
    // Reported already, before the kernel acted on it (`signal.rs`): not again. The
    // approval is used up whatever the engines want now (a stale one would hide the next
    // signal of that number from the item).
    if signal::delivered(&ut, sig) {
        return;
    }
    drop(ut);
    let Some(list) = current_wanting(event) else {
        return;
    };
    let regs = regs.as_ptr();
    // A copy: an after-the-fact report cannot change the signal being delivered, and
    // the engines get no pointer into `ksig`.
    let mut copy = (!info.is_null()).then(|| {
        // SAFETY: a non-NULL `info` is the siginfo being delivered, valid here.
        unsafe { SigInfo::read(info) }
    });
    let info = copy
        .as_mut()
        .map_or(core::ptr::null_mut(), |c| c.as_mut_ptr());
    // A signal the interception item did not see (`Documentation/design.md`, "Signals"),
    // reported after the fact, as an observation: siglock is held (no sleeping), the
    // signal action of the answer is ignored. A STOP or REPORT answer is queued as
    // task_work (TWA_SIGNAL), which runs at the next get_signal(), after this signal's
    // delivery has been set up.
    let out = report::report_list_flagged(
        &list,
        event,
        Order::Attach,
        false,
        abi::SIGNAL_OBSERVED,
        |e, a| e.report_signal(a, regs, info, ka),
    );
    finish(&list, out.action, Site::ReturnToUser);
}

/// The `signal_generate` probe: a signal was queued for `task` (or its group, `group`).
/// Arms the interception item (`signal.rs`) on the traced thread(s) that may take it.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn signal_generate(
    _: *mut c_void,
    sig: c_int,
    _info: *mut bindings::kernel_siginfo,
    task: *mut bindings::task_struct,
    group: c_int,
    result: c_int,
) {
    // SIGCONT continued the group in prepare_signal(), before this, whatever the result
    // (ignored and already pending included): report it (`jctl.rs`).
    if crate::jctl::is_cont(sig) {
        crate::jctl::continued(task);
    }
    // Queued (with or without its siginfo): TRACE_SIGNAL_DELIVERED, TRACE_SIGNAL_LOSE_INFO.
    // SIGKILL is never intercepted.
    if !(result == TRACE_SIGNAL_DELIVERED || result == TRACE_SIGNAL_LOSE_INFO) || sig == SIGKILL {
        return;
    }
    if group == 0 {
        arm(task, sig);
        return;
    }
    // An untraced thread group (the common case) costs one filter load, not a walk.
    if !crate::task::maybe_traced_group(task) {
        return;
    }
    /// # Safety
    ///
    /// `t` is a live thread (the walk holds RCU and the group's siglock); `sig` is the
    /// signal number passed as the argument.
    unsafe extern "C" fn visit(t: *mut bindings::task_struct, sig: *mut c_void) {
        arm(t, sig as usize as c_int);
    }
    // SAFETY: `task` is alive (the sender holds its siglock); `visit` has the callback's
    // prototype and does not sleep.
    unsafe { glue::utrace_glue_walk_group(task, Some(visit), sig as usize as *mut c_void) };
}

const SIGKILL: c_int = 9;

/// `TRACE_SIGNAL_DELIVERED`, `TRACE_SIGNAL_LOSE_INFO` (include/trace/events/signal.h).
const TRACE_SIGNAL_DELIVERED: c_int = 0;
const TRACE_SIGNAL_LOSE_INFO: c_int = 4;

/// Queues the interception item on `t` if an engine of it wants signal events (or job
/// control events, for a stop signal), and marks `sig` fresh for it (`sigstate::Fresh`: an
/// approval of an earlier instance does not hide this one). Every such thread of a group, blocking the signal or not: `TWA_NONE` wakes
/// nobody, an item that finds nothing to take does nothing, and a queued item stays queued
/// until the thread's next `task_work_run()` (a thread that blocks the signal runs none for
/// it: its unblocking `get_signal()` runs the item first).
fn arm(t: *mut bindings::task_struct, sig: c_int) {
    if let Some(ut) = UtraceTask::lookup(t) {
        if ut.is_gone() {
            return;
        }
        let events = ut.events();
        if events & abi::EVENT_SIGNAL_ALL != 0 {
            ut.fresh.mark(sig);
            work::queue_signal(&ut);
        } else if events & abi::EVENT_JCTL != 0 && crate::jctl::is_stop_signal(sig) {
            // The same item checks for a coming group stop (`jctl.rs`).
            work::queue_signal(&ut);
        }
    }
}

/// The #DB trap from user mode with DR_STEP set (the glue's die notifier, interrupts off):
/// the end of a step of utrace's (`step::trap`), whose report is queued here.
///
/// # Safety
///
/// `regs` are current's user registers at the trap, on current.
#[no_mangle]
pub(crate) unsafe extern "C" fn utrace_rust_step_trap(regs: *mut bindings::pt_regs) -> c_int {
    // SAFETY: per the function's safety requirements (the trap current took from user mode).
    let regs = unsafe { UserRegs::from_raw(regs) };
    let (ret, ended) = crate::step::trap(&regs);
    if let Some(ut) = ended {
        work::step_ended(&ut);
    }
    ret
}
