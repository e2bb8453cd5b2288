#!/usr/bin/env bash
# The nested list query of the quality bar on a generated city of scale 10 (about 200,000
# parcels): 64 concurrent clients against the release build. Prints one JSON summary line
# (requests/s, p50/p99, the gateway's CPU and RSS) and appends it to
# bench/results/nested_rulings.jsonl.
#
#   bench/nested_rulings.sh            # BENCH_DATABASE_URL, BENCH_SCALE, BENCH_SECONDS,
#                                      # BENCH_CONCURRENCY override the defaults;
#                                      # BENCH_GATEWAY_BIN runs that build instead
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/city.sh
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scale="${BENCH_SCALE:-10}"
seconds="${BENCH_SECONDS:-20}"
concurrency="${BENCH_CONCURRENCY:-64}"

[ -n "${BENCH_GATEWAY_BIN:-}" ] || cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen
target="${CARGO_TARGET_DIR:-target}/release"
gateway="${BENCH_GATEWAY_BIN:-$target/shahr-gateway}"

bench_city "$gateway" "$admin" "$scale"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Throughput, not rate limits, is measured: the one benchmark viewer may ask without limit.
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_DB_POOL_SIZE="${BENCH_POOL:-32}" SHAHR_LOG_FILTER=warn \
  SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE=1000000000 SHAHR_RATE_LIMITS__COST_PER_MINUTE=4000000000 \
  "$gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
token=$("$gateway" token --role auditor --ttl 1h)
query='{ rulings(first: 50) { edges { node { number kind fine issuedOnJalali case { caseNumber parcel { renovationCode owners { shareDang owner { fullName } } } items { note builtAreaM2 } } commission { name } } } } }'

ticks=$(getconf CLK_TCK)
cpu_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
summary=$("$target/shahr-loadgen" --url "http://127.0.0.1:$port/graphql" --token "$token" \
  --query "$query" --concurrency "$concurrency" --duration "$seconds" --warmup 3 --name nested_rulings)
cpu_after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
cpu_pct=$(python3 -c "print(round(100 * ($cpu_after - $cpu_before) / $ticks / ($seconds + 3), 1))")
line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], scale=float(sys.argv[3]), gateway_cpu_percent=float(sys.argv[4]), gateway_rss_kib=int(sys.argv[5]), cores=int(sys.argv[6])); print(json.dumps(d))" \
  "$summary" "$(date -u +%FT%TZ)" "$scale" "$cpu_pct" "$rss_kib" "$(nproc)")
echo "$line"
echo "$line" >> bench/results/nested_rulings.jsonl
