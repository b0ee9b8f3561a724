#!/bin/sh
# A guest kernel's module tree cut down to the virtio modules and what they depend on
# (modules.dep kept whole), small enough to carry into the nested L1 guest for --modules.
# usage: module-tree.sh KERNEL_DIR OUT_DIR     (KERNEL_DIR from scripts/fetch-kernel)
# prints OUT_DIR/RELEASE
set -eu
kdir=$1 out=$2
release=$(cat "$kdir/release")
tree=$out/$release
rm -rf "$out"
mkdir -p "$tree"
cp "$kdir/modules/$release/modules.dep" "$tree/"
for m in $(grep -E '/(virtio_mmio|virtio_blk|virtio_net|virtio_console)\.ko' "$tree/modules.dep" | tr -d ':'); do
	mkdir -p "$tree/$(dirname "$m")"
	cp "$kdir/modules/$release/$m" "$tree/$m"
done
echo "$tree"
