#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the utrace-gdb rows of `make bench` (run by qemu/bench.sh, or alone):
# gdb driving a program from a script, natively (ptrace attach) and through utrace-gdb
# (`target extended-remote /dev/utrace-gdb`), in the same boot, on the same program
# (tests/gdb_workloads/gdw.c, mode bench: a loop calling bench_body()):
#  - stepi: 1,000 `stepi` from a gdb Python loop (gdb.execute, output discarded);
#  - breakpoint round trips: a breakpoint on bench_body(), `continue` 1,000 times.
# Each figure is the best of two runs, in operations per second, timed inside gdb around
# the loop only (not gdb's start or the attach). The utrace side reads "n/a" while
# utrace_gdb.ko or gdb is missing.
# A third column, gdbserver (ptrace underneath, the same remote protocol over a pipe), when
# the guest has it: what gdb's remote protocol itself costs against native, so that the
# utrace-gdb figure can be read as protocol cost plus tracing path.
G=/utrace/tests/gdw
D=/tmp/gdb_bench
N=1000

# gdb_rate native|utrace stepi|break: prints the rate, or nothing
gdb_rate() {
	rm -rf $D
	mkdir -p $D
	mkfifo $D/go
	$G bench $D >$D/out 2>&1 &
	p=$!
	i=0
	while [ "$(cat $D/tids 2>/dev/null | wc -l)" -lt 4 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.3
	if [ "$2" = stepi ]; then op=stepi; else op=continue; fi
	cat >$D/s.gdb <<-GDB
	break bench_body
	shell echo g > $D/go
	continue
	$([ "$2" = stepi ] && echo delete)
	python
	import time
	t0 = time.time()
	for i in range($N):
	    gdb.execute("$op", to_string=True)
	print("rate %d" % ($N / (time.time() - t0)))
	end
	delete
	set var busy_stop = 1
	GDB
	if [ "$1" = native ]; then
		gdb -batch -nx -p $p -x $D/s.gdb 2>$D/err
	elif [ "$1" = gdbserver ]; then
		gdb -batch -nx -ex "target remote | exec gdbserver --once - --attach $p" \
			-x $D/s.gdb 2>$D/err
	else
		gdb -batch -nx -ex "target extended-remote /dev/utrace-gdb" -ex "attach $p" \
			-x $D/s.gdb 2>$D/err
	fi | sed -n 's/^rate //p'
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
}

# best of two: gdb_best native|utrace stepi|break
gdb_best() {
	b=
	for i in 1 2; do
		v=$(gdb_rate "$1" "$2")
		[ -n "$v" ] || continue
		if [ -z "$b" ] || [ "$v" -gt "$b" ]; then b=$v; fi
	done
	echo "${b:-n/a}"
}

if ! command -v gdb >/dev/null; then
	echo "utrace-gdb: no gdb in the guest, no rows"
	exit 0
fi
n_step=$(gdb_best native stepi)
n_brk=$(gdb_best native break)
s_step=n/a s_brk=n/a
if command -v gdbserver >/dev/null; then
	s_step=$(gdb_best gdbserver stepi)
	s_brk=$(gdb_best gdbserver break)
fi
u_step=n/a u_brk=n/a
if insmod /utrace/utrace.ko 2>/dev/null; then
	if insmod /utrace/utrace_gdb.ko 2>/dev/null; then
		if [ -e /dev/utrace-gdb ]; then
			u_step=$(gdb_best utrace stepi)
			u_brk=$(gdb_best utrace break)
		fi
		rmmod utrace_gdb
	fi
	rmmod utrace
fi
ratio() {
	case "$1$2" in *n/a*) echo n/a ;; *) awk "BEGIN { printf \"%.2f\", $1 / $2 }" ;; esac
}
echo
printf '%-46s %7s %10s %6s %9s %6s\n' "gdb from a script, per second (best of 2 x $N)" \
	"native" "utrace-gdb" "ratio" "gdbserver" "ratio"
printf '%-46s %7s %10s %6s %9s %6s\n' "utrace-gdb stepi" "$n_step" "$u_step" \
	"$(ratio "$u_step" "$n_step")" "$s_step" "$(ratio "$s_step" "$n_step")"
printf '%-46s %7s %10s %6s %9s %6s\n' "utrace-gdb breakpoint round trips (continue)" "$n_brk" \
	"$u_brk" "$(ratio "$u_brk" "$n_brk")" "$s_brk" "$(ratio "$s_brk" "$n_brk")"
