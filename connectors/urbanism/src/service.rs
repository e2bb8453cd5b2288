//! What follows an issued ruling: its legal service (*eblagh*), objections inside or outside
//! the window, and finality. Each step writes the legacy rows (`tbl_eblagh`, `tbl_eteraz`,
//! `tbl_ray.vaziat`, the case state) with the state history, an outbox event and an audit
//! entry, in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use shahr_domain::{
    cases::CaseEvent,
    deadlines::deadline,
    session::Article100Rules,
    vocabulary::{CaseStatus, NotificationMode, Objector, RulingStage},
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use crate::{
    clean,
    session::{
        bad, check_access, conflict, jalali, tehran_today, Access, Actor, LockedCase, SessionError,
    },
    UrbanismDb,
};

/// A legal service to record.
#[derive(Debug, Clone)]
pub struct NewService {
    /// How it was served.
    pub mode: NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<String>,
    /// The agent (bailiff, or the e-notice system).
    pub agent: String,
    /// When it was served.
    pub served_at: DateTime<Utc>,
    /// The delivery whose receipt this is (e-notice): recorded once, whatever the retries.
    pub delivery_id: Option<i64>,
}

/// A recorded service.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// The legacy ruling.
    pub ruling_id: i32,
    /// The day of service (Asia/Tehran).
    pub served_on: NaiveDate,
    /// The last day to object, when this service started the window.
    pub objection_deadline: Option<NaiveDate>,
    /// False when the ruling had been served before (the window runs from the first service).
    pub first: bool,
}

/// A recorded objection.
#[derive(Debug, Clone, PartialEq)]
pub struct Objected {
    /// The legacy ruling.
    pub ruling_id: i32,
    /// False when it came after the window: kept, flagged, and the case does not move.
    pub in_time: bool,
    /// The window's last day.
    pub deadline: NaiveDate,
}

fn mode_code(mode: NotificationMode) -> &'static str {
    match mode {
        NotificationMode::InPerson => "1",
        NotificationMode::RelativeOrEmployee => "2",
        NotificationMode::Affixed => "3",
        NotificationMode::LegalEntityRepresentative => "4",
        NotificationMode::Electronic => "5",
    }
}

/// The legacy facts of a ruling the steps need.
struct RulingFacts {
    case_id: i32,
    stage: RulingStage,
    issued_on: Option<NaiveDate>,
    number: String,
}

impl UrbanismDb {
    async fn ruling_facts(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<RulingFacts, SessionError> {
        let row = client
            .query_opt(
                "SELECT id_takhalof, marhaleh_ray, tarikh_ray, shomare_ray FROM tbl_ray WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?
            .ok_or(SessionError::NotFound)?;
        let r = self.reader("tbl_ray", ruling_id);
        Ok(RulingFacts {
            case_id: row.get(0),
            stage: r
                .coded("marhaleh_ray", row.get(1), clean::ruling_stage)
                .unwrap_or(RulingStage::Primary),
            issued_on: r.date("tarikh_ray", row.get(2)),
            number: r.text(row.get(3)).unwrap_or_default(),
        })
    }

    /// The first legal service of each ruling (any recorded mode is legal service).
    async fn first_service(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<Option<NaiveDate>, SessionError> {
        let rows = client
            .query(
                "SELECT id_eblagh, tarikh_eblagh FROM tbl_eblagh WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                self.reader("tbl_eblagh", r.get(0))
                    .date("tarikh_eblagh", r.get(1))
            })
            .min())
    }

    async fn append_state(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
        state: &str,
        actor: &Actor,
        note: Option<&str>,
    ) -> Result<(), SessionError> {
        client
            .execute(
                "INSERT INTO shahr.ruling_states (issued_ruling_id, state, actor, note) \
                 SELECT id, $2, $3, $4 FROM shahr.issued_rulings WHERE legacy_ruling_id = $1",
                &[&ruling_id, &state, &actor.subject, &note],
            )
            .await?;
        Ok(())
    }

    /// Records the legal service of a ruling. The first service of a primary ruling opens
    /// the objection window (the case becomes notified, then in its objection window); the
    /// service of an appeal ruling makes it final. A service date before the ruling's date
    /// or in the future is refused.
    pub async fn record_service(
        &self,
        ruling_id: i32,
        service: &NewService,
        rules: &Article100Rules,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<Served, SessionError> {
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let facts = self.ruling_facts(&**client, ruling_id).await?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, facts.case_id).await?;
        check_access(access(&locked))?;
        let served_on = tehran_today(service.served_at);
        if served_on > tehran_today(Utc::now()) {
            return Err(bad("servedOn", "a service date cannot be in the future"));
        }
        if facts.issued_on.is_some_and(|d| served_on < d) {
            return Err(bad(
                "servedOn",
                "a notification date can never precede the ruling date",
            ));
        }
        if let Some(delivery) = service.delivery_id {
            let claimed = tx
                .execute(
                    "UPDATE shahr.deliveries SET status = 'DELIVERED', delivered_at = $2 \
                     WHERE id = $1 AND status = 'PENDING'",
                    &[&delivery, &service.served_at],
                )
                .await?;
            if claimed == 0 {
                return Err(conflict("this delivery receipt is already recorded"));
            }
        }
        let earlier = self.first_service(&*tx, ruling_id).await?;
        tx.execute(
            "INSERT INTO tbl_eblagh (id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh, kod_melli_girandeh, mamur) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &ruling_id,
                &jalali(served_on),
                &mode_code(service.mode),
                &service.receiver_name,
                &service.receiver_national_id,
                &service.agent,
            ],
        )
        .await?;
        let first = earlier.is_none_or(|e| served_on < e);
        let window_start = earlier.map_or(served_on, |e| e.min(served_on));
        let mut objection_deadline = None;
        let detail = |deadline: Option<NaiveDate>| {
            json!({
                "rulingId": ruling_id,
                "number": facts.number,
                "mode": service.mode,
                "servedOn": served_on.to_string(),
                "objectionDeadline": deadline.map(|d| d.to_string()),
            })
        };
        match (facts.stage, locked.case.status) {
            (RulingStage::Primary, CaseStatus::RulingIssued) => {
                let last = deadline(window_start, rules.objection_window_days, &rules.holidays);
                objection_deadline = Some(last);
                let mut locked = locked;
                locked.case.status = self
                    .step(
                        &tx,
                        &locked,
                        CaseEvent::Serve,
                        actor,
                        "recordNotification",
                        "ruling.served",
                        detail(Some(last)),
                    )
                    .await?;
                self.step(
                    &tx,
                    &locked,
                    CaseEvent::OpenObjectionWindow,
                    actor,
                    "recordNotification",
                    "case.objection_window_opened",
                    detail(Some(last)),
                )
                .await?;
                tx.execute(
                    "UPDATE tbl_ray SET vaziat = '2' WHERE id_ray = $1",
                    &[&ruling_id],
                )
                .await?;
                self.append_state(&*tx, ruling_id, "NOTIFIED", actor, None)
                    .await?;
            }
            (RulingStage::Appeal, CaseStatus::AppealRuled) => {
                self.step(
                    &tx,
                    &locked,
                    CaseEvent::Finalise,
                    actor,
                    "recordNotification",
                    "ruling.final",
                    detail(None),
                )
                .await?;
                tx.execute(
                    "UPDATE tbl_ray SET vaziat = '5' WHERE id_ray = $1",
                    &[&ruling_id],
                )
                .await?;
                self.append_state(&*tx, ruling_id, "NOTIFIED", actor, None)
                    .await?;
                self.append_state(&*tx, ruling_id, "FINAL", actor, None)
                    .await?;
            }
            _ => {
                // A further service (another owner, a second mode): recorded, no state change.
                if facts.stage == RulingStage::Primary {
                    objection_deadline = Some(deadline(
                        window_start,
                        rules.objection_window_days,
                        &rules.holidays,
                    ));
                }
                shahr_store::audit::append(
                    &*tx,
                    &shahr_store::audit::Entry {
                        actor: actor.subject.clone(),
                        role: actor.role.clone(),
                        operation: "recordNotification".into(),
                        target_ids: vec![format!("ruling:{ruling_id}")],
                        outcome: "ok".into(),
                        detail: detail(objection_deadline),
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(Served {
            ruling_id,
            served_on,
            objection_deadline,
            first,
        })
    }

    /// Records an objection to a served primary ruling. In time, the case goes to appeal;
    /// late, it is recorded and flagged and the case does not move.
    pub async fn file_objection(
        &self,
        ruling_id: i32,
        objector: Objector,
        statement: &str,
        rules: &Article100Rules,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<Objected, SessionError> {
        let today = tehran_today(Utc::now());
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let facts = self.ruling_facts(&**client, ruling_id).await?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, facts.case_id).await?;
        check_access(access(&locked))?;
        if facts.stage != RulingStage::Primary {
            return Err(conflict(
                "an appeal ruling is final; only the Administrative Justice Court hears complaints against it",
            ));
        }
        let served = self.first_service(&*tx, ruling_id).await?.ok_or_else(|| SessionError::Conflict {
            message: "the ruling has not been served yet; the objection window opens at legal service".into(),
            current: Some(locked.case.status),
        })?;
        let last = deadline(served, rules.objection_window_days, &rules.holidays);
        let in_time = today <= last;
        tx.execute(
            "INSERT INTO tbl_eteraz (id_ray, tarikh_eteraz, moteraz, sharh, dar_mohlat) VALUES ($1, $2, $3, $4, $5)",
            &[
                &ruling_id,
                &jalali(today),
                &match objector {
                    Objector::Owner => "1",
                    Objector::Municipality => "2",
                },
                &statement,
                &if in_time { "1" } else { "0" },
            ],
        )
        .await?;
        let detail = json!({
            "rulingId": ruling_id,
            "number": facts.number,
            "objector": objector,
            "inTime": in_time,
            "deadline": last.to_string(),
        });
        if in_time {
            self.step(
                &tx,
                &locked,
                CaseEvent::FileObjection,
                actor,
                "fileObjection",
                "ruling.objection_filed",
                detail,
            )
            .await?;
            tx.execute(
                "UPDATE tbl_ray SET vaziat = '3' WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?;
            self.append_state(&*tx, ruling_id, "OBJECTED", actor, None)
                .await?;
        } else {
            shahr_store::outbox::enqueue(&*tx, "ruling.objection_late", &detail).await?;
            shahr_store::audit::append(
                &*tx,
                &shahr_store::audit::Entry {
                    actor: actor.subject.clone(),
                    role: actor.role.clone(),
                    operation: "fileObjection".into(),
                    target_ids: vec![
                        format!("ruling:{ruling_id}"),
                        format!("case:{}", facts.case_id),
                    ],
                    outcome: "late".into(),
                    detail,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Objected {
            ruling_id,
            in_time,
            deadline: last,
        })
    }

    /// Makes final the primary rulings whose objection window closed with no objection in
    /// time; returns the legacy ids of the rulings made final.
    pub async fn finalise_due(
        &self,
        rules: &Article100Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<i32>, SessionError> {
        let today = tehran_today(now);
        // Cases waiting in their window, with their rulings' service dates and whether an
        // objection came in time; only those whose window has closed are locked and moved.
        let waiting = self
            .rows(
                "SELECT r.id_ray, c.id_takhalof, \
                        (SELECT array_agg(e.tarikh_eblagh) FROM tbl_eblagh e WHERE e.id_ray = r.id_ray), \
                        EXISTS (SELECT 1 FROM tbl_eteraz t WHERE t.id_ray = r.id_ray AND t.dar_mohlat IN ('1', '۱')) \
                 FROM tbl_parvandeh_takhalof c \
                 JOIN tbl_ray r ON r.id_takhalof = c.id_takhalof AND r.marhaleh_ray = '1' AND r.noe_ray <> '05' \
                 WHERE c.marhaleh = '75' ORDER BY c.id_takhalof, r.id_ray DESC",
                &[],
            )
            .await?;
        let actor = Actor {
            subject: "system:finality".into(),
            role: "system".into(),
        };
        let mut done = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in &waiting {
            let (ruling_id, case_id): (i32, i32) = (row.get(0), row.get(1));
            if !seen.insert(case_id) || row.get::<_, bool>(3) {
                continue;
            }
            let reader = self.reader("tbl_eblagh", ruling_id);
            let first = row
                .get::<_, Option<Vec<Option<String>>>>(2)
                .unwrap_or_default()
                .iter()
                .filter_map(|d| reader.date("tarikh_eblagh", d.as_deref()))
                .min();
            let Some(first) = first else {
                continue;
            };
            if today <= deadline(first, rules.objection_window_days, &rules.holidays) {
                continue;
            }
            let mut client = self.pool().get().await.map_err(StoreError::from)?;
            let tx = client.transaction().await?;
            let locked = self.lock_case(&tx, case_id).await?;
            if locked.case.status != CaseStatus::ObjectionWindow {
                continue;
            }
            let Some(served) = self.first_service(&*tx, ruling_id).await? else {
                continue;
            };
            let last = deadline(served, rules.objection_window_days, &rules.holidays);
            if today <= last {
                continue;
            }
            self.step(
                &tx,
                &locked,
                CaseEvent::Finalise,
                &actor,
                "finaliseRuling",
                "ruling.final",
                json!({ "rulingId": ruling_id, "objectionDeadline": last.to_string() }),
            )
            .await?;
            tx.execute(
                "UPDATE tbl_ray SET vaziat = '5' WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?;
            self.append_state(&*tx, ruling_id, "FINAL", &actor, None)
                .await?;
            tx.commit().await?;
            done.push(ruling_id);
        }
        Ok(done)
    }
}

/// A recorded payment of a fine.
#[derive(Debug, Clone, PartialEq)]
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

/// A payment's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Paid {
    /// The payment (the earlier one when the reference was recorded before).
    pub payment: Payment,
    /// The fine.
    pub fine_rials: i64,
    /// Paid so far, this payment included.
    pub paid_rials: i64,
    /// False when the reference was recorded before.
    pub created: bool,
}

fn payment_from_row(r: &tokio_postgres::Row) -> Payment {
    Payment {
        id: r.get(0),
        ruling_id: r.get(1),
        amount_rials: r.get(2),
        paid_on: r.get(3),
        reference: r.get(4),
    }
}

const PAYMENT_COLUMNS: &str = "id, legacy_ruling_id, amount_rials, paid_on, reference";

impl UrbanismDb {
    /// Records a payment (or an instalment) of a final fine ruling. The first payment starts
    /// enforcement; the last one closes the case. A reference recorded before returns that
    /// payment; more than what is outstanding is refused.
    pub async fn record_payment(
        &self,
        ruling_id: i32,
        amount_rials: i64,
        reference: &str,
        paid_on: NaiveDate,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<Paid, SessionError> {
        if amount_rials <= 0 {
            return Err(bad("amount", "a payment is a positive number of rials"));
        }
        if paid_on > tehran_today(Utc::now()) {
            return Err(bad("paidOn", "a payment date cannot be in the future"));
        }
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let facts = self.ruling_facts(&**client, ruling_id).await?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, facts.case_id).await?;
        check_access(access(&locked))?;
        let fine: Option<i64> = tx
            .query_one(
                "SELECT mablagh_jarimeh::int8 FROM tbl_ray WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?
            .get(0);
        let paid_before: i64 = tx
            .query_one(
                "SELECT COALESCE(sum(amount_rials), 0)::int8 FROM shahr.fine_payments WHERE legacy_ruling_id = $1",
                &[&ruling_id],
            )
            .await?
            .get(0);
        if let Some(existing) = tx
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS} FROM shahr.fine_payments WHERE reference = $1"),
                &[&reference],
            )
            .await?
        {
            let payment = payment_from_row(&existing);
            if payment.ruling_id != ruling_id || payment.amount_rials != amount_rials {
                return Err(SessionError::IdempotencyKeyReused);
            }
            return Ok(Paid {
                payment,
                fine_rials: fine.unwrap_or_default(),
                paid_rials: paid_before,
                created: false,
            });
        }
        let Some(fine) = fine.filter(|f| *f > 0) else {
            return Err(conflict("this ruling imposes no fine"));
        };
        if !matches!(
            locked.case.status,
            CaseStatus::Final | CaseStatus::Enforcement
        ) {
            return Err(SessionError::Conflict {
                message: "a fine is paid once the ruling is final".into(),
                current: Some(locked.case.status),
            });
        }
        let outstanding = fine - paid_before;
        if amount_rials > outstanding {
            return Err(bad(
                "amount",
                format!("more than the {outstanding} rials outstanding"),
            ));
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO shahr.fine_payments (legacy_ruling_id, amount_rials, paid_on, reference, recorded_by) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING {PAYMENT_COLUMNS}"
                ),
                &[&ruling_id, &amount_rials, &paid_on, &reference, &actor.subject],
            )
            .await?;
        let payment = payment_from_row(&row);
        let paid = paid_before + amount_rials;
        let detail = json!({
            "rulingId": ruling_id,
            "amountRials": amount_rials.to_string(),
            "paidRials": paid.to_string(),
            "fineRials": fine.to_string(),
            "reference": reference,
        });
        let mut locked = locked;
        if locked.case.status == CaseStatus::Final {
            locked.case.status = self
                .step(
                    &tx,
                    &locked,
                    CaseEvent::StartEnforcement,
                    actor,
                    "recordFinePayment",
                    "case.enforcement_started",
                    detail.clone(),
                )
                .await?;
        }
        if paid >= fine {
            self.step(
                &tx,
                &locked,
                CaseEvent::Close,
                actor,
                "recordFinePayment",
                "ruling.fine_paid",
                detail,
            )
            .await?;
            tx.execute(
                "UPDATE tbl_ray SET vaziat = '6' WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?;
            self.append_state(&*tx, ruling_id, "PAID", actor, Some(reference))
                .await?;
        } else {
            shahr_store::outbox::enqueue(&*tx, "ruling.instalment_paid", &detail).await?;
            shahr_store::audit::append(
                &*tx,
                &shahr_store::audit::Entry {
                    actor: actor.subject.clone(),
                    role: actor.role.clone(),
                    operation: "recordFinePayment".into(),
                    target_ids: vec![format!("ruling:{ruling_id}")],
                    outcome: "ok".into(),
                    detail,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Paid {
            payment,
            fine_rials: fine,
            paid_rials: paid,
            created: true,
        })
    }

    /// Payments of each ruling, oldest first; one statement.
    pub async fn payments_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, Vec<Payment>>, StoreError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM shahr.fine_payments WHERE legacy_ruling_id = ANY($1) \
                     ORDER BY legacy_ruling_id, id"
                ),
                &[&ruling_ids],
            )
            .await?;
        let mut out: std::collections::HashMap<i32, Vec<Payment>> = Default::default();
        for r in &rows {
            let p = payment_from_row(r);
            out.entry(p.ruling_id).or_default().push(p);
        }
        Ok(out)
    }

    /// What is still owed on final fine rulings of each parcel (rials); parcels owing
    /// nothing are absent. A completion or no-violation certificate waits for this.
    pub async fn unpaid_fines(
        &self,
        parcel_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, i64>, StoreError> {
        let rows = self
            .rows(
                "SELECT c.id_parvandeh, sum(r.mablagh_jarimeh::int8 - COALESCE( \
                    (SELECT sum(p.amount_rials) FROM shahr.fine_payments p WHERE p.legacy_ruling_id = r.id_ray), 0))::int8 \
                 FROM tbl_ray r JOIN tbl_parvandeh_takhalof c ON c.id_takhalof = r.id_takhalof \
                 WHERE c.id_parvandeh = ANY($1) AND r.mablagh_jarimeh > 0 AND r.vaziat IN ('5', '۵') \
                   AND c.marhaleh IN ('90', '95') \
                 GROUP BY c.id_parvandeh",
                &[&parcel_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i32>(0), r.get::<_, i64>(1)))
            .filter(|(_, owed)| *owed > 0)
            .collect())
    }

    /// Sends a final, unpaid fine ruling's case back to the commission for non-payment
    /// (aiming at demolition).
    pub async fn refer_for_non_payment(
        &self,
        ruling_id: i32,
        actor: &Actor,
        access: impl FnOnce(&LockedCase) -> Access,
    ) -> Result<CaseStatus, SessionError> {
        let mut client = self.pool().get().await.map_err(StoreError::from)?;
        let facts = self.ruling_facts(&**client, ruling_id).await?;
        let tx = client.transaction().await?;
        let locked = self.lock_case(&tx, facts.case_id).await?;
        check_access(access(&locked))?;
        let detail = json!({ "rulingId": ruling_id, "number": facts.number });
        let mut locked = locked;
        if locked.case.status == CaseStatus::Final {
            locked.case.status = self
                .step(
                    &tx,
                    &locked,
                    CaseEvent::StartEnforcement,
                    actor,
                    "referForNonPayment",
                    "case.enforcement_started",
                    detail.clone(),
                )
                .await?;
        }
        let status = self
            .step(
                &tx,
                &locked,
                CaseEvent::ReferForNonPayment,
                actor,
                "referForNonPayment",
                "case.referred_for_non_payment",
                detail,
            )
            .await?;
        self.append_state(&*tx, ruling_id, "REFERRED_FOR_NON_PAYMENT", actor, None)
            .await?;
        tx.commit().await?;
        Ok(status)
    }

    /// When each ruling became final, as the gateway recorded it.
    pub async fn final_dates(
        &self,
        ruling_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, DateTime<Utc>>, StoreError> {
        let rows = self
            .rows(
                "SELECT r.legacy_ruling_id, min(s.at) FROM shahr.ruling_states s \
                 JOIN shahr.issued_rulings r ON r.id = s.issued_ruling_id \
                 WHERE r.legacy_ruling_id = ANY($1) AND s.state = 'FINAL' GROUP BY r.legacy_ruling_id",
                &[&ruling_ids],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
