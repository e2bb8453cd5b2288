//! Hostile use: what a client may not make the gateway do, and what it may not learn.

use crate::helpers::TestApp;

#[tokio::test]
async fn a_mutation_sent_over_get_to_the_event_stream_is_refused_and_runs_nothing() {
    let app = TestApp::spawn().await;
    let mutation = "mutation { submitServiceRequest(input: { serviceCode: \"land_use_inquiry\", \
                    renovationCode: \"9-1-12-7-301-0-0\" }) { created } }";
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", mutation)])
        .header("accept", "text/event-stream")
        .header(
            "authorization",
            format!("Bearer {}", app.citizen("1583250689")),
        )
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let filed: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one("SELECT count(*) FROM shahr.requests", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(filed, 0, "nothing was filed");
}

#[tokio::test]
async fn html_pages_cannot_be_framed_sniffed_or_leak_their_address() {
    let app = TestApp::spawn().await;
    for path in [
        "/verify/NOSUCHCODE2345678901",
        "/dashboard",
        "/documents/rulings/1?exp=1&sig=x",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}: {headers:?}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    }
}
