//! Requests move through their service's workflow: staff advance, return and reject them,
//! citizens resubmit and withdraw; a move to PAID records a payment for exactly the fee; staff
//! work their district's queue; SLA clocks count office hours.

use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    requests::{input, CITIZEN_A, CITIZEN_B, PARCEL_B, SUBMIT},
};

const MOVE: &str = "mutation($code: String!, $comment: String) {
    a: advanceServiceRequest(input: { trackingCode: $code, comment: $comment }) { request { state fee history { to } } } }";

const PAY: &str = "mutation($code: String!, $comment: String, $payment: RequestPaymentInput) {
    a: advanceServiceRequest(input: { trackingCode: $code, comment: $comment, payment: $payment }) {
        request { state fee payment { reference amount } history { to } } } }";

/// Another staff member of `district` (a different sign-in subject): the second pair of eyes
/// a payment recorded by hand needs.
pub(crate) fn second_staff(app: &TestApp, district: i16) -> String {
    app.token_for(
        &[shahr_gateway::auth::Role::UrbanismStaff],
        Some("0499370899"),
        Some(district),
        std::time::Duration::from_secs(3600),
    )
}

pub(crate) async fn file(app: &TestApp, service: &str) -> String {
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
        let manual = !payment.is_null();
        last = app
            .query_as(
                &staff,
                PAY,
                json!({ "code": code, "comment": "ok", "payment": payment }),
            )
            .await;
        if manual {
            // Recorded by hand: the request waits for a second staff member; the one who
            // recorded it cannot confirm it.
            assert_eq!(
                last["data"]["a"]["request"]["state"], "FEE_PAYABLE",
                "{last}"
            );
            let again = app
                .query_as(&staff, PAY, json!({ "code": code, "payment": payment }))
                .await;
            assert_eq!(
                again["errors"][0]["extensions"]["field"], "input.payment",
                "{again}"
            );
            let other = json!({ "reference": "IPG-OTHER", "amount": "29000000" });
            let mismatch = app
                .query_as(
                    &second_staff(&app, 9),
                    PAY,
                    json!({ "code": code, "payment": other }),
                )
                .await;
            assert_eq!(
                mismatch["errors"][0]["extensions"]["field"], "input.payment.reference",
                "{mismatch}"
            );
            last = app
                .query_as(
                    &second_staff(&app, 9),
                    PAY,
                    json!({ "code": code, "comment": "ok", "payment": payment }),
                )
                .await;
        }
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
        (9, None),
        "submission, six moves and the manual payment's record and confirmation, chained"
    );

    // One receipt pays one request.
    let second = file(&app, "building_permit_new").await;
    for _ in 0..3 {
        run_move(&app, &staff, "advanceServiceRequest", &second, None).await;
    }
    let used = json!({ "code": second, "payment": { "reference": "IPG-140509-000123", "amount": "29000000" } });
    let recorded = app.query_as(&staff, PAY, used.clone()).await;
    assert!(recorded.get("errors").is_none(), "{recorded}");
    let body = app.query_as(&second_staff(&app, 9), PAY, used).await;
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
    assert_eq!(
        body["data"]["a"]["request"]["state"], "FEE_PAYABLE",
        "awaits a second staff member: {body}"
    );
    let body = app
        .query_as(
            &second_staff(&app, 9),
            PAY,
            json!({ "code": code, "payment": { "reference": "IPG-1", "amount": "29000000" } }),
        )
        .await;
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
