// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_leak: a module that leaks one allocation at load time, on purpose.
 *
 * The harness self-test loads and unloads it and checks that tests/kmemleak_scan.sh counts
 * the leak as one of utrace's (its allocation frame belongs to a module that is gone): a leak
 * check that could not see a leak would pass whatever utrace leaked.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init utrace_test_leak_init(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	/* Lost on purpose once this returns: nothing keeps the pointer. */
	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 128);
	return 0;
}

static void __exit utrace_test_leak_exit(void)
{
}

module_init(utrace_test_leak_init);
module_exit(utrace_test_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test harness self-test: leaks one allocation at load");
