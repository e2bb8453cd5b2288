//! Live channels: both WebSocket protocols and SSE, with the `serverTime` heartbeat.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use shahr_gateway::auth::Role;

use crate::helpers::{TestApp, WsEvent};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn graphql_transport_ws_clients_receive_server_time_ticks() {
    let app = TestApp::spawn().await;
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "id": "t1", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    let mut ticks = Vec::new();
    for _ in 0..2 {
        let message = ws.next_json(WAIT).await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], "t1");
        ticks.push(
            message["payload"]["data"]["serverTime"]
                .as_str()
                .expect("time")
                .to_owned(),
        );
    }
    assert!(ticks[0] < ticks[1], "ticks advance: {ticks:?}");
    ws.send(json!({ "id": "t1", "type": "complete" })).await;
    ws.send(json!({ "type": "ping" })).await;
    // After completing, only the pong comes back (no more ticks for t1).
    let mut saw_pong = false;
    for _ in 0..3 {
        let m = ws.next_json(WAIT).await;
        if m["type"] == "pong" {
            saw_pong = true;
            break;
        }
        assert_eq!(m["type"], "next", "a tick already in flight at most: {m}");
    }
    assert!(saw_pong);
}

#[tokio::test]
async fn legacy_graphql_ws_clients_receive_server_time_ticks() {
    let app = TestApp::spawn().await;
    let mut ws = app.websocket("graphql-ws").await;
    ws.init(None).await;
    ws.send(json!({ "id": "1", "type": "start", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    for _ in 0..2 {
        let message = ws.next_json(WAIT).await;
        assert_eq!(message["type"], "data", "{message}");
        assert!(message["payload"]["data"]["serverTime"].is_string());
    }
    ws.send(json!({ "id": "1", "type": "stop" })).await;
    loop {
        let m = ws.next_json(WAIT).await;
        if m["type"] == "complete" {
            assert_eq!(m["id"], "1");
            break;
        }
    }
}

#[tokio::test]
async fn a_websocket_without_connection_init_is_closed_with_4408() {
    let app = TestApp::builder()
        .configure(|c| c.ws_init_timeout = Duration::from_millis(300))
        .spawn()
        .await;
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let mut ws = app.websocket(protocol).await;
        let (code, _) = ws.expect_close(WAIT).await;
        assert_eq!(code, 4408, "{protocol}");
    }
}

#[tokio::test]
async fn subscribing_before_init_closes_with_4401() {
    let app = TestApp::spawn().await;
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.send(json!({ "id": "x", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    assert_eq!(ws.expect_close(WAIT).await.0, 4401);
}

#[tokio::test]
async fn a_refused_token_in_connection_init_closes_with_4403() {
    let app = TestApp::spawn().await;
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let mut ws = app.websocket(protocol).await;
        ws.send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-jwt" } }))
            .await;
        if protocol == "graphql-ws" {
            let message = ws.next_json(WAIT).await;
            assert_eq!(message["type"], "connection_error", "{message}");
        }
        assert_eq!(ws.expect_close(WAIT).await.0, 4403, "{protocol}");
    }
}

#[tokio::test]
async fn the_token_in_connection_init_identifies_the_viewer() {
    let app = TestApp::spawn().await;
    let token = app.token(&[Role::UrbanismStaff], None, Duration::from_secs(600));
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(Some(&token)).await;
    ws.send(
        json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ viewer { roles } }" } }),
    )
    .await;
    let message = ws.next_json(WAIT).await;
    assert_eq!(
        message["payload"]["data"]["viewer"]["roles"],
        json!(["URBANISM_STAFF"])
    );
    let done = ws.next_json(WAIT).await;
    assert_eq!(done["type"], "complete");
}

#[tokio::test]
async fn a_subscription_ends_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let token = app.token(&[Role::Auditor], None, Duration::from_secs(2));
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(Some(&token)).await;
    ws.send(json!({ "id": "t", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    assert_eq!(ws.next_json(WAIT).await["type"], "next");
    let (code, reason) = ws.expect_close(Duration::from_secs(6)).await;
    assert_eq!(code, 4401, "{reason}");
}

#[tokio::test]
async fn an_invalid_subscription_gets_an_error_message_not_a_closed_socket() {
    let app = TestApp::spawn().await;
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "id": "bad", "type": "subscribe", "payload": { "query": "subscription { nope }" } }))
        .await;
    let message = ws.next_json(WAIT).await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(
        message["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    ws.send(json!({ "id": "ok", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    assert_eq!(
        ws.next_json(WAIT).await["id"],
        "ok",
        "the socket still serves"
    );
}

#[tokio::test]
async fn shutting_down_closes_live_sockets_with_1001() {
    let mut app = TestApp::spawn().await;
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "id": "t", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    assert_eq!(ws.next_json(WAIT).await["type"], "next");
    let stop = app.shutdown.clone();
    stop.cancel();
    let closed = loop {
        match ws.next_event(WAIT).await {
            WsEvent::Closed(code, _) => break code,
            WsEvent::Json(_) => continue,
        }
    };
    assert_eq!(closed, 1001);
    app.stop().await;
}

#[tokio::test]
async fn sse_clients_receive_server_time_events() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "subscription { serverTime }")])
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while text.matches("event: next").count() < 2 {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data_line = text
        .lines()
        .find(|l| l.starts_with("data: "))
        .expect("a data line");
    let payload: serde_json::Value =
        serde_json::from_str(&data_line["data: ".len()..]).expect("json");
    assert!(payload["data"]["serverTime"].is_string(), "{payload}");
}

#[tokio::test]
async fn the_subscriber_gauge_follows_live_subscriptions() {
    let app = TestApp::spawn().await;
    let gauge = || async {
        let text = app.get("/metrics").await.text().await.expect("text");
        text.lines()
            .find(|l| l.starts_with(r#"shahr_subscribers{transport="graphql-transport-ws"}"#))
            .map(|l| l.rsplit(' ').next().unwrap_or("0").to_owned())
            .unwrap_or_else(|| "0".into())
    };
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(None).await;
    ws.send(json!({ "id": "t", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } }))
        .await;
    ws.next_json(WAIT).await;
    assert_eq!(gauge().await, "1");
    ws.send(json!({ "id": "t", "type": "complete" })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gauge().await, "0");
}
