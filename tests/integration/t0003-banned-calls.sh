#!/usr/bin/env bash
# No object of ragops calls a banned function (scripts/check-banned.sh says
# which and why).
. "$(dirname "$0")/lib.sh"
check "no banned calls in the objects" "$TOP/scripts/check-banned.sh" "$(dirname "$RAGOPS_BIN")"
finish
