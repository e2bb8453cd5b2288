//! GraphiQL in the browser: every script and style it needs comes from the gateway.

use std::time::Duration;

use serde_json::json;

use super::Browser;
use crate::helpers::TestApp;

#[tokio::test]
async fn graphiql_runs_a_query_with_every_script_and_style_from_the_gateway_itself() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::launch().await;
    let origin = app.url("");
    let query = "{ districts { number name } }";
    let page = format!(
        "{}?query={}",
        app.url("/graphiql"),
        crate::payments::encode(query)
    );
    browser.call("Page.navigate", json!({ "url": page })).await;
    browser.wait_for("Page.loadEventFired").await;
    browser
        .until(
            "!!document.querySelector('.graphiql-execute-button')",
            Duration::from_secs(15),
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click(); true")
        .await;
    browser
        .until(
            "(document.querySelector('.graphiql-response') || {}).textContent?.includes('\"districts\"')",
            Duration::from_secs(15),
        )
        .await;
    let shown = browser
        .eval("document.querySelector('.graphiql-response').textContent")
        .await;
    assert!(
        shown.as_str().is_some_and(|t| t.contains("منطقه")),
        "the districts' Persian names: {shown}"
    );
    browser.screenshot_viewport("graphiql.png").await;

    // A subscription runs over the gateway's WebSocket.
    let page = format!(
        "{}?query={}",
        app.url("/graphiql"),
        crate::payments::encode("subscription { serverTime }")
    );
    browser.call("Page.navigate", json!({ "url": page })).await;
    browser
        .until(
            "!!document.querySelector('.graphiql-execute-button') \
             && document.querySelector('.graphiql-query-editor').textContent.includes('serverTime')",
            Duration::from_secs(15),
        )
        .await;
    browser
        .eval("document.querySelector('.graphiql-execute-button').click(); true")
        .await;
    browser
        .until(
            "(document.querySelector('.graphiql-response') || {}).textContent?.includes('\"serverTime\"')",
            Duration::from_secs(15),
        )
        .await;

    let requested: Vec<String> = browser
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_owned))
        .collect();
    assert!(requested.len() >= 6, "{requested:?}");
    for url in &requested {
        assert!(
            url.starts_with(origin.trim_end_matches('/')) || url.starts_with("data:"),
            "requested from elsewhere: {url}"
        );
    }
    let problems = browser.problems();
    assert!(problems.is_empty(), "{problems:?}");
}
