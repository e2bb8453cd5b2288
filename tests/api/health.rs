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

/// Runs `promtool check metrics` (Prometheus's own linter, from Debian's `prometheus`
/// package as .ci/run installs) on an exposition: its problems, empty when none.
async fn promtool_problems(exposition: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (apt-get install prometheus, as .ci/run does)");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(exposition.as_bytes())
        .await
        .expect("written");
    drop(stdin);
    let out = child.wait_with_output().await.expect("promtool ends");
    let problems = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        problems
    } else {
        format!("exit {:?}: {problems}", out.status.code())
    }
}

#[tokio::test]
async fn metrics_pass_promtool_and_come_as_openmetrics_to_a_scraper_that_asks() {
    let app = TestApp::spawn().await;
    app.query("{ districts { number } }").await;
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    let text = app.get("/metrics").await;
    assert_eq!(
        text.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = text.text().await.expect("text");
    assert_eq!(promtool_problems(&text).await, "", "{text}");
    for series in [
        r#"shahr_http_requests_total{route="/graphql",status="200"} 1"#,
        r#"shahr_http_requests_total{route="other",status="404"} 1"#,
        r#"shahr_db_pool_connections{database="redis",state="max"}"#,
        r#"shahr_subscription_messages_total{transport="sse"} 0"#,
        r#"shahr_build_info{version="#,
        "shahr_outbox_lag_seconds{",
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(text.contains(series), "{series} in {text}");
    }
    let open = app
        .client
        .get(app.url("/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .expect("metrics");
    assert_eq!(
        open.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let open = open.text().await.expect("text");
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(
        open.contains("# TYPE shahr_http_requests counter"),
        "{open}"
    );
}
