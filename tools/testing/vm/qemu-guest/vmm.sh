#!/bin/sh
# vmm.sh BACKEND [VARIANTS]   (in the outer test-bed guest, busybox sh)
# Boot the nested guest with Debian's qemu-system-x86_64 -accel kvm on
# whatever /dev/kvm is now (kvmx, or the stock KVM: BACKEND names it), once
# per variant of /vmm/variants (VARIANTS: "all", or names joined by ",").
# Each run gets an 8 MiB raw virtio-blk disk; the inner /init
# (inner-init.sh) writes "kvmx-ok-<variant>-<backend>" to it and powers
# off.  Prints, for run.sh:
#   @@VMM-BEGIN <variant> <backend>
#   # <the QEMU command>
#   vmm|    the nested guest's serial console
#   qemu|   QEMU's stdout/stderr
#   kmsg|   kernel messages of this (outer) machine during the run
#   stack|  QEMU's threads' kernel stacks when it had to be killed
#   mon|    its monitor's view of the stalled guest (registers, PIC, APIC)
#   strace| the end of an strace -e kvm=vcpu rerun, after an early failure
#   @@VMM-END <variant> <backend> ok|FAIL boot=<s> t=<s> wall=<s> kernel=<s> [why]
# boot: QEMU start to the inner /init (guest seconds; "-" if never);
# kernel: QEMU start to the nested console's first byte: the kernel has
# started (VMM_LIVE's early console) or its serial driver is up ("-": never);
# t: QEMU start to its exit; wall: the same by the RTC, which follows the
# host's clock (whole seconds): the guest clock is off where the kernel
# misjudges the TSC under TCG (6.12 does, ~3x fast).  ok needs the inner
# %%INNER-DONE, the marker on the disk, and QEMU exiting 0 by itself.
# Env: VMM_TIMEOUT per run (s, default 240); VMM_STALL kill after that many
# s without console output (90); VMM_STRACE 1 always / 0 never / auto
# (default: rerun under strace when QEMU failed by itself within 60 s);
# VMM_REPEAT all of it that many times (chasing a rare failure);
# VMM_RETRY=0: no second try after a failed run (default 1: one more).
# VMM_LIVE=1 (make demo): the nested console goes out as it grows, not
# after QEMU's exit, so whoever watches the outer console sees Linux boot.
# It also gives the nested kernel an early console, so its first line
# comes out when it starts, not when its serial driver is up.
BE=$1 SEL=${2:-all}
EARLY=
[ "${VMM_LIVE:-0}" = 1 ] && EARLY=" earlyprintk=ttyS0"
T=${VMM_TIMEOUT:-240} STALL=${VMM_STALL:-90} STRACE=${VMM_STRACE:-auto}
QEMU=/vmm/qemu-system-x86_64

now() { cut -d' ' -f1 /proc/uptime; }
rtc() { cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || echo 0; }
since() { echo "$(now) $1" | awk '{printf "%.1f", $1 - $2}'; }
ge() { echo "$1 $2" | awk '{exit !($1 >= $2)}'; }
mark() { echo "$@"; stty cs8 2>/dev/null; }
alive() { # a process that exists and is not a zombie
	[ -r "/proc/$1/stat" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
tree() { # tree <pid>: it and its descendants (strace's QEMU)
	local p
	echo "$1"
	for p in $(awk -v pp="$1" '$4 == pp { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
		tree "$p"
	done
}
stacks() { # stacks <pid>: where each thread of the tree is in the kernel
	local p t
	for p in $(tree "$1"); do
		for t in /proc/"$p"/task/*; do
			echo "$p/${t##*/} $(cat "$t/comm" 2>/dev/null) $(grep '^State:' "$t/status" 2>/dev/null)"
			sed 's/^/  /' "$t/stack" 2>/dev/null
		done
	done
}
prefix() { # prefix <tag> <file> [tail lines]
	[ -s "$2" ] || return 0
	if [ -n "$3" ]; then tail -n "$3" "$2"; else cat "$2"; fi |
		tr -d '\r' | sed "s/^/$1| /"
	stty cs8 2>/dev/null
}

# live <file> <stop file>: copy what <file> gains, until <stop file> exists
# and everything has gone out.  Own offset, not tail -f: ended by a file,
# nothing is lost or sent twice.
live() {
	local off=0 s
	while :; do
		s=$(wc -c <"$1")
		if [ "$s" -gt "$off" ]; then
			tail -c +$((off + 1)) "$1" | head -c $((s - off))
			off=$s
		elif [ -e "$2" ]; then
			break
		else
			sleep 0.3
		fi
	done
}

monitor() { # monitor <dir>: the stalled guest's state, from QEMU's monitor
	local reader
	timeout 5 cat "$1/mon.out" >"$1/monitor" 2>/dev/null &
	reader=$!
	printf 'info registers -a\ninfo pic\ninfo lapic\ninfo irq\n' |
		timeout 5 tee "$1/mon.in" >/dev/null 2>&1
	# Not a bare wait: that would wait for QEMU too.
	wait $reader
}

# run <dir> <tag> <strace 0|1> <variant options...>: one QEMU run.  Sets
# RC (exit status), KILLED (why it was killed, or empty), KERNEL, BOOT,
# TOTAL, WALL.
run() {
	local dir=$1 tag=$2 st=$3 pid t0 size=0 s last lpid=
	shift 3
	rm -rf "$dir"; mkdir -p "$dir"
	: >"$dir/console"
	mkfifo "$dir/mon.in" "$dir/mon.out"
	dd if=/dev/zero of="$dir/disk.img" bs=1M count=8 2>/dev/null
	set -- "$QEMU" -L /vmm/share -accel kvm "$@" \
		-name "$tag,debug-threads=on" \
		-nodefaults -display none -no-reboot -net none \
		-serial "file:$dir/console" -monitor "pipe:$dir/mon" \
		-kernel /vmm/vmlinuz -initrd /vmm/inner.cpio \
		-append "console=ttyS0 panic=-1 vmm.tag=$tag$EARLY" \
		-drive "file=$dir/disk.img,if=virtio,format=raw"
	echo "# $*"
	[ "$st" = 1 ] && set -- /vmm/strace -f -tt -o "$dir/strace" \
		-e trace=ioctl,exit_group -e kvm=vcpu "$@"
	dmesg | wc -l >"$dir/kmsg0"
	if [ "${VMM_LIVE:-0}" = 1 ]; then
		# sed's output is the console, a tty: line-buffered, so a line
		# goes out whole, with its prefix, once complete.
		live "$dir/console" "$dir/live.stop" | tr -d '\r' | sed 's/^/vmm| /' &
		lpid=$!
	fi
	t0=$(now) last=$t0 KERNEL=- BOOT=- KILLED= w0=$(rtc)
	"$@" </dev/null >"$dir/qemu.log" 2>&1 &
	pid=$!
	while alive $pid; do
		sleep 0.5
		[ "$BOOT" = - ] && grep -q '^%%INNER-BOOTED' "$dir/console" && BOOT=$(since "$t0")
		s=$(wc -c <"$dir/console")
		[ "$KERNEL" = - ] && [ "$s" -gt 0 ] && KERNEL=$(since "$t0")
		[ "$s" != "$size" ] && size=$s last=$(now)
		if ge "$(since "$t0")" "$T"; then
			KILLED="timeout after ${T}s"
		elif ge "$(since "$last")" "$STALL"; then
			KILLED="stalled: no console output for ${STALL}s"
		fi
		[ -n "$KILLED" ] && break
	done
	RC=
	if [ -n "$KILLED" ]; then
		# Where QEMU's threads are (a vCPU thread stuck in KVM_RUN shows
		# the module's functions), then kill.  One that does not die is
		# stuck in the kernel: do not wait for it.
		stacks $pid >"$dir/stack"
		monitor "$dir"
		kill -KILL $(tree $pid) 2>/dev/null
		s=0
		while alive $pid && [ $s -lt 20 ]; do sleep 0.5; s=$((s + 1)); done
		if alive $pid; then
			KILLED="$KILLED; QEMU does not die after SIGKILL (stuck in the kernel)"
			stacks $pid >>"$dir/stack"
			RC=137
		fi
	fi
	if [ -z "$RC" ]; then
		wait $pid
		RC=$?
	fi
	TOTAL=$(since "$t0") WALL=$(($(rtc) - w0))
	# A guest that printed only at the end, between two polls.
	[ "$KERNEL" = - ] && [ -s "$dir/console" ] && KERNEL=$TOTAL
	dmesg | tail -n +$(($(cat "$dir/kmsg0") + 1)) >"$dir/kmsg"
	if [ -n "$lpid" ]; then
		: >"$dir/live.stop"
		wait $lpid
		stty cs8 2>/dev/null
	fi
}

# verdict <dir> <tag>: set why to what went wrong with the last run (empty
# if it is ok).
verdict() {
	local dir=$1 tag=$2 disk con
	disk=$(dd if="$dir/disk.img" bs=64 count=1 2>/dev/null | tr -d '\000' | head -n 1)
	con=$(tr -d '\r' <"$dir/console")
	why=
	if [ -n "$KILLED" ]; then
		why=$KILLED
		[ "$BOOT" != - ] && why="$why (the inner /init had started)"
	elif [ "$BOOT" = - ] && [ "$RC" != 0 ]; then
		# QEMU's first error (not a warning) is the cause, usually.
		why="qemu rc=$RC before the inner /init: $(grep -v -e '^ *$' -e 'warning:' "$dir/qemu.log" | head -n 1)"
	elif ! echo "$con" | grep -q '^%%INNER-DONE'; then
		why="no %%INNER-DONE from the inner guest (qemu rc=$RC)"
	elif [ "$disk" != "kvmx-ok-$tag" ]; then
		why="disk marker missing (read '$disk'; $(echo "$con" | grep -m1 '^%%INNER-DISK'))"
	elif [ "$RC" != 0 ]; then
		why="qemu rc=$RC after the inner guest was done"
	fi
}

i=0
while [ $i -lt "${VMM_REPEAT:-1}" ]; do i=$((i + 1))
grep -v '^#' /vmm/variants | while read -r name opts; do
	[ -n "$name" ] || continue
	case ",$SEL," in ,all,|*,$name,*) ;; *) continue ;; esac
	tag=$name-$BE dir=/tmp/vmm/$name-$BE
	mark "@@VMM-BEGIN $name $BE"
	st=0; [ "$STRACE" = 1 ] && st=1
	# shellcheck disable=SC2086 # opts: one word per option
	run "$dir" "$tag" $st $opts
	verdict "$dir" "$tag"
	# A nested boot that fails is run once more, in the open: under TCG
	# about one loaded boot in 20-30 stalls (seen on kvmx and on KVM, some
	# with the outer CPU taking no interrupt at all: an RCU stall, no NMI
	# backtrace) or, on kvmx, resets (a triple fault; not understood).  The first try's state
	# stays in the log (with kvmx's "triple fault at RIP" line, if any),
	# and the result line says the boot was retried; a second failure
	# fails.
	retried=
	if [ -n "$why" ] && [ "${VMM_RETRY:-1}" = 1 ]; then
		retried="retried after: $why"
		echo "# $name on $BE: $why; what it looked like, then once more:"
		prefix vmm "$dir/console" 40
		prefix qemu "$dir/qemu.log" 20
		prefix kmsg "$dir/kmsg"
		prefix stack "$dir/stack"
		prefix mon "$dir/monitor"
		# shellcheck disable=SC2086
		run "$dir" "$tag" $st $opts
		verdict "$dir" "$tag"
	fi
	[ "${VMM_LIVE:-0}" = 1 ] || prefix vmm "$dir/console"
	prefix qemu "$dir/qemu.log"
	prefix kmsg "$dir/kmsg"
	prefix stack "$dir/stack"
	prefix mon "$dir/monitor"
	[ "$st" = 1 ] && prefix strace "$dir/strace" 60

	# An early failure of QEMU itself: once more under strace, for the
	# last KVM ioctls and exits (strace decodes KVM_RUN exit reasons).
	if [ -n "$why" ] && [ "$STRACE" = auto ] && [ -z "$KILLED" ] &&
	   ge 60 "$TOTAL"; then
		echo "# again under strace -e kvm=vcpu:"
		# shellcheck disable=SC2086
		(VMM_LIVE=0 run "$dir.strace" "$tag" 1 $opts
		 echo "# rc=$RC t=${TOTAL}s"
		 if cmp -s "$dir/qemu.log" "$dir.strace/qemu.log"; then
			echo "# (QEMU said the same)"
		 else
			prefix qemu "$dir.strace/qemu.log" 20
		 fi
		 prefix strace "$dir.strace/strace" 60)
	fi

	if [ -z "$why" ]; then
		mark "@@VMM-END $name $BE ok boot=$BOOT t=$TOTAL wall=$WALL kernel=$KERNEL $retried"
	else
		mark "@@VMM-END $name $BE FAIL boot=$BOOT t=$TOTAL wall=$WALL kernel=$KERNEL $why${retried:+ ($retried)}"
	fi
	rm -f "$dir/disk.img" "$dir.strace/disk.img"
done
done
