#!/usr/bin/env bash
# Fan-out of live ruling events: N WebSocket subscribers on one gateway (release build, Redis
# Streams bus), M events written to the outbox at a steady rate. Prints one JSON line
# (deliveries, missing, duplicates, latency p50/p99/max from commit to arrival, the gateway's
# RSS per subscriber) and appends it to bench/results/fanout.jsonl.
#
#   bench/fanout.sh 1000            # subscribers; BENCH_EVENTS, BENCH_RATE, BENCH_DATABASE_URL,
#   bench/fanout.sh 10000           # BENCH_REDIS_URL override the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers="${1:-1000}"
events="${BENCH_EVENTS:-100}"
rate="${BENCH_RATE:-20}"
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/}"
base="${admin%/*}"
urbanism="$base/shahr_bench_fanout_urbanism"
citizen="$base/shahr_bench_fanout_citizen"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen --bin fanout
target="${CARGO_TARGET_DIR:-target}/release"

for db in shahr_bench_fanout_urbanism shahr_bench_fanout_citizen; do
  psql "$admin" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || psql "$admin" -qc "CREATE DATABASE $db"
done
export SHAHR_URBANISM_DATABASE_URL="$urbanism" SHAHR_CITIZEN_DATABASE_URL="$citizen"
"$target/shahr-gateway" migrate >/dev/null 2>&1
psql "$urbanism" -qAtc "SELECT 1 FROM tbl_parvandeh LIMIT 1" >/dev/null 2>&1 \
  || "$target/shahr-gateway" seed --scale 0.05 --seed 1 >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_LOG_FILTER=error SHAHR_REDIS_URL="$redis" \
  SHAHR_REDIS_KEY_PREFIX="shahr-bench-$$:" SHAHR_MAX_LIVE_CONNECTIONS=60000 \
  SHAHR_MAX_LIVE_CONNECTIONS_PER_IP=60000 SHAHR_RELAY_POLL_INTERVAL=200ms \
  SHAHR_MAX_HTTP_CONNECTIONS=60000 SHAHR_MAX_HTTP_CONNECTIONS_PER_IP=60000 \
  SHAHR_RATE_LIMITS__COST_PER_MINUTE=4000000000 SHAHR_MAX_OPERATIONS_PER_SOCKET=100 \
  "$target/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
token=$("$target/shahr-gateway" token --role auditor --ttl 1h)

summary=$("$target/fanout" --url "ws://127.0.0.1:$port/graphql" --token "$token" \
  --database-url "$urbanism" --subscribers "$subscribers" --events "$events" --rate "$rate" \
  --gateway-pid "$pid" --name "fanout_$subscribers")
line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], cores=int(sys.argv[3]), rate_per_second=int(sys.argv[4])); print(json.dumps(d))" \
  "$summary" "$(date -u +%FT%TZ)" "$(nproc)" "$rate")
echo "$line"
echo "$line" >> bench/results/fanout.jsonl
