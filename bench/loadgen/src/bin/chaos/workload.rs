//! What the chaos run drives through the public API, and what it was told: the Article 100
//! session flow for copies of case 7, citizens' permit requests with staff moves up to the
//! payment of the fee, and WebSocket subscribers that resume by cursor after a disconnect.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures_util::{stream, SinkExt, StreamExt};
use serde_json::{json, Value};
use shahr_loadgen::{
    client::{CallError, Gateway},
    session::{self, Tokens},
};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// What the clients were told, and what failed for good.
#[derive(Default)]
pub struct Ledger {
    /// Case id -> the ruling's id, for every `issueRuling` acknowledged.
    pub issued: Mutex<HashMap<i32, String>>,
    /// Cases whose flow stopped at a call that failed for good.
    pub rulings_gave_up: Mutex<Vec<i32>>,
    /// Request number -> tracking code, for every submission acknowledged.
    pub submitted: Mutex<HashMap<usize, String>>,
    /// Tracking code -> moves acknowledged.
    pub moves: Mutex<HashMap<String, u32>>,
    /// Tracking codes whose last move failed for good (applied or not: the client cannot know).
    pub move_unsure: Mutex<Vec<String>>,
    /// Submissions that failed for good.
    pub submits_gave_up: AtomicU64,
    /// A few of the reasons calls failed for good.
    pub reasons: Mutex<Vec<String>>,
}

impl Ledger {
    fn failed(&self, why: impl std::fmt::Display) {
        let mut reasons = self.reasons.lock().unwrap_or_else(|p| p.into_inner());
        if reasons.len() < 10 {
            reasons.push(why.to_string().chars().take(300).collect());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs the session flow for `cases`, `concurrency` at a time; `hearing_day_come` moves the
/// hearing days of the cases that reached their defence window.
pub async fn rulings(
    gw: &Gateway,
    t: &Tokens,
    cases: &[i32],
    concurrency: usize,
    ledger: &Ledger,
    urbanism_url: &str,
) {
    let ready: Vec<i32> = stream::iter(cases.iter().copied())
        .map(|c| async move {
            match session::to_defence_window(gw, t, c).await {
                Ok(()) => Some(c),
                Err(e) => {
                    ledger.failed(&e);
                    lock(&ledger.rulings_gave_up).push(c);
                    None
                }
            }
        })
        .buffer_unordered(concurrency)
        .filter_map(|c| async move { c })
        .collect()
        .await;
    // The calendar stands in for ten days: retried until PostgreSQL answers.
    loop {
        let moved = async {
            let (db, conn) = tokio_postgres::connect(urbanism_url, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            session::hearing_day_come(&db, &ready).await
        };
        match tokio::time::timeout(Duration::from_secs(10), moved).await {
            Ok(Ok(())) => break,
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
    stream::iter(ready.chunks(50).map(<[i32]>::to_vec))
        .map(|chunk| async move {
            let sitting = match session::sit(gw, t, &chunk).await {
                Ok(s) => s,
                Err(e) => {
                    ledger.failed(&e);
                    lock(&ledger.rulings_gave_up).extend(chunk);
                    return;
                }
            };
            stream::iter(chunk)
                .map(|c| {
                    let sitting = sitting.clone();
                    async move {
                        let done = async {
                            let draft = session::signed_draft(gw, t, &sitting, c).await?;
                            session::issue(gw, t, &draft, &format!("issue-{c}")).await
                        };
                        match done.await {
                            Ok(ruling) => {
                                lock(&ledger.issued)
                                    .insert(c, ruling.as_str().unwrap_or_default().to_owned());
                            }
                            Err(e) => {
                                ledger.failed(&e);
                                lock(&ledger.rulings_gave_up).push(c);
                            }
                        }
                    }
                })
                .buffer_unordered(concurrency.div_ceil(2).max(1))
                .collect::<Vec<()>>()
                .await;
        })
        .buffer_unordered(2)
        .collect::<Vec<()>>()
        .await;
}

const SUBMIT: &str = "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }";
const ADVANCE: &str = "mutation($input: ServiceRequestMoveInput!) { advanceServiceRequest(input: $input) { request { state fee } } }";

/// Citizen permit requests: `count` submissions, each moved by staff four times (inspection,
/// review, fee payable, paid with a receipt for exactly the fee: recorded by one staff member,
/// confirmed by a second, which is the move).
pub async fn requests(
    gw: &Gateway,
    citizen: &str,
    staff: [&str; 2],
    count: usize,
    concurrency: usize,
    ledger: &Ledger,
) {
    stream::iter(0..count)
        .map(|n| async move {
            let filed = gw
                .call(
                    citizen,
                    SUBMIT,
                    json!({ "serviceCode": "building_permit_new", "renovationCode": "9-1-12-7-301-0-0",
                            "idempotencyKey": format!("chaos-req-{n}") }),
                )
                .await;
            let code = match filed {
                Ok(answer) => answer["data"]["submitServiceRequest"]["request"]["trackingCode"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                Err(e) => {
                    ledger.failed(&e);
                    ledger.submits_gave_up.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            };
            lock(&ledger.submitted).insert(n, code.clone());
            let mut fee = Value::Null;
            for step in 1..=5u32 {
                let mut input = json!({ "trackingCode": code, "comment": "بررسی شد",
                                        "idempotencyKey": format!("chaos-move-{n}-{step}") });
                if step >= 4 {
                    input["payment"] = json!({ "reference": format!("CHAOS-{n}"), "amount": fee });
                }
                let who = if step == 5 { staff[1] } else { staff[0] };
                match gw.call(who, ADVANCE, input).await {
                    Ok(answer) => {
                        fee = answer["data"]["advanceServiceRequest"]["request"]["fee"].clone();
                        // Recording the payment (step 4) moves nothing; its confirmation does.
                        if step != 4 {
                            *lock(&ledger.moves).entry(code.clone()).or_default() += 1;
                        }
                    }
                    Err(e) => {
                        if matches!(e, CallError::GaveUp(_)) {
                            lock(&ledger.move_unsure).push(code.clone());
                        }
                        ledger.failed(&e);
                        return;
                    }
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
}

/// A subscriber: which instance it prefers, its subscription, what it received.
pub struct Subscriber {
    pub name: String,
    pub query: &'static str,
    pub received: Mutex<Vec<String>>,
    pub reconnects: AtomicU64,
}

pub const RULINGS_ISSUED: &str = "subscription($after: String) { rulingEvents(after: $after, filter: { types: [RULING_ISSUED] }) { id } }";
pub const REQUEST_EVENTS: &str =
    "subscription($after: String) { serviceRequestEvents(after: $after) { id topic } }";

/// Keeps `sub` subscribed until `stop`: on any disconnect or error it subscribes again with
/// the last id it received, on the next instance of `ports` (starting with `ports[0]`).
pub async fn subscribe(
    sub: Arc<Subscriber>,
    ports: Vec<u16>,
    token: String,
    stop: Arc<AtomicBool>,
) {
    let mut attempt = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let port = ports[attempt % ports.len()];
        let after = lock(&sub.received).last().cloned();
        let session = tokio::time::timeout(
            Duration::from_secs(3600),
            one_session(&sub, port, &token, after, &stop),
        )
        .await;
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if !matches!(session, Ok(Ok(true))) {
            attempt += 1;
        }
        sub.reconnects.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One WebSocket session; `Ok(true)` when it ended because the server completed it.
async fn one_session(
    sub: &Subscriber,
    port: u16,
    token: &str,
    after: Option<String>,
    stop: &AtomicBool,
) -> anyhow::Result<bool> {
    let mut request = format!("ws://127.0.0.1:{port}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(request),
    )
    .await??;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
                .to_string(),
        ))
        .await?;
    let acked = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message? {
                let v: Value = serde_json::from_str(&text)?;
                if v["type"] == "connection_ack" {
                    return Ok(());
                }
            }
        }
        anyhow::bail!("closed before connection_ack")
    })
    .await;
    acked??;
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe",
                    "payload": { "query": sub.query, "variables": { "after": after } } })
            .to_string(),
        ))
        .await?;
    loop {
        let next = tokio::time::timeout(Duration::from_millis(500), socket.next()).await;
        if stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let Ok(message) = next else { continue };
        let Some(message) = message else {
            anyhow::bail!("closed")
        };
        let Message::Text(text) = message? else {
            continue;
        };
        let v: Value = serde_json::from_str(&text)?;
        match v["type"].as_str() {
            Some("next") => {
                if v["payload"]["errors"].is_array() {
                    anyhow::bail!("error: {}", v["payload"]["errors"]);
                }
                let data = &v["payload"]["data"];
                let event = data
                    .as_object()
                    .and_then(|o| o.values().next())
                    .cloned()
                    .unwrap_or(Value::Null);
                if let Some(id) = event["id"].as_str() {
                    lock(&sub.received).push(id.to_owned());
                }
            }
            Some("error") => anyhow::bail!("error: {}", v["payload"]),
            Some("complete") => return Ok(true),
            _ => {}
        }
    }
}
