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
 * - The per-task table (an rhashtable keyed by task_struct pointer): lock-free lookups under
 *   RCU on the hot paths, entries freed after a grace period.
 * - Inline kernel helpers with no Rust binding (task_pt_regs, pid_alive, sig_kernel_*...).
 * - The exports of the engine API (the functions themselves are Rust, in rust/api.rs), and
 *   the *_pid variants, which are small enough to be clearer in C.
 *
 * No module_init()/module_exit() here: the Rust crate's module! macro owns those.
 */
#include <linux/stddef.h>
#include <linux/hugetlb.h>
#include <linux/hw_breakpoint.h>
#include <linux/kdebug.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/ratelimit.h>
#include <linux/regset.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/shmem_fs.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/uprobes.h>
#include <linux/wait.h>
#include <linux/utrace.h>
#include <linux/workqueue.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/trapnr.h>
#include <asm/ptrace.h>
#include <uapi/linux/rseq.h>

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
	UTRACE_FIELD(task_struct, exit_signal),
	UTRACE_FIELD(utrace_engine, ops),
	UTRACE_FIELD(utrace_engine, data),
	UTRACE_FIELD(utrace_engine, flags),
	UTRACE_STRUCT(utrace_engine_ops),
	UTRACE_FIELD(utrace_engine_ops, report_quiesce),
	UTRACE_FIELD(utrace_engine_ops, report_signal),
	UTRACE_FIELD(utrace_engine_ops, report_clone),
	UTRACE_FIELD(utrace_engine_ops, report_jctl),
	UTRACE_FIELD(utrace_engine_ops, report_exec),
	UTRACE_FIELD(utrace_engine_ops, report_syscall_entry),
	UTRACE_FIELD(utrace_engine_ops, report_syscall_exit),
	UTRACE_FIELD(utrace_engine_ops, report_exit),
	UTRACE_FIELD(utrace_engine_ops, report_death),
	UTRACE_FIELD(utrace_engine_ops, report_reap),
	UTRACE_FIELD(utrace_engine_ops, release),
	UTRACE_STRUCT(kernel_siginfo),
	UTRACE_STRUCT(k_sigaction),
};

const struct utrace_layout_entry *utrace_glue_layout(size_t *count)
{
	*count = ARRAY_SIZE(utrace_c_layout);
	return utrace_c_layout;
}

/*
 * The per-task table.
 *
 * One node per traced task, keyed by the task_struct pointer, pointing to the Rust per-task
 * state (struct UtraceTask, as the raw pointer of an Arc the table owns). Lookups run under
 * rcu_read_lock() without any lock. A removed node is freed after a grace period, and only
 * then is the table's Arc dropped (utrace_rust_table_release), so a pointer found under RCU
 * stays valid until rcu_read_unlock() whatever races with the removal.
 */
struct utrace_node {
	struct rhash_head node;
	const struct task_struct *task;
	void *utrace;
	struct rcu_head rcu;
};

static const struct rhashtable_params utrace_table_params = {
	.key_len = sizeof(const struct task_struct *),
	.key_offset = offsetof(struct utrace_node, task),
	.head_offset = offsetof(struct utrace_node, node),
	.automatic_shrinking = true,
};

static struct rhashtable utrace_table;

int utrace_glue_table_init(void)
{
	return rhashtable_init(&utrace_table, &utrace_table_params);
}

static void utrace_node_free_one(void *ptr, void *arg)
{
	/* Only reached if entries were left behind: the module removes all before this. */
	struct utrace_node *n = ptr;

	utrace_rust_table_release(n->utrace);
	kfree(n);
}

/* Called at unload after every entry was removed and utrace_glue_rcu_barrier(). */
void utrace_glue_table_destroy(void)
{
	rhashtable_free_and_destroy(&utrace_table, utrace_node_free_one, NULL);
}

/* Caller holds rcu_read_lock(); the result is valid until it drops it. */
void *utrace_glue_table_lookup(const struct task_struct *task)
{
	struct utrace_node *n;

	n = rhashtable_lookup(&utrace_table, &task, utrace_table_params);
	return n ? n->utrace : NULL;
}

/*
 * Insert @utrace for @task unless the task already has an entry. Returns @utrace when
 * inserted (the table now owns that reference), the existing entry's pointer with a new
 * reference for the caller (taken under RCU by utrace_rust_table_get()), or an ERR_PTR().
 * The caller must not be in an RCU read-side section: the node is allocated here.
 */
void *utrace_glue_table_insert(const struct task_struct *task, void *utrace, bool can_sleep)
{
	struct utrace_node *n, *old;
	void *ret = utrace;

	n = kzalloc_obj(*n, can_sleep ? GFP_KERNEL : GFP_ATOMIC);
	if (!n)
		return ERR_PTR(-ENOMEM);
	n->task = task;
	n->utrace = utrace;
	rcu_read_lock();
	old = rhashtable_lookup_get_insert_fast(&utrace_table, &n->node, utrace_table_params);
	if (IS_ERR(old)) {
		ret = old;
	} else if (old) {
		ret = old->utrace;
		utrace_rust_table_get(ret);
	}
	rcu_read_unlock();
	if (ret != utrace)
		kfree(n);
	return ret;
}

static void utrace_node_free_rcu(struct rcu_head *rcu)
{
	struct utrace_node *n = container_of(rcu, struct utrace_node, rcu);

	utrace_rust_table_release(n->utrace);
	kfree(n);
}

/*
 * Remove @task's entry if it still points to @utrace. Returns true if this call removed it;
 * the table's reference is dropped after a grace period.
 */
bool utrace_glue_table_remove(const struct task_struct *task, void *utrace)
{
	struct utrace_node *n;
	bool removed = false;

	rcu_read_lock();
	n = rhashtable_lookup(&utrace_table, &task, utrace_table_params);
	if (n && n->utrace == utrace &&
	    !rhashtable_remove_fast(&utrace_table, &n->node, utrace_table_params)) {
		call_rcu(&n->rcu, utrace_node_free_rcu);
		removed = true;
	}
	rcu_read_unlock();
	return removed;
}

/*
 * Take one entry out of the table, at unload, when no probe and no engine uses it any more.
 * Task_work still draining may remove entries concurrently: an entry it removed first is
 * skipped (its reference is dropped by utrace_node_free_rcu()). Returns the utrace pointer
 * with the table's reference, now the caller's, or NULL when the table is empty.
 */
void *utrace_glue_table_pop(void)
{
	struct rhashtable_iter iter;
	struct utrace_node *n;
	void *utrace = NULL;

	rhashtable_walk_enter(&utrace_table, &iter);
	rhashtable_walk_start(&iter);
	for (;;) {
		n = rhashtable_walk_next(&iter);
		if (IS_ERR(n) && PTR_ERR(n) == -EAGAIN)
			continue;
		if (IS_ERR_OR_NULL(n)) {
			n = NULL;
			break;
		}
		if (!rhashtable_remove_fast(&utrace_table, &n->node, utrace_table_params)) {
			utrace = n->utrace;
			break;
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	if (n)
		kfree_rcu(n, rcu);
	return utrace;
}

/*
 * Deferred probe (un)registration. A probe that became needed is registered at once (by the
 * caller if it may sleep, else by utrace_register_work); one no longer needed stays
 * registered until nobody has needed it for UTRACE_PROBE_LINGER. Registering a tracepoint
 * probe patches kernel text and waits for grace periods (milliseconds, tens under TCG); a
 * debugger's single step needs the step probes for a moment and gives them back, so
 * unregistering at once made every step after a continue pay a registration. A probe that
 * lingers costs its filter's one load per event, for a second.
 */
#define UTRACE_PROBE_LINGER	HZ

static void utrace_register_work_fn(struct work_struct *work)
{
	utrace_rust_sync_probes(false);
}

static void utrace_unregister_work_fn(struct work_struct *work)
{
	utrace_rust_sync_probes(true);
}

static DECLARE_WORK(utrace_register_work, utrace_register_work_fn);
static DECLARE_DELAYED_WORK(utrace_unregister_work, utrace_unregister_work_fn);

void utrace_glue_schedule_sync(void)
{
	schedule_work(&utrace_register_work);
}

/* Any context (mod_delayed_work() is IRQ-safe); each drop pushes the deadline back. */
void utrace_glue_schedule_unsync(void)
{
	mod_delayed_work(system_dfl_wq, &utrace_unregister_work, UTRACE_PROBE_LINGER);
}

/*
 * Unload: cancel both and keep them off. A need dropped later (none is known to be: see
 * utrace_main.rs) must not arm a timer that fires after the module's text is gone.
 */
void utrace_glue_cancel_sync(void)
{
	disable_work_sync(&utrace_register_work);
	disable_delayed_work_sync(&utrace_unregister_work);
}

/*
 * Call @fn for every entry, under RCU (@fn must not sleep). For the module notifier, which
 * collects the states to look at and then works on them outside the walk.
 */
void utrace_glue_table_walk(void (*fn)(void *utrace, void *arg), void *arg)
{
	struct rhashtable_iter iter;
	struct utrace_node *n;

	rhashtable_walk_enter(&utrace_table, &iter);
	rhashtable_walk_start(&iter);
	while ((n = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(n))	/* -EAGAIN: resized under us; entries may repeat, none is lost */
			continue;
		fn(n->utrace, arg);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/*
 * The modules that came after utrace (every engine module does: it links against utrace's
 * exports), so that an engine can be told which module its callbacks live in
 * (utrace_glue_module_of(), at attach; __module_address() is not exported) and utrace can
 * check, before calling into it, that the module's exit has not begun (rust/modwatch.rs).
 * Entries go at MODULE_STATE_GOING, after the module's engines were orphaned.
 */
struct utrace_mod {
	struct list_head list;
	struct module *mod;
};

static LIST_HEAD(utrace_mods);
static DEFINE_SPINLOCK(utrace_mods_lock);

static void utrace_mods_add(struct module *mod)
{
	struct utrace_mod *m = kzalloc_obj(*m, GFP_KERNEL);
	unsigned long flags;

	if (!m) {
		pr_warn("utrace: no memory to track module %s: its engines' calls are not checked against its exit\n",
			mod->name);
		return;
	}
	m->mod = mod;
	spin_lock_irqsave(&utrace_mods_lock, flags);
	list_add(&m->list, &utrace_mods);
	spin_unlock_irqrestore(&utrace_mods_lock, flags);
}

static void utrace_mods_forget(struct module *mod)
{
	struct utrace_mod *m, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&utrace_mods_lock, flags);
	list_for_each_entry(m, &utrace_mods, list) {
		if (m->mod == mod) {
			list_del(&m->list);
			found = m;
			break;
		}
	}
	spin_unlock_irqrestore(&utrace_mods_lock, flags);
	kfree(found);
}

/* The module (that came after utrace) whose memory holds @addr, or NULL. Any context. */
struct module *utrace_glue_module_of(const void *addr)
{
	struct module *found = NULL;
	struct utrace_mod *m;
	unsigned long flags;

	spin_lock_irqsave(&utrace_mods_lock, flags);
	list_for_each_entry(m, &utrace_mods, list) {
		if (within_module((unsigned long)addr, m->mod)) {
			found = m->mod;
			break;
		}
	}
	spin_unlock_irqrestore(&utrace_mods_lock, flags);
	return found;
}

/*
 * Whether @mod's exit has not begun: delete_module() sets MODULE_STATE_GOING before it
 * calls the exit function (the GOING notifier only runs after it). @mod is a tracked
 * module, valid until its GOING notifier returns.
 */
bool utrace_glue_module_live(const struct module *mod)
{
	return READ_ONCE(mod->state) != MODULE_STATE_GOING;
}

/*
 * Modules going away at once (the notifier chain is called under its rwsem for read, so
 * two can) take turns in utrace_rust_module_going(): it marks one module gone at a time.
 */
static DEFINE_MUTEX(utrace_going_mutex);

/*
 * Module notifier: track the modules that come; when one goes away (after its exit
 * function, or after a failed init), utrace detaches any engine it left attached
 * (rust/modwatch.rs), then forgets it.
 */
static int utrace_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == MODULE_STATE_COMING) {
		utrace_mods_add(data);
	} else if (action == MODULE_STATE_GOING) {
		mutex_lock(&utrace_going_mutex);
		utrace_rust_module_going(data);
		mutex_unlock(&utrace_going_mutex);
		utrace_mods_forget(data);
	}
	return NOTIFY_DONE;
}

static struct notifier_block utrace_module_nb = {
	.notifier_call = utrace_module_notify,
};

int utrace_glue_module_notifier_register(void)
{
	return register_module_notifier(&utrace_module_nb);
}

void utrace_glue_module_notifier_unregister(void)
{
	struct utrace_mod *m, *next;

	unregister_module_notifier(&utrace_module_nb);
	list_for_each_entry_safe(m, next, &utrace_mods, list) {
		list_del(&m->list);
		kfree(m);
	}
}

/*
 * The deferred release() calls (rust/engine.rs): a release that utrace's own reference
 * drop would make where the caller cannot sleep (the reap, in softirq; a detach under
 * siglock) runs here instead, in process context.
 */
static void utrace_release_work_fn(struct work_struct *work)
{
	utrace_rust_release_deferred();
}

static DECLARE_WORK(utrace_release_work, utrace_release_work_fn);

void utrace_glue_schedule_release(void)
{
	schedule_work(&utrace_release_work);
}

/* Waits until every release deferred so far has run. Process context. */
void utrace_glue_flush_release(void)
{
	flush_work(&utrace_release_work);
}

bool utrace_glue_within_module(const void *addr, const struct module *mod)
{
	return within_module((unsigned long)addr, mod);
}

const char *utrace_glue_module_name(const struct module *mod)
{
	return mod->name;
}

/*
 * Unload: wait until no task can still be executing the last instructions of one of our
 * task_work callbacks (after the count that unload waits for was decremented). Without
 * CONFIG_TASKS_RCU (no preemptible kernel) this is synchronize_rcu().
 */
void utrace_glue_synchronize_rcu_tasks(void)
{
	synchronize_rcu_tasks();
}

/* Wait for every utrace_node_free_rcu() queued so far. */
void utrace_glue_rcu_barrier(void)
{
	rcu_barrier();
}

/*
 * Unload: take utrace's task_work items out of the queues of threads that will not run them
 * soon (a thread in a job-control or ptrace stop, or blocked in a long syscall with a
 * TWA_RESUME report queued), so that unloading never waits for a stopped thread to run.
 *
 * task_work_cancel_match() is not exported; this is its protocol (kernel/task_work.c):
 * under the task's pi_lock, walk ->task_works and unlink an item with a cmpxchg of the link
 * that points to it. task_work_run() takes the whole list with a cmpxchg of the head (so an
 * unlink of the head fails and is retried on the new head), then takes pi_lock before it
 * runs anything: an item unlinked under pi_lock is never run, and an item this walk can
 * still reach is neither run nor freed until pi_lock is dropped. An exited task's list is
 * the kernel's work_exited marker (func NULL, next NULL), which @cancel never takes.
 *
 * @cancel(work) decides under pi_lock (it must not sleep) whether to take an item: utrace's
 * own, of a kind that may be dropped. The taken items are linked through ->next into the
 * returned list, for the caller to free outside the locks and RCU.
 */
static void utrace_cancel_task_works(struct task_struct *t,
				     bool (*cancel)(struct callback_head *work),
				     struct callback_head **taken)
{
	struct callback_head **pprev = &t->task_works;
	struct callback_head *work;
	unsigned long flags;

	if (!READ_ONCE(t->task_works))
		return;
	raw_spin_lock_irqsave(&t->pi_lock, flags);
	work = READ_ONCE(*pprev);
	while (work) {
		if (!cancel(work)) {
			pprev = &work->next;
			work = READ_ONCE(*pprev);
		} else if (try_cmpxchg(pprev, &work, work->next)) {
			work->next = *taken;
			*taken = work;
			work = READ_ONCE(*pprev);
		}
		/* else: @work was reloaded from *pprev (an add at the head, or a run) */
	}
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
}

/*
 * Every thread's queue: for_each_process_thread() under RCU (a thread created meanwhile is
 * missed: none gets utrace work any more once probes and engines are gone).
 */
struct callback_head *utrace_glue_task_work_cancel_all(bool (*cancel)(struct callback_head *work))
{
	struct callback_head *taken = NULL;
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t)
		utrace_cancel_task_works(t, cancel, &taken);
	rcu_read_unlock();
	return taken;
}

/*
 * lock_task_sighand() is not exported: the same protocol (kernel/signal.c). Returns false
 * if the task has no sighand any more (released).
 */
static bool utrace_lock_task_sighand(struct task_struct *t, struct sighand_struct **sh,
				     unsigned long *flags)
{
	struct sighand_struct *sighand;

	rcu_read_lock();
	for (;;) {
		sighand = rcu_dereference(t->sighand);
		if (!sighand)
			break;
		spin_lock_irqsave(&sighand->siglock, *flags);
		if (likely(sighand == rcu_access_pointer(t->sighand)))
			break;
		spin_unlock_irqrestore(&sighand->siglock, *flags);
	}
	rcu_read_unlock();
	*sh = sighand;
	return sighand;
}

/*
 * Unload, stepping (rust/step.rs): if @t is in a job-control or ptrace stop, call @fn(@arg,
 * pt_regs of @t, whether @t is off its CPU) with its siglock held and return true. Leaving
 * either stop takes siglock (SIGCONT, SIGKILL, ptrace resume and detach clear
 * JOBCTL_STOPPED/JOBCTL_TRACED and wake it under it), so @t cannot return to user mode while
 * @fn runs, and it does not touch its user registers in the stop.
 */
bool utrace_glue_call_if_stopped(struct task_struct *t,
				 void (*fn)(void *arg, struct pt_regs *regs, bool off_cpu),
				 void *arg)
{
	struct sighand_struct *sh;
	unsigned long flags;
	bool stopped;

	if (!utrace_lock_task_sighand(t, &sh, &flags))
		return false;
	stopped = READ_ONCE(t->jobctl) & (JOBCTL_STOPPED | JOBCTL_TRACED);
	if (stopped)
		fn(arg, task_pt_regs(t), !READ_ONCE(t->on_cpu));
	spin_unlock_irqrestore(&sh->siglock, flags);
	return stopped;
}

/*
 * Clears TIF_BLOCKSTEP of a stopped, switched-out task (its BTF is loaded from it when it
 * is switched in again: __switch_to_xtra()).
 */
void utrace_glue_clear_blockstep_of(struct task_struct *t)
{
	clear_tsk_thread_flag(t, TIF_BLOCKSTEP);
}

struct pt_regs *utrace_glue_task_pt_regs(struct task_struct *task)
{
	return task_pt_regs(task);
}

bool utrace_glue_pid_alive(const struct task_struct *task)
{
	return pid_alive(task);
}

/*
 * Whether the caller may sleep: preemption and interrupts enabled, and not inside
 * rcu_read_lock() (with PREEMPT_RCU a read-side section leaves preemption enabled, and
 * sleeping there is a bug all the same).
 */
bool utrace_glue_can_sleep(void)
{
	return preemptible() && !rcu_preempt_depth();
}

/*
 * One budget for the rate-limited error messages of the engine API (bad arguments, which
 * an engine may pass on behalf of user space at any rate).
 */
bool utrace_glue_ratelimit(void)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST);

	return __ratelimit(&rs);
}

/*
 * The UTRACE_EVENT(SIGNAL*) bit for delivering @sig with action @ka, following get_signal():
 * a handler, SIG_IGN, or the default action (ignore, stop, terminate, or dump core).
 */
unsigned long utrace_glue_signal_event(int sig, const struct k_sigaction *ka)
{
	if (ka->sa.sa_handler == SIG_IGN)
		return UTRACE_EVENT(SIGNAL_IGN);
	if (ka->sa.sa_handler != SIG_DFL)
		return UTRACE_EVENT(SIGNAL);
	if (sig_kernel_ignore(sig))
		return UTRACE_EVENT(SIGNAL_IGN);
	if (sig_kernel_stop(sig))
		return UTRACE_EVENT(SIGNAL_STOP);
	if (sig_kernel_coredump(sig))
		return UTRACE_EVENT(SIGNAL_CORE);
	return UTRACE_EVENT(SIGNAL_TERM);
}

/*
 * Signal interception (rust/signal.rs, rust/work.rs), on current, in task context. The
 * peek copies get_signal()'s choice (kernel/signal.c: the group-exit and group-stop checks
 * at 2944-2960, dequeue_synchronous_signal() 674, then dequeue_signal() 624: next_signal()
 * 185 on the private queue, then the shared one; collect_signal() or the SI_USER stand-in
 * 596-606), minus blocked signals, under siglock. next_signal() is not exported.
 */
#define UTRACE_SYNCHRONOUS_MASK \
	(sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | \
	 sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS))

static int utrace_first_signal(const struct sigpending *pending, const sigset_t *blocked)
{
	unsigned long x = pending->signal.sig[0] & ~blocked->sig[0];

	if (!x)
		return 0;
	if (x & UTRACE_SYNCHRONOUS_MASK)
		x &= UTRACE_SYNCHRONOUS_MASK;
	return __ffs(x) + 1;
}

static bool utrace_copy_queued(const struct sigpending *pending, int sig,
			       struct kernel_siginfo *info)
{
	struct sigqueue *q;

	list_for_each_entry(q, &pending->list, list) {
		if (q->info.si_signo == sig) {
			copy_siginfo(info, &q->info);
			return true;
		}
	}
	return false;
}

int utrace_glue_signal_peek(struct kernel_siginfo *info, struct k_sigaction *ka, u64 *approved,
			    u64 *fresh)
{
	struct task_struct *t = current;
	struct sighand_struct *sighand = t->sighand;
	const struct sigpending *pend = &t->pending;
	struct sigqueue *q;
	int sig = 0;

	BUILD_BUG_ON(_NSIG_WORDS != 1);
	/* An io_uring or vhost worker returns to no user mode: nothing to decide for it. */
	if (t->flags & (PF_EXITING | PF_USER_WORKER))
		return 0;
	spin_lock_irq(&sighand->siglock);
	/*
	 * Approvals of signals no longer pending (taken by another thread, by sigtimedwait(),
	 * cancelled by a ptracer), and of signal numbers queued again since the approval
	 * (@fresh, set by the signal_generate probe under this siglock): the approval was for
	 * another instance, the new one is reported.
	 */
	*approved &= t->pending.signal.sig[0] | t->signal->shared_pending.signal.sig[0];
	*approved &= ~xchg(fresh, 0);
	/*
	 * SIGKILL, a group exit or exec, a group stop, a ptrace or freezer trap come first
	 * (get_signal() 2944-2971); a uprobe single-step keeps every signal away
	 * (uprobe_deny_signal(), 2888).
	 */
	if (fatal_signal_pending(t) || (t->signal->flags & SIGNAL_GROUP_EXIT) ||
	    t->signal->group_exec_task ||
	    (t->jobctl & (JOBCTL_STOP_PENDING | JOBCTL_TRAP_MASK | JOBCTL_TRAP_FREEZE)))
		goto out;
#ifdef CONFIG_UPROBES
	if (t->utask && (t->utask->active_uprobe || t->utask->state == UTASK_SSTEP))
		goto out;
#endif
	if (t->pending.signal.sig[0] & ~t->blocked.sig[0] & UTRACE_SYNCHRONOUS_MASK) {
		list_for_each_entry(q, &t->pending.list, list) {
			if (q->info.si_code > SI_USER &&
			    (sigmask(q->info.si_signo) & UTRACE_SYNCHRONOUS_MASK)) {
				sig = q->info.si_signo;
				copy_siginfo(info, &q->info);
				goto found;
			}
		}
	}
	sig = utrace_first_signal(pend, &t->blocked);
	if (!sig) {
		pend = &t->signal->shared_pending;
		sig = utrace_first_signal(pend, &t->blocked);
	}
	if (!sig)
		goto out;
	if (!utrace_copy_queued(pend, sig, info)) {
		clear_siginfo(info);
		info->si_signo = sig;
		info->si_code = SI_USER;
	}
found:
	/*
	 * SIGKILL, and a signal the kernel forces fatal (SA_IMMUTABLE: seccomp's
	 * RET_KILL_PROCESS, force_fatal_sig(), force_exit_sig()), which get_signal() keeps
	 * even ptrace away from (2997), are never intercepted.
	 */
	if (sig == SIGKILL || (sighand->action[sig - 1].sa.sa_flags & SA_IMMUTABLE))
		sig = 0;
	else
		*ka = sighand->action[sig - 1];
out:
	spin_unlock_irq(&sighand->siglock);
	return sig;
}

/* Dequeue @sig (and nothing else) from current's queues: dequeue_signal(), exported. */
int utrace_glue_signal_take(int sig, struct kernel_siginfo *info)
{
	enum pid_type type;
	sigset_t mask;
	int got;

	sigfillset(&mask);
	sigdelset(&mask, sig);
	spin_lock_irq(&current->sighand->siglock);
	got = dequeue_signal(&mask, info, &type);
	spin_unlock_irq(&current->sighand->siglock);
	return got;
}

/* Queue @info (its si_signo) on current's private queue: send_sig_info(), exported. */
int utrace_glue_signal_send(struct kernel_siginfo *info)
{
	return send_sig_info(info->si_signo, info, current);
}

/*
 * Calls @fn on every thread of @task's thread group (the signal_generate probe, under the
 * group's siglock: the thread list cannot change): @task and signal->curr_target first
 * (complete_signal() left there the thread it woke, the likeliest taker), then the rest.
 */
void utrace_glue_walk_group(struct task_struct *task,
				 void (*fn)(struct task_struct *t, void *arg),
				 void *arg)
{
	struct task_struct *cur = task->signal->curr_target;
	struct task_struct *t;

	rcu_read_lock();
	fn(task, arg);
	if (cur && cur != task)
		fn(cur, arg);
	for_each_thread(task, t) {
		if (t != task && t != cur)
			fn(t, arg);
	}
	rcu_read_unlock();
}

/*
 * Whether current has any signal pending, blocked or not, private or shared (the
 * signal_deliver probe, under siglock; a racy hint elsewhere).
 */
bool utrace_glue_signals_queued(void)
{
	return current->pending.signal.sig[0] | current->signal->shared_pending.signal.sig[0];
}

/* Whether current's thread group is protected from fatal signals (SIGNAL_UNKILLABLE). */
bool utrace_glue_unkillable(void)
{
	return current->signal->flags & SIGNAL_UNKILLABLE;
}

/*
 * Job control (rust/jctl.rs), on current, in task context: whether current is about to
 * enter a group stop, as get_signal() would decide it now (kernel/signal.c 2944-2960, then
 * the dequeue and 3040-3072), under siglock. Returns the stop signal, or 0 for none:
 *  - a group stop is pending for current (JOBCTL_STOP_PENDING: do_signal_stop(0) joins it);
 *  - or the signal get_signal() takes next (next_signal()'s rule, minus blocked signals)
 *    is a stop signal with the default action (do_signal_stop(signr) starts one).
 * *@notify is CLD_STOPPED when current is expected to complete the stop (the last thread
 * counted in group_stop_count, or the starter with no other thread to wait for) and so to
 * notify the parent (do_notify_parent_cldstop()), 0 otherwise; never while ptraced (the
 * stop is then a ptrace trap, reported to the tracer). A prediction: see design.md.
 */
int utrace_glue_jctl_peek(int *notify)
{
	struct task_struct *t = current, *o;
	struct signal_struct *sig = t->signal;
	int signr = 0, others = 0;

	*notify = 0;
	if (t->flags & (PF_EXITING | PF_USER_WORKER))
		return 0;
	spin_lock_irq(&t->sighand->siglock);
	if (fatal_signal_pending(t) || (sig->flags & SIGNAL_GROUP_EXIT) || sig->group_exec_task)
		goto out;
	if (t->jobctl & JOBCTL_STOP_PENDING) {
		signr = t->jobctl & JOBCTL_STOP_SIGMASK;
		if (!signr)
			signr = SIGSTOP;
		if (!t->ptrace && (t->jobctl & JOBCTL_STOP_CONSUME) && sig->group_stop_count == 1)
			*notify = CLD_STOPPED;
		goto out;
	}
	if (t->jobctl & (JOBCTL_TRAP_MASK | JOBCTL_TRAP_FREEZE))
		goto out;
	signr = utrace_first_signal(&t->pending, &t->blocked);
	if (!signr)
		signr = utrace_first_signal(&sig->shared_pending, &t->blocked);
	if (!signr || !sig_kernel_stop(signr) ||
	    t->sighand->action[signr - 1].sa.sa_handler != SIG_DFL) {
		signr = 0;
		goto out;
	}
	if (!t->ptrace) {
		/* The threads do_signal_stop() would count (task_set_jobctl_pending()). */
		for_other_threads(t, o)
			if (!task_is_stopped(o) && !(o->flags & PF_EXITING) &&
			    !fatal_signal_pending(o))
				others++;
		if (!others)
			*notify = CLD_STOPPED;
	}
out:
	spin_unlock_irq(&t->sighand->siglock);
	return signr;
}

/*
 * The SIGCONT signal_generate probe (@task's siglock held, right after prepare_signal()
 * woke the group's stopped threads, kernel/signal.c 898-936): the CLD_* code the parent is
 * notified of for this continue (prepare_signal()'s SIGNAL_CLD_* bits: CLD_CONTINUED after
 * a completed stop, CLD_STOPPED for a stop still in progress, 0 if the group was not
 * stopping), or -1 if the group is exiting (prepare_signal() dropped the SIGCONT).
 */
int utrace_glue_jctl_cont_notify(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	lockdep_assert_held(&task->sighand->siglock);
	if (sig->flags & SIGNAL_GROUP_EXIT)
		return -1;
	if (sig->flags & SIGNAL_CLD_CONTINUED)
		return CLD_CONTINUED;
	if (sig->flags & SIGNAL_CLD_STOPPED)
		return CLD_STOPPED;
	return 0;
}

/* @task's signal_struct: the key of its thread group (constant for the task's life). */
const void *utrace_glue_task_group(struct task_struct *task)
{
	return task->signal;
}

/*
 * report_exit changed the exit code of @task (current, in do_exit()). The parent's wait
 * reads task->exit_code, or, after a group exit (exit_group(), a fatal signal),
 * signal->group_exit_code (kernel/exit.c wait_task_zombie()). The last thread of the group
 * (@group_dead) sets both; siglock orders this with do_group_exit() in other threads.
 */
void utrace_glue_set_exit_code(struct task_struct *task, int code, bool group_dead)
{
	spin_lock_irq(&task->sighand->siglock);
	task->exit_code = code;
	if (group_dead && (task->signal->flags & SIGNAL_GROUP_EXIT))
		task->signal->group_exit_code = code;
	spin_unlock_irq(&task->sighand->siglock);
}

/*
 * tracepoint_synchronize_unregister() is a static inline; after it returns, no probe
 * unregistered before the call is still running.
 */
void utrace_glue_tracepoint_sync(void)
{
	tracepoint_synchronize_unregister();
}

/*
 * The stop (rust/stop.rs). The sleep is killable (SIGKILL wakes it), not counted in the
 * load average or by the hung-task detector (TASK_NOLOAD, TASK_WAKEKILL), and freezable
 * (the freezer counts the sleeper as frozen). wake_up_process() wakes it (TASK_NORMAL).
 */
#define UTRACE_STOP_STATE	(TASK_KILLABLE | TASK_NOLOAD | TASK_FREEZABLE)

void utrace_glue_stop_prepare(void)
{
	set_current_state(UTRACE_STOP_STATE);
}

void utrace_glue_stop_finish(void)
{
	__set_current_state(TASK_RUNNING);
}

bool utrace_glue_fatal_pending(void)
{
	return fatal_signal_pending(current);
}

/*
 * A parked thread whose register access is in progress (rust/examine.rs), let go meanwhile:
 * it stays until the access is done, in a sleep SIGKILL does not end (TASK_KILLABLE would
 * not sleep at all with SIGKILL pending).
 */
void utrace_glue_stop_prepare_held(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE | TASK_NOLOAD | TASK_FREEZABLE);
}

bool utrace_glue_task_fatal_pending(struct task_struct *task)
{
	return __fatal_signal_pending(task);
}

/*
 * @task's siglock, or NULL if it has none any more (released): lock_task_sighand(), which
 * is not exported. The sighand slab is SLAB_TYPESAFE_BY_RCU, so the lock of a sighand
 * found under RCU can be taken even if it was freed meanwhile; it is ours only if @task
 * still points to it after.
 */
struct sighand_struct *utrace_glue_lock_sighand(struct task_struct *task, unsigned long *flags)
{
	struct sighand_struct *sighand;

	rcu_read_lock();
	for (;;) {
		sighand = rcu_dereference(task->sighand);
		if (!sighand)
			break;
		spin_lock_irqsave(&sighand->siglock, *flags);
		if (sighand == rcu_access_pointer(task->sighand))
			break;
		spin_unlock_irqrestore(&sighand->siglock, *flags);
	}
	rcu_read_unlock();
	return sighand;
}

void utrace_glue_unlock_sighand(struct task_struct *task, unsigned long *flags)
{
	unlock_task_sighand(task, flags);
}

/*
 * Hold off SIGKILL's wake-up of @task, parked in a utrace stop, while its registers are
 * accessed (@on), or end that (!@on). JOBCTL_PTRACE_FROZEN is what ptrace sets for the same
 * purpose (ptrace_freeze_traced()): signal_wake_up() then does not wake a TASK_WAKEKILL
 * sleeper for a fatal signal; whoever clears it wakes the thread if one is pending. Only
 * ptrace sets it otherwise, and only on a thread in a ptrace stop (TASK_TRACED), which a
 * thread parked by utrace is not. With @on, returns whether this call set it (a flag found
 * set is left alone). Caller holds @task's siglock.
 */
bool utrace_glue_kill_freeze(struct task_struct *task, bool on)
{
	lockdep_assert_held(&task->sighand->siglock);
	if (!on) {
		task->jobctl &= ~JOBCTL_PTRACE_FROZEN;
		return false;
	}
	if (task->jobctl & JOBCTL_PTRACE_FROZEN)
		return false;
	task->jobctl |= JOBCTL_PTRACE_FROZEN;
	return true;
}

/* Current is exiting and no thread of its group is alive any more (do_exit()'s count). */
bool utrace_glue_group_dead(void)
{
	return atomic_read(&current->signal->live) == 0;
}

bool utrace_glue_in_task(void)
{
	return in_task();
}

void utrace_glue_wake_up(struct wait_queue_head *wq)
{
	wake_up(wq);
}

/*
 * utrace_barrier() (rust/api.rs) sleeps here until no callback of its engine runs and, for a
 * detached engine, until utrace's attached reference is dropped; the module GOING handler
 * (rust/modwatch.rs) until the releases utrace is making and an orphaned engine's callback
 * in flight are over. One queue for all: it is woken whenever a callback ends, an attached
 * reference has been dropped, or a release utrace made returns, and each waiter rechecks its
 * own condition (waiters are rare; a wake costs one load of the queue's list head when
 * nobody waits).
 */
static DECLARE_WAIT_QUEUE_HEAD(utrace_barrier_wq);

/*
 * Wakes the barrier waiters. The caller has made the change they wait for and then passed a
 * full barrier (smp_mb()), which pairs with the one in prepare_to_wait()'s
 * set_current_state(): either this sees the waiter queued, or the waiter sees the change.
 */
void utrace_glue_barrier_wake(void)
{
	/* Lock-free check: the caller's smp_mb() orders it (see above). */
	if (waitqueue_active(&utrace_barrier_wq))
		wake_up_all(&utrace_barrier_wq);
}

/*
 * Sleeps until @done(@arg). Interruptible: -ERESTARTSYS when a signal is pending first;
 * otherwise uninterruptible and always 0 (for callers that must not fail: module exit, the
 * GOING notifier).
 */
int utrace_glue_barrier_wait(bool (*done)(const void *arg), const void *arg, bool interruptible)
{
	if (interruptible)
		return wait_event_interruptible(utrace_barrier_wq, done(arg));
	wait_event(utrace_barrier_wq, done(arg));
	return 0;
}

/*
 * Examining a stopped thread (rust/examine.rs): wait_task_inactive() is not exported, so
 * "off its CPU" is read from on_cpu, and "has not run since" from its context-switch counts.
 */
bool utrace_glue_task_on_cpu(const struct task_struct *task)
{
	return READ_ONCE(task->on_cpu);
}

/*
 * Whether @task is off its CPU and off the runqueue: asleep, so it cannot run again without
 * a wake-up. A task preempted between committing to sleep and calling schedule() is off
 * its CPU but still queued, and runs again to get into schedule(). A sleeper whose dequeue
 * the fair class delays (sched_delayed) stays queued but is not runnable: it is dequeued,
 * not run, when picked. wait_task_inactive() decides the same under the runqueue lock; this
 * is the lock-free reading of it, made again by the caller until it holds.
 */
bool utrace_glue_task_inactive(const struct task_struct *task)
{
	if (READ_ONCE(task->on_cpu))
		return false;
	return !READ_ONCE(task->on_rq) || READ_ONCE(task->se.sched_delayed);
}

unsigned long utrace_glue_task_switches(const struct task_struct *task)
{
	return READ_ONCE(task->nvcsw) + READ_ONCE(task->nivcsw);
}

/* Regset @which of @task's user regset view, or NULL. */
static const struct user_regset *utrace_regset(struct task_struct *task, unsigned int which)
{
	const struct user_regset_view *view = task_user_regset_view(task);

	if (which >= view->n)
		return NULL;
	return &view->regsets[which];
}

/* Copies up to @size bytes of regset @which of the stopped @task into @buf. */
int utrace_glue_regset_get(struct task_struct *task, unsigned int which, void *buf,
			   unsigned int size)
{
	const struct user_regset *rs = utrace_regset(task, which);

	if (!rs)
		return -EINVAL;
	return regset_get(task, rs, size, buf);
}

/* Writes @size bytes at byte @pos of regset @which of the stopped @task from @buf. */
int utrace_glue_regset_set(struct task_struct *task, unsigned int which, unsigned int pos,
			   const void *buf, unsigned int size)
{
	const struct user_regset *rs = utrace_regset(task, which);

	if (!rs)
		return -EINVAL;
	if (!rs->set)
		return -EPERM;
	if (pos > rs->n * rs->size || size > rs->n * rs->size - pos ||
	    pos % rs->size || size % rs->size)
		return -EINVAL;
	return rs->set(task, rs, pos, size, buf, NULL);
}

/*
 * Reads or writes @len bytes of @task's memory at @addr, as ptrace's PEEKDATA/POKEDATA do
 * (FOLL_FORCE: a breakpoint can be written into read-only text, copied on write). Returns
 * the bytes done.
 */
int utrace_glue_access_process_vm(struct task_struct *task, unsigned long addr, void *buf,
				  int len, bool write)
{
	return access_process_vm(task, addr, buf, len, FOLL_FORCE | (write ? FOLL_WRITE : 0));
}

/*
 * Whether a fault on @vma can only wait for what the kernel itself controls: anonymous
 * memory (an allocation; a swap-in, which FOLL_NOWAIT does not wait for), tmpfs and ramfs
 * (in memory), a filesystem on a block device (disk I/O). Not FUSE (fuse, fuseblk) nor a
 * network filesystem, whose server (maybe the tracee itself) can hold a fault for ever:
 * filemap_fault() takes the mapping's invalidate lock and may read synchronously even with
 * FAULT_FLAG_RETRY_NOWAIT. Nor device memory (VM_IO, VM_PFNMAP: GUP refuses it, as ptrace
 * does), hugetlb or DAX.
 */
static bool utrace_fault_is_bounded(struct vm_area_struct *vma)
{
	struct file_system_type *type;

	if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) || is_vm_hugetlb_page(vma) || vma_is_dax(vma))
		return false;
	if (vma_is_anonymous(vma))
		return true;
	if (!vma->vm_file)
		return false;
	if (shmem_mapping(vma->vm_file->f_mapping))
		return true;
	type = file_inode(vma->vm_file)->i_sb->s_type;
	if (!strcmp(type->name, "ramfs") || !strcmp(type->name, "rootfs"))
		return true;
	return (type->fs_flags & FS_REQUIRES_DEV) && strcmp(type->name, "fuseblk");
}

/*
 * Reads @len bytes of current's memory at @addr into @buf without waiting on anything
 * user space controls (utrace_copy_from_current()): page by page, copy_from_user_nofault();
 * a page not mapped yet (or a NUMA hint) gets one fault-in, under mmap_read_trylock() and
 * only where a fault's waits are bounded (utrace_fault_is_bounded()), that waits for no I/O
 * (FOLL_NOWAIT: what is in memory is mapped, a read is started), then one more try. The
 * faults count as the thread's own (its min_flt), as the kernel's own read of the same
 * argument right after would. Returns the bytes read, or -EAGAIN if none.
 */
int utrace_glue_copy_from_current_nowait(unsigned long addr, void *buf, int len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int done = 0;

	while (done < len) {
		unsigned long at = addr + done;
		int chunk = min_t(int, len - done, PAGE_SIZE - offset_in_page(at));

		if (copy_from_user_nofault(buf + done, (const void __user *)at, chunk)) {
			if (!mm || !access_ok((const void __user *)at, chunk) ||
			    !mmap_read_trylock(mm))
				break;
			vma = vma_lookup(mm, at);
			if (vma && utrace_fault_is_bounded(vma))
				get_user_pages_remote(mm, at, 1, FOLL_NOWAIT | FOLL_HONOR_NUMA_FAULT,
						      NULL, NULL);
			mmap_read_unlock(mm);
			if (copy_from_user_nofault(buf + done, (const void __user *)at, chunk))
				break;
		}
		done += chunk;
	}
	return done ? done : -EAGAIN;
}

/*
 * Stepping (rust/step.rs, rust/arch.rs).
 *
 * user_enable_single_step() is not exported: utrace sets TF in the thread's user pt_regs
 * itself (from the thread, on its way back to user mode), and consumes the resulting #DB
 * through a die notifier. exc_debug_user() calls the chain with interrupts off, after
 * setting thread.virtual_dr6 = dr6 & DR_STEP, and passes a pointer to its dr6 in ->err.
 * A step utrace caused alone is eaten: DR_STEP cleared from both, NOTIFY_STOP unless other
 * causes (a hardware breakpoint, bits in virtual_dr6 for a ptrace watchpoint) remain, which
 * then still reach the program. A step the program also asked for (it set TF itself) is
 * reported and left alone: the program gets its SIGTRAP.
 */
static int utrace_die_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	unsigned long *dr6;

	/*
	 * A user int3 (rust/trap.rs): do_int3() calls the chain with interrupts off before
	 * do_trap()'s force_sig(SIGTRAP); NOTIFY_STOP skips it. kprobes passes user int3s on
	 * (kprobe_int3_handler() returns 0 for user mode), and uprobes' notifier (priority
	 * INT_MAX-1, ours is 0) runs first and stops the chain for every int3 in an mm with
	 * uprobes: this one never sees those.
	 */
	if (val == DIE_INT3) {
		if (!user_mode(args->regs))
			return NOTIFY_DONE;
		return utrace_rust_int3(args->regs) ? NOTIFY_STOP : NOTIFY_DONE;
	}
	if (val != DIE_DEBUG || !user_mode(args->regs))
		return NOTIFY_DONE;
	dr6 = (unsigned long *)ERR_PTR(args->err);
	if (!(*dr6 & DR_STEP))
		return NOTIFY_DONE;
	if (utrace_rust_step_trap(args->regs) != UTRACE_STEP_TRAP_EAT)
		return NOTIFY_DONE;
	*dr6 &= ~DR_STEP;
	current->thread.virtual_dr6 &= ~DR_STEP;
	return *dr6 || current->thread.virtual_dr6 ? NOTIFY_DONE : NOTIFY_STOP;
}

static struct notifier_block utrace_die_nb = {
	.notifier_call = utrace_die_notify,
};

int utrace_glue_die_notifier_register(void)
{
	return register_die_notifier(&utrace_die_nb);
}

/* After it returns no utrace_die_notify() is running (the chain is RCU-protected). */
void utrace_glue_die_notifier_unregister(void)
{
	unregister_die_notifier(&utrace_die_nb);
}

/*
 * Breakpoints and watchpoints (rust/trap.rs).
 *
 * SIGTRAP's action as force_sig() delivers it, copied into @ka: SIG_DFL if it is blocked or
 * ignored (force_sig_info_to_task() resets it), else the process's. Returns its
 * UTRACE_EVENT(SIGNAL*) bit.
 */
unsigned long utrace_glue_trap_action(struct k_sigaction *ka)
{
	struct sighand_struct *sighand = current->sighand;

	spin_lock_irq(&sighand->siglock);
	*ka = sighand->action[SIGTRAP - 1];
	if (ka->sa.sa_handler == SIG_IGN || sigismember(&current->blocked, SIGTRAP))
		ka->sa.sa_handler = SIG_DFL;
	spin_unlock_irq(&sighand->siglock);
	return utrace_glue_signal_event(SIGTRAP, ka);
}

/* The siginfo of a trap: SIGTRAP, si_code @code, si_addr @addr (0 for SI_KERNEL). */
void utrace_glue_trap_info(struct kernel_siginfo *info, int code, unsigned long addr)
{
	clear_siginfo(info);
	info->si_signo = SIGTRAP;
	info->si_code = code;
	if (code != SI_KERNEL)
		info->si_addr = (void __user *)addr;
}

/*
 * Delivers the trap @info to current as the kernel would have: an int3 (SI_KERNEL) exactly
 * as do_trap() (trap_nr and error_code for the signal frame, then force_sig(SIGTRAP)); any
 * other si_code through send_sig_info() after doing what force_sig_info_to_task() does
 * (which is not exported): SIGTRAP unblocked and SIG_IGN reset to SIG_DFL.
 */
int utrace_glue_force_trap(struct kernel_siginfo *info)
{
	struct sighand_struct *sighand = current->sighand;

	current->thread.trap_nr = X86_TRAP_BP;
	current->thread.error_code = 0;
	if (info->si_code == SI_KERNEL) {
		force_sig(SIGTRAP);
		return 0;
	}
	if (info->si_code == TRAP_HWBKPT)
		current->thread.trap_nr = X86_TRAP_DB;
	spin_lock_irq(&sighand->siglock);
	if (sighand->action[SIGTRAP - 1].sa.sa_handler == SIG_IGN ||
	    sigismember(&current->blocked, SIGTRAP)) {
		sighand->action[SIGTRAP - 1].sa.sa_handler = SIG_DFL;
		if (sigismember(&current->blocked, SIGTRAP)) {
			sigdelset(&current->blocked, SIGTRAP);
			recalc_sigpending();
		}
	}
	spin_unlock_irq(&sighand->siglock);
	return send_sig_info(SIGTRAP, info, current);
}

/*
 * Hardware watchpoints: perf breakpoint events registered on a traced thread for an engine
 * (register_user_hw_breakpoint(), exported), with the attributes ptrace gives its own
 * (ptrace_breakpoint_init(): pinned, exclude_kernel, sample_period 1). Each is a record on
 * utrace_watches, under utrace_watch_lock (a spinlock: a detach marks its engine's records
 * dead from any context); unregistering sleeps, so it is done by the command that clears
 * one, or for dead ones by utrace_watch_work. The handler runs in the thread's #DB
 * (interrupts off); it reads only the record's immutable fields and its dead flag, and the
 * record is freed only after unregister_hw_breakpoint(), which removes the event from the
 * thread's CPU with an IPI that cannot land while that CPU is in the handler.
 */
struct utrace_watch {
	struct list_head node;
	struct perf_event *bp;
	struct task_struct *task;	/* referenced */
	u64 owner;			/* the engine's id: never reused */
	unsigned long addr;
	bool dead;
};

static LIST_HEAD(utrace_watches);
static DEFINE_SPINLOCK(utrace_watch_lock);

static void utrace_watch_free(struct utrace_watch *w)
{
	unregister_hw_breakpoint(w->bp);
	put_task_struct(w->task);
	kfree(w);
}

/* Unregisters every dead record (process context). */
static void utrace_watch_reap(void)
{
	struct utrace_watch *w, *n;
	LIST_HEAD(dead);

	spin_lock_irq(&utrace_watch_lock);
	list_for_each_entry_safe(w, n, &utrace_watches, node) {
		if (w->dead)
			list_move(&w->node, &dead);
	}
	spin_unlock_irq(&utrace_watch_lock);
	list_for_each_entry_safe(w, n, &dead, node)
		utrace_watch_free(w);
}

static void utrace_watch_work_fn(struct work_struct *work)
{
	utrace_watch_reap();
}
static DECLARE_WORK(utrace_watch_work, utrace_watch_work_fn);

static void utrace_watch_triggered(struct perf_event *bp, struct perf_sample_data *data,
				   struct pt_regs *regs)
{
	struct utrace_watch *w = bp->overflow_handler_context;

	/* Not ptrace_triggered(): virtual_dr6 stays clear, exc_debug_user() sends nothing. */
	if (!w || READ_ONCE(w->dead) || w->task != current || !user_mode(regs))
		return;
	utrace_rust_watch_hit(w->addr, w->owner);
}

static struct utrace_watch *utrace_watch_find(struct task_struct *task, u64 owner,
					      unsigned long addr)
{
	struct utrace_watch *w;

	list_for_each_entry(w, &utrace_watches, node) {
		if (w->task == task && w->owner == owner && w->addr == addr && !w->dead)
			return w;
	}
	return NULL;
}

/*
 * Registers a watchpoint of @type (HW_BREAKPOINT_W, _RW, _X) over @len bytes at @addr on
 * @task for @owner. Process context. Returns 0, -EEXIST (@owner has one at @addr), -ENOSPC
 * (the thread's debug registers are taken: ptrace, perf, other engines), -EINVAL (what
 * hw_breakpoint refuses: alignment, length, a kernel address), -ENOMEM.
 */
int utrace_glue_watch_set(struct task_struct *task, u64 owner, unsigned long addr,
			  unsigned int len, unsigned int type)
{
	struct perf_event_attr attr;
	struct utrace_watch *w;
	struct perf_event *bp;

	w = kzalloc_obj(*w, GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->task = get_task_struct(task);
	w->owner = owner;
	w->addr = addr;
	INIT_LIST_HEAD(&w->node);
	spin_lock_irq(&utrace_watch_lock);
	if (utrace_watch_find(task, owner, addr)) {
		spin_unlock_irq(&utrace_watch_lock);
		put_task_struct(task);
		kfree(w);
		return -EEXIST;
	}
	spin_unlock_irq(&utrace_watch_lock);
	ptrace_breakpoint_init(&attr);
	attr.bp_addr = addr;
	attr.bp_len = len;
	attr.bp_type = type;
	bp = register_user_hw_breakpoint(&attr, utrace_watch_triggered, w, task);
	if (IS_ERR(bp)) {
		put_task_struct(task);
		kfree(w);
		return PTR_ERR(bp);
	}
	w->bp = bp;
	spin_lock_irq(&utrace_watch_lock);
	/* A concurrent set at the same address for the same engine won meanwhile. */
	if (utrace_watch_find(task, owner, addr)) {
		spin_unlock_irq(&utrace_watch_lock);
		WRITE_ONCE(w->dead, true);
		utrace_watch_free(w);
		return -EEXIST;
	}
	list_add_tail(&w->node, &utrace_watches);
	spin_unlock_irq(&utrace_watch_lock);
	return 0;
}

/* Unregisters @owner's watchpoint at @addr on @task (process context): 0 or -ENOENT. */
int utrace_glue_watch_clear(struct task_struct *task, u64 owner, unsigned long addr)
{
	struct utrace_watch *w;

	spin_lock_irq(&utrace_watch_lock);
	w = utrace_watch_find(task, owner, addr);
	if (w)
		list_del(&w->node);
	spin_unlock_irq(&utrace_watch_lock);
	if (!w)
		return -ENOENT;
	WRITE_ONCE(w->dead, true);
	utrace_watch_free(w);
	return 0;
}

/*
 * Marks every watchpoint of @owner on @task dead (any context: a detach) and has the
 * workqueue unregister them. Returns how many.
 *
 * The caller (rust/trap.rs, detached()) has marked the engine detached and issued a full
 * barrier; utrace_set_watchpoint() adds its record, issues one, then checks the detach. So
 * an empty list read here, without the lock, means that any set still racing sees the detach
 * and drops its own record: a detach costs one load when no watchpoint exists. No counter:
 * the list is what says whether @owner has records.
 */
int utrace_glue_watch_drop(struct task_struct *task, u64 owner)
{
	struct utrace_watch *w;
	unsigned long flags;
	int n = 0;

	if (list_empty(&utrace_watches))
		return 0;
	spin_lock_irqsave(&utrace_watch_lock, flags);
	list_for_each_entry(w, &utrace_watches, node) {
		if (w->task == task && w->owner == owner && !w->dead) {
			WRITE_ONCE(w->dead, true);
			n++;
		}
	}
	spin_unlock_irqrestore(&utrace_watch_lock, flags);
	if (n)
		schedule_work(&utrace_watch_work);
	return n;
}

/*
 * Unload, after every engine was detached: no handler of ours may stay registered (its code
 * is this module's). Waits for the work, then unregisters whatever is left.
 */
void utrace_glue_watch_shutdown(void)
{
	struct utrace_watch *w;
	unsigned long flags;

	cancel_work_sync(&utrace_watch_work);
	spin_lock_irqsave(&utrace_watch_lock, flags);
	list_for_each_entry(w, &utrace_watches, node)
		WRITE_ONCE(w->dead, true);
	spin_unlock_irqrestore(&utrace_watch_lock, flags);
	utrace_watch_reap();
}

/* Copies up to @len bytes of current's user code at @ip into @buf; returns how many. */
int utrace_glue_copy_insn(unsigned long ip, u8 *buf, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (get_user(buf[i], (const u8 __user *)(ip + i)))
			break;
	return i;
}

/*
 * Whether DEBUGCTL.BTF works on this CPU: the MSR can be read and written and the bit
 * sticks. QEMU's TCG does not implement the bit; the _safe accessors never warn, and
 * nothing sets TIF_BLOCKSTEP (whose context-switch code uses the unchecked ones) unless
 * this said yes.
 */
bool utrace_glue_btf_probe(void)
{
	unsigned long flags;
	u64 old, val = 0;
	bool ok = false;

	if (boot_cpu_data.x86 < 6)
		return false;
	local_irq_save(flags);
	if (!rdmsrq_safe(MSR_IA32_DEBUGCTLMSR, &old)) {
		if (!wrmsrq_safe(MSR_IA32_DEBUGCTLMSR, old | DEBUGCTLMSR_BTF) &&
		    !rdmsrq_safe(MSR_IA32_DEBUGCTLMSR, &val))
			ok = val & DEBUGCTLMSR_BTF;
		wrmsrq_safe(MSR_IA32_DEBUGCTLMSR, old);
	}
	local_irq_restore(flags);
	return ok;
}

/*
 * Block-step for current, as set_task_blockstep() (not exported) does: TIF_BLOCKSTEP and
 * the CPU's BTF together, with interrupts off so that no context switch comes between
 * (__switch_to_xtra() moves BTF with TIF_BLOCKSTEP). Only after utrace_glue_btf_probe().
 */
void utrace_glue_set_blockstep(bool on)
{
	unsigned long flags;
	u64 debugctl;

	local_irq_save(flags);
	if (!rdmsrq_safe(MSR_IA32_DEBUGCTLMSR, &debugctl)) {
		if (on) {
			debugctl |= DEBUGCTLMSR_BTF;
			set_thread_flag(TIF_BLOCKSTEP);
		} else {
			debugctl &= ~DEBUGCTLMSR_BTF;
			clear_thread_flag(TIF_BLOCKSTEP);
		}
		wrmsrq_safe(MSR_IA32_DEBUGCTLMSR, debugctl);
	}
	local_irq_restore(flags);
}

/* Whether current has TIF_BLOCKSTEP (a #DB clears it, as the CPU clears BTF). */
bool utrace_glue_blockstep_set(void)
{
	return test_thread_flag(TIF_BLOCKSTEP);
}

/*
 * Whether @ip lies in current's active rseq critical section: current->rseq.usrptr's
 * rseq_cs descriptor, read from user memory (may fault: task context).
 */
bool utrace_glue_rseq_ip_in_cs(unsigned long ip)
{
#ifdef CONFIG_RSEQ
	struct rseq __user *rs = current->rseq.usrptr;
	struct rseq_cs cs;
	u64 csaddr;

	if (!rs || get_user(csaddr, &rs->rseq_cs) || !csaddr || csaddr >= TASK_SIZE)
		return false;
	if (copy_from_user(&cs, u64_to_user_ptr(csaddr), sizeof(cs)))
		return false;
	return ip - cs.start_ip < cs.post_commit_offset;
#else
	return false;
#endif
}

/* Whether current is exiting (PF_EXITING): it runs no more user code. */
bool utrace_glue_current_exiting(void)
{
	return current->flags & PF_EXITING;
}

/*
 * The engine API: defined in Rust (rust/api.rs), exported here, as the kernel's own
 * rust/exports.c does for its Rust symbols. <linux/utrace.h> gives each its C prototype,
 * which modpost's CRC and kCFI see.
 */
#define UTRACE_EXPORT_RUST(sym) EXPORT_SYMBOL_GPL(sym)

UTRACE_EXPORT_RUST(utrace_attach_task);
UTRACE_EXPORT_RUST(utrace_engine_get);
UTRACE_EXPORT_RUST(utrace_engine_put);
UTRACE_EXPORT_RUST(utrace_set_events);
UTRACE_EXPORT_RUST(utrace_control);
UTRACE_EXPORT_RUST(utrace_set_signal);
UTRACE_EXPORT_RUST(utrace_barrier);
UTRACE_EXPORT_RUST(utrace_barrier_uninterruptible);
UTRACE_EXPORT_RUST(utrace_wake_up);
UTRACE_EXPORT_RUST(utrace_prepare_examine);
UTRACE_EXPORT_RUST(utrace_finish_examine);
UTRACE_EXPORT_RUST(utrace_regset_get);
UTRACE_EXPORT_RUST(utrace_regset_set);
UTRACE_EXPORT_RUST(utrace_access_vm);
UTRACE_EXPORT_RUST(utrace_copy_from_current);
UTRACE_EXPORT_RUST(utrace_set_breakpoint);
UTRACE_EXPORT_RUST(utrace_clear_breakpoint);
UTRACE_EXPORT_RUST(utrace_set_watchpoint);
UTRACE_EXPORT_RUST(utrace_clear_watchpoint);
UTRACE_EXPORT_RUST(utrace_may_trace);

/*
 * The *_pid variants: resolve the pid, hold the task across the call. A NULL pid has no
 * task (-ESRCH, as get_pid_task() says); an ERR_PTR() is refused before it is dereferenced.
 */
static struct task_struct *utrace_pid_task(struct pid *pid, const char *fn)
{
	if (IS_ERR(pid)) {
		pr_err_ratelimited("utrace: %s: pid %ld is an error pointer, not a pid\n", fn, PTR_ERR(pid));
		return ERR_PTR(-EINVAL);
	}
	return get_pid_task(pid, PIDTYPE_PID) ?: ERR_PTR(-ESRCH);
}

struct utrace_engine *utrace_attach_pid(struct pid *pid, int flags,
					const struct utrace_engine_ops *ops, void *data)
{
	struct task_struct *task = utrace_pid_task(pid, __func__);
	struct utrace_engine *engine;

	if (IS_ERR(task))
		return ERR_CAST(task);
	engine = utrace_attach_task(task, flags, ops, data);
	put_task_struct(task);
	return engine;
}
EXPORT_SYMBOL_GPL(utrace_attach_pid);

int utrace_set_events_pid(struct pid *pid, struct utrace_engine *engine, unsigned long events)
{
	struct task_struct *task = utrace_pid_task(pid, __func__);
	int ret;

	if (IS_ERR(task))
		return PTR_ERR(task);
	ret = utrace_set_events(task, engine, events);
	put_task_struct(task);
	return ret;
}
EXPORT_SYMBOL_GPL(utrace_set_events_pid);

int utrace_control_pid(struct pid *pid, struct utrace_engine *engine, u32 action)
{
	struct task_struct *task = utrace_pid_task(pid, __func__);
	int ret;

	if (IS_ERR(task))
		return PTR_ERR(task);
	ret = utrace_control(task, engine, action);
	put_task_struct(task);
	return ret;
}
EXPORT_SYMBOL_GPL(utrace_control_pid);

int utrace_barrier_pid(struct pid *pid, struct utrace_engine *engine)
{
	struct task_struct *task = utrace_pid_task(pid, __func__);
	int ret;

	if (IS_ERR(task))
		return PTR_ERR(task);
	ret = utrace_barrier(task, engine);
	put_task_struct(task);
	return ret;
}
EXPORT_SYMBOL_GPL(utrace_barrier_pid);
