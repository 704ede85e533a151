// SPDX-License-Identifier: GPL-2.0

//! `/sys/kernel/debug/utrace/`: the module's state, for people and for the tests.
//!
//! - `hooks`: each tracepoint utrace hooks, whether it was found, and the events it feeds.
//! - `layout`: each struct field checked against the C compiler, with its offset and size.
//! - `state`: a summary: API version, counts, and the live per-task states and engines
//!   (the tests use these to check that nothing leaks).
//!
//! Files are read-only and formatted on each read from the live state.

use core::fmt;
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::hooks::Hooks;
use crate::layout::LayoutReport;

/// The engine API version this module implements (the original's `UTRACE_API_VERSION`
/// scheme: a date).
pub(crate) const API_VERSION: u32 = 20261121;

/// What `state` shows.
struct Summary {
    hooks: Arc<Hooks>,
    layout: Arc<LayoutReport>,
}

impl Summary {
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "api_version {}", API_VERSION)?;
        writeln!(f, "hooks_found {}", self.hooks.len())?;
        writeln!(f, "layout_fields_checked {}", self.layout.len())?;
        writeln!(f, "tasks {}", crate::task::live_count())?;
        writeln!(f, "engines {}", crate::engine::live_count())?;
        writeln!(f, "stepping {}", crate::step::active_count())?;
        if let Some(n) = crate::testing::entered() {
            writeln!(f, "test_windows {}", n)?;
        }
        writeln!(
            f,
            "blockstep {}",
            if crate::step::block_step_supported() {
                "btf"
            } else {
                "single"
            }
        )
    }
}

/// The directory and its files; removed from debugfs when dropped.
pub(crate) struct DebugFs {
    // Files before the directory: fields drop in order and a file must go before its parent.
    _hooks: Pin<KBox<File<Arc<Hooks>>>>,
    _layout: Pin<KBox<File<Arc<LayoutReport>>>>,
    _state: Pin<KBox<File<Summary>>>,
    _dir: Dir,
}

impl DebugFs {
    pub(crate) fn new(hooks: Arc<Hooks>, layout: Arc<LayoutReport>) -> Result<Self> {
        let dir = Dir::new(c"utrace");
        let summary = Summary {
            hooks: hooks.clone(),
            layout: layout.clone(),
        };
        Ok(DebugFs {
            _hooks: KBox::pin_init(
                dir.read_callback_file(c"hooks", hooks, &|h: &Arc<Hooks>, f| h.render(f)),
                GFP_KERNEL,
            )?,
            _layout: KBox::pin_init(
                dir.read_callback_file(c"layout", layout, &|l: &Arc<LayoutReport>, f| l.render(f)),
                GFP_KERNEL,
            )?,
            _state: KBox::pin_init(
                dir.read_callback_file(c"state", summary, &|s: &Summary, f| s.render(f)),
                GFP_KERNEL,
            )?,
            _dir: dir,
        })
    }
}
