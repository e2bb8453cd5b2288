//! GraphQL over HTTP: methods, media types, status codes, limits.

use serde_json::{json, Value};

use crate::helpers::{TestApp, GRAPHQL_RESPONSE};

const QUERY: &str = "{ districts { number } }";

#[tokio::test]
async fn a_post_answers_in_the_media_type_the_client_accepts() {
    let app = TestApp::spawn().await;
    // (Without any Accept header the answer is application/json; reqwest always sends one,
    // so that case is covered by the negotiation unit tests.)
    for (accept, expected) in [
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
    ] {
        let mut req = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": QUERY }));
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        let response = req.send().await.expect("sent");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            content_type.starts_with(expected),
            "{accept:?} -> {content_type}"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["data"]["districts"].as_array().map(Vec::len), Some(10));
    }
}

#[tokio::test]
async fn an_unsatisfiable_accept_header_gets_406() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/html")
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 406);
}

#[tokio::test]
async fn text_plain_and_form_posts_are_refused_before_anything_runs() {
    let app = TestApp::spawn().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(json!({ "query": QUERY }).to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 415, "{content_type}");
    }
}

#[tokio::test]
async fn a_query_over_get_runs_and_a_mutation_over_get_gets_405() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", QUERY)])
        .header("accept", GRAPHQL_RESPONSE)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["districts"].as_array().map(Vec::len), Some(10));

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { doSomething }")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query A { districts { number } } mutation B { x }"),
            ("operationName", "B"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405, "the selected operation decides");
}

async fn post_raw(app: &TestApp, accept: &str, body: String) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn request_errors_answer_400_without_data_or_200_for_legacy_json_clients() {
    let app = TestApp::spawn().await;
    let bad = json!({ "query": "{ districts { number " }).to_string();
    let (status, body) = post_raw(&app, GRAPHQL_RESPONSE, bad.clone()).await;
    assert_eq!(status, 400);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );

    let (status, body) = post_raw(&app, "application/json", bad).await;
    assert_eq!(status, 200, "legacy clients get 200");
    assert!(body.get("data").is_none(), "{body}");

    let unknown = json!({ "query": "{ districts { numbr } }" }).to_string();
    let (status, body) = post_raw(&app, GRAPHQL_RESPONSE, unknown).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("Did you mean"),
        "suggestions help in dev: {body}"
    );
}

#[tokio::test]
async fn malformed_json_and_missing_query_get_400() {
    let app = TestApp::spawn().await;
    for body in ["{not json", "{\"variables\": {}}", "42"] {
        let (status, response) = post_raw(&app, GRAPHQL_RESPONSE, body.into()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_even_without_content_length() {
    let app = TestApp::builder()
        .configure(|c| c.max_body_bytes = 4096)
        .spawn()
        .await;
    let big = json!({ "query": format!("{{ districts {{ number }} }} #{}", "x".repeat(10_000)) })
        .to_string();
    let (status, _) = post_raw(&app, GRAPHQL_RESPONSE, big.clone()).await;
    assert_eq!(status, 413);
    // Chunked: no Content-Length header at all.
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn batches_are_capped_and_never_carry_mutations() {
    let app = TestApp::builder()
        .configure(|c| c.max_batch = 3)
        .spawn()
        .await;
    let one = json!({ "query": "{ district(number: 1) { number } }" });
    let (status, body) = post_raw(&app, GRAPHQL_RESPONSE, json!([one, one]).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    assert_eq!(body[1]["data"]["district"]["number"], 1);

    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!([one, one, one, one]).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");

    let mutation = json!({ "query": "mutation { x }" });
    let (status, _) = post_raw(&app, GRAPHQL_RESPONSE, json!([one, mutation]).to_string()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn oversized_documents_are_rejected_before_any_resolver_runs() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..1_000).map(|i| format!("a{i}: serverTime ")).collect();
    let tokens = format!("{{ {} }}", "serverTime ".repeat(20_000));
    let directives: String = (0..200).map(|_| "@include(if: true) ").collect();
    for (limit, query) in [
        ("aliases", format!("{{ {aliases} }}")),
        ("tokens", tokens),
        ("directives", format!("{{ serverTime {directives} }}")),
    ] {
        let (status, body) = post_raw(
            &app,
            GRAPHQL_RESPONSE,
            json!({ "query": query }).to_string(),
        )
        .await;
        assert_eq!(status, 400, "{limit}: {body}");
        assert!(body.get("data").is_none(), "{limit}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "{limit}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{body}");
    }
    // The fault table's 10k aliases: refused too (the token limit trips first).
    let aliases: String = (0..10_000).map(|i| format!("a{i}: serverTime ")).collect();
    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": format!("{{ {aliases} }}") }).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn depth_and_complexity_limits_come_from_configuration() {
    let app = TestApp::builder()
        .configure(|c| {
            c.max_depth = 1;
            c.max_complexity = 3;
        })
        .spawn()
        .await;
    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": "{ district(number: 1) { number } }" }).to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "depth", "{body}");
    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": "{ a: serverTime b: serverTime c: serverTime d: serverTime }" })
            .to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "complexity",
        "{body}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    let generated = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"], "trace-42");
}

#[tokio::test]
async fn production_hides_introspection_suggestions_and_graphiql() {
    let app = TestApp::builder()
        .configure(|c| {
            c.profile = shahr_gateway::config::Profile::Prod;
            c.signing_key = Some(shahr_gateway::config::Secret::new(
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            ));
        })
        .spawn()
        .await;
    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": "{ __schema { types { name } } }" }).to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none());
    let (status, body) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": "{ districts { numbr } }" }).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(!message.contains("Did you mean"), "{message}");
    let response = app.get("/graphiql").await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn graphiql_is_served_in_development() {
    let app = TestApp::spawn().await;
    let response = app.get("/graphiql").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.expect("html").contains("graphiql"));
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_without_errors_or_warnings() {
    let app = TestApp::spawn().await;
    let dir = crate::helpers::node::package("clients", "graphql-http");
    let output = tokio::process::Command::new("node")
        .arg("audit.mjs")
        .arg(app.url("/graphql"))
        .current_dir(dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .expect("node runs");
    assert!(output.status.success());
    let results: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(results.len() > 50, "the whole audit ran: {}", results.len());
    let failing: Vec<&serde_json::Value> = results.iter().filter(|r| r["status"] != "ok").collect();
    assert!(failing.is_empty(), "{failing:#?}");
}
