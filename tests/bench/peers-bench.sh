#!/bin/sh
# make bench-peers: ktstr-vmm against QEMU's microvm and virtme-ng (tests/bench/run-peers.sh; vng
# from Debian trixie, scripts/fetch-vng, on this machine's python3), natively where
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
vng=$("$top/scripts/fetch-vng")
python=/usr/bin/python3   # Debian's: the L1 finds it at that path
[ -x "$python" ] || { echo "bench-peers: $python not found (vng runs on it; scripts/setup installs it)" >&2; exit 1; }
mkdir -p "$build/e2e" "$build/bench"
"$top/tests/e2e/build-initrd.sh" "$build/ktstr-init" "$build/e2e/l2.cpio"
mode=$("$top/scripts/boot-mode" "$build" bench-peers)
if [ "$mode" = native ]; then
	exec "$top/tests/bench/run-peers.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio" \
		"$build/bench/peers" "$rounds" native "$release" "$vng" "$kdir/modules/$release"
fi
log=$build/bench/peers-nested.log
status=0
# QEMU and its firmware; vng, the python3 it runs on (with its standard library), and what
# vng runs on the way: bash (its guest init), kmod's modprobe, file (the kernel's release),
# the kernel's modules, the CA bundle python3-requests loads when imported.
pylib=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
magic=$(file --version 2>/dev/null | sed -n 's/^magic file from .*:\(.*\)$/\1/p')
"$top/scripts/nested-kvm" --bin "$build" --kernel-dir "$kdir" --timeout 3600 --memory 4096 \
	--host-path "$qemu" --host-path /usr/share/qemu \
	--host-path "$vng" --host-path "$python" --host-path "$pylib" \
	--host-path /bin/bash --host-path "$(command -v modprobe || echo /usr/sbin/modprobe)" \
	--host-path "$(command -v file)" --host-path "${magic:-/usr/share/misc/magic}.mgc" \
	--host-path "$kdir/modules/$release" --host-path /etc/ssl/certs/ca-certificates.crt \
	--file "$top/tests/bench/run-peers.sh" --file "$build/e2e/l2.cpio" \
	-- sh ./run-peers.sh /ktstr /ktstr/vmlinuz /ktstr/l2.cpio /tmp/peers "$rounds" \
	"nested (one L1 under QEMU TCG runs all)" "$release" "$vng" "$kdir/modules/$release" > "$log" 2>&1 || status=$?
tr -d '\r' < "$log" | grep -E '^run-peers' >&2 || true
# run-peers prints its figures after every round: the last block is the latest
last=$(tr -d '\r' < "$log" | awk '/^{$/ { b = "" } /^{$/,/^}$/ { b = b $0 "\n" } END { printf "%s", b }')
if [ "$status" -ne 0 ]; then
	echo "bench-peers: the nested run failed ($status; see $log)" >&2
	[ -n "$last" ] || exit 1
	echo "bench-peers: the figures below are of the rounds before that (an L1 that nested emulation kills: docs/ci-incidents.md)" >&2
fi
printf '%s' "$last"
