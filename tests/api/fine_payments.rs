//! Paying a final Article 100 fine online: the owner pays the whole outstanding or the city's
//! next instalment through the bank (a real local server speaking Behpardakht's protocol), the
//! money goes on the ruling once by the bank's reference, enforcement starts, and the case
//! closes when the fine is paid in full.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    flow::{case_status, code, count, eventually, ok, ruling_served_days_ago, Session, OWNER},
    helpers::{bank::Bank, TestApp},
    payments::{bank_settings, callback},
};

async fn app_with(bank: &Bank) -> TestApp {
    app_reconciling_after(bank, Duration::from_millis(300)).await
}

async fn app_reconciling_after(bank: &Bank, idle: Duration) -> TestApp {
    TestApp::builder()
        .configure(bank_settings(bank))
        .configure(move |c| {
            c.notify_poll_interval = Duration::from_millis(100);
            c.payment_reconcile_after = idle;
        })
        .spawn()
        .await
}

const START: &str = "mutation($ruling: ID!, $part: Boolean, $key: String) {
    startPayment(input: { ruling: $ruling, fineInstalment: $part, idempotencyKey: $key }) {
      payment { orderId amount state purpose rulingNumber rulingId trackingCode } } }";

async fn start(app: &TestApp, token: &str, ruling: &str, instalment: bool, key: &str) -> Value {
    app.query_as(
        token,
        START,
        json!({ "ruling": ruling, "part": instalment, "key": key }),
    )
    .await
}

fn order_of(body: &Value) -> i64 {
    body["data"]["startPayment"]["payment"]["orderId"]
        .as_str()
        .and_then(|o| o.parse().ok())
        .unwrap_or_else(|| panic!("{body}"))
}

const RULING: &str = "query($id: ID!) { ruling(id: $id) { status fineOutstanding fineNextInstalment
    payments { amount reference } onlinePayments { state amount purpose } } }";

async fn ruling_seen(app: &TestApp, token: &str, ruling: &str) -> Value {
    let body = app.query_as(token, RULING, json!({ "id": ruling })).await;
    ok(&body);
    body["data"]["ruling"].clone()
}

/// Money on the ruling (the urbanism system) and succeeded payments (the citizen store).
async fn recorded(app: &TestApp, legacy_id: i64) -> (i64, i64) {
    let on_ruling = count(
        app,
        &format!("SELECT count(*) FROM shahr.fine_payments WHERE legacy_ruling_id = {legacy_id}"),
    )
    .await;
    let succeeded: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM shahr.payments WHERE ruling_id = $1 AND state = 'SUCCEEDED'",
            &[&i32::try_from(legacy_id).expect("id")],
        )
        .await
        .expect("count")
        .get(0);
    (on_ruling, succeeded)
}

#[tokio::test]
async fn an_owner_pays_a_final_fine_online_in_instalments_and_the_case_closes_when_it_is_paid() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    let owner = app.citizen(OWNER);

    // Not final yet: nothing to pay, and nothing is started at the bank.
    let early = start(&app, &owner, &ruling, false, "early").await;
    assert_eq!(code(&early), "CONFLICT", "{early}");
    assert!(early["errors"][0]["extensions"]["messageFa"].is_string());
    assert_eq!(bank.count("bpPayRequest"), 0);

    ok(&s.serve_ruling(&ruling).await);
    ruling_served_days_ago(&app, legacy_id, 30).await;
    eventually("finality", async || case_status(&app, 7).await == "FINAL").await;

    // Only an owner pays online: staff are told so, anyone else finds no such ruling.
    let staff = start(&app, &app.staff(1), &ruling, false, "staff").await;
    assert_eq!(code(&staff), "FORBIDDEN", "{staff}");
    let stranger = start(&app, &app.citizen("3974017844"), &ruling, false, "x").await;
    assert_eq!(code(&stranger), "NOT_FOUND", "{stranger}");

    // The city's plan: twelve instalments of at least 5,000,000 rials; the amount is the
    // municipality's, shown before and charged the same.
    let before = ruling_seen(&app, &owner, &ruling).await;
    assert_eq!(before["fineOutstanding"], "1897500000");
    assert_eq!(before["fineNextInstalment"], "158125000");
    let first = start(&app, &owner, &ruling, true, "instalment-1").await;
    let payment = &first["data"]["startPayment"]["payment"];
    assert_eq!(payment["amount"], "158125000", "{first}");
    assert_eq!(payment["purpose"], "FINE");
    assert_eq!(payment["rulingId"], ruling.as_str());
    assert!(payment["rulingNumber"].is_string());
    assert_eq!(payment["trackingCode"], Value::Null);
    let order = order_of(&first);
    assert_eq!(bank.books().orders[&order].amount, 158_125_000);

    let fields = bank.pay(order);
    let (outcome, page) = callback(&app, &fields).await;
    assert_eq!(outcome, "paid", "{page}");
    assert!(page.contains("جریمه رأی"), "{page}");
    assert_eq!(case_status(&app, 7).await, "ENFORCEMENT");
    let after = ruling_seen(&app, &owner, &ruling).await;
    assert_eq!(after["fineOutstanding"], "1739375000");
    let reference = format!(
        "behpardakht:{}",
        bank.books().orders[&order]
            .sale_reference
            .expect("sale reference")
    );
    assert_eq!(
        after["payments"],
        json!([{ "amount": "158125000", "reference": reference }])
    );
    assert_eq!(
        after["onlinePayments"],
        json!([{ "state": "SUCCEEDED", "amount": "158125000", "purpose": "FINE" }])
    );
    // Replayed: the first outcome stands; nothing is settled or recorded again.
    let (outcome, _) = callback(&app, &fields).await;
    assert_eq!(outcome, "paid");
    assert_eq!(recorded(&app, legacy_id).await, (1, 1));
    assert_eq!(bank.count("bpSettleRequest"), 1);

    // The rest: a first attempt left on the bank's page is replaced by the owner's next one.
    let abandoned = order_of(&start(&app, &owner, &ruling, false, "rest-1").await);
    let rest = start(&app, &owner, &ruling, false, "rest-2").await;
    assert_eq!(
        rest["data"]["startPayment"]["payment"]["amount"],
        "1739375000"
    );
    let rest = order_of(&rest);
    assert_ne!(rest, abandoned);
    let late = bank.pay(abandoned);
    let (outcome, _) = callback(&app, &late).await;
    assert_eq!(outcome, "failed", "the replaced attempt is never verified");
    let (outcome, page) = callback(&app, &bank.pay(rest)).await;
    assert_eq!(outcome, "paid", "{page}");
    assert_eq!(case_status(&app, 7).await, "CLOSED");
    let closed = ruling_seen(&app, &owner, &ruling).await;
    assert_eq!(closed["status"], "ENFORCED");
    assert_eq!(closed["fineOutstanding"], "0");
    assert_eq!(closed["fineNextInstalment"], Value::Null);
    assert_eq!(recorded(&app, legacy_id).await, (2, 2));
    assert_eq!(bank.count("bpSettleRequest"), 2);

    // Paid in full: nothing more can be started.
    let more = start(&app, &owner, &ruling, false, "more").await;
    assert_eq!(code(&more), "CONFLICT", "{more}");
    // The owner's payments list the fine's, with the ruling's number.
    let mine = app
        .query_as(
            &owner,
            "{ me { payments { purpose state amount } } }",
            json!({}),
        )
        .await;
    let states: Vec<(String, String)> = mine["data"]["me"]["payments"]
        .as_array()
        .unwrap_or_else(|| panic!("{mine}"))
        .iter()
        .map(|p| {
            (
                p["purpose"].as_str().unwrap_or_default().to_owned(),
                p["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("FINE", "SUCCEEDED"),
            ("FINE", "FAILED"),
            ("FINE", "SUCCEEDED")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let events: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM shahr.outbox WHERE topic = 'payment.succeeded'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(events, 2);
}

#[tokio::test]
async fn a_fine_paid_at_the_bank_while_the_owner_was_paying_online_gives_the_online_money_back() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    ok(&s.serve_ruling(&ruling).await);
    ruling_served_days_ago(&app, legacy_id, 30).await;
    eventually("finality", async || case_status(&app, 7).await == "FINAL").await;
    let owner = app.citizen(OWNER);
    let order = order_of(&start(&app, &owner, &ruling, false, "whole").await);
    // Meanwhile staff record the whole fine paid at a bank branch.
    ok(&app
        .query_as(
            &app.staff(1),
            "mutation($input: RecordFinePaymentInput!) { recordFinePayment(input: $input) { created } }",
            json!({ "input": { "ruling": ruling, "amount": "1897500000", "reference": "BRANCH-7" } }),
        )
        .await);
    let (outcome, page) = callback(&app, &bank.pay(order)).await;
    assert_eq!(outcome, "reversed", "{page}");
    assert!(page.contains("برگشت داده شد"), "{page}");
    assert_eq!(bank.count("bpReversalRequest"), 1);
    assert_eq!(bank.count("bpSettleRequest"), 0);
    assert_eq!(
        recorded(&app, legacy_id).await,
        (1, 0),
        "only the branch's payment"
    );
    let seen = ruling_seen(&app, &owner, &ruling).await;
    assert_eq!(
        seen["onlinePayments"],
        json!([{ "state": "REVERSED", "amount": "1897500000", "purpose": "FINE" }])
    );
}

#[tokio::test]
async fn a_fine_payment_recorded_on_the_ruling_but_not_yet_marked_paid_is_finished_once_by_reconciliation(
) {
    let bank = Bank::start().await;
    bank.books().hang_verify = 1;
    // Idle long enough for the test to play the earlier pass before reconciliation looks.
    let app = app_reconciling_after(&bank, Duration::from_secs(2)).await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("issue").await;
    ok(&s.serve_ruling(&ruling).await);
    ruling_served_days_ago(&app, legacy_id, 30).await;
    eventually("finality", async || case_status(&app, 7).await == "FINAL").await;
    let owner = app.citizen(OWNER);
    let order = order_of(&start(&app, &owner, &ruling, true, "slow").await);
    let (outcome, page) = callback(&app, &bank.pay(order)).await;
    assert_eq!(outcome, "pending", "not known yet: {page}");
    // As if an earlier pass had recorded the money on the ruling and stopped before marking
    // the payment paid: the reference is there already.
    let sale = bank.books().orders[&order]
        .sale_reference
        .expect("sale reference");
    crate::flow::sql(
        &app,
        &format!(
            "INSERT INTO shahr.fine_payments (legacy_ruling_id, amount_rials, paid_on, reference, recorded_by) \
             VALUES ({legacy_id}, 158125000, current_date, 'behpardakht:{sale}', 'system:payment:behpardakht')"
        ),
    )
    .await;
    eventually("reconciliation", async || {
        recorded(&app, legacy_id).await == (1, 1)
    })
    .await;
    assert_eq!(bank.count("bpReversalRequest"), 0, "recorded money is kept");
    assert_eq!(bank.count("bpSettleRequest"), 1);
    let seen = ruling_seen(&app, &owner, &ruling).await;
    assert_eq!(seen["fineOutstanding"], "1739375000");
    assert_eq!(
        seen["onlinePayments"],
        json!([{ "state": "SUCCEEDED", "amount": "158125000", "purpose": "FINE" }])
    );
}
