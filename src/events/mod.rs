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

use std::{
    any::Any,
    fmt,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use shahr_domain::events::DomainEvent;

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
    /// The payload as written by the mutation: a [`DomainEvent`]'s JSON. The relay and the
    /// bus carry it as is; subscribers read it as a [`DomainEvent`].
    pub payload: String,
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
    /// What happened.
    pub event: DomainEvent,
    /// When the mutation wrote it.
    pub occurred_at: DateTime<Utc>,
    /// What subscribers made of this event, kept so that thousands of subscribers with the
    /// same selection share one rendering.
    #[serde(skip)]
    pub renderings: Renderings,
}

impl Event {
    /// Reads a relayed payload as subscribers receive it. A payload that is not a
    /// [`DomainEvent`] (written by hand, or by a version that knew other events) reaches no
    /// subscriber; it is logged with its outbox row, which keeps it.
    pub fn read(
        id: EventId,
        source: Source,
        outbox_id: i64,
        topic: &str,
        payload: &str,
        occurred_at: DateTime<Utc>,
    ) -> Option<Self> {
        match DomainEvent::from_outbox(topic, payload) {
            Ok(event) => Some(Self {
                id,
                source,
                outbox_id,
                event,
                occurred_at,
                renderings: Renderings::default(),
            }),
            Err(err) => {
                tracing::warn!(source = %source, outbox_id, error = %err, "an outbox event no subscriber can read; skipped");
                None
            }
        }
    }

    /// The topic (`ruling.issued`).
    pub fn topic(&self) -> &'static str {
        self.event.topic()
    }
}

/// Renderings of one event, keyed by what the subscriber asked for (its selection) and the
/// cursor it is given. Bounded: past [`Renderings::LIMIT`] keys nothing more is kept and each
/// subscriber renders for itself.
#[derive(Default)]
pub struct Renderings(Mutex<Vec<Rendering>>);

/// One kept rendering: (shape, cursor, what it rendered to).
type Rendering = (Arc<str>, Arc<str>, Arc<dyn Any + Send + Sync>);

impl Renderings {
    /// Most keys kept per event.
    pub const LIMIT: usize = 16;

    /// The rendering for `(shape, cursor)`, if one was kept.
    pub fn get(&self, shape: &Arc<str>, cursor: &str) -> Option<Arc<dyn Any + Send + Sync>> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(s, c, _)| (Arc::ptr_eq(s, shape) || **s == **shape) && &**c == cursor)
            .map(|(_, _, r)| r.clone())
    }

    /// Keeps a rendering for `(shape, cursor)` unless the event already holds as many as it may.
    pub fn keep(&self, shape: Arc<str>, cursor: &str, rendering: Arc<dyn Any + Send + Sync>) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < Self::LIMIT && !kept.iter().any(|(s, c, _)| *s == shape && &**c == cursor) {
            kept.push((shape, cursor.into(), rendering));
        }
    }
}

impl fmt::Debug for Renderings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.lock().map(|k| k.len()).unwrap_or(0);
        write!(f, "Renderings({n})")
    }
}

impl Clone for Renderings {
    /// A copy of an event renders afresh.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Renderings {
    /// Renderings are a cache: they never make two events differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
