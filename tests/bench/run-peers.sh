#!/bin/sh
# Time to result, side by side on one KVM: ktstr-vmm (strict and off) and QEMU's microvm,
# booting the same kernel with the same initramfs (ktstr-init running /bin/true) and the same
# command line, in alternating order, ROUNDS rounds. A run's time is from exec until the
# guest's KTSTR_EXIT=0 is on COM2 (ktstr-vmm: until it exits, which it does then; QEMU: its
# COM2 file polled every 10 ms, then QEMU is stopped). Prints one JSON object. POSIX sh (it
# runs in the nested L1's busybox).
#
# With VNG_DIR (scripts/fetch-vng) and the kernel's MODULE_DIR, virtme-ng runs too:
# `vng --run KERNEL --exec /bin/true`, its own way (its initramfs, this system's root shared
# over virtio-fs, its command line), timed from exec until vng exits, which it does once the
# command has run. Where this system is the nested L1's initramfs, what vng expects of a
# Debian root is put in place first: the modules at /lib/modules, udev, /etc's basic files.
#
# vng's run counts only when the command's output came back.
#
# usage: run-peers.sh BIN_DIR KERNEL INITRD WORK_DIR ROUNDS WHERE KERNEL_RELEASE [VNG_DIR MODULE_DIR]
set -u
bin=$1 kernel=$2 initrd=$3 work=$4 rounds=$5 where=$6 release=$7 vng=${8:-} modules=${9:-}
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

prepare_vng() {
	[ -e "/lib/modules/$release" ] || { mkdir -p /lib/modules && ln -s "$modules" "/lib/modules/$release"; }
	mkdir -p /run /etc /var/tmp /usr/local/bin /usr/lib
	[ -e /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
	[ -e /etc/hosts ] || echo '127.0.0.1 localhost' > /etc/hosts
	[ -e /etc/fstab ] || : > /etc/fstab
	# udev where vng's guest init looks for it, and its rules where udevd reads them
	[ -e /usr/local/bin/udevd ] || command -v udevd > /dev/null || ln -s "$vng/bin/udevd" "$vng/bin/udevadm" /usr/local/bin/
	[ -e /usr/lib/udev ] || ln -s "$vng/root/usr/lib/udev" /usr/lib/udev
}

run_vng() {
	# vng finds modprobe (kmod's, for --show-depends) and virtiofsd on PATH; what the command
	# prints comes back on vng's stdout: the proof that it ran. Bounded: a vng run has been
	# seen to never end (its guest powered off, vng waiting on).
	PATH="$vng/bin:/usr/sbin:/usr/bin:$PATH" timeout 300 "$vng/bin/vng" --run "$kernel" --cpus 1 \
		--memory 512M --exec '/bin/true && echo vng-payload-ran' \
		< /dev/null > "$work/vng.console" 2> "$work/vng.stderr" &&
		grep -q '^vng-payload-ran' "$work/vng.console"
}

one() {
	t0=$(now_ms)
	case $1 in
	ktstr-strict) run_ktstr strict ;;
	ktstr-off) run_ktstr off ;;
	qemu-microvm) run_qemu ;;
	vng) run_vng ;;
	esac
	status=$? ms=$(($(now_ms) - t0))
	if [ "$status" -ne 0 ] && [ "$1" = vng ]; then
		# the peer's failure, not ours: said, not counted, and the rounds go on
		echo "run-peers: round $round: vng failed (status $status after $ms ms; not counted):" >&2
		tail -n 5 "$work/vng.stderr" "$work/vng.console" >&2 2>/dev/null
		vng_failed=$((vng_failed + 1))
		return 0
	fi
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
		awk '{ a[NR] = $1 } END { if (NR == 0) printf "null"; else printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# The figures of the rounds so far, after every round: an L1 that nested emulation kills in
# a later round (docs/ci-incidents.md) leaves the last summary on its console.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null") printf "null"; else printf "%.2f", a / b }'; }
summary() {
	strict=$(median_of ktstr-strict) off=$(median_of ktstr-off) qemu=$(median_of qemu-microvm)
	if [ -n "$vng" ]; then
		v=$(median_of vng)
		vng_median=", \"vng\": $v"
		vng_ratio="$(printf ',\n  "ratio_to_vng": { "ktstr_strict": %s, "ktstr_off": %s }' "$(ratio "$strict" "$v")" "$(ratio "$off" "$v")")"
		vng_what="virtme-ng $(cat "$vng/version"): vng --run KERNEL --exec /bin/true, exec to its exit (its own initramfs, the L1's root over virtio-fs); $vng_failed run(s) failed, not counted"
	else
		vng_median='' vng_ratio='' vng_what="not measured (make bench-peers fetches it with scripts/fetch-vng)"
	fi
	cat <<JSON
{
  "where": "$where",
  "kernel": "$release",
  "rounds": $round,
  "what": "exec to KTSTR_EXIT=0 on COM2, same kernel, initramfs and command line, 1 vCPU, 512 MiB",
  "virtme_ng": "$vng_what",
  "median_ms": { "ktstr_strict": $strict, "ktstr_off": $off, "qemu_microvm": $qemu$vng_median },
  "ratio_to_qemu_microvm": { "ktstr_strict": $(ratio "$strict" "$qemu"), "ktstr_off": $(ratio "$off" "$qemu") }$vng_ratio,
  "goal": "ktstr_strict <= 0.5 x qemu_microvm and <= 0.33 x vng"
}
JSON
}

# this round's order: the peers rotated by the round's number, so each goes first in turn
order_of() {
	# shellcheck disable=SC2086 # the peers' names are words
	set -- $peers
	k=$((round % $#))
	while [ "$k" -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k - 1))
	done
	echo "$@"
}

peers="ktstr-strict ktstr-off qemu-microvm" vng_failed=0
if [ -n "$vng" ]; then
	prepare_vng
	peers="$peers vng"
fi
round=0
while [ "$round" -lt "$rounds" ]; do
	round=$((round + 1))
	for peer in $(order_of); do one "$peer"; done
	summary
done
