#!/usr/bin/env bash
# Several machines on one PostgreSQL store, each with a data folder of its
# own: one ingests, two `serve` replicas answer.  The replicas fetch the
# release's model files from the store (checked by hash), answer the
# golden questions identically, and follow a promotion and a rollback
# made elsewhere within 2 s.
. "$(dirname "$0")/lib.sh"
cd "$scratch" || exit 1

pg_database "t0223_$$"
before_exit() {
	[[ -n "${pid2:-}" ]] && kill "$pid2" 2>/dev/null
	[[ -n "${pid3:-}" ]] && kill "$pid3" 2>/dev/null
	wait 2>/dev/null
}

mkdir -p inbox
cp -r "$TOP/samples/corpus/pdf" "$TOP/samples/corpus/notes" "$TOP/samples/corpus/md" inbox/
ingester=$(new_data ingester)
out=$("$RAGOPS" --data "$ingester" --store "$url" run --inbox inbox 2>&1)
contains "the ingesting machine promotes release 1" "$out" "release 1 promoted"

one=$(new_data one)
two=$(new_data two)
serve_start "$one" --store "$url" || { not_ok "replica one starts"; finish; exit; }
url2=$SERVE_URL pid2=$SERVE_PID
serve_start "$two" --store "$url" || { not_ok "replica two starts"; finish; exit; }
url3=$SERVE_URL pid3=$SERVE_PID

# ask URL QUESTION: the answer and the release it came from, one line
ask() {
	curl -sf -H 'Content-Type: application/json' \
		-d "$(python3 -c 'import json,sys; print(json.dumps({"question": sys.argv[1]}))' "$2")" \
		"$1/api/ask" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["release"], j["answer"])'
}
same=0 asked=0
while read -r line; do
	q=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["question"])' "$line")
	a2=$(ask "$url2" "$q") a3=$(ask "$url3" "$q")
	asked=$((asked + 1))
	[[ -n "$a2" && "$a2" == "$a3" ]] && same=$((same + 1))
done < <(head -12 "$TOP/samples/golden.jsonl")
equals "both replicas answer the golden questions identically" "$same of $asked" "12 of 12"
[[ $(ls "$one"/models | wc -l) -ge 2 ]] && ok "a replica fetched the model files it needed" ||
	not_ok "a replica fetched the model files it needed" "$(ls -la "$one" "$one"/models 2>&1)"
[[ -e "$one/ragops.db" ]] && not_ok "and has no SQLite store" || ok "and has no SQLite store"
equals "the fetched files are the ingester's, byte for byte" \
	"$(cd "$one/models" && sha256sum -- * | sort)" "$(cd "$ingester/models" && sha256sum -- * | sort)"

# release_of URL: the release an answer comes from, within 2 s of a change elsewhere
wait_release() {
	local u=$1 want=$2 got=""
	for _ in $(seq 20); do
		got=$(ask "$u" "Quelle vitesse minimale avec un 200 mm ?" | cut -d' ' -f1)
		[[ "$got" == "$want" ]] && { echo "$got"; return; }
		sleep 0.1
	done
	echo "$got"
}
cp -r "$TOP/samples/corpus/web" inbox/
out=$("$RAGOPS" --data "$ingester" --store "$url" run --inbox inbox 2>&1)
contains "a second run promotes release 2" "$out" "release 2 promoted"
equals "replica one answers from release 2 within 2 s" "$(wait_release "$url2" 2)" "2"
equals "replica two too" "$(wait_release "$url3" 2)" "2"
out=$("$RAGOPS" --data "$ingester" --store "$url" deploy rollback --reason "t0223" 2>&1)
contains "a rollback on the ingesting machine" "$out" "release 1"
equals "replica one answers from release 1 within 2 s" "$(wait_release "$url2" 1)" "1"
equals "replica two too" "$(wait_release "$url3" 1)" "1"

kill -TERM "$pid2" "$pid3"
wait "$pid2"; rc2=$?
wait "$pid3"; rc3=$?
pid2="" pid3=""
equals "both replicas stop cleanly on SIGTERM" "$rc2 $rc3" "0 0"
finish
