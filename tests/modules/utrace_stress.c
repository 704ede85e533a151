// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_stress: the engine of the randomized stress run (tests/stress/utrace_stress.c).
 *
 * It holds many engines at once, in slots, and runs one utrace operation per write to
 * /sys/kernel/debug/utrace_stress/control (any number of writers at once; the write returns
 * the operation's result, a negative errno failing it). Every engine does its own accounting,
 * so that the run checks invariants and not only the absence of splats:
 *
 *  - no callback after a successful detach: utrace_control(DETACH) returned 0, or
 *    utrace_barrier() returned -ESRCH (checked when a callback starts and when it ends);
 *  - release() exactly once per engine, never while this module still holds a reference,
 *    and no callback after it; every engine attached is released by the end of a drain;
 *  - every utrace_wake_up() is delivered: each callback wake-up bumps a sequence number
 *    first, and the wait queue's first (priority) entry records the number it saw at each
 *    delivery; once the engine is released the two must be equal;
 *  - an attach lookup never returns a released engine, and returns what it was asked for;
 *  - DEATH set (utrace_set_events returned 0) and not cleared means report_death comes
 *    before report_reap, at most once;
 *  - an engine still attached to a task that was reaped (after an RCU barrier) is a missed
 *    reap;
 *  - invalid arguments are refused, and every error is one the header documents.
 * A violation is counted, shown in "stats", and logged ("utrace_stress: VIOLATION ...").
 *
 * Commands (numbers in C notation: 0x.. hex, else decimal):
 *
 *   attach S TID FLAGS HOW DS  utrace_attach_task (HOW 0) or _pid (HOW 1) of TID with FLAGS
 *                          (-ECHILD: no task TID, -EACCES: not below the scope);
 *                          HOW 2 passes NULL ops, HOW 3 another ops table. With CREATE the
 *                          new engine goes to slot S (if S is taken: attached, unowned).
 *                          Without (a lookup), data is slot DS's engine data (DS -1: NULL),
 *                          and what is found goes to slot S if it is free, else is put.
 *   events S MASK PIDV     utrace_set_events (PIDV 1: the _pid variant)
 *   control S ACTION PIDV  utrace_control (ACTION any u32)
 *   barrier S PIDV         utrace_barrier
 *   examine S WHICH SIZE F prepare_examine, regset WHICH get of SIZE bytes, then per F
 *                          (bits): 1 write back what was read, 2 read 64 bytes of memory
 *                          at the stack pointer, 4 an unaligned regset write, 8 skip the
 *                          prepare; then finish_examine. F 0x10: control(STOP) first and
 *                          wait for the stop; 0x20: control(RESUME) at the end
 *   wait S MS              wait up to MS ms for a wake-up of slot S's engine, then examine
 *                          and resume (a tracer's loop)
 *   mode S ANSWERS MODES BIAS EVMASK   how slot S's callbacks answer: ANSWERS a bitmask
 *                          of the resume actions to choose from at random, BIAS the percent
 *                          of plain RESUME answers, MODES the M_* bits, EVMASK the masks
 *                          callbacks may set (M_SETEV) and a followed child gets
 *   put S                  drop slot S's reference (an attached engine stays attached)
 *   detach S               utrace_control(DETACH), utrace_barrier, put: the API's teardown
 *   drain REAPED           detach every engine (slots, then unowned ones found by lookup),
 *                          wait until each is released, check and free them all. REAPED 1:
 *                          every tracee was reaped, so an engine still found attached is a
 *                          missed reap.
 *
 * Attaching is confined to tasks below the thread group given as the "scope" parameter (the
 * stress program, which is a child subreaper): a stale pid reused by another task is never
 * touched. Kernel threads are passed through (utrace must refuse them).
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/utrace.h>
#include <linux/wait.h>
#include <asm/user.h>

#define NSLOTS		128
#define SE_MAGIC	0x57e55e00
/* Released engines kept (and checked) before their memory is freed. */
#define GRAVE_KEEP	2048
#define REGBUF_SIZE	4096

static int scope;
module_param(scope, int, 0444);
MODULE_PARM_DESC(scope, "Thread group id whose descendants engines may attach to");

/* Mode bits (mode command). */
#define M_WAKE		0x01	/* callbacks bump seq and call utrace_wake_up() */
#define M_FOLLOW	0x02	/* report_clone attaches an unowned engine to the child */
#define M_SETEV		0x04	/* callbacks set their own events (a random subset of EVMASK) */
#define M_REGS		0x08	/* callbacks read current's registers through the regset API */
#define M_ABORT		0x10	/* syscall entry answers ABORT now and then */
#define M_CTRL		0x20	/* callbacks call utrace_control() on their own thread */
#define M_EXITCODE	0x40	/* report_exit changes the exit code */
#define M_SLEEP		0x80	/* sleepable callbacks yield (widen race windows) */
#define M_FOLLOW_STOP	0x100	/* a followed child is asked to stop (control STOP) */

enum st_counter {
	ST_ATTACHED, ST_RELEASED, ST_CALLBACKS, ST_WAKE_CALLS, ST_FOLLOWED, ST_FOUND,
	ST_DEATHS, ST_REAPS, ST_EXAMINED, ST_REGSET_SETS, ST_MEMREADS, ST_WAITS_WOKEN,
	ST_DRAINED, ST_FREED,
	ST_FIRST_VIOLATION,
	ST_V_LATE_CALLBACK = ST_FIRST_VIOLATION,
	ST_V_CB_AFTER_RELEASE,
	ST_V_DOUBLE_RELEASE,
	ST_V_RELEASE_HELD,
	ST_V_LOOKUP_RELEASED,
	ST_V_LOOKUP_MISMATCH,
	ST_V_BAD_ERRNO,
	ST_V_WAKE_LOST,
	ST_V_DEATH_LOST,
	ST_V_DEATH_LOST_ATOMIC,
	ST_V_DOUBLE_DEATH,
	ST_V_REAP_MISSED,
	ST_V_DRAIN_TIMEOUT,
	ST_NR
};

static const char *const stat_names[ST_NR] = {
	[ST_ATTACHED] = "attached",
	[ST_RELEASED] = "released",
	[ST_CALLBACKS] = "callbacks",
	[ST_WAKE_CALLS] = "wake_calls",
	[ST_FOLLOWED] = "followed",
	[ST_FOUND] = "lookups_found",
	[ST_DEATHS] = "deaths",
	[ST_REAPS] = "reaps",
	[ST_EXAMINED] = "examined",
	[ST_REGSET_SETS] = "regset_sets",
	[ST_MEMREADS] = "memreads",
	[ST_WAITS_WOKEN] = "waits_woken",
	[ST_DRAINED] = "drained",
	[ST_FREED] = "freed",
	[ST_V_LATE_CALLBACK] = "v_callback_after_detach",
	[ST_V_CB_AFTER_RELEASE] = "v_callback_after_release",
	[ST_V_DOUBLE_RELEASE] = "v_double_release",
	[ST_V_RELEASE_HELD] = "v_release_while_held",
	[ST_V_LOOKUP_RELEASED] = "v_lookup_released",
	[ST_V_LOOKUP_MISMATCH] = "v_lookup_mismatch",
	[ST_V_BAD_ERRNO] = "v_bad_errno",
	[ST_V_WAKE_LOST] = "v_wake_lost",
	[ST_V_DEATH_LOST] = "v_death_lost",
	[ST_V_DEATH_LOST_ATOMIC] = "v_death_lost_atomic",
	[ST_V_DOUBLE_DEATH] = "v_double_death",
	[ST_V_REAP_MISSED] = "v_reap_missed",
	[ST_V_DRAIN_TIMEOUT] = "v_drain_timeout",
};

static atomic_long_t stats[ST_NR];

/* Time spent inside utrace's API, per call (the command path's calls). */
enum api_timing { T_ATTACH, T_SET_EVENTS, T_CONTROL, T_BARRIER, T_PUT, T_EXAMINE, T_NR };

static const char *const timing_names[T_NR] = {
	"attach", "set_events", "control", "barrier", "put", "prepare_examine",
};

static atomic_long_t timing_calls[T_NR], timing_ns[T_NR], timing_cpu_ns[T_NR];

/* Wall time and the caller's CPU time (sum_exec_runtime, updated at ticks and switches). */
#define TIMED(kind, expr) ({							\
	u64 __c0 = current->se.sum_exec_runtime;				\
	ktime_t __t0 = ktime_get();						\
	typeof(expr) __r = (expr);						\
	atomic_long_inc(&timing_calls[kind]);					\
	atomic_long_add(ktime_to_ns(ktime_sub(ktime_get(), __t0)), &timing_ns[kind]); \
	atomic_long_add(current->se.sum_exec_runtime - __c0, &timing_cpu_ns[kind]); \
	__r;									\
})

#define violation(st, fmt, ...) do {						\
	atomic_long_inc(&stats[st]);						\
	pr_err_ratelimited("utrace_stress: VIOLATION %s: " fmt "\n",		\
			   stat_names[st], ##__VA_ARGS__);			\
} while (0)

/* One engine's data (engine->data): its accounting. */
struct se {
	struct list_head node;		/* live_list, then grave_list (all_lock) */
	u32 magic;
	struct utrace_engine *engine;	/* identity; references are counted in refs */
	struct task_struct *task;	/* our reference, until freed */
	pid_t tid;
	atomic_t refs;			/* API references this module holds */
	atomic_t released;		/* release() calls */
	atomic_t quiet;			/* detach returned 0 / barrier -ESRCH: no callback now */
	atomic_t deaths;
	bool death_atomic;		/* DEATH was newly set from an atomic callback */
	bool drained;
	u32 answers;			/* resume actions to choose from (bit per action) */
	u32 modes;
	u32 bias;			/* percent of plain RESUME answers */
	unsigned long evmask;
	wait_queue_head_t wq;
	struct wait_queue_entry counter;	/* priority entry: records seq at delivery */
	atomic_long_t seq;		/* bumped before each utrace_wake_up() */
	atomic_long_t seen;		/* seq as of the last delivered wake-up */
};

struct slot {
	spinlock_t lock;
	struct se *se;			/* holds one API reference (counted in se->refs) */
};

static struct slot slots[NSLOTS];

static DEFINE_SPINLOCK(all_lock);	/* the lists; taken in softirq (release) */
static LIST_HEAD(live_list);		/* attached engines not released yet */
static LIST_HEAD(grave_list);		/* released, freed after GRAVE_KEEP more */
static unsigned long grave_len;
static atomic_long_t unreleased;
static DECLARE_WAIT_QUEUE_HEAD(release_wq);

static DECLARE_RWSEM(ops_rwsem);	/* commands: read; drain: write */
static bool closing;			/* no new engine (drain, exit) */
static atomic_t cb_attaching;		/* report_clone attaches in progress */

static struct dentry *dir;

static const struct utrace_engine_ops stress_ops;
/* Another callback table, for lookups that must not match (never attached with). */
static const struct utrace_engine_ops other_ops;

static int se_woken(struct wait_queue_entry *w, unsigned int mode, int sync, void *key)
{
	struct se *se = container_of(w, struct se, counter);
	long s = atomic_long_read(&se->seq);
	long old = atomic_long_read(&se->seen);

	while (old < s && !atomic_long_try_cmpxchg(&se->seen, &old, s))
		;
	return 0;
}

static struct se *se_new(struct task_struct *task, gfp_t gfp)
{
	struct se *se = kzalloc(sizeof(*se), gfp);

	if (!se)
		return NULL;
	INIT_LIST_HEAD(&se->node);
	se->magic = SE_MAGIC;
	get_task_struct(task);
	se->task = task;
	se->tid = task->pid;
	atomic_set(&se->refs, 1);	/* the creator's, once attached */
	se->answers = BIT(UTRACE_RESUME);
	se->bias = 100;
	init_waitqueue_head(&se->wq);
	init_waitqueue_func_entry(&se->counter, se_woken);
	add_wait_queue_priority(&se->wq, &se->counter);
	return se;
}

/* An se whose attach failed: never seen by utrace. */
static void se_free_unused(struct se *se)
{
	put_task_struct(se->task);
	kfree(se);
}

/*
 * Records @engine as @se's engine. A lookup by another thread can find the engine before its
 * creator returns from the attach: whichever comes first records it.
 */
static bool se_set_engine(struct se *se, struct utrace_engine *engine)
{
	struct utrace_engine *old = cmpxchg(&se->engine, NULL, engine);

	return !old || old == engine;
}

/* After a successful CREATE: account it; the caller holds the one reference (refs 1). */
static void se_register(struct se *se, struct utrace_engine *engine)
{
	unsigned long flags;

	se_set_engine(se, engine);
	atomic_long_inc(&unreleased);
	atomic_long_inc(&stats[ST_ATTACHED]);
	spin_lock_irqsave(&all_lock, flags);
	list_add_tail(&se->node, &live_list);
	spin_unlock_irqrestore(&all_lock, flags);
}

/* Checks and frees a released se. Process context, no se user left. */
static void se_free(struct se *se)
{
	long seq = atomic_long_read(&se->seq), seen = atomic_long_read(&se->seen);

	if (seen != seq)
		violation(ST_V_WAKE_LOST, "tid %d: %ld wake-up(s) made, the last delivered was #%ld",
			  se->tid, seq, seen);
	if (atomic_read(&se->released) != 1)
		violation(ST_V_DOUBLE_RELEASE, "tid %d: released %d times", se->tid,
			  atomic_read(&se->released));
	remove_wait_queue(&se->wq, &se->counter);
	put_task_struct(se->task);
	se->magic = 0;
	kfree(se);
	atomic_long_inc(&stats[ST_FREED]);
}

/* Frees released engines beyond the newest @keep. Process context. */
static void grave_reclaim(unsigned long keep)
{
	for (;;) {
		struct se *se = NULL;
		unsigned long flags;

		spin_lock_irqsave(&all_lock, flags);
		if (grave_len > keep) {
			se = list_first_entry(&grave_list, struct se, node);
			list_del_init(&se->node);
			grave_len--;
		}
		spin_unlock_irqrestore(&all_lock, flags);
		if (!se)
			return;
		se_free(se);
	}
}

/* A reference this module holds is given up. */
static void se_put(struct se *se)
{
	atomic_dec(&se->refs);
	/* Seen by a release() our put may make (it checks refs). */
	smp_mb__after_atomic();
	TIMED(T_PUT, (utrace_engine_put(se->engine), 0));
}

static void s_release(void *data)
{
	struct se *se = data;
	unsigned long flags;
	int n;

	if (se->magic != SE_MAGIC) {
		violation(ST_V_DOUBLE_RELEASE, "release of freed engine data %p", se);
		return;
	}
	n = atomic_inc_return(&se->released);
	if (n != 1) {
		violation(ST_V_DOUBLE_RELEASE, "tid %d: release #%d", se->tid, n);
		return;
	}
	if (atomic_read(&se->refs))
		violation(ST_V_RELEASE_HELD, "tid %d: release with %d reference(s) still held",
			  se->tid, atomic_read(&se->refs));
	atomic_long_inc(&stats[ST_RELEASED]);
	spin_lock_irqsave(&all_lock, flags);
	list_move_tail(&se->node, &grave_list);
	grave_len++;
	spin_unlock_irqrestore(&all_lock, flags);
	if (atomic_long_dec_and_test(&unreleased))
		wake_up(&release_wq);
}

/* Callback bookkeeping. */
static struct se *cb_begin(struct utrace_engine *engine, const char *what)
{
	struct se *se = engine->data;

	atomic_long_inc(&stats[ST_CALLBACKS]);
	if (atomic_read(&se->released))
		violation(ST_V_CB_AFTER_RELEASE, "tid %d: %s after release", se->tid, what);
	if (atomic_read(&se->quiet))
		violation(ST_V_LATE_CALLBACK, "tid %d: %s after a successful detach", se->tid, what);
	return se;
}

static void cb_end(struct se *se, const char *what)
{
	/* Pairs with set_quiet(): a detach that returned during the callback is seen. */
	smp_mb();
	if (atomic_read(&se->quiet))
		violation(ST_V_LATE_CALLBACK, "tid %d: detach succeeded while %s ran", se->tid,
			  what);
}

/*
 * The engine is detached for good (DETACH returned 0, or barrier -ESRCH): from now on a
 * callback is a violation.
 */
static void set_quiet(struct se *se)
{
	atomic_set(&se->quiet, 1);
	/* Pairs with cb_end(): a callback still running sees it at its end. */
	smp_mb();
}

/* No new engine from now on (drain, exit); then wait for cb_attaching to drop to 0. */
static void set_closing(void)
{
	WRITE_ONCE(closing, true);
	/* Pairs with s_clone(): it sees closing, or the drain sees its cb_attaching. */
	smp_mb();
}

static bool chance(u32 percent)
{
	return get_random_u32_below(100) < percent;
}

/* A random answer among the slot's allowed actions (@allowed masks out impossible ones). */
static u32 pick(struct se *se, u32 allowed)
{
	unsigned long m = READ_ONCE(se->answers) & allowed;
	u32 k;
	int bit;

	if (!m || chance(READ_ONCE(se->bias)))
		return UTRACE_RESUME;
	k = get_random_u32_below(hweight32(m));
	for_each_set_bit(bit, &m, 32)
		if (!k--)
			return bit;
	return UTRACE_RESUME;
}

#define ALL_ANSWERS	(BIT(UTRACE_RESUME_MAX) - 1)

static void cb_wake(struct se *se)
{
	if (!(READ_ONCE(se->modes) & M_WAKE))
		return;
	atomic_long_inc(&se->seq);
	atomic_long_inc(&stats[ST_WAKE_CALLS]);
	utrace_wake_up(&se->wq);
}

/* Common extras of the callbacks that run in the traced thread. */
static void cb_extras(struct se *se, struct utrace_engine *engine, bool atomic)
{
	u32 modes = READ_ONCE(se->modes);

	if (modes & M_SETEV) {
		unsigned long old = READ_ONCE(engine->flags);
		unsigned long ev = READ_ONCE(se->evmask) & get_random_u32();
		int ret = utrace_set_events(current, engine, ev);

		if (!ret && (ev & UTRACE_EVENT(DEATH)) && !(old & UTRACE_EVENT(DEATH)))
			WRITE_ONCE(se->death_atomic, atomic);
		else if (!ret && !atomic && (ev & UTRACE_EVENT(DEATH)))
			WRITE_ONCE(se->death_atomic, false);
		if (ret && ret != -ESRCH && ret != -EALREADY && ret != -EINPROGRESS)
			violation(ST_V_BAD_ERRNO, "set_events from a callback: %d", ret);
	}
	if (modes & M_REGS) {
		struct user_regs_struct regs;
		int ret = utrace_regset_get(current, engine, 0, &regs, sizeof(regs));

		/*
		 * -ESRCH only once the engine is detached (by the driver, concurrently): then
		 * it stays so, and set_events says -ESRCH too.
		 */
		if (ret == -ESRCH) {
			int ev = utrace_set_events(current, engine, READ_ONCE(engine->flags));

			if (ev != -ESRCH)
				violation(ST_V_BAD_ERRNO, "regset_get of current from a callback: -ESRCH, but set_events: %d",
					  ev);
		} else if (ret != sizeof(regs)) {
			violation(ST_V_BAD_ERRNO, "regset_get of current from a callback: %d", ret);
		}
	}
	if ((modes & M_CTRL) && chance(25)) {
		u32 action = get_random_u32_below(UTRACE_RESUME_MAX);
		int ret = utrace_control(current, engine, action);

		if (ret && ret != -EINVAL && ret != -ESRCH && ret != -EINPROGRESS)
			violation(ST_V_BAD_ERRNO, "control(%u) of current from a callback: %d",
				  action, ret);
	}
	if (!atomic && (modes & M_SLEEP) && chance(20))
		schedule_timeout_uninterruptible(1);
	cb_wake(se);
}

static u32 s_quiesce(u32 action, struct utrace_engine *engine, unsigned long event)
{
	struct se *se = cb_begin(engine, "report_quiesce");
	u32 ret;

	cb_extras(se, engine, false);
	ret = pick(se, ALL_ANSWERS);
	cb_end(se, "report_quiesce");
	return ret;
}

static u32 s_signal(u32 action, struct utrace_engine *engine, struct pt_regs *regs,
		    struct kernel_siginfo *info, const struct k_sigaction *orig_ka,
		    struct k_sigaction *return_ka)
{
	struct se *se = cb_begin(engine, "report_signal");
	u32 ret;

	cb_extras(se, engine, true);
	ret = pick(se, ALL_ANSWERS) | utrace_signal_action(action);
	cb_end(se, "report_signal");
	return ret;
}

static void follow(struct se *parent, struct utrace_engine *pengine, struct task_struct *child)
{
	struct utrace_engine *e;
	struct se *se;
	int ret;

	se = se_new(child, GFP_KERNEL);
	if (!se)
		return;
	se->answers = READ_ONCE(parent->answers);
	se->modes = READ_ONCE(parent->modes);
	se->bias = READ_ONCE(parent->bias);
	se->evmask = READ_ONCE(parent->evmask);
	e = utrace_attach_task(child, UTRACE_ATTACH_CREATE, &stress_ops, se);
	if (IS_ERR(e)) {
		if (PTR_ERR(e) != -ENOMEM && PTR_ERR(e) != -ESRCH)
			violation(ST_V_BAD_ERRNO, "attach to a new child: %ld", PTR_ERR(e));
		se_free_unused(se);
		return;
	}
	se_register(se, e);
	atomic_long_inc(&stats[ST_FOLLOWED]);
	ret = utrace_set_events(child, e, READ_ONCE(pengine->flags) & se->evmask);
	if (ret && ret != -ESRCH && ret != -EALREADY)
		violation(ST_V_BAD_ERRNO, "set_events on a new child: %d", ret);
	if (se->modes & M_FOLLOW_STOP) {
		ret = utrace_control(child, e, UTRACE_STOP);
		if (ret && ret != -EINPROGRESS && ret != -ESRCH)
			violation(ST_V_BAD_ERRNO, "control(STOP) of a new child: %d", ret);
	}
	/* Unowned from here: released at its reap, or found again by a lookup. */
	se_put(se);
}

static u32 s_clone(u32 action, struct utrace_engine *engine, unsigned long clone_flags,
		   struct task_struct *child)
{
	struct se *se = cb_begin(engine, "report_clone");
	u32 ret;

	if (READ_ONCE(se->modes) & M_FOLLOW) {
		atomic_inc(&cb_attaching);
		/* Pairs with set_closing(): the drain waits for us, or we see closing. */
		smp_mb__after_atomic();
		if (!READ_ONCE(closing))
			follow(se, engine, child);
		atomic_dec(&cb_attaching);
	}
	cb_extras(se, engine, false);
	ret = pick(se, ALL_ANSWERS);
	cb_end(se, "report_clone");
	return ret;
}

static u32 s_exec(u32 action, struct utrace_engine *engine, const struct linux_binfmt *fmt,
		  const struct linux_binprm *bprm, struct pt_regs *regs)
{
	struct se *se = cb_begin(engine, "report_exec");
	u32 ret;

	cb_extras(se, engine, false);
	ret = pick(se, ALL_ANSWERS);
	cb_end(se, "report_exec");
	return ret;
}

static u32 s_syscall_entry(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	struct se *se = cb_begin(engine, "report_syscall_entry");
	u32 ret;

	cb_extras(se, engine, false);
	ret = pick(se, ALL_ANSWERS);
	if ((READ_ONCE(se->modes) & M_ABORT) && chance(5))
		ret |= UTRACE_SYSCALL_ABORT;
	cb_end(se, "report_syscall_entry");
	return ret;
}

static u32 s_syscall_exit(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	struct se *se = cb_begin(engine, "report_syscall_exit");
	u32 ret;

	cb_extras(se, engine, false);
	ret = pick(se, ALL_ANSWERS);
	cb_end(se, "report_syscall_exit");
	return ret;
}

static u32 s_exit(u32 action, struct utrace_engine *engine, long orig_code, long *code)
{
	struct se *se = cb_begin(engine, "report_exit");
	u32 ret;

	cb_extras(se, engine, false);
	if (READ_ONCE(se->modes) & M_EXITCODE)
		*code = (get_random_u32_below(256) << 8);
	ret = pick(se, ALL_ANSWERS);
	cb_end(se, "report_exit");
	return ret;
}

static u32 s_death(struct utrace_engine *engine, bool group_dead, int signal)
{
	struct se *se = cb_begin(engine, "report_death");
	u32 ret;

	atomic_long_inc(&stats[ST_DEATHS]);
	if (atomic_inc_return(&se->deaths) != 1)
		violation(ST_V_DOUBLE_DEATH, "tid %d: report_death #%d", se->tid,
			  atomic_read(&se->deaths));
	cb_wake(se);
	ret = pick(se, BIT(UTRACE_RESUME) | BIT(UTRACE_DETACH));
	cb_end(se, "report_death");
	return ret;
}

static void s_reap(struct utrace_engine *engine, struct task_struct *task)
{
	struct se *se = cb_begin(engine, "report_reap");

	atomic_long_inc(&stats[ST_REAPS]);
	if ((READ_ONCE(engine->flags) & UTRACE_EVENT(DEATH)) && !atomic_read(&se->deaths)) {
		if (READ_ONCE(se->death_atomic))
			violation(ST_V_DEATH_LOST_ATOMIC,
				  "tid %d: reaped without report_death; DEATH was set from report_signal",
				  se->tid);
		else
			violation(ST_V_DEATH_LOST, "tid %d: reaped without report_death",
				  se->tid);
	}
	cb_wake(se);
	cb_end(se, "report_reap");
}

static const struct utrace_engine_ops stress_ops = {
	.report_quiesce = s_quiesce,
	.report_signal = s_signal,
	.report_clone = s_clone,
	.report_exec = s_exec,
	.report_syscall_entry = s_syscall_entry,
	.report_syscall_exit = s_syscall_exit,
	.report_exit = s_exit,
	.report_death = s_death,
	.report_reap = s_reap,
	.release = s_release,
};

static const struct utrace_engine_ops other_ops = {
	.release = s_release,
};

/* Whether @t is below the scope's thread group (and not in it). */
static bool in_scope(struct task_struct *t)
{
	struct task_struct *p;
	bool ok = false;
	int depth = 0;

	if (scope <= 0)
		return false;
	rcu_read_lock();
	if (t->tgid == scope)
		goto out;
	for (p = rcu_dereference(t->real_parent); depth < 64;
	     p = rcu_dereference(p->real_parent), depth++) {
		if (p->tgid == scope) {
			ok = true;
			break;
		}
		if (p->pid <= 1)
			break;
	}
out:
	rcu_read_unlock();
	return ok;
}

/*
 * The task of @tid, referenced, if engines may attach to it; else NULL and *err: -ECHILD
 * no such task (so that utrace's own -ESRCH stays distinguishable), -EACCES out of scope.
 */
static struct task_struct *target(pid_t tid, long *err)
{
	struct task_struct *task;
	struct pid *pid;

	*err = -ECHILD;
	if (tid <= 0)
		return NULL;
	pid = find_get_pid(tid);
	if (!pid)
		return NULL;
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return NULL;
	if (!(task->flags & PF_KTHREAD) && !in_scope(task)) {
		put_task_struct(task);
		*err = -EACCES;
		return NULL;
	}
	return task;
}

static struct se *slot_get(int s)
{
	struct se *se;

	spin_lock(&slots[s].lock);
	se = slots[s].se;
	if (se) {
		utrace_engine_get(se->engine);
		atomic_inc(&se->refs);
	}
	spin_unlock(&slots[s].lock);
	return se;
}

static struct se *slot_take(int s)
{
	struct se *se;

	spin_lock(&slots[s].lock);
	se = slots[s].se;
	slots[s].se = NULL;
	spin_unlock(&slots[s].lock);
	return se;
}

/* Puts @se (holding one reference of ours) in slot @s if it is free. */
static bool slot_install(int s, struct se *se)
{
	bool ok;

	spin_lock(&slots[s].lock);
	ok = !slots[s].se;
	if (ok)
		slots[s].se = se;
	spin_unlock(&slots[s].lock);
	return ok;
}

/* Whether @ret is 0 or one of the errors in the -errno list @ok (0-terminated). */
static bool errno_in(long ret, const int *ok)
{
	if (ret >= 0)
		return true;
	for (; *ok; ok++)
		if (ret == -*ok)
			return true;
	return false;
}

static void check_errno(const char *op, long ret, const int *ok)
{
	if (!errno_in(ret, ok))
		violation(ST_V_BAD_ERRNO, "%s: undocumented error %ld", op, ret);
}

static const int attach_errs[] = { EINVAL, EPERM, EEXIST, ESRCH, ENOMEM, ERESTARTNOINTR, 0 };
static const int lookup_errs[] = { ENOENT, EINVAL, ESRCH, 0 };
static const int events_errs[] = { EINVAL, ESRCH, EALREADY, EINPROGRESS, 0 };
static const int control_errs[] = { EINVAL, ESRCH, EINPROGRESS, 0 };
static const int barrier_errs[] = { ESRCH, ERESTARTSYS, 0 };
static const int examine_errs[] = { EINVAL, EAGAIN, ESRCH, 0 };
/*
 * A regset's own get/set fails in its own ways, which utrace passes on: -ENXIO (the I/O
 * permission bitmap of a thread that has none), -ENODEV (a feature the CPU lacks), ...
 */
static const int regset_errs[] = { EINVAL, EAGAIN, ESRCH, EPERM, ENODEV, ENXIO, EIO, EFAULT, 0 };
static const int access_vm_errs[] = { EINVAL, EAGAIN, ESRCH, EPERM, EIO, 0 };

#define HOW_TASK	0
#define HOW_PID		1
#define HOW_NULL_OPS	2
#define HOW_OTHER_OPS	3

static struct utrace_engine *do_attach(struct task_struct *task, int flags, bool by_pid,
				       const struct utrace_engine_ops *ops, void *data)
{
	struct utrace_engine *e;
	struct pid *pid;

	if (!by_pid)
		return TIMED(T_ATTACH, utrace_attach_task(task, flags, ops, data));
	pid = get_task_pid(task, PIDTYPE_PID);
	e = TIMED(T_ATTACH, utrace_attach_pid(pid, flags, ops, data));
	put_pid(pid);
	return e;
}

/* The teardown of the API: DETACH, barrier until it says so, put. */
static void teardown(struct se *se, bool reaped)
{
	int ret, tries = 0;

	ret = TIMED(T_CONTROL, utrace_control(se->task, se->engine, UTRACE_DETACH));
	check_errno("detach", ret, control_errs);
	if (!ret)
		set_quiet(se);
	if (reaped && ret != -ESRCH && !pid_alive(se->task))
		violation(ST_V_REAP_MISSED, "tid %d: reaped, engine still attached (detach: %d)",
			  se->tid, ret);
	do {
		ret = TIMED(T_BARRIER, utrace_barrier(se->task, se->engine));
	} while (ret == -ERESTARTSYS && !fatal_signal_pending(current) && ++tries < 100);
	check_errno("barrier after detach", ret, barrier_errs);
	if (ret == -ESRCH)
		set_quiet(se);
	se_put(se);
}

static long op_attach(int s, pid_t tid, int flags, int how, int ds)
{
	const struct utrace_engine_ops *ops = &stress_ops;
	bool create = flags & UTRACE_ATTACH_CREATE;
	struct se *se = NULL, *found;
	struct utrace_engine *e;
	struct task_struct *task;
	bool invalid;
	void *data = NULL;
	long ret;

	task = target(tid, &ret);
	if (!task)
		return ret;
	if (how == HOW_NULL_OPS)
		ops = NULL;
	else if (how == HOW_OTHER_OPS)
		ops = &other_ops;
	invalid = (flags & ~(0x3f | UTRACE_ATTACH_CHECK_ACCESS | UTRACE_ACCESS_OWN_GROUP |
			     UTRACE_ACCESS_USER_WORKER)) ||
		  ((flags & (UTRACE_ACCESS_OWN_GROUP | UTRACE_ACCESS_USER_WORKER)) &&
		   !(flags & UTRACE_ATTACH_CHECK_ACCESS)) ||
		  (create && (!ops || (task->flags & PF_KTHREAD)));
	if (create) {
		if (READ_ONCE(closing) || ops == &other_ops) {
			ret = -ESHUTDOWN;
			goto out;
		}
		se = se_new(task, GFP_KERNEL);
		if (!se) {
			ret = -ENOMEM;
			goto out;
		}
		data = se;
	} else if (ds >= 0 && ds < NSLOTS) {
		data = READ_ONCE(slots[ds].se);	/* only compared */
	}
	e = do_attach(task, flags, how == HOW_PID, ops, data);
	if (IS_ERR(e)) {
		ret = PTR_ERR(e);
		check_errno(create ? "attach" : "lookup", ret, create ? attach_errs : lookup_errs);
		if (se)
			se_free_unused(se);
		goto out;
	}
	if (invalid)
		violation(ST_V_BAD_ERRNO, "attach tid %d flags 0x%x how %d: accepted", tid, flags,
			  how);
	ret = 0;
	if (create) {
		se_register(se, e);
		if (!slot_install(s, se))
			se_put(se);	/* attached, unowned */
		goto out;
	}
	/* A lookup: it must find one of ours, alive, matching what was asked. */
	found = e->data;
	if (e->ops != &stress_ops || !found || found->magic != SE_MAGIC) {
		violation(ST_V_LOOKUP_MISMATCH, "tid %d flags 0x%x: found a foreign engine", tid,
			  flags);
		utrace_engine_put(e);
		goto out;
	}
	atomic_long_inc(&stats[ST_FOUND]);
	if (((flags & UTRACE_ATTACH_MATCH_DATA) && found != data) ||
	    ((flags & UTRACE_ATTACH_MATCH_OPS) && e->ops != ops) || found->task != task ||
	    !se_set_engine(found, e))
		violation(ST_V_LOOKUP_MISMATCH, "tid %d flags 0x%x: found what was not asked",
			  tid, flags);
	if (atomic_read(&found->released))
		violation(ST_V_LOOKUP_RELEASED, "tid %d: lookup found a released engine", tid);
	atomic_inc(&found->refs);
	if (!slot_install(s, found))
		se_put(found);
out:
	put_task_struct(task);
	return ret;
}

static long op_events(int s, unsigned long mask, int pidv)
{
	struct se *se = slot_get(s);
	unsigned long old;
	struct pid *pid;
	long ret;

	if (!se)
		return -ENOENT;
	old = READ_ONCE(se->engine->flags);
	if (pidv) {
		pid = get_task_pid(se->task, PIDTYPE_PID);
		ret = TIMED(T_SET_EVENTS, utrace_set_events_pid(pid, se->engine, mask));
		put_pid(pid);
	} else {
		ret = TIMED(T_SET_EVENTS, utrace_set_events(se->task, se->engine, mask));
	}
	check_errno("set_events", ret, events_errs);
	if (!ret && (mask & ~UTRACE_EVENT_ALL))
		violation(ST_V_BAD_ERRNO, "set_events 0x%lx: accepted", mask);
	if (!ret && (mask & UTRACE_EVENT(DEATH)) && !(old & UTRACE_EVENT(DEATH)))
		WRITE_ONCE(se->death_atomic, false);
	se_put(se);
	return ret;
}

static long op_control(int s, u32 action, int pidv)
{
	struct se *se = slot_get(s);
	struct pid *pid;
	long ret;

	if (!se)
		return -ENOENT;
	if (pidv) {
		pid = get_task_pid(se->task, PIDTYPE_PID);
		ret = TIMED(T_CONTROL, utrace_control_pid(pid, se->engine, action));
		put_pid(pid);
	} else {
		ret = TIMED(T_CONTROL, utrace_control(se->task, se->engine, action));
	}
	check_errno("control", ret, control_errs);
	if (!ret && action >= UTRACE_RESUME_MAX)
		violation(ST_V_BAD_ERRNO, "control %u: accepted", action);
	if (!ret && action == UTRACE_DETACH)
		set_quiet(se);
	se_put(se);
	return ret;
}

static long op_barrier(int s, int pidv)
{
	struct se *se = slot_get(s);
	struct pid *pid;
	long ret;

	if (!se)
		return -ENOENT;
	if (pidv) {
		pid = get_task_pid(se->task, PIDTYPE_PID);
		ret = TIMED(T_BARRIER, utrace_barrier_pid(pid, se->engine));
		put_pid(pid);
	} else {
		ret = TIMED(T_BARRIER, utrace_barrier(se->task, se->engine));
	}
	check_errno("barrier", ret, barrier_errs);
	/* Fully detached; not so from the _pid variant, whose -ESRCH may mean "no task". */
	if (ret == -ESRCH && !pidv)
		set_quiet(se);
	se_put(se);
	return ret;
}

#define X_SET		0x1
#define X_MEM		0x2
#define X_BADSET	0x4
#define X_NOPREP	0x8
#define X_STOP		0x10
#define X_RESUME	0x20

/*
 * What a tracer does to look at a running thread: utrace_control(STOP), then
 * prepare_examine until the thread is parked (it stops at its next safe point: a return to
 * user mode, within a tick for a thread running user code). 0 once parked.
 */
static long stop_and_prepare(struct se *se, struct utrace_examiner *exam)
{
	long ret = utrace_control(se->task, se->engine, UTRACE_STOP);
	int tries;

	check_errno("control(STOP)", ret, control_errs);
	if (ret && ret != -EINPROGRESS)
		return ret;
	for (tries = 0; tries < 40; tries++) {
		ret = utrace_prepare_examine(se->task, se->engine, exam);
		if (ret != -EAGAIN)
			break;
		usleep_range(500, 1000);
	}
	return ret;
}

static long examine(struct se *se, unsigned int which, unsigned int size, unsigned int xf)
{
	struct utrace_examiner exam;
	void *buf;
	long ret, n;

	if (size > REGBUF_SIZE)
		size = REGBUF_SIZE;
	buf = kzalloc(REGBUF_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (xf & X_STOP) {
		ret = stop_and_prepare(se, &exam);
		check_errno("prepare_examine after STOP", ret, examine_errs);
		if (ret)
			goto out;
	} else if (!(xf & X_NOPREP)) {
		ret = TIMED(T_EXAMINE, utrace_prepare_examine(se->task, se->engine, &exam));
		check_errno("prepare_examine", ret, examine_errs);
		if (ret)
			goto out;
	}
	n = utrace_regset_get(se->task, se->engine, which, buf, size);
	check_errno("regset_get", n, regset_errs);
	if (n >= 0 && which >= 64)
		violation(ST_V_BAD_ERRNO, "regset_get of regset %u: accepted", which);
	if (n > size)
		violation(ST_V_BAD_ERRNO, "regset_get of %u bytes copied %ld", size, n);
	if (n > 0) {
		atomic_long_inc(&stats[ST_EXAMINED]);
		if ((xf & X_SET) && which == 0) {
			ret = utrace_regset_set(se->task, se->engine, 0, 0, buf, n & ~7L);
			check_errno("regset_set", ret, regset_errs);
			if (!ret)
				atomic_long_inc(&stats[ST_REGSET_SETS]);
		}
		if ((xf & X_MEM) && which == 0 && n >= sizeof(struct user_regs_struct)) {
			struct user_regs_struct *r = buf;
			char mem[64];

			ret = utrace_access_vm(se->task, se->engine, r->sp, mem, sizeof(mem), false);
			check_errno("access_vm", ret, access_vm_errs);
			if (ret > 0)
				atomic_long_inc(&stats[ST_MEMREADS]);
		}
	}
	if (xf & X_BADSET) {
		ret = utrace_regset_set(se->task, se->engine, 0, 3, buf, 5);
		check_errno("regset_set unaligned", ret, regset_errs);
		if (!ret)
			violation(ST_V_BAD_ERRNO, "regset_set at offset 3 of 5 bytes: accepted");
	}
	ret = n < 0 ? n : 0;
	if (!(xf & X_NOPREP) || (xf & X_STOP)) {
		ret = utrace_finish_examine(se->task, se->engine, &exam);
		check_errno("finish_examine", ret, examine_errs);
	}
out:
	/* The tracer lets it go again. */
	if (xf & X_RESUME)
		check_errno("control(RESUME)", utrace_control(se->task, se->engine, UTRACE_RESUME),
			    control_errs);
	kfree(buf);
	return ret;
}

static long op_examine(int s, unsigned int which, unsigned int size, unsigned int xf)
{
	struct se *se = slot_get(s);
	long ret;

	if (!se)
		return -ENOENT;
	ret = examine(se, which, size, xf);
	se_put(se);
	return ret;
}

static long op_wait(int s, unsigned int ms)
{
	struct se *se = slot_get(s);
	long seen, left, ret;

	if (!se)
		return -ENOENT;
	seen = atomic_long_read(&se->seen);
	left = wait_event_interruptible_timeout(se->wq, atomic_long_read(&se->seen) != seen,
						msecs_to_jiffies(min(ms, 1000U)));
	if (left > 0) {
		atomic_long_inc(&stats[ST_WAITS_WOKEN]);
		ret = examine(se, 0, sizeof(struct user_regs_struct), X_SET | X_RESUME);
	} else {
		ret = left ? left : -ETIMEDOUT;
	}
	se_put(se);
	return ret;
}

static long op_mode(int s, u32 answers, u32 modes, u32 bias, unsigned long evmask)
{
	struct se *se = slot_get(s);

	if (!se)
		return -ENOENT;
	WRITE_ONCE(se->evmask, evmask & UTRACE_EVENT_ALL);
	WRITE_ONCE(se->bias, min(bias, 100U));
	WRITE_ONCE(se->modes, modes);
	WRITE_ONCE(se->answers, answers & ALL_ANSWERS);
	se_put(se);
	return 0;
}

static long op_put(int s)
{
	struct se *se = slot_take(s);

	if (!se)
		return -ENOENT;
	se_put(se);
	return 0;
}

static long op_detach(int s)
{
	struct se *se = slot_take(s);

	if (!se)
		return -ENOENT;
	teardown(se, false);
	return 0;
}

/*
 * Detach every engine and wait until each is released; then check and free them all.
 * Called with ops_rwsem held for writing and closing set.
 */
static long drain(bool reaped)
{
	unsigned long flags;
	struct se *it;
	long ret = 0;
	int i;

	while (atomic_read(&cb_attaching))
		schedule_timeout_uninterruptible(1);
	if (reaped)
		rcu_barrier();	/* every reap (an RCU callback) queued so far has run */
	for (i = 0; i < NSLOTS; i++) {
		struct se *se = slot_take(i);

		if (se)
			teardown(se, reaped);
	}
	/* Unowned engines (put while attached, followed children): find them by lookup. */
	for (;;) {
		struct utrace_engine *e;
		struct se *se = NULL;

		spin_lock_irqsave(&all_lock, flags);
		list_for_each_entry(it, &live_list, node) {
			if (!it->drained) {
				it->drained = true;
				se = it;
				break;
			}
		}
		spin_unlock_irqrestore(&all_lock, flags);
		if (!se)
			break;
		/* se stays allocated: only this function frees, and it is still listed. */
		e = utrace_attach_task(se->task, UTRACE_ATTACH_MATCH_OPS | UTRACE_ATTACH_MATCH_DATA,
				       &stress_ops, se);
		if (IS_ERR(e)) {
			check_errno("lookup of an unowned engine", PTR_ERR(e), lookup_errs);
			continue;
		}
		if (e != se->engine)
			violation(ST_V_LOOKUP_MISMATCH, "tid %d: lookup of an unowned engine found another",
				  se->tid);
		atomic_inc(&se->refs);
		atomic_long_inc(&stats[ST_DRAINED]);
		teardown(se, reaped);
	}
	/* An idle wait: a long one is what the violation below reports, not a hung task. */
	if (!wait_event_idle_timeout(release_wq, !atomic_long_read(&unreleased), 30 * HZ)) {
		violation(ST_V_DRAIN_TIMEOUT, "%ld engine(s) never released",
			  atomic_long_read(&unreleased));
		spin_lock_irqsave(&all_lock, flags);
		list_for_each_entry(it, &live_list, node)
			pr_err("utrace_stress: unreleased: tid %d refs %d quiet %d pid_alive %d exit_state %d state 0x%x flags 0x%x engine %d\n",
			       it->tid, atomic_read(&it->refs), atomic_read(&it->quiet),
			       pid_alive(it->task), it->task->exit_state,
			       READ_ONCE(it->task->__state), it->task->flags,
			       it->engine ? 1 : 0);
		spin_unlock_irqrestore(&all_lock, flags);
		ret = -ETIMEDOUT;
	}
	/*
	 * Every release has passed its last access to an se (the unreleased count drops
	 * after it): all can be freed. (The module's exit also waits for the code.)
	 */
	grave_reclaim(0);
	spin_lock_irqsave(&all_lock, flags);
	list_for_each_entry(it, &live_list, node)
		it->drained = false;
	spin_unlock_irqrestore(&all_lock, flags);
	return ret;
}

static long run_command(char *buf)
{
	char op[16];
	long a[5] = { 0 };
	int n, s;

	n = sscanf(buf, "%15s %li %li %li %li %li", op, &a[0], &a[1], &a[2], &a[3], &a[4]);
	if (n < 1)
		return -EINVAL;
	if (!strcmp(op, "drain")) {
		long ret;

		down_write(&ops_rwsem);
		set_closing();
		ret = drain(n > 1 && a[0]);
		WRITE_ONCE(closing, false);
		up_write(&ops_rwsem);
		return ret;
	}
	if (n < 2 || a[0] < 0 || a[0] >= NSLOTS)
		return -EINVAL;
	s = a[0];
	if (!strcmp(op, "attach"))
		return n < 6 ? -EINVAL : op_attach(s, a[1], a[2], a[3], a[4]);
	if (!strcmp(op, "events"))
		return n < 4 ? -EINVAL : op_events(s, a[1], a[2]);
	if (!strcmp(op, "control"))
		return n < 4 ? -EINVAL : op_control(s, (u32)a[1], a[2]);
	if (!strcmp(op, "barrier"))
		return n < 3 ? -EINVAL : op_barrier(s, a[1]);
	if (!strcmp(op, "examine"))
		return n < 5 ? -EINVAL : op_examine(s, a[1], a[2], a[3]);
	if (!strcmp(op, "wait"))
		return n < 3 ? -EINVAL : op_wait(s, a[1]);
	if (!strcmp(op, "mode"))
		return n < 6 ? -EINVAL : op_mode(s, a[1], a[2], a[3], a[4]);
	if (!strcmp(op, "put"))
		return op_put(s);
	if (!strcmp(op, "detach"))
		return op_detach(s);
	return -EINVAL;
}

static ssize_t control_write(struct file *file, const char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	char buf[128];
	long ret;

	if (len >= sizeof(buf))
		return -E2BIG;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (!strncmp(buf, "drain", 5))
		return run_command(buf) ?: len;
	down_read(&ops_rwsem);
	grave_reclaim(GRAVE_KEEP);
	ret = run_command(buf);
	up_read(&ops_rwsem);
	return ret < 0 ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
};

/* "name value" per counter, then the violation total and the live engine counts. */
static int stats_show(struct seq_file *m, void *v)
{
	long total = 0;
	int i;

	for (i = 0; i < ST_NR; i++) {
		long n = atomic_long_read(&stats[i]);

		seq_printf(m, "%s %ld\n", stat_names[i], n);
		if (i >= ST_FIRST_VIOLATION)
			total += n;
	}
	seq_printf(m, "violations %ld\n", total);
	seq_printf(m, "unreleased %ld\n", atomic_long_read(&unreleased));
	seq_printf(m, "grave %lu\n", READ_ONCE(grave_len));
	for (i = 0, total = 0; i < NSLOTS; i++)
		total += !!READ_ONCE(slots[i].se);
	seq_printf(m, "slots_in_use %ld\n", total);
	for (i = 0; i < T_NR; i++)
		seq_printf(m, "time_%s %ld %ld %ld\n", timing_names[i],
			   atomic_long_read(&timing_calls[i]), atomic_long_read(&timing_ns[i]),
			   atomic_long_read(&timing_cpu_ns[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int __init utrace_stress_init(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		spin_lock_init(&slots[i].lock);
	dir = debugfs_create_dir("utrace_stress", NULL);
	debugfs_create_file("control", 0200, dir, NULL, &control_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
	return 0;
}

static void __exit utrace_stress_exit(void)
{
	ktime_t t0 = ktime_get(), t1;
	long total = 0;
	int i;

	debugfs_remove_recursive(dir);
	down_write(&ops_rwsem);
	set_closing();
	if (drain(false)) {
		/* Engines that may still call release(): leak their data rather than free it. */
		pr_err("utrace_stress: exit: engines left unreleased, their data is leaked\n");
	}
	up_write(&ops_rwsem);
	t1 = ktime_get();
	/*
	 * A release made by a reporting thread or a reap (softirq) may still be returning
	 * through s_release() after the count it drops reached zero: RCU-tasks waits until
	 * every task has switched voluntarily (or been in user mode), which such a task cannot
	 * do before it has left our code.
	 */
	synchronize_rcu_tasks();
	pr_info("utrace_stress: exit: drain %lld ms, RCU-tasks grace period %lld ms\n",
		ktime_ms_delta(t1, t0), ktime_ms_delta(ktime_get(), t1));
	for (i = ST_FIRST_VIOLATION; i < ST_NR; i++)
		total += atomic_long_read(&stats[i]);
	pr_info("utrace_stress: exit: %ld engines attached, %ld released, %ld callbacks, %ld violation(s)\n",
		atomic_long_read(&stats[ST_ATTACHED]), atomic_long_read(&stats[ST_RELEASED]),
		atomic_long_read(&stats[ST_CALLBACKS]), total);
	if (total)
		pr_err("utrace_stress: VIOLATION total: %ld in this module's life\n", total);
}

module_init(utrace_stress_init);
module_exit(utrace_stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace stress engine: many engines, random operations, invariant accounting");
