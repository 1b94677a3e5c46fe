#!/bin/bash
# run.sh MACHINE KVER      MACHINE: qemu (TCG, AMD SVM+NPT) | bochs (Intel VMX+EPT)
# Boot KVER's Debian kernel in an emulator with the test initramfs, capture
# the serial console to build/vm/<machine>-<kver>.log, and turn it into one
# line per result:
#   ok|FAIL|skip  <machine>-<kver>  <backend>  <test>  (time)
# Exits non-zero if anything failed: a test, a missing @@END (hang), insmod
# or rmmod, the boot not reaching @@DONE, or a bad kernel log.
# Env: ORACLE=1 also runs the tests on the stock KVM in the same boot;
#      TIMEOUT per-test seconds (guest clock); WATCHDOG whole-boot seconds;
#      DEMO=1 (demo.sh) boots for a short show instead of the tests: one
#      nested boot on kvmx, then on the stock KVM, the nested console live
#      on stdout, and a table of their times;
#      VMM=1 (default for qemu) | 0 | <variant,...>: after the tests of each
#      phase, Debian's QEMU -accel kvm boots a nested Linux on that phase's
#      /dev/kvm (qemu-guest/), one result line per variant "vmm-<variant>";
#      Bochs runs none unless E2E=1;
#      E2E=1 (make check-vmx-e2e): only the nested boot (NOTESTS=1; VMM
#      default: the first variant), on Bochs with room for its slowness;
#      VMM_TIMEOUT per nested run (guest seconds, default 240; Bochs 2400);
#      VMM_STALL kill a nested run silent that long (90; Bochs 600);
#      VMM_STRACE=1|0|auto (default auto: rerun an early failure under strace);
#      VMM_RETRY=0: a failed nested run is not tried a second time;
#      VMM_REPEAT=n every nested run n times, NOTESTS=1 no tests but those;
#      STALL: end the boot after that many seconds without console output;
#      EXTRA_TESTS a directory of more tests (default
#      $BUILD/conformance/check-MACHINE, see initramfs.sh).
#      BENCH=1 (make bench, tools/testing/bench/): the guest runs
#      $BUILD/bench/guest-bench.sh instead of the tests; BENCH_ARGS more
#      kernel command line for it (kvmx.bench_rounds=3 ...);
#      ICOUNT=1 (qemu): -icount shift=0,sleep=off -smp 1, the guest clock
#      counts instructions (runs repeat exactly, slower).
set -u
{ # bash reads scripts as it runs them: parse all first, so editing this
  # file (git pull) cannot break a run in progress.
[ $# -eq 2 ] || { echo "usage: $0 qemu|bochs KVER" >&2; exit 2; }
MACHINE=$1 KVER=$2
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
BUILD=${BUILD:-$TOP/build}  # env override: a private tree while others rebuild
VM=$BUILD/vm
NAME=$MACHINE-$KVER
LOG=$VM/$NAME.log
INITRD=$VM/$NAME.cpio
ORACLE=${ORACLE:-0} DEMO=${DEMO:-0} E2E=${E2E:-0}
KERNEL=/boot/vmlinuz-$KVER
WD_SET=${WATCHDOG:+1}

# E2E: the nested boot is the test; the first variant unless told.
FIRST_VARIANT=$(awk '!/^#/ && NF { print $1; exit }' "$HERE/qemu-guest/variants")
[ "$E2E" = 1 ] && : "${VMM:=$FIRST_VARIANT}" "${NOTESTS:=1}"
case $MACHINE in
qemu)  : "${TIMEOUT:=120}" "${WATCHDOG:=600}" "${VMM:=1}" ;;
# Bochs runs a few tens of MIPS: everything takes ~20x longer than TCG.
# A nested boot there takes 10-30 minutes: only when asked (E2E=1),
# never in make check's Bochs lane.
bochs) : "${TIMEOUT:=600}" "${WATCHDOG:=1800}" "${VMM_TIMEOUT:=2400}" "${VMM_STALL:=600}"
	[ "$E2E" = 1 ] || VMM=0 ;;
*) echo "run.sh: unknown machine $MACHINE" >&2; exit 2 ;;
esac
: "${VMM_TIMEOUT:=240}"
[ "$VMM" = all ] && VMM=1
# The demo shows one nested boot on kvmx and on KVM: the first variant.
[ "$DEMO" = 1 ] && [ "$VMM" = 1 ] && VMM=$FIRST_VARIANT
mkdir -p "$VM"
if [ "${NOBOOT:-0}" != 1 ]; then   # NOBOOT=1: only parse the last log again
	[ -f "$KERNEL" ] || { echo "run.sh: no $KERNEL" >&2; exit 2; }
	# The upstream KVM selftests that kvmx must pass on this machine
	# (tools/testing/conformance/must-pass*.txt), staged by check.sh.
	EXTRA_TESTS=${EXTRA_TESTS-$BUILD/conformance/check-$MACHINE} \
	VMM_PAYLOAD=$([ "$VMM" = 0 ] && echo 0 || echo 1) \
	BENCH_DIR=$([ "${BENCH:-0}" = 1 ] && echo "$BUILD/bench") \
		BUILD=$BUILD "$HERE/initramfs.sh" "$KVER" "$INITRD" || exit 1
fi
# The nested runs expected: every variant of the payload, or those in VMM.
VARIANTS=
if [ "$VMM" != 0 ] && [ -f "$INITRD.vmm" ]; then
	VARIANTS=$(cat "$INITRD.vmm")
	[ "$VMM" = 1 ] || VARIANTS=$(echo "$VARIANTS" | grep -x -F "$(echo "$VMM" | tr , '\n')")
fi
# Room in the watchdog for each nested run in each phase: its timeout, an
# strace rerun, slack.  Bochs: twice that, its clock may lag the host's.
if [ -z "$WD_SET" ] && [ -n "$VARIANTS" ]; then
	n=$(echo "$VARIANTS" | wc -l)
	[ "$ORACLE" = 1 ] || [ "$DEMO" = 1 ] && n=$((n * 2))
	[ "$MACHINE" = bochs ] && n=$((n * 2))
	WATCHDOG=$((WATCHDOG + n * ${VMM_REPEAT:-1} * (VMM_TIMEOUT + 90)))
fi

# panic=-1: reboot at once on panic, which ends QEMU (-no-reboot) and which
# the watcher below catches for Bochs.  No oops=panic: an oops is reported,
# and the rest of the tests still run.  log_buf_len: room for the whole log
# that the guest dumps at the end.
CMDLINE="console=ttyS0 tsc=reliable panic=-1 log_buf_len=8M sysrq_always_enabled"
CMDLINE="$CMDLINE kvmx.timeout=$TIMEOUT kvmx.oracle=$ORACLE kvmx.demo=$DEMO"
# MODARGS="a=1 dyndbg=+p": parameters for insmod kvmx.ko.
for a in ${MODARGS:-}; do CMDLINE="$CMDLINE kvmx.modarg=$a"; done
CMDLINE="$CMDLINE kvmx.vmm=$VMM kvmx.vmm_timeout=$VMM_TIMEOUT${VMM_STRACE:+ kvmx.vmm_strace=$VMM_STRACE}${VMM_RETRY:+ kvmx.vmm_retry=$VMM_RETRY}"
CMDLINE="$CMDLINE${VMM_STALL:+ kvmx.vmm_stall=$VMM_STALL}"
CMDLINE="$CMDLINE${VMM_REPEAT:+ kvmx.vmm_repeat=$VMM_REPEAT}${NOTESTS:+ kvmx.notests=1}"
[ "${BENCH:-0}" = 1 ] && CMDLINE="$CMDLINE kvmx.bench=1${BENCH_ARGS:+ $BENCH_ARGS}"

boot_qemu() {
	# -cpu max under TCG has SVM with NPT; -accel tcg because this host
	# has no /dev/kvm of its own.
	# ICOUNT=1 (make bench): one instruction, one ns of guest time.  One
	# vCPU: with icount QEMU runs the vCPUs round-robin on one thread, and
	# Linux hangs bringing up the second one ("Booting SMP configuration").
	local smp=2 icount=
	[ "${ICOUNT:-0}" = 1 ] && smp=1 icount="-icount shift=0,sleep=off"
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -cpu max -smp $smp -m 2G $icount \
		-display none -vga none -monitor unix:$VM/$NAME.mon,server=on,wait=off -no-reboot \
		-serial "file:$LOG" \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" \
		</dev/null >"$VM/$NAME.emu.log" 2>&1
}

boot_bochs() {
	# Bochs has no -kernel: boot isolinux from a CD image.  Files are
	# grafted, not copied.
	local iso=$VM/$NAME.iso cfg=$VM/$NAME.isolinux.cfg rc=$VM/$NAME.rc
	printf '%s\n' "SERIAL 0 115200" "DEFAULT linux" "PROMPT 0" "TIMEOUT 0" \
		"LABEL linux" "  KERNEL /vmlinuz" "  INITRD /initrd" \
		"  APPEND $CMDLINE" >"$cfg"
	xorriso -as mkisofs -quiet -o "$iso" -graft-points \
		-b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table \
		isolinux/isolinux.bin=/usr/lib/ISOLINUX/isolinux.bin \
		isolinux/ldlinux.c32=/usr/lib/syslinux/modules/bios/ldlinux.c32 \
		isolinux/isolinux.cfg="$cfg" \
		vmlinuz="$KERNEL" initrd="$INITRD" 2>"$VM/$NAME.xorriso.log" ||
		{ cat "$VM/$NAME.xorriso.log"; return 1; }
	# corei7_haswell_4770: VMX with EPT, unrestricted guest and VPID.
	# (corei7_skylake_x makes Linux WARN about its XSAVE size.)
	# rfb is the only headless display this bochs has; timeout=0: do not
	# wait for a viewer.  sync=none + ips near the real speed: as fast as
	# possible, guest seconds roughly wall seconds.
	cat >"$VM/$NAME.bochsrc" <<-EOF
	megs: 1024
	cpu: model=corei7_haswell_4770, count=1, ips=50000000, reset_on_triple_fault=1
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	ata0-master: type=cdrom, path="$iso", status=inserted
	boot: cdrom
	display_library: rfb, options="timeout=0"
	clock: sync=none, time0=local
	com1: enabled=1, mode=file, dev="$LOG"
	mouse: enabled=0
	log: "$VM/$NAME.bochs.log"
	panic: action=fatal
	error: action=report
	info: action=report
	debug: action=ignore
	EOF
	# Debian's bochs has the internal debugger: continue, then quit.
	printf 'c\nq\n' >"$rc"
	bochs -q -f "$VM/$NAME.bochsrc" -rc "$rc" </dev/null >"$VM/$NAME.emu.log" 2>&1
}

# The demo's part of the console (stdin), for a reader: what the guest
# shows between @@DEMO-BEGIN and @@DEMO-END, the nested console included,
# line by line as it comes.  Markers are left out, and kmsg| (the outer
# kernel's messages: on the console already); of an strace, its end;
# QEMU's "host doesn't support requested feature" warnings, one line.
# mawk reads a pipe a block at a time unless interactive.
demo_filter() {
	local awk=awk
	awk -W version 2>&1 | grep -q mawk && awk="awk -W interactive"
	$awk '
	function out(s) { print s; fflush() }
	function flush(i) {
		for (i = (ns > 15 ? ns - 14 : 1); i <= ns; i++) out(st[i])
		ns = 0
		if (feats != "")
			out("qemu| (warnings) host doesn'"'"'t support requested features:" feats)
		feats = ""; split("", seen)
	}
	{ gsub(/\r/, "") }
	/@@DEMO-BEGIN/ {
		on = 1; up = $0; sub(/.*@@DEMO-BEGIN */, "", up)
		out("== the emulated machine is up (" up " s of its clock); in it:")
		next
	}
	/@@DEMO-END/ { flush(); on = 0 }
	!on { next }
	/^strace\| / { st[++ns] = $0; next }
	# What the outer kernel said during a nested run reached the
	# console already; the unsigned-module taint is no news.
	/^kmsg\| |taints kernel|tainting kernel/ { next }
	/^qemu\| .*host doesn.t support requested feature: / {
		f = $0; sub(/.*requested feature: /, "", f); sub(/ .*/, "", f)
		sub(/^.*\./, "", f)
		if (!(f in seen)) { seen[f] = 1; feats = feats " " f }
		next
	}
	{ flush() }
	/@@STEP .* FAIL/ { sub(/.*@@STEP /, "== "); out($0); next }
	/@@/ { next }
	{ out($0) }
	END { flush() }'
}

# ---- boot, with a watcher --------------------------------------------
START=$SECONDS WHY="" ERC=0
if [ "${NOBOOT:-0}" != 1 ]; then
	rm -f "$LOG"
	: >"$LOG"
	"boot_$MACHINE" &
	EMU=$!
	# The demo streams its part of the console as it boots; tail ends
	# with the emulator, the filter with tail.
	LIVE=
	if [ "$DEMO" = 1 ]; then
		tail -n +1 -s 0.5 --pid=$EMU -f "$LOG" | demo_filter &
		LIVE=$!
	fi
	while kill -0 $EMU 2>/dev/null; do
		sleep 2
		if grep -q '^@@DONE' "$LOG"; then
			# poweroff is on its way; give the emulator a moment to exit.
			for _ in $(seq 30); do kill -0 $EMU 2>/dev/null || break; sleep 1; done
			break
		elif grep -q 'Kernel panic - not syncing' "$LOG"; then
			sleep 5; break   # let the panic's last lines reach the log
		elif [ $((SECONDS - START)) -ge "$WATCHDOG" ]; then
			WHY="watchdog: no @@DONE after ${WATCHDOG}s"; break
		elif [ -n "${STALL:-}" ]; then
			# STALL (conformance/run.sh): a console silent that long
			# is a wedged machine, long before the watchdog.
			SZ=$(stat -c %s "$LOG")
			[ "$SZ" != "${LAST_SZ:-}" ] && LAST_SZ=$SZ LAST_T=$SECONDS
			[ $((SECONDS - LAST_T)) -ge "$STALL" ] &&
				{ WHY="stall: no console output for ${STALL}s"; break; }
		fi
	done
	# The emulator may still be up (hang, Bochs rebooting after a panic).
	# Only our own child, by pid.
	if kill -0 $EMU 2>/dev/null; then
		pkill -KILL -P $EMU 2>/dev/null
		kill -KILL $EMU 2>/dev/null
	fi
	wait $EMU 2>/dev/null
	ERC=$?
	[ -n "$LIVE" ] && wait $LIVE
fi
WALL=$((SECONDS - START))
grep -q 'Kernel panic - not syncing' "$LOG" && WHY="kernel panic"

# ---- parse -------------------------------------------------------------
FAILED=0
line() { # line <ok|FAIL|skip> <backend> <what> [detail]
	printf '%-5s %s %-5s %s%s\n' "$1" "$NAME" "$2" "$3" "${4:+  $4}"
	[ "$1" = FAIL ] && FAILED=1
	return 0
}
# Console lines, without CRs; markers may have kernel text before them.
CON=$(tr -d '\r' <"$LOG")
marker() { printf '%s\n' "$CON" | grep -o "@@$1.*"; }

# Output of one test, for a failure report.
test_output() { # test_output <test> <backend>
	printf '%s\n' "$CON" | awk -v b="@@BEGIN $1 $2" -v e="@@END $1 $2 " '
		# b at the end of the line: "... kvm" is not "... kvmx".
		(i = index($0, b)) && substr($0, i + length(b)) == "" { on = 1; next }
		index($0, e) { on = 0 } on' |
		tail -n 20 | sed 's/^/      | /'
}

# The demo's console lines: streamed while it boots, or (NOBOOT=1) again
# from the log.
if [ "$DEMO" = 1 ] && [ "${NOBOOT:-0}" = 1 ]; then
	demo_filter <"$LOG"
fi

BACKENDS=kvmx
[ "$ORACLE" = 1 ] && BACKENDS="kvmx kvm"
[ "$DEMO" = 1 ] && [ -n "$VARIANTS" ] && BACKENDS="kvmx kvm"
steps() { # steps <backend> [grep flags] <pattern>: report @@STEP lines
	local be=$1 what b res why; shift
	while read -r _ what b res why; do
		[ "$b" = "$be" ] || continue
		[ "$res" = ok ] && line ok "$be" "$what" || line FAIL "$be" "$what" "$why"
	done < <(marker STEP | grep "$@")
}

tests() { # tests <backend>: one line per expected test
	local be=$1 t skip end rc tm
	for t in $(cat "$INITRD.tests"); do
		skip=$(marker SKIP | grep -m1 "^@@SKIP $t $be ")
		end=$(marker END | grep -m1 "^@@END $t $be ")
		if [ -n "$skip" ]; then
			line skip "$be" "$t" "(${skip#@@SKIP $t $be })"
		elif [ -n "$end" ]; then
			rc=$(echo "$end" | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
			tm=$(echo "$end" | sed -n 's/.* t=\([0-9.]*\).*/\1/p')
			case $rc in
			0) line ok "$be" "$t" "(${tm}s)" ;;
			4) line skip "$be" "$t" "(${tm}s)" ;;
			137) line FAIL "$be" "$t" "(timeout after ${tm}s)"; test_output "$t" "$be" ;;
			*) line FAIL "$be" "$t" "(rc=$rc, ${tm}s)"; test_output "$t" "$be" ;;
			esac
		elif marker BEGIN | grep -q "^@@BEGIN $t $be\$"; then
			line FAIL "$be" "$t" "(no @@END: hung or crashed)"; test_output "$t" "$be"
		else
			line FAIL "$be" "$t" "(never started)"
		fi
	done
}

vmm_section() { # vmm_section <variant> <backend>: the console of one run
	printf '%s\n' "$CON" | awk -v b="@@VMM-BEGIN $1 $2" -v e="@@VMM-END $1 $2 " '
		# b at the end of the line: "... kvm" is not "... kvmx".
		(i = index($0, b)) && substr($0, i + length(b)) == "" { on = 1; next }
		index($0, e) { on = 0 } on'
}

# Output of one nested run, for a failure report: what QEMU, the outer
# kernel and strace said, and the end of the nested console.
vmm_output() { # vmm_output <variant> <backend>
	local out
	out=$(vmm_section "$1" "$2")
	# QEMU's "host doesn't support requested feature" warnings, one line.
	{ printf '%s\n' "$out" | grep -v -e '^vmm| ' -e '^strace| ' -e '^# ' | awk '
		/^qemu\| .*host doesn.t support requested feature: / {
			f = $0; sub(/.*requested feature: /, "", f); sub(/ .*/, "", f)
			sub(/^.*\./, "", f)
			if (!seen[f]++) feats = feats " " f; next }
		{ print }
		END { if (feats != "") print "qemu| (warnings) host doesn'"'"'t support requested features:" feats }' |
		tail -n 20
	  printf '%s\n' "$out" | grep '^strace| ' | tail -n 8
	  printf '%s\n' "$out" | grep '^vmm| ' | tail -n 8; } | sed 's/^/      | /'
}

vmm() { # vmm <backend>: one line per expected nested run
	local be=$1 v end res boot tm wall why
	[ "$VMM" = 0 ] && return 0
	if [ -z "$VARIANTS" ]; then
		line FAIL "$be" vmm-payload "(not built: see initramfs.sh's warnings)"
		return 0
	fi
	for v in $VARIANTS; do
		end=$(marker VMM-END | grep -m1 "^@@VMM-END $v $be ")
		if [ -n "$end" ]; then
			set -f; set -- $end; set +f
			res=$4 boot=${5#boot=} tm=${6#t=} wall=?
			shift 6
			case ${1:-} in wall=*) wall=${1#wall=}; shift ;; esac
			case ${1:-} in kernel=*) shift ;; esac   # for the demo's table
			why=$*
			# Guest seconds: to the nested /init, to QEMU's exit; wall.
			tm="boot ${boot}s, ${tm}s, wall ${wall}s"
			if [ "$res" = ok ]; then
				line ok "$be" "vmm-$v" "($tm${why:+; $why})"
			else
				line FAIL "$be" "vmm-$v" "(${why}; $tm)"
				[ "$DEMO" = 1 ] || vmm_output "$v" "$be"
			fi
		elif marker VMM-BEGIN | grep -q "^@@VMM-BEGIN $v $be\$"; then
			line FAIL "$be" "vmm-$v" "(no @@VMM-END: hung or crashed)"
			vmm_output "$v" "$be"
		else
			line FAIL "$be" "vmm-$v" "(never started)"
		fi
	done
}

[ "$DEMO" = 1 ] && echo   # the results, apart from the console
for be in $BACKENDS; do
	steps "$be" -v rmmod
	marker STEP | grep -q "^@@STEP insmod $be " || line FAIL "$be" insmod "never tried"
	# Its tests never ran if insmod failed: one failure is enough.
	marker STEP | grep -q "^@@STEP insmod $be ok" || continue
	[ "$DEMO" = 1 ] || [ -n "${NOTESTS:-}" ] || tests "$be"
	vmm "$be"
	steps "$be" rmmod
done

if marker DONE >/dev/null; then
	line ok boot "reached-end" "(${WALL}s)"
else
	line FAIL boot "reached-end" "(${WHY:-emulator exited rc=$ERC}; see $LOG)"
	tail -n 15 "$LOG" | sed 's/^/      | /'
fi

# Kernel log: the guest's full dmesg dump if it got that far, else whatever
# reached the console.  The unsigned-module taint message is harmless.
BAD='Kernel panic|Oops|WARNING:|BUG:|------------\[ cut here \]|possible circular locking|possible recursive locking|inconsistent lock state|INFO: lockdep|rcu_sched self-detected stall|rcu: INFO:|sleeping function called from invalid context|KASAN|general protection fault|kernel BUG|Call Trace:|blocked for more than'
KLOG=$(printf '%s\n' "$CON" | sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/p')
printf '%s\n' "$CON" | grep -q '^@@DMESG-END' || KLOG=$CON
HITS=$(printf '%s\n' "$KLOG" | grep -E -- "$BAD")
if [ -z "$HITS" ]; then
	line ok dmesg kernel-log
else
	line FAIL dmesg kernel-log "($(printf '%s\n' "$HITS" | wc -l) bad lines)"
	printf '%s\n' "$HITS" | head -n 10 | sed 's/^/      | /'
fi

echo "wall  $NAME ${WALL}s"

# The demo's last word: the same nested boot on kvmx and on KVM, side by
# side, in seconds of the emulated machine's clock.
demo_table() {
	local v up be end irq k b t
	v=$(echo "$VARIANTS" | head -n 1)
	up=$(marker DEMO-BEGIN | awk '{ print $2; exit }')
	fld() { # fld <key> <@@VMM-END line>
		printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
	for be in kvmx kvm; do
		end=$(marker VMM-END | grep -m1 "^@@VMM-END $v $be ")
		irq=$(vmm_section "$v" "$be" | sed -n 's/^vmm| %%INNER timer-irqs=//p' | head -n 1)
		k=$(fld kernel "$end") b=$(fld boot "$end") t=$(fld t "$end")
		echo "$be ${up:--} ${k:--} ${b:--} ${t:--} ${irq:--}"
	done | awk -v v="$v" '
	{ kt[NR] = $3; bt[NR] = $4; tt[NR] = $5; up = $2
	  irq[NR] = $6; for (i = 7; i <= NF; i++) irq[NR] = irq[NR] " " $i }
	function s(x) { return x ~ /^[0-9.]+$/ ? sprintf("%.1fs", x) : "-" }
	function row(what, a, b) {
		printf "%-30s %8s %8s %9s\n", what, s(a), s(b),
			(a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
	}
	END {
		printf "\n== the nested boot (%s), kvmx beside KVM: seconds of the emulated machine\n", v
		printf "%-30s %8s %8s %9s\n", "", "kvmx", "KVM", "kvmx/KVM"
		printf "%-30s %8s   (one boot for both)\n", "emulated machine up", s(up)
		row("guest kernel start", kt[1], kt[2])
		row("guest userspace reached", bt[1], bt[2])
		row("guest powered off", tt[1], tt[2])
		printf "%-30s kvmx %s; KVM %s\n", "nested timer-irqs", irq[1], irq[2]
	}'
}
[ "$DEMO" = 1 ] && [ -n "$VARIANTS" ] && demo_table
exit $FAILED
}
