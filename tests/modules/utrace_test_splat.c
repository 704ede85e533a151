// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_splat: a module whose only job is to WARN at load time.
 *
 * The test harness boots a guest that loads it and checks that scripts/vm-run reports the
 * run as failed (exit status 125). That proves the splat detector is alive: a harness that
 * could not see a WARN_ON would pass every race test whatever the kernel printed.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init utrace_test_splat_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit utrace_test_splat_exit(void)
{
}

module_init(utrace_test_splat_init);
module_exit(utrace_test_splat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test harness self-test: WARN_ON(1) at load");
