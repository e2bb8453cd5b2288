//! Paying online, a request's fee or a final ruling's fine: `startPayment`, the `Payment`
//! object and its lists.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use shahr_citizen::payments::{PaidFor, Payment as PaymentRecord, PaymentState as StoredState};
use shahr_domain::enforcement::FinePart;

use super::resolvers::may_see_in;
use crate::{
    graphql::{
        access::signed_in,
        context::ContextExt,
        error::{usecase_error, ApiError, ErrorCode},
        node::global_id,
        scalars::{DateTime, Rial},
    },
    usecases::payments::PayError,
};

/// Where an online payment stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PaymentState {
    /// Started: the citizen is on (or left) the payment gateway's page.
    Pending,
    /// The gateway sent the citizen back; it is being asked whether the payment went through.
    Verifying,
    /// Paid and recorded; the request moved on, or the payment is on the ruling's fine.
    Succeeded,
    /// Not paid (cancelled, refused, or never finished); nothing was kept.
    Failed,
    /// Paid, then given back (what it paid had been paid or closed meanwhile).
    Reversed,
}

/// What an online payment pays.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PaymentPurpose {
    /// A service request's fee.
    RequestFee,
    /// An Article 100 ruling's fine (the whole outstanding or an instalment).
    Fine,
}

impl From<StoredState> for PaymentState {
    fn from(s: StoredState) -> Self {
        match s {
            StoredState::Pending => PaymentState::Pending,
            StoredState::Verifying => PaymentState::Verifying,
            StoredState::Succeeded => PaymentState::Succeeded,
            StoredState::Failed => PaymentState::Failed,
            StoredState::Reversed => PaymentState::Reversed,
        }
    }
}

/// An online payment of a request's fee or of a ruling's fine.
pub struct Payment(pub PaymentRecord);

/// An online payment of a request's fee or of a final ruling's fine.
#[Object]
impl Payment {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Payment", self.0.id)
    }

    /// The order number the gateway knows it by (on the citizen's bank statement).
    async fn order_id(&self) -> String {
        self.0.id.to_string()
    }

    /// What it pays.
    async fn purpose(&self) -> PaymentPurpose {
        match self.0.paid_for {
            PaidFor::Request { .. } => PaymentPurpose::RequestFee,
            PaidFor::Fine { .. } => PaymentPurpose::Fine,
        }
    }

    /// The request whose fee it pays (its tracking code); null for a fine.
    async fn tracking_code(&self) -> Option<&str> {
        match &self.0.paid_for {
            PaidFor::Request { tracking_code, .. } => Some(tracking_code),
            PaidFor::Fine { .. } => None,
        }
    }

    /// The ruling whose fine it pays (the id of a `Ruling`); null for a request's fee.
    async fn ruling_id(&self) -> Option<ID> {
        self.0
            .paid_for
            .ruling_id()
            .map(|id| global_id("Ruling", id))
    }

    /// The number of the ruling whose fine it pays, as printed on the dadnameh; null for a
    /// request's fee.
    async fn ruling_number(&self) -> Option<&str> {
        match &self.0.paid_for {
            PaidFor::Fine { ruling_number, .. } => Some(ruling_number),
            PaidFor::Request { .. } => None,
        }
    }

    /// The amount, decided by the municipality when the payment started: the request's fee,
    /// or the fine's outstanding amount or instalment.
    async fn amount(&self) -> Rial {
        Rial(self.0.amount_rials)
    }

    /// Where it stands.
    async fn state(&self) -> PaymentState {
        self.0.state.into()
    }

    /// `state` in Persian.
    async fn state_label(&self) -> &'static str {
        match self.0.state {
            StoredState::Pending => "در انتظار پرداخت",
            StoredState::Verifying => "در حال استعلام از درگاه",
            StoredState::Succeeded => "پرداخت‌شده",
            StoredState::Failed => "ناموفق",
            StoredState::Reversed => "برگشت داده شده",
        }
    }

    /// The payment gateway (`behpardakht`).
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    /// The gateway's reference of the money movement (on the receipt), once paid.
    async fn reference(&self) -> Option<String> {
        self.0.sale_reference.map(|r| r.to_string())
    }

    /// The card paid with, masked as the gateway gave it.
    async fn card_pan(&self) -> Option<&str> {
        self.0.card_pan.as_deref()
    }

    /// Why it failed or was given back (English, for support staff).
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }

    /// The receipt's public page (its QR code's target), once paid.
    async fn receipt_url(&self, ctx: &Context<'_>) -> Option<String> {
        let code = self.0.receipt_code.as_deref()?;
        Some(format!("{}/receipts/{code}", ctx.deps().public_base_url))
    }

    /// When it started.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the money was settled.
    async fn settled_at(&self) -> Option<DateTime> {
        self.0.settled_at.map(DateTime)
    }
}

/// A field of the form the browser posts to the payment gateway.
#[derive(SimpleObject)]
pub struct FormField {
    /// The field's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Where to send the citizen's browser: POST `fields` to `url` as an HTML form.
#[derive(SimpleObject)]
pub struct PaymentRedirect {
    /// The gateway's payment page.
    pub url: String,
    /// Always `POST`.
    pub method: String,
    /// The form's fields.
    pub fields: Vec<FormField>,
}

/// Starts paying a request's fee or a ruling's fine: give exactly one of `request` and
/// `ruling`.
#[derive(InputObject)]
pub struct StartPaymentInput {
    /// The request (its tracking code); it must be waiting for its fee (`FEE_PAYABLE`).
    pub request: Option<String>,
    /// The final ruling whose fine an owner of the parcel pays (a `Ruling` id).
    pub ruling: Option<ID>,
    /// For a fine: pay the next instalment of the city's plan (`Ruling.fineNextInstalment`)
    /// instead of all that is outstanding.
    #[graphql(default)]
    pub fine_instalment: bool,
    /// Makes retries safe: the same key answers with the payment it started.
    pub idempotency_key: Option<String>,
}

/// A payment started.
#[derive(SimpleObject)]
pub struct StartPaymentPayload {
    /// The payment, pending until the gateway sends the citizen back.
    pub payment: Payment,
    /// Where to send the citizen's browser.
    pub redirect: PaymentRedirect,
}

/// Payment mutations.
#[derive(Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Starts an online payment through the city's payment gateway (Behpardakht Mellat, on
    /// the Shaparak network), for the amount the municipality decides (never an amount from
    /// the client): a request's fee, by the citizen who filed it; or a final ruling's fine, by
    /// an owner of the parcel, whole or the next instalment. Send the browser to `redirect`;
    /// the gateway brings it back to the gateway's callback, which verifies the payment with
    /// the bank and records it once: the request moves to `PAID`, or the payment goes on the
    /// ruling (enforcement starts; the case closes when everything is done). One payment of a
    /// fine is under way at a time.
    async fn start_payment(
        &self,
        ctx: &Context<'_>,
        input: StartPaymentInput,
    ) -> async_graphql::Result<StartPaymentPayload> {
        let principal = signed_in(ctx.viewer())?.clone();
        let Some(payments) = ctx.deps().payments.as_ref() else {
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "online payment is not configured on this gateway",
            )
            .with("upstream", "payment".into())
            .with_fa("پرداخت اینترنتی در این سامانه راه‌اندازی نشده است.")
            .into());
        };
        let key = input
            .idempotency_key
            .or_else(|| ctx.idempotency_header().map(str::to_owned));
        if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 128) {
            return Err(ApiError::bad_input(
                "input.idempotencyKey",
                "the key must be 1 to 128 characters",
                "شناسه یکتای پرداخت باید ۱ تا ۱۲۸ نویسه باشد.",
            )
            .into());
        }
        let started = match (&input.request, &input.ruling) {
            (Some(request), None) => {
                payments
                    .start(&principal, request.trim(), key.as_deref())
                    .await
            }
            (None, Some(ruling)) => {
                let ruling =
                    crate::graphql::rulings::resolvers::id_of("Ruling", "input.ruling", ruling)?;
                let part = if input.fine_instalment {
                    FinePart::NextInstalment
                } else {
                    FinePart::Whole
                };
                payments
                    .start_fine(&principal, ruling, part, key.as_deref())
                    .await
            }
            _ => {
                return Err(ApiError::bad_input(
                    "input.request",
                    "give exactly one of `request` and `ruling`",
                    "یکی از دو مورد را مشخص کنید: کد رهگیری درخواست یا رأی کمیسیون.",
                )
                .into())
            }
        };
        let (payment, redirect) = started.map_err(refusal)?;
        Ok(StartPaymentPayload {
            payment: Payment(payment),
            redirect: PaymentRedirect {
                url: redirect.url,
                method: "POST".into(),
                fields: redirect
                    .fields
                    .into_iter()
                    .map(|(name, value)| FormField { name, value })
                    .collect(),
            },
        })
    }
}

fn refusal(e: PayError) -> async_graphql::Error {
    use shahr_citizen::payments::StartError as S;
    let err = match e {
        PayError::Start(S::NotFound) => ApiError::new(ErrorCode::NotFound, "no such request of yours")
            .with("field", "input.request".into())
            .with_fa("درخواستی با این کد رهگیری برای شما ثبت نشده است."),
        PayError::Start(S::NotPayable(state)) => ApiError::new(
            ErrorCode::Conflict,
            format!("a request in state {} has no fee to pay", state.as_code()),
        )
        .with("currentState", state.as_code().into())
        .with("stateOf", "ServiceRequest".into())
        .with_fa("این درخواست اکنون عوارضی برای پرداخت ندارد."),
        PayError::Start(S::AlreadyPaid) => {
            ApiError::new(ErrorCode::Conflict, "the request is paid already")
                .with("currentState", "PAID".into())
                .with("stateOf", "ServiceRequest".into())
                .with_fa("عوارض این درخواست پیش‌تر پرداخت شده است.")
        }
        PayError::Start(S::KeyReused) => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency key started another payment",
        )
        .with_fa("این شناسه یکتا پیش‌تر برای پرداخت دیگری به کار رفته است."),
        PayError::Start(S::Underway) => ApiError::new(
            ErrorCode::Conflict,
            "another payment of this fine is under way; it ends within minutes",
        )
        .with("currentState", "PENDING".into())
        .with("stateOf", "Payment".into())
        .with_fa("پرداخت دیگری برای این جریمه در جریان است؛ چند دقیقه بعد دوباره تلاش کنید."),
        PayError::Fine(e) => usecase_error(e, "input"),
        PayError::Ended(state) => ApiError::new(
            ErrorCode::Conflict,
            format!("the payment started with this key has ended ({state}); start another with a new key"),
        )
        .with("currentState", state.into())
        .with("stateOf", "Payment".into())
        .with_fa("پرداختی که با این شناسه آغاز شده بود پایان یافته است؛ پرداخت تازه‌ای آغاز کنید."),
        PayError::Gateway(e) => ApiError::new(
            ErrorCode::UpstreamUnavailable,
            format!("the payment gateway could not take the payment: {e}"),
        )
        .with("upstream", "payment".into())
        .with_fa("درگاه پرداخت در دسترس نیست؛ مبلغی کسر نشده است. کمی بعد دوباره تلاش کنید."),
        PayError::Start(S::Store(e)) | PayError::Store(e) => ApiError::from(e),
    };
    err.into()
}

/// The payments of a request the viewer may see, oldest first.
pub(crate) async fn of_request(
    ctx: &Context<'_>,
    request: &shahr_citizen::ServiceRequest,
) -> async_graphql::Result<Vec<Payment>> {
    if !may_see_in(ctx, request) {
        return Ok(Vec::new());
    }
    let mut found = ctx
        .deps()
        .citizen
        .payments_by_request(&[request.id])
        .await
        .map_err(ApiError::from)?;
    Ok(found
        .remove(&request.id)
        .unwrap_or_default()
        .into_iter()
        .map(Payment)
        .collect())
}

/// The online payments of a ruling's fine the viewer may see, oldest first: staff of the
/// parcel's district see every attempt, an owner their own; one statement per batch of
/// rulings.
pub(crate) async fn of_ruling(
    ctx: &Context<'_>,
    ruling_id: i32,
) -> async_graphql::Result<Vec<Payment>> {
    Ok(
        crate::graphql::loaders::many::<crate::graphql::loaders::OnlinePaymentsLoader, _>(
            ctx, ruling_id,
        )
        .await?
        .into_iter()
        .filter(|p| super::resolvers::may_see_payment(ctx.viewer(), p))
        .map(Payment)
        .collect(),
    )
}
