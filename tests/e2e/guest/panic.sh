#!/bin/sh
# Guest payload: crashes the guest kernel on purpose.
echo c > /proc/sysrq-trigger
sleep 10
