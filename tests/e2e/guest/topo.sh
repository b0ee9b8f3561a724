#!/bin/sh
# Guest payload: reports the CPU and NUMA topology the guest kernel built, one line per
# CPU and per node, in a COM2 result block.
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "online=$(cat /sys/devices/system/cpu/online)"
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		t=$c/topology
		echo "${c##*/}: core=$(cat "$t/core_id") threads=$(cat "$t/thread_siblings_list") llc=$(cat "$c/cache/index3/shared_cpu_list" 2>/dev/null || echo none) pkg=$(cat "$t/physical_package_id") die=$(cat "$t/die_id") l2=$(cat "$c/cache/index2/shared_cpu_list" 2>/dev/null || echo none)"
	done
	for d in /sys/devices/system/node/node[0-9]*; do
		[ -d "$d" ] || continue
		echo "${d##*/}: cpus=$(cat "$d/cpulist") mem_kb=$(awk '/MemTotal/ { print $4 }' "$d/meminfo") distance=$(cat "$d/distance") latency=$(cat "$d/access0/initiators/read_latency" 2>/dev/null || echo none) cache=$(cat "$d/memory_side_cache/index1/size" 2>/dev/null || echo none)"
	done
	awk -F': ' '/^vendor_id|^cpu family|^model\t/ { print $1 "=" $2 }' /proc/cpuinfo | sort -u | tr '\t' ' '
	echo "flags=$(grep -m1 -o -w -e topoext -e cmp_legacy -e ht /proc/cpuinfo | tr '\n' ' ')"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
exit 0
