//! Issuing Article 100 rulings in session: referral, hearing, defence, sitting, signatures
//! and the atomic, idempotent, signed issue; appeals and who may act.
//!
//! The sample case 7 is in expert review on parcel 1-2-45-28-666-0-0 (district 1, block 45,
//! owner 0076229645) with two items: 60 m² of residential area beyond the permit (Note 2)
//! and one lost parking space (Note 5). The 1405 transaction value of the block is
//! 23,000,000 rials/m². Commission 1 sits for district 1; its voting members are 0012345679
//! (interior), 0023456787 (judge), 0034567895 (council); 0045678901 is the municipal
//! representative. The judge also sits on appeal commission 12.

use serde_json::{json, Value};
use shahr_gateway::auth::Role;

use crate::helpers::TestApp;

pub(crate) const OWNER: &str = "0076229645";
const INTERIOR: &str = "0012345679";
const JUDGE: &str = "0023456787";
const COUNCIL: &str = "0034567895";
const MUNICIPAL: &str = "0045678901";

pub(crate) fn gid(kind: &str, key: impl std::fmt::Display) -> String {
    shahr_gateway::graphql::node::global_id(kind, key).to_string()
}

pub(crate) fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

pub(crate) fn ok(body: &Value) {
    assert!(body["errors"].is_null(), "unexpected errors: {body}");
}

pub(crate) struct Session<'a> {
    app: &'a TestApp,
    pub(crate) staff: String,
    pub(crate) secretary: String,
}

impl<'a> Session<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            staff: app.staff(1),
            secretary: app.commission_token(Role::CommissionSecretary, 1, None, Some(1)),
        }
    }

    pub(crate) fn member(&self, commission: i32, national_id: &str) -> String {
        self.app
            .commission_token(Role::CommissionMember, commission, Some(national_id), None)
    }

    async fn run(&self, token: &str, query: &str, input: Value) -> Value {
        self.app
            .query_as(token, query, json!({ "input": input }))
            .await
    }

    async fn refer(&self, token: &str) -> Value {
        self.run(
            token,
            "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber
               case { status } fineBrief { note minFine maxFine explanation } } }",
            json!({ "case": gid("ViolationCase", 7) }),
        )
        .await
    }

    async fn schedule(&self, token: &str, commission: i32, days_ahead: i64) -> Value {
        let on = (chrono::Utc::now() + chrono::Duration::days(days_ahead))
            .date_naive()
            .to_string();
        self.run(
            token,
            "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) {
               case { status } hearing { sessionOnJalali defenceClosesOn defenceClosesOnJalali isDefenceWindowOpen } } }",
            json!({ "case": gid("ViolationCase", 7), "commission": gid("Commission", commission), "sessionOn": on }),
        )
        .await
    }

    async fn defend(&self, token: &str) -> Value {
        self.run(
            token,
            "mutation($input: RecordDefenceInput!) { recordDefence(input: $input) { defence { statement filedByOwner isLate } } }",
            json!({ "case": gid("ViolationCase", 7), "statement": "طبقه چهارم با مجوز شفاهی ساخته شد." }),
        )
        .await
    }

    pub(crate) async fn open(&self, token: &str, commission: i32) -> Value {
        self.run(
            token,
            "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) {
               session { id stage cases { status } } } }",
            json!({ "commission": gid("Commission", commission), "cases": [gid("ViolationCase", 7)] }),
        )
        .await
    }

    async fn items(&self) -> Vec<String> {
        let body = self
            .app
            .query_as(
                &self.app.auditor(),
                "query($id: ID!) { violationCase(id: $id) { items { id note } } }",
                json!({ "id": gid("ViolationCase", 7) }),
            )
            .await;
        body["data"]["violationCase"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .collect()
    }

    pub(crate) async fn draft(&self, token: &str, input: Value) -> Value {
        self.run(
            token,
            "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft {
               id kind fine contentHash missingSeats items { note coefficient fine arithmetic } } } }",
            input,
        )
        .await
    }

    async fn fine_draft(&self, session: &str) -> Value {
        let items = self.items().await;
        self.draft(
            &self.secretary,
            json!({
                "session": session, "case": gid("ViolationCase", 7), "kind": "FINE",
                "text": "مالک به پرداخت جریمه مازاد بنا و کسری پارکینگ محکوم می‌شود.",
                "legalBasis": "تبصره ۲ و ۵ ماده ۱۰۰ قانون شهرداری",
                "items": [{ "item": items[0], "coefficient": 0.3 }, { "item": items[1], "coefficient": 1.5 }],
            }),
        )
        .await
    }

    pub(crate) async fn sign(&self, token: &str, draft: &str) -> Value {
        self.run(
            token,
            "mutation($input: SignRulingInput!) { signRuling(input: $input) { draft { missingSeats signatures { seat member { fullName } } } } }",
            json!({ "draft": draft }),
        )
        .await
    }

    pub(crate) async fn issue(&self, token: &str, draft: &str, key: &str) -> Value {
        self.run(
            token,
            "mutation($input: IssueRulingInput!) { issueRuling(input: $input) { number verificationCode created
               ruling { id number kind stage fine status issuedOnJalali verificationCode case { status } } } }",
            json!({ "draft": draft, "idempotencyKey": key }),
        )
        .await
    }

    /// Case 7 referred, scheduled, defended and in session; returns the session id.
    async fn to_session(&self) -> String {
        ok(&self.refer(&self.staff).await);
        ok(&self.schedule(&self.secretary, 1, 20).await);
        ok(&self.defend(&self.app.citizen(OWNER)).await);
        let opened = self.open(&self.secretary, 1).await;
        ok(&opened);
        opened["data"]["openCommissionSession"]["session"]["id"]
            .as_str()
            .expect("session id")
            .to_owned()
    }

    /// A fine draft of case 7 signed by the three voting members of commission 1.
    pub(crate) async fn signed_draft(&self) -> String {
        let session = self.to_session().await;
        let drafted = self.fine_draft(&session).await;
        ok(&drafted);
        let draft = drafted["data"]["draftRuling"]["draft"]["id"]
            .as_str()
            .expect("draft id")
            .to_owned();
        for member in [INTERIOR, JUDGE, COUNCIL] {
            ok(&self.sign(&self.member(1, member), &draft).await);
        }
        draft
    }
}

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    let client = app.databases.urbanism.client().await;
    client.query_one(sql, &[]).await.expect("count").get(0)
}

#[tokio::test]
async fn a_case_goes_from_referral_through_hearing_defence_session_and_signatures_to_a_signed_ruling(
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
        r["fineBrief"][0]["minFine"], "138000000",
        "60 m² × 0.1 × 23,000,000"
    );
    assert_eq!(
        r["fineBrief"][0]["maxFine"], "690000000",
        "60 m² × 0.5 × 23,000,000"
    );
    assert_eq!(
        r["fineBrief"][1]["minFine"], "575000000",
        "25 m² × 1 × 23,000,000"
    );
    assert_eq!(r["fineBrief"][1]["maxFine"], "1150000000");

    let scheduled = s.schedule(&s.secretary, 1, 20).await;
    ok(&scheduled);
    let h = &scheduled["data"]["scheduleHearing"];
    assert_eq!(h["case"]["status"], "DEFENCE_WINDOW");
    assert_eq!(h["hearing"]["isDefenceWindowOpen"], true);

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

    let opened = s.open(&s.secretary, 1).await;
    ok(&opened);
    let session = opened["data"]["openCommissionSession"]["session"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        opened["data"]["openCommissionSession"]["session"]["cases"][0]["status"],
        "IN_SESSION"
    );

    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let d = &drafted["data"]["draftRuling"]["draft"];
    assert_eq!(d["items"][0]["fine"], "414000000", "60 × 0.3 × 23,000,000");
    assert_eq!(d["items"][1]["fine"], "862500000", "25 × 1.5 × 23,000,000");
    assert_eq!(d["fine"], "1276500000");
    assert!(d["items"][1]["arithmetic"]
        .as_str()
        .is_some_and(|a| a.starts_with("1 spaces × 25 m²")));
    assert_eq!(d["missingSeats"].as_array().map(Vec::len), Some(3));
    let draft = d["id"].as_str().expect("draft").to_owned();

    let early = s.issue(&s.secretary, &draft, "issue-1").await;
    assert_eq!(code(&early), "CONFLICT", "three signatures first: {early}");

    // What a member reads before signing; other people see nothing.
    let read = "query($id: ID!) { rulingDraft(id: $id) { text fine contentHash isIssued } }";
    let seen = app
        .query_as(&s.member(1, JUDGE), read, json!({ "id": draft }))
        .await;
    assert_eq!(seen["data"]["rulingDraft"]["fine"], "1276500000", "{seen}");
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
    for member in [INTERIOR, JUDGE] {
        ok(&s.sign(&s.member(1, member), &draft).await);
    }
    let last = s.sign(&s.member(1, COUNCIL), &draft).await;
    ok(&last);
    assert_eq!(
        last["data"]["signRuling"]["draft"]["missingSeats"],
        json!([])
    );

    let issued = s.issue(&s.secretary, &draft, "issue-1").await;
    ok(&issued);
    let i = &issued["data"]["issueRuling"];
    assert_eq!(i["created"], true);
    assert_eq!(i["number"], "1/05/0001");
    assert_eq!(i["ruling"]["kind"], "FINE");
    assert_eq!(i["ruling"]["stage"], "PRIMARY");
    assert_eq!(i["ruling"]["fine"], "1276500000");
    assert_eq!(i["ruling"]["status"], "ISSUED");
    assert_eq!(i["ruling"]["case"]["status"], "RULING_ISSUED");
    let verification = i["verificationCode"].as_str().expect("code").to_owned();
    assert_eq!(i["ruling"]["verificationCode"], verification.as_str());

    // What the legacy system expects, and ours, written together.
    let legacy =
        "SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7 AND shomare_ray = '1/05/0001' \
                  AND noe_ray = '02' AND marhaleh_ray = '1' AND mablagh_jarimeh = 1276500000";
    assert_eq!(count(&app, legacy).await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_aqlam_takhalof WHERE id_takhalof = 7 AND zarib_k IN (0.30, 1.50)").await,
        2,
        "the chosen coefficients are in the legacy items"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.outbox WHERE topic = 'ruling.issued'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.audit_log WHERE operation = 'issueRuling'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.ruling_states WHERE state = 'ISSUED'"
        )
        .await,
        1
    );

    // The public page verifies it; a changed byte in the legacy row makes it invalid.
    let page: Value = app
        .client
        .get(app.url(&format!("/verify/{verification}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    assert_eq!(page["status"], "valid", "{page}");
    assert_eq!(page["number"], "1/05/0001");
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            "UPDATE tbl_ray SET mablagh_jarimeh = 1276500001 WHERE shomare_ray = '1/05/0001'",
            &[],
        )
        .await
        .expect("tamper");
    let page: Value = app
        .client
        .get(app.url(&format!("/verify/{verification}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    assert_eq!(page["status"], "invalid", "{page}");

    // The record cannot be changed or removed.
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
async fn the_same_idempotency_key_twice_and_concurrently_issues_one_ruling() {
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
    assert_eq!(
        not_appeal["errors"][0]["extensions"]["field"], "input.draft",
        "{not_appeal}"
    );
    let (a, b) = tokio::join!(
        s.issue(&s.secretary, &draft, "same-key"),
        s.issue(&s.secretary, &draft, "same-key")
    );
    ok(&a);
    ok(&b);
    let (a, b) = (&a["data"]["issueRuling"], &b["data"]["issueRuling"]);
    assert_eq!(a["number"], b["number"]);
    assert_eq!(a["verificationCode"], b["verificationCode"]);
    assert_eq!(
        [a["created"].as_bool(), b["created"].as_bool()]
            .iter()
            .filter(|c| **c == Some(true))
            .count(),
        1,
        "exactly one call created it"
    );
    let again = s.issue(&s.secretary, &draft, "same-key").await;
    ok(&again);
    assert_eq!(again["data"]["issueRuling"]["created"], false);
    assert_eq!(again["data"]["issueRuling"]["number"], a["number"]);
    let other_key = s.issue(&s.secretary, &draft, "another-key").await;
    assert_eq!(code(&other_key), "CONFLICT", "already issued: {other_key}");

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

#[tokio::test]
async fn a_failure_midway_through_issue_leaves_no_ruling_no_event_and_no_audit_entry() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let client = app.databases.urbanism.client().await;
    client
        .batch_execute(
            "CREATE FUNCTION test_fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.topic = 'ruling.issued' THEN RAISE EXCEPTION 'outbox unavailable'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER test_fail_outbox BEFORE INSERT ON shahr.outbox FOR EACH ROW EXECUTE FUNCTION test_fail_outbox();",
        )
        .await
        .expect("trigger");
    let audit_before = count(&app, "SELECT count(*) FROM shahr.audit_log").await;

    let failed = s.issue(&s.secretary, &draft, "k-1").await;
    assert!(!failed["errors"].is_null(), "{failed}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM shahr.issued_rulings").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM shahr.ruling_states").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM shahr.audit_log").await,
        audit_before
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tbl_parvandeh_takhalof WHERE id_takhalof = 7 AND marhaleh = '50'"
        )
        .await,
        1,
        "the case is still in session"
    );

    client
        .batch_execute("DROP TRIGGER test_fail_outbox ON shahr.outbox")
        .await
        .expect("drop");
    let retried = s.issue(&s.secretary, &draft, "k-1").await;
    ok(&retried);
    assert_eq!(retried["data"]["issueRuling"]["created"], true);
    assert_eq!(
        count(&app, "SELECT count(*) FROM tbl_ray WHERE id_takhalof = 7").await,
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
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM shahr.audit_log WHERE operation = 'issueRuling'"
        )
        .await,
        1
    );
    let chain = shahr_store::audit::verify(&client).await.expect("verify");
    assert_eq!(chain.first_broken, None, "the audit chain is intact");
}

#[tokio::test]
async fn a_member_of_the_primary_ruling_may_not_sit_on_its_appeal_and_an_appeal_supersedes_it() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "primary").await;
    ok(&issued);
    let primary_code = issued["data"]["issueRuling"]["verificationCode"]
        .as_str()
        .expect("code")
        .to_owned();
    // The owner's objection came in time (recorded in the urbanism system).
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            "UPDATE tbl_parvandeh_takhalof SET marhaleh = '80' WHERE id_takhalof = 7",
            &[],
        )
        .await
        .expect("appealed");

    // Appeal commission 12, where the primary judge also sits, may not hear it.
    let secretary12 = app.commission_token(Role::CommissionSecretary, 12, None, None);
    let refused = s.open(&secretary12, 12).await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("primary ruling")));

    // Appeal commission 11, none of whose members sat on the primary ruling.
    let secretary11 = app.commission_token(Role::CommissionSecretary, 11, None, None);
    let opened = s.open(&secretary11, 11).await;
    ok(&opened);
    let session = opened["data"]["openCommissionSession"]["session"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let no_outcome = s
        .draft(
            &secretary11,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL", "text": "رأی" }),
        )
        .await;
    assert_eq!(code(&no_outcome), "BAD_USER_INPUT");
    assert_eq!(
        no_outcome["errors"][0]["extensions"]["field"],
        "input.appealOutcome"
    );
    let drafted = s
        .draft(
            &secretary11,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL",
                    "text": "اعتراض وارد است؛ رأی بدوی نقض می‌شود.", "appealOutcome": "OVERTURN" }),
        )
        .await;
    ok(&drafted);
    let draft11 = drafted["data"]["draftRuling"]["draft"]["id"]
        .as_str()
        .expect("draft")
        .to_owned();
    for member in ["1360001263", "1360001271", "1360001281"] {
        ok(&s.sign(&s.member(11, member), &draft11).await);
    }
    let appeal_issued = s
        .run(
            &secretary11,
            "mutation($input: IssueRulingInput!) { issueAppealRuling(input: $input) { ruling { id stage case { status } } } }",
            json!({ "draft": draft11, "idempotencyKey": "appeal" }),
        )
        .await;
    ok(&appeal_issued);
    let a = &appeal_issued["data"]["issueAppealRuling"]["ruling"];
    assert_eq!(a["stage"], "APPEAL");
    assert_eq!(a["case"]["status"], "APPEAL_RULED");

    // Serving the appeal ruling makes it final.
    let served = s
        .run(
            &app.staff(1),
            "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) { objectionDeadline ruling { status case { status } } } }",
            json!({ "ruling": a["id"], "mode": "IN_PERSON", "receiverName": "علی احمدی", "agent": "مأمور ابلاغ" }),
        )
        .await;
    ok(&served);
    let r = &served["data"]["recordNotification"];
    assert!(
        r["objectionDeadline"].is_null(),
        "an appeal ruling has no objection window"
    );
    assert_eq!(r["ruling"]["status"], "FINAL");
    assert_eq!(r["ruling"]["case"]["status"], "FINAL");

    let page: Value = app
        .client
        .get(app.url(&format!("/verify/{primary_code}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    assert_eq!(page["status"], "superseded", "{page}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM tbl_ray WHERE shomare_ray = '1/05/0001' AND vaziat = '7'"
        )
        .await,
        1,
        "the legacy primary ruling is marked overturned"
    );
}

#[tokio::test]
async fn only_the_commissions_own_secretary_and_members_act_and_a_citizen_files_only_their_own_defence(
) {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    // Staff of another district do not see the case.
    assert_eq!(code(&s.refer(&app.staff(9)).await), "NOT_FOUND");
    // A commission secretary does not refer.
    assert_eq!(code(&s.refer(&s.secretary).await), "FORBIDDEN");
    ok(&s.refer(&s.staff).await);
    // The secretary of commission 9 cannot schedule on commission 1.
    let other_secretary = app.commission_token(Role::CommissionSecretary, 9, None, Some(1));
    assert_eq!(
        code(&s.schedule(&other_secretary, 1, 20).await),
        "FORBIDDEN"
    );
    // Commission 9 does not sit for district 1.
    let nine = app.commission_token(Role::CommissionSecretary, 9, None, Some(1));
    let wrong = s.schedule(&nine, 9, 20).await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(
        wrong["errors"][0]["extensions"]["field"],
        "input.commission"
    );
    let past = s.schedule(&s.secretary, 1, -1).await;
    assert_eq!(
        past["errors"][0]["extensions"]["field"], "input.sessionOn",
        "{past}"
    );
    ok(&s.schedule(&s.secretary, 1, 20).await);

    // Another citizen cannot file the owner's defence; the session cannot open without one
    // while the window runs.
    assert_eq!(
        code(&s.defend(&app.citizen("1583250689")).await),
        "NOT_FOUND"
    );
    let too_early = s.open(&s.secretary, 1).await;
    assert_eq!(code(&too_early), "CONFLICT", "{too_early}");
    assert_eq!(
        too_early["errors"][0]["extensions"]["currentState"],
        "DEFENCE_WINDOW"
    );
    // The secretary files a defence received on paper.
    let paper = s.defend(&s.secretary).await;
    ok(&paper);
    assert_eq!(
        paper["data"]["recordDefence"]["defence"]["filedByOwner"],
        false
    );

    // Only the commission's own secretary opens its session and drafts.
    assert_eq!(code(&s.open(&other_secretary, 1).await), "FORBIDDEN");
    assert_eq!(code(&s.open(&s.member(1, JUDGE), 1).await), "FORBIDDEN");
    let opened = s.open(&s.secretary, 1).await;
    ok(&opened);
    let session = opened["data"]["openCommissionSession"]["session"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let items = s.items().await;
    let by_member = s
        .draft(
            &s.member(1, JUDGE),
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DISMISSAL", "text": "رأی" }),
        )
        .await;
    assert_eq!(code(&by_member), "FORBIDDEN");

    // Bad drafts name their field.
    let out_of_range = s
        .draft(
            &s.secretary,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "FINE", "text": "رأی",
                    "items": [{ "item": items[0], "coefficient": 0.6 }] }),
        )
        .await;
    assert_eq!(code(&out_of_range), "BAD_USER_INPUT");
    assert_eq!(
        out_of_range["errors"][0]["extensions"]["field"],
        "input.items[0].coefficient"
    );
    let demolition = s
        .draft(
            &s.secretary,
            json!({ "session": session, "case": gid("ViolationCase", 7), "kind": "DEMOLITION", "text": "قلع" }),
        )
        .await;
    assert_eq!(
        demolition["errors"][0]["extensions"]["field"],
        "input.breachedPrinciple"
    );

    // A member of another commission cannot sign.
    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let draft = drafted["data"]["draftRuling"]["draft"]["id"]
        .as_str()
        .expect("draft")
        .to_owned();
    assert_eq!(
        code(&s.sign(&s.member(11, "1360001263"), &draft).await),
        "FORBIDDEN"
    );
    // A citizen cannot issue.
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

pub(crate) async fn document_url(app: &TestApp, token: &str, ruling: &str) -> Value {
    let body = app
        .query_as(
            token,
            "query($id: ID!) { ruling(id: $id) { documentUrl } }",
            json!({ "id": ruling }),
        )
        .await;
    body["data"]["ruling"]["documentUrl"].clone()
}

#[tokio::test]
async fn the_dadnameh_exists_the_moment_the_ruling_is_issued_and_only_its_people_can_open_it() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "doc").await;
    ok(&issued);
    let i = &issued["data"]["issueRuling"];
    let ruling = i["ruling"]["id"].as_str().expect("id").to_owned();
    let code = i["verificationCode"].as_str().expect("code").to_owned();

    // The owner gets a link at once; another citizen does not see the ruling at all.
    let url = document_url(&app, &app.citizen(OWNER), &ruling).await;
    let url = url
        .as_str()
        .expect("the owner gets a document link")
        .to_owned();
    assert!(
        url.contains("/documents/rulings/") && url.contains("sig="),
        "{url}"
    );
    assert!(document_url(&app, &app.citizen("1583250689"), &ruling)
        .await
        .is_null());
    assert!(
        document_url(&app, &s.staff, &ruling).await.is_string(),
        "staff of the district"
    );

    let response = app.client.get(&url).send().await.expect("document");
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    let html = response.text().await.expect("html");
    for part in [
        "dir=\"rtl\"",
        "@font-face",
        "۱/۰۵/۰۰۰۱",                  // the number, in Persian digits
        "۱۴۰۵/",                      // a Jalali date
        "60.00 m² × 0.30 × 23000000", // the fine arithmetic
        "۱٬۲۷۶٬۵۰۰٬۰۰۰ ریال",         // the total
        "class=\"kroki\"",
        "class=\"parcel\"",
        "class=\"north\"",
        "۱۰ روز از تاریخ ابلاغ",  // the objection rule
        "هنوز ابلاغ قانونی نشده", // not served yet
        "علی احمدی",             // the owner, letters normalised
        "فاطمه نوری",            // a signing member
    ] {
        assert!(html.contains(part), "{part} missing from the dadnameh");
    }
    let verify_target = format!("/verify/{code}\"");
    assert!(
        html.contains(&format!("data-verify-url=\"{}", app.url("")))
            && html.contains(&verify_target),
        "the QR code points to the verification page"
    );

    // The document's hash is part of what was signed.
    let client = app.databases.urbanism.client().await;
    let row = client
        .query_one(
            "SELECT r.content->>'documentHash', d.sha256 FROM shahr.issued_rulings r \
             JOIN shahr.ruling_documents d ON d.issued_ruling_id = r.id",
            &[],
        )
        .await
        .expect("document row");
    assert_eq!(
        row.get::<_, Option<String>>(0),
        Some(row.get::<_, String>(1))
    );

    // An altered link is refused.
    let forged = url.replace("sig=", "sig=00");
    assert_eq!(
        app.client.get(&forged).send().await.expect("sent").status(),
        403
    );
    let other = url.replace("/documents/rulings/", "/documents/rulings/1");
    assert_eq!(
        app.client.get(&other).send().await.expect("sent").status(),
        403
    );

    let font = app.get(shahr_gateway::documents::FONT_REGULAR_PATH).await;
    assert_eq!(font.status(), 200);
    assert_eq!(
        font.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("font/woff2")
    );
}

#[tokio::test]
async fn an_expired_document_link_is_refused() {
    let app = TestApp::builder()
        .configure(|c| c.document_link_ttl = std::time::Duration::ZERO)
        .spawn()
        .await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "doc").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = document_url(&app, &app.citizen(OWNER), &ruling).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app
        .client
        .get(url.as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 410);
}
