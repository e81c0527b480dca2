#!/usr/bin/env bash
# Typed results (src/core/result.h): one module's result tested against
# another module's names, stored as another's type or switched over with an
# outcome left out does not compile.  Each snippet is compiled against the
# real headers with the Makefile's warnings; it must fail with the warning
# named, and the same snippet written right must compile (so a failure is
# the mix-up's, not the harness's).
. "$(dirname "$0")/lib.sh"

cc=${CC:-cc}
flags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wenum-conversion
       -Wno-unused-parameter -I"$TOP/src")
read -ra pkg <<<"$(pkg-config --cflags jansson 2>/dev/null)"
flags+=("${pkg[@]}")

cat >"$scratch/prelude.h" <<'EOF'
#include "answer/answer.h"
#include "ops/feedback.h"
#include "ops/releases.h"
#include "retrieval/retrieve.h"
#include "store/store.h"
EOF

# snippet NAME BODY: a C file whose function f() holds the statements BODY; its path
snippet() {
	local f="$scratch/${1// /_}.c"
	cat >"$f" <<EOF
#include "$scratch/prelude.h"
int f(struct store *st, const struct config *cfg, const struct release_view *rel,
      struct retrieval *r, struct strbuf *err);
int f(struct store *st, const struct config *cfg, const struct release_view *rel,
      struct retrieval *r, struct strbuf *err)
{
$2
}
EOF
	echo "$f"
}
# compiles NAME BODY: the snippet compiles cleanly
compiles() {
	local f out
	f=$(snippet "$1" "$2")
	if out=$("$cc" "${flags[@]}" -fsyntax-only "$f" 2>&1); then
		ok "written right, $1 compiles"
	else
		not_ok "written right, $1 compiles" "$out"
	fi
}
# refused NAME WARNING BODY: the snippet fails to compile, with -Werror=WARNING
refused() {
	local f out
	f=$(snippet "$1" "$3")
	if out=$("$cc" "${flags[@]}" -fsyntax-only "$f" 2>&1); then
		not_ok "$1 is refused" "it compiled"
	elif [[ "$out" == *"-Werror=$2"* ]]; then
		ok "$1 is refused (-W$2)"
	else
		not_ok "$1 is refused with -W$2" "$out"
	fi
}

q='retrieve(st, cfg, rel, "q", NULL, 5, r, err)'

compiles "retrieve tested with its own names" "return $q == RETRIEVE_OK;"
refused "retrieve's result tested with a lookup's name" enum-compare \
	"return $q == LOOKUP_FOUND;"
refused "retrieve's result tested with answers' names" enum-compare \
	"return $q != ASK_OK;"

compiles "retrieve's result mapped to an ask_result" \
	"enum ask_result a = $q == RETRIEVE_OK ? ASK_OK : ASK_FAILED; return a;"
refused "retrieve's result kept as an ask_result" enum-conversion \
	"enum ask_result a = $q; return a;"

compiles "a store lookup kept as a lookup" \
	"struct release_record x; enum lookup l = store_release_get(st, 0, &x, err); return l;"
refused "store_search's result kept as a lookup" enum-conversion \
	"struct search_opts o = { 0 }; struct search_hit *h; size_t n;
	 enum lookup l = store_search(st, &o, &h, &n, err); return l;"

compiles "the store's release change compared with its own name" \
	"long long a, b; return store_release_rollback(st, NULL, &a, &b, err) == STORE_RELEASE_MOVED;"
refused "the store's release change compared with ops' promote_result" enum-compare \
	"long long a, b; return store_release_rollback(st, NULL, &a, &b, err) == PROMOTE_MOVED;"

compiles "a switch over feedback_add's result naming every outcome" \
	"switch (feedback_add(st, cfg, NULL, NULL, err)) {
	 case FEEDBACK_OK: return 0;
	 case FEEDBACK_INVALID: return 1;
	 case FEEDBACK_FAILED: return 2;
	 }
	 return 3;"
refused "a switch over feedback_add's result forgetting FEEDBACK_FAILED" switch \
	"switch (feedback_add(st, cfg, NULL, NULL, err)) {
	 case FEEDBACK_OK: return 0;
	 case FEEDBACK_INVALID: return 1;
	 }
	 return 3;"
refused "a switch over the idempotency key's result with a lookup's names" switch \
	"long long id;
	 switch (store_feedback_key_begin(st, \"k\", \"h\", &id, err)) {
	 case LOOKUP_FOUND: return 0;
	 case LOOKUP_MISSING: return 1;
	 case LOOKUP_FAILED: return 2;
	 }
	 return 3;"
finish
