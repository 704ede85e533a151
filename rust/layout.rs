// SPDX-License-Identifier: GPL-2.0

//! Load-time check of the `kernel::bindings` struct layouts against the C compiler.
//!
//! The kernel runs bindgen with `--no-layout-tests`, and bindgen has been seen to get
//! `task_struct` wrong (an empty `____cacheline_aligned` struct loses its alignment when
//! `CONFIG_SCHEDSTATS=n`, moving every later field 48 bytes early). A module that read
//! `pid` through such bindings would read garbage. So every field the module touches through
//! bindings is listed here and in `utrace_glue.c`, and the module refuses to load unless the
//! offset and size agree for each of them.

use core::ffi::CStr;
use core::fmt;
use core::mem::{offset_of, size_of};
use kernel::bindings;
use kernel::prelude::*;

use crate::glue;

/// The size of a field's type, without ever touching a value of the struct.
///
/// The closure is only used for type inference and is never called.
const fn field_size<T, F>(_field: fn(*const T) -> *const F) -> usize {
    size_of::<F>()
}

/// `(name, offset, size)` of a field as Rust sees it through `kernel::bindings`.
macro_rules! field {
    (abi $s:ident . $f:ident) => {
        RustField {
            name: concat!(stringify!($s), ".", stringify!($f)),
            offset: offset_of!(crate::abi::$s, $f),
            // SAFETY: as below.
            size: field_size::<crate::abi::$s, _>(|p| unsafe { &raw const (*p).$f }),
        }
    };
    (abi $s:ident) => {
        RustField {
            name: stringify!($s),
            offset: 0,
            size: size_of::<crate::abi::$s>(),
        }
    };
    ($s:ident . $f:ident) => {
        RustField {
            name: concat!(stringify!($s), ".", stringify!($f)),
            offset: offset_of!(bindings::$s, $f),
            // SAFETY: `&raw const` computes a field address without reading or creating a
            // reference; the closure is never called (see `field_size`).
            size: field_size::<bindings::$s, _>(|p| unsafe { &raw const (*p).$f }),
        }
    };
    ($s:ident) => {
        RustField {
            name: stringify!($s),
            offset: 0,
            size: size_of::<bindings::$s>(),
        }
    };
}

struct RustField {
    name: &'static str,
    offset: usize,
    size: usize,
}

/// Same rows, same order as `utrace_c_layout[]` in `utrace_glue.c`.
const LAYOUT: &[RustField] = &[
    field!(task_struct),
    field!(task_struct.__state),
    field!(task_struct.flags),
    field!(task_struct.exit_state),
    field!(task_struct.exit_code),
    field!(task_struct.pid),
    field!(task_struct.tgid),
    field!(task_struct.real_parent),
    field!(task_struct.group_leader),
    field!(task_struct.mm),
    field!(task_struct.signal),
    field!(task_struct.sighand),
    field!(task_struct.nvcsw),
    field!(task_struct.nivcsw),
    field!(task_struct.task_works),
    field!(task_struct.comm),
    field!(pt_regs),
    field!(pt_regs.orig_ax),
    field!(pt_regs.ax),
    field!(pt_regs.ip),
    field!(pt_regs.flags),
    field!(pt_regs.sp),
    field!(pt_regs.di),
    field!(pt_regs.si),
    field!(pt_regs.dx),
    field!(pt_regs.r10),
    field!(pt_regs.r8),
    field!(pt_regs.r9),
    field!(tracepoint),
    field!(tracepoint.name),
    field!(callback_head),
    field!(callback_head.next),
    field!(callback_head.func),
    field!(task_struct.exit_signal),
    field!(abi utrace_engine.ops),
    field!(abi utrace_engine.data),
    field!(abi utrace_engine.flags),
    field!(abi utrace_engine_ops),
    field!(abi utrace_engine_ops.report_quiesce),
    field!(abi utrace_engine_ops.report_signal),
    field!(abi utrace_engine_ops.report_clone),
    field!(abi utrace_engine_ops.report_jctl),
    field!(abi utrace_engine_ops.report_exec),
    field!(abi utrace_engine_ops.report_syscall_entry),
    field!(abi utrace_engine_ops.report_syscall_exit),
    field!(abi utrace_engine_ops.report_exit),
    field!(abi utrace_engine_ops.report_death),
    field!(abi utrace_engine_ops.report_reap),
    field!(abi utrace_engine_ops.release),
    field!(kernel_siginfo),
    field!(k_sigaction),
];

/// The field whose expected offset the `test_layout_skew` parameter moves.
const SKEW_FIELD: &str = "task_struct.pid";

/// The outcome of a successful check, kept for debugfs.
pub(crate) struct LayoutReport {
    rows: &'static [RustField],
}

impl LayoutReport {
    /// Number of fields and structs checked.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// One line per field: `name offset size`.
    pub(crate) fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.rows {
            writeln!(f, "{} offset={} size={} ok", r.name, r.offset, r.size)?;
        }
        Ok(())
    }
}

/// The C glue's table as a safe slice.
fn c_layout() -> &'static [glue::CLayoutEntry] {
    let mut count = 0usize;
    // SAFETY: `utrace_glue_layout` only writes `count` and returns a pointer to a static
    // const array of exactly `count` entries that lives as long as this module.
    let ptr = unsafe { glue::utrace_glue_layout(&mut count) };
    // SAFETY: see above: `ptr` is valid for `count` reads, is aligned, and is never written.
    unsafe { core::slice::from_raw_parts(ptr, count) }
}

/// Compares every row of [`LAYOUT`] with the C compiler's offsets and sizes.
///
/// `skew` is added to the Rust offset of [`SKEW_FIELD`] (test only). Returns `EINVAL` after
/// printing every mismatching row.
pub(crate) fn check(skew: i32) -> Result<LayoutReport> {
    let c = c_layout();
    if c.len() != LAYOUT.len() {
        pr_err!(
            "layout table mismatch: C glue lists {} fields, Rust lists {}\n",
            c.len(),
            LAYOUT.len()
        );
        return Err(EINVAL);
    }

    let mut bad = 0;
    for (r, c) in LAYOUT.iter().zip(c) {
        // SAFETY: every `name` in the C table is a string literal (NUL-terminated, static).
        let c_name = unsafe { CStr::from_char_ptr(c.name) };
        if c_name.to_bytes() != r.name.as_bytes() {
            pr_err!(
                "layout table out of order: C row {:?}, Rust row {}\n",
                c_name,
                r.name
            );
            return Err(EINVAL);
        }
        let mut offset = r.offset;
        if r.name == SKEW_FIELD {
            offset = offset.wrapping_add_signed(skew as isize);
        }
        if offset != c.offset || r.size != c.size {
            pr_err!(
                "layout mismatch: {}: C offset {} size {}, Rust bindings offset {} size {}\n",
                r.name,
                c.offset,
                c.size,
                offset,
                r.size
            );
            bad += 1;
        }
    }
    if bad != 0 {
        pr_err!(
            "refusing to load: {} struct field(s) differ between C and kernel::bindings; \
             is the kernel built with CONFIG_SCHEDSTATS=y and the same bindgen?\n",
            bad
        );
        return Err(EINVAL);
    }
    Ok(LayoutReport { rows: LAYOUT })
}
