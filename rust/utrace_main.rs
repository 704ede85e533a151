// SPDX-License-Identifier: GPL-2.0

//! utrace: process tracing for engines, as a loadable module on an unmodified kernel.
//!
//! This is the crate root of the composite module `utrace.ko` (see `Kbuild`). One file per
//! concern:
//!
//! - [`abi`]: the engine ABI of `include/linux/utrace.h`, mirrored.
//! - [`api`]: the exported engine API (`utrace_attach_task()` and friends).
//! - [`access`]: who may trace whom: `utrace_may_trace()`, the privileged-exec policy.
//! - [`engine`]: engines, their references, and every call into engine code.
//! - [`task`]: per-task state, its table, and the copy-on-write engine lists.
//! - [`stopstate`], [`stepstate`], [`entrystate`], [`maskstate`]: each concern's part of the
//!   per-task state, data and who may touch it.
//! - [`report`]: one reporting pass: engine order, quiesce, folding of the answers.
//! - [`work`]: the thread at its safe points: acting on a pass's answer, the task_work
//!   items that do it (quiesce report, stops, exit, step report).
//! - [`detach`]: detaching engines, and what a detach sets off.
//! - [`probes`]: the tracepoint probes and the step trap, where each event enters.
//! - [`taskwork`]: task_work as safe types: embedded and allocated items, unload's cancel.
//! - [`stop`]: parking a thread, letting it go, `utrace_wake_up()`.
//! - [`entrystop`]: the syscall-entry stop, top to bottom.
//! - [`step`]: single- and block-stepping: the trap flag, the die notifier, rseq.
//! - [`entrymask`]: keeps the syscall-entry stop's restart out of ptrace's and seccomp's sight.
//! - [`examine`]: register and memory access to a stopped thread.
//! - [`trap`]: breakpoints (`int3` through `DIE_INT3`) and hardware watchpoints.
//! - [`arch`]: x86_64 registers behind a safe type.
//! - [`hooks`]: the tracepoints, found by name, registered on demand.
//! - [`modwatch`]: engines left attached by an engine module that went away.
//! - [`layout`]: the `kernel::bindings` struct layout check against the C compiler.
//! - [`debugfs`]: the files under `/sys/kernel/debug/utrace/`.
//! - [`glue`]: declarations of the C glue (`utrace_glue.c`), the only FFI to our own C.
//! - [`testing`]: test-only fault injection (race windows widened on request).
//!
//! Load order matters: the layout check runs first, because nothing the module reads
//! through bindings can be trusted if it fails; then the hooks are looked up; the per-task
//! table and debugfs last. Unload undoes it in the order that keeps every pointer valid:
//! probes unregistered and waited for, queued task_work drained, per-task state freed.

use crate::atomic::{Acquire, Relaxed};
use kernel::prelude::*;
use kernel::sync::Arc;

/// `pr_err!`, rate-limited (one shared budget, the kernel's default burst): for bad
/// arguments, which an engine can pass at any rate, maybe on behalf of user space.
macro_rules! pr_err_rl {
    ($($arg:tt)*) => {
        if crate::glue::ratelimit() {
            kernel::pr_err!($($arg)*);
        }
    };
}

mod abi;
mod access;
mod api;
mod arch;
mod atomic;
mod debugfs;
mod detach;
mod engine;
mod entrymask;
mod entrystate;
mod entrystop;
mod examine;
mod glue;
mod hooks;
mod jctl;
mod layout;
mod maskstate;
mod modwatch;
mod probes;
mod report;
mod signal;
mod sigstate;
mod step;
mod stepstate;
mod stop;
mod stopstate;
mod task;
mod taskwork;
mod testing;
mod trap;
mod work;

module! {
    type: UtraceModule,
    name: "utrace",
    authors: ["utrace-rs developers"],
    description: "utrace process tracing framework for engine modules",
    license: "GPL",
    params: {
        test_layout_skew: i32 {
            default: 0,
            description: "Test only: add this many bytes to the expected offset of task_struct.pid, so the layout check must refuse to load",
        },
        test_no_procfs: bool {
            default: false,
            description: "Test only: make no procfs mount, so every access check must refuse",
        },
        test_missing_tracepoint: bool {
            default: false,
            description: "Test only: also require a tracepoint that does not exist, so the hook lookup must refuse to load",
        },
        test_delay_mask: u32 {
            default: 0,
            description: "Test only: race windows to widen (bits of testing::Window: 1 attach lookup, 2 attach, 4 regset access, 8 deferred probe registration, 16 prepare_exec, 32 probe unregistration, 64 remote task_work claim, 128 signal decision)",
        },
        test_delay_us: u32 {
            default: 0,
            description: "Test only: how long to wait in each widened race window, in microseconds",
        },
    },
}

/// The module instance: owns everything that lives from `insmod` to `rmmod`.
struct UtraceModule {
    // Dropped first (fields drop in declaration order): debugfs files hold references to the
    // state below and must be gone before it is.
    _debugfs: debugfs::DebugFs,
    hooks: Arc<hooks::Hooks>,
    _layout: Arc<layout::LayoutReport>,
}

impl kernel::Module for UtraceModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        testing::init(
            module_parameters::test_delay_mask.value(),
            module_parameters::test_delay_us.value(),
        );
        let skew = module_parameters::test_layout_skew.value();
        let layout = Arc::new(layout::check(skew)?, GFP_KERNEL)?;

        let missing = module_parameters::test_missing_tracepoint.value();
        let hooks = hooks::Hooks::find(missing, probes::probe_for)?;

        // SAFETY: called once, before anything can use the table.
        let ret = unsafe { glue::utrace_glue_table_init() };
        if ret != 0 {
            pr_err!("could not set up the per-task table: error {}\n", ret);
            return Err(Error::from_errno(ret));
        }
        // The procfs mount of the access checks, before any engine can ask for one.
        // SAFETY: called once, in process context; never fails (a failure is logged, and
        // every check then refuses).
        unsafe { glue::utrace_glue_access_init(module_parameters::test_no_procfs.value()) };
        hooks::Hooks::activate(&hooks);
        if let Err(e) = hooks.start() {
            teardown(&hooks);
            return Err(e);
        }
        if let Err(e) = step::init() {
            teardown(&hooks);
            return Err(e);
        }
        if let Err(e) = modwatch::register() {
            teardown(&hooks);
            return Err(e);
        }

        let debugfs = match debugfs::DebugFs::new(hooks.clone(), layout.clone()) {
            Ok(d) => d,
            Err(e) => {
                teardown(&hooks);
                return Err(e);
            }
        };

        pr_info!(
            "loaded: {} struct fields match the C layout, {} tracepoints found\n",
            layout.len(),
            hooks.len()
        );
        Ok(UtraceModule {
            _debugfs: debugfs,
            hooks,
            _layout: layout,
        })
    }
}

/// Undoes `init` past the table set-up. Engine modules are gone by now (they depend on our
/// symbols), so no engine calls into the API any more.
fn teardown(hooks: &hooks::Hooks) {
    // 0. No thread may keep utrace's trap flag: while probes, table and die notifier still
    //    work, arm no more steps and wait until every armed thread took its TF back.
    step::shutdown();
    //    No thread may keep a syscall_work bit masked by utrace (`entrymask.rs`).
    entrymask::shutdown();
    modwatch::unregister();
    // 1. No probe registered or running: nothing reports or queues task_work any more.
    hooks.shutdown();
    // 2. Detach every engine left and drop the table's references. This also wakes every
    //    thread parked in a stop (nobody wants it stopped any more).
    loop {
        // SAFETY: no probe and no engine uses the table any more; task_work still running
        // only removes entries, which the rhashtable allows concurrently.
        let p = unsafe { glue::utrace_glue_table_pop() };
        if p.is_null() {
            break;
        }
        // SAFETY: `pop` handed us the table's `Arc<UtraceTask>` reference.
        let ut = unsafe { Arc::<task::UtraceTask>::from_raw(p.cast()) };
        crate::detach::detach_all(&ut);
    }
    //    No engine is left: no trap item is queued any more (a die notifier call that read
    //    an engine's events before the detach has queued its item, counted, when this
    //    returns: an RCU grace period), and every watchpoint goes (its handler is this
    //    module's code).
    trap::close();
    trap::shutdown();
    // 3. Task_work queued earlier points into this module. Items no engine needs any more
    //    are taken back out of the queues of threads that may never run them (stopped by
    //    job control or ptrace, blocked in a syscall with a report queued); the others (a
    //    syscall-entry stop's, which the thread runs before it can stop or sleep, and items
    //    being run, parked threads having been woken above) are waited for.
    let mut waited = 0u32;
    loop {
        if waited % 100 == 0 {
            taskwork::cancel_stranded();
        }
        if taskwork::PENDING.load(Acquire) == 0 {
            break;
        }
        if waited % 5000 == 0 && waited != 0 {
            pr_info!(
                "unload waits for {} queued task_work item(s) to run\n",
                taskwork::PENDING.load(Relaxed)
            );
        }
        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(10));
        waited += 10;
    }
    //    A callback that has decremented the count still returns through this module's
    //    text, and may be preempted on its last instructions. RCU Tasks waits until every
    //    task has been through a voluntary context switch (or user mode) since, so none is
    //    still on a task_work callback's epilogue here (what it was made for: trampolines).
    // SAFETY: process context, may sleep.
    unsafe { glue::utrace_glue_synchronize_rcu_tasks() };
    //    The probe-sync work items are ours too. `hooks.shutdown()` cancelled and disabled
    //    them (a need given back since, by a step session ended by the task_work drained
    //    above or `step::forget` in step 2, queues nothing); cancelling again is harmless and
    //    keeps this independent of that.
    // SAFETY: cancelling our own static work item; process context.
    unsafe { glue::utrace_glue_cancel_sync() };
    //    Releases deferred to process context (reap, detach in atomic context) run module
    //    code too: wait for them (no engine is left to defer one any more).
    engine::flush_deferred_releases();
    //    Engines orphaned by modules that went away: no module can use them any more.
    engine::free_orphans();
    // 4. No thread has utrace's TF and no step work is queued: the die notifier can go
    //    (unregistering waits for a running call to finish).
    step::unregister();
    // 5. Wait for the RCU callbacks that drop table references, then free the table.
    // SAFETY: process context; the table is empty and unused.
    unsafe {
        glue::utrace_glue_rcu_barrier();
        glue::utrace_glue_table_destroy();
    }
    // 6. No engine module is left to ask for an access check: the procfs mount goes.
    // SAFETY: process context; called once, after `utrace_glue_access_init`.
    unsafe { glue::utrace_glue_access_exit() };
}

impl Drop for UtraceModule {
    fn drop(&mut self) {
        teardown(&self.hooks);
        pr_info!("unloaded\n");
    }
}
