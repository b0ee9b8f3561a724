#!/bin/sh
# Guest payload for make bench: loads virtio-blk and runs blkbench on /dev/vda, reporting
# its figures in a COM2 result block.  usage: blkbench.sh MIB SECONDS
for m in virtio_mmio virtio_blk; do insmod "/lib/modules-virtio/$m.ko"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
out=$(/e2e/blkbench /dev/vda "$1" "$2") || exit 1
{ echo "===KTSTR_TEST_RESULT_START==="; echo "$out"; echo "===KTSTR_TEST_RESULT_END==="; } > /dev/ttyS1
exit 0
