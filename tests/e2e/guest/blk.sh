#!/bin/sh
# Guest payload: loads the virtio modules the e2e initramfs carries, then reports what
# /dev/vda looks like in a COM2 result block.
#   blk.sh          read the host's pattern at 1 MiB, write one at 2 MiB
#   blk.sh ro       the same read; a write must be refused
#   blk.sh throttle time a 4 MiB read
mode=${1:-rw}
for m in virtio_mmio virtio_blk; do
	insmod "/lib/modules-virtio/$m.ko" || echo "blk.sh: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b /dev/vda ]; then
	echo "blk.sh: no /dev/vda"; dmesg | grep -i -e virtio -e vda -e LNRO
	exit 3
fi
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
pattern=$(dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | head -c 18)
write=none
case $mode in
rw)
	printf 'WRITTEN-BY-GUEST' | dd of=/dev/vda bs=512 seek=4096 conv=sync,fsync 2>/dev/null && write=ok
	sync ;;
ro)
	if printf 'MUST-NOT-ARRIVE!' | dd of=/dev/vda bs=512 seek=4096 conv=sync,fsync 2>/dev/null; then
		write=accepted
	else
		write=refused
	fi ;;
throttle)
	t0=$(now_ms)
	dd if=/dev/vda of=/dev/null bs=64k count=64 skip=32 2>/dev/null
	read_ms=$(($(now_ms) - t0)) ;;
esac
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "vda_sectors=$(cat /sys/block/vda/size)"
	echo "ro_flag=$(cat /sys/block/vda/ro)"
	echo "pattern=$pattern"
	echo "write=$write"
	echo "read_ms=${read_ms:-}"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "blk.sh: mode=$mode pattern=$pattern write=$write read_ms=${read_ms:-}"
exit 0
