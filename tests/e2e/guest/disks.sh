#!/bin/sh
# Guest payload: every disk ktstr-vmm can give at once, each served by its own blk device
# process: /dev/vda read-write, /dev/vdb read-only, then vdc..vdh. Reports what the guest
# sees of each in a COM2 result block, writes a pattern to vda and tries (and must fail)
# to write one to vdb.
#   disks.sh N      wait for N disks (default 2)
want=${1:-2}
for m in virtio_mmio virtio_blk; do
	insmod "/lib/modules-virtio/$m.ko" || echo "disks.sh: insmod $m failed"
done
count() { n=0; for d in /sys/block/vd*; do [ -e "$d" ] && n=$((n + 1)); done; echo "$n"; }
i=0
while [ "$(count)" -lt "$want" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
pattern() { dd if="$1" bs=512 skip=2048 count=1 2>/dev/null | head -c 18; }
vda_write=refused
printf 'WRITTEN-TO-VDA' | dd of=/dev/vda bs=512 seek=4096 conv=sync,fsync 2>/dev/null && vda_write=ok
vdb_write=refused
printf 'MUST-NOT-ARRIVE!' | dd of=/dev/vdb bs=512 seek=4096 conv=sync,fsync 2>/dev/null && vdb_write=accepted
sync
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "disks=$(count)"
	for d in /sys/block/vd*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		echo "${n}_sectors=$(cat "$d/size") ${n}_ro=$(cat "$d/ro") ${n}_serial=$(cat "$d/serial" 2>/dev/null)"
	done
	echo "vda_pattern=$(pattern /dev/vda)"
	echo "vdb_pattern=$(pattern /dev/vdb)"
	echo "vda_write=$vda_write"
	echo "vdb_write=$vdb_write"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "disks.sh: $(count) disks, vda_write=$vda_write vdb_write=$vdb_write"
exit 0
