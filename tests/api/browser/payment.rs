//! A citizen pays a fee in the browser: the app posts the redirect form to the bank's page,
//! the citizen presses pay, the bank sends the browser back to the gateway, and the page says
//! the payment was recorded; the request has moved on.

use std::time::Duration;

use serde_json::json;

use super::Browser;
use crate::{
    helpers::bank::Bank,
    payments::{app_with, payable_request, START},
    requests::CITIZEN_B,
};

#[tokio::test]
async fn a_citizen_pays_on_the_banks_page_and_comes_back_to_the_receipt() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let code = payable_request(&app).await;
    let started = app
        .query_as(
            &app.citizen(CITIZEN_B),
            START,
            json!({ "code": code, "key": "browser" }),
        )
        .await;
    let redirect = &started["data"]["startPayment"]["redirect"];
    let fields: String = redirect["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{started}"))
        .iter()
        .map(|f| {
            format!(
                "<input type=hidden name={} value={}>",
                f["name"].as_str().unwrap_or_default(),
                f["value"].as_str().unwrap_or_default()
            )
        })
        .collect();
    // What a citizen app does with `redirect`: an HTML form posted to the bank.
    let app_page = format!(
        "<!doctype html><meta charset=utf-8><form id=go method={} action={}>{fields}</form>\
         <script>document.getElementById('go').submit()</script>",
        redirect["method"].as_str().unwrap_or("POST"),
        redirect["url"].as_str().unwrap_or_default()
    );
    let mut browser = Browser::launch().await;
    browser
        .call(
            "Page.navigate",
            json!({ "url": format!("data:text/html;charset=utf-8,{}", crate::payments::encode(&app_page)) }),
        )
        .await;
    browser
        .until(
            "document.getElementById('pay') !== null",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        browser
            .eval("document.getElementById('amount').textContent")
            .await,
        "مبلغ: 29000000 ریال",
        "the bank shows the fee due"
    );
    browser.screenshot("payment-bank.png").await;
    browser
        .eval("setTimeout(() => document.getElementById('pay').click(), 50); true")
        .await;
    browser
        .until(
            "document.querySelector('.payment-outcome') !== null",
            Duration::from_secs(15),
        )
        .await;
    let receipt = browser
        .eval("document.querySelector('.payment-outcome').textContent")
        .await;
    let receipt = receipt.as_str().unwrap_or_default().to_owned();
    if !receipt.contains("پرداخت انجام و ثبت شد") {
        let seen = app
            .query_as(
                &app.citizen(CITIZEN_B),
                "query($code: String!) { serviceRequest(trackingCode: $code) { state payments { state failure } } }",
                json!({ "code": code }),
            )
            .await;
        panic!("{receipt}: {seen} calls: {:?}", bank.books().calls);
    }
    assert!(
        receipt.contains(&code),
        "the receipt names the request: {receipt}"
    );
    assert!(receipt.contains("۲۹٬۰۰۰٬۰۰۰ ریال"), "{receipt}");
    assert!(receipt.contains("شماره مرجع"), "{receipt}");
    let layout = browser
        .eval("document.fonts.ready.then(() => { const r = document.querySelector('.page').getBoundingClientRect(); return { left: r.left, right: r.right, inner: window.innerWidth, scrollX: window.scrollX, qr: document.querySelector('.receipt .qr svg').getBoundingClientRect().width }; })")
        .await;
    let page = &layout;
    assert!(
        page["left"].as_f64().unwrap_or(-1.0) >= 0.0
            && page["right"].as_f64().unwrap_or(f64::MAX) <= page["inner"].as_f64().unwrap_or(0.0)
            && page["qr"].as_f64().unwrap_or(0.0) > 100.0,
        "the receipt fits the window with its QR code: {layout}"
    );
    browser.screenshot_viewport("payment-receipt.png").await;

    let state = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { state payments { state reference failure } } }",
            json!({ "code": code }),
        )
        .await;
    assert_eq!(state["data"]["serviceRequest"]["state"], "PAID", "{state}");
    assert_eq!(
        state["data"]["serviceRequest"]["payments"][0]["state"],
        "SUCCEEDED"
    );
    let problems: Vec<String> = browser
        .problems()
        .into_iter()
        // The data: page has no icon to fetch; nothing else may fail.
        .filter(|p| !p.contains("favicon"))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}
