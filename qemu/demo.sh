#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: load utrace, show what it found and checked, unload it.
set -e
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "uname -r"
uname -r
step "insmod utrace.ko"
insmod /utrace/utrace.ko
dmesg | grep ' utrace: ' | sed 's/^\[[ 0-9.]*\] //'
step "cat /sys/kernel/debug/utrace/state"
cat /sys/kernel/debug/utrace/state
step "cat /sys/kernel/debug/utrace/hooks   (tracepoints found by name; none is exported)"
cat /sys/kernel/debug/utrace/hooks
step "head /sys/kernel/debug/utrace/layout   (bindings offsets checked against the C compiler)"
head -n 8 /sys/kernel/debug/utrace/layout
echo "... ($(wc -l </sys/kernel/debug/utrace/layout) fields in all)"
step "rmmod utrace"
rmmod utrace
dmesg | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
step "a load that must be refused: insmod utrace.ko test_layout_skew=8"
echo "(test-only parameter: pretend bindgen put task_struct.pid 8 bytes off)"
if insmod /utrace/utrace.ko test_layout_skew=8 2>/dev/null; then
	echo "UNEXPECTED: loaded"; exit 1
fi
dmesg | tail -n 2 | sed 's/^\[[ 0-9.]*\] //'
