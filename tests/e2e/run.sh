#!/bin/sh
# The end-to-end scenarios: real boots of a real kernel through ktstr-vmm, each asserting on
# what the guest did. POSIX sh, so the same file runs natively (with /dev/kvm) and inside the
# nested-KVM L1 guest's busybox.
#
# usage: run.sh BIN_DIR KERNEL INITRD WORK_DIR [LEVEL...]
# Prints one "ok"/"not ok" line per check and a summary; exits with the number of failures.
# shellcheck disable=SC2317 # the check and boot functions are called through check, once_more_if_died and "$part"
set -u
bin=$1 kernel=$2 initrd=$3 work=$4
shift 4
levels=${*:-standard strict}
vmm=$bin/ktstr-vmm
# Reads the --results files (tests/e2e/json_get.c); static, so it runs in the nested L1 too.
json_get=$bin/json-get
[ -x "$json_get" ] || json_get=$bin/tests/json-get
mkdir -p "$work"
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; show_logs; fi
}
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
show_logs() {
	for f in "$out.stderr" "$out.console"; do
		[ -s "$f" ] && { echo "# --- $f (last lines)"; tail -n 15 "$f" | sed 's/^/# /'; }
	done
	[ -s "$out.json" ] || return 0
	echo "# --- $out.json (detail, then the result block)"
	{ jget detail; jget 'results[0]'; } 2>&1 | head -n 40 | cut -c1-300 | sed 's/^/# /'
	return 0
}

# boot NAME LEVEL [ktstr-vmm options] [-- payload]: sets $status, $elapsed_ms, $out.
# With built=1, ktstr-vmm builds the initramfs itself (no --initrd).
built=0
run_vmm() {
	rm -f "$out".*
	t0=$(now_ms)
	[ "$built" = 1 ] || set -- --initrd "$initrd" "$@"
	"$vmm" --kernel "$kernel" --sandbox "$level" \
		--console-log "$out.console" --results "$out.json" "$@" 2> "$out.stderr"
	status=$?
	elapsed_ms=$(($(now_ms) - t0))
}

# A boot that nested emulation killed runs again (once_more_if_died): tests/e2e/retry.sh,
# which says what it looks for; docs/ci-incidents.md says what was seen.
# shellcheck source=tests/e2e/retry.sh
. "$(dirname "$0")/retry.sh"

boot() {
	name=$1 level=$2; shift 2
	out=$work/$name-$level
	echo "# $name/$level: booting"
	once_more_if_died "$name/$level" run_vmm "$@"
	echo "# $name/$level: exit $status in $elapsed_ms ms"
	# where the time went, in ktstr-vmm's own words (its last line)
	grep '^ktstr-vmm: .* ms to first KVM_RUN' "$out.stderr" 2>/dev/null | tail -n 1 | sed "s|^|# $name/$level: |"
}

# What the boot's --results say: jget PATH prints the value at PATH (json-get's syntax:
# outcome, devices[role=blk].requests, results[0]); json_is PATH VALUE, json_ge PATH N (a whole
# number) and json_says PATH TEXT (a string holding TEXT) judge it.
jget() { "$json_get" "$out.json" "$1"; }
json_is() { [ "$(jget "$1")" = "$2" ]; }
json_ge() { v=$(jget "$1") && [ "$v" -ge "$2" ] 2>/dev/null; }
json_says() { jget "$1" | grep -qF -- "$2"; }
# result KEY [LINE]: the value of KEY=VALUE in the payload's result block (results[0]), on the
# first line that has one or on the line that starts with "LINE: "; a value runs to the next
# " NAME=" or the end of its line. result_is KEY VALUE [LINE] judges it.
result() {
	jget 'results[0]' | awk -v key="$1" -v line="${2:-}" '
		line != "" && index($0, line ": ") != 1 { next }
		{
			n = split($0, w, " ")
			for (i = 1; i <= n; i++) {
				if (index(w[i], key "=") != 1) continue
				v = substr(w[i], length(key) + 2)
				while (i < n && w[i + 1] !~ /=/) v = v " " w[++i]
				print v; found = 1; exit
			}
		}
		END { exit !found }'
}
result_is() { v=$(result "$1" "${3:-}") && [ "$v" = "$2" ]; }
result_has_line() { jget 'results[0]' | grep -qxF -- "$1"; }
log_has() { grep -q -- "$1" "$out.console" 2>/dev/null; }
status_is() { [ "$status" -eq "$1" ]; }

# A device process of a running ktstr-vmm (devproc_of VMM_PID ROLE), seen from the host.
devproc_of() {
	for s in /proc/[0-9]*/stat; do
		p=${s#/proc/}; p=${p%/stat}
		ppid=$(awk '{ print $4 }' "$s" 2>/dev/null) || continue
		[ "$ppid" = "$1" ] || continue
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "ktstr-devproc --role $2 " && { echo "$p"; return 0; }
	done
	return 1
}

# What /proc says of a running ktstr-vmm's device process (probe_devproc VMM_PID ROLE),
# kept in $out.proc-ROLE while a payload lingers; judged after the VM ended, so that a boot the
# emulation killed can be probed again first. probed ROLE FIELD reads it back.
probe_devproc() {
	p=$(devproc_of "$1" "$2") || return 0
	{
		grep -E '^(Seccomp|NoNewPrivs|CapEff|CapBnd|Uid|NSpid):' "/proc/$p/status"
		echo "userns: $(readlink "/proc/$p/ns/user")"
		echo "netns: $(readlink "/proc/$p/ns/net")"
		# shellcheck disable=SC2012 # only counted: no name is read
		echo "root_entries: $(ls -A "/proc/$p/root/" | wc -l)"
		echo "root_fs: $(stat -f -c %T "/proc/$p/root/")"
	} > "$out.proc-$2" 2>/dev/null
}
probed() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^[[:space:]]+/, ""); print; exit }' "$out.proc-$1" 2>/dev/null; }
probed_nspid_one() { probed "$1" NSpid | grep -q '[[:space:]]1$'; }
probed_root_empty() { [ "$(probed "$1" root_entries)" = 0 ] && [ "$(probed "$1" root_fs)" = tmpfs ]; }

sandbox_probe() {
	rm -f "$out".*
	dd if=/dev/zero of="$disk" bs=1M count=1 2>/dev/null
	t0=$(now_ms)
	"$vmm" --kernel "$kernel" --initrd "$initrd" --sandbox "$level" --console-log "$out.console" \
		--results "$out.json" --disk "$disk" --net -- /e2e/linger.sh 6 2> "$out.stderr" &
	vpid=$!
	for i in $(seq 1 100); do devproc_of "$vpid" serial > /dev/null && break; sleep 0.1; done
	for role in serial blk console net; do probe_devproc "$vpid" "$role"; done
	wait "$vpid"
	status=$?
	elapsed_ms=$(($(now_ms) - t0))
}

sandbox_checks() {
	level=$1
	out=$work/sandbox-$level
	disk=$work/linger-$level.img
	echo "# sandbox/$level: booting"
	once_more_if_died "sandbox/$level" sandbox_probe
	echo "# sandbox/$level: exit $status in $elapsed_ms ms"
	if [ ! -s "$out.proc-blk" ]; then
		not_ok "$level: the blk device process runs beside ktstr-vmm"
	else
		check "$level: blk device has seccomp filtering (Seccomp 2)" [ "$(probed blk Seccomp)" = 2 ]
		check "$level: blk device has no effective capabilities" [ "$(probed blk CapEff)" = 0000000000000000 ]
		[ "$level" = strict ] && check "strict: blk device is PID 1 of its own namespace" probed_nspid_one blk
	fi
	if [ ! -s "$out.proc-console" ]; then
		not_ok "$level: the console device process runs beside ktstr-vmm"
	else
		check "$level: console device has seccomp filtering (Seccomp 2)" [ "$(probed console Seccomp)" = 2 ]
		check "$level: console device has no effective capabilities" [ "$(probed console CapEff)" = 0000000000000000 ]
	fi
	if [ ! -s "$out.proc-net" ]; then
		not_ok "$level: the net device process runs beside ktstr-vmm"
	else
		check "$level: net device has seccomp filtering (Seccomp 2)" [ "$(probed net Seccomp)" = 2 ]
		check "$level: net device has no effective capabilities" [ "$(probed net CapEff)" = 0000000000000000 ]
		[ "$level" = strict ] && check "strict: net device has its own network namespace" \
			[ "$(probed net netns)" != "$(readlink /proc/self/ns/net)" ]
	fi
	if [ ! -s "$out.proc-serial" ]; then
		not_ok "$level: the serial device process runs beside ktstr-vmm"
	else
		check "$level: serial device has seccomp filtering (Seccomp 2)" [ "$(probed serial Seccomp)" = 2 ]
		check "$level: serial device has no_new_privs" [ "$(probed serial NoNewPrivs)" = 1 ]
		check "$level: serial device has no effective capabilities" [ "$(probed serial CapEff)" = 0000000000000000 ]
		check "$level: serial device has an empty bounding set" [ "$(probed serial CapBnd)" = 0000000000000000 ]
		uid=$(probed serial Uid | awk '{ print $1 }')
		if [ "$(id -u)" = 0 ]; then
			check "$level: serial device runs as uid 65534" [ "$uid" = 65534 ]
		else
			check "$level: serial device runs as our uid" [ "$uid" = "$(id -u)" ]
		fi
		if [ "$level" = strict ]; then
			check "strict: serial device is PID 1 of its own namespace" probed_nspid_one serial
			check "strict: serial device has its own user namespace" \
				[ "$(probed serial userns)" != "$(readlink /proc/self/ns/user)" ]
			# Only root may look into another user namespace's root.
			[ "$(id -u)" = 0 ] && check "strict: serial device's root is an empty tmpfs (here / is $host_root)" \
				probed_root_empty serial
		fi
	fi
	check "$level: the lingering payload still exits 0 (status $status)" status_is 0
}

# A disk image: zeros, with a known pattern at 1 MiB.
make_disk() {
	dd if=/dev/zero of="$1" bs=1M count=8 2>/dev/null
	printf 'KTSTR-DISK-PATTERN' | dd of="$1" bs=1 seek=1048576 conv=notrunc 2>/dev/null
}
# Whether any device process is left.
no_devproc_left() {
	for c in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' < "$c" 2>/dev/null | grep -q '^[^ ]*ktstr-devproc ' && return 1
	done
	return 0
}
disk_has() { [ "$(dd if="$1" bs=1 skip="$2" count=${#3} 2>/dev/null)" = "$3" ]; }
disk_lacks() { ! disk_has "$@"; }

blk_scenarios() {
	level=$1
	disk=$work/disk-$level.img
	make_disk "$disk"
	boot blk "$level" --disk "$disk" -- /e2e/blk.sh
	check "$level: blk.sh exits 0 (status $status)" status_is 0
	check "$level: the guest sees /dev/vda of 16384 sectors" result_is vda_sectors 16384
	check "$level: the guest reads the host's pattern" result_is pattern KTSTR-DISK-PATTERN
	check "$level: the guest's write is in the host file after sync" disk_has "$disk" 2097152 WRITTEN-BY-GUEST
	check "$level: the results count what the blk device served" json_ge 'devices[role=blk].requests' 1
	check "$level: ... with no bad requests" json_is 'devices[role=blk].bad_requests' 0

	make_disk "$disk"
	boot blk-ro "$level" --disk "$disk,ro" -- /e2e/blk.sh ro
	check "$level: a read-only disk is read-only in the guest" result_is ro_flag 1
	check "$level: ... and the guest's write is refused" result_is write refused
	check "$level: ... and the host file is untouched" disk_lacks "$disk" 2097152 MUST-NOT-ARRIVE
	check "$level: ... and still readable" result_is pattern KTSTR-DISK-PATTERN

	boot blk-throttle "$level" --disk "$disk,bps=1048576" -- /e2e/blk.sh throttle
	ms=$(result read_ms)
	check "$level: 4 MiB at 1 MiB/s (1 MiB burst) takes >= 2.5 s in the guest (${ms:-?} ms)" \
		[ "${ms:-0}" -ge 2500 ]
	check "$level: the results show the device waited for the limit" json_ge 'devices[role=blk].throttled_ms' 1000
	disks_scenario "$level"
}

# Every disk at once, each served by its own blk process: vda read-write, vdb read-only and
# of another size, vdc..vdh, and the net device beside them: all ten virtio slots.
disks_sized() { result_is vda_sectors 16384 && result_is vdb_sectors 8192 && result_is vdh_sectors 2048; }
disks_modes() { result_is vda_ro 0 && result_is vdb_ro 1 && result_is vdc_ro 0; }
disks_serials() { result_is vdb_serial ktstr-vmm-vdb && result_is vdh_serial ktstr-vmm-vdh; }
disks_patterns() { result_is vda_pattern KTSTR-DISK-PATTERN && result_is vdb_pattern KTSTR-DISK-SECOND; }
disk_ro_held() { result_is vdb_write refused && disk_lacks "$1" 2097152 MUST-NOT-ARRIVE; }
disks_named() {
	json_is 'devices[9].name' 'blk vdh' && json_ge 'devices[name=blk vdb].requests' 1 &&
		json_is 'devices[name=net].role' net
}
disks_scenario() {
	level=$1
	disk=$work/disk-$level.img
	disk2=$work/disk2-$level.img
	make_disk "$disk"
	dd if=/dev/zero of="$disk2" bs=1M count=4 2>/dev/null
	printf 'KTSTR-DISK-SECOND' | dd of="$disk2" bs=1 seek=1048576 conv=notrunc 2>/dev/null
	set --
	for i in 3 4 5 6 7 8; do
		dd if=/dev/zero of="$work/disk$i-$level.img" bs=1M count=1 2>/dev/null
		set -- "$@" --disk "$work/disk$i-$level.img"
	done
	boot disks "$level" --disk "$disk" --disk "$disk2,ro" "$@" --net -- /e2e/disks.sh 8
	check "$level: disks.sh exits 0 (status $status)" status_is 0
	check "$level: the guest sees 8 disks" result_is disks 8
	check "$level: vda, vdb and vdh have their own sizes" disks_sized
	check "$level: vda is writable, vdb read-only" disks_modes
	check "$level: each disk has its own serial" disks_serials
	check "$level: each reads its own host file" disks_patterns
	check "$level: the write to vda reached its file" disk_has "$disk" 2097152 WRITTEN-TO-VDA
	check "$level: the write to vdb was refused and its file is untouched" disk_ro_held "$disk2"
	check "$level: the results name all ten devices" disks_named
}

net_scenarios() {
	level=$1
	boot net "$level" --net=02:6b:74:00:00:07 -- /e2e/net.sh 20
	check "$level: net.sh exits 0 (status $status)" status_is 0
	check "$level: eth0 has the MAC it was given" result_is address 02:6b:74:00:00:07
	check "$level: 20 frames sent on eth0 came back intact" result_is intact 20
	check "$level: the results count what the net device looped" json_ge 'devices[role=net].requests' 1
}

# The host program at the far end of --stats-socket.
echo_server=$bin/echo-server
[ -x "$echo_server" ] || echo_server=$bin/tests/echo-server

# What hostile_mmio read of the blk window: virtio's magic, version 2, a block device.
blk_window_read() { result_is magic 0x74726976 && result_is version 2 && result_is device 2; }

# A hostile driver: the guest programs the blk window itself through /dev/mem (storms,
# rings outside RAM, a looping chain, a head beyond the queue); the host comes through.
hostile_scenarios() {
	level=$1
	disk=$work/disk-hostile-$level.img   # not $out.*: boot removes those
	make_disk "$disk"
	boot hostile "$level" --disk "$disk" -- /e2e/hostile.sh 300
	check "$level: a hostile driver's run ends with its own status (status $status)" status_is 0
	check "$level: ... it programmed the blk window itself" blk_window_read
	check "$level: ... and got through every case" result_has_line 'hostile_mmio: done'
	bad=$(jget 'devices[role=blk].bad_requests')
	check "$level: the blk device refused its rings (bad_requests ${bad:-none})" [ "${bad:-0}" -ge 2 ]
	check "$level: no device process outlives the run" no_devproc_left
}

# frame_is N TYPE NAME: the results' frame N (in the order sent) is an intact TYPE frame whose
# JSON payload (libktstr's) is named NAME.
frame_is() {
	json_is "frames[$1].type" "$2" && json_is "frames[$1].crc_ok" true &&
		[ "$(jget "frames[$1].data" | "$json_get" - name)" = "$3" ]
}
# tlv_counts_clean N: the console device counted N TLV frames, no CRC error and no garbage.
tlv_counts_clean() {
	json_is 'devices[role=console].tlv_frames' "$1" && json_is 'devices[role=console].tlv_crc_errors' 0 &&
		json_is 'devices[role=console].tlv_garbage_bytes' 0
}
log_cut_at() { json_is console_log.limit_bytes "$1" && json_is console_log.truncated true; }

console_scenarios() {
	level=$1
	sock=$work/stats-$level.sock
	rm -f "$sock"
	"$echo_server" "$sock" &
	epid=$!
	i=0
	while [ ! -S "$sock" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	boot console "$level" --stats-socket "$sock" -- /e2e/console.sh 9
	kill "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null
	check "$level: console.sh exits 0 (status $status)" status_is 0
	# tlvsend's EXIT says 9; ktstr-init's own EXIT frame, last, says what console.sh returned.
	check "$level: ktstr-init's TLV EXIT frame carries the payload's status" json_is tlv_exit_status 0
	check "$level: its first TEST frame is in the results" frame_is 0 TEST e2e.first
	check "$level: its second TEST frame is in the results" frame_is 1 TEST e2e.second
	check "$level: its PMET frame is in the results" frame_is 2 PMET e2e.iterations
	check "$level: 5 TLV frames (tlvsend's 4, ktstr-init's EXIT), no CRC errors, no garbage" tlv_counts_clean 5
	check "$level: what the guest wrote to /dev/hvc0 is in the console log" \
		log_has 'console.sh: hello through hvc0'
	check "$level: a line echoed through --stats-socket came back to the guest" \
		result_is relay_reply ping-through-the-host

	boot flood "$level" --console-log-limit 1 -- /e2e/flood.sh
	check "$level: flood.sh exits 0 (status $status)" status_is 0
	check "$level: a 2 MiB console flood leaves the log at its 1 MiB limit" \
		[ "$(wc -c < "$out.console")" -eq 1048576 ]
	check "$level: the results say the console log was truncated at 1 MiB" log_cut_at 1048576
	check "$level: ktstr-vmm warns that the console log reached its limit" \
		grep -q 'console log reached its limit of 1 MiB' "$out.stderr"
}

# The guest's core_id of a CPU (its numbering is the kernel's: per package or per AMD node).
core_of() { result core "cpu$1"; }
# cpu_has CPU THREADS LLC: topo.sh's line of that CPU names these SMT siblings and LLC sharers.
cpu_has() { result_is threads "$2" "cpu$1" && result_is llc "$3" "cpu$1"; }
# node_has NODE CPUS DISTANCES: topo.sh's line of that node names these CPUs and distances.
node_has() { result_is cpus "$2" "node$1" && result_is distance "$3" "node$1"; }

# smt_pair_cores A B C: A and B on one core, C on another.
smt_pair_cores() { [ -n "$(core_of "$1")" ] && [ "$(core_of "$1")" = "$(core_of "$2")" ] && [ "$(core_of "$2")" != "$(core_of "$3")" ]; }

# node_mem_ok NODE MIB: the guest's MemTotal of that node is 80..100 % of what was asked.
node_mem_ok() {
	kb=$(result mem_kb "node$1")
	[ -n "$kb" ] && [ "$kb" -le $(($2 * 1024)) ] && [ "$kb" -ge $(($2 * 1024 * 8 / 10)) ]
}

topo_scenarios() {
	level=$1
	boot topo-1121 "$level" --topology 1,1,2,1 -- /e2e/topo.sh
	check "$level: 1,1,2,1: two CPUs online" result_is online 0-1
	check "$level: 1,1,2,1: cpu1 is alone on its core, sharing the LLC with cpu0" cpu_has 1 1 0-1
	check "$level: 1,1,2,1: cpu0 and cpu1 are different cores" [ "$(core_of 0)" != "$(core_of 1)" ]
	check "$level: 1,1,2,1: one node holding both" result_is cpus 0-1 node0

	boot topo-1222 "$level" --topology 1,2,2,2 -- /e2e/topo.sh
	check "$level: 1,2,2,2: eight CPUs online" result_is online 0-7
	check "$level: 1,2,2,2: cpu0 has its SMT sibling and shares an LLC with 0-3" cpu_has 0 0-1 0-3
	check "$level: 1,2,2,2: cpu5 is in the second LLC" cpu_has 5 4-5 4-7
	check "$level: 1,2,2,2: SMT siblings share a core, the next pair does not" smt_pair_cores 4 5 6
	check "$level: 1,2,2,2: cpu5 shares its L2 with its SMT sibling only" result_is l2 4-5 cpu5

	boot topo-2221 "$level" --topology 2,2,2,1 --memory 1024 -- /e2e/topo.sh
	check "$level: 2,2,2,1: node 0 has cpus 0-1 and distances 10 20" node_has 0 0-1 '10 20'
	check "$level: 2,2,2,1: node 1 has cpus 2-3 and distances 20 10" node_has 1 2-3 '20 10'
	check "$level: 2,2,2,1: cpu3 shares its LLC with cpu2, no SMT sibling" cpu_has 3 3 2-3
	check "$level: 2,2,2,1: cpu2 and cpu3 are different cores" [ "$(core_of 2)" != "$(core_of 3)" ]
	check "$level: 2,2,2,1: node 0 has about 512 MiB" node_mem_ok 0 512
	check "$level: 2,2,2,1: node 1 has about 512 MiB" node_mem_ok 1 512

	boot topo-2111 "$level" --topology 2,1,1,1 --numa-node llcs=1,mem=384 \
		--numa-node llcs=0,mem=256,latency_ns=150,cache_mib=64 --numa-distances '10,30;30,10' \
		-- /e2e/topo.sh
	check "$level: 2,1,1,1: one CPU, on node 0" node_has 0 0 '10 30'
	check "$level: 2,1,1,1: node 1 is memory-only, at distance 30" node_has 1 '' '30 10'
	check "$level: 2,1,1,1: the memory-only node has about 256 MiB" node_mem_ok 1 256
	check "$level: 2,1,1,1: HMAT: node 0 reaches node 1's memory in 150 ns x 30/10" \
		result_is latency 450 node1
	check "$level: 2,1,1,1: HMAT: node 1 has a 64 MiB memory-side cache" result_is cache 67108864 node1
}

# The MP table, read by a kernel that has the MP parser (KTSTR_MP_KERNEL) booted acpi=off.
mp_scenarios() {
	level=$1
	if [ ! -r "${KTSTR_MP_KERNEL:-}" ]; then
		not_ok "$level: a kernel with the MP parser is given (KTSTR_MP_KERNEL)"
		return 0
	fi
	boot mptable "$level" --kernel "$KTSTR_MP_KERNEL" --topology 1,2,2,1 --append acpi=off --timeout 90 \
		-- /e2e/topo.sh
	check "$level: acpi=off: the MP table brings up all 4 CPUs" result_is online 0-3
	check "$level: acpi=off: cpu3 shares its LLC with cpu2" cpu_has 3 3 2-3
}

# The initramfs ktstr-vmm builds itself (initgen): a dynamically linked payload with its
# libraries and arguments, the guest kernel's virtio modules loaded by ktstr-init, the
# cache, and a /scheduler that exits before it attaches.
# sched_ext for real: the project's kernel (KTSTR_SCX_KERNEL, scripts/build-kernel) and
# schedulers built from its tree (KTSTR_SCHEDULERS, scripts/build-scheduler); the payload is
# scx_probe (tests/e2e/guest/scx_probe.c), packed by ktstr-vmm with the scheduler.
scx_boot() { # scx_boot NAME SCHEDULER [ktstr-vmm options] -- probe args
	scx_name=$1 scx_sched=$2; shift 2
	boot "$scx_name" "$level" --kernel "$KTSTR_SCX_KERNEL" --scheduler "$KTSTR_SCHEDULERS/$scx_sched" "$@"
}
scx_attached() { result_is state enabled before && result_is ops simple before; }
scx_still_on() { result_is work 'done' && result_is state enabled after; }
scx_went_on() { result_is killed yes && json_is guest_exit_status 0; }
scx_cmdline_devices() { result_is vda_sectors 16384 && result_is eth0 02:6b:74:00:00:09 && result_is hvc0 yes; }
scx_frame_says() { json_is 'frames[type=SCDX].crc_ok' true && json_says 'frames[type=SCDX].data' "$1"; }
scx_topology() { result_is threads 0-1 cpu0 && result_is llc 0-3 cpu0 && result_is threads 6-7 cpu7 && result_is llc 4-7 cpu7; }
scx_scenarios() {
	level=$1
	if [ ! -f "${KTSTR_SCX_KERNEL:-}" ] || [ ! -x "${KTSTR_SCHEDULERS:-}/scx_simple" ] || [ ! -x "${KTSTR_SCX_PROBE:-}" ]; then
		not_ok "$level: the sched_ext kernel, schedulers and probe are given (KTSTR_SCX_*, KTSTR_SCHEDULERS)"
		return 0
	fi
	XDG_CACHE_HOME=$work/cache-$level
	export XDG_CACHE_HOME
	built=1
	scx_boot scx-simple scx_simple --topology 1,2,2,2 -- "$KTSTR_SCX_PROBE" run 1500
	check "$level: scx: scx_simple attaches and the payload exits 0 (status $status)" status_is 0
	check "$level: scx: the payload sees sched_ext enabled, ops simple" scx_attached
	check "$level: scx: its work ran under it, still enabled at the end" scx_still_on
	check "$level: scx: no scheduler death in the results" json_is scheduler_exit null
	check "$level: scx: --topology 1,2,2,2: SMT pairs and two LLCs of four" scx_topology

	scx_boot scx-killed scx_simple -- "$KTSTR_SCX_PROBE" kill 2000
	check "$level: scx: a scheduler killed under the payload exits 118 (status $status)" status_is 118
	check "$level: scx: ... the outcome says scheduler_died" json_is outcome scheduler_died
	check "$level: scx: ... the payload went on and reported 0" scx_went_on
	check "$level: scx: ... an SCDX frame says how it ended" scx_frame_says '/scheduler killed by signal KILL'
	check "$level: scx: ... and the kernel's reason" json_says scheduler_exit 'sched_ext: BPF scheduler "simple" disabled'
	echo "# scx-killed/$level: scheduler_exit: $(jget scheduler_exit)"

	# Every 20th enqueue of a user task is never dispatched; the probe's threads wake every
	# millisecond, so one is stalled at once, and the watchdog (5 s for qmap) ejects qmap.
	scx_boot scx-stall scx_qmap --scheduler-arg -t --scheduler-arg 20 -- "$KTSTR_SCX_PROBE" wake 12000
	check "$level: scx: scx_qmap stalling tasks is ejected: status 118 (status $status)" status_is 118
	check "$level: scx: ... with the watchdog's reason in the results" json_says scheduler_exit 'runnable task stall'
	echo "# scx-stall/$level: scheduler_exit: $(jget scheduler_exit)"

	boot scx-none "$level" --scheduler "$KTSTR_SCHEDULERS/scx_simple" -- "$KTSTR_SCX_PROBE" run 100
	check "$level: scx: on Debian's kernel scx_simple never attaches (status $status)" status_is 121
	check "$level: scx: ... SchedulerNotAttached says why" json_says 'panics[0]' 'SchedulerNotAttached: /scheduler '
	check "$level: scx: ... this kernel has no sched_ext" json_says 'panics[0]' 'this kernel has no sched_ext'
	built=0
	unset XDG_CACHE_HOME

	# The devices on the command line (virtio_mmio.device=), which this kernel parses; the
	# guest then runs without ACPI (their IRQs are ISA IRQs), its CPUs from the MP table.
	disk=$work/disk-scx-$level.img
	make_disk "$disk"
	boot scx-cmdline "$level" --kernel "$KTSTR_SCX_KERNEL" --virtio-cmdline --cpus 2 --disk "$disk" \
		--net=02:6b:74:00:00:09 -- /e2e/devices.sh
	check "$level: scx: --virtio-cmdline: devices.sh exits 0 (status $status)" status_is 0
	check "$level: scx: --virtio-cmdline: blk, net and console all probed" scx_cmdline_devices
	check "$level: scx: --virtio-cmdline: the console's TLV port carried the EXIT frame" json_is tlv_exit_status 0
	check "$level: scx: --virtio-cmdline: both CPUs up from the MP table" result_is cpus 2
}

initgen_scenarios() {
	level=$1
	if [ ! -x "${KTSTR_ZPAYLOAD:-}" ] || [ ! -d "${KTSTR_MODULES:-}" ]; then
		not_ok "$level: the initgen payload and module tree are given (KTSTR_ZPAYLOAD, KTSTR_MODULES)"
		return 0
	fi
	XDG_CACHE_HOME=$work/cache-$level
	export XDG_CACHE_HOME
	rm -rf "$XDG_CACHE_HOME"
	disk=$work/disk-initgen-$level.img   # not $out.*: run_vmm clears those
	dd if=/dev/zero of="$disk" bs=1M count=1 2>/dev/null
	built=1
	boot initgen "$level" --modules "$KTSTR_MODULES" --disk "$disk" -- "$KTSTR_ZPAYLOAD" alpha "two words"
	check "$level: initgen: the dynamically linked payload exits 0 (status $status)" status_is 0
	check "$level: initgen: its zlib works in the guest" result_is zlib ok
	check "$level: initgen: its arguments arrive intact" result_is args 'alpha|two words'
	check "$level: initgen: the packed modules bring up /dev/vda" result_is vda yes
	check "$level: initgen: the first run builds the initramfs" json_is initramfs.cache_hit false
	check "$level: initgen: the kernel proper is decompressed on the host and booted directly" \
		json_is kernel_boot.direct true
	check "$level: initgen: it is mapped, so the guest retains it (retain_initrd)" result_is retain_initrd yes
	boot initgen-again "$level" --modules "$KTSTR_MODULES" --disk "$disk" -- "$KTSTR_ZPAYLOAD" alpha "two words"
	check "$level: initgen: the second run takes it from the cache (status $status)" json_is initramfs.cache_hit true
	ms=$(jget timings_ms.initramfs)
	echo "# initgen/$level: cache hit in ${ms:-?} ms"
	check "$level: initgen: ... and so is the kernel: one image in the cache" \
		test "$(find "$XDG_CACHE_HOME/ktstr-vmm/vmlinux" -name '*.img' | wc -l)" -eq 1
	boot initgen-sched "$level" --guest-decompress --scheduler "$KTSTR_FAKE_SCHEDULER" -- /bin/true
	check "$level: initgen: a /scheduler that exits early is reported" \
		json_says 'panics[0]' 'SchedulerNotAttached: /scheduler exited with status 3'
	check "$level: initgen: ... and the payload does not run (status $status)" status_is 121
	check "$level: initgen: --guest-decompress boots through the kernel's own decompressor" \
		json_says kernel_boot.detail "the kernel's own decompressor: --guest-decompress"
	built=0
	unset XDG_CACHE_HOME
}

# The running ktstr-vmm's vCPU 0 thread and main thread, seen from the L1: "vcpu0 POLICY CPUS"
# and "main CPUS" (POLICY from /proc/PID/task/TID/stat, 1 = SCHED_FIFO; CPUS its allowed
# list), polled until the thread shows (up to 30 s).
watch_threads() {
	tries=0
	while [ "$tries" -lt 300 ]; do
		# no fork per process (read is built in): with --performance the L1 has one CPU left
		for d in /proc/[0-9]*; do
			comm=
			read -r comm < "$d/comm" 2>/dev/null
			[ "$comm" = ktstr-vmm ] || continue
			for t in "$d"/task/*; do
				comm=
				read -r comm < "$t/comm" 2>/dev/null
				[ "$comm" = vcpu0 ] || continue
				policy=$(sed 's/.*) //' "$t/stat" | awk '{ print $39 }')
				echo "vcpu0 $policy $(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")"
				echo "main $(awk '/^Cpus_allowed_list/ { print $2 }' "$d/status")"
				return 0
			done
		done
		sleep 0.1
		tries=$((tries + 1))
	done
	return 1
}
thread_is() { # thread_is FILE NAME POLICY: the thread ran with that policy
	awk -v n="$2" -v p="$3" '$1 == n && $2 == p { f = 1 } END { exit !f }' "$1"
}
# --performance: vCPU 0 alone on one host CPU, the one the results name; vmm on another.
perf_pinned() {
	vcpu=$(awk '$1 == "vcpu0" { print $3 }' "$1") main=$(awk '$1 == "main" { print $2 }' "$1")
	echo "# perf: vcpu0 on CPU ${vcpu:-?}, vmm's main thread on ${main:-?}"
	case $vcpu$main in ''|*[!0-9]*) return 1 ;; esac
	[ "$vcpu" != "$main" ] && json_says performance.settings.placement.detail "host CPU $vcpu,"
}
# Without it: vCPU 0 may run wherever vmm may.
perf_unpinned() {
	vcpu=$(awk '$1 == "vcpu0" { print $3 }' "$1") main=$(awk '$1 == "main" { print $2 }' "$1")
	[ -n "$vcpu" ] && [ "$vcpu" = "$main" ]
}
# A setting --performance applied; one that needs privileges may be refused without them.
perf_applied() {
	case $1 in
	hugepages|sched_fifo) [ "$(id -u)" = 0 ] || { jget "performance.settings.$1.detail" >/dev/null; return; } ;;
	esac
	json_is "performance.settings.$1.applied" true
}
perf_scenarios() {
	level=$1   # the threads files are not named $out.*: run_vmm clears those
	KTSTR_LOCK_DIR=$work/locks
	export KTSTR_LOCK_DIR
	pool=$(cat /proc/sys/vm/nr_hugepages)
	[ "$(id -u)" = 0 ] && echo $((pool + 128)) > /proc/sys/vm/nr_hugepages   # the guest's 256 MiB
	watch_threads > "$work/threads-perf-$level" &
	watcher=$!
	boot perf "$level" --performance --cpus 1 --memory 256 -- /e2e/perf.sh 5
	wait "$watcher"
	[ "$(id -u)" = 0 ] && echo "$pool" > /proc/sys/vm/nr_hugepages
	unset KTSTR_LOCK_DIR
	check "$level: perf: --performance boots and exits 0 (status $status)" status_is 0
	for s in placement service_cpu hugepages mbind prefault sched_fifo disable_exits realtime_hint halt_poll; do
		check "$level: perf: $s applied" perf_applied "$s"
	done
	check "$level: perf: the guest idles in cpuidle-haltpoll (the realtime hint)" result_is cpuidle_driver haltpoll
	check "$level: perf: L1 sees vCPU 0's thread at SCHED_FIFO" thread_is "$work/threads-perf-$level" vcpu0 1
	check "$level: perf: ... on its own host CPU, vmm's threads on another" perf_pinned "$work/threads-perf-$level"

	watch_threads > "$work/threads-default-$level" &
	watcher=$!
	boot perf-default "$level" --cpus 1 --memory 256 -- /e2e/perf.sh 3
	wait "$watcher"
	check "$level: perf: by default it exits 0 too (status $status)" status_is 0
	driver=$(result cpuidle_driver)
	echo "# perf-default/$level: cpuidle driver ${driver:-?}"
	check "$level: perf: by default the guest has no haltpoll" [ "${driver:-haltpoll}" != haltpoll ]
	check "$level: perf: ... vCPU 0's thread is SCHED_OTHER" thread_is "$work/threads-default-$level" vcpu0 0
	check "$level: perf: ... and may run wherever vmm may" perf_unpinned "$work/threads-default-$level"
	check "$level: perf: ... and --results has no performance block" no_performance_block
}
no_performance_block() { [ -s "$out.json" ] && [ -z "$(jget performance.requested 2>/dev/null)" ]; }

# ktstr-run with real VMs: six tests, two at a time, each sandboxed at this level, one of
# them a sched_ext test on the project's kernel; three fail as they should (a payload's own
# failure, a kernel panic, a timeout) and are not retried.
runner_scenarios() {
	level=$1
	suite=$work/suite-runner-$level   # not $out.*: cleared below
	cat > "$suite" <<SUITE
[defaults]
sandbox = $level
[passes]
run = /bin/true
initrd = $initrd
[reports-42]
run = /e2e/report.sh 42
initrd = $initrd
expect = 42
[fails]
run = /bin/false
initrd = $initrd
[panics]
run = /e2e/panic.sh
initrd = $initrd
[times-out]
run = /e2e/hang.sh
initrd = $initrd
timeout = 5
[sched/simple]
kernel = $KTSTR_SCX_KERNEL
scheduler = $KTSTR_SCHEDULERS/scx_simple
run = $KTSTR_SCX_PROBE run 500
SUITE
	out=$work/runner-$level
	rm -f "$out".*
	XDG_CACHE_HOME=$work/cache-$level
	export XDG_CACHE_HOME
	t0=$(now_ms)
	"$bin/ktstr-run" -j 2 --kernel "$kernel" --junit "$out.xml" --json "$out.json" \
		--work-dir "$work/runner-logs-$level" "$suite" > "$out.tap" 2> "$out.stderr"
	status=$? elapsed_ms=$(($(now_ms) - t0))
	unset XDG_CACHE_HOME
	echo "# runner/$level: exit $status in $elapsed_ms ms; $(tail -n 1 "$out.stderr")"
	sed 's/^/# runner tap: /' "$out.tap" | grep -v '^# runner tap:   ' | head -n 12
	tail -n 3 "$work/runner-logs-$level"/000-*.stderr 2>/dev/null | sed 's/^/# runner: the first test: /'
	check "$level: runner: three expected failures: exit 1 (status $status)" status_is 1
	check "$level: runner: TAP passes, reports-42 and sched/simple; fails, panics, times-out not" runner_tap_right
	check "$level: runner: the payload's own failure (status 1), not retried" runner_json 2 'status attempts' '1 1'
	check "$level: runner: the kernel panic's outcome" runner_json 3 outcome panic
	check "$level: runner: ... and its text in the JUnit failure" grep -q 'sysrq triggered crash' "$out.xml"
	check "$level: runner: the timeout's outcome" runner_json 4 outcome timeout
	check "$level: runner: the sched_ext test passed under scx_simple" runner_json 5 'passed outcome' 'true exited'
	check "$level: runner: JUnit: 6 tests, 3 failures" grep -q 'tests="6" failures="3"' "$out.xml"
	check "$level: runner: two VMs at once: the run took less than its tests' sum" runner_overlapped
}
runner_tap_right() {
	[ "$(grep -E '^(not )?ok' "$out.tap" | sed 's/ #.*//; s/ [0-9]* - / /' | tr '\n' ',')" = \
	  "ok passes,ok reports-42,not ok fails,not ok panics,not ok times-out,ok sched/simple," ]
}
runner_json() { # runner_json INDEX 'KEYS' 'VALUES'
	got=
	for k in $2; do got="$got${got:+ }$("$json_get" "$out.json" "[$1].$k")"; done
	[ "$got" = "$3" ] || { echo "# runner: [$1] $2: $got, not $3"; return 1; }
}
runner_overlapped() {
	sum_ms=0 i=0
	while [ "$i" -lt 6 ]; do
		s=$("$json_get" "$out.json" "[$i].seconds") || return 1
		sum_ms=$((sum_ms + $(echo "$s" | awk '{ printf "%d", $1 * 1000 }')))
		i=$((i + 1))
	done
	echo "# runner: $elapsed_ms ms for $sum_ms ms of tests"
	[ "$elapsed_ms" -lt "$sum_ms" ]
}

one_host_cpu() {
	v=$(jget host_cpus) || return 1
	case $v in ''|*[!0-9]*) return 1 ;; esac
	[ -e "$work/locks/cpu$v.lock" ]
}
scenarios() {
	level=$1
	if [ -n "${KTSTR_E2E_ONLY:-}" ]; then   # a developer's shortcut: only these parts
		for part in $KTSTR_E2E_ONLY; do "$part" "$level" || not_ok "$level: $part did not run"; done
		return 0
	fi

	boot exit0 "$level" -- /bin/true
	check "$level: /bin/true exits 0 (status $status)" status_is 0
	check "$level: results say exited" json_is outcome exited

	# --cpu-cap 1: the whole VM on one host CPU, reserved in a lock directory of the suite's
	KTSTR_LOCK_DIR=$work/locks
	export KTSTR_LOCK_DIR
	boot exit1 "$level" --cpu-cap 1 -- /bin/false
	check "$level: /bin/false exits 1 (status $status)" status_is 1
	check "$level: --cpu-cap 1: the results name the one host CPU it had" one_host_cpu
	unset KTSTR_LOCK_DIR

	boot report "$level" --cpus 4 --memory 5120 -- /e2e/report.sh 42
	check "$level: report.sh exits 42 (status $status)" status_is 42
	check "$level: the guest sees 4 CPUs" result_is cpus 4
	check "$level: all 4 CPUs are online" result_is online 0-3
	check "$level: --memory 5120 puts RAM above 4 GiB" result_is ram_above_4g yes
	kb=$(result memtotal_kb)
	check "$level: MemTotal ${kb:-?} kB is over 4.5 GiB" [ "${kb:-0}" -gt 4718592 ]
	check "$level: the payload's console output is in the console log" log_has 'report.sh: cpus=4'

	boot hang "$level" --timeout 5 -- /e2e/hang.sh
	check "$level: a hanging payload gives the timeout status (status $status)" status_is 124
	# --timeout counts from the first KVM_RUN: what came before (loading the kernel, several
	# seconds under emulation) is not the guest's time
	running_ms=$(jget timings_ms.running | cut -d. -f1)
	check "$level: ... within timeout + 2 s of its first KVM_RUN (${running_ms:-?} ms of $elapsed_ms)" \
		[ "${running_ms:-99999}" -le 7000 ]
	check "$level: results say timeout" json_is outcome timeout

	boot panic "$level" -- /e2e/panic.sh
	check "$level: a kernel panic gives the panic status (status $status)" status_is 122
	check "$level: the panic text is in the results" json_says 'kernel_panic[0]' 'sysrq triggered crash'

	boot segv "$level" -- /e2e/segv.sh
	check "$level: a payload killed by SIGSEGV exits 139 (status $status)" status_is 139
	check "$level: init's PANIC line reaches the results" json_says 'panics[0]' 'payload killed by signal SEGV'

	# A scenario that cannot run at all (a missing function: status 127) is a failure too.
	for part in initgen_scenarios blk_scenarios net_scenarios console_scenarios hostile_scenarios \
		    topo_scenarios mp_scenarios scx_scenarios perf_scenarios runner_scenarios sandbox_checks; do
		"$part" "$level" || not_ok "$level: $part did not run (status $?)"
	done
}

[ -c /dev/kvm ] || { echo "not ok 1 - /dev/kvm exists"; exit 1; }
"$vmm" --check-host | grep -E '^(ok|warn|fail) +(kvm-kind|userns) ' | sed 's/^/# check-host: /'
# The initial ramfs (as in the nested L1) is its own parent mount: strict cannot pivot there.
host_root="$(stat -f -c %T /) with a parent mount"
while read -r id parent _ _ point _; do
	[ "$point" = / ] && [ "$id" = "$parent" ] && host_root="the initial ramfs"
done < /proc/self/mountinfo
echo "# host root: $host_root"
for level in $levels; do
	scenarios "$level"
done
echo "# e2e: $((n - failed)) of $n checks passed"
[ "$failed" -eq 0 ] && exit 0
[ "$failed" -gt 100 ] && exit 100
exit "$failed"
