#!/usr/bin/env bash
# Where the gateway's CPU goes under the nested list query (as bench/nested_rulings.sh runs
# it): a build with symbols (`--profile profiling`) on the scale-10 bench database, 64 clients,
# `perf record` with DWARF call graphs on the gateway for a few seconds. Prints the top
# functions by self time and by inclusive time, and writes them to
# bench/results/profile-nested.txt. Run bench/nested_rulings.sh once first (it seeds).
#
#   bench/profile.sh        # BENCH_DATABASE_URL, BENCH_SECONDS (default 10) override;
#                           # PROFILE_QUERY profiles another document, written to
#                           # bench/results/profile-$PROFILE_NAME.txt (default: nested)
set -euo pipefail
cd "$(dirname "$0")/.."
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
seconds="${BENCH_SECONDS:-10}"
base="${admin%/*}"
command -v perf >/dev/null || { echo "profile: needs perf (apt-get install linux-perf)"; exit 1; }

cargo build --profile profiling -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen
target="${CARGO_TARGET_DIR:-target}"
export SHAHR_URBANISM_DATABASE_URL="$base/shahr_bench_urbanism"
export SHAHR_CITIZEN_DATABASE_URL="$base/shahr_bench_citizen"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_DB_POOL_SIZE=32 SHAHR_LOG_FILTER=warn \
  SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE=1000000000 SHAHR_RATE_LIMITS__COST_PER_MINUTE=4000000000 \
  "$target/profiling/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
token=$("$target/profiling/shahr-gateway" token --role auditor --ttl 1h)
nested='{ rulings(first: 50) { edges { node { number kind fine issuedOnJalali case { caseNumber parcel { renovationCode owners { shareDang owner { fullName } } } items { note builtAreaM2 } } commission { name } } } } }'
query="${PROFILE_QUERY:-$nested}"

data=$(mktemp)
"$target/release/shahr-loadgen" --url "http://127.0.0.1:$port/graphql" --token "$token" \
  --query "$query" --concurrency 64 --duration $((seconds + 4)) --warmup 2 --name profile >/dev/null &
load=$!
sleep 2
perf record -q -F 499 --call-graph dwarf,16384 -p "$pid" -o "$data" -- sleep "$seconds" 2>/dev/null
wait "$load"
# The report's lines with a percentage, without the padding, the 40 first.
tidy() { grep -E '^ +[0-9.]+%' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | cut -c1-180 | head -40; }
out="bench/results/profile-${PROFILE_NAME:-nested}.txt"
{
  echo "# $(date -u +%FT%TZ) ${PROFILE_NAME:-nested}: $query; 64 clients, ${seconds}s, perf -F 499 dwarf"
  echo "## self time"
  perf report -i "$data" --no-children --sort symbol --stdio 2>/dev/null | tidy || true
  echo "## inclusive time"
  perf report -i "$data" --children --sort symbol --stdio 2>/dev/null | tidy || true
} | tee "$out"
rm -f "$data"
