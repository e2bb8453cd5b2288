//! Scheduling a hearing (or moving it) and summoning the owners, and recording their
//! defences. Each owner's defence window runs from the legal service of their own summons
//! (Note 1), not from scheduling; the hearing must come after it.

use chrono::NaiveDate;
use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    events::{DefenceRecorded, DomainEvent, HearingSet},
    jalali::JalaliDate,
    vocabulary::{CaseStatus, CommissionKind},
    windows::{defence_last_day, earliest_hearing, Summons},
};
use shahr_urbanism::{
    cases::{
        hearings::{Defence, Hearing, NewDefence},
        service::Document,
        LockedCase,
    },
    records::ViolationCase,
};
use tokio_postgres::GenericClient;

use shahr_store::idempotency::Key;

use super::{
    bad, conflict_in, policy,
    steps::{mobiles, party_records, step, tell_parties, Message},
    today, Article100, UseCaseError,
};
use crate::auth::Principal;

/// A hearing scheduled, and the owners summoned.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scheduled {
    /// The case, now in its defence window.
    pub case: ViolationCase,
    /// The hearing.
    pub hearing: Hearing,
    /// The earliest hearing date the law allowed on the day it was scheduled.
    pub earliest: NaiveDate,
}

impl Article100 {
    /// The owners' summonses to a case's current hearing: each owner and the day their summons
    /// was served, if it was.
    pub(crate) async fn summonses(
        &self,
        client: &impl GenericClient,
        hearing: Option<&Hearing>,
    ) -> Result<Vec<Summons>, UseCaseError> {
        let Some(hearing) = hearing else {
            return Ok(Vec::new());
        };
        let document = Document::Summons(hearing.id);
        let parties = self.db.parties_of(client, &[document]).await?;
        let services = self.db.services_of(client, &[document]).await?;
        let served = services.get(&document).cloned().unwrap_or_default();
        Ok(parties
            .get(&document)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|p| Summons {
                party: p.party.clone(),
                served_on: served
                    .iter()
                    .filter(|s| s.party == p.party)
                    .map(|s| s.served_on)
                    .min(),
            })
            .collect())
    }

    /// Sets the commission and hearing date of a referred case and summons its owners (by
    /// e-notice, or by hand for those with no account); or sets a new date for a case in its
    /// defence window, with new summonses. The secretary of that primary commission; a case
    /// sent back for non-payment returns to the commission that imposed the fine.
    pub async fn schedule_hearing(
        &self,
        p: &Principal,
        case_id: i32,
        commission_id: i32,
        session_on: Option<NaiveDate>,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<Scheduled, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::CommissionSecretary);
        let today = today();
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        // The secretary of the chosen commission, for a case they can see (in the district
        // the commission sits for, or already before it); anyone else learns nothing of it.
        let theirs =
            policy::sees_case(p, &locked) || locked.case.commission_id == Some(commission_id);
        if !theirs {
            return Err(UseCaseError::NotFound);
        }
        policy::decide(
            p,
            &locked,
            policy::is_secretary_of(p, commission_id),
            "only the secretary of the chosen commission schedules its hearings",
        )?;
        let event = match locked.case.status {
            CaseStatus::Referred => CaseEvent::ScheduleHearing,
            CaseStatus::DefenceWindow => CaseEvent::Reschedule,
            other => {
                return Err(conflict_in(
                    other,
                    "a hearing is set for a referred case, or moved while the case is in its defence window",
                    "تعیین وقت رسیدگی فقط برای پرونده ارجاع‌شده یا در مهلت دفاعیه ممکن است.",
                ))
            }
        };
        let commission = self
            .db
            .commission_in(&*tx, commission_id)
            .await?
            .filter(|c| c.active)
            .ok_or_else(|| {
                bad(
                    "commission",
                    "no sitting commission with this id",
                    "کمیسیون فعالی با این شناسه نیست.",
                )
            })?;
        if commission.kind != CommissionKind::Primary {
            return Err(bad(
                "commission",
                "a referred case goes to a primary commission; appeal commissions hear objections",
                "پرونده ارجاعی به کمیسیون بدوی می‌رود؛ کمیسیون تجدیدنظر به اعتراض‌ها رسیدگی می‌کند.",
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
                "این کمیسیون برای منطقه ملک نیست.",
            ));
        }
        if let Some(required) = self
            .db
            .pending_non_payment_commission(&*tx, case_id)
            .await?
        {
            if required.is_some_and(|c| c != commission_id) {
                return Err(bad(
                    "commission",
                    format!(
                        "the case was sent back for non-payment to commission {}, which imposed the fine (Notes 2 and 3)",
                        required.unwrap_or_default()
                    ),
                    "پرونده عدم پرداخت جریمه به همان کمیسیونی بازمی‌گردد که جریمه را تعیین کرده است.",
                ));
            }
        }
        let calendar = self.db.calendar_in(&*tx).await?;
        let earliest = earliest_hearing(today, self.rules.defence(), &calendar);
        let session_on = session_on.unwrap_or(earliest);
        if session_on < earliest {
            return Err(bad(
                "sessionOn",
                format!(
                    "the hearing must come after the owners' defence window: {} days from the service of the summons (Note 1); the earliest date is {} ({})",
                    self.rules.defence_window_days,
                    earliest,
                    JalaliDate::from_gregorian(earliest)
                ),
                "تاریخ جلسه باید پس از پایان مهلت دفاعیه مالک (ده روز از ابلاغ قانونی احضاریه) باشد.",
            ));
        }
        self.db
            .assign_commission(&*tx, case_id, commission_id, session_on)
            .await?;
        let hearing = self
            .db
            .insert_hearing(&*tx, case_id, commission_id, session_on, &actor.subject)
            .await?;
        locked.case.commission_id = Some(commission_id);
        locked.case.session_on = Some(session_on);
        self.summon(&*tx, &locked, &hearing).await?;
        let detail = HearingSet {
            hearing_id: hearing.id,
            session_on,
        };
        if event == CaseEvent::ScheduleHearing {
            step(
                &self.db,
                &*tx,
                &mut locked,
                event,
                &actor,
                "scheduleHearing",
                DomainEvent::HearingScheduled,
                detail.clone(),
            )
            .await?;
            step(
                &self.db,
                &*tx,
                &mut locked,
                CaseEvent::OpenDefenceWindow,
                &actor,
                "scheduleHearing",
                DomainEvent::DefenceWindowOpened,
                detail,
            )
            .await?;
        } else {
            step(
                &self.db,
                &*tx,
                &mut locked,
                event,
                &actor,
                "scheduleHearing",
                DomainEvent::HearingScheduled,
                detail,
            )
            .await?;
        }
        let answer = {
            Scheduled {
                case: locked.case,
                hearing,
                earliest,
            }
        };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Records the owners as the parties of the hearing's summons and tells them.
    async fn summon(
        &self,
        tx: &impl GenericClient,
        locked: &LockedCase,
        hearing: &Hearing,
    ) -> Result<(), UseCaseError> {
        let parties = party_records(locked, false);
        let document = Document::Summons(hearing.id);
        self.db
            .save_parties(tx, document, locked.case.id, &parties)
            .await?;
        let date = JalaliDate::from_gregorian(hearing.session_on);
        tell_parties(
            tx,
            &self.channels,
            &parties,
            &mobiles(locked),
            &Message {
                subject_kind: "summons",
                subject_id: hearing.id.to_string(),
                title: "احضاریه کمیسیون ماده صد".into(),
                body: format!(
                    "پرونده تخلف ملک شما در جلسه {} کمیسیون ماده صد رسیدگی می‌شود. از تاریخ ابلاغ این احضاریه {} روز برای ارائه دفاعیه کتبی مهلت دارید.",
                    shahr_domain::text::persian_digits(&date.to_string()),
                    shahr_domain::text::persian_digits(&self.rules.defence_window_days.to_string())
                ),
                link: None,
            },
        )
        .await
    }

    /// Records an owner's defence: an owner of the parcel files their own; the secretary of
    /// the case's commission files one received on paper. After the owner's window (from the
    /// service of their summons) it is kept and flagged late.
    pub async fn record_defence(
        &self,
        p: &Principal,
        case_id: i32,
        statement: &str,
        key: Option<&Key>,
    ) -> Result<Defence, UseCaseError> {
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let as_owner = policy::is_owner(p, &locked);
        let secretary = locked
            .case
            .commission_id
            .is_some_and(|c| policy::is_secretary_of(p, c));
        policy::decide(
            p,
            &locked,
            as_owner || secretary,
            "only an owner of the parcel, or the secretary of the case's commission, files its defence",
        )?;
        let actor = Actor::person(
            &p.subject,
            if as_owner {
                Role::Citizen
            } else {
                Role::CommissionSecretary
            },
        );
        shahr_domain::cases::next(locked.case.status, CaseEvent::RecordDefence).map_err(|e| {
            conflict_in(
                e.current,
                e.to_string(),
                "دفاعیه فقط در مهلت دفاعیه پرونده ثبت می‌شود.",
            )
        })?;
        let hearing = self.db.latest_hearing(&*tx, case_id).await?;
        let summonses = self.summonses(&*tx, hearing.as_ref()).await?;
        let calendar = self.db.calendar_in(&*tx).await?;
        let own = p
            .national_id
            .as_ref()
            .map(|n| shahr_domain::parties::Party::Natural(n.clone()));
        let served: Vec<NaiveDate> = summonses
            .iter()
            .filter(|s| !as_owner || Some(&s.party) == own.as_ref())
            .filter_map(|s| s.served_on)
            .collect();
        let late = served
            .iter()
            .map(|d| defence_last_day(*d, self.rules.defence(), &calendar))
            .max()
            .is_some_and(|last| today() > last);
        let defence = self
            .db
            .insert_defence(
                &*tx,
                &NewDefence {
                    case_id,
                    hearing_id: hearing.as_ref().map(|h| h.id),
                    statement,
                    filed_by: &actor.subject,
                    role: actor.role_name(),
                    by_owner: as_owner,
                    late,
                },
            )
            .await?;
        step(
            &self.db,
            &*tx,
            &mut locked,
            CaseEvent::RecordDefence,
            &actor,
            "recordDefence",
            DomainEvent::DefenceRecorded,
            DefenceRecorded {
                defence_id: defence.id,
                late,
                by_owner: as_owner,
            },
        )
        .await?;
        super::keys::complete(&*tx, key, &defence).await?;
        tx.commit().await?;
        Ok(defence)
    }
}
