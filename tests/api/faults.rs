//! Nothing lost or stuck under load and faults: no code path waits for a second pooled
//! connection while it holds one, and a mutation whose transaction has begun runs to its end.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The owner of parcel 9-1-12-7-301-0-0 in District 9.
const PARCEL_OWNER: &str = "1583250689";

const SUBMIT: &str = "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { created request { trackingCode } } }";

#[tokio::test]
async fn twice_the_pool_of_concurrent_retries_of_one_submission_all_answer_with_one_request() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen(PARCEL_OWNER);
    let input = json!({ "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                        "idempotencyKey": "retry-storm" });
    let tries = 2 * app.config.db_pool_size;
    let answers = futures_util::future::join_all(
        (0..tries).map(|_| app.query_as(&citizen, SUBMIT, json!({ "input": input.clone() }))),
    )
    .await;
    let mut codes = std::collections::BTreeSet::new();
    let mut created = 0;
    for body in &answers {
        assert!(body["errors"].is_null(), "{body}");
        let submitted = &body["data"]["submitServiceRequest"];
        codes.insert(
            submitted["request"]["trackingCode"]
                .as_str()
                .map(str::to_owned),
        );
        created += usize::from(submitted["created"] == Value::Bool(true));
    }
    assert_eq!(codes.len(), 1, "one request: {codes:?}");
    assert_eq!(created, 1);
}

#[tokio::test]
async fn a_pool_full_of_concurrent_submissions_all_go_through() {
    let app = TestApp::builder()
        .configure(|c| c.rate_limits.mutations_per_minute = 1_000)
        .spawn()
        .await;
    let citizen = app.citizen(PARCEL_OWNER);
    let tries = app.config.db_pool_size;
    let answers = futures_util::future::join_all((0..tries).map(|n| {
        app.query_as(
            &citizen,
            SUBMIT,
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                               "idempotencyKey": format!("full-pool-{n}") } }),
        )
    }))
    .await;
    for body in &answers {
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["submitServiceRequest"]["created"], true);
    }
}
