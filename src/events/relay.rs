//! The outbox relay of one database.
//!
//! Every instance runs one relay task per database; a session advisory lock held on a
//! dedicated connection elects one of them as leader, the others stand by and retry. The
//! leader reads unrelayed rows in id order, publishes each, and records the bus's event id on
//! the row. It wakes on the outbox trigger's `NOTIFY` (sent only at commit) and polls as a
//! fallback, so a row whose transaction commits late is picked up on the next pass.

use std::{sync::Arc, time::Duration};

use shahr_store::{listener, outbox, PgSettings, StoreError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{EventBus, NewEvent, Source};
use crate::metrics::Metrics;

/// Rows published per pass.
const BATCH: i64 = 500;

/// The relay's role, observable by the application and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayRole {
    /// Not connected yet, or lost the connection.
    Disconnected,
    /// Another instance holds the lock.
    Standby,
    /// This instance relays.
    Leader,
}

/// Settings for one relay.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// The database whose outbox is relayed.
    pub source: Source,
    /// How to reach it (a dedicated connection, outside the pool).
    pub database: PgSettings,
    /// Poll interval when no notification arrives; also the standby's retry interval.
    pub poll_interval: Duration,
}

impl RelaySettings {
    /// The advisory lock key: one per source, so both relays of an instance can lead at once
    /// even when the two databases live on one server.
    fn lock_key(&self) -> i64 {
        match self.source {
            Source::Urbanism => 0x5348_4148_525f_5255,
            Source::Citizen => 0x5348_4148_525f_5243,
        }
    }
}

/// Runs the relay until `stop` is cancelled, reporting its role on `role`.
pub async fn run(
    settings: RelaySettings,
    bus: Arc<dyn EventBus>,
    metrics: Arc<Metrics>,
    role: watch::Sender<RelayRole>,
    stop: CancellationToken,
) {
    let source = settings.source;
    let set_role = |r: RelayRole| {
        metrics.set_relay_leader(source, r == RelayRole::Leader);
        role.send_replace(r);
    };
    while !stop.is_cancelled() {
        let outcome = tokio::select! {
            _ = stop.cancelled() => break,
            outcome = lead_or_stand_by(&settings, bus.as_ref(), &metrics, &set_role, &stop) => outcome,
        };
        if let Err(err) = outcome {
            tracing::warn!(source = %source, error = %err, "outbox relay lost its connection; retrying");
        }
        set_role(RelayRole::Disconnected);
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
    set_role(RelayRole::Disconnected);
}

async fn lead_or_stand_by(
    settings: &RelaySettings,
    bus: &dyn EventBus,
    metrics: &Metrics,
    set_role: &impl Fn(RelayRole),
    stop: &CancellationToken,
) -> Result<(), StoreError> {
    let mut conn = listener::connect(&settings.database).await?;
    // Stand by until the lock is ours; the lock lives as long as this connection.
    loop {
        if conn.try_lock(settings.lock_key()).await? {
            break;
        }
        set_role(RelayRole::Standby);
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
    conn.listen(outbox::NOTIFY_CHANNEL).await?;
    set_role(RelayRole::Leader);
    tracing::info!(source = %settings.source, "outbox relay elected leader");
    loop {
        let relayed = relay_pass(settings.source, &conn.client, bus, metrics).await?;
        if relayed as i64 == BATCH {
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            n = conn.notifications.recv() => {
                if n.is_none() {
                    return Err(StoreError::Unavailable("notification stream ended".into()));
                }
                // Coalesce a burst of notifications into one pass.
                while conn.notifications.try_recv().is_ok() {}
            }
            _ = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
}

/// Publishes one batch of unrelayed rows; returns how many were relayed.
async fn relay_pass(
    source: Source,
    client: &tokio_postgres::Client,
    bus: &dyn EventBus,
    metrics: &Metrics,
) -> Result<usize, StoreError> {
    let rows = outbox::unrelayed(client, BATCH).await?;
    // A pass that relays something is a trace of its own; an idle one is not traced.
    let span = if rows.is_empty() {
        tracing::Span::none()
    } else {
        tracing::info_span!(
            "job",
            otel.name = %format_args!("relay {source} events"),
            events = rows.len(),
        )
    };
    async move {
    let mut done = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id;
        let published = bus
            .publish(NewEvent {
                source,
                outbox_id: row.id,
                topic: row.topic,
                payload: row.payload,
                occurred_at: row.occurred_at,
            })
            .await;
        match published {
            Ok(event_id) => done.push((id, event_id.0)),
            Err(err) => {
                // Keep what was published; the rest waits in the outbox for the next pass.
                tracing::warn!(source = %source, error = %err, "event bus refused an event; will retry");
                break;
            }
        }
    }
    outbox::mark_relayed(client, &done).await?;
    let ids: Vec<i64> = done.iter().map(|(id, _)| *id).collect();
    bus.forget(source, &ids).await;
    let (waiting, oldest_ms) = outbox::backlog(client).await?;
    metrics.set_outbox_backlog(source, waiting, oldest_ms);
    metrics.add_relayed(source, done.len() as u64);
    Ok(done.len())
    }
    .instrument(span)
    .await
}
