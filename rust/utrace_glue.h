/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the C glue in utrace.ko. The Rust side declares the same functions in
 * rust/glue.rs; keep the two in step.
 */
#ifndef _UTRACE_GLUE_H
#define _UTRACE_GLUE_H

#include <linux/types.h>

/* The C compiler's offset and size of one struct field (or a whole struct, offset 0). */
struct utrace_layout_entry {
	const char *name;	/* "struct.field" or "struct" */
	size_t offset;
	size_t size;
};

const struct utrace_layout_entry *utrace_glue_layout(size_t *count);

#endif /* _UTRACE_GLUE_H */
