#!/usr/bin/env bash
# One first ingest on PostgreSQL by `ragops worker` processes, for bench/pg.sh:
#   bench/pg_workers.sh RAGOPS URL INBOX DATA_PREFIX WORKERS
# Starts WORKERS workers (1 parser thread each, data folders DATA_PREFIX-wN),
# runs `ragops run` with worker.in_run=false (it only queues, waits and
# builds the release), then stops the workers: the time of the whole is
# the time of a run done by the workers.
set -Eeuo pipefail
bin=$1 url=$2 inbox=$3 prefix=$4 n=$5
settings=(-c ingest.threads=1 -c worker.poll_seconds=0.1)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
for i in $(seq "$n"); do
	"$bin" --data "$prefix-w$i" --store "$url" "${settings[@]}" worker --id "bench-$i" >/dev/null 2>&1 &
	pids+=($!)
done
"$bin" --data "$prefix-run" --store "$url" "${settings[@]}" -c worker.in_run=false \
	run --inbox "$inbox" >/dev/null
