//! Serving rulings (eblagh) and what follows: the judicial e-notice and SMS providers are
//! real local HTTP servers; manual service, objections in time and late, finality.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    listener::{Acceptor, Listener, TcpListener},
    Request, Route, Server,
};
use serde_json::{json, Value};
use shahr_gateway::config::Secret;

use crate::{
    helpers::TestApp,
    session::{code, count, gid, ok, Session, OWNER},
};

/// A fake provider: the judicial e-notice service and an SMS gateway on one server. It
/// answers an e-notice with a delivery receipt at once; it may hold the first SMS longer
/// than the gateway waits; it sends each id once, like the real providers.
#[derive(Default)]
struct FakeState {
    notices: Mutex<Vec<Value>>,
    sms: Mutex<Vec<Value>>,
    sent_sms: Mutex<HashSet<String>>,
    hold_first_sms: Mutex<Option<Duration>>,
}

struct Fake {
    url: String,
    state: Arc<FakeState>,
}

async fn fake_provider(hold_first_sms: Option<Duration>) -> Fake {
    let state = Arc::new(FakeState::default());
    *state.hold_first_sms.lock().expect("lock") = hold_first_sms;
    let notices = state.clone();
    let sms = state.clone();
    let app = Route::new()
        .at(
            "/notices",
            poem::post(poem::endpoint::make(move |req: Request| {
                let state = notices.clone();
                async move {
                    assert_eq!(
                        req.header("authorization"),
                        Some("Bearer notice-token"),
                        "the gateway authenticates"
                    );
                    let body: Value = req.into_body().into_json().await.expect("json");
                    state.notices.lock().expect("lock").push(body.clone());
                    poem::web::Json(json!({
                        "noticeId": format!("N-{}", body["id"].as_str().unwrap_or_default()),
                        "status": "delivered",
                        "deliveredAt": chrono::Utc::now().to_rfc3339(),
                    }))
                }
            })),
        )
        .at(
            "/messages",
            poem::post(poem::endpoint::make(move |req: Request| {
                let state = sms.clone();
                async move {
                    let body: Value = req.into_body().into_json().await.expect("json");
                    state.sms.lock().expect("lock").push(body.clone());
                    let hold = state.hold_first_sms.lock().expect("lock").take();
                    if let Some(hold) = hold {
                        tokio::time::sleep(hold).await;
                    }
                    state
                        .sent_sms
                        .lock()
                        .expect("lock")
                        .insert(body["id"].as_str().unwrap_or_default().to_owned());
                    poem::web::Json(json!({ "id": body["id"], "status": "accepted" }))
                }
            })),
        );
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().map(|s| s.port()))
        .expect("port");
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(app).await;
    });
    Fake {
        url: format!("http://127.0.0.1:{port}"),
        state,
    }
}

async fn with_providers(fake: &Fake) -> TestApp {
    let url = fake.url.clone();
    TestApp::builder()
        .configure(move |c| {
            c.e_notice_base_url = Some(url.clone());
            c.e_notice_token = Some(Secret::new("notice-token"));
            c.sms_base_url = Some(url);
            c.sms_token = Some(Secret::new("sms-token"));
            c.notify_poll_interval = Duration::from_millis(100);
            c.notify_timeout = Duration::from_millis(400);
            c.notify_backoff = Duration::from_millis(100);
        })
        .spawn()
        .await
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}

async fn case_status(app: &TestApp) -> String {
    let body = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { violationCase(id: $id) { status } }",
            json!({ "id": gid("ViolationCase", 7) }),
        )
        .await;
    body["data"]["violationCase"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn issue(app: &TestApp) -> (String, i64) {
    let s = Session::new(app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "issue").await;
    ok(&issued);
    let id = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let legacy = count(
        app,
        "SELECT max(id_ray)::int8 FROM tbl_ray WHERE id_takhalof = 7",
    )
    .await;
    (id, legacy)
}

#[tokio::test]
async fn an_issued_ruling_is_served_by_e_notice_and_the_receipt_opens_the_objection_window() {
    let fake = fake_provider(None).await;
    let app = with_providers(&fake).await;
    let (ruling, legacy_id) = issue(&app).await;

    eventually("legal service by e-notice", async || {
        case_status(&app).await == "OBJECTION_WINDOW"
    })
    .await;
    let notices = fake.state.notices.lock().expect("lock").clone();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["nationalId"], OWNER);
    assert_eq!(
        notices[0]["id"],
        format!("ruling-{legacy_id}-{OWNER}-e_notice")
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM tbl_eblagh WHERE id_ray = {legacy_id} AND noe_eblagh = '5'"
            )
        )
        .await,
        1,
        "the legacy service row"
    );
    let body = app
        .query_as(
            &app.citizen(OWNER),
            "query($id: ID!) { ruling(id: $id) { status objectionDeadline notifications { mode isLegalService receiverNationalId } } }",
            json!({ "id": ruling }),
        )
        .await;
    let r = &body["data"]["ruling"];
    assert_eq!(r["status"], "NOTIFIED", "{body}");
    assert_eq!(r["notifications"][0]["mode"], "ELECTRONIC");
    let today = (chrono::Utc::now() + chrono::Duration::minutes(210)).date_naive();
    let expected = shahr_domain::deadlines::deadline(today, 10, &Default::default());
    assert_eq!(r["objectionDeadline"], expected.to_string());

    // A courtesy SMS went to the owner's mobile; the inbox has the message too.
    eventually("the SMS", async || {
        !fake.state.sms.lock().expect("lock").is_empty()
    })
    .await;
    let sms = fake.state.sms.lock().expect("lock").clone();
    assert_eq!(sms[0]["to"], "09121234567");
    assert!(sms[0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("ابلاغ قانونی نیست")));
    eventually("the inbox message", async || {
        let body = app
            .query_as(
                &app.citizen(OWNER),
                "{ me { notifications { title subjectKind link } } }",
                json!({}),
            )
            .await;
        body["data"]["me"]["notifications"]
            .as_array()
            .is_some_and(|n| n.iter().any(|m| m["subjectKind"] == "ruling"))
    })
    .await;
}

#[tokio::test]
async fn a_provider_that_times_out_is_retried_without_a_second_send() {
    let fake = fake_provider(Some(Duration::from_millis(1500))).await;
    let app = with_providers(&fake).await;
    let (_, legacy_id) = issue(&app).await;
    let send_id = format!("ruling-{legacy_id}-{OWNER}-sms");
    eventually("the SMS after a retry", async || {
        count(&app, &format!("SELECT count(*) FROM shahr.deliveries WHERE send_id = '{send_id}' AND status = 'SENT'")).await == 1
    })
    .await;
    let requests: Vec<Value> = fake.state.sms.lock().expect("lock").clone();
    assert!(
        requests.len() >= 2,
        "the first call timed out and was retried: {requests:?}"
    );
    assert!(
        requests.iter().all(|r| r["id"] == send_id.as_str()),
        "the same send id each time"
    );
    assert_eq!(
        fake.state.sent_sms.lock().expect("lock").len(),
        1,
        "one message reached the phone"
    );
    assert!(
        count(
            &app,
            &format!("SELECT attempts::int8 FROM shahr.deliveries WHERE send_id = '{send_id}'")
        )
        .await
            >= 2
    );
}

#[tokio::test]
async fn manual_service_an_objection_in_time_and_a_late_one_flagged_then_finality() {
    // No providers: owners get the inbox; staff serve by hand.
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let (ruling, legacy_id) = issue(&app).await;
    let staff = app.staff(1);
    let serve = |served_at: Option<String>| {
        json!({ "ruling": ruling, "mode": "IN_PERSON", "receiverName": "علی احمدی",
                "receiverNationalId": OWNER, "agent": "مأمور ابلاغ منطقه ۱", "servedAt": served_at })
    };
    let record = "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) {
        servedOn objectionDeadline objectionDeadlineJalali firstService ruling { status } } }";
    // Before the ruling's date: refused.
    let early = app
        .query_as(
            &staff,
            record,
            json!({ "input": serve(Some("2020-01-01T10:00:00+03:30".into())) }),
        )
        .await;
    assert_eq!(
        early["errors"][0]["extensions"]["field"], "input.servedOn",
        "{early}"
    );
    // A citizen cannot record service.
    let by_citizen = app
        .query_as(&app.citizen(OWNER), record, json!({ "input": serve(None) }))
        .await;
    assert_eq!(code(&by_citizen), "FORBIDDEN");
    let served = app
        .query_as(&staff, record, json!({ "input": serve(None) }))
        .await;
    ok(&served);
    let s = &served["data"]["recordNotification"];
    assert_eq!(s["firstService"], true);
    assert_eq!(s["ruling"]["status"], "NOTIFIED");
    assert!(s["objectionDeadline"].is_string());
    assert_eq!(case_status(&app).await, "OBJECTION_WINDOW");

    // Another citizen cannot object; the owner objects in time.
    let object = "mutation($input: FileObjectionInput!) { fileObjection(input: $input) {
        objector inTime deadlineJalali ruling { status } } }";
    let input =
        json!({ "input": { "ruling": ruling, "statement": "مساحت اندازه‌گیری شده نادرست است." } });
    assert_eq!(
        code(
            &app.query_as(&app.citizen("1583250689"), object, input.clone())
                .await
        ),
        "NOT_FOUND"
    );
    let objected = app
        .query_as(&app.citizen(OWNER), object, input.clone())
        .await;
    ok(&objected);
    assert_eq!(objected["data"]["fileObjection"]["inTime"], true);
    assert_eq!(objected["data"]["fileObjection"]["objector"], "OWNER");
    assert_eq!(case_status(&app).await, "APPEALED");

    // Start again on a ruling served a month ago: the objection is late, recorded and
    // flagged, the case does not move, and the notifier makes the ruling final.
    let client = app.databases.urbanism.client().await;
    let jalali = a_month_ago();
    client
        .batch_execute(&format!(
            "DELETE FROM tbl_eteraz WHERE id_ray = {legacy_id};
             UPDATE tbl_parvandeh_takhalof SET marhaleh = '75' WHERE id_takhalof = 7;
             UPDATE tbl_eblagh SET tarikh_eblagh = '{jalali}' WHERE id_ray = {legacy_id};
             UPDATE tbl_ray SET vaziat = '2' WHERE id_ray = {legacy_id};"
        ))
        .await
        .expect("a month ago");
    let late = app.query_as(&app.citizen(OWNER), object, input).await;
    ok(&late);
    assert_eq!(late["data"]["fileObjection"]["inTime"], false);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM tbl_eteraz WHERE id_ray = {legacy_id} AND dar_mohlat = '0'"
            )
        )
        .await,
        1
    );
    eventually("finality", async || case_status(&app).await == "FINAL").await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM tbl_ray WHERE id_ray = {legacy_id} AND vaziat = '5'")
        )
        .await,
        1
    );
    // Without an e-notice provider, nothing was sent outside; the inbox has the message.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.deliveries WHERE channel <> 'INBOX'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.inbox WHERE national_id = '0076229645'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_citizen_is_alerted_by_sms_and_inbox_when_their_request_changes_state() {
    let fake = fake_provider(None).await;
    let app = with_providers(&fake).await;
    let citizen = app.citizen("1583250689");
    let submitted = app
        .query_as(
            &citizen,
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            json!({ "input": { "serviceCode": "building_permit_new", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    ok(&submitted);
    let tracking = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("code")
        .to_owned();
    let advanced = app
        .query_as(
            &app.staff(9),
            "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }",
            json!({ "code": tracking }),
        )
        .await;
    ok(&advanced);
    eventually("the SMS alert", async || {
        fake.state
            .sms
            .lock()
            .expect("lock")
            .iter()
            .any(|m| m["to"] == "09141112233")
    })
    .await;
    let inbox = app
        .query_as(
            &citizen,
            "{ me { notifications { title body subjectKind } } }",
            json!({}),
        )
        .await;
    let messages = inbox["data"]["me"]["notifications"]
        .as_array()
        .expect("list");
    assert!(
        messages.iter().any(|m| m["subjectKind"] == "request"
            && m["title"].as_str().is_some_and(|t| t.contains(&tracking))),
        "{inbox}"
    );
    // Another citizen's inbox stays empty.
    let other = app
        .query_as(
            &app.citizen(OWNER),
            "{ me { notifications { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(other["data"]["me"]["notifications"], json!([]));
}

/// A month ago, in the Jalali form the legacy tables hold.
fn a_month_ago() -> String {
    let day = (chrono::Utc::now() - chrono::Duration::days(30)).date_naive();
    shahr_domain::jalali::JalaliDate::from_gregorian(day).to_string()
}

/// Moves the recorded service of a ruling a month back, as if its window had passed.
async fn served_a_month_ago(app: &TestApp, legacy_id: i64) {
    let jalali = a_month_ago();
    app.databases
        .urbanism
        .client()
        .await
        .execute(
            &format!("UPDATE tbl_eblagh SET tarikh_eblagh = '{jalali}' WHERE id_ray = {legacy_id}"),
            &[],
        )
        .await
        .expect("served a month ago");
}

/// Issues a fine ruling on case 7, serves it a month ago and waits until it is final.
async fn final_fine(app: &TestApp) -> (String, i64) {
    let (ruling, legacy_id) = issue(app).await;
    let served = app
        .query_as(
            &app.staff(1),
            "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) { firstService } }",
            json!({ "input": { "ruling": ruling, "mode": "AFFIXED", "receiverName": "الصاق در محل",
                               "agent": "مأمور ابلاغ منطقه ۱" } }),
        )
        .await;
    ok(&served);
    served_a_month_ago(app, legacy_id).await;
    eventually("finality", async || case_status(app).await == "FINAL").await;
    (ruling, legacy_id)
}

const PAY: &str = "mutation($input: RecordFinePaymentInput!) { recordFinePayment(input: $input) {
    paid outstanding created payment { amount reference paidOnJalali } ruling { status payments { amount } fineOutstanding } } }";

#[tokio::test]
async fn a_fine_paid_in_instalments_closes_the_case_and_unblocks_the_certificate() {
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let (ruling, _) = final_fine(&app).await;
    let staff = app.staff(1);

    // The owner asks for a no-violation certificate (enabled in district 1 for this test).
    app.databases
        .citizen
        .client()
        .await
        .execute(
            "INSERT INTO shahr.service_districts (service_code, district) VALUES ('no_violation_certificate', 1)",
            &[],
        )
        .await
        .expect("enabled");
    let submitted = app
        .query_as(
            &app.citizen(OWNER),
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            json!({ "input": { "serviceCode": "no_violation_certificate", "renovationCode": "1-2-45-28-666-0-0" } }),
        )
        .await;
    ok(&submitted);
    let tracking = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("code")
        .to_owned();
    let advance = "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }";
    for _ in 0..2 {
        ok(&app
            .query_as(&staff, advance, json!({ "code": tracking }))
            .await);
    }
    let blocked = app
        .query_as(&staff, advance, json!({ "code": tracking }))
        .await;
    assert_eq!(code(&blocked), "CONFLICT", "{blocked}");
    assert!(blocked["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("1276500000")));
    let parcel = "{ parcel(renovationCode: \"1-2-45-28-666-0-0\") { unpaidFines } }";
    let owed = app.query_as(&staff, parcel, json!({})).await;
    assert_eq!(owed["data"]["parcel"]["unpaidFines"], "1276500000");

    // The first instalment starts enforcement; a repeated reference changes nothing; more
    // than what is owed is refused; the rest closes the case.
    let first = app
        .query_as(
            &staff,
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "500000000", "reference": "BANK-1" } }),
        )
        .await;
    ok(&first);
    let f = &first["data"]["recordFinePayment"];
    assert_eq!(f["outstanding"], "776500000");
    assert_eq!(f["created"], true);
    assert_eq!(case_status(&app).await, "ENFORCEMENT");
    let again = app
        .query_as(
            &staff,
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "500000000", "reference": "BANK-1" } }),
        )
        .await;
    ok(&again);
    assert_eq!(again["data"]["recordFinePayment"]["created"], false);
    assert_eq!(
        again["data"]["recordFinePayment"]["ruling"]["payments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let too_much = app
        .query_as(
            &staff,
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "800000000", "reference": "BANK-2" } }),
        )
        .await;
    assert_eq!(
        too_much["errors"][0]["extensions"]["field"], "input.amount",
        "{too_much}"
    );
    let by_citizen = app
        .query_as(
            &app.citizen(OWNER),
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "1", "reference": "X" } }),
        )
        .await;
    assert_eq!(code(&by_citizen), "FORBIDDEN");
    let rest = app
        .query_as(
            &staff,
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "776500000", "reference": "BANK-2" } }),
        )
        .await;
    ok(&rest);
    let r = &rest["data"]["recordFinePayment"];
    assert_eq!(r["outstanding"], "0");
    assert_eq!(r["ruling"]["status"], "ENFORCED");
    assert_eq!(r["ruling"]["fineOutstanding"], "0");
    assert_eq!(case_status(&app).await, "CLOSED");
    let owed = app.query_as(&staff, parcel, json!({})).await;
    assert!(owed["data"]["parcel"]["unpaidFines"].is_null(), "{owed}");

    // Now the certificate can be issued.
    let issued = app
        .query_as(&staff, advance, json!({ "code": tracking }))
        .await;
    ok(&issued);
    assert_eq!(
        issued["data"]["advanceServiceRequest"]["request"]["state"],
        "ISSUED"
    );
}

#[tokio::test]
async fn an_unpaid_final_fine_goes_back_to_the_commission() {
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let (ruling, _) = final_fine(&app).await;
    let refer =
        "mutation($input: RulingInput!) { referForNonPayment(input: $input) { caseStatus } }";
    let by_other_district = app
        .query_as(
            &app.staff(9),
            refer,
            json!({ "input": { "ruling": ruling } }),
        )
        .await;
    assert_eq!(code(&by_other_district), "NOT_FOUND");
    let referred = app
        .query_as(
            &app.staff(1),
            refer,
            json!({ "input": { "ruling": ruling } }),
        )
        .await;
    ok(&referred);
    assert_eq!(
        referred["data"]["referForNonPayment"]["caseStatus"],
        "REFERRED"
    );
}

#[tokio::test]
async fn a_final_demolition_ruling_gives_the_owner_until_the_demolition_deadline() {
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let s = Session::new(&app);
    // Referral, hearing, defence and session as usual; the commission orders demolition.
    s.signed_draft().await;
    let session = count(&app, "SELECT max(id) FROM shahr.commission_sessions").await;
    let drafted = s
        .draft(
            &s.secretary,
            json!({ "session": gid("CommissionSession", session), "case": gid("ViolationCase", 7),
                    "kind": "DEMOLITION", "breachedPrinciple": "URBAN_PLANNING",
                    "text": "قلع بنای طبقه چهارم.", "legalBasis": "تبصره ۱ ماده ۱۰۰" }),
        )
        .await;
    ok(&drafted);
    let draft = drafted["data"]["draftRuling"]["draft"]["id"]
        .as_str()
        .expect("draft")
        .to_owned();
    for member in ["0012345679", "0023456787", "0034567895"] {
        ok(&s.sign(&s.member(1, member), &draft).await);
    }
    let issued = s.issue(&s.secretary, &draft, "demolition").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let legacy_id = count(
        &app,
        "SELECT max(id_ray)::int8 FROM tbl_ray WHERE id_takhalof = 7",
    )
    .await;
    let query = "query($id: ID!) { ruling(id: $id) { demolitionDeadline } }";
    let before = app
        .query_as(&app.auditor(), query, json!({ "id": ruling }))
        .await;
    assert!(
        before["data"]["ruling"]["demolitionDeadline"].is_null(),
        "not final yet"
    );
    let served = app
        .query_as(
            &app.staff(1),
            "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) { firstService } }",
            json!({ "input": { "ruling": ruling, "mode": "IN_PERSON", "receiverName": "علی احمدی", "agent": "مأمور" } }),
        )
        .await;
    ok(&served);
    served_a_month_ago(&app, legacy_id).await;
    eventually("finality", async || case_status(&app).await == "FINAL").await;
    let after = app
        .query_as(&app.auditor(), query, json!({ "id": ruling }))
        .await;
    let today = (chrono::Utc::now() + chrono::Duration::minutes(210)).date_naive();
    let expected = shahr_domain::deadlines::deadline(today, 60, &Default::default());
    assert_eq!(
        after["data"]["ruling"]["demolitionDeadline"],
        expected.to_string()
    );
}
