#!/bin/sh
# Builds the e2e guest initramfs with GNU cpio: ktstr-init as /init, static busybox and its
# applets, and the scenario payloads under /e2e: the --initrd path, which the suite keeps
# testing beside the initramfs ktstr-vmm builds itself (initgen_scenarios). With KERNEL_DIR (from scripts/fetch-kernel), the virtio modules the guest
# kernel builds as modules go in /lib/modules-virtio, decompressed, for the payloads to load.
# usage: build-initrd.sh KTSTR_INIT OUT.cpio [KERNEL_DIR]
set -eu
init=$1
out=$2
kdir=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
busybox=$(command -v busybox) || { echo "build-initrd: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
	echo "build-initrd: $busybox is dynamically linked; the guest needs busybox-static" >&2
	exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/e2e" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp "$init" "$root/init"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$here"/guest/*.sh "$root/e2e/"
# The static guest programs make builds next to ktstr-init.
for prog in "$(dirname "$init")"/e2e-guest/*; do
	[ -f "$prog" ] && cp "$prog" "$root/e2e/"
done
if [ -n "$kdir" ]; then
	release=$(cat "$kdir/release")
	mkdir -p "$root/lib/modules-virtio"
	for m in drivers/virtio/virtio_mmio drivers/block/virtio_blk net/core/failover \
		 drivers/net/net_failover drivers/net/virtio_net; do
		src="$kdir/modules/$release/kernel/$m.ko"
		if [ -f "$src.xz" ]; then xz -dc "$src.xz"
		elif [ -f "$src.zst" ]; then zstd -qdc "$src.zst"
		elif [ -f "$src" ]; then cat "$src"
		else continue   # built into this kernel
		fi > "$root/lib/modules-virtio/$(basename "$m").ko"
	done
fi
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
