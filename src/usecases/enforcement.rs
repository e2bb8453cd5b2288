//! Carrying out final rulings: fine payments (instalments, idempotent by the bank's
//! reference), referral back to the same commission for non-payment, and the record of a
//! demolition, a restored use or a closed business. When everything the operative ruling
//! ordered is done, the case closes.

use std::collections::HashMap;

use chrono::NaiveDate;
use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    enforcement::{
        fully_enforced, may_pay, may_record, may_refer_for_non_payment, operative, outcomes_of,
        Refusal, RulingStanding, RulingSummary,
    },
    events::{DomainEvent, Enforced, FinePayment, NonPaymentReferral, OnCase, RulingRef},
    money::Rials,
    vocabulary::{CaseStatus, EnforcementAction, RulingStatus},
};
use shahr_urbanism::cases::{
    enforcement::{EnforcementRecord, Payment, RulingLedger},
    service::RulingFacts,
    LockedCase,
};
use tokio_postgres::GenericClient;

use super::{
    bad, conflict_in, policy,
    steps::{emit, step},
    today, Article100, UseCaseError,
};
use crate::auth::Principal;

/// A recorded payment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Paid {
    /// The payment (the earlier one when the reference was recorded before).
    pub payment: Payment,
    /// The fine.
    pub fine_rials: i64,
    /// Paid so far.
    pub paid_rials: i64,
    /// False when the reference was recorded before.
    pub created: bool,
}

/// An enforcement to record.
#[derive(Debug, Clone)]
pub struct Enforce {
    /// The ruling.
    pub ruling_id: i32,
    /// What was done.
    pub action: EnforcementAction,
    /// The day.
    pub done_on: NaiveDate,
    /// The officer.
    pub officer: String,
    /// The evidence.
    pub evidence: String,
    /// The municipality's cost (its demolition only).
    pub cost_rials: Option<i64>,
}

/// Each ruling's standing among its case's rulings: operative or superseded, final or not,
/// what it ordered, paid and done.
pub fn standings(ledgers: &[RulingLedger]) -> HashMap<i32, RulingStanding> {
    let mut by_case: HashMap<i32, Vec<&RulingLedger>> = HashMap::new();
    for l in ledgers {
        by_case.entry(l.facts.case_id).or_default().push(l);
    }
    let mut out = HashMap::new();
    for rulings in by_case.values() {
        let summaries: Vec<RulingSummary> = rulings
            .iter()
            .map(|l| RulingSummary {
                id: l.facts.id,
                kind: l.facts.kind,
                status: l.facts.status,
            })
            .collect();
        let current = operative(&summaries);
        for l in rulings {
            out.insert(
                l.facts.id,
                RulingStanding {
                    ruling_id: l.facts.id,
                    commission_id: l.facts.commission_id,
                    is_final: matches!(
                        l.facts.status,
                        Some(RulingStatus::Final | RulingStatus::Enforced)
                    ),
                    superseded: current != Some(l.facts.id),
                    outcomes: outcomes_of(l.facts.kind, &l.item_outcomes),
                    fine: Rials::new(l.facts.fine_rials).unwrap_or_default(),
                    paid: Rials::new(l.paid_rials).unwrap_or_default(),
                    done: l.done.clone(),
                },
            );
        }
    }
    out
}

/// What each parcel owes on operative final fines (parcels owing nothing absent).
pub fn unpaid_by_parcel(ledgers: &[RulingLedger]) -> HashMap<i32, i64> {
    let standing = standings(ledgers);
    let mut out: HashMap<i32, i64> = HashMap::new();
    for l in ledgers {
        if let Some(s) = standing
            .get(&l.facts.id)
            .filter(|s| s.is_final && !s.superseded)
        {
            let owed = s.outstanding().get();
            if owed > 0 {
                *out.entry(l.parcel_id).or_default() += owed;
            }
        }
    }
    out
}

pub(super) fn refusal(e: Refusal, current: CaseStatus) -> UseCaseError {
    match e {
        Refusal::MoreThanOwed(owed) => bad(
            "amount",
            format!("more than the {owed} rials outstanding"),
            "مبلغ بیش از بدهی باقی‌مانده است.",
        ),
        Refusal::Cost(why) => bad(
            "cost",
            why,
            "هزینه فقط برای قلع توسط شهرداری ثبت می‌شود و برای آن لازم است.",
        ),
        other => {
            let fa = match other {
                Refusal::Superseded => {
                    "این رأی در تجدیدنظر جایگزین شده است؛ اقدام به رأی معتبر مربوط است."
                }
                Refusal::NotFinal => "رأی هنوز قطعی نشده است.",
                Refusal::NoFine => "این رأی جریمه ندارد.",
                Refusal::AlreadyPaid => "جریمه پیش‌تر به‌طور کامل پرداخت شده است.",
                Refusal::NotOrdered(_) => "رأی چنین حکمی برای هیچ قلمی ندارد.",
                _ => "این اقدام پیش‌تر ثبت شده است.",
            };
            conflict_in(current, other.to_string(), fa)
        }
    }
}

impl Article100 {
    pub(super) async fn standing_in(
        &self,
        tx: &impl GenericClient,
        locked: &LockedCase,
        ruling_id: i32,
    ) -> Result<RulingStanding, UseCaseError> {
        let ledgers = self
            .db
            .rulings_of_case(tx, locked.case.parcel_id, locked.case.id)
            .await?;
        standings(&ledgers)
            .remove(&ruling_id)
            .ok_or(UseCaseError::NotFound)
    }

    /// Closes the case when everything the ruling ordered is done (marking it enforced).
    #[allow(clippy::too_many_arguments)] // one step's facts
    async fn close_if_done<D: serde::Serialize + Clone>(
        &self,
        tx: &impl GenericClient,
        locked: &mut LockedCase,
        standing: &RulingStanding,
        actor: &Actor,
        operation: &str,
        (variant, detail): (fn(OnCase<D>) -> DomainEvent, D),
    ) -> Result<bool, UseCaseError> {
        if locked.case.status == CaseStatus::Final {
            step(
                &self.db,
                tx,
                locked,
                CaseEvent::StartEnforcement,
                actor,
                operation,
                DomainEvent::EnforcementStarted,
                RulingRef {
                    ruling_id: i64::from(standing.ruling_id),
                },
            )
            .await?;
        }
        if fully_enforced(standing) && locked.case.status == CaseStatus::Enforcement {
            step(
                &self.db,
                tx,
                locked,
                CaseEvent::Close,
                actor,
                operation,
                variant,
                detail,
            )
            .await?;
            self.db
                .set_ruling_status(tx, standing.ruling_id, RulingStatus::Enforced)
                .await?;
            self.db
                .append_ruling_state(tx, standing.ruling_id, "ENFORCED", actor, None)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Records a payment (or an instalment) of the operative final fine. Urbanism staff of
    /// the parcel's district.
    pub async fn record_payment(
        &self,
        p: &Principal,
        ruling_id: i32,
        amount_rials: i64,
        reference: &str,
        paid_on: NaiveDate,
    ) -> Result<Paid, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::UrbanismStaff);
        let amount = Rials::new(amount_rials)
            .ok()
            .filter(|a| *a > Rials::ZERO)
            .ok_or_else(|| {
                bad(
                    "amount",
                    "a payment is a positive number of rials",
                    "مبلغ پرداخت باید مثبت باشد.",
                )
            })?;
        if paid_on > today() {
            return Err(bad(
                "paidOn",
                "a payment date cannot be in the future",
                "تاریخ پرداخت نمی‌تواند در آینده باشد.",
            ));
        }
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        let (_, mut locked) = self.lock_ruling_case(&*tx, ruling_id).await?;
        policy::decide(
            p,
            &locked,
            policy::works_district(p, Role::UrbanismStaff, &locked),
            "only urbanism staff of the parcel's district record payments",
        )?;
        let paid = self
            .pay_locked(
                &*tx,
                &mut locked,
                ruling_id,
                (amount, paid_on),
                reference,
                &actor,
            )
            .await?;
        tx.commit().await?;
        Ok(paid)
    }

    /// The ruling's facts and its case, locked in `tx`; `NotFound` when either is missing.
    pub(super) async fn lock_ruling_case(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<(RulingFacts, LockedCase), UseCaseError> {
        let facts = self
            .db
            .ruling_facts(tx, ruling_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let locked = self
            .db
            .lock_case(tx, facts.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        Ok((facts, locked))
    }

    /// Records a payment against a ruling whose case the caller has locked (and may pay): once
    /// per reference; the case moves to enforcement, and closes when everything is done.
    pub(super) async fn pay_locked(
        &self,
        tx: &impl GenericClient,
        locked: &mut LockedCase,
        ruling_id: i32,
        (amount, paid_on): (Rials, NaiveDate),
        reference: &str,
        actor: &Actor,
    ) -> Result<Paid, UseCaseError> {
        let amount_rials = amount.get();
        let standing = self.standing_in(tx, locked, ruling_id).await?;
        if let Some(existing) = self.db.payment_by_reference(tx, reference).await? {
            if existing.ruling_id != ruling_id || existing.amount_rials != amount_rials {
                return Err(UseCaseError::IdempotencyKeyReused(
                    "this payment reference was recorded for another payment".into(),
                ));
            }
            return Ok(Paid {
                payment: existing,
                fine_rials: standing.fine.get(),
                paid_rials: standing.paid.get(),
                created: false,
            });
        }
        may_pay(&standing, amount).map_err(|e| refusal(e, locked.case.status))?;
        let payment = self
            .db
            .insert_payment(tx, ruling_id, amount_rials, paid_on, reference, actor)
            .await?;
        let paid = standing
            .paid
            .checked_add(amount)
            .map_err(|_| bad("amount", "too large", "مبلغ بیش از حد است."))?;
        let after = RulingStanding {
            paid,
            ..standing.clone()
        };
        let detail = FinePayment {
            ruling_id: i64::from(ruling_id),
            amount_rials: amount_rials.to_string(),
            paid_rials: paid.get().to_string(),
            fine_rials: standing.fine.get().to_string(),
            reference: reference.to_owned(),
        };
        let closed = if matches!(
            locked.case.status,
            CaseStatus::Final | CaseStatus::Enforcement
        ) {
            self.close_if_done(
                tx,
                locked,
                &after,
                actor,
                "recordFinePayment",
                (DomainEvent::FinePaid, detail.clone()),
            )
            .await?
        } else {
            false
        };
        if !closed {
            let variant = if after.outstanding() == Rials::ZERO {
                DomainEvent::FinePaid
            } else {
                DomainEvent::InstalmentPaid
            };
            emit(
                tx,
                locked,
                actor,
                ("recordFinePayment", format!("ruling:{ruling_id}")),
                variant,
                detail,
            )
            .await?;
        }
        if after.outstanding() == Rials::ZERO {
            self.db
                .append_ruling_state(tx, ruling_id, "PAID", actor, Some(reference))
                .await?;
        }
        Ok(Paid {
            payment,
            fine_rials: standing.fine.get(),
            paid_rials: paid.get(),
            created: true,
        })
    }

    /// Sends the case of an unpaid operative final fine back to the commission that imposed
    /// it (Notes 2 and 3). Urbanism staff of the parcel's district.
    pub async fn refer_for_non_payment(
        &self,
        p: &Principal,
        ruling_id: i32,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<CaseStatus, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::UrbanismStaff);
        let mut client = self.db.pool().get().await?;
        let facts = self
            .db
            .ruling_facts(&**client, ruling_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, facts.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        policy::decide(
            p,
            &locked,
            policy::works_district(p, Role::UrbanismStaff, &locked),
            "only urbanism staff of the parcel's district refer cases",
        )?;
        let standing = self.standing_in(&*tx, &locked, ruling_id).await?;
        let commission =
            may_refer_for_non_payment(&standing).map_err(|e| refusal(e, locked.case.status))?;
        let detail = NonPaymentReferral {
            ruling_id: i64::from(ruling_id),
            number: facts.number.clone(),
            outstanding_rials: standing.outstanding().get().to_string(),
            returns_to_commission_id: commission,
        };
        if locked.case.status == CaseStatus::Final {
            step(
                &self.db,
                &*tx,
                &mut locked,
                CaseEvent::StartEnforcement,
                &actor,
                "referForNonPayment",
                DomainEvent::EnforcementStarted,
                RulingRef {
                    ruling_id: i64::from(ruling_id),
                },
            )
            .await?;
        }
        let status = step(
            &self.db,
            &*tx,
            &mut locked,
            CaseEvent::ReferForNonPayment,
            &actor,
            "referForNonPayment",
            DomainEvent::ReferredForNonPayment,
            detail,
        )
        .await?;
        self.db
            .insert_non_payment_referral(
                &*tx,
                facts.case_id,
                ruling_id,
                commission,
                standing.outstanding().get(),
                &actor,
            )
            .await?;
        if let Some(c) = commission {
            tx.execute(
                "UPDATE tbl_parvandeh_takhalof SET id_commission = $2 WHERE id_takhalof = $1",
                &[&facts.case_id, &c],
            )
            .await?;
        }
        self.db
            .append_ruling_state(&*tx, ruling_id, "REFERRED_FOR_NON_PAYMENT", &actor, None)
            .await?;
        let answer = { status };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Records how a final ruling was carried out: demolition (by the owner, or by the
    /// municipality with its cost as the owner's debt), use restored, business closed. The
    /// case closes once everything ordered is done. Urbanism staff of the parcel's district.
    pub async fn record_enforcement(
        &self,
        p: &Principal,
        input: Enforce,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<(EnforcementRecord, CaseStatus), UseCaseError> {
        let actor = Actor::person(&p.subject, Role::UrbanismStaff);
        if input.done_on > today() {
            return Err(bad(
                "doneOn",
                "an enforcement date cannot be in the future",
                "تاریخ اجرا نمی‌تواند در آینده باشد.",
            ));
        }
        let cost =
            match input.cost_rials {
                Some(c) => Some(Rials::new(c).ok().filter(|c| *c > Rials::ZERO).ok_or_else(
                    || {
                        bad(
                            "cost",
                            "a cost is a positive number of rials",
                            "هزینه باید مثبت باشد.",
                        )
                    },
                )?),
                None => None,
            };
        let mut client = self.db.pool().get().await?;
        let facts = self
            .db
            .ruling_facts(&**client, input.ruling_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, facts.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        policy::decide(
            p,
            &locked,
            policy::works_district(p, Role::UrbanismStaff, &locked),
            "only urbanism staff of the parcel's district record enforcement",
        )?;
        let standing = self.standing_in(&*tx, &locked, input.ruling_id).await?;
        may_record(&standing, input.action, cost).map_err(|e| refusal(e, locked.case.status))?;
        if facts.issued_on.is_some_and(|d| input.done_on < d) {
            return Err(bad(
                "doneOn",
                "an enforcement date cannot precede the ruling",
                "تاریخ اجرا نمی‌تواند پیش از رأی باشد.",
            ));
        }
        let record = self
            .db
            .insert_enforcement(
                &*tx,
                input.ruling_id,
                facts.case_id,
                input.action,
                input.done_on,
                &input.officer,
                &input.evidence,
                cost.map(Rials::get),
                &actor,
            )
            .await?;
        let mut done = standing.done.clone();
        done.push(input.action);
        let after = RulingStanding { done, ..standing };
        let detail = Enforced {
            ruling_id: i64::from(input.ruling_id),
            action: input.action,
            done_on: input.done_on,
            cost_rials: cost.map(|c| c.get().to_string()),
        };
        let closed = if matches!(
            locked.case.status,
            CaseStatus::Final | CaseStatus::Enforcement
        ) {
            self.close_if_done(
                &*tx,
                &mut locked,
                &after,
                &actor,
                "recordEnforcement",
                (DomainEvent::RulingEnforced, detail.clone()),
            )
            .await?
        } else {
            false
        };
        if !closed {
            emit(
                &*tx,
                &locked,
                &actor,
                ("recordEnforcement", format!("ruling:{}", input.ruling_id)),
                DomainEvent::EnforcementRecorded,
                detail,
            )
            .await?;
        }
        let answer = { (record, locked.case.status) };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }
}
