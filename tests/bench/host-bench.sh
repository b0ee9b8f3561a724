#!/bin/sh
# Host-side figures that need a /dev/kvm but no Linux guest, so they are native wherever a
# /dev/kvm exists (PVM included): the guest is tiny-kernel's few instructions. Per sandbox
# level, with four sandboxed device processes (serial, console, blk, net):
#   - exec -> first KVM_RUN, warm initramfs cache (the median of RUNS runs), goal <= 15 ms;
#   - VMs created and torn down per second on one core (RUNS runs under taskset -c 0);
#   - host memory per VM beyond guest RAM: the PSS of vmm and every device process, less the
#     guest RAM memfd and the initramfs file mapped into it, while a halted guest runs; goal
#     <= 8 MiB in all.
# Prints one JSON object; "skipped" without a usable /dev/kvm.
#
# usage: host-bench.sh BUILD_DIR RUNS
set -eu
build=$1 runs=$2
vmm=$build/ktstr-vmm
work=$(mktemp -d /tmp/ktstr-host-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --check-host says whether a VM can be created here (a PVM one can, though it boots no
# stock kernel): its kvm-vm line.
if ! "$vmm" --check-host | grep -q '^ok *kvm-vm '; then
	why=$("$vmm" --check-host | grep -E '^fail *kvm-(device|api|vm) ' | head -n 1 | sed -e 's/ -- fix:.*//' -e 's/"//g')
	printf '{ "skipped": "no VM can be created here (ktstr-vmm --check-host: %s)" }\n' "${why:-kvm-vm not ok}"
	exit 0
fi
kind=kvm
for m in kvm_pvm kvm_intel kvm_amd; do [ -d "/sys/module/$m" ] && kind=$m && break; done
"$build/tests/tiny-kernel" reset "$work/reset.bzImage"
"$build/tests/tiny-kernel" halt "$work/halt.bzImage"
dd if=/dev/zero of="$work/disk.img" bs=1M count=8 2>/dev/null
export KTSTR_LOCK_DIR="$work/locks"

# One VM of the given kernel and level; its --results in $work/run.json.
one_vm() {
	k=$1 l=$2
	shift 2
	"$vmm" --no-host-check --kernel "$work/$k.bzImage" --sandbox "$l" --disk "$work/disk.img" --net \
		--results "$work/run.json" "$@" -- /bin/true 2>> "$work/stderr" || true
}
now_ns() { date +%s%N; }

# The median of the numbers on stdin.
median() {
	sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

first_run_ms() {
	level=$1 i=0
	: > "$work/first"
	while [ "$i" -lt "$runs" ]; do
		one_vm reset "$level"
		"$build/tests/json-get" "$work/run.json" timings_ms.start_to_first_run >> "$work/first"
		i=$((i + 1))
	done
	median < "$work/first"
}

vms_per_second_one_core() {
	level=$1 i=0 t0=$(now_ns)
	while [ "$i" -lt "$runs" ]; do
		taskset -c 0 "$vmm" --no-host-check --kernel "$work/reset.bzImage" --sandbox "$level" \
			--disk "$work/disk.img" --net -- /bin/true 2>> "$work/stderr" || true
		i=$((i + 1))
	done
	awk -v n="$runs" -v ns="$(($(now_ns) - t0))" 'BEGIN { printf "%.1f", n / (ns / 1e9) }'
}

# PSS (KiB) of PID and its descendants: all of it, and without guest RAM and the initramfs.
pss_of_tree() {
	pids=$1 added=1
	while [ "$added" = 1 ]; do
		added=0
		for s in /proc/[0-9]*/stat; do
			p=${s#/proc/}; p=${p%/stat}
			pp=$(sed 's/.*) //' "$s" 2>/dev/null | awk '{ print $2 }')
			case " $pids " in *" $p "*) continue ;; *" $pp "*) pids="$pids $p"; added=1 ;; esac
		done
	done
	for p in $pids; do cat "/proc/$p/smaps" 2>/dev/null; done | awk '
		/^[0-9a-f]+-[0-9a-f]+ / { guest = ($0 ~ /ktstr-guest-ram/ || $0 ~ /\.cpio/) }
		/^Pss:/ { all += $2; if (!guest) beyond += $2 }
		END { printf "%d %d\n", all, beyond }'
}

memory_per_vm() {
	"$vmm" --no-host-check --kernel "$work/halt.bzImage" --sandbox "$1" --disk "$work/disk.img" --net \
		--timeout 3 -- /bin/true 2>> "$work/stderr" &
	pid=$!
	sleep 1.5   # up and halted: the first KVM_RUN comes within milliseconds
	pss_of_tree "$pid"
	wait "$pid" || true
}

one_vm reset standard   # fills the initramfs cache: every figure below is warm
printf '{\n  "where": "native (%s backs /dev/kvm); the guest is tiny-kernel, no Linux",\n' "$kind"
printf '  "runs": %s, "devices": "serial, console, blk, net (four sandboxed processes)",\n' "$runs"
printf '  "goals": { "exec_to_first_kvm_run_ms": 15, "pss_kib_beyond_guest_ram": 8192 },\n  "levels": {'
sep=''
for level in off standard strict; do
	first=$(first_run_ms "$level")
	rate=$(vms_per_second_one_core "$level")
	mem=$(memory_per_vm "$level")
	printf '%s\n    "%s": { "exec_to_first_kvm_run_ms": %s, "vms_per_second_one_core": %s, "pss_kib_total": %s, "pss_kib_beyond_guest_ram": %s }' \
		"$sep" "$level" "$first" "$rate" "${mem% *}" "${mem#* }"
	sep=,
done
printf '\n  }\n}\n'
