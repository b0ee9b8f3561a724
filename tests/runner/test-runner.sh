#!/bin/sh
# ktstr-run end to end without KVM (make test-runner, part of make check): a suite of eight
# tests (passing, failing, a panicking guest, a timeout, a scheduler test, two slow ones, an
# infrastructure failure) run with -j 2 through tests/runner/fake-vmm.sh; its TAP read by
# prove, its JUnit XML checked against tests/support/junit.xsd by xmllint, its JSON by
# json-get; the shards of a suite cover it once; filters; bad suites.
# usage: tests/runner/test-runner.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
run=$build/ktstr-run json_get=$build/tests/json-get
work=$(mktemp -d /tmp/ktstr-runner-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

: > "$work/vmlinuz"
cat > "$work/suite" <<SUITE
# the runner's own test suite
[defaults]
kernel = $work/vmlinuz
timeout = 30

[passes]
run = pass
tags = quick
[fails]
run = fail
[panics]
run = panic
[times-out]
run = timeout
expect = 0
[sched/simple]
run = sched
scheduler = /bin/true
tags = sched quick
[slow-1]
run = slow
[slow-2]
run = slow
[flaky-host]
run = infra
SUITE
export KTSTR_FAKE_LOG="$work/log"
: > "$KTSTR_FAKE_LOG"
"$run" --vmm "$here/fake-vmm.sh" -j 2 --junit "$work/junit.xml" --json "$work/out.json" \
	--work-dir "$work/logs" "$work/suite" > "$work/tap" 2> "$work/stderr"
status=$?
check "a suite with failures exits 1 (status $status)" [ "$status" -eq 1 ]
check "--work-dir is made, and holds each test's logs" [ -s "$work/logs/002-panics.stderr" ]
check "TAP: prove reads it and counts 3 failures of 8" \
	sh -c "prove -e cat '$work/tap' 2>&1 | grep -q 'Failed 3/8 subtests'"
"$run" --vmm "$here/fake-vmm.sh" --filter tag:quick --work-dir "$work/quick" "$work/suite" > "$work/quick.tap" 2>/dev/null
check "TAP: prove passes an all-pass run (exit 0)" sh -c "prove -e cat '$work/quick.tap' > '$work/prove.out' 2>&1"
check "TAP: exactly fails, panics and times-out are not ok" \
	[ "$(grep '^not ok' "$work/tap" | sed 's/^not ok [0-9]* - //; s/ #.*//' | tr '\n' ' ')" = "fails panics times-out " ]
valid() { xmllint --noout --schema "$here/../support/junit.xsd" "$1" 2> "$work/xmllint.err" || { cat "$work/xmllint.err"; false; }; }
check "JUnit: valid against the schema (xmllint)" valid "$work/junit.xml"
invalid() { ! xmllint --noout --schema "$here/../support/junit.xsd" "$1" 2>/dev/null; }
printf '<testsuites><testsuite tests="1" failures="0" errors="0"/></testsuites>\n' > "$work/no-name.xml"
check "... a schema that refuses a testsuite without a name" invalid "$work/no-name.xml"
check "JUnit: 8 tests, 3 failures" grep -q 'testsuite name="suite" tests="8" failures="3"' "$work/junit.xml"
check "JUnit: the guest's PANIC text is in its failure" grep -q 'the payload panicked on purpose' "$work/junit.xml"
check "JUnit: console bytes that are no XML became U+FFFD, markup escaped" \
	grep -q "boom $(printf '\357\277\275\357\277\275')" "$work/junit.xml"
check "JUnit: markup in the console is escaped" grep -q '2 of 3 checks failed &lt;&amp;&gt;' "$work/junit.xml"
check "JSON: the host error was retried, then passed" \
	sh -c "[ \"\$('$json_get' '$work/out.json' '[7].attempts')\" = 2 ] && [ \"\$('$json_get' '$work/out.json' '[7].passed')\" = true ]"
check "JSON: ... and the retry is reported" \
	sh -c "'$json_get' '$work/out.json' '[7].retries' | grep -q 'attempt 1: expected status 0, got 120'"
check "... and the failed attempt's log is kept beside the next" [ -s "$work/logs/007-flaky-host.stderr.1" ]
check "JSON: a test's own failure is never retried" [ "$("$json_get" "$work/out.json" '[1].attempts')" = 1 ]
check "JSON: the timeout's outcome" [ "$("$json_get" "$work/out.json" '[3].outcome')" = timeout ]
check "each VM had its CPUs reserved and waited for them" \
	sh -c "grep -- '--cpu-cap 1 --wait-for-cpus' '$KTSTR_FAKE_LOG' | grep -c '$work/logs/' | grep -qx 9"
# both started before either ended
overlapped() {
	starts=$(grep -c start "$KTSTR_FAKE_LOG.times")
	first_end=$(grep end "$KTSTR_FAKE_LOG.times" | head -n 1 | cut -d' ' -f2)
	last_start=$(grep start "$KTSTR_FAKE_LOG.times" | tail -n 1 | cut -d' ' -f2)
	[ "$starts" = 2 ] && [ "$last_start" -lt "$first_end" ]
}
rm -f "$KTSTR_FAKE_LOG.times"
"$run" --vmm "$here/fake-vmm.sh" -j 2 --filter 'slow-*' --work-dir "$work" "$work/suite" > /dev/null 2>&1
check "-j 2: two slow tests run at once" overlapped

# shards: each test in exactly one of three, the union the suite
for i in 0 1 2; do "$run" --list --shard "$i/3" "$work/suite" | cut -f1; done | sort > "$work/sharded"
"$run" --list "$work/suite" | cut -f1 | sort > "$work/all"
check "shards 0/3, 1/3, 2/3 hold every test once" cmp -s "$work/sharded" "$work/all"
check "--filter tag:quick picks the two quick tests" \
	[ "$("$run" --list --filter tag:quick "$work/suite" | cut -f1 | tr '\n' ' ')" = "passes sched/simple " ]
check "--filter 'slow-*' by name" [ "$("$run" --list --filter 'slow-*' "$work/suite" | wc -l)" -eq 2 ]

# shards on "machines" of their own, then merged: the same tests, counts and outcomes
for i in 0 1 2; do
	"$run" --vmm "$here/fake-vmm.sh" --shard "$i/3" --junit "$work/shard-$i.xml" --json "$work/shard-$i.json" \
		--work-dir "$work" "$work/suite" > /dev/null 2>&1
done
"$run" --merge --junit "$work/merged.xml" --json "$work/merged.json" "$work"/shard-*.xml "$work"/shard-*.json \
	2> "$work/merge.err"
status=$?
check "--merge: exit 1, some shard failed (status $status)" [ "$status" -eq 1 ]
check "--merge: its summary counts 8 tests and 3 failures" grep -q 'merged 6 reports: 8 tests, 3 failed' "$work/merge.err"
check "--merge: the JUnit is valid against the schema" valid "$work/merged.xml"
check "--merge: ... with every test once" \
	[ "$(grep -o '<testcase name="[^"]*"' "$work/merged.xml" | sort | tr '\n' ' ')" = "$(grep -o '<testcase name="[^"]*"' "$work/junit.xml" | sort | tr '\n' ' ')" ]
check "--merge: the JSON holds all 8 outcomes" [ "$("$json_get" "$work/merged.json" '[7].name' 2>/dev/null | wc -l)" -eq 1 ]
"$run" --merge --junit "$work/x.xml" "$work/suite" 2> "$work/merge.err"
check "--merge refuses what ktstr-run did not write" \
	sh -c "[ $? -eq 2 ] && grep -q 'neither a --junit nor a --json report' '$work/merge.err'"
printf '[foo barx]\n' > "$work/fake.json"
printf '<html><testsuite tests="1" failures="0" errors="0" skipped="0"></testsuite></html>\n' > "$work/fake.xml"
refused() { ! "$run" --merge --junit "$work/y.xml" --json "$work/y.json" "$1" 2>/dev/null && [ ! -e "$work/y.xml" ]; }
check "--merge refuses a JSON array of other things, writing nothing" refused "$work/fake.json"
check "--merge refuses an XML file that is not ktstr-run's, writing nothing" refused "$work/fake.xml"
cp "$work/merged.xml" "$work/again.xml"
"$run" --merge --junit "$work/again.xml" "$work/again.xml" "$work/shard-0.xml" 2>/dev/null
check "--merge of a merged report keeps every testsuite, and may write over an input" \
	sh -c "[ \$(grep -c '<testcase ' '$work/again.xml') -eq \$((8 + \$(grep -c '<testcase ' '$work/shard-0.xml'))) ]"

# SIGTERM to ktstr-run: the running VMs are ended and waited for, the reports still written
printf '[defaults]\nkernel = %s\n[h1]\nrun = hang\n[h2]\nrun = hang\n[h3]\nrun = hang\n' "$work/vmlinuz" > "$work/hangs"
rm -f "$KTSTR_FAKE_LOG.pids"
"$run" --vmm "$here/fake-vmm.sh" -j 2 --junit "$work/hangs.xml" --work-dir "$work/hang-logs" "$work/hangs" \
	> "$work/hangs.tap" 2> "$work/hangs.err" &
runner=$!
tries=0
while [ "$(wc -l < "$KTSTR_FAKE_LOG.pids" 2>/dev/null || echo 0)" -lt 2 ] && [ "$tries" -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
kill -TERM "$runner"
wait "$runner"
status=$?
check "SIGTERM: ktstr-run exits 128+15 (status $status)" [ "$status" -eq 143 ]
vms_gone() { while read -r p; do ! kill -0 "$p" 2>/dev/null || return 1; done < "$KTSTR_FAKE_LOG.pids"; }
check "... the two running VMs are gone" vms_gone
check "... TAP: two ended, the third not run" \
	sh -c "grep -c '^not ok' '$work/hangs.tap' | grep -qx 2 && grep -q '^ok 3 - h3 # SKIP not run' '$work/hangs.tap'"
check "... and the JUnit is written, valid" valid "$work/hangs.xml"
check "... saying why on stderr" grep -q 'Terminated: stopping 2 running VMs' "$work/hangs.err"

# the example in docs/suite-format.md is a suite ktstr-vmm's own parser accepts
# shellcheck disable=SC2016 # backquotes, not an expansion
sed -n '/^```ini$/,/^```$/p' "$here/../../docs/suite-format.md" | sed '1d;$d' |
	sed "s|^kernel = ktstr .*|kernel = $work/vmlinuz|" > "$work/doc.suite"
check "the documented example suite is accepted (--list)" \
	sh -c "[ \"\$('$run' --list '$work/doc.suite' | cut -f1 | tr '\n' ' ')\" = 'sched/simple-8cpu blk/readonly ' ]"

# a directory of payloads: each executable file a test, nothing else
mkdir -p "$work/payloads/sub"
for p in pass fail; do printf '#!/bin/sh\n' > "$work/payloads/$p"; chmod +x "$work/payloads/$p"; done
printf 'notes\n' > "$work/payloads/README"
"$run" --vmm "$here/fake-vmm.sh" --kernel "$work/vmlinuz" --work-dir "$work/dir-logs" "$work/payloads" \
	> "$work/dir.tap" 2>/dev/null
status=$?
dir_tap() { [ "$(grep -E '^(not )?ok' "$work/dir.tap" | sed 's/ #.*//' | tr '\n' ,)" = "not ok 1 - fail,ok 2 - pass," ]; }
check "a directory of payloads: exit 1, fail failed (status $status)" [ "$status" -eq 1 ]
check "... one test per executable file, by name, the README left out" dir_tap

printf '[a]\nrun = pass\nkernel = %s\nmemory = lots\n' "$work/vmlinuz" > "$work/bad"
"$run" --list "$work/bad" 2> "$work/bad.err"
status=$?
check "an option ktstr-vmm would refuse: exit 2 (status $status)" [ "$status" -eq 2 ]
check "... naming the suite, line and test" grep -q "$work/bad:1: \[a\]: --memory" "$work/bad.err"
printf '[a]\nrun = pass\nkernal = x\n' > "$work/bad"
"$run" "$work/bad" 2> "$work/bad.err"
check "an unknown key: exit 2 with its line" \
	sh -c "[ $? -eq 2 ] && grep -q 'bad:3: unknown key \"kernal\"' '$work/bad.err'"
echo "1..$n"
[ "$failed" -eq 0 ]
