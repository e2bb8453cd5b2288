//! The event backbone: mutations write outbox rows in their transaction; one relay per
//! database (elected by an advisory lock) hands committed rows to the [`EventBus`]; each
//! instance fans events out to its subscribers.
//!
//! - [`bus`]: the bus trait and the in-process implementation (the embedded default).
//! - [`redis_bus`]: Redis Streams across instances.
//! - [`relay`]: the outbox relay and its election.

pub mod bus;
pub mod redis_bus;
pub mod relay;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use bus::{EventBus, InProcessBus};

/// Which database an event came from. Each source is ordered on its own; there is no order
/// across sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The integrated urbanism database (rulings, cases).
    Urbanism,
    /// The citizen-request store.
    Citizen,
}

impl Source {
    /// Label used in metrics and stream names.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Urbanism => "urbanism",
            Source::Citizen => "citizen",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event id as the bus assigned it (`<milliseconds>-<sequence>`, the Redis Streams form);
/// opaque to clients, ordered within its source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EventId(pub String);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event before the bus gives it an id: an outbox row being relayed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The database it came from.
    pub source: Source,
    /// The outbox row id in that database.
    pub outbox_id: i64,
    /// Topic, e.g. `ruling.issued`.
    pub topic: String,
    /// Payload written by the mutation.
    pub payload: serde_json::Value,
    /// When the mutation wrote it.
    pub occurred_at: DateTime<Utc>,
}

/// An event as subscribers receive it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Bus-assigned id; usable as a resume cursor.
    pub id: EventId,
    /// The database it came from.
    pub source: Source,
    /// The outbox row id in that database.
    pub outbox_id: i64,
    /// Topic, e.g. `ruling.issued`.
    pub topic: String,
    /// Payload written by the mutation.
    pub payload: serde_json::Value,
    /// When the mutation wrote it.
    pub occurred_at: DateTime<Utc>,
}
