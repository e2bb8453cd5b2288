//! Objections to a primary ruling (Note 10): each party's timeliness is judged on the day the
//! objection was received against the window of that party's own service. The first in time
//! sends the case to appeal; later ones in time join the same appeal; late ones are recorded
//! and flagged.

use chrono::NaiveDate;
use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    events::{DomainEvent, ObjectionFiled, OnCase},
    parties::Party,
    vocabulary::{CaseStatus, Objector, RulingStage, RulingStatus},
    windows::timeliness,
};
use shahr_store::outbox;

use super::{
    bad, conflict, conflict_in, policy,
    steps::{audit_entry, scope, step},
    today, Article100, State, UseCaseError,
};
use crate::auth::Principal;

/// An objection to file.
#[derive(Debug, Clone)]
pub struct FileObjection {
    /// The ruling.
    pub ruling_id: i32,
    /// The objection.
    pub statement: String,
    /// For a paper letter filed by staff: the day it was received (today when absent).
    pub received_on: Option<NaiveDate>,
    /// For a paper letter filed by staff on an owner's behalf: that owner (the municipality
    /// when absent).
    pub on_behalf_of: Option<Party>,
    /// The client's idempotency key: a retry finds the first attempt's result.
    pub idempotency: Option<shahr_store::idempotency::Key>,
}

/// A recorded objection.
#[derive(Debug, Clone, PartialEq)]
pub struct Objected {
    /// Who objected.
    pub party: Party,
    /// The day it was received.
    pub received_on: NaiveDate,
    /// In time?
    pub in_time: bool,
    /// The last day of the objector's window (none before their own service).
    pub last_day: Option<NaiveDate>,
    /// True when it joined an appeal another party's objection had opened.
    pub joined_appeal: bool,
}

impl Article100 {
    /// Files an objection: an owner for themself (received now), or urbanism staff of the
    /// district for the municipality or for an owner's paper letter (received on the day they
    /// give).
    pub async fn file_objection(
        &self,
        p: &Principal,
        input: FileObjection,
    ) -> Result<Objected, UseCaseError> {
        let mut client = self.db.pool().get().await?;
        let facts = self
            .db
            .ruling_facts(&**client, input.ruling_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, input.idempotency.as_ref()).await? {
            let stored: StoredObjected = super::keys::decode(&done)?;
            return stored.into_objected();
        }
        let mut locked = self
            .db
            .lock_case(&*tx, facts.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let as_owner = policy::is_owner(p, &locked);
        let staff = policy::works_district(p, Role::UrbanismStaff, &locked);
        policy::decide(
            p,
            &locked,
            as_owner || staff,
            "only an owner of the parcel or the municipality (urbanism staff of its district) objects",
        )?;
        let today = today();
        let (party, received_on, actor) = if as_owner && !staff {
            if input.received_on.is_some() || input.on_behalf_of.is_some() {
                return Err(bad(
                    "receivedOn",
                    "an online objection is received when it is filed; only staff enter a paper letter's date",
                    "تاریخ دریافت فقط برای نامه کاغذی و توسط کارشناس ثبت می‌شود.",
                ));
            }
            let own = p.national_id.clone().ok_or(UseCaseError::NotFound)?;
            (
                Party::Natural(own),
                today,
                Actor::person(&p.subject, Role::Citizen),
            )
        } else {
            (
                input.on_behalf_of.clone().unwrap_or(Party::Municipality),
                input.received_on.unwrap_or(today),
                Actor::person(&p.subject, Role::UrbanismStaff),
            )
        };
        if received_on > today {
            return Err(bad(
                "receivedOn",
                "a receipt date cannot be in the future",
                "تاریخ دریافت نمی‌تواند در آینده باشد.",
            ));
        }
        if facts.issued_on.is_some_and(|d| received_on < d) {
            return Err(bad(
                "receivedOn",
                "an objection cannot be received before the ruling",
                "تاریخ دریافت اعتراض نمی‌تواند پیش از صدور رأی باشد.",
            ));
        }
        if facts.stage != RulingStage::Primary {
            return Err(conflict(
                State::Case(locked.case.status),
                "an appeal ruling is final; only the Administrative Justice Court hears complaints against it",
                "رأی تجدیدنظر قطعی است و فقط در دیوان عدالت اداری قابل شکایت است.",
            ));
        }
        let standings = self.standings(&*tx, &facts, &locked).await?;
        let Some(standing) = standings.iter().find(|s| s.party == party) else {
            return Err(bad(
                "onBehalfOf",
                "not a party of this ruling",
                "این شخص طرف این رأی نیست.",
            ));
        };
        let calendar = self.db.calendar_in(&*tx).await?;
        let t = timeliness(
            standing.served_on,
            received_on,
            self.rules.objection(),
            &calendar,
        );
        self.db
            .insert_objection(
                &*tx,
                facts.id,
                facts.case_id,
                &party,
                &input.statement,
                received_on,
                t.in_time,
                t.last_day,
                &actor,
            )
            .await?;
        let detail = ObjectionFiled {
            ruling_id: i64::from(facts.id),
            number: facts.number.clone(),
            party: party.key(),
            objector: if party.is_owner() {
                Objector::Owner
            } else {
                Objector::Municipality
            },
            in_time: t.in_time,
            received_on,
            deadline: t.last_day,
        };
        let mut joined = false;
        if t.in_time {
            match locked.case.status {
                CaseStatus::RulingIssued | CaseStatus::Notified | CaseStatus::ObjectionWindow => {
                    step(
                        &self.db,
                        &*tx,
                        &mut locked,
                        CaseEvent::FileObjection,
                        &actor,
                        "fileObjection",
                        DomainEvent::ObjectionFiled,
                        detail,
                    )
                    .await?;
                    self.db
                        .set_ruling_status(&*tx, facts.id, RulingStatus::Objected)
                        .await?;
                    self.db
                        .append_ruling_state(&*tx, facts.id, "OBJECTED", &actor, None)
                        .await?;
                }
                CaseStatus::Appealed => {
                    joined = true;
                    step(
                        &self.db,
                        &*tx,
                        &mut locked,
                        CaseEvent::JoinAppeal,
                        &actor,
                        "fileObjection",
                        DomainEvent::ObjectionFiled,
                        detail,
                    )
                    .await?;
                }
                other => {
                    return Err(conflict_in(
                        other,
                        "the appeal on this ruling has been decided; the ruling is final",
                        "به این رأی در تجدیدنظر رسیدگی شده و قطعی است.",
                    ))
                }
            }
        } else {
            let status = locked.case.status;
            let audit_detail = serde_json::to_value(&detail).unwrap_or_default();
            let event = DomainEvent::ObjectionLate(OnCase {
                case: scope(&locked, status, status),
                detail,
            });
            outbox::enqueue(&*tx, &event).await?;
            audit_entry(
                &*tx,
                &actor,
                "fileObjection",
                vec![
                    format!("ruling:{}", facts.id),
                    format!("case:{}", facts.case_id),
                ],
                "late",
                audit_detail,
            )
            .await?;
        }
        let objected = Objected {
            party,
            received_on,
            in_time: t.in_time,
            last_day: t.last_day,
            joined_appeal: joined,
        };
        super::keys::complete(
            &*tx,
            input.idempotency.as_ref(),
            &StoredObjected::from(&objected),
        )
        .await?;
        tx.commit().await?;
        Ok(objected)
    }
}

/// An objection's answer as kept with its idempotency key.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredObjected {
    party: String,
    received_on: NaiveDate,
    in_time: bool,
    last_day: Option<NaiveDate>,
    joined_appeal: bool,
}

impl From<&Objected> for StoredObjected {
    fn from(o: &Objected) -> Self {
        Self {
            party: o.party.key(),
            received_on: o.received_on,
            in_time: o.in_time,
            last_day: o.last_day,
            joined_appeal: o.joined_appeal,
        }
    }
}

impl StoredObjected {
    fn into_objected(self) -> Result<Objected, UseCaseError> {
        Ok(Objected {
            party: Party::from_key(&self.party).ok_or_else(|| {
                UseCaseError::Store(shahr_store::StoreError::Data(format!(
                    "an idempotency record names no party: {}",
                    self.party
                )))
            })?,
            received_on: self.received_on,
            in_time: self.in_time,
            last_day: self.last_day,
            joined_appeal: self.joined_appeal,
        })
    }
}
