#!/bin/sh
# Times N boots of a trivial payload through ktstr-vmm and prints, as JSON, the median (and
# min/max) of each phase ktstr-vmm measures: its start -> first KVM_RUN, first KVM_RUN ->
# the guest's /init start (KTSTR_INIT_START on COM2), /init start -> exit. POSIX sh, so it
# runs natively and inside the nested-KVM L1 guest alike.
#
# usage: run-bench.sh BIN_DIR KERNEL INITRD WORK_DIR RUNS LEVEL WHERE KERNEL_RELEASE
set -u
bin=$1 kernel=$2 initrd=$3 work=$4 runs=$5 level=$6 where=$7 release=$8
mkdir -p "$work"
: > "$work/phases"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	json=$work/run-$i.json
	if ! "$bin/ktstr-vmm" --kernel "$kernel" --initrd "$initrd" --sandbox "$level" \
		--console-log "$work/run-$i.console" --results "$json" -- /bin/true 2> "$work/run-$i.stderr"; then
		echo "run-bench: run $i failed:" >&2
		tail -n 20 "$work/run-$i.stderr" "$work/run-$i.console" >&2
		exit 1
	fi
	# one line per run: start_to_first_run first_run_to_init init_to_end
	awk '
		{ for (k = 1; k <= NF; k++) { gsub(/[",{}:]/, "", $k) } }
		{ for (k = 1; k < NF; k++) v[$k] = $(k + 1) }
		END {
			if (v["first_run_to_init"] == "null" || v["first_run_to_init"] == "") exit 1
			print v["start_to_first_run"], v["first_run_to_init"], v["init_to_end"]
		}' "$json" >> "$work/phases" || { echo "run-bench: run $i: no /init start in $json" >&2; exit 1; }
	echo "run-bench: run $i of $runs: $(tail -n 1 "$work/phases")" >&2
done

# column C of the phases file: sorted, then median, min, max
stat_of() {
	cut -d' ' -f"$1" "$work/phases" | sort -n | awk '
		{ a[NR] = $1 }
		END {
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "{ \"median\": %.3f, \"min\": %.3f, \"max\": %.3f }", m, a[1], a[NR]
		}'
}
cat <<JSON
{
  "runs": $runs,
  "where": "$where",
  "sandbox": "$level",
  "kernel": "$release",
  "phases_ms": {
    "exec_to_first_kvm_run": $(stat_of 1),
    "first_kvm_run_to_init": $(stat_of 2),
    "init_to_exit": $(stat_of 3)
  }
}
JSON
