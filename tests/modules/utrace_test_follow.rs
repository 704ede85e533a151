// SPDX-License-Identifier: GPL-2.0

//! utrace_test_follow: a Rust engine that follows a process tree the natural way, for the
//! contexts `release` and handle drops run in (issue 11, section 2, item 6).
//!
//! Loaded with `tid=TID`, it attaches a [`Follower`] to that thread. Each follower's value
//! owns the [`Attached`] handles of the children its thread creates (attached in
//! `report_clone`, with the same events), in a list the children's values keep too. When
//! a child is reaped, its own `report_reap` (softirq) takes its handle out of that list and
//! drops it there. When a value goes (utrace's `release` of its engine), the handles it
//! still owns are dropped with it: detach, `utrace_barrier()`, put.
//!
//! So `release` comes from utrace's own reference drop at a reap or at the end of a
//! callback, and a dropped value drops handles, which may sleep in `utrace_barrier()`.
//! Each value checks, when dropped, that it may sleep (`might_sleep()`: with
//! `DEBUG_ATOMIC_SLEEP` a drop in softirq is a splat). At exit the module prints:
//!
//! ```text
//! utrace_test_follow: followed N, dropped in report_reap D, values dropped V
//! ```
//!
//! Unsafe-free: only the safe API of `include/rust/utrace.rs`.

use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::new_spinlock_irq;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLockIrq};
use kernel::task::Task;

#[path = "../../include/rust/utrace.rs"]
mod utrace;

use utrace::{Action, Attached, Engine, Events};

module! {
    type: FollowModule,
    name: "utrace_test_follow",
    authors: ["utrace-rs developers"],
    description: "utrace test: a Rust engine following a process tree, handles owned by values",
    license: "GPL",
    params: {
        tid: i32 {
            default: 0,
            description: "thread to follow (0: none)",
        },
    },
}

static FOLLOWED: AtomicUsize = AtomicUsize::new(0);
static DROPPED_AT_REAP: AtomicUsize = AtomicUsize::new(0);
static VALUES_DROPPED: AtomicUsize = AtomicUsize::new(0);

const EVENTS: Events = Events::CLONE.with(Events::REAP);

/// A list of handles: the children of one followed thread, owned by its value (and kept
/// by the children's values, which take their own handle out of it when they are reaped).
#[pin_data]
struct Children {
    #[pin]
    list: SpinLockIrq<KVec<Attached<Follower>>>,
}

impl Children {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Children {
                list <- new_spinlock_irq!(KVec::new()),
            }),
            GFP_KERNEL,
        )
    }
}

/// The engine value of one followed thread.
struct Follower {
    /// The thread followed.
    pid: i32,
    /// The list this thread's handle is in (its parent's children; none for the first).
    siblings: Option<Arc<Children>>,
    /// The handles of the children this thread created, owned by this value.
    children: Arc<Children>,
}

impl Follower {
    /// Attaches a new follower to `task` (its handle to go into `siblings`).
    fn follow(task: &Task, siblings: Option<Arc<Children>>) -> Result<Attached<Follower>> {
        let value = Arc::new(
            Follower {
                pid: task.pid(),
                siblings,
                children: Children::new()?,
            },
            GFP_KERNEL,
        )?;
        let handle = Attached::attach(task, value, false)?;
        handle.set_events(EVENTS)?;
        FOLLOWED.fetch_add(1, Ordering::Relaxed);
        Ok(handle)
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        // The value goes (utrace's release): the handles it owns go with it: detach,
        // barrier (which may sleep), put.
        kernel::task::might_sleep();
        let handles = core::mem::take(&mut *self.children.list.lock());
        drop(handles);
        VALUES_DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

impl Engine for Follower {
    fn report_clone(&self, _action: Action, _flags: u64, child: &Task) -> Action {
        let Ok(handle) = Follower::follow(child, Some(self.children.clone())) else {
            return Action::RESUME;
        };
        let mut list = self.children.list.lock();
        if list.reserve(1, GFP_ATOMIC).is_ok() {
            // Within the capacity just reserved: cannot fail.
            let _ = list.push(handle, GFP_ATOMIC);
        } else {
            drop(list);
            // Not kept: detached (and waited for) here, outside the lock.
            drop(handle);
        }
        Action::RESUME
    }

    fn report_reap(&self, _task: &Task) {
        // Softirq: take this thread's handle out of its parent's list and drop it here.
        let Some(siblings) = &self.siblings else {
            return;
        };
        let handle = {
            let mut list = siblings.list.lock();
            let i = list.iter().position(|h| h.task().pid() == self.pid);
            i.and_then(|i| list.remove(i).ok())
        };
        if let Some(handle) = handle {
            DROPPED_AT_REAP.fetch_add(1, Ordering::Relaxed);
            drop(handle);
        }
    }
}

/// The module: the first follower's handle.
struct FollowModule {
    root: Option<Attached<Follower>>,
}

impl kernel::Module for FollowModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let tid = module_parameters::tid.value();
        if tid == 0 {
            return Ok(FollowModule { root: None });
        }
        let task = utrace::task_by_tid(tid).ok_or(ESRCH)?;
        Ok(FollowModule {
            root: Some(Follower::follow(&task, None)?),
        })
    }
}

impl Drop for FollowModule {
    fn drop(&mut self) {
        // Detach, barrier and put the first follower: its value goes, and with it the
        // handles of the children still followed.
        self.root.take();
        pr_info!(
            "followed {}, dropped in report_reap {}, values dropped {}\n",
            FOLLOWED.load(Ordering::Relaxed),
            DROPPED_AT_REAP.load(Ordering::Relaxed),
            VALUES_DROPPED.load(Ordering::Relaxed)
        );
    }
}
