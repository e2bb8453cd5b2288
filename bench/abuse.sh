#!/usr/bin/env bash
# The attacks of a hostile-use probe, replayed against the release gateway with its default
# limits while a well-behaved client (4 signed-in viewers, 20 queries/s in all, from
# 127.0.0.1) keeps working: 5,000 slow sockets, 10,000 subscriptions on one WebSocket, waves
# of 40 parallel PDFs of one document, 10 clients sending 100 aliased address searches per
# query, 30 parallel 20 MB uploads, 1,000 guesses at /verify. Each attacker uses its own
# loopback address (127.0.0.2-7), as a different client would. One JSON line per phase: the
# well-behaved client's p50/p99 and errors, what the attack got, the gateway's largest RSS;
# appended to bench/results/abuse.jsonl.
#
#   bench/abuse.sh                 # BENCH_SECONDS (per attack), BENCH_DATABASE_URL override
#   bench/abuse.sh parallel_pdfs   # one phase (or several, comma separated)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${BENCH_SECONDS:-15}"
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
base="${admin%/*}"
urbanism="$base/shahr_bench_abuse_urbanism"
citizen="$base/shahr_bench_abuse_citizen"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
command -v chromium >/dev/null || { echo "abuse.sh needs Chromium (apt-get install chromium)"; exit 1; }

cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen --bin abuse
target="${CARGO_TARGET_DIR:-target}/release"

# Fresh databases: the document flow starts from the demo data's case 7.
for db in shahr_bench_abuse_urbanism shahr_bench_abuse_citizen; do
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
done
export SHAHR_URBANISM_DATABASE_URL="$urbanism" SHAHR_CITIZEN_DATABASE_URL="$citizen"
"$target/shahr-gateway" seed >/dev/null 2>&1

uploads=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_LOG_FILTER=error SHAHR_UPLOAD_DIR="$uploads" \
  "$target/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; rm -rf "$uploads"' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done

tok() { "$target/shahr-gateway" token --ttl 2h "$@"; }
steady=""
for nid in 0012345679 0023456787 0034567895 0045678901; do
  steady="$steady $(tok --role auditor --national-id "$nid")"
done
export ABUSE_STEADY_TOKENS="$steady"
export ABUSE_TOKEN_STAFF=$(tok --role urbanism_staff --district 1)
export ABUSE_TOKEN_SEARCHER=$(tok --role urbanism_staff --district 9)
export ABUSE_TOKEN_SECRETARY=$(tok --role commission_secretary --commission 1 --district 1)
export ABUSE_TOKEN_MEMBER_1=$(tok --role commission_member --commission 1 --national-id 0012345679)
export ABUSE_TOKEN_MEMBER_2=$(tok --role commission_member --commission 1 --national-id 0023456787)
export ABUSE_TOKEN_MEMBER_3=$(tok --role commission_member --commission 1 --national-id 0034567895)
export ABUSE_TOKEN_OWNER=$(tok --role citizen --national-id 0076229645)
export ABUSE_TOKEN_CITIZEN=$(tok --role citizen --national-id 0045678901)

only=()
[ -n "${1:-}" ] && only=(--only "$1")
mkdir -p bench/results
"$target/abuse" --base "http://127.0.0.1:$port" --gateway-pid "$pid" --database-url "$urbanism" \
  --seconds "$seconds" "${only[@]}" | while read -r line; do
  line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], cores=int(sys.argv[3])); print(json.dumps(d, ensure_ascii=False))" \
    "$line" "$(date -u +%FT%TZ)" "$(nproc)")
  echo "$line"
  echo "$line" >> bench/results/abuse.jsonl
done
