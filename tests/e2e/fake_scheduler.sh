#!/bin/sh
# A /scheduler that never attaches: it exits at once, which ktstr-init must report.
echo "fake scheduler: exiting before sched_ext could enable it"
exit 3
