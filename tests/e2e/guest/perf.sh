#!/bin/sh
# Guest payload: what --performance changes inside the guest, in a COM2 result block: the
# cpuidle driver (haltpoll when KVM_HINTS_REALTIME is set). Then it waits $1 seconds, so that
# the L1 can look at the vCPU threads while they run.
driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none)
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "cpuidle_driver=$driver"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "perf.sh: cpuidle_driver=$driver"
sleep "${1:-0}"
exit 0
