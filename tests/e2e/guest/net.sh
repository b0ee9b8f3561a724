#!/bin/sh
# Guest payload: loads virtio-net, sends frames through the loopback device and reports
# the MAC and what came back in a COM2 result block.  usage: net.sh [COUNT]
for m in failover net_failover virtio_mmio virtio_net; do
	insmod "/lib/modules-virtio/$m.ko" || echo "net.sh: insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
out=$(/e2e/netloop eth0 "${1:-20}" 2>&1)
status=$?
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "$out"
	echo "address=$(cat /sys/class/net/eth0/address 2>/dev/null)"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "net.sh: $out" | tr '\n' ' '; echo
exit $status
