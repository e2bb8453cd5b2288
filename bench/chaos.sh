#!/usr/bin/env bash
# The chaos run: its own PostgreSQL and Redis (private, on free ports, under a temporary
# directory) and three release gateway processes; through the public API only, the Article 100
# session flow for BENCH_RULINGS (1000) cases, BENCH_REQUESTS (5000) citizen permit requests
# moved by staff up to the paid fee, and two subscribers per instance resuming by cursor.
# Clients retry failures with the same idempotency key. One fault at a time, in a random
# order at random moments: a gateway SIGKILLed and started again, PostgreSQL restarted (fast),
# Redis stopped for 20 s, PostgreSQL paused with SIGSTOP for 10 s. Prints one JSON line (lost,
# duplicated, half-written, missing events, audit chains, recovery times) and appends it to
# bench/results/chaos.jsonl.
#
#   bench/chaos.sh                 # BENCH_RULINGS, BENCH_REQUESTS, BENCH_SEED override
#   BENCH_RUNS=3 bench/chaos.sh    # three runs in a row (seeds 1, 2, 3 unless BENCH_SEED)
set -euo pipefail
cd "$(dirname "$0")/.."
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "chaos.sh needs PostgreSQL's server programs (apt-get install postgresql)"; exit 1; }
command -v redis-server >/dev/null || { echo "chaos.sh needs redis-server (apt-get install redis-server)"; exit 1; }

cargo build --release -q -p shahr-gateway --bin shahr-gateway
cargo build --release -q -p shahr-loadgen --bin chaos
target="${CARGO_TARGET_DIR:-target}/release"
mkdir -p bench/results
for run in $(seq 1 "${BENCH_RUNS:-1}"); do
  seed="${BENCH_SEED:-$run}"
  line=$("$target/chaos" --gateway "$target/shahr-gateway" --pg-bin "$pg_bin" \
    --rulings "${BENCH_RULINGS:-1000}" --requests "${BENCH_REQUESTS:-5000}" --seed "$seed")
  line=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(date=sys.argv[2], cores=int(sys.argv[3])); print(json.dumps(d, ensure_ascii=False))" \
    "$line" "$(date -u +%FT%TZ)" "$(nproc)")
  echo "$line"
  echo "$line" >> bench/results/chaos.jsonl
done
