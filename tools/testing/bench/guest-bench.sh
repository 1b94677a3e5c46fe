#!/bin/sh
# /bench/guest-bench.sh: the rounds of `make bench`, in the outer test-bed
# guest (busybox sh), run by guest-init.sh instead of the tests when the
# kernel command line has kvmx.bench=1 (run.sh BENCH=1).
#
# The backends alternate, one module loaded at a time:
#   round 1: kvmx, kvm;  round 2: kvmx, kvm;  ...
# Each phase: insmod, kvm-hold (one idle VM for the whole phase: KVM 6.1
# turns SVM off when its last VM goes, and QEMU TCG wedges after ~45 such
# cycles; kvmx gets one too, for symmetry), kvmx-bench, in round 1 the
# nested QEMU boot of /vmm/vmm.sh (kvmx.vmm=<variants>), rmmod.
#
# Env from guest-init.sh: VENDOR (amd|intel), MODARGS (for kvmx.ko), VMM.
# Kernel command line: kvmx.bench_rounds=<n> (3), kvmx.bench_scale=<x>
# (iteration counts times x, 1), kvmx.bench_what=<a,b> (kvmx-bench's
# benchmarks: exits, wake, mem, dirty, lifecycle, footprint; all),
# kvmx.bench_mem=<MiB> (fault-in size with 2M pages; default 1024 if RAM
# allows, else 512), kvmx.bench_mem4k=<MiB> (with 4K pages; 128),
# kvmx.bench_dirty=<MiB> (the dirty-logged slot; 32),
# kvmx.bench_timeout=<s> (per kvmx-bench run, 900).
#
# Prints kvmx-bench's @@BENCH lines, @@BENCH-INFO lines, and for run.sh
# @@STEP insmod/rmmod/bench-r<n> <backend> ok|FAIL and vmm.sh's @@VMM-*.

ROUNDS=3 SCALE=1 WHAT=all MEM= BT=900
for arg in $(cat /proc/cmdline); do
	case $arg in
	kvmx.bench_rounds=*) ROUNDS=${arg#*=} ;;
	kvmx.bench_scale=*) SCALE=${arg#*=} ;;
	kvmx.bench_what=*) WHAT=$(echo "${arg#*=}" | tr , ' ') ;;
	kvmx.bench_mem=*) MEM="$MEM -m ${arg#*=}" ;;
	kvmx.bench_mem4k=*) MEM="$MEM -M ${arg#*=}" ;;
	kvmx.bench_dirty=*) MEM="$MEM -d ${arg#*=}" ;;
	kvmx.bench_timeout=*) BT=${arg#*=} ;;
	esac
done

mark() { echo "$@"; stty cs8 2>/dev/null; }
now() { cut -d' ' -f1 /proc/uptime; }
step() { # step <what> <backend> <command...>
	what=$1 be=$2; shift 2
	if out=$("$@" 2>&1); then
		mark "@@STEP $what $be ok"
	else
		echo "$out"
		mark "@@STEP $what $be FAIL $(echo "$out" | tail -n 1)"
		return 1
	fi
}

LOADLIST=/oracle/kvm_$VENDOR.load
load() { # load <backend>
	if [ "$1" = kvmx ]; then
		# shellcheck disable=SC2086
		insmod /kvmx.ko $MODARGS
	else
		for f in $(cat "$LOADLIST"); do
			grep -q "^$(basename "$f" .ko | tr - _) " /proc/modules ||
				insmod "/oracle/$f" || return 1
		done
	fi
}
unload() { # unload <backend>: the stock one with its dependencies
	if [ "$1" = kvmx ]; then
		rmmod kvmx
	else
		for f in $(sed '1!G;h;$!d' "$LOADLIST"); do
			m=$(basename "$f" .ko | tr - _)
			grep -q "^$m " /proc/modules || continue
			case $m in kvm|kvm_*) rmmod "$m" || return 1 ;; *) rmmod "$m" 2>/dev/null ;; esac
		done
	fi
}

mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
mark "@@BENCH-INFO kernel $(uname -r)"
mark "@@BENCH-INFO cpu $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') x$(grep -c ^processor /proc/cpuinfo)"
mark "@@BENCH-INFO mem $(grep MemTotal /proc/meminfo | tr -s ' ')"
mark "@@BENCH-INFO thp $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
mark "@@BENCH-INFO rounds=$ROUNDS scale=$SCALE what=$WHAT vmm=$VMM"

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for be in kvmx kvm; do
		step insmod "$be" load "$be" || continue
		/bench/kvm-hold </dev/null &
		HOLD=$!
		t0=$(now)
		# shellcheck disable=SC2086
		timeout -s KILL "$BT" /bench/kvmx-bench -b "$be" -r "$r" -s "$SCALE" $MEM $WHAT </dev/null
		rc=$?
		t=$(echo "$(now) $t0" | awk '{printf "%.1f", $1 - $2}')
		if [ $rc = 0 ]; then
			mark "@@STEP bench-r$r $be ok"
		else
			mark "@@STEP bench-r$r $be FAIL kvmx-bench rc=$rc after ${t}s"
		fi
		mark "@@BENCH-INFO time r=$r be=$be kvmx-bench ${t}s"
		if [ "$r" = 1 ] && [ "$VMM" != 0 ]; then
			if [ -x /vmm/vmm.sh ]; then
				/vmm/vmm.sh "$be" "$VMM"
			else
				mark "@@STEP vmm-payload $be FAIL no /vmm/vmm.sh in the initramfs"
			fi
		fi
		kill "$HOLD"
		wait "$HOLD" 2>/dev/null
		step rmmod "$be" unload "$be"
	done
	r=$((r + 1))
done
