//! Carrying out final rulings through the API: fine payments on the ruling that stands,
//! referral back to the same commission for non-payment, demolition by the owner or by the
//! municipality at the owner's cost, and Note 8 certificates checked and issued in one step.

use std::time::Duration;

use serde_json::json;

use crate::{
    flow::{
        case_status, code, count, eventually, field, gid, id_at, last_day, ok,
        ruling_served_days_ago, sql, Session, CASE_7_FINE, COUNCIL, INTERIOR, JUDGE, OWNER,
    },
    helpers::TestApp,
};

async fn app() -> TestApp {
    TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await
}

/// Serves a ruling of case 7 on its owner a month ago and waits until it is final.
async fn final_ruling(app: &TestApp, s: &Session<'_>, ruling: &str, legacy_id: i64) {
    ok(&s.serve_ruling(ruling).await);
    ruling_served_days_ago(app, legacy_id, 30).await;
    eventually("finality", async || case_status(app, 7).await == "FINAL").await;
}

const PAY: &str = "mutation($input: RecordFinePaymentInput!) { recordFinePayment(input: $input) {
    paid outstanding created payment { amount reference paidOnJalali } ruling { status payments { amount } fineOutstanding } } }";

const ADVANCE: &str = "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }";

/// A no-violation certificate request of parcel 1's owner, advanced to just before approval.
async fn certificate_request(app: &TestApp) -> String {
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
    let tracking = id_at(
        &submitted,
        &["data", "submitServiceRequest", "request", "trackingCode"],
    );
    for _ in 0..2 {
        ok(&app
            .query_as(&app.staff(1), ADVANCE, json!({ "code": tracking }))
            .await);
    }
    tracking
}

#[tokio::test]
async fn a_fine_paid_in_instalments_closes_the_case_and_a_certificate_waits_for_every_blocker() {
    let app = app().await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    final_ruling(&app, &s, &ruling, legacy_id).await;
    let staff = app.staff(1);
    let tracking = certificate_request(&app).await;

    // Note 8: the parcel has another open case (sample case 1, a ruling not yet final) and an
    // unpaid final fine.
    let blocked = app
        .query_as(&staff, ADVANCE, json!({ "code": tracking }))
        .await;
    assert_eq!(code(&blocked), "CONFLICT", "{blocked}");
    let message = blocked["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(CASE_7_FINE) && message.contains("case 1"),
        "{message}"
    );
    assert!(blocked["errors"][0]["extensions"]["messageFa"]
        .as_str()
        .is_some_and(|m| m.contains("تبصره ۸")));
    let parcel = "{ parcel(renovationCode: \"1-2-45-28-666-0-0\") { unpaidFines } }";
    assert_eq!(
        app.query_as(&staff, parcel, json!({})).await["data"]["parcel"]["unpaidFines"],
        CASE_7_FINE
    );

    // Instalments: the first starts enforcement, a repeated reference changes nothing, more
    // than what is owed is refused, the rest closes the case.
    let pay = |amount: &str, reference: &str| json!({ "input": { "ruling": ruling, "amount": amount, "reference": reference } });
    let first = app.query_as(&staff, PAY, pay("500000000", "BANK-1")).await;
    ok(&first);
    assert_eq!(
        first["data"]["recordFinePayment"]["outstanding"],
        "1397500000"
    );
    assert_eq!(case_status(&app, 7).await, "ENFORCEMENT");
    let again = app.query_as(&staff, PAY, pay("500000000", "BANK-1")).await;
    assert_eq!(again["data"]["recordFinePayment"]["created"], false);
    let other = app.query_as(&staff, PAY, pay("400000000", "BANK-1")).await;
    assert_eq!(code(&other), "IDEMPOTENCY_KEY_REUSED");
    let too_much = app.query_as(&staff, PAY, pay("1500000000", "BANK-2")).await;
    assert_eq!(field(&too_much), "input.amount", "{too_much}");
    assert_eq!(
        code(&app.query_as(&app.citizen(OWNER), PAY, pay("1", "X")).await),
        "FORBIDDEN"
    );
    let rest = app.query_as(&staff, PAY, pay("1397500000", "BANK-2")).await;
    ok(&rest);
    let r = &rest["data"]["recordFinePayment"];
    assert_eq!(
        (r["outstanding"].as_str(), r["ruling"]["status"].as_str()),
        (Some("0"), Some("ENFORCED"))
    );
    assert_eq!(case_status(&app, 7).await, "CLOSED");
    assert!(
        app.query_as(&staff, parcel, json!({})).await["data"]["parcel"]["unpaidFines"].is_null()
    );

    // Still blocked by the other open case, until the urbanism system closes it.
    let still = app
        .query_as(&staff, ADVANCE, json!({ "code": tracking }))
        .await;
    assert_eq!(code(&still), "CONFLICT", "{still}");
    sql(
        &app,
        "UPDATE tbl_parvandeh_takhalof SET marhaleh = '99' WHERE id_takhalof = 1",
    )
    .await;
    let issued = app
        .query_as(&staff, ADVANCE, json!({ "code": tracking }))
        .await;
    ok(&issued);
    assert_eq!(
        issued["data"]["advanceServiceRequest"]["request"]["state"],
        "ISSUED"
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM shahr.certificates c JOIN tbl_govahi g ON g.id_govahi = c.govahi_id \
                              WHERE c.request_tracking_code = '{tracking}' AND g.noe_govahi = '2'")).await,
        1,
        "the certificate is in the urbanism system"
    );
}

#[tokio::test]
async fn an_unpaid_final_fine_goes_back_to_the_commission_that_imposed_it_and_stays_owed() {
    let app = app().await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    let refer =
        "mutation($input: RulingInput!) { referForNonPayment(input: $input) { caseStatus } }";
    let not_final = app
        .query_as(
            &app.staff(1),
            refer,
            json!({ "input": { "ruling": ruling } }),
        )
        .await;
    assert_eq!(
        code(&not_final),
        "CONFLICT",
        "only a final fine: {not_final}"
    );
    final_ruling(&app, &s, &ruling, legacy_id).await;
    assert_eq!(
        code(
            &app.query_as(
                &app.staff(9),
                refer,
                json!({ "input": { "ruling": ruling } })
            )
            .await
        ),
        "NOT_FOUND"
    );
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
    let parcel = "{ parcel(renovationCode: \"1-2-45-28-666-0-0\") { unpaidFines } }";
    assert_eq!(
        app.query_as(&app.staff(1), parcel, json!({})).await["data"]["parcel"]["unpaidFines"],
        CASE_7_FINE,
        "the debt stays on the parcel after the referral"
    );
    // The hearing goes back to commission 1, not another commission of the district.
    let nine = app.commission_token(
        shahr_gateway::auth::Role::CommissionSecretary,
        9,
        None,
        Some(1),
    );
    let on = (crate::flow::today() + chrono::Duration::days(20)).to_string();
    let elsewhere = app
        .query_as(
            &nine,
            "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { case { status } } }",
            json!({ "input": { "case": gid("ViolationCase", 7), "commission": gid("Commission", 9), "sessionOn": on } }),
        )
        .await;
    assert_eq!(code(&elsewhere), "BAD_USER_INPUT", "{elsewhere}");
    ok(&s.schedule(&s.secretary, 1, 20).await);
}

const ENFORCE: &str = "mutation($input: RecordEnforcementInput!) { recordEnforcement(input: $input) {
    caseStatus enforcement { action actionLabel doneOnJalali officer cost } ruling { status demolitionDeadline enforcements { action } } } }";

#[tokio::test]
async fn a_ruling_deciding_items_differently_is_carried_out_item_by_item_and_then_the_case_closes()
{
    let app = app().await;
    let s = Session::new(&app);
    let session = s.to_session().await;
    let items = s.items().await;
    // A fine for the residential floor, demolition for the parking: one ruling, two outcomes.
    let drafted = s
        .draft(
            &s.secretary,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "FINE",
                    "text": "جریمه مازاد مسکونی و قلع بنای محل پارکینگ.", "breachedPrinciple": "URBAN_PLANNING",
                    "demolitionPeriodDays": 45,
                    "items": [{ "item": items[0], "coefficient": "2" }, { "item": items[1], "outcome": "DEMOLITION" }] }),
        )
        .await;
    ok(&drafted);
    let d = &drafted["data"]["draftRuling"]["draft"];
    assert_eq!(d["items"][0]["outcome"], "FINE");
    assert_eq!(d["items"][1]["outcome"], "DEMOLITION");
    assert_eq!(
        d["fine"], "2760000000",
        "only the fined item: 60 × 2 × 23,000,000"
    );
    assert_eq!(d["demolitionPeriodDays"], 45);
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    s.sign_all(1, [INTERIOR, JUDGE, COUNCIL], &draft).await;
    let issued = s.issue(&s.secretary, &draft, "mixed").await;
    ok(&issued);
    let ruling = id_at(&issued, &["data", "issueRuling", "ruling", "id"]);
    let legacy_id = count(
        &app,
        "SELECT max(id_ray)::int8 FROM tbl_ray WHERE id_takhalof = 7",
    )
    .await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_aqlam_takhalof WHERE id_takhalof = 7 AND noe_hokm IN ('01', '02')").await,
        2,
        "the legacy items show each item's outcome"
    );
    let staff = app.staff(1);
    let demolish = |action: &str, cost: Option<&str>| {
        json!({ "input": { "ruling": ruling, "action": action, "doneOn": crate::flow::today().to_string(),
                           "officer": "بازرس منطقه ۱", "evidence": "گزارش ۱۴۰۵/۱۲۳ و عکس‌ها", "cost": cost } })
    };
    let early = app
        .query_as(&staff, ENFORCE, demolish("DEMOLISHED_BY_OWNER", None))
        .await;
    assert_eq!(code(&early), "CONFLICT", "not final yet: {early}");
    final_ruling(&app, &s, &ruling, legacy_id).await;
    let query =
        "query($id: ID!) { ruling(id: $id) { finalOn demolitionDeadline items { outcome } } }";
    let r = app
        .query_as(&app.auditor(), query, json!({ "id": ruling }))
        .await;
    let final_on: chrono::NaiveDate = r["data"]["ruling"]["finalOn"]
        .as_str()
        .expect("final")
        .parse()
        .expect("date");
    assert_eq!(
        r["data"]["ruling"]["demolitionDeadline"],
        last_day(final_on, 45).to_string(),
        "Note 1: the ruling's own period, counted from finality"
    );
    let restore = app
        .query_as(&staff, ENFORCE, demolish("USE_RESTORED", None))
        .await;
    assert_eq!(
        code(&restore),
        "CONFLICT",
        "no restoration was ordered: {restore}"
    );
    let no_cost = app
        .query_as(
            &staff,
            ENFORCE,
            demolish("DEMOLISHED_BY_MUNICIPALITY", None),
        )
        .await;
    assert_eq!(field(&no_cost), "input.cost", "{no_cost}");
    let done = app
        .query_as(
            &staff,
            ENFORCE,
            demolish("DEMOLISHED_BY_MUNICIPALITY", Some("250000000")),
        )
        .await;
    ok(&done);
    let e = &done["data"]["recordEnforcement"];
    assert_eq!(
        e["enforcement"]["cost"], "250000000",
        "the municipality's cost, a debt of the owner"
    );
    assert_eq!(e["caseStatus"], "ENFORCEMENT", "the fine is still unpaid");
    let twice = app
        .query_as(&staff, ENFORCE, demolish("DEMOLISHED_BY_OWNER", None))
        .await;
    assert_eq!(code(&twice), "CONFLICT");
    let paid = app
        .query_as(
            &staff,
            PAY,
            json!({ "input": { "ruling": ruling, "amount": "2760000000", "reference": "BANK-9" } }),
        )
        .await;
    ok(&paid);
    assert_eq!(
        case_status(&app, 7).await,
        "CLOSED",
        "fine paid and demolition carried out"
    );
}

#[tokio::test]
async fn a_fine_confirmed_on_appeal_is_owed_once_and_never_paid_against_the_replaced_ruling() {
    let app = app().await;
    let s = Session::new(&app);
    let (primary, legacy_id) = s.issued_fine("primary").await;
    ok(&s.serve_ruling(&primary).await);
    let objected = app
        .query_as(
            &app.citizen(OWNER),
            "mutation($input: FileObjectionInput!) { fileObjection(input: $input) { inTime } }",
            json!({ "input": { "ruling": primary, "statement": "اعتراض" } }),
        )
        .await;
    ok(&objected);
    ruling_served_days_ago(&app, legacy_id, 30).await;
    let secretary11 = app.commission_token(
        shahr_gateway::auth::Role::CommissionSecretary,
        11,
        None,
        None,
    );
    let opened = s.open(&secretary11, 11).await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    let items = s.items().await;
    let drafted = s
        .draft(
            &secretary11,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "FINE", "appealOutcome": "CONFIRM",
                    "text": "رأی بدوی تأیید می‌شود.",
                    "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }] }),
        )
        .await;
    ok(&drafted);
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    s.sign_all(11, ["1360001263", "1360001271", "1360001281"], &draft)
        .await;
    let appeal = s
        .run(
            &secretary11,
            "mutation($input: IssueRulingInput!) { issueAppealRuling(input: $input) { ruling { id status } } }",
            json!({ "draft": draft, "idempotencyKey": "appeal" }),
        )
        .await;
    ok(&appeal);
    let appeal_ruling = id_at(&appeal, &["data", "issueAppealRuling", "ruling", "id"]);
    let parcel = "{ parcel(renovationCode: \"1-2-45-28-666-0-0\") { unpaidFines } }";
    assert_eq!(
        app.query_as(&app.staff(1), parcel, json!({})).await["data"]["parcel"]["unpaidFines"],
        CASE_7_FINE,
        "confirmed on appeal: owed once, not twice"
    );
    let on_primary = app
        .query_as(
            &app.staff(1),
            PAY,
            json!({ "input": { "ruling": primary, "amount": "1000", "reference": "B-1" } }),
        )
        .await;
    assert_eq!(
        code(&on_primary),
        "CONFLICT",
        "the appeal ruling is the one that stands: {on_primary}"
    );
    let on_appeal = app
        .query_as(
            &app.staff(1),
            PAY,
            json!({ "input": { "ruling": appeal_ruling, "amount": "1000", "reference": "B-2" } }),
        )
        .await;
    ok(&on_appeal);
}
