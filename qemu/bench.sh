#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: ns per getppid() in each configuration, in one boot, with the
# ratio to the first. Only ratios within one run mean anything (TCG).
B=/utrace/tests/syscall_bench
C=/sys/kernel/debug/utrace_test/control
T=/sys/kernel/tracing
set -e
row() { printf '%-52s %8s ns %6s\n' "$1" "$2" "$(awk "BEGIN { printf \"%.2f\", $2 / $base }")"; }

base=$($B)
printf '%-52s %8s    %6s\n' "configuration" "getppid" "ratio"
row "no module" "$base"
insmod /utrace/utrace.ko
row "utrace loaded, no engine" "$($B)"
insmod /utrace/utrace_test_engine.ko
sleep 1000 &
other=$!
echo "attach 0 $other" >$C
echo "events 0 c0" >$C
row "engine tracing another task's syscalls" "$($B)"
echo "control 0 6" >$C
echo "put 0" >$C
kill $other
row "engine counting this task's syscall entry+exit" "$($B --attach-self 1)"
echo 0 >$T/tracing_on
echo 1 >$T/events/raw_syscalls/enable
row "ftrace raw_syscalls enabled, not recording (floor)" "$($B)"
echo 1 >$T/tracing_on
row "ftrace raw_syscalls enabled and recording" "$($B)"
echo 0 >$T/events/raw_syscalls/enable
rmmod utrace_test_engine
rmmod utrace
