#!/bin/sh
# Guest payload: reports what the guest sees in a COM2 result block, then exits with $1.
cpus=$(grep -c '^processor' /proc/cpuinfo)
online=$(cat /sys/devices/system/cpu/online)
memtotal_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
high_ram=no
grep -q '^100000000-.* : System RAM' /proc/iomem && high_ram=yes
{
	echo "===KTSTR_TEST_RESULT_START==="
	echo "cpus=$cpus"
	echo "online=$online"
	echo "memtotal_kb=$memtotal_kb"
	echo "ram_above_4g=$high_ram"
	echo "===KTSTR_TEST_RESULT_END==="
} > /dev/ttyS1
echo "report.sh: cpus=$cpus memtotal_kb=$memtotal_kb ram_above_4g=$high_ram"
exit "${1:-0}"
