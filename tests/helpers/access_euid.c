// SPDX-License-Identifier: GPL-2.0
/*
 * access_euid: what the access tests exec. Exits 0 if it runs with euid 0 and capabilities,
 * 4 with euid 0 and none (they were withheld), 1 if its euid is its real uid (an exec that
 * gained nothing), 2 otherwise. Built twice by
 * scripts/build-tests: access_euid, and access_euid_setuid, setuid root in the guest.
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	uid_t r, e, s;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (getresuid(&r, &e, &s) || syscall(SYS_capget, &h, d))
		return 3;
	if (e == 0)
		return d[0].effective | d[1].effective ? 0 : 4;
	return e == r ? 1 : 2;
}
