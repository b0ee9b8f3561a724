#!/bin/sh
# make bench-peers: ktstr-vmm against QEMU's microvm (tests/bench/run-peers.sh), natively where
# `ktstr-vmm --check-host` says a stock kernel boots (scripts/boot-mode decides), else in one
# nested L1 boot that carries QEMU (scripts/nested-kvm --host-path), where both peers run on
# the same nested KVM: the ratio is the figure, the times say little about hardware.
# usage: tests/bench/peers-bench.sh BUILD_DIR ROUNDS
set -eu
build=$(cd "$1" && pwd)
rounds=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
qemu=$(command -v qemu-system-x86_64) || { echo "bench-peers: qemu-system-x86_64 not found (scripts/setup installs it)" >&2; exit 1; }
kdir=$("$top/scripts/fetch-kernel")
release=$(cat "$kdir/release")
mkdir -p "$build/e2e" "$build/bench"
"$top/tests/e2e/build-initrd.sh" "$build/ktstr-init" "$build/e2e/l2.cpio"
mode=$("$top/scripts/boot-mode" "$build" bench-peers)
if [ "$mode" = native ]; then
	exec "$top/tests/bench/run-peers.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio" \
		"$build/bench/peers" "$rounds" native "$release"
fi
log=$build/bench/peers-nested.log
status=0
# QEMU and what it loads: the microvm firmware (qboot) from its data directory.
"$top/scripts/nested-kvm" --bin "$build" --kernel-dir "$kdir" --timeout 3000 \
	--host-path "$qemu" --host-path /usr/share/qemu/bios-microvm.bin \
	--file "$top/tests/bench/run-peers.sh" --file "$build/e2e/l2.cpio" \
	-- sh ./run-peers.sh /ktstr /ktstr/vmlinuz /ktstr/l2.cpio /tmp/peers "$rounds" \
	"nested (one L1 under QEMU TCG runs both)" "$release" > "$log" 2>&1 || status=$?
tr -d '\r' < "$log" | grep -E '^run-peers' >&2 || true
# run-peers prints its figures after every round: the last block is the latest
last=$(tr -d '\r' < "$log" | awk '/^{$/ { b = "" } /^{$/,/^}$/ { b = b $0 "\n" } END { printf "%s", b }')
if [ "$status" -ne 0 ]; then
	echo "bench-peers: the nested run failed ($status; see $log)" >&2
	[ -n "$last" ] || exit 1
	echo "bench-peers: the figures below are of the rounds before that (an L1 that nested emulation kills: docs/ci-incidents.md)" >&2
fi
printf '%s' "$last"
