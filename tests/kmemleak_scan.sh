#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak_scan: after every other test has run (and unloaded its modules), ask kmemleak for
# unreferenced objects and fail if one was allocated by utrace or one of its engines or test
# modules. A frame of a module that is gone prints as a bare address (%pS finds no symbol),
# so such a frame counts as ours too: only utrace's modules are loaded and unloaded here.
# Reports from the rest of the kernel are shown as diagnostics, not failures.
#
# run-all calls it with "start" before the first test (forget what boot left behind) and with
# "check" after the last one. KTAP on stdout.
K=/sys/kernel/debug/kmemleak

if [ "$1" = start ]; then
	[ -w $K ] || exit 0
	echo scan >$K
	echo clear >$K
	exit 0
fi

echo "TAP version 13"
echo "1..1"
if [ ! -w $K ]; then
	echo "ok 1 kmemleak_no_utrace_leaks # SKIP no $K (CONFIG_DEBUG_KMEMLEAK off)"
	exit 0
fi
# An object must be older than kmemleak's minimum age (5 s) to be reported; scan twice so
# that a pointer held only in a register or on a stack during one scan is not a leak, and
# because an object new since the last scan is only reported by the scan after it.
sleep 6
# SLUB's per-CPU sheaves hand out objects from an array of pointers and leave the pointer in
# the array's free part: a freshly allocated object stays referenced from there until the
# sheaf is refilled (measured: 16 leaked kmalloc(128)s unreported, 0 of them, until every
# cache was shrunk; then all 16). Shrinking flushes the sheaves, so a small leak shows.
for f in /sys/kernel/slab/*/shrink; do
	[ -w "$f" ] && echo 1 >"$f" 2>/dev/null
done
echo scan >$K
echo scan >$K
cat $K >/tmp/kmemleak.txt
total=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
ours=$(awk '
/^unreferenced object/ { if (obj != "" && mine) n++; obj = $0; mine = 0; next }
/\[utrace[a-z_]*\]/ { mine = 1 }
/^ +0x[0-9a-f]+$/ { mine = 1 }
END { if (obj != "" && mine) n++; print n + 0 }' /tmp/kmemleak.txt)
sed 's/^/# /' /tmp/kmemleak.txt | head -n 200
if [ "$ours" -eq 0 ]; then
	echo "ok 1 kmemleak_no_utrace_leaks ($total unreferenced object(s) in all, none from utrace)"
else
	echo "not ok 1 kmemleak_no_utrace_leaks ($ours of $total unreferenced object(s) from utrace or its modules)"
	exit 1
fi
