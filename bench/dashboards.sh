#!/usr/bin/env bash
# The dashboards' aggregates on a generated city of scale 10 (about 14,000 rulings) and
# 20,000 generated service requests with their histories: the release gateway answers
# rulingStats and requestStats (all time, one district, this month); each is timed end to end
# over HTTP (30 runs, p50/p99) and its SQL statement with EXPLAIN ANALYZE (the statement is
# read from the connector's source, so what is timed is what runs). Prints one JSON line and
# appends it to bench/results/dashboards.jsonl; the plans go to bench/results/dashboards-plans.txt.
#
#   bench/dashboards.sh            # BENCH_DATABASE_URL, BENCH_SCALE override the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
admin="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scale="${BENCH_SCALE:-10}"
base="${admin%/*}"
urbanism="$base/shahr_bench_urbanism"
citizen="$base/shahr_bench_citizen"

cargo build --release -q -p shahr-gateway --bin shahr-gateway
target="${CARGO_TARGET_DIR:-target}/release"

for db in shahr_bench_urbanism shahr_bench_citizen; do
  psql "$admin" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || psql "$admin" -qc "CREATE DATABASE $db"
done
export SHAHR_URBANISM_DATABASE_URL="$urbanism" SHAHR_CITIZEN_DATABASE_URL="$citizen"
"$target/shahr-gateway" migrate >/dev/null 2>&1
want=$(python3 -c "print(int(20000 * $scale * 0.95))")
have=$(psql "$urbanism" -qAtc "SELECT count(*) FROM tbl_parvandeh" 2>/dev/null || echo 0)
if [ "$have" -lt "$want" ]; then
  "$target/shahr-gateway" seed --reset --scale "$scale" --seed 1 >/dev/null
fi
# 20,000 requests in every district and service, each with a history of 1-5 steps spread
# over the last 90 days (the demo seed writes only a few).
have=$(psql "$citizen" -qAtc "SELECT count(*) FROM shahr.requests WHERE tracking_code LIKE 'B-%'")
if [ "$have" -lt 20000 ]; then
  psql "$citizen" -q <<'SQL'
SELECT setseed(0.42);
WITH s AS (SELECT code, steps, row_number() OVER (ORDER BY code) AS k, count(*) OVER () AS n FROM shahr.services),
r AS (
  INSERT INTO shahr.requests (tracking_code, citizen_subject, citizen_national_id, renovation_code,
                              district, service_code, state, payload_hash, submitted_at)
  SELECT 'B-' || g, 'bench', '0076229645', '9-1-12-7-301-0-0', 1 + g % 10, s.code,
         s.steps[1 + (g % least(5, array_length(s.steps, 1)))], 'bench',
         now() - make_interval(hours => 24 * 90 - (g % 2000))
  FROM generate_series(1, 20000) AS g JOIN s ON s.k = 1 + g % s.n
  RETURNING id, service_code, state, submitted_at
)
INSERT INTO shahr.request_history (request_id, at, actor, role, from_state, to_state)
SELECT r.id, r.submitted_at + make_interval(hours => ((i - 1) * (6 + (r.id % 90)))::int), 'bench', 'urbanism_staff',
       CASE WHEN i > 1 THEN s.steps[i - 1] END, s.steps[i]
FROM r JOIN shahr.services s ON s.code = r.service_code
JOIN LATERAL generate_series(1, array_position(s.steps, r.state)) AS i ON true;
ANALYZE shahr.requests; ANALYZE shahr.request_history;
SQL
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHAHR_LISTEN="127.0.0.1:$port" SHAHR_LOG_FILTER=warn \
  SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE=1000000000 SHAHR_RATE_LIMITS__COST_PER_MINUTE=4000000000 \
  "$target/shahr-gateway" serve >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
# The read model is filled at start.
for _ in $(seq 1 300); do
  [ -n "$(psql "$urbanism" -qAtc "SELECT refreshed_at FROM shahr.ruling_facts_refreshed" 2>/dev/null)" ] && break
  sleep 0.1
done
token=$("$target/shahr-gateway" token --role auditor --ttl 1h)

line=$(python3 - "$port" "$token" "$urbanism" "$citizen" <<'PY'
import json, re, subprocess, sys, time, urllib.request, datetime
port, token, urbanism, citizen = sys.argv[1:5]

def statement(path, name):
    src = open(path, encoding="utf-8").read()
    start = src.index('r#"', src.index("const " + name)) + 3
    return src[start:src.index('"#;', start)]

today = (datetime.datetime.utcnow() + datetime.timedelta(hours=3, minutes=30)).date()
month_start = today - datetime.timedelta(days=today.day - 1)
cases = [
    ("rulings_all", "rulingStats", {}, urbanism, "RULING_STATS", "NULL, NULL, NULL, NULL"),
    ("rulings_district9", "rulingStats", {"district": 9}, urbanism, "RULING_STATS", "9, NULL, NULL, NULL"),
    ("rulings_month", "rulingStats", {"from": str(month_start), "to": str(today)}, urbanism, "RULING_STATS",
     f"NULL, NULL, '{month_start}', '{today}'"),
    ("requests_all", "requestStats", {}, citizen, "REQUEST_STATS", "NULL, NULL, NULL, NULL"),
    ("requests_district9", "requestStats", {"district": 9}, citizen, "REQUEST_STATS", "9, NULL, NULL, NULL"),
]
selection = {
    "rulingStats": "total byKind { kind count } byStatus { status count } byDistrict { district count } "
                   "byCommission { commissionId count } finesImposed finesCollected "
                   "sessionToIssue { count medianSeconds p90Seconds } issueToService { count medianSeconds p90Seconds } "
                   "objections objectionsInTime appealOutcomes { outcome count } byMonth { month rulings }",
    "requestStats": "total byService { code count } byState { state count } byDistrict { district count } "
                    "steps { state handled handlingTime { medianSeconds p90Seconds } breached open overdue } slaBreaches",
}
types = {"rulingStats": "RulingStatsFilter", "requestStats": "RequestStatsFilter"}
sources = {"RULING_STATS": "connectors/urbanism/src/stats.rs", "REQUEST_STATS": "connectors/citizen/src/stats.rs"}
params = {"RULING_STATS": "int2, int4, date, date", "REQUEST_STATS": "int2, text, timestamptz, timestamptz"}
summary = {"name": "dashboards", "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}
plans = []
for label, field, filt, db, const, args in cases:
    query = f"query($f: {types[field]}) {{ {field}(filter: $f) {{ {selection[field]} }} }}"
    body = json.dumps({"query": query, "variables": {"f": filt}}).encode()
    times = []
    for _ in range(30):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        t = time.perf_counter()
        answer = json.load(urllib.request.urlopen(req))
        times.append((time.perf_counter() - t) * 1000)
        assert "errors" not in answer, answer
    times.sort()
    sql = f"SET jit = off; SET work_mem = '{'32MB' if const == 'REQUEST_STATS' else '4MB'}'; PREPARE q({params[const]}) AS {statement(sources[const], const)};\n" \
          f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE q({args}); EXPLAIN (ANALYZE, TIMING OFF) EXECUTE q({args});"
    out = subprocess.run(["psql", db, "-qAt"], input=sql, capture_output=True, text=True, check=True).stdout
    executions = re.findall(r"Execution Time: ([0-9.]+) ms", out)
    plans.append(f"== {label} ({field} {json.dumps(filt)})\n" + out.split("Execution Time")[0].rsplit("\n", 1)[0]
                 + f"\nExecution Time: {executions[0]} ms (with per-node timing), {executions[-1]} ms (without)\n")
    summary[label] = {"total": answer["data"][field]["total"], "http_ms_p50": round(times[15], 1),
                      "http_ms_p99": round(times[-1], 1), "sql_ms": float(executions[-1])}
refresh = subprocess.run(["psql", urbanism, "-qAtc", "SELECT took_ms FROM shahr.ruling_facts_refreshed"],
                         capture_output=True, text=True, check=True).stdout.strip()
summary["read_model_refresh_ms"] = int(refresh or 0)
open("bench/results/dashboards-plans.txt", "w").write("\n".join(plans))
print(json.dumps(summary, ensure_ascii=False))
PY
)
echo "$line"
echo "$line" >> bench/results/dashboards.jsonl
