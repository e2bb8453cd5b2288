//! `issueRuling` at a fixed rate. First it prepares `--drafts` signed drafts through the public
//! API ([`shahr_loadgen::session`]). Then it sends `issueRuling` at `--rate` per
//! second, open loop (a slow answer does not slow the sending), until the drafts run out, and
//! prints one JSON line: the rate asked and achieved, answers, errors and latency
//! percentiles.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use shahr_loadgen::{
    client::Gateway,
    percentile,
    session::{self, Tokens},
};

#[derive(Debug, Parser)]
#[command(about = "issueRuling at a fixed rate, on drafts signed in advance")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The urbanism database (to copy case 7 and move hearing days).
    #[arg(long)]
    database_url: String,
    /// Signed drafts to prepare (the run lasts drafts / rate seconds).
    #[arg(long, default_value_t = 4000)]
    drafts: usize,
    /// Issues per second.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// The gateway's process id: its CPU time during the issuing is reported per issue.
    #[arg(long)]
    gateway_pid: Option<u32>,
    /// Clients preparing drafts at once.
    #[arg(long, default_value_t = 16)]
    prepare_concurrency: usize,
}

async fn prepare(
    args: &Args,
    gw: &Gateway,
    t: &Tokens,
    db: &tokio_postgres::Client,
) -> anyhow::Result<Vec<Value>> {
    let cases = session::copy_cases(db, args.drafts).await?;
    stream::iter(cases.iter().copied())
        .map(|c| session::to_defence_window(gw, t, c))
        .buffer_unordered(args.prepare_concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    session::hearing_day_come(db, &cases).await?;
    let mut sittings = Vec::new();
    for chunk in cases.chunks(50) {
        let sitting = session::sit(gw, t, chunk).await?;
        sittings.extend(chunk.iter().map(|c| (sitting.clone(), *c)));
    }
    stream::iter(sittings)
        .map(|(sitting, c)| async move { session::signed_draft(gw, t, &sitting, c).await })
        .buffered(args.prepare_concurrency)
        .try_collect()
        .await
}

/// CPU time (user + system) of process `pid` in milliseconds, from `/proc` (clock ticks of
/// 10 ms).
fn cpu_ms(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let user: u64 = fields.get(11)?.parse().ok()?;
            let system: u64 = fields.get(12)?.parse().ok()?;
            Some((user + system) * 10)
        })
        .unwrap_or(0)
}

/// CPU time of every PostgreSQL process, in milliseconds.
fn postgres_cpu_ms() -> u64 {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|pid| pid.chars().all(|c| c.is_ascii_digit()))
                .filter(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|c| c.trim() == "postgres")
                })
                .map(|pid| cpu_ms(&pid))
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tokens = Tokens::from_env("ISSUE_TOKEN")?;
    let gw = Arc::new(Gateway::new(
        vec![args.base.clone()],
        Duration::from_secs(30),
        Duration::ZERO,
    ));
    let (db, connection) = tokio_postgres::connect(&args.database_url, tokio_postgres::NoTls)
        .await
        .context("the urbanism database")?;
    tokio::spawn(connection);

    let prepared_at = Instant::now();
    let drafts = prepare(&args, &gw, &tokens, &db).await?;
    let prepare_seconds = prepared_at.elapsed().as_secs_f64();

    let tokens = Arc::new(tokens);
    let gateway_pid = args.gateway_pid.map(|p| p.to_string()).unwrap_or_default();
    let (gateway_cpu_before, pg_cpu_before) = (cpu_ms(&gateway_pid), postgres_cpu_ms());
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = Vec::with_capacity(drafts.len());
    for (n, draft) in drafts.into_iter().enumerate() {
        tick.tick().await;
        let (gw, tokens) = (gw.clone(), tokens.clone());
        sent.push(tokio::spawn(async move {
            let at = Instant::now();
            let answer = session::issue(&gw, &tokens, &draft, &format!("issue-bench-{n}")).await;
            (
                answer.err().map(|e| e.to_string()),
                at.elapsed(),
                Instant::now(),
            )
        }));
    }
    let mut latencies = Vec::with_capacity(sent.len());
    let mut errors = 0u64;
    let mut reasons: Vec<String> = Vec::new();
    let mut last = started;
    for task in sent {
        let (error, took, done) = task.await?;
        last = last.max(done);
        match error {
            None => latencies.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
            Some(why) => {
                errors += 1;
                if reasons.len() < 3 {
                    reasons.push(why.chars().take(300).collect());
                }
            }
        }
    }
    let gateway_cpu = cpu_ms(&gateway_pid).saturating_sub(gateway_cpu_before);
    let pg_cpu = postgres_cpu_ms().saturating_sub(pg_cpu_before);
    latencies.sort_unstable();
    let per_issue = |ms: u64| (ms as f64 / latencies.len().max(1) as f64 * 10.0).round() / 10.0;
    let seconds = (last - started).as_secs_f64();
    let issued = db
        .query_one(
            "SELECT count(*) FROM shahr.issued_rulings WHERE issued_at > now() - $1::float8 * interval '1 second'",
            &[&(seconds + 5.0)],
        )
        .await
        .map(|r| r.get::<_, i64>(0))
        .unwrap_or(-1);
    println!(
        "{}",
        json!({
            "bench": "issue_throughput",
            "target_rate": args.rate,
            "achieved_rate": (latencies.len() as f64 / seconds * 10.0).round() / 10.0,
            "ok": latencies.len(), "errors": errors, "issued_rows": issued,
            "p50_ms": percentile(&latencies, 50.0), "p90_ms": percentile(&latencies, 90.0),
            "p99_ms": percentile(&latencies, 99.0), "max_ms": percentile(&latencies, 100.0),
            "seconds": (seconds * 10.0).round() / 10.0,
            "prepare_seconds": prepare_seconds.round(), "errors_seen": reasons,
            "gateway_cpu_ms_per_issue": per_issue(gateway_cpu),
            "postgres_cpu_ms_per_issue": per_issue(pg_cpu),
        })
    );
    Ok(())
}
