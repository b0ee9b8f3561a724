#!/bin/sh
# Guest payload: virtio-console. Writes to /dev/hvc0 (the console log), sends TLV frames with
# libktstr (tlvsend), and echoes a line through the "ktstr.stats" port and the host socket.
# usage: console.sh TLV_EXIT_STATUS
insmod /lib/modules-virtio/virtio_mmio.ko || echo "console.sh: insmod virtio_mmio failed"
find_port() {
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return 0; }
	done
	return 1
}
i=0
until tlv=$(find_port ktstr.tlv) && [ -c "$tlv" ]; do
	[ $i -ge 50 ] && { echo "console.sh: no ktstr.tlv port"; ls /sys/class/virtio-ports; exit 3; }
	sleep 0.1; i=$((i + 1))
done
echo "console.sh: hello through hvc0" > /dev/hvc0
/e2e/tlvsend "${1:-0}"
reply=none
if stats=$(find_port ktstr.stats); then
	exec 3<>"$stats"
	echo "ping-through-the-host" >&3
	# shellcheck disable=SC3045 # the guest's sh is busybox's, whose read has -t
	read -r -t 10 reply <&3 || reply=timeout
	exec 3<&-
fi
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "tlv_port=$tlv"
	echo "relay_reply=$reply"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "console.sh: tlv_port=$tlv relay_reply=$reply"
exit 0
