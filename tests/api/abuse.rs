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

/// Reads until the server closes the connection (or `within` passes); true when it closed.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn connect(app: &TestApp, from: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .expect("bind");
    let addr = format!("127.0.0.1:{}", app.port).parse().expect("address");
    socket.connect(addr).await.expect("connect")
}

#[tokio::test]
async fn a_client_that_sends_its_headers_a_line_at_a_time_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::builder()
        .configure(|c| c.header_read_timeout = Duration::from_millis(800))
        .spawn()
        .await;
    let mut slow = connect(&app, "127.0.0.1").await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("request line");
    let mut cut = false;
    for n in 0..20 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if slow
            .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            cut = true;
            break;
        }
        if closed_within(&mut slow, Duration::from_millis(1)).await {
            cut = true;
            break;
        }
    }
    assert!(cut, "a request whose headers never end is closed");

    // An idle kept-alive connection is closed too; a prompt request is served.
    let app = TestApp::builder()
        .configure(|c| c.keep_alive_timeout = Duration::from_millis(500))
        .spawn()
        .await;
    let mut idle = connect(&app, "127.0.0.1").await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)).await,
        "an idle keep-alive connection is closed"
    );
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::builder()
        .configure(|c| c.max_http_connections_per_ip = 5)
        .spawn()
        .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(connect(&app, "127.0.0.2").await);
    }
    let mut sixth = connect(&app, "127.0.0.2").await;
    let _ = sixth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert!(
        closed_within(&mut sixth, Duration::from_secs(5)).await,
        "the sixth connection from one address is refused"
    );
    // Another address is served meanwhile.
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    // A freed place is taken again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect(&app, "127.0.0.2").await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("request");
    let mut text = String::new();
    use tokio::io::AsyncReadExt;
    let _ = tokio::time::timeout(Duration::from_secs(5), again.read_to_string(&mut text)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test]
async fn a_body_that_trickles_in_is_answered_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder()
        .configure(|c| c.body_read_timeout = Duration::from_millis(800))
        .spawn()
        .await;
    let mut slow = connect(&app, "127.0.0.1").await;
    slow.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":",
    )
    .await
    .expect("headers");
    let mut text = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if text.contains("\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

/// Opens a live SSE stream claiming to come from `forwarded_for`; the status it gets.
async fn stream_from(app: &TestApp, forwarded_for: &str) -> (u16, reqwest::Response) {
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", "subscription { serverTime }")])
        .header("accept", "text/event-stream")
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("sent");
    (response.status().as_u16(), response)
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_when_a_trusted_proxy_says_so() {
    // Not trusted: the header is ignored and both streams count against 127.0.0.1.
    let app = TestApp::builder()
        .configure(|c| c.max_live_connections_per_ip = 1)
        .spawn()
        .await;
    let (first, _a) = stream_from(&app, "198.51.100.7").await;
    let (second, _b) = stream_from(&app, "203.0.113.9").await;
    assert_eq!(
        (first, second),
        (200, 429),
        "a client cannot pick its own address"
    );

    // Behind a trusted proxy, each client is counted on its own.
    let app = TestApp::builder()
        .configure(|c| {
            c.max_live_connections_per_ip = 1;
            c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
        })
        .spawn()
        .await;
    let (first, _a) = stream_from(&app, "198.51.100.7").await;
    let (second, _b) = stream_from(&app, "203.0.113.9").await;
    let (again, _c) = stream_from(&app, "203.0.113.9").await;
    // A client's own forged entry before the proxy's is not believed: the right-most
    // untrusted address is the client.
    let (forged, _d) = stream_from(&app, "192.0.2.1, 198.51.100.7").await;
    assert_eq!(
        (first, second, again, forged),
        (200, 200, 429, 429),
        "one stream per real client"
    );
}

#[tokio::test]
async fn anonymous_traffic_and_mutations_are_rate_limited_with_retry_after() {
    let app = TestApp::builder()
        .configure(|c| {
            c.rate_limits.anonymous_per_minute = 3;
            c.rate_limits.mutations_per_minute = 2;
        })
        .spawn()
        .await;
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let response = app
            .post_graphql(json!({ "query": "{ districts { number } }" }), None)
            .await;
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    let refused = last.expect("a response");
    let retry: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );

    // A signed-in viewer has a bucket of their own.
    let staff = app.staff(9);
    let body = app
        .query_as(&staff, "{ districts { number } }", json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");

    // Mutations draw on a stricter bucket of their own.
    let citizen = app.citizen("1583250689");
    let submit = "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { created } }";
    let mut codes = Vec::new();
    for n in 0..3 {
        let response = app
            .post_graphql(
                json!({ "query": submit, "variables": { "input": {
                    "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                    "idempotencyKey": format!("k{n}") } } }),
                Some(&citizen),
            )
            .await;
        codes.push(response.status().as_u16());
    }
    assert_eq!(codes, vec![200, 200, 429]);
}

#[tokio::test]
async fn a_query_is_charged_for_the_page_sizes_it_asks_for() {
    let app = TestApp::builder()
        .configure(|c| {
            c.max_complexity = 1000;
            c.rate_limits.cost_per_minute = 1000;
        })
        .spawn()
        .await;
    let staff = app.staff(9);
    let big = "{ parcels(first: 100) { edges { node { renovationCode owners { owner { fullName } } } } } }";
    let first = app
        .post_graphql(json!({ "query": big }), Some(&staff))
        .await;
    assert_eq!(first.status(), 200);
    // The same request again is admitted from memory: it is charged all the same.
    let second = app
        .post_graphql(json!({ "query": big }), Some(&staff))
        .await;
    assert_eq!(
        second.status(),
        429,
        "the budget is spent by two large pages"
    );
    let body: serde_json::Value = second.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64() >= Some(1));
    // A small query of someone else still runs.
    let other = app
        .query_as(
            &app.staff(1),
            "{ parcels(first: 2) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(other["errors"].is_null(), "{other}");
}

#[tokio::test]
async fn verification_codes_cannot_be_guessed_quickly_from_one_address() {
    let app = TestApp::builder()
        .configure(|c| c.rate_limits.verify_per_minute = 5)
        .spawn()
        .await;
    let mut statuses = Vec::new();
    for n in 0..7 {
        statuses.push(
            app.get(&format!("/verify/GUESS{n:015}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![404, 404, 404, 404, 404, 429, 429]);
}

#[tokio::test]
async fn instances_behind_one_balancer_share_their_buckets_through_redis() {
    let databases = crate::helpers::SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let instance = |prefix: String| {
        TestApp::builder()
            .databases(databases.clone())
            .configure(move |c| {
                c.redis_key_prefix = prefix;
                c.rate_limits.anonymous_per_minute = 4;
            })
            .spawn()
    };
    let a = instance(prefix.clone()).await;
    let b = instance(prefix.clone()).await;
    let mut statuses = Vec::new();
    for app in [&a, &b, &a, &b, &a] {
        let response = app
            .post_graphql(json!({ "query": "{ districts { number } }" }), None)
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        vec![200, 200, 200, 200, 429],
        "one bucket for both"
    );
}

/// A stand-in for Chromium that counts its runs, takes a moment, and prints a tiny PDF.
fn counting_chromium(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let runs = dir.join("runs");
    let script = dir.join("chromium");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{}'\nsleep 0.5\nfor a in \"$@\"; do case \"$a\" in --print-to-pdf=*) \
             printf '%%PDF-1.4 printed once\\n' > \"${{a#--print-to-pdf=}}\";; esac; done\n",
            runs.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, runs)
}

#[tokio::test]
async fn a_documents_pdf_is_printed_once_and_then_served_from_storage() {
    let dir = tempfile::tempdir().expect("dir");
    let (script, runs) = counting_chromium(dir.path());
    let app = TestApp::builder()
        .configure(move |c| c.chromium_path = Some(script))
        .spawn()
        .await;
    let s = crate::flow::Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "pdf-once").await;
    crate::flow::ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = format!(
        "{}&format=pdf",
        crate::dadnameh::document_url(&app, &app.citizen(crate::flow::OWNER), &ruling)
            .await
            .as_str()
            .expect("url")
    );
    // Twenty at once: one print, twenty identical answers.
    let fetches = (0..20).map(|_| {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            let response = client.get(&url).send().await.expect("pdf");
            (
                response.status().as_u16(),
                response.bytes().await.expect("bytes"),
            )
        }
    });
    let answers = futures_util::future::join_all(fetches).await;
    for (status, bytes) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(&bytes[..], b"%PDF-1.4 printed once\n");
    }
    let printed = std::fs::read_to_string(&runs)
        .expect("runs")
        .lines()
        .count();
    assert_eq!(printed, 1, "one print for twenty requests");
    let kept: i64 = app
        .databases
        .urbanism
        .client()
        .await
        .query_one("SELECT count(*) FROM shahr.ruling_document_pdfs", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(kept, 1, "kept beside the document");
    // Tampering with the kept PDF is refused, not served.
    let refused = app
        .databases
        .urbanism
        .client()
        .await
        .execute("UPDATE shahr.ruling_document_pdfs SET pdf = 'x'", &[])
        .await;
    assert!(refused.is_err(), "the kept PDF is append-only");
}
