// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_harm: the engines of the do-no-harm comparison (tests/harm/) and of the seccomp
 * tests (tests/seccomp_rewrite_test.c). A thread attaches an engine to itself by writing
 * one command to /sys/kernel/debug/utrace_harm/self, then usually execs the program to be
 * traced; the engine follows every clone (report_clone attaches the same kind of engine to
 * the child before it runs) and stays through exec.
 *
 *   follow               every event (QUIESCE first), every answer UTRACE_RESUME: every
 *                        signal intercepted and delivered unchanged (stats: "signal" the
 *                        intercepted ones, "signal_observed" those reported after the fact)
 *   stopall [MS]         the same, but every syscall entry answers UTRACE_STOP; a kernel
 *                        thread (the resumer) resumes it, after utrace_barrier() (and MS
 *                        milliseconds), with utrace_control(UTRACE_RESUME); the re-run
 *                        (UTRACE_SYSCALL_RESUMED) is let through
 *   rewrite FROM TO      syscall FROM is changed into TO in report_syscall_entry, without
 *                        stopping
 *   rewrite FROM TO stop syscall FROM stops; the resumer changes it into TO while the
 *                        thread is stopped, then resumes it
 *
 * /sys/kernel/debug/utrace_harm/stats: what the engines saw (one "name value" per line), so
 * that a comparison run can show the engines were there.
 *
 * Every engine is on a global list and holds one reference, given back at reap (or at
 * module exit, after UTRACE_DETACH and utrace_barrier()).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/utrace.h>
#include <linux/wait.h>

enum harm_mode { HARM_FOLLOW, HARM_STOPALL, HARM_REWRITE };

struct harm {
	struct list_head node;		/* harm_all, until reaped or detached at exit */
	struct list_head stopq;		/* harm_stopq while the resumer owes it a resume */
	struct task_struct *task;	/* a reference, dropped in release */
	struct utrace_engine *engine;	/* our reference, given back at reap or exit */
	enum harm_mode mode;
	long from, to;
	bool stop_rewrite;		/* rewrite while stopped (by the resumer) */
	bool rewrite_pending;		/* the resumer has to rewrite before resuming */
};

static DEFINE_SPINLOCK(harm_lock);
static LIST_HEAD(harm_all);
static LIST_HEAD(harm_stopq);
static DECLARE_WAIT_QUEUE_HEAD(harm_wq);
static struct task_struct *harm_resumer;
static struct dentry *harm_dir;

enum {
	ST_ATTACHED, ST_RELEASED, ST_QUIESCE, ST_CLONE, ST_EXEC, ST_EXIT, ST_DEATH, ST_REAP,
	ST_ENTRY, ST_RESUMED, ST_EXIT_SYSCALL, ST_SIGNAL, ST_SIGNAL_OBSERVED, ST_STOPS,
	ST_RESUMES, ST_REWRITES, ST_ATTACH_FAILED, ST_N
};
static const char *const st_names[ST_N] = {
	"attached", "released", "quiesce", "clone", "exec", "exit", "death", "reap",
	"syscall_entry", "syscall_resumed", "syscall_exit", "signal", "signal_observed", "stops",
	"resumes", "rewrites", "attach_failed",
};
static atomic_long_t st[ST_N];

static int harm_attach(struct task_struct *task, enum harm_mode mode, long from, long to,
		       bool stop_rewrite);

static unsigned long harm_events(enum harm_mode mode)
{
	if (mode == HARM_REWRITE)
		return UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(CLONE) | UTRACE_EVENT(REAP);
	return UTRACE_EVENT_ALL & ~UTRACE_EVENT(JCTL);
}

/* Hands @h to the resumer; the stop's wake-up is delivered once the thread committed. */
static void harm_queue_resume(struct harm *h)
{
	utrace_engine_get(h->engine);	/* the resumer's, put after the resume */
	spin_lock_irq(&harm_lock);
	list_add_tail(&h->stopq, &harm_stopq);
	spin_unlock_irq(&harm_lock);
	atomic_long_inc(&st[ST_STOPS]);
	utrace_wake_up(&harm_wq);
}

static u32 harm_quiesce(u32 action, struct utrace_engine *engine, unsigned long event)
{
	atomic_long_inc(&st[ST_QUIESCE]);
	return UTRACE_RESUME;
}

static u32 harm_signal(u32 action, struct utrace_engine *engine, struct pt_regs *regs,
		       struct kernel_siginfo *info, const struct k_sigaction *orig_ka,
		       struct k_sigaction *return_ka)
{
	/*
	 * Every signal is let through as it is: UTRACE_SIGNAL_DELIVER (0) with the siginfo
	 * untouched, for an intercepted one (before the kernel acts on it) as for an observed one.
	 */
	if (action & UTRACE_SIGNAL_OBSERVED)
		atomic_long_inc(&st[ST_SIGNAL_OBSERVED]);
	else
		atomic_long_inc(&st[ST_SIGNAL]);
	return UTRACE_RESUME | UTRACE_SIGNAL_DELIVER;
}

static u32 harm_clone(u32 action, struct utrace_engine *engine, unsigned long clone_flags,
		      struct task_struct *child)
{
	struct harm *h = engine->data;

	atomic_long_inc(&st[ST_CLONE]);
	if (harm_attach(child, h->mode, h->from, h->to, h->stop_rewrite))
		atomic_long_inc(&st[ST_ATTACH_FAILED]);
	return UTRACE_RESUME;
}

static u32 harm_exec(u32 action, struct utrace_engine *engine, const struct linux_binfmt *fmt,
		     const struct linux_binprm *bprm, struct pt_regs *regs)
{
	atomic_long_inc(&st[ST_EXEC]);
	return UTRACE_RESUME;
}

static u32 harm_syscall_entry(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	struct harm *h = engine->data;
	u32 sys = utrace_syscall_action(action);

	if (action & UTRACE_SYSCALL_RESUMED) {
		atomic_long_inc(&st[ST_RESUMED]);
		return UTRACE_RESUME | sys;
	}
	atomic_long_inc(&st[ST_ENTRY]);
	switch (h->mode) {
	case HARM_FOLLOW:
		break;
	case HARM_STOPALL:
		harm_queue_resume(h);
		return UTRACE_STOP | sys;
	case HARM_REWRITE:
		if ((long)regs->orig_ax != h->from)
			break;
		if (h->stop_rewrite) {
			h->rewrite_pending = true;
			harm_queue_resume(h);
			return UTRACE_STOP | sys;
		}
		regs->orig_ax = h->to;
		atomic_long_inc(&st[ST_REWRITES]);
		break;
	}
	return UTRACE_RESUME | sys;
}

static u32 harm_syscall_exit(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	atomic_long_inc(&st[ST_EXIT_SYSCALL]);
	return UTRACE_RESUME;
}

static u32 harm_exit(u32 action, struct utrace_engine *engine, long orig_code, long *code)
{
	atomic_long_inc(&st[ST_EXIT]);
	return UTRACE_RESUME;
}

static u32 harm_death(struct utrace_engine *engine, bool group_dead, int signal)
{
	atomic_long_inc(&st[ST_DEATH]);
	return UTRACE_RESUME;
}

static void harm_reap(struct utrace_engine *engine, struct task_struct *task)
{
	struct harm *h = engine->data;
	bool ours;

	atomic_long_inc(&st[ST_REAP]);
	/* Whoever takes @h off harm_all (reap or module exit) gives our reference back. */
	spin_lock_irq(&harm_lock);
	ours = !list_empty(&h->node);
	list_del_init(&h->node);
	spin_unlock_irq(&harm_lock);
	if (ours)
		utrace_engine_put(engine);
}

static void harm_release(void *data)
{
	struct harm *h = data;

	atomic_long_inc(&st[ST_RELEASED]);
	put_task_struct(h->task);
	kfree(h);
}

static const struct utrace_engine_ops harm_ops = {
	.report_quiesce = harm_quiesce,
	.report_signal = harm_signal,
	.report_clone = harm_clone,
	.report_exec = harm_exec,
	.report_syscall_entry = harm_syscall_entry,
	.report_syscall_exit = harm_syscall_exit,
	.report_exit = harm_exit,
	.report_death = harm_death,
	.report_reap = harm_reap,
	.release = harm_release,
};

static int harm_attach(struct task_struct *task, enum harm_mode mode, long from, long to,
		       bool stop_rewrite)
{
	struct utrace_engine *engine;
	struct harm *h;
	int ret;

	h = kzalloc_obj(*h, GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	INIT_LIST_HEAD(&h->node);
	INIT_LIST_HEAD(&h->stopq);
	h->task = get_task_struct(task);
	h->mode = mode;
	h->from = from;
	h->to = to;
	h->stop_rewrite = stop_rewrite;
	engine = utrace_attach_task(task, UTRACE_ATTACH_CREATE, &harm_ops, h);
	if (IS_ERR(engine)) {
		put_task_struct(h->task);
		kfree(h);
		return PTR_ERR(engine);
	}
	h->engine = engine;
	spin_lock_irq(&harm_lock);
	list_add_tail(&h->node, &harm_all);
	spin_unlock_irq(&harm_lock);
	atomic_long_inc(&st[ST_ATTACHED]);
	ret = utrace_set_events(task, engine, harm_events(mode));
	/* A thread that is already exiting keeps the engine until it is reaped. */
	return ret == -EALREADY ? 0 : ret;
}

/* Waits (10 s at most) until @h's thread is parked, then changes its syscall. */
static void harm_rewrite_stopped(struct harm *h)
{
	struct utrace_examiner exam;
	int i, ret = -EAGAIN;

	for (i = 0; i < 10000 && ret == -EAGAIN; i++) {
		ret = utrace_prepare_examine(h->task, h->engine, &exam);
		if (ret == -EAGAIN)
			usleep_range(500, 1000);
	}
	if (ret) {
		pr_err("utrace_harm: cannot examine the stopped thread %d: %d\n",
		       task_pid_nr(h->task), ret);
		return;
	}
	task_pt_regs(h->task)->orig_ax = h->to;
	if (!utrace_finish_examine(h->task, h->engine, &exam))
		atomic_long_inc(&st[ST_REWRITES]);
}

static int harm_resume_thread(void *unused)
{
	while (!kthread_should_stop()) {
		struct harm *h = NULL;

		wait_event_interruptible(harm_wq, !list_empty(&harm_stopq) ||
					 kthread_should_stop());
		spin_lock_irq(&harm_lock);
		if (!list_empty(&harm_stopq)) {
			h = list_first_entry(&harm_stopq, struct harm, stopq);
			list_del_init(&h->stopq);
		}
		spin_unlock_irq(&harm_lock);
		if (!h)
			continue;
		/* The callback that asked for the stop has returned. */
		utrace_barrier(h->task, h->engine);
		if (h->mode == HARM_STOPALL && h->from > 0)
			msleep(h->from);
		if (h->rewrite_pending) {
			h->rewrite_pending = false;
			harm_rewrite_stopped(h);
		}
		utrace_control(h->task, h->engine, UTRACE_RESUME);
		atomic_long_inc(&st[ST_RESUMES]);
		utrace_engine_put(h->engine);
	}
	return 0;
}

static ssize_t harm_self_write(struct file *file, const char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	char buf[64], word[16], stop[8] = "";
	long from = 0, to = 0;
	enum harm_mode mode;
	int n, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%15s %ld %ld %7s", word, &from, &to, stop);
	if (n >= 1 && !strcmp(word, "follow"))
		mode = HARM_FOLLOW;
	else if (n >= 1 && !strcmp(word, "stopall") && n <= 2 && from >= 0 && from <= 10000)
		mode = HARM_STOPALL;
	else if (n >= 3 && !strcmp(word, "rewrite"))
		mode = HARM_REWRITE;
	else
		return -EINVAL;
	if (n == 4 && strcmp(stop, "stop"))
		return -EINVAL;
	ret = harm_attach(current, mode, from, to, n == 4);
	return ret ? ret : len;
}

static const struct file_operations harm_self_fops = {
	.owner = THIS_MODULE,
	.write = harm_self_write,
};

static int harm_stats_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < ST_N; i++)
		seq_printf(m, "%s %ld\n", st_names[i], atomic_long_read(&st[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(harm_stats);

static int __init harm_init(void)
{
	harm_resumer = kthread_run(harm_resume_thread, NULL, "utrace_harm");
	if (IS_ERR(harm_resumer))
		return PTR_ERR(harm_resumer);
	harm_dir = debugfs_create_dir("utrace_harm", NULL);
	debugfs_create_file("self", 0200, harm_dir, NULL, &harm_self_fops);
	debugfs_create_file("stats", 0444, harm_dir, NULL, &harm_stats_fops);
	return 0;
}

static void __exit harm_exit_module(void)
{
	struct harm *h;

	debugfs_remove_recursive(harm_dir);
	for (;;) {
		spin_lock_irq(&harm_lock);
		h = list_first_entry_or_null(&harm_all, struct harm, node);
		if (h)
			list_del_init(&h->node);
		spin_unlock_irq(&harm_lock);
		if (!h)
			break;
		utrace_control(h->task, h->engine, UTRACE_DETACH);
		while (utrace_barrier(h->task, h->engine) == -ERESTARTSYS)
			usleep_range(1000, 2000);
		utrace_engine_put(h->engine);
	}
	/* Detached engines make no more callbacks: the resumer's queue only drains. */
	kthread_stop(harm_resumer);
	while (!list_empty(&harm_stopq)) {
		h = list_first_entry(&harm_stopq, struct harm, stopq);
		list_del_init(&h->stopq);
		utrace_engine_put(h->engine);
	}
}

module_init(harm_init);
module_exit(harm_exit_module);
MODULE_DESCRIPTION("utrace engines for the do-no-harm comparison and the seccomp tests");
MODULE_LICENSE("GPL");
