// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_leaky: an engine module that goes away without detaching (a buggy engine), for
 * utrace's handling of engine modules that leave engines behind (rust/modwatch.rs).
 *
 * Loaded with tid=TID, it attaches to that thread with SYSCALL_ENTRY and CLONE, and to every
 * child the thread creates from then on (report_clone), the same way. Its exit does not
 * detach anything: it marks its data torn down, then waits 300 ms before returning (its
 * data is "gone" for that long, while utrace has not yet been told: the module notifier
 * runs after the exit function). Callbacks that start in that time are counted ("late");
 * the count is printed when the exit function returns:
 *
 *   utrace_test_leaky: attached N, late callbacks L
 *
 * utrace must not call into a module whose exit has begun (L is at most the number of
 * callbacks already running when the exit began, one per traced thread), and must then
 * detach every engine the module left (its "went away with N engine(s)" warning).
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/utrace.h>

static int tid;
module_param(tid, int, 0444);
MODULE_PARM_DESC(tid, "thread to attach to (0: none)");

static bool torn_down;
static atomic_t attached = ATOMIC_INIT(0);
static atomic_t late = ATOMIC_INIT(0);

static const struct utrace_engine_ops leaky_ops;

#define LEAKY_EVENTS (UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(CLONE))

static void leaky_attach(struct task_struct *task)
{
	struct utrace_engine *engine;

	engine = utrace_attach_task(task, UTRACE_ATTACH_CREATE, &leaky_ops, NULL);
	if (IS_ERR(engine))
		return;
	if (!utrace_set_events(task, engine, LEAKY_EVENTS))
		atomic_inc(&attached);
	/* Leaked on purpose: the engine stays attached, its reference is never put. */
}

/* Whether the module's data is "gone": the callback counts itself late. */
static void leaky_check(void)
{
	if (READ_ONCE(torn_down))
		atomic_inc(&late);
}

static u32 leaky_syscall_entry(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	leaky_check();
	return UTRACE_RESUME;
}

static u32 leaky_clone(u32 action, struct utrace_engine *engine, unsigned long clone_flags,
		       struct task_struct *child)
{
	leaky_check();
	if (!READ_ONCE(torn_down))
		leaky_attach(child);
	return UTRACE_RESUME;
}

static const struct utrace_engine_ops leaky_ops = {
	.report_syscall_entry = leaky_syscall_entry,
	.report_clone = leaky_clone,
};

static int __init leaky_init(void)
{
	struct pid *pid;
	struct task_struct *task;

	if (!tid)
		return 0;
	pid = find_get_pid(tid);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task)
		return -ESRCH;
	leaky_attach(task);
	put_task_struct(task);
	return atomic_read(&attached) ? 0 : -EINVAL;
}

static void __exit leaky_exit(void)
{
	WRITE_ONCE(torn_down, true);
	msleep(300);
	pr_info("utrace_test_leaky: attached %d, late callbacks %d\n", atomic_read(&attached),
		atomic_read(&late));
}

module_init(leaky_init);
module_exit(leaky_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test: an engine module that leaks its engines");
