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
# best, for the loop run under a tracer command: best_under TRACER ARGS...
best_under() {
	b=
	for i in 1 2 3; do
		v=$("$@" $B)
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
# utrace-strace (issue 14): the same getppid loop traced by utrace-strace, writing its lines
# to /dev/null; beside it real strace, whose two ptrace stops per call are measured on 50
# times fewer calls per round (SYSCALL_BENCH_ROUND) so that the row takes seconds.
insmod /utrace/utrace_strace.ko
US=/utrace/tests/utrace-strace
r_us=$(best_under $US -qq -o /dev/null --)
r_usraw=$(best_under $US -qq -e raw=all -X raw -o /dev/null --)
rmmod utrace_strace
rmmod utrace
r_st=
if command -v strace >/dev/null; then
	r_st=$(SYSCALL_BENCH_ROUND=2000 best_under strace -qq -o /dev/null)
fi
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
row "utrace-strace -o /dev/null (getppid loop)" "$r_us"
row "utrace-strace -e raw=all -X raw -o /dev/null" "$r_usraw"
if [ -n "$r_st" ]; then
	row "strace -o /dev/null (2,000 calls per round)" "$r_st"
else
	echo "strace: not in the guest, no row"
fi

# utrace-strace as the traced process grows (issue 14): one process of 1, 100, 1,000 and
# 10,000 threads making 100,000 getppid calls in all, untraced and under utrace-strace -f;
# wall ns per call from the threads' common start (tests/bench/thread_bench.c), so thread
# creation is not counted. The cost per call should stay flat as the thread count grows.
# The lowest of three runs of a command printing one number: min3 PROGRAM ARGS...
min3() {
	b=
	for i in 1 2 3; do
		v=$("$@") || return 1
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
	done
	echo "$b"
}
TB=/utrace/tests/thread_bench
W=/utrace/tests/wall_bench
# 10,000 threads exceed a 1 GiB guest's default threads-max (total pages / 32).
[ "$(cat /proc/sys/kernel/threads-max)" -lt 12000 ] && echo 12000 >/proc/sys/kernel/threads-max
insmod /utrace/utrace.ko
insmod /utrace/utrace_strace.ko
echo
printf '%-52s %8s %8s %6s\n' "utrace-strace -f, threads making getppid calls" "untraced" "traced" "ratio"
for n in 1 100 1000 10000; do
	t0=$(min3 $TB $n 100000 || echo 0)
	t1=$(min3 $US -f -qq -o /dev/null -- $TB $n 100000 || echo 0)
	printf '%-52s %8s %8s %6s\n' "utrace-strace threads=$n (ns per call)" "$t0" "$t1" \
		"$(awk "BEGIN { if ($t0 > 0) printf \"%.2f\", $t1 / $t0; else print \"n/a\" }")"
done
# A realistic workload: a shell building a listing with forks, execs, pipes, getdents and
# stat (find over the guest's files, ls -lR, sort, wc), untraced, under utrace-strace -f,
# under strace -f, and with ftrace's raw_syscalls recording; wall us of one run, best of 3.
WL='for i in 1 2 3; do find / -xdev | sort | wc -l; ls -lR /utrace /bin /lib 2>/dev/null | wc -c; done >/dev/null'
w_best() { min3 "$W" "$@"; }
w_base=$(w_best sh -c "$WL")
w_us=$(w_best $US -f -qq -o /dev/null -- sh -c "$WL")
rmmod utrace_strace
rmmod utrace
w_st=
command -v strace >/dev/null && w_st=$(w_best strace -f -qq -o /dev/null sh -c "$WL")
echo 1 >$T/events/raw_syscalls/enable
w_ft=$(w_best sh -c "$WL")
echo 0 >$T/events/raw_syscalls/enable
wrow() {
	[ -n "$2" ] || { printf '%-52s %8s\n' "$1" "n/a"; return; }
	printf '%-52s %8s us %6s\n' "$1" "$2" "$(awk "BEGIN { printf \"%.2f\", $2 / $w_base }")"
}
echo
printf '%-52s %8s    %6s\n' "utrace-strace, shell workload (find, ls -lR, pipes)" "wall" "ratio"
wrow "utrace-strace workload untraced" "$w_base"
wrow "utrace-strace workload under utrace-strace -f -o /dev/null" "$w_us"
wrow "utrace-strace workload under strace -f -o /dev/null" "$w_st"
wrow "utrace-strace workload with ftrace raw_syscalls recording" "$w_ft"

# Stop round trips: stop at syscall entry, wake the tracer, resume (tests/bench/stop_bench.c).
insmod /utrace/utrace.ko
insmod /utrace/utrace_test_engine.ko
S=/utrace/tests/stop_bench
# The best (highest) of three runs of a rate benchmark printing "MODE RATE": PROGRAM ARGS...
rate_best() {
	b=0
	for i in 1 2 3; do
		v=$("$@" | awk '{ print $2 }')
		if [ "$v" -gt "$b" ]; then b=$v; fi
	done
	echo "$b"
}
S_best() { rate_best $S "$@"; }
for m in utrace kutrace ptrace seccomp; do
	mode=$m; [ $m = kutrace ] && mode=utrace-kernel
	eval "s_$m=\$(S_best $mode)"
	eval "o_$m=\$(S_best $mode cpu0)"
done
rmmod utrace_test_engine
rmmod utrace
p_best=$s_ptrace; [ "$o_ptrace" -gt "$p_best" ] && p_best=$o_ptrace
srow() {
	printf '%-50s %8s %8s %6s\n' "$1" "$2" "$3" \
		"$(awk "BEGIN { b = $2 > $3 ? $2 : $3; printf \"%.2f\", b / $p_best }")"
}
echo
printf '%-50s %8s %8s %6s\n' "stop round trips per second (best of 3 x 2000)" "any CPU" "CPU 0" "best/ptrace best"
srow "utrace, tracer in user space (debugfs writes)" "$s_utrace" "$o_utrace"
srow "utrace, tracer a kernel thread of the engine" "$s_kutrace" "$o_kutrace"
srow "ptrace: PTRACE_SYSCALL + waitpid" "$s_ptrace" "$o_ptrace"
srow "seccomp user notification, CONTINUE" "$s_seccomp" "$o_seccomp"

# A thread's birth and end: utrace keeps its sched_process_exit and sched_process_free probes
# registered from load to unload (each returns after one filter load for an untraced task).
F=/utrace/tests/fork_bench
f_base=$($F)
insmod /utrace/utrace.ko
f_loaded=$($F)
rmmod utrace
f_last=$($F)
[ "$(awk "BEGIN { print ($f_last < $f_base) }")" = 1 ] && f_base=$f_last
echo
printf '%-52s %8s    %6s\n' "fork + _exit + waitpid" "us" "ratio"
printf '%-52s %8s    %6s\n' "no module (best of first and last)" "$f_base" "1.00"
printf '%-52s %8s    %6s\n' "utrace loaded, no engine" "$f_loaded" \
	"$(awk "BEGIN { printf \"%.2f\", $f_loaded / $f_base }")"

# Signal ping-pong (tests/bench/signal_bench.c): a SIGUSR1/SIGUSR2 round trip, the child's
# SIGUSR1 intercepted by an engine that delivers it, or stopped by ptrace and passed on.
P=/utrace/tests/signal_bench
P_best() { rate_best $P "$@"; }
p_none=$(P_best none); c_none=$(P_best none cpu0)
insmod /utrace/utrace.ko
insmod /utrace/utrace_test_engine.ko
p_utrace=$(P_best utrace); c_utrace=$(P_best utrace cpu0)
rmmod utrace_test_engine
rmmod utrace
p_ptrace=$(P_best ptrace); c_ptrace=$(P_best ptrace cpu0)
echo
printf '%-52s %8s %8s %6s\n' "signal round trips per second (best of 3 x 2000)" "any CPU" "CPU 0" "cost"
# cost: extra time per round trip over the untraced one, relative to ptrace's extra time,
# on CPU 0 (on any CPU the cross-CPU wake-ups under TCG drown both).
pcost() { awk "BEGIN { x = 1 / $1 - 1 / $c_none; p = 1 / $c_ptrace - 1 / $c_none; printf \"%.2f\", x / p }"; }
printf '%-52s %8s %8s %6s\n' "untraced" "$p_none" "$c_none" "0"
printf '%-52s %8s %8s %6s\n' "engine intercepting and delivering the child's SIGUSR1" "$p_utrace" "$c_utrace" "$(pcost "$c_utrace")"
printf '%-52s %8s %8s %6s\n' "ptrace: signal-delivery stop, PTRACE_CONT with it" "$p_ptrace" "$c_ptrace" "1.00"

# Breakpoint hits (tests/bench/bkpt_bench.c): a compiled-in int3 in a loop, reported and
# resumed past, by an engine in the kernel, by a tracer in user space through the test
# engine, and by ptrace.
K=/utrace/tests/bkpt_bench
K_best() { rate_best $K "$1"; }
insmod /utrace/utrace.ko
insmod /utrace/utrace_test_engine.ko
k_kernel=$(K_best utrace-kernel)
k_user=$(K_best utrace)
rmmod utrace_test_engine
rmmod utrace
k_ptrace=$(K_best ptrace)
echo
printf '%-52s %8s    %6s\n' "breakpoint hits per second (best of 3)" "hits/s" "/ptrace"
krow() { printf '%-52s %8s    %6s\n' "$1" "$2" "$(awk "BEGIN { printf \"%.2f\", $2 / $k_ptrace }")"; }
krow "utrace, engine resumes from its callback" "$k_kernel"
krow "utrace, tracer in user space (stop, wait, resume)" "$k_user"
krow "ptrace: SIGTRAP stop, waitpid, PTRACE_CONT" "$k_ptrace"

# utrace-gdb (issue 15): stepi and breakpoint round trips driven from a gdb script, native
# ptrace gdb against utrace-gdb in this boot (qemu/gdb-bench.sh).
if [ -f /utrace/gdb-bench.sh ]; then
	sh /utrace/gdb-bench.sh
else
	echo "utrace-gdb: no /utrace/gdb-bench.sh, no rows"
fi
