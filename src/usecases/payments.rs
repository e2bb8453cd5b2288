//! Paying online, a request's fee or a final ruling's fine: start (the amount due, never the
//! client's), the gateway's callback (verified server to server, settled, recorded once), and
//! reconciliation of the payments whose callback never came or whose calls timed out.
//!
//! A fine's money is recorded on the ruling in the urbanism system by the gateway's
//! reference (once, however often it is retried), then the payment is marked paid here; a
//! payment left between the two is finished by reconciliation.
//!
//! No network call is made while a row is locked: a payment is claimed (a state change,
//! committed), the gateway is asked, and the outcome is recorded in its own transaction.

use std::{sync::Arc, time::Duration};

use shahr_citizen::{
    fine_payments::NewFinePayment,
    payments::{Claim, PaidFor, Payment, PaymentState, Recorded, StartError},
    CitizenDb,
};
use shahr_domain::{actors::Actor, enforcement::FinePart};
use shahr_payment::{Behpardakht, Callback, PaymentError, PaymentProvider, Redirect};

use super::{Article100, UseCaseError};
use crate::{auth::Principal, metrics::Metrics};

/// How a payment ended, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid and recorded.
    Paid,
    /// The citizen cancelled.
    Cancelled,
    /// Not paid.
    Failed,
    /// Paid, then given back: the request no longer needed it.
    Reversed,
    /// Not known yet: the gateway did not answer; reconciliation decides.
    Pending,
}

impl Outcome {
    /// The spelling in URLs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
            Outcome::Reversed => "reversed",
            Outcome::Pending => "pending",
        }
    }

    /// What the citizen reads.
    pub fn label_fa(self) -> &'static str {
        match self {
            Outcome::Paid => "پرداخت انجام و ثبت شد.",
            Outcome::Cancelled => "پرداخت را لغو کردید؛ مبلغی کسر نشده است.",
            Outcome::Failed => "پرداخت انجام نشد؛ اگر مبلغی کسر شده باشد، درگاه آن را برمی‌گرداند.",
            Outcome::Reversed => {
                "این بدهی پیش‌تر پرداخت شده بود؛ مبلغ این پرداخت به کارت شما برگشت داده شد."
            }
            Outcome::Pending => {
                "نتیجه پرداخت هنوز از درگاه نرسیده است؛ تا چند دقیقه دیگر مشخص می‌شود."
            }
        }
    }

    fn of(payment: &Payment) -> Self {
        match payment.state {
            PaymentState::Succeeded => Outcome::Paid,
            PaymentState::Reversed => Outcome::Reversed,
            PaymentState::Failed if payment.failure.as_deref() == Some(CANCELLED) => {
                Outcome::Cancelled
            }
            PaymentState::Failed => Outcome::Failed,
            PaymentState::Pending | PaymentState::Verifying => Outcome::Pending,
        }
    }
}

const CANCELLED: &str = "cancelled by the payer";

/// Why a payment could not start.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// As the store says.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The gateway could not register the order; nothing was charged.
    #[error("the payment gateway is unavailable: {0}")]
    Gateway(PaymentError),
    /// An earlier attempt with this key ended.
    #[error("the payment started with this key has ended ({0}); start another with a new key")]
    Ended(&'static str),
    /// The fine cannot be paid (as the urbanism system says).
    #[error(transparent)]
    Fine(#[from] UseCaseError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] shahr_store::StoreError),
}

/// The online payments of request fees and fines.
#[derive(Clone)]
pub struct Payments {
    /// The citizen-request store.
    pub citizen: CitizenDb,
    /// The Article 100 commands (fines' standing and their recording).
    pub article100: Article100,
    /// The payment gateway.
    pub provider: Arc<Behpardakht>,
    /// The gateway's public address (for the callback URL and receipts).
    pub public_base_url: String,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

impl Payments {
    /// The gateway's name in the callback URL.
    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    /// The public address of a receipt.
    pub fn receipt_url(&self, code: &str) -> String {
        format!("{}/receipts/{code}", self.public_base_url)
    }

    /// The callback URL given to the gateway.
    pub fn callback_url(&self) -> String {
        format!(
            "{}/payments/callback/{}",
            self.public_base_url,
            self.provider.name()
        )
    }

    /// Starts (or, with the same key, resumes) the payment of the request's fee by its owner.
    pub async fn start(
        &self,
        p: &Principal,
        tracking_code: &str,
        key: Option<&str>,
    ) -> Result<(Payment, Redirect), PayError> {
        let national_id = p.national_id.as_ref().map(|n| n.as_str().to_owned());
        let (payment, created) = self
            .citizen
            .start_payment(tracking_code, self.provider.name(), &p.subject, key, |r| {
                national_id.as_deref() == Some(r.citizen_national_id.as_str())
            })
            .await?;
        self.launch(payment, created).await
    }

    /// Starts (or, with the same key, resumes) the online payment of a final ruling's fine by
    /// an owner of its parcel: the whole outstanding, or the city's next instalment.
    pub async fn start_fine(
        &self,
        p: &Principal,
        ruling_id: i32,
        part: FinePart,
        key: Option<&str>,
    ) -> Result<(Payment, Redirect), PayError> {
        let due = self.article100.online_fine_due(p, ruling_id, part).await?;
        let national_id = p
            .national_id
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        let (payment, created) = self
            .citizen
            .start_fine_payment(&NewFinePayment {
                ruling_id,
                ruling_number: &due.ruling_number,
                district: due.district,
                payer_national_id: &national_id,
                payer_subject: &p.subject,
                amount_rials: due.amount.get(),
                provider: self.provider.name(),
                key,
            })
            .await?;
        self.launch(payment, created).await
    }

    /// Registers a new payment with the gateway, or resumes one started with the same key.
    async fn launch(
        &self,
        payment: Payment,
        created: bool,
    ) -> Result<(Payment, Redirect), PayError> {
        if !created {
            return match (&payment.state, &payment.token) {
                (PaymentState::Pending, Some(token)) => {
                    let redirect = self.provider.redirect(token);
                    Ok((payment, redirect))
                }
                (state, _) => Err(PayError::Ended(state.as_code())),
            };
        }
        match self
            .provider
            .request(payment.id, payment.amount_rials, &self.callback_url())
            .await
        {
            Ok(redirect) => {
                self.citizen
                    .set_payment_token(payment.id, &redirect.token)
                    .await?;
                let payment = Payment {
                    token: Some(redirect.token.clone()),
                    ..payment
                };
                Ok((payment, redirect))
            }
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "the payment gateway refused or did not answer a pay request");
                self.citizen
                    .fail_payment(payment.id, &format!("not registered: {e}"))
                    .await?;
                self.metrics.add_payment("failed");
                Err(PayError::Gateway(e))
            }
        }
    }

    /// The gateway's callback: the browser's form says which order; the gateway itself says
    /// whether it was paid. Replayed and concurrent callbacks find the first one's outcome.
    pub async fn callback(&self, form: &[(String, String)]) -> (Outcome, Option<Payment>) {
        let cb = Callback::from_form(form);
        let Some(order_id) = cb.order_id else {
            return (Outcome::Failed, None);
        };
        // The form is the browser's word only: it must at least carry this order's token, or
        // it changes nothing.
        match self.citizen.payment(order_id).await {
            Ok(Some(p)) if p.token.is_some() && p.token == cb.token => {}
            Ok(_) => return (Outcome::Failed, None),
            Err(e) => {
                tracing::warn!(order = order_id, error = %e, "a payment callback could not be read");
                return (Outcome::Pending, None);
            }
        }
        let claim = match self
            .citizen
            .claim_payment(order_id, cb.sale_reference_id)
            .await
        {
            Ok(Some(claim)) => claim,
            Ok(None) => return (Outcome::Failed, None),
            Err(e) => {
                tracing::warn!(order = order_id, error = %e, "a payment callback could not be claimed");
                return (Outcome::Pending, None);
            }
        };
        let (payment, reverse) = match claim {
            Claim::Done(p) => return (Outcome::of(&p), Some(p)),
            Claim::Verify(p) => (p, false),
            Claim::VerifyToReverse(p) => (p, true),
        };
        match (cb.res_code, payment.sale_reference) {
            (Some(0), Some(_)) => self.settle(payment, reverse, cb.card_pan.as_deref()).await,
            _ if cb.cancelled() => self.end(payment, Outcome::Cancelled, CANCELLED).await,
            (code, _) => {
                let why = format!("the gateway reported code {}", code.unwrap_or(-1));
                self.end(payment, Outcome::Failed, &why).await
            }
        }
    }

    async fn end(
        &self,
        payment: Payment,
        outcome: Outcome,
        why: &str,
    ) -> (Outcome, Option<Payment>) {
        let ended = match outcome {
            Outcome::Reversed => self.citizen.reversed_payment(payment.id, why).await,
            _ => self.citizen.fail_payment(payment.id, why).await,
        };
        self.metrics.add_payment(outcome.as_str());
        match ended {
            Ok(Some(p)) => (Outcome::of(&p), Some(p)),
            Ok(None) => (outcome, Some(payment)),
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "a payment's end could not be recorded");
                (Outcome::Pending, Some(payment))
            }
        }
    }

    /// Verify, then settle and record, or give the money back.
    async fn settle(
        &self,
        payment: Payment,
        reverse: bool,
        card_pan: Option<&str>,
    ) -> (Outcome, Option<Payment>) {
        let Some(sale) = payment.sale_reference else {
            return (Outcome::Pending, Some(payment));
        };
        match self.provider.verify(payment.id, sale).await {
            Ok(()) => {}
            Err(PaymentError::Refused(code)) => {
                let why = format!("verification refused with code {code}");
                return self.end(payment, Outcome::Failed, &why).await;
            }
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "verification gave no answer; reconciliation decides");
                self.metrics.add_payment("pending");
                return (Outcome::Pending, Some(payment));
            }
        }
        let payable = match self.payable(&payment).await {
            Ok(payable) => payable && !reverse,
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "could not tell whether the payment is still due");
                return (Outcome::Pending, Some(payment));
            }
        };
        if !payable {
            return match self.provider.reverse(payment.id, sale).await {
                Ok(()) => {
                    self.end(
                        payment,
                        Outcome::Reversed,
                        "what it paid was paid or closed meanwhile",
                    )
                    .await
                }
                Err(e) => {
                    tracing::warn!(order = payment.id, error = %e, "reversal gave no answer; reconciliation retries");
                    (Outcome::Pending, Some(payment))
                }
            };
        }
        if let Err(e) = self.provider.settle(payment.id, sale).await {
            tracing::warn!(order = payment.id, error = %e, "settlement gave no answer; reconciliation retries");
            self.metrics.add_payment("pending");
            return (Outcome::Pending, Some(payment));
        }
        let actor = Actor::system(&format!("payment:{}", self.provider.name()));
        let code = crate::hologram::verification_code();
        let receipt = (code.clone(), self.receipt_url(&code));
        if let PaidFor::Fine { ruling_id, .. } = payment.paid_for {
            return self
                .record_fine(payment, ruling_id, card_pan, &actor, receipt)
                .await;
        }
        match self
            .citizen
            .record_payment(payment.id, card_pan, &actor, receipt)
            .await
        {
            Ok(Recorded::Paid(p, _)) => {
                self.metrics.add_payment("paid");
                (Outcome::Paid, Some(p))
            }
            Ok(Recorded::Done(p)) => (Outcome::of(&p), Some(p)),
            Ok(Recorded::NotPayable(p)) => {
                // Settled, then the request moved on before it could be recorded: the money is
                // kept as reversed-due so staff refund it (a settled payment cannot be reversed).
                tracing::error!(
                    order = p.id,
                    "a settled payment found its request no longer payable; refund due"
                );
                self.end(
                    p,
                    Outcome::Reversed,
                    "settled after the request left FEE_PAYABLE; refund due",
                )
                .await
            }
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "a settled payment could not be recorded yet; reconciliation retries");
                (Outcome::Pending, Some(payment))
            }
        }
    }

    /// One reconciliation pass: payments being verified and idle for longer than `idle` are
    /// asked about and settled or given back; those still pending after `abandoned` never
    /// came back and are failed (the gateway returns unverified money by itself).
    pub async fn reconcile_once(
        &self,
        idle: Duration,
        abandoned: Duration,
    ) -> Result<usize, shahr_store::StoreError> {
        let stale = self
            .citizen
            .unsettled_payments(idle, abandoned, 100)
            .await?;
        let n = stale.len();
        for payment in stale {
            if !self.citizen.retake_payment(payment.id).await? {
                continue;
            }
            let Some(sale) = payment.sale_reference else {
                self.end(
                    payment,
                    Outcome::Failed,
                    "the payer never came back from the gateway",
                )
                .await;
                continue;
            };
            match self.provider.inquire(payment.id, sale).await {
                Ok(()) => {
                    self.settle(payment, false, None).await;
                }
                Err(PaymentError::Refused(code)) => {
                    let why = format!("the gateway has no payment of this order (code {code})");
                    self.end(payment, Outcome::Failed, &why).await;
                }
                Err(e) => {
                    tracing::warn!(order = payment.id, error = %e, "inquiry gave no answer; trying again later");
                }
            }
        }
        Ok(n)
    }

    /// Whether what the payment pays can still take it: the request waits for this fee, or
    /// the fine still owes at least this much.
    async fn payable(&self, payment: &Payment) -> Result<bool, PayError> {
        match payment.paid_for {
            PaidFor::Request { .. } => Ok(self.citizen.payable(payment).await?),
            PaidFor::Fine { ruling_id, .. } => Ok(self
                .article100
                .fine_still_due(ruling_id, payment.amount_rials, &fine_reference(payment))
                .await?),
        }
    }

    /// Records a settled fine payment on the ruling (once, by the gateway's reference), then
    /// marks it paid with its receipt.
    async fn record_fine(
        &self,
        payment: Payment,
        ruling_id: i32,
        card_pan: Option<&str>,
        actor: &Actor,
        receipt: (String, String),
    ) -> (Outcome, Option<Payment>) {
        let reference = fine_reference(&payment);
        match self
            .article100
            .record_online_fine_payment(ruling_id, payment.amount_rials, &reference, actor)
            .await
        {
            Ok(_) => {}
            Err(e @ (UseCaseError::Store(_) | UseCaseError::IdempotencyKeyReused(_))) => {
                tracing::warn!(order = payment.id, error = %e, "a settled fine payment could not be recorded yet; reconciliation retries");
                return (Outcome::Pending, Some(payment));
            }
            Err(e) => {
                // Settled, then the fine stopped taking it (paid at the bank meanwhile, or the
                // ruling replaced): the money is kept as reversed-due so staff refund it.
                tracing::error!(order = payment.id, error = %e, "a settled fine payment no longer fits its ruling; refund due");
                return self
                    .end(
                        payment,
                        Outcome::Reversed,
                        "settled after the fine stopped owing it; refund due",
                    )
                    .await;
            }
        }
        match self
            .citizen
            .succeed_fine_payment(payment.id, card_pan, actor, receipt)
            .await
        {
            Ok(p) => {
                if p.state == PaymentState::Succeeded {
                    self.metrics.add_payment("paid");
                }
                (Outcome::of(&p), Some(p))
            }
            Err(e) => {
                tracing::warn!(order = payment.id, error = %e, "a recorded fine payment could not be marked paid yet; reconciliation retries");
                (Outcome::Pending, Some(payment))
            }
        }
    }
}

/// The reference a fine's online payment is recorded on the ruling by: the gateway and its
/// reference of the money, so a retried recording finds the first.
fn fine_reference(payment: &Payment) -> String {
    format!(
        "{}:{}",
        payment.provider,
        payment.sale_reference.unwrap_or(payment.id)
    )
}
