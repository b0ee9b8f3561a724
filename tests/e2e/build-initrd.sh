#!/bin/sh
# Builds the e2e guest initramfs with GNU cpio: ktstr-init as /init, static busybox and its
# applets, and the scenario payloads under /e2e. (ktstr-vmm's own initgen replaces this
# once it lands.)  usage: build-initrd.sh KTSTR_INIT OUT.cpio
set -eu
init=$1
out=$2
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
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
