#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-harm LIST (guest side): the do-no-harm comparison. Runs each of the kernel's selftests
# named in LIST (lines "NAME TIMEOUT [ARGS...]", binaries in /utrace/st, built by
# scripts/build-selftests) three times:
#   bare     utrace not loaded
#   follow   a utrace_harm engine on every thread of the test (clones followed), every
#            event, every answer UTRACE_RESUME
#   stopall  every syscall entry stopped, resumed by another thread after utrace_barrier()
# and prints one KTAP document with one result per selftest per mode: bare is ok when the
# test ran to its end (the reference is valid); follow and stopall are ok when their results
# (exit status, each KTAP result by name, the number of [FAIL] lines) equal bare's, or when
# the difference is listed in /utrace/tests/harm-differences ("MODE NAME reason", each one
# explained in Documentation/testing.md). Differences are printed as "#" lines.
#
# The selftests' own output stays in /tmp/harm (it would be counted as ours otherwise);
# a differing test's failure lines and the end of its output are printed with a "#|" prefix.
LIST=$1
ST=/utrace/st
T=/utrace/tests
R=/tmp/harm
DIFFS=$T/harm-differences
mkdir -p $R

# The normalized results of one run: "EXIT n", "ok|skip|not_ok NAME" per KTAP result,
# "FAILS n" (x86 tests print "[FAIL]" lines instead of KTAP).
summarize() {
	awk '
	/^(ok|not ok) [0-9]+ / {
		r = ($1 == "not") ? "not_ok" : "ok"
		line = $0
		if (line ~ /# *SKIP/) r = "skip"
		sub(/^(not )?ok [0-9]+ /, "", line)
		sub(/ *#.*/, "", line)
		print r, line
		next
	}
	/^\[FAIL\]/ { fails++ }
	/^EXIT / { ex = $2 }
	END { print "EXIT", ex; print "FAILS", fails + 0 }' "$1" | sort
}

# A summary without the cases listed in $R/cases (and then without the exit status and the
# [FAIL] count, which they change).
drop() {
	awk -v cf=$R/cases 'BEGIN { while ((getline l < cf) > 0) { c[l] = 1; n++ } }
	     !($2 in c) && !(n && ($1 == "EXIT" || $1 == "FAILS"))' "$1"
}

run_mode() {
	mode=$1
	while read -r name to args; do
		case $name in ''|'#'*) continue ;; esac
		out=$R/$mode.$name
		# SIGKILL: a thread stopped by utrace sleeps killable, not interruptible.
		# shellcheck disable=SC2086
		timeout -s KILL "$to" $T/harm_launch "$mode" $ST/"$name" $args >"$out.out" 2>&1 </dev/null
		rc=$?
		printf '\nEXIT %s\n' "$rc" >>"$out.out"
		summarize "$out.out" >"$out.sum"
	done <"$LIST"
}

run_mode bare
insmod /utrace/utrace.ko || exit 1
insmod /utrace/utrace_harm.ko || exit 1
run_mode follow
echo "# follow engines: $(tr '\n' ' ' </sys/kernel/debug/utrace_harm/stats)"
# The follow engines intercept every signal (and deliver it unchanged): the comparison says
# something about interception only if signals were intercepted, not only observed.
intercepted=$(awk '$1 == "signal" { print $2 }' /sys/kernel/debug/utrace_harm/stats)
run_mode stopall
echo "# after stopall: $(tr '\n' ' ' </sys/kernel/debug/utrace_harm/stats)"
rmmod utrace_harm
rmmod utrace

n=$(grep -c '^[^#]' "$LIST")
echo "TAP version 13"
echo "1..$((n * 3 + 1))"
i=0
while read -r name to args; do
	case $name in ''|'#'*) continue ;; esac
	i=$((i + 1))
	ex=$(sed -n 's/^EXIT //p' $R/bare.$name.sum)
	if [ "$ex" = 137 ]; then
		echo "not ok $i harm.bare.$name # timed out after ${to}s"
	else
		echo "ok $i harm.bare.$name # exit $ex"
	fi
	for mode in follow stopall; do
		i=$((i + 1))
		# Documented differences: "MODE NAME CASE reason" leaves CASE out of both.
		awk -v m="$mode" -v n="$name" '$1 == m && $2 == n { print $3 }' "$DIFFS" >$R/cases
		drop $R/bare.$name.sum >$R/b.sum
		drop $R/$mode.$name.sum >$R/m.sum
		if cmp -s $R/bare.$name.sum $R/$mode.$name.sum; then
			echo "ok $i harm.$mode.$name"
			continue
		fi
		if cmp -s $R/b.sum $R/m.sum; then
			echo "ok $i harm.$mode.$name # documented difference: $(tr '\n' ' ' <$R/cases)"
		else
			echo "not ok $i harm.$mode.$name"
		fi
		diff -U0 $R/bare.$name.sum $R/$mode.$name.sum | grep -v '^\(---\|+++\|@@\)' |
			sed 's/^-/# bare:   /; s/^+/# '"$mode"': /'
		if ! cmp -s $R/b.sum $R/m.sum; then
			grep -E 'not ok|FAIL|Expected|timeout|Killed|:[0-9]+:' $R/$mode.$name.out |
				head -n 60 | sed 's/^/#| /'
			tail -n 15 $R/$mode.$name.out | sed 's/^/#| /'
		fi
	done
done <"$LIST"
i=$((i + 1))
if [ "${intercepted:-0}" -gt 0 ]; then
	echo "ok $i harm.follow.signals_intercepted # $intercepted signals intercepted and delivered"
else
	echo "not ok $i harm.follow.signals_intercepted # no signal was intercepted"
fi
