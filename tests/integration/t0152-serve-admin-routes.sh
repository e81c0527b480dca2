#!/usr/bin/env bash
# Every admin route of ragops serve, as the route table lists them (`ragops
# serve --list-routes`, so a route added later is called too), refuses a
# missing token, a wrong one and one sent another way, over real HTTP;
# with no token configured they are all off (403).  Every route says
# whether it is admin or public (a route that says neither fails here),
# and the only public writes are asking and rating.
. "$(dirname "$0")/lib.sh"
d=$(new_data admin)
export ADMIN_TOKEN="t0152-admin-token-9f8e7d"

table=$(rg "$d" serve --list-routes)
equals "the route table lists routes" "$(wc -l <<<"$table" | awk '{print ($1 >= 15)}')" "1"
lacks "every route says admin or public" "$table" " none"
equals "every line is METHOD PATTERN admin|public" \
	"$(awk 'NF != 3 || ($3 != "admin" && $3 != "public")' <<<"$table")" ""
equals "the public writes are asking and rating, reviewed" \
	"$(awk '$1 != "GET" && $3 == "public" {print $1, $2}' <<<"$table" | sort | tr '\n' ';')" \
	"POST /api/ask;POST /api/feedback;"
admin=$(awk '$3 == "admin" {print $1, $2}' <<<"$table")
equals "the admin routes include export, runs, promote, rollback, retrain and deployments" \
	"$(awk '{print $2}' <<<"$admin" | sort | tr '\n' ' ')" \
	"/api/deploy/rollback /api/deployments/{name}/pause /api/deployments/{name}/resume /api/deployments/{name}/run /api/feedback/export /api/releases/{id}/promote /api/retrain /api/runs "

# call METHOD PATH [curl args...]: the status
call() {
	local method=$1 path=$2; shift 2
	curl -s -o /dev/null -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
		$([[ $method != GET ]] && echo --data-binary '{}') "$@" "$SERVE_URL$path"
}

serve_start "$d" -c serve.token_env=ADMIN_TOKEN || { not_ok "the server starts"; finish; exit 1; }
while read -r method pattern; do
	path=${pattern//\{id\}/1}
	path=${path//\{name\}/nightly}
	equals "$method $path without a token: 401" "$(call "$method" "$path")" "401"
	equals "$method $path with a wrong token: 401" \
		"$(call "$method" "$path" -H "Authorization: Bearer not-$ADMIN_TOKEN")" "401"
	equals "$method $path with the token cut short: 401" \
		"$(call "$method" "$path" -H "Authorization: Bearer ${ADMIN_TOKEN%?}")" "401"
	equals "$method $path with the token sent as Basic: 401" \
		"$(call "$method" "$path" -H "Authorization: Basic $ADMIN_TOKEN")" "401"
	equals "$method $path with the token in the query: 401" \
		"$(call "$method" "$path?token=$ADMIN_TOKEN")" "401"
done <<<"$admin"
# With the token, the check passes (export is harmless to call).
equals "GET /api/feedback/export with the token: 200" \
	"$(call GET /api/feedback/export -H "Authorization: Bearer $ADMIN_TOKEN")" "200"
serve_stop

serve_start "$d" -c serve.token_env=T0152_NO_SUCH_VARIABLE || { not_ok "the server starts"; finish; exit 1; }
while read -r method pattern; do
	path=${pattern//\{id\}/1}
	path=${path//\{name\}/nightly}
	equals "$method $path with admin routes off: 403" \
		"$(call "$method" "$path" -H "Authorization: Bearer $ADMIN_TOKEN")" "403"
done <<<"$admin"
serve_stop
equals "the server stops cleanly" "$?" "0"
equals "no run or retraining was started" "$(sql "$d" 'SELECT count(*) FROM runs') $(sql "$d" 'SELECT count(*) FROM retrainings')" "0 0"
finish
