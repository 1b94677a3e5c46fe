#!/bin/sh
# /init of the test-bed initramfs (built by initramfs.sh).  Runs as PID 1
# with only busybox.  Everything it prints goes to the serial console, which
# the host (run.sh) parses; lines starting with "@@" are the protocol:
#   @@BEGIN <test> <backend>              a test starts
#   @@END <test> <backend> rc=<n> t=<s>   it ended (t: guest seconds)
#   @@SKIP <test> <backend> <reason>      not run on purpose
#   @@STEP <what> <backend> ok|FAIL [why] insmod/rmmod and friends
#   @@DMESG-BEGIN / @@DMESG-END           the whole kernel log
#   @@DONE                                init got to the end
#   @@VMM-BEGIN / @@VMM-END <variant> <backend> ...   a nested QEMU run
#                                         (see /vmm/vmm.sh, qemu-guest/)
#   @@DEMO-BEGIN <uptime> / @@DEMO-END    kvmx.demo=1: the show, for run.sh
# Kernel command line: kvmx.timeout=<s> (per test), kvmx.oracle=1 (also run
# the tests against the stock KVM), kvmx.demo=1 (short show, no tests:
# the nested boot on kvmx, then the same on the stock KVM, its console live),
# kvmx.vmm=0|1|<variant,...> (after the tests of each phase, boot the
# nested guest with QEMU -accel kvm: every variant, or those named),
# kvmx.vmm_timeout=<s> (per nested run), kvmx.vmm_stall=<s> (silent that
# long: killed), kvmx.vmm_strace=0|1|auto,
# kvmx.vmm_repeat=<n> (every nested run n times), kvmx.notests=1 (only those),
# kvmx.bench=1 (make bench: /bench/guest-bench.sh instead of the tests).

/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# POSIX semaphores and shm (sem_open: upstream's hardware_disable_test).
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# The initramfs has no /dev/console node, so the kernel started us with no
# stdio: take the console now that devtmpfs has it.
exec </dev/console >/dev/console 2>&1

TIMEOUT=60 ORACLE=0 DEMO=0 VMM=0 MODARGS= BENCH=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	# kvmx.modarg=a=b: a module parameter for insmod kvmx.ko (debugging:
	# kvmx.modarg=dyndbg=+p turns on its pr_debug messages).
	kvmx.modarg=*) MODARGS="$MODARGS ${arg#*=}" ;;
	kvmx.timeout=*) TIMEOUT=${arg#*=} ;;
	kvmx.oracle=*) ORACLE=${arg#*=} ;;
	kvmx.demo=*) DEMO=${arg#*=} ;;
	kvmx.vmm=*) VMM=${arg#*=} ;;
	kvmx.vmm_timeout=*) export VMM_TIMEOUT=${arg#*=} ;;
	kvmx.vmm_stall=*) export VMM_STALL=${arg#*=} ;;
	kvmx.vmm_strace=*) export VMM_STRACE=${arg#*=} ;;
	kvmx.vmm_retry=*) export VMM_RETRY=${arg#*=} ;;
	kvmx.vmm_repeat=*) export VMM_REPEAT=${arg#*=} ;;
	kvmx.bench=*) BENCH=${arg#*=} ;;
	esac
done
[ "$VMM" = 1 ] && VMM=all
# The demo's audience watches the nested console as it boots.
[ "$DEMO" = 1 ] && export VMM_LIVE=1

# Test order: initramfs.sh wrote it to /tests/list.
grep -q kvmx.notests=1 /proc/cmdline ||
	TESTS=$(grep -v '^#' /tests/list 2>/dev/null)

now() { cut -d' ' -f1 /proc/uptime; }

step() { # step <what> <backend> <command...>: run it, report ok/FAIL
	what=$1 be=$2; shift 2
	if out=$("$@" 2>&1); then
		mark "@@STEP $what $be ok"
	else
		echo "$out"
		mark "@@STEP $what $be FAIL $(echo "$out" | tail -n 1)"
		return 1
	fi
}

# kvmx-only.txt may name the emulated CPU's extension: "test svm: why".
HVEXT=vmx
grep -qw svm /proc/cpuinfo && HVEXT=svm

run_tests() { # run_tests <backend>
	be=$1
	for t in $TESTS; do
		if [ "$be" = kvm ] && [ -f /kvmx-only.txt ] &&
		   reason=$(grep -E "^$t( $HVEXT)?:" /kvmx-only.txt); then
			mark "@@SKIP $t $be kvmx-only:${reason#*:}"
			continue
		fi
		mark "@@BEGIN $t $be"
		t0=$(now)
		# KILL, not TERM: a test stuck in an ioctl must not outlive it.
		timeout -s KILL "$TIMEOUT" "/tests/$t" </dev/null
		rc=$?
		mark "@@END $t $be rc=$rc t=$(echo "$(now) $t0" | awk '{printf "%.2f", $1 - $2}')"
		# timeout(1) kills the test, not what it forked (upstream's
		# hardware_disable_test): end those too, lest they hold /dev/kvm
		# into the next tests and the rmmod.
		killall -q -KILL "$t" 2>/dev/null
		n=0
		while killall -q -0 "$t" 2>/dev/null && [ $n -lt 20 ]; do
			sleep 1; n=$((n + 1))
		done
	done
}

# insmod a stock module after its dependencies, in the order initramfs.sh
# wrote to /oracle/<module>.load, skipping what is already loaded.
insmod_oracle() { # insmod_oracle <module name>
	[ -f "/oracle/$1.load" ] || { echo "no /oracle/$1.load"; return 1; }
	for f in $(cat "/oracle/$1.load"); do
		grep -q "^$(basename "$f" .ko | tr - _) " /proc/modules ||
			insmod "/oracle/$f" || return 1
	done
}

# The nested VMM: QEMU -accel kvm on this phase's /dev/kvm, per variant.
run_vmm() { # run_vmm <backend> [variants]
	[ "$VMM" != 0 ] || return 0
	if [ -x /vmm/vmm.sh ]; then
		/vmm/vmm.sh "$1" "${2:-$VMM}"
	else
		mark "@@STEP vmm-payload $1 FAIL no /vmm/vmm.sh in the initramfs"
	fi
}

# Kernel messages can land in the middle of a line still in the tty buffer
# (Bochs' UART is slow): wait until the console has sent everything, so a
# marker is whole before the next step logs.  stty sets attributes with
# TCSADRAIN.
drain() { stty cs8 2>/dev/null; }
mark() { echo "$@"; drain; }

mark "@@BOOTED $(uname -r) timeout=$TIMEOUT oracle=$ORACLE"
grep -q -w vmx /proc/cpuinfo && VENDOR=intel
grep -q -w svm /proc/cpuinfo && VENDOR=amd
mark "@@CPU ${VENDOR:-none} $(grep -m1 'model name' /proc/cpuinfo)"

# ---- make bench (tools/testing/bench/): its own rounds, no tests --------
if [ "$BENCH" = 1 ]; then
	VENDOR=$VENDOR MODARGS=$MODARGS VMM=$VMM /bench/guest-bench.sh ||
		mark "@@STEP bench-script none FAIL /bench/guest-bench.sh rc=$?"
	mark "@@DMESG-BEGIN"
	dmesg
	mark "@@DMESG-END"
	mark "@@DONE"
	sync
	poweroff -f
fi

# ---- phase kvmx --------------------------------------------------------
# The demo's start: how long the emulated machine took to come up.
# Its kernel messages reach the console by themselves.
if [ "$DEMO" = 1 ]; then
	mark "@@DEMO-BEGIN $(now)"
	echo "# insmod /kvmx.ko"
fi
if [ ! -f /kvmx.ko ]; then
	mark "@@STEP insmod kvmx FAIL /kvmx.ko not in initramfs (module not built?)"
elif step insmod kvmx insmod /kvmx.ko $MODARGS; then
	if [ -c /dev/kvm ]; then
		mark "@@STEP dev_kvm kvmx ok"
	else
		mark "@@STEP dev_kvm kvmx FAIL /dev/kvm missing after insmod"
	fi
	if [ "$DEMO" = 1 ]; then
		echo "# ls -l /dev/kvm"
		ls -l /dev/kvm
		if [ "$VMM" != 0 ]; then
			echo "# QEMU -accel kvm on kvmx: boot Linux $(uname -r) nested, write to its virtio disk"
			run_vmm kvmx
		else
			# No nested boot: the first selftest instead.
			t=$(echo $TESTS | cut -d' ' -f1)
			[ -n "$t" ] && echo "# /tests/$t" && timeout -s KILL "$TIMEOUT" "/tests/$t"
		fi
		echo "# rmmod kvmx"
		step rmmod kvmx rmmod kvmx
	else
		run_tests kvmx
		run_vmm kvmx
		step rmmod kvmx rmmod kvmx
	fi
fi

# ---- phase kvm (oracle: the stock KVM on the same tests) ---------------
# The demo runs its nested boot there too, for comparison, and no tests.
if { [ "$ORACLE" = 1 ] && [ "$DEMO" != 1 ]; } ||
   { [ "$DEMO" = 1 ] && [ "$VMM" != 0 ]; }; then
	[ "$DEMO" = 1 ] && echo "# insmod kvm_$VENDOR: Debian's KVM, for comparison"
	if step insmod kvm insmod_oracle "kvm_$VENDOR"; then
		# Under QEMU TCG, toggling SVM on/off (KVM 6.1 does so whenever the
		# last VM closes) wedges the machine after ~45 cycles: keep one
		# idle VM open for the whole phase.
		if [ -x /kvm-hold ]; then
			/kvm-hold </dev/null &
			HOLD=$!
		fi
		if [ "$DEMO" = 1 ]; then
			echo "# QEMU -accel kvm on kvm_$VENDOR: the same nested boot"
		else
			run_tests kvm
		fi
		run_vmm kvm
		[ -n "$HOLD" ] && kill "$HOLD"
	fi
fi
[ "$DEMO" = 1 ] && mark "@@DEMO-END"

# The whole kernel log, for the host to scan: the console may have missed
# lines (loglevel) and the host needs every warning.
mark "@@DMESG-BEGIN"
dmesg
mark "@@DMESG-END"
mark "@@DONE"
sync
poweroff -f
