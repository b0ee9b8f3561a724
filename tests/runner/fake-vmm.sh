#!/bin/sh
# A stand-in for ktstr-vmm (ktstr-run --vmm), so that the runner's scheduling, retries and
# reports are tested without KVM: it acts out what the payload's name asks for and logs its
# command line to $KTSTR_FAKE_LOG.
#   pass | fail | sched | slow | timeout | panic | infra (a host error once, then a pass) |
#   hang (until SIGTERM, as ktstr-vmm ends its VM then)
set -u
results='' console='' payload=''
echo "$*" >> "$KTSTR_FAKE_LOG"
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	--console-log) console=$2; shift 2 ;;
	--) payload=$(basename "${2:-none}"); break ;;
	*) shift ;;
	esac
done
[ -n "$results" ] && echo '{}' > "$results"
say() { echo "$1" >> "$console"; }
case $payload in
pass) say "payload: all good"; exit 0 ;;
fail) say "payload: 2 of 3 checks failed <&>"; exit 1 ;;
sched) say "scheduler: simple"; grep -q -- '--scheduler' "$KTSTR_FAKE_LOG" && exit 0; exit 3 ;;
slow) echo "start $(date +%s%N)" >> "$KTSTR_FAKE_LOG.times"; sleep 1
	echo "end $(date +%s%N)" >> "$KTSTR_FAKE_LOG.times"; say "slow done"; exit 0 ;;
timeout) say "still going"; sleep 1; echo "ktstr-vmm: timeout (timed out after 1 s)" >&2; exit 124 ;;
panic) printf 'Kernel panic - not syncing: boom \001\377\n' >> "$console"
	echo "ktstr-vmm: guest PANIC: the payload panicked on purpose" >&2
	echo "ktstr-vmm: panic, exit status 122" >&2; exit 122 ;;
infra) if [ -e "$KTSTR_FAKE_LOG.infra" ]; then say "second time lucky"; exit 0; fi
	: > "$KTSTR_FAKE_LOG.infra"; echo "ktstr-vmm: host_error (KVM_RUN failed)" >&2; exit 120 ;;
hang) echo "$$" >> "$KTSTR_FAKE_LOG.pids"; trap 'exit 143' TERM; sleep 60 & wait; exit 0 ;;
*) echo "fake-vmm: unknown payload \"$payload\"" >&2; exit 2 ;;
esac
