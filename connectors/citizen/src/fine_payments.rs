//! Online payments of Article 100 fines. The fine and what is owed on it are the urbanism
//! system's; here is the order the owner pays through the gateway. One payment of a fine is
//! under way at a time, so two instalments can never together pay more than is owed.

use chrono::Utc;
use shahr_domain::actors::Actor;
use shahr_store::StoreError;

use crate::{
    payments::{
        payment_from_row, record_end, started_with_key, PaidFor, Payment, PaymentState, StartError,
        PAYMENT_COLUMNS, PAYMENT_FROM,
    },
    CitizenDb,
};

/// A payment of a fine to start, for the amount the municipality decided.
#[derive(Debug, Clone)]
pub struct NewFinePayment<'a> {
    /// The legacy ruling.
    pub ruling_id: i32,
    /// Its number.
    pub ruling_number: &'a str,
    /// The fined parcel's district.
    pub district: i16,
    /// The owner paying.
    pub payer_national_id: &'a str,
    /// Who started it (the token's subject).
    pub payer_subject: &'a str,
    /// The amount due now.
    pub amount_rials: i64,
    /// The gateway.
    pub provider: &'a str,
    /// The client's idempotency key.
    pub key: Option<&'a str>,
}

const SUPERSEDED: &str = "replaced by a new attempt of the same payer";

impl CitizenDb {
    /// Starts a payment of a fine. A retry with the same key answers with the payment the
    /// first attempt started; a new attempt of the same payer replaces their own unfinished
    /// one (the gateway returns its money by itself if it was ever taken, since it is never
    /// verified); another payer's attempt under way refuses. Returns it and whether it is new.
    #[tracing::instrument(name = "citizen.start_fine_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn start_fine_payment(
        &self,
        new: &NewFinePayment<'_>,
    ) -> Result<(Payment, bool), StartError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await?;
        if let Some(key) = new.key {
            if let Some(payment) = started_with_key(&*tx, new.payer_subject, key).await? {
                if payment.paid_for.ruling_id() != Some(new.ruling_id) {
                    return Err(StartError::KeyReused);
                }
                return Ok((payment, false));
            }
        }
        let open = tx
            .query_opt(
                &format!(
                    "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.ruling_id = $1 \
                     AND p.state IN ('PENDING', 'VERIFYING') FOR UPDATE OF p"
                ),
                &[&new.ruling_id],
            )
            .await?
            .map(|row| payment_from_row(&row));
        if let Some(open) = open {
            if open.state != PaymentState::Pending || open.payer_subject != new.payer_subject {
                return Err(StartError::Underway);
            }
            tx.execute(
                "UPDATE shahr.payments SET state = 'FAILED', failure = $2, updated_at = now() WHERE id = $1",
                &[&open.id, &SUPERSEDED],
            )
            .await?;
            let ended = Payment {
                state: PaymentState::Failed,
                failure: Some(SUPERSEDED.into()),
                ..open
            };
            let actor = Actor::system(&format!("payment:{}", ended.provider));
            record_end(&*tx, &ended, &actor).await?;
        }
        let inserted = tx
            .query_opt(
                "INSERT INTO shahr.payments (ruling_id, ruling_number, fine_district, payer_national_id, \
                 provider, amount_rials, payer_subject, idempotency_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
                &[
                    &new.ruling_id,
                    &new.ruling_number,
                    &new.district,
                    &new.payer_national_id,
                    &new.provider,
                    &new.amount_rials,
                    &new.payer_subject,
                    &new.key,
                ],
            )
            .await?;
        // Another attempt was inserted meanwhile (the one-open-payment index).
        let Some(row) = inserted else {
            return Err(StartError::Underway);
        };
        let id: i64 = row.get(0);
        tx.commit().await?;
        let payment = self
            .payment(id)
            .await?
            .ok_or_else(|| StoreError::Data("a payment vanished after its insert".into()))?;
        Ok((payment, true))
    }

    /// Marks a fine payment being verified as succeeded once the urbanism system recorded its
    /// money (by the gateway's reference, once): the outbox event, the audit entry and the
    /// receipt in the payer's inbox go with it. A payment that had ended is answered as it is.
    #[tracing::instrument(name = "citizen.succeed_fine_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn succeed_fine_payment(
        &self,
        id: i64,
        card_pan: Option<&str>,
        actor: &Actor,
        receipt: (String, String),
    ) -> Result<Payment, StoreError> {
        let (receipt_code, receipt_link) = receipt;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.id = $1 FOR UPDATE OF p"),
                &[&id],
            )
            .await?
            .ok_or_else(|| StoreError::Data(format!("no payment {id}")))?;
        let payment = payment_from_row(&row);
        let PaidFor::Fine { ruling_number, .. } = payment.paid_for.clone() else {
            return Err(StoreError::Data(format!(
                "payment {id} pays a request, not a fine"
            )));
        };
        if payment.state != PaymentState::Verifying {
            return Ok(payment);
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
            receipt_code: Some(receipt_code),
            ..payment
        };
        record_end(&*tx, &succeeded, actor).await?;
        let fa = shahr_domain::text::persian_digits;
        shahr_store::deliveries::enqueue(
            &*tx,
            &shahr_store::deliveries::NewDelivery {
                send_id: format!("payment-{id}-receipt"),
                channel: shahr_store::deliveries::Channel::Inbox,
                subject_kind: "ruling".into(),
                subject_id: ruling_number.clone(),
                national_id: Some(succeeded.citizen_national_id.clone()),
                legal_id: None,
                mobile: None,
                name: None,
                title: format!("رسید پرداخت جریمه رأی {ruling_number}"),
                body: format!(
                    "مبلغ {} ریال بابت جریمه رأی کمیسیون ماده ۱۰۰ شماره {} پرداخت شد. شماره مرجع: {}؛ شماره سفارش: {}.",
                    fa(&succeeded.amount_rials.to_string()),
                    ruling_number,
                    fa(&succeeded.sale_reference.unwrap_or_default().to_string()),
                    fa(&id.to_string()),
                ),
                link: Some(receipt_link),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(succeeded)
    }
}
