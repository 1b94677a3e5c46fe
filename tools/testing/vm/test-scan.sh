#!/bin/bash
# test-scan.sh: unit check of run.sh's console parser and kernel-log scan,
# on made-up logs (run.sh NOBOOT=1), so a scanner that misses a WARN or a
# hang is caught without booting anything.  Seconds; run by check.sh.
set -u
{ # bash reads scripts as it runs them: parse all first, so editing this
  # file (git pull) cannot break a run in progress.
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kvmx-scan.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/vm"
K=fake
echo "a_test" >"$T/vm/qemu-$K.cpio.tests"
BAD=0

# A clean boot: two phases, one test, the harmless unsigned-module taint.
clean() {
	printf '%s\r\n' \
	"[    1.0] kvmx: module verification failed: signature and/or required key missing - tainting kernel" \
	"@@STEP insmod kvmx ok" "@@BEGIN a_test kvmx" "ok 1 x" "@@END a_test kvmx rc=0 t=0.50" \
	"@@STEP rmmod kvmx ok" "@@DMESG-BEGIN" \
	"[    1.0] kvmx: module verification failed: signature and/or required key missing - tainting kernel" \
	"$1" "@@DMESG-END" "@@DONE"
}

expect() { # expect <0|1 exit> <regexp in output> <name>   (env VMM: run.sh's)
	local out rc
	out=$(BUILD=$T NOBOOT=1 ORACLE=0 DEMO=0 VMM=${VMM:-0} "$HERE/run.sh" qemu $K 2>&1); rc=$?
	if [ "$rc" != "$1" ] || ! echo "$out" | grep -q -E -- "$2"; then
		echo "test-scan: FAIL $3 (rc=$rc)"; echo "$out" | sed 's/^/  | /'; BAD=1
	fi
}

clean "[    2.0] nothing to see" >"$T/vm/qemu-$K.log"
expect 0 '^ok +qemu-fake dmesg kernel-log$' clean
for l in "WARNING: CPU: 0 PID: 1 at virt/kvmx/x.c:1 f+0x1/0x2 [kvmx]" \
	"BUG: kernel NULL pointer dereference, address: 0000000000000000" \
	"------------[ cut here ]------------" "WARNING: possible circular locking dependency detected" \
	"rcu: INFO: rcu_sched self-detected stall on CPU" "Call Trace:" \
	"BUG: sleeping function called from invalid context at mm/slab.c:1" \
	"general protection fault, probably for non-canonical address"; do
	clean "[    2.0] $l" >"$T/vm/qemu-$K.log"
	expect 1 '^FAIL +qemu-fake dmesg kernel-log' "scan: $l"
done
# Hung test: @@BEGIN, no @@END, no @@DONE; the console is scanned instead.
printf '%s\r\n' "@@STEP insmod kvmx ok" "@@BEGIN a_test kvmx" "[ 9.0] watchdog: BUG: soft lockup - CPU#0 stuck" >"$T/vm/qemu-$K.log"
expect 1 'FAIL +qemu-fake kvmx +a_test +\(no @@END' hang
expect 1 'FAIL +qemu-fake boot +reached-end' hang-end
expect 1 'FAIL +qemu-fake dmesg kernel-log' hang-console
# Failing and skipped tests, timeout, insmod failure.
clean "" | sed 's/rc=0/rc=1/' >"$T/vm/qemu-$K.log"
expect 1 'FAIL +qemu-fake kvmx +a_test +\(rc=1' rc1
clean "" | sed 's/rc=0/rc=4/' >"$T/vm/qemu-$K.log"
expect 0 'skip +qemu-fake kvmx +a_test' skip
clean "" | sed 's/rc=0/rc=137/' >"$T/vm/qemu-$K.log"
expect 1 'FAIL +qemu-fake kvmx +a_test +\(timeout' timeout
clean "" | sed 's/insmod kvmx ok/insmod kvmx FAIL Invalid module format/' >"$T/vm/qemu-$K.log"
expect 1 'FAIL +qemu-fake kvmx +insmod +Invalid module format' insmod

# The nested VMM runs (VMM=1): one line per variant of the .vmm list.
printf '%s\n' v1 v2 >"$T/vm/qemu-$K.cpio.vmm"
vmmlog() { # vmmlog <v1's @@VMM-END tail>: v1 ends so, v2 is ok
	clean "" | sed '/^@@STEP rmmod/,$d'
	printf '%s\r\n' "@@VMM-BEGIN v1 kvmx" "vmm| %%INNER-BOOTED 1.0" "qemu| kvm: oops" \
		${1:+"@@VMM-END v1 kvmx $1"} "@@VMM-BEGIN v2 kvmx" \
		"@@VMM-END v2 kvmx ok boot=20.5 t=31.0 wall=30" "@@STEP rmmod kvmx ok" \
		"@@DMESG-BEGIN" "@@DMESG-END" "@@DONE"
}
vmmlog "ok boot=21.0 t=30.0 wall=29" >"$T/vm/qemu-$K.log"
VMM=1 expect 0 '^ok +qemu-fake kvmx +vmm-v1 +\(boot 21.0s, 30.0s, wall 29s\)' vmm-ok
VMM=1 expect 0 '^ok +qemu-fake kvmx +vmm-v2 ' vmm-ok2
VMM=v2 expect 0 '^ok +qemu-fake kvmx +vmm-v2 ' vmm-select
vmmlog "FAIL boot=- t=1.5 wall=2 qemu rc=1 before the inner /init: kvm: * x" >"$T/vm/qemu-$K.log"
VMM=1 expect 1 '^FAIL +qemu-fake kvmx +vmm-v1 +\(qemu rc=1 before the inner /init: kvm: \* x; boot -s, 1.5s, wall 2s\)' vmm-fail
VMM=1 expect 1 '^ +\| qemu\| kvm: oops' vmm-fail-output
vmmlog "" >"$T/vm/qemu-$K.log"
VMM=1 expect 1 'FAIL +qemu-fake kvmx +vmm-v1 +\(no @@VMM-END' vmm-hang
printf '%s\n' v1 v2 v3 >"$T/vm/qemu-$K.cpio.vmm"
VMM=1 expect 1 'FAIL +qemu-fake kvmx +vmm-v3 +\(never started' vmm-never
rm "$T/vm/qemu-$K.cpio.vmm"
VMM=1 expect 1 'FAIL +qemu-fake kvmx +vmm-payload' vmm-payload

[ $BAD = 0 ] && echo "test-scan: ok"
exit $BAD
}
