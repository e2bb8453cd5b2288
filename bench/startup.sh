#!/usr/bin/env bash
# Start-up time and idle memory of the release binary (quality bar: ready in under 1 s on a
# migrated database, idle RSS under 40 MiB). Uses a private PostgreSQL cluster in a temporary
# directory; prints one summary line and appends it to bench/results/startup.jsonl.
#   bench/startup.sh            (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin shahr-gateway
bin="${CARGO_TARGET_DIR:-target}/release/shahr-gateway"
work=$(mktemp -d); chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'pkill -INT -f "$bin --data-dir $work/pg" 2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT

wait_ready() {
  for _ in $(seq 1 1000); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.005
  done
  echo "not ready" >&2; return 1
}

# First start initialises, migrates and seeds the cluster; not measured.
SHAHR_LISTEN=127.0.0.1:$port "$bin" --data-dir "$work/pg" >/dev/null 2>&1 &
wait_ready
pkill -INT -f "$bin --data-dir $work/pg"; wait || true

# Measured: a start on the migrated, seeded data (including the embedded cluster's start).
start=$(date +%s%N)
SHAHR_LISTEN=127.0.0.1:$port "$bin" --data-dir "$work/pg" >/dev/null 2>&1 &
pid=$!
wait_ready
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
curl -sf "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
  -d '{"query":"{ districts { number name } }"}' >/dev/null
sleep 2
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
kill -INT "$pid"; wait "$pid" || true

line=$(printf '{"bench":"startup","date":"%s","ready_ms":%d,"idle_rss_kib":%d,"binary_bytes":%d}' \
  "$(date -u +%FT%TZ)" "$ready_ms" "$rss_kib" "$(stat -c %s "$bin")")
echo "$line"
echo "$line" >> bench/results/startup.jsonl
