// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_badargs: calls every entry point of the engine API with NULL and ERR_PTR()
 * arguments at load time (on current, the insmod process), then one bad call 1000 times,
 * then attaches and sets syscall events inside rcu_read_lock() (with PREEMPT_RCU
 * preemptible() is true there, but nothing may sleep: no GFP_KERNEL allocation, no probe
 * registration).
 * Each call must fail with the documented errno, without an oops, and utrace's error
 * messages must be rate-limited. The load fails with -EINVAL if any answer was wrong (each
 * wrong one is logged: "utrace_test_badargs: CALL returned R, expected E"); a clean load
 * prints "utrace_test_badargs: N checks passed".
 */
#include <linux/err.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/utrace.h>
#include <linux/wait.h>

static const struct utrace_engine_ops badargs_ops;

static int checks, failed;

static void expect(const char *call, long ret, long want)
{
	checks++;
	if (ret == want)
		return;
	failed++;
	pr_err("utrace_test_badargs: %s returned %ld, expected %ld\n", call, ret, want);
}

#define EXPECT(call, want) expect(#call, (long)(call), (want))
#define EXPECT_PTR(call, want) expect(#call, PTR_ERR(call), (want))

static int __init badargs_init(void)
{
	struct task_struct *bad_task = ERR_PTR(-ESRCH);
	struct utrace_engine *bad = ERR_PTR(-ENOENT);
	struct utrace_engine *engine;
	struct utrace_examiner exam = { 0 };
	unsigned long regs[32];
	int i;

	engine = utrace_attach_task(current, UTRACE_ATTACH_CREATE, &badargs_ops, NULL);
	if (IS_ERR(engine))
		return PTR_ERR(engine);

	EXPECT_PTR(utrace_attach_task(bad_task, UTRACE_ATTACH_CREATE, &badargs_ops, NULL),
		   -EINVAL);
	EXPECT_PTR(utrace_attach_task(NULL, UTRACE_ATTACH_CREATE, &badargs_ops, NULL), -EINVAL);
	EXPECT_PTR(utrace_attach_task(current, UTRACE_ATTACH_CREATE, ERR_PTR(-EFAULT), NULL),
		   -EINVAL);
	EXPECT_PTR(utrace_attach_task(current, 0x1000, &badargs_ops, NULL), -EINVAL);
	EXPECT_PTR(utrace_attach_pid(ERR_PTR(-ESRCH), UTRACE_ATTACH_CREATE, &badargs_ops, NULL),
		   -EINVAL);
	EXPECT_PTR(utrace_attach_pid(NULL, UTRACE_ATTACH_CREATE, &badargs_ops, NULL), -ESRCH);

	utrace_engine_get(bad);
	utrace_engine_put(bad);
	utrace_engine_get(NULL);
	utrace_engine_put(NULL);
	utrace_wake_up(ERR_PTR(-EINVAL));
	utrace_wake_up(NULL);

	EXPECT(utrace_set_events(current, bad, 0), -EINVAL);
	EXPECT(utrace_set_events(bad_task, engine, 0), -EINVAL);
	EXPECT(utrace_set_events(current, engine, ~0UL), -EINVAL);
	EXPECT(utrace_control(current, bad, UTRACE_RESUME), -EINVAL);
	EXPECT(utrace_control(bad_task, engine, UTRACE_RESUME), -EINVAL);
	EXPECT(utrace_control(current, engine, UTRACE_RESUME_MAX), -EINVAL);
	EXPECT(utrace_barrier(current, bad), -EINVAL);
	EXPECT(utrace_barrier(bad_task, engine), -EINVAL);
	EXPECT(utrace_prepare_examine(current, bad, &exam), -EINVAL);
	EXPECT(utrace_prepare_examine(current, engine, ERR_PTR(-EINVAL)), -EINVAL);
	EXPECT(utrace_finish_examine(bad_task, engine, &exam), -EINVAL);
	EXPECT(utrace_regset_get(current, bad, 0, regs, sizeof(regs)), -EINVAL);
	EXPECT(utrace_regset_get(current, engine, 0, ERR_PTR(-EINVAL), sizeof(regs)), -EINVAL);
	EXPECT(utrace_regset_set(current, bad, 0, 0, regs, 8), -EINVAL);
	EXPECT(utrace_regset_set(current, engine, 0, 0, NULL, 8), -EINVAL);
	EXPECT(utrace_set_events_pid(ERR_PTR(-ESRCH), engine, 0), -EINVAL);
	EXPECT(utrace_control_pid(ERR_PTR(-ESRCH), engine, UTRACE_RESUME), -EINVAL);
	EXPECT(utrace_barrier_pid(ERR_PTR(-ESRCH), engine), -EINVAL);
	EXPECT(utrace_barrier_pid(NULL, engine), -ESRCH);

	/* A flood: the messages it causes are rate-limited. */
	for (i = 0; i < 1000; i++)
		utrace_control(current, engine, UTRACE_RESUME_MAX + i);

	EXPECT(utrace_control(current, engine, UTRACE_DETACH), 0);
	utrace_engine_put(engine);

	/* A legitimate attach and set_events where the caller cannot sleep. */
	rcu_read_lock();
	engine = utrace_attach_task(current, UTRACE_ATTACH_CREATE, &badargs_ops, NULL);
	if (!IS_ERR(engine))
		EXPECT(utrace_set_events(current, engine, UTRACE_EVENT_SYSCALL), 0);
	rcu_read_unlock();
	if (IS_ERR(engine))
		return PTR_ERR(engine);
	EXPECT(utrace_control(current, engine, UTRACE_DETACH), 0);
	utrace_engine_put(engine);
	if (failed)
		return -EINVAL;
	pr_info("utrace_test_badargs: %d checks passed\n", checks);
	return 0;
}

static void __exit badargs_exit(void)
{
}

module_init(badargs_init);
module_exit(badargs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test: NULL and ERR_PTR arguments to every entry point");
