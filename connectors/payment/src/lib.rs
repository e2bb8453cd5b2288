//! Payments through an internet payment gateway (IPG) of the Shaparak network.
//!
//! The protocol implemented is **Behpardakht Mellat**'s (Bank Mellat's PSP, used by many
//! municipalities and public bodies): a SOAP service at `{base}/pgwchannel/services/pgw`
//! (namespace `http://interfaces.core.sw.bps.com/`) and a payment page at
//! `{base}/pgwchannel/startpay.mellat`.
//!
//! 1. `bpPayRequest(terminalId, userName, userPassword, orderId, amount, localDate, localTime,
//!    additionalData, callBackUrl, payerId)` answers `"0,<RefId>"` or an error code.
//! 2. The citizen's browser POSTs `RefId` to the payment page and pays there.
//! 3. The browser comes back to `callBackUrl` with a POSTed form: `RefId`, `ResCode`,
//!    `SaleOrderId`, `SaleReferenceId`, `CardHolderPan`, `FinalAmount`. None of it is trusted.
//! 4. `bpVerifyRequest(…, orderId, saleOrderId, saleReferenceId)` asks the gateway, server to
//!    server, whether *our* order was paid; `0` (or `43`, already verified) means it was.
//! 5. `bpSettleRequest` moves the money to the merchant (`0`, or `45` already settled);
//!    `bpReversalRequest` gives it back (`0`, or `48` already reversed); `bpInquiryRequest`
//!    answers for a payment whose callback never came.
//!
//! The amount is the one sent with the pay request: the order id is ours, unique, and bound to
//! that amount before the citizen leaves, so a verified order was paid in full.

use std::time::Duration;

pub mod soap;

pub use soap::escape;

/// The gateway's address and the merchant's credentials.
#[derive(Debug, Clone)]
pub struct BehpardakhtSettings {
    /// `https://bpm.shaparak.ir` in production.
    pub base_url: String,
    /// The merchant's terminal.
    pub terminal_id: i64,
    /// The terminal's user name.
    pub user_name: String,
    /// The terminal's password.
    pub password: String,
    /// Deadline of one call.
    pub timeout: Duration,
    /// Attempts of a call that is safe to repeat (verify, settle, inquiry, reversal).
    pub attempts: u32,
}

/// What the citizen's browser is sent to: a form POSTed to the gateway's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The page.
    pub url: String,
    /// The form's fields.
    pub fields: Vec<(String, String)>,
    /// The gateway's token for this payment (`RefId`).
    pub token: String,
}

/// The gateway's callback, as the browser brought it: only a hint of what happened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Callback {
    /// Our order id, as the form says.
    pub order_id: Option<i64>,
    /// The token (`RefId`).
    pub token: Option<String>,
    /// `0` when the citizen paid, `17` when they cancelled, other codes for failures.
    pub res_code: Option<i64>,
    /// The gateway's reference of the money movement, needed to verify.
    pub sale_reference_id: Option<i64>,
    /// The card, masked.
    pub card_pan: Option<String>,
}

impl Callback {
    /// Reads the POSTed form.
    pub fn from_form(fields: &[(String, String)]) -> Self {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &str| get(name).and_then(|v| v.parse::<i64>().ok());
        Self {
            order_id: number("SaleOrderId"),
            token: get("RefId"),
            res_code: number("ResCode"),
            sale_reference_id: number("SaleReferenceId").filter(|r| *r > 0),
            card_pan: get("CardHolderPan").map(|p| p.chars().take(19).collect()),
        }
    }

    /// True when the citizen cancelled on the gateway's page.
    pub fn cancelled(&self) -> bool {
        self.res_code == Some(CANCELLED)
    }
}

/// `ResCode` of a payment the citizen cancelled.
pub const CANCELLED: i64 = 17;

/// Why a call did not give an answer to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// No answer in time, or no connection: what happened is unknown.
    #[error("the payment gateway did not answer: {0}")]
    Unavailable(String),
    /// An answer the protocol does not allow.
    #[error("the payment gateway answered something unreadable: {0}")]
    Garbled(String),
    /// The gateway refused, with its code.
    #[error("the payment gateway refused with code {0}")]
    Refused(i64),
}

impl PaymentError {
    /// True when the outcome is unknown (a later inquiry must decide).
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            PaymentError::Unavailable(_) | PaymentError::Garbled(_)
        )
    }
}

/// A payment provider's protocol, as the gateway uses it.
pub trait PaymentProvider: Send + Sync {
    /// The provider's name in URLs and records (`behpardakht`).
    fn name(&self) -> &'static str;

    /// Where to send the citizen for a payment registered with `token`.
    fn redirect(&self, token: &str) -> Redirect;

    /// Registers an order of `amount` rials and answers where to send the citizen.
    fn request(
        &self,
        order_id: i64,
        amount: i64,
        callback_url: &str,
    ) -> impl std::future::Future<Output = Result<Redirect, PaymentError>> + Send;

    /// Asks whether the order was paid (server to server). `Ok(())` only when it was.
    fn verify(
        &self,
        order_id: i64,
        sale_reference_id: i64,
    ) -> impl std::future::Future<Output = Result<(), PaymentError>> + Send;

    /// Moves a verified payment's money to the merchant.
    fn settle(
        &self,
        order_id: i64,
        sale_reference_id: i64,
    ) -> impl std::future::Future<Output = Result<(), PaymentError>> + Send;

    /// Gives a verified payment's money back to the payer.
    fn reverse(
        &self,
        order_id: i64,
        sale_reference_id: i64,
    ) -> impl std::future::Future<Output = Result<(), PaymentError>> + Send;

    /// For a payment whose callback never came: was it paid?
    fn inquire(
        &self,
        order_id: i64,
        sale_reference_id: i64,
    ) -> impl std::future::Future<Output = Result<(), PaymentError>> + Send;
}

/// Behpardakht Mellat's gateway.
#[derive(Debug, Clone)]
pub struct Behpardakht {
    http: reqwest::Client,
    settings: BehpardakhtSettings,
}

/// Codes meaning "already done": a repeated verify, settle or reversal.
const ALREADY_VERIFIED: i64 = 43;
const ALREADY_SETTLED: i64 = 45;
const ALREADY_REVERSED: i64 = 48;

impl Behpardakht {
    /// A client of the gateway; every call has the settings' deadline.
    pub fn new(settings: BehpardakhtSettings) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout)
                .build()?,
            settings,
        })
    }

    fn service_url(&self) -> String {
        format!(
            "{}/pgwchannel/services/pgw",
            self.settings.base_url.trim_end_matches('/')
        )
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("terminalId", self.settings.terminal_id.to_string()),
            ("userName", self.settings.user_name.clone()),
            ("userPassword", self.settings.password.clone()),
        ]
    }

    /// One SOAP call; the text of its `return` element.
    #[tracing::instrument(name = "payment.call", skip_all, fields(otel.kind = "client", rpc.method = operation))]
    async fn call(&self, operation: &str, args: &[(&str, String)]) -> Result<String, PaymentError> {
        let body = soap::envelope(operation, args);
        let response = self
            .http
            .post(self.service_url())
            .headers(shahr_tracecontext::headers())
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", "\"\"")
            .body(body)
            .send()
            .await
            .map_err(|e| PaymentError::Unavailable(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| PaymentError::Unavailable(e.to_string()))?;
        if !status.is_success() {
            return Err(PaymentError::Garbled(format!("HTTP {status}")));
        }
        soap::return_value(&text).ok_or_else(|| {
            PaymentError::Garbled(format!("no return value in {operation}'s answer"))
        })
    }

    /// A call that is safe to repeat, tried up to `attempts` times while its outcome is unknown;
    /// `done` lists the codes that mean it already happened.
    async fn repeatable(
        &self,
        operation: &str,
        order_id: i64,
        sale_reference_id: i64,
        done: &[i64],
    ) -> Result<(), PaymentError> {
        let mut args = self.credentials();
        args.extend([
            ("orderId", order_id.to_string()),
            ("saleOrderId", order_id.to_string()),
            ("saleReferenceId", sale_reference_id.to_string()),
        ]);
        let attempts = self.settings.attempts.max(1);
        let mut last = PaymentError::Unavailable("not tried".into());
        for attempt in 1..=attempts {
            match self.call(operation, &args).await {
                Ok(text) => {
                    let code = text
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| PaymentError::Garbled(format!("{operation}: {text}")))?;
                    return if code == 0 || done.contains(&code) {
                        Ok(())
                    } else {
                        Err(PaymentError::Refused(code))
                    };
                }
                Err(e) if e.is_unknown() && attempt < attempts => {
                    tracing::warn!(operation, attempt, error = %e, "payment gateway call failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}

impl PaymentProvider for Behpardakht {
    fn name(&self) -> &'static str {
        "behpardakht"
    }

    async fn request(
        &self,
        order_id: i64,
        amount: i64,
        callback_url: &str,
    ) -> Result<Redirect, PaymentError> {
        // The gateway wants the merchant's local date and time: Tehran, UTC+03:30 all year
        // since Iran ended daylight saving time in 2022.
        let utc = chrono::Utc::now();
        let now = chrono::FixedOffset::east_opt(12_600).map_or_else(
            || utc.naive_utc(),
            |tz| utc.with_timezone(&tz).naive_local(),
        );
        let mut args = self.credentials();
        args.extend([
            ("orderId", order_id.to_string()),
            ("amount", amount.to_string()),
            ("localDate", now.format("%Y%m%d").to_string()),
            ("localTime", now.format("%H%M%S").to_string()),
            ("additionalData", String::new()),
            ("callBackUrl", callback_url.to_owned()),
            ("payerId", "0".to_owned()),
        ]);
        // Not repeated: a second pay request for the same order id is refused (code 41) even
        // when the first was registered, and a new order id is a new payment.
        let text = self.call("bpPayRequest", &args).await?;
        let mut parts = text.trim().splitn(2, ',');
        let code = parts
            .next()
            .and_then(|c| c.trim().parse::<i64>().ok())
            .ok_or_else(|| PaymentError::Garbled(format!("bpPayRequest: {text}")))?;
        if code != 0 {
            return Err(PaymentError::Refused(code));
        }
        let token = parts
            .next()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PaymentError::Garbled("bpPayRequest gave no RefId".into()))?
            .to_owned();
        Ok(self.redirect(&token))
    }

    fn redirect(&self, token: &str) -> Redirect {
        Redirect {
            url: format!(
                "{}/pgwchannel/startpay.mellat",
                self.settings.base_url.trim_end_matches('/')
            ),
            fields: vec![("RefId".to_owned(), token.to_owned())],
            token: token.to_owned(),
        }
    }

    async fn verify(&self, order_id: i64, sale_reference_id: i64) -> Result<(), PaymentError> {
        self.repeatable(
            "bpVerifyRequest",
            order_id,
            sale_reference_id,
            &[ALREADY_VERIFIED],
        )
        .await
    }

    async fn settle(&self, order_id: i64, sale_reference_id: i64) -> Result<(), PaymentError> {
        self.repeatable(
            "bpSettleRequest",
            order_id,
            sale_reference_id,
            &[ALREADY_SETTLED],
        )
        .await
    }

    async fn reverse(&self, order_id: i64, sale_reference_id: i64) -> Result<(), PaymentError> {
        self.repeatable(
            "bpReversalRequest",
            order_id,
            sale_reference_id,
            &[ALREADY_REVERSED],
        )
        .await
    }

    async fn inquire(&self, order_id: i64, sale_reference_id: i64) -> Result<(), PaymentError> {
        self.repeatable("bpInquiryRequest", order_id, sale_reference_id, &[])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_form_is_read_and_nothing_more() {
        let form: Vec<(String, String)> = [
            ("RefId", "AF82041a2Bf6989c7fF9"),
            ("ResCode", "0"),
            ("SaleOrderId", "1042"),
            ("SaleReferenceId", "118913455"),
            ("CardHolderPan", "603799******7161"),
            ("FinalAmount", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let c = Callback::from_form(&form);
        assert_eq!(c.order_id, Some(1042));
        assert_eq!(c.sale_reference_id, Some(118_913_455));
        assert_eq!(c.res_code, Some(0));
        assert!(!c.cancelled());
        let cancelled = Callback::from_form(&[("ResCode".into(), "17".into())]);
        assert!(cancelled.cancelled());
        assert_eq!(cancelled.order_id, None);
    }
}
