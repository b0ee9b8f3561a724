#!/bin/sh
# Runs the end-to-end suite: natively where `ktstr-vmm --check-host` says a stock kernel
# boots, else under nested KVM in QEMU (scripts/nested-kvm); scripts/boot-mode decides and
# says which and why. The guest kernel is Debian's, fetched by scripts/fetch-kernel into the
# per-user cache; the sched_ext scenarios boot the project's own (scripts/build-kernel) with
# schedulers from its tree (scripts/build-scheduler), built once and then cached.
# usage: tests/e2e/e2e.sh BUILD_DIR [LEVEL...]      (levels: standard strict; default both)
set -eu
build=$(cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$("$top/scripts/fetch-kernel")
# Debian's generic kernel has the MP-table parser the cloud kernel lacks (for the acpi=off
# scenario); only its vmlinuz is used.
mp_kdir=$("$top/scripts/fetch-kernel" --package linux-image-amd64)
mkdir -p "$build/e2e"
cp "$mp_kdir/vmlinuz" "$build/e2e/vmlinuz-mp"
"$top/tests/e2e/build-initrd.sh" "$build/ktstr-init" "$build/e2e/l2.cpio" "$kdir"
# For the initgen scenarios: the virtio part of the guest kernel's module tree.
modtree=$("$top/tests/e2e/module-tree.sh" "$kdir" "$build/e2e/modules")
release=$(basename "$modtree")
scx_kdir=$("$top/scripts/build-kernel")
scx_dir=$("$top/scripts/build-scheduler")
cp "$scx_kdir/vmlinuz" "$build/e2e/vmlinuz-scx"
cp "$scx_dir/scx_simple" "$scx_dir/scx_qmap" "$build/e2e/"
mode=$("$top/scripts/boot-mode" "$build" e2e)
if [ "$mode" = native ]; then
	KTSTR_MP_KERNEL=$build/e2e/vmlinuz-mp KTSTR_ZPAYLOAD=$build/tests/zpayload KTSTR_MODULES=$modtree \
	KTSTR_FAKE_SCHEDULER=$top/tests/e2e/fake_scheduler.sh KTSTR_SCX_KERNEL=$build/e2e/vmlinuz-scx \
	KTSTR_SCHEDULERS=$build/e2e KTSTR_SCX_PROBE=$build/e2e-guest/scx_probe \
		exec "$top/tests/e2e/run.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio" "$build/e2e/work" "$@"
fi
# A PVM /dev/kvm still runs a guest's first instructions: check what a native run says there.
if "$build/ktstr-vmm" --check-host --json | grep -q '"kvm": "kvm_pvm"'; then
	"$top/tests/e2e/pvm-host.sh" "$build" "$kdir/vmlinuz" "$build/e2e/l2.cpio"
fi
# shellcheck disable=SC2317 # called through l1_once_more
nested() {
	"$top/scripts/nested-kvm" --bin "$build" --kernel-dir "$kdir" --timeout 900 \
		--file "$top/tests/e2e/run.sh" --file "$top/tests/e2e/retry.sh" --file "$build/tests/json-get" \
		--file "$build/e2e/l2.cpio" --file "$build/tests/echo-server" \
		--file "$build/e2e/vmlinuz-mp" --file "$build/tests/zpayload" --file "$build/e2e/modules" \
		--file "$top/tests/e2e/fake_scheduler.sh" --file "$build/e2e/vmlinuz-scx" \
		--file "$build/e2e/scx_simple" --file "$build/e2e/scx_qmap" --file "$build/e2e-guest/scx_probe" \
		-- env KTSTR_E2E_ONLY="${KTSTR_E2E_ONLY:-}" KTSTR_MP_KERNEL=/ktstr/vmlinuz-mp KTSTR_ZPAYLOAD=/ktstr/zpayload \
		KTSTR_MODULES="/ktstr/modules/$release" KTSTR_FAKE_SCHEDULER=/ktstr/fake_scheduler.sh \
		KTSTR_SCX_KERNEL=/ktstr/vmlinuz-scx KTSTR_SCHEDULERS=/ktstr KTSTR_SCX_PROBE=/ktstr/scx_probe sh ./run.sh /ktstr /ktstr/vmlinuz /ktstr/l2.cpio /tmp/e2e "$@"
}
# One L1 boot per level, so that an emulation failure costs one level's run; a level whose
# L1 guest failed under emulation runs again (tests/e2e/retry.sh, docs/ci-incidents.md).
# shellcheck source=tests/e2e/retry.sh
. "$top/tests/e2e/retry.sh"
l1_started=$(date +%s)
result=0
[ $# -gt 0 ] || set -- standard strict
for level in "$@"; do
	l1_once_more "$level suite" nested "$level"
	echo "e2e: $level: status $status"
	[ "$result" -ne 0 ] || result=$status
done
exit "$result"
