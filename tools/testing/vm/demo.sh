#!/bin/sh
# demo.sh: the body of `make demo`.  Build, boot the QEMU SVM machine once
# with the 6.1 kernel, and show in the guest: insmod kvmx, ls -l /dev/kvm,
# the first selftest's output, rmmod.  The whole console is in
# build/vm/qemu-<kver>.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../.."
make -s kmods && make -s selftests || echo "demo: build failed, booting what there is" >&2
KVER=$("$HERE/kernels.sh" | head -n 1)
[ -n "$KVER" ] || { echo "demo: no test kernel; run tools/testing/vm/deps.sh" >&2; exit 1; }
echo "== booting $KVER under QEMU (TCG, AMD SVM)"
DEMO=1 exec "$HERE/run.sh" qemu "$KVER"
