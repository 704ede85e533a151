// SPDX-License-Identifier: GPL-2.0

//! Architecture-specific register handling: everything that knows x86_64's `pt_regs`.
//!
//! On x86_64 the syscall number is `orig_ax`, the return value `ax` (preset to `-ENOSYS` at
//! entry), and the syscall instruction is 2 bytes before `ip`. The entry code re-reads
//! `orig_ax` after the `sys_enter` tracepoint: `-1` runs no syscall and returns `ax`.
//!
//! The syscall-entry stop (the probe must not sleep, so it unwinds instead):
//! 1. [`UserRegs::skip_for_stop`] at `sys_enter`: `orig_ax = -1`, `ax = -ERESTARTNOINTR`;
//!    the syscall is not run; it still passes `sys_exit` (the skipped pass, not reported).
//! 2. [`UserRegs::entry_stop_begin`] in the `TWA_SIGNAL` task_work (inside `get_signal()`,
//!    before any signal is dequeued): the registers are made to look like a syscall-entry stop
//!    (`orig_ax` = the number, `ax` as at entry: `-ENOSYS`) for engines that examine or
//!    change them.
//! 3. [`UserRegs::entry_stop_end`] after the stop: `ax = -ERESTARTNOINTR` with the (maybe changed)
//!    number in `orig_ax`. `arch_do_signal_or_restart()` then restarts the syscall
//!    (`ax = orig_ax; ip -= 2`), after a handler if a signal arrived during the stop: as if
//!    the signal had come just before the syscall instruction.
//!
//! Stepping (`step.rs`): the trap flag in the user `pt_regs`, and what an instruction does
//! to it. x86_64 single-step: with `EFLAGS.TF` set when an instruction starts, the CPU
//! raises a #DB trap after it. `syscall` masks TF (`MSR_SYSCALL_MASK`), so a stepped syscall
//! instruction traps in neither the kernel nor at its return address: with TF in the saved
//! flags the kernel returns through IRET and the trap comes one instruction late. `step.rs`
//! therefore ends such a step at `sys_exit`. Block-step (`DEBUGCTL.BTF` with TF) traps after
//! the next taken branch instead; see `glue::utrace_glue_btf_probe`.

use core::marker::PhantomData;
use kernel::bindings;
use kernel::ffi::c_long;
use kernel::task::Task;

/// `-ERESTARTNOINTR` (include/linux/errno.h; not in the UAPI headers bindgen sees).
const ERESTARTNOINTR: c_long = 513;
/// The "no syscall" number.
const NO_SYSCALL: usize = usize::MAX;
/// `X86_EFLAGS_TF`.
const EFLAGS_TF: usize = 1 << 8;
/// `__NR_rt_sigreturn` on x86_64: it returns with the signal frame's flags (the program's).
const NR_RT_SIGRETURN: usize = 15;

/// The syscall as seccomp filters it (`struct seccomp_data` less the arch and the IP): its
/// number and six arguments, as the registers hold them at `sys_enter`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    nr: usize,
    args: [usize; 6],
}

/// What [`UserRegs::skip_for_stop`] took out of the registers, for
/// [`UserRegs::entry_stop_begin`] to put back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// The syscall number (`-1` if it was already aborted, e.g. by a ptracer).
    pub(crate) nr: c_long,
    /// `ax`: `-ENOSYS`, or what a ptracer or engine stored for a syscall it aborts.
    pub(crate) ax: usize,
}

/// Current's user registers: `task_pt_regs(current)`, saved at the thread's entry from user
/// mode and loaded again when it returns there. Every access to them from utrace's logic
/// goes through this type.
///
/// # Invariants
///
/// `ptr` is `task_pt_regs()` of the thread that made the value, and the value stays on that
/// thread (`!Send`, `!Sync`). While the thread runs, only the thread itself writes its user
/// registers: a tracer (ptrace, or an engine through `examine.rs`) writes them only while
/// the thread is stopped, and a stopped thread runs none of these methods. No reference into
/// the registers outlives a method, so what a tracer changed during a stop is what the next
/// method sees.
pub(crate) struct UserRegs {
    ptr: *mut bindings::pt_regs,
    _not_send: PhantomData<*mut ()>,
}

impl UserRegs {
    /// The current thread's user registers, in task context only: `None` in an interrupt,
    /// a softirq or an NMI, where they belong to the interrupted thread, which may be inside
    /// one of these methods (utrace's probes and task_work all run in task context).
    pub(crate) fn current() -> Option<Self> {
        if !crate::glue::in_task() {
            return None;
        }
        // SAFETY: `current` is valid; `task_pt_regs` computes an address from its stack.
        let ptr = unsafe { crate::glue::utrace_glue_task_pt_regs(Task::current_raw()) };
        // INVARIANT: current's, made on current, in task context.
        Some(UserRegs {
            ptr,
            _not_send: PhantomData,
        })
    }

    /// The registers a tracepoint, a trap or the glue handed over.
    ///
    /// # Safety
    ///
    /// `ptr` is `task_pt_regs(current)`, and the caller runs on current, in task context or
    /// in the trap current took from user mode (no other code of current's can be inside
    /// one of these methods then).
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::pt_regs) -> Self {
        // INVARIANT: per the function's safety requirements.
        UserRegs {
            ptr,
            _not_send: PhantomData,
        }
    }

    /// The pointer, for engines' callbacks (which get `struct pt_regs *`) and the glue.
    pub(crate) fn as_ptr(&self) -> *mut bindings::pt_regs {
        self.ptr
    }

    /// Reads them: `f` gets a borrow for the time of the call (no copy of the whole
    /// `pt_regs` for one field).
    fn read<R>(&self, f: impl FnOnce(&bindings::pt_regs) -> R) -> R {
        // SAFETY: by the type invariants, `ptr` is current's saved user registers, which
        // only current writes while it runs; the reference lives only for `f`, which the
        // methods below give no way to write these registers meanwhile.
        let r = unsafe { &*self.ptr };
        f(r)
    }

    /// Changes them.
    fn update<R>(&self, f: impl FnOnce(&mut bindings::pt_regs) -> R) -> R {
        // SAFETY: as in `read`; the reference lives only for `f`, which the methods below
        // give no way to reach these registers again.
        let r = unsafe { &mut *self.ptr };
        f(r)
    }

    /// The syscall current is making, at `sys_enter`.
    pub(crate) fn call(&self) -> Call {
        self.read(|r| Call {
            nr: r.orig_ax,
            args: [r.di, r.si, r.dx, r.r10, r.r8, r.r9],
        })
    }

    /// Skips the syscall at `sys_enter` so that the thread can stop (or go back through the
    /// entry code) before running it. Returns what to put back. The skipped pass's exit
    /// shows `-ERESTARTNOINTR` in `ax`, unless `aborted`: a syscall that will not run again
    /// (number `-1`, or aborted by an engine) keeps its return value, and that exit is its
    /// real one.
    pub(crate) fn skip_for_stop(&self, aborted: bool) -> Skipped {
        self.update(|r| {
            let skipped = Skipped {
                nr: r.orig_ax as c_long,
                ax: r.ax,
            };
            r.orig_ax = NO_SYSCALL;
            if !aborted {
                r.ax = (-ERESTARTNOINTR) as usize;
            }
            skipped
        })
    }

    /// Whether the syscall is aborted (number `-1`): at `sys_enter`, a ptracer or an earlier
    /// engine set it; after [`UserRegs::entry_stop_end`], no re-run comes.
    pub(crate) fn syscall_aborted(&self) -> bool {
        self.read(|r| r.orig_ax == NO_SYSCALL)
    }

    /// Aborts the syscall at `sys_enter` (`UTRACE_SYSCALL_ABORT`): it returns `ax`
    /// (`-ENOSYS` unless an engine stored another value).
    pub(crate) fn abort_syscall(&self) {
        self.update(|r| r.orig_ax = NO_SYSCALL);
    }

    /// Fails the syscall at `sys_enter` with `-errno` without running it.
    pub(crate) fn fail_syscall(&self, errno: c_long) {
        self.update(|r| {
            r.orig_ax = NO_SYSCALL;
            r.ax = (-errno) as usize;
        });
    }

    /// Makes a skipped syscall's registers look like a syscall-entry stop, for the stop:
    /// the number back in `orig_ax`, and `ax` as it was (`-ENOSYS`, or the return value a
    /// ptracer or an engine chose for a syscall it aborted). Also undoes
    /// [`UserRegs::skip_for_stop`] at `sys_enter`.
    pub(crate) fn entry_stop_begin(&self, skipped: Skipped) {
        self.update(|r| {
            r.orig_ax = skipped.nr as usize;
            r.ax = skipped.ax;
        });
    }

    /// After a syscall-entry stop: re-run the syscall (whose number and arguments engines
    /// may have changed), or, if it is aborted (`abort`, or an engine set the number to -1),
    /// return `ax` without running it.
    pub(crate) fn entry_stop_end(&self, abort: bool) {
        self.update(|r| {
            if abort || r.orig_ax == NO_SYSCALL {
                r.orig_ax = NO_SYSCALL;
            } else {
                r.ax = (-ERESTARTNOINTR) as usize;
            }
        });
    }

    /// Where a syscall returns to (just after its instruction): it identifies the re-run of
    /// a syscall after an entry stop, which may come after a signal handler's own syscalls.
    pub(crate) fn syscall_return_ip(&self) -> usize {
        self.read(|r| r.ip)
    }

    /// The instruction pointer.
    pub(crate) fn ip(&self) -> usize {
        self.read(|r| r.ip)
    }

    /// Sets TF; returns whether it was already set (by the program).
    pub(crate) fn set_tf(&self) -> bool {
        self.update(|r| {
            let had = r.flags & EFLAGS_TF != 0;
            r.flags |= EFLAGS_TF;
            had
        })
    }

    /// Clears TF.
    pub(crate) fn clear_tf(&self) {
        self.update(|r| r.flags &= !EFLAGS_TF);
    }

    /// Whether the instruction current is about to run may set the flags itself: `popf` or
    /// `iret` after any prefixes (the decoding of the kernel's `is_setting_trap_flag()`,
    /// which is static), or a `syscall` of `rt_sigreturn` (the flags come back from the
    /// signal frame; its exit shows `orig_ax == -1`, so it is recognised here, before it
    /// runs). After such an instruction TF is the program's, whatever utrace had set.
    /// Task context (reads user memory, may fault).
    pub(crate) fn insn_sets_tf(&self) -> bool {
        let (ip, ax) = self.read(|r| (r.ip, r.ax));
        let mut buf = [0u8; 15];
        // SAFETY: `buf` is writable for its length; the glue reads current's user memory
        // (task context, may fault).
        let n = unsafe { crate::glue::utrace_glue_copy_insn(ip, buf.as_mut_ptr(), 15) };
        let code = &buf[..n.clamp(0, 15) as usize];
        if code.starts_with(&[0x0f, 0x05]) {
            return ax == NR_RT_SIGRETURN;
        }
        for &b in code {
            match b {
                0x9d | 0xcf => return true,
                // Operand/address size, segment, lock and repeat prefixes, REX.
                0x66 | 0x67 | 0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0xf0 | 0xf2 | 0xf3 => {}
                0x40..=0x4f => {}
                _ => return false,
            }
        }
        false
    }

    /// [`UserRegs::insn_sets_tf`] for a syscall about to be re-run after a syscall-entry
    /// stop (`ip` is still after the instruction; the restart moves it back later): whether
    /// it is `rt_sigreturn`.
    pub(crate) fn rerun_sets_tf(&self) -> bool {
        self.read(|r| r.orig_ax == NR_RT_SIGRETURN)
    }
}

/// Makes a stopped thread's user register state coherent before an engine examines it.
/// Nothing to do on x86_64: every user register is in `pt_regs` (the FPU state is read
/// through its regset, which saves it).
pub(crate) fn make_regs_coherent(_task: *mut bindings::task_struct) {}

/// Clears TF in the user registers of a thread that is not current: a new thread that has
/// not run yet (it inherited its parent's, which were being stepped), or one held in a stop.
///
/// # Safety
///
/// `regs` are the user registers of a thread that does not run, and cannot start to, while
/// this runs (nobody else writes them meanwhile).
pub(crate) unsafe fn clear_tf_of_stopped(regs: *mut bindings::pt_regs) {
    // SAFETY: per the function's safety requirements.
    unsafe { (*regs).flags &= !EFLAGS_TF };
}

/// Whether block-step (`DEBUGCTL.BTF`) works here; probed once, at load. QEMU's TCG does
/// not implement BTF: there BLOCKSTEP degrades to single-step.
pub(crate) fn probe_block_step() -> bool {
    // SAFETY: reads and restores a model-specific register with the fault-tolerant
    // accessors, interrupts off.
    unsafe { crate::glue::utrace_glue_btf_probe() }
}

/// Turns block-step on or off for current (TIF_BLOCKSTEP and BTF together).
pub(crate) fn set_block_step(on: bool) {
    // SAFETY: current only; the glue disables interrupts around the MSR and flag update.
    unsafe { crate::glue::utrace_glue_set_blockstep(on) };
}

/// Whether current still has block-step on (a #DB turns it off).
pub(crate) fn block_step_on() -> bool {
    // SAFETY: reads current's thread flags.
    unsafe { crate::glue::utrace_glue_blockstep_set() }
}
