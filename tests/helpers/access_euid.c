// SPDX-License-Identifier: GPL-2.0
/*
 * access_euid: what the access tests exec. Exits 0 if it runs with euid 0, 1 if its euid is
 * its real uid (an exec that gained nothing), 2 otherwise. Built twice by
 * scripts/build-tests: access_euid, and access_euid_setuid, setuid root in the guest.
 */
#include <unistd.h>

int main(void)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s))
		return 3;
	if (e == 0)
		return 0;
	return e == r ? 1 : 2;
}
