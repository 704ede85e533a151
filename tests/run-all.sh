#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side test runner: runs every test binary in /utrace/tests. Each prints its own KTAP
# document; the markers around it let the host (scripts/ktap-summary) tell which binary a
# document came from and notice one that died before finishing its plan.
cd /utrace/tests || exit 1
rc=0
./kmemleak_scan start
for t in ./*_test; do
	name=${t#./}
	echo "# utrace-test-binary: $name"
	./"$name"
	st=$?
	echo "# utrace-test-exit: $name $st"
	[ $st -eq 0 ] || rc=1
done
echo "# utrace-test-binary: kmemleak_scan"
./kmemleak_scan check
st=$?
echo "# utrace-test-exit: kmemleak_scan $st"
[ $st -eq 0 ] || rc=1
exit $rc
