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

#[tokio::test]
async fn a_mutation_that_outlasts_the_request_deadline_commits_and_says_so() {
    let app = TestApp::builder()
        .configure(|c| c.request_timeout = std::time::Duration::from_millis(300))
        .spawn()
        .await;
    let submitted = app
        .query_as(
            &app.citizen(PARCEL_OWNER),
            SUBMIT,
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    let code = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    // Another session holds the request's row, so the move waits inside its transaction
    // well past the 300 ms deadline.
    let mut blocker = app.databases.citizen.client().await;
    let lock = blocker.transaction().await.expect("begin");
    lock.execute(
        "SELECT 1 FROM shahr.requests WHERE tracking_code = $1 FOR UPDATE",
        &[&code],
    )
    .await
    .expect("lock");
    let staff = app.staff(9);
    let moving = app.query_as(
        &staff,
        "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }",
        json!({ "code": code }),
    );
    let release = async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        lock.commit().await.expect("release");
    };
    let (moved, ()) = tokio::join!(moving, release);
    assert!(
        moved["errors"].is_null(),
        "the client hears what happened: {moved}"
    );
    let state = moved["data"]["advanceServiceRequest"]["request"]["state"].clone();
    let stored: String = app
        .databases
        .citizen
        .client()
        .await
        .query_one(
            "SELECT state FROM shahr.requests WHERE tracking_code = $1",
            &[&code],
        )
        .await
        .expect("state")
        .get(0);
    assert_ne!(stored, "SUBMITTED", "the move committed");
    assert!(state.is_string(), "{moved}");
}
