//! Fan-out: `--subscribers` WebSocket clients (graphql-transport-ws) subscribe to
//! `rulingEvents`; then `--events` `ruling.issued` rows are written to the urbanism outbox,
//! `--rate` per second, exactly as the issuing transaction writes them. Each delivery's
//! latency is the time from the row's commit (`occurredAt`, the database clock on this same
//! machine) to its arrival at a subscriber. Prints one JSON line: deliveries, missing,
//! duplicates, latency p50/p99/max in milliseconds.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// Fan-out benchmark arguments.
#[derive(Debug, Parser)]
#[command(about = "WebSocket fan-out benchmark of rulingEvents")]
struct Args {
    /// WebSocket endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/graphql")]
    url: String,
    /// Bearer token (staff or auditor).
    #[arg(long)]
    token: String,
    /// The urbanism database, where the outbox rows are written.
    #[arg(long)]
    database_url: String,
    /// WebSocket subscribers.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Events written.
    #[arg(long, default_value_t = 100)]
    events: usize,
    /// Events per second.
    #[arg(long, default_value_t = 20)]
    rate: u64,
    /// Printed in the summary line.
    #[arg(long, default_value = "fanout")]
    name: String,
    /// The gateway's process id, to report its memory per subscriber.
    #[arg(long)]
    gateway_pid: Option<u32>,
}

/// Resident memory of a process, KiB.
fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

type Seen = Arc<Mutex<HashMap<i64, Vec<f64>>>>;

async fn subscriber(
    args: Arc<Args>,
    seen: Seen,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let mut request = args.url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            serde_json::json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", args.token) } })
                .to_string(),
        ))
        .await?;
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            if v["type"] == "connection_ack" {
                break;
            }
        }
    }
    socket
        .send(Message::text(
            serde_json::json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription { rulingEvents(filter: { types: [RULING_ISSUED] }) { id details occurredAt } }" } })
                .to_string(),
        ))
        .await?;
    let _ = ready.send(()).await;
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let arrived = chrono::Utc::now();
        // Only what the measurement needs, read without building a JSON tree: the client
        // shares the machine with the gateway, so its own cost is kept small.
        let Ok(frame) = serde_json::from_str::<Frame<'_>>(&text) else {
            continue;
        };
        if frame.r#type != "next" {
            continue;
        }
        let Some(event) = frame.payload.and_then(|p| p.data).map(|d| d.ruling_events) else {
            continue;
        };
        let Ok(at) = chrono::DateTime::parse_from_rfc3339(event.occurred_at) else {
            continue;
        };
        let n = event.details.ruling_id;
        let ms = (arrived - at.with_timezone(&chrono::Utc))
            .num_microseconds()
            .unwrap_or(0) as f64
            / 1000.0;
        if let Ok(mut seen) = seen.lock() {
            seen.entry(n).or_default().push(ms);
        }
    }
    Ok(())
}

/// A server message, as far as the benchmark reads it.
#[derive(serde::Deserialize)]
struct Frame<'a> {
    r#type: &'a str,
    #[serde(borrow)]
    payload: Option<Payload<'a>>,
}

#[derive(serde::Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(borrow)]
    ruling_events: LiveEvent<'a>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LiveEvent<'a> {
    occurred_at: &'a str,
    details: Details,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    ruling_id: i64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let seen: Seen = Arc::default();
    let rss_before = rss_kib(args.gateway_pid);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.subscribers.max(1));
    let started = Instant::now();
    for i in 0..args.subscribers {
        let (args, seen, ready) = (args.clone(), seen.clone(), ready_tx.clone());
        tokio::spawn(async move {
            if let Err(e) = subscriber(args, seen, ready).await {
                eprintln!("subscriber {i}: {e}");
            }
        });
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(ready_tx);
    let mut connected = 0;
    while connected < args.subscribers {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => connected += 1,
            _ => break,
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    eprintln!("{connected} subscribers connected in {connect_seconds:.1} s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = rss_kib(args.gateway_pid);

    let (db, conn) = tokio_postgres::connect(&args.database_url, tokio_postgres::NoTls)
        .await
        .context("the urbanism database")?;
    tokio::spawn(conn);
    let base: i64 = 1_000_000_000 + (chrono::Utc::now().timestamp() % 1_000_000) * 1000;
    let gap = Duration::from_micros(1_000_000 / args.rate.max(1));
    for n in 0..args.events as i64 {
        db.execute(
            // A complete `ruling.issued` event as the issuing transaction writes it.
            "INSERT INTO shahr.outbox (topic, payload) VALUES ('ruling.issued', \
             jsonb_build_object('topic', 'ruling.issued', 'caseId', 7, 'parcelId', 666, \
               'district', 1, 'commissionId', 1, 'fromStatus', 'IN_SESSION', \
               'status', 'RULING_ISSUED', 'ownerNationalIds', jsonb_build_array('0076229645'), \
               'rulingId', $1::int8, 'issuedRecordId', $1::int8, 'number', 'bench/' || $1::int8, \
               'kind', 'FINE', 'stage', 'PRIMARY', 'fineRials', '1897500000', \
               'rulingCommissionId', 1, 'contentHash', 'bench', 'keyId', 'bench', \
               'issuedAt', '2026-11-30T08:00:00Z'))",
            &[&(base + n)],
        )
        .await?;
        tokio::time::sleep(gap).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;

    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut latencies = Vec::new();
    let mut duplicates = 0usize;
    let mut deliveries = 0usize;
    for n in 0..args.events as i64 {
        if let Some(list) = seen.get(&(base + n)) {
            deliveries += list.len();
            latencies.extend(list.iter().copied());
        }
    }
    // Each subscriber should see each event once: more than `connected` copies are duplicates.
    for list in seen.values() {
        duplicates += list.len().saturating_sub(connected);
    }
    latencies.sort_by(f64::total_cmp);
    let expected = connected * args.events;
    println!(
        "{}",
        serde_json::json!({
            "name": args.name,
            "subscribers": connected,
            "events": args.events,
            "deliveries": deliveries,
            "missing": expected.saturating_sub(deliveries),
            "duplicates": duplicates,
            "connect_seconds": (connect_seconds * 10.0).round() / 10.0,
            "latency_ms_p50": (percentile(&latencies, 0.50) * 10.0).round() / 10.0,
            "latency_ms_p99": (percentile(&latencies, 0.99) * 10.0).round() / 10.0,
            "latency_ms_max": (percentile(&latencies, 1.0) * 10.0).round() / 10.0,
            "gateway_rss_kib_before": rss_before,
            "gateway_rss_kib_connected": rss_connected,
            "gateway_kib_per_subscriber": match (rss_before, rss_connected) {
                (Some(a), Some(b)) if connected > 0 => Some(((b.saturating_sub(a)) as f64 / connected as f64 * 10.0).round() / 10.0),
                _ => None,
            },
        })
    );
    Ok(())
}
