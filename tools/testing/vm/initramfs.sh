#!/bin/sh
# initramfs.sh KVER OUTFILE
# Build the test-bed's initramfs for kernel KVER: busybox, /init
# (guest-init.sh), kvmx.ko, the static selftests, and the stock KVM modules
# the oracle phase loads.  Uncompressed newc cpio: Bochs would spend minutes
# inflating it.
# Env VMM_PAYLOAD=1: also the nested-VMM payload (qemu-guest/payload.sh:
# QEMU, its libraries and firmware, the nested guest's kernel and
# initramfs; ~60 MB), and OUTFILE.vmm, the names of its variants.
# VMM_KVER: the nested guest's kernel (default: the 6.1 one).
# EXTRA_TESTS, BENCH_DIR: see below.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 KVER OUTFILE" >&2; exit 2; }
KVER=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
BUILD=${BUILD:-$TOP/build}  # env override: a private tree while others rebuild
MODDIR=/lib/modules/$KVER

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/kvmx-initramfs.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/bin" "$ROOT/tests" "$ROOT/oracle" "$(dirname "$OUT")"

# busybox-static; the applet links are made by /init (busybox --install -s).
cp /bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
install -m 755 "$HERE/guest-init.sh" "$ROOT/init"

# kvmx.ko may be missing while the module does not build yet: the guest
# reports that as a failure and still runs the oracle phase.
if [ -f "$BUILD/kmod/$KVER/kvmx.ko" ]; then
	cp "$BUILD/kmod/$KVER/kvmx.ko" "$ROOT/kvmx.ko"
else
	echo "initramfs.sh: warning: $BUILD/kmod/$KVER/kvmx.ko missing" >&2
fi

# Selftests, in the order of build/selftests/list if the build wrote one,
# else every executable there.  The host (run.sh) reads the same list.
ST=$BUILD/selftests
if [ -f "$ST/list" ]; then
	grep -v -e '^#' -e '^$' "$ST/list"
elif [ -d "$ST" ]; then
	find "$ST" -maxdepth 1 -type f -perm -u+x ! -name kvm-hold -printf '%f\n' | sort
fi >"$ROOT/tests/list"
for t in $(cat "$ROOT/tests/list"); do
	cp "$ST/$t" "$ROOT/tests/$t"
done
# EXTRA_TESTS: a directory of more test binaries and their list, run after
# the selftests (run.sh passes the conformance tests of make check,
# build/conformance/check-<machine>: upstream KVM selftests of must-pass.txt).
if [ -n "${EXTRA_TESTS:-}" ] && [ -s "$EXTRA_TESTS/list" ]; then
	for t in $(grep -v -e '^#' -e '^$' "$EXTRA_TESTS/list"); do
		cp "$EXTRA_TESTS/$t" "$ROOT/tests/$t" && echo "$t" >>"$ROOT/tests/list"
	done
fi
cp "$ROOT/tests/list" "$OUT.tests"  # the host expects these
# BENCH_DIR (make bench, tools/testing/bench/): kvmx-bench and its
# scripts, as /bench.
[ -n "${BENCH_DIR:-}" ] && cp -r "$BENCH_DIR" "$ROOT/bench"
[ -x "$ST/kvm-hold" ] && cp "$ST/kvm-hold" "$ROOT/kvm-hold"
KO=$TOP/tools/testing/selftests/kvmx/kvmx-only.txt
[ -f "$KO" ] && cp "$KO" "$ROOT/kvmx-only.txt"

# Stock modules for the oracle, decompressed (6.12 ships .ko.xz; busybox
# insmod wants plain ELF), with their `depends` chain.  oracle/<module>.load
# lists the files to insmod for it, dependencies first, so /init needs
# neither modprobe nor depmod.
add_mod() { # add_mod <module name> <load list>: depth-first
	local f b d
	f=$(modinfo -k "$KVER" -F filename "$1" 2>/dev/null) || {
		echo "initramfs.sh: warning: no module $1 for $KVER" >&2; return 0; }
	b=$(basename "$f"); b=${b%.xz}; b=${b%.zst}
	grep -qx "$b" "$2" 2>/dev/null && return 0
	for d in $(modinfo -k "$KVER" -F depends "$1" | tr , ' '); do
		add_mod "$d" "$2"
	done
	case $f in
	*.xz) xz -dc "$f" >"$ROOT/oracle/$b" ;;
	*.zst) zstd -qdc "$f" >"$ROOT/oracle/$b" ;;
	*) cp "$f" "$ROOT/oracle/$b" ;;
	esac
	echo "$b" >>"$2"
}
for m in kvm_amd kvm_intel; do
	: >"$ROOT/oracle/$m.load"
	add_mod "$m" "$ROOT/oracle/$m.load"
done
[ -d "$MODDIR" ] || echo "initramfs.sh: warning: no $MODDIR" >&2

rm -f "$OUT.vmm"
if [ "${VMM_PAYLOAD:-0}" = 1 ]; then
	IK=${VMM_KVER:-}
	[ -n "$IK" ] || IK=$("$HERE/kernels.sh" | grep -m1 '^6\.1\.' || true)
	if "$HERE/qemu-guest/payload.sh" "$ROOT" "${IK:-$KVER}"; then
		awk '!/^#/ && NF { print $1 }' "$HERE/qemu-guest/variants" >"$OUT.vmm.tmp"
	else
		echo "initramfs.sh: warning: no VMM payload" >&2
		rm -rf "$ROOT/vmm"
	fi
fi

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
[ -f "$OUT.vmm.tmp" ] && mv "$OUT.vmm.tmp" "$OUT.vmm"
exit 0
