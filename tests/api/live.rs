//! Live events across instances (Redis Streams), resumable with `after:`, and never shown to
//! the wrong person.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    flow::{ok, Session},
    helpers::{SharedDatabases, TestApp, WsClient, WsEvent},
};

pub(crate) async fn subscribe(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> WsClient {
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.init(Some(token)).await;
    ws.send(json!({ "id": "s", "type": "subscribe", "payload": { "query": query, "variables": variables } }))
        .await;
    ws
}

/// The next `next` payload's event, or `None` when nothing comes within `within`.
pub(crate) async fn next_event(ws: &mut WsClient, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        match ws.try_next_event(left).await {
            None => return None,
            Some(WsEvent::Json(v)) if v["type"] == "next" => {
                assert!(v["payload"]["errors"].is_null(), "{v}");
                let data = &v["payload"]["data"];
                let field = data
                    .as_object()
                    .and_then(|o| o.values().next())
                    .cloned()
                    .unwrap_or(Value::Null);
                return Some(field);
            }
            Some(WsEvent::Json(v))
                if v["type"] == "ping" || v["type"] == "pong" || v["type"] == "ka" => {}
            Some(WsEvent::Json(v)) => panic!("unexpected message {v}"),
            Some(other) => panic!("the socket ended: {other:?}"),
        }
    }
}

pub(crate) const RULING_EVENTS: &str = "subscription($after: String, $filter: RulingEventFilter) {
    rulingEvents(after: $after, filter: $filter) { id type rulingId rulingNumber district } }";

/// Writes `ruling.issued` outbox rows as the issuing transaction does (district 1).
pub(crate) async fn write_rulings(app: &TestApp, from: i64, count: i64) {
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            &format!(
                "INSERT INTO shahr.outbox (topic, payload) SELECT 'ruling.issued', {} \
                 FROM generate_series($1::int8, $1::int8 + $2::int8 - 1) AS n ORDER BY n",
                crate::samples::ruling_issued_sql("n", "1", "'1/05/' || n")
            ),
            &[&from, &count],
        )
        .await
        .expect("outbox rows");
}

/// Another gateway instance on `databases` behind the same load balancer (one Redis prefix).
pub(crate) async fn instance(databases: &SharedDatabases, prefix: &str) -> TestApp {
    let prefix = prefix.to_owned();
    TestApp::builder()
        .databases(databases.clone())
        .configure(move |c| c.redis_key_prefix = prefix)
        .spawn()
        .await
}

#[tokio::test]
async fn with_three_instances_a_subscriber_on_one_receives_a_ruling_issued_through_another_exactly_once(
) {
    let databases = SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let a = instance(&databases, &prefix).await;
    let b = instance(&databases, &prefix).await;
    // A third instance behind the same load balancer: its relays stand by or lead, and it
    // must not make anyone see an event twice.
    let _c = instance(&databases, &prefix).await;
    let mut ws = subscribe(
        &a,
        &a.auditor(),
        RULING_EVENTS,
        json!({ "filter": { "types": ["RULING_ISSUED"] } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = Session::new(&b);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "live").await;
    ok(&issued);
    let event = next_event(&mut ws, Duration::from_secs(10))
        .await
        .expect("the event reached instance A");
    assert_eq!(event["type"], "RULING_ISSUED");
    assert_eq!(event["rulingNumber"], "1/05/0001");
    assert_eq!(event["district"], 1);
    assert!(
        next_event(&mut ws, Duration::from_millis(1500))
            .await
            .is_none(),
        "exactly once"
    );
}

#[tokio::test]
async fn a_subscriber_that_reconnects_with_after_gets_exactly_what_it_missed_in_order() {
    let app = TestApp::spawn().await;
    let token = app.auditor();
    let mut ws = subscribe(&app, &token, RULING_EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_rulings(&app, 1, 1).await;
    let first = next_event(&mut ws, Duration::from_secs(10))
        .await
        .expect("the first event");
    let cursor = first["id"].as_str().expect("id").to_owned();
    drop(ws);

    write_rulings(&app, 2, 50).await;
    let mut resumed = subscribe(&app, &token, RULING_EVENTS, json!({ "after": cursor })).await;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let event = next_event(&mut resumed, Duration::from_secs(10))
            .await
            .expect("a missed event");
        seen.push(event["rulingId"].clone());
    }
    let expected: Vec<Value> = (2..52)
        .map(|n| json!(shahr_gateway::graphql::node::global_id("Ruling", n).to_string()))
        .collect();
    assert_eq!(seen, expected, "exactly the 50, in order");
    // The seam: the next one arrives live, once.
    write_rulings(&app, 52, 1).await;
    let live = next_event(&mut resumed, Duration::from_secs(10))
        .await
        .expect("the live event");
    assert_eq!(
        live["rulingId"],
        json!(shahr_gateway::graphql::node::global_id("Ruling", 52).to_string())
    );
    assert!(next_event(&mut resumed, Duration::from_millis(1000))
        .await
        .is_none());
}

#[tokio::test]
async fn my_events_never_carry_another_citizens_events_whatever_the_arguments() {
    let app = TestApp::spawn().await;
    let query = "subscription($after: String) { myEvents(after: $after) { type rulingId trackingCode details } }";
    let mut mine = subscribe(&app, &app.citizen("1583250689"), query, json!({})).await;
    let mut other = subscribe(
        &app,
        &app.citizen("0076229645"),
        query,
        json!({ "after": "urbanism=0-0;citizen=0-0" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A ruling on 0076229645's parcel, and a request of 1583250689.
    write_rulings(&app, 7, 1).await;
    let submitted = app
        .query_as(
            &app.citizen("1583250689"),
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            json!({ "input": { "serviceCode": "building_permit_new", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    ok(&submitted);
    let tracking = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"].clone();

    let event = next_event(&mut mine, Duration::from_secs(10))
        .await
        .expect("own request");
    assert_eq!(event["type"], "REQUEST_SUBMITTED");
    assert_eq!(event["trackingCode"], tracking);
    assert!(
        event["details"]["citizenNationalId"].is_null(),
        "identifiers are not echoed"
    );
    assert!(
        next_event(&mut mine, Duration::from_millis(1000))
            .await
            .is_none(),
        "not the other's ruling"
    );

    // The other citizen replayed from the start: only their ruling, never the request.
    let event = next_event(&mut other, Duration::from_secs(10))
        .await
        .expect("own ruling");
    assert_eq!(event["type"], "RULING_ISSUED");
    assert!(
        next_event(&mut other, Duration::from_millis(1000))
            .await
            .is_none(),
        "not the other's request"
    );

    // Citizens cannot subscribe to the staff streams.
    let mut staff_stream =
        subscribe(&app, &app.citizen("1583250689"), RULING_EVENTS, json!({})).await;
    match staff_stream.next_event(Duration::from_secs(5)).await {
        WsEvent::Json(v) => {
            let code = if v["type"] == "error" {
                &v["payload"][0]["extensions"]["code"]
            } else {
                &v["payload"]["errors"][0]["extensions"]["code"]
            };
            assert_eq!(code, "FORBIDDEN", "{v}");
        }
        other => panic!("{other:?}"),
    }
}

/// `Some(Some(event))`, `Some(None)` when the socket ended, `None` on timeout.
pub(crate) async fn next_event_or_end(
    ws: &mut WsClient,
    within: Duration,
) -> Option<Option<Value>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.try_next_event(left).await? {
            WsEvent::Json(v) if v["type"] == "next" => {
                return Some(Some(v["payload"]["data"]["rulingEvents"].clone()));
            }
            WsEvent::Json(_) => {}
            WsEvent::Closed(..) => return Some(None),
        }
    }
}

#[tokio::test]
async fn my_events_arrive_over_sse_and_the_legacy_websocket_protocol_too() {
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    let citizen = app.citizen("0076229645");
    let response = app
        .client
        .post(app.url("/graphql/stream"))
        .header("accept", "text/event-stream")
        .header("authorization", format!("Bearer {citizen}"))
        .json(&json!({ "query": "subscription { myEvents { type rulingNumber } }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();

    let mut legacy = app.websocket("graphql-ws").await;
    legacy
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {citizen}") } }))
        .await;
    let ack = legacy.next_json(Duration::from_secs(5)).await;
    assert_eq!(ack["type"], "connection_ack");
    legacy
        .send(json!({ "id": "1", "type": "start", "payload": { "query": "subscription { myEvents { type rulingNumber } }" } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    write_rulings(&app, 3, 1).await;
    let mut text = String::new();
    while !text.contains("event: next") || !text.contains("1/05/3") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an SSE event in time")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("RULING_ISSUED"), "{text}");
    let data = legacy.next_json(Duration::from_secs(10)).await;
    assert_eq!(data["type"], "data", "{data}");
    assert_eq!(
        data["payload"]["data"]["myEvents"]["rulingNumber"],
        "1/05/3"
    );
}

#[tokio::test]
async fn live_connections_are_capped_per_client_address() {
    let app = TestApp::builder()
        .configure(|c| c.max_live_connections_per_ip = 2)
        .spawn()
        .await;
    let first = app.websocket("graphql-transport-ws").await;
    let _second = app.websocket("graphql-transport-ws").await;
    let refused = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "subscription { serverTime }")])
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        refused.status(),
        429,
        "a third live connection from the same address"
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "subscription { serverTime }")])
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        again.status(),
        200,
        "a place came back when a socket closed"
    );
}

#[tokio::test]
async fn when_an_instance_shuts_down_its_subscribers_resume_on_another_by_cursor() {
    let databases = SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let mut a = instance(&databases, &prefix).await;
    let b = instance(&databases, &prefix).await;
    let token = a.auditor();
    let mut ws = subscribe(&a, &token, RULING_EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_rulings(&a, 1, 1).await;
    let first = next_event(&mut ws, Duration::from_secs(10))
        .await
        .expect("an event");
    let cursor = first["id"].as_str().expect("id").to_owned();

    let stopping = tokio::spawn(async move {
        a.stop().await;
        a
    });
    let (code, _) = ws.expect_close(Duration::from_secs(10)).await;
    assert_eq!(code, 1001, "going away: resume elsewhere");
    let _a = stopping.await.expect("stopped");

    write_rulings(&b, 2, 10).await;
    let mut resumed = subscribe(&b, &token, RULING_EVENTS, json!({ "after": cursor })).await;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let event = next_event(&mut resumed, Duration::from_secs(10))
            .await
            .expect("resumed");
        seen.push(event["rulingId"].clone());
    }
    let expected: Vec<Value> = (2..12)
        .map(|n| json!(shahr_gateway::graphql::node::global_id("Ruling", n).to_string()))
        .collect();
    assert_eq!(seen, expected);
    assert!(next_event(&mut resumed, Duration::from_millis(800))
        .await
        .is_none());
}

#[tokio::test]
async fn subscribers_asking_for_different_fields_of_one_event_each_get_exactly_what_they_asked_for()
{
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let plain = "subscription { rulingEvents { id rulingNumber } }";
    let aliased = "subscription { rulingEvents { n: rulingNumber id district } }";
    let fragment =
        "subscription { rulingEvents { ...F } } fragment F on LiveEvent { type rulingNumber }";
    let mut a = subscribe(&app, &auditor, plain, json!({})).await;
    let mut b = subscribe(&app, &auditor, aliased, json!({})).await;
    let mut c = subscribe(&app, &auditor, fragment, json!({})).await;
    let mut d = subscribe(&app, &auditor, plain, json!({})).await;
    // Same selection as `a`, but staff of another district: the event is not theirs.
    let mut other = subscribe(&app, &app.staff(2), plain, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_rulings(&app, 7, 1).await;

    let within = Duration::from_secs(10);
    let a = next_event(&mut a, within).await.expect("a");
    let d = next_event(&mut d, within).await.expect("d");
    let b = next_event(&mut b, within).await.expect("b");
    let c = next_event(&mut c, within).await.expect("c");
    let id = a["id"].as_str().expect("an event id").to_owned();
    assert_eq!(a, json!({ "id": id, "rulingNumber": "1/05/7" }));
    assert_eq!(d, a, "the same selection gets the same answer");
    assert_eq!(b, json!({ "n": "1/05/7", "id": id, "district": 1 }));
    assert_eq!(
        c,
        json!({ "type": "RULING_ISSUED", "rulingNumber": "1/05/7" })
    );
    assert_eq!(
        b.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["n".to_owned(), "id".to_owned(), "district".to_owned()]),
        "fields in the order asked"
    );
    assert!(next_event(&mut other, Duration::from_millis(800))
        .await
        .is_none());
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_told_where_to_resume_and_misses_nothing() {
    let app = TestApp::builder()
        .configure(|c| c.event_buffer = 16)
        .spawn()
        .await;
    let token = app.auditor();
    let query =
        "subscription($after: String) { rulingEvents(after: $after) { id rulingId details } }";
    let mut slow = app.websocket_with_small_receive_buffer().await;
    slow.init(Some(&token)).await;
    slow.send(json!({ "id": "slow", "type": "subscribe", "payload": { "query": query } }))
        .await;
    let mut fast = subscribe(&app, &token, query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 1,500 events of about 8 KB: far more than the socket buffers hold.
    let total = 1500_i64;
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            &format!(
                "INSERT INTO shahr.outbox (topic, payload) SELECT 'ruling.issued', {} \
                 FROM generate_series(1, $1::int8) AS n ORDER BY n",
                crate::samples::ruling_issued_sql("n", "1", "repeat('x', 8000)")
            ),
            &[&total],
        )
        .await
        .expect("outbox rows");
    let ruling = |n: i64| json!(shahr_gateway::graphql::node::global_id("Ruling", n).to_string());

    // Whoever keeps reading gets everything.
    for n in 1..=total {
        let event = next_event(&mut fast, Duration::from_secs(30))
            .await
            .expect("the reading subscriber gets every event");
        assert_eq!(event["rulingId"], ruling(n));
    }

    // The one that stopped reading gets a prefix in order, then an error naming its cursor.
    let mut received = 0;
    let mut last_id = String::new();
    let resume_after = loop {
        match slow.next_event(Duration::from_secs(10)).await {
            WsEvent::Json(v) if v["type"] == "next" && v["payload"]["errors"].is_null() => {
                received += 1;
                let event = &v["payload"]["data"]["rulingEvents"];
                assert_eq!(
                    event["rulingId"],
                    ruling(received),
                    "in order, none skipped"
                );
                last_id = event["id"].as_str().expect("id").to_owned();
            }
            WsEvent::Json(v) if v["type"] == "next" => {
                let error = &v["payload"]["errors"][0];
                assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{v}");
                assert_eq!(error["extensions"]["limit"], "eventBuffer");
                break error["extensions"]["resumeAfter"]
                    .as_str()
                    .expect("resumeAfter")
                    .to_owned();
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(received < total, "the slow subscriber fell behind");
    assert_eq!(
        resume_after, last_id,
        "resume right after the last event it got"
    );
    match slow.next_event(Duration::from_secs(5)).await {
        WsEvent::Json(v) => assert_eq!(v, json!({ "id": "slow", "type": "complete" })),
        other => panic!("expected complete, got {other:?}"),
    }

    // Resuming from there gives exactly the rest, in order.
    let mut resumed = subscribe(&app, &token, query, json!({ "after": resume_after })).await;
    for n in received + 1..=total {
        let event = next_event(&mut resumed, Duration::from_secs(30))
            .await
            .expect("the rest after resuming");
        assert_eq!(event["rulingId"], ruling(n));
    }
    assert!(next_event(&mut resumed, Duration::from_millis(500))
        .await
        .is_none());
}
