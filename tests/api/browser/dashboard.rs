//! The live dashboard in the browser, on a desktop and on a 390 px phone.

use std::time::Duration;

use serde_json::json;

use super::Browser;
use crate::{
    flow::{ok, Session},
    helpers::TestApp,
};

#[tokio::test]
async fn the_dashboard_shows_a_ruling_issued_through_the_api_within_a_second_and_resumes_by_cursor()
{
    let app = TestApp::spawn().await;
    let token = app.auditor();
    let mut browser = Browser::launch().await;
    let page = app.url("/dashboard");
    browser.call("Page.navigate", json!({ "url": page })).await;
    browser.wait_for("Page.loadEventFired").await;

    // The development login form.
    browser
        .until(
            "!document.getElementById('login').hidden",
            Duration::from_secs(5),
        )
        .await;
    browser
        .eval(&format!(
            "document.getElementById('token').value = {}; \
             document.getElementById('login-form').requestSubmit(); true",
            json!(token)
        ))
        .await;
    browser
        .until(
            "document.getElementById('status').dataset.state === 'live' \
             && document.getElementById('k-month').textContent !== '–'",
            Duration::from_secs(10),
        )
        .await;
    let layout = browser
        .eval("({ dir: getComputedStyle(document.body).direction, lang: document.documentElement.lang, \
                 font: document.fonts.check('16px Vazirmatn'), today: document.getElementById('today').textContent })")
        .await;
    assert_eq!(layout["dir"], "rtl");
    assert_eq!(layout["lang"], "fa");
    assert!(
        layout["today"].as_str().is_some_and(|t| t.contains('۱')),
        "a Jalali date in Persian digits: {layout}"
    );

    // A ruling issued through the API appears in the feed within a second.
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    ok(&s.issue(&s.secretary, &draft, "dashboard").await);
    let took = browser
        .until(
            "[...document.querySelectorAll('#feed li .what')].some(e => e.textContent.includes('۱/۰۵/۰۰۰۱'))",
            Duration::from_secs(1),
        )
        .await;
    eprintln!("the feed showed the ruling {took:?} after issueRuling answered");
    browser
        .until(
            "document.getElementById('k-today').textContent === '۱'",
            Duration::from_secs(5),
        )
        .await;
    // The figures follow: District 1 has this month's ruling.
    browser
        .until(
            "document.getElementById('chart-district').textContent.includes('۱')",
            Duration::from_secs(10),
        )
        .await;
    browser.screenshot("dashboard.png").await;

    // Away from the page, a ruling event is written; back on it, the feed resumes from its
    // cursor and shows it (there was no subscription when it happened).
    browser
        .call("Page.navigate", json!({ "url": "about:blank" }))
        .await;
    // The dashboard is gone (its socket with it) before anything is written.
    browser
        .until("location.href === 'about:blank'", Duration::from_secs(5))
        .await;
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            &format!(
                "INSERT INTO shahr.outbox (topic, payload) VALUES ('ruling.issued', {})",
                crate::samples::ruling_issued_sql("9999", "9", "'9/05/0999'")
            ),
            &[],
        )
        .await
        .expect("an outbox row");
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.call("Page.navigate", json!({ "url": page })).await;
    browser
        .until(
            "[...document.querySelectorAll('#feed li .what')].some(e => e.textContent.includes('۹/۰۵/۰۹۹۹'))",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        browser.eval("document.body.dataset.events").await,
        "1",
        "after the reload, exactly the missed event"
    );

    // Readable on a phone.
    browser
        .call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        )
        .await;
    let overflow = browser
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(overflow, true, "no sideways scrolling on a phone");
    // The trend: the last six months on a phone, months without served rulings as zero
    // columns, labels readable and apart.
    let trend = browser
        .eval(
            "(() => { const cols = [...document.querySelectorAll('.trend .column')].filter(c => c.offsetParent !== null); \
              const labels = cols.map(c => c.querySelector('.month').getBoundingClientRect()); \
              const apart = labels.every((r, i) => i === 0 || r.right <= labels[i - 1].left + 0.5 || r.left >= labels[i - 1].right - 0.5); \
              return { columns: cols.length, zero: cols.filter(c => c.querySelector('.bar-v.zero')).length, apart, \
                       smallest: Math.min(...cols.map(c => parseFloat(getComputedStyle(c.querySelector('.month .name')).fontSize))) }; })()",
        )
        .await;
    assert_eq!(trend["columns"], 6, "{trend}");
    assert!(
        trend["zero"].as_u64().unwrap_or(0) >= 1,
        "months without rulings show zero: {trend}"
    );
    assert_eq!(trend["apart"], true, "month labels do not overlap: {trend}");
    assert!(
        trend["smallest"].as_f64().unwrap_or(0.0) >= 10.0,
        "readable labels: {trend}"
    );
    // Persian digits everywhere on the board, and feed items that name the case and its state.
    let board = browser
        .eval("({ text: document.getElementById('board').innerText, feed: document.getElementById('feed').innerText })")
        .await;
    let text = board["text"].as_str().expect("text");
    assert!(
        !text.chars().any(|c| c.is_ascii_digit()),
        "ASCII digits on the board: {text}"
    );
    let feed = board["feed"].as_str().expect("feed");
    assert!(
        feed.contains("پرونده ۷") && feed.contains("وضعیت پرونده: رأی صادر شد"),
        "{feed}"
    );
    browser.screenshot("dashboard-phone.png").await;

    let problems = browser.problems();
    assert!(
        problems.is_empty(),
        "console errors or failed requests: {problems:#?}"
    );
}
