#!/usr/bin/env bash
# issueRuling at a fixed rate against the release gateway: BENCH_DRAFTS (3000) signed drafts
# are prepared through the API first (copies of the demo data's case 7, each referred,
# scheduled, served, sat on, drafted and signed by the three members), then issued at
# BENCH_RATE (200) per second, open loop. Prints one JSON line (rate asked and achieved,
# p50/p90/p99/max, errors, rulings written) and appends it to bench/results/issue_throughput.jsonl.
#
#   bench/issue_throughput.sh      # BENCH_RATE, BENCH_DRAFTS, BENCH_DATABASE_URL override
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${BENCH_RATE:-200}"
drafts="${BENCH_DRAFTS:-3000}"
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
base="${admin%/*}"
urbanism="$base/shahr_bench_issue_urbanism"
citizen="$base/shahr_bench_issue_citizen"

cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen --bin issue_throughput
target="${CARGO_TARGET_DIR:-target}/release"

for db in shahr_bench_issue_urbanism shahr_bench_issue_citizen; do
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
done
export SHAHR_URBANISM_DATABASE_URL="$urbanism" SHAHR_CITIZEN_DATABASE_URL="$citizen"
"$target/shahr-gateway" seed >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
uploads=$(mktemp -d)
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_LOG_FILTER=error SHAHR_UPLOAD_DIR="$uploads" \
  SHAHR_RATE_LIMITS__MUTATIONS_PER_MINUTE=10000000 SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE=10000000 \
  SHAHR_RATE_LIMITS__COST_PER_MINUTE=100000000 \
  "$target/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; rm -rf "$uploads"' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done

tok() { "$target/shahr-gateway" token --ttl 2h "$@"; }
export ISSUE_TOKEN_STAFF=$(tok --role urbanism_staff --district 1)
export ISSUE_TOKEN_SECRETARY=$(tok --role commission_secretary --commission 1 --district 1)
export ISSUE_TOKEN_MEMBER_1=$(tok --role commission_member --commission 1 --national-id 0012345679)
export ISSUE_TOKEN_MEMBER_2=$(tok --role commission_member --commission 1 --national-id 0023456787)
export ISSUE_TOKEN_MEMBER_3=$(tok --role commission_member --commission 1 --national-id 0034567895)

mkdir -p bench/results
line=$("$target/issue_throughput" --base "http://127.0.0.1:$port" --database-url "$urbanism" \
  --drafts "$drafts" --rate "$rate" --gateway-pid "$pid")
line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], cores=int(sys.argv[3])); print(json.dumps(d))" \
  "$line" "$(date -u +%FT%TZ)" "$(nproc)")
echo "$line"
echo "$line" >> bench/results/issue_throughput.jsonl
