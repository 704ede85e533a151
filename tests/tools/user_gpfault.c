// SPDX-License-Identifier: GPL-2.0
/*
 * user_gpfault: takes a general protection fault in user mode (hlt is privileged) and dies
 * of SIGSEGV. The kernel logs "traps: user_gpfault[pid] general protection fault ip:..."
 * and is fine: the harness self-test checks that vm-run does not call that a kernel splat.
 */
int main(void)
{
	__asm__ volatile("hlt");
	return 0;
}
