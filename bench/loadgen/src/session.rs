//! The Article 100 session flow the benchmarks drive through the public API, as a commission
//! would: refer, schedule, serve the summons, sit, draft, three signatures, issue. The cases
//! are copies of the demo data's case 7 (legacy rows, as the urbanism system would hold them);
//! only the hearing day is moved into the past in SQL, as if the owners' defence windows had
//! run out. Every state-changing call carries an idempotency key derived from the case, so a
//! retried call is the same command.

use anyhow::Context;
use serde_json::{json, Value};

use crate::{client::Gateway, gid};

/// Tokens of the people in the flow (minted by `shahr-gateway token`, passed in the
/// environment as `{prefix}_STAFF`, `_SECRETARY`, `_MEMBER_1..3`).
pub struct Tokens {
    pub staff: String,
    pub secretary: String,
    pub members: [String; 3],
}

impl Tokens {
    pub fn from_env(prefix: &str) -> anyhow::Result<Self> {
        let get = |name: &str| {
            std::env::var(format!("{prefix}_{name}"))
                .with_context(|| format!("{prefix}_{name} is not set"))
        };
        Ok(Self {
            staff: get("STAFF")?,
            secretary: get("SECRETARY")?,
            members: [get("MEMBER_1")?, get("MEMBER_2")?, get("MEMBER_3")?],
        })
    }
}

/// Copies case 7 (and its two violation items) `n` times; returns the new cases' ids.
pub async fn copy_cases(db: &tokio_postgres::Client, n: usize) -> anyhow::Result<Vec<i32>> {
    let n = i32::try_from(n)?;
    let rows = db
        .query(
            "WITH made AS (
               INSERT INTO tbl_parvandeh_takhalof (id_parvandeh, shomare_parvandeh, marhaleh, manba, tarikh_kashf)
               SELECT id_parvandeh, shomare_parvandeh || '-B' || g, marhaleh, manba, tarikh_kashf
               FROM tbl_parvandeh_takhalof, generate_series(1, $1) g WHERE id_takhalof = 7
               RETURNING id_takhalof),
             items AS (
               INSERT INTO tbl_aqlam_takhalof (id_takhalof, tabaghe, band_tabsare, masahat_mojaz, masahat_ejra,
                                               karbari_mojaz, karbari_feli, zarib_k, tedad_parking)
               SELECT made.id_takhalof, q.tabaghe, q.band_tabsare, q.masahat_mojaz, q.masahat_ejra,
                      q.karbari_mojaz, q.karbari_feli, q.zarib_k, q.tedad_parking
               FROM made, tbl_aqlam_takhalof q WHERE q.id_takhalof = 7)
             SELECT id_takhalof FROM made ORDER BY id_takhalof",
            &[&n],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Refers, schedules and serves the summons of one case.
pub async fn to_defence_window(gw: &Gateway, t: &Tokens, case_id: i32) -> anyhow::Result<()> {
    let case = gid("ViolationCase", case_id);
    gw.call(
        &t.staff,
        "mutation($input: ReferCaseInput!) { referCase(input: $input) { secretariatNumber } }",
        json!({ "case": case, "idempotencyKey": format!("refer-{case_id}") }),
    )
    .await?;
    let on = (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string();
    gw.call(&t.secretary,
        "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { earliestSessionOn } }",
        json!({ "case": case, "commission": gid("Commission", 1), "sessionOn": on,
                "idempotencyKey": format!("schedule-{case_id}") })).await?;
    gw.call(&t.secretary,
        "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) { servedOn } }",
        json!({ "case": case, "service": { "mode": "IN_PERSON", "receiverName": "علی احمدی",
                "receiverNationalId": "0076229645", "agent": "مأمور ابلاغ منطقه ۱" },
                "idempotencyKey": format!("summons-{case_id}") })).await?;
    Ok(())
}

/// Moves the hearing day of `cases` and the service of their summonses 30 days back, as if
/// the owners' defence windows had run out.
pub async fn hearing_day_come(db: &tokio_postgres::Client, cases: &[i32]) -> anyhow::Result<()> {
    db.execute(
        "UPDATE shahr.hearings SET session_on = current_date - 5, scheduled_at = now() - interval '30 days'
         WHERE case_id = ANY($1)",
        &[&cases],
    )
    .await?;
    db.execute(
        "UPDATE shahr.services SET served_on = served_on - 30, served_at = served_at - interval '30 days'
         WHERE document = 'SUMMONS' AND case_id = ANY($1)",
        &[&cases],
    )
    .await?;
    Ok(())
}

/// Opens a sitting of commission 1 for up to 50 cases; returns its id.
pub async fn sit(gw: &Gateway, t: &Tokens, cases: &[i32]) -> anyhow::Result<Value> {
    let opened = gw.call(&t.secretary,
        "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
        json!({ "commission": gid("Commission", 1),
                "cases": cases.iter().map(|c| gid("ViolationCase", c)).collect::<Vec<_>>(),
                "idempotencyKey": format!("sit-{}", cases.first().copied().unwrap_or_default()) })).await?;
    Ok(opened["data"]["openCommissionSession"]["session"]["id"].clone())
}

/// Drafts a fine for one case in `session` and has the three members sign it; returns the
/// draft's id.
pub async fn signed_draft(
    gw: &Gateway,
    t: &Tokens,
    session: &Value,
    case_id: i32,
) -> anyhow::Result<Value> {
    let case = gid("ViolationCase", case_id);
    let items = gw
        .call(
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
    let drafted = gw.call(&t.secretary,
        "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft { id } } }",
        json!({ "session": session, "case": case, "kind": "FINE",
                "text": "مالک به پرداخت جریمه مازاد بنا و کسری پارکینگ محکوم می‌شود.",
                "legalBasis": "تبصره ۲ و ۵ ماده ۱۰۰ قانون شهرداری",
                "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }],
                "idempotencyKey": format!("draft-{case_id}") })).await?;
    let draft = drafted["data"]["draftRuling"]["draft"]["id"].clone();
    // Signing again changes nothing: a signature needs no key.
    for member in &t.members {
        gw.call(member,
            "mutation($input: SignRulingInput!) { signRuling(input: $input) { draft { missingSeats } } }",
            json!({ "draft": draft })).await?;
    }
    Ok(draft)
}

/// Issues a signed draft with `key`; returns the ruling's id.
pub async fn issue(gw: &Gateway, t: &Tokens, draft: &Value, key: &str) -> anyhow::Result<Value> {
    let issued = gw.call(&t.secretary,
        "mutation($input: IssueRulingInput!) { issueRuling(input: $input) { created ruling { id } } }",
        json!({ "draft": draft, "idempotencyKey": key })).await?;
    Ok(issued["data"]["issueRuling"]["ruling"]["id"].clone())
}
