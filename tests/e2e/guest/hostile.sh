#!/bin/sh
# Guest payload: a hostile driver programs the virtio-blk window itself (hostile_mmio), with
# virtio_mmio deliberately not loaded, and reports what it saw in a result block.
# usage: hostile.sh STORM_ROUNDS
out=$(/e2e/hostile_mmio "${1:-500}" 2>&1)
status=$?
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "$out"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
exit $status
