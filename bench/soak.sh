#!/usr/bin/env bash
# A soak of the release gateway: mixed steady traffic (20 nested queries/s from 4 viewers, a
# citizen filing a request every second with an idempotency key, every fifth sent twice, and
# staff advancing the filed requests) for BENCH_MINUTES (30), sampling the gateway's RSS, open
# files and citizen-database connections every 30 s. Prints one JSON line (latencies, errors,
# first/last/max of each sample and the growth of the last third over the first) and appends
# it to bench/results/soak.jsonl.
#
#   bench/soak.sh                  # BENCH_MINUTES, BENCH_DATABASE_URL override the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${BENCH_MINUTES:-30}"
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
base="${admin%/*}"
urbanism="$base/shahr_bench_soak_urbanism"
citizen="$base/shahr_bench_soak_citizen"

cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen --bin soak
target="${CARGO_TARGET_DIR:-target}/release"

for db in shahr_bench_soak_urbanism shahr_bench_soak_citizen; do
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
done
export SHAHR_URBANISM_DATABASE_URL="$urbanism" SHAHR_CITIZEN_DATABASE_URL="$citizen"
"$target/shahr-gateway" seed >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
uploads=$(mktemp -d)
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_LOG_FILTER=error SHAHR_UPLOAD_DIR="$uploads" \
  SHAHR_RATE_LIMITS__MUTATIONS_PER_MINUTE=600 \
  "$target/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; rm -rf "$uploads"' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done

tok() { "$target/shahr-gateway" token --ttl 24h "$@"; }
viewers=""
for nid in 0012345679 0023456787 0034567895 0045678901; do
  viewers="$viewers $(tok --role auditor --national-id "$nid")"
done
export SOAK_VIEWER_TOKENS="$viewers"
export SOAK_TOKEN_CITIZEN=$(tok --role citizen --national-id 1583250689)
export SOAK_TOKEN_STAFF=$(tok --role urbanism_staff --district 9)

mkdir -p bench/results
line=$("$target/soak" --base "http://127.0.0.1:$port" --gateway-pid "$pid" \
  --database-url "$citizen" --minutes "$minutes")
line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], cores=int(sys.argv[3])); print(json.dumps(d))" \
  "$line" "$(date -u +%FT%TZ)" "$(nproc)")
echo "$line"
echo "$line" >> bench/results/soak.jsonl
