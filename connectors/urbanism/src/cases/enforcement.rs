//! Carrying out final rulings: fine payments, enforcement records, referrals back for
//! non-payment, finality dates, and the rulings of parcels' cases as the certificate check
//! and the payment rules read them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shahr_domain::{
    actors::Actor,
    vocabulary::{CaseStatus, EnforcementAction, ItemOutcome},
};
use shahr_store::StoreError;
use tokio_postgres::{GenericClient, Row};

use super::{service::RulingFacts, wire_name};
use crate::{codes, UrbanismDb};

/// A recorded payment of a fine.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    /// Row id.
    pub id: i64,
    /// The legacy ruling.
    pub ruling_id: i32,
    /// Amount in rials.
    pub amount_rials: i64,
    /// The day it was paid.
    pub paid_on: NaiveDate,
    /// The bank's or payment gateway's reference.
    pub reference: String,
}

/// A recorded enforcement of a ruling.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnforcementRecord {
    /// Row id.
    pub id: i64,
    /// The legacy ruling.
    pub ruling_id: i32,
    /// What was done.
    pub action: EnforcementAction,
    /// The day.
    pub done_on: NaiveDate,
    /// The officer who recorded it.
    pub officer: String,
    /// The evidence (report number, photographs, upload ids).
    pub evidence: String,
    /// The municipality's cost, a debt of the owner.
    pub cost_rials: Option<i64>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A ruling of a case with what the enforcement rules need about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RulingLedger {
    /// The parcel.
    pub parcel_id: i32,
    /// The ruling's legacy facts.
    pub facts: RulingFacts,
    /// Paid against it so far.
    pub paid_rials: i64,
    /// Enforcement actions recorded for it.
    pub done: Vec<EnforcementAction>,
    /// The outcomes its items were given (none for legacy rulings decided as a whole).
    pub item_outcomes: Vec<ItemOutcome>,
}

/// A case of a parcel and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelCase {
    /// The parcel.
    pub parcel_id: i32,
    /// The case.
    pub case_id: i32,
    /// Its state, when readable.
    pub status: Option<CaseStatus>,
}

const PAYMENT_COLUMNS: &str = "id, legacy_ruling_id, amount_rials, paid_on, reference";

fn payment(r: &Row) -> Payment {
    Payment {
        id: r.get(0),
        ruling_id: r.get(1),
        amount_rials: r.get(2),
        paid_on: r.get(3),
        reference: r.get(4),
    }
}

fn action(text: &str) -> Option<EnforcementAction> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

impl UrbanismDb {
    /// The payment recorded under a bank reference, if any.
    #[tracing::instrument(name = "urbanism.payment_by_reference", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payment_by_reference(
        &self,
        client: &impl GenericClient,
        reference: &str,
    ) -> Result<Option<Payment>, StoreError> {
        Ok(client
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS} FROM shahr.fine_payments WHERE reference = $1"),
                &[&reference],
            )
            .await?
            .as_ref()
            .map(payment))
    }

    /// Records a payment.
    #[tracing::instrument(name = "urbanism.insert_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_payment(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        amount_rials: i64,
        paid_on: NaiveDate,
        reference: &str,
        actor: &Actor,
    ) -> Result<Payment, StoreError> {
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO shahr.fine_payments (legacy_ruling_id, amount_rials, paid_on, reference, recorded_by) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING {PAYMENT_COLUMNS}"
                ),
                &[&ruling_id, &amount_rials, &paid_on, &reference, &actor.subject],
            )
            .await?;
        Ok(payment(&row))
    }

    /// Payments of each ruling, oldest first; one statement.
    #[tracing::instrument(name = "urbanism.payments_by_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payments_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Payment>>, StoreError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM shahr.fine_payments WHERE legacy_ruling_id = ANY($1) \
                     ORDER BY legacy_ruling_id, id"
                ),
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Payment>> = HashMap::new();
        for r in &rows {
            let p = payment(r);
            out.entry(p.ruling_id).or_default().push(p);
        }
        Ok(out)
    }

    /// Records how a ruling was carried out.
    #[allow(clippy::too_many_arguments)] // one record's facts
    #[tracing::instrument(name = "urbanism.insert_enforcement", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_enforcement(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        case_id: i32,
        act: EnforcementAction,
        done_on: NaiveDate,
        officer: &str,
        evidence: &str,
        cost_rials: Option<i64>,
        actor: &Actor,
    ) -> Result<EnforcementRecord, StoreError> {
        let row = tx
            .query_one(
                "INSERT INTO shahr.enforcements (legacy_ruling_id, case_id, action, outcome, done_on, officer, \
                 evidence, cost_rials, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id, recorded_at",
                &[
                    &ruling_id,
                    &case_id,
                    &wire_name(act),
                    &wire_name(act.carries_out()),
                    &done_on,
                    &officer,
                    &evidence,
                    &cost_rials,
                    &actor.subject,
                ],
            )
            .await?;
        Ok(EnforcementRecord {
            id: row.get(0),
            ruling_id,
            action: act,
            done_on,
            officer: officer.to_owned(),
            evidence: evidence.to_owned(),
            cost_rials,
            recorded_at: row.get(1),
        })
    }

    /// Enforcement records of each ruling; one statement.
    #[tracing::instrument(name = "urbanism.enforcements_by_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn enforcements_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<EnforcementRecord>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, legacy_ruling_id, action, done_on, officer, evidence, cost_rials, recorded_at \
                 FROM shahr.enforcements WHERE legacy_ruling_id = ANY($1) ORDER BY legacy_ruling_id, id",
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<EnforcementRecord>> = HashMap::new();
        for r in &rows {
            let Some(act) = action(&r.get::<_, String>(2)) else {
                continue;
            };
            let e = EnforcementRecord {
                id: r.get(0),
                ruling_id: r.get(1),
                action: act,
                done_on: r.get(3),
                officer: r.get(4),
                evidence: r.get(5),
                cost_rials: r.get(6),
                recorded_at: r.get(7),
            };
            out.entry(e.ruling_id).or_default().push(e);
        }
        Ok(out)
    }

    /// Records a referral back to the commission for non-payment.
    #[tracing::instrument(name = "urbanism.insert_non_payment_referral", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_non_payment_referral(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        ruling_id: i32,
        commission_id: Option<i32>,
        outstanding_rials: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO shahr.non_payment_referrals (case_id, legacy_ruling_id, commission_id, outstanding_rials, referred_by) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&case_id, &ruling_id, &commission_id, &outstanding_rials, &actor.subject],
        )
        .await?;
        Ok(())
    }

    /// The commission a case was last sent back to for non-payment, when that referral is
    /// newer than the case's last hearing (so the next hearing must be before it).
    #[tracing::instrument(name = "urbanism.pending_non_payment_commission", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn pending_non_payment_commission(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<Option<Option<i32>>, StoreError> {
        Ok(client
            .query_opt(
                "SELECT r.commission_id FROM shahr.non_payment_referrals r WHERE r.case_id = $1 \
                 AND r.referred_at > COALESCE((SELECT max(h.scheduled_at) FROM shahr.hearings h WHERE h.case_id = $1), '-infinity') \
                 ORDER BY r.id DESC LIMIT 1",
                &[&case_id],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// Records the day a ruling became final.
    #[tracing::instrument(name = "urbanism.mark_final", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn mark_final(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        case_id: i32,
        final_on: NaiveDate,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO shahr.ruling_finality (legacy_ruling_id, case_id, final_on, recorded_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (legacy_ruling_id) DO NOTHING",
            &[&ruling_id, &case_id, &final_on, &actor.subject],
        )
        .await?;
        Ok(())
    }

    /// The day each ruling became final, as the gateway recorded it; one statement.
    #[tracing::instrument(name = "urbanism.final_dates", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn final_dates(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, NaiveDate>, StoreError> {
        let rows = self
            .rows(
                "SELECT legacy_ruling_id, final_on FROM shahr.ruling_finality WHERE legacy_ruling_id = ANY($1)",
                &[&ruling_ids],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The cases of parcels and where each stands; one statement.
    #[tracing::instrument(name = "urbanism.cases_of_parcels", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn cases_of_parcels(
        &self,
        client: &impl GenericClient,
        parcel_ids: &[i32],
    ) -> Result<Vec<ParcelCase>, StoreError> {
        let rows = client
            .query(
                "SELECT id_parvandeh, id_takhalof, marhaleh FROM tbl_parvandeh_takhalof \
                 WHERE id_parvandeh = ANY($1) ORDER BY id_parvandeh, id_takhalof",
                &[&parcel_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let case_id: i32 = r.get(1);
                ParcelCase {
                    parcel_id: r.get(0),
                    case_id,
                    status: self.reader("tbl_parvandeh_takhalof", case_id).coded(
                        "marhaleh",
                        r.get(2),
                        |c| codes::CASE_STATUS.decode(c),
                    ),
                }
            })
            .collect())
    }

    /// Every ruling of the cases of these parcels, oldest first per case, with payments,
    /// enforcement records and the items' outcomes; one statement.
    #[tracing::instrument(name = "urbanism.rulings_of_parcels", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_of_parcels(
        &self,
        client: &impl GenericClient,
        parcel_ids: &[i32],
    ) -> Result<Vec<RulingLedger>, StoreError> {
        let rows = client
            .query(
                "SELECT c.id_parvandeh, r.id_ray, r.id_takhalof, r.marhaleh_ray, r.tarikh_ray, r.shomare_ray, r.noe_ray, \
                 r.id_commission, COALESCE(r.mablagh_jarimeh, 0)::int8, r.vaziat, \
                 COALESCE((SELECT sum(p.amount_rials) FROM shahr.fine_payments p WHERE p.legacy_ruling_id = r.id_ray), 0)::int8, \
                 COALESCE((SELECT array_agg(e.action) FROM shahr.enforcements e WHERE e.legacy_ruling_id = r.id_ray), '{}'), \
                 COALESCE((SELECT array_agg(a.noe_hokm) FROM tbl_aqlam_takhalof a WHERE a.id_takhalof = r.id_takhalof \
                           AND a.noe_hokm IS NOT NULL), '{}') \
                 FROM tbl_ray r JOIN tbl_parvandeh_takhalof c ON c.id_takhalof = r.id_takhalof \
                 WHERE c.id_parvandeh = ANY($1) ORDER BY r.id_takhalof, r.id_ray",
                &[&parcel_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let id: i32 = row.get(1);
                let r = self.reader("tbl_ray", id);
                let outcomes: Vec<Option<String>> = row.get(12);
                RulingLedger {
                    parcel_id: row.get(0),
                    facts: RulingFacts {
                        id,
                        case_id: row.get(2),
                        stage: r
                            .coded("marhaleh_ray", row.get(3), |c| {
                                codes::RULING_STAGE.decode(c)
                            })
                            .unwrap_or(shahr_domain::vocabulary::RulingStage::Primary),
                        issued_on: r.date("tarikh_ray", row.get(4)),
                        number: r.text(row.get(5)).unwrap_or_default(),
                        kind: r.coded("noe_ray", row.get(6), |c| codes::RULING_KIND.decode(c)),
                        commission_id: row.get(7),
                        fine_rials: row.get(8),
                        status: r.coded("vaziat", row.get(9), |c| codes::RULING_STATUS.decode(c)),
                    },
                    paid_rials: row.get(10),
                    done: row
                        .get::<_, Vec<String>>(11)
                        .iter()
                        .filter_map(|a| action(a))
                        .collect(),
                    item_outcomes: outcomes
                        .iter()
                        .filter_map(|o| o.as_deref())
                        .filter_map(|o| r.code("noe_hokm", Some(o)))
                        .filter_map(|c| codes::ITEM_OUTCOME.decode(c))
                        .collect(),
                }
            })
            .collect())
    }

    /// The rulings of a case's parcel, for the case's own rulings (see [`Self::rulings_of_parcels`]).
    #[tracing::instrument(name = "urbanism.rulings_of_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_of_case(
        &self,
        client: &impl GenericClient,
        parcel_id: i32,
        case_id: i32,
    ) -> Result<Vec<RulingLedger>, StoreError> {
        Ok(self
            .rulings_of_parcels(client, &[parcel_id])
            .await?
            .into_iter()
            .filter(|r| r.facts.case_id == case_id)
            .collect())
    }
}
