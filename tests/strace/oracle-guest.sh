#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/strace-oracle: each workload under strace and under utrace-strace,
# both with ASLR off and in raw mode; prints both logs between markers for the host to
# compare. Needs utrace.ko and utrace_strace.ko loaded, strace in PATH.
T=/utrace/tests
W=$T/strace_work
US=$T/utrace-strace
OPTS="-f -qq -X raw -e raw=all"
cd /tmp || exit 1

run() {
	name=$1
	shift
	$W norandom strace $OPTS -o /tmp/s.$name "$@" >/dev/null 2>&1
	echo "@@rc strace $name $?"
	$W norandom $US $OPTS -o /tmp/u.$name "$@" >/dev/null 2>/tmp/u.$name.err
	echo "@@rc utrace $name $?"
	echo "@@file s.$name"
	cat /tmp/s.$name
	echo "@@file u.$name"
	cat /tmp/u.$name
	echo "@@file u.$name.err"
	cat /tmp/u.$name.err
}

run ls ls /
run pipeline sh -c 'echo a | cat; ls /nonexistent; true'
for m in forkexec threads exitgroup handler nohandler restart intr execfail sigkill segv; do
	run $m $W $m
done
echo "@@end"
