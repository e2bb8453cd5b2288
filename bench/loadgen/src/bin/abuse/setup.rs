//! What the attacks need: an issued ruling with its judgment document, made through the public
//! API as a commission would (refer, schedule, serve the summons, defend, sit, draft, sign,
//! issue) on the demo data's case 7. Only the hearing day is moved into the past in SQL, as if
//! the owner's defence window had run out.

use anyhow::Context;
use serde_json::{json, Value};
use shahr_loadgen::{gid, graphql as run};

/// Tokens of the people in the flow (minted by `shahr-gateway token`, passed in the environment).
pub struct Tokens {
    pub staff: String,
    pub secretary: String,
    pub members: [String; 3],
    pub owner: String,
}

impl Tokens {
    pub fn from_env() -> anyhow::Result<Self> {
        let get = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
        Ok(Self {
            staff: get("ABUSE_TOKEN_STAFF")?,
            secretary: get("ABUSE_TOKEN_SECRETARY")?,
            members: [
                get("ABUSE_TOKEN_MEMBER_1")?,
                get("ABUSE_TOKEN_MEMBER_2")?,
                get("ABUSE_TOKEN_MEMBER_3")?,
            ],
            owner: get("ABUSE_TOKEN_OWNER")?,
        })
    }
}

/// Issues a fine on case 7 and returns the owner's document link.
pub async fn document_url(base: &str, database_url: &str, t: &Tokens) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let case = gid("ViolationCase", 7);
    run(
        &http,
        base,
        &t.staff,
        "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber } }",
        json!({ "case": case }),
    )
    .await?;
    let on = (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string();
    run(&http, base, &t.secretary,
        "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { earliestSessionOn } }",
        json!({ "case": case, "commission": gid("Commission", 1), "sessionOn": on })).await?;
    run(&http, base, &t.secretary,
        "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) { servedOn } }",
        json!({ "case": case, "service": { "mode": "IN_PERSON", "receiverName": "علی احمدی",
                "receiverNationalId": "0076229645", "agent": "مأمور ابلاغ منطقه ۱" } })).await?;
    run(&http, base, &t.owner,
        "mutation($input: RecordDefenceInput!) { recordDefence(input: $input) { defence { isLate } } }",
        json!({ "case": case, "statement": "طبقه چهارم با مجوز شفاهی ساخته شد." })).await?;
    let (db, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    db.batch_execute(
        "UPDATE shahr.hearings SET session_on = current_date - 5, scheduled_at = now() - interval '30 days' WHERE case_id = 7;
         UPDATE shahr.services SET served_on = served_on - 30, served_at = served_at - interval '30 days' \
         WHERE document = 'SUMMONS' AND case_id = 7;",
    )
    .await?;
    let opened = run(&http, base, &t.secretary,
        "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
        json!({ "commission": gid("Commission", 1), "cases": [case] })).await?;
    let session = opened["data"]["openCommissionSession"]["session"]["id"].clone();
    let items = run(
        &http,
        base,
        &t.staff,
        "query($input: ID!) { violationCase(id: $input) { items { id } } }",
        json!(case),
    )
    .await?;
    let items: Vec<Value> = items["data"]["violationCase"]["items"]
        .as_array()
        .context("items")?
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    let drafted = run(&http, base, &t.secretary,
        "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft { id } } }",
        json!({ "session": session, "case": case, "kind": "FINE",
                "text": "مالک به پرداخت جریمه مازاد بنا و کسری پارکینگ محکوم می‌شود.",
                "legalBasis": "تبصره ۲ و ۵ ماده ۱۰۰ قانون شهرداری",
                "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }] })).await?;
    let draft = drafted["data"]["draftRuling"]["draft"]["id"].clone();
    for member in &t.members {
        run(&http, base, member,
            "mutation($input: SignRulingInput!) { signRuling(input: $input) { draft { missingSeats } } }",
            json!({ "draft": draft })).await?;
    }
    let issued = run(
        &http,
        base,
        &t.secretary,
        "mutation($input: IssueRulingInput!) { issueRuling(input: $input) { ruling { id } } }",
        json!({ "draft": draft, "idempotencyKey": "abuse-bench" }),
    )
    .await?;
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"].clone();
    let url = run(
        &http,
        base,
        &t.owner,
        "query($input: ID!) { ruling(id: $input) { documentUrl } }",
        ruling,
    )
    .await?;
    url["data"]["ruling"]["documentUrl"]
        .as_str()
        .map(str::to_owned)
        .context("no documentUrl")
}
