//! Citizen-sourcing: the catalogue as data, district gating, idempotent submission,
//! cross-database joins and who sees which request.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::TestApp;

const CITIZEN_A: &str = "0076229645"; // owns 1-2-45-28-666-0-0 (district 1)
const CITIZEN_B: &str = "1583250689"; // co-owns 9-1-12-7-301-0-0 (district 9)
const PARCEL_B: &str = "9-1-12-7-301-0-0";

const SUBMIT: &str = "mutation($input: SubmitServiceRequestInput!) {
    submitServiceRequest(input: $input) {
        created
        request { trackingCode state stateLabel district renovationCode form submittedAt submittedAtJalali
                  service { code name } parcel { renovationCode district { number } }
                  history { from to toLabel actorRole } }
    } }";

fn input(service: &str, code: &str, key: Option<&str>, form: Value) -> Value {
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
    for (token, vars, code, field, words) in cases {
        let body = app.query_as(&token, SUBMIT, vars).await;
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], code, "{body}");
        if let Some(field) = field {
            assert_eq!(err["extensions"]["field"], field, "{body}");
        }
        assert!(
            err["message"].as_str().expect("message").contains(words),
            "{body}"
        );
    }
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

const MOVE: &str = "mutation($code: String!, $comment: String) {
    a: advanceServiceRequest(input: { trackingCode: $code, comment: $comment }) { request { state fee history { to } } } }";

const PAY: &str = "mutation($code: String!, $comment: String, $payment: RequestPaymentInput) {
    a: advanceServiceRequest(input: { trackingCode: $code, comment: $comment, payment: $payment }) {
        request { state fee payment { reference amount } history { to } } } }";

async fn file(app: &TestApp, service: &str) -> String {
    let b = app.citizen(CITIZEN_B);
    let body = app
        .query_as(&b, SUBMIT, input(service, PARCEL_B, None, json!({})))
        .await;
    body["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

async fn run_move(
    app: &TestApp,
    token: &str,
    mutation: &str,
    code: &str,
    comment: Option<&str>,
) -> Value {
    let q = format!(
        "mutation($code: String!, $comment: String) {{ m: {mutation}(input: {{ trackingCode: $code, comment: $comment }}) {{ request {{ state fee history {{ to comment }} }} }} }}"
    );
    app.query_as(token, &q, json!({ "code": code, "comment": comment }))
        .await
}

#[tokio::test]
async fn a_permit_request_goes_from_submission_to_issue() {
    let app = TestApp::spawn().await;
    let code = file(&app, "building_permit_new").await;
    let staff = app.staff(9);
    let mut states = vec!["SUBMITTED".to_owned()];
    let mut last = Value::Null;
    for _ in 0..6 {
        let payment = if states.last().map(String::as_str) == Some("FEE_PAYABLE") {
            // 2,000,000 + 150,000 per m² of the parcel's 180 m².
            assert_eq!(last["data"]["a"]["request"]["fee"], "29000000");
            json!({ "reference": "IPG-140509-000123", "amount": "29000000" })
        } else {
            Value::Null
        };
        last = app
            .query_as(
                &staff,
                PAY,
                json!({ "code": code, "comment": "ok", "payment": payment }),
            )
            .await;
        let state = last["data"]["a"]["request"]["state"]
            .as_str()
            .unwrap_or_else(|| panic!("{last}"))
            .to_owned();
        states.push(state);
    }
    assert_eq!(
        last["data"]["a"]["request"]["payment"],
        json!({ "reference": "IPG-140509-000123", "amount": "29000000" })
    );
    assert_eq!(
        states,
        vec![
            "SUBMITTED",
            "INSPECTION_SCHEDULED",
            "UNDER_REVIEW",
            "FEE_PAYABLE",
            "PAID",
            "APPROVED",
            "ISSUED"
        ]
    );
    assert_eq!(
        last["data"]["a"]["request"]["history"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    let more = app.query_as(&staff, MOVE, json!({ "code": code })).await;
    assert_eq!(
        more["errors"][0]["extensions"]["code"], "CONFLICT",
        "{more}"
    );
    assert_eq!(more["errors"][0]["extensions"]["currentState"], "ISSUED");
    let client = app.databases.citizen.client().await;
    let v = shahr_store::audit::verify(&client).await.expect("verify");
    assert_eq!(
        (v.entries, v.first_broken),
        (7, None),
        "submission and six moves, chained"
    );

    // One receipt pays one request.
    let second = file(&app, "building_permit_new").await;
    for _ in 0..3 {
        run_move(&app, &staff, "advanceServiceRequest", &second, None).await;
    }
    let body = app
        .query_as(
            &staff,
            PAY,
            json!({ "code": second, "payment": { "reference": "IPG-140509-000123", "amount": "29000000" } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.payment.reference",
        "{body}"
    );
}

#[tokio::test]
async fn each_refused_transition_says_why_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let staff = app.staff(9);
    let b = app.citizen(CITIZEN_B);
    let code = file(&app, "building_permit_new").await;

    let body = run_move(&app, &staff, "rejectServiceRequest", &code, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.comment",
        "a reason is required: {body}"
    );
    let body = run_move(&app, &b, "resubmitServiceRequest", &code, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["currentState"], "SUBMITTED",
        "{body}"
    );
    for (who, token) in [
        ("staff of district 1", app.staff(1)),
        ("the citizen", b.clone()),
        ("another citizen", app.citizen(CITIZEN_A)),
    ] {
        let body = run_move(&app, &token, "advanceServiceRequest", &code, None).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{who}: {body}"
        );
    }
    let body = run_move(
        &app,
        &app.citizen(CITIZEN_A),
        "withdrawServiceRequest",
        &code,
        None,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "only its citizen withdraws"
    );

    // Documents missing, back to the citizen, then back to staff.
    let body = run_move(
        &app,
        &staff,
        "returnServiceRequestForDocuments",
        &code,
        Some("سند ناخوانا است"),
    )
    .await;
    assert_eq!(
        body["data"]["m"]["request"]["state"], "DOCUMENTS_INCOMPLETE",
        "{body}"
    );
    let body = run_move(&app, &staff, "advanceServiceRequest", &code, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["currentState"],
        "DOCUMENTS_INCOMPLETE"
    );
    let body = run_move(&app, &b, "resubmitServiceRequest", &code, None).await;
    assert_eq!(body["data"]["m"]["request"]["state"], "SUBMITTED");

    // Paid requests cannot be withdrawn; rejected ones cannot move at all.
    for _ in 0..3 {
        run_move(&app, &staff, "advanceServiceRequest", &code, None).await;
    }
    let pay = |payment: Value| {
        let app = &app;
        let staff = &staff;
        let code = &code;
        async move {
            app.query_as(staff, PAY, json!({ "code": code, "payment": payment }))
                .await
        }
    };
    for (payment, field, why) in [
        (Value::Null, "input.payment", "paid without a payment"),
        (
            json!({ "reference": "IPG-1", "amount": "28000000" }),
            "input.payment.amount",
            "short of the 29,000,000 fee",
        ),
        (
            json!({ "reference": " ", "amount": "29000000" }),
            "input.payment.reference",
            "a blank reference",
        ),
    ] {
        let body = pay(payment).await;
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{why}: {body}"
        );
        assert!(
            body["errors"][0]["extensions"]["messageFa"].is_string(),
            "{why}: {body}"
        );
    }
    let body = run_move(&app, &staff, "advanceServiceRequest", &code, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.payment",
        "the state did not move: {body}"
    );
    let body = pay(json!({ "reference": "IPG-1", "amount": "29000000" })).await;
    assert_eq!(body["data"]["a"]["request"]["state"], "PAID", "{body}");
    let body = run_move(&app, &b, "withdrawServiceRequest", &code, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["currentState"], "PAID",
        "{body}"
    );
    let body = run_move(
        &app,
        &staff,
        "rejectServiceRequest",
        &code,
        Some("خلاف ضوابط"),
    )
    .await;
    assert_eq!(body["data"]["m"]["request"]["state"], "REJECTED");
    let body = run_move(&app, &staff, "advanceServiceRequest", &code, None).await;
    assert_eq!(body["errors"][0]["extensions"]["currentState"], "REJECTED");

    let other = file(&app, "land_use_inquiry").await;
    let body = run_move(
        &app,
        &b,
        "withdrawServiceRequest",
        &other,
        Some("منصرف شدم"),
    )
    .await;
    assert_eq!(body["data"]["m"]["request"]["state"], "WITHDRAWN", "{body}");
}

#[tokio::test]
async fn staff_work_their_district_queue_oldest_first_with_sla_and_assignment() {
    let app = TestApp::spawn().await;
    let first = file(&app, "land_use_inquiry").await;
    let second = file(&app, "building_permit_new").await;
    let staff = app.staff(9);
    let q = "query($s: RequestState) { requestQueue(district: 9, step: $s) { totalCount
             edges { node { trackingCode state assignedTo dueAt isOverdue } } } }";
    let body = app.query_as(&staff, q, json!({ "s": null })).await;
    let queue = &body["data"]["requestQueue"];
    assert_eq!(queue["totalCount"], 2, "{body}");
    assert_eq!(
        queue["edges"][0]["node"]["trackingCode"],
        first.as_str(),
        "oldest first"
    );
    assert_eq!(queue["edges"][0]["node"]["isOverdue"], false);
    assert!(queue["edges"][0]["node"]["dueAt"].is_string());

    // The first request has waited 30 days in SUBMITTED (SLA 24 hours).
    let client = app.databases.citizen.client().await;
    client
        .execute(
            "UPDATE shahr.requests SET state_since = now() - interval '30 days' WHERE tracking_code = $1",
            &[&first],
        )
        .await
        .expect("age");
    client
        .execute(
            "UPDATE shahr.request_history SET at = now() - interval '30 days'
              WHERE request_id = (SELECT id FROM shahr.requests WHERE tracking_code = $1)",
            &[&first],
        )
        .await
        .expect("age history");
    let body = app.query_as(&staff, q, json!({ "s": "SUBMITTED" })).await;
    assert_eq!(
        body["data"]["requestQueue"]["edges"][0]["node"]["isOverdue"], true,
        "{body}"
    );

    let assign = "mutation($c: String!) { assignServiceRequest(input: { trackingCode: $c, assignee: \"dev:staff-7\" }) {
                  request { assignedTo history { comment } } } }";
    let body = app.query_as(&staff, assign, json!({ "c": second })).await;
    assert_eq!(
        body["data"]["assignServiceRequest"]["request"]["assignedTo"], "dev:staff-7",
        "{body}"
    );

    let body = app.query_as(&app.staff(1), q, json!({ "s": null })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let body = app
        .query_as(&app.citizen(CITIZEN_B), q, json!({ "s": null }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn the_sla_clock_counts_office_hours_and_stops_while_the_citizen_holds_the_request() {
    let app = TestApp::spawn().await;
    let staff = app.staff(9);
    let code = file(&app, "land_use_inquiry").await;
    let back = run_move(
        &app,
        &staff,
        "returnServiceRequestForDocuments",
        &code,
        Some("نقشه ناخواناست"),
    )
    .await;
    assert_eq!(
        back["data"]["m"]["request"]["state"], "DOCUMENTS_INCOMPLETE",
        "{back}"
    );
    let q = "query($c: String!) { serviceRequest(trackingCode: $c) { state dueAt } }";
    let body = app.query_as(&staff, q, json!({ "c": code })).await;
    assert_eq!(
        body["data"]["serviceRequest"]["dueAt"],
        Value::Null,
        "no deadline runs while the citizen completes documents: {body}"
    );
    let b = app.citizen(CITIZEN_B);
    run_move(&app, &b, "resubmitServiceRequest", &code, None).await;

    // Filed Saturday 7 Azar 1405 at 07:30 Tehran, returned at 10:30 (3 office hours used),
    // resubmitted Monday 9 Azar at 07:30. SUBMITTED has a 24-hour SLA in office hours
    // (07:30-14:30, 7 a day): 21 left, so Monday, Tuesday and Wednesday: 14:30 on 12 Azar.
    let client = app.databases.citizen.client().await;
    for (to, at) in [
        ("SUBMITTED", "2026-11-28T07:30:00+03:30"),
        ("DOCUMENTS_INCOMPLETE", "2026-11-28T10:30:00+03:30"),
    ] {
        client
            .execute(
                "UPDATE shahr.request_history SET at = $3::text::timestamptz
                  WHERE request_id = (SELECT id FROM shahr.requests WHERE tracking_code = $1)
                    AND to_state = $2",
                &[&code, &to, &at],
            )
            .await
            .expect("move history");
    }
    client
        .execute(
            "UPDATE shahr.request_history SET at = '2026-11-30T07:30:00+03:30'
              WHERE id = (SELECT max(h.id) FROM shahr.request_history h
                            JOIN shahr.requests r ON r.id = h.request_id
                           WHERE r.tracking_code = $1);
            ",
            &[&code],
        )
        .await
        .expect("resubmission time");
    client
        .execute(
            "UPDATE shahr.requests SET state_since = '2026-11-30T07:30:00+03:30' WHERE tracking_code = $1",
            &[&code],
        )
        .await
        .expect("state since");
    let body = app.query_as(&staff, q, json!({ "c": code })).await;
    assert_eq!(
        body["data"]["serviceRequest"],
        json!({ "state": "SUBMITTED", "dueAt": "2026-12-02T14:30:00+03:30" }),
        "{body}"
    );
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
            let (status, body) = app
                .upload(Some(&token), name, content_type, pdf(size))
                .await;
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
