//! The dadnameh in the browser: its letterhead, Persian arithmetic, seal and QR code, a saved
//! copy that shows the same, the verification page's seal, and the A4 PDF the gateway prints.

use base64::Engine;
use serde_json::{json, Value};

use super::{chromium, output_dir, Browser};
use crate::{
    flow::{ok, Session, OWNER},
    helpers::TestApp,
};

#[tokio::test]
async fn a_dadnameh_renders_in_headless_chromium_without_errors() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "browser").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let body = app
        .query_as(
            &app.citizen(OWNER),
            "query($id: ID!) { ruling(id: $id) { documentUrl } }",
            json!({ "id": ruling }),
        )
        .await;
    let url = body["data"]["ruling"]["documentUrl"]
        .as_str()
        .expect("url")
        .to_owned();

    let mut browser = Browser::launch().await;
    browser.call("Page.navigate", json!({ "url": url })).await;
    browser.wait_for("Page.loadEventFired").await;
    let fonts = browser
        .call(
            "Runtime.evaluate",
            json!({ "expression": "document.fonts.ready.then(() => document.fonts.check('16px Vazirmatn') && [...document.fonts].some(f => f.family.includes('Vazirmatn') && f.status === 'loaded'))", "awaitPromise": true, "returnByValue": true }),
        )
        .await;
    assert_eq!(
        fonts["result"]["value"], true,
        "the Persian font loaded: {fonts}"
    );
    let layout = browser
        .call(
            "Runtime.evaluate",
            json!({ "expression": "({dir: getComputedStyle(document.body).direction, kroki: document.querySelector('.kroki svg').getBoundingClientRect().width, qr: document.querySelector('.qr svg') !== null})", "returnByValue": true }),
        )
        .await;
    assert_eq!(layout["result"]["value"]["dir"], "rtl");
    assert!(
        layout["result"]["value"]["kroki"].as_f64().unwrap_or(0.0) > 100.0,
        "{layout}"
    );
    assert_eq!(layout["result"]["value"]["qr"], true);

    let parts = browser
        .eval(
            "({emblem: document.querySelector('.letterhead img').naturalWidth, \
              opening: document.querySelector('.opening').textContent, \
              totals: document.querySelectorAll('.total-row').length, \
              fineLines: document.querySelectorAll('.fine-line').length, \
              arithmetic: [...document.querySelectorAll('.arithmetic')].map(e => e.textContent), \
              seal: document.querySelector('.seal-box svg.seal')?.outerHTML ?? null})",
        )
        .await;
    assert!(
        parts["emblem"].as_f64().unwrap_or(0.0) > 0.0,
        "the emblem shows: {parts}"
    );
    assert_eq!(parts["opening"], "بسمه تعالی");
    assert_eq!(parts["totals"], 1, "one total row: {parts}");
    assert_eq!(parts["fineLines"], 2, "one line per fined item: {parts}");
    for line in parts["arithmetic"].as_array().expect("lines") {
        let line = line.as_str().expect("text");
        assert!(
            !line.chars().any(|c| c.is_ascii_digit())
                && line.contains("مترمربع")
                && line.contains("ریال"),
            "the arithmetic is Persian, with Persian digits and units: {line}"
        );
    }
    let seal_on_document = parts["seal"]
        .as_str()
        .expect("a seal on the document")
        .to_owned();
    browser.screenshot("dadnameh.png").await;
    let pdf = browser
        .call(
            "Page.printToPDF",
            json!({ "printBackground": true, "preferCSSPageSize": true }),
        )
        .await;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().expect("pdf"))
        .expect("base64");
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(output_dir().join("dadnameh.pdf"), &pdf).expect("pdf saved");
    let problems = browser.problems();
    assert!(
        problems.is_empty(),
        "console errors or failed requests: {problems:#?}"
    );

    // A saved copy shows the same on its own: fonts and images are in the file.
    let html = browser
        .eval("'<!doctype html>' + document.documentElement.outerHTML")
        .await;
    let saved = tempfile::tempdir().expect("dir");
    let file = saved.path().join("dadnameh.html");
    std::fs::write(&file, html.as_str().expect("html")).expect("saved");
    browser.events.clear();
    browser
        .call(
            "Page.navigate",
            json!({ "url": format!("file://{}", file.display()) }),
        )
        .await;
    browser.wait_for("Page.loadEventFired").await;
    let offline = browser
        .eval(
            "document.fonts.ready.then(() => ({font: [...document.fonts].some(f => f.family.includes('Vazirmatn') && f.status === 'loaded'), \
              emblem: document.querySelector('.letterhead img').naturalWidth, \
              paths: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') ?? e.getAttribute('href')).filter(u => u.startsWith('/'))}))",
        )
        .await;
    assert_eq!(
        offline["font"], true,
        "the saved copy has its font: {offline}"
    );
    assert!(offline["emblem"].as_f64().unwrap_or(0.0) > 0.0, "{offline}");
    assert_eq!(
        offline["paths"],
        json!([]),
        "no server paths in the saved copy"
    );
    browser.screenshot("dadnameh-saved-copy.png").await;
    let problems = browser.problems();
    assert!(
        problems.is_empty(),
        "the saved copy loads cleanly: {problems:#?}"
    );

    // The verification page draws the same seal from the signed record.
    let code = issued["data"]["issueRuling"]["verificationCode"]
        .as_str()
        .expect("code");
    browser.events.clear();
    browser
        .call(
            "Page.navigate",
            json!({ "url": app.url(&format!("/verify/{code}")) }),
        )
        .await;
    browser.wait_for("Page.loadEventFired").await;
    let verified = browser
        .eval("({seal: document.querySelector('svg.seal')?.outerHTML ?? null, verdict: document.querySelector('.v').textContent})")
        .await;
    assert_eq!(verified["verdict"], "معتبر");
    assert_eq!(
        verified["seal"].as_str(),
        Some(seal_on_document.as_str()),
        "the verification page draws the document's seal"
    );
    browser.screenshot("verify.png").await;
}

#[tokio::test]
async fn the_dadnameh_is_also_served_as_a_pdf_printed_by_chromium() {
    let app = TestApp::builder()
        .configure(|c| c.chromium_path = Some(chromium()))
        .spawn()
        .await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "pdf").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let body = app
        .query_as(
            &app.citizen(OWNER),
            "query($id: ID!) { ruling(id: $id) { documentUrl } }",
            json!({ "id": ruling }),
        )
        .await;
    let url = format!(
        "{}&format=pdf",
        body["data"]["ruling"]["documentUrl"].as_str().expect("url")
    );
    let response = app.client.get(&url).send().await.expect("pdf");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let bytes = response.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF"));
    let file = output_dir().join("dadnameh-printed.pdf");
    std::fs::write(&file, &bytes).expect("pdf saved");

    // A4 paper, every page.
    let info = poppler(
        "pdfinfo",
        &["-f", "1", "-l", "99", file.to_str().expect("path")],
    );
    let sizes: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .collect();
    assert!(!sizes.is_empty(), "{info}");
    for size in &sizes {
        assert!(size.contains("(A4)"), "A4 paper: {size}");
    }
    // The text of each page: the total once, and the code, the verification address and the
    // seal's fingerprint together on one page.
    let pages: Vec<String> = (1..=sizes.len())
        .map(|n| {
            let n = n.to_string();
            poppler(
                "pdftotext",
                &["-f", &n, "-l", &n, file.to_str().expect("path"), "-"],
            )
        })
        .collect();
    let code = issued["data"]["issueRuling"]["verificationCode"]
        .as_str()
        .expect("code");
    let totals: usize = pages.iter().map(|p| p.matches("جمع جریمه").count()).sum();
    assert_eq!(totals, 1, "one total row in the PDF: {pages:#?}");
    let with_code: Vec<&String> = pages.iter().filter(|p| p.contains(code)).collect();
    assert_eq!(with_code.len(), 1, "{pages:#?}");
    let page = with_code[0];
    assert!(page.contains(&format!("/verify/{code}")), "{page}");
    // The members' signatures are on that page too.
    assert!(
        page.contains("اعضای کمیسیون") && page.matches("امضای الکترونیک").count() == 3,
        "signatures, QR code, code and seal on one page: {page}"
    );
    let fingerprint = page
        .split_whitespace()
        // pdftotext wraps runs in bidi marks.
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .find(|w| {
            w.len() == 9
                && w.as_bytes()[4] == b'-'
                && w.chars()
                    .filter(|c| *c != '-')
                    .all(|c| c.is_ascii_hexdigit())
        })
        .unwrap_or_else(|| panic!("the seal's fingerprint is on the code's page: {page}"));
    let verified: Value = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    assert_eq!(
        verified["seal"], fingerprint,
        "the printed seal is the verified one"
    );
}

/// Runs a poppler tool (`pdfinfo`, `pdftotext`; `.ci/run` installs `poppler-utils`).
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} runs (apt-get install poppler-utils, as .ci/run does): {e}")
        });
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
