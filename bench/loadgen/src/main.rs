//! Closed-loop load: `--concurrency` clients each send the same GraphQL POST back to back for
//! `--duration` (after a warm-up), then one JSON summary line is printed: requests/s and
//! latency percentiles. Responses that are not 200 or carry `errors` count as errors.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use shahr_loadgen::percentile;

/// Load generator arguments.
#[derive(Debug, Parser)]
#[command(about = "Closed-loop GraphQL load generator")]
struct Args {
    /// GraphQL endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8080/graphql")]
    url: String,
    /// Bearer token.
    #[arg(long)]
    token: Option<String>,
    /// The GraphQL document to send.
    #[arg(long)]
    query: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Warm-up seconds (not measured).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Name put in the summary line.
    #[arg(long, default_value = "graphql")]
    name: String,
}

async fn client_loop(
    client: reqwest::Client,
    args: std::sync::Arc<Args>,
    body: std::sync::Arc<String>,
    start_measuring: Instant,
    stop: Instant,
) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(4096);
    let mut errors = 0u64;
    while Instant::now() < stop {
        let sent = Instant::now();
        let mut request = client
            .post(&args.url)
            .header("content-type", "application/json")
            .body(body.as_str().to_owned());
        if let Some(token) = &args.token {
            request = request.bearer_auth(token);
        }
        let ok = match request.send().await {
            Ok(response) if response.status() == 200 => match response.bytes().await {
                Ok(bytes) => !bytes.windows(9).any(|w| w == b"\"errors\":"),
                Err(_) => false,
            },
            _ => false,
        };
        if sent >= start_measuring {
            if ok {
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
            } else {
                errors += 1;
            }
        }
    }
    (latencies, errors)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = std::sync::Arc::new(Args::parse());
    let body = std::sync::Arc::new(serde_json::json!({ "query": args.query }).to_string());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("http client")?;
    let start_measuring = Instant::now() + Duration::from_secs(args.warmup);
    let stop = start_measuring + Duration::from_secs(args.duration);
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(client_loop(
                client.clone(),
                args.clone(),
                body.clone(),
                start_measuring,
                stop,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.context("client task")?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    let seconds = args.duration as f64;
    let summary = serde_json::json!({
        "bench": args.name,
        "concurrency": args.concurrency,
        "seconds": args.duration,
        "requests": latencies.len(),
        "errors": errors,
        "rps": (latencies.len() as f64 / seconds * 10.0).round() / 10.0,
        "p50_ms": percentile(&latencies, 50.0),
        "p90_ms": percentile(&latencies, 90.0),
        "p99_ms": percentile(&latencies, 99.0),
        "max_ms": percentile(&latencies, 100.0),
    });
    println!("{summary}");
    Ok(())
}
