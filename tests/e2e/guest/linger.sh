#!/bin/sh
# Guest payload: stays up a few seconds so the host can look at the device processes.
sleep "${1:-4}"
exit 0
