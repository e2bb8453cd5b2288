//! The providers that reach people, over HTTP: an SMS gateway (courtesy alerts) and the
//! judicial electronic notice service (legal service of rulings, with delivery receipts).
//!
//! Every call has a deadline; every message carries the idempotent `send_id` of its
//! `shahr.deliveries` row, so resending after a timeout never makes the provider send twice.
//! The contracts, as the providers publish them to us:
//!
//! - SMS: `POST {base}/messages` `{"id", "to", "text"}` → 2xx `{"id", "status"}`; 409 means
//!   the id was already accepted.
//! - E-notice: `POST {base}/notices` `{"id", "nationalId" or "legalId", "title", "body", "link"}` → 2xx
//!   `{"noticeId", "status": "accepted" | "delivered", "deliveredAt"}`. Posting the same id
//!   again answers its current status, which is how a receipt is awaited.
//!
//! Both take `Authorization: Bearer {token}`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use shahr_store::deliveries::{Channel, Delivery, Outcome};

/// One provider's address and credentials.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL, e.g. `https://sms.example.ir/v1`.
    pub base_url: String,
    /// Bearer token.
    pub token: String,
}

/// The providers configured, and how hard to try.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The SMS gateway, if any.
    pub sms: Option<Endpoint>,
    /// The judicial e-notice service, if any.
    pub e_notice: Option<Endpoint>,
    /// Deadline of each HTTP call.
    pub timeout: Duration,
    /// Attempts before a message is given up (errors only; awaiting a receipt is not one).
    pub max_attempts: i32,
    /// First retry delay; doubled after each failed attempt.
    pub backoff: Duration,
    /// How often an accepted e-notice is asked for its receipt.
    pub receipt_poll: Duration,
}

/// The clients.
#[derive(Debug, Clone)]
pub struct Notifier {
    http: reqwest::Client,
    settings: Settings,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoticeAnswer {
    notice_id: Option<String>,
    status: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct SmsAnswer {
    id: Option<String>,
}

/// Why a send failed.
enum Failure {
    /// Worth another try (timeout, connection, 5xx, 429).
    Transient(String),
    /// Will not work (4xx, a message without receiver).
    Permanent(String),
}

impl Notifier {
    /// Clients with these settings.
    pub fn new(settings: Settings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()?;
        Ok(Self { http, settings })
    }

    /// True when `channel` has a provider (the inbox always has).
    pub fn has(&self, channel: Channel) -> bool {
        match channel {
            Channel::ENotice => self.settings.e_notice.is_some(),
            Channel::Sms => self.settings.sms.is_some(),
            Channel::Inbox => true,
        }
    }

    fn retry_or_fail(&self, d: &Delivery, error: String) -> Outcome {
        if d.attempts >= self.settings.max_attempts {
            return Outcome::Failed { error };
        }
        let factor = 2u32.saturating_pow(u32::try_from(d.attempts.max(1) - 1).unwrap_or(0));
        let delay = self.settings.backoff.saturating_mul(factor);
        Outcome::Retry {
            error,
            at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
        }
    }

    /// Sends a claimed SMS or e-notice delivery and says what happened.
    pub async fn send(&self, d: &Delivery) -> Outcome {
        let result = match d.channel {
            Channel::Sms => self.send_sms(d).await,
            Channel::ENotice => self.send_notice(d).await,
            Channel::Inbox => {
                return Outcome::Delivered {
                    at: Utc::now(),
                    provider_ref: None,
                }
            }
        };
        match result {
            Ok(outcome) => outcome,
            Err(Failure::Transient(e)) => self.retry_or_fail(d, e),
            Err(Failure::Permanent(e)) => Outcome::Failed { error: e },
        }
    }

    #[tracing::instrument(name = "notify.post", skip_all, fields(otel.kind = "client", url.path = path))]
    async fn post(
        &self,
        endpoint: &Endpoint,
        path: &str,
        body: serde_json::Value,
    ) -> Result<(reqwest::StatusCode, String), Failure> {
        let url = format!("{}{path}", endpoint.base_url.trim_end_matches('/'));
        let response = self
            .http
            .post(&url)
            .headers(shahr_tracecontext::headers())
            .bearer_auth(&endpoint.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                Failure::Transient(if e.is_timeout() {
                    format!("{path}: no answer within {:?}", self.settings.timeout)
                } else {
                    format!("{path}: {e}")
                })
            })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Transient(format!("{path}: {e}")))?;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Transient(format!("{path}: {status}")));
        }
        Ok((status, text))
    }

    async fn send_sms(&self, d: &Delivery) -> Result<Outcome, Failure> {
        let endpoint = self
            .settings
            .sms
            .as_ref()
            .ok_or_else(|| Failure::Permanent("no SMS provider is configured".into()))?;
        let to = d
            .mobile
            .as_ref()
            .ok_or_else(|| Failure::Permanent("the receiver has no mobile number".into()))?;
        let (status, text) = self
            .post(
                endpoint,
                "/messages",
                json!({ "id": d.send_id, "to": to, "text": format!("{}\n{}", d.title, d.body) }),
            )
            .await?;
        if status == reqwest::StatusCode::CONFLICT || status.is_success() {
            let answer: Option<SmsAnswer> = serde_json::from_str(&text).ok();
            return Ok(Outcome::Sent {
                provider_ref: answer
                    .and_then(|a| a.id)
                    .or_else(|| Some(d.send_id.clone())),
            });
        }
        Err(Failure::Permanent(format!("/messages: {status}")))
    }

    async fn send_notice(&self, d: &Delivery) -> Result<Outcome, Failure> {
        let endpoint = self
            .settings
            .e_notice
            .as_ref()
            .ok_or_else(|| Failure::Permanent("no e-notice service is configured".into()))?;
        let receiver = match (&d.national_id, &d.legal_id) {
            (Some(n), _) => {
                json!({ "id": d.send_id, "nationalId": n, "title": d.title, "body": d.body, "link": d.link })
            }
            (None, Some(l)) => {
                json!({ "id": d.send_id, "legalId": l, "title": d.title, "body": d.body, "link": d.link })
            }
            (None, None) => {
                return Err(Failure::Permanent(
                    "the receiver has neither a national id nor a legal id".into(),
                ))
            }
        };
        let (status, text) = self.post(endpoint, "/notices", receiver).await?;
        if !status.is_success() {
            return Err(Failure::Permanent(format!("/notices: {status}")));
        }
        let answer: NoticeAnswer = serde_json::from_str(&text)
            .map_err(|e| Failure::Transient(format!("/notices: unreadable answer: {e}")))?;
        match (answer.status.as_deref(), answer.delivered_at) {
            (Some("delivered"), Some(at)) => Ok(Outcome::Delivered {
                at,
                provider_ref: answer.notice_id,
            }),
            _ => Ok(Outcome::Retry {
                error: "accepted; awaiting the delivery receipt".into(),
                at: Utc::now()
                    + chrono::Duration::from_std(self.settings.receipt_poll).unwrap_or_default(),
            }),
        }
    }
}
