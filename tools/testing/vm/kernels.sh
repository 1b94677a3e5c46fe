#!/bin/sh
# Print the kernel versions the test-beds can boot: Debian amd64 images in
# /boot that have a matching headers tree.  Oldest first.
for img in /boot/vmlinuz-*-amd64; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	case $v in *cloud*|*-rt-*) continue ;; esac
	[ -d "/usr/src/linux-headers-$v" ] && echo "$v"
done | sort -V
