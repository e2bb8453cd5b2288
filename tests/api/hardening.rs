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

#[tokio::test]
async fn a_former_owner_no_longer_reads_the_parcel_through_an_old_request() {
    let app = TestApp::spawn().await;
    let maryam = app.citizen("1583250689");
    let filed = app
        .query_as(
            &maryam,
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            serde_json::json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    let code = filed["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{filed}"))
        .to_owned();
    let read = "query($c: String!) { serviceRequest(trackingCode: $c) { parcel { renovationCode owners { owner { fullName } } } }
                myRequests { edges { node { parcel { renovationCode } } } } }";
    let before = app
        .query_as(&maryam, read, serde_json::json!({ "c": code }))
        .await;
    assert_eq!(
        before["data"]["serviceRequest"]["parcel"]["renovationCode"], "9-1-12-7-301-0-0",
        "{before}"
    );

    // She sells her share: the parcel is no longer hers to read.
    app.databases
        .urbanism
        .client()
        .await
        .batch_execute("DELETE FROM tbl_malekiat WHERE id_parvandeh = 2 AND id_malek = 2")
        .await
        .expect("transfer");
    let after = app
        .query_as(&maryam, read, serde_json::json!({ "c": code }))
        .await;
    assert!(after["errors"].is_null(), "{after}");
    assert!(
        after["data"]["serviceRequest"]["parcel"].is_null(),
        "her request stays hers, the parcel does not: {after}"
    );
    assert!(
        after["data"]["myRequests"]["edges"][0]["node"]["parcel"].is_null(),
        "{after}"
    );
    let staff = app
        .query_as(
            &app.staff(9),
            read.replace("myRequests", "requestQueue(district: 9)")
                .as_str(),
            serde_json::json!({ "c": code }),
        )
        .await;
    assert_eq!(
        staff["data"]["serviceRequest"]["parcel"]["renovationCode"], "9-1-12-7-301-0-0",
        "staff of the district still see it: {staff}"
    );
}

#[tokio::test]
async fn the_owner_filter_is_for_staff_not_an_oracle_for_co_owners_ids() {
    let app = TestApp::spawn().await;
    let q = "query($n: NationalId) { parcels(filter: { ownerNationalId: $n }) { totalCount } }";
    // Reza co-owns parcel 2 with Maryam: the filter must not confirm her national id to him.
    let body = app
        .query_as(
            &app.citizen("3974017844"),
            q,
            serde_json::json!({ "n": "1583250689" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "filter.ownerNationalId",
        "{body}"
    );
    let body = app
        .query_as(&app.staff(9), q, serde_json::json!({ "n": "1583250689" }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        body["data"]["parcels"]["totalCount"].as_i64() >= Some(1),
        "{body}"
    );
}
