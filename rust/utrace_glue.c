// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for utrace.ko: what Rust cannot or should not do itself.
 *
 * - The C compiler's view of the struct fields the Rust code reads through kernel::bindings.
 *   bindgen has been seen to lay out task_struct wrongly (an empty ____cacheline_aligned
 *   struct loses its alignment with CONFIG_SCHEDSTATS=n), and the kernel runs bindgen with
 *   --no-layout-tests, so the module checks the two views against each other at load time
 *   (rust/layout.rs) and refuses to load on any difference.
 *
 * No module_init()/module_exit() here: the Rust crate's module! macro owns those.
 */
#include <linux/stddef.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <asm/ptrace.h>

#include "utrace_glue.h"

#define UTRACE_FIELD(s, f) { #s "." #f, offsetof(struct s, f), sizeof_field(struct s, f) }
#define UTRACE_STRUCT(s) { #s, 0, sizeof(struct s) }

/*
 * Every field the Rust side reads or writes through kernel::bindings, in the same order as
 * LAYOUT in rust/layout.rs. Add a field here and there before the code touches it.
 */
static const struct utrace_layout_entry utrace_c_layout[] = {
	UTRACE_STRUCT(task_struct),
	UTRACE_FIELD(task_struct, __state),
	UTRACE_FIELD(task_struct, flags),
	UTRACE_FIELD(task_struct, exit_state),
	UTRACE_FIELD(task_struct, exit_code),
	UTRACE_FIELD(task_struct, pid),
	UTRACE_FIELD(task_struct, tgid),
	UTRACE_FIELD(task_struct, real_parent),
	UTRACE_FIELD(task_struct, group_leader),
	UTRACE_FIELD(task_struct, mm),
	UTRACE_FIELD(task_struct, signal),
	UTRACE_FIELD(task_struct, sighand),
	UTRACE_FIELD(task_struct, nvcsw),
	UTRACE_FIELD(task_struct, nivcsw),
	UTRACE_FIELD(task_struct, task_works),
	UTRACE_FIELD(task_struct, comm),
	UTRACE_STRUCT(pt_regs),
	UTRACE_FIELD(pt_regs, orig_ax),
	UTRACE_FIELD(pt_regs, ax),
	UTRACE_FIELD(pt_regs, ip),
	UTRACE_FIELD(pt_regs, flags),
	UTRACE_FIELD(pt_regs, sp),
	UTRACE_FIELD(pt_regs, di),
	UTRACE_FIELD(pt_regs, si),
	UTRACE_FIELD(pt_regs, dx),
	UTRACE_FIELD(pt_regs, r10),
	UTRACE_FIELD(pt_regs, r8),
	UTRACE_FIELD(pt_regs, r9),
	UTRACE_STRUCT(tracepoint),
	UTRACE_FIELD(tracepoint, name),
	UTRACE_STRUCT(callback_head),
	UTRACE_FIELD(callback_head, next),
	UTRACE_FIELD(callback_head, func),
};

const struct utrace_layout_entry *utrace_glue_layout(size_t *count)
{
	*count = ARRAY_SIZE(utrace_c_layout);
	return utrace_c_layout;
}
