#!/bin/sh
# On a host whose /dev/kvm is PVM (this project's own kind of machine), what a native run
# does with a stock kernel: refused at once with 119, naming the nested harness; with
# --no-host-check --guest-decompress, the KVM internal error PVM ends its decompressor with,
# reported with its suberror, the instruction bytes and the vCPU's mode; and with
# --no-host-check alone (the kernel proper entered directly, vmm/boot/vmlinux.h), no /init
# either: a host error or a timeout. Run by e2e.sh before the nested suite.
# usage: tests/e2e/pvm-host.sh BUILD_DIR KERNEL INITRD
set -u
build=$1 kernel=$2 initrd=$3
log=$build/e2e/pvm-host.log
mkdir -p "$build/e2e"
timeout=60
run() {
	status=0
	"$build/ktstr-vmm" "$@" --kernel "$kernel" --initrd "$initrd" --timeout "$timeout" \
		--console-log /dev/null -- /bin/true > "$log" 2>&1 || status=$?
}
fail() {
	echo "pvm-host: FAIL: $1 (status $status):"
	sed 's/^/pvm-host:   /' "$log"
	exit 1
}
run
[ "$status" -eq 119 ] || fail "a stock kernel on PVM was not refused with 119"
grep -q 'nested harness (scripts/nested-kvm' "$log" || fail "the refusal does not name the nested harness"
echo "pvm-host: refused with 119: $(head -c 160 "$log")..."
run --no-host-check --guest-decompress
[ "$status" -eq 120 ] || fail "a stock kernel booted on PVM with --no-host-check did not end in a host error (if it booted, PVM now runs stock kernels and ktstr-vmm's host check is out of date)"
grep -q 'KVM internal error, suberror [0-9]* (.*), at rip 0x[0-9a-f]* in .*mode' "$log" ||
	fail "the internal error does not say its suberror, rip and mode"
grep -q 'instruction bytes (' "$log" || fail "the internal error does not show the instruction bytes"
echo "pvm-host: with --no-host-check: $(grep -m1 'KVM internal error' "$log")"
timeout=15
run --no-host-check
case $status in
120|124) ;;
*) fail "a stock kernel entered directly on PVM with --no-host-check did not end in a host error or a timeout" ;;
esac
grep -q 'no /init start seen' "$log" || fail "a stock kernel entered directly on PVM reached /init"
echo "pvm-host: entered directly with --no-host-check: $(head -c 200 "$log")"
