//! Citizen-sourcing: the catalogue as data, district gating, idempotent submission,
//! cross-database joins, who sees which request, and uploaded documents.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{helpers::TestApp, request_moves::file};

pub(crate) const CITIZEN_A: &str = "0076229645"; // owns 1-2-45-28-666-0-0 (district 1)
pub(crate) const CITIZEN_B: &str = "1583250689"; // co-owns 9-1-12-7-301-0-0 (district 9)
pub(crate) const PARCEL_B: &str = "9-1-12-7-301-0-0";

pub(crate) const SUBMIT: &str = "mutation($input: SubmitServiceRequestInput!) {
    submitServiceRequest(input: $input) {
        created
        request { trackingCode state stateLabel district renovationCode form submittedAt submittedAtJalali
                  service { code name } parcel { renovationCode district { number } }
                  history { from to toLabel actorRole } }
    } }";

pub(crate) fn input(service: &str, code: &str, key: Option<&str>, form: Value) -> Value {
    json!({ "input": { "serviceCode": service, "renovationCode": code, "idempotencyKey": key, "form": form } })
}

#[tokio::test]
async fn the_catalogue_is_data_district_nine_first() {
    let app = TestApp::spawn().await;
    let q = "query($d: Int!) { serviceCatalog(district: $d) { code name fee feePerSquareMetre districts
             steps { state label slaHours } requiredDocuments { code name required maxBytes contentTypes } } }";
    let nine = app.query_with(q, json!({ "d": 9 }), None).await;
    let services = nine["data"]["serviceCatalog"].as_array().expect("list");
    assert_eq!(services.len(), 20, "{nine}");
    let permit = services
        .iter()
        .find(|s| s["code"] == "building_permit_new")
        .expect("permit");
    assert_eq!(permit["steps"][0]["state"], "SUBMITTED");
    assert_eq!(permit["steps"].as_array().map(Vec::len), Some(7));
    assert_eq!(permit["fee"], "2000000");
    assert_eq!(
        permit["requiredDocuments"][1]["contentTypes"],
        json!(["application/pdf"])
    );
    let one = app.query_with(q, json!({ "d": 1 }), None).await;
    assert_eq!(
        one["data"]["serviceCatalog"],
        json!([]),
        "not yet offered in district 1"
    );

    // A district and a whole new service, added as rows: no release.
    let client = app.databases.citizen.client().await;
    client
        .batch_execute(
            "INSERT INTO shahr.service_districts (service_code, district) VALUES ('land_use_inquiry', 1);
             INSERT INTO shahr.services (code, name_fa, steps) VALUES ('setback_inquiry', 'استعلام عقب‌نشینی', ARRAY['SUBMITTED','UNDER_REVIEW','ISSUED']);
             INSERT INTO shahr.service_districts (service_code, district) VALUES ('setback_inquiry', 1);",
        )
        .await
        .expect("catalogue rows");
    let one = app.query_with(q, json!({ "d": 1 }), None).await;
    let codes: Vec<&str> = one["data"]["serviceCatalog"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, vec!["setback_inquiry", "land_use_inquiry"]);
}

#[tokio::test]
async fn a_citizen_files_for_their_parcel_and_sees_it_everywhere_it_belongs() {
    let app = TestApp::spawn().await;
    let b = app.citizen(CITIZEN_B);
    let mut events = app.bus.subscribe();
    let body = app
        .query_as(
            &b,
            SUBMIT,
            input(
                "building_permit_new",
                "۹-۱-۱۲-۷-۳۰۱-۰-۰",
                None,
                json!({ "floors": 4 }),
            ),
        )
        .await;
    let payload = &body["data"]["submitServiceRequest"];
    assert_eq!(payload["created"], true, "{body}");
    let request = &payload["request"];
    let code = request["trackingCode"].as_str().expect("code").to_owned();
    assert!(code.starts_with("9-") && code.len() == 8, "{code}");
    assert_eq!(request["state"], "SUBMITTED");
    assert_eq!(request["stateLabel"], "ثبت شده");
    assert_eq!(request["renovationCode"], PARCEL_B, "canonical code");
    assert_eq!(request["form"], json!({ "floors": 4 }));
    assert_eq!(request["service"]["code"], "building_permit_new");
    assert_eq!(
        request["parcel"]["district"]["number"], 9,
        "joined from the urbanism database"
    );
    assert_eq!(
        request["history"],
        json!([{ "from": null, "to": "SUBMITTED", "toLabel": "ثبت شده", "actorRole": "citizen" }])
    );

    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("the outbox event is relayed")
        .expect("event");
    assert_eq!(event.topic(), "request.submitted");
    assert_eq!(event.event.tracking_code(), Some(code.as_str()));

    let by_code = "query($c: String!) { serviceRequest(trackingCode: $c) { trackingCode } }";
    let seen_by = |token: String| {
        let (app, code) = (&app, code.clone());
        async move {
            app.query_as(&token, by_code, json!({ "c": code.to_lowercase() }))
                .await["data"]["serviceRequest"]
                .clone()
        }
    };
    assert_eq!(
        seen_by(b.clone()).await["trackingCode"],
        code.as_str(),
        "its citizen"
    );
    assert_eq!(
        seen_by(app.staff(9)).await["trackingCode"],
        code.as_str(),
        "staff of its district"
    );
    assert_eq!(seen_by(app.auditor()).await["trackingCode"], code.as_str());
    assert_eq!(
        seen_by(app.citizen(CITIZEN_A)).await,
        Value::Null,
        "another citizen: as if absent"
    );
    assert_eq!(
        seen_by(app.staff(1)).await,
        Value::Null,
        "staff of another district"
    );

    let mine = app
        .query_as(
            &b,
            "{ myRequests { totalCount edges { node { trackingCode } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["data"]["myRequests"]["totalCount"], 1);
    let on_parcel =
        format!("{{ parcel(renovationCode: \"{PARCEL_B}\") {{ requests {{ trackingCode }} }} }}");
    let body = app.query_as(&b, &on_parcel, json!({})).await;
    assert_eq!(
        body["data"]["parcel"]["requests"][0]["trackingCode"],
        code.as_str()
    );
    // The co-owner sees the parcel but not B's request.
    let body = app
        .query_as(&app.citizen("3974017844"), &on_parcel, json!({}))
        .await;
    assert_eq!(body["data"]["parcel"]["requests"], json!([]));

    // One audit entry, and the chain verifies.
    let client = app.databases.citizen.client().await;
    let verification = shahr_store::audit::verify(&client).await.expect("verify");
    assert_eq!(verification.entries, 1);
    assert_eq!(verification.first_broken, None);
}

#[tokio::test]
async fn filing_is_refused_clearly_outside_the_rules() {
    let app = TestApp::spawn().await;
    let a = app.citizen(CITIZEN_A);
    let cases = [
        (
            a.clone(),
            input("building_permit_new", "1-2-45-28-666-0-0", None, json!({})),
            "BAD_USER_INPUT",
            Some("input.serviceCode"),
            "not offered in district 1",
        ),
        (
            a.clone(),
            input("building_permit_new", PARCEL_B, None, json!({})),
            "NOT_FOUND",
            Some("input.renovationCode"),
            "registered to you",
        ),
        (
            app.citizen(CITIZEN_B),
            input("no_such_service", PARCEL_B, None, json!({})),
            "BAD_USER_INPUT",
            Some("input.serviceCode"),
            "no such service",
        ),
        (
            app.citizen(CITIZEN_B),
            input("building_permit_new", "9-1-12", None, json!({})),
            "BAD_USER_INPUT",
            Some("input.renovationCode"),
            "renovation code",
        ),
        (
            app.staff(9),
            input("building_permit_new", PARCEL_B, None, json!({})),
            "FORBIDDEN",
            None,
            "citizen",
        ),
    ];
    let mut persian = std::collections::BTreeSet::new();
    for (token, vars, code, field, words) in cases {
        let body = app.query_as(&token, SUBMIT, vars).await;
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], code, "{body}");
        // Each reason has its own Persian message, which an app can show as is.
        let fa = err["extensions"]["messageFa"].as_str().expect("messageFa");
        assert!(persian.insert(fa.to_owned()), "«{fa}» said twice: {body}");
        if let Some(field) = field {
            assert_eq!(err["extensions"]["field"], field, "{body}");
        }
        assert!(
            err["message"].as_str().expect("message").contains(words),
            "{body}"
        );
    }
    assert!(
        persian.contains("این خدمت هنوز در منطقه ۱ ارائه نمی‌شود."),
        "{persian:?}"
    );
    let body = app
        .query_with(
            SUBMIT,
            input("building_permit_new", PARCEL_B, None, json!({})),
            None,
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let client = app.databases.citizen.client().await;
    let count: i64 = client
        .query_one("SELECT count(*) FROM shahr.requests", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 0, "nothing was filed");
}

#[tokio::test]
async fn a_retried_submission_files_once_and_a_reused_key_is_refused() {
    let app = TestApp::spawn().await;
    let b = app.citizen(CITIZEN_B);
    let first = app
        .query_as(
            &b,
            SUBMIT,
            input(
                "land_use_inquiry",
                PARCEL_B,
                Some("key-1"),
                json!({ "q": 1 }),
            ),
        )
        .await;
    let again = app
        .query_as(
            &b,
            SUBMIT,
            input(
                "land_use_inquiry",
                "۹-۱-۱۲-۷-۳۰۱-۰-۰",
                Some("key-1"),
                json!({ "q": 1 }),
            ),
        )
        .await;
    let code = |v: &Value| v["data"]["submitServiceRequest"]["request"]["trackingCode"].clone();
    assert_eq!(
        code(&first),
        code(&again),
        "same key, same input: same request"
    );
    assert_eq!(again["data"]["submitServiceRequest"]["created"], false);
    let other = app
        .query_as(
            &b,
            SUBMIT,
            input(
                "land_use_inquiry",
                PARCEL_B,
                Some("key-1"),
                json!({ "q": 2 }),
            ),
        )
        .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{other}"
    );

    // The header works like the input field.
    let send = |key: &'static str| {
        let (app, b) = (&app, b.clone());
        async move {
            let response = app
                .client
                .post(app.url("/graphql"))
                .bearer_auth(&b)
                .header("idempotency-key", key)
                .json(&json!({ "query": SUBMIT, "variables": input("no_violation_certificate", PARCEL_B, None, json!({})) }))
                .send()
                .await
                .expect("sent");
            response.json::<Value>().await.expect("json")
        }
    };
    // Two identical submissions at once: one request, both get it.
    let (x, y) = tokio::join!(send("header-key"), send("header-key"));
    assert_eq!(code(&x), code(&y), "{x} {y}");
    assert!(code(&x).is_string());
    let client = app.databases.citizen.client().await;
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM shahr.requests WHERE idempotency_key = 'header-key'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 1);
}

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size, b'x');
    bytes
}

const ATTACH: &str = "mutation($c: String!, $u: ID!, $d: String!) {
    attachDocument(input: { trackingCode: $c, uploadId: $u, documentCode: $d }) {
        request { documents { documentCode fileName contentType sizeBytes sha256 } history { comment } } } }";

#[tokio::test]
async fn uploads_are_authenticated_limited_and_hashed() {
    let app = TestApp::builder()
        .configure(|c| c.max_upload_bytes = 64 * 1024)
        .spawn()
        .await;
    let b = app.citizen(CITIZEN_B);
    let bytes = pdf(2000);
    let (status, body) = app
        .upload(Some(&b), "سند.pdf", "application/pdf", bytes.clone())
        .await;
    assert_eq!(status, 201, "{body}");
    use sha2::Digest;
    assert_eq!(body["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(body["size"], 2000);
    assert_eq!(body["fileName"], "سند.pdf");
    assert_eq!(
        app.upload(None, "a.pdf", "application/pdf", pdf(10))
            .await
            .0,
        401
    );
    assert_eq!(
        app.upload(Some(&b), "a.txt", "text/plain", b"hello".to_vec())
            .await
            .0,
        415
    );
    assert_eq!(
        app.upload(Some(&b), "big.pdf", "application/pdf", pdf(100 * 1024))
            .await
            .0,
        413
    );
}

#[tokio::test]
async fn documents_attach_within_the_services_limits() {
    let app = TestApp::spawn().await;
    let b = app.citizen(CITIZEN_B);
    let code = file(&app, "building_permit_new").await;
    let upload = |name: &'static str, content_type: &'static str, size: usize, token: String| {
        let app = &app;
        async move {
            let bytes = if content_type == "image/png" {
                let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                png.resize(size, 0);
                png
            } else {
                pdf(size)
            };
            let (status, body) = app.upload(Some(&token), name, content_type, bytes).await;
            assert_eq!(status, 201, "{body}");
            body["uploadId"].as_str().expect("id").to_owned()
        }
    };
    let deed = upload("deed.pdf", "application/pdf", 4096, b.clone()).await;
    let body = app
        .query_as(&b, ATTACH, json!({ "c": code, "u": deed, "d": "deed" }))
        .await;
    let request = &body["data"]["attachDocument"]["request"];
    assert_eq!(request["documents"][0]["documentCode"], "deed", "{body}");
    assert_eq!(request["documents"][0]["sizeBytes"], 4096);
    assert_eq!(request["history"][1]["comment"], "document deed attached");

    let png = upload("plan.png", "image/png", 1000, b.clone()).await;
    let body = app
        .query_as(&b, ATTACH, json!({ "c": code, "u": png, "d": "plans" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.documentCode",
        "plans are PDF only: {body}"
    );
    let body = app
        .query_as(&b, ATTACH, json!({ "c": code, "u": deed, "d": "passport" }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let huge = upload("deed.pdf", "application/pdf", 6 * 1024 * 1024, b.clone()).await;
    let body = app
        .query_as(&b, ATTACH, json!({ "c": code, "u": huge, "d": "deed" }))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("msg")
            .contains("5242880"),
        "the deed's 5 MiB limit: {body}"
    );
    let someone_elses = upload("x.pdf", "application/pdf", 100, app.citizen(CITIZEN_A)).await;
    let body = app
        .query_as(
            &b,
            ATTACH,
            json!({ "c": code, "u": someone_elses, "d": "deed" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.uploadId");
}

#[tokio::test]
async fn requests_join_their_parcels_without_a_query_per_request() {
    let app = TestApp::spawn().await;
    let b = app.citizen(CITIZEN_B);
    let q = "{ myRequests(first: 50) { edges { node { trackingCode service { name } parcel { renovationCode owners { owner { fullName } } } history { to } } } } }";
    let statements = "shahr_urbanism_statements_total";
    let mut counts = Vec::new();
    for batch in [2, 10] {
        for n in 0..batch {
            let body = app
                .query_as(
                    &b,
                    SUBMIT,
                    input(
                        "land_use_inquiry",
                        PARCEL_B,
                        Some(&format!("k-{batch}-{n}")),
                        json!({ "n": n }),
                    ),
                )
                .await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let before = app.metric(statements).await;
        let body = app.query_as(&b, q, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        counts.push(app.metric(statements).await - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "urbanism statements for 2 and for 12 requests: {counts:?}"
    );
}
