#!/bin/sh
# Guest payload: floods the console log through /dev/hvc0 with 2 MiB, more than the
# --console-log-limit the scenario sets; the host must cut the log there and say so.
insmod /lib/modules-virtio/virtio_mmio.ko 2>/dev/null
i=0
until [ -c /dev/hvc0 ]; do
	[ $i -ge 50 ] && { echo "flood.sh: no /dev/hvc0"; exit 3; }
	sleep 0.1; i=$((i + 1))
done
dd if=/dev/zero bs=65536 count=32 2>/dev/null | tr '\0' x > /dev/hvc0
echo "flood.sh: wrote 2 MiB to hvc0"
