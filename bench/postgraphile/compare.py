#!/usr/bin/env python3
"""The runs of bench/compare_postgraphile.sh (which prepares the database and the builds and
sets the BENCH_* variables this reads). Prints one JSON line."""

import base64
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
URBANISM = os.environ["BENCH_URBANISM_URL"]
ADMIN = os.environ["BENCH_ADMIN_URL"]
GATEWAY = os.environ["BENCH_GATEWAY"]
PG_LOG = os.environ["BENCH_PG_LOG"]
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
POOL = os.environ.get("BENCH_POOL", "32")
PAGE = 50
MARK = "shahr-replay-mark"
TICKS = os.sysconf("SC_CLK_TCK")

GATEWAY_QUERY = (
    "query NestedRulings($after: String) { rulings(first: %d, after: $after) { edges { node {"
    " number kind fine issuedOnJalali case { caseNumber parcel { renovationCode owners {"
    " shareDang owner { fullName } } } items { note builtAreaM2 } } commission { name } } } } }"
    % PAGE
)
POSTGRAPHILE_QUERY = (
    "query NestedRulings($after: Cursor) { allTblRays(first: %d, after: $after, orderBy:"
    " ID_RAY_DESC) { edges { node { shomareRay noeRay mablaghJarimeh tarikhRay"
    " tblParvandehTakhalofByIdTakhalof { shomareParvandeh tblParvandehByIdParvandeh { kodNosazi"
    " tblMalekiatsByIdParvandeh { nodes { sahmDang tblMalekByIdMalek { nam namKhanevadegi } } } }"
    " tblAqlamTakhalofsByIdTakhalof { nodes { tabaghe masahatEjra } } }"
    " tblCommissionByIdCommission { onvan } } } } }" % PAGE
)
TRIVIAL_QUERY = "{ districts { number name } }"


def psql(url, sql):
    return subprocess.run(
        ["psql", url, "-qAtc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cpu(sid):
    """CPU seconds used so far by every process of session `sid`."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def cpu_counters():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return values[7], sum(values[:8])


def post(url, body, token=None, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class Server:
    def __init__(self, argv, env=None, cwd=None):
        self.process = subprocess.Popen(
            argv, env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait_until(self, ready):
        for _ in range(600):
            try:
                if ready():
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit("a server of the benchmark exited at start")
            time.sleep(0.1)
        raise SystemExit("a server of the benchmark did not start")

    def cpu(self):
        return session_cpu(self.process.pid)

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def gateway(capture=False):
    port = free_port()
    server = Server([GATEWAY, "serve"], env={
        "SHAHR_LISTEN": "127.0.0.1:%d" % port, "SHAHR_DB_POOL_SIZE": POOL,
        "SHAHR_LOG_FILTER": "warn",
        # Throughput, not rate limits, is measured.
        "SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE": "1000000000",
        "SHAHR_RATE_LIMITS__COST_PER_MINUTE": "4000000000",
    })
    url = "http://127.0.0.1:%d" % port
    server.wait_until(lambda: urllib.request.urlopen(url + "/readyz", timeout=2).status == 200)
    return server, url + "/graphql"


def postgraphile(workers):
    port = free_port()
    argv = [os.path.join(HERE, "node_modules", ".bin", "postgraphile"), "-c", URBANISM,
            "--host", "127.0.0.1", "--port", str(port), "--disable-query-log",
            "--disable-default-mutations", "--max-pool-size", POOL]
    if workers > 1:
        argv += ["--cluster-workers", str(workers)]
    server = Server(argv, env={"NODE_ENV": "production"}, cwd=HERE)
    url = "http://127.0.0.1:%d/graphql" % port
    server.wait_until(lambda: "data" in post(url, {"query": "{ __typename }"}, timeout=2))
    return server, url


def wrk(url, cursors, template, token, seconds):
    out = subprocess.run(
        ["wrk", "-t2", "-c%d" % CONCURRENCY, "-d%ds" % seconds, "--timeout", "10s",
         "-s", os.path.join(HERE, "random_page.lua"), url, "--", cursors, template,
         token or "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measured(start, files, token):
    """One fresh server, one wrk run; its figures, the server's CPU and the machine's steal."""
    server, url = start()
    try:
        wrk(url, *files, token, 3)  # warm-up: connections, caches, Node.js's JIT
        steal0, total0 = cpu_counters()
        cpu0 = server.cpu()
        result = wrk(url, *files, token, SECONDS)
        cpu = server.cpu() - cpu0
        steal1, total1 = cpu_counters()
    finally:
        server.stop()
    result["cpu_ms_per_request"] = round(1000 * cpu / max(result["requests"], 1), 3)
    result["steal_percent"] = round(100 * (steal1 - steal0) / max(total1 - total0, 1), 2)
    return result


def capture_replay(ids, token, outdir):
    """The gateway's statements for 100 random pages, one pgbench script per page."""
    if not os.access(PG_LOG, os.R_OK):
        return None
    database = URBANISM.rsplit("/", 1)[1]
    psql(ADMIN, "ALTER DATABASE %s SET log_min_duration_statement = 0" % database)
    try:
        offset = os.path.getsize(PG_LOG)
        server, url = gateway()
        try:
            for ruling in ids[:100]:
                psql(URBANISM, "SELECT '%s'" % MARK)
                post(url, {"query": GATEWAY_QUERY,
                           "variables": {"after": gateway_cursor(ruling)}}, token)
            psql(URBANISM, "SELECT '%s'" % MARK)
        finally:
            server.stop()
    finally:
        psql(ADMIN, "ALTER DATABASE %s RESET log_min_duration_statement" % database)
    time.sleep(1)
    summary = subprocess.run(
        ["python3", os.path.join(HERE, "replay.py"), PG_LOG, str(offset), database, MARK,
         outdir], check=True, capture_output=True, text=True).stdout.strip()
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir)), summary


def pgbench(scripts):
    steal0, total0 = cpu_counters()
    argv = ["pgbench", "-n", "-M", "prepared", "-c", str(CONCURRENCY), "-j", "2",
            "-T", str(SECONDS)]
    for script in scripts:
        argv += ["-f", script]
    out = subprocess.run(argv + [URBANISM], check=True, capture_output=True, text=True).stdout
    steal1, total1 = cpu_counters()
    figures = {}
    for line in out.splitlines():
        if line.startswith("tps = "):
            figures["tps"] = float(line.split()[2])
        elif line.startswith("latency average = "):
            figures["latency_avg_ms"] = float(line.split()[3])
        elif line.startswith("number of failed transactions"):
            figures["failed"] = int(line.split(":")[1].split()[0])
    figures["steal_percent"] = round(100 * (steal1 - steal0) / max(total1 - total0, 1), 2)
    return figures


def gateway_cursor(ruling):
    return base64.urlsafe_b64encode(("Ruling:%d" % ruling).encode()).decode().rstrip("=")


def postgraphile_cursor(ruling):
    return base64.b64encode(json.dumps(["id_ray_desc", [ruling]]).encode()).decode()


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    psql(URBANISM, "SELECT setseed(0.42)")
    ids = [int(v) for v in psql(
        URBANISM, "SELECT setseed(0.42); SELECT id_ray FROM tbl_ray ORDER BY random() LIMIT 1000"
    ).split()[-1000:] if v.strip()]
    token = subprocess.run([GATEWAY, "token", "--role", "auditor", "--ttl", "3h"], check=True,
                           capture_output=True, text=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="shahr-compare-")
    template = lambda query: json.dumps(
        {"query": query, "variables": {"after": "CURSOR"}}).replace("CURSOR", "%s")
    gateway_files = (
        write(work, "gateway-cursors", "\n".join(gateway_cursor(i) for i in ids)),
        write(work, "gateway-body", template(GATEWAY_QUERY)),
    )
    postgraphile_files = (
        write(work, "pg-cursors", "\n".join(postgraphile_cursor(i) for i in ids)),
        write(work, "pg-body", template(POSTGRAPHILE_QUERY)),
    )
    trivial_files = (write(work, "none", "-\n"),
                     write(work, "trivial-body", json.dumps({"query": TRIVIAL_QUERY})))
    replay = capture_replay(ids, token, os.path.join(work, "replay"))
    rounds = []
    for _ in range(ROUNDS):
        run = {
            "gateway": measured(gateway, gateway_files, token),
            "postgraphile": measured(lambda: postgraphile(1), postgraphile_files, None),
            "postgraphile_2_workers": measured(lambda: postgraphile(2), postgraphile_files, None),
            "gateway_trivial": measured(gateway, trivial_files, token),
        }
        if replay:
            run["replay"] = pgbench(replay[0])
        rounds.append(run)

    def median(kind, figure):
        values = [r[kind][figure] for r in rounds if kind in r]
        return round(statistics.median(values), 3) if values else None

    gateway_rps = median("gateway", "rps")
    medians = {
        "gateway_rps": gateway_rps,
        "gateway_p99_ms": median("gateway", "p99_ms"),
        "gateway_cpu_ms_per_request": median("gateway", "cpu_ms_per_request"),
        "postgraphile_rps": median("postgraphile", "rps"),
        "postgraphile_p99_ms": median("postgraphile", "p99_ms"),
        "postgraphile_cpu_ms_per_request": median("postgraphile", "cpu_ms_per_request"),
        "postgraphile_2_workers_rps": median("postgraphile_2_workers", "rps"),
        "replay_tps": median("replay", "tps"),
        "gateway_trivial_rps": median("gateway_trivial", "rps"),
    }
    ratio = lambda a, b: round(a / b, 2) if a and b else None
    ratios = {
        "gateway_to_postgraphile": ratio(gateway_rps, medians["postgraphile_rps"]),
        "gateway_to_postgraphile_2_workers": ratio(
            gateway_rps, medians["postgraphile_2_workers_rps"]),
        "gateway_to_replay": ratio(gateway_rps, medians["replay_tps"]),
    }
    targets = {
        "4x_postgraphile": (ratios["gateway_to_postgraphile"] or 0) >= 4,
        "3x_postgraphile_2_workers": (ratios["gateway_to_postgraphile_2_workers"] or 0) >= 3,
        "70pct_of_replay": (ratios["gateway_to_replay"] or 0) >= 0.7,
        "p99_under_150ms": (medians["gateway_p99_ms"] or 1e9) < 150,
        "cpu_under_1ms": (medians["gateway_cpu_ms_per_request"] or 1e9) < 1,
        "trivial_20000_rps": (medians["gateway_trivial_rps"] or 0) >= 20000,
    }
    print(json.dumps({
        "bench": "compare_postgraphile",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cores": os.cpu_count(), "concurrency": CONCURRENCY, "seconds": SECONDS,
        "page": PAGE, "random_pages": len(ids),
        "replay_scripts": replay[1] if replay else "no log to capture from: " + PG_LOG,
        "medians": medians, "ratios": ratios, "targets_met": targets, "rounds": rounds,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
