//! A dadnameh in a real browser: headless Chromium (Debian's `chromium` package, installed by
//! `.ci/run`), driven over the DevTools protocol. It must load without console errors or failed
//! requests, with the Persian font; a screenshot and a PDF go to the test output directory.

use std::{path::PathBuf, process::Stdio, time::Duration};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    flow::{ok, Session, OWNER},
    helpers::TestApp,
};

fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("CHROMIUM") {
        return PathBuf::from(path);
    }
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if std::path::Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "browser tests need Chromium: `apt-get install chromium` (as .ci/run does) or set CHROMIUM"
    );
}

/// The test output directory (`target/tmp/test-output`).
fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-output");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

struct Browser {
    child: tokio::process::Child,
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn launch() -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = tokio::process::Command::new(chromium())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--window-size=1000,1400",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let browser_ws = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("chromium exited before listening");
        })
        .await
        .expect("chromium listens within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let port = browser_ws
            .trim_start_matches("ws://127.0.0.1:")
            .split('/')
            .next()
            .expect("port")
            .to_owned();
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .expect("targets")
            .json()
            .await
            .expect("json");
        let page = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let (ws, _) = tokio_tungstenite::connect_async(page.as_str())
            .await
            .expect("devtools socket");
        let mut browser = Self {
            child,
            ws,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        };
        // Console messages, exceptions, page and network events: what `problems` reads.
        for domain in [
            "Runtime.enable",
            "Log.enable",
            "Page.enable",
            "Network.enable",
        ] {
            browser.call(domain, json!({})).await;
        }
        browser
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.ws
            .send(Message::text(
                json!({ "id": id, "method": method, "params": params }).to_string(),
            ))
            .await
            .expect("send");
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("an answer within 30 s")
                .expect("open")
                .expect("message");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("json");
            if value["id"] == id {
                assert!(value["error"].is_null(), "{method}: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    async fn wait_for(&mut self, event: &str) {
        if self.events.iter().any(|e| e["method"] == event) {
            return;
        }
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("the event within 30 s")
                .expect("open")
                .expect("message");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).expect("json");
                let found = value["method"] == event;
                self.events.push(value);
                if found {
                    return;
                }
            }
        }
    }

    fn problems(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => Some(e["params"].to_string()),
                Some("Runtime.consoleAPICalled") if e["params"]["type"] == "error" => {
                    Some(e["params"].to_string())
                }
                Some("Log.entryAdded") if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"].to_string())
                }
                Some("Network.loadingFailed") => Some(e["params"].to_string()),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

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

impl Browser {
    /// Evaluates `expression` in the page and returns its value.
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page, failing after `within`.
    async fn until(&mut self, expression: &str, within: Duration) -> Duration {
        let started = tokio::time::Instant::now();
        loop {
            if self.eval(expression).await == json!(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "not true within {within:?}: {expression}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn screenshot(&mut self, name: &str) {
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("png"))
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(output_dir().join(name), &png).expect("screenshot saved");
    }
}

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
