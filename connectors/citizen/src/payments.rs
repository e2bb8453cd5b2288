//! Online payments: the order a citizen pays through the payment gateway, and its steps
//! (pending, being verified, succeeded, failed, reversed). A request's fee is recorded in the
//! same transaction that moves the request to `PAID`, once; a fine's payments are in
//! [`crate::fine_payments`].

use chrono::Utc;
use shahr_domain::{
    actors::Actor,
    money::Rials,
    requests::{Move, Payment as PaymentFacts},
    vocabulary::RequestState,
};
use shahr_store::StoreError;

use crate::{lock_request, records, Change, CitizenDb, ServiceRequest, REQUEST_COLUMNS};

pub(crate) use crate::payment_model::{payment_from_row, PAYMENT_COLUMNS, PAYMENT_FROM};
pub use crate::payment_model::{PaidFor, Payment, PaymentState};

/// Why a payment could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No such request, or not the caller's.
    #[error("no such request")]
    NotFound,
    /// The request has no fee to pay now.
    #[error("a request in state {0} has no fee to pay")]
    NotPayable(RequestState),
    /// The request is paid already.
    #[error("the request is paid already")]
    AlreadyPaid,
    /// The idempotency key started a payment of another request.
    #[error("this idempotency key started the payment of another request")]
    KeyReused,
    /// Another payment of the same fine is under way.
    #[error("another payment of this fine is under way")]
    Underway,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for StartError {
    fn from(e: tokio_postgres::Error) -> Self {
        StartError::Store(e.into())
    }
}

/// What the callback's claim on a payment found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Ours to verify and record.
    Verify(Payment),
    /// Ours to verify and give back: the request was paid by another payment meanwhile.
    VerifyToReverse(Payment),
    /// Handled already (a replayed or concurrent callback): its outcome stands.
    Done(Payment),
}

/// How recording a verified payment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Recorded; the request moved to `PAID`.
    Paid(Payment, Box<ServiceRequest>),
    /// The request can no longer take it: give the money back.
    NotPayable(Payment),
    /// Handled already.
    Done(Payment),
}

/// The payment `payer_subject` started with idempotency key `key`, if any.
pub(crate) async fn started_with_key(
    tx: &impl tokio_postgres::GenericClient,
    payer_subject: &str,
    key: &str,
) -> Result<Option<Payment>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.payer_subject = $1 AND p.idempotency_key = $2"
            ),
            &[&payer_subject, &key],
        )
        .await?;
    Ok(row.as_ref().map(payment_from_row))
}

/// The outbox event and the audit entry of a payment that ended, in the caller's transaction.
pub(crate) async fn record_end(
    tx: &impl tokio_postgres::GenericClient,
    payment: &Payment,
    actor: &Actor,
) -> Result<(), StoreError> {
    use shahr_domain::events::{DomainEvent, PaymentEnded};
    let ended = PaymentEnded {
        payment_id: payment.id,
        tracking_code: match &payment.paid_for {
            PaidFor::Request { tracking_code, .. } => Some(tracking_code.clone()),
            PaidFor::Fine { .. } => None,
        },
        request_id: payment.paid_for.request_id(),
        ruling_id: payment.paid_for.ruling_id().map(i64::from),
        ruling_number: match &payment.paid_for {
            PaidFor::Fine { ruling_number, .. } => Some(ruling_number.clone()),
            PaidFor::Request { .. } => None,
        },
        district: payment.district,
        citizen_national_id: payment.citizen_national_id.clone(),
        amount_rials: payment.amount_rials,
        provider: payment.provider.clone(),
        reference: payment.sale_reference,
        state: payment.state.as_code().to_owned(),
        failure: payment.failure.clone(),
    };
    let event = if payment.state == PaymentState::Succeeded {
        DomainEvent::PaymentSucceeded(ended)
    } else {
        DomainEvent::PaymentFailed(ended)
    };
    shahr_store::outbox::enqueue(tx, &event).await?;
    shahr_store::audit::append(
        tx,
        &shahr_store::audit::Entry::new(
            actor,
            "payment",
            vec![payment.paid_for.label().to_owned(), payment.id.to_string()],
            payment.state.as_code(),
            &serde_json::json!({
                "provider": payment.provider,
                "amount": payment.amount_rials,
                "reference": payment.sale_reference,
                "failure": payment.failure,
            }),
        ),
    )
    .await?;
    Ok(())
}

impl CitizenDb {
    /// Starts a payment of the fee of the request `tracking_code` (which `allowed` must accept),
    /// for its fee as it stands: the amount is never the client's. A retry with the same key
    /// answers with the payment the first attempt started. Returns it and whether it is new.
    #[tracing::instrument(name = "citizen.start_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn start_payment(
        &self,
        tracking_code: &str,
        provider: &str,
        payer_subject: &str,
        key: Option<&str>,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<(Payment, bool), StartError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        if let Some(key) = key {
            if let Some(payment) = started_with_key(&*tx, payer_subject, key).await? {
                if !matches!(&payment.paid_for, PaidFor::Request { tracking_code: t, .. } if t == tracking_code)
                {
                    return Err(StartError::KeyReused);
                }
                return Ok((payment, false));
            }
        }
        let request = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(StartError::NotFound)?;
        let paid: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM shahr.payments WHERE request_id = $1 AND state = 'SUCCEEDED')",
                &[&request.id],
            )
            .await?
            .get(0);
        if paid || request.state == RequestState::Paid {
            return Err(StartError::AlreadyPaid);
        }
        let fee = request.fee_rials.filter(|f| *f > 0);
        let (RequestState::FeePayable, Some(fee)) = (request.state, fee) else {
            return Err(StartError::NotPayable(request.state));
        };
        let row = tx
            .query_one(
                "INSERT INTO shahr.payments (request_id, provider, amount_rials, payer_subject, idempotency_key) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&request.id, &provider, &fee, &payer_subject, &key],
            )
            .await?;
        let id: i64 = row.get(0);
        tx.commit().await?;
        let payment = self
            .payment(id)
            .await?
            .ok_or_else(|| StoreError::Data("a payment vanished after its insert".into()))?;
        Ok((payment, true))
    }

    /// The payment with this order id.
    #[tracing::instrument(name = "citizen.payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payment(&self, id: i64) -> Result<Option<Payment>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.id = $1"),
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(payment_from_row))
    }

    /// Keeps the gateway's token of a pending payment.
    #[tracing::instrument(name = "citizen.set_payment_token", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn set_payment_token(&self, id: i64, token: &str) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE shahr.payments SET token = $2, updated_at = now() WHERE id = $1 AND state = 'PENDING'",
                &[&id, &token],
            )
            .await?;
        Ok(())
    }

    /// Ends a payment that is pending or being verified as failed; `None` when it had ended.
    #[tracing::instrument(name = "citizen.fail_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn fail_payment(&self, id: i64, why: &str) -> Result<Option<Payment>, StoreError> {
        self.end_payment(id, PaymentState::Failed, why).await
    }

    /// Ends a payment being verified as reversed (its money given back).
    #[tracing::instrument(name = "citizen.reversed_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn reversed_payment(
        &self,
        id: i64,
        why: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.end_payment(id, PaymentState::Reversed, why).await
    }

    async fn end_payment(
        &self,
        id: i64,
        state: PaymentState,
        why: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let ended = tx
            .execute(
                "UPDATE shahr.payments SET state = $2, failure = $3, updated_at = now() \
                 WHERE id = $1 AND state IN ('PENDING', 'VERIFYING')",
                &[&id, &state.as_code(), &why],
            )
            .await?;
        if ended == 0 {
            return Ok(None);
        }
        let row = tx
            .query_one(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.id = $1"),
                &[&id],
            )
            .await?;
        let payment = payment_from_row(&row);
        let actor = Actor::system(&format!("payment:{}", payment.provider));
        record_end(&*tx, &payment, &actor).await?;
        tx.commit().await?;
        Ok(Some(payment))
    }

    /// Claims a payment for verification: one callback (or reconciliation pass) at a time, and
    /// one payment of a request at a time.
    #[tracing::instrument(name = "citizen.claim_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn claim_payment(
        &self,
        id: i64,
        sale_reference: Option<i64>,
    ) -> Result<Option<Claim>, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.id = $1 FOR UPDATE OF p"),
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let payment = payment_from_row(&row);
        if payment.state != PaymentState::Pending {
            return Ok(Some(Claim::Done(payment)));
        }
        // Another payment of the same request already recorded: this one's money goes back.
        let paid_elsewhere: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM shahr.payments WHERE request_id = $1 AND id <> $2 AND state = 'SUCCEEDED')",
                &[&payment.paid_for.request_id(), &id],
            )
            .await?
            .get(0);
        tx.execute(
            "UPDATE shahr.payments SET state = 'VERIFYING', sale_reference = COALESCE($2, sale_reference), \
             updated_at = now() WHERE id = $1",
            &[&id, &sale_reference],
        )
        .await?;
        tx.commit().await?;
        let claimed = Payment {
            state: PaymentState::Verifying,
            sale_reference: sale_reference.or(payment.sale_reference),
            ..payment
        };
        Ok(Some(if paid_elsewhere {
            Claim::VerifyToReverse(claimed)
        } else {
            Claim::Verify(claimed)
        }))
    }

    /// Whether the request of a payment being verified can still take it (read before the
    /// money is settled; `record_payment` checks again under the lock). A fine's standing is
    /// the urbanism system's to tell.
    #[tracing::instrument(name = "citizen.payable", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payable(&self, payment: &Payment) -> Result<bool, StoreError> {
        let Some(request_id) = payment.paid_for.request_id() else {
            return Err(StoreError::Data(format!(
                "payment {} pays a fine, not a request",
                payment.id
            )));
        };
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                "SELECT r.state = 'FEE_PAYABLE' AND r.fee_rials = $2 \
                 AND NOT EXISTS (SELECT 1 FROM shahr.payments o WHERE o.request_id = r.id AND o.state = 'SUCCEEDED') \
                 FROM shahr.requests r WHERE r.id = $1",
                &[&request_id, &payment.amount_rials],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Records a verified, settled payment and moves its request to `PAID`, in one
    /// transaction: the history, the outbox event and the audit entry go with it.
    #[tracing::instrument(name = "citizen.record_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn record_payment(
        &self,
        id: i64,
        card_pan: Option<&str>,
        actor: &Actor,
        receipt: (String, String),
    ) -> Result<Recorded, StoreError> {
        let (receipt_code, receipt_link) = receipt;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.id = $1 FOR UPDATE OF p"),
                &[&id],
            )
            .await?
        else {
            return Err(StoreError::Data(format!("no payment {id}")));
        };
        let payment = payment_from_row(&row);
        if payment.state != PaymentState::Verifying {
            return Ok(Recorded::Done(payment));
        }
        let Some(request_id) = payment.paid_for.request_id() else {
            return Err(StoreError::Data(format!(
                "payment {id} pays a fine, not a request"
            )));
        };
        let request = tx
            .query_one(
                &format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE id = $1 FOR UPDATE"),
                &[&request_id],
            )
            .await?;
        let request = records::request_from_row(&request);
        if request.state != RequestState::FeePayable
            || request.fee_rials != Some(payment.amount_rials)
        {
            return Ok(Recorded::NotPayable(payment));
        }
        let reference = format!(
            "{}:{}",
            payment.provider,
            payment.sale_reference.unwrap_or(payment.id)
        );
        let change = Change {
            action: Move::Advance,
            comment: Some(format!("پرداخت اینترنتی، شماره مرجع {reference}")),
            parcel_area: None,
            parcel_land_use: None,
            payment: Some(PaymentFacts {
                reference,
                amount: Rials::new(payment.amount_rials)
                    .map_err(|e| StoreError::Data(e.to_string()))?,
            }),
            idempotency: None,
        };
        let moved = self
            .apply_change(&tx, request, &change, actor)
            .await
            .map_err(|e| match e {
                crate::TransitionError::Store(e) => e,
                other => StoreError::Data(other.to_string()),
            })?;
        if moved.state != RequestState::Paid {
            return Ok(Recorded::NotPayable(payment));
        }
        tx.execute(
            "UPDATE shahr.payments SET state = 'SUCCEEDED', card_pan = COALESCE($2, card_pan), \
             settled_at = now(), updated_at = now(), receipt_code = $3 WHERE id = $1",
            &[&id, &card_pan, &receipt_code],
        )
        .await?;
        let succeeded = Payment {
            state: PaymentState::Succeeded,
            card_pan: card_pan.map(str::to_owned).or(payment.card_pan.clone()),
            settled_at: Some(Utc::now()),
            receipt_code: Some(receipt_code.clone()),
            ..payment.clone()
        };
        record_end(&*tx, &succeeded, actor).await?;
        // The receipt, in the citizen's inbox.
        shahr_store::deliveries::enqueue(
            &*tx,
            &shahr_store::deliveries::NewDelivery {
                send_id: format!("payment-{id}-receipt"),
                channel: shahr_store::deliveries::Channel::Inbox,
                subject_kind: "request".into(),
                subject_id: moved.tracking_code.clone(),
                national_id: Some(moved.citizen_national_id.clone()),
                legal_id: None,
                mobile: None,
                name: None,
                title: format!("رسید پرداخت درخواست {}", moved.tracking_code),
                body: format!(
                    "مبلغ {} ریال بابت عوارض درخواست {} پرداخت شد. شماره مرجع: {}؛ شماره سفارش: {}.",
                    shahr_domain::text::persian_digits(&payment.amount_rials.to_string()),
                    moved.tracking_code,
                    shahr_domain::text::persian_digits(
                        &payment.sale_reference.unwrap_or_default().to_string()
                    ),
                    shahr_domain::text::persian_digits(&id.to_string()),
                ),
                link: Some(receipt_link),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Recorded::Paid(succeeded, Box::new(moved)))
    }

    /// Takes a stale payment back for another look: `VERIFYING` again, touched now.
    #[tracing::instrument(name = "citizen.retake_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn retake_payment(&self, id: i64) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "UPDATE shahr.payments SET state = 'VERIFYING', updated_at = now() \
                 WHERE id = $1 AND state IN ('PENDING', 'VERIFYING')",
                &[&id],
            )
            .await?
            == 1)
    }
}
