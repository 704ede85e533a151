#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# utrace_strace_checks: the kernel side of utrace-strace exercised in a guest, by hand (not
# a KTAP test): scripts/vm-run -a tests/tools/utrace_strace_checks.sh -- sh
# /utrace/utrace_strace_checks.sh. Read the output; vm-run's status says whether the kernel
# log has a splat.
T=/utrace/tests/utrace_strace_dump
K=/sys/kernel/debug/kmemleak
[ -w $K ] && { echo scan >$K; echo clear >$K; }
insmod /utrace/utrace.ko || exit 1
insmod /utrace/utrace_strace.ko || exit 1
ls -l /dev/utrace-strace
echo "=== selftest"
$T -T
echo "=== busybox ls"
$T -- busybox ls /utrace/tests/../
echo "=== follow fork, exit 3"
$T -f -- sh -c 'busybox true; /bin/busybox echo child; exit 3'
echo "=== signal with handler, exit 5"
$T -- sh -c 'trap "echo got-usr1" USR1; kill -USR1 $$; exit 5'
echo "=== killed by SIGTERM (default action)"
$T -- sh -c 'kill -TERM $$'
echo "=== killed by SIGKILL"
$T -- sh -c 'kill -9 $$'
echo "=== access as uid 1000"
$T -X 1000
echo "=== EPERM as uid 1000"
$T -p 1 -U 1000
sleep 100 & SP=$!
$T -p $SP -U 1000
kill $SP
echo "=== backpressure: 1 record per read, lossless"
$T -b 1 -- dd if=/dev/zero of=/dev/null bs=1 count=20000 2>/dev/null | grep -v "^seq=" 
echo "=== backpressure: 7 records per read, follow, threads of a pipeline"
$T -f -b 7 -- sh -c 'dd if=/dev/zero bs=1 count=5000 2>/dev/null | dd of=/dev/null bs=1 2>/dev/null' | grep -v "^seq=" | tail -5
echo "=== privileged exec as uid 1000: the engine is detached (DETACHED, then end of file)"
$T -U 1000 -- /utrace/tests/access_euid_setuid | grep -v "entry flags\|exit flags"
echo "=== DETACH_ALL mid-run, -f pipeline: the tracees run on"
$T -f -b 8 -D 500 -- sh -c 'dd if=/dev/zero bs=1 count=3000 2>/dev/null | dd of=/dev/null bs=1 2>/dev/null; echo pipeline-done' | grep -v "entry flags\|exit flags"
echo "=== fork storm, -f, 3 records per read; two sessions at once"
$T -f -q -b 3 -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true & done; wait' &
$T -f -q -b 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true & done; wait'
wait
echo "=== threads: 8 x 500 getppid, exit 7; exit_group from a non-main thread; non-leader exec"
W=/utrace/tests/utrace_strace_threads
$T -f -b 3 -- $W 8 500 exit | grep -v "entry flags\|exit flags"
$T -f -b 3 -- $W 8 500 group | grep -v "entry flags\|exit flags" | tail -12
$T -f -b 3 -- $W 8 50 exec | grep -v "entry flags\|exit flags" | tail -14
echo "=== getppid loop, untraced and traced (ratios only: a debug kernel under TCG)"
sleep 2	# utrace's syscall probes linger a second after the last session's engines
/utrace/tests/syscall_bench
$T -q -b 4096 -- /utrace/tests/syscall_bench
echo "=== close while parked"
$T -b 1 -c 1 -d 3000 -- dd if=/dev/zero of=/dev/null bs=1 count=100000
echo "=== reader SIGKILLed while the tracee is parked"
$T -b 1 -d 100000 -- dd if=/dev/zero of=/tmp/ddout bs=1 count=30000 >/dev/null &
R=$!
sleep 3
ls -l /tmp/ddout
kill -9 $R
wait $R
sleep 3
ls -l /tmp/ddout
ps | grep "dd if" | grep -v grep && echo "dd STILL THERE" || echo "dd finished"
echo "=== unload refused while a session is open"
exec 3</dev/utrace-strace
rmmod utrace_strace && echo "UNLOADED WITH A SESSION OPEN" || echo "rmmod refused: ok"
exec 3<&-
cat /sys/kernel/debug/utrace/state 2>/dev/null | head -5
rmmod utrace_strace && echo "rmmod ok"
rmmod utrace && echo "rmmod utrace ok"
if [ -w $K ]; then
	sleep 6
	for f in /sys/kernel/slab/*/shrink; do [ -w "$f" ] && echo 1 >"$f" 2>/dev/null; done
	echo scan >$K; echo scan >$K
	echo "kmemleak:"; cat $K | head -40
fi
echo "=== done"
