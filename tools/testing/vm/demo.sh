#!/bin/sh
# demo.sh: the body of `make demo`.  Build, boot the QEMU SVM machine once
# with the 6.1 kernel, and show in the guest: insmod kvmx, ls -l /dev/kvm,
# the first selftest's output, then the main act: Debian's unmodified
# qemu-system-x86_64 -accel kvm on kvmx booting Linux 6.1 nested, which
# prints its uname, the hypervisor it detects and its clocksource and
# writes a marker to its virtio disk (run.sh VMM, qemu-guest/); rmmod.
# Where kvmx cannot do that yet, the demo shows where it stops (QEMU's
# error, the last KVM ioctls under strace) and reports it as FAIL.
# VMM=0: no nested boot.  The whole console is in build/vm/qemu-<kver>.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../.."
make -s kmods && make -s selftests || echo "demo: build failed, booting what there is" >&2
KVER=$("$HERE/kernels.sh" | head -n 1)
[ -n "$KVER" ] || { echo "demo: no test kernel; run tools/testing/vm/deps.sh" >&2; exit 1; }
echo "== booting $KVER under QEMU (TCG, AMD SVM); inside it, QEMU -accel kvm on kvmx"
DEMO=1 exec "$HERE/run.sh" qemu "$KVER"
