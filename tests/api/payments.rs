//! Paying a request's fee online through Behpardakht Mellat's protocol. The bank is a real
//! local HTTP server speaking the protocol (SOAP pay/verify/settle/inquiry/reversal and the
//! payment page); every case checks that money is recorded exactly once or not at all, and
//! that the citizen is told the truth.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    helpers::{
        bank::{Bank, TERMINAL},
        TestApp,
    },
    request_moves::file,
    requests::CITIZEN_B,
};

/// The gateway's settings for the fake bank: its merchant terminal, short deadlines, one
/// attempt per call, and reconciliation that looks every 200 ms at payments idle for 300 ms.
pub(crate) fn bank_settings(bank: &Bank) -> impl FnOnce(&mut shahr_gateway::config::Config) {
    let url = bank.url.clone();
    move |c| {
        c.payment_base_url = Some(url);
        c.payment_terminal_id = TERMINAL;
        c.payment_user_name = "shahr".into();
        c.payment_password = Some(shahr_gateway::config::Secret::new("secret"));
        c.payment_timeout = Duration::from_millis(800);
        c.payment_attempts = 1;
        c.payment_reconcile_after = Duration::from_millis(300);
        c.payment_reconcile_interval = Duration::from_millis(200);
    }
}

pub(crate) async fn app_with(bank: &Bank) -> TestApp {
    TestApp::builder()
        .configure(bank_settings(bank))
        .spawn()
        .await
}

pub(crate) const START: &str = "mutation($code: String!, $key: String) {
    startPayment(input: { request: $code, idempotencyKey: $key }) {
      payment { id orderId amount state trackingCode }
      redirect { url method fields { name value } } } }";

/// A request of citizen B waiting for its 29,000,000-rial fee.
pub(crate) async fn payable_request(app: &TestApp) -> String {
    let code = file(app, "building_permit_new").await;
    let staff = app.staff(9);
    for _ in 0..3 {
        let body = app
            .query_as(
                &staff,
                "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }",
                json!({ "code": code }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    code
}

pub(crate) async fn start(app: &TestApp, code: &str, key: &str) -> (i64, Value) {
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            START,
            json!({ "code": code, "key": key }),
        )
        .await;
    let order = body["data"]["startPayment"]["payment"]["orderId"]
        .as_str()
        .and_then(|o| o.parse().ok())
        .unwrap_or_else(|| panic!("{body}"));
    (order, body)
}

/// The browser posts the bank's form back to the gateway: the outcome header and the page.
pub(crate) async fn callback(app: &TestApp, fields: &[(String, String)]) -> (String, String) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let response = app
        .client
        .post(app.url("/payments/callback/behpardakht"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://bpm.shaparak.ir")
        .body(body)
        .send()
        .await
        .expect("callback");
    let outcome = response
        .headers()
        .get("x-payment-outcome")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    (outcome, response.text().await.unwrap_or_default())
}

/// Percent-encodes `text` for a form body or a `data:` URL.
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The request's state and its payments' states, as the citizen sees them.
async fn seen(app: &TestApp, code: &str) -> (String, Vec<String>) {
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { state payments { state amount reference } } }",
            json!({ "code": code }),
        )
        .await;
    let r = &body["data"]["serviceRequest"];
    let states = r["payments"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|p| p["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    (r["state"].as_str().unwrap_or_default().to_owned(), states)
}

/// Outbox events of `topic` in the citizen database.
async fn events(app: &TestApp, topic: &str) -> i64 {
    let client = app.databases.citizen.client().await;
    client
        .query_one(
            "SELECT count(*) FROM shahr.outbox WHERE topic = $1",
            &[&topic],
        )
        .await
        .expect("count")
        .get(0)
}

async fn paid_rows(app: &TestApp, code: &str) -> (i64, i64) {
    let client = app.databases.citizen.client().await;
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM shahr.payments p JOIN shahr.requests r ON r.id = p.request_id \
                     WHERE r.tracking_code = $1 AND p.state = 'SUCCEEDED'), \
                    (SELECT count(*) FROM shahr.request_history h JOIN shahr.requests r ON r.id = h.request_id \
                     WHERE r.tracking_code = $1 AND h.to_state = 'PAID')",
            &[&code],
        )
        .await
        .expect("counts");
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn a_citizen_pays_the_fee_due_and_the_request_moves_to_paid_once() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    let (order, started) = start(&app, &code, "pay-1").await;
    let payment = &started["data"]["startPayment"];
    assert_eq!(
        payment["payment"]["amount"], "29000000",
        "the fee due, not a client's amount"
    );
    assert_eq!(payment["payment"]["state"], "PENDING");
    assert_eq!(payment["redirect"]["method"], "POST");
    assert_eq!(
        payment["redirect"]["url"],
        format!("{}/pgwchannel/startpay.mellat", bank.url)
    );
    assert_eq!(payment["redirect"]["fields"][0]["name"], "RefId");
    assert_eq!(bank.books().orders[&order].amount, 29_000_000);
    // A retry with the same key gets the same payment, and the bank no second order.
    let (again, _) = start(&app, &code, "pay-1").await;
    assert_eq!(again, order);
    assert_eq!(bank.count("bpPayRequest"), 1);

    let mut fields = bank.pay(order);
    // The browser's word on the amount is not taken: the order's amount is.
    for (k, v) in &mut fields {
        if k == "FinalAmount" {
            *v = "1".into();
        }
    }
    let (outcome, page) = callback(&app, &fields).await;
    assert_eq!(outcome, "paid", "{page}");
    assert!(page.contains("پرداخت انجام و ثبت شد"), "{page}");
    assert!(
        page.contains("receipt-url") && page.contains("<svg"),
        "the receipt's QR code: {page}"
    );
    // The receipt is public at its code, and says what was paid; a wrong code finds nothing.
    let listed = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { payments { receiptUrl reference } } }",
            json!({ "code": code }),
        )
        .await;
    let receipt_url = listed["data"]["serviceRequest"]["payments"][0]["receiptUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_owned();
    let reference = listed["data"]["serviceRequest"]["payments"][0]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let receipt = app.client.get(&receipt_url).send().await.expect("receipt");
    assert_eq!(receipt.status(), 200, "{receipt_url}");
    let receipt = receipt.text().await.expect("text");
    assert!(receipt.contains("پرداخت معتبر است"), "{receipt}");
    assert!(
        receipt.contains(&shahr_domain::text::persian_digits(&reference)),
        "{receipt}"
    );
    assert!(receipt.contains("۲۹٬۰۰۰٬۰۰۰ ریال"), "{receipt}");
    let forged = app
        .client
        .get(app.url("/receipts/AAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .expect("receipt");
    assert_eq!(forged.status(), 404);
    assert_eq!(
        seen(&app, &code).await,
        ("PAID".into(), vec!["SUCCEEDED".into()])
    );
    assert_eq!(paid_rows(&app, &code).await, (1, 1));
    assert_eq!(
        (bank.count("bpVerifyRequest"), bank.count("bpSettleRequest")),
        (1, 1)
    );

    // Replayed: the first outcome stands; nothing is verified, settled or recorded again.
    let (outcome, _) = callback(&app, &fields).await;
    assert_eq!(outcome, "paid");
    assert_eq!(paid_rows(&app, &code).await, (1, 1));
    assert_eq!(bank.count("bpSettleRequest"), 1);
    // The citizen finds it among their payments.
    let mine = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "{ me { payments { trackingCode state amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["me"]["payments"],
        json!([{ "trackingCode": code, "state": "SUCCEEDED", "amount": "29000000" }]),
        "{mine}"
    );
    let other = app
        .query_as(
            &app.citizen("3974017844"),
            "{ me { payments { state } } }",
            json!({}),
        )
        .await;
    assert_eq!(other["data"]["me"]["payments"], json!([]), "{other}");
    // The receipt reaches the citizen's inbox (written by the notifier).
    let started = tokio::time::Instant::now();
    loop {
        let inbox = app
            .query_as(
                &app.citizen(CITIZEN_B),
                "{ me { notifications(first: 50) { title body } } }",
                json!({}),
            )
            .await;
        if inbox.to_string().contains("رسید پرداخت") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a receipt in the inbox: {inbox}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Starting again is refused: the request is paid.
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            START,
            json!({ "code": code, "key": "pay-2" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "CONFLICT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["currentState"], "PAID");
    assert!(app.metric(r#"shahr_payments_total{outcome="paid"}"#).await >= 1.0);
}

#[tokio::test]
async fn a_cancelled_or_forged_callback_records_nothing_and_says_so() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;

    let (order, _) = start(&app, &code, "cancel").await;
    let (outcome, page) = callback(&app, &bank.cancel(order)).await;
    assert_eq!(outcome, "cancelled", "{page}");
    assert!(page.contains("لغو"), "{page}");
    assert_eq!(bank.count("bpVerifyRequest"), 0);

    // A form naming a sale reference the bank never gave this order: the bank says no.
    let (order, _) = start(&app, &code, "forged").await;
    let mut fields = bank.pay(order);
    for (k, v) in &mut fields {
        if k == "SaleReferenceId" {
            *v = "999".into();
        }
    }
    let (outcome, _) = callback(&app, &fields).await;
    assert_eq!(outcome, "failed");
    // A form with another order's token changes nothing at all.
    let (order, _) = start(&app, &code, "wrong-token").await;
    let mut fields = bank.pay(order);
    for (k, v) in &mut fields {
        if k == "RefId" {
            *v = "RF-NOT-THIS-ONE".into();
        }
    }
    let (outcome, _) = callback(&app, &fields).await;
    assert_eq!(outcome, "failed");
    let (state, payments) = seen(&app, &code).await;
    assert_eq!(state, "FEE_PAYABLE");
    assert_eq!(payments, vec!["FAILED", "FAILED", "PENDING"]);
    assert_eq!(paid_rows(&app, &code).await, (0, 0));
    assert_eq!(bank.count("bpSettleRequest"), 0);
    assert_eq!(
        events(&app, "payment.failed").await,
        2,
        "the cancelled and the refused one"
    );
    assert_eq!(events(&app, "payment.succeeded").await, 0);
    let client = app.databases.citizen.client().await;
    let chain = shahr_store::audit::verify(&client).await.expect("verify");
    assert_eq!(chain.first_broken, None);
}

#[tokio::test]
async fn two_callbacks_at_once_record_the_money_once() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    let (order, _) = start(&app, &code, "twice").await;
    let fields = bank.pay(order);
    let (a, b) = tokio::join!(callback(&app, &fields), callback(&app, &fields));
    let outcomes = [a.0.as_str(), b.0.as_str()];
    assert!(outcomes.contains(&"paid"), "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| *o == "paid" || *o == "pending"),
        "the other is told it is being settled: {outcomes:?}"
    );
    assert_eq!(paid_rows(&app, &code).await, (1, 1));
    assert_eq!(bank.count("bpSettleRequest"), 1);
}

#[tokio::test]
async fn a_second_payment_of_a_paid_request_is_given_back() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    // Two tabs: two payments started before either came back.
    let (first, _) = start(&app, &code, "tab-1").await;
    let (second, _) = start(&app, &code, "tab-2").await;
    let paid_first = bank.pay(first);
    let paid_second = bank.pay(second);
    assert_eq!(callback(&app, &paid_first).await.0, "paid");
    let (outcome, page) = callback(&app, &paid_second).await;
    assert_eq!(outcome, "reversed", "{page}");
    assert!(page.contains("برگشت"), "{page}");
    assert!(
        bank.books().orders[&second].reversed,
        "the bank gave it back"
    );
    assert_eq!(bank.count("bpSettleRequest"), 1);
    assert_eq!(
        seen(&app, &code).await,
        ("PAID".into(), vec!["SUCCEEDED".into(), "REVERSED".into()])
    );
    assert_eq!(paid_rows(&app, &code).await, (1, 1));
}

#[tokio::test]
async fn a_verification_that_times_out_is_settled_by_reconciliation() {
    let bank = Bank::start().await;
    bank.books().hang_verify = 1;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    let (order, _) = start(&app, &code, "slow").await;
    let (outcome, page) = callback(&app, &bank.pay(order)).await;
    assert_eq!(
        outcome, "pending",
        "the citizen is told it is not known yet: {page}"
    );
    assert!(page.contains("هنوز"), "{page}");
    // The reconciliation job asks the bank and records it.
    let started = tokio::time::Instant::now();
    loop {
        if seen(&app, &code).await == ("PAID".into(), vec!["SUCCEEDED".into()]) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "reconciled within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(paid_rows(&app, &code).await, (1, 1));
    assert_eq!(bank.count("bpSettleRequest"), 1);
    assert!(bank.count("bpInquiryRequest") >= 1);
}

#[tokio::test]
async fn with_the_bank_down_nothing_is_recorded_and_the_error_is_clear() {
    let bank = Bank::start().await;
    bank.books().down = true;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            START,
            json!({ "code": code, "key": "down" }),
        )
        .await;
    let err = &body["errors"][0]["extensions"];
    assert_eq!(err["code"], "UPSTREAM_UNAVAILABLE", "{body}");
    assert_eq!(err["upstream"], "payment");
    assert!(err["messageFa"]
        .as_str()
        .is_some_and(|m| m.contains("مبلغی کسر نشده")));
    let (state, payments) = seen(&app, &code).await;
    assert_eq!(state, "FEE_PAYABLE");
    assert_eq!(payments, vec!["FAILED"]);
    assert_eq!(paid_rows(&app, &code).await, (0, 0));
    // Someone else's request, or one with no fee due, cannot be paid.
    let other = app
        .query_as(
            &app.citizen("3974017844"),
            START,
            json!({ "code": code, "key": "x" }),
        )
        .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{other}"
    );
}

#[tokio::test]
async fn a_payment_the_citizen_never_came_back_from_is_failed_after_a_while() {
    let bank = Bank::start().await;
    let url = bank.url.clone();
    let app = TestApp::builder()
        .configure(move |c| {
            c.payment_base_url = Some(url);
            c.payment_terminal_id = TERMINAL;
            c.payment_password = Some(shahr_gateway::config::Secret::new("secret"));
            c.payment_abandon_after = Duration::from_millis(400);
            c.payment_reconcile_interval = Duration::from_millis(200);
        })
        .spawn()
        .await;
    let code = payable_request(&app).await;
    let _ = start(&app, &code, "closed-the-tab").await;
    let started = tokio::time::Instant::now();
    loop {
        let (state, payments) = seen(&app, &code).await;
        if payments == vec!["FAILED".to_owned()] {
            assert_eq!(state, "FEE_PAYABLE", "the request can be paid again");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{payments:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(events(&app, "payment.failed").await, 1);
    assert!(
        app.metric(r#"shahr_payments_total{outcome="failed"}"#)
            .await
            >= 1.0
    );
    // A new payment can start.
    let (_, again) = start(&app, &code, "second-try").await;
    assert_eq!(again["data"]["startPayment"]["payment"]["state"], "PENDING");
}

#[tokio::test]
async fn the_callback_sends_the_browser_back_to_the_app_with_the_outcome() {
    let bank = Bank::start().await;
    let url = bank.url.clone();
    let app = TestApp::builder()
        .configure(move |c| {
            c.payment_base_url = Some(url);
            c.payment_terminal_id = TERMINAL;
            c.payment_password = Some(shahr_gateway::config::Secret::new("secret"));
            c.payment_return_url = Some("https://app.shahr.example/payments/done?from=ipg".into());
        })
        .spawn()
        .await;
    let code = payable_request(&app).await;
    let (order, started) = start(&app, &code, "to-the-app").await;
    let fields = bank.pay(order);
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .post(app.url("/payments/callback/behpardakht"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("callback");
    assert_eq!(response.status(), 303);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let payment = started["data"]["startPayment"]["payment"]["id"]
        .as_str()
        .expect("id");
    assert_eq!(
        location,
        format!("https://app.shahr.example/payments/done?from=ipg&payment={payment}&tracking={code}&outcome=paid")
    );
    // The payment the app is told about is the citizen's to read.
    let node = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($id: ID!) { node(id: $id) { ... on Payment { state amount reference } } }",
            json!({ "id": payment }),
        )
        .await;
    assert_eq!(node["data"]["node"]["state"], "SUCCEEDED", "{node}");
    let stranger = app
        .query_as(
            &app.citizen("3974017844"),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": payment }),
        )
        .await;
    assert_eq!(
        stranger["data"]["node"],
        Value::Null,
        "another citizen sees nothing"
    );
}
