#!/bin/bash
# run.sh [qemu|bochs]: the body of `make conformance` (qemu: AMD SVM+NPT,
# the oracle is kvm_amd) and `make conformance-vmx` (bochs: Intel VMX+EPT,
# the oracle is kvm_intel).
#
# Builds upstream KVM's x86_64 selftests (Makefile here), boots the
# test-bed once (tools/testing/vm/run.sh, ORACLE=1, no nested VMM) with
# them as its only tests, runs each against kvmx and then against the
# stock KVM, and prints one row per test plus a summary; the table also
# goes to $CONF_OUT/results.tsv (results-vmx.tsv for bochs).
#
# A test fails on kvmx when it exits other than 0 (KSFT pass) or 4 (KSFT
# skip), times out, hangs, or skips where the stock KVM passes.  Exit
# status: non-zero when a test of must-pass.txt (must-pass-vmx.txt) fails,
# or when the boot did not get to its end.
#
# Env: KVER (default: the 6.1 kernel), TIMEOUT per test (guest seconds;
# 120 qemu, 300 bochs), WATCHDOG for the whole boot, STALL (kill the boot
# after that long without console output; default TIMEOUT + 300),
# ORACLE=0 (kvmx only), TESTS="x86_64/foo bar" (only those),
# BED (the private build tree the boot uses; default
# $CONF_OUT/bed-<machine>: a copy of kvmx.ko and the tests, so a rebuild
# elsewhere cannot change a run), NOBOOT=1 (parse the last log again),
# NOBUILD=1 (use what is staged), PROBE=1 (the probe variant, see README),
# ALL=1 (bochs: also the tests of bochs-skip.txt).
set -u
{ # parse all first: editing this file cannot break a run in progress.
MACHINE=${1:-qemu}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
VMDIR=$TOP/tools/testing/vm
CONF_OUT=${CONF_OUT:-$TOP/build/conformance}
KVER=${KVER:-$("$VMDIR/kernels.sh" | grep -m1 '^6\.1\.')}
[ -n "$KVER" ] || { echo "conformance: no 6.1 kernel (tools/testing/vm/deps.sh)" >&2; exit 2; }
ORACLE=${ORACLE:-1}
PROBE=${PROBE:-0}
case $MACHINE in
qemu)  : "${TIMEOUT:=120}"; MUST=must-pass.txt; RES=results ;;
bochs) : "${TIMEOUT:=300}"; MUST=must-pass-vmx.txt; RES=results-vmx ;;
*) echo "usage: $0 [qemu|bochs]" >&2; exit 2 ;;
esac
BIN=$CONF_OUT/bin
if [ "$PROBE" = 1 ]; then
	BIN=$CONF_OUT/probe/bin RES=$RES-probe ORACLE=0
fi
SUF=; [ "$PROBE" = 1 ] && SUF=-probe
BED=${BED:-$CONF_OUT/bed-$MACHINE$SUF}
LOG=$BED/vm/$MACHINE-$KVER.log
: "${STALL:=$((TIMEOUT + 300))}"
NAME=$MACHINE-$KVER
T0=$SECONDS

# ---- build and stage ---------------------------------------------------
if [ "${NOBOOT:-0}" != 1 ]; then
	if [ "${NOBUILD:-0}" != 1 ]; then
		if [ "$PROBE" = 1 ]; then
			make -s -C "$HERE" CONF_OUT="$CONF_OUT" PROBE=1 || exit 1
		else
			make -s -C "$HERE" CONF_OUT="$CONF_OUT" || exit 1
		fi
	fi
	KO=$TOP/build/kmod/$KVER/kvmx.ko HOLD=$TOP/build/selftests/kvm-hold
	[ -f "$KO" ] || { echo "conformance: no $KO (make kmods)" >&2; exit 1; }
	[ -f "$BIN/list" ] || { echo "conformance: no $BIN/list" >&2; exit 1; }
	rm -rf "$BED/kmod" "$BED/selftests"
	mkdir -p "$BED/kmod/$KVER" "$BED/selftests"
	cp "$KO" "$BED/kmod/$KVER/"
	# Under TCG the oracle phase needs kvm-hold (see guest-init.sh).
	[ -x "$HOLD" ] && cp "$HOLD" "$BED/selftests/" ||
		echo "conformance: warning: no $HOLD (make selftests)" >&2
	# Bochs runs ~20x slower than QEMU TCG, and some tests wedge it: those
	# of bochs-skip.txt only with ALL=1 (or when named in TESTS).
	SKIPPED=
	if [ "$MACHINE" = bochs ] && [ "${ALL:-0}" != 1 ] && [ -z "${TESTS:-}" ]; then
		SKIPPED=$(sed -e 's/#.*//' -e 's/:.*//' "$HERE/bochs-skip.txt" | tr -d ' \t' | grep .)
	fi
	for b in $(cat "$BIN/list"); do
		t=${b#upstream.}; t=${t//./\/}
		if [ -n "${TESTS:-}" ] && ! printf '%s\n' $TESTS | grep -qxF "$t"; then
			continue
		fi
		printf '%s\n' $SKIPPED | grep -qxF "$t" && continue
		cp "$BIN/$b" "$BED/selftests/" && echo "$b" >>"$BED/selftests/list"
	done
	N=$(wc -l <"$BED/selftests/list")
	# Room for every test to time out in both phases would be hours: the
	# watchdog is for a wedged machine, which STALL catches sooner.
	: "${WATCHDOG:=$((1200 + N * 2 * 60))}"
	[ "$MACHINE" = bochs ] && WATCHDOG=$((WATCHDOG * 4))
	WHAT="kvmx only"; [ "$ORACLE" = 1 ] && WHAT="kvmx, then the stock KVM"
	echo "conformance: $N tests on $NAME: $WHAT; timeout ${TIMEOUT}s each (log: $LOG)"
	[ -n "$SKIPPED" ] && echo "conformance: left out (bochs-skip.txt; ALL=1 runs them):" $SKIPPED
fi
mkdir -p "$CONF_OUT"
BED_OUT=$CONF_OUT/$RES.bed.out
if [ "${NOBOOT:-0}" != 1 ]; then
	BUILD=$BED ORACLE=$ORACLE VMM=0 TIMEOUT=$TIMEOUT WATCHDOG=$WATCHDOG STALL=$STALL \
		"$VMDIR/run.sh" "$MACHINE" "$KVER" >"$BED_OUT" 2>&1
else
	NOBOOT=1 BUILD=$BED ORACLE=$ORACLE VMM=0 "$VMDIR/run.sh" "$MACHINE" "$KVER" >"$BED_OUT" 2>&1
fi
[ -f "$LOG" ] || { echo "conformance: no $LOG" >&2; exit 1; }

# ---- the table ---------------------------------------------------------
# One pass over the console: per test and backend, rc, time and the
# reason of a failure or skip (the assertion's message, the SKIP text).
TSV=$CONF_OUT/$RES.tsv
tr -d '\r' <"$LOG" | awk -v list="$BED/selftests/list" -v oracle="$ORACLE" -v tmo="$TIMEOUT" \
	-v must="$HERE/$MUST" -v notyet="$HERE/not-yet.txt" '
function clean(s) { gsub(/\t/, " ", s); sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function readlist(f, a,   l, n) {
	while ((getline l < f) > 0) {
		sub(/#.*/, "", l); n = l; sub(/:.*/, "", n); n = clean(n)
		if (n != "") { a[n] = 1; r = l; sub(/^[^:]*:?/, "", r); a[n, "why"] = clean(r) }
	}
}
BEGIN {
	while ((getline l < list) > 0) if (l != "") order[++n] = l
	readlist(must, mp); readlist(notyet, ny)
}
# Markers may follow kernel text on the same line.
/@@BEGIN / { s = substr($0, index($0, "@@BEGIN ")); split(s, f, " ")
	cur = f[2] SUBSEP f[3]; began[cur] = 1; inassert = 0; where = ""; next }
/@@END / { s = substr($0, index($0, "@@END ")); split(s, f, " ")
	k = f[2] SUBSEP f[3]; rc = f[4]; sub(/rc=/, "", rc); rc += 0; tm = f[5]; sub(/t=/, "", tm); tm += 0
	ended[k] = 1; RC[k] = rc; T[k] = tm
	if (!(k in why) && where != "") why[k] = where
	cur = ""; next }
/@@SKIP / { s = substr($0, index($0, "@@SKIP ")); split(s, f, " ")
	k = f[2] SUBSEP f[3]; skipped[k] = 1; why[k] = s; next }
/^@@/ { cur = ""; next }
cur != "" {
	line = $0
	if (line ~ /==== Test Assertion Failure ====/) { inassert = 1; where = ""; next }
	if (inassert) {
		if (where == "" && line ~ /^  [^ ].*:[0-9]+: /) { where = clean(line); next }
		if (line ~ /^  pid=[0-9]+ tid=/ || line ~ /addr2line/ || line ~ /^ *[0-9]+\t/ || clean(line) == "") next
		if (line ~ /^\[ *[0-9]+\.[0-9]+\]/) next   # kernel message
		# The message, with up to two lines that continue it.
		if (!(cur in why)) { why[cur] = clean(line); more = 2 }
		else if (more-- > 0) why[cur] = why[cur] " " clean(line)
		next
	}
	if (!(cur in why) && line ~ /# SKIP/) { w = line; sub(/.*# SKIP */, "", w); sub(/^- */, "", w); why[cur] = "skip: " clean(w) }
	else if (!(cur in why) && line ~ /^not ok /) why[cur] = clean(line)
	else if (!(cur in why) && line ~ /(FAIL|[Ff]ailed|[Ee]rror)/ && line !~ /^\[ *[0-9]+\.[0-9]+\]/) why[cur] = clean(line)
}
function status(k) {
	if (k in skipped) return "skip"
	if (k in ended) {
		if (RC[k] == 0) return "pass"; if (RC[k] == 4) return "skip"
		# SIGKILL: from timeout(1) at the limit, else the OOM killer.
		if (RC[k] == 137 && T[k] + 1 >= tmo) return "timeout"
		return "fail"
	}
	if (k in began) return "hang"
	return "not-run"
}
function reason(k, st,   sig) {
	if (st == "timeout") return "timeout after " T[k] "s"
	if (st == "hang") return "no @@END: the boot ended in this test"
	if (st == "not-run") return ""
	if ((k in RC) && RC[k] + 0 > 128 && RC[k] + 0 <= 128 + 64) {
		sig = RC[k] - 128
		sig = sig == 9 ? "SIGKILL (OOM killer?)" : sig == 11 ? "SIGSEGV" : sig == 6 ? "SIGABRT" : "signal " sig
		return "killed by " sig ((k in why) ? "; " why[k] : "")
	}
	return why[k]
}
END {
	OFS = "\t"
	print "test", "kvmx", "kvmx_rc", "kvmx_s", "kvm", "kvm_rc", "kvm_s", "verdict", "list", "kvmx_reason", "kvm_reason"
	for (i = 1; i <= n; i++) {
		b = order[i]; t = b; sub(/^upstream\./, "", t); gsub(/\./, "/", t)
		kx = b SUBSEP "kvmx"; kk = b SUBSEP "kvm"
		sx = status(kx); sk = oracle == 1 ? status(kk) : "-"
		v = (sx == "pass" || (sx == "skip" && sk != "pass")) ? "ok" : "FAIL"
		l = (t in mp) ? "must-pass" : (t in ny) ? "not-yet" : "-"
		print t, sx, (kx in RC) ? RC[kx] : "-", (kx in T) ? T[kx] : "-", \
			sk, (kk in RC) ? RC[kk] : "-", (kk in T) ? T[kk] : "-", v, l, \
			(sx == "pass") ? "" : reason(kx, sx), (sk == "pass" || sk == "-") ? "" : reason(kk, sk)
	}
}' >"$TSV"

# Printed: the table without the rc columns, the reasons cut to fit.
awk -F'\t' -v oracle="$ORACLE" 'NR == 1 {
	printf "%-44s %-16s %-16s %-7s %-9s %s\n", "test", "kvmx", (oracle == 1 ? "kvm" : ""), "verdict", "list", "kvmx: why (not pass)"; next }
{	x = $2 ($4 != "-" ? sprintf(" %7.2fs", $4) : "")
	k = $5 ($7 != "-" ? sprintf(" %7.2fs", $7) : "")
	if (oracle != 1) k = ""
	w = $10; if (length(w) > 90) w = substr(w, 1, 87) "..."
	printf "%-44s %-16s %-16s %-7s %-9s %s\n", $1, x, k, $8, $9, w }' "$TSV"

# ---- summary -----------------------------------------------------------
count() { awk -F'\t' -v c="$1" -v s="$2" 'NR > 1 && $c == s' "$TSV" | wc -l; }
sum() { # sum <column>: "N pass, N fail, ..." of one backend
	local c=$1 out="" s k
	for s in pass fail skip timeout hang not-run; do
		k=$(count "$c" $s)
		[ "$k" = 0 ] && [ "$s" != pass ] && [ "$s" != fail ] && continue
		out="$out${out:+, }$k $s"
	done
	echo "$out"
}
TOTAL=$(($(wc -l <"$TSV") - 1))
OK=$(count 8 ok) BAD=$(count 8 FAIL)
MUST_ALL=$(awk -F'\t' 'NR > 1 && $9 == "must-pass"' "$TSV" | wc -l)
REGRESS=$(awk -F'\t' 'NR > 1 && $9 == "must-pass" && $8 != "ok" { print $1 }' "$TSV")
NEW=$(awk -F'\t' 'NR > 1 && $9 != "must-pass" && $2 == "pass" { print $1 }' "$TSV")
UNEXPLAINED=$(awk -F'\t' 'NR > 1 && $9 == "-" && $8 != "ok" { print $1 }' "$TSV")
# Why kvmx fails, most common first: the to-do list.
echo
echo "kvmx failures by reason:"
awk -F'\t' 'NR > 1 && $8 == "FAIL" {
	r = $10; if (r == "") r = "(" $2 ")"
	n[r]++; t[r] = t[r] " " $1 }
END { for (r in n) printf "%4d  %s:%s\n", n[r], r, t[r] }' "$TSV" | sort -k1,1nr -k2 |
	awk '{ if (length($0) > 400) $0 = substr($0, 1, 397) "..."; print }'
echo
[ -n "$NEW" ] && echo "passing, not yet in $MUST:" $NEW
[ -n "$UNEXPLAINED" ] && echo "failing, in neither $MUST nor not-yet.txt:" $UNEXPLAINED
[ -n "$REGRESS" ] && echo "FAILING from $MUST:" $REGRESS
# Names in the lists that are no upstream test (a typo would hide one).
for f in "$MUST" not-yet.txt; do
	BADNAMES=$(sed -e 's/#.*//' -e 's/:.*//' "$HERE/$f" | tr -d ' \t' | grep . |
		grep -vxF -f "$CONF_OUT/bin/built.txt" 2>/dev/null)
	[ -n "$BADNAMES" ] && echo "conformance: $f names no test that builds:" $BADNAMES
done
# The test-bed's own lines that are not test results: insmod, rmmod, the
# boot reaching its end, the kernel log.
BEDLINES=$(grep -E '^(ok|FAIL|skip) ' "$BED_OUT" | grep -v ' upstream\.' || true)
printf '%s\n' "$BEDLINES" | grep '^FAIL' | sed 's/^/test-bed: /'
echo "conformance $NAME: $TOTAL tests; kvmx: $(sum 2)$([ "$ORACLE" = 1 ] && echo "; kvm: $(sum 5)")"
echo "conformance $NAME: $OK conformant, $BAD failing; must-pass $((MUST_ALL - $(printf '%s' "$REGRESS" | grep -c .)))/$MUST_ALL; $((SECONDS - T0))s (table: $TSV)"
RC=0
[ -n "$REGRESS" ] && RC=1
printf '%s\n' "$BEDLINES" | grep -q '^ok .* boot .*reached-end' || RC=1
exit $RC
}
