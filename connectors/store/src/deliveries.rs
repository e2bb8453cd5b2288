//! Notifications to people as a transactional outbox (`shahr.deliveries`): [`enqueue`] writes
//! them in the caller's transaction; the notifier [`claim_due`]s them (several instances may
//! run: claimed rows are leased), sends them, and records the outcome with [`finish`].

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};

use crate::{PgPool, StoreError};

/// How a message reaches its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The judicial electronic notice account: legal service once delivered.
    ENotice,
    /// A text message: a courtesy alert, never legal service.
    Sms,
    /// The gateway's in-app inbox (`me { notifications }`).
    Inbox,
}

impl Channel {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::ENotice => "E_NOTICE",
            Channel::Sms => "SMS",
            Channel::Inbox => "INBOX",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "E_NOTICE" => Channel::ENotice,
            "SMS" => Channel::Sms,
            _ => Channel::Inbox,
        }
    }
}

/// A message to write.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Idempotent id given to the provider (unique).
    pub send_id: String,
    /// The channel.
    pub channel: Channel,
    /// `ruling` or `request`.
    pub subject_kind: String,
    /// The subject's id (legacy ruling id, tracking code).
    pub subject_id: String,
    /// Receiver's national id.
    pub national_id: Option<String>,
    /// Receiver's legal id (legal entities).
    pub legal_id: Option<String>,
    /// Receiver's mobile (`09…`).
    pub mobile: Option<String>,
    /// Receiver's name.
    pub name: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// A link to show with it.
    pub link: Option<String>,
}

/// A message being sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// Idempotent id.
    pub send_id: String,
    /// The channel.
    pub channel: Channel,
    /// `ruling` or `request`.
    pub subject_kind: String,
    /// The subject's id.
    pub subject_id: String,
    /// Receiver's national id.
    pub national_id: Option<String>,
    /// Receiver's legal id (legal entities).
    pub legal_id: Option<String>,
    /// Receiver's mobile.
    pub mobile: Option<String>,
    /// Receiver's name.
    pub name: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Link.
    pub link: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// What happened to a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Delivered (the provider's receipt, or the inbox write).
    Delivered {
        /// When.
        at: DateTime<Utc>,
        /// The provider's reference.
        provider_ref: Option<String>,
    },
    /// Accepted by the provider, no receipt (SMS).
    Sent {
        /// The provider's reference.
        provider_ref: Option<String>,
    },
    /// Try again at `at`.
    Retry {
        /// Why.
        error: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Given up.
    Failed {
        /// Why.
        error: String,
    },
}

/// Writes a message in the caller's transaction (a second write of the same `send_id` is
/// ignored).
#[tracing::instrument(name = "store.enqueue", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn enqueue(tx: &impl GenericClient, d: &NewDelivery) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO shahr.deliveries (send_id, channel, subject_kind, subject_id, receiver_national_id, \
         receiver_mobile, receiver_name, title, body, link, receiver_legal_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (send_id) DO NOTHING",
        &[
            &d.send_id,
            &d.channel.as_str(),
            &d.subject_kind,
            &d.subject_id,
            &d.national_id,
            &d.mobile,
            &d.name,
            &d.title,
            &d.body,
            &d.link,
            &d.legal_id,
        ],
    )
    .await?;
    Ok(())
}

fn from_row(r: &Row) -> Delivery {
    Delivery {
        id: r.get(0),
        send_id: r.get(1),
        channel: Channel::parse(r.get(2)),
        subject_kind: r.get(3),
        subject_id: r.get(4),
        national_id: r.get(5),
        mobile: r.get(6),
        name: r.get(7),
        title: r.get(8),
        body: r.get(9),
        link: r.get(10),
        attempts: r.get(11),
        legal_id: r.get(12),
    }
}

/// Claims up to `limit` due messages for `lease` (another instance will not take them until
/// then), counting the attempt.
#[tracing::instrument(name = "store.claim_due", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn claim_due(
    pool: &PgPool,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<Delivery>, StoreError> {
    let client = pool.get().await?;
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(60_000);
    let rows = client
        .query(
            "UPDATE shahr.deliveries SET attempts = attempts + 1, \
             next_attempt_at = now() + make_interval(secs => $2::float8 / 1000) \
             WHERE id IN (SELECT id FROM shahr.deliveries WHERE status = 'PENDING' AND next_attempt_at <= now() \
                          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, send_id, channel, subject_kind, subject_id, receiver_national_id, receiver_mobile, \
                       receiver_name, title, body, link, attempts, receiver_legal_id",
            &[&limit, &(lease_ms as f64)],
        )
        .await?;
    let mut out: Vec<Delivery> = rows.iter().map(from_row).collect();
    out.sort_by_key(|d| d.id);
    Ok(out)
}

/// Records what happened to a claimed message, in the caller's transaction.
#[tracing::instrument(name = "store.finish", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn finish(tx: &impl GenericClient, id: i64, outcome: &Outcome) -> Result<(), StoreError> {
    match outcome {
        Outcome::Delivered { at, provider_ref } => {
            let row = tx
                .query_opt(
                    "UPDATE shahr.deliveries SET status = 'DELIVERED', delivered_at = $2, provider_ref = $3, last_error = NULL \
                     WHERE id = $1 RETURNING channel, subject_kind, subject_id, receiver_national_id",
                    &[&id, at, provider_ref],
                )
                .await?;
            if let Some(row) = row {
                // Live as `notification.delivered` (the person's own events carry it).
                let event = shahr_domain::events::DomainEvent::NotificationDelivered(
                    shahr_domain::events::NotificationDelivered {
                        delivery_id: id,
                        channel: row.get(0),
                        subject_kind: row.get(1),
                        subject_id: row.get(2),
                        citizen_national_id: row.get(3),
                        delivered_at: *at,
                    },
                );
                crate::outbox::enqueue(tx, &event).await?;
            }
            1
        }
        Outcome::Sent { provider_ref } => {
            tx.execute(
                "UPDATE shahr.deliveries SET status = 'SENT', provider_ref = $2, last_error = NULL WHERE id = $1",
                &[&id, provider_ref],
            )
            .await?
        }
        Outcome::Retry { error, at } => {
            tx.execute(
                "UPDATE shahr.deliveries SET next_attempt_at = $2, last_error = $3 WHERE id = $1",
                &[&id, at, error],
            )
            .await?
        }
        Outcome::Failed { error } => {
            tx.execute(
                "UPDATE shahr.deliveries SET status = 'FAILED', last_error = $2 WHERE id = $1",
                &[&id, error],
            )
            .await?
        }
    };
    Ok(())
}

/// Writes an inbox message for a claimed inbox delivery, in the caller's transaction.
#[tracing::instrument(name = "store.to_inbox", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn to_inbox(tx: &impl GenericClient, d: &Delivery) -> Result<(), StoreError> {
    let Some(national_id) = &d.national_id else {
        return Ok(());
    };
    tx.execute(
        "INSERT INTO shahr.inbox (national_id, title, body, link, subject_kind, subject_id, delivery_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id) DO NOTHING",
        &[national_id, &d.title, &d.body, &d.link, &d.subject_kind, &d.subject_id, &d.id],
    )
    .await?;
    Ok(())
}

/// An inbox message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxMessage {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Link.
    pub link: Option<String>,
    /// `ruling` or `request`.
    pub subject_kind: String,
    /// The subject's id.
    pub subject_id: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A person's newest inbox messages.
#[tracing::instrument(name = "store.inbox", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn inbox(
    pool: &PgPool,
    national_id: &str,
    limit: i64,
) -> Result<Vec<InboxMessage>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, title, body, link, subject_kind, subject_id, created_at FROM shahr.inbox \
             WHERE national_id = $1 ORDER BY id DESC LIMIT $2",
            &[&national_id, &limit],
        )
        .await?;
    Ok(rows.iter().map(inbox_message_of).collect())
}

/// One of a person's inbox messages; `None` when it is not theirs or does not exist.
#[tracing::instrument(name = "store.inbox_message", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn inbox_message(
    pool: &PgPool,
    national_id: &str,
    id: i64,
) -> Result<Option<InboxMessage>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, title, body, link, subject_kind, subject_id, created_at FROM shahr.inbox \
             WHERE national_id = $1 AND id = $2",
            &[&national_id, &id],
        )
        .await?;
    Ok(row.as_ref().map(inbox_message_of))
}

fn inbox_message_of(r: &tokio_postgres::Row) -> InboxMessage {
    InboxMessage {
        id: r.get(0),
        title: r.get(1),
        body: r.get(2),
        link: r.get(3),
        subject_kind: r.get(4),
        subject_id: r.get(5),
        created_at: r.get(6),
    }
}
