// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of the syscall-entry path (rust/probes.rs, rust/entrymask.rs): seccomp and ptrace
 * state of current that Rust has no binding for, and the masking of its syscall_work bits
 * that keeps utrace's syscall restart out of ptrace's and seccomp's sight.
 *
 * The entry code reads current_thread_info()->syscall_work afresh at each syscall entry
 * (syscall_enter_from_user_mode_work()) and exit (syscall_exit_to_user_mode_work()):
 * SYSCALL_WORK_SYSCALL_TRACE decides ptrace's syscall stops, SYSCALL_WORK_SECCOMP whether
 * the filters run. rust/entrymask.rs clears them for one pass and sets them back; why each
 * step is safe against the other writers of those bits is explained there.
 */
#include <linux/compat.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
#include <linux/thread_info.h>

#include "utrace_glue.h"

/*
 * Stored in current->exit_code while SYSCALL_TRACE is masked. exit_code is 0 for a thread
 * that runs; only a ptrace stop writes it (ptrace_stop() at its start, ptrace_resume() and
 * ptrace_detach() while the thread is stopped, ptrace_stop() zeroes it at its end, all under
 * siglock) until do_exit(). So "still UTRACE_TRACE_MASKED" means: no ptrace stop since.
 */
#define UTRACE_TRACE_MASKED	0x75740000

bool utrace_glue_seccomp_active(void)
{
	return READ_ONCE(current->seccomp.mode) != SECCOMP_MODE_DISABLED;
}

bool utrace_glue_in_compat_syscall(void)
{
	return in_compat_syscall();
}

bool utrace_glue_mask_trace(struct task_struct **tracer)
{
	struct task_struct *t = current;
	bool masked = false;

	spin_lock_irq(&t->sighand->siglock);
	if ((t->ptrace & PT_PTRACED) && test_syscall_work(SYSCALL_TRACE) && !t->exit_code) {
		rcu_read_lock();
		*tracer = get_task_struct(rcu_dereference(t->parent));
		rcu_read_unlock();
		clear_syscall_work(SYSCALL_TRACE);
		t->exit_code = UTRACE_TRACE_MASKED;
		masked = true;
	}
	spin_unlock_irq(&t->sighand->siglock);
	return masked;
}

/*
 * Sets SYSCALL_TRACE of @task (current, or a thread of one being unloaded) again if no
 * ptrace stop happened since it was masked (a stop's resume wrote the tracer's own choice:
 * PTRACE_SYSCALL set the bit, PTRACE_CONT cleared it) and @tracer still traces it. The
 * only writer of the bit outside a ptrace stop is __ptrace_unlink() when the tracer exits;
 * the tracer sets PF_EXITING before (exit_signals() long before exit_notify()), so the bit
 * is set first, then the tracer checked: an unlink that cleared the bit before our set is
 * seen (PF_EXITING, or parent/ptrace changed) and our set undone; one after clears it
 * itself. The reference on @tracer (taken at mask time) keeps its address from being
 * reused. Under siglock no ptrace stop can begin (ptrace_stop() runs under it), so no
 * ptrace_resume() can run concurrently either. Drops @tracer.
 */
bool utrace_glue_restore_trace(struct task_struct *task, struct task_struct *tracer,
			       bool siglock_held)
{
	bool restored = false;
	unsigned long flags = 0;

	if (!siglock_held)
		spin_lock_irqsave(&task->sighand->siglock, flags);
	if (task->exit_code == UTRACE_TRACE_MASKED) {
		task->exit_code = 0;
		set_task_syscall_work(task, SYSCALL_TRACE);
		/* Pairs with the tracer's PF_EXITING before __ptrace_unlink(): see above. */
		smp_mb__after_atomic();
		rcu_read_lock();
		restored = (task->ptrace & PT_PTRACED) &&
			   rcu_dereference(task->parent) == tracer &&
			   !(READ_ONCE(tracer->flags) & PF_EXITING);
		rcu_read_unlock();
		if (!restored)
			clear_task_syscall_work(task, SYSCALL_TRACE);
	}
	if (!siglock_held)
		spin_unlock_irqrestore(&task->sighand->siglock, flags);
	put_task_struct(tracer);
	return restored;
}

bool utrace_glue_mask_seccomp(void)
{
	if (!test_syscall_work(SECCOMP))
		return false;
	clear_syscall_work(SECCOMP);
	return true;
}

/*
 * SYSCALL_WORK_SECCOMP is set whenever a mode is (seccomp_assign_mode(), also for the other
 * threads of a TSYNC filter) and never cleared: setting it from the mode is always right.
 */
void utrace_glue_restore_seccomp(struct task_struct *task)
{
	if (READ_ONCE(task->seccomp.mode) != SECCOMP_MODE_DISABLED)
		set_task_syscall_work(task, SECCOMP);
}

void utrace_glue_put_task(struct task_struct *task)
{
	put_task_struct(task);
}
