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
async fn metrics_count_requests_by_operation_name_and_report_pools() {
    let app = TestApp::spawn().await;
    app.query("query DistrictList { districts { number } }")
        .await;
    app.query("query DistrictList { districts { number } }")
        .await;
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(r#"shahr_graphql_requests_total{operation="DistrictList",outcome="ok"} 2"#),
        "{text}"
    );
    assert!(
        text.contains("shahr_graphql_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"shahr_db_pool_connections{database="urbanism",state="max"} 4"#),
        "{text}"
    );
    assert!(text.contains("shahr_subscribers"), "{text}");
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
