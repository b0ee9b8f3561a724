#!/bin/sh
# json-get (tests/e2e/json_get.c), the e2e suite's reader of --results files, on tricky
# documents: nesting, escapes, literals, key order and layout, selectors; and the message and
# status it fails with on a missing key, a bad path and malformed JSON.
# usage: test_json_get.sh JSON_GET      Prints "ok"/"not ok" lines; exits 1 on a failure.
set -u
jg=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

# expect STATUS WANT PATH JSON: json-get PATH on JSON exits STATUS and prints WANT (its
# stdout; its stderr when STATUS is not 0), trailing newlines aside.
expect() {
	n=$((n + 1))
	printf '%s' "$4" > "$tmp/doc.json"
	"$jg" "$tmp/doc.json" "$3" > "$tmp/out" 2> "$tmp/err"
	status=$?
	[ "$1" = 0 ] || mv "$tmp/err" "$tmp/out"
	if [ "$status" = "$1" ] && [ "$(cat "$tmp/out")" = "$2" ]; then
		echo "ok $n - $3: exit $status"
	else
		failed=$((failed + 1))
		echo "not ok $n - $3 on $4: exit $status (want $1), printed:"
		sed 's/^/#   /' "$tmp/out"
		echo "# wanted:"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

doc=$tmp/doc.json   # what the failure messages name

# A --results file as ktstr-vmm writes it, and the same in another key order and layout.
results='{
  "outcome": "exited",
  "exit_code": 0,
  "guest_exit_status": null,
  "detail": "the guest reset: triple fault on vCPU 1 (where is unknown)",
  "results": ["cpus=4\nonline=0-3\n", "second block\n"],
  "panics": [],
  "truncated": false,
  "frames": [
    { "type": "TEST", "crc_ok": true, "complete": true, "bytes": 62, "data": "{\"name\":\"e2e.first\",\"passed\":true,\"detail\":\"passed \\\"quoted\\\"\"}" },
    { "type": "PMET", "crc_ok": true, "complete": true, "bytes": 3, "data": "x\u00ffy" }
  ],
  "devices": [{ "role": "blk", "requests": 12, "bad_requests": 0 }, { "role": "net", "requests": 3, "bad_requests": 2 }],
  "timings_ms": { "start_to_first_run": 12.500, "first_run_to_init": null },
  "console_log": { "bytes": 10, "limit_bytes": 1048576, "truncated": true }
}'
shuffled='{"console_log":{"truncated":true,"limit_bytes":1048576},"devices":[{"bad_requests":2,"role":"net"},
{"requests":12,"role":"blk","bad_requests":0}],"timings_ms":{"first_run_to_init":null,"start_to_first_run":12.5},"outcome":"exited"}'

expect 0 exited outcome "$results"
expect 0 exited outcome "$shuffled"
expect 0 0 exit_code "$results"
expect 0 null guest_exit_status "$results"
expect 0 false truncated "$results"
expect 0 true console_log.truncated "$results"
expect 0 true console_log.truncated "$shuffled"
expect 0 1048576 console_log.limit_bytes "$shuffled"
expect 0 12.500 timings_ms.start_to_first_run "$results"
expect 0 null timings_ms.first_run_to_init "$results"
expect 0 "$(printf 'cpus=4\nonline=0-3\n')" 'results[0]' "$results"
expect 0 'second block' 'results[1]' "$results"
expect 0 12 'devices[role=blk].requests' "$results"
expect 0 12 'devices[role=blk].requests' "$shuffled"
expect 0 2 'devices[role=net].bad_requests' "$shuffled"
expect 0 net 'devices[1].role' "$results"
expect 0 PMET 'frames[1].type' "$results"
expect 0 '{"name":"e2e.first","passed":true,"detail":"passed \"quoted\""}' 'frames[0].data' "$results"
expect 0 "$(printf 'x\377y')" 'frames[1].data' "$results"
expect 0 '[]' panics "$results"
expect 0 '{ "start_to_first_run": 12.500, "first_run_to_init": null }' timings_ms "$results"

# Strings: every escape; \u00XX is that byte (vmm/json.h), above it UTF-8, a surrogate pair
# one code point, a lone surrogate U+FFFD; keys compare decoded.
expect 0 "$(printf '"\\/\b\f\n\r\t end')" s '{"s": "\"\\\/\b\f\n\r\t end"}'
expect 0 "$(printf 'A\001\303\251\342\202\254\360\237\230\200\357\277\275')" s \
	'{"s": "\u0041\u0001\u00c3\u00a9\u20ac\ud83d\ude00\ud800"}'
expect 0 1 ab '{"a\u0062": 1}'
expect 0 'a.b' 'k[name=x y].v' '{"k": [{"name": 3}, {"name": "x y", "v": "a.b"}, {"name": "x y", "v": 2}]}'
expect 0 -1.5e+3 'a[2][0]' '{"a": [true, false, [-1.5e+3, 0]]}'
expect 0 deep 'a.b.c[0][0].d' '{"a":{"b":{"c":[[{"d":"deep"}]]}}}'
expect 0 1 a '{"a": 1, "a": 2}'
expect 0 '' e '{"e": ""}'

# What is not there: exit 1, naming what was followed.
expect 1 "json-get: $doc: the document has no key \"nope\"" nope "$results"
expect 1 "json-get: $doc: timings_ms has no key \"init_to_end\"" timings_ms.init_to_end "$results"
expect 1 "json-get: $doc: devices has 2 elements, no [2]" 'devices[2].role' "$results"
expect 1 "json-get: $doc: devices has no element whose \"role\" is \"console\"" 'devices[role=console]' "$results"
expect 1 "json-get: $doc: panics has 0 elements, no [0]" 'panics[0]' "$results"
expect 1 "json-get: $doc: outcome is a string, not an object with \"x\"" outcome.x "$results"
expect 1 "json-get: $doc: devices[0].role is a string, not an array" 'devices[0].role[0]' "$results"
expect 1 "json-get: $doc: the document is an array, not an object with \"a\"" a '[1]'

# A bad path: exit 2.
expect 2 'json-get: bad path "a..b": an empty key at ".b"' a..b "$results"
expect 2 'json-get: bad path "a[": no '"']'"' after "["' 'a[' "$results"
expect 2 'json-get: bad path "a[-1]": not [N] nor [KEY=STRING]: "[-1]"' 'a[-1]' "$results"
expect 2 'json-get: bad path "a[=x]": not [N] nor [KEY=STRING]: "[=x]"' 'a[=x]' "$results"
expect 2 'json-get: bad path "a[0]b": expected '"'.' or '['"' before "b"' 'a[0]b' "$results"

# Malformed JSON: exit 2, saying what and where, even when the path is there.
expect 2 "json-get: $doc: not JSON: the text ends where a value should be at line 1, column 1" a ''
expect 2 "json-get: $doc: not JSON: expected a string at line 1, column 10" a '{"a": 1, }'
expect 2 "json-get: $doc: not JSON: expected ',' or '}' at line 3, column 1" a "$(printf '{"a": 1\n\n"b": 2}')"
expect 2 "json-get: $doc: not JSON: expected ':' after a key at line 1, column 6" a '{"a" 1}'
expect 2 "json-get: $doc: not JSON: expected ',' or ']' at line 1, column 10" a '{"a": [1 2]}'
expect 2 "json-get: $doc: not JSON: expected a value at line 1, column 7" a '{"a": tru}'
expect 2 "json-get: $doc: not JSON: expected ',' or '}' at line 1, column 8" a '{"a": 01}'
expect 2 "json-get: $doc: not JSON: expected a digit after '.' at line 1, column 9" a '{"a": 1.}'
expect 2 "json-get: $doc: not JSON: a bad escape in a string at line 1, column 10" a '{"a": "x\qy"}'
expect 2 "json-get: $doc: not JSON: a bad escape in a string at line 1, column 9" a '{"a": "\u12g4"}'
expect 2 "json-get: $doc: not JSON: a control character inside a string at line 1, column 9" a \
	"$(printf '{"a": "x\ty"}')"
expect 2 "json-get: $doc: not JSON: the text ends inside a string at line 1, column 11" a '{"a": "abc'
expect 2 "json-get: $doc: not JSON: text after the value at line 1, column 10" a '{"a": 1} x'
expect 2 "json-get: $doc: not JSON: expected a string at line 1, column 2" a "{'a': 1}"
expect 2 "json-get: $doc: not JSON: nested too deeply at line 1, column 514" a \
	"$(awk 'BEGIN { for (i = 0; i < 600; i++) printf "["; for (i = 0; i < 600; i++) printf "]" }')"

# Standard input, a NUL byte, an unreadable file, no path.
n=$((n + 1))
if [ "$(echo '{"a": {"b": "from stdin"}}' | "$jg" - a.b)" = "from stdin" ]; then
	echo "ok $n - reads standard input as -"
else
	failed=$((failed + 1)); echo "not ok $n - reads standard input as -"
fi
n=$((n + 1))
msg=$(printf '{"a":\0 1}' | "$jg" - a 2>&1)
status=$?
if [ "$status" = 2 ] && [ "$msg" = "json-get: -: not JSON: expected a value at line 1, column 6" ]; then
	echo "ok $n - a NUL byte is not whitespace"
else
	failed=$((failed + 1)); echo "not ok $n - a NUL byte: exit $status, said: $msg"
fi
n=$((n + 1))
msg=$("$jg" "$tmp/none.json" a 2>&1)
status=$?
if [ "$status" = 2 ] && [ "$msg" = "json-get: $tmp/none.json: No such file or directory" ]; then
	echo "ok $n - a missing file: exit 2 and says so"
else
	failed=$((failed + 1)); echo "not ok $n - a missing file: exit $status, said: $msg"
fi
n=$((n + 1))
if "$jg" "$doc" 2>/dev/null; then
	failed=$((failed + 1)); echo "not ok $n - no path is a usage error"
else
	echo "ok $n - no path is a usage error"
fi

echo "# json-get: $((n - failed)) of $n checks passed"
[ "$failed" -eq 0 ]
