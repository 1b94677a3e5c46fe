#!/bin/bash
# bench.sh: the body of `make bench` (README.md here).
#
# Builds kvmx for the 6.1 kernel and kvmx-bench, then boots the QEMU
# test-bed (TCG, -cpu max: AMD SVM+NPT) with tools/testing/vm/run.sh
# BENCH=1: the guest alternates kvmx and Debian's kvm_amd, round by round,
# running kvmx-bench in each phase and, in the first round, the nested
# QEMU boot of the test-bed (VMM=pc-qemu64).  Twice: once on the wall
# clock, once under -icount shift=0,sleep=off (ICOUNT=1), where the guest's
# time counts instructions.  Then report.sh: build/bench/results.{tsv,md},
# bench.png.
#
# Env: KVER (default: the 6.1 kernel); MODES ("wall icount"); ROUNDS (3,
# on the wall clock) and ICOUNT_ROUNDS (1: under icount a run repeats to
# the instruction); SCALE (1: iteration counts times this); WHAT (all; or
# a comma list of exits,wake,mem,dirty,lifecycle,footprint); BENCH_MEM
# (fault-in MiB with 2M pages, default 1024 if the machine's RAM allows,
# else 512), BENCH_MEM4K (with 4K pages, 128), BENCH_DIRTY (the
# dirty-logged slot, 32); BENCH_VMM (pc-qemu64; 0: none);
# BENCH_BUILD (/tmp/benchbuild: the private tree the boots use);
# OUT (build/bench); NOBOOT=1: only report on the last logs.
set -u
{ # parse all first: editing this file cannot break a run in progress.
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
VMDIR=$TOP/tools/testing/vm
OUT=${OUT:-$TOP/build/bench}
BUILD=${BENCH_BUILD:-/tmp/benchbuild}
KVER=${KVER:-$("$VMDIR/kernels.sh" | grep -m1 '^6\.1\.')}
MODES=${MODES:-wall icount}
ROUNDS=${ROUNDS:-3} ICOUNT_ROUNDS=${ICOUNT_ROUNDS:-1} SCALE=${SCALE:-1} WHAT=${WHAT:-all}
BENCH_VMM=${BENCH_VMM:-pc-qemu64}
T0=$SECONDS
[ -n "$KVER" ] || { echo "bench: no 6.1 kernel (tools/testing/vm/deps.sh)" >&2; exit 2; }
mkdir -p "$OUT"

if [ "${NOBOOT:-0}" != 1 ]; then
	# ---- dependencies: the test-bed's, and gnuplot for the plot -------
	"$VMDIR/deps.sh" >"$OUT/deps.log" 2>&1 || { cat "$OUT/deps.log"; exit 1; }
	if ! command -v gnuplot >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >>"$OUT/deps.log" 2>&1 ||
		{ apt-get update -q >>"$OUT/deps.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >>"$OUT/deps.log" 2>&1; } ||
		echo "bench: warning: no gnuplot (apt-get install gnuplot-nox): no plot" >&2
	fi

	# ---- build, and stage a private tree ------------------------------
	make -s -C "$TOP" kmods KVERS="$KVER" || exit 1
	rm -rf "$BUILD/kmod" "$BUILD/selftests" "$BUILD/conformance" "$BUILD/bench"
	mkdir -p "$BUILD/kmod/$KVER"
	cp "$TOP/build/kmod/$KVER/kvmx.ko" "$BUILD/kmod/$KVER/"
	make -s -C "$HERE" OUTPUT="$BUILD/bench" || exit 1
	install -m 755 "$HERE/guest-bench.sh" "$BUILD/bench/"

	ARGS="kvmx.bench_scale=$SCALE kvmx.bench_what=$WHAT"
	[ -n "${BENCH_MEM:-}" ] && ARGS="$ARGS kvmx.bench_mem=$BENCH_MEM"
	[ -n "${BENCH_MEM4K:-}" ] && ARGS="$ARGS kvmx.bench_mem4k=$BENCH_MEM4K"
	[ -n "${BENCH_DIRTY:-}" ] && ARGS="$ARGS kvmx.bench_dirty=$BENCH_DIRTY"
	: >"$OUT/load.txt"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kvmx $(git -C "$TOP" describe --always --dirty 2>/dev/null)." >"$OUT/run-info"
	# ---- the boots, one at a time -------------------------------------
	for mode in $MODES; do
		ic=0 r=$ROUNDS
		[ "$mode" = icount ] && ic=1 r=$ICOUNT_ROUNDS
		v=; [ "$BENCH_VMM" != 0 ] && v=", nested QEMU $BENCH_VMM"
		echo "bench: booting qemu-$KVER, $mode clock: $r round(s) of kvmx then kvm$v"
		echo "$mode before: $(uptime)" >>"$OUT/load.txt"
		t=$SECONDS
		# The watchdog (wall s) is for a wedged machine: a boot takes
		# a few minutes.
		BUILD=$BUILD BENCH=1 BENCH_ARGS="$ARGS kvmx.bench_rounds=$r" ICOUNT=$ic \
			ORACLE=1 VMM=$BENCH_VMM EXTRA_TESTS= WATCHDOG=${WATCHDOG:-900} \
			STALL=${STALL:-300} "$VMDIR/run.sh" qemu "$KVER" >"$OUT/run-$mode.out" 2>&1
		rc=$?
		echo "$mode after:  $(uptime)  ($((SECONDS - t))s)" >>"$OUT/load.txt"
		cp "$BUILD/vm/qemu-$KVER.log" "$OUT/$mode.log" 2>/dev/null
		grep -E '^FAIL' "$OUT/run-$mode.out" | sed 's/^/  /'
		echo "bench: $mode boot done in $((SECONDS - t))s (rc=$rc; $OUT/run-$mode.out, $OUT/$mode.log)"
	done
fi

"$HERE/report.sh" "$OUT" $MODES
rc=$?
echo "bench: $((SECONDS - T0))s in all; $OUT/results.md, $OUT/bench.png"
grep -q '^FAIL' "$OUT"/run-*.out 2>/dev/null && rc=1
exit $rc
}
