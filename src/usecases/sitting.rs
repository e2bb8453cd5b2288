//! Opening a commission's sitting on its cases. A primary commission sits on a case only on
//! or after its hearing date and once every owner's defence window has closed (Note 1). An
//! appeal commission hears a case once every party's objection window has closed, so that
//! all objections in time are heard together, and only if none of its members sat on the
//! primary ruling, legacy rulings included.

use chrono::{Duration, NaiveDate};
use serde_json::json;
use shahr_domain::{
    actors::{Actor, Role},
    calendar::HolidayCalendar,
    cases::CaseEvent,
    conflicts::{conflicts, sat_on, PrimaryRuling, Term},
    events::{DomainEvent, Sitting},
    jalali::JalaliDate,
    vocabulary::{CaseStatus, CommissionKind, RulingStage},
    windows::{may_sit, NotYet},
};
use shahr_urbanism::cases::{
    sittings::{CommissionSession, MemberTerm},
    LockedCase,
};
use tokio_postgres::GenericClient;

use super::{
    bad, conflict, conflict_in, policy,
    steps::{audit_entry, step},
    today, Article100, State, UseCaseError,
};
use crate::auth::Principal;

/// Membership records as terms; `serving_view` ends an inactive member's open term yesterday
/// (they no longer serve), the primary view keeps it open (they may have sat then).
pub(crate) fn terms(records: &[MemberTerm], serving_view: bool, today: NaiveDate) -> Vec<Term> {
    records
        .iter()
        .filter_map(|m| {
            let until = match (m.until, m.active, serving_view) {
                (None, false, true) => Some(today - Duration::days(1)),
                (u, _, _) => u,
            };
            Some(Term {
                national_id: m.national_id.clone()?,
                commission_id: m.commission_id,
                from: m.from,
                until,
                voting: m.seat.is_some_and(|s| s.is_voting()),
            })
        })
        .collect()
}

fn jalali(d: NaiveDate) -> String {
    JalaliDate::from_gregorian(d).to_string()
}

impl Article100 {
    /// Everyone who sat on the case's primary ruling: its signers here, and the voting
    /// members of its commission on its date.
    pub(crate) async fn primary_sitters(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<std::collections::BTreeSet<shahr_domain::identifiers::NationalId>, UseCaseError>
    {
        let Some(primary) = self.db.primary_ruling(client, case_id).await? else {
            return Ok(Default::default());
        };
        let signers = self.db.primary_signers(client, case_id).await?;
        let records = match primary.commission_id {
            Some(c) => self.db.member_terms(client, &[c]).await?,
            None => Vec::new(),
        };
        Ok(sat_on(
            &PrimaryRuling {
                commission_id: primary.commission_id,
                date: primary.date,
                signers,
            },
            &terms(&records, false, today()),
        ))
    }

    /// Opens a sitting of a commission with cases on its agenda. The secretary of that
    /// commission.
    pub async fn open_session(
        &self,
        p: &Principal,
        commission_id: i32,
        case_ids: &[i32],
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<CommissionSession, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::CommissionSecretary);
        let today = today();
        let mut ids = case_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let commission = self
            .db
            .commission_in(&*tx, commission_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        if !policy::is_secretary_of(p, commission_id) {
            return Err(policy::commission_refusal(p));
        }
        if !commission.active {
            return Err(conflict(
                State::Commission("INACTIVE"),
                "this commission no longer sits",
                "این کمیسیون دیگر تشکیل نمی‌شود.",
            ));
        }
        let stage = match commission.kind {
            CommissionKind::Primary => RulingStage::Primary,
            CommissionKind::Appeal => RulingStage::Appeal,
        };
        let calendar = self.db.calendar_in(&*tx).await?;
        let (session_id, opened_at) = self
            .db
            .insert_session(&*tx, commission_id, stage, &actor.subject)
            .await?;
        let appeal_terms = match stage {
            RulingStage::Appeal => terms(
                &self.db.member_terms(&*tx, &[commission_id]).await?,
                true,
                today,
            ),
            RulingStage::Primary => Vec::new(),
        };
        for (i, case_id) in ids.iter().enumerate() {
            let field = format!("cases[{i}]");
            let no_such_case = || bad(field.clone(), "no such case", "پرونده‌ای با این شناسه نیست.");
            let Some(mut locked) = self.db.lock_case(&*tx, *case_id).await? else {
                return Err(no_such_case());
            };
            // A case the secretary cannot see (outside the commission's district, not before
            // it, not an appeal awaiting an appeal commission) answers as one that does not
            // exist, whatever state it is in.
            let visible = policy::sees_case(p, &locked)
                || locked.case.commission_id == Some(commission_id)
                || (stage == RulingStage::Appeal && locked.case.status == CaseStatus::Appealed);
            if !visible {
                return Err(no_such_case());
            }
            match stage {
                RulingStage::Primary => {
                    if locked.case.commission_id != Some(commission_id) {
                        return Err(bad(
                            field,
                            "this case is not assigned to this commission",
                            "این پرونده به این کمیسیون ارجاع نشده است.",
                        ));
                    }
                    self.check_may_sit(&*tx, &locked, today, &calendar).await?;
                    step(
                        &self.db,
                        &*tx,
                        &mut locked,
                        CaseEvent::OpenSession,
                        &actor,
                        "openCommissionSession",
                        DomainEvent::InSession,
                        Sitting { session_id },
                    )
                    .await?;
                }
                RulingStage::Appeal => {
                    if locked.case.status != CaseStatus::Appealed {
                        return Err(conflict_in(
                            locked.case.status,
                            format!("case {case_id} is not appealed; an appeal commission hears appealed cases"),
                            "کمیسیون تجدیدنظر فقط به پرونده‌های دارای اعتراض رسیدگی می‌کند.",
                        ));
                    }
                    self.check_windows_closed(&*tx, &locked, today, &calendar)
                        .await?;
                    let sat = self.primary_sitters(&*tx, *case_id).await?;
                    let overlap = conflicts(commission_id, today, &appeal_terms, &sat);
                    if !overlap.is_empty() {
                        return Err(conflict(
                            State::Commission("SAT_ON_THE_PRIMARY_RULING"),
                            format!(
                                "case {case_id}: {} member(s) of this commission sat on the primary ruling; the appeal goes to a commission with none of them",
                                overlap.len()
                            ),
                            "عضوی از این کمیسیون در صدور رأی بدوی شرکت داشته است؛ تجدیدنظر به کمیسیون دیگری می‌رود.",
                        ));
                    }
                }
            }
        }
        self.db.add_to_session(&*tx, session_id, &ids).await?;
        audit_entry(
            &*tx,
            &actor,
            "openCommissionSession",
            std::iter::once(format!("session:{session_id}"))
                .chain(ids.iter().map(|c| format!("case:{c}")))
                .collect(),
            "ok",
            json!({ "commissionId": commission_id, "stage": stage }),
        )
        .await?;
        let answer = {
            CommissionSession {
                id: session_id,
                commission_id,
                stage,
                opened_at,
                case_ids: ids,
            }
        };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Refuses a primary sitting on a case before its hearing date, with owners not yet
    /// summoned, or inside an owner's defence window.
    async fn check_may_sit(
        &self,
        tx: &impl GenericClient,
        locked: &LockedCase,
        today: NaiveDate,
        calendar: &HolidayCalendar,
    ) -> Result<(), UseCaseError> {
        shahr_domain::cases::next(locked.case.status, CaseEvent::OpenSession)
            .map_err(|e| conflict_in(e.current, e.to_string(), "پرونده آماده طرح در جلسه نیست."))?;
        let hearing = self.db.latest_hearing(tx, locked.case.id).await?;
        let session_on = hearing
            .as_ref()
            .map(|h| h.session_on)
            .or(locked.case.session_on);
        let summonses = self.summonses(tx, hearing.as_ref()).await?;
        let current = State::Case(locked.case.status);
        let case_id = locked.case.id;
        may_sit(session_on, &summonses, today, self.rules.defence(), calendar).map_err(|why| match why {
            NotYet::BeforeHearing { session_on } => UseCaseError::Conflict {
                message: format!("case {case_id}: the hearing is set for {} ({}); the commission cannot sit on it before", session_on, jalali(session_on)),
                message_fa: Some(format!("جلسه رسیدگی این پرونده در تاریخ {} است و پیش از آن تشکیل نمی‌شود.", shahr_domain::text::persian_digits(&jalali(session_on)))),
                current,
            },
            NotYet::Unserved(parties) => UseCaseError::Conflict {
                message: format!(
                    "case {case_id}: the summons has not been served on {} owner(s) ({}); their defence window has not begun",
                    parties.len(),
                    parties.iter().map(|p| p.key()).collect::<Vec<_>>().join(", ")
                ),
                message_fa: Some("احضاریه هنوز به همه مالکان ابلاغ قانونی نشده است.".into()),
                current,
            },
            NotYet::InsideDefenceWindow { party, until } => UseCaseError::Conflict {
                message: format!(
                    "case {case_id}: the hearing falls inside the defence window of {} (until {}, {}); set a hearing after it",
                    party.key(),
                    until,
                    jalali(until)
                ),
                message_fa: Some(format!(
                    "جلسه در مهلت دفاعیه مالک است (تا {})؛ وقت رسیدگی را پس از آن تعیین کنید.",
                    shahr_domain::text::persian_digits(&jalali(until))
                )),
                current,
            },
        })
    }

    /// Refuses an appeal while a party that has not objected can still object (their window
    /// is open, or they have not been served): objections in time are heard together.
    async fn check_windows_closed(
        &self,
        tx: &impl GenericClient,
        locked: &LockedCase,
        today: NaiveDate,
        calendar: &HolidayCalendar,
    ) -> Result<(), UseCaseError> {
        let Some(primary) = self.db.primary_ruling(tx, locked.case.id).await? else {
            return Ok(());
        };
        let Some(facts) = self.db.ruling_facts(tx, primary.ruling_id).await? else {
            return Ok(());
        };
        let standings = self.standings(tx, &facts, locked).await?;
        for s in standings.iter().filter(|s| !s.objected_in_time) {
            match s.served_on {
                None => {
                    return Err(conflict_in(
                        locked.case.status,
                        format!(
                            "case {}: the primary ruling has not been served on {}; their objection window has not begun, and objections in time are heard together",
                            locked.case.id,
                            s.party.key()
                        ),
                        "رأی بدوی هنوز به همه طرف‌ها ابلاغ نشده است؛ اعتراض‌های در مهلت با هم رسیدگی می‌شوند.",
                    ))
                }
                Some(served) => {
                    let last = self.rules.objection().last_day(served, calendar);
                    if today <= last {
                        return Err(conflict_in(
                            locked.case.status,
                            format!(
                                "case {}: {} may still object until {} ({}); objections in time are heard together",
                                locked.case.id,
                                s.party.key(),
                                last,
                                jalali(last)
                            ),
                            "مهلت اعتراض یکی از طرف‌ها هنوز باقی است؛ اعتراض‌های در مهلت با هم رسیدگی می‌شوند.",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
