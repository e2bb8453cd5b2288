//! Attacks on a running gateway while a well-behaved client keeps working. Each phase runs
//! one attack (from its own loopback address, as a different client would) for `--seconds`
//! while the steady client sends its query at a fixed rate from 127.0.0.1; the phase's line
//! gives the steady client's p50/p99 and errors, what the attack got, and the gateway's
//! largest RSS. The first phase has no attack (the baseline). One JSON line per phase.

mod attacks;
mod setup;

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use serde_json::{json, Value};
use shahr_loadgen::{percentile, rss_kib};

#[derive(Debug, Parser)]
#[command(about = "Attacks a gateway while a well-behaved client measures it")]
struct Args {
    /// The gateway's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The gateway's process id (for its RSS).
    #[arg(long)]
    gateway_pid: u32,
    /// The urbanism database (the hearing day of the document flow is moved there).
    #[arg(long)]
    database_url: String,
    /// Seconds each attack runs.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Requests per second of the steady client.
    #[arg(long, default_value_t = 20)]
    steady_rate: u64,
    /// Only these phases (comma separated); all when absent.
    #[arg(long)]
    only: Option<String>,
}

/// Counters an attack fills in; printed with its phase.
#[derive(Default)]
pub struct Tally {
    counts: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Tally {
    pub fn add(&self, what: impl Into<String>) {
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(what.into())
            .or_default() += 1;
    }

    fn json(&self) -> Value {
        json!(*self.counts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Everything an attack may use.
pub struct Target {
    pub base: String,
    pub stop: Arc<AtomicBool>,
    pub tally: Arc<Tally>,
    pub document_url: String,
    pub citizen_token: String,
    pub searcher_token: String,
}

impl Target {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// An attacker's own loopback address.
pub fn attacker(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// The well-behaved client: its query at a fixed rate, spread over several viewers so that
/// its own rate limits are not what it measures. Returns latencies (µs) and error count.
async fn steady(
    base: String,
    tokens: Vec<String>,
    rate: u64,
    stop: Arc<AtomicBool>,
) -> (Vec<u32>, u64) {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 1]))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let body = json!({ "query": "query Steady { parcels(first: 10) { totalCount nodes { renovationCode address owners { sharePercent owner { fullName } } } } }" }).to_string();
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut n = 0usize;
    let mut inflight = tokio::task::JoinSet::new();
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let request = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&tokens[n % tokens.len()])
            .header("content-type", "application/json")
            .body(body.clone());
        n += 1;
        let (errors, latencies) = (errors.clone(), latencies.clone());
        inflight.spawn(async move {
            let sent = Instant::now();
            let ok = match request.send().await {
                Ok(r) if r.status() == 200 => r
                    .bytes()
                    .await
                    .map(|b| !b.windows(9).any(|w| w == b"\"errors\":"))
                    .unwrap_or(false),
                _ => false,
            };
            if ok {
                let took = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                latencies
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(took);
            } else {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while inflight.join_next().await.is_some() {}
    let latencies = std::mem::take(&mut *latencies.lock().unwrap_or_else(|p| p.into_inner()));
    (latencies, errors.load(Ordering::Relaxed))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let steady_tokens: Vec<String> = env("ABUSE_STEADY_TOKENS")?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let tokens = setup::Tokens::from_env()?;
    let document_url = setup::document_url(&args.base, &args.database_url, &tokens)
        .await
        .context("cannot issue the ruling whose document the PDF attack asks for")?;
    let phases: Vec<&str> = vec![
        "baseline",
        "slow_sockets",
        "subscriptions_on_one_socket",
        "parallel_pdfs",
        "aliased_address_searches",
        "large_uploads",
        "verify_guesses",
    ];
    let only: Option<Vec<String>> = args
        .only
        .as_ref()
        .map(|o| o.split(',').map(str::to_owned).collect());
    for phase in phases {
        if only.as_ref().is_some_and(|o| !o.iter().any(|p| p == phase)) {
            continue;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let target = Arc::new(Target {
            base: args.base.clone(),
            stop: stop.clone(),
            tally: tally.clone(),
            document_url: document_url.clone(),
            citizen_token: env("ABUSE_TOKEN_CITIZEN")?,
            searcher_token: env("ABUSE_TOKEN_SEARCHER")?,
        });
        let attack = tokio::spawn(attacks::run(phase.to_owned(), target));
        // Let the attack build up before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let steady_stop = Arc::new(AtomicBool::new(false));
        let measuring = tokio::spawn(steady(
            args.base.clone(),
            steady_tokens.clone(),
            args.steady_rate,
            steady_stop.clone(),
        ));
        let until = Instant::now() + Duration::from_secs(args.seconds);
        let mut rss_max = 0;
        while Instant::now() < until {
            rss_max = rss_max.max(rss_kib(args.gateway_pid));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        steady_stop.store(true, Ordering::Relaxed);
        let (mut latencies, errors) = measuring.await.context("steady client")?;
        stop.store(true, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(30), attack).await;
        latencies.sort_unstable();
        println!(
            "{}",
            json!({
                "phase": phase,
                "steady_requests": latencies.len() as u64 + errors,
                "steady_errors": errors,
                "steady_p50_ms": percentile(&latencies, 50.0),
                "steady_p99_ms": percentile(&latencies, 99.0),
                "steady_max_ms": percentile(&latencies, 100.0),
                "gateway_rss_max_mib": rss_max / 1024,
                "attack": tally.json(),
            })
        );
        // Let the gateway settle (closed sockets, expired buckets) before the next attack.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Ok(())
}
