#!/bin/sh
# Guest payload: which virtio devices the kernel probed (their drivers built in), in a COM2
# result block: /dev/vda and its size, eth0 and its MAC, /dev/hvc0; and the CPUs online.
i=0
while { [ ! -b /dev/vda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "vda_sectors=$(cat /sys/block/vda/size 2>/dev/null || echo none)"
	echo "eth0=$(cat /sys/class/net/eth0/address 2>/dev/null || echo none)"
	echo "hvc0=$([ -c /dev/hvc0 ] && echo yes || echo no)"
	echo "cpus=$(grep -c '^processor' /proc/cpuinfo)"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
exit 0
