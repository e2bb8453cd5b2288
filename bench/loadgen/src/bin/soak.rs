//! A soak: mixed, steady traffic for `--minutes` against one gateway while its resident
//! memory, open files and PostgreSQL connections are sampled every `--sample-seconds`. The
//! traffic: a nested parcels query from four viewers, citizens filing requests (with
//! idempotency keys, some retried) and staff advancing them. Prints one JSON line: requests
//! and errors by kind, latency p50/p99 of each, and the samples' first, last and largest
//! values, with the growth of the last third over the first third.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use serde_json::{json, Value};
use shahr_loadgen::{percentile, rss_kib};

#[derive(Debug, Parser)]
#[command(about = "Mixed steady load with resource sampling")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    #[arg(long)]
    gateway_pid: u32,
    /// The citizen database (its connections from the gateway are counted).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    #[arg(long, default_value_t = 30)]
    sample_seconds: u64,
}

#[derive(Default)]
struct Kind {
    latencies: Mutex<Vec<u32>>,
    errors: AtomicU64,
}

impl Kind {
    fn record(&self, sent: Instant, ok: bool) {
        if ok {
            let us = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
            self.latencies
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(us);
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn summary(&self) -> Value {
        let mut l = std::mem::take(&mut *self.latencies.lock().unwrap_or_else(|p| p.into_inner()));
        l.sort_unstable();
        json!({ "ok": l.len(), "errors": self.errors.load(Ordering::Relaxed),
                "p50_ms": percentile(&l, 50.0), "p99_ms": percentile(&l, 99.0) })
    }
}

async fn post(http: &reqwest::Client, base: &str, token: &str, body: &Value) -> Option<Value> {
    let response = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let value: Value = response.json().await.ok()?;
    value.get("errors").is_none().then_some(value)
}

fn open_files(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0)
}

fn growth(samples: &[u64]) -> f64 {
    let third = (samples.len() / 3).max(1);
    let mean = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len().max(1) as f64;
    let first = mean(&samples[..third.min(samples.len())]);
    let last = mean(&samples[samples.len().saturating_sub(third)..]);
    if first == 0.0 {
        0.0
    } else {
        ((last / first - 1.0) * 1000.0).round() / 10.0
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let viewers: Vec<String> = env("SOAK_VIEWER_TOKENS")?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let citizen = env("SOAK_TOKEN_CITIZEN")?;
    let staff = env("SOAK_TOKEN_STAFF")?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (queries, submits, moves) = (
        Arc::new(Kind::default()),
        Arc::new(Kind::default()),
        Arc::new(Kind::default()),
    );
    let filed = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    {
        let (http, base, stop, queries) = (
            http.clone(),
            args.base.clone(),
            stop.clone(),
            queries.clone(),
        );
        tasks.spawn(async move {
            let body = json!({ "query": "query Soak { parcels(first: 10) { totalCount nodes { renovationCode owners { sharePercent owner { fullName } } } } }" });
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let sent = Instant::now();
                let ok = post(&http, &base, &viewers[n % viewers.len()], &body).await.is_some();
                queries.record(sent, ok);
                n += 1;
            }
        });
    }
    {
        let (http, base, stop, submits, filed) = (
            http.clone(),
            args.base.clone(),
            stop.clone(),
            submits.clone(),
            filed.clone(),
        );
        tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000));
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let body = json!({ "query": "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
                    "variables": { "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                                              "idempotencyKey": format!("soak-{}-{n}", std::process::id()) } } });
                // Every fifth filing is sent twice, as a client retrying after a timeout would.
                for _ in 0..(1 + u64::from(n % 5 == 0)) {
                    let sent = Instant::now();
                    let answer = post(&http, &base, &citizen, &body).await;
                    if let Some(code) = answer.as_ref().and_then(|a| a["data"]["submitServiceRequest"]["request"]["trackingCode"].as_str()) {
                        let mut filed = filed.lock().unwrap_or_else(|p| p.into_inner());
                        if !filed.iter().any(|c| c == code) {
                            filed.push(code.to_owned());
                        }
                    }
                    submits.record(sent, answer.is_some());
                }
                n += 1;
            }
        });
    }
    {
        let (http, base, stop, moves, filed) = (
            http.clone(),
            args.base.clone(),
            stop.clone(),
            moves.clone(),
            filed.clone(),
        );
        tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let next = filed.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let Some(code) = next else { continue };
                let body = json!({ "query": "mutation($input: ServiceRequestMoveInput!) { advanceServiceRequest(input: $input) { request { state } } }",
                    "variables": { "input": { "trackingCode": code, "idempotencyKey": format!("soak-move-{code}") } } });
                let sent = Instant::now();
                let ok = post(&http, &base, &staff, &body).await.is_some();
                moves.record(sent, ok);
            }
        });
    }
    let (db, connection) =
        tokio_postgres::connect(&args.database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let (mut rss, mut files, mut conns) = (Vec::new(), Vec::new(), Vec::new());
    let until = Instant::now() + Duration::from_secs(args.minutes * 60);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(args.sample_seconds)).await;
        rss.push(rss_kib(args.gateway_pid));
        files.push(open_files(args.gateway_pid));
        let n: i64 = db
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[])
            .await?
            .get(0);
        conns.push(u64::try_from(n).unwrap_or(0));
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    let series = |s: &[u64]| json!({ "first": s.first(), "last": s.last(), "max": s.iter().max(), "growth_last_third_pct": growth(s) });
    println!(
        "{}",
        json!({
            "minutes": args.minutes,
            "queries": queries.summary(),
            "submits": submits.summary(),
            "moves": moves.summary(),
            "rss_kib": series(&rss),
            "open_files": series(&files),
            "citizen_db_connections": series(&conns),
            "samples": rss.len(),
        })
    );
    Ok(())
}
