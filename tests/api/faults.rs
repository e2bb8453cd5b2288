//! Nothing lost or stuck under load and faults: no code path waits for a second pooled
//! connection while it holds one, and a mutation whose transaction has begun runs to its end.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The owner of parcel 9-1-12-7-301-0-0 in District 9.
const PARCEL_OWNER: &str = "1583250689";

const SUBMIT: &str = "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { created request { trackingCode } } }";

#[tokio::test]
async fn twice_the_pool_of_concurrent_retries_of_one_submission_all_answer_with_one_request() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen(PARCEL_OWNER);
    let input = json!({ "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                        "idempotencyKey": "retry-storm" });
    let tries = 2 * app.config.db_pool_size;
    let answers = futures_util::future::join_all(
        (0..tries).map(|_| app.query_as(&citizen, SUBMIT, json!({ "input": input.clone() }))),
    )
    .await;
    let mut codes = std::collections::BTreeSet::new();
    let mut created = 0;
    for body in &answers {
        assert!(body["errors"].is_null(), "{body}");
        let submitted = &body["data"]["submitServiceRequest"];
        codes.insert(
            submitted["request"]["trackingCode"]
                .as_str()
                .map(str::to_owned),
        );
        created += usize::from(submitted["created"] == Value::Bool(true));
    }
    assert_eq!(codes.len(), 1, "one request: {codes:?}");
    assert_eq!(created, 1);
}

#[tokio::test]
async fn a_pool_full_of_concurrent_submissions_all_go_through() {
    let app = TestApp::builder()
        .configure(|c| c.rate_limits.mutations_per_minute = 1_000)
        .spawn()
        .await;
    let citizen = app.citizen(PARCEL_OWNER);
    let tries = app.config.db_pool_size;
    let answers = futures_util::future::join_all((0..tries).map(|n| {
        app.query_as(
            &citizen,
            SUBMIT,
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                               "idempotencyKey": format!("full-pool-{n}") } }),
        )
    }))
    .await;
    for body in &answers {
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["submitServiceRequest"]["created"], true);
    }
}

#[tokio::test]
async fn a_mutation_that_outlasts_the_request_deadline_commits_and_says_so() {
    let app = TestApp::builder()
        .configure(|c| c.request_timeout = std::time::Duration::from_millis(300))
        .spawn()
        .await;
    let submitted = app
        .query_as(
            &app.citizen(PARCEL_OWNER),
            SUBMIT,
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    let code = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    // Another session holds the request's row, so the move waits inside its transaction
    // well past the 300 ms deadline.
    let mut blocker = app.databases.citizen.client().await;
    let lock = blocker.transaction().await.expect("begin");
    lock.execute(
        "SELECT 1 FROM shahr.requests WHERE tracking_code = $1 FOR UPDATE",
        &[&code],
    )
    .await
    .expect("lock");
    let staff = app.staff(9);
    let moving = app.query_as(
        &staff,
        "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }",
        json!({ "code": code }),
    );
    let release = async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        lock.commit().await.expect("release");
    };
    let (moved, ()) = tokio::join!(moving, release);
    assert!(
        moved["errors"].is_null(),
        "the client hears what happened: {moved}"
    );
    let state = moved["data"]["advanceServiceRequest"]["request"]["state"].clone();
    let stored: String = app
        .databases
        .citizen
        .client()
        .await
        .query_one(
            "SELECT state FROM shahr.requests WHERE tracking_code = $1",
            &[&code],
        )
        .await
        .expect("state")
        .get(0);
    assert_ne!(stored, "SUBMITTED", "the move committed");
    assert!(state.is_string(), "{moved}");
}

#[tokio::test]
async fn a_move_retried_with_its_idempotency_key_is_applied_once() {
    let app = TestApp::spawn().await;
    let submitted = app
        .query_as(
            &app.citizen(PARCEL_OWNER),
            SUBMIT,
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    let code = submitted["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("tracking code")
        .to_owned();
    let staff = app.staff(9);
    let advance = |key: Option<&str>| {
        let mut input = json!({ "trackingCode": code });
        if let Some(key) = key {
            input["idempotencyKey"] = json!(key);
        }
        app.query_as(
            &staff,
            "mutation($input: ServiceRequestMoveInput!) { advanceServiceRequest(input: $input) { request { state } } }",
            json!({ "input": input }),
        )
    };
    // A client that retries at once, four times over.
    let answers = futures_util::future::join_all((0..4).map(|_| advance(Some("move-1")))).await;
    let states: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            assert!(a["errors"].is_null(), "{a}");
            a["data"]["advanceServiceRequest"]["request"]["state"]
                .as_str()
                .expect("state")
                .to_owned()
        })
        .collect();
    assert_eq!(states.len(), 1, "{states:?}");
    let moves: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM shahr.request_history h JOIN shahr.requests r ON r.id = h.request_id \
             WHERE r.tracking_code = $1 AND h.from_state IS NOT NULL",
            &[&code],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(moves, 1, "applied once");
    // Later, the same key again: the same answer, no change.
    let again = advance(Some("move-1")).await;
    assert_eq!(
        again["data"]["advanceServiceRequest"]["request"]["state"].as_str(),
        states.iter().next().map(String::as_str)
    );
    // The key belongs to that move: another mutation or input with it is refused.
    let reused = app
        .query_as(
            &staff,
            "mutation($input: ServiceRequestMoveInput!) { rejectServiceRequest(input: $input) { request { state } } }",
            json!({ "input": { "trackingCode": code, "comment": "ناقص", "idempotencyKey": "move-1" } }),
        )
        .await;
    assert_eq!(
        reused["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{reused}"
    );
}

#[tokio::test]
async fn a_defence_retried_with_its_idempotency_key_is_recorded_once() {
    let app = TestApp::spawn().await;
    let s = crate::flow::Session::new(&app);
    crate::flow::ok(&s.refer(&s.staff).await);
    crate::flow::ok(&s.schedule(&s.secretary, 1, 20).await);
    crate::flow::ok(&s.serve_summons(&s.secretary).await);
    let owner = app.citizen(crate::flow::OWNER);
    let defend = |statement: &str| {
        app.query_as(
            &owner,
            "mutation($input: RecordDefenceInput!) { recordDefence(input: $input) { defence { id statement } } }",
            json!({ "input": { "case": crate::flow::gid("ViolationCase", 7),
                               "statement": statement, "idempotencyKey": "defence-1" } }),
        )
    };
    let (first, second) = tokio::join!(
        defend("طبقه چهارم با مجوز شفاهی ساخته شد."),
        defend("طبقه چهارم با مجوز شفاهی ساخته شد.")
    );
    crate::flow::ok(&first);
    crate::flow::ok(&second);
    assert_eq!(
        first["data"]["recordDefence"]["defence"]["id"],
        second["data"]["recordDefence"]["defence"]["id"]
    );
    let kept = crate::flow::count(
        &app,
        "SELECT count(*) FROM shahr.defences WHERE case_id = 7",
    )
    .await;
    assert_eq!(kept, 1, "recorded once");
    let other = defend("متن دیگر").await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{other}"
    );
}

/// Sends `query` with `input` and the key twice at once (a client retrying before the first
/// answer came back), then once more; all three answer alike.
async fn thrice(app: &TestApp, token: &str, query: &str, mut input: Value, key: &str) -> Value {
    input["idempotencyKey"] = json!(key);
    let vars = json!({ "input": input });
    let (first, second) = tokio::join!(
        app.query_as(token, query, vars.clone()),
        app.query_as(token, query, vars.clone())
    );
    let third = app.query_as(token, query, vars).await;
    crate::flow::ok(&first);
    assert_eq!(first["data"], second["data"], "{query}");
    assert_eq!(first["data"], third["data"], "{query}");
    first
}

#[tokio::test]
async fn every_step_of_a_session_retried_with_its_key_is_applied_once() {
    use crate::flow::{count, gid, id_at, Session};
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let case = gid("ViolationCase", 7);
    thrice(
        &app,
        &s.staff,
        "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber case { status } } }",
        json!({ "case": case }),
        "refer-7",
    )
    .await;
    let on = (crate::flow::today() + chrono::Duration::days(20)).to_string();
    thrice(
        &app,
        &s.secretary,
        "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { hearing { sessionOn } case { status } } }",
        json!({ "case": case, "commission": gid("Commission", 1), "sessionOn": on }),
        "schedule-7",
    )
    .await;
    thrice(
        &app,
        &s.secretary,
        "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) { partyId servedOn firstService } }",
        json!({ "case": case, "service": { "mode": "IN_PERSON", "receiverName": "علی احمدی",
               "receiverNationalId": crate::flow::OWNER, "agent": "مأمور ابلاغ منطقه ۱" } }),
        "summons-7",
    )
    .await;
    crate::flow::hearing_days_ago(&app, 7, 30).await;
    let opened = thrice(
        &app,
        &s.secretary,
        "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
        json!({ "commission": gid("Commission", 1), "cases": [case] }),
        "open-1",
    )
    .await;
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    let items = s.items().await;
    let drafted = thrice(
        &app,
        &s.secretary,
        "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft { id contentHash } } }",
        json!({ "session": session, "case": case, "kind": "FINE", "text": "جریمه",
                "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }] }),
        "draft-7",
    )
    .await;
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);

    for (what, sql, expected) in [
        (
            "one referral",
            "SELECT count(*) FROM shahr.case_events WHERE case_id = 7 AND event = 'Refer'",
            1,
        ),
        (
            "one hearing",
            "SELECT count(*) FROM shahr.hearings WHERE case_id = 7",
            1,
        ),
        (
            "one service",
            "SELECT count(*) FROM shahr.services WHERE case_id = 7 AND document = 'SUMMONS'",
            1,
        ),
        (
            "one sitting",
            "SELECT count(*) FROM shahr.commission_sessions",
            1,
        ),
        (
            "one draft",
            "SELECT count(*) FROM shahr.ruling_drafts WHERE case_id = 7",
            1,
        ),
        (
            "one audit entry per step",
            "SELECT count(*) FROM shahr.audit_log WHERE operation = 'draftRuling'",
            1,
        ),
    ] {
        assert_eq!(count(&app, sql).await, expected, "{what}");
    }
    // The same key for another command is refused, and changes nothing.
    let other = app
        .query_as(
            &s.secretary,
            "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft { id } } }",
            json!({ "input": { "session": session, "case": case, "kind": "FINE", "text": "متن دیگر",
                    "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }],
                    "idempotencyKey": "draft-7" } }),
        )
        .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_REUSED",
        "{other}"
    );
    assert!(!draft.is_empty());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.ruling_drafts WHERE case_id = 7"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_pool_full_of_concurrent_issues_all_go_through() {
    use crate::flow::{gid, id_at, ok, Session, COUNCIL, INTERIOR, JUDGE};
    let app = TestApp::builder()
        .configure(|c| {
            c.db_pool_size = 3;
            c.db_checkout_timeout = std::time::Duration::from_secs(2);
            c.rate_limits.mutations_per_minute = 1_000;
        })
        .spawn()
        .await;
    let s = Session::new(&app);
    // Case 7 and copies of it (the legacy system's rows), one per pooled connection and one more.
    let client = app.databases.urbanism.client().await;
    let copies: Vec<i32> = client
        .query(
            "WITH made AS (
               INSERT INTO tbl_parvandeh_takhalof (id_parvandeh, shomare_parvandeh, marhaleh, manba, tarikh_kashf)
               SELECT id_parvandeh, shomare_parvandeh || '-' || g, marhaleh, manba, tarikh_kashf
               FROM tbl_parvandeh_takhalof, generate_series(1, 3) g WHERE id_takhalof = 7
               RETURNING id_takhalof),
             items AS (
               INSERT INTO tbl_aqlam_takhalof (id_takhalof, tabaghe, band_tabsare, masahat_mojaz, masahat_ejra,
                                               karbari_mojaz, karbari_feli, zarib_k, tedad_parking)
               SELECT made.id_takhalof, q.tabaghe, q.band_tabsare, q.masahat_mojaz, q.masahat_ejra,
                      q.karbari_mojaz, q.karbari_feli, q.zarib_k, q.tedad_parking
               FROM made, tbl_aqlam_takhalof q WHERE q.id_takhalof = 7)
             SELECT id_takhalof FROM made",
            &[],
        )
        .await
        .expect("copies")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let cases: Vec<i32> = std::iter::once(7).chain(copies).collect();
    let on = (crate::flow::today() + chrono::Duration::days(20)).to_string();
    for case in &cases {
        let case = gid("ViolationCase", case);
        ok(&s.run(&s.staff, "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber } }",
            json!({ "case": case })).await);
        ok(&s.run(&s.secretary, "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { earliestSessionOn } }",
            json!({ "case": case, "commission": gid("Commission", 1), "sessionOn": on })).await);
        ok(&s.run(&s.secretary, "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) { servedOn } }",
            json!({ "case": case, "service": { "mode": "IN_PERSON", "receiverName": "علی احمدی",
                    "receiverNationalId": crate::flow::OWNER, "agent": "مأمور ابلاغ منطقه ۱" } })).await);
    }
    for case in &cases {
        crate::flow::hearing_days_ago(&app, *case, 30).await;
    }
    let opened = s
        .run(&s.secretary, "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
            json!({ "commission": gid("Commission", 1), "cases": cases.iter().map(|c| gid("ViolationCase", c)).collect::<Vec<_>>() }))
        .await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    let mut drafts = Vec::new();
    for case in &cases {
        let items: Vec<Value> = client
            .query(
                "SELECT id_qalam FROM tbl_aqlam_takhalof WHERE id_takhalof = $1 ORDER BY id_qalam",
                &[case],
            )
            .await
            .expect("items")
            .iter()
            .map(|r| json!(gid("ViolationItem", r.get::<_, i32>(0))))
            .collect();
        let drafted = s
            .draft(&s.secretary, json!({ "session": session, "case": gid("ViolationCase", case), "kind": "FINE",
                "text": "جریمه", "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }] }))
            .await;
        ok(&drafted);
        let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
        s.sign_all(1, [INTERIOR, JUDGE, COUNCIL], &draft).await;
        drafts.push(draft);
    }

    let keys: Vec<String> = (0..drafts.len())
        .map(|n| format!("full-pool-issue-{n}"))
        .collect();
    let issued = futures_util::future::join_all(
        drafts
            .iter()
            .zip(&keys)
            .map(|(d, key)| s.issue(&s.secretary, d, key)),
    )
    .await;
    for body in &issued {
        ok(body);
    }
    assert_eq!(
        crate::flow::count(&app, "SELECT count(*) FROM shahr.issued_rulings").await,
        cases.len() as i64
    );
}
