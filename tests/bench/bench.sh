#!/bin/sh
# make bench: boot timings, natively where `ktstr-vmm --check-host` says a stock kernel boots
# (scripts/boot-mode decides), else under nested KVM in QEMU (whose numbers say little about
# real hardware; the JSON's "where" says which).
# usage: tests/bench/bench.sh BUILD_DIR RUNS LEVEL
set -eu
build=$(cd "$1" && pwd)
runs=$2 level=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$("$top/scripts/fetch-kernel")
release=$(cat "$kdir/release")
mkdir -p "$build/e2e" "$build/bench"
"$top/tests/e2e/build-initrd.sh" "$build/ktstr-init" "$build/e2e/l2.cpio"
mode=$("$top/scripts/boot-mode" "$build" bench)
if [ "$mode" = native ]; then
	exec "$top/tests/bench/run-bench.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio" \
		"$build/bench" "$runs" "$level" native "$release"
fi
echo "bench: timing under nested KVM inside QEMU TCG (far slower than hardware)" >&2
# QEMU's console carries both the progress and the JSON: progress to stderr, JSON to stdout.
log=$build/bench/nested.log
status=0
"$top/scripts/nested-kvm" --bin "$build" --kernel-dir "$kdir" \
	--file "$top/tests/bench/run-bench.sh" --file "$build/e2e/l2.cpio" \
	-- sh ./run-bench.sh /ktstr /ktstr/vmlinuz /ktstr/l2.cpio /tmp/bench "$runs" "$level" \
	nested-tcg "$release" > "$log" 2>&1 || status=$?
tr -d '\r' < "$log" | grep -v '^[{} ]' | grep -E '^(run-bench|nested-kvm)' >&2 || true
[ "$status" -eq 0 ] || { echo "bench: the nested run failed ($status); see $log" >&2; exit 1; }
tr -d '\r' < "$log" | sed -n '/^{$/,/^}$/p'
