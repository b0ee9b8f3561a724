# shellcheck shell=sh
# Second chances for guests that nested emulation killed, never for ktstr's own failures:
# docs/ci-incidents.md says what was seen and why each shape is retried. POSIX sh, sourced
# by tests/e2e/run.sh (an L2 boot) and tests/e2e/e2e.sh (an L1 run).
# shellcheck disable=SC2154 # $out, $status, $elapsed_ms, $l1_started: the sourcing script's

# Whether the boot that just ended (run.sh's $out, $status, $elapsed_ms; read with its jget)
# died of the emulation: a triple fault or a kernel oops whatever the payload had reported; a
# long timeout with a vCPU halted; a kernel panic before /init; no result and no console.
died_of_emulation() {
	case $(jget detail 2>/dev/null) in
	"the guest reset: triple fault on vCPU"*) return 0 ;;
	esac
	grep -q '\] Oops: ' "$out.console" 2>/dev/null && return 0
	if [ "$status" -eq 124 ]; then
		[ "$elapsed_ms" -ge 60000 ] && jget detail 2>/dev/null | grep -q 'halted at rip'
		return
	fi
	if [ "$status" -eq 122 ]; then
		[ "$(jget timings_ms.first_run_to_init 2>/dev/null)" = null ]
		return
	fi
	[ "$status" -eq 121 ] && [ ! -s "$out.console" ]
}

# Says that a boot died under the emulation, when and where (the last console lines), so
# that the next reader of a CI log learns more than that it happened.
say_died() {
	echo "# $1: the guest died under nested emulation after $elapsed_ms ms (status $status," \
		"detail \"$(jget detail 2>/dev/null)\"," \
		"first_run_to_init $(jget timings_ms.first_run_to_init 2>/dev/null)); its console ended:"
	tail -n 4 "$out.console" 2>/dev/null | tr -d '\r' | cut -c1-200 | sed 's/^/#   /'
	echo "# $1: booting it once more"
}

# once_more_if_died LABEL COMMAND...: runs a boot COMMAND (which sets $status, $elapsed_ms
# and $out), and under nested emulation runs it again while the emulation killed its guest,
# up to KTSTR_E2E_BOOT_ATTEMPTS boots in all (default 3).
once_more_if_died() {
	label=$1; shift
	attempt=1
	"$@"
	while [ -n "${KTSTR_NESTED:-}" ] && [ "$attempt" -lt "${KTSTR_E2E_BOOT_ATTEMPTS:-3}" ] && died_of_emulation; do
		say_died "$label"
		attempt=$((attempt + 1))
		"$@"
	done
}

# l1_once_more WHAT COMMAND...: runs COMMAND (one scripts/nested-kvm run) and again while it
# says its L1 guest failed under emulation (123 fault, 124 stall, 125 death): up to
# KTSTR_E2E_ATTEMPTS runs in all (default 3) while less than KTSTR_E2E_RETRY_BUDGET_S seconds
# (default 2100) have passed since $l1_started. Sets $status to the last run's.
l1_once_more() {
	what=$1; shift
	attempts=${KTSTR_E2E_ATTEMPTS:-3}
	budget_s=${KTSTR_E2E_RETRY_BUDGET_S:-2100}
	attempt=1
	while :; do
		status=0
		"$@" || status=$?
		case $status in 123|124|125) ;; *) return 0 ;; esac
		spent=$(($(date +%s) - l1_started))
		if [ "$attempt" -ge "$attempts" ] || [ "$spent" -ge "$budget_s" ]; then
			echo "e2e: the nested L1 guest failed under emulation (status $status) on attempt $attempt of the $what; no more attempts (${spent} s spent of a ${budget_s} s retry budget, at most $attempts attempts)"
			return 0
		fi
		attempt=$((attempt + 1))
		echo "e2e: the nested L1 guest failed under emulation (status $status, not a ktstr result): running the $what again (attempt $attempt of $attempts)"
	done
}
