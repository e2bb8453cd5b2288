//! The transactional outbox (`shahr.outbox`).

use chrono::{DateTime, Utc};
use shahr_domain::events::DomainEvent;
use tokio_postgres::GenericClient;

use crate::StoreError;

/// The `LISTEN` channel the outbox trigger notifies on commit.
pub const NOTIFY_CHANNEL: &str = "shahr_outbox";

/// An outbox row not yet handed to the event bus.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Row id (a sequence: commit order may differ from id order).
    pub id: i64,
    /// Event topic, e.g. `ruling.issued`.
    pub topic: String,
    /// The event as written by the mutation: a [`DomainEvent`]'s JSON (older rows may lack
    /// the `topic` key; [`DomainEvent::from_outbox`] reads both).
    pub payload: String,
    /// When the mutation wrote the event.
    pub occurred_at: DateTime<Utc>,
}

/// Writes an event in the caller's transaction; it is published only if that transaction commits.
#[tracing::instrument(name = "store.enqueue", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn enqueue(client: &impl GenericClient, event: &DomainEvent) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "INSERT INTO shahr.outbox (topic, payload) VALUES ($1, $2::text::jsonb) RETURNING id",
            &[&event.topic(), &event.to_json()],
        )
        .await?;
    Ok(row.get(0))
}

/// The oldest rows not yet relayed, in id order.
#[tracing::instrument(name = "store.unrelayed", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn unrelayed(
    client: &tokio_postgres::Client,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let rows = client
        .query(
            "SELECT id, topic, payload::text, occurred_at FROM shahr.outbox
             WHERE relayed_at IS NULL ORDER BY id LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| OutboxRow {
            id: row.get(0),
            topic: row.get(1),
            payload: row.get(2),
            occurred_at: row.get(3),
        })
        .collect())
}

/// Records the event ids the bus gave to rows, in one statement.
#[tracing::instrument(name = "store.mark_relayed", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn mark_relayed(
    client: &tokio_postgres::Client,
    relayed: &[(i64, String)],
) -> Result<(), StoreError> {
    if relayed.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = relayed.iter().map(|(id, _)| *id).collect();
    let event_ids: Vec<&str> = relayed.iter().map(|(_, e)| e.as_str()).collect();
    client
        .execute(
            "UPDATE shahr.outbox o SET event_id = r.event_id, relayed_at = now()
             FROM unnest($1::bigint[], $2::text[]) AS r(id, event_id)
             WHERE o.id = r.id AND o.relayed_at IS NULL",
            &[&ids, &event_ids],
        )
        .await?;
    Ok(())
}

/// A relayed row, for replays.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayedRow {
    /// The row.
    pub row: OutboxRow,
    /// The event id the bus gave it.
    pub event_id: String,
}

/// Relayed rows whose event id comes after `after` (`(milliseconds, sequence)`), in the bus's
/// order, at most `limit`.
#[tracing::instrument(name = "store.relayed_after", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn relayed_after(
    client: &impl GenericClient,
    after: (i64, i64),
    limit: i64,
) -> Result<Vec<RelayedRow>, StoreError> {
    let rows = client
        .query(
            "SELECT id, topic, payload::text, occurred_at, event_id FROM shahr.outbox
             WHERE event_id IS NOT NULL
               AND (split_part(event_id, '-', 1)::bigint, split_part(event_id, '-', 2)::bigint) > ($1, $2)
             ORDER BY split_part(event_id, '-', 1)::bigint, split_part(event_id, '-', 2)::bigint
             LIMIT $3",
            &[&after.0, &after.1, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| RelayedRow {
            row: OutboxRow {
                id: row.get(0),
                topic: row.get(1),
                payload: row.get(2),
                occurred_at: row.get(3),
            },
            event_id: row.get(4),
        })
        .collect())
}

/// Rows waiting to be relayed and the age of the oldest, in milliseconds.
#[tracing::instrument(name = "store.backlog", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn backlog(client: &impl GenericClient) -> Result<(i64, i64), StoreError> {
    let row = client
        .query_one(
            "SELECT count(*), COALESCE((extract(epoch FROM now() - min(occurred_at)) * 1000)::int8, 0)
             FROM shahr.outbox WHERE relayed_at IS NULL",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}
