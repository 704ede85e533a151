#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: ns per getppid() in each configuration, in one boot, with the
# ratio to the module-less baseline. Under TCG only ratios within one run mean anything, and
# single runs are noisy: each row is the best of three runs of syscall_bench (each itself
# the median of 9 rounds), and the baseline is measured first and last (the lower counts).
B=/utrace/tests/syscall_bench
C=/sys/kernel/debug/utrace_test/control
T=/sys/kernel/tracing
set -e
best() {
	b=
	for i in 1 2 3; do
		v=$($B "$@")
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
	done
	echo "$b"
}
row() { printf '%-52s %8s ns %6s\n' "$1" "$2" "$(awk "BEGIN { printf \"%.2f\", $2 / $base }")"; }

$B >/dev/null	# warm-up (first runs after boot are slow under TCG)
base=$(best)
first_base=$base
r_idle= r_other= r_self= r_foff= r_frec=
insmod /utrace/utrace.ko
r_idle=$(best)
insmod /utrace/utrace_test_engine.ko
sleep 1000 &
other=$!
echo "attach 0 $other" >$C
echo "events 0 c0" >$C
r_other=$(best)
echo "control 0 6" >$C
echo "put 0" >$C
kill $other
r_self=$(best --attach-self 1)
echo 0 >$T/tracing_on
echo 1 >$T/events/raw_syscalls/enable
r_foff=$(best)
echo 1 >$T/tracing_on
r_frec=$(best)
echo 0 >$T/events/raw_syscalls/enable
rmmod utrace_test_engine
rmmod utrace
last_base=$(best)
[ "$last_base" -lt "$base" ] && base=$last_base

if [ -e /proc/sys/kernel/prove_locking ]; then dbg="lock debugging on (test kernel)"; else dbg="no lock debugging (bench kernel)"; fi
echo "kernel $(uname -r), $(nproc) CPUs, $dbg"
printf '%-52s %8s    %6s\n' "configuration" "getppid" "ratio"
row "no module (first $first_base, last $last_base)" "$base"
row "utrace loaded, no engine" "$r_idle"
row "engine tracing another task's syscalls" "$r_other"
row "engine counting this task's syscall entry+exit" "$r_self"
row "ftrace raw_syscalls enabled, tracing_on=0" "$r_foff"
row "ftrace raw_syscalls enabled and recording" "$r_frec"

# Stop round trips: stop at syscall entry, wake the tracer, resume (tests/bench/stop_bench.c).
insmod /utrace/utrace.ko
insmod /utrace/utrace_test_engine.ko
S=/utrace/tests/stop_bench
S_best() {
	b=0
	for i in 1 2 3; do
		v=$($S "$1" | awk '{ print $2 }')
		if [ "$v" -gt "$b" ]; then b=$v; fi
	done
	echo "$b"
}
s_utrace=$(S_best utrace)
s_kutrace=$(S_best utrace-kernel)
s_ptrace=$(S_best ptrace)
s_seccomp=$(S_best seccomp)
rmmod utrace_test_engine
rmmod utrace
srow() { printf '%-52s %8s /s %6s\n' "$1" "$2" "$(awk "BEGIN { printf \"%.2f\", $2 / $s_ptrace }")"; }
printf '%-52s %11s %6s\n' "stop round trip (best of 3 x 2000)" "rate" "vs ptrace"
srow "utrace, tracer in user space (debugfs writes)" "$s_utrace"
srow "utrace, tracer in the kernel (engine's own loop)" "$s_kutrace"
srow "ptrace: PTRACE_SYSCALL + waitpid" "$s_ptrace"
srow "seccomp user notification, CONTINUE" "$s_seccomp"
