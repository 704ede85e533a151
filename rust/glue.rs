// SPDX-License-Identifier: GPL-2.0

//! Declarations of the functions and data in `utrace_glue.c`.
//!
//! bindgen cannot be run for an out-of-tree module (its flags are private to `rust/Makefile`),
//! so every C function of our own is declared here by hand, with `kernel::bindings` types.
//! Each declaration must match its prototype in `utrace_glue.h` exactly: kCFI checks indirect
//! calls by type, and a mismatch here is undefined behaviour without any diagnostic.

use kernel::ffi::c_char;

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

extern "C" {
    /// Returns the C layout table and stores its length in `*count`. The table is static
    /// const data in this module: valid and immutable for as long as the module is loaded.
    pub(crate) fn utrace_glue_layout(count: *mut usize) -> *const CLayoutEntry;
}
