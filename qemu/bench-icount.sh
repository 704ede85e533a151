#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`'s second boot (scripts/vm-run --icount): the signal and
# breakpoint rows counted in guest instructions instead of wall time.
#
# With `-icount shift=0` the guest's clocks advance one nanosecond per instruction
# executed, so the benchmarks' "per second" rates turn into instructions per round trip
# (1e9 / rate), the same in every boot to about one percent. Under multi-threaded TCG (the
# first boot) the same signal row moved by a factor of three between boots (cost 0.18 to
# 0.58, Documentation/notes-issue13.md). Instructions are not native time: a context switch
# costs more on hardware than its instruction count (caches, TLB), so these rows understate
# what ptrace's stops cost there. Timings only: never a pass/fail test.
#
# Each mode is measured ROUNDS times, interleaved (untraced, utrace, ptrace, untraced...);
# a row is the median of the rounds, a cost the median of the per-round costs.
ROUNDS=5
P=/utrace/tests/signal_bench
K=/utrace/tests/bkpt_bench
set -e
rate() { "$@" | awk '{ print $2 }'; }
# Instructions per round trip from a rate.
insns() { awk "BEGIN { printf \"%.0f\", 1e9 / $1 }"; }
: >/tmp/icount
$P none cpu0 >/dev/null	# warm-up
r=1
while [ "$r" -le $ROUNDS ]; do
	s_none=$(rate $P none cpu0)
	insmod /utrace/utrace.ko
	insmod /utrace/utrace_test_engine.ko
	s_utrace=$(rate $P utrace cpu0)
	k_kernel=$(rate $K utrace-kernel)
	rmmod utrace_test_engine
	rmmod utrace
	s_ptrace=$(rate $P ptrace cpu0)
	k_ptrace=$(rate $K ptrace)
	echo "$(insns "$s_none") $(insns "$s_utrace") $(insns "$s_ptrace") $(insns "$k_kernel") $(insns "$k_ptrace")" |
		tee -a /tmp/icount >/dev/null
	r=$((r + 1))
done
awk '
function med(v, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
	n++; none[n] = $1; ut[n] = $2; pt[n] = $3; kk[n] = $4; kp[n] = $5
	xu[n] = $2 - $1; xp[n] = $3 - $1; cost[n] = ($2 - $1) / ($3 - $1); kr[n] = $5 / $4
}
END {
	printf "\n%-52s %8s %8s %6s\n", "signal round trips, CPU 0, in instructions (icount)", "insns", "extra", "cost"
	printf "%-52s %8d %8s %6s\n", "untraced", med(none, n), "0", "0"
	printf "%-52s %8d %8d %6.2f\n", "engine intercepting and delivering the child'"'"'s SIGUSR1", med(ut, n), med(xu, n), med(cost, n)
	printf "%-52s %8d %8d %6s\n", "ptrace: signal-delivery stop, PTRACE_CONT with it", med(pt, n), med(xp, n), "1.00"
	printf "\n%-52s %8s    %6s\n", "breakpoint hit round trips, in instructions (icount)", "insns", "ptrace/"
	printf "%-52s %8d    %6.1f\n", "utrace, engine resumes from its callback", med(kk, n), med(kr, n)
	printf "%-52s %8d    %6s\n", "ptrace: SIGTRAP stop, waitpid, PTRACE_CONT", med(kp, n), "1.0"
	printf "(median of %d interleaved rounds; cost: extra instructions over untraced, relative to ptrace'"'"'s)\n", n
}' /tmp/icount
