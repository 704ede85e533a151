// SPDX-License-Identifier: GPL-2.0
/*
 * utrace_test_leak: a module that leaks sixteen allocations at load time, on purpose.
 *
 * The harness self-test loads and unloads it and checks that tests/kmemleak_scan.sh counts
 * the leak as one of utrace's (its allocation frame belongs to a module that is gone): a leak
 * check that could not see a leak would pass whatever utrace leaked.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init utrace_test_leak_init(void)
{
	int i;

	/*
	 * Lost on purpose once this returns: nothing keeps the pointers. Several, because
	 * kmemleak is conservative: a stale copy of a pointer (a register, a stack slot that
	 * a later scan still sees) hides its object, and the harness needs one reported.
	 */
	for (i = 0; i < 16; i++) {
		void *p = kmalloc(128, GFP_KERNEL);

		if (!p)
			return i ? 0 : -ENOMEM;
		memset(p, 0x5a, 128);
	}
	return 0;
}

static void __exit utrace_test_leak_exit(void)
{
}

module_init(utrace_test_leak_init);
module_exit(utrace_test_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("utrace test harness self-test: leaks allocations at load");
