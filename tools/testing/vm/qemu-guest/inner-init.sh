#!/bin/sh
# /init of the nested guest: the one that Debian's qemu-system-x86_64
# -accel kvm boots inside the test-bed (on kvmx, or on the stock KVM in
# the oracle phase).  busybox only.  Its console is ttyS0, which the outer
# QEMU writes to a file; vmm.sh prints that file.  Lines starting with
# "%%" are for vmm.sh (not "@@": those are the outer test-bed's markers):
#   %%INNER-BOOTED <uptime>            /init started (inner guest seconds)
#   %%INNER <key>=<value>              uname, hypervisor, clocksource, ...
#   %%INNER-DISK ok|FAIL <why>         the marker was written to /dev/vda
#   %%INNER-DONE <uptime>              about to power off
# Kernel command line: vmm.tag=<text> is what to write to the disk.

/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

up() { cut -d' ' -f1 /proc/uptime; }
echo "%%INNER-BOOTED $(up)"

TAG=none
for arg in $(cat /proc/cmdline); do
	case $arg in vmm.tag=*) TAG=${arg#*=} ;; esac
done

echo "%%INNER uname=$(uname -a)"
if grep -qw hypervisor /proc/cpuinfo; then h=yes; else h=no; fi
echo "%%INNER hypervisor-flag=$h"
d=$(dmesg | grep -i 'Hypervisor detected' | sed 's/.*Hypervisor detected: *//')
echo "%%INNER hypervisor-detected=${d:-none}"
echo "%%INNER clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
echo "%%INNER cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "%%INNER cpus=$(grep -c ^processor /proc/cpuinfo) mem=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2-)"

# virtio-blk: the modules, dependencies first (vmm-payload.sh wrote the
# order), then wait for the disk to appear.
for m in $(cat /modules/load 2>/dev/null); do
	insmod "/modules/$m" || echo "%%INNER insmod $m failed"
done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if [ ! -b /dev/vda ]; then
	echo "%%INNER-DISK FAIL no /dev/vda"
elif echo "kvmx-ok-$TAG" | dd of=/dev/vda conv=fsync 2>/dev/null && sync; then
	echo "%%INNER-DISK ok kvmx-ok-$TAG"
else
	echo "%%INNER-DISK FAIL dd to /dev/vda failed"
fi

# The timer interrupts the guest sees (LAPIC timer "LOC", or the PIT's
# IRQ 0) in 2 s of its own time: about HZ (250) per idle CPU with the
# periodic tick, fewer with NO_HZ.  Printed, not judged.
ticks() { awk '/^ *(0|LOC):/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts; }
t0=$(up) i0=$(ticks)
sleep 2
t1=$(up) i1=$(ticks)
echo "%%INNER timer-irqs=$((i1 - i0)) in $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}')s"

echo "%%INNER-DONE $(up)"
poweroff -f
