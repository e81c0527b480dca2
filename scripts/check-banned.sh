#!/usr/bin/env bash
# Functions ragops does not call, and why (as git's banned.h).  Checked on
# the compiled objects, not the sources: a call hidden in a macro or turned
# into a _FORTIFY_SOURCE variant (__sprintf_chk) is caught all the same.
# Usage: scripts/check-banned.sh BUILD   (exit 1 naming each object and call)
set -euo pipefail
build=${1:?usage: scripts/check-banned.sh BUILD}
declare -A why=(
	[strcpy]="no bound: use memcpy with a known length, or strbuf"
	[strcat]="no bound: use strbuf"
	[strncpy]="does not terminate on truncation: use memcpy or strbuf"
	[strncat]="easy to misuse the bound: use strbuf"
	[sprintf]="no bound: use snprintf, xasprintf or strbuf_addf"
	[vsprintf]="no bound: use vsnprintf or strbuf_vaddf"
	[gets]="no bound at all"
	[strtok]="hidden global state, not thread-safe: use strtok_r or strcspn"
	[atoi]="no error detection: use strtol"
	[atol]="no error detection: use strtol"
	[atof]="no error detection: use strtod"
	[localtime]="static buffer, not thread-safe: use localtime_r"
	[gmtime]="static buffer, not thread-safe: use gmtime_r"
	[ctime]="static buffer, not thread-safe: use strftime"
	[asctime]="static buffer, not thread-safe: use strftime"
	[system]="a shell on our input: use posix_spawn"
)
bad=0
objs=$(find "$build/src" -name '*.o' | sort)
[[ -n $objs ]] || { echo "check-banned: no objects under $build/src: build first" >&2; exit 2; }
while read -r obj sym; do
	base=${sym#__}; base=${base%_chk}
	[[ -n ${why[$base]:-} ]] || continue
	echo "${obj#"$build"/}: calls $sym: ${why[$base]}"
	bad=1
done < <(nm -A -u $objs | sed -n 's/^\([^:]*\):.* U \(.*\)$/\1 \2/p')
[[ $bad -eq 0 ]] && echo "check-banned: no banned calls in $(wc -w <<<"$objs") objects"
exit $bad
