#!/bin/bash
# check.sh: the body of `make check`.  Build kvmx for every test kernel, the
# selftests and the unit tests, then boot the test-beds:
#   QEMU (TCG, AMD SVM+NPT)  with every kernel of kernels.sh, one after another
#   Bochs (Intel VMX+EPT)    with the 6.1 kernel, in parallel with QEMU
# (2 cores: one emulator each).  Prints every result line, the wall times
# and, last, "N passed, N failed, N skipped".  ORACLE=1, TIMEOUT, VMM and
# VMM_TIMEOUT pass through to run.sh.
# The nested VMM (QEMU -accel kvm inside the QEMU machine, run.sh VMM=):
# unless VMM is set, every variant on the 6.1 host kernel and only the
# first on the others.  The variants differ in what the nested guest sees,
# the host kernels in what kvmx is built for; and a nested boot that hangs
# costs up to VMM_TIMEOUT (240 s) per variant and phase.
set -u
{ # bash reads scripts as it runs them: parse all first, so editing this
  # file (git pull) cannot break a run in progress.
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
cd "$TOP"
OUT=${BUILD:-$TOP/build}/vm/check
rm -rf "$OUT"
mkdir -p "$OUT"
T0=$SECONDS

# Builds: a failure is one FAIL line; the boots still run, so the oracle
# and the other results are still seen.
step() { # step <name> <command...>
	local name=$1 t=$SECONDS; shift
	if "$@" >"$OUT/$name.log" 2>&1; then
		echo "ok    build $name  ($((SECONDS - t))s)"
	else
		echo "FAIL  build $name  ($((SECONDS - t))s)"
		tail -n 30 "$OUT/$name.log" | sed 's/^/      | /'
	fi
}
{
	step kmods make -s kmods
	step selftests make -s selftests
	# The upstream KVM selftests of tools/testing/conformance/must-pass*.txt,
	# staged where run.sh adds them to the boots' tests.
	step conformance make -s -C tools/testing/conformance check-stage \
		CONF_OUT="${BUILD:-$TOP/build}/conformance"
	step unit make -s unit
	# The decoder/emulator fuzz target, for a fixed budget.
	step fuzz make -s -C tools/testing/unit fuzz FUZZ_TIME=60
	step vm-scan "$HERE/test-scan.sh"   # the log scanner itself
} | tee "$OUT/build.out"

KVERS=$("$HERE/kernels.sh")
K61=$(echo "$KVERS" | grep -m1 '^6\.1\.')
[ -n "$KVERS" ] || echo "FAIL  no test kernel installed (tools/testing/vm/deps.sh)" >>"$OUT/build.out"
[ -n "$K61" ] || echo "FAIL  no 6.1 kernel for Bochs" >>"$OUT/build.out"

vmm_for() { # vmm_for <kver>: run.sh's VMM for it
	if [ -n "${VMM+set}" ]; then echo "$VMM"
	elif [ "$1" = "$K61" ]; then echo 1
	else awk '!/^#/ && NF { print $1; exit }' "$HERE/qemu-guest/variants"
	fi
}

# lane <out> <run.sh args...>: one boot.  A guest kernel that panics
# while booting, before kvmx is even loaded, is the emulator's fault (seen
# once under TCG with 6.12): boot once more and say so.
lane() {
	local out=$1; shift
	"$HERE/run.sh" "$@" >"$out" 2>&1
	if grep -q 'insmod  never tried' "$out" && grep -q 'kernel panic' "$out"; then
		mv "$out" "$out.first"
		"$HERE/run.sh" "$@" >"$out" 2>&1
		echo "note  $1-$2 booted again: the guest kernel panicked during boot, before any test (log: $out.first)" >>"$out"
	fi
}

# Each lane writes its own file; they are printed in a fixed order.
(for v in $KVERS; do
	VMM=$(vmm_for "$v") lane "$OUT/qemu-$v.out" qemu "$v"
done) &
QEMU=$!
[ -n "$K61" ] && { lane "$OUT/bochs-$K61.out" bochs "$K61" & }
BOCHS=$!
wait $QEMU
[ -n "$K61" ] && wait $BOCHS

cd "$OUT"
for f in $(ls qemu-*.out 2>/dev/null | sort -V) $(ls bochs-*.out 2>/dev/null); do
	grep -v '^wall ' "$f"
done
echo "== wall times"
cat qemu-*.out bochs-*.out 2>/dev/null | grep '^wall ' | sed 's/^wall */  /'
echo "  check.sh total $((SECONDS - T0))s"

RES=$(cat build.out qemu-*.out bochs-*.out 2>/dev/null)
P=$(echo "$RES" | grep -c '^ok ')
F=$(echo "$RES" | grep -c '^FAIL ')
S=$(echo "$RES" | grep -c '^skip ')
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ] && [ "$P" -gt 0 ]
}
