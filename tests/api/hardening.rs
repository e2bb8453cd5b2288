//! Hostile use: what a client may not make the gateway do, and what it may not learn.

use crate::helpers::TestApp;

#[tokio::test]
async fn a_mutation_sent_over_get_to_the_event_stream_is_refused_and_runs_nothing() {
    let app = TestApp::spawn().await;
    let mutation = "mutation { submitServiceRequest(input: { serviceCode: \"land_use_inquiry\", \
                    renovationCode: \"9-1-12-7-301-0-0\" }) { created } }";
    let response = app
        .client
        .get(app.url("/graphql/stream"))
        .query(&[("query", mutation)])
        .header("accept", "text/event-stream")
        .header(
            "authorization",
            format!("Bearer {}", app.citizen("1583250689")),
        )
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let filed: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one("SELECT count(*) FROM shahr.requests", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(filed, 0, "nothing was filed");
}

#[tokio::test]
async fn html_pages_cannot_be_framed_sniffed_or_leak_their_address() {
    let app = TestApp::spawn().await;
    for path in [
        "/verify/NOSUCHCODE2345678901",
        "/dashboard",
        "/documents/rulings/1?exp=1&sig=x",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}: {headers:?}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn a_former_owner_no_longer_reads_the_parcel_through_an_old_request() {
    let app = TestApp::spawn().await;
    let maryam = app.citizen("1583250689");
    let filed = app
        .query_as(
            &maryam,
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            serde_json::json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    let code = filed["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{filed}"))
        .to_owned();
    let read = "query($c: String!) { serviceRequest(trackingCode: $c) { parcel { renovationCode owners { owner { fullName } } } }
                myRequests { edges { node { parcel { renovationCode } } } } }";
    let before = app
        .query_as(&maryam, read, serde_json::json!({ "c": code }))
        .await;
    assert_eq!(
        before["data"]["serviceRequest"]["parcel"]["renovationCode"], "9-1-12-7-301-0-0",
        "{before}"
    );

    // She sells her share: the parcel is no longer hers to read.
    app.databases
        .urbanism
        .client()
        .await
        .batch_execute("DELETE FROM tbl_malekiat WHERE id_parvandeh = 2 AND id_malek = 2")
        .await
        .expect("transfer");
    let after = app
        .query_as(&maryam, read, serde_json::json!({ "c": code }))
        .await;
    assert!(after["errors"].is_null(), "{after}");
    assert!(
        after["data"]["serviceRequest"]["parcel"].is_null(),
        "her request stays hers, the parcel does not: {after}"
    );
    assert!(
        after["data"]["myRequests"]["edges"][0]["node"]["parcel"].is_null(),
        "{after}"
    );
    let staff = app
        .query_as(
            &app.staff(9),
            read.replace("myRequests", "requestQueue(district: 9)")
                .as_str(),
            serde_json::json!({ "c": code }),
        )
        .await;
    assert_eq!(
        staff["data"]["serviceRequest"]["parcel"]["renovationCode"], "9-1-12-7-301-0-0",
        "staff of the district still see it: {staff}"
    );
}

#[tokio::test]
async fn the_owner_filter_is_for_staff_not_an_oracle_for_co_owners_ids() {
    let app = TestApp::spawn().await;
    let q = "query($n: NationalId) { parcels(filter: { ownerNationalId: $n }) { totalCount } }";
    // Reza co-owns parcel 2 with Maryam: the filter must not confirm her national id to him.
    let body = app
        .query_as(
            &app.citizen("3974017844"),
            q,
            serde_json::json!({ "n": "1583250689" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "filter.ownerNationalId",
        "{body}"
    );
    let body = app
        .query_as(&app.staff(9), q, serde_json::json!({ "n": "1583250689" }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        body["data"]["parcels"]["totalCount"].as_i64() >= Some(1),
        "{body}"
    );
}

#[tokio::test]
async fn logs_never_hold_a_national_id_or_a_mobile_number() {
    use std::time::Duration;

    use shahr_gateway::{
        auth::{mint_dev_token, Role},
        config::{Config, Secret, DEFAULT_DEV_JWT_SECRET},
    };

    let databases = crate::helpers::SharedDatabases::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = tempfile::NamedTempFile::new().expect("log file");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shahr-gateway"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SHAHR_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("serve")
        .env("SHAHR_LISTEN", format!("127.0.0.1:{port}"))
        .env("SHAHR_URBANISM_DATABASE_URL", &databases.urbanism.url)
        .env("SHAHR_CITIZEN_DATABASE_URL", &databases.citizen.url)
        .env("SHAHR_LOG_FILTER", "debug,tokio_postgres=info,hyper=info")
        .env("SHAHR_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().expect("log writer"))
        .spawn()
        .expect("shahr-gateway starts");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let token = mint_dev_token(
        &Secret::new(DEFAULT_DEV_JWT_SECRET),
        &Config::default(),
        vec![Role::Auditor],
        None,
        None,
        Duration::from_secs(600),
    )
    .expect("token");
    // Reading every sample owner reads the unreadable ones too (owner 5's id and mobile).
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query":
            "{ parcels(first: 100) { edges { node { owners { owner { fullName nationalId mobile } } } } } }" }))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    assert!(body["errors"].is_null(), "{body}");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid")),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    let text = std::fs::read_to_string(log.path()).expect("the log");
    assert!(
        text.contains("unreadable legacy value"),
        "the unreadable values were read and reported: {text}"
    );
    for personal in [
        "1234567890",  // owner 5's unreadable national id
        "0076229645",  // owner 1's national id
        "1583250689",  // owner 2's
        "3974017844",  // owner 3's
        "10380284790", // the company's legal id
        "9121234567",  // mobiles
        "9141112233",
        "9351234567",
        "9143334455",
    ] {
        assert!(!text.contains(personal), "{personal} appears in the log");
    }
}
