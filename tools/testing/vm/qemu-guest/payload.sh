#!/bin/sh
# payload.sh ROOT INNER_KVER
# Add the nested-VMM payload to the outer initramfs tree ROOT (initramfs.sh
# calls this for the QEMU test-bed): Debian's qemu-system-x86_64 with every
# shared library it links and the dynamic loader, at their own paths; the
# firmware it loads (SeaBIOS, the option ROMs for -kernel and the KVM TPR
# patching); strace, to see the last KVM ioctl when things go wrong; the
# nested guest's kernel (INNER_KVER) and its tiny initramfs (busybox, the
# virtio-blk modules, inner-init.sh); and vmm.sh, which runs the variants.
#   /vmm/qemu-system-x86_64  /vmm/strace  /vmm/share/*  (firmware, -L)
#   /vmm/vmlinuz  /vmm/inner.cpio  /vmm/vmm.sh  /vmm/variants
#   /lib64/ld-linux-x86-64.so.2  /lib/x86_64-linux-gnu/*.so*
set -eu
[ $# -eq 2 ] || { echo "usage: $0 ROOT INNER_KVER" >&2; exit 2; }
ROOT=$1 KVER=$2
HERE=$(cd "$(dirname "$0")" && pwd)
QEMU=/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || { echo "payload.sh: no $QEMU" >&2; exit 1; }
[ -f "/boot/vmlinuz-$KVER" ] || { echo "payload.sh: no /boot/vmlinuz-$KVER" >&2; exit 1; }
mkdir -p "$ROOT/vmm/share"

# Binaries and what they link, at the paths ldd gives (the loader's own
# path is the ELF interpreter, which is absolute).  cp -L: the soname
# links become plain files.
libs() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
for bin in "$QEMU" /usr/bin/strace; do
	[ -x "$bin" ] || continue
	cp "$bin" "$ROOT/vmm/"
	for l in $(libs "$bin"); do
		[ -e "$ROOT$l" ] && continue
		mkdir -p "$ROOT$(dirname "$l")"
		cp -L "$l" "$ROOT$l"
	done
done

# Firmware, searched in -L /vmm/share.  SeaBIOS: bios-256k.bin for the pc
# and q35 machine types of QEMU 7.2 (bios.bin for old ones);
# linuxboot_dma.bin boots -kernel; kvmvapic.bin is the TPR-patching ROM the
# APIC loads under KVM.  No NIC and no VGA (-nodefaults): no other ROM.
for f in bios-256k.bin bios.bin linuxboot_dma.bin linuxboot.bin kvmvapic.bin; do
	for d in /usr/share/qemu /usr/share/seabios; do
		[ -f "$d/$f" ] && { cp -L "$d/$f" "$ROOT/vmm/share/$f"; break; }
	done
	[ -f "$ROOT/vmm/share/$f" ] || echo "payload.sh: warning: no firmware $f" >&2
done

# The nested guest: kernel, and an initramfs with busybox, /init and the
# virtio-blk modules (uncompressed; modules/load lists them dependencies
# first).
cp "/boot/vmlinuz-$KVER" "$ROOT/vmm/vmlinuz"
IN=$(mktemp -d "${TMPDIR:-/tmp}/kvmx-inner.XXXXXX")
mkdir -p "$IN/bin" "$IN/modules"
cp /bin/busybox "$IN/bin/busybox"
ln -s busybox "$IN/bin/sh"
install -m 755 "$HERE/inner-init.sh" "$IN/init"
: >"$IN/modules/load"
add_mod() { # add_mod <module>: depth-first, dependencies first
	local f b d
	f=$(modinfo -k "$KVER" -F filename "$1") || return 1
	b=$(basename "$f"); b=${b%.xz}; b=${b%.zst}
	grep -qx "$b" "$IN/modules/load" && return 0
	for d in $(modinfo -k "$KVER" -F depends "$1" | tr , ' '); do
		add_mod "$d"
	done
	case $f in
	*.xz) xz -dc "$f" >"$IN/modules/$b" ;;
	*.zst) zstd -qdc "$f" >"$IN/modules/$b" ;;
	*) cp "$f" "$IN/modules/$b" ;;
	esac
	echo "$b" >>"$IN/modules/load"
}
add_mod virtio_pci
add_mod virtio_blk
(cd "$IN" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >"$ROOT/vmm/inner.cpio"
rm -rf "$IN"

install -m 755 "$HERE/vmm.sh" "$ROOT/vmm/vmm.sh"
grep -v -e '^#' -e '^$' "$HERE/variants" >"$ROOT/vmm/variants"
