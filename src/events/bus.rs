//! The event bus: publish relayed events, subscribe to the live stream.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::broadcast;

use super::{Event, EventId, NewEvent};

/// Why the bus could not take an event; the relay keeps the outbox row and retries.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable: {0}")]
pub struct BusError(pub String);

/// Carries relayed events to this instance's subscribers (and, with Redis, to other instances).
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Appends an event and returns the id it was given.
    async fn publish(&self, event: NewEvent) -> Result<EventId, BusError>;
    /// Recent events of `source` after `after` (`(milliseconds, sequence)`), oldest first, as
    /// far as the bus still holds them: a replay reads the outbox first, then this, which also
    /// covers events published but not yet marked on their outbox rows.
    async fn recent(
        &self,
        _source: super::Source,
        _after: (i64, i64),
    ) -> Result<Vec<Arc<Event>>, BusError> {
        Ok(Vec::new())
    }
    /// Called once outbox rows are marked relayed: their dedup records can go.
    async fn forget(&self, _source: super::Source, _outbox_ids: &[i64]) {}
    /// A live stream of events published from now on. A receiver that falls behind by more
    /// than the buffer gets `Lagged` rather than silently skipping.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
    /// Short name for readiness and metrics (`in-process`, `redis`).
    fn kind(&self) -> &'static str;
}

/// The single-instance bus used when no Redis is configured.
pub struct InProcessBus {
    sender: broadcast::Sender<Arc<Event>>,
    last: Mutex<(i64, u64)>,
    recent: Mutex<std::collections::VecDeque<Arc<Event>>>,
}

/// Events the in-process bus keeps for replays (older ones come from the outbox).
const RECENT: usize = 10_000;

fn parse(id: &EventId) -> (i64, i64) {
    id.0.split_once('-')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .unwrap_or((0, 0))
}

impl InProcessBus {
    /// A bus whose subscribers may fall `buffer` events behind before they lag.
    pub fn new(buffer: usize) -> Self {
        let (sender, _) = broadcast::channel(buffer.max(1));
        Self {
            sender,
            last: Mutex::new((0, 0)),
            recent: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// Next id in the stream form, strictly increasing even if the clock steps back.
    fn next_id(&self) -> EventId {
        let now = Utc::now().timestamp_millis();
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = if now > last.0 {
            (now, 0)
        } else {
            (last.0, last.1 + 1)
        };
        EventId(format!("{}-{}", last.0, last.1))
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: NewEvent) -> Result<EventId, BusError> {
        let id = self.next_id();
        let Some(event) = Event::read(
            id.clone(),
            event.source,
            event.outbox_id,
            &event.topic,
            &event.payload,
            event.occurred_at,
        ) else {
            // Relayed (the row records the id) but unreadable: no subscriber gets it.
            return Ok(id);
        };
        let event = Arc::new(event);
        {
            let mut recent = self
                .recent
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(event.clone());
        }
        // No subscriber is not an error: the outbox row records the id either way.
        let _ = self.sender.send(event);
        Ok(id)
    }

    async fn recent(
        &self,
        source: super::Source,
        after: (i64, i64),
    ) -> Result<Vec<Arc<Event>>, BusError> {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(recent
            .iter()
            .filter(|e| e.source == source && parse(&e.id) > after)
            .cloned()
            .collect())
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Source;

    fn event(n: i64) -> NewEvent {
        NewEvent {
            source: Source::Urbanism,
            outbox_id: n,
            topic: "notification.delivered".into(),
            payload: serde_json::json!({
                "deliveryId": n, "channel": "inbox", "subjectKind": "ruling", "subjectId": "1",
                "citizenNationalId": null, "deliveredAt": "2026-11-30T08:00:00Z",
            })
            .to_string(),
            occurred_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn ids_increase_strictly_and_subscribers_see_events_in_order() {
        let bus = InProcessBus::new(16);
        let mut rx = bus.subscribe();
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(bus.publish(event(n)).await.expect("publish"));
        }
        let parse = |id: &EventId| -> (i64, u64) {
            let (ms, seq) = id.0.split_once('-').expect("ms-seq");
            (ms.parse().expect("ms"), seq.parse().expect("seq"))
        };
        for pair in ids.windows(2) {
            assert!(parse(&pair[0]) < parse(&pair[1]), "{pair:?}");
        }
        for n in 0..5 {
            assert_eq!(rx.recv().await.expect("event").outbox_id, n);
        }
    }

    #[tokio::test]
    async fn an_unreadable_payload_is_relayed_but_reaches_no_subscriber() {
        let bus = InProcessBus::new(16);
        let mut rx = bus.subscribe();
        let mut stranger = event(1);
        stranger.payload = serde_json::json!({ "n": 1 }).to_string();
        bus.publish(stranger).await.expect("an id all the same");
        bus.publish(event(2)).await.expect("publish");
        assert_eq!(rx.recv().await.expect("event").outbox_id, 2);
    }
}
