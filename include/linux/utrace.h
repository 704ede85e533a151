/* SPDX-License-Identifier: GPL-2.0 */
/*
 * utrace: process tracing for engine modules.
 *
 * This header is what a C engine module includes. The functions are implemented by
 * utrace.ko and exported with EXPORT_SYMBOL_GPL; build an engine with
 * KBUILD_EXTRA_SYMBOLS=<utrace-rs>/out/modules/Module.symvers (or in the same kbuild pass as
 * utrace.ko) so that modpost knows them.
 *
 * The API is the one of the original utrace (Roland McGrath, Oleg Nesterov; Linux 2.6.x
 * Fedora/RHEL kernels), adapted to what an unmodified kernel lets a module do. Every
 * difference is listed in Documentation/api.md; the main ones:
 *  - callbacks run where the kernel's tracepoints fire, not at the old tracehook points, and
 *    some of them cannot sleep (see each report_* below);
 *  - report_signal intercepts a signal before get_signal() acts on it, from utrace's
 *    task_work (it may sleep), except for the signals it cannot see in time, which are
 *    reported after the fact with UTRACE_SIGNAL_OBSERVED (atomic; the answer's signal action
 *    is ignored); SIGKILL, a signal the kernel forces fatal (SA_IMMUTABLE: seccomp's
 *    RET_KILL_PROCESS) and a default-fatal signal sent to a process without a ptracer are
 *    never intercepted (see Documentation/api.md, "Signals");
 *  - report_reap runs when the task_struct is freed (softirq), after the parent's wait.
 *
 * An engine is attached to one thread. utrace's per-task state holds a reference on the
 * task while engines are attached, but for its own use only: a caller passing a task_struct
 * to any call keeps it alive itself (get_task_struct(), or being that task).
 *
 * Permissions (Documentation/api.md, "Security"): utrace_attach_task() itself refuses only
 * kernel threads; an engine that attaches on behalf of a user (a request through a file, a
 * syscall...) must pass UTRACE_ATTACH_CHECK_ACCESS, or call utrace_may_trace(), in the
 * requester's context: they apply ptrace's attach rule (uid/gid, CAP_SYS_PTRACE, dumpable,
 * the LSMs and so Yama). Whatever the engine does, an exec that gains privilege (setuid,
 * setgid, file capabilities) detaches every engine not attached by a task with
 * CAP_SYS_PTRACE before the new program runs (see report_exec below).
 */
#ifndef _LINUX_UTRACE_H
#define _LINUX_UTRACE_H

/*
 * The constants below (events, actions, attach flags) are also used by user-space test
 * programs; everything else is for kernel modules only (__KERNEL__).
 */

/*
 * The API version, a date, as in the original utrace. utrace.ko shows the version it
 * implements in /sys/kernel/debug/utrace/state.
 */
#define UTRACE_API_VERSION	20261121

/* Event bits: UTRACE_EVENT(x) in utrace_set_events() and engine->flags. */
#define _UTRACE_EVENT_QUIESCE		0	/* thread is at a safe point */
#define _UTRACE_EVENT_REAP		1	/* zombie reaped, no more tracing possible */
#define _UTRACE_EVENT_CLONE		2	/* successful clone/fork/vfork just done */
#define _UTRACE_EVENT_EXEC		3	/* successful execve just completed */
#define _UTRACE_EVENT_EXIT		4	/* thread exit in progress */
#define _UTRACE_EVENT_DEATH		5	/* thread has died */
#define _UTRACE_EVENT_SYSCALL_ENTRY	6	/* user entered kernel for a system call */
#define _UTRACE_EVENT_SYSCALL_EXIT	7	/* returning to user after a system call */
#define _UTRACE_EVENT_SIGNAL		8	/* signal delivery will run a user handler */
#define _UTRACE_EVENT_SIGNAL_IGN	9	/* no-op signal to be delivered */
#define _UTRACE_EVENT_SIGNAL_STOP	10	/* signal delivery will suspend */
#define _UTRACE_EVENT_SIGNAL_TERM	11	/* signal delivery will terminate */
#define _UTRACE_EVENT_SIGNAL_CORE	12	/* signal delivery will dump core */
#define _UTRACE_EVENT_JCTL		13	/* group stop about to be entered, or continued */
#define _UTRACE_NEVENTS			14

#define UTRACE_EVENT(type)	(1UL << _UTRACE_EVENT_##type)

#define UTRACE_EVENT_SIGNAL_ALL	(UTRACE_EVENT(SIGNAL) | UTRACE_EVENT(SIGNAL_IGN) | \
				 UTRACE_EVENT(SIGNAL_STOP) | UTRACE_EVENT(SIGNAL_TERM) | \
				 UTRACE_EVENT(SIGNAL_CORE))
#define UTRACE_EVENT_SYSCALL	(UTRACE_EVENT(SYSCALL_ENTRY) | UTRACE_EVENT(SYSCALL_EXIT))
/* Every valid event bit; utrace_set_events() refuses others with -EINVAL. */
#define UTRACE_EVENT_ALL	((1UL << _UTRACE_NEVENTS) - 1)

/*
 * Resume actions: the low bits of a callback's u32 return value, and the action argument
 * of utrace_control(). When several engines answer one event, the smallest value wins
 * (STOP beats REPORT beats RESUME); DETACH affects only the engine that returns it.
 */
#define UTRACE_STOP		0	/* stay quiescent after callbacks */
#define UTRACE_INTERRUPT	1	/* make report_signal() callback soon */
#define UTRACE_REPORT		2	/* make some callback soon */
#define UTRACE_SINGLESTEP	3	/* resume in user mode for one instruction */
#define UTRACE_BLOCKSTEP	4	/* resume in user mode until next branch */
#define UTRACE_RESUME		5	/* resume normally in user mode */
#define UTRACE_DETACH		6	/* detach my engine (implies RESUME) */
#define UTRACE_RESUME_MAX	7

#define UTRACE_RESUME_BITS	3
#define UTRACE_RESUME_MASK	((1U << UTRACE_RESUME_BITS) - 1)

/*
 * Signal actions: report_signal()'s event-specific bits. The last engine's answer decides
 * (each engine is passed the previous one's). DELIVER: deliver the signal named by
 * info->si_signo, with the siginfo as the engines left it, with the process's action for
 * it. IGN: drop it, the thread runs on. TERM, CORE, STOP, TSTP: act as if the signal had that
 * default action (the signal's own default action: the same as DELIVER; another one is
 * approximated: TERM and CORE by SIGKILL, STOP and TSTP by SIGSTOP; see api.md). REPORT:
 * passed in after UTRACE_INTERRUPT (no signal; DELIVER with a filled info injects one).
 * HANDLER: never passed in by this version. UTRACE_STOP in the resume bits holds the signal
 * while the thread is stopped; see utrace_set_signal().
 */
#define UTRACE_SIGNAL_DELIVER	0x00
#define UTRACE_SIGNAL_IGN	0x10
#define UTRACE_SIGNAL_TERM	0x20
#define UTRACE_SIGNAL_CORE	0x30
#define UTRACE_SIGNAL_STOP	0x40
#define UTRACE_SIGNAL_TSTP	0x50
#define UTRACE_SIGNAL_REPORT	0x60
#define UTRACE_SIGNAL_HANDLER	0x70
#define UTRACE_SIGNAL_MASK	0xf0
#define UTRACE_SIGNAL_HOLD	0x100	/* reserved, never passed in */
#define UTRACE_SIGNAL_OBSERVED	0x200	/* passed in: an after-the-fact report, atomic */

/* Syscall actions: report_syscall_entry()'s event-specific bits. */
#define UTRACE_SYSCALL_RUN	0x00	/* run the system call */
#define UTRACE_SYSCALL_ABORT	0x10	/* don't run it: return regs->ax (-ENOSYS preset) */
#define UTRACE_SYSCALL_MASK	0xf0
#define UTRACE_SYSCALL_RESUMED	0x100	/* repeated entry report after a stop */

/* utrace_attach_task() flags. */
#define UTRACE_ATTACH_MATCH_OPS		0x0001	/* match engines on ops */
#define UTRACE_ATTACH_MATCH_DATA	0x0002	/* match engines on data */
#define UTRACE_ATTACH_MATCH_MASK	0x000f
#define UTRACE_ATTACH_CREATE		0x0010	/* attach a new engine */
#define UTRACE_ATTACH_EXCLUSIVE		0x0020	/* refuse if existing match */
#define UTRACE_ATTACH_CHECK_ACCESS	0x0040	/* current must be allowed to trace it */

/*
 * utrace_may_trace() flags, also valid with UTRACE_ATTACH_CHECK_ACCESS: what the check lets
 * through that it refuses by default.
 */
#define UTRACE_ACCESS_OWN_GROUP		0x0100	/* a thread of current's own thread group */
#define UTRACE_ACCESS_USER_WORKER	0x0200	/* a PF_USER_WORKER thread (io_uring, vhost) */

/*
 * utrace_set_watchpoint() types: the values of HW_BREAKPOINT_W, _RW and _X (x86 has no
 * read-only watchpoint).
 */
#define UTRACE_WATCH_WRITE		2	/* a write to the range */
#define UTRACE_WATCH_RW			3	/* a read or a write */
#define UTRACE_WATCH_EXEC		4	/* executing the instruction at the address */

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/err.h>
#include <linux/pid.h>

struct cred;
struct task_struct;
struct pt_regs;
struct linux_binfmt;
struct linux_binprm;
struct k_sigaction;
struct kernel_siginfo;
struct wait_queue_head;

static inline u32 utrace_resume_action(u32 action)
{
	return action & UTRACE_RESUME_MASK;
}

static inline u32 utrace_signal_action(u32 action)
{
	return action & UTRACE_SIGNAL_MASK;
}

static inline u32 utrace_syscall_action(u32 action)
{
	return action & UTRACE_SYSCALL_MASK;
}

/**
 * struct utrace_engine - per-engine structure
 * @ops:	&struct utrace_engine_ops pointer passed to utrace_attach_task()
 * @data:	engine-private pointer passed to utrace_attach_task()
 * @flags:	event mask set by utrace_set_events(); read-only for the engine
 *
 * Allocated by utrace_attach_task() and reference-counted with utrace_engine_get() and
 * utrace_engine_put(). Only the fields above are for engines; the rest is private to
 * utrace.ko, whose layout check compares these offsets with its own at load time.
 */
struct utrace_engine {
	const struct utrace_engine_ops *ops;
	void *data;
	unsigned long flags;
	/* private to utrace.ko from here on */
};

/**
 * struct utrace_engine_ops - tracing engine callbacks
 *
 * Each report_* callback may be NULL when the engine never sets the event's bit. Every
 * callback returning u32 is given the action the engines before it chose (@action) and
 * returns its own: a resume action in the low bits, plus the event-specific bits of its
 * event (syscall or signal action). Engines are called in attach order, except for
 * SYSCALL_ENTRY (and the QUIESCE report before it), which goes in reverse attach order so
 * that the last engine attached is "closest to user mode". An engine attached while an
 * event is being reported gets no callback for that event.
 *
 * Context, per callback (see Documentation/api.md for the tracepoint each comes from):
 *  - sleepable, may fault: report_quiesce, report_syscall_entry, report_syscall_exit,
 *    report_exec, report_clone, report_exit, report_death. They run in the traced thread
 *    (report_clone in the parent) with no utrace lock held. They may allocate with
 *    GFP_KERNEL and read user memory; they must not wait for an external event (use
 *    UTRACE_STOP for that).
 *  - report_signal: sleepable, in the traced thread's task_work before get_signal() takes
 *    the signal (no lock held), except when @action has UTRACE_SIGNAL_OBSERVED: then it is
 *    atomic (under the thread's siglock, interrupts off) and may not sleep.
 *  - report_jctl: sleepable, in the traced thread's task_work (no lock held).
 *  - atomic: report_reap runs in an RCU callback (softirq); it may not sleep.
 *
 * @report_quiesce:	the thread reached a safe point before reporting @event
 *			(a UTRACE_EVENT() bit), or @event 0 after UTRACE_REPORT or
 *			UTRACE_INTERRUPT asked for a report.
 * @report_signal:	the thread is about to take the signal @info (still queued, or
 *			held); @orig_ka is a copy of its action. The engine may change *@info
 *			(si_signo included) and answers a signal action (see UTRACE_SIGNAL_*)
 *			plus a resume action. Called for engines with the UTRACE_EVENT() bit of
 *			the signal's disposition (SIGNAL: a handler; SIGNAL_IGN, _STOP, _TERM,
 *			_CORE: the default or ignored action). After UTRACE_INTERRUPT, engines
 *			with any SIGNAL* bit get it with UTRACE_SIGNAL_REPORT, a zeroed @info and
 *			a NULL @orig_ka: DELIVER with info->si_signo set injects that signal.
 *			With UTRACE_SIGNAL_OBSERVED in @action the signal was dequeued already
 *			(a signal utrace could not see in time): the signal action is ignored.
 *			A user int3 or a watchpoint hit comes here too, as the SIGTRAP taken
 *			over from the kernel (si_code SI_KERNEL with regs->ip after the int3;
 *			TRAP_HWBKPT with si_addr the watched address, to the engine that set
 *			the watchpoint only): IGN drops it, DELIVER forces it (see
 *			utrace_set_breakpoint(), utrace_set_watchpoint()).
 *			@return_ka is NULL.
 * @report_clone:	the thread created @child (not yet run) with @clone_flags, the
 *			legacy clone() flags word: CLONE_* bits plus, unless CLONE_THREAD, the
 *			child's exit signal in the CSIGNAL bits. An engine may attach to
 *			@child here and set its events.
 * @report_jctl:	job control: @type CLD_STOPPED, the thread is about to enter a group
 *			stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU with the default action), or
 *			CLD_CONTINUED, SIGCONT ended the group stop it had reported. Sleepable,
 *			in the thread's task_work: CLD_STOPPED before it joins or starts the stop
 *			(a prediction: the stop may still be cancelled), CLD_CONTINUED before it
 *			runs any user instruction. UTRACE_STOP parks it there: at CLD_STOPPED the
 *			group stop does not complete while it is parked (it stays counted); at
 *			CLD_CONTINUED it stays stopped while its siblings run, as a debugger keeps
 *			a thread. @notify: for CLD_STOPPED, CLD_STOPPED when this thread is
 *			expected to complete the stop and notify the parent, else 0; for
 *			CLD_CONTINUED, the code the parent is notified of for this continue
 *			(CLD_CONTINUED, CLD_STOPPED for a stop still in progress, 0 none), the
 *			same on every thread. A thread that started the stop before utrace could
 *			check it reports CLD_STOPPED late, with @notify 0, right before its
 *			CLD_CONTINUED. See Documentation/design.md, "Job control".
 * @report_exec:	the thread completed an exec; @regs are the new image's. @fmt is
 *			NULL (not available at the hook). When the exec gained privilege
 *			(@bprm->secureexec: setuid, setgid, file capabilities, an LSM
 *			transition), only engines whose attaching task had CAP_SYS_PTRACE over
 *			the new credentials are still attached and get this report; every
 *			other engine was detached before it, with no callback from the new
 *			image (utrace cannot withhold the privilege as ptrace does).
 * @report_syscall_entry: the thread entered a system call; @regs may be changed.
 *			UTRACE_SYSCALL_ABORT skips the call (it returns regs->ax, preset to
 *			-ENOSYS).
 * @report_syscall_exit: the system call is returning; regs->ax may be changed.
 * @report_exit:	the thread is exiting with @orig_code; the engine may change
 *			*@code. The parent's wait sees the changed code for a thread that
 *			exits alone (exit()), and for the last thread of a group exit.
 * @report_death:	the thread is dead: no more user code. @group_dead is true for the
 *			last thread of the group; @signal is the exit signal the parent gets
 *			(-1 for a thread). Only UTRACE_DETACH in the return value matters.
 * @report_reap:	the task is being freed; the engine is detached after this call.
 * @release:		called once, with engine->data, after the last reference to the
 *			engine is put: in the context of the engine's own last
 *			utrace_engine_put(), or, when utrace's own reference is the last (a
 *			detach, the reap), in process context (a work item where utrace's
 *			caller cannot sleep). It may sleep then. Not called once the engine
 *			module's exit has begun, for engines it left attached.
 */
struct utrace_engine_ops {
	u32 (*report_quiesce)(u32 action, struct utrace_engine *engine, unsigned long event);
	u32 (*report_signal)(u32 action, struct utrace_engine *engine, struct pt_regs *regs,
			     struct kernel_siginfo *info, const struct k_sigaction *orig_ka,
			     struct k_sigaction *return_ka);
	u32 (*report_clone)(u32 action, struct utrace_engine *engine,
			    unsigned long clone_flags, struct task_struct *child);
	u32 (*report_jctl)(u32 action, struct utrace_engine *engine, int type, int notify);
	u32 (*report_exec)(u32 action, struct utrace_engine *engine,
			   const struct linux_binfmt *fmt, const struct linux_binprm *bprm,
			   struct pt_regs *regs);
	u32 (*report_syscall_entry)(u32 action, struct utrace_engine *engine,
				    struct pt_regs *regs);
	u32 (*report_syscall_exit)(u32 action, struct utrace_engine *engine,
				   struct pt_regs *regs);
	u32 (*report_exit)(u32 action, struct utrace_engine *engine, long orig_code, long *code);
	u32 (*report_death)(struct utrace_engine *engine, bool group_dead, int signal);
	void (*report_reap)(struct utrace_engine *engine, struct task_struct *task);
	void (*release)(void *data);
};

/**
 * utrace_attach_task - attach new engine, or look up an attached engine
 * @target:	thread to attach to; the caller keeps it alive
 * @flags:	UTRACE_ATTACH_* flags
 * @ops:	callback table for the new engine (with %UTRACE_ATTACH_CREATE), or to match
 * @data:	engine-private data pointer, or to match
 *
 * Without %UTRACE_ATTACH_CREATE, finds the first attached engine matching @ops and/or
 * @data as @flags ask (any engine if neither MATCH flag is given). With it, attaches a new
 * engine with no events set, unless %UTRACE_ATTACH_EXCLUSIVE is given and a matching
 * engine exists.
 *
 * With %UTRACE_ATTACH_CHECK_ACCESS (and optionally %UTRACE_ACCESS_OWN_GROUP,
 * %UTRACE_ACCESS_USER_WORKER), current must be allowed to trace @target, as
 * utrace_may_trace() decides; with %UTRACE_ATTACH_CREATE the check and the attach are made
 * under @target's cred_guard_mutex, as ptrace_attach() does, so that no exec changes its
 * credentials in between. Such an attach must be made where the caller can sleep.
 *
 * The new engine records current's credentials (those of the thread running the callback,
 * when attached from one): they decide whether it stays attached across an exec that gains
 * privilege (see @report_exec). An engine attached outside task context counts as having
 * no privilege.
 *
 * Return: the engine, with a reference the caller must drop with utrace_engine_put() (a
 * new engine also holds a second reference for being attached, dropped at detach), or an
 * ERR_PTR(): -ENOENT no matching engine (lookup); -EINVAL @target or @ops is NULL or an
 * ERR_PTR() (every entry point refuses those, with a rate-limited error), or @flags has
 * unknown bits (or ACCESS bits without CHECK_ACCESS); -EPERM @target is a kernel thread,
 * or the access check refused; -EEXIST a matching engine exists (EXCLUSIVE); -ESRCH
 * @target has died and been released; -ENOMEM out of memory; -ERESTARTNOINTR a signal
 * interrupted the wait for @target's exec (CHECK_ACCESS).
 */
struct utrace_engine *utrace_attach_task(struct task_struct *target, int flags,
					 const struct utrace_engine_ops *ops, void *data);

/**
 * utrace_attach_pid - attach new engine, or look up an attached engine
 * @pid:	&struct pid pointer representing the thread to attach to
 * @flags:	as for utrace_attach_task()
 * @ops:	as for utrace_attach_task()
 * @data:	as for utrace_attach_task()
 *
 * Return: as for utrace_attach_task(), or ERR_PTR(-ESRCH) if @pid has no task.
 */
struct utrace_engine *utrace_attach_pid(struct pid *pid, int flags,
					const struct utrace_engine_ops *ops, void *data);

/**
 * utrace_may_trace - may the current task trace this thread?
 * @target:	thread to be traced; the caller keeps it alive
 * @flags:	0, or %UTRACE_ACCESS_OWN_GROUP and/or %UTRACE_ACCESS_USER_WORKER
 *
 * The kernel's own rule for ptrace(PTRACE_ATTACH), what ptrace_may_access(@target,
 * PTRACE_MODE_ATTACH_REALCREDS) decides: current's real uid and gid equal @target's real,
 * effective and saved ones, or current has CAP_SYS_PTRACE in @target's user namespace;
 * @target is dumpable, or current has CAP_SYS_PTRACE over it; and the LSMs agree (Yama's
 * ptrace_scope and PR_SET_PTRACER exceptions included). The kernel itself runs the check
 * (utrace_access.c says how; ptrace_may_access() is not exported). Besides, as
 * ptrace_attach() does, kernel threads and threads of current's own thread group are refused
 * (a stop of a thread of its own group can deadlock the caller), and so are
 * PF_USER_WORKER threads (io_uring workers, vhost), unless @flags allows them.
 *
 * The answer is for current at the moment of the call. To attach, pass
 * %UTRACE_ATTACH_CHECK_ACCESS to utrace_attach_task() instead, which holds off an exec of
 * @target between the check and the attach. Call it in the context of the task whose
 * request it is (a write() to an engine's control file: the writer), where it can sleep.
 *
 * Return: 0 allowed; -EPERM refused (also when utrace could not set up its procfs mount at
 * load: it fails closed, saying so in the kernel log); -ESRCH @target has been released;
 * -EINVAL @target is NULL, unknown @flags, or called where it cannot sleep; -ENOMEM;
 * -ERESTARTNOINTR or -EINTR interrupted by a signal.
 */
int utrace_may_trace(struct task_struct *target, int flags);

/**
 * utrace_may_command - may the current task command an engine another task attached?
 * @attacher:	the credentials of the task whose request attached the engine
 *		(get_current_cred() in that request), or NULL if no user request attached it
 * @target:	the thread the engine is attached to; the caller keeps it alive
 * @flags:	as for utrace_may_trace(): those the attach allowed
 *
 * An engine acts with its attacher's rights: the attach was checked against them, and so is
 * every memory access (utrace_access_vm()). An engine whose user-space interface (a device,
 * a debugfs file) lets one writer attach and another command the engine (stop it, change
 * registers, read memory) asks this before each command, or a writer with fewer rights
 * borrows the attacher's. The attacher itself (the same credentials) is allowed, as ptrace
 * does not re-check a tracer's later requests. Anyone else needs the attacher's rights
 * (CAP_SYS_PTRACE in the attacher's user namespace, or that namespace, every uid and gid of
 * the attacher and at least its effective capabilities: root without CAP_SYS_PTRACE may not
 * command what full root attached) and must pass utrace_may_trace(@target, @flags) itself
 * (the LSMs, Yama). It judges current, the writer: an interface that a process may open
 * and hand to a more privileged one (a device) judges the opener too (file->f_cred).
 * Process context; it may sleep.
 *
 * Return: 0 allowed; -EPERM refused; -EINVAL @target NULL or an error pointer; otherwise
 * what utrace_may_trace() returns.
 */
int utrace_may_command(const struct cred *attacher, struct task_struct *target, int flags);

/**
 * utrace_may_trace_as - may the holder of these credentials trace this thread?
 * @cred:	the credentials to judge, e.g. the opener's of a device (file->f_cred)
 * @target:	the thread; the caller keeps it alive
 * @flags:	as for utrace_may_trace()
 *
 * utrace_may_trace() with @cred as current's subjective credentials. A request made through
 * a file one task opened and another uses (a device fd passed on, inherited) is judged for
 * both: utrace_may_trace() for current, this for the opener, so that a user cannot hand its
 * file to a more privileged process and read what that process traces for it. Process
 * context; it may sleep.
 *
 * Return: 0 allowed; -EINVAL @cred NULL; otherwise what utrace_may_trace() returns.
 */
int utrace_may_trace_as(const struct cred *cred, struct task_struct *target, int flags);

/**
 * utrace_engine_get - acquire a reference on a &struct utrace_engine
 * @engine:	engine with a reference the caller already holds
 */
void utrace_engine_get(struct utrace_engine *engine);

/**
 * utrace_engine_put - release a reference on a &struct utrace_engine
 * @engine:	engine whose reference the caller drops
 *
 * After the last reference is dropped, engine->ops->release(engine->data) is called once
 * and the engine must not be used again.
 */
void utrace_engine_put(struct utrace_engine *engine);

/**
 * utrace_set_events - choose which event reports a tracing engine gets
 * @target:	thread the engine is attached to
 * @engine:	attached engine
 * @events:	new event mask (UTRACE_EVENT() bits)
 *
 * Takes effect for the next event. Clearing bits while a callback of @engine may be running
 * on another CPU returns -EINPROGRESS: use utrace_barrier() before relying on it. Where a
 * newly needed probe cannot be registered (atomic context, rcu_read_lock(), or inside
 * report_clone, report_exec or report_exit, which run in their tracepoint's SRCU read
 * section), it is registered before @target next returns to user mode: its events in the
 * kernel until then may be missed. EXIT, DEATH and REAP are never affected.
 *
 * Return: 0; -EINVAL bad @events or @engine not attached to @target; -ESRCH @engine
 * detached or @target reaped; -EALREADY DEATH or QUIESCE newly set after @target's death
 * report began, or DEATH newly set when @target is past the point where it can be reported
 * (exit_task_work()); DEATH set while @target exits before that point is reported, from any
 * context; -ENOMEM no memory for that report; -EINPROGRESS bits were cleared while a
 * callback of @engine may be in progress.
 */
int utrace_set_events(struct task_struct *target, struct utrace_engine *engine,
		      unsigned long events);

/**
 * utrace_control - control a thread being traced by a tracing engine
 * @target:	thread the engine is attached to
 * @engine:	attached engine
 * @action:	UTRACE_RESUME, UTRACE_REPORT, UTRACE_INTERRUPT, UTRACE_DETACH, UTRACE_STOP,
 *		UTRACE_SINGLESTEP or UTRACE_BLOCKSTEP
 *
 * UTRACE_DETACH detaches @engine: once this returns 0, no callback of @engine runs again.
 * It returns -EINPROGRESS if a callback of @engine may be running on another CPU: then
 * utrace_barrier() waits for it. UTRACE_REPORT asks for a report_quiesce(event 0) at the
 * thread's next safe point (return to user mode); UTRACE_INTERRUPT also breaks an
 * interruptible sleep to get there sooner (the syscall restarts, or returns -EINTR where it
 * would for any signal).
 *
 * UTRACE_STOP makes @engine want the thread stopped: it parks at its next safe point, after
 * a report_quiesce(0) to engines with UTRACE_EVENT(QUIESCE) (whose answer, STOP or not,
 * replaces the request), and stays parked until no attached engine wants it stopped. Every
 * action other than STOP, and detaching, withdraws @engine's stop. SIGKILL ends a stop
 * whenever the kernel delivers it to the thread: always, except at an exit stop (see
 * report_exit) after a group exit (exit_group(), a fatal signal: the kernel drops every
 * later signal to the process) or of the last thread of its process, which only the
 * engines end (resume, detach, their module or utrace going away), as ptrace's exit stop.
 * A stopped thread sleeps killable, outside the load average, invisible to the hung-task
 * detector, and freezable by the system freezer; a cgroup v2 freeze (cgroup.freeze) does
 * not complete while it is parked (see Documentation/design.md, "The stop and the
 * freezers").
 *
 * UTRACE_SINGLESTEP (like a callback answering it) lets the thread go, as RESUME does, and
 * makes it run one user instruction when it next returns to user mode; the step ends with a
 * report_quiesce(0) at the next instruction boundary (after a syscall instruction: just
 * after it; entering a signal handler: at the handler), whose answer decides what follows
 * (STOP, SINGLESTEP again, RESUME...). UTRACE_BLOCKSTEP does the same up to the next taken
 * branch where the CPU can (DEBUGCTL.BTF); elsewhere (QEMU TCG) it single-steps. No step is
 * reported inside the thread's current rseq critical section: it steps on until the IP
 * leaves it. A program's own use of TF (and its SIGTRAPs) is left alone.
 *
 * Return: 0; -EINVAL bad @action, or REPORT/INTERRUPT/SINGLESTEP/BLOCKSTEP without
 * UTRACE_EVENT(QUIESCE) set; -ESRCH @engine detached, or @target past its death (death
 * report begun, or a zombie; DETACH still works); -EINPROGRESS see above (report_death
 * included: unlike the original's -EALREADY, the engine is detached when that callback
 * returns, and no report_reap follows), or STOP on a thread that is not parked yet (it
 * will be).
 */
int utrace_control(struct task_struct *target, struct utrace_engine *engine, u32 action);

/**
 * utrace_set_signal - change the decision about the signal a stopped thread holds
 * @target:	thread the engine is attached to, stopped at a signal report
 * @engine:	attached engine
 * @action:	UTRACE_SIGNAL_DELIVER, _IGN, _TERM, _CORE, _STOP or _TSTP
 * @info:	for DELIVER, the siginfo to deliver (its si_signo the signal, 1.._NSIG), or
 *		NULL to keep the held one
 *
 * A report_signal pass that answered UTRACE_STOP takes the signal out of the queues and
 * holds it while the thread is stopped; when the thread resumes, the pass's signal action is
 * applied, or the last one set here (by any attached engine). This is how a debugger
 * continues a thread with its signal, without it, or with another. SIGKILL ends the stop
 * and the held signal is dropped. Any context. @info is read only for DELIVER and checked
 * only for its si_signo (as PTRACE_SETSIGINFO).
 *
 * Return: 0; -EINVAL bad @action, signal number, @info an error pointer, or bad arguments;
 * -ESRCH @engine detached; -ENOENT @target holds no signal (not stopped at a signal report,
 * or already resumed, or the signal was taken by another thread before it could be held:
 * the thread parks holding nothing).
 */
int utrace_set_signal(struct task_struct *target, struct utrace_engine *engine, u32 action,
		      const struct kernel_siginfo *info);

/**
 * utrace_barrier - synchronize with simultaneous tracing callbacks
 * @target:	thread the engine is (or was) attached to
 * @engine:	engine with a reference the caller holds
 *
 * Waits until no callback of @engine is running on @target. Returns at once when @target is
 * current, and when called from @engine's own report_reap (e.g. to detach itself there).
 * The caller sleeps (interruptibly) until the callback in flight ends: utrace wakes it
 * then, it does not poll.
 *
 * For a detached engine it also waits until utrace has dropped the engine's attached
 * reference, so that release() cannot run in utrace's context after this returns. An
 * engine module's exit must therefore, for every engine it attached: utrace_control(DETACH)
 * (whatever it returns), then utrace_barrier_uninterruptible(), then utrace_engine_put().
 *
 * Return: 0 no callback is in progress; -ESRCH @engine is fully detached (no callback in
 * progress either, and utrace holds no reference any more); -ERESTARTSYS a signal is
 * pending for the caller (the wait ended early: retrying at once while the signal stays
 * pending returns at once again).
 */
int utrace_barrier(struct task_struct *target, struct utrace_engine *engine);

/**
 * utrace_barrier_uninterruptible - utrace_barrier() that signals do not end
 * @target:	thread the engine is (or was) attached to
 * @engine:	engine with a reference the caller holds
 *
 * The same wait, for callers that must not fail, such as an engine module's exit (which
 * may run with a signal pending: rmmod killed while it waits). It sleeps until the callback
 * in flight ends, however long that is; callbacks must not wait for external events.
 *
 * Return: 0 or -ESRCH, as for utrace_barrier(); never -ERESTARTSYS.
 */
int utrace_barrier_uninterruptible(struct task_struct *target, struct utrace_engine *engine);

/**
 * utrace_wake_up - wake_up() that a callback may use for a tracer waiting on @wq
 * @wq:		wait queue the tracer waits on with the usual wait_event*() macros
 *
 * From a callback in the traced thread, the wake-up is held back until the end of the
 * reporting pass and, if the pass ends in UTRACE_STOP, until the thread has committed to
 * the stop: a woken tracer then always finds it stopped (utrace_prepare_examine() succeeds)
 * and its utrace_control(UTRACE_RESUME) always ends that stop. If the thread does not stop
 * after all (another answer, detach, SIGKILL, exit), the wake-up is delivered anyway.
 * Anywhere else it is wake_up(@wq) at once. @wq must stay valid until it is delivered (at
 * the latest when utrace_barrier() returns after the engine's detach).
 */
void utrace_wake_up(struct wait_queue_head *wq);

/**
 * struct utrace_examiner - what utrace_prepare_examine() recorded
 * @state:	unused (0), kept for the original's layout
 * @ncsw:	the thread's context-switch count when it was found stopped
 */
struct utrace_examiner {
	long state;
	unsigned long ncsw;
};

/**
 * utrace_prepare_examine - make sure a thread is stopped and off its CPU
 * @target:	thread the engine is attached to
 * @engine:	attached engine that wants @target stopped
 * @exam:	state for utrace_finish_examine()
 *
 * Call before examining @target's user state (regsets, memory) from another thread; then
 * utrace_finish_examine() says whether what was read is coherent. 0 for current (from its
 * own callbacks) while @engine is attached.
 *
 * Memory is read or written with utrace_access_vm(), which holds @target in its stop during
 * the access and applies ptrace's per-access rule; no prepare and finish are needed for it.
 *
 * A thread that committed to its stop but is not asleep yet (still switching out, or
 * preempted before it could call schedule()) is waited for, without a time bound; the wait
 * ends early only if the thread leaves the stop. A tracer woken by utrace_wake_up() from the
 * callback that asked for the stop therefore always gets 0.
 *
 * Return: 0 stopped and asleep (off its CPU and off the runqueue); -EINVAL @engine does
 * not want it stopped (or bad arguments); -EAGAIN not parked (yet, or no more: e.g.
 * killed); -ESRCH @engine detached, or @target past its death (death report begun, or a
 * zombie).
 */
int utrace_prepare_examine(struct task_struct *target, struct utrace_engine *engine,
			   struct utrace_examiner *exam);

/**
 * utrace_finish_examine - check that a thread stayed stopped since the prepare
 * @target:	thread the engine is attached to
 * @engine:	the engine given to utrace_prepare_examine()
 * @exam:	what utrace_prepare_examine() recorded
 *
 * Return: 0 it stayed stopped and did not run; -EAGAIN it ran (what was read may be
 * stale), including when it was killed and is dead by now; -EINVAL @engine does not want
 * it stopped (or bad arguments); -ESRCH @engine detached (e.g. @target was reaped).
 */
int utrace_finish_examine(struct task_struct *target, struct utrace_engine *engine,
			  struct utrace_examiner *exam);

/**
 * utrace_regset_get - read a user regset of a stopped thread
 * @target:	thread stopped by @engine, or current (while @engine is attached)
 * @engine:	attached engine
 * @which:	index in task_user_regset_view(@target) (0: general registers on x86_64,
 *		struct user_regs_struct)
 * @buf:	destination
 * @size:	bytes to copy at most
 *
 * While the registers are accessed, @target stays in its stop, whatever lets it go (a
 * resume or detach by another engine, SIGKILL: they take effect when the access is done),
 * and asleep (off its CPU and off the runqueue), as ptrace freezes its tracee. A caller
 * that cannot sleep gets -EAGAIN if the thread is not asleep after a short spin, and
 * -EDEADLK for a thread of its own thread group (it may hold their siglock).
 *
 * Return: bytes copied; -EAGAIN @target is not stopped, or SIGKILL is already pending;
 * -EDEADLK see above; -EINVAL bad @which or arguments, or @engine does not want @target
 * stopped; -ESRCH @engine detached.
 */
int utrace_regset_get(struct task_struct *target, struct utrace_engine *engine,
		      unsigned int which, void *buf, unsigned int size);

/**
 * utrace_regset_set - change a user regset of a stopped thread
 * @target:	thread stopped by @engine, or current
 * @engine:	attached engine
 * @which:	regset index, as for utrace_regset_get()
 * @pos:	byte offset in the regset (a multiple of its element size)
 * @buf:	source
 * @size:	bytes to write (a multiple of the element size)
 *
 * At a syscall-entry stop, orig_ax (the number) and the argument registers take effect
 * when the syscall is re-run on resume; setting orig_ax to -1 aborts it with ax as result.
 * At a syscall-exit stop, ax is the value user mode gets.
 *
 * Return: 0; the errors of utrace_regset_get(); -EPERM the regset is read-only.
 */
int utrace_regset_set(struct task_struct *target, struct utrace_engine *engine,
		      unsigned int which, unsigned int pos, const void *buf, unsigned int size);

/**
 * utrace_access_vm - read or write the memory of a stopped thread
 * @target:	thread stopped by @engine, or current (while @engine is attached)
 * @engine:	attached engine
 * @addr:	user address in @target's address space
 * @buf:	kernel buffer of @len bytes: the destination, or with @write the source
 * @len:	bytes to access (more than 0)
 * @write:	write @buf to @target's memory (as PTRACE_POKEDATA: read-only text is
 *		written through a private copy, for a breakpoint) instead of reading it
 *
 * Memory access has the rules of the register access (utrace_regset_get(): @target is held
 * in its stop and asleep meanwhile, so it cannot exec or exit under the access) plus ptrace's
 * per-access rule (ptracer_access_allowed()): @target is owner-dumpable now, or the
 * credentials of the task that attached @engine hold CAP_SYS_PTRACE over the user namespace
 * of @target's exec. The attach-time check is not enough: a thread may make itself
 * undumpable after the attach (prctl(PR_SET_DUMPABLE, 0), or a setuid() that changes its
 * ids), and then a tracer without that capability gets no more of its memory; the rule is
 * asked again for each page of a long access. Use this rather than access_process_vm() for
 * an engine that acts for a user. May sleep: @target stays held (SIGKILL does not wake it)
 * while a fault is resolved, so a fault that never resolves (a userfaultfd or FUSE server
 * that is @target's own process) hangs the caller, as it hangs a ptrace PEEK: call it from
 * a killable task, not from a kernel thread.
 *
 * Return: bytes done (fewer than @len at an unmapped page, or where the rule began to
 * refuse); -EIO none; -EPERM the rule refuses; -EINVAL bad arguments, @engine does not want @target stopped, or
 * a caller that cannot sleep; the other errors of utrace_regset_get().
 */
int utrace_access_vm(struct task_struct *target, struct utrace_engine *engine,
		     unsigned long addr, void *buf, int len, bool write);

/**
 * utrace_copy_from_current - read current's memory from a callback, without waiting
 * @engine:	attached engine whose callback current is running
 * @addr:	user address in current's address space
 * @buf:	kernel buffer of @len bytes
 * @len:	bytes to read (more than 0)
 *
 * For a syscall callback that records what an argument points to (a path, a buffer): the
 * rules of utrace_access_vm() on current (attached; ptrace's per-access rule), but the read
 * never waits for I/O, a userfaultfd or FUSE server, or the mmap lock. A syscall callback
 * runs inside the syscall tracepoints' read section (RCU Tasks Trace): a fault that waits
 * for a server the tracee itself controls would hold it, and every unregistration and
 * BPF teardown of the system with it. A page not mapped yet is faulted in (FOLL_NOWAIT:
 * no I/O waited for) only where a fault's waits are the kernel's own: anonymous memory,
 * tmpfs, ramfs, a filesystem on a block device; not FUSE or a network filesystem, whose
 * fault path can wait on a server even with FOLL_NOWAIT. What would need a wait is not read.
 *
 * Return: bytes read (fewer where memory is unmapped or would need a wait); -EAGAIN none
 * without waiting; -EPERM the rule refuses; -EINVAL bad arguments or a caller that cannot
 * sleep; -ESRCH @engine detached.
 */
int utrace_copy_from_current(struct utrace_engine *engine, unsigned long addr, void *buf,
			     int len);

/**
 * utrace_set_breakpoint - write an int3 into a stopped thread's text
 * @target:	thread stopped by @engine, or current (while @engine is attached)
 * @engine:	attached engine
 * @addr:	user address of the instruction's first byte
 * @orig:	where to store the byte the int3 replaces
 *
 * A one-byte utrace_access_vm() read, then write, with its rules (the thread held in its
 * stop; ptrace's per-access rule). Text is written through a private copy (FOLL_FORCE), as
 * PTRACE_POKETEXT does: the other threads of @target's process see it too, other processes
 * mapping the file do not. When the thread runs into it, an engine with a SIGNAL* event
 * gets report_signal() with SIGTRAP, si_code SI_KERNEL and the registers' ip @addr + 1;
 * see Documentation/api.md, "Breakpoints and watchpoints", for the hit, restore, rewind,
 * single-step and re-insert sequence.
 *
 * A uprobe registered at @addr later (or during the call) adopts the int3 and takes its
 * hits, and utrace_clear_breakpoint() then disables that uprobe in this process: see
 * Documentation/api.md.
 *
 * Return: 0; -EEXIST there is an int3 at @addr already (nothing written; a compiled-in
 * one, another engine's, or a uprobe's); the errors of utrace_access_vm() (-EIO unmapped).
 */
int utrace_set_breakpoint(struct task_struct *target, struct utrace_engine *engine,
			  unsigned long addr, u8 *orig);

/**
 * utrace_clear_breakpoint - put back the byte an int3 replaced
 * @target:	thread stopped by @engine, or current (while @engine is attached)
 * @engine:	attached engine
 * @addr:	the breakpoint's address
 * @orig:	the byte utrace_set_breakpoint() stored
 *
 * Return: 0; -ENOENT there is no int3 at @addr (nothing written); the errors of
 * utrace_access_vm().
 */
int utrace_clear_breakpoint(struct task_struct *target, struct utrace_engine *engine,
			    unsigned long addr, u8 orig);

/**
 * utrace_set_watchpoint - stop when a thread writes, reads or executes an address
 * @target:	thread @engine is attached to (running or stopped)
 * @engine:	attached engine
 * @addr:	user address, aligned to @len
 * @len:	1, 2, 4 or 8 bytes (for UTRACE_WATCH_EXEC: what hw_breakpoint accepts, 8 on
 *		x86_64)
 * @type:	UTRACE_WATCH_WRITE, UTRACE_WATCH_RW or UTRACE_WATCH_EXEC
 *
 * A hardware breakpoint of @target (a perf event, as ptrace's): an access by @target (not
 * by the kernel on its behalf, and not by other threads) is reported after the writing or
 * reading instruction (before the executed one) through report_signal() with SIGTRAP,
 * si_code TRAP_HWBKPT and si_addr @addr, to @engine alone if it has the SIGNAL* event of
 * SIGTRAP's disposition (the thread's other engines are not told), as a trap taken over by
 * utrace: DELIVER sends the SIGTRAP to the thread (send_sig_info(): the init of a pid
 * namespace without a SIGTRAP handler does not get it); IGN (or @engine no longer wanting
 * it) drops it. The x86 debug registers are 4 per thread, shared
 * with ptrace, perf and other engines. The watchpoint stays until cleared, @engine detaches
 * (the reap, an exec that gained privilege, unload), and across exec otherwise (clear it in
 * report_exec). Process context; may sleep.
 *
 * Return: 0; -ENOSPC no debug register left; -EEXIST @engine has one at @addr; -EINVAL bad
 * @len, @type, alignment or address, or a caller that cannot sleep; -EPERM ptrace's
 * per-access rule, as in utrace_access_vm(), asked at set time (@target is no longer
 * owner-dumpable and @engine's tracer lacks CAP_SYS_PTRACE over it); -ESRCH @engine
 * detached or @target exiting.
 */
int utrace_set_watchpoint(struct task_struct *target, struct utrace_engine *engine,
			  unsigned long addr, unsigned int len, unsigned int type);

/**
 * utrace_clear_watchpoint - remove @engine's watchpoint at @addr
 * @target:	thread @engine is attached to
 * @engine:	attached engine
 * @addr:	its address
 *
 * Process context; may sleep. A hit already taken may still be reported.
 *
 * Return: 0; -ENOENT none there; -ESRCH @engine detached (its watchpoints are gone).
 */
int utrace_clear_watchpoint(struct task_struct *target, struct utrace_engine *engine,
			    unsigned long addr);

/* The _pid variants: the same, for a &struct pid (-ESRCH if it has no task). */
int utrace_set_events_pid(struct pid *pid, struct utrace_engine *engine,
			  unsigned long events);
int utrace_control_pid(struct pid *pid, struct utrace_engine *engine, u32 action);
int utrace_barrier_pid(struct pid *pid, struct utrace_engine *engine);

#endif /* __KERNEL__ */

#endif /* _LINUX_UTRACE_H */
