#!/bin/sh
# The README's stable figures as thresholds, with a margin for other hosts and busy CI (make
# check-figures, part of make check). Each figure is measured by its benchmark, read back
# from its JSON with json-get, and judged:
#   initramfs sharing (make bench-initramfs): 16 VMs booting one built initramfs hold at most
#   half the PSS they would with a copy each (README: 21 MiB instead of 95 MiB).
#   host memory per VM (make bench-host; only where a /dev/kvm is usable, PVM included): vmm
#   and its four device processes hold at most 8 MiB PSS beyond guest RAM at every sandbox
#   level (README: about 2.4 MiB).
# Recorded only: timings (boot phases, blk throughput, cache hits), which depend on the machine
# and, nested, on QEMU; the archive's size and library count, which are the host's apt's.
# usage: tests/bench/figures.sh BUILD_DIR     Prints one "ok"/"not ok" line per figure.
set -eu
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$("$top/scripts/fetch-kernel")
mkdir -p "$build/bench"
json=$build/bench/initrd-share.json
if ! KTSTR_BUILD=$build "$build/tests/bench_initrd_share" "$kdir/vmlinuz" > "$json" \
	2> "$build/bench/initrd-share.stderr"; then
	echo "not ok 1 - initramfs sharing: bench_initrd_share failed:"
	sed 's/^/# /' "$build/bench/initrd-share.stderr"
	exit 1
fi
mapped=$("$build/tests/json-get" "$json" pss_mib_total_mapped)
copied=$("$build/tests/json-get" "$json" pss_mib_total_copied)
what="initramfs sharing: 16 VMs hold $mapped MiB PSS mapped, at most half of $copied MiB copied"
if awk -v m="$mapped" -v c="$copied" 'BEGIN { exit !(m * 2 <= c) }'; then
	echo "ok 1 - $what"
else
	echo "not ok 1 - $what"
	exit 1
fi

json=$build/bench/host.json
"$top/tests/bench/host-bench.sh" "$build" 3 > "$json"
if [ -n "$("$build/tests/json-get" "$json" skipped 2>/dev/null)" ]; then
	echo "ok 2 # SKIP host memory per VM: $("$build/tests/json-get" "$json" skipped)"
	exit 0
fi
n=1
for level in off standard strict; do
	n=$((n + 1))
	pss=$("$build/tests/json-get" "$json" "levels.$level.pss_kib_beyond_guest_ram")
	what="host memory per VM, $level: $pss KiB PSS beyond guest RAM (vmm and four devices), at most 8192"
	if [ "$pss" -gt 0 ] && [ "$pss" -le 8192 ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		exit 1
	fi
done
