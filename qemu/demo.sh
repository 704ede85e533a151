#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: load utrace and the utrace_strace engine, then trace a real shell
# pipeline (a fork, an exec, a pipe) with utrace-strace -f, as one would with strace. The demo
# fails (exit status 1) if the trace does not show what such a pipeline does.
set -e
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
T=/tmp/demo.trace
US=/utrace/tests/utrace-strace

step "insmod utrace.ko utrace_strace.ko"
insmod /utrace/utrace.ko
insmod /utrace/utrace_strace.ko
dmesg | grep -E ' utrace(_strace)?: ' | sed 's/^\[[ 0-9.]*\] //'
ls -l /dev/utrace-strace

step "utrace-strace -f -o $T busybox sh -c 'busybox ls / | busybox wc -l'"
# (busybox runs applets in-process; the pipeline names busybox by path for a real execve)
$US -f -o $T /bin/busybox sh -c '/bin/busybox ls / | /bin/busybox wc -l'
echo "exit status $?"

step "what utrace-strace saw ($(wc -l <$T) lines)"
cat $T

step "detach, unload"
rmmod utrace_strace
rmmod utrace
cat /sys/kernel/debug/utrace/state 2>/dev/null || echo "utrace unloaded"

step "checks"
set +e
fail=0
check() { # check DESCRIPTION MIN_COUNT EXTENDED_REGEXP
	n=$(grep -cE "$3" $T)
	if [ "$n" -ge "$2" ]; then
		echo "ok - $1 ($n lines)"
	else
		echo "not ok - $1 (only $n lines match '$3')"
		fail=1
	fi
}
# With -o and -f each line starts with its pid ("1234  "), as strace's.
sed -E 's/^(\[pid +[0-9]+\] |[0-9]+ +)//' $T >$T.calls
pids=$(grep -oE '^(\[pid +[0-9]+\]|[0-9]+) ' $T | tr -dc '0-9\n' | sort -u | wc -l)
if [ "$pids" -ge 3 ]; then
	echo "ok - three processes traced (-f follows the forks): $pids pids"
else
	echo "not ok - only $pids processes in the trace (-f did not follow the forks)"
	fail=1
fi
shell=$(grep -oE '^(\[pid +[0-9]+\]|[0-9]+) ' $T | tr -dc '0-9\n' | head -n 1)
kids=$(grep -E '^(\[pid +[0-9]+\]|[0-9]+) +(execve\(.*|<\.\.\. execve resumed>.*)= 0$' $T |
	grep -oE '^(\[pid +[0-9]+\]|[0-9]+) ' | tr -dc '0-9\n' | grep -vx "$shell" | sort -u | wc -l)
if [ "$kids" -ge 2 ]; then
	echo "ok - both children of the shell ($shell) exec (ls and wc)"
else
	echo "not ok - $kids children of the shell ($shell) exec, not 2"
	fail=1
fi
T=$T.calls
check "execve starts the shell, ls and wc" 3 '^(execve\(.*|<\.\.\. execve resumed>.*)= 0$'
check "the shell makes the pipe" 1 '^pipe2?\('
check "the shell forks twice (clone returns each child's pid)" 2 '^(clone3?\(|<\.\.\. clone3? resumed>).* = [1-9][0-9]*$'
check "ls reads the directory" 1 '^(getdents64\(|<\.\.\. getdents64 resumed>)'
check "the shell waits for its children" 2 '(wait4\(|<\.\.\. wait4 resumed>).* = [1-9][0-9]*$'
check "every process exits with 0" 3 '^\+\+\+ exited with 0 \+\+\+'
exit $fail
