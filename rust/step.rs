// SPDX-License-Identifier: GPL-2.0

//! Stepping: `UTRACE_SINGLESTEP` and `UTRACE_BLOCKSTEP` (x86_64).
//!
//! `user_enable_single_step()` is not exported, so utrace does it itself, always from the
//! thread, on its way back to user mode (`Documentation/design.md`, "Stepping"):
//!
//! 1. An engine asks for a step: a callback answers SINGLESTEP/BLOCKSTEP (`report::fold`
//!    records it in the engine), or `utrace_control()` does. The request is taken when the
//!    thread leaves its last safe point ([`resume`], after any stop) or, if the answer came
//!    from a probe, in the step task_work queued for it (`TWA_RESUME`). Arming ([`arm`]) sets
//!    TF in the user `pt_regs` and remembers whether the program had TF itself (then the
//!    trap is also the program's) and whether the instruction is a `popf`/`iret` (then TF
//!    after it is the program's). BLOCKSTEP also sets BTF where the CPU has it.
//! 2. The step ends in one of three places, each moving the state ARMED -> DONE and
//!    returning the state to its caller, which queues the step task_work
//!    (`work::step_ended`; `UtraceTask::step_work`, embedded in the per-task state, so none
//!    of them can fail to allocate):
//!    - the #DB trap ([`trap`], from the glue's die notifier through
//!      `probes::utrace_rust_step_trap`, interrupts off): utrace's TF is cleared and the
//!      trap eaten, unless the program had TF too;
//!    - `sys_exit`, when the stepped instruction was `syscall` (which masks TF: the trap
//!      would come one instruction late);
//!    - `signal_deliver` of a signal with a handler before the instruction ran: TF is
//!      taken back before the signal frame saves the flags; the handler's first
//!      instruction is the next boundary (as for ptrace).
//! 3. The step task_work (`work::run_step`, around [`on_work`] and [`after_report`]) makes
//!    the step report, `report_quiesce(0)`, at that instruction boundary; the answers
//!    decide whether to stop, step again or run on (`work::finish`). Inside the
//!    thread's current rseq critical section no report is made: the thread keeps stepping
//!    silently until the IP leaves it (a report could sleep, and any context switch there
//!    makes the kernel abort the section: reporting each step would restart it forever).
//!
//! While a thread is not IDLE its state stays in the per-task table even with no engine
//! left (`UtraceTask::prune`), so that its trap is still recognised and eaten; the thread
//! removes it when its step ends. Unload ([`shutdown`]) first makes every armed thread take
//! its TF back, then the die notifier goes last ([`unregister`]).

use crate::atomic::{Acquire, Atomic, Full, Relaxed, Release};
use core::ffi::c_void;
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::barrier::smp_mb;
use kernel::sync::Arc;
use kernel::task::Task;

use crate::abi;
use crate::arch::{self, UserRegs};
use crate::glue;
use crate::hooks;
use crate::stepstate::Phase;
use crate::task::UtraceTask;
use crate::taskwork::{self, OnUnload};

/// What `utrace_rust_step_trap` returns (`utrace_glue.h`).
const TRAP_NOT_OURS: c_int = 0;
const TRAP_EAT: c_int = 1;
const TRAP_SHARED: c_int = 2;

/// Threads whose step state is not IDLE (ARMED or DONE). Every hook checks it first.
static ACTIVE: Atomic<usize> = Atomic::new(0);
/// Unload has begun: arm nothing any more.
static SHUTDOWN: Atomic<bool> = Atomic::new(false);
/// The CPU keeps `DEBUGCTL.BTF` (probed at load).
static BTF: Atomic<bool> = Atomic::new(false);

/// Load: probe block-step and register the die notifier.
pub(crate) fn init() -> Result {
    SHUTDOWN.store(false, Release);
    BTF.store(arch::probe_block_step(), Release);
    // SAFETY: registers the glue's static notifier block once; unload unregisters it.
    let ret = unsafe { glue::utrace_glue_die_notifier_register() };
    if ret != 0 {
        pr_err!(
            "could not register the die notifier for stepping: error {}\n",
            ret
        );
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Whether BLOCKSTEP really steps by blocks here (else it single-steps).
pub(crate) fn block_step_supported() -> bool {
    BTF.load(Acquire)
}

/// Threads with a step in flight, for debugfs and the tests.
pub(crate) fn active_count() -> usize {
    ACTIVE.load(Relaxed)
}

/// The thread will not run user code any more, or utrace is going away.
fn leaving() -> bool {
    let fatal = glue::fatal_pending();
    let exiting = glue::current_exiting();
    SHUTDOWN.load(Acquire) || fatal || exiting
}

/// Takes every attached engine's step request; the smallest action wins (SINGLESTEP <
/// BLOCKSTEP), 0 if none asked.
fn take_requests(ut: &UtraceTask) -> u32 {
    let Some(list) = ut.snapshot() else { return 0 };
    let mut mode = 0;
    for e in list.engines.iter().filter(|e| e.is_attached()) {
        let s = e.take_step();
        if s != 0 && (mode == 0 || s < mode) {
            mode = s;
        }
    }
    mode
}

/// At a safe point, on the way back to user mode, after any stop: arm the step the engines
/// asked for. Called by the thread itself from utrace's task_work.
pub(crate) fn resume(ut: &Arc<UtraceTask>) {
    let mode = take_requests(ut);
    if mode != 0 {
        arm(ut, mode);
    }
}

fn release_need(ut: &UtraceTask) {
    if ut.step.need.xchg(false, Full) {
        hooks::drop_needs(hooks::STEPPING);
    }
}

/// Back to IDLE without the thread's help (it will not run user code again, or it could not
/// be reached). Any context.
pub(crate) fn abandon(ut: &UtraceTask) {
    if ut.step.state.xchg(Phase::Idle, Full) != Phase::Idle {
        ACTIVE.fetch_sub(1, Full);
    }
    release_need(ut);
}

/// Reap or unload: the thread runs no more user code under utrace.
pub(crate) fn forget(ut: &UtraceTask) {
    abandon(ut);
}

/// The thread's step session is over: IDLE, the probe need given back, and the per-task
/// state removed if no engine is left (it stayed for the trap).
fn end_session(ut: &UtraceTask) {
    let empty = {
        let _g = ut.lock();
        if ut.step.state.xchg(Phase::Idle, Full) != Phase::Idle {
            ACTIVE.fetch_sub(1, Full);
        }
        ut.has_no_attached_engine()
    };
    release_need(ut);
    if empty {
        ut.prune();
    }
}

/// Sets utrace's TF (and BTF for a block step) in current's registers. Returns false if it
/// did not (the thread is leaving, or the state left the table): the step state is then
/// unchanged, or IDLE.
fn arm(ut: &Arc<UtraceTask>, mode: u32) -> bool {
    if leaving() {
        return false;
    }
    // The probes that end a step (sys_exit, signal_deliver) and clean up after it
    // (task_newtask, sched_process_free) must be in place before TF goes live.
    if !ut.step.need.xchg(true, Full) {
        hooks::add_needs(hooks::STEPPING, crate::task::may_register_probes);
    }
    // In its own task_work (task context; may fault).
    let Some(regs) = UserRegs::current() else {
        return false;
    };
    let sets_tf = if ut.entry.rerun_pending() {
        regs.rerun_sets_tf()
    } else {
        regs.insn_sets_tf()
    };
    // Under the lock: `prune` either sees ARMED (and keeps the state in the table for the
    // trap), or removed the state first (and we do not arm).
    let prev = {
        let _g = ut.lock();
        if ut.is_removed() {
            None
        } else {
            Some(ut.step.state.xchg(Phase::Armed, Full))
        }
    };
    let Some(prev) = prev else {
        abandon(ut);
        return false;
    };
    if prev == Phase::Idle {
        ACTIVE.fetch_add(1, Full);
    }
    // Unload began after `leaving()` above: [`shutdown`] stores SHUTDOWN and then looks for
    // ARMED threads, this stored ARMED and now looks at SHUTDOWN (an smp_mb() between on each
    // side; this one pairs with `shutdown`'s): either it finds this thread armed, or this
    // sees it and arms nothing.
    smp_mb(Full);
    if SHUTDOWN.load(Acquire) {
        if prev == Phase::Armed {
            take_back(ut, &regs);
        }
        abandon(ut);
        return false;
    }
    let had_tf = regs.set_tf();
    // Re-armed before the instruction ran (a stop in between): the TF there is still ours.
    let forced = !had_tf || (prev == Phase::Armed && ut.step.forced.load(Acquire));
    ut.step.forced.store(forced, Release);
    ut.step.sets_tf.store(sets_tf, Release);
    ut.step.mode.store(mode as i8, Release);
    // Block-step only where BTF works, and only when TF is utrace's alone (a program that
    // steps itself expects a trap per instruction).
    let block = mode == abi::BLOCKSTEP && forced && !sets_tf && block_step_supported();
    if block {
        arch::set_block_step(true);
    } else if ut.step.block.load(Acquire) && arch::block_step_on() {
        arch::set_block_step(false);
    }
    ut.step.block.store(block, Release);
    true
}

/// Takes utrace's TF and BTF back out of current's registers (the instruction did not run).
fn take_back(ut: &UtraceTask, regs: &UserRegs) {
    if ut.step.forced.load(Acquire) {
        regs.clear_tf();
    }
    if ut.step.block.xchg(false, Full) && arch::block_step_on() {
        arch::set_block_step(false);
    }
}

/// The lookup every hook starts with: current's state if it has a step in flight.
fn current_active() -> Option<Arc<UtraceTask>> {
    if ACTIVE.load(Acquire) == 0 {
        return None;
    }
    UtraceTask::lookup(Task::current_raw()).filter(|ut| ut.step.active())
}

/// The #DB trap from user mode with DR_STEP set (`probes::utrace_rust_step_trap`, from the
/// glue's die notifier, interrupts off), `regs` current's at the trap. Returns what the
/// notifier returns (`utrace_glue.h`), and the state whose step ended here: the caller
/// queues its report (`work::step_ended`).
pub(crate) fn trap(regs: &UserRegs) -> (c_int, Option<Arc<UtraceTask>>) {
    let Some(ut) = current_active() else {
        return (TRAP_NOT_OURS, None);
    };
    if !ut.step.end_armed() {
        return (TRAP_NOT_OURS, None);
    }
    let forced = ut.step.forced.load(Acquire);
    if forced && !ut.step.sets_tf.load(Acquire) {
        regs.clear_tf();
    }
    // The #DB turned BTF off, and exc_debug_user() cleared TIF_BLOCKSTEP.
    ut.step.block.store(false, Release);
    (if forced { TRAP_EAT } else { TRAP_SHARED }, Some(ut))
}

/// `sys_exit` of current: a stepped `syscall` instruction ends here. Returns the state
/// whose step ended: the caller queues its report (`work::step_ended`).
pub(crate) fn syscall_exit(regs: &UserRegs) -> Option<Arc<UtraceTask>> {
    let ut = current_active()?;
    // The skipped pass of a syscall-entry stop: the syscall runs again after the stop.
    if ut.entry.is_skipped_pass() || !ut.step.end_armed() {
        return None;
    }
    // After rt_sigreturn (`sets_tf`) the flags are the signal frame's: the program's.
    if ut.step.forced.load(Acquire) && !ut.step.sets_tf.load(Acquire) {
        regs.clear_tf();
    }
    if ut.step.block.xchg(false, Full) && arch::block_step_on() {
        arch::set_block_step(false);
    }
    Some(ut)
}

/// `signal_deliver` of current (siglock held, interrupts off), `event` its `EVENT_SIGNAL*`
/// bit. A handler is about to be set up before the stepped instruction ran: take TF back
/// before the frame saves the flags; the handler's first instruction ends the step. Returns
/// the state whose step ended: the caller queues its report (`work::step_ended`).
pub(crate) fn signal_deliver(event: usize, regs: &UserRegs) -> Option<Arc<UtraceTask>> {
    if event != abi::EVENT_SIGNAL {
        return None;
    }
    let ut = current_active()?;
    if !ut.step.end_armed() {
        return None;
    }
    take_back(&ut, regs);
    Some(ut)
}

/// `task_newtask` in current, stepping over its clone syscall: the child copied the saved
/// flags with utrace's TF in them; it has not run yet.
///
/// # Safety
///
/// `child` is the new task, not yet woken.
pub(crate) unsafe fn new_task(child: *mut bindings::task_struct) {
    let Some(ut) = current_active() else { return };
    if ut.step.state.load(Acquire) == Phase::Armed && ut.step.forced.load(Acquire) {
        // SAFETY: per the function's safety requirements, `child` is valid; `task_pt_regs`
        // computes an address from its stack.
        let regs = unsafe { glue::utrace_glue_task_pt_regs(child) };
        // SAFETY: the child has not run: nobody else writes its registers.
        unsafe { arch::clear_tf_of_stopped(regs) };
    }
}

/// The step task_work (`work::run_step`: the thread's own step work, or the arm item
/// another thread's `utrace_control()` queued; both may run in one `task_work_run()`, in
/// either order), in the thread: returns true when the step ended and its report is due now
/// (the state is IDLE again, under the lock: only the first of them gets it); the caller
/// makes it, acts on it, then calls [`after_report`]. Otherwise the work was for arming (a
/// pass at a probe or another thread asked for a step; none left: nothing), or the step is
/// already armed, or the thread is leaving, or the step goes on silently inside an rseq
/// critical section.
pub(crate) fn on_work(ut: &Arc<UtraceTask>) -> bool {
    match ut.step.state.load(Acquire) {
        Phase::Done => step_done(ut),
        Phase::Armed => {
            if leaving() {
                if let Some(regs) = UserRegs::current() {
                    take_back(ut, &regs);
                }
                end_session(ut);
            }
            false
        }
        // A pass at a probe or another thread asked for a step: arm it now.
        Phase::Idle => {
            resume(ut);
            false
        }
    }
}

/// Unload dropped the step work (a pending step report or arming: no engine is left): its
/// step report will not come; end the session (a no-op once unload's detach forgot it).
pub(crate) fn work_dropped(ut: Arc<UtraceTask>) {
    abandon(&ut);
}

fn step_done(ut: &Arc<UtraceTask>) -> bool {
    if leaving() {
        end_session(ut);
        return false;
    }
    let Some(ip) = UserRegs::current().map(|r| r.ip()) else {
        return false;
    };
    // Inside the rseq critical section: step on without a report (see the file doc).
    // SAFETY: reads current's rseq area from user memory, in task context.
    if !ut.has_no_attached_engine() && unsafe { glue::utrace_glue_rseq_ip_in_cs(ip) } {
        let mode = ut.step.mode.load(Acquire) as u32;
        // Not re-armed (a fatal signal or unload came since `leaving()` above): the state
        // is still DONE with no work queued; end the session, or unload would wait for it
        // until the thread dies.
        if !arm(ut, mode) {
            end_session(ut);
        }
        return false;
    }
    {
        let _g = ut.lock();
        if ut.step.state.xchg(Phase::Idle, Full) != Phase::Idle {
            ACTIVE.fetch_sub(1, Full);
        }
    }
    // The step report (`work::run_step`): report_quiesce(0) at this instruction boundary;
    // its answers stop, step again (armed by `work::finish` after any stop) or let the
    // thread run.
    true
}

/// After the step report and what it led to (a stop, a new step armed): the session ends
/// unless a new step was armed.
pub(crate) fn after_report(ut: &UtraceTask) {
    if !ut.step.active() {
        end_session(ut);
    }
}

/// A kick from unload (`TWA_SIGNAL`, see [`kick`]), in the armed thread: take TF back.
fn run_kick(ut: &Arc<UtraceTask>, (): ()) {
    if ut.step.state.load(Acquire) == Phase::Armed {
        if let Some(regs) = UserRegs::current() {
            take_back(ut, &regs);
        }
        end_session(ut);
    }
}

/// Makes an armed thread enter the kernel (`TWA_SIGNAL`: also out of an interruptible
/// sleep) and take its TF back ([`run_kick`]). Unload may drop a kick still queued when it
/// drains task_work: [`shutdown`] has seen no armed thread by then, so it has nothing to do.
fn kick(ut: &Arc<UtraceTask>) {
    if ut.step.kicked.xchg(true, Full) {
        return;
    }
    match taskwork::queue_item(
        ut,
        ut.task(),
        run_kick,
        (),
        OnUnload::Drop,
        bindings::task_work_notify_mode_TWA_SIGNAL,
        GFP_KERNEL,
    ) {
        Ok(()) => {}
        // No memory: the next round retries.
        Err(e) if e == ENOMEM => ut.step.kicked.store(false, Release),
        // Past exit_task_work(): it never returns to user mode.
        Err(_) => abandon(ut),
    }
}

/// What [`take_back_stopped`] did, under the stopped thread's siglock.
struct TakeBack<'a> {
    ut: &'a UtraceTask,
    /// The thread is no longer ARMED (its TF was taken back, or it was not armed).
    done: bool,
}

/// # Safety
///
/// Called by `utrace_glue_call_if_stopped` with the [`TakeBack`] of [`take_back_stopped`]
/// and the user registers of its thread, which is in a job-control or ptrace stop and
/// cannot leave it meanwhile (siglock held).
unsafe extern "C" fn take_back_locked(arg: *mut c_void, regs: *mut bindings::pt_regs, off: bool) {
    // SAFETY: per the function's safety requirements.
    let tb = unsafe { &mut *arg.cast::<TakeBack<'_>>() };
    let st = &tb.ut.step;
    if st.state.load(Acquire) != Phase::Armed {
        tb.done = true;
        return;
    }
    if st.block.load(Acquire) {
        // TIF_BLOCKSTEP decides the CPU's BTF when the thread is switched in or out: only
        // once it is off its CPU (it is about to be; the next round retries).
        if !off {
            return;
        }
        // SAFETY: the thread is stopped and switched out.
        unsafe { glue::utrace_glue_clear_blockstep_of(tb.ut.task_ptr()) };
        st.block.store(false, Release);
    }
    if st.forced.load(Acquire) {
        // SAFETY: the stopped thread's user registers; it does not touch them in its stop
        // and cannot leave it while this runs.
        unsafe { arch::clear_tf_of_stopped(regs) };
    }
    if st.state.cmpxchg(Phase::Armed, Phase::Idle, Full).is_ok() {
        ACTIVE.fetch_sub(1, Full);
    }
    tb.done = true;
}

/// Unload: if the thread is in a job-control or ptrace stop (it runs its kick only when it is
/// continued, which may be never), take utrace's TF out of its registers from here and end
/// its step. Returns whether it is no longer armed.
fn take_back_stopped(ut: &UtraceTask) -> bool {
    let mut tb = TakeBack { ut, done: false };
    // SAFETY: `take_back_locked` has the callback's prototype and does not sleep; `tb` lives
    // across the call; the task is kept alive by `ut`.
    let stopped = unsafe {
        glue::utrace_glue_call_if_stopped(
            ut.task_ptr(),
            Some(take_back_locked),
            (&raw mut tb).cast::<c_void>(),
        )
    };
    if stopped && tb.done {
        release_need(ut);
    }
    stopped && tb.done
}

/// Unload, first step (probes, table and die notifier still live): arm nothing more, and
/// wait until no thread has utrace's TF. A thread in a job-control or ptrace stop has it
/// taken back from here ([`take_back_stopped`]); any other is kicked (`TWA_SIGNAL`: out of an
/// interruptible sleep too, its syscall restarting as for `UTRACE_INTERRUPT`) and takes it
/// back in the kick's task_work. Threads whose step ended (DONE: TF already gone) are not
/// waited for: their step work is run or dropped by the task_work drain. Only a thread
/// armed over a syscall that sleeps uninterruptibly for good (a `vfork()` whose child never
/// execs or exits) is waited for, and logged: its registers cannot be changed safely from
/// here while it may wake at any moment and return to user mode.
pub(crate) fn shutdown() {
    SHUTDOWN.store(true, Release);
    // Pairs with the smp_mb() in `arm` (see there).
    smp_mb(Full);
    let mut waited = 0u32;
    loop {
        let mut armed: KVec<Arc<UtraceTask>> = KVec::new();
        crate::task::for_each_state(|ut| {
            if ut.step.state.load(Acquire) == Phase::Armed {
                // No memory: the next round retries.
                let _ = armed.push(ut.into(), GFP_ATOMIC);
            }
        });
        if armed.is_empty() {
            return;
        }
        for ut in armed.iter() {
            if !take_back_stopped(ut) {
                kick(ut);
            }
        }
        let left = armed.len();
        drop(armed);
        if waited % 5000 == 0 && waited != 0 {
            pr_info!(
                "unload waits for {} stepping thread(s) to take their trap flag back\n",
                left
            );
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10));
        waited += 10;
    }
}

/// Unload, last step: no thread has utrace's TF any more and no step work is queued.
pub(crate) fn unregister() {
    // SAFETY: unregisters the glue's notifier block (harmless if it was not registered);
    // it waits until no notifier call is running.
    unsafe { glue::utrace_glue_die_notifier_unregister() };
}
