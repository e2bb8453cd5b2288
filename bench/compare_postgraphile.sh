#!/usr/bin/env bash
# The gateway beside PostGraphile 4 on the same legacy database (seed --scale 10 --seed 1):
# the nested list query (50 rulings with case, parcel, owners, items, commission), each
# request asking for a random page, at 64 connections with wrk; PostGraphile as one process
# and with two workers, relations given by bench/postgraphile/postgraphile.tags.json5 (the
# database is not changed); and pgbench replaying the gateway's own statements, captured from
# PostgreSQL's log, over random pages. Rounds alternate the four, each server fresh. Prints
# one JSON line (each run, medians, ratios, CPU per request, CPU steal during each run) and
# appends it to bench/results/compare_postgraphile.jsonl.
#
#   bench/compare_postgraphile.sh   # BENCH_DATABASE_URL, BENCH_SECONDS (15), BENCH_ROUNDS (3),
#                                   # BENCH_CONCURRENCY (64), BENCH_POOL (32),
#                                   # BENCH_PG_LOG (the server's log, for the replay),
#                                   # BENCH_GATEWAY_BIN (a given build) override the defaults
# Needs wrk (Debian package wrk), pgbench, Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/city.sh
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

for tool in wrk pgbench npm; do
  command -v "$tool" >/dev/null || { echo "compare_postgraphile: $tool is missing" >&2; exit 1; }
done
[ -n "${BENCH_GATEWAY_BIN:-}" ] || cargo build --release -q -p shahr-gateway --bin shahr-gateway
gateway="${BENCH_GATEWAY_BIN:-${CARGO_TARGET_DIR:-target}/release/shahr-gateway}"
[ -d bench/postgraphile/node_modules ] || (cd bench/postgraphile && npm ci --no-audit --no-fund >/dev/null)

bench_city "$gateway" "$admin" 10

major=$(psql "$admin" -qAtc "SHOW server_version_num" | cut -c1-2)
export BENCH_URBANISM_URL="$SHAHR_URBANISM_DATABASE_URL" BENCH_ADMIN_URL="$admin" BENCH_GATEWAY="$gateway"
export BENCH_PG_LOG="${BENCH_PG_LOG:-/var/log/postgresql/postgresql-$major-main.log}"
line=$(python3 bench/postgraphile/compare.py)
echo "$line"
echo "$line" >> bench/results/compare_postgraphile.jsonl
