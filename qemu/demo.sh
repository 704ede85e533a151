#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: load utrace, show what it checked, then trace a real program
# (busybox ls) from before its exec to its reap with the test engine, strace-style.
set -e
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
C=/sys/kernel/debug/utrace_test/control

step "insmod utrace.ko utrace_test_engine.ko"
insmod /utrace/utrace.ko
insmod /utrace/utrace_test_engine.ko
dmesg | grep ' utrace: ' | sed 's/^\[[ 0-9.]*\] //'
cat /sys/kernel/debug/utrace/state

step "a program waits on a fifo; the engine attaches to it and asks for every event"
mkfifo /tmp/go
# (busybox runs applets in-process; exec it by path for a real execve)
sh -c 'read x </tmp/go; exec /bin/busybox ls /utrace/tests' &
P=$!
echo "attach 0 $P" >$C
# CLONE EXEC EXIT DEATH REAP SYSCALL_ENTRY SYSCALL_EXIT
echo "events 0 fe" >$C
echo "pid $P; probes now registered:"
grep 'registered=yes' /sys/kernel/debug/utrace/hooks | cut -d' ' -f1 | tr '\n' ' '
echo
echo go >/tmp/go
wait $P
sleep 0.3

step "what the engine saw (syscalls decoded from its log; numbers are x86_64)"
awk '
BEGIN {
	split("0 read 1 write 2 open 3 close 4 stat 5 fstat 7 poll 8 lseek 9 mmap 10 mprotect 11 munmap 12 brk 13 rt_sigaction 14 rt_sigprocmask 16 ioctl 20 writev 21 access 33 dup2 39 getpid 59 execve 63 uname 72 fcntl 79 getcwd 89 readlink 102 getuid 104 getgid 107 geteuid 110 getppid 157 prctl 158 arch_prctl 217 getdents64 218 set_tid_address 228 clock_gettime 231 exit_group 257 openat 262 newfstatat 273 set_robust_list 302 prlimit64 318 getrandom 334 rseq", t, " ")
	for (i = 1; i < length(t); i += 2) name[t[i]] = t[i + 1]
}
$1 == "syscall_entry" {
	split($5, n, "="); split($6, a, "[=,]")
	nr = n[2]; call = (nr in name ? name[nr] : "syscall_" nr) "(0x" a[2] ", 0x" a[3] ", 0x" a[4] ")"
	next
}
$1 == "syscall_exit" {
	split($6, r, "=")
	printf "%-50s = %s\n", call != "" ? call : "(in progress when the engine attached)", r[2]
	call = ""
	next
}
$1 == "exec" { print "--- " $0; next }	# between execve entry and exit
{ if (call != "") { printf "%-50s = ?\n", call; call = "" } print "--- " $0 }
' /sys/kernel/debug/utrace_test/log

step "detach, unload"
echo "put 0" >$C
rmmod utrace_test_engine
rmmod utrace
cat /dev/null
dmesg | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
