#!/bin/sh
# Time to result, side by side on one KVM: ktstr-vmm (strict and off) and QEMU's microvm,
# booting the same kernel with the same initramfs (ktstr-init running /bin/true) and the same
# command line, in alternating order, ROUNDS rounds. A run's time is from exec until the
# guest's KTSTR_EXIT=0 is on COM2 (ktstr-vmm: until it exits, which it does then; QEMU: its
# COM2 file polled every 10 ms, then QEMU is stopped). Prints one JSON object. POSIX sh (it
# runs in the nested L1's busybox).
#
# usage: run-peers.sh BIN_DIR KERNEL INITRD WORK_DIR ROUNDS WHERE KERNEL_RELEASE
set -u
bin=$1 kernel=$2 initrd=$3 work=$4 rounds=$5 where=$6 release=$7
# what ktstr-vmm gives a kernel with --initrd and the payload /bin/true (vmm/boot/cmdline.h)
cmdline="console=ttyS0 reboot=k panic=-1 quiet 8250.nr_uarts=2 io_delay=none pci=off -- /bin/true"
mkdir -p "$work"
: > "$work/times"
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

run_ktstr() {
	"$bin/ktstr-vmm" --kernel "$kernel" --initrd "$initrd" --sandbox "$1" --cpus 1 --memory 512 \
		--console-log "$work/ktstr.console" --results "$work/ktstr.json" -- /bin/true 2> "$work/ktstr.stderr"
}

run_qemu() {
	rm -f "$work/qemu.com2"
	qemu-system-x86_64 -M microvm,x-option-roms=off -accel kvm -cpu host -smp 1 -m 512 \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" -serial "file:$work/qemu.console" \
		-chardev "file,id=com2,path=$work/qemu.com2" -device isa-serial,chardev=com2,index=1 \
		< /dev/null > "$work/qemu.stderr" 2>&1 &
	qemu=$!
	tries=0
	while ! grep -q 'KTSTR_EXIT=0' "$work/qemu.com2" 2>/dev/null; do
		if ! kill -0 "$qemu" 2>/dev/null || [ "$tries" -ge 6000 ]; then
			kill "$qemu" 2>/dev/null
			wait "$qemu"
			return 1
		fi
		sleep 0.01
		tries=$((tries + 1))
	done
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	return 0
}

one() {
	t0=$(now_ms)
	case $1 in
	ktstr-strict) run_ktstr strict ;;
	ktstr-off) run_ktstr off ;;
	qemu-microvm) run_qemu ;;
	esac
	status=$? ms=$(($(now_ms) - t0))
	if [ "$status" -ne 0 ]; then
		echo "run-peers: $1 failed (status $status):" >&2
		tail -n 15 "$work"/*.stderr "$work"/*.console >&2 2>/dev/null
		exit 1
	fi
	echo "$1 $ms" >> "$work/times"
	echo "run-peers: round $round: $1 $ms ms" >&2
}

median_of() {
	awk -v p="$1" '$1 == p { print $2 }' "$work/times" | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# The figures of the rounds so far, after every round: an L1 that nested emulation kills in
# a later round (docs/ci-incidents.md) leaves the last summary on its console.
summary() {
	strict=$(median_of ktstr-strict) off=$(median_of ktstr-off) qemu=$(median_of qemu-microvm)
	cat <<JSON
{
  "where": "$where",
  "kernel": "$release",
  "rounds": $round,
  "what": "exec to KTSTR_EXIT=0 on COM2, same kernel, initramfs and command line, 1 vCPU, 512 MiB",
  "median_ms": { "ktstr_strict": $strict, "ktstr_off": $off, "qemu_microvm": $qemu },
  "ratio_to_qemu_microvm": { "ktstr_strict": $(awk -v a="$strict" -v b="$qemu" 'BEGIN { printf "%.2f", a / b }'), "ktstr_off": $(awk -v a="$off" -v b="$qemu" 'BEGIN { printf "%.2f", a / b }') },
  "goal": "ktstr_strict <= 0.5 x qemu_microvm",
  "virtme_ng": "not measured yet: it needs python3 and virtme-ng's root filesystem share in the L1"
}
JSON
}

round=0
while [ "$round" -lt "$rounds" ]; do
	round=$((round + 1))
	case $((round % 3)) in   # each peer goes first, second and third in turn
	0) order="ktstr-strict ktstr-off qemu-microvm" ;;
	1) order="ktstr-off qemu-microvm ktstr-strict" ;;
	*) order="qemu-microvm ktstr-strict ktstr-off" ;;
	esac
	for peer in $order; do one "$peer"; done
	summary
done

