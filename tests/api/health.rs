use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_when_everything_is_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    for dep in ["urbanism", "citizen", "redis"] {
        assert_eq!(body["checks"][dep]["status"], "up", "{dep}: {body}");
    }
}

#[tokio::test]
async fn readyz_turns_503_when_a_database_is_unreachable() {
    let app = TestApp::builder()
        .configure(|c| {
            c.urbanism_database_url = Some(shahr_gateway::config::Secret::new(
                "postgres://postgres@127.0.0.1:1/nowhere",
            ));
            c.db_connect_timeout = std::time::Duration::from_millis(500);
        })
        .spawn()
        .await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["checks"]["urbanism"]["status"], "down", "{body}");
    assert_eq!(body["checks"]["citizen"]["status"], "up", "{body}");
    // Liveness is not readiness.
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    // The query that needs the database fails cleanly; the rest of the graph answers.
    let body = app.query("{ serverTime districts { number } }").await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .expect("msg")
        .contains("unavailable"));
    assert_eq!(body["errors"][0]["path"][0], "districts", "{body}");
    assert!(
        body["data"]["serverTime"].is_string(),
        "the rest of the graph answers: {body}"
    );
}

#[tokio::test]
async fn readyz_turns_503_when_redis_is_unreachable() {
    let app = TestApp::builder()
        .configure(|c| {
            c.redis_url = Some(shahr_gateway::config::Secret::new("redis://127.0.0.1:1"));
            c.redis_timeout = std::time::Duration::from_millis(500);
        })
        .spawn()
        .await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["checks"]["redis"]["status"], "down", "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_known_operation_name_and_report_pools() {
    let app = TestApp::builder()
        .configure(|c| {
            c.metrics_operations = vec!["DistrictList".into()];
            c.rate_limits.anonymous_per_minute = 1_000;
        })
        .spawn()
        .await;
    app.query("query DistrictList { districts { number } }")
        .await;
    app.query("query DistrictList { districts { number } }")
        .await;
    // Names no client app declared are counted, but never become labels.
    for i in 0..300 {
        app.query(&format!("query Junk{i} {{ districts {{ number }} }}"))
            .await;
    }
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(r#"shahr_graphql_requests_total{operation="DistrictList",outcome="ok"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"shahr_graphql_requests_total{operation="other",outcome="ok"} 300"#),
        "{text}"
    );
    assert!(!text.contains("Junk"), "{text}");
    assert!(
        text.contains("shahr_graphql_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"shahr_db_pool_connections{database="urbanism",state="max"} 4"#),
        "{text}"
    );
    assert!(text.contains("shahr_subscribers"), "{text}");
    // Every background worker runs under supervision.
    for worker in [
        "notifier",
        "finality",
        "dashboards",
        "upload_expiry",
        "relay_urbanism",
        "relay_citizen",
        "stream_reader",
    ] {
        assert!(
            text.contains(&format!("shahr_worker_up{{worker=\"{worker}\"}} 1")),
            "{worker}: {text}"
        );
    }
}

#[tokio::test]
async fn without_redis_the_in_process_bus_serves_and_readyz_says_so() {
    let app = TestApp::builder().without_redis().spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["checks"]["redis"]["status"], "disabled", "{body}");
    assert_eq!(body["checks"]["eventBus"]["kind"], "in-process", "{body}");
}

#[tokio::test]
async fn metrics_behind_a_token_answer_only_with_that_token() {
    let app = TestApp::builder()
        .configure(|c| {
            c.metrics_token = Some(shahr_gateway::config::Secret::new("scrape-me"));
        })
        .spawn()
        .await;
    let bare = app.get("/metrics").await;
    assert_eq!(bare.status(), 401);
    assert!(bare.headers().contains_key("www-authenticate"));
    let wrong = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("scrape-you")
        .send()
        .await
        .expect("metrics");
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("scrape-me")
        .send()
        .await
        .expect("metrics");
    assert_eq!(right.status(), 200);
    assert!(right
        .text()
        .await
        .expect("text")
        .contains("shahr_http_connections"));
}

#[tokio::test]
async fn metrics_on_their_own_address_are_not_served_on_the_main_one() {
    let app = TestApp::builder()
        .configure(|c| c.metrics_listen = Some("127.0.0.1:0".parse().expect("address")))
        .spawn()
        .await;
    assert_eq!(app.get("/metrics").await.status(), 404);
    let port = app.metrics_port.expect("a metrics listener");
    let text = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(text.contains("shahr_db_pool_connections"), "{text}");
    let graphql = app
        .client
        .get(format!(
            "http://127.0.0.1:{port}/graphql?query=%7B__typename%7D"
        ))
        .send()
        .await
        .expect("graphql");
    assert_eq!(graphql.status(), 404, "only /metrics there");
}
