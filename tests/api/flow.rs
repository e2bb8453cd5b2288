//! Driving a case through the commission as its people would, for the tests: referral,
//! hearing and summons, service, defence, sitting, draft, signatures and issue; and moving
//! recorded days into the past, as if time had passed (the gateway has no clock to mock).
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
pub(crate) const INTERIOR: &str = "0012345679";
pub(crate) const JUDGE: &str = "0023456787";
pub(crate) const COUNCIL: &str = "0034567895";
pub(crate) const MUNICIPAL: &str = "0045678901";

/// The fine of case 7 as drafted by [`Session::fine_draft`]: 60 m² × 0.75 × 23,000,000 +
/// 25 m² × 1.5 × 23,000,000.
pub(crate) const CASE_7_FINE: &str = "1897500000";

pub(crate) fn gid(kind: &str, key: impl std::fmt::Display) -> String {
    shahr_gateway::graphql::node::global_id(kind, key).to_string()
}

pub(crate) fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

pub(crate) fn field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("<none>")
}

pub(crate) fn ok(body: &Value) {
    assert!(body["errors"].is_null(), "unexpected errors: {body}");
}

/// The id a query answered at `path` (`["data", "x", "id"]`).
pub(crate) fn id_at(body: &Value, path: &[&str]) -> String {
    let mut v = body;
    for p in path {
        v = &v[*p];
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no id at {path:?} in {body}"))
        .to_owned()
}

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    let client = app.databases.urbanism.client().await;
    client.query_one(sql, &[]).await.expect("count").get(0)
}

pub(crate) async fn sql(app: &TestApp, statements: &str) {
    app.databases
        .urbanism
        .client()
        .await
        .batch_execute(statements)
        .await
        .unwrap_or_else(|e| panic!("{statements}: {e}"));
}

/// Today in Asia/Tehran.
pub(crate) fn today() -> chrono::NaiveDate {
    shahr_domain::jalali::tehran_today(chrono::Utc::now())
}

/// `days` before today, in the Jalali form the legacy tables hold.
pub(crate) fn jalali_days_ago(days: i64) -> String {
    shahr_domain::jalali::JalaliDate::from_gregorian(today() - chrono::Duration::days(days))
        .to_string()
}

/// The official holidays shipped with the gateway, as the tests' databases hold them.
pub(crate) fn calendar() -> shahr_domain::calendar::HolidayCalendar {
    shahr_domain::calendar::HolidayCalendar::new(
        shahr_gateway::holidays::shipped().expect("shipped holidays"),
    )
}

/// The last day of a window of `days` from `from`, as the law counts it.
pub(crate) fn last_day(from: chrono::NaiveDate, days: u32) -> chrono::NaiveDate {
    shahr_domain::deadlines::last_day(from, days, Default::default(), &calendar())
}

/// Moves a hearing's date and every service of its summons `days` into the past, as if the
/// hearing day had come after the owners' defence windows closed.
pub(crate) async fn hearing_days_ago(app: &TestApp, case_id: i32, days: i64) {
    sql(
        app,
        &format!(
            "UPDATE shahr.hearings SET session_on = current_date - {days} + 25, scheduled_at = now() - interval '{days} days' \
             WHERE case_id = {case_id};
             UPDATE shahr.services SET served_on = served_on - {days}, served_at = served_at - interval '{days} days' \
             WHERE document = 'SUMMONS' AND case_id = {case_id};"
        ),
    )
    .await;
}

/// Moves a ruling's date a day before `days` ago and every service of it (the legacy rows and
/// the municipality's receipt) `days` into the past. (The signed record still holds the real
/// date, so its verification page would now say the legacy row was changed.)
pub(crate) async fn ruling_served_days_ago(app: &TestApp, legacy_id: i64, days: i64) {
    let jalali = jalali_days_ago(days);
    let issued = jalali_days_ago(days + 1);
    sql(
        app,
        &format!(
            "UPDATE tbl_eblagh SET tarikh_eblagh = '{jalali}' WHERE id_ray = {legacy_id};
             UPDATE tbl_ray SET tarikh_ray = '{issued}' WHERE id_ray = {legacy_id};
             UPDATE shahr.services SET served_on = current_date - {days}, served_at = served_at - interval '{days} days' \
             WHERE document = 'RULING' AND document_id = {legacy_id};"
        ),
    )
    .await;
}

pub(crate) struct Session<'a> {
    pub(crate) app: &'a TestApp,
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

    pub(crate) async fn run(&self, token: &str, query: &str, input: Value) -> Value {
        self.app
            .query_as(token, query, json!({ "input": input }))
            .await
    }

    pub(crate) async fn refer(&self, token: &str) -> Value {
        self.run(
            token,
            "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber
               case { status } fineBrief { note minFine maxFine explanation } } }",
            json!({ "case": gid("ViolationCase", 7) }),
        )
        .await
    }

    pub(crate) async fn schedule(&self, token: &str, commission: i32, days_ahead: i64) -> Value {
        let on = (today() + chrono::Duration::days(days_ahead)).to_string();
        self.run(
            token,
            "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) {
               case { status } earliestSessionOn
               hearing { sessionOnJalali defenceClosesOn defenceClosesOnJalali isDefenceWindowOpen
                         summoned { id kind needsServiceByHand servedOn deadline } } } }",
            json!({ "case": gid("ViolationCase", 7), "commission": gid("Commission", commission), "sessionOn": on }),
        )
        .await
    }

    /// Serves case 7's summons on its owner by hand.
    pub(crate) async fn serve_summons(&self, token: &str) -> Value {
        self.run(
            token,
            "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) {
               partyId servedOn defenceDeadline defenceDeadlineJalali firstService } }",
            json!({ "case": gid("ViolationCase", 7), "service": {
                "mode": "IN_PERSON", "receiverName": "علی احمدی", "receiverNationalId": OWNER,
                "agent": "مأمور ابلاغ منطقه ۱" } }),
        )
        .await
    }

    pub(crate) async fn defend(&self, token: &str) -> Value {
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

    pub(crate) async fn items(&self) -> Vec<String> {
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
               id kind fine contentHash missingSeats demolitionPeriodDays
               items { note outcome coefficient fine arithmetic arithmeticFa } } } }",
            input,
        )
        .await
    }

    /// A fine for both items of case 7: Note 2 at 0.75, Note 5 at 1.5.
    pub(crate) async fn fine_draft(&self, session: &str) -> Value {
        let items = self.items().await;
        self.draft(
            &self.secretary,
            json!({
                "session": session, "case": gid("ViolationCase", 7), "kind": "FINE",
                "text": "مالک به پرداخت جریمه مازاد بنا و کسری پارکینگ محکوم می‌شود.",
                "legalBasis": "تبصره ۲ و ۵ ماده ۱۰۰ قانون شهرداری",
                "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": 1.5 }],
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

    pub(crate) async fn sign_all(&self, commission: i32, members: [&str; 3], draft: &str) {
        for member in members {
            ok(&self.sign(&self.member(commission, member), draft).await);
        }
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

    /// Case 7 referred, its hearing scheduled, the summons served on its owner, a defence
    /// filed, and the hearing day come after the defence window.
    pub(crate) async fn to_hearing_day(&self) {
        ok(&self.refer(&self.staff).await);
        ok(&self.schedule(&self.secretary, 1, 20).await);
        ok(&self.serve_summons(&self.secretary).await);
        ok(&self.defend(&self.app.citizen(OWNER)).await);
        hearing_days_ago(self.app, 7, 30).await;
    }

    /// Case 7 in session; returns the session id.
    pub(crate) async fn to_session(&self) -> String {
        self.to_hearing_day().await;
        let opened = self.open(&self.secretary, 1).await;
        ok(&opened);
        id_at(&opened, &["data", "openCommissionSession", "session", "id"])
    }

    /// A fine draft of case 7 signed by the three voting members of commission 1.
    pub(crate) async fn signed_draft(&self) -> String {
        let session = self.to_session().await;
        let drafted = self.fine_draft(&session).await;
        ok(&drafted);
        let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
        self.sign_all(1, [INTERIOR, JUDGE, COUNCIL], &draft).await;
        draft
    }

    /// Case 7's fine issued; returns the ruling's id and legacy id.
    pub(crate) async fn issued_fine(&self, key: &str) -> (String, i64) {
        let draft = self.signed_draft().await;
        let issued = self.issue(&self.secretary, &draft, key).await;
        ok(&issued);
        let id = id_at(&issued, &["data", "issueRuling", "ruling", "id"]);
        let legacy = count(
            self.app,
            "SELECT max(id_ray)::int8 FROM tbl_ray WHERE id_takhalof = 7",
        )
        .await;
        (id, legacy)
    }

    /// Serves a ruling on case 7's owner by hand (`AFFIXED` at the address).
    pub(crate) async fn serve_ruling(&self, ruling: &str) -> Value {
        self.run(
            &self.staff,
            "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) {
               partyId servedOn objectionDeadline firstService ruling { status case { status } } } }",
            json!({ "ruling": ruling, "mode": "AFFIXED", "receiverName": "الصاق در محل",
                    "agent": "مأمور ابلاغ منطقه ۱" }),
        )
        .await
    }
}

/// The case's status, as an auditor reads it.
pub(crate) async fn case_status(app: &TestApp, case_id: i32) -> String {
    let body = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { violationCase(id: $id) { status } }",
            json!({ "id": gid("ViolationCase", case_id) }),
        )
        .await;
    body["data"]["violationCase"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits up to 10 s for `check`.
pub(crate) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}
