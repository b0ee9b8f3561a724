#!/bin/sh
# virtio-blk in the guest, strict against off: sequential 1 MiB and random 4 KiB O_DIRECT
# reads of a MIB MiB disk (blkbench in the guest), and the host reading the same file
# (page-cached, as the device process reads it). Prints one JSON object. POSIX sh, so it
# runs natively and inside the nested-KVM L1 guest alike.
#
# usage: run-blk-bench.sh BIN_DIR KERNEL INITRD WORK_DIR WHERE [MIB] [SECONDS]
set -u
bin=$1 kernel=$2 initrd=$3 work=$4 where=$5 mib=${6:-256} secs=${7:-5}
mkdir -p "$work"
disk=$work/bench-disk.img
dd if=/dev/zero of="$disk" bs=1M count="$mib" 2>/dev/null
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
cat "$disk" > /dev/null
t0=$(now_ms)
cat "$disk" > /dev/null
host_ms=$(($(now_ms) - t0))
[ "$host_ms" -gt 0 ] || host_ms=1
host_mbps=$(awk -v m="$mib" -v ms="$host_ms" 'BEGIN { printf "%.1f", m * 1000 / ms }')

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
for level in off strict; do
	json=$work/blk-$level.json
	if ! "$bin/ktstr-vmm" --kernel "$kernel" --initrd "$initrd" --sandbox "$level" --memory 1024 \
		--disk "$disk,ro" --console-log "$work/blk-$level.console" --results "$json" \
		-- /e2e/blkbench.sh "$mib" "$secs" 2> "$work/blk-$level.stderr"; then
		echo "run-blk-bench: the $level run failed:" >&2
		tail -n 20 "$work/blk-$level.stderr" "$work/blk-$level.console" >&2
		exit 1
	fi
	mbps=$(value seq_mbps "$json") iops=$(value rand_iops "$json")
	case $level in
	off) seq_off=$mbps rand_off=$iops ;;
	strict) seq_strict=$mbps rand_strict=$iops ;;
	esac
	echo "run-blk-bench: $level: $mbps MB/s sequential, $iops random IOPS" >&2
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
cat <<JSON
{
  "benchmark": "virtio-blk in the guest (O_DIRECT, $mib MiB disk)",
  "where": "$where",
  "seq_read_mbps": { "off": $seq_off, "strict": $seq_strict, "host_page_cache": $host_mbps },
  "rand_4k_read_iops": { "off": $rand_off, "strict": $rand_strict },
  "strict_vs_off": { "seq": $(ratio "$seq_strict" "$seq_off"), "rand": $(ratio "$rand_strict" "$rand_off") },
  "strict_seq_vs_host": $(ratio "$seq_strict" "$host_mbps")
}
JSON
