// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_engine: a C engine that user space drives through debugfs, for the tests.
 *
 * /sys/kernel/debug/utrace_test/control takes one command per write(); the write returns
 * the command's result (a negative errno fails the write with that errno):
 *
 *   attach S TID FLAGS      utrace_attach_task(TID, FLAGS, &ops, slot S); S holds the ref
 *                           (an engine already in slot S is detached first)
 *   attach_null_ops S TID   utrace_attach_task with ops == NULL (must fail)
 *   lookup S TID FLAGS      attach without CREATE; must find slot S's engine (extra ref put)
 *   may TID FLAGS           utrace_may_trace(TID, FLAGS) (FLAGS 0 if not given)
 *   events S MASK           utrace_set_events (MASK in hex)
 *   ret S EVENT VALUE       what callback EVENT of slot S returns (hex); EVENT is one of
 *                           quiesce clone exec exit death syscall_entry syscall_exit signal
 *                           jctl
 *   exitcode S CODE         report_exit of slot S sets *code = CODE (decimal)
 *   control S ACTION        utrace_control (ACTION decimal)
 *   barrier S               utrace_barrier
 *   put S                   drop slot S's reference
 *   attach_task S FROM FLAGS  attach slot S to the task slot FROM holds (maybe dead)
 *   only_nr S NR            slot S's syscall_entry answer applies only to syscall NR
 *                           (other syscalls get UTRACE_RESUME)
 *   chain S TO              slot S's next syscall_entry callback attaches slot TO to the
 *                           same task, with slot TO's events set to syscall entry+exit,
 *                           if slot TO is empty (a callback never replaces an engine)
 *   count S                 slot S's syscall callbacks only count, in counts (bench)
 *   gate S                  slot S's next syscall_entry or report_death callback blocks
 *                           (after logging) until "open S"
 *   open S                  release a gated callback
 *   clear                   empty the log
 *   ret S resumed VALUE     what a UTRACE_SYSCALL_RESUMED syscall_entry returns (default
 *                           UTRACE_RESUME, so that a re-run syscall is not stopped again)
 *   clone_stop S TO         slot S's next report_clone attaches slot TO to the child and
 *                           asks utrace_control(child, UTRACE_STOP), if slot TO is empty
 *   wake S 0|1              slot S's syscall and quiesce callbacks call utrace_wake_up()
 *                           on the slot's wait queue before returning
 *   wait_stop S N           wait (10 s at most) until N wake-ups of slot S were delivered,
 *                           then return utrace_prepare_examine() (0: stopped, off CPU)
 *   examine S               log the registers of the stopped task ("regs" line)
 *   setreg S REG VALUE      utrace_regset_set of REG (orig_ax, ax, di, ip) to VALUE (decimal)
 *   nolog S 0|1             slot S's syscall_entry callbacks log nothing (bench)
 *   kbench S N [CPU]        an in-kernel tracer, a kernel thread (bound to CPU if given),
 *                           runs N rounds of: RESUME the stopped thread, wait (10 s at
 *                           most: -ETIMEDOUT) for its next stop's wake-up, prepare_examine
 *                           (the stop benchmark without user-space round trips); the
 *                           write returns when it is done, or -EINTR if the writer is
 *                           killed
 *   prepare S               utrace_prepare_examine(), keeping the examiner in the slot
 *   finish S                utrace_finish_examine() with the examiner of the last prepare
 *   steplog S 0|1           slot S's report_quiesce(0) (a step report, among others) logs
 *                           a "step" line with the user IP and TF instead of "quiesce"
 *   stepuntil S ADDR RET    the first report_quiesce(0) at user IP ADDR (hex) returns RET
 *                           (hex) instead of the quiesce answer
 *   stepyield S 0|1         slot S's report_quiesce(0) sleeps a jiffy (a context switch)
 *   steprange S LO HI       count slot S's report_quiesce(0) calls with IP in [LO, HI)
 *                           (hex), in steps
 *   sigevents S MASK        slot S's report_signal adds MASK (hex) to its events with
 *                           utrace_set_events() (atomic context) and logs the result
 *                           ("setev" line)
 *   clone_flip S B MASK     slot S's next report_clone detaches slot B, waits 2 s (the
 *                           probes B needed are unregistered meanwhile), then adds MASK (hex)
 *                           to S's events and logs the result ("setev" line): a probe
 *                           registered again from inside the clone tracepoint
 *   deathregs S 0|1         slot S's report_death also logs the dying thread's registers
 *                           ("regs" line)
 *   sigon S N               slot S's report_signal answers ("ret S signal", sigrewrite)
 *                           apply only to signal N (0: every signal); any other signal gets
 *                           UTRACE_RESUME plus the signal action it was passed in
 *   sigrewrite S M "C V"    slot S's report_signal of a matching signal rewrites it into
 *                           signal M with si_code C and si_value.sival_int V (M 0: off)
 *   siginject S M "C V"     slot S's report_signal(UTRACE_SIGNAL_REPORT) answers
 *                           UTRACE_SIGNAL_DELIVER with signal M, si_code C, sival_int V
 *                           (M 0: off; it then answers with its "ret S signal" value)
 *   jctlon S TYPE           slot S's "ret S jctl" answer applies only to report_jctl of
 *                           TYPE (5 CLD_STOPPED, 6 CLD_CONTINUED; 0: every report); the
 *                           other reports get UTRACE_RESUME
 *   sigset S ACTION ["M C V"]  utrace_set_signal(ACTION hex, NULL or signal M, si_code C,
 *                           sival_int V) on the signal slot S's stopped thread holds
 *   traplog S 0|1           slot S's report_signal of a SIGTRAP also logs a "trap" line
 *                           (the user IP, si_addr of a TRAP_HWBKPT, si_code)
 *   bpset S ADDR            utrace_set_breakpoint() at ADDR (hex) of the stopped thread;
 *                           logs a "bp" line with the byte it replaced, kept in the slot
 *   bpclear S ADDR ORIG     utrace_clear_breakpoint() at ADDR with byte ORIG (both hex)
 *   bpauto S ADDR           slot S handles its breakpoint at ADDR (hex; 0: off; else
 *                           -EINVAL unless ADDR is the last bpset's) in its
 *                           callbacks, without stopping: report_signal of the SIGTRAP with
 *                           the IP at ADDR + 1 puts the byte kept by bpset back, rewinds
 *                           the IP and answers UTRACE_SINGLESTEP | UTRACE_SIGNAL_IGN; the
 *                           step's report_quiesce(0) writes the int3 again and answers
 *                           UTRACE_RESUME. Each hit counts in the slot's "counts" column;
 *                           a failed call logs a "bperr" line
 *   watch S ADDR LEN TYPE   utrace_set_watchpoint(ADDR hex, LEN, TYPE) (decimal)
 *   unwatch S ADDR          utrace_clear_watchpoint(ADDR hex)
 *
 * Every attach requested by a command (attach, attach_null_ops, lookup, attach_task) is
 * made with UTRACE_ATTACH_CHECK_ACCESS: the writer of the command must be allowed to trace
 * the thread, as for ptrace(PTRACE_ATTACH) (the access bits UTRACE_ACCESS_* may be given in
 * FLAGS). The writer, not the opener, is judged: the control file is root-only (0200 in a
 * debugfs that only root can enter), so a less privileged writer is a root process that
 * dropped its privileges after opening it, as the access tests do. The attaches made from
 * callbacks (clone_stop: the new child of a traced thread; chain: current) are not checked:
 * they follow a thread the engine was allowed to trace, as ptrace's auto-attach does.
 *
 * /sys/kernel/debug/utrace_test/log lists every callback since the last clear, one line
 * each, with the exact values the callback saw (see log_show()); counts has the per-slot
 * counters of count-only slots; steps has, per slot, the report_quiesce(0) calls and those
 * in the steprange.
 */
#include <linux/completion.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kthread.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/binfmts.h>
#include <linux/signal.h>
#include <linux/uaccess.h>
#include <linux/utrace.h>
#include <linux/wait.h>
#include <asm/user.h>

#define NSLOTS		8
#define LOG_SIZE	4096
#define NARGS		7

enum rec_kind {
	REC_QUIESCE, REC_CLONE, REC_EXEC, REC_EXIT, REC_DEATH, REC_SYSCALL_ENTRY,
	REC_SYSCALL_EXIT, REC_SIGNAL, REC_JCTL, REC_REAP, REC_RELEASE, REC_REGS, REC_STEP, REC_SETEV,
	REC_TRAP, REC_BP, REC_BPERR,
};

static const char *const rec_names[] = {
	[REC_QUIESCE] = "quiesce",
	[REC_CLONE] = "clone",
	[REC_EXEC] = "exec",
	[REC_EXIT] = "exit",
	[REC_DEATH] = "death",
	[REC_SYSCALL_ENTRY] = "syscall_entry",
	[REC_SYSCALL_EXIT] = "syscall_exit",
	[REC_SIGNAL] = "signal",
	[REC_JCTL] = "jctl",
	[REC_REAP] = "reap",
	[REC_RELEASE] = "release",
	[REC_REGS] = "regs",
	[REC_STEP] = "step",
	[REC_SETEV] = "setev",
	[REC_TRAP] = "trap",
	[REC_BP] = "bp",
	[REC_BPERR] = "bperr",
};

struct rec {
	enum rec_kind kind;
	int slot;
	pid_t tid;
	u32 in_action;
	long a[NARGS];
	char str[32];
};

/*
 * A slot's engine and task change under slot_lock: commands (under control_lock) fill, empty
 * and replace slots; callbacks (report_clone's clone_stop, report_syscall_entry's chain)
 * only fill an empty one, and cannot take control_lock (a command may hold it while it
 * waits for their callback: barrier, gate). So a command that sees an engine in a slot
 * can use it until it empties the slot itself.
 */
struct slot {
	struct utrace_engine *engine;	/* our reference, or NULL */
	struct task_struct *task;	/* held while we hold the engine */
	u32 ret[REC_JCTL + 1];
	bool set_code;
	long code;
	long only_nr;			/* -1: syscall_entry answer for every syscall */
	int chain_to;			/* -1: none */
	int clone_stop_to;		/* -1: none */
	bool gated;
	struct completion gate;
	bool count_only;
	bool nolog;			/* syscall_entry callbacks log nothing (bench) */
	atomic_long_t count;
	u32 resumed_ret;		/* answer to a UTRACE_SYSCALL_RESUMED entry */
	bool wake;			/* callbacks call utrace_wake_up(&wq) */
	wait_queue_head_t wq;
	struct wait_queue_entry counter;	/* counts the wake-ups delivered on wq */
	atomic_long_t wake_calls;
	atomic_long_t wake_delivered;
	struct utrace_examiner exam;	/* of the last "prepare" */
	bool steplog;			/* report_quiesce(0) logs "step" lines */
	bool step_yield;		/* report_quiesce(0) sleeps a jiffy */
	unsigned long step_until;	/* report_quiesce(0) at this IP returns until_ret */
	u32 until_ret;
	unsigned long range_lo, range_hi;
	atomic_long_t steps;		/* report_quiesce(0) calls */
	atomic_long_t steps_in_range;	/* ... with the IP in [range_lo, range_hi) */
	unsigned long sig_events;	/* report_signal adds these events */
	int sig_only;			/* report_signal answers only for this signal (0: all) */
	int jctl_only;			/* report_jctl answers only for this type (0: all) */
	int sig_rewrite;		/* ... rewriting it into this one (0: no) */
	int sig_inject;			/* report_signal(REPORT) injects this one (0: no) */
	int sig_code, sig_value;	/* si_code and sival_int of the rewrite... */
	int inj_code, inj_value;	/* ... and of the injected signal */
	int flip_detach;		/* report_clone detaches this slot (-1: none)... */
	unsigned long flip_events;	/* ... then adds these events */
	bool death_regs;		/* report_death logs the registers too */
	bool trap_log;			/* report_signal of a SIGTRAP logs a "trap" line */
	unsigned long bp_addr;		/* the breakpoint of the last bpset... */
	u8 bp_orig;			/* ... and the byte it replaced */
	unsigned long bp_auto;		/* bpauto's address (0: off) */
	bool bp_stepping;		/* bpauto: stepping over it, the int3 out */
	const struct cred *owner;	/* who attached it from user space (under slot_lock) */
	int access;			/* the UTRACE_ACCESS_* flags its attach allowed */
};

static struct slot slots[NSLOTS];

/* Test only: exit without detaching (a buggy engine), for utrace's module notifier. */
static bool test_leak_engines;
module_param(test_leak_engines, bool, 0444);
MODULE_PARM_DESC(test_leak_engines, "Test only: leave engines attached at exit");
static DEFINE_MUTEX(control_lock);	/* serialises commands */
static DEFINE_SPINLOCK(slot_lock);	/* slots' engine and task (see struct slot) */

static DEFINE_SPINLOCK(log_lock);	/* callbacks log from any context */
static struct rec *log_buf;
static unsigned int log_len;
static unsigned long log_lost;

static void log_rec(struct rec *r)
{
	unsigned long flags;

	spin_lock_irqsave(&log_lock, flags);
	if (!log_buf)		/* the module's exit freed it: a late release() */
		log_lost++;
	else if (log_len < LOG_SIZE)
		log_buf[log_len++] = *r;
	else
		log_lost++;
	spin_unlock_irqrestore(&log_lock, flags);
}

static struct slot *slot_of(struct utrace_engine *engine)
{
	return engine->data;
}

static void rec_init(struct rec *r, enum rec_kind kind, struct utrace_engine *engine, u32 in)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->slot = slot_of(engine) - slots;
	r->tid = task_pid_vnr(current);
	r->in_action = in;
}

/* Adds @events to @engine's, on current, and logs what utrace_set_events() returned. */
static void add_events_logged(struct utrace_engine *engine, unsigned long events)
{
	struct rec r;

	rec_init(&r, REC_SETEV, engine, 0);
	r.a[0] = utrace_set_events(current, engine, READ_ONCE(engine->flags) | events);
	r.a[1] = events;
	log_rec(&r);
}

static u32 answer(struct utrace_engine *engine, enum rec_kind kind)
{
	struct slot *s = slot_of(engine);

	if (READ_ONCE(s->wake)) {
		atomic_long_inc(&s->wake_calls);
		utrace_wake_up(&s->wq);
	}
	return READ_ONCE(s->ret[kind]);
}

/* First on the slot's wait queue (a priority entry): counts each delivered wake-up. */
static int count_wake(struct wait_queue_entry *wq_entry, unsigned int mode, int sync, void *key)
{
	struct slot *s = container_of(wq_entry, struct slot, counter);

	atomic_long_inc(&s->wake_delivered);
	return 0;
}

/* report_quiesce(0): count, log the step, and maybe answer for the step-until IP. */
static bool t_step(struct utrace_engine *engine, u32 action, u32 *ret)
{
	struct slot *s = slot_of(engine);
	struct pt_regs *regs = current_pt_regs();
	unsigned long ip = instruction_pointer(regs);
	unsigned long until = READ_ONCE(s->step_until);
	struct rec r;

	atomic_long_inc(&s->steps);
	if (ip >= READ_ONCE(s->range_lo) && ip < READ_ONCE(s->range_hi))
		atomic_long_inc(&s->steps_in_range);
	if (READ_ONCE(s->step_yield))
		schedule_timeout_uninterruptible(1);
	if (until && ip == until) {
		WRITE_ONCE(s->step_until, 0);
		*ret = READ_ONCE(s->until_ret);
	}
	if (!READ_ONCE(s->steplog))
		return false;
	rec_init(&r, REC_STEP, engine, action);
	r.a[0] = ip;
	r.a[1] = !!(regs->flags & X86_EFLAGS_TF);
	log_rec(&r);
	return true;
}

/* A failed utrace call of bpauto: a "bperr" line (what failed, its result). */
static void bp_error(struct utrace_engine *engine, long what, long ret)
{
	struct rec r;

	rec_init(&r, REC_BPERR, engine, 0);
	r.a[0] = what;
	r.a[1] = ret;
	log_rec(&r);
}

static u32 t_quiesce(u32 action, struct utrace_engine *engine, unsigned long event)
{
	struct slot *s = slot_of(engine);
	u32 ret = UTRACE_RESUME_MAX;
	struct rec r;

	/* bpauto: the step over the breakpoint ended; write the int3 again, run on. */
	if (!event && READ_ONCE(s->bp_auto) && xchg(&s->bp_stepping, false)) {
		u8 orig;
		int err = utrace_set_breakpoint(current, engine, READ_ONCE(s->bp_auto), &orig);

		if (err)
			bp_error(engine, 2, err);
		return UTRACE_RESUME;
	}

	if (!event && t_step(engine, action, &ret)) {
		u32 a = answer(engine, REC_QUIESCE);

		return ret == UTRACE_RESUME_MAX ? a : ret;
	}
	if (ret != UTRACE_RESUME_MAX) {
		answer(engine, REC_QUIESCE);
		return ret;
	}
	rec_init(&r, REC_QUIESCE, engine, action);
	r.a[0] = event;
	log_rec(&r);
	return answer(engine, REC_QUIESCE);
}

static const struct utrace_engine_ops test_ops;
static struct utrace_engine *cb_attach(struct slot *s, struct task_struct *task,
				       unsigned long events, struct slot *from);

static u32 t_clone(u32 action, struct utrace_engine *engine, unsigned long clone_flags,
		   struct task_struct *child)
{
	struct rec r;

	int to = xchg(&slot_of(engine)->clone_stop_to, -1);
	int flip = xchg(&slot_of(engine)->flip_detach, -1);

	rec_init(&r, REC_CLONE, engine, action);
	r.a[0] = clone_flags;
	r.a[1] = task_pid_vnr(child);
	log_rec(&r);
	if (flip >= 0 && slots[flip].engine) {
		/*
		 * Inside the task_newtask tracepoint (its SRCU read section): the probes only
		 * slot @flip needed go 1 -> 0 (unregistered by utrace's workqueue during the
		 * sleep: it lets an unneeded probe linger 1 s), then back to 1 from here.
		 */
		utrace_control(slots[flip].task, slots[flip].engine, UTRACE_DETACH);
		msleep(2000);
		add_events_logged(engine, READ_ONCE(slot_of(engine)->flip_events));
	}
	if (to >= 0) {
		struct utrace_engine *e;

		get_task_struct(child);
		e = cb_attach(&slots[to], child, 0, slot_of(engine));
		if (!IS_ERR(e))
			utrace_control(child, e, UTRACE_STOP);
	}
	return answer(engine, REC_CLONE);
}

static u32 t_exec(u32 action, struct utrace_engine *engine, const struct linux_binfmt *fmt,
		  const struct linux_binprm *bprm, struct pt_regs *regs)
{
	struct rec r;

	rec_init(&r, REC_EXEC, engine, action);
	r.a[0] = task_tgid_vnr(current);
	r.a[1] = regs == current_pt_regs();
	r.a[2] = bprm->secureexec;
	strscpy(r.str, kbasename(bprm->filename), sizeof(r.str));
	log_rec(&r);
	return answer(engine, REC_EXEC);
}

static void rec_regs(struct rec *r, struct pt_regs *regs)
{
	r->a[0] = regs->orig_ax;
	r->a[1] = regs->di;
	r->a[2] = regs->si;
	r->a[3] = regs->dx;
	r->a[4] = regs->r10;
	r->a[5] = regs->r8;
	r->a[6] = regs->r9;
}


/* Attach slot @to to current from inside a callback (no retroactive event expected). */
static void chain_attach(struct slot *s)
{
	int to = xchg(&s->chain_to, -1);
	struct slot *t;

	if (to < 0)
		return;
	t = &slots[to];
	get_task_struct(current);
	cb_attach(t, current, UTRACE_EVENT_SYSCALL, s);
}

static u32 t_syscall_entry(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	struct slot *s = slot_of(engine);
	long only = READ_ONCE(s->only_nr);
	struct rec r;

	if (READ_ONCE(s->count_only)) {
		atomic_long_inc(&s->count);
		return UTRACE_RESUME;
	}

	if (!READ_ONCE(s->nolog)) {
		rec_init(&r, REC_SYSCALL_ENTRY, engine, action);
		rec_regs(&r, regs);
		log_rec(&r);
	}
	chain_attach(s);
	if (xchg(&s->gated, false))
		wait_for_completion_killable_timeout(&s->gate, 30 * HZ);
	if (only >= 0 && regs->orig_ax != only)
		return UTRACE_RESUME;
	if (action & UTRACE_SYSCALL_RESUMED)
		return READ_ONCE(s->resumed_ret);
	return answer(engine, REC_SYSCALL_ENTRY);
}

static u32 t_syscall_exit(u32 action, struct utrace_engine *engine, struct pt_regs *regs)
{
	struct slot *s = slot_of(engine);
	struct rec r;

	if (READ_ONCE(s->count_only)) {
		atomic_long_inc(&s->count);
		return UTRACE_RESUME;
	}

	rec_init(&r, REC_SYSCALL_EXIT, engine, action);
	r.a[0] = regs->orig_ax;
	r.a[1] = regs->ax;
	log_rec(&r);
	if (READ_ONCE(s->only_nr) >= 0 && regs->orig_ax != READ_ONCE(s->only_nr))
		return UTRACE_RESUME;
	return answer(engine, REC_SYSCALL_EXIT);
}

static u32 t_exit(u32 action, struct utrace_engine *engine, long orig_code, long *code)
{
	struct slot *s = slot_of(engine);
	struct rec r;

	rec_init(&r, REC_EXIT, engine, action);
	r.a[0] = orig_code;
	r.a[1] = *code;
	log_rec(&r);
	if (READ_ONCE(s->set_code))
		*code = READ_ONCE(s->code);
	return answer(engine, REC_EXIT);
}

static u32 t_death(struct utrace_engine *engine, bool group_dead, int signal)
{
	struct rec r;

	rec_init(&r, REC_DEATH, engine, 0);
	r.a[0] = group_dead;
	r.a[1] = signal;
	log_rec(&r);
	if (READ_ONCE(slot_of(engine)->death_regs)) {
		struct pt_regs *regs = current_pt_regs();

		rec_init(&r, REC_REGS, engine, 0);
		r.a[0] = regs->orig_ax;
		r.a[1] = regs->ax;
		r.a[2] = regs->di;
		log_rec(&r);
	}
	if (xchg(&slot_of(engine)->gated, false))
		wait_for_completion_killable_timeout(&slot_of(engine)->gate, 30 * HZ);
	return answer(engine, REC_DEATH);
}

static void t_reap(struct utrace_engine *engine, struct task_struct *task)
{
	struct rec r;

	rec_init(&r, REC_REAP, engine, 0);
	r.tid = task->pid;	/* softirq: no pid namespace of our own; tests run in init_pid_ns */
	log_rec(&r);
}

static u32 t_signal(u32 action, struct utrace_engine *engine, struct pt_regs *regs,
		    struct kernel_siginfo *info, const struct k_sigaction *orig_ka,
		    struct k_sigaction *return_ka)
{
	struct slot *s = slot_of(engine);
	bool observed = action & UTRACE_SIGNAL_OBSERVED;
	int only = READ_ONCE(s->sig_only);
	int m;
	struct rec r;

	if (!observed && info && info->si_signo == SIGTRAP) {
		unsigned long bp = READ_ONCE(s->bp_auto);

		if (READ_ONCE(s->trap_log)) {
			rec_init(&r, REC_TRAP, engine, action);
			r.a[0] = regs->ip;
			r.a[1] = info->si_code == TRAP_HWBKPT ? (long)info->si_addr : 0;
			r.a[2] = info->si_code;
			log_rec(&r);
		}
		/* bpauto: its breakpoint; byte back, IP back, step over it, no SIGTRAP. */
		if (bp && info->si_code == SI_KERNEL && regs->ip == bp + 1) {
			int err = utrace_clear_breakpoint(current, engine, bp, READ_ONCE(s->bp_orig));

			if (err) {
				bp_error(engine, 1, err);
				return UTRACE_RESUME | UTRACE_SIGNAL_DELIVER;
			}
			regs->ip = bp;
			WRITE_ONCE(s->bp_stepping, true);
			atomic_long_inc(&s->count);
			return UTRACE_SINGLESTEP | UTRACE_SIGNAL_IGN;
		}
	}
	rec_init(&r, REC_SIGNAL, engine, action);
	r.a[0] = info ? info->si_signo : SIGKILL;
	r.a[1] = !orig_ka ? 3 : orig_ka->sa.sa_handler == SIG_DFL ? 0 :
		 orig_ka->sa.sa_handler == SIG_IGN ? 1 : 2;
	r.a[2] = utrace_signal_action(action);
	r.a[3] = info ? info->si_code : 0;
	log_rec(&r);
	if (READ_ONCE(s->sig_events))
		add_events_logged(engine, READ_ONCE(s->sig_events));
	if (!orig_ka) {
		/* UTRACE_SIGNAL_REPORT after UTRACE_INTERRUPT: maybe inject one. */
		m = READ_ONCE(s->sig_inject);
		answer(engine, REC_SIGNAL);
		if (!m || !info)
			return UTRACE_RESUME | utrace_signal_action(action);
		clear_siginfo(info);
		info->si_signo = m;
		info->si_code = READ_ONCE(s->inj_code);
		info->si_int = READ_ONCE(s->inj_value);
		return UTRACE_RESUME | UTRACE_SIGNAL_DELIVER;
	}
	if (observed || (only && info && info->si_signo != only)) {
		answer(engine, REC_SIGNAL);
		return UTRACE_RESUME | utrace_signal_action(action);
	}
	m = READ_ONCE(s->sig_rewrite);
	if (m && info) {
		info->si_signo = m;
		info->si_code = READ_ONCE(s->sig_code);
		info->si_int = READ_ONCE(s->sig_value);
	}
	return answer(engine, REC_SIGNAL);
}

static u32 t_jctl(u32 action, struct utrace_engine *engine, int type, int notify)
{
	int only = READ_ONCE(slot_of(engine)->jctl_only);
	struct rec r;

	rec_init(&r, REC_JCTL, engine, action);
	r.a[0] = type;
	r.a[1] = notify;
	log_rec(&r);
	if (only && type != only) {
		answer(engine, REC_JCTL);
		return UTRACE_RESUME;
	}
	return answer(engine, REC_JCTL);
}

static void t_release(void *data)
{
	struct slot *s = data;
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.kind = REC_RELEASE;
	r.slot = s - slots;
	r.tid = task_pid_vnr(current);
	log_rec(&r);
}

static const struct utrace_engine_ops test_ops = {
	.report_quiesce = t_quiesce,
	.report_signal = t_signal,
	.report_jctl = t_jctl,
	.report_clone = t_clone,
	.report_exec = t_exec,
	.report_syscall_entry = t_syscall_entry,
	.report_syscall_exit = t_syscall_exit,
	.report_exit = t_exit,
	.report_death = t_death,
	.report_reap = t_reap,
	.release = t_release,
};

/* "quiesce" etc. to the record kind whose answer it sets, or -1. */
static int event_index(const char *name)
{
	int i;

	for (i = 0; i <= REC_JCTL; i++)
		if (!strcmp(name, rec_names[i]))
			return i;
	return -1;
}

static struct task_struct *task_by_tid(pid_t tid)
{
	struct pid *pid = find_get_pid(tid);
	struct task_struct *task;

	if (!pid)
		return NULL;
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	return task;
}

/* Empties slot @s (a command, under control_lock): drops our references. */
static void slot_drop(struct slot *s)
{
	struct utrace_engine *engine;
	struct task_struct *task;

	const struct cred *owner;

	spin_lock(&slot_lock);
	engine = s->engine;
	task = s->task;
	owner = s->owner;
	s->engine = NULL;
	s->task = NULL;
	s->owner = NULL;
	s->access = 0;
	spin_unlock(&slot_lock);
	if (engine)
		utrace_engine_put(engine);
	if (task)
		put_task_struct(task);
	if (owner)
		put_cred(owner);
}

/*
 * Fills slot @s with @engine, @task and @owner (our references; @owner may be NULL) if it is
 * empty; otherwise drops the reference on @owner.
 */
static bool slot_fill(struct slot *s, struct utrace_engine *engine, struct task_struct *task,
		      const struct cred *owner)
{
	const struct cred *old = owner;
	bool filled = false;

	spin_lock(&slot_lock);
	if (!s->engine) {
		old = s->owner;
		s->owner = owner;
		s->task = task;
		/*
		 * A command seeing the engine (slot_engine(), without the lock) sees the task
		 * too: pairs with its smp_load_acquire().
		 */
		smp_store_release(&s->engine, engine);
		filled = true;
	}
	spin_unlock(&slot_lock);
	if (old)
		put_cred(old);	/* safe in any context (freed by RCU) */
	return filled;
}

/* A reference on the credentials of whoever attached slot @s from user space, or NULL. */
static const struct cred *slot_owner_get(struct slot *s)
{
	const struct cred *owner;

	spin_lock(&slot_lock);
	owner = s->owner ? get_cred(s->owner) : NULL;
	spin_unlock(&slot_lock);
	return owner;
}

/*
 * Whether the writer of a command may command slot @s: 0 or a negative errno. The control
 * file is root-only, but its writers need not be equals (root without CAP_SYS_PTRACE, a
 * process that dropped to uid 1000 after opening it): utrace_may_command() against the
 * slot's attacher and task. A slot no writer attached (empty, or filled by a callback of
 * an unowned slot) is anyone's.
 */
static int slot_may_command(struct slot *s)
{
	struct task_struct *task = NULL;
	const struct cred *owner;
	int ret = 0;

	spin_lock(&slot_lock);
	owner = s->owner ? get_cred(s->owner) : NULL;
	if (owner)
		task = get_task_struct(s->task);
	spin_unlock(&slot_lock);
	if (owner) {
		ret = utrace_may_command(owner, task, READ_ONCE(s->access));
		put_task_struct(task);
		put_cred(owner);
	}
	/* A released task: nothing left to command but the release (the command says so). */
	return ret == -ESRCH ? 0 : ret;
}

/* A command: slot @s's engine (NULL if empty), stable until the command empties it. */
static struct utrace_engine *slot_engine(struct slot *s)
{
	/* Pairs with slot_fill()'s smp_store_release(). */
	return smp_load_acquire(&s->engine);
}

/*
 * Detaches slot @s's engine, waits until none of its callbacks runs, and empties the slot
 * (a command, under control_lock).
 */
static void slot_detach(struct slot *s)
{
	if (!slot_engine(s))
		return;
	utrace_control(s->task, s->engine, UTRACE_DETACH);
	utrace_barrier_uninterruptible(s->task, s->engine);
	slot_drop(s);
}

/*
 * Attach slot @s to @task (whose reference we take over), from a command. An engine
 * already in the slot is detached first: dropping only our reference to it would leave it
 * attached, calling back with this slot as its data, and out of reach of every command.
 */
static long cmd_attach_task(struct slot *s, struct task_struct *task, int flags,
			    const struct utrace_engine_ops *ops)
{
	struct utrace_engine *engine;

	engine = utrace_attach_task(task, flags, ops, s);
	if (IS_ERR(engine)) {
		put_task_struct(task);
		return PTR_ERR(engine);
	}
	if (flags & UTRACE_ATTACH_CREATE) {
		/* The new engine has no events: no callback of it can run before it is filled. */
		slot_detach(s);
	} else {
		/* A lookup: it must find slot S's own engine. */
		long ret = engine == s->engine ? 0 : -EBADSLT;

		utrace_engine_put(engine);
		put_task_struct(task);
		return ret;
	}
	if (!slot_fill(s, engine, task, get_current_cred())) {
		/* A callback (clone_stop, chain) filled it meanwhile. No events: no callback. */
		utrace_control(task, engine, UTRACE_DETACH);
		utrace_engine_put(engine);
		put_task_struct(task);
		return -EBUSY;
	}
	/* Later writers are judged with what this attach allowed (slot_may_command()). */
	WRITE_ONCE(s->access, flags & (UTRACE_ACCESS_OWN_GROUP | UTRACE_ACCESS_USER_WORKER));
	return 0;
}

/*
 * Attach slot @s to @task (whose reference we take over) from a callback, with @events, if
 * the slot is empty; otherwise the new engine is detached again (a callback cannot wait
 * for the old one's callbacks, nor take control_lock). Returns the engine or an ERR_PTR().
 */
static struct utrace_engine *cb_attach(struct slot *s, struct task_struct *task,
				       unsigned long events, struct slot *from)
{
	struct utrace_engine *engine;

	engine = utrace_attach_task(task, UTRACE_ATTACH_CREATE, &test_ops, s);
	if (IS_ERR(engine)) {
		put_task_struct(task);
		return engine;
	}
	if (events)
		utrace_set_events(task, engine, events);
	/* The new slot is its configuring slot's owner's. */
	if (!slot_fill(s, engine, task, slot_owner_get(from))) {
		/* No callback of it can have run: it has no events, or @task is current. */
		utrace_control(task, engine, UTRACE_DETACH);
		utrace_engine_put(engine);
		put_task_struct(task);
		return ERR_PTR(-EBUSY);
	}
	/* ... and later writers are judged with what the configuring slot's attach allowed. */
	WRITE_ONCE(s->access, READ_ONCE(from->access));
	return engine;
}

/* Log the stopped task's registers, read between prepare and finish examine. */
static long cmd_examine(struct slot *s)
{
	struct utrace_examiner exam;
	struct user_regs_struct regs;
	struct rec r;
	int ret;

	ret = utrace_prepare_examine(s->task, s->engine, &exam);
	if (ret)
		return ret;
	ret = utrace_regset_get(s->task, s->engine, 0, &regs, sizeof(regs));
	if (ret < 0)
		return ret;
	ret = utrace_finish_examine(s->task, s->engine, &exam);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.kind = REC_REGS;
	r.slot = s - slots;
	r.tid = task_pid_vnr(s->task);
	r.a[0] = regs.orig_ax;
	r.a[1] = regs.ax;
	r.a[2] = regs.di;
	log_rec(&r);
	return 0;
}

static long cmd_setreg(struct slot *s, const char *name, long val)
{
	unsigned int pos;

	if (!strcmp(name, "orig_ax"))
		pos = offsetof(struct user_regs_struct, orig_ax);
	else if (!strcmp(name, "ax"))
		pos = offsetof(struct user_regs_struct, ax);
	else if (!strcmp(name, "di"))
		pos = offsetof(struct user_regs_struct, di);
	else if (!strcmp(name, "ip"))
		pos = offsetof(struct user_regs_struct, ip);
	else
		return -EINVAL;
	return utrace_regset_set(s->task, s->engine, 0, pos, &val, sizeof(val));
}

/* Wait until @n wake-ups of slot @s were delivered, then check the task is stopped. */
static long cmd_wait_stop(struct slot *s, long n)
{
	struct utrace_examiner exam;
	long left;

	left = wait_event_killable_timeout(s->wq, atomic_long_read(&s->wake_delivered) >= n,
					   10 * HZ);
	if (left < 0)
		return left;
	if (!left)
		return -ETIMEDOUT;
	if (!slot_engine(s))
		return -ENOENT;
	return utrace_prepare_examine(s->task, s->engine, &exam);
}

/*
 * N stop round trips driven from the kernel: slot @s's thread is stopped now and stops again
 * after each resume (its callback answers STOP and calls utrace_wake_up()). Each wait ends
 * when the wake-up is delivered (utrace delivers it whatever happens: a stop, or the
 * thread's death or detach, which prepare_examine then reports), when the thread is not
 * stopped again within 10 s (-ETIMEDOUT: e.g. its callback stopped answering STOP), or when
 * the command's writer was killed (kthread_stop(): -EINTR).
 */
static long kbench_loop(struct slot *s, long rounds)
{
	long next = atomic_long_read(&s->wake_delivered) + 1;
	struct utrace_examiner exam;
	long i, ret;

	for (i = 0; i < rounds; i++, next++) {
		ret = utrace_control(s->task, s->engine, UTRACE_RESUME);
		if (ret)
			return ret;
		ret = wait_event_interruptible_timeout(s->wq,
				atomic_long_read(&s->wake_delivered) >= next ||
				kthread_should_stop(), 10 * HZ);
		if (kthread_should_stop())
			return -EINTR;
		if (!ret)
			return -ETIMEDOUT;
		ret = utrace_prepare_examine(s->task, s->engine, &exam);
		if (ret)
			return ret;
	}
	return 0;
}

struct kbench {
	struct slot *s;
	long rounds;
	long ret;
	struct completion done;
};

static int kbench_thread(void *arg)
{
	struct kbench *b = arg;

	b->ret = kbench_loop(b->s, b->rounds);
	complete(&b->done);
	return 0;
}

/*
 * kbench_loop() in a kernel thread, as an engine that does its work in the kernel would run
 * it: it has no mm of its own, so switching between it and the tracee switches no address
 * space (on @cpu, if >= 0). The writer waits killably: killed, it stops the thread, whose
 * waits end at once (kthread_stop() wakes it), and returns -EINTR.
 */
static long cmd_kbench(struct slot *s, long rounds, long cpu)
{
	struct kbench b = { .s = s, .rounds = rounds };
	struct task_struct *t;
	long ret;

	if (!slot_engine(s))
		return -ENOENT;
	if (cpu >= (long)nr_cpu_ids)
		return -EINVAL;
	init_completion(&b.done);
	t = kthread_create(kbench_thread, &b, "utrace_kbench");
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	if (cpu >= 0)
		kthread_bind(t, cpu);
	wake_up_process(t);
	ret = wait_for_completion_killable(&b.done);
	kthread_stop_put(t);
	return ret ? -EINTR : b.ret;
}

/* "may TID [FLAGS]": utrace_may_trace() for the writer and thread TID. */
static long cmd_may(int argc, char **argv)
{
	struct task_struct *task;
	int tid, flags = 0;
	long ret;

	if (argc < 2 || kstrtoint(argv[1], 10, &tid) ||
	    (argc > 2 && kstrtoint(argv[2], 0, &flags)))
		return -EINVAL;
	task = task_by_tid(tid);
	if (!task)
		return -ESRCH;
	ret = utrace_may_trace(task, flags);
	put_task_struct(task);
	return ret;
}

/*
 * The slot commands (see the top of this file). Each handler gets the slot and the words of
 * the command (argv[0] the name, argv[1] the slot), at least as many as its table entry
 * asks for, and answers 0 or a negative errno (-EINVAL for a malformed argument).
 */
static long do_attach(struct slot *s, int argc, char **argv)
{
	bool lookup = !strcmp(argv[0], "lookup");
	int tid, flags = UTRACE_ATTACH_CREATE;
	struct task_struct *task;

	if (kstrtoint(argv[2], 10, &tid) || (argc > 3 && kstrtoint(argv[3], 0, &flags)))
		return -EINVAL;
	task = task_by_tid(tid);
	if (!task)
		return -ESRCH;
	if (lookup && argc <= 3)
		flags = UTRACE_ATTACH_MATCH_OPS | UTRACE_ATTACH_MATCH_DATA;
	return cmd_attach_task(s, task, flags | UTRACE_ATTACH_CHECK_ACCESS,
			       strcmp(argv[0], "attach_null_ops") ? &test_ops : NULL);
}

static long do_attach_task(struct slot *s, int argc, char **argv)
{
	int from, flags = UTRACE_ATTACH_CREATE;

	if (kstrtoint(argv[2], 10, &from) || from < 0 || from >= NSLOTS ||
	    !slot_engine(&slots[from]) || (argc > 3 && kstrtoint(argv[3], 0, &flags)))
		return -EINVAL;
	get_task_struct(slots[from].task);
	return cmd_attach_task(s, slots[from].task, flags | UTRACE_ATTACH_CHECK_ACCESS,
			       &test_ops);
}

/* A slot number in argv[2]. */
static int slot_arg(char **argv, long *val)
{
	return kstrtol(argv[2], 10, val) || *val < 0 || *val >= NSLOTS ? -EINVAL : 0;
}

static long do_clone_stop(struct slot *s, int argc, char **argv)
{
	long to;

	if (slot_arg(argv, &to))
		return -EINVAL;
	WRITE_ONCE(s->clone_stop_to, to);
	return 0;
}

static long do_chain(struct slot *s, int argc, char **argv)
{
	long to;

	if (slot_arg(argv, &to))
		return -EINVAL;
	WRITE_ONCE(s->chain_to, to);
	return 0;
}

static long do_only_nr(struct slot *s, int argc, char **argv)
{
	long nr;

	if (kstrtol(argv[2], 10, &nr))
		return -EINVAL;
	WRITE_ONCE(s->only_nr, nr);
	return 0;
}

static long do_sigevents(struct slot *s, int argc, char **argv)
{
	unsigned long mask;

	if (kstrtoul(argv[2], 16, &mask))
		return -EINVAL;
	WRITE_ONCE(s->sig_events, mask);
	return 0;
}

static long do_sigon(struct slot *s, int argc, char **argv)
{
	int sig;

	if (kstrtoint(argv[2], 10, &sig) || sig < 0 || sig > _NSIG)
		return -EINVAL;
	WRITE_ONCE(s->sig_only, sig);
	return 0;
}

/* jctlon S TYPE: slot S's "ret S jctl" answer applies only to reports of TYPE (0: all). */
static long do_jctlon(struct slot *s, int argc, char **argv)
{
	int type;

	if (kstrtoint(argv[2], 10, &type) ||
	    (type != 0 && type != CLD_STOPPED && type != CLD_CONTINUED))
		return -EINVAL;
	WRITE_ONCE(s->jctl_only, type);
	return 0;
}

/* "M" and "C V": a signal number (0 allowed) and a si_code and sival_int. */
static int parse_sig3(int argc, char **argv, int *m, int *code, int *value)
{
	if (kstrtoint(argv[2], 10, m) || *m < 0 || *m > _NSIG)
		return -EINVAL;
	*code = 0;
	*value = 0;
	if (argc > 3 && sscanf(argv[3], "%d %d", code, value) != 2)
		return -EINVAL;
	return 0;
}

/* sigrewrite S M "C V", siginject S M "C V". */
static long do_sigrewrite(struct slot *s, int argc, char **argv)
{
	int m, code, value;

	if (parse_sig3(argc, argv, &m, &code, &value))
		return -EINVAL;
	if (!strcmp(argv[0], "sigrewrite")) {
		WRITE_ONCE(s->sig_code, code);
		WRITE_ONCE(s->sig_value, value);
		WRITE_ONCE(s->sig_rewrite, m);
	} else {
		WRITE_ONCE(s->inj_code, code);
		WRITE_ONCE(s->inj_value, value);
		WRITE_ONCE(s->sig_inject, m);
	}
	return 0;
}

/* sigset S ACTION ["M C V"]: utrace_set_signal(). */
static long do_sigset(struct slot *s, int argc, char **argv)
{
	kernel_siginfo_t info;
	int m, code, value;
	u32 action;

	if (kstrtou32(argv[2], 16, &action))
		return -EINVAL;
	if (argc < 4)
		return utrace_set_signal(s->task, s->engine, action, NULL);
	/* No range check here: utrace_set_signal() must refuse a bad number itself. */
	if (sscanf(argv[3], "%d %d %d", &m, &code, &value) != 3)
		return -EINVAL;
	clear_siginfo(&info);
	info.si_signo = m;
	info.si_code = code;
	info.si_int = value;
	return utrace_set_signal(s->task, s->engine, action, &info);
}

static long do_clone_flip(struct slot *s, int argc, char **argv)
{
	unsigned long mask;
	long b;

	if (slot_arg(argv, &b) || kstrtoul(argv[3], 16, &mask))
		return -EINVAL;
	WRITE_ONCE(s->flip_events, mask);
	WRITE_ONCE(s->flip_detach, b);
	return 0;
}

/* bpset S ADDR: the byte replaced is logged ("bp" line) and kept for bpauto. */
static long do_bpset(struct slot *s, int argc, char **argv)
{
	unsigned long addr;
	struct rec r;
	u8 orig;
	int ret;

	if (kstrtoul(argv[2], 16, &addr))
		return -EINVAL;
	ret = utrace_set_breakpoint(s->task, s->engine, addr, &orig);
	if (ret)
		return ret;
	/* bpauto's byte is this one now: stop it if it handles another address. */
	if (READ_ONCE(s->bp_auto) && READ_ONCE(s->bp_auto) != addr)
		WRITE_ONCE(s->bp_auto, 0);
	WRITE_ONCE(s->bp_orig, orig);
	WRITE_ONCE(s->bp_addr, addr);
	memset(&r, 0, sizeof(r));
	r.kind = REC_BP;
	r.slot = s - slots;
	r.tid = task_pid_vnr(s->task);
	r.a[0] = addr;
	r.a[1] = orig;
	log_rec(&r);
	return 0;
}

/* bpclear S ADDR ORIG */
static long do_bpclear(struct slot *s, int argc, char **argv)
{
	unsigned long addr;
	u8 orig;

	if (kstrtoul(argv[2], 16, &addr) || kstrtou8(argv[3], 16, &orig))
		return -EINVAL;
	return utrace_clear_breakpoint(s->task, s->engine, addr, orig);
}

/* bpauto S ADDR: ADDR must be the breakpoint of the last bpset (its byte is what is put back). */
static long do_bpauto(struct slot *s, int argc, char **argv)
{
	unsigned long addr;

	if (kstrtoul(argv[2], 16, &addr))
		return -EINVAL;
	if (addr && addr != READ_ONCE(s->bp_addr))
		return -EINVAL;
	WRITE_ONCE(s->bp_stepping, false);
	WRITE_ONCE(s->bp_auto, addr);
	return 0;
}

/* watch S ADDR "LEN TYPE", unwatch S ADDR */
static long do_watch(struct slot *s, int argc, char **argv)
{
	unsigned int len, type;
	unsigned long addr;

	if (kstrtoul(argv[2], 16, &addr))
		return -EINVAL;
	if (!strcmp(argv[0], "unwatch"))
		return utrace_clear_watchpoint(s->task, s->engine, addr);
	if (argc < 4 || sscanf(argv[3], "%u %u", &len, &type) != 2)
		return -EINVAL;
	return utrace_set_watchpoint(s->task, s->engine, addr, len, type);
}

/* The 0|1 switches of a slot: deathregs, nolog, wake, steplog, stepyield, traplog. */
static long do_switch(struct slot *s, int argc, char **argv)
{
	unsigned long v;
	bool on;

	if (kstrtoul(argv[2], 10, &v))
		return -EINVAL;
	on = v != 0;
	if (!strcmp(argv[0], "deathregs"))
		WRITE_ONCE(s->death_regs, on);
	else if (!strcmp(argv[0], "nolog"))
		WRITE_ONCE(s->nolog, on);
	else if (!strcmp(argv[0], "wake"))
		WRITE_ONCE(s->wake, on);
	else if (!strcmp(argv[0], "steplog"))
		WRITE_ONCE(s->steplog, on);
	else if (!strcmp(argv[0], "traplog"))
		WRITE_ONCE(s->trap_log, on);
	else
		WRITE_ONCE(s->step_yield, on);
	return 0;
}

static long do_count(struct slot *s, int argc, char **argv)
{
	WRITE_ONCE(s->count_only, true);
	return 0;
}

static long do_gate(struct slot *s, int argc, char **argv)
{
	reinit_completion(&s->gate);
	WRITE_ONCE(s->gated, true);
	return 0;
}

static long do_kbench(struct slot *s, int argc, char **argv)
{
	long rounds, cpu = -1;

	if (kstrtol(argv[2], 10, &rounds) || (argc > 3 && kstrtol(argv[3], 10, &cpu)))
		return -EINVAL;
	return cmd_kbench(s, rounds, cpu);
}

static long do_wait_stop(struct slot *s, int argc, char **argv)
{
	long n;

	if (kstrtol(argv[2], 10, &n))
		return -EINVAL;
	return cmd_wait_stop(s, n);
}

static long do_put(struct slot *s, int argc, char **argv)
{
	if (!slot_engine(s))
		return -ENOENT;
	slot_drop(s);
	return 0;
}

/* ret S EVENT VALUE, or ret S resumed VALUE. */
static long do_ret(struct slot *s, int argc, char **argv)
{
	int ev = event_index(argv[2]);
	u32 ret;

	if (kstrtou32(argv[3], 16, &ret))
		return -EINVAL;
	if (!strcmp(argv[2], "resumed")) {
		WRITE_ONCE(s->resumed_ret, ret);
		return 0;
	}
	if (ev < 0)
		return -EINVAL;
	WRITE_ONCE(s->ret[ev], ret);
	return 0;
}

static long do_exitcode(struct slot *s, int argc, char **argv)
{
	long code;

	if (kstrtol(argv[2], 10, &code))
		return -EINVAL;
	WRITE_ONCE(s->code, code);
	WRITE_ONCE(s->set_code, true);
	return 0;
}

static long do_events(struct slot *s, int argc, char **argv)
{
	unsigned long events;

	if (kstrtoul(argv[2], 16, &events))
		return -EINVAL;
	return utrace_set_events(s->task, s->engine, events);
}

static long do_control(struct slot *s, int argc, char **argv)
{
	u32 action;

	/* utrace_control() takes a u32: refuse what does not fit, never truncate. */
	if (kstrtou32(argv[2], 10, &action))
		return -EINVAL;
	return utrace_control(s->task, s->engine, action);
}

static long do_barrier(struct slot *s, int argc, char **argv)
{
	return utrace_barrier(s->task, s->engine);
}

static long do_examine(struct slot *s, int argc, char **argv)
{
	return cmd_examine(s);
}

static long do_setreg(struct slot *s, int argc, char **argv)
{
	long val;

	if (kstrtol(argv[3], 10, &val))
		return -EINVAL;
	return cmd_setreg(s, argv[2], val);
}

static long do_prepare(struct slot *s, int argc, char **argv)
{
	return utrace_prepare_examine(s->task, s->engine, &s->exam);
}

static long do_finish(struct slot *s, int argc, char **argv)
{
	return utrace_finish_examine(s->task, s->engine, &s->exam);
}

/* stepuntil S ADDR RET, steprange S LO HI. */
static long do_step_pair(struct slot *s, int argc, char **argv)
{
	unsigned long a, b;

	if (kstrtoul(argv[2], 16, &a) || kstrtoul(argv[3], 16, &b))
		return -EINVAL;
	if (!strcmp(argv[0], "stepuntil")) {
		WRITE_ONCE(s->until_ret, b);
		WRITE_ONCE(s->step_until, a);
	} else {
		WRITE_ONCE(s->range_lo, a);
		WRITE_ONCE(s->range_hi, b);
	}
	return 0;
}

static const struct slot_cmd {
	const char *name;
	int argc;		/* words it needs, name and slot included */
	bool engine;		/* only with an engine in the slot (else -ENOENT) */
	bool two_slots;		/* argv[2] names a slot, which the writer commands too */
	long (*run)(struct slot *s, int argc, char **argv);
} slot_cmds[] = {
	{ "attach",		3, false, false, do_attach },
	{ "attach_null_ops",	3, false, false, do_attach },
	{ "lookup",		3, false, false, do_attach },
	{ "attach_task",	3, false, true,  do_attach_task },
	{ "clone_stop",		3, false, true,  do_clone_stop },
	{ "chain",		3, false, true,  do_chain },
	{ "only_nr",		3, false, false, do_only_nr },
	{ "sigevents",		3, false, false, do_sigevents },
	{ "clone_flip",		4, false, true,  do_clone_flip },
	{ "sigon",		3, false, false, do_sigon },
	{ "jctlon",		3, false, false, do_jctlon },
	{ "sigrewrite",		3, false, false, do_sigrewrite },
	{ "siginject",		3, false, false, do_sigrewrite },
	{ "sigset",		3, true,  false, do_sigset },
	{ "deathregs",		3, false, false, do_switch },
	{ "nolog",		3, false, false, do_switch },
	{ "wake",		3, false, false, do_switch },
	{ "steplog",		3, true,  false, do_switch },
	{ "stepyield",		3, true,  false, do_switch },
	{ "traplog",		3, false, false, do_switch },
	{ "bpset",		3, true,  false, do_bpset },
	{ "bpclear",		4, true,  false, do_bpclear },
	{ "bpauto",		3, false, false, do_bpauto },
	{ "watch",		4, true,  false, do_watch },
	{ "unwatch",		3, true,  false, do_watch },
	{ "count",		2, false, false, do_count },
	{ "gate",		2, false, false, do_gate },
	{ "kbench",		3, false, false, do_kbench },
	{ "wait_stop",		3, false, false, do_wait_stop },
	{ "put",		2, false, false, do_put },
	{ "ret",		4, false, false, do_ret },
	{ "exitcode",		3, false, false, do_exitcode },
	{ "events",		3, true,  false, do_events },
	{ "control",		3, true,  false, do_control },
	{ "barrier",		2, true,  false, do_barrier },
	{ "examine",		2, true,  false, do_examine },
	{ "setreg",		4, true,  false, do_setreg },
	{ "prepare",		2, true,  false, do_prepare },
	{ "finish",		2, true,  false, do_finish },
	{ "stepuntil",		4, true,  false, do_step_pair },
	{ "steprange",		4, true,  false, do_step_pair },
};

static long run_command(char *buf)
{
	const struct slot_cmd *cmd = NULL;
	char *argv[4] = { NULL };
	char *p = strim(buf);
	int argc = 0, slot, i;
	struct slot *s;
	long may, other;

	/* Three words, then the rest of the line as the fourth ("M C V" of the signal commands). */
	while (p && argc < 3)
		argv[argc++] = strsep(&p, " ");
	if (p)
		argv[argc++] = p;
	if (!argc)
		return -EINVAL;
	if (!strcmp(argv[0], "clear")) {
		spin_lock_irq(&log_lock);
		log_len = 0;
		log_lost = 0;
		spin_unlock_irq(&log_lock);
		return 0;
	}
	if (!strcmp(argv[0], "may"))
		return cmd_may(argc, argv);
	for (i = 0; i < ARRAY_SIZE(slot_cmds); i++) {
		if (!strcmp(argv[0], slot_cmds[i].name)) {
			cmd = &slot_cmds[i];
			break;
		}
	}
	if (!cmd || argc < 2 || kstrtoint(argv[1], 10, &slot) || slot < 0 || slot >= NSLOTS)
		return -EINVAL;
	s = &slots[slot];
	may = slot_may_command(s);
	if (!may && cmd->two_slots && argc > 2 && !slot_arg(argv, &other))
		may = slot_may_command(&slots[other]);
	if (may) {
		pr_err_ratelimited("utrace_test_engine: %s: slot attached by another writer, who may not be commanded by this one (%ld)\n",
				   argv[0], may);
		return may;
	}
	if (cmd->engine && !slot_engine(s))
		return -ENOENT;
	if (argc < cmd->argc)
		return -EINVAL;
	return cmd->run(s, argc, argv);
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
	/* "open S" must work while another command (barrier) waits for the gated callback. */
	if (!strncmp(buf, "open ", 5)) {
		int slot;

		if (kstrtoint(strim(buf + 5), 10, &slot) || slot < 0 || slot >= NSLOTS)
			return -EINVAL;
		complete_all(&slots[slot].gate);
		return len;
	}
	/* Killable: a command may wait long (barrier, kbench, wait_stop) with the lock held. */
	if (mutex_lock_killable(&control_lock))
		return -EINTR;
	ret = run_command(buf);
	mutex_unlock(&control_lock);
	return ret < 0 ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
};

/*
 * One line per record:
 *   quiesce S TID in=ACTION event=EVENT
 *   syscall_entry S TID in=ACTION nr=N args=A0,A1,A2,A3,A4,A5
 *   syscall_exit S TID in=ACTION nr=N ret=R
 *   clone S TID in=ACTION flags=0xF child=C
 *   exec S TID in=ACTION tgid=G regs_ok=1 file=NAME secure=0|1 (bprm->secureexec)
 *   exit S TID in=ACTION orig=C code=C
 *   death S TID group_dead=G signal=N
 *   reap S TID
 *   signal S TID in=ACTION sig=N handler=dfl|ign|fn|none code=C (none: a
 *                           UTRACE_SIGNAL_REPORT, no signal; C: the si_code it saw)
 *   jctl S TID in=ACTION type=T notify=N (T: CLD_STOPPED 5 or CLD_CONTINUED 6)
 *   release S TID
 *   regs S TID orig_ax=N ax=N di=N
 *   step S TID ip=0xIP tf=0|1
 *   setev S TID ret=R events=0xMASK
 *   trap S TID in=ACTION ip=0xIP addr=0xADDR code=C
 *   bp S TID addr=0xADDR orig=0xBYTE
 *   bperr S TID what=1|2 ret=R (1: restoring the byte, 2: writing the int3 again)
 */
static int log_show(struct seq_file *m, void *v)
{
	static const char *const handlers[] = { "dfl", "ign", "fn", "none" };
	unsigned int i;

	spin_lock_irq(&log_lock);
	for (i = 0; i < log_len; i++) {
		struct rec *r = &log_buf[i];

		seq_printf(m, "%s %d %d", rec_names[r->kind], r->slot, r->tid);
		switch (r->kind) {
		case REC_QUIESCE:
			seq_printf(m, " in=0x%x event=0x%lx", r->in_action, r->a[0]);
			break;
		case REC_SYSCALL_ENTRY:
			seq_printf(m, " in=0x%x nr=%ld args=%lx,%lx,%lx,%lx,%lx,%lx", r->in_action,
				   r->a[0], r->a[1], r->a[2], r->a[3], r->a[4], r->a[5], r->a[6]);
			break;
		case REC_SYSCALL_EXIT:
			seq_printf(m, " in=0x%x nr=%ld ret=%ld", r->in_action, r->a[0], r->a[1]);
			break;
		case REC_CLONE:
			seq_printf(m, " in=0x%x flags=0x%lx child=%ld", r->in_action, r->a[0], r->a[1]);
			break;
		case REC_EXEC:
			seq_printf(m, " in=0x%x tgid=%ld regs_ok=%ld file=%s secure=%ld", r->in_action,
				   r->a[0], r->a[1], r->str, r->a[2]);
			break;
		case REC_EXIT:
			seq_printf(m, " in=0x%x orig=%ld code=%ld", r->in_action, r->a[0], r->a[1]);
			break;
		case REC_DEATH:
			seq_printf(m, " group_dead=%ld signal=%ld", r->a[0], r->a[1]);
			break;
		case REC_SIGNAL:
			seq_printf(m, " in=0x%x sig=%ld handler=%s code=%ld", r->in_action,
				   r->a[0], handlers[r->a[1]], r->a[3]);
			break;
		case REC_JCTL:
			seq_printf(m, " in=0x%x type=%ld notify=%ld", r->in_action, r->a[0],
				   r->a[1]);
			break;
		case REC_REGS:
			seq_printf(m, " orig_ax=%ld ax=%ld di=%ld", r->a[0], r->a[1], r->a[2]);
			break;
		case REC_STEP:
			seq_printf(m, " ip=0x%lx tf=%ld", r->a[0], r->a[1]);
			break;
		case REC_SETEV:
			seq_printf(m, " ret=%ld events=0x%lx", r->a[0], r->a[1]);
			break;
		case REC_TRAP:
			seq_printf(m, " in=0x%x ip=0x%lx addr=0x%lx code=%ld", r->in_action,
				   r->a[0], r->a[1], r->a[2]);
			break;
		case REC_BP:
			seq_printf(m, " addr=0x%lx orig=0x%lx", r->a[0], r->a[1]);
			break;
		case REC_BPERR:
			seq_printf(m, " what=%ld ret=%ld", r->a[0], r->a[1]);
			break;
		default:
			break;
		}
		seq_putc(m, '\n');
	}
	if (log_lost)
		seq_printf(m, "lost %lu\n", log_lost);
	spin_unlock_irq(&log_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(log);

/*
 * One line per slot: "S COUNT CALLS DELIVERED": the syscall callbacks counted in count-only
 * mode, the utrace_wake_up() calls made and the wake-ups delivered on the slot's queue.
 */
static int counts_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		seq_printf(m, "%d %ld %ld %ld\n", i, atomic_long_read(&slots[i].count),
			   atomic_long_read(&slots[i].wake_calls),
			   atomic_long_read(&slots[i].wake_delivered));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counts);

/* One line per slot: "S STEPS INRANGE" (report_quiesce(0) calls; with the IP in steprange). */
static int steps_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		seq_printf(m, "%d %ld %ld\n", i, atomic_long_read(&slots[i].steps),
			   atomic_long_read(&slots[i].steps_in_range));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(steps);

static struct dentry *dir;

static int __init utrace_test_engine_init(void)
{
	int i, j;

	log_buf = kvcalloc(LOG_SIZE, sizeof(*log_buf), GFP_KERNEL);
	if (!log_buf)
		return -ENOMEM;
	for (i = 0; i < NSLOTS; i++) {
		for (j = 0; j <= REC_JCTL; j++)
			slots[i].ret[j] = UTRACE_RESUME;
		slots[i].only_nr = -1;
		slots[i].chain_to = -1;
		slots[i].clone_stop_to = -1;
		slots[i].flip_detach = -1;
		slots[i].resumed_ret = UTRACE_RESUME;
		init_completion(&slots[i].gate);
		init_waitqueue_head(&slots[i].wq);
		init_waitqueue_func_entry(&slots[i].counter, count_wake);
		add_wait_queue_priority(&slots[i].wq, &slots[i].counter);
	}
	dir = debugfs_create_dir("utrace_test", NULL);
	debugfs_create_file("control", 0200, dir, NULL, &control_fops);
	debugfs_create_file("log", 0400, dir, NULL, &log_fops);
	debugfs_create_file("counts", 0400, dir, NULL, &counts_fops);
	debugfs_create_file("steps", 0400, dir, NULL, &steps_fops);
	return 0;
}

/* Detach every engine and wait for its callbacks before the module's code goes away. */
static void __exit utrace_test_engine_exit(void)
{
	struct rec *buf;
	int i;

	debugfs_remove_recursive(dir);
	/*
	 * "put S" drops our reference and leaves the engine attached until its task is reaped
	 * (utrace detaches it then). A task reaped just before this (its parent's wait
	 * returned) is only freed, and sched_process_free reported, by an RCU callback: wait
	 * for those, so that such an engine is not still attached, out of our reach, when
	 * this module goes (utrace would orphan it, and keep it until it unloads).
	 */
	rcu_barrier();
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		complete_all(&s->gate);
		if (!test_leak_engines) {
			slot_detach(s);
		} else if (s->task) {
			/*
			 * The bug under test leaves the engine attached with our reference (utrace
			 * keeps it until it unloads); the task reference is ours alone to drop.
			 */
			put_task_struct(s->task);
			s->task = NULL;
		}
		if (s->owner) {
			put_cred(s->owner);
			s->owner = NULL;
		}
	}
	/*
	 * utrace may still call release() for an engine we let go of (put while attached)
	 * until this function returns: log_rec() must not write into a freed buffer.
	 */
	spin_lock_irq(&log_lock);
	buf = log_buf;
	log_buf = NULL;
	spin_unlock_irq(&log_lock);
	kvfree(buf);
}

module_init(utrace_test_engine_init);
module_exit(utrace_test_engine_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test engine driven through debugfs");
