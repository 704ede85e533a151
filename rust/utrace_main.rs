// SPDX-License-Identifier: GPL-2.0

//! utrace: process tracing for engines, as a loadable module on an unmodified kernel.
//!
//! This is the crate root of the composite module `utrace.ko` (see `Kbuild`). One file per
//! concern:
//!
//! - [`layout`]: the `kernel::bindings` struct layout check against the C compiler.
//! - [`hooks`]: the kernel tracepoints utrace hooks, found by name at load time.
//! - [`debugfs`]: `/sys/kernel/debug/utrace/`, the module's state for people and tests.
//! - [`glue`]: declarations of the C glue (`utrace_glue.c`), the only FFI to our own C.
//!
//! Load order matters: the layout check runs first, because nothing the module reads
//! through bindings can be trusted if it fails; then the hooks are looked up; debugfs last.

use kernel::prelude::*;
use kernel::sync::Arc;

mod debugfs;
mod glue;
mod hooks;
mod layout;

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
        test_missing_tracepoint: bool {
            default: false,
            description: "Test only: also require a tracepoint that does not exist, so the hook lookup must refuse to load",
        },
    },
}

/// The module instance: owns everything that lives from `insmod` to `rmmod`.
struct UtraceModule {
    // Dropped first (fields drop in declaration order): debugfs files hold references to the
    // state below and must be gone before it is.
    _debugfs: debugfs::DebugFs,
    _hooks: Arc<hooks::Hooks>,
    _layout: Arc<layout::LayoutReport>,
}

impl kernel::Module for UtraceModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let skew = module_parameters::test_layout_skew.value();
        let layout = Arc::new(layout::check(skew)?, GFP_KERNEL)?;

        let missing = module_parameters::test_missing_tracepoint.value();
        let hooks = Arc::new(hooks::Hooks::find(missing)?, GFP_KERNEL)?;

        let debugfs = debugfs::DebugFs::new(hooks.clone(), layout.clone())?;

        pr_info!(
            "loaded: {} struct fields match the C layout, {} tracepoints found\n",
            layout.len(),
            hooks.len()
        );
        Ok(UtraceModule {
            _debugfs: debugfs,
            _hooks: hooks,
            _layout: layout,
        })
    }
}

impl Drop for UtraceModule {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
