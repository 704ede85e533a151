#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench-ab: build A's modules in /utrace, B's in /utrace/b. Per round
# and side: ns per getppid() with utrace loaded and no engine, and with the test engine
# counting this task's syscall entry and exit (each the best of 3 runs of syscall_bench);
# the no-module baseline before every round. Prints one line per measurement and the
# medians.
ROUNDS=$1
NAMES=$2
S=/utrace/tests/syscall_bench
best() {
	b=
	for i in 1 2 3; do
		v=$($S "$@")
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
	done
	echo "$b"
}
side() {
	dir=$1
	insmod $dir/utrace.ko || exit 1
	idle=$(best)
	# vm-run flattens A's modules into /utrace; B's directory is copied as built.
	eng=$dir/utrace_test_engine.ko
	[ -f "$eng" ] || eng=$dir/engines/utrace_test_engine.ko
	insmod "$eng" || exit 1
	self=$(best --attach-self 1)
	rmmod utrace_test_engine
	rmmod utrace
	echo "$idle $self"
}
set -e
$S >/dev/null	# warm-up
: >/tmp/ab
r=1
while [ $r -le "$ROUNDS" ]; do
	base=$(best)
	a=$(side /utrace)
	b=$(side /utrace/b)
	echo "round $r base $base A $a B $b" | tee -a /tmp/ab
	r=$((r + 1))
done
echo "A B = $NAMES; ns per getppid(), median of $ROUNDS rounds"
awk '
function med(v, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ n++; base[n] = $4; ai[n] = $6; as[n] = $7; bi[n] = $9; bs[n] = $10; r[n] = $10 / $7 }
END {
	printf "%-44s %8.1f\n", "no module", med(base, n)
	printf "%-44s %8.1f %8.1f\n", "utrace loaded, no engine (A, B)", med(ai, n), med(bi, n)
	printf "%-44s %8.1f %8.1f\n", "engine counting own entry+exit (A, B)", med(as, n), med(bs, n)
	printf "%-44s %8.3f\n", "B/A, counting engine (median of the rounds)", med(r, n)
}' /tmp/ab
