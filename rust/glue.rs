// SPDX-License-Identifier: GPL-2.0

//! Declarations of the functions and data in `utrace_glue.c`.
//!
//! bindgen's flags are private to the kernel's `rust/Makefile`, so every C function of our
//! own is declared here by hand, with `kernel::bindings` types. Each declaration must match
//! its prototype in `utrace_glue.h` exactly (a mismatch is undefined behaviour that kCFI
//! would only catch at run time): `scripts/check-glue`, run by every build, runs bindgen on
//! the header with the kernel's recorded flags and fails the build on any difference, here
//! or in the `utrace_rust_*` functions the glue calls.

use crate::atomic::{Atomic, Full};
use core::ffi::c_void;
use kernel::alloc::Flags;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_ulong};
use kernel::prelude::*;
use kernel::sync::barrier::smp_mb;
use kernel::task::Task;

/// One row of the C compiler's view of a struct field (`struct utrace_layout_entry`).
#[repr(C)]
pub(crate) struct CLayoutEntry {
    /// `"struct.field"`, or `"struct"` for the size of the whole struct. NUL-terminated.
    pub(crate) name: *const c_char,
    /// `offsetof()`, 0 for a whole struct.
    pub(crate) offset: usize,
    /// `sizeof()` of the field or struct.
    pub(crate) size: usize,
}

// `task_struct` contains an empty struct (`mm_mm_cid`), which the lint flags although only
// pointers to it cross this boundary, never values.
#[allow(improper_ctypes)]
extern "C" {
    /// Returns the C layout table and stores its length in `*count`. The table is static
    /// const data in this module: valid and immutable for as long as the module is loaded.
    pub(crate) fn utrace_glue_layout(count: *mut usize) -> *const CLayoutEntry;

    pub(crate) fn utrace_glue_table_init() -> c_int;
    pub(crate) fn utrace_glue_table_destroy();
    pub(crate) fn utrace_glue_table_lookup(task: *const bindings::task_struct) -> *mut c_void;
    pub(crate) fn utrace_glue_table_insert(
        task: *const bindings::task_struct,
        utrace: *mut c_void,
        can_sleep: bool,
    ) -> *mut c_void;
    pub(crate) fn utrace_glue_table_remove(
        task: *const bindings::task_struct,
        utrace: *mut c_void,
    ) -> bool;
    pub(crate) fn utrace_glue_rcu_barrier();
    pub(crate) fn utrace_glue_synchronize_rcu_tasks();
    pub(crate) fn utrace_glue_table_pop() -> *mut c_void;
    pub(crate) fn utrace_glue_table_walk(
        f: Option<unsafe extern "C" fn(utrace: *mut c_void, arg: *mut c_void)>,
        arg: *mut c_void,
    );
    pub(crate) fn utrace_glue_module_notifier_register() -> c_int;
    pub(crate) fn utrace_glue_module_notifier_unregister();
    pub(crate) fn utrace_glue_within_module(
        addr: *const c_void,
        module: *const bindings::module,
    ) -> bool;
    pub(crate) fn utrace_glue_module_name(module: *const bindings::module) -> *const c_char;
    pub(crate) fn utrace_glue_module_of(addr: *const c_void) -> *mut bindings::module;
    pub(crate) fn utrace_glue_module_live(module: *const bindings::module) -> bool;
    pub(crate) fn utrace_glue_schedule_release();
    pub(crate) fn utrace_glue_flush_release();
    pub(crate) fn utrace_glue_schedule_sync();
    pub(crate) fn utrace_glue_schedule_unsync();
    pub(crate) fn utrace_glue_cancel_sync();

    pub(crate) fn utrace_glue_task_work_cancel_all(
        cancel: Option<unsafe extern "C" fn(work: *mut bindings::callback_head) -> bool>,
    ) -> *mut bindings::callback_head;
    pub(crate) fn utrace_glue_call_if_stopped(
        task: *mut bindings::task_struct,
        f: Option<
            unsafe extern "C" fn(arg: *mut c_void, regs: *mut bindings::pt_regs, off_cpu: bool),
        >,
        arg: *mut c_void,
    ) -> bool;
    pub(crate) fn utrace_glue_clear_blockstep_of(task: *mut bindings::task_struct);

    pub(crate) fn utrace_glue_task_pt_regs(
        task: *mut bindings::task_struct,
    ) -> *mut bindings::pt_regs;
    pub(crate) fn utrace_glue_pid_alive(task: *const bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_can_sleep() -> bool;
    pub(crate) fn utrace_glue_signal_event(sig: c_int, ka: *const bindings::k_sigaction)
        -> c_ulong;
    pub(crate) fn utrace_glue_tracepoint_sync();
    pub(crate) fn utrace_glue_signal_peek(
        info: *mut bindings::kernel_siginfo,
        ka: *mut bindings::k_sigaction,
        approved: *mut u64,
        fresh: *mut u64,
    ) -> c_int;
    pub(crate) fn utrace_glue_signal_take(sig: c_int, info: *mut bindings::kernel_siginfo)
        -> c_int;
    pub(crate) fn utrace_glue_signal_send(info: *mut bindings::kernel_siginfo) -> c_int;
    pub(crate) fn utrace_glue_walk_group(
        task: *mut bindings::task_struct,
        f: Option<unsafe extern "C" fn(t: *mut bindings::task_struct, arg: *mut c_void)>,
        arg: *mut c_void,
    );
    pub(crate) fn utrace_glue_signals_queued() -> bool;
    pub(crate) fn utrace_glue_unkillable() -> bool;
    pub(crate) fn utrace_glue_task_group(task: *mut bindings::task_struct) -> *const c_void;
    pub(crate) fn utrace_glue_jctl_peek(notify: *mut c_int) -> c_int;
    pub(crate) fn utrace_glue_jctl_cont_notify(task: *mut bindings::task_struct) -> c_int;
    pub(crate) fn utrace_glue_set_exit_code(
        task: *mut bindings::task_struct,
        code: c_int,
        group_dead: bool,
    );

    pub(crate) fn utrace_glue_stop_prepare();
    pub(crate) fn utrace_glue_stop_finish();
    pub(crate) fn utrace_glue_fatal_pending() -> bool;
    pub(crate) fn utrace_glue_stop_prepare_held();
    pub(crate) fn utrace_glue_task_fatal_pending(task: *mut bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_lock_sighand(
        task: *mut bindings::task_struct,
        flags: *mut c_ulong,
    ) -> *mut bindings::sighand_struct;
    pub(crate) fn utrace_glue_unlock_sighand(task: *mut bindings::task_struct, flags: *mut c_ulong);
    pub(crate) fn utrace_glue_kill_freeze(task: *mut bindings::task_struct, on: bool) -> bool;
    pub(crate) fn utrace_glue_group_dead() -> bool;
    pub(crate) fn utrace_glue_in_task() -> bool;
    pub(crate) fn utrace_glue_wake_up(wq: *mut bindings::wait_queue_head);
    pub(crate) fn utrace_glue_barrier_wake();
    pub(crate) fn utrace_glue_barrier_wait(
        done: Option<unsafe extern "C" fn(arg: *const c_void) -> bool>,
        arg: *const c_void,
        interruptible: bool,
    ) -> c_int;
    pub(crate) fn utrace_glue_task_on_cpu(task: *const bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_task_inactive(task: *const bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_task_switches(task: *const bindings::task_struct) -> c_ulong;
    pub(crate) fn utrace_glue_regset_get(
        task: *mut bindings::task_struct,
        which: c_uint,
        buf: *mut c_void,
        size: c_uint,
    ) -> c_int;
    pub(crate) fn utrace_glue_regset_set(
        task: *mut bindings::task_struct,
        which: c_uint,
        pos: c_uint,
        buf: *const c_void,
        size: c_uint,
    ) -> c_int;

    pub(crate) fn utrace_glue_die_notifier_register() -> c_int;
    pub(crate) fn utrace_glue_die_notifier_unregister();
    pub(crate) fn utrace_glue_copy_insn(ip: c_ulong, buf: *mut u8, len: c_int) -> c_int;
    pub(crate) fn utrace_glue_btf_probe() -> bool;
    pub(crate) fn utrace_glue_set_blockstep(on: bool);
    pub(crate) fn utrace_glue_blockstep_set() -> bool;
    pub(crate) fn utrace_glue_rseq_ip_in_cs(ip: c_ulong) -> bool;
    pub(crate) fn utrace_glue_current_exiting() -> bool;

    pub(crate) fn utrace_glue_trap_action(ka: *mut bindings::k_sigaction) -> c_ulong;
    pub(crate) fn utrace_glue_trap_info(
        info: *mut bindings::kernel_siginfo,
        code: c_int,
        addr: c_ulong,
    );
    pub(crate) fn utrace_glue_force_trap(info: *mut bindings::kernel_siginfo) -> c_int;
    pub(crate) fn utrace_glue_watch_set(
        task: *mut bindings::task_struct,
        owner: u64,
        addr: c_ulong,
        len: c_uint,
        type_: c_uint,
    ) -> c_int;
    pub(crate) fn utrace_glue_watch_clear(
        task: *mut bindings::task_struct,
        owner: u64,
        addr: c_ulong,
    ) -> c_int;
    pub(crate) fn utrace_glue_watch_drop(task: *mut bindings::task_struct, owner: u64) -> c_int;
    pub(crate) fn utrace_glue_watch_shutdown();

    /// Current has a seccomp mode (strict or filter).
    pub(crate) fn utrace_glue_seccomp_active() -> bool;
    /// Current's syscall is a compat (32-bit) one.
    pub(crate) fn utrace_glue_in_compat_syscall() -> bool;
    /// Clears current's `SYSCALL_WORK_SYSCALL_TRACE` if a ptracer set it; `*tracer` gets a
    /// reference on the ptracer. See `entry_glue.c`.
    pub(crate) fn utrace_glue_mask_trace(tracer: *mut *mut bindings::task_struct) -> bool;
    /// Undoes `utrace_glue_mask_trace` unless the ptracer acted since; drops `tracer`.
    pub(crate) fn utrace_glue_restore_trace(
        task: *mut bindings::task_struct,
        tracer: *mut bindings::task_struct,
        siglock_held: bool,
    ) -> bool;
    /// Clears current's `SYSCALL_WORK_SECCOMP`; false if it was clear.
    pub(crate) fn utrace_glue_mask_seccomp() -> bool;
    /// Sets `task`'s `SYSCALL_WORK_SECCOMP` again if it has a seccomp mode.
    pub(crate) fn utrace_glue_restore_seccomp(task: *mut bindings::task_struct);
    /// `put_task_struct()`.
    pub(crate) fn utrace_glue_put_task(task: *mut bindings::task_struct);

    pub(crate) fn utrace_glue_access_init(test_no_procfs: bool);
    pub(crate) fn utrace_glue_access_exit();
    pub(crate) fn utrace_glue_same_thread_group(task: *mut bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_user_worker(task: *const bindings::task_struct) -> bool;
    pub(crate) fn utrace_glue_cred_guard_lock(task: *mut bindings::task_struct) -> c_int;
    pub(crate) fn utrace_glue_cred_guard_unlock(task: *mut bindings::task_struct);
    pub(crate) fn utrace_glue_access_check(task: *mut bindings::task_struct) -> c_int;
    pub(crate) fn utrace_glue_cred_ptrace_capable(
        cred: *const bindings::cred,
        bprm: *const bindings::linux_binprm,
    ) -> bool;
    pub(crate) fn utrace_glue_exec_gains_privilege(bprm: *const bindings::linux_binprm) -> bool;
    pub(crate) fn utrace_glue_memory_access_allowed(
        tsk: *mut bindings::task_struct,
        cred: *const bindings::cred,
    ) -> bool;
    pub(crate) fn utrace_glue_access_process_vm(
        tsk: *mut bindings::task_struct,
        addr: c_ulong,
        buf: *mut c_void,
        len: c_int,
        write: bool,
    ) -> c_int;
    pub(crate) fn utrace_glue_copy_from_current_nowait(
        addr: c_ulong,
        buf: *mut c_void,
        len: c_int,
    ) -> c_int;
    pub(crate) fn utrace_glue_get_current_cred() -> *const bindings::cred;
    pub(crate) fn utrace_glue_note_secure_exec(detached: c_int);

    pub(crate) fn utrace_glue_ratelimit() -> bool;
}

/// Whether a rate-limited message may be printed now (`pr_err_rl!`).
pub(crate) fn ratelimit() -> bool {
    // SAFETY: `__ratelimit()` on the glue's static state; any context.
    unsafe { utrace_glue_ratelimit() }
}

/// Whether `p` is NULL or an `ERR_PTR()`: not a pointer an engine may pass.
pub(crate) fn is_err_or_null<T>(p: *const T) -> bool {
    p.is_null() || (p as usize) >= (-(bindings::MAX_ERRNO as isize)) as usize
}

/// What a pointer argument is, for an error message, without printing a kernel address:
/// `NULL`, `ERR_PTR(-N)`, or `valid`.
pub(crate) struct PtrKind(isize);

impl PtrKind {
    pub(crate) fn of<T>(p: *const T) -> Self {
        PtrKind(p as isize)
    }
}

impl kernel::fmt::Display for PtrKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            0 => f.write_str("NULL"),
            v if (-(bindings::MAX_ERRNO as isize)..0).contains(&v) => write!(f, "ERR_PTR({v})"),
            _ => f.write_str("valid"),
        }
    }
}

/// Decodes an `ERR_PTR()`: the error it carries, or `None` for a real pointer.
pub(crate) fn err_ptr(p: *mut c_void) -> Option<Error> {
    let v = p as isize;
    if (-(bindings::MAX_ERRNO as isize)..0).contains(&v) {
        Some(Error::from_errno(v as i32))
    } else {
        None
    }
}

/// Encodes an error as an `ERR_PTR()`.
pub(crate) fn to_err_ptr<T>(e: Error) -> *mut T {
    e.to_errno() as isize as *mut T
}

// Safe wrappers of the glue functions whose only requirement is a live task, which a `&Task`
// is by its type invariant, or nothing at all: their callers read as safe code.

/// `in_task()`: process context (not an interrupt, softirq or NMI).
pub(crate) fn in_task() -> bool {
    // SAFETY: reads the preempt count; no requirement.
    unsafe { utrace_glue_in_task() }
}

/// `fatal_signal_pending(current)`.
pub(crate) fn fatal_pending() -> bool {
    // SAFETY: reads current's pending signals; no requirement.
    unsafe { utrace_glue_fatal_pending() }
}

/// A `kernel_siginfo_t`, as bytes: safe to copy, compare and read `si_signo` from (the
/// first `int`, `__SIGINFO`); its size is the bindings' (checked against C at load,
/// `layout.rs`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
pub(crate) struct SigInfo([u8; size_of::<bindings::kernel_siginfo>()]);

impl SigInfo {
    /// All zeroes (`clear_siginfo()`).
    pub(crate) const fn zeroed() -> Self {
        SigInfo([0; size_of::<bindings::kernel_siginfo>()])
    }

    /// `si_signo`.
    pub(crate) fn signo(&self) -> c_int {
        c_int::from_ne_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// A siginfo with `si_signo` `sig` and `si_code` `code` (`SI_KERNEL`...), the rest 0.
    pub(crate) fn simple(sig: c_int, code: c_int) -> Self {
        let mut i = Self::zeroed();
        i.0[0..4].copy_from_slice(&sig.to_ne_bytes());
        // `si_errno` at 4, `si_code` at 8 (`__SIGINFO`).
        i.0[8..12].copy_from_slice(&code.to_ne_bytes());
        i
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut bindings::kernel_siginfo {
        core::ptr::from_mut(self).cast()
    }

    /// A copy of the siginfo at `p`.
    ///
    /// # Safety
    ///
    /// `p` points to a valid `kernel_siginfo_t`.
    pub(crate) unsafe fn read(p: *const bindings::kernel_siginfo) -> Self {
        // SAFETY: per the function's safety requirements; `SigInfo` has its size and any
        // bytes are a valid `SigInfo`.
        unsafe { p.cast::<Self>().read_unaligned() }
    }
}

/// A copy of a `struct k_sigaction`, as bytes (only C reads it; the size is checked as
/// [`SigInfo`]'s).
#[repr(C, align(8))]
pub(crate) struct KSigAction([u8; size_of::<bindings::k_sigaction>()]);

impl KSigAction {
    pub(crate) const fn zeroed() -> Self {
        KSigAction([0; size_of::<bindings::k_sigaction>()])
    }

    pub(crate) fn as_ptr(&self) -> *const bindings::k_sigaction {
        core::ptr::from_ref(self).cast()
    }
}

/// The signal current's `get_signal()` would take next, its siginfo and its action, unless
/// a fatal signal, a group exit or exec, a group stop or a ptrace trap comes first, or it
/// is SIGKILL or forced fatal (`SA_IMMUTABLE`), or the thread is in a uprobe's single-step
/// or a user worker (`None` then, or with nothing deliverable). `approved` loses the signals
/// no longer pending and those queued again since (the bits of `fresh`, which is cleared:
/// all under siglock).
pub(crate) fn signal_peek(
    approved: &mut u64,
    fresh: &Atomic<u64>,
) -> Option<(c_int, SigInfo, KSigAction)> {
    let mut info = SigInfo::zeroed();
    let mut ka = KSigAction::zeroed();
    // SAFETY: on current, task context (the callers are utrace's task_work); the pointers
    // are to locals of the C types' sizes, and to an atomic the C side exchanges.
    let sig = unsafe {
        utrace_glue_signal_peek(
            info.as_mut_ptr(),
            core::ptr::from_mut(&mut ka).cast(),
            approved,
            fresh.as_ptr(),
        )
    };
    (sig > 0).then_some((sig, info, ka))
}

/// Dequeues `sig` from current's queues (private first); its siginfo, or `None` if it was
/// not pending any more.
pub(crate) fn signal_take(sig: c_int) -> Option<SigInfo> {
    let mut info = SigInfo::zeroed();
    // SAFETY: on current, task context; `info` is a local of the C type's size.
    let got = unsafe { utrace_glue_signal_take(sig, info.as_mut_ptr()) };
    (got == sig).then_some(info)
}

/// `send_sig_info(info.si_signo, info, current)`: queued on current's private queue.
pub(crate) fn signal_send(info: &SigInfo) -> Result {
    let mut copy = *info;
    // SAFETY: on current, task context; a valid siginfo whose `si_signo` the caller checked
    // (1..=64).
    let ret = unsafe { utrace_glue_signal_send(copy.as_mut_ptr()) };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// The `UTRACE_EVENT(SIGNAL*)` bit of `sig` with the action `ka`.
pub(crate) fn signal_event_of(sig: c_int, ka: &KSigAction) -> usize {
    // SAFETY: `ka` is a copy of a `k_sigaction`.
    unsafe { utrace_glue_signal_event(sig, ka.as_ptr()) as usize }
}

/// SIGTRAP's action as `force_sig()` delivers it (SIG_DFL if blocked or ignored), and its
/// `UTRACE_EVENT(SIGNAL*)` bit. Task context (takes siglock).
pub(crate) fn trap_action() -> (usize, KSigAction) {
    let mut ka = KSigAction::zeroed();
    // SAFETY: on current, task context; `ka` is a local of the C type's size.
    let event = unsafe { utrace_glue_trap_action(core::ptr::from_mut(&mut ka).cast()) };
    (event as usize, ka)
}

/// The siginfo of a trap: SIGTRAP with `si_code` `code` and (unless `SI_KERNEL`) `si_addr`
/// `addr`.
pub(crate) fn trap_info(code: c_int, addr: usize) -> SigInfo {
    let mut info = SigInfo::zeroed();
    // SAFETY: `info` is a local of the C type's size.
    unsafe { utrace_glue_trap_info(info.as_mut_ptr(), code, addr as c_ulong) };
    info
}

/// Delivers the trap `info` (a SIGTRAP) to current as the kernel would have (`force_sig()`
/// semantics: unblocked, not ignored).
pub(crate) fn force_trap(info: &SigInfo) -> Result {
    let mut copy = *info;
    // SAFETY: on current, task context; a valid siginfo of SIGTRAP.
    let ret = unsafe { utrace_glue_force_trap(copy.as_mut_ptr()) };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Whether current has a signal queued, blocked or not (the `signal_deliver` probe).
pub(crate) fn signals_queued() -> bool {
    // SAFETY: reads current's pending sets (under siglock at the probe).
    unsafe { utrace_glue_signals_queued() }
}

/// Whether current's thread group has `SIGNAL_UNKILLABLE` (a pid namespace's init).
pub(crate) fn unkillable() -> bool {
    // SAFETY: reads current's signal_struct flags.
    unsafe { utrace_glue_unkillable() }
}

/// `task->signal`, as an address: the key of its thread group.
pub(crate) fn task_group(task: *mut bindings::task_struct) -> usize {
    // SAFETY: the callers pass a live task; `signal` is set for its whole life.
    unsafe { utrace_glue_task_group(task) as usize }
}

/// Whether current is about to enter a group stop (job control, `jctl.rs`): the stop
/// signal and the `CLD_*` code it is expected to notify the parent of (0: none), or `None`.
pub(crate) fn jctl_peek() -> Option<(c_int, c_int)> {
    let mut notify: c_int = 0;
    // SAFETY: on current, task context (utrace's task_work); `notify` is a local.
    let sig = unsafe { utrace_glue_jctl_peek(&mut notify) };
    (sig > 0).then_some((sig, notify))
}

/// At SIGCONT's `signal_generate`: the `CLD_*` code the parent gets for this continue (0:
/// the group was not stopping), or `None` if the group is exiting (the SIGCONT is dropped).
///
/// # Safety
///
/// `task` is the probe's target, whose siglock the caller (the tracepoint) holds.
pub(crate) unsafe fn jctl_cont_notify(task: *mut bindings::task_struct) -> Option<c_int> {
    // SAFETY: per the function's safety requirements.
    let n = unsafe { utrace_glue_jctl_cont_notify(task) };
    (n >= 0).then_some(n)
}

/// `__fatal_signal_pending(task)`: SIGKILL is pending for `task` (a racy read).
pub(crate) fn task_fatal_pending(task: &Task) -> bool {
    // SAFETY: `task` is alive (the reference); reads its pending set.
    unsafe { utrace_glue_task_fatal_pending(task.as_ptr()) }
}

/// Whether `task` is a thread of current's thread group.
pub(crate) fn same_thread_group(task: &Task) -> bool {
    // SAFETY: `task` is alive; compares thread-group pointers.
    unsafe { utrace_glue_same_thread_group(task.as_ptr()) }
}

/// Whether `task` is on a CPU now (a racy read of `on_cpu`).
pub(crate) fn task_on_cpu(task: &Task) -> bool {
    // SAFETY: `task` is alive; reads one word.
    unsafe { utrace_glue_task_on_cpu(task.as_ptr()) }
}

/// Whether `task` is asleep: off its CPU and off the runqueue (a racy reading of what
/// `wait_task_inactive()` decides: the caller reads again until it holds).
pub(crate) fn task_inactive(task: &Task) -> bool {
    // SAFETY: `task` is alive; reads three words.
    unsafe { utrace_glue_task_inactive(task.as_ptr()) }
}

/// The count of `task`'s context switches, voluntary and not.
pub(crate) fn task_switches(task: &Task) -> c_ulong {
    // SAFETY: `task` is alive; reads two words.
    unsafe { utrace_glue_task_switches(task.as_ptr()) }
}

/// Whether the caller may sleep (see `utrace_glue_can_sleep`).
pub(crate) fn can_sleep() -> bool {
    // SAFETY: `utrace_glue_can_sleep` only reads the preempt count and irq state.
    unsafe { utrace_glue_can_sleep() }
}

/// Chooses the allocation flags for the caller's context.
pub(crate) fn gfp_for_context() -> Flags {
    if can_sleep() {
        GFP_KERNEL
    } else {
        GFP_ATOMIC
    }
}

/// Wakes the sleepers of the barrier queue ([`barrier_wait_until`]) after the caller made
/// the change they wait for. The smp_mb() the glue requires before its lock-free look at
/// the queue is this function's.
pub(crate) fn barrier_wake() {
    // Pairs with the one in the waiter's `prepare_to_wait()` (`set_current_state()`).
    smp_mb(Full);
    // SAFETY: after the smp_mb() above, as the glue requires.
    unsafe { utrace_glue_barrier_wake() };
}

/// Sleeps on the barrier queue until `done()` holds. The queue is woken ([`barrier_wake`])
/// whenever a callback ends, an engine's attached reference has been dropped, or a
/// `release` made by utrace has returned. `done` is evaluated once first, then again after
/// each queueing (`wait_event()`), so a change made and woken for meanwhile is not missed;
/// it runs with the task state already set to sleep, so it must not sleep or block (plain
/// loads). `interruptible`: `Err(ERESTARTSYS)` if a signal comes first; otherwise it waits
/// as long as it takes. Process context; sleeps.
pub(crate) fn barrier_wait_until<F: Fn() -> bool>(done: &F, interruptible: bool) -> Result {
    kernel::task::might_sleep();
    /// # Safety
    ///
    /// `arg` is the `&F` passed below, alive during the wait.
    unsafe extern "C" fn call<F: Fn() -> bool>(arg: *const c_void) -> bool {
        // SAFETY: per the function's safety requirements.
        unsafe { (*arg.cast::<F>())() }
    }
    // SAFETY: `call::<F>` has the callback's prototype and reads `done`, which outlives the
    // wait (it is borrowed for this call).
    let ret = unsafe {
        utrace_glue_barrier_wait(
            Some(call::<F>),
            core::ptr::from_ref(done).cast(),
            interruptible,
        )
    };
    if ret != 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// A `Result` as the C API returns it: 0 or a negative errno.
pub(crate) fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Whether current is exiting (`PF_EXITING`).
pub(crate) fn current_exiting() -> bool {
    // SAFETY: only reads current's flags.
    unsafe { utrace_glue_current_exiting() }
}

/// Whether current's syscall is a compat one (`in_compat_syscall()`).
pub(crate) fn in_compat_syscall() -> bool {
    // SAFETY: only reads current's syscall status.
    unsafe { utrace_glue_in_compat_syscall() }
}

/// Whether current has a seccomp mode (strict or filter): set once, never cleared.
pub(crate) fn seccomp_active() -> bool {
    // SAFETY: only reads current's seccomp mode.
    unsafe { utrace_glue_seccomp_active() }
}
