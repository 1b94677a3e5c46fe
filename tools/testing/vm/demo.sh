#!/bin/sh
# demo.sh: the body of `make demo`.  Build, boot the QEMU SVM machine once
# with the 6.1 kernel and show, live: insmod kvmx, ls -l /dev/kvm, then
# the main act: Debian's unmodified qemu-system-x86_64 -accel kvm on kvmx
# booting Linux 6.1 nested (its console scrolls as it boots; it prints its
# uname, the hypervisor it detects, its clocksource, its timer interrupts,
# and writes a marker to its virtio disk: run.sh VMM, qemu-guest/); rmmod;
# the same nested boot on Debian's KVM (kvm_amd); and last a table of
# both boots' times side by side.  Where kvmx cannot do that yet, the demo
# shows where it stops (QEMU's error, the last KVM ioctls under strace)
# and reports it as FAIL.  VMM=0: no nested boot, a selftest instead.
# BUILD: a build tree other than build/.  The whole console is in
# $BUILD/vm/qemu-<kver>.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../.."
KVER=$("$HERE/kernels.sh" | head -n 1)
[ -n "$KVER" ] || { echo "demo: no test kernel; run tools/testing/vm/deps.sh" >&2; exit 1; }
# Only the kernel that boots.
make -s kmods KVERS="$KVER" ${BUILD:+BUILD="$BUILD"} &&
	make -s selftests ${BUILD:+BUILD="$BUILD"} ||
	echo "demo: build failed, booting what there is" >&2
echo "== booting $KVER under QEMU (TCG, AMD SVM); inside it, QEMU -accel kvm on kvmx, then on KVM"
DEMO=1 exec "$HERE/run.sh" qemu "$KVER"
