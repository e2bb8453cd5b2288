//! A case's way through the commission: referral, hearing and defence window, the owner's
//! defence, the session, drafts, the members' signatures and the issue of the ruling.
//!
//! Every step runs in one transaction in the urbanism database: the case row is locked, the
//! domain's state machine decides the next state, and the legacy rows the integrated urbanism
//! system expects are written together with ours (`shahr.*`), an outbox event and an audit
//! entry. Who may act is decided by the caller through an [`Access`] closure, so this module
//! knows nothing of tokens or GraphQL.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Transaction;
use serde_json::{json, Value};
use shahr_domain::{
    cases::{next, CaseEvent, IllegalTransition},
    deadlines::deadline,
    fines::{FineError, ItemFacts},
    identifiers::{Mobile, NationalId, RenovationCode},
    jalali::JalaliDate,
    session::{check_draft, missing_seats, Article100Rules, DraftShape},
    signing::content_hash,
    vocabulary::{
        AppealOutcome, BreachedPrinciple, CaseStatus, CommissionKind, InterimReturn, LandUse,
        MemberRole, RulingKind, RulingStage, ViolationNote,
    },
};
use shahr_store::{audit, outbox, StoreError};
use tokio_postgres::{GenericClient, Row};

use crate::{
    clean::{self, CASE_STATUS_CODES, RULING_KIND_CODES},
    issued::{self, NewIssuedRuling},
    records::{Commission, ViolationCase, ViolationItem},
    rulings::{CASE_COLUMNS, ITEMS_BY_CASE},
    sql::spellings,
    UrbanismDb,
};

/// Who acts.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Token subject.
    pub subject: String,
    /// The role acted in.
    pub role: String,
}

/// What the caller's access rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Go ahead.
    Allow,
    /// Visible, but not this viewer's to act on (the reason is shown).
    Forbid(String),
    /// Not visible to this viewer: answer as if it did not exist.
    Hide,
}

/// Why a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No such case, session or draft (or not visible).
    #[error("not found")]
    NotFound,
    /// The viewer may not act.
    #[error("{0}")]
    Forbidden(String),
    /// The case's state does not allow the step.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Another rule of the session refuses the step; `current` is the case state if relevant.
    #[error("{message}")]
    Conflict {
        /// Why.
        message: String,
        /// The case's state, when the refusal is about it.
        current: Option<CaseStatus>,
    },
    /// An input value is unusable; `field` names it (relative to the input object).
    #[error("{message}")]
    BadInput {
        /// The input field.
        field: String,
        /// Why.
        message: String,
    },
    /// The idempotency key was used to issue another draft.
    #[error("the idempotency key was used for another ruling")]
    IdempotencyKeyReused,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for SessionError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(StoreError::from(e))
    }
}

pub(crate) fn conflict(message: impl Into<String>) -> SessionError {
    SessionError::Conflict {
        message: message.into(),
        current: None,
    }
}

pub(crate) fn bad(field: impl Into<String>, message: impl Into<String>) -> SessionError {
    SessionError::BadInput {
        field: field.into(),
        message: message.into(),
    }
}

pub(crate) fn check_access(access: Access) -> Result<(), SessionError> {
    match access {
        Access::Allow => Ok(()),
        Access::Forbid(why) => Err(SessionError::Forbidden(why)),
        Access::Hide => Err(SessionError::NotFound),
    }
}

/// A case locked for a step, with what the rules need about its parcel.
#[derive(Debug, Clone)]
pub struct LockedCase {
    /// The case as the legacy row says now.
    pub case: ViolationCase,
    /// The parcel's district.
    pub district: Option<i16>,
    /// The parcel's block (transaction-value tables are per block).
    pub block: Option<u32>,
    /// National ids of the parcel's owners (readable ones).
    pub owners: Vec<NationalId>,
    /// The owners with a readable national id: names and mobiles, for notifications.
    pub contacts: Vec<Contact>,
}

/// An owner to notify.
#[derive(Debug, Clone)]
pub struct Contact {
    /// National id.
    pub national_id: NationalId,
    /// Name as the legacy system has it, letters normalised.
    pub name: String,
    /// Mobile, when readable.
    pub mobile: Option<Mobile>,
}

/// A violation item the expert listed, for a referral.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Floor, as written.
    pub floor: Option<String>,
    /// The note of Article 100.
    pub note: ViolationNote,
    /// Permitted area, m².
    pub permitted_area_m2: Option<f64>,
    /// Built area, m².
    pub built_area_m2: Option<f64>,
    /// Permitted use.
    pub permitted_use: Option<LandUse>,
    /// Actual use.
    pub actual_use: Option<LandUse>,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: Option<i16>,
}

/// One line of the fine brief: the fine range of an item as the referral computed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefLine {
    /// The item (`tbl_aqlam_takhalof.id_qalam`).
    pub item_id: i32,
    /// The note.
    pub note: Option<ViolationNote>,
    /// Lowest fine in rials (the range's lowest coefficient), when computable.
    pub min_rials: Option<i64>,
    /// Highest fine in rials, when computable.
    pub max_rials: Option<i64>,
    /// The arithmetic of the range, or why there is no fine (Note 6, a missing value).
    pub explanation: String,
}

/// A referral's outcome.
#[derive(Debug, Clone)]
pub struct Referral {
    /// The case after referral.
    pub case: ViolationCase,
    /// The secretariat number.
    pub secretariat_number: String,
    /// The fine brief.
    pub brief: Vec<BriefLine>,
}

/// A hearing: the commission and session date, and the defence window it opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Hearing {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i32,
    /// The commission.
    pub commission_id: i32,
    /// The session date.
    pub session_on: NaiveDate,
    /// First day of the defence window.
    pub defence_opens_on: NaiveDate,
    /// Last day of the defence window.
    pub defence_closes_on: NaiveDate,
}

/// An owner's defence on file.
#[derive(Debug, Clone, PartialEq)]
pub struct Defence {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i32,
    /// The statement.
    pub statement: String,
    /// True when the owner filed it themself; false when the secretariat filed it for them.
    pub by_owner: bool,
    /// Filed after the window closed (kept, flagged).
    pub late: bool,
    /// When.
    pub filed_at: DateTime<Utc>,
}

/// A sitting of a commission.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionSession {
    /// Row id.
    pub id: i64,
    /// The commission.
    pub commission_id: i32,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// Cases on its agenda.
    pub case_ids: Vec<i32>,
}

/// A priced item of a fine ruling.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedItem {
    /// The item.
    pub item_id: i32,
    /// Its note.
    pub note: ViolationNote,
    /// The coefficient the commission chose (none for Note 4).
    pub coefficient: Option<f64>,
    /// The fine in rials.
    pub rials: i64,
    /// The arithmetic.
    pub arithmetic: String,
}

/// What the commission decides, as drafted.
#[derive(Debug, Clone)]
pub struct DraftInput {
    /// The kind.
    pub kind: RulingKind,
    /// The text.
    pub text: String,
    /// The legal basis (e.g. «تبصره ۲ ماده ۱۰۰ قانون شهرداری»).
    pub legal_basis: Option<String>,
    /// For demolition.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals.
    pub appeal_outcome: Option<AppealOutcome>,
    /// For interim orders.
    pub interim_return: Option<InterimReturn>,
    /// For fines: each item with the chosen coefficient.
    pub items: Vec<(i32, Option<f64>)>,
}

/// The content of a draft, as signed by the members and sealed on issue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftContent {
    /// The case.
    pub case_id: i32,
    /// The session.
    pub session_id: i64,
    /// The commission.
    pub commission_id: i32,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// The kind.
    pub kind: RulingKind,
    /// The text.
    pub text: String,
    /// The legal basis.
    pub legal_basis: Option<String>,
    /// For demolition.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals.
    pub appeal_outcome: Option<AppealOutcome>,
    /// For interim orders.
    pub interim_return: Option<InterimReturn>,
    /// Priced items (fines).
    pub items: Vec<PricedItem>,
    /// Total fine in rials (fines).
    pub fine_rials: Option<i64>,
    /// The legacy primary ruling an appeal rules on.
    pub appeal_of: Option<i32>,
}

/// A member's signature on a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The member (`tbl_ozv_commission.id_ozv`).
    pub member_id: i32,
    /// The seat.
    pub seat: MemberRole,
    /// When.
    pub signed_at: DateTime<Utc>,
}

/// A draft with its signatures.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Row id.
    pub id: i64,
    /// What it says.
    pub content: DraftContent,
    /// SHA-256 of the canonical content: what the members sign.
    pub content_hash: String,
    /// When drafted.
    pub drafted_at: DateTime<Utc>,
    /// True when a newer draft of the case replaced it in the session.
    pub replaced: bool,
    /// The issued record, once issued.
    pub issued_ruling_id: Option<i64>,
    /// Signatures on this content.
    pub signatures: Vec<Signature>,
}

/// How owners are told of an issued ruling: always the in-app inbox; the judicial e-notice
/// (legal service) and SMS (courtesy) when their providers are configured.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// Send the judicial e-notice.
    pub e_notice: bool,
    /// Send an SMS alert.
    pub sms: bool,
    /// The public address, for links in messages.
    pub public_base_url: String,
}

/// What the sealing step receives to sign.
#[derive(Debug, Clone)]
pub struct ToSign {
    /// The legacy ruling row.
    pub legacy_ruling_id: i32,
    /// The case.
    pub case_id: i32,
    /// The number.
    pub number: String,
    /// The legacy row's covered fields as written.
    pub legacy: Value,
    /// The draft's content, the members and the timestamps.
    pub session: Value,
    /// The record an appeal ruling replaces.
    pub supersedes: Option<i64>,
}

/// An issued ruling, as the issuing call returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// The legacy ruling row.
    pub legacy_ruling_id: i32,
    /// The signed record.
    pub record_id: i64,
    /// The number.
    pub number: String,
    /// The verification code.
    pub verification_code: String,
    /// False when an earlier call with the same key issued it.
    pub created: bool,
}

fn status_code(status: CaseStatus) -> String {
    CASE_STATUS_CODES
        .iter()
        .find(|(_, s)| *s == status)
        .map(|(c, _)| c.to_string())
        .unwrap_or_default()
}

/// A vocabulary value as the API and our tables spell it (`IN_SESSION`, `JUDGE`, `PRIMARY`).
pub(crate) fn wire_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn jalali(date: NaiveDate) -> String {
    JalaliDate::from_gregorian(date).to_string()
}

/// Today in Asia/Tehran (UTC+03:30, no daylight saving since 2022).
pub fn tehran_today(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::minutes(210)).date_naive()
}

/// The next number of `scope` in a district and Jalali year, in the caller's transaction.
async fn next_sequence(
    tx: &Transaction<'_>,
    scope: &str,
    district: i16,
    year: i32,
) -> Result<i64, SessionError> {
    let row = tx
        .query_one(
            "INSERT INTO shahr.number_sequences (scope, district, year, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (scope, district, year) DO UPDATE SET last = shahr.number_sequences.last + 1 \
             RETURNING last",
            &[&scope, &district, &year],
        )
        .await?;
    Ok(row.get(0))
}

impl UrbanismDb {
    pub(crate) async fn lock_case(
        &self,
        tx: &Transaction<'_>,
        case_id: i32,
    ) -> Result<LockedCase, SessionError> {
        let row = tx
            .query_opt(
                &format!(
                    "SELECT {CASE_COLUMNS}, p.kod_mantaghe, p.kod_nosazi FROM tbl_parvandeh_takhalof c \
                     JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh \
                     WHERE c.id_takhalof = $1 FOR UPDATE OF c"
                ),
                &[&case_id],
            )
            .await?
            .ok_or(SessionError::NotFound)?;
        let case = self.case(&row).ok_or_else(|| {
            conflict("the legacy case row has a state the gateway cannot read; fix it in the urbanism system")
        })?;
        let reader = self.reader("tbl_parvandeh", case.parcel_id);
        let district = reader.district("kod_mantaghe", row.get(9));
        let block = row
            .get::<_, Option<String>>(10)
            .and_then(|c| RenovationCode::parse(&c).ok())
            .map(|c| c.block());
        let contacts: Vec<Contact> = tx
            .query(
                "SELECT m.kod_melli, m.nam, m.nam_khanevadegi, m.nam_sherkat, m.mobile \
                 FROM tbl_malekiat k JOIN tbl_malek m ON m.id_malek = k.id_malek \
                 WHERE k.id_parvandeh = $1 ORDER BY m.id_malek",
                &[&case.parcel_id],
            )
            .await?
            .iter()
            .filter_map(|r| {
                let national_id = NationalId::parse(&r.get::<_, Option<String>>(0)?).ok()?;
                let name = [r.get::<_, Option<String>>(1), r.get::<_, Option<String>>(2)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let name = if name.trim().is_empty() {
                    r.get::<_, Option<String>>(3).unwrap_or_default()
                } else {
                    name
                };
                Some(Contact {
                    national_id,
                    name: shahr_domain::text::normalise(name.trim()),
                    mobile: r
                        .get::<_, Option<String>>(4)
                        .and_then(|m| Mobile::parse(&m).ok()),
                })
            })
            .collect();
        Ok(LockedCase {
            case,
            district,
            block,
            owners: contacts.iter().map(|c| c.national_id.clone()).collect(),
            contacts,
        })
    }

    /// Moves a locked case by `event` (writing the legacy state when it changes) and records
    /// the step: history row, outbox event `topic` and audit entry.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn step(
        &self,
        tx: &Transaction<'_>,
        locked: &LockedCase,
        event: CaseEvent,
        actor: &Actor,
        operation: &str,
        topic: &str,
        detail: Value,
    ) -> Result<CaseStatus, SessionError> {
        let from = locked.case.status;
        let to = next(from, event)?;
        if to != from {
            tx.execute(
                "UPDATE tbl_parvandeh_takhalof SET marhaleh = $2 WHERE id_takhalof = $1",
                &[&locked.case.id, &status_code(to)],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO shahr.case_events (case_id, event, from_status, to_status, actor, role, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &locked.case.id,
                &format!("{event:?}"),
                &wire_name(from),
                &wire_name(to),
                &actor.subject,
                &actor.role,
                &detail,
            ],
        )
        .await?;
        let mut payload = json!({
            "caseId": locked.case.id,
            "parcelId": locked.case.parcel_id,
            "district": locked.district,
            "commissionId": locked.case.commission_id,
            "fromStatus": wire_name(from),
            "status": wire_name(to),
            "ownerNationalIds": locked.owners.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        });
        if let (Some(p), Value::Object(d)) = (payload.as_object_mut(), &detail) {
            for (k, v) in d {
                p.entry(k.clone()).or_insert(v.clone());
            }
        }
        outbox::enqueue(&**tx, topic, &payload).await?;
        audit::append(
            &**tx,
            &audit::Entry {
                actor: actor.subject.clone(),
                role: actor.role.clone(),
                operation: operation.to_owned(),
                target_ids: vec![format!("case:{}", locked.case.id)],
                outcome: "ok".into(),
                detail,
            },
        )
        .await?;
        Ok(to)
    }

    /// The transaction value and goodwill value (rials per m²) of a Jalali year, district
    /// and block, in the legacy tables' spellings.
    async fn values(
        &self,
        tx: &Transaction<'_>,
        year: i32,
        district: i16,
        block: u32,
    ) -> Result<(Option<i64>, Option<i64>), SessionError> {
        let year_s = spellings(&year.to_string());
        let district_s = spellings(&district.to_string());
        let block_s = spellings(&block.to_string());
        let row = tx
            .query_one(
                "SELECT (SELECT max(arzesh_riyal)::int8 FROM tbl_arzesh_moamelati \
                         WHERE sal = ANY($1) AND kod_mantaghe = ANY($2) AND kod_block = ANY($3)), \
                        (SELECT max(arzesh_riyal)::int8 FROM tbl_arzesh_sarqofli \
                         WHERE sal = ANY($1) AND kod_mantaghe = ANY($2) AND kod_block = ANY($3))",
                &[&year_s, &district_s, &block_s],
            )
            .await?;
        Ok((row.get(0), row.get(1)))
    }

    /// The values of the case's year (its detection year, else this year) and block.
    async fn case_values(
        &self,
        tx: &Transaction<'_>,
        locked: &LockedCase,
        today: NaiveDate,
    ) -> Result<(i32, Option<i64>, Option<i64>), SessionError> {
        let year = JalaliDate::from_gregorian(locked.case.detected_on.unwrap_or(today)).year;
        let (Some(district), Some(block)) = (locked.district, locked.block) else {
            return Ok((year, None, None));
        };
        let (tv, gw) = self.values(tx, year, district, block).await?;
        Ok((year, tv, gw))
    }

    async fn case_items(
        &self,
        tx: &Transaction<'_>,
        case_id: i32,
    ) -> Result<Vec<ViolationItem>, SessionError> {
        let rows = tx.query(ITEMS_BY_CASE, &[&vec![case_id]]).await?;
        Ok(rows.iter().map(|r| self.item(r)).collect())
    }

    /// Refers a case in expert review to the commission secretariat: adds the expert's items,
    /// computes the fine brief and gives the case its secretariat number.
    pub async fn refer_case(
        &self,
        case_id: i32,
        secretariat_number: Option<String>,
        items: &[NewItem],
        rules: &Article100Rules,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<Referral, SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, case_id).await?;
        check_access(access(&locked))?;
        next(locked.case.status, CaseEvent::Refer)?;
        for item in items {
            tx.execute(
                "INSERT INTO tbl_aqlam_takhalof (id_takhalof, tabaghe, band_tabsare, masahat_mojaz, masahat_ejra, \
                 karbari_mojaz, karbari_feli, tedad_parking) VALUES ($1, $2, $3, $4::float8, $5::float8, $6, $7, $8)",
                &[
                    &case_id,
                    &item.floor,
                    &note_code(item.note),
                    &item.permitted_area_m2,
                    &item.built_area_m2,
                    &item.permitted_use.map(|u| format!("{:02}", clean::land_use_code(u))),
                    &item.actual_use.map(|u| format!("{:02}", clean::land_use_code(u))),
                    &item.parking_spaces,
                ],
            )
            .await?;
        }
        let all_items = self.case_items(&tx, case_id).await?;
        if all_items.is_empty() {
            return Err(bad(
                "items",
                "the case has no violation items; list the expert's items to refer it",
            ));
        }
        let (year, tv, gw) = self.case_values(&tx, &locked, today).await?;
        let brief: Vec<BriefLine> = all_items
            .iter()
            .map(|item| brief_line(rules, item, tv, gw, year))
            .collect();
        let district = locked.district.unwrap_or(0);
        let number = match secretariat_number {
            Some(n) => n,
            None => {
                let jyear = JalaliDate::from_gregorian(today).year;
                let seq = next_sequence(&tx, "secretariat", district, jyear).await?;
                format!("D-{district}-{jyear}-{seq}")
            }
        };
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET shomare_dabirkhaneh = $2 WHERE id_takhalof = $1",
            &[&case_id, &number],
        )
        .await?;
        let brief_json = serde_json::to_value(&brief).unwrap_or(Value::Null);
        tx.execute(
            "INSERT INTO shahr.case_referrals (case_id, secretariat_number, fine_brief, referred_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET secretariat_number = $2, \
             fine_brief = $3, referred_by = $4, referred_at = now()",
            &[&case_id, &number, &brief_json, &actor.subject],
        )
        .await?;
        let status = self
            .step(
                &tx,
                &locked,
                CaseEvent::Refer,
                actor,
                "referCase",
                "case.referred",
                json!({ "secretariatNumber": number, "items": all_items.len() }),
            )
            .await?;
        tx.commit().await?;
        let mut case = locked.case;
        case.status = status;
        case.secretariat_number = Some(number.clone());
        Ok(Referral {
            case,
            secretariat_number: number,
            brief,
        })
    }

    /// The fine brief recorded at referral, per case.
    pub async fn fine_briefs(
        &self,
        case_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, Vec<BriefLine>>, StoreError> {
        let rows = self
            .rows(
                "SELECT case_id, fine_brief FROM shahr.case_referrals WHERE case_id = ANY($1)",
                &[&case_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let lines: Vec<BriefLine> =
                    serde_json::from_value(r.get::<_, Value>(1)).unwrap_or_default();
                (r.get::<_, i32>(0), lines)
            })
            .collect())
    }

    async fn commission_in(
        &self,
        tx: &impl GenericClient,
        commission_id: i32,
    ) -> Result<Option<Commission>, SessionError> {
        let row = tx
            .query_opt(
                "SELECT id_commission, onvan, noe, kod_mantaghe, faal FROM tbl_commission WHERE id_commission = $1",
                &[&commission_id],
            )
            .await?;
        Ok(row.as_ref().and_then(|r| self.commission(r)))
    }

    /// Sets the commission and session date of a referred case and opens the owner's defence
    /// window (from today, `rules.defence_window_days` days, moved past Fridays and holidays).
    pub async fn schedule_hearing(
        &self,
        case_id: i32,
        commission_id: i32,
        session_on: NaiveDate,
        rules: &Article100Rules,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<(ViolationCase, Hearing), SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, case_id).await?;
        check_access(access(&locked))?;
        next(locked.case.status, CaseEvent::ScheduleHearing)?;
        let commission = self
            .commission_in(&*tx, commission_id)
            .await?
            .filter(|c| c.active)
            .ok_or_else(|| bad("commission", "no sitting commission with this id"))?;
        if commission.kind != CommissionKind::Primary {
            return Err(bad(
                "commission",
                "a referred case goes to a primary commission; appeal commissions hear objections",
            ));
        }
        if commission.district.is_some() && commission.district != locked.district {
            return Err(bad(
                "commission",
                format!(
                    "this commission sits for district {}; the parcel is in district {}",
                    commission.district.unwrap_or_default(),
                    locked.district.unwrap_or_default()
                ),
            ));
        }
        let closes = deadline(today, rules.defence_window_days, &rules.holidays);
        if session_on <= today {
            return Err(bad("sessionOn", "the session date must be after today"));
        }
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET id_commission = $2, tarikh_jalaseh = $3 WHERE id_takhalof = $1",
            &[&case_id, &commission_id, &jalali(session_on)],
        )
        .await?;
        let row = tx
            .query_one(
                "INSERT INTO shahr.hearings (case_id, commission_id, session_on, defence_opens_on, defence_closes_on, scheduled_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&case_id, &commission_id, &session_on, &today, &closes, &actor.subject],
            )
            .await?;
        let hearing = Hearing {
            id: row.get(0),
            case_id,
            commission_id,
            session_on,
            defence_opens_on: today,
            defence_closes_on: closes,
        };
        let detail = json!({
            "commissionId": commission_id,
            "sessionOn": session_on.to_string(),
            "defenceClosesOn": closes.to_string(),
        });
        let mut locked = locked;
        locked.case.commission_id = Some(commission_id);
        let assigned = self
            .step(
                &tx,
                &locked,
                CaseEvent::ScheduleHearing,
                actor,
                "scheduleHearing",
                "case.hearing_scheduled",
                detail.clone(),
            )
            .await?;
        locked.case.status = assigned;
        let status = self
            .step(
                &tx,
                &locked,
                CaseEvent::OpenDefenceWindow,
                actor,
                "scheduleHearing",
                "case.defence_window_opened",
                detail,
            )
            .await?;
        tx.commit().await?;
        let mut case = locked.case;
        case.status = status;
        case.session_on = Some(session_on);
        Ok((case, hearing))
    }

    async fn latest_hearing(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
    ) -> Result<Option<Hearing>, SessionError> {
        let row = tx
            .query_opt(
                "SELECT id, case_id, commission_id, session_on, defence_opens_on, defence_closes_on \
                 FROM shahr.hearings WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
                &[&case_id],
            )
            .await?;
        Ok(row.as_ref().map(hearing_from_row))
    }

    /// The current hearing of each case; one statement.
    pub async fn hearings_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, Hearing>, StoreError> {
        let rows = self
            .rows(
                "SELECT DISTINCT ON (case_id) id, case_id, commission_id, session_on, defence_opens_on, defence_closes_on \
                 FROM shahr.hearings WHERE case_id = ANY($1) ORDER BY case_id, id DESC",
                &[&case_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(1), hearing_from_row(r)))
            .collect())
    }

    /// Defences of each case, oldest first; one statement.
    pub async fn defences_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, Vec<Defence>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, case_id, statement, by_owner, late, filed_at FROM shahr.defences \
                 WHERE case_id = ANY($1) ORDER BY case_id, id",
                &[&case_ids],
            )
            .await?;
        let mut out: std::collections::HashMap<i32, Vec<Defence>> = Default::default();
        for r in &rows {
            let d = defence_from_row(r);
            out.entry(d.case_id).or_default().push(d);
        }
        Ok(out)
    }

    /// Records the owner's statement while the case is in its defence window; a statement
    /// after the window's last day is kept and flagged late.
    pub async fn record_defence(
        &self,
        case_id: i32,
        statement: &str,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<Defence, SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, case_id).await?;
        check_access(access(&locked))?;
        next(locked.case.status, CaseEvent::RecordDefence)?;
        let by_owner = actor.role == "citizen";
        let hearing = self.latest_hearing(&*tx, case_id).await?;
        let late = hearing
            .as_ref()
            .is_some_and(|h| today > h.defence_closes_on);
        let row = tx
            .query_one(
                "INSERT INTO shahr.defences (case_id, hearing_id, statement, filed_by, role, by_owner, late) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, case_id, statement, by_owner, late, filed_at",
                &[&case_id, &hearing.as_ref().map(|h| h.id), &statement, &actor.subject, &actor.role, &by_owner, &late],
            )
            .await?;
        let defence = defence_from_row(&row);
        self.step(
            &tx,
            &locked,
            CaseEvent::RecordDefence,
            actor,
            "recordDefence",
            "case.defence_recorded",
            json!({ "defenceId": defence.id, "late": late, "byOwner": by_owner }),
        )
        .await?;
        tx.commit().await?;
        Ok(defence)
    }

    /// Opens a sitting of a commission with cases on its agenda. A primary commission hears
    /// cases assigned to it (they go into session; a case whose defence window is still open
    /// needs the owner's defence on file); an appeal commission hears appealed cases.
    pub async fn open_session(
        &self,
        commission_id: i32,
        case_ids: &[i32],
        actor: &Actor,
        access: impl FnOnce(&Commission) -> Access,
    ) -> Result<CommissionSession, SessionError> {
        let today = tehran_today(Utc::now());
        let mut ids = case_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let commission = self
            .commission_in(&*tx, commission_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        check_access(access(&commission))?;
        if !commission.active {
            return Err(conflict("this commission no longer sits"));
        }
        let stage = match commission.kind {
            CommissionKind::Primary => RulingStage::Primary,
            CommissionKind::Appeal => RulingStage::Appeal,
        };
        let row = tx
            .query_one(
                "INSERT INTO shahr.commission_sessions (commission_id, stage, opened_by) VALUES ($1, $2, $3) \
                 RETURNING id, opened_at",
                &[&commission_id, &wire_name(stage), &actor.subject],
            )
            .await?;
        let session_id: i64 = row.get(0);
        for (i, case_id) in ids.iter().enumerate() {
            let field = format!("cases[{i}]");
            let locked = match self.lock_case(&tx, *case_id).await {
                Err(SessionError::NotFound) => return Err(bad(field, "no such case")),
                other => other?,
            };
            match stage {
                RulingStage::Primary => {
                    if locked.case.commission_id != Some(commission_id) {
                        return Err(bad(field, "this case is not assigned to this commission"));
                    }
                    next(locked.case.status, CaseEvent::OpenSession)?;
                    if locked.case.status == CaseStatus::DefenceWindow {
                        self.check_defence_heard(&tx, &locked, today).await?;
                    }
                    self.step(
                        &tx,
                        &locked,
                        CaseEvent::OpenSession,
                        actor,
                        "openCommissionSession",
                        "case.in_session",
                        json!({ "sessionId": session_id }),
                    )
                    .await?;
                }
                RulingStage::Appeal => {
                    if locked.case.status != CaseStatus::Appealed {
                        return Err(SessionError::Conflict {
                            message: format!("case {case_id} is not appealed; an appeal commission hears appealed cases"),
                            current: Some(locked.case.status),
                        });
                    }
                    self.check_no_primary_members(&tx, commission_id, *case_id)
                        .await?;
                }
            }
            tx.execute(
                "INSERT INTO shahr.session_cases (session_id, case_id) VALUES ($1, $2)",
                &[&session_id, case_id],
            )
            .await?;
        }
        audit::append(
            &*tx,
            &audit::Entry {
                actor: actor.subject.clone(),
                role: actor.role.clone(),
                operation: "openCommissionSession".into(),
                target_ids: std::iter::once(format!("session:{session_id}"))
                    .chain(ids.iter().map(|c| format!("case:{c}")))
                    .collect(),
                outcome: "ok".into(),
                detail: json!({ "commissionId": commission_id, "stage": wire_name(stage) }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CommissionSession {
            id: session_id,
            commission_id,
            stage,
            opened_at: row.get(1),
            case_ids: ids,
        })
    }

    /// Refuses an appeal commission any of whose serving members signed the case's primary
    /// ruling.
    async fn check_no_primary_members(
        &self,
        tx: &Transaction<'_>,
        commission_id: i32,
        case_id: i32,
    ) -> Result<(), SessionError> {
        let signers: Vec<String> = tx
            .query(
                "SELECT s.national_id FROM shahr.ruling_signatures s JOIN shahr.ruling_drafts d ON d.id = s.draft_id \
                 WHERE d.case_id = $1 AND d.issued_ruling_id IS NOT NULL AND d.content->>'stage' = 'PRIMARY'",
                &[&case_id],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if signers.is_empty() {
            return Ok(());
        }
        let members = tx
            .query(
                "SELECT kod_melli FROM tbl_ozv_commission WHERE id_commission = $1 AND ta_tarikh IS NULL AND faal = '1'",
                &[&commission_id],
            )
            .await?;
        let overlap = members
            .iter()
            .filter_map(|r| r.get::<_, Option<String>>(0))
            .filter_map(|n| NationalId::parse(&n).ok())
            .any(|n| signers.iter().any(|s| s == n.as_str()));
        if overlap {
            return Err(conflict(format!(
                "case {case_id}: a member of this commission sat on the primary ruling; the appeal goes to a commission with none of them"
            )));
        }
        Ok(())
    }

    async fn check_defence_heard(
        &self,
        tx: &Transaction<'_>,
        locked: &LockedCase,
        today: NaiveDate,
    ) -> Result<(), SessionError> {
        let Some(hearing) = self.latest_hearing(&**tx, locked.case.id).await? else {
            return Ok(());
        };
        if today > hearing.defence_closes_on {
            return Ok(());
        }
        let filed: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM shahr.defences WHERE case_id = $1 AND hearing_id = $2)",
                &[&locked.case.id, &hearing.id],
            )
            .await?
            .get(0);
        if filed {
            return Ok(());
        }
        Err(SessionError::Conflict {
            message: format!(
                "case {}: the owner's defence window runs until {} and no defence is on file",
                locked.case.id,
                jalali(hearing.defence_closes_on)
            ),
            current: Some(locked.case.status),
        })
    }

    /// A session by id.
    pub async fn session(&self, session_id: i64) -> Result<Option<CommissionSession>, StoreError> {
        let client = self.pool().get().await?;
        load_session(&**client, session_id).await
    }

    /// Drafts the ruling of a case on a session's agenda. A newer draft replaces the older
    /// one (its signatures no longer count).
    pub async fn draft_ruling(
        &self,
        session_id: i64,
        case_id: i32,
        input: &DraftInput,
        rules: &Article100Rules,
        actor: &Actor,
        access: impl FnOnce(&CommissionSession) -> Access,
    ) -> Result<Draft, SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        let session = load_session(&*tx, session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        check_access(access(&session))?;
        if !session.case_ids.contains(&case_id) {
            return Err(bad("case", "this case is not on the session's agenda"));
        }
        let locked = self.lock_case(&tx, case_id).await?;
        let expected = match session.stage {
            RulingStage::Primary => CaseStatus::InSession,
            RulingStage::Appeal => CaseStatus::Appealed,
        };
        if locked.case.status != expected {
            return Err(SessionError::Conflict {
                message: format!(
                    "a ruling is drafted while the case is {}",
                    wire_name(expected)
                ),
                current: Some(locked.case.status),
            });
        }
        let text = shahr_domain::text::normalise(input.text.trim());
        let shape = DraftShape {
            stage: session.stage,
            kind: input.kind,
            breached_principle: input.breached_principle,
            appeal_outcome: input.appeal_outcome,
            interim_return: input.interim_return,
            priced_items: input.items.len(),
            text: text.clone(),
        };
        check_draft(&shape).map_err(|e| bad(e.field, e.message))?;
        let items = self.case_items(&tx, case_id).await?;
        let (year, tv, gw) = self.case_values(&tx, &locked, today).await?;
        let mut priced = Vec::new();
        for (i, (item_id, coefficient)) in input.items.iter().enumerate() {
            let field = format!("items[{i}]");
            if input.items[..i].iter().any(|(other, _)| other == item_id) {
                return Err(bad(format!("{field}.item"), "this item is priced twice"));
            }
            let item = items
                .iter()
                .find(|it| it.id == *item_id)
                .ok_or_else(|| bad(format!("{field}.item"), "not an item of this case"))?;
            let note = item.note.ok_or_else(|| {
                bad(
                    format!("{field}.item"),
                    "the item's note is unreadable in the urbanism system",
                )
            })?;
            let tv = tv.ok_or_else(|| {
                conflict(format!(
                    "the transaction-value table has no value for year {year}, district {}, block {}",
                    locked.district.unwrap_or_default(),
                    locked.block.unwrap_or_default()
                ))
            })?;
            let facts = ItemFacts {
                note,
                area_m2: excess_area(item),
                parking_spaces: item
                    .parking_spaces
                    .and_then(|p| u32::try_from(p).ok())
                    .unwrap_or(0),
                transaction_value: tv,
                goodwill_value: gw,
                coefficient: *coefficient,
            };
            let line = rules.fines.fine(&facts).map_err(|e| match e {
                FineError::CoefficientOutOfRange { .. } | FineError::CoefficientMissing => {
                    bad(format!("{field}.coefficient"), e.to_string())
                }
                other => bad(format!("{field}.item"), other.to_string()),
            })?;
            priced.push(PricedItem {
                item_id: *item_id,
                note,
                coefficient: if note == ViolationNote::Note4 {
                    None
                } else {
                    *coefficient
                },
                rials: line.rials,
                arithmetic: line.arithmetic,
            });
        }
        let appeal_of = match session.stage {
            RulingStage::Appeal => tx
                .query_opt(
                    "SELECT id_ray FROM tbl_ray WHERE id_takhalof = $1 AND marhaleh_ray = '1' \
                     AND noe_ray <> '05' ORDER BY id_ray DESC LIMIT 1",
                    &[&case_id],
                )
                .await?
                .map(|r| r.get::<_, i32>(0)),
            RulingStage::Primary => None,
        };
        let content = DraftContent {
            case_id,
            session_id,
            commission_id: session.commission_id,
            stage: session.stage,
            kind: input.kind,
            text,
            legal_basis: input
                .legal_basis
                .as_deref()
                .map(|b| shahr_domain::text::normalise(b.trim()))
                .filter(|b| !b.is_empty()),
            breached_principle: input.breached_principle,
            appeal_outcome: input.appeal_outcome,
            interim_return: input.interim_return,
            fine_rials: (!priced.is_empty()).then(|| priced.iter().map(|p| p.rials).sum()),
            items: priced,
            appeal_of,
        };
        let content_json = serde_json::to_value(&content).unwrap_or(Value::Null);
        let hash = content_hash(&content_json);
        tx.execute(
            "UPDATE shahr.ruling_drafts SET replaced_at = now() \
             WHERE session_id = $1 AND case_id = $2 AND replaced_at IS NULL AND issued_ruling_id IS NULL",
            &[&session_id, &case_id],
        )
        .await?;
        let row = tx
            .query_one(
                "INSERT INTO shahr.ruling_drafts (session_id, case_id, content, content_hash, drafted_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&session_id, &case_id, &content_json, &hash, &actor.subject],
            )
            .await?;
        let draft_id: i64 = row.get(0);
        audit::append(
            &*tx,
            &audit::Entry {
                actor: actor.subject.clone(),
                role: actor.role.clone(),
                operation: "draftRuling".into(),
                target_ids: vec![format!("draft:{draft_id}"), format!("case:{case_id}")],
                outcome: "ok".into(),
                detail: json!({ "contentHash": hash, "kind": input.kind }),
            },
        )
        .await?;
        let draft = load_draft(&*tx, draft_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        tx.commit().await?;
        Ok(draft)
    }

    /// A draft by id, with its signatures.
    pub async fn draft(&self, draft_id: i64) -> Result<Option<Draft>, StoreError> {
        let client = self.pool().get().await?;
        load_draft(&**client, draft_id).await
    }

    /// A voting member signs a draft. The member is found by national id among the serving
    /// members of the draft's commission; a member who signed the case's primary ruling may
    /// not sign its appeal. Signing the same draft again changes nothing.
    pub async fn sign_ruling(
        &self,
        draft_id: i64,
        signer: &NationalId,
        actor: &Actor,
        access: impl FnOnce(&Draft) -> Access,
    ) -> Result<Draft, SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        tx.query_opt(
            "SELECT 1 FROM shahr.ruling_drafts WHERE id = $1 FOR UPDATE",
            &[&draft_id],
        )
        .await?
        .ok_or(SessionError::NotFound)?;
        let draft = load_draft(&*tx, draft_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        check_access(access(&draft))?;
        if draft.issued_ruling_id.is_some() {
            return Err(conflict("this draft is already issued"));
        }
        if draft.replaced {
            return Err(conflict(
                "a newer draft replaced this one; sign the newer draft",
            ));
        }
        let members = tx
            .query(
                "SELECT id_ozv, kod_melli, semat, ta_tarikh, faal FROM tbl_ozv_commission WHERE id_commission = $1",
                &[&draft.content.commission_id],
            )
            .await?;
        let member = members.iter().find_map(|r| {
            let id: i32 = r.get(0);
            let reader = self.reader("tbl_ozv_commission", id);
            let national = r
                .get::<_, Option<String>>(1)
                .and_then(|n| NationalId::parse(&n).ok())?;
            let seat = reader.coded("semat", r.get(2), clean::member_role)?;
            let until = reader.date("ta_tarikh", r.get(3));
            let active = r.get::<_, String>(4).trim() != "0";
            (national == *signer && seat.is_voting() && active && until.is_none_or(|u| u >= today))
                .then_some((id, seat))
        });
        let Some((member_id, seat)) = member else {
            return Err(SessionError::Forbidden(
                "only a serving voting member of this commission signs its rulings".into(),
            ));
        };
        if draft.content.stage == RulingStage::Appeal {
            let sat_on_primary: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM shahr.ruling_signatures s \
                     JOIN shahr.ruling_drafts d ON d.id = s.draft_id \
                     WHERE d.case_id = $1 AND d.issued_ruling_id IS NOT NULL \
                     AND d.content->>'stage' = 'PRIMARY' AND s.national_id = $2)",
                    &[&draft.content.case_id, &signer.as_str()],
                )
                .await?
                .get(0);
            if sat_on_primary {
                return Err(SessionError::Forbidden(
                    "a member who sat on the primary ruling may not sit on its appeal".into(),
                ));
            }
        }
        if let Some(existing) = draft.signatures.iter().find(|s| s.seat == seat) {
            if existing.member_id == member_id {
                return Ok(draft);
            }
            return Err(conflict("another member already signed for this seat"));
        }
        tx.execute(
            "INSERT INTO shahr.ruling_signatures (draft_id, member_id, national_id, seat, content_hash, signed_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&draft_id, &member_id, &signer.as_str(), &wire_name(seat), &draft.content_hash, &actor.subject],
        )
        .await?;
        audit::append(
            &*tx,
            &audit::Entry {
                actor: actor.subject.clone(),
                role: actor.role.clone(),
                operation: "signRuling".into(),
                target_ids: vec![format!("draft:{draft_id}"), format!("member:{member_id}")],
                outcome: "ok".into(),
                detail: json!({ "contentHash": draft.content_hash, "seat": seat }),
            },
        )
        .await?;
        let draft = load_draft(&*tx, draft_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        tx.commit().await?;
        Ok(draft)
    }

    async fn issued_by_key(
        &self,
        client: &impl GenericClient,
        key: &str,
        draft_id: i64,
    ) -> Result<Option<Issued>, SessionError> {
        let row = client
            .query_opt(
                "SELECT legacy_ruling_id, id, number, verification_code, draft_id FROM shahr.issued_rulings \
                 WHERE idempotency_key = $1",
                &[&key],
            )
            .await?;
        match row {
            None => Ok(None),
            Some(r) if r.get::<_, Option<i64>>(4) == Some(draft_id) => Ok(Some(Issued {
                legacy_ruling_id: r.get(0),
                record_id: r.get(1),
                number: r.get(2),
                verification_code: r.get(3),
                created: false,
            })),
            Some(_) => Err(SessionError::IdempotencyKeyReused),
        }
    }

    /// Issues a signed draft, in one transaction: the legacy ruling row and case state the
    /// integrated urbanism system expects, the signed immutable record (`seal` signs it), the
    /// first state-history row, an audit entry and an outbox event. The same idempotency key
    /// returns the same ruling, also when two calls race.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of the one transaction
    pub async fn issue_ruling(
        &self,
        draft_id: i64,
        idempotency_key: &str,
        rules: &Article100Rules,
        actor: &Actor,
        channels: &Channels,
        access: impl FnOnce(&Draft) -> Access,
        seal: impl FnOnce(ToSign) -> NewIssuedRuling,
    ) -> Result<Issued, SessionError> {
        let now = Utc::now();
        let today = tehran_today(now);
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let draft = load_draft(&**client, draft_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        check_access(access(&draft))?;
        if let Some(done) = self
            .issued_by_key(&**client, idempotency_key, draft_id)
            .await?
        {
            return Ok(done);
        }
        let tx = client.transaction().await?;
        // The case lock serialises issuing for a case; a racing call with the same key waits
        // here and then finds the ruling the first one issued.
        let locked = self.lock_case(&tx, draft.content.case_id).await?;
        if let Some(done) = self.issued_by_key(&*tx, idempotency_key, draft_id).await? {
            return Ok(done);
        }
        let draft = load_draft(&*tx, draft_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        if draft.issued_ruling_id.is_some() {
            return Err(conflict(
                "this draft is already issued (with another idempotency key)",
            ));
        }
        if draft.replaced {
            return Err(conflict("a newer draft replaced this one"));
        }
        let seats: Vec<MemberRole> = draft.signatures.iter().map(|s| s.seat).collect();
        let missing = missing_seats(&seats);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|m| m.label_fa()).collect();
            return Err(conflict(format!(
                "the ruling needs the signatures of all three voting members; missing: {}",
                names.join("، ")
            )));
        }
        let c = &draft.content;
        let event = match (c.stage, c.kind, c.interim_return) {
            (RulingStage::Appeal, _, _) => CaseEvent::IssueAppealRuling,
            (_, RulingKind::InterimOrder, Some(InterimReturn::ExpertReview)) => {
                CaseEvent::InterimOrderToReview
            }
            (_, RulingKind::InterimOrder, _) => CaseEvent::InterimOrderToDefence,
            _ => CaseEvent::IssueRuling,
        };
        next(locked.case.status, event)?;
        let district = locked.district.unwrap_or(0);
        let date = JalaliDate::from_gregorian(today);
        let number = loop {
            let seq = next_sequence(&tx, "ruling", district, date.year).await?;
            let candidate =
                rules
                    .ruling_number
                    .render(district, date, u64::try_from(seq).unwrap_or_default());
            let taken: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM tbl_ray WHERE shomare_ray = ANY($1))",
                    &[&spellings(&candidate)],
                )
                .await?
                .get(0);
            if !taken {
                break candidate;
            }
        };
        let kind_code = RULING_KIND_CODES
            .iter()
            .find(|(_, k)| *k == c.kind)
            .map(|(code, _)| format!("{code:02}"))
            .unwrap_or_default();
        let stage_code = match c.stage {
            RulingStage::Primary => "1",
            RulingStage::Appeal => "2",
        };
        let principle = c.breached_principle.map(|p| match p {
            BreachedPrinciple::Technical => "1",
            BreachedPrinciple::Health => "2",
            BreachedPrinciple::UrbanPlanning => "3",
        });
        let legacy_id: i32 = tx
            .query_one(
                "INSERT INTO tbl_ray (id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, tarikh_ray, \
                 mablagh_jarimeh, matn_ray, mabna_qanuni, asl_naqz, vaziat) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7::int8, $8, $9, $10, '1') RETURNING id_ray",
                &[
                    &c.case_id,
                    &c.commission_id,
                    &number,
                    &kind_code,
                    &stage_code,
                    &date.to_string(),
                    &c.fine_rials,
                    &c.text,
                    &c.legal_basis,
                    &principle,
                ],
            )
            .await?
            .get(0);
        for item in &c.items {
            if let Some(k) = item.coefficient {
                tx.execute(
                    "UPDATE tbl_aqlam_takhalof SET zarib_k = $2::float8 WHERE id_qalam = $1",
                    &[&item.item_id, &k],
                )
                .await?;
            }
        }
        let mut supersedes = None;
        if let (RulingStage::Appeal, Some(primary)) = (c.stage, c.appeal_of) {
            let record: Option<i64> = tx
                .query_opt(
                    "SELECT id FROM shahr.issued_rulings WHERE legacy_ruling_id = $1",
                    &[&primary],
                )
                .await?
                .map(|r| r.get(0));
            let (legacy_status, state) = match c.appeal_outcome {
                Some(AppealOutcome::Confirm) => ("5", "CONFIRMED_ON_APPEAL"),
                _ => ("7", "OVERTURNED"),
            };
            tx.execute(
                "UPDATE tbl_ray SET vaziat = $2 WHERE id_ray = $1",
                &[&primary, &legacy_status],
            )
            .await?;
            if let Some(record) = record {
                tx.execute(
                    "INSERT INTO shahr.ruling_states (issued_ruling_id, state, actor, note) VALUES ($1, $2, $3, $4)",
                    &[&record, &state, &actor.subject, &number],
                )
                .await?;
                if c.appeal_outcome != Some(AppealOutcome::Confirm) {
                    supersedes = Some(record);
                }
            }
        }
        let legacy = issued::legacy_row(&*tx, legacy_id)
            .await?
            .ok_or_else(|| conflict("the legacy ruling row vanished"))?;
        let members = tx
            .query(
                "SELECT s.member_id, o.nam_kamel, s.seat, s.signed_at FROM shahr.ruling_signatures s \
                 LEFT JOIN tbl_ozv_commission o ON o.id_ozv = s.member_id WHERE s.draft_id = $1 ORDER BY s.seat",
                &[&draft_id],
            )
            .await?;
        let signers: Vec<Value> = members
            .iter()
            .map(|r| {
                json!({
                    "memberId": r.get::<_, i32>(0),
                    "name": r.get::<_, Option<String>>(1).map(|n| shahr_domain::text::normalise(&n)),
                    "seat": r.get::<_, String>(2),
                    "signedAt": r.get::<_, DateTime<Utc>>(3).to_rfc3339(),
                })
            })
            .collect();
        let session = json!({
            "draft": serde_json::to_value(c).unwrap_or(Value::Null),
            "draftHash": draft.content_hash,
            "draftedAt": draft.drafted_at.to_rfc3339(),
            "signers": signers,
            "issuedAt": now.to_rfc3339(),
        });
        let mut record = seal(ToSign {
            legacy_ruling_id: legacy_id,
            case_id: c.case_id,
            number: number.clone(),
            legacy,
            session,
            supersedes,
        });
        record.draft_id = Some(draft_id);
        record.idempotency_key = Some(idempotency_key.to_owned());
        let record_id = issued::record(&*tx, &record).await?;
        tx.execute(
            "UPDATE shahr.ruling_drafts SET issued_ruling_id = $2 WHERE id = $1",
            &[&draft_id, &record_id],
        )
        .await?;
        if event == CaseEvent::InterimOrderToDefence {
            let closes = deadline(today, rules.defence_window_days, &rules.holidays);
            tx.execute(
                "INSERT INTO shahr.hearings (case_id, commission_id, session_on, defence_opens_on, defence_closes_on, scheduled_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&c.case_id, &c.commission_id, &(closes + chrono::Duration::days(1)), &today, &closes, &actor.subject],
            )
            .await?;
        }
        self.step(
            &tx,
            &locked,
            event,
            actor,
            "issueRuling",
            "ruling.issued",
            json!({
                "rulingId": legacy_id,
                "issuedRecordId": record_id,
                "number": number,
                "kind": c.kind,
                "stage": c.stage,
                "fineRials": c.fine_rials.map(|f| f.to_string()),
                "rulingCommissionId": c.commission_id,
                "contentHash": record.content_hash,
                "keyId": record.key_id,
                "issuedAt": now.to_rfc3339(),
            }),
        )
        .await?;
        let link = format!(
            "{}/verify/{}",
            channels.public_base_url, record.verification_code
        );
        for contact in &locked.contacts {
            let title = "ابلاغ رأی کمیسیون ماده صد".to_owned();
            let body = format!(
                "رأی شماره {number} کمیسیون ماده صد درباره ملک شما صادر شد. متن دادنامه در سامانه شهر در دسترس است."
            );
            let mut plan = vec![shahr_store::deliveries::Channel::Inbox];
            if channels.e_notice {
                plan.push(shahr_store::deliveries::Channel::ENotice);
            }
            if channels.sms && contact.mobile.is_some() {
                plan.push(shahr_store::deliveries::Channel::Sms);
            }
            for channel in plan {
                let body = if channel == shahr_store::deliveries::Channel::Sms {
                    format!("{body} (این پیامک اطلاع‌رسانی است و ابلاغ قانونی نیست.)")
                } else {
                    body.clone()
                };
                shahr_store::deliveries::enqueue(
                    &*tx,
                    &shahr_store::deliveries::NewDelivery {
                        send_id: format!(
                            "ruling-{legacy_id}-{}-{}",
                            contact.national_id.as_str(),
                            channel.as_str().to_lowercase()
                        ),
                        channel,
                        subject_kind: "ruling".into(),
                        subject_id: legacy_id.to_string(),
                        national_id: Some(contact.national_id.as_str().to_owned()),
                        mobile: contact.mobile.as_ref().map(|m| m.as_str().to_owned()),
                        name: Some(contact.name.clone()),
                        title: title.clone(),
                        body,
                        link: Some(link.clone()),
                    },
                )
                .await?;
            }
        }
        match tx.commit().await.map_err(StoreError::from) {
            Ok(()) => {}
            Err(StoreError::UniqueViolation { constraint })
                if constraint.contains("idempotency") =>
            {
                return self
                    .issued_by_key(&**client, idempotency_key, draft_id)
                    .await?
                    .ok_or(SessionError::IdempotencyKeyReused);
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Issued {
            legacy_ruling_id: legacy_id,
            record_id,
            number,
            verification_code: record.verification_code,
            created: true,
        })
    }

    /// Verification codes of the issued records of legacy rulings, and whether each has a
    /// judgment document; one statement.
    pub async fn verification_codes(
        &self,
        legacy_ruling_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, (String, bool)>, StoreError> {
        let rows = self
            .rows(
                "SELECT r.legacy_ruling_id, r.verification_code, \
                 EXISTS (SELECT 1 FROM shahr.ruling_documents d WHERE d.issued_ruling_id = r.id) \
                 FROM shahr.issued_rulings r WHERE r.legacy_ruling_id = ANY($1)",
                &[&legacy_ruling_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect())
    }
}

fn note_code(note: ViolationNote) -> i16 {
    match note {
        ViolationNote::Note2 => 2,
        ViolationNote::Note3 => 3,
        ViolationNote::Note4 => 4,
        ViolationNote::Note5 => 5,
        ViolationNote::Note6 => 6,
    }
}

/// The area a fine is computed on: what was built beyond the permit, or all of it without one.
fn excess_area(item: &ViolationItem) -> f64 {
    let built = item.built_area_m2.unwrap_or(0.0);
    let permitted = item.permitted_area_m2.unwrap_or(0.0);
    (built - permitted).max(0.0)
}

fn brief_line(
    rules: &Article100Rules,
    item: &ViolationItem,
    tv: Option<i64>,
    gw: Option<i64>,
    year: i32,
) -> BriefLine {
    let mut line = BriefLine {
        item_id: item.id,
        note: item.note,
        min_rials: None,
        max_rials: None,
        explanation: String::new(),
    };
    let Some(note) = item.note else {
        line.explanation = "the item's note is unreadable in the urbanism system".into();
        return line;
    };
    let Some(tv) = tv else {
        line.explanation = format!("no transaction value for {year} in this block");
        return line;
    };
    let range = match note {
        ViolationNote::Note2 => Some(rules.fines.note2),
        ViolationNote::Note3 => Some(rules.fines.note3),
        ViolationNote::Note5 => Some(rules.fines.note5),
        ViolationNote::Note4 | ViolationNote::Note6 => None,
    };
    let facts = |coefficient: Option<f64>| ItemFacts {
        note,
        area_m2: excess_area(item),
        parking_spaces: item
            .parking_spaces
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        transaction_value: tv,
        goodwill_value: gw,
        coefficient,
    };
    let (low, high) = match range {
        Some(r) => (
            rules.fines.fine(&facts(Some(f64::from(r.min) / 100.0))),
            rules.fines.fine(&facts(Some(f64::from(r.max) / 100.0))),
        ),
        None => {
            let one = rules.fines.fine(&facts(None));
            (one.clone(), one)
        }
    };
    match (low, high) {
        (Ok(l), Ok(h)) => {
            line.min_rials = Some(l.rials);
            line.max_rials = Some(h.rials);
            line.explanation = if l.arithmetic == h.arithmetic {
                l.arithmetic
            } else {
                format!("from {} to {}", l.arithmetic, h.arithmetic)
            };
        }
        (Err(e), _) | (_, Err(e)) => line.explanation = e.to_string(),
    }
    line
}

fn hearing_from_row(r: &Row) -> Hearing {
    Hearing {
        id: r.get(0),
        case_id: r.get(1),
        commission_id: r.get(2),
        session_on: r.get(3),
        defence_opens_on: r.get(4),
        defence_closes_on: r.get(5),
    }
}

fn defence_from_row(r: &Row) -> Defence {
    Defence {
        id: r.get(0),
        case_id: r.get(1),
        statement: r.get(2),
        by_owner: r.get(3),
        late: r.get(4),
        filed_at: r.get(5),
    }
}

async fn load_session(
    client: &impl GenericClient,
    session_id: i64,
) -> Result<Option<CommissionSession>, StoreError> {
    let Some(row) = client
        .query_opt(
            "SELECT s.id, s.commission_id, s.stage, s.opened_at, \
             COALESCE(array_agg(c.case_id ORDER BY c.case_id) FILTER (WHERE c.case_id IS NOT NULL), '{}') \
             FROM shahr.commission_sessions s LEFT JOIN shahr.session_cases c ON c.session_id = s.id \
             WHERE s.id = $1 GROUP BY s.id",
            &[&session_id],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(CommissionSession {
        id: row.get(0),
        commission_id: row.get(1),
        stage: if row.get::<_, String>(2) == "APPEAL" {
            RulingStage::Appeal
        } else {
            RulingStage::Primary
        },
        opened_at: row.get(3),
        case_ids: row.get(4),
    }))
}

async fn load_draft(
    client: &impl GenericClient,
    draft_id: i64,
) -> Result<Option<Draft>, StoreError> {
    let Some(row) = client
        .query_opt(
            "SELECT id, content, content_hash, drafted_at, replaced_at IS NOT NULL, issued_ruling_id \
             FROM shahr.ruling_drafts WHERE id = $1",
            &[&draft_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let content: DraftContent = serde_json::from_value(row.get(1))
        .map_err(|e| StoreError::Data(format!("draft {draft_id}: {e}")))?;
    let hash: String = row.get(2);
    let signatures = client
        .query(
            "SELECT member_id, seat, signed_at FROM shahr.ruling_signatures \
             WHERE draft_id = $1 AND content_hash = $2 ORDER BY signed_at",
            &[&draft_id, &hash],
        )
        .await?
        .iter()
        .filter_map(|r| {
            let seat: MemberRole = serde_json::from_value(Value::String(r.get(1))).ok()?;
            Some(Signature {
                member_id: r.get(0),
                seat,
                signed_at: r.get(2),
            })
        })
        .collect();
    Ok(Some(Draft {
        id: row.get(0),
        content,
        content_hash: hash,
        drafted_at: row.get(3),
        replaced: row.get(4),
        issued_ruling_id: row.get(5),
        signatures,
    }))
}
