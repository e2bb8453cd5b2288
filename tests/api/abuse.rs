//! Heavy use by one client: it may not hold unbounded work on one socket, and its replays
//! may not take the connections other people's queries need.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, WsEvent};

#[tokio::test]
async fn one_socket_holds_at_most_its_share_of_operations_and_is_told_when_refused() {
    let app = TestApp::builder()
        .configure(|c| c.max_operations_per_socket = 5)
        .spawn()
        .await;
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(None).await;
    for n in 0..8 {
        ws.send(json!({ "id": format!("t{n}"), "type": "subscribe",
                        "payload": { "query": "subscription { serverTime }" } }))
            .await;
    }
    let mut refused = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while refused.len() < 3 && tokio::time::Instant::now() < deadline {
        if let WsEvent::Json(v) = ws.next_event(Duration::from_secs(5)).await {
            if v["type"] == "error" {
                assert_eq!(
                    v["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
                    "{v}"
                );
                assert_eq!(
                    v["payload"][0]["extensions"]["limit"], "operationsPerSocket",
                    "{v}"
                );
                refused.push(v["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    refused.sort();
    assert_eq!(
        refused,
        vec!["t5", "t6", "t7"],
        "the sixth and later are refused"
    );

    // Completing one frees its place.
    ws.send(json!({ "id": "t0", "type": "complete" })).await;
    ws.send(json!({ "id": "t8", "type": "subscribe",
                    "payload": { "query": "subscription { serverTime }" } }))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "t8 never ticked");
        if let WsEvent::Json(v) = ws.next_event(Duration::from_secs(5)).await {
            assert_ne!(v["type"], "error", "{v}");
            if v["id"] == "t8" && v["type"] == "next" {
                break;
            }
        }
    }
}

#[tokio::test]
async fn replays_wait_for_their_share_of_the_pool_and_never_starve_other_queries() {
    let app = TestApp::builder()
        .configure(|c| {
            c.db_pool_size = 4;
            c.max_concurrent_replays = 1;
            c.db_checkout_timeout = Duration::from_millis(500);
        })
        .spawn()
        .await;
    crate::live::write_rulings(&app, 1, 3).await;
    let auditor = app.auditor();

    // Hold the outbox: every replay now waits inside its statement, on its connection.
    let mut blocker = app.databases.urbanism.client().await;
    let tx = blocker.transaction().await.expect("begin");
    tx.batch_execute("LOCK TABLE shahr.outbox IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let mut sockets = Vec::new();
    for _ in 0..6 {
        sockets.push(
            crate::live::subscribe(
                &app,
                &auditor,
                crate::live::RULING_EVENTS,
                json!({ "after": "0-0" }),
            )
            .await,
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another person's queries still find connections.
    for _ in 0..5 {
        let body = app
            .query_as(
                &app.staff(9),
                "{ parcels(first: 5) { totalCount } }",
                json!({}),
            )
            .await;
        assert!(body["errors"].is_null(), "starved by the replays: {body}");
    }
    tx.rollback().await.expect("release");
    // And the replays all complete once the outbox is free.
    for ws in &mut sockets {
        let event = crate::live::next_event(ws, Duration::from_secs(15)).await;
        assert!(event.is_some(), "a replay never delivered");
    }
}
