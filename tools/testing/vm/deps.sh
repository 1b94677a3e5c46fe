#!/bin/sh
# deps.sh: install (as root, Debian 12) what building kvmx and its emulated
# test-beds need.  Idempotent, and quick when all is there: dpkg-query
# first, apt-get (and its slow update) only for what is missing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive

PKGS="linux-image-amd64 linux-headers-amd64 gcc make bc flex bison libelf-dev
kmod qemu-system-x86 bochs bochsbios vgabios busybox-static linux-source-6.1
xorriso isolinux syslinux-common cpio xz-utils zstd clang libclang-rt-14-dev"
BPO="deb http://deb.debian.org/debian bookworm-backports main"

missing() { # the packages of $PKGS that are not installed
	for p in $PKGS; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null |
			grep -q '^ii' || echo "$p"
	done
}
# A 6.12 kernel with headers, whichever suite it came from.
have_612() { "$HERE/kernels.sh" | grep -q '^6\.12\.'; }

MISSING=$(missing)
if [ -z "$MISSING" ] && have_612; then
	echo "deps: all installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "deps: missing: $MISSING ${MISSING:+and/or }6.12 kernel; run as root" >&2; exit 1; }

UPDATED=0
update() { [ $UPDATED = 1 ] || { apt-get update -q; UPDATED=1; }; }
if ! grep -rqs '^deb .*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "$BPO" >/etc/apt/sources.list.d/bookworm-backports.list
	update
fi
# No package lists at all on a fresh machine, or none for backports yet.
ls /var/lib/apt/lists/*bookworm-backports*Packages* >/dev/null 2>&1 || update
apt_install() { # apt-get install, with one retry after an update: a stale
	# list can name versions the mirror no longer has.
	apt-get install -y -q --no-install-recommends "$@" ||
		{ [ $UPDATED = 0 ] && update && apt-get install -y -q --no-install-recommends "$@"; }
}

[ -z "$MISSING" ] || apt_install $MISSING

if ! have_612; then
	# The backports linux-image-amd64 metapackage depends on the current
	# 6.12 image: take its name from there rather than hardcode a version.
	IMG=$(apt-cache show linux-image-amd64 | awk '
		/^Version:/ { v = $2 }
		/^Depends:/ && v ~ /bpo/ { sub(/^Depends: */, ""); sub(/[ ,(].*/, ""); print; exit }')
	[ -n "$IMG" ] || { echo "deps: no linux-image-amd64 in bookworm-backports" >&2; exit 1; }
	# pkg/suite, not -t: -t would also move linux-libc-dev and the 6.1
	# metapackages to backports.
	apt_install "$IMG/bookworm-backports" \
		"$(echo "$IMG" | sed 's/^linux-image/linux-headers/')/bookworm-backports"
fi
have_612 || { echo "deps: 6.12 kernel still missing" >&2; exit 1; }
echo "deps: installed ${MISSING:+$MISSING }6.12 kernel ok"
