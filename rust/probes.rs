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
//! | `signal_deliver` | the task, `get_signal()`, siglock held, irqs off | no |

use core::ffi::c_void;
use kernel::bindings;
use kernel::ffi::{c_int, c_long};
use kernel::pr_warn_once;
use kernel::task::Task;

use crate::abi;
use crate::arch;
use crate::entrymask;
use crate::glue;
use crate::report::{self, Order, Site};
use crate::stop::SyscallStop;
use crate::task::{EngineList, UtraceTask};
use crate::work::{self, EntryKind};
use kernel::sync::Arc;

/// `PF_KTHREAD | PF_IO_WORKER`: tasks that never return to user mode.
const PF_NO_USER: u32 = bindings::PF_KTHREAD | bindings::PF_IO_WORKER;

/// The current task's engines if one of them wants one of `events`.
fn current_wanting(events: usize) -> Option<Arc<EngineList>> {
    UtraceTask::engines_wanting(Task::current_raw(), events)
}

fn current_regs() -> *mut bindings::pt_regs {
    // SAFETY: `current` is valid; `task_pt_regs` computes an address from its stack.
    unsafe { glue::utrace_glue_task_pt_regs(Task::current_raw()) }
}

/// Acts on a pass's resume action (see `report::finish`).
fn finish(list: &EngineList, action: u32, site: Site) {
    if let Some(ut) = list.utrace() {
        report::finish(ut, action, site);
    }
}

/// The `sys_enter` probe.
///
/// Seccomp has filtered the syscall before this tracepoint (`syscall_trace_enter()`), and
/// the entry code runs whatever number and arguments the registers hold after it. So a
/// change an engine makes here, without stopping, would run unfiltered: when the thread has
/// seccomp on, such a syscall is sent back through the entry code ([`recheck`]), as the
/// re-run after a stop is, and seccomp filters it as changed (a ptracer's changes at its
/// entry stop are filtered the same way: seccomp runs after ptrace).
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sys_enter(_: *mut c_void, regs: *mut bindings::pt_regs, _: c_long) {
    // A syscall that entered with the masks of an entry stop's re-run: they are set back;
    // if it is not that re-run, seccomp and ptrace must see it.
    // SAFETY: `regs` are current's user registers, at syscall entry.
    if let Some(ut) = unsafe { entrymask::on_sys_enter(regs) } {
        // SAFETY: as above.
        unsafe { resend(&ut, regs, EntryKind::Unmasked) };
        return;
    }
    let Some(list) = current_wanting(abi::EVENT_SYSCALL_ENTRY) else {
        return;
    };
    let Some(ut) = list.utrace() else {
        return;
    };
    // The re-run of a syscall after a syscall-entry stop is reported as resumed (a signal
    // handler may run its own syscalls first: they are told apart by return address).
    // SAFETY: `regs` are current's user registers.
    let flags = match ut.take_rerun_at(unsafe { arch::syscall_return_ip(regs) }) {
        SyscallStop::Resumed => abi::SYSCALL_RESUMED,
        // Sent back through seccomp after an engine changed it: reported already.
        SyscallStop::Rechecked => return,
        _ => 0,
    };
    // What seccomp filtered.
    // SAFETY: `regs` are current's user registers, at syscall entry.
    let filtered = unsafe { entrymask::expected_now(regs) };
    let out = report::report_list_flagged(
        &list,
        abi::EVENT_SYSCALL_ENTRY,
        Order::Reverse,
        true,
        flags,
        |e, a| e.report_syscall_entry(a, regs),
    );
    let abort = out.bits & abi::SYSCALL_MASK == abi::SYSCALL_ABORT;
    if out.action == abi::STOP {
        // The probe cannot sleep: skip the syscall and stop in TWA_SIGNAL task_work, which
        // puts it back to run again after the stop (`arch.rs`); the re-run goes through
        // seccomp again, so what engines change here or during the stop is filtered.
        // A syscall aborted already (number -1) or by this pass does not run again: its
        // skipped pass's exit is its real exit, shown as it is.
        // SAFETY: `regs` are current's user registers, at syscall entry.
        let aborted = abort || unsafe { arch::entry_aborted(regs) };
        // SAFETY: as above.
        let skipped = unsafe { arch::skip_for_stop(regs, aborted) };
        if work::queue_entry_stop(ut, skipped, abort, EntryKind::Stop).is_ok() {
            ut.set_syscall_stop(SyscallStop::Skipped);
            if !aborted {
                // Neither the skipped pass's exit nor the re-run's entry is shown to ptrace,
                // nor the re-run to seccomp if the call is unchanged (`entrymask.rs`).
                ut.entry_mask.set_filtered(filtered);
                entrymask::mask_exit(ut);
            }
            return;
        }
        // No memory for the stop: run the syscall unstopped rather than lose it.
        pr_warn_once!("utrace: no memory for a syscall-entry stop; not stopping\n");
        // SAFETY: as above; undo the skip.
        unsafe { arch::entry_stop_begin(regs, skipped) };
    }
    if abort {
        // SAFETY: `regs` are current's user registers, at syscall entry.
        unsafe { arch::abort_syscall(regs) };
    // An engine that set the number to -1 runs nothing: nothing to filter.
    // SAFETY: as above.
    } else if unsafe { !arch::entry_aborted(regs) && arch::call(regs) != filtered.call() }
        && seccomp_active()
    {
        // SAFETY: as above.
        unsafe { resend(ut, regs, EntryKind::Recheck) };
    }
    finish(&list, out.action, Site::ReturnToUser);
}

/// Whether current has a seccomp mode (strict or filter): set once, never cleared.
fn seccomp_active() -> bool {
    // SAFETY: reads current's seccomp mode.
    unsafe { glue::utrace_glue_seccomp_active() }
}

/// Sends the syscall at `sys_enter` back through the entry code: skip it and put it back
/// (`TWA_SIGNAL` task_work, no stop), so that it enters again and seccomp filters it:
/// - `EntryKind::Recheck`: an engine changed it at its report, after seccomp filtered it;
///   the new entry is not reported again (`SyscallStop::Rechecked`);
/// - `EntryKind::Unmasked`: it entered with the masks of another call's re-run, so neither
///   seccomp nor ptrace saw it; the skipped pass's exit is hidden from ptrace, the new entry
///   is reported and traced as any.
///
/// Without memory for the item the syscall is refused: it fails with `-ENOMEM`.
///
/// # Safety
///
/// `regs` are current's user registers, at syscall entry.
unsafe fn resend(ut: &Arc<UtraceTask>, regs: *mut bindings::pt_regs, kind: EntryKind) {
    // SAFETY: per the function's safety requirements.
    let skipped = unsafe { arch::skip_for_stop(regs, false) };
    if work::queue_entry_stop(ut, skipped, false, kind).is_ok() {
        ut.set_syscall_stop(SyscallStop::Skipped);
        if kind == EntryKind::Unmasked {
            entrymask::mask_exit(ut);
        }
        return;
    }
    pr_warn_once!("utrace: no memory to send a syscall back through seccomp; failing it\n");
    // SAFETY: per the function's safety requirements.
    unsafe { arch::fail_syscall(regs, bindings::ENOMEM as c_long) };
}

/// The `sys_exit` probe.
///
/// # Safety
///
/// Called by the tracepoint, with its arguments.
pub(crate) unsafe extern "C" fn sys_exit(_: *mut c_void, regs: *mut bindings::pt_regs, _: c_long) {
    // A re-run that never reached sys_enter sets its masks back here.
    entrymask::on_sys_exit();
    // A stepped syscall instruction ends here (`step.rs`).
    // SAFETY: `regs` are current's user registers, at sys_exit.
    unsafe { crate::step::syscall_exit(regs) };
    let Some(list) = current_wanting(abi::EVENT_SYSCALL_ENTRY | abi::EVENT_SYSCALL_EXIT) else {
        return;
    };
    let Some(ut) = list.utrace() else {
        return;
    };
    // The skipped pass of a syscall-entry stop: not a syscall exit.
    if ut.syscall_stop() == SyscallStop::Skipped {
        return;
    }
    // A re-run whose entry was not reported (events changed meanwhile, or seccomp refused
    // it before the tracepoint) ends here: a later syscall from the same place is not it.
    // SAFETY: `regs` are current's user registers.
    ut.take_rerun_at(unsafe { arch::syscall_return_ip(regs) });
    if ut.events() & abi::EVENT_SYSCALL_EXIT == 0 {
        return;
    }
    let out = report::report_list(
        &list,
        abi::EVENT_SYSCALL_EXIT,
        Order::Attach,
        true,
        |e, a| e.report_syscall_exit(a, regs),
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
        // register a probe here (`hooks::register_here`).
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
    let regs = current_regs();
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
            report::finish(&ut, out.action, Site::NoStop);
        }
    }
    if ut.exit_item_needed(stop, group_dead) && work::queue_exit(&ut).is_err() {
        pr_warn_once!("utrace: no memory for the exit stop or death report of a task\n");
        // No stop is coming: deliver what the exit report's callbacks deferred.
        report::finish(&ut, abi::RESUME, Site::NoStop);
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
    ut.detach_all();
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
    entrymask::on_signal_deliver();
    // SAFETY: `ka` is the signal's action in current's sighand, under siglock.
    let event = unsafe { glue::utrace_glue_signal_event(sig, ka) } as usize;
    // SAFETY: current's user registers, before the signal frame is set up.
    unsafe { crate::step::signal_deliver(event, current_regs()) };
    let Some(list) = current_wanting(event) else {
        return;
    };
    let regs = current_regs();
    // Siglock is held: a STOP or REPORT answer is queued as task_work (TWA_SIGNAL), which
    // runs at the next get_signal(), after this signal's delivery has been set up.
    let out = report::report_list(&list, event, Order::Attach, false, |e, a| {
        e.report_signal(a, regs, info, ka)
    });
    finish(&list, out.action, Site::ReturnToUser);
}
