// SPDX-License-Identifier: GPL-2.0
/*
 * Who may trace whom: the C half of rust/access.rs.
 *
 * The kernel's own rule for attaching a tracer is ptrace_may_access(task,
 * PTRACE_MODE_ATTACH_REALCREDS) (kernel/ptrace.c): the caller's real uid and gid match the
 * target's (real, effective and saved), or the caller has CAP_SYS_PTRACE in the target's user
 * namespace; the target is dumpable (or the caller has CAP_SYS_PTRACE in the namespace of its
 * exec); and the LSM hook agrees (security_ptrace_access_check(): commoncap's capability
 * subset rule, Yama's ptrace_scope and PR_SET_PTRACER, SELinux, AppArmor...). Neither it nor
 * __ptrace_may_access(), mm_access() or security_ptrace_access_check() is exported.
 *
 * Reading /proc/<tid>/personality runs exactly that check: proc_pid_personality() ->
 * lock_trace() -> ptrace_may_access(task, PTRACE_MODE_ATTACH_FSCREDS), under the target's
 * exec_update_lock, and the read fails with -EPERM when it says no. So the check reads that
 * file, from the caller's own context (the LSMs judge current), with two precautions:
 *
 * - FSCREDS judges the caller's fsuid/fsgid where ptrace's attach judges the real uid/gid.
 *   The read runs under a copy of the caller's credentials with fsuid := uid and
 *   fsgid := gid (override_creds()), so the uid/gid rule is the REALCREDS one. Nothing else
 *   is added: no capability is raised (the file is opened with dentry_open(), which does not
 *   check the inode's 0400 mode, so no CAP_DAC_OVERRIDE is needed). One difference is left:
 *   commoncap's "the target's permitted capabilities are a subset of the caller's" shortcut
 *   compares with the caller's effective set under FSCREDS and its permitted set under
 *   REALCREDS, so a caller holding capabilities in its permitted set but not in its effective
 *   set can be refused where ptrace would let it attach. Never the reverse.
 *
 * - The file is the one of the right task. The lookup goes through utrace's own internal
 *   mount of procfs (kern_mount(), made from a kernel worker so that it is the initial pid
 *   namespace's and has no hidepid or subset option; no user can mount over it or reach it),
 *   by the target's pid number in that namespace. The caller holds the target's
 *   cred_guard_mutex (as ptrace_attach() does; exec takes it before de_thread() can give the
 *   thread another pid), and after the read the target's pid must still be attached with the
 *   same number: then the number named the target at lookup time, since a pid number is freed
 *   only when its task is released.
 *
 * Why not /proc/<pid>/mem, whose open runs the same check: mm_access() grants access without
 * any check when the target shares the caller's mm (a CLONE_VM child, a vfork child before its
 * exec), and needs an mm at all (an exiting task has none). lock_trace() has neither shortcut.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/exec_state.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/utrace.h>
#include <linux/workqueue.h>

#include "utrace_glue.h"

/* The internal procfs mount and its pid namespace (held by the mount's superblock). */
static struct vfsmount *utrace_proc_mnt;
static struct pid_namespace *utrace_proc_ns;

static void utrace_proc_mount_fn(struct work_struct *work)
{
	struct file_system_type *type = get_fs_type("proc");
	struct vfsmount *mnt;

	if (!type) {
		pr_err("utrace: no procfs in this kernel: access checks will refuse everything\n");
		return;
	}
	mnt = kern_mount(type);
	module_put(type->owner);
	if (IS_ERR(mnt)) {
		pr_err("utrace: could not mount procfs (error %ld): access checks will refuse everything\n",
		       PTR_ERR(mnt));
		return;
	}
	/* A kernel worker's active pid namespace, which the mount took: the initial one. */
	utrace_proc_ns = task_active_pid_ns(current);
	utrace_proc_mnt = mnt;
}

/*
 * At load: mount procfs for the access checks, from a kernel worker, so that every task has a
 * number in the mount's pid namespace whatever namespace insmod ran in. A failure is logged
 * and leaves every check failing closed; engines that make no check still work. The test
 * parameter test_no_procfs makes that case on purpose.
 */
void utrace_glue_access_init(bool test_no_procfs)
{
	struct work_struct work;

	if (test_no_procfs) {
		pr_warn("utrace: test_no_procfs: no procfs mount, every access check refuses\n");
		return;
	}

	INIT_WORK_ONSTACK(&work, utrace_proc_mount_fn);
	schedule_work(&work);
	flush_work(&work);
	destroy_work_on_stack(&work);
}

/* At unload, once no engine module (so no caller of the check) is left. */
void utrace_glue_access_exit(void)
{
	if (utrace_proc_mnt)
		kern_unmount(utrace_proc_mnt);
	utrace_proc_mnt = NULL;
	utrace_proc_ns = NULL;
}

bool utrace_glue_same_thread_group(struct task_struct *task)
{
	return same_thread_group(task, current);
}

/* The target's thread group's cred_guard_mutex, as ptrace_attach() takes it. */
int utrace_glue_cred_guard_lock(struct task_struct *task)
{
	if (mutex_lock_interruptible(&task->signal->cred_guard_mutex))
		return -ERESTARTNOINTR;
	return 0;
}

void utrace_glue_cred_guard_unlock(struct task_struct *task)
{
	mutex_unlock(&task->signal->cred_guard_mutex);
}

/*
 * Reads /<nr>/personality of the internal mount (its show function makes the check);
 * 0 if the read succeeded, or -errno.
 */
static int utrace_read_personality(pid_t nr)
{
	struct path path;
	struct file *file;
	char name[32];
	char buf[16];
	ssize_t n;
	int ret;

	snprintf(name, sizeof(name), "%d/personality", nr);
	ret = vfs_path_lookup(utrace_proc_mnt->mnt_root, utrace_proc_mnt, name, 0, &path);
	if (ret)
		return ret == -ENOENT ? -ESRCH : ret;
	file = dentry_open(&path, O_RDONLY, current_cred());
	path_put(&path);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/*
	 * proc's single-record files have only ->read (seq_read()), which kernel_read() refuses;
	 * seq_read() is seq_read_iter() on a user buffer: do the same on a kernel one.
	 */
	if (file->f_op->read == seq_read) {
		struct kvec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct iov_iter iter;
		struct kiocb kiocb;

		init_sync_kiocb(&kiocb, file);
		iov_iter_kvec(&iter, ITER_DEST, &iov, 1, sizeof(buf));
		n = seq_read_iter(&kiocb, &iter);
	} else {
		pr_err_ratelimited("utrace: /proc/<tid>/personality is not a seq_file: access check refused\n");
		n = -EPERM;
	}
	fput(file);
	if (n > 0)
		return 0;
	if (!n) {
		pr_err_ratelimited("utrace: empty personality file: access check refused\n");
		return -EPERM;
	}
	return n;
}

/*
 * Whether current may trace @task by ptrace's attach rule (see the top of this file).
 * The caller holds @task's cred_guard_mutex (utrace_glue_cred_guard_lock()), can sleep, and
 * has already refused kernel threads and its own thread group (which the rule lets through).
 * Returns 0, -EPERM (refused, or procfs unusable: fails closed), -ESRCH (@task has been
 * released), -ENOMEM, or -EINTR (fatal signal while waiting for the target's exec).
 */
int utrace_glue_access_check(struct task_struct *task)
{
	const struct cred *old;
	struct cred *cred;
	pid_t nr;
	int ret;

	if (!utrace_proc_mnt) {
		pr_err_ratelimited("utrace: no procfs mount: access check refused\n");
		return -EPERM;
	}
	nr = task_pid_nr_ns(task, utrace_proc_ns);
	if (!nr)
		return -ESRCH;
	cred = prepare_creds();
	if (!cred)
		return -ENOMEM;
	/* ptrace's attach rule looks at the real ids (PTRACE_MODE_REALCREDS). */
	cred->fsuid = cred->uid;
	cred->fsgid = cred->gid;
	old = override_creds(cred);
	ret = utrace_read_personality(nr);
	revert_creds(old);
	put_cred(cred);
	/* The number must have named @task at lookup time (see the top of this file). */
	if (!pid_alive(task) || task_pid_nr_ns(task, utrace_proc_ns) != nr)
		return -ESRCH;
	if (ret == -EACCES)
		ret = -EPERM;
	return ret;
}

/*
 * Whether @cred holds CAP_SYS_PTRACE in @ns: ptracer_capable()'s question (kernel/capability.c,
 * not exported) for an engine's recorded tracer credentials. ns_capable_noaudit() judges
 * current_cred(), so @cred stands in for it for that one call; the PF_SUPERPRIV mark the call
 * may leave on current (which used no privilege of its own) is taken back. A NULL @cred (an
 * engine attached from a context with no credentials of its own) holds nothing.
 */
static bool utrace_cred_ptrace_capable(const struct cred *cred, struct user_namespace *ns)
{
	bool superpriv = current->flags & PF_SUPERPRIV;
	const struct cred *old;
	bool ret;

	if (!cred)
		return false;
	old = override_creds(cred);
	ret = ns_capable_noaudit(ns, CAP_SYS_PTRACE);
	revert_creds(old);
	if (!superpriv)
		current->flags &= ~PF_SUPERPRIV;
	return ret;
}

/*
 * Whether @cred, the credentials an engine was attached with, hold CAP_SYS_PTRACE over the
 * credentials of current's exec of @bprm, as exec asks about a ptraced task's tracer. The
 * user namespace is that of the new credentials (bprm->cred, at sched_prepare_exec) or, once
 * they are committed (bprm->cred is NULL by then), current's.
 */
bool utrace_glue_cred_ptrace_capable(const struct cred *cred, const struct linux_binprm *bprm)
{
	return utrace_cred_ptrace_capable(cred, bprm && bprm->cred ? bprm->cred->user_ns :
							       current_user_ns());
}

/*
 * ptracer_access_allowed() (kernel/ptrace.c, not exported) for an engine: may the tracer
 * whose credentials the engine recorded (@cred) read or write @tsk's memory now? Yes if @tsk
 * is owner-dumpable, or if @cred holds CAP_SYS_PTRACE in the user namespace of @tsk's last
 * exec. ptrace asks this at every PEEK and POKE, not only at attach: a thread that made
 * itself undumpable after the attach (prctl(PR_SET_DUMPABLE, 0), a setuid() that changed its
 * ids) is closed to a tracer without that capability. Called by the tracer, in process
 * context.
 */
bool utrace_glue_memory_access_allowed(struct task_struct *tsk, const struct cred *cred)
{
	const struct task_exec_state *es;
	struct user_namespace *ns = NULL;
	bool ret = false;

	rcu_read_lock();
	es = rcu_dereference(tsk->exec_state);
	if (es) {
		ret = READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
		if (!ret)
			ns = get_user_ns(es->user_ns);
	}
	rcu_read_unlock();
	if (ns) {
		ret = utrace_cred_ptrace_capable(cred, ns);
		put_user_ns(ns);
	}
	return ret;
}

/* Whether @a and @b carry the same uids and gids, all eight, as __ptrace_may_access() asks. */
static bool utrace_same_ids(const struct cred *a, const struct cred *b)
{
	return uid_eq(a->uid, b->uid) && uid_eq(a->euid, b->euid) &&
	       uid_eq(a->suid, b->suid) && uid_eq(a->fsuid, b->fsuid) &&
	       gid_eq(a->gid, b->gid) && gid_eq(a->egid, b->egid) &&
	       gid_eq(a->sgid, b->sgid) && gid_eq(a->fsgid, b->fsgid);
}

/*
 * utrace_may_command() (<linux/utrace.h>): may current command an engine @attacher's task
 * attached to @target? Two questions. Does current have at least the attacher's rights,
 * which the engine acts with (utrace_access_vm() checks memory against them): the same user
 * namespace, all ids equal and the attacher's effective capabilities among its own, or
 * CAP_SYS_PTRACE over the attacher's namespace (which holds every target the attacher could
 * trace). And may current trace @target itself, now (utrace_may_trace(): the LSMs, Yama,
 * dumpability): a sandboxed or Yama-restricted writer must not drive what it could not have
 * attached. The attacher itself (its very credentials) is asked neither, as ptrace does not
 * re-check a tracer's later requests.
 */
int utrace_may_command(const struct cred *attacher, struct task_struct *target, int flags)
{
	const struct cred *me = current_cred();

	if (IS_ERR_OR_NULL(target)) {
		pr_err_ratelimited("utrace: %s: target %s\n", __func__,
				   target ? "is an error pointer" : "is NULL");
		return -EINVAL;
	}
	if (!attacher || attacher == me)
		return 0;
	if (!(me->user_ns == attacher->user_ns && utrace_same_ids(me, attacher) &&
	      cap_issubset(attacher->cap_effective, me->cap_effective)) &&
	    !ns_capable_noaudit(attacher->user_ns, CAP_SYS_PTRACE))
		return -EPERM;
	return utrace_may_trace(target, flags);
}
EXPORT_SYMBOL_GPL(utrace_may_command);

/*
 * utrace_may_trace_as() (<linux/utrace.h>): utrace_may_trace() asked for @cred, the
 * credentials of the opener of a file through which current makes a request: may that
 * opener trace @target? Asked with @cred as current's subjective credentials (what
 * __ptrace_may_access() and the LSMs read); Yama's relationship test still sees current's
 * task. A request through such a file must pass this and utrace_may_trace() for current:
 * a file opened by a user and handed to a more privileged process must not let that user
 * read what it could not trace itself.
 */
int utrace_may_trace_as(const struct cred *cred, struct task_struct *target, int flags)
{
	const struct cred *old;
	int ret;

	if (!cred) {
		pr_err_ratelimited("utrace: %s: no credentials\n", __func__);
		return -EINVAL;
	}
	old = override_creds(cred);
	ret = utrace_may_trace(target, flags);
	revert_creds(old);
	return ret;
}
EXPORT_SYMBOL_GPL(utrace_may_trace_as);

/* get_current_cred(): a reference on current's (subjective) credentials. */
const struct cred *utrace_glue_get_current_cred(void)
{
	return get_current_cred();
}

/*
 * Whether current's exec of @bprm gains privilege, asked at sched_prepare_exec: the new
 * credentials are computed (bprm->cred), current still has the old ones, and the exec is
 * about to pass its point of no return. "Gains" is what makes ptrace withhold privilege
 * from a traced exec (cap_bprm_creds_from_file()): an effective uid or gid other than the
 * real one, or permitted capabilities the process did not have. Also an LSM label change,
 * and AT_SECURE (bprm->secureexec, which the LSMs may set without either). Wider than
 * secureexec alone: a uid-0 process without capabilities regains them at any exec with
 * secureexec 0 (real root), and an SELinux transition may leave AT_SECURE off (noatsecure).
 */
bool utrace_glue_exec_gains_privilege(const struct linux_binprm *bprm)
{
	const struct cred *old = current_cred(), *new = bprm->cred;
	struct lsm_prop before, after;

	if (bprm->secureexec)
		return true;
	if (!new)
		return false;
	if (!uid_eq(new->euid, old->uid) || !gid_eq(new->egid, old->gid) ||
	    !cap_issubset(new->cap_permitted, old->cap_permitted))
		return true;
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	security_cred_getlsmprop(old, &before);
	security_cred_getlsmprop(new, &after);
	return memcmp(&before, &after, sizeof(before)) != 0;
}

void utrace_glue_note_secure_exec(int detached)
{
	pr_notice_ratelimited("utrace: %s[%d] executed a privileged program: %d engine(s) detached (not attached with CAP_SYS_PTRACE)\n",
			      current->comm, task_pid_nr(current), detached);
}

bool utrace_glue_user_worker(const struct task_struct *task)
{
	return task->flags & PF_USER_WORKER;
}
