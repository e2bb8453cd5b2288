//! Apollo's automatic persisted queries: Apollo Client's own persisted-query link (run on
//! Node from `tests/clients`) against the gateway, documents shared by every instance through
//! Redis, and the protocol's answers checked by hand.

use std::{process::Stdio, time::Duration};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// Runs Apollo Client with the persisted-query link: the same query twice.
async fn apollo(app: &TestApp) -> Value {
    let dir = crate::helpers::node::package("clients", "@apollo/client");
    let output = tokio::process::Command::new("node")
        .arg("apq.mjs")
        .arg(app.url("/graphql"))
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("node runs");
    assert!(output.status.success(), "apq.mjs failed");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stdout)))
}

fn with_document(calls: &Value) -> Vec<(bool, u64)> {
    calls
        .as_array()
        .unwrap_or_else(|| panic!("{calls}"))
        .iter()
        .map(|c| {
            (
                c["withDocument"].as_bool().unwrap_or_default(),
                c["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

async fn kept_in_redis(app: &TestApp) -> usize {
    let client = redis::Client::open(crate::helpers::redis_url().as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}apq:*", app.redis_prefix))
        .query_async(&mut conn)
        .await
        .expect("keys");
    keys.len()
}

#[tokio::test]
async fn apollo_clients_persisted_query_link_sends_the_document_once_and_every_instance_knows_it() {
    let app = TestApp::spawn().await;
    let run = apollo(&app).await;
    assert!(run.get("error").is_none(), "{run}");
    assert_eq!(run["first"], run["second"]);
    assert_eq!(run["first"]["districts"].as_array().map(Vec::len), Some(10));
    // The hash alone, told it is not known; the document with its hash; then the hash alone.
    assert_eq!(
        with_document(&run["calls"]),
        [(false, 200), (true, 200), (false, 200)]
    );
    assert_eq!(kept_in_redis(&app).await, 1);

    // Another instance on the same Redis answers the hash at once.
    let prefix = app.redis_prefix.clone();
    let other = TestApp::builder()
        .databases(app.databases.clone())
        .configure(move |c| c.redis_key_prefix = prefix)
        .spawn()
        .await;
    let run = apollo(&other).await;
    assert_eq!(run["first"]["districts"].as_array().map(Vec::len), Some(10));
    assert_eq!(with_document(&run["calls"]), [(false, 200), (false, 200)]);
}

fn hash_of(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn a_persisted_query_is_checked_against_its_hash_and_stays_a_query_over_get() {
    let app = TestApp::builder().without_redis().spawn().await;
    let query = "{ districts { number } }";
    let unknown = app
        .post_graphql(json!({ "extensions": persisted(&hash_of(query)) }), None)
        .await;
    assert_eq!(unknown.status(), 200);
    let body: Value = unknown.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(body.get("data").is_none());

    // A document whose hash is not the one sent is refused, naming the field.
    let forged = app
        .post_graphql(
            json!({ "query": "{ districts { name } }", "extensions": persisted(&hash_of(query)) }),
            None,
        )
        .await;
    assert_eq!(forged.status(), 400);
    let body: Value = forged.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "extensions.persistedQuery.sha256Hash"
    );
    let old = app
        .post_graphql(
            json!({ "query": query, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash_of(query) } } }),
            None,
        )
        .await;
    assert_eq!(old.status(), 400);

    // Kept in memory without Redis; GET works with the hash alone.
    let kept = app
        .post_graphql(
            json!({ "query": query, "extensions": persisted(&hash_of(query)) }),
            None,
        )
        .await;
    assert_eq!(kept.status(), 200);
    let extensions = crate::payments::encode(&persisted(&hash_of(query)).to_string());
    let by_get = app.get(&format!("/graphql?extensions={extensions}")).await;
    assert_eq!(by_get.status(), 200);
    let body: Value = by_get.json().await.expect("json");
    assert_eq!(body["data"]["districts"].as_array().map(Vec::len), Some(10));

    // A persisted mutation is still a mutation: never over GET.
    let mutation = "mutation { __typename }";
    let stored = app
        .post_graphql(
            json!({ "query": mutation, "extensions": persisted(&hash_of(mutation)) }),
            None,
        )
        .await;
    assert_eq!(stored.status(), 200);
    let extensions = crate::payments::encode(&persisted(&hash_of(mutation)).to_string());
    let by_get = app.get(&format!("/graphql?extensions={extensions}")).await;
    assert_eq!(by_get.status(), 405);
}

/// Runs `shahr-gateway documents ...` against the test's databases.
async fn documents(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = crate::cli::gateway();
    cmd.env("SHAHR_URBANISM_DATABASE_URL", &app.databases.urbanism.url)
        .env("SHAHR_CITIZEN_DATABASE_URL", &app.databases.citizen.url)
        .arg("documents")
        .args(args);
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("runs")
}

#[tokio::test]
async fn a_client_held_to_trusted_documents_sends_only_the_hashes_it_registered() {
    let app = TestApp::builder()
        .configure(|c| c.trusted_document_clients = vec!["dashboard".into()])
        .spawn()
        .await;
    let query = "query DistrictNames { districts { number name } }";
    let dir = tempfile::tempdir().expect("dir");
    let manifest = dir.path().join("manifest.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &manifest,
        json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{ "id": hash_of(query), "name": "DistrictNames", "type": "query", "body": query }] })
        .to_string(),
    )
    .expect("written");
    std::fs::write(
        &bad,
        json!({ hash_of("{ districts { number } }"): "{ districts { name } }" }).to_string(),
    )
    .expect("written");
    // A manifest with a hash that is not its document's is refused whole.
    let refused = documents(&app, &["add", "dashboard", &bad.display().to_string()]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not the SHA-256"));
    let added = documents(&app, &["add", "dashboard", &manifest.display().to_string()]).await;
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "dashboard\t1 documents\n"
    );

    let send = |body: Value, client: Option<&'static str>| {
        let mut request = app.client.post(app.url("/graphql")).json(&body);
        if let Some(client) = client {
            request = request.header("graphql-client-name", client);
        }
        async move { request.send().await.expect("sent") }
    };
    let by_hash = send(
        json!({ "extensions": persisted(&hash_of(query)) }),
        Some("dashboard"),
    )
    .await;
    assert_eq!(by_hash.status(), 200);
    let body: Value = by_hash.json().await.expect("json");
    assert_eq!(body["data"]["districts"].as_array().map(Vec::len), Some(10));
    // The dashboard may send nothing else: not a document, not an unregistered hash.
    let free = send(json!({ "query": query }), Some("dashboard")).await;
    assert_eq!(free.status(), 400);
    let other = "{ districts { number } }";
    let unregistered = send(
        json!({ "query": other, "extensions": persisted(&hash_of(other)) }),
        Some("dashboard"),
    )
    .await;
    assert_eq!(unregistered.status(), 400);
    // Nor over SSE.
    let streamed = app
        .client
        .post(app.url("/graphql/stream"))
        .header("graphql-client-name", "dashboard")
        .header("accept", "text/event-stream")
        .json(&json!({ "query": "subscription { serverTime }" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(streamed.status(), 400);
    // Other clients are not held to it.
    let free = send(json!({ "query": other }), Some("citizen-app")).await;
    assert_eq!(free.status(), 200);
}

/// The hashes the dashboard page lists, by operation name.
async fn dashboard_documents(app: &TestApp) -> std::collections::HashMap<String, String> {
    let page = app.get("/dashboard").await.text().await.expect("the page");
    page.lines()
        .filter(|l| l.starts_with("<meta name=\"shahr-document\""))
        .map(|l| {
            let attr = |name: &str| {
                let start = l.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
                l[start..start + l[start..].find('"').expect("closing quote")].to_owned()
            };
            (attr("data-operation"), attr("content"))
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_sends_only_the_hashes_of_its_built_in_documents_over_http_and_websocket() {
    let app = TestApp::spawn().await;
    let token = app.auditor();
    let documents = dashboard_documents(&app).await;
    assert_eq!(documents.len(), 2, "{documents:?}");
    let stats = &documents["DashboardStats"];
    let events = &documents["DashboardEvents"];

    let send = |body: Value| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("graphql-client-name", "shahr-dashboard")
            .json(&body)
            .send()
    };
    let figures = send(json!({ "operationName": "DashboardStats", "variables": {},
                               "extensions": persisted(stats) }))
    .await
    .expect("sent");
    assert_eq!(figures.status(), 200);
    let body: Value = figures.json().await.expect("json");
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["districts"].as_array().map(Vec::len), Some(10));
    // Under the dashboard's name nothing else runs, not even with its hash.
    let other = "{ districts { number } }";
    let free = send(json!({ "query": other, "extensions": persisted(&hash_of(other)) }))
        .await
        .expect("sent");
    assert_eq!(free.status(), 400);
    let body: Value = free.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "extensions.persistedQuery.sha256Hash"
    );

    // Over WebSocket the client names itself in `connection_init`.
    let mut ws = app.websocket("graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init",
                    "payload": { "Authorization": format!("Bearer {token}"), "clientName": "shahr-dashboard" } }))
        .await;
    let ack = ws.next_json(Duration::from_secs(5)).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws.send(json!({ "id": "free", "type": "subscribe",
                    "payload": { "query": "subscription { serverTime }" } }))
        .await;
    let refused = ws.next_json(Duration::from_secs(5)).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "free");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "BAD_REQUEST");
    ws.send(json!({ "id": "feed", "type": "subscribe",
                    "payload": { "operationName": "DashboardEvents", "variables": {},
                                 "extensions": persisted(events) } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = crate::flow::Session::new(&app);
    crate::flow::ok(&s.refer(&s.staff).await);
    let next = ws.next_json(Duration::from_secs(10)).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "feed");
    assert_eq!(
        next["payload"]["data"]["rulingEvents"]["type"],
        "CASE_CHANGED"
    );
}
