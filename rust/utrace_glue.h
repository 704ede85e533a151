/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the C glue in utrace.ko, and of the Rust functions the glue calls. The Rust
 * side declares the same functions in rust/glue.rs (and defines the utrace_rust_* ones);
 * scripts/check-glue compares the two at every build.
 */
#ifndef _UTRACE_GLUE_H
#define _UTRACE_GLUE_H

#include <linux/types.h>

struct task_struct;
struct pt_regs;
struct k_sigaction;

/* The C compiler's offset and size of one struct field (or a whole struct, offset 0). */
struct utrace_layout_entry {
	const char *name;	/* "struct.field" or "struct" */
	size_t offset;
	size_t size;
};

const struct utrace_layout_entry *utrace_glue_layout(size_t *count);

/* The per-task table: task_struct pointer -> Rust per-task state (an Arc's raw pointer). */
int utrace_glue_table_init(void);
void utrace_glue_table_destroy(void);
void *utrace_glue_table_lookup(const struct task_struct *task);
void *utrace_glue_table_insert(const struct task_struct *task, void *utrace, bool can_sleep);
bool utrace_glue_table_remove(const struct task_struct *task, void *utrace);
void utrace_glue_rcu_barrier(void);
void utrace_glue_synchronize_rcu_tasks(void);
void *utrace_glue_table_pop(void);
void utrace_glue_table_walk(void (*fn)(void *utrace, void *arg), void *arg);

/* Engine modules going away (rust/modwatch.rs). */
struct module;
int utrace_glue_module_notifier_register(void);
void utrace_glue_module_notifier_unregister(void);
bool utrace_glue_within_module(const void *addr, const struct module *mod);
const char *utrace_glue_module_name(const struct module *mod);
void utrace_rust_module_going(struct module *mod);
struct module *utrace_glue_module_of(const void *addr);
bool utrace_glue_module_live(const struct module *mod);

/* Deferred release() calls: a work item that calls utrace_rust_release_deferred(). */
void utrace_glue_schedule_release(void);
void utrace_glue_flush_release(void);
void utrace_rust_release_deferred(void);

/*
 * Deferred probe (un)registration: work items that call utrace_rust_sync_probes(), at once
 * to register (schedule_sync), a second after the last drop to unregister (schedule_unsync).
 */
void utrace_glue_schedule_sync(void);
void utrace_glue_schedule_unsync(void);
/* Unload: cancels both work items and disables them (queueing them later does nothing). */
void utrace_glue_cancel_sync(void);
void utrace_rust_sync_probes(bool unregister);

/*
 * Called by the glue, defined in Rust: drop the table's reference after a grace period;
 * take a new reference on an entry found under RCU.
 */
void utrace_rust_table_release(void *utrace);
void utrace_rust_table_get(void *utrace);

/* Unload: utrace's task_work stranded on threads that do not run (rust/taskwork.rs, step.rs). */
struct callback_head;
struct callback_head *utrace_glue_task_work_cancel_all(bool (*cancel)(struct callback_head *work));
bool utrace_glue_call_if_stopped(struct task_struct *t,
				 void (*fn)(void *arg, struct pt_regs *regs, bool off_cpu),
				 void *arg);
void utrace_glue_clear_blockstep_of(struct task_struct *t);

/* Small inline kernel helpers that have no Rust binding. */
struct pt_regs *utrace_glue_task_pt_regs(struct task_struct *task);
bool utrace_glue_pid_alive(const struct task_struct *task);
bool utrace_glue_can_sleep(void);
bool utrace_glue_ratelimit(void);
unsigned long utrace_glue_signal_event(int sig, const struct k_sigaction *ka);
void utrace_glue_tracepoint_sync(void);
void utrace_glue_set_exit_code(struct task_struct *task, int code, bool group_dead);

/* Signal interception (rust/signal.rs): current's queues, task context. */
struct kernel_siginfo;
int utrace_glue_signal_peek(struct kernel_siginfo *info, struct k_sigaction *ka, u64 *approved,
			    u64 *fresh);
int utrace_glue_signal_take(int sig, struct kernel_siginfo *info);
int utrace_glue_signal_send(struct kernel_siginfo *info);
void utrace_glue_walk_group(struct task_struct *task,
				 void (*fn)(struct task_struct *t, void *arg), void *arg);
bool utrace_glue_signals_queued(void);
bool utrace_glue_unkillable(void);
const void *utrace_glue_task_group(struct task_struct *task);

/* Job control (rust/jctl.rs). */
int utrace_glue_jctl_peek(int *notify);
int utrace_glue_jctl_cont_notify(struct task_struct *task);

/* The stop and examining a stopped thread (rust/stop.rs, rust/examine.rs). */
struct wait_queue_head;
void utrace_glue_stop_prepare(void);
void utrace_glue_stop_finish(void);
bool utrace_glue_fatal_pending(void);
void utrace_glue_stop_prepare_held(void);
bool utrace_glue_task_fatal_pending(struct task_struct *task);
struct sighand_struct;
struct sighand_struct *utrace_glue_lock_sighand(struct task_struct *task, unsigned long *flags);
void utrace_glue_unlock_sighand(struct task_struct *task, unsigned long *flags);
bool utrace_glue_kill_freeze(struct task_struct *task, bool on);
bool utrace_glue_group_dead(void);
bool utrace_glue_in_task(void);
void utrace_glue_wake_up(struct wait_queue_head *wq);
void utrace_glue_barrier_wake(void);
int utrace_glue_barrier_wait(bool (*done)(const void *arg), const void *arg, bool interruptible);
bool utrace_glue_task_on_cpu(const struct task_struct *task);
bool utrace_glue_task_inactive(const struct task_struct *task);
unsigned long utrace_glue_task_switches(const struct task_struct *task);
int utrace_glue_regset_get(struct task_struct *task, unsigned int which, void *buf,
			   unsigned int size);
int utrace_glue_regset_set(struct task_struct *task, unsigned int which, unsigned int pos,
			   const void *buf, unsigned int size);

/* Stepping (rust/step.rs): what utrace_rust_step_trap() returns. */
#define UTRACE_STEP_TRAP_NOT_OURS	0	/* not a step utrace armed */
#define UTRACE_STEP_TRAP_EAT		1	/* utrace's step alone: no SIGTRAP */
#define UTRACE_STEP_TRAP_SHARED		2	/* the program's TF too: it gets its SIGTRAP */
int utrace_rust_step_trap(struct pt_regs *regs);
int utrace_glue_die_notifier_register(void);

/* Breakpoints and watchpoints (rust/trap.rs). */
bool utrace_rust_int3(struct pt_regs *regs);
void utrace_rust_watch_hit(unsigned long addr, u64 owner);
unsigned long utrace_glue_trap_action(struct k_sigaction *ka);
void utrace_glue_trap_info(struct kernel_siginfo *info, int code, unsigned long addr);
int utrace_glue_force_trap(struct kernel_siginfo *info);
int utrace_glue_watch_set(struct task_struct *task, u64 owner, unsigned long addr,
			  unsigned int len, unsigned int type);
int utrace_glue_watch_clear(struct task_struct *task, u64 owner, unsigned long addr);
int utrace_glue_watch_drop(struct task_struct *task, u64 owner);
void utrace_glue_watch_shutdown(void);
void utrace_glue_die_notifier_unregister(void);
int utrace_glue_copy_insn(unsigned long ip, u8 *buf, int len);
bool utrace_glue_btf_probe(void);
void utrace_glue_set_blockstep(bool on);
bool utrace_glue_blockstep_set(void);
bool utrace_glue_rseq_ip_in_cs(unsigned long ip);
bool utrace_glue_current_exiting(void);

/* The syscall-entry path (rust/probes.rs, rust/entrymask.rs; rust/entry_glue.c). */
bool utrace_glue_seccomp_active(void);
bool utrace_glue_in_compat_syscall(void);
bool utrace_glue_mask_trace(struct task_struct **tracer);
bool utrace_glue_restore_trace(struct task_struct *task, struct task_struct *tracer,
			       bool siglock_held);
bool utrace_glue_mask_seccomp(void);
void utrace_glue_restore_seccomp(struct task_struct *task);
void utrace_glue_put_task(struct task_struct *task);

/* Who may trace whom (rust/access.rs, rust/utrace_access.c). */
struct cred;
struct linux_binprm;
void utrace_glue_access_init(bool test_no_procfs);
void utrace_glue_access_exit(void);
bool utrace_glue_same_thread_group(struct task_struct *task);
bool utrace_glue_user_worker(const struct task_struct *task);
int utrace_glue_cred_guard_lock(struct task_struct *task);
void utrace_glue_cred_guard_unlock(struct task_struct *task);
int utrace_glue_access_check(struct task_struct *task);
bool utrace_glue_cred_ptrace_capable(const struct cred *cred, const struct linux_binprm *bprm);
bool utrace_glue_exec_gains_privilege(const struct linux_binprm *bprm);
bool utrace_glue_memory_access_allowed(struct task_struct *tsk, const struct cred *cred);
int utrace_glue_access_process_vm(struct task_struct *tsk, unsigned long addr, void *buf,
				  int len, bool write);
int utrace_glue_copy_from_current_nowait(unsigned long addr, void *buf, int len);
const struct cred *utrace_glue_get_current_cred(void);
void utrace_glue_note_secure_exec(int detached);

#endif /* _UTRACE_GLUE_H */
