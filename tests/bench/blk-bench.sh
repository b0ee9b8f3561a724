#!/bin/sh
# make bench-blk-guest: virtio-blk figures in the guest, natively where `ktstr-vmm
# --check-host` says a stock kernel boots (scripts/boot-mode decides), else under nested KVM
# in QEMU (whose numbers say little about real hardware; the JSON's "where" says which).
# usage: tests/bench/blk-bench.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$("$top/scripts/fetch-kernel")
mkdir -p "$build/e2e" "$build/bench"
"$top/tests/e2e/build-initrd.sh" "$build/ktstr-init" "$build/e2e/l2.cpio" "$kdir"
mode=$("$top/scripts/boot-mode" "$build" bench)
if [ "$mode" = native ]; then
	exec "$top/tests/bench/run-blk-bench.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio" \
		"$build/bench" native 256 5
fi
echo "bench: virtio-blk under nested KVM inside QEMU TCG (far slower than hardware)" >&2
log=$build/bench/nested-blk.log
status=0
"$top/scripts/nested-kvm" --bin "$build" --kernel-dir "$kdir" \
	--file "$top/tests/bench/run-blk-bench.sh" --file "$build/e2e/l2.cpio" \
	-- sh ./run-blk-bench.sh /ktstr /ktstr/vmlinuz /ktstr/l2.cpio /tmp/bench nested-tcg 64 3 \
	> "$log" 2>&1 || status=$?
tr -d '\r' < "$log" | grep -E '^(run-blk-bench|nested-kvm)' >&2 || true
[ "$status" -eq 0 ] || { echo "bench: the nested run failed ($status); see $log" >&2; exit 1; }
tr -d '\r' < "$log" | sed -n '/^{$/,/^}$/p'
