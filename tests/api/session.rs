//! Issuing Article 100 rulings in session: referral, hearing and summons, defence, sitting,
//! signatures and the atomic, idempotent, signed issue; appeals and who may act. The case
//! and its people are described in `flow`.

use serde_json::{json, Value};
use shahr_gateway::auth::Role;

use crate::{
    flow::{
        code, count, field, gid, hearing_days_ago, id_at, last_day, ok, ruling_served_days_ago,
        today, Session, CASE_7_FINE, COUNCIL, INTERIOR, JUDGE, MUNICIPAL, OWNER,
    },
    helpers::TestApp,
};

#[tokio::test]
async fn a_case_goes_from_referral_through_summons_defence_session_and_signatures_to_a_signed_ruling(
) {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);

    let referred = s.refer(&s.staff).await;
    ok(&referred);
    let r = &referred["data"]["referCase"];
    assert_eq!(r["case"]["status"], "REFERRED");
    assert!(r["secretariatNumber"]
        .as_str()
        .is_some_and(|n| n.starts_with("D-1-1405-")));
    assert_eq!(r["fineBrief"][0]["note"], "NOTE_2");
    assert_eq!(
        r["fineBrief"][0]["minFine"], "690000000",
        "Note 2: 60 m² × 1/2 × 23,000,000"
    );
    assert_eq!(
        r["fineBrief"][0]["maxFine"], "4140000000",
        "Note 2: 60 m² × 3 × 23,000,000"
    );
    assert_eq!(
        r["fineBrief"][1]["minFine"], "575000000",
        "Note 5: 25 m² × 1 × 23,000,000"
    );
    assert_eq!(r["fineBrief"][1]["maxFine"], "1150000000");

    // A hearing inside the owner's defence window is refused.
    let too_soon = s.schedule(&s.secretary, 1, 5).await;
    assert_eq!(field(&too_soon), "input.sessionOn", "{too_soon}");
    assert!(too_soon["errors"][0]["extensions"]["messageFa"]
        .as_str()
        .is_some_and(|m| m.contains("مهلت دفاعیه")));
    let scheduled = s.schedule(&s.secretary, 1, 20).await;
    ok(&scheduled);
    let h = &scheduled["data"]["scheduleHearing"];
    assert_eq!(h["case"]["status"], "DEFENCE_WINDOW");
    assert_eq!(
        h["earliestSessionOn"],
        (last_day(today(), 10) + chrono::Duration::days(1)).to_string()
    );
    assert_eq!(h["hearing"]["isDefenceWindowOpen"], true);
    assert!(
        h["hearing"]["defenceClosesOn"].is_null(),
        "the window runs from service, not scheduling"
    );
    assert_eq!(h["hearing"]["summoned"][0]["id"], format!("nid:{OWNER}"));
    assert_eq!(h["hearing"]["summoned"][0]["needsServiceByHand"], false);

    // The commission cannot sit before the hearing date, nor before the summons is served.
    let early = s.open(&s.secretary, 1).await;
    assert_eq!(code(&early), "CONFLICT", "{early}");
    assert_eq!(
        early["errors"][0]["extensions"]["currentState"],
        "DEFENCE_WINDOW"
    );

    let served = s.serve_summons(&s.secretary).await;
    ok(&served);
    let sv = &served["data"]["recordSummonsService"];
    assert_eq!(
        sv["defenceDeadline"],
        last_day(today(), 10).to_string(),
        "Note 1: ten days from service"
    );
    assert_eq!(sv["firstService"], true);

    let defended = s.defend(&app.citizen(OWNER)).await;
    ok(&defended);
    assert_eq!(
        defended["data"]["recordDefence"]["defence"]["filedByOwner"],
        true
    );
    assert_eq!(
        defended["data"]["recordDefence"]["defence"]["isLate"],
        false
    );
    let still_early = s.open(&s.secretary, 1).await;
    assert_eq!(
        code(&still_early),
        "CONFLICT",
        "a defence on file does not bring the hearing forward"
    );

    hearing_days_ago(&app, 7, 30).await;
    let opened = s.open(&s.secretary, 1).await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    assert_eq!(
        opened["data"]["openCommissionSession"]["session"]["cases"][0]["status"],
        "IN_SESSION"
    );

    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let d = &drafted["data"]["draftRuling"]["draft"];
    assert_eq!(d["items"][0]["outcome"], "FINE");
    assert_eq!(d["items"][0]["coefficient"], "0.75");
    assert_eq!(
        d["items"][0]["fine"], "1035000000",
        "60 × 0.75 × 23,000,000"
    );
    assert_eq!(d["items"][1]["fine"], "862500000", "25 × 1.5 × 23,000,000");
    assert_eq!(d["fine"], CASE_7_FINE);
    assert!(d["items"][1]["arithmetic"]
        .as_str()
        .is_some_and(|a| a.starts_with("1 spaces × 25 m²")));
    assert!(d["items"][0]["arithmeticFa"]
        .as_str()
        .is_some_and(|a| a.contains("۶۰٫۰۰ مترمربع × ۰٫۷۵")));
    assert_eq!(d["missingSeats"].as_array().map(Vec::len), Some(3));
    let draft = d["id"].as_str().expect("draft").to_owned();

    let early = s.issue(&s.secretary, &draft, "issue-1").await;
    assert_eq!(code(&early), "CONFLICT", "three signatures first: {early}");
    assert_eq!(
        early["errors"][0]["extensions"]["currentState"], "SIGNING",
        "{early}"
    );
    assert_eq!(early["errors"][0]["extensions"]["stateOf"], "RulingDraft");

    // What a member reads before signing; other people see nothing.
    let read = "query($id: ID!) { rulingDraft(id: $id) { text fine contentHash isIssued } }";
    let seen = app
        .query_as(&s.member(1, JUDGE), read, json!({ "id": draft }))
        .await;
    assert_eq!(seen["data"]["rulingDraft"]["fine"], CASE_7_FINE, "{seen}");
    let hidden = app
        .query_as(&app.citizen(OWNER), read, json!({ "id": draft }))
        .await;
    assert!(hidden["data"]["rulingDraft"].is_null(), "{hidden}");

    let municipal = s.sign(&s.member(1, MUNICIPAL), &draft).await;
    assert_eq!(
        code(&municipal),
        "FORBIDDEN",
        "the municipal representative has no vote"
    );
    s.sign_all(1, [INTERIOR, JUDGE, COUNCIL], &draft).await;

    let issued = s.issue(&s.secretary, &draft, "issue-1").await;
    ok(&issued);
    let i = &issued["data"]["issueRuling"];
    assert_eq!(i["created"], true);
    assert_eq!(i["number"], "1/05/0001");
    assert_eq!(i["ruling"]["kind"], "FINE");
    assert_eq!(i["ruling"]["fine"], CASE_7_FINE);
    assert_eq!(i["ruling"]["status"], "ISSUED");
    assert_eq!(i["ruling"]["case"]["status"], "RULING_ISSUED");
    let verification = i["verificationCode"].as_str().expect("code").to_owned();

    // What the legacy system expects, and ours, written together.
    let legacy = format!(
        "SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7 AND shomare_ray = '1/05/0001' \
         AND noe_ray = '02' AND marhaleh_ray = '1' AND mablagh_jarimeh = {CASE_7_FINE}"
    );
    assert_eq!(count(&app, &legacy).await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_aqlam_takhalof WHERE id_takhalof = 7 AND zarib_k IN (0.75, 1.50) AND noe_hokm = '02'").await,
        2,
        "each item's coefficient and outcome are in the legacy items"
    );
    for (sql, n) in [
        ("SELECT count(*) FROM shahr.outbox WHERE topic = 'ruling.issued'", 1),
        ("SELECT count(*) FROM shahr.audit_log WHERE operation = 'issueRuling'", 1),
        ("SELECT count(*) FROM shahr.ruling_states WHERE state = 'ISSUED'", 1),
        ("SELECT count(*) FROM shahr.document_parties WHERE document = 'RULING'", 2),
        ("SELECT count(*) FROM shahr.services WHERE document = 'RULING' AND party = 'municipality'", 1),
    ] {
        assert_eq!(count(&app, sql).await, n, "{sql}");
    }

    // The public page verifies it; a changed byte in the legacy row makes it invalid.
    let verify = |code: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/verify/{code}")))
                .header("accept", "application/json")
                .send()
                .await
                .expect("verify")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let page = verify(verification.clone()).await;
    assert_eq!(page["status"], "valid", "{page}");
    let client = app.databases.urbanism.client().await;
    client
        .execute("UPDATE tbl_ray SET mablagh_jarimeh = mablagh_jarimeh + 1 WHERE shomare_ray = '1/05/0001'", &[])
        .await
        .expect("tamper");
    assert_eq!(verify(verification).await["status"], "invalid");
    for sql in [
        "UPDATE shahr.issued_rulings SET number = 'x'",
        "DELETE FROM shahr.issued_rulings",
    ] {
        assert!(
            client.execute(sql, &[]).await.is_err(),
            "{sql} must be refused"
        );
    }
}

#[tokio::test]
async fn the_same_idempotency_key_twice_and_concurrently_issues_one_ruling_and_another_drafts_key_is_refused(
) {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let not_appeal = s
        .run(
            &s.secretary,
            "mutation($input: IssueRulingInput!) { issueAppealRuling(input: $input) { number } }",
            json!({ "draft": draft, "idempotencyKey": "wrong-door" }),
        )
        .await;
    assert_eq!(field(&not_appeal), "input.draft", "{not_appeal}");
    let (a, b) = tokio::join!(
        s.issue(&s.secretary, &draft, "same-key"),
        s.issue(&s.secretary, &draft, "same-key")
    );
    ok(&a);
    ok(&b);
    let (a, b) = (&a["data"]["issueRuling"], &b["data"]["issueRuling"]);
    assert_eq!(a["number"], b["number"]);
    assert_eq!(a["verificationCode"], b["verificationCode"]);
    let created = [a["created"].as_bool(), b["created"].as_bool()];
    assert_eq!(
        created.iter().filter(|c| **c == Some(true)).count(),
        1,
        "exactly one call created it"
    );
    let again = s.issue(&s.secretary, &draft, "same-key").await;
    ok(&again);
    assert_eq!(again["data"]["issueRuling"]["created"], false);
    let other_key = s.issue(&s.secretary, &draft, "another-key").await;
    assert_eq!(code(&other_key), "CONFLICT", "already issued: {other_key}");
    assert_eq!(
        other_key["errors"][0]["extensions"]["currentState"],
        "ISSUED"
    );
    assert_eq!(
        other_key["errors"][0]["extensions"]["stateOf"],
        "RulingDraft"
    );

    // The same key for another draft answers IDEMPOTENCY_KEY_REUSED, never INTERNAL.
    let other = copy_of_draft(&app).await;
    let reused = s.issue(&s.secretary, &other, "same-key").await;
    assert_eq!(code(&reused), "IDEMPOTENCY_KEY_REUSED", "{reused}");

    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM shahr.issued_rulings").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.outbox WHERE topic = 'ruling.issued'"
        )
        .await,
        1
    );
}

/// Another draft of case 7 (a copy of the first, as a second drafting would leave it).
async fn copy_of_draft(app: &TestApp) -> String {
    let id = count(
        app,
        "INSERT INTO shahr.ruling_drafts (session_id, case_id, content, content_hash, drafted_by) \
         SELECT session_id, case_id, content, content_hash, 'test' FROM shahr.ruling_drafts WHERE id = 1 RETURNING id",
    )
    .await;
    gid("RulingDraft", id)
}

#[tokio::test]
async fn a_failure_midway_through_issue_leaves_no_ruling_no_event_and_no_audit_entry() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    crate::flow::sql(
        &app,
        "CREATE FUNCTION test_fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.topic = 'ruling.issued' THEN RAISE EXCEPTION 'outbox unavailable'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER test_fail_outbox BEFORE INSERT ON shahr.outbox FOR EACH ROW EXECUTE FUNCTION test_fail_outbox();",
    )
    .await;
    let audit_before = count(&app, "SELECT count(*) FROM shahr.audit_log").await;
    let failed = s.issue(&s.secretary, &draft, "k-1").await;
    assert!(!failed["errors"].is_null(), "{failed}");
    for (sql, n) in [
        ("SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7", 0),
        ("SELECT count(*) FROM shahr.issued_rulings", 0),
        ("SELECT count(*) FROM shahr.ruling_states", 0),
        ("SELECT count(*) FROM shahr.document_parties", 1),
        (
            "SELECT count(*) FROM tbl_parvandeh_takhalof WHERE id_takhalof = 7 AND marhaleh = '50'",
            1,
        ),
    ] {
        assert_eq!(count(&app, sql).await, n, "{sql}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM shahr.audit_log").await,
        audit_before
    );

    crate::flow::sql(&app, "DROP TRIGGER test_fail_outbox ON shahr.outbox").await;
    let retried = s.issue(&s.secretary, &draft, "k-1").await;
    ok(&retried);
    assert_eq!(retried["data"]["issueRuling"]["created"], true);
    assert_eq!(
        retried["data"]["issueRuling"]["number"], "1/05/0001",
        "the retry keeps its reserved number"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.audit_log WHERE operation = 'issueRuling'"
        )
        .await,
        1
    );
    let client = app.databases.urbanism.client().await;
    let chain = shahr_store::audit::verify(&client).await.expect("verify");
    assert_eq!(chain.first_broken, None, "the audit chain is intact");
}

#[tokio::test]
async fn an_appeal_waits_for_every_window_goes_to_a_commission_without_the_primary_members_and_is_final_when_issued(
) {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let (ruling, legacy_id) = s.issued_fine("primary").await;
    ok(&s.serve_ruling(&ruling).await);
    let objected = app
        .query_as(
            &app.citizen(OWNER),
            "mutation($input: FileObjectionInput!) { fileObjection(input: $input) { inTime partyId } }",
            json!({ "input": { "ruling": ruling, "statement": "مساحت نادرست است." } }),
        )
        .await;
    ok(&objected);
    assert_eq!(crate::flow::case_status(&app, 7).await, "APPEALED");

    // The municipality's own window (from the ruling's entry into its system) is still open.
    let secretary11 = app.commission_token(Role::CommissionSecretary, 11, None, None);
    let waiting = s.open(&secretary11, 11).await;
    assert_eq!(code(&waiting), "CONFLICT", "{waiting}");
    assert!(waiting["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("municipality")));
    ruling_served_days_ago(&app, legacy_id, 30).await;

    // Appeal commission 12, where the primary judge also sits, may not hear it.
    let secretary12 = app.commission_token(Role::CommissionSecretary, 12, None, None);
    let refused = s.open(&secretary12, 12).await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("primary ruling")));

    let opened = s.open(&secretary11, 11).await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    let no_outcome = s
        .draft(&secretary11, json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL", "text": "رأی" }))
        .await;
    assert_eq!(field(&no_outcome), "input.appealOutcome");
    let drafted = s
        .draft(
            &secretary11,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL",
                    "text": "اعتراض وارد است؛ رأی بدوی نقض می‌شود.", "appealOutcome": "OVERTURN" }),
        )
        .await;
    ok(&drafted);
    let draft11 = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    s.sign_all(11, ["1360001263", "1360001271", "1360001281"], &draft11)
        .await;
    let appeal = s
        .run(
            &secretary11,
            "mutation($input: IssueRulingInput!) { issueAppealRuling(input: $input) { ruling { id stage status finalOn case { status } } } }",
            json!({ "draft": draft11, "idempotencyKey": "appeal" }),
        )
        .await;
    ok(&appeal);
    let a = &appeal["data"]["issueAppealRuling"]["ruling"];
    assert_eq!(a["stage"], "APPEAL");
    assert_eq!(
        a["status"], "FINAL",
        "an appeal ruling is final when issued"
    );
    assert_eq!(a["finalOn"], today().to_string());
    assert_eq!(
        a["case"]["status"], "CLOSED",
        "a final dismissal leaves nothing to enforce"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tbl_ray WHERE shomare_ray = '1/05/0001' AND vaziat = '7'"
        )
        .await,
        1,
        "the legacy primary ruling is marked overturned"
    );
    let superseded = count(
        &app,
        "SELECT count(*) FROM shahr.issued_rulings WHERE supersedes IS NOT NULL",
    )
    .await;
    assert_eq!(superseded, 1);
}

#[tokio::test]
async fn only_the_commissions_own_people_act_and_bad_drafts_name_their_field() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    assert_eq!(
        code(&s.refer(&app.staff(9)).await),
        "NOT_FOUND",
        "staff of another district do not see it"
    );
    assert_eq!(
        code(&s.refer(&s.secretary).await),
        "FORBIDDEN",
        "a secretary does not refer"
    );
    ok(&s.refer(&s.staff).await);
    let other_secretary = app.commission_token(Role::CommissionSecretary, 9, None, Some(1));
    assert_eq!(
        code(&s.schedule(&other_secretary, 1, 20).await),
        "FORBIDDEN"
    );
    let wrong = s.schedule(&other_secretary, 9, 20).await;
    assert_eq!(
        field(&wrong),
        "input.commission",
        "commission 9 does not sit for district 1: {wrong}"
    );
    assert_eq!(
        field(&s.schedule(&s.secretary, 1, -1).await),
        "input.sessionOn"
    );
    ok(&s.schedule(&s.secretary, 1, 20).await);
    assert_eq!(
        code(&s.defend(&app.citizen("1583250689")).await),
        "NOT_FOUND"
    );
    ok(&s.serve_summons(&s.secretary).await);
    let paper = s.defend(&s.secretary).await;
    ok(&paper);
    assert_eq!(
        paper["data"]["recordDefence"]["defence"]["filedByOwner"],
        false
    );
    hearing_days_ago(&app, 7, 30).await;

    assert_eq!(code(&s.open(&other_secretary, 1).await), "FORBIDDEN");
    assert_eq!(code(&s.open(&s.member(1, JUDGE), 1).await), "FORBIDDEN");
    let opened = s.open(&s.secretary, 1).await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);
    let items = s.items().await;
    let by_member = s
        .draft(&s.member(1, JUDGE), json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL", "text": "رأی" }))
        .await;
    assert_eq!(code(&by_member), "FORBIDDEN");

    let fine = |k: Value| {
        json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "FINE", "text": "رأی",
                                  "items": [{ "item": items[0], "coefficient": k }, { "item": items[1], "coefficient": "1" }] })
    };
    for (k, why) in [
        (json!(0.45), "Note 2 is at least 1/2"),
        (json!("3.01"), "Note 2 is at most 3"),
        (
            json!(0.504),
            "0.504 is not 0.50: more than two places is refused, never rounded",
        ),
        (json!("abc"), "not a number"),
    ] {
        let body = s.draft(&s.secretary, fine(k)).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{why}: {body}");
        assert_eq!(field(&body), "input.items[0].coefficient", "{why}");
        assert!(body["errors"][0]["extensions"]["messageFa"].is_string());
    }
    let demolition = s
        .draft(&s.secretary, json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DEMOLITION", "text": "قلع", "demolitionPeriodDays": 45 }))
        .await;
    assert_eq!(field(&demolition), "input.breachedPrinciple");
    let no_period = s
        .draft(
            &s.secretary,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DEMOLITION",
                                     "breachedPrinciple": "URBAN_PLANNING", "text": "قلع" }),
        )
        .await;
    assert_eq!(field(&no_period), "input.demolitionPeriodDays");
    let too_long = s
        .draft(&s.secretary, json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DEMOLITION",
                                     "breachedPrinciple": "URBAN_PLANNING", "text": "قلع", "demolitionPeriodDays": 61 }))
        .await;
    assert_eq!(
        field(&too_long),
        "input.demolitionPeriodDays",
        "at most two months: {too_long}"
    );

    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    assert_eq!(
        code(&s.sign(&s.member(11, "1360001263"), &draft).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&s.issue(&app.citizen(OWNER), &draft, "x").await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn a_step_the_case_is_not_ready_for_is_refused_with_its_current_state() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let body = s
        .run(
            &app.staff(1),
            "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber } }",
            json!({ "case": gid("ViolationCase", 1) }),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["currentState"],
        "RULING_ISSUED"
    );
    let early = s.defend(&app.citizen(OWNER)).await;
    assert_eq!(
        early["errors"][0]["extensions"]["currentState"],
        "EXPERT_REVIEW"
    );
}
