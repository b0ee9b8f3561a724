# Sourced by scripts/fetch-kernel and scripts/fetch-vng: apt run without root against one
# Debian suite, in a private state directory, from the mirror this machine's own apt sources
# name (KTSTR_DEBIAN_MIRROR overrides it on machines whose sources are not Debian's).
#   debian_apt_setup WHO WORK_DIR SUITE   sets apt_opts (an array) and runs apt-get update
#   then: apt-get "${apt_opts[@]}" download PKG; apt-cache "${apt_opts[@]}" depends PKG
# shellcheck shell=bash

# The first archive URI serving a plain suite (not only -security or -updates) in the apt
# sources, and the keyring it is signed with.
find_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: one stanza per paragraph.
		awk -v RS= '{
			types = suites = uri = kr = ""
			n = split($0, line, "\n")
			for (i = 1; i <= n; i++) {
				if (line[i] ~ /^Types:/) types = line[i]
				if (line[i] ~ /^Suites:/) {
					m = split(line[i], w, " ")
					for (j = 2; j <= m; j++) if (w[j] !~ /-/) suites = w[j]
				}
				if (line[i] ~ /^URIs:/) { split(line[i], w, " "); uri = w[2] }
				if (line[i] ~ /^Signed-By:/) { split(line[i], w, " "); kr = w[2] }
			}
			if (types ~ /[ \t]deb([ \t]|$)/ && suites != "" && uri != "") {
				print uri, kr; exit
			}
		}' "$f" | grep . && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2; kr = ""
			if ($i ~ /^\[/) {
				for (; i <= NF; i++) { if ($i ~ /signed-by=/) kr = $i; if ($i ~ /\]$/) break }
				i++
			}
			if ($(i+1) ~ /-security|-updates/) next
			sub(/.*signed-by=/, "", kr); sub(/\]$/, "", kr)
			print $i, kr; exit }' "$f" | grep . && return 0
	done
	return 1
}

debian_apt_setup() { # debian_apt_setup WHO WORK_DIR SUITE
	local who=$1 work=$2 suite=$3 mirror keyring
	if [ -n "${KTSTR_DEBIAN_MIRROR:-}" ]; then
		mirror=$KTSTR_DEBIAN_MIRROR keyring=''
	else
		read -r mirror keyring < <(find_mirror) || {
			echo "$who: no Debian archive found in /etc/apt/sources*; set KTSTR_DEBIAN_MIRROR" >&2
			return 1
		}
	fi
	[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/prefs.d"
	echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/apt/sources.list"
	: > "$work/apt/status"
	apt_opts=(
		-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$work/apt/lists" -o "Dir::State::status=$work/apt/status"
		-o "Dir::Cache=$work/apt/cache" -o Dir::Etc::Preferences=/dev/null
		-o "Dir::Etc::PreferencesParts=$work/apt/prefs.d" -o APT::Architecture=amd64
		-o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
	)
	echo "$who: Debian $suite from $mirror" >&2
	apt-get "${apt_opts[@]}" -qq update >&2
}
