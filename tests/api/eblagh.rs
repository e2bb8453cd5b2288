//! Serving rulings and summonses (eblagh) and what follows: the judicial e-notice and SMS
//! providers are real local HTTP servers; each party's own service and window, objections in
//! time and late, several in time joining one appeal, finality when the last window closes.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{Request, Route};
use serde_json::{json, Value};
use shahr_gateway::config::Secret;

use crate::{
    flow::{
        case_status, code, count, eventually, last_day, ok, ruling_served_days_ago, today, Session,
        OWNER,
    },
    helpers::TestApp,
};

/// A fake provider: the judicial e-notice service and an SMS gateway on one server. It
/// answers an e-notice with a delivery receipt at once; it may hold the first SMS longer
/// than the gateway waits; it sends each id once, like the real providers.
#[derive(Default)]
pub(crate) struct FakeState {
    pub(crate) notices: Mutex<Vec<Value>>,
    pub(crate) sms: Mutex<Vec<Value>>,
    sent_sms: Mutex<HashSet<String>>,
    hold_first_sms: Mutex<Option<Duration>>,
}

pub(crate) struct Fake {
    pub(crate) url: String,
    pub(crate) state: Arc<FakeState>,
}

pub(crate) async fn fake_provider(hold_first_sms: Option<Duration>) -> Fake {
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
    Fake {
        url: crate::helpers::serve_upstream(app).await,
        state,
    }
}

pub(crate) async fn with_providers(fake: &Fake) -> TestApp {
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

/// The notices sent about rulings (summonses are sent too).
fn ruling_notices(fake: &Fake) -> Vec<Value> {
    fake.state
        .notices
        .lock()
        .expect("lock")
        .iter()
        .filter(|n| n["id"].as_str().is_some_and(|id| id.starts_with("ruling-")))
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_issued_ruling_is_served_by_e_notice_and_the_receipt_opens_the_owners_own_window() {
    let fake = fake_provider(None).await;
    let app = with_providers(&fake).await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;

    eventually("legal service by e-notice", async || {
        case_status(&app, 7).await == "OBJECTION_WINDOW"
    })
    .await;
    let notices = ruling_notices(&fake);
    assert_eq!(
        notices.len(),
        1,
        "one owner with an e-notice account: {notices:?}"
    );
    assert_eq!(notices[0]["nationalId"], OWNER);
    assert_eq!(
        notices[0]["id"],
        format!("ruling-{legacy_id}-{OWNER}-e_notice")
    );
    assert!(
        fake.state
            .notices
            .lock()
            .expect("lock")
            .iter()
            .any(|n| n["id"].as_str().is_some_and(|i| i.starts_with("summons-"))),
        "the owner was summoned by e-notice too"
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
            "query($id: ID!) { ruling(id: $id) { status objectionDeadline
               parties { id kind servedOn deadline needsServiceByHand }
               notifications { mode isLegalService receiverNationalId } } }",
            json!({ "id": ruling }),
        )
        .await;
    let r = &body["data"]["ruling"];
    assert_eq!(r["status"], "NOTIFIED", "{body}");
    assert_eq!(r["notifications"][0]["mode"], "ELECTRONIC");
    let expected = last_day(today(), 10);
    assert_eq!(
        r["objectionDeadline"],
        expected.to_string(),
        "CPC 443: ten days, neither the day of service nor of the act"
    );
    let owner = r["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["kind"] == "NATURAL_PERSON")
        .expect("owner")
        .clone();
    assert_eq!(owner["deadline"], expected.to_string());
    let municipality = r["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["kind"] == "MUNICIPALITY")
        .expect("municipality")
        .clone();
    assert_eq!(
        municipality["servedOn"],
        today().to_string(),
        "served when the ruling entered its system"
    );

    eventually("the SMS", async || {
        fake.state
            .sms
            .lock()
            .expect("lock")
            .iter()
            .any(|m| m["id"].as_str().is_some_and(|i| i.starts_with("ruling-")))
    })
    .await;
    let sms = fake.state.sms.lock().expect("lock").clone();
    assert!(sms.iter().all(|m| m["to"] == "09121234567"));
    assert!(sms.iter().all(|m| m["text"]
        .as_str()
        .is_some_and(|t| t.contains("ابلاغ قانونی نیست"))));
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
    let s = Session::new(&app);
    let (_, legacy_id) = s.issued_fine("issue").await;
    let send_id = format!("ruling-{legacy_id}-{OWNER}-sms");
    eventually("the SMS after a retry", async || {
        count(&app, &format!("SELECT count(*) FROM shahr.deliveries WHERE send_id = '{send_id}' AND status = 'SENT'")).await == 1
    })
    .await;
    let requests: Vec<Value> = fake.state.sms.lock().expect("lock").clone();
    let for_ruling: Vec<&Value> = requests
        .iter()
        .filter(|r| r["id"] == send_id.as_str())
        .collect();
    assert!(
        requests
            .iter()
            .filter(|r| r["id"].as_str().is_some_and(|i| i.starts_with("summons-")))
            .count()
            + for_ruling.len()
            >= 2,
        "a call timed out and was retried: {requests:?}"
    );
    assert_eq!(
        fake.state
            .sent_sms
            .lock()
            .expect("lock")
            .iter()
            .filter(|i| i.as_str() == send_id)
            .count(),
        1,
        "one message reached the phone"
    );
}

const OBJECT: &str = "mutation($input: FileObjectionInput!) { fileObjection(input: $input) {
    objector partyId inTime joinedAppeal deadline deadlineJalali receivedOn ruling { status } } }";

#[tokio::test]
async fn each_party_objects_in_its_own_window_a_second_objection_joins_the_appeal_and_late_ones_are_flagged(
) {
    // No providers: owners get the inbox; staff serve by hand.
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    let staff = app.staff(1);
    let record = "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) {
        partyId servedOn objectionDeadline firstService ruling { status } } }";
    let serve = |served_at: Option<String>| {
        json!({ "ruling": ruling, "mode": "IN_PERSON", "receiverName": "علی احمدی",
                "receiverNationalId": OWNER, "agent": "مأمور ابلاغ منطقه ۱", "servedAt": served_at })
    };
    let early = app
        .query_as(
            &staff,
            record,
            json!({ "input": serve(Some("2020-01-01T10:00:00+03:30".into())) }),
        )
        .await;
    assert_eq!(
        early["errors"][0]["extensions"]["field"], "input.servedAt",
        "{early}"
    );
    let by_citizen = app
        .query_as(&app.citizen(OWNER), record, json!({ "input": serve(None) }))
        .await;
    assert_eq!(code(&by_citizen), "FORBIDDEN");
    let served = app
        .query_as(&staff, record, json!({ "input": serve(None) }))
        .await;
    ok(&served);
    let sv = &served["data"]["recordNotification"];
    assert_eq!(sv["partyId"], format!("nid:{OWNER}"));
    assert_eq!(sv["firstService"], true);
    assert_eq!(sv["objectionDeadline"], last_day(today(), 10).to_string());
    assert_eq!(case_status(&app, 7).await, "OBJECTION_WINDOW");

    // Another citizen cannot object; the owner objects in time: appeal.
    let input =
        json!({ "input": { "ruling": ruling, "statement": "مساحت اندازه‌گیری شده نادرست است." } });
    assert_eq!(
        code(
            &app.query_as(&app.citizen("1583250689"), OBJECT, input.clone())
                .await
        ),
        "NOT_FOUND"
    );
    let objected = app
        .query_as(&app.citizen(OWNER), OBJECT, input.clone())
        .await;
    ok(&objected);
    let o = &objected["data"]["fileObjection"];
    assert_eq!(
        (
            o["inTime"].as_bool(),
            o["objector"].as_str(),
            o["joinedAppeal"].as_bool()
        ),
        (Some(true), Some("OWNER"), Some(false))
    );
    assert_eq!(case_status(&app, 7).await, "APPEALED");
    // An online objection is received when filed: only staff enter a paper letter's date.
    let backdated = app
        .query_as(
            &app.citizen(OWNER),
            OBJECT,
            json!({ "input": { "ruling": ruling, "statement": "x", "receivedOn": "2026-01-01" } }),
        )
        .await;
    assert_eq!(
        backdated["errors"][0]["extensions"]["field"],
        "input.receivedOn"
    );

    // The municipality objects too, in its own window: recorded, joining the same appeal
    // (it used to roll back and be lost).
    let municipality_input = json!({ "input": { "ruling": ruling,
        "statement": "جریمه کمتر از حد قانونی است.", "idempotencyKey": "municipality-objection" } });
    let municipality = app
        .query_as(&staff, OBJECT, municipality_input.clone())
        .await;
    ok(&municipality);
    // A retry with its key answers the same and records nothing again.
    let retried = app.query_as(&staff, OBJECT, municipality_input).await;
    assert_eq!(
        retried["data"]["fileObjection"]["receivedOn"],
        municipality["data"]["fileObjection"]["receivedOn"]
    );
    assert_eq!(
        retried["data"]["fileObjection"]["joinedAppeal"], true,
        "{retried}"
    );
    assert_eq!(
        crate::flow::count(
            &app,
            "SELECT count(*) FROM shahr.objections WHERE party = 'municipality' AND case_id = 7"
        )
        .await,
        1,
        "recorded once"
    );
    let m = &municipality["data"]["fileObjection"];
    assert_eq!(
        (
            m["objector"].as_str(),
            m["inTime"].as_bool(),
            m["joinedAppeal"].as_bool()
        ),
        (Some("MUNICIPALITY"), Some(true), Some(true))
    );
    assert_eq!(case_status(&app, 7).await, "APPEALED");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM tbl_eteraz WHERE id_ray = {legacy_id} AND dar_mohlat = '1'"
            )
        )
        .await,
        2
    );

    // A paper letter received within the window but keyed in after it is in time: the
    // receipt date decides. Start again with the services a month back.
    ruling_served_days_ago(&app, legacy_id, 30).await;
    let letter = app
        .query_as(
            &staff,
            OBJECT,
            json!({ "input": { "ruling": ruling, "statement": "نامه مالک", "onBehalfOf": format!("nid:{OWNER}"),
                               "receivedOn": (today() - chrono::Duration::days(25)).to_string() } }),
        )
        .await;
    ok(&letter);
    assert_eq!(letter["data"]["fileObjection"]["inTime"], true, "{letter}");
    let late = app
        .query_as(&staff, OBJECT, json!({ "input": { "ruling": ruling, "statement": "نامه دیرهنگام", "onBehalfOf": format!("nid:{OWNER}") } }))
        .await;
    ok(&late);
    assert_eq!(
        late["data"]["fileObjection"]["inTime"], false,
        "received a month after service: late"
    );
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
}

#[tokio::test]
async fn a_ruling_is_final_only_after_the_last_partys_window_and_then_its_case_moves_on() {
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    ok(&s.serve_ruling(&ruling).await);
    // The owner's window closed long ago, the municipality's only today: not final.
    crate::flow::sql(
        &app,
        &format!(
            "UPDATE tbl_eblagh SET tarikh_eblagh = '{}' WHERE id_ray = {legacy_id}",
            crate::flow::jalali_days_ago(30)
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        case_status(&app, 7).await,
        "OBJECTION_WINDOW",
        "the municipality may still object"
    );
    ruling_served_days_ago(&app, legacy_id, 30).await;
    eventually("finality", async || case_status(&app, 7).await == "FINAL").await;
    let body = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { ruling(id: $id) { status finalOn } }",
            json!({ "id": ruling }),
        )
        .await;
    assert_eq!(body["data"]["ruling"]["status"], "FINAL");
    let served = today() - chrono::Duration::days(30);
    assert_eq!(
        body["data"]["ruling"]["finalOn"],
        (last_day(served, 10) + chrono::Duration::days(1)).to_string(),
        "final the day after the last window's last day"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM tbl_ray WHERE id_ray = {legacy_id} AND vaziat = '5'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.deliveries WHERE channel <> 'INBOX'"
        )
        .await,
        0,
        "no provider, nothing sent out"
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
