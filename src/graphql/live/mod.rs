//! Live events: `rulingEvents` for staff and dashboards, `serviceRequestEvents` for staff, and
//! `myEvents` for citizens. A subscription may pass `after:` (the `id` of the last event it
//! saw) to replay what it missed from the outbox, then continues live with no gap and no
//! duplicate at the seam. A subscriber that falls too far behind gets an error telling it
//! where to resume, never a silent skip.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Subscription, ID};
use futures_util::{stream::BoxStream, Stream, StreamExt};
use shahr_store::{outbox, PgPool};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::{
    access::{signed_in, staff_scope},
    context::ContextExt,
    error::{ApiError, ErrorCode},
};
use crate::events::{Event, EventBus, Source};

mod event;

use event::{event_type, LiveEventFields, Shape};
pub use event::{EventType, LiveEvent};

/// Narrows ruling events.
#[derive(InputObject, Default, Clone)]
pub struct RulingEventFilter {
    /// Only this district.
    pub district: Option<i32>,
    /// Only this commission (its `id`).
    pub commission: Option<ID>,
    /// Only these types.
    pub types: Option<Vec<EventType>>,
}

/// Narrows request events.
#[derive(InputObject, Default, Clone)]
pub struct RequestEventFilter {
    /// Only this district.
    pub district: Option<i32>,
    /// Only this service (its `code`).
    pub service: Option<String>,
}

/// `(milliseconds, sequence)` of an event id.
fn parse_id(id: &str) -> Option<(i64, i64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// Per-source positions; a `myEvents` cursor holds both (`urbanism=…;citizen=…`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Position {
    urbanism: Option<(i64, i64)>,
    citizen: Option<(i64, i64)>,
}

impl Position {
    fn get(&self, source: Source) -> Option<(i64, i64)> {
        match source {
            Source::Urbanism => self.urbanism,
            Source::Citizen => self.citizen,
        }
    }

    fn set(&mut self, source: Source, at: (i64, i64)) {
        match source {
            Source::Urbanism => self.urbanism = Some(at),
            Source::Citizen => self.citizen = Some(at),
        }
    }

    fn encode(&self, sources: &[Source]) -> String {
        let part = |p: Option<(i64, i64)>| p.map_or("0-0".to_owned(), |(a, b)| format!("{a}-{b}"));
        if sources.len() == 1 {
            return part(self.get(sources[0]));
        }
        sources
            .iter()
            .map(|s| format!("{}={}", s.as_str(), part(self.get(*s))))
            .collect::<Vec<_>>()
            .join(";")
    }

    fn decode(cursor: &str, sources: &[Source]) -> Option<Self> {
        let mut position = Self::default();
        if sources.len() == 1 {
            position.set(sources[0], parse_id(cursor.trim())?);
            return Some(position);
        }
        for part in cursor.split(';') {
            let (name, id) = part.split_once('=')?;
            let source = match name.trim() {
                "urbanism" => Source::Urbanism,
                "citizen" => Source::Citizen,
                _ => return None,
            };
            position.set(source, parse_id(id.trim())?);
        }
        Some(position)
    }
}

type Filter = Arc<dyn Fn(&Event) -> bool + Send + Sync>;

type Item = async_graphql::Result<LiveEvent>;

/// Hands events to one subscriber in order, each once.
struct Forwarder {
    position: Position,
    sources: Vec<Source>,
    filter: Filter,
    shape: Shape,
}

impl Forwarder {
    /// Moves past `event`; the event to send when it is new and passes the filter.
    fn admit(&mut self, event: Arc<Event>) -> Option<LiveEvent> {
        if !self.sources.contains(&event.source) {
            return None;
        }
        let at = parse_id(&event.id.0)?;
        if self.position.get(event.source).is_some_and(|p| at <= p) {
            return None; // already given
        }
        self.position.set(event.source, at);
        if !(self.filter)(&event) {
            return None;
        }
        let cursor = self.position.encode(&self.sources);
        Some(LiveEvent {
            fields: LiveEventFields { event, cursor },
            shape: self.shape.clone(),
        })
    }

    /// The error that ends a subscription that fell behind: where to resume.
    fn lagged(&self) -> async_graphql::Error {
        let cursor = self.position.encode(&self.sources);
        ApiError::new(
            ErrorCode::LimitExceeded,
            format!("this subscriber fell behind; subscribe again with after: \"{cursor}\""),
        )
        .with("limit", "eventBuffer".into())
        .with("resumeAfter", cursor.into())
        .into()
    }

    /// Replays what came after the position from `source`'s outbox, then from the bus's
    /// recent entries (published but perhaps not yet marked on their rows). False when the
    /// subscriber has gone or the outbox could not be read.
    async fn replay(
        &mut self,
        bus: &dyn EventBus,
        source: Source,
        pool: &PgPool,
        tx: &mpsc::Sender<Item>,
    ) -> bool {
        loop {
            let from = self.position.get(source).unwrap_or((0, 0));
            let rows = match pool.get().await {
                Ok(client) => outbox::relayed_after(&**client, from, 500).await,
                Err(e) => Err(shahr_store::StoreError::from(e)),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(ApiError::from(e).into())).await;
                    return false;
                }
            };
            let done = rows.len() < 500;
            for r in rows {
                let Some(event) = Event::read(
                    crate::events::EventId(r.event_id),
                    source,
                    r.row.id,
                    &r.row.topic,
                    &r.row.payload,
                    r.row.occurred_at,
                ) else {
                    continue;
                };
                if let Some(item) = self.admit(Arc::new(event)) {
                    if tx.send(Ok(item)).await.is_err() {
                        return false;
                    }
                }
            }
            if done {
                break;
            }
        }
        let from = self.position.get(source).unwrap_or((0, 0));
        match bus.recent(source, from).await {
            Ok(events) => {
                for event in events {
                    if let Some(item) = self.admit(event) {
                        if tx.send(Ok(item)).await.is_err() {
                            return false;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "recent events unavailable; continuing live"),
        }
        true
    }

    /// Live events from the bus, skipping what was already given; ends with an error telling
    /// where to resume when the subscriber fell behind the bus buffer. Read straight from the
    /// bus by the subscriber's own connection task: no task or queue per subscriber.
    fn live(self, receiver: broadcast::Receiver<Arc<Event>>) -> BoxStream<'static, Item> {
        futures_util::stream::unfold(Some((self, receiver)), |state| async move {
            let (mut forwarder, mut receiver) = state?;
            loop {
                match receiver.recv().await {
                    Ok(event) => {
                        if let Some(item) = forwarder.admit(event) {
                            return Some((Ok(item), Some((forwarder, receiver))));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Err(forwarder.lagged()), None));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .boxed()
    }
}

/// Replays what came after `after` from the outboxes, then forwards live events, skipping
/// what the replay already gave.
fn live_stream(
    bus: Arc<dyn EventBus>,
    pools: Vec<(Source, PgPool)>,
    after: Option<Position>,
    filter: Filter,
    slots: Vec<Arc<tokio::sync::Semaphore>>,
) -> BoxStream<'static, Item> {
    // Subscribe before replaying, so nothing published meanwhile is lost.
    let live = bus.subscribe();
    let mut forwarder = Forwarder {
        position: after.unwrap_or_default(),
        sources: pools.iter().map(|(s, _)| *s).collect(),
        filter,
        shape: Shape::default(),
    };
    if after.is_none() {
        return forwarder.live(live);
    }
    // The replay reads the outboxes in its own task, a page at a time, through a short
    // queue; then hands the position over to the live part.
    let (tx, rx) = mpsc::channel::<Item>(16);
    let (handover, handed) = oneshot::channel();
    tokio::spawn(async move {
        // Wait for a turn: the socket's own, then the instance's share of the pool.
        let mut permits = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot.acquire_owned().await {
                Ok(permit) => permits.push(permit),
                Err(_) => return,
            }
        }
        for (source, pool) in &pools {
            if !forwarder.replay(bus.as_ref(), *source, pool, &tx).await {
                return;
            }
        }
        let _ = handover.send(forwarder);
    });
    let mut live = Some(live);
    ReceiverStream::new(rx)
        .chain(
            futures_util::stream::once(handed).flat_map(move |forwarder| {
                match (forwarder, live.take()) {
                    (Ok(forwarder), Some(live)) => forwarder.live(live),
                    // The replay failed (its error was sent) or the subscriber left.
                    _ => futures_util::stream::empty().boxed(),
                }
            }),
        )
        .boxed()
}

/// The turns a replay waits for: its socket's (over WebSocket) and the instance's.
fn replay_slots(ctx: &Context<'_>) -> Vec<Arc<tokio::sync::Semaphore>> {
    let mut slots = Vec::with_capacity(2);
    if let Some(socket) = ctx.data_opt::<crate::graphql::context::SocketReplays>() {
        slots.push(socket.0.clone());
    }
    slots.push(ctx.deps().replay_slots.clone());
    slots
}

fn bad_cursor() -> async_graphql::Error {
    ApiError::bad_input(
        "after",
        "not an event id this subscription gave",
        "شناسه رویداد (after) از این اشتراک نیست.",
    )
    .into()
}

/// Live events.
#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Ruling and case events (issued, served, objections, finality, payments, case steps) for
    /// staff and dashboards: staff see their district, auditors and admins all. `after:`
    /// replays what came after that event, then continues live.
    async fn ruling_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this event (an `id` this subscription gave).")]
        after: Option<String>,
        #[graphql(desc = "Conditions the events must meet.")] filter: Option<RulingEventFilter>,
    ) -> async_graphql::Result<impl Stream<Item = Item>> {
        let filter = filter.unwrap_or_default();
        let district = staff_scope(
            ctx.viewer(),
            filter.district,
            "ruling events are for staff, auditors and admins; citizens use myEvents",
            "events",
        )?;
        let commission = filter
            .commission
            .as_ref()
            .map(|c| super::rulings::resolvers::id_of("Commission", "filter.commission", c))
            .transpose()?;
        let sources = [Source::Urbanism];
        let after = after
            .map(|a| Position::decode(&a, &sources).ok_or_else(bad_cursor))
            .transpose()?;
        let types = filter.types.clone();
        let predicate: Filter = Arc::new(move |e: &Event| {
            let event = &e.event;
            event.is_case_event()
                && district.is_none_or(|d| event.district().map(i32::from) == Some(d))
                && commission.is_none_or(|c| event.commission_id() == Some(c))
                && types
                    .as_ref()
                    .is_none_or(|t| t.contains(&event_type(e.topic())))
        });
        let deps = ctx.deps();
        Ok(live_stream(
            deps.bus.clone(),
            vec![(Source::Urbanism, deps.urbanism.pool().clone())],
            after,
            predicate,
            replay_slots(ctx),
        ))
    }

    /// Service request events (filed, state changes, assignments) for staff of the district,
    /// auditors and admins. `after:` as in `rulingEvents`.
    async fn service_request_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this event (an `id` this subscription gave).")]
        after: Option<String>,
        #[graphql(desc = "Conditions the events must meet.")] filter: Option<RequestEventFilter>,
    ) -> async_graphql::Result<impl Stream<Item = Item>> {
        let filter = filter.unwrap_or_default();
        let district = staff_scope(
            ctx.viewer(),
            filter.district,
            "request events are for staff; citizens use myEvents",
            "events",
        )?;
        let sources = [Source::Citizen];
        let after = after
            .map(|a| Position::decode(&a, &sources).ok_or_else(bad_cursor))
            .transpose()?;
        let service = filter.service.clone();
        let predicate: Filter = Arc::new(move |e: &Event| {
            let event = &e.event;
            event.is_request_event()
                && district.is_none_or(|d| event.district().map(i32::from) == Some(d))
                && service
                    .as_deref()
                    .is_none_or(|s| event.service() == Some(s))
        });
        let deps = ctx.deps();
        Ok(live_stream(
            deps.bus.clone(),
            vec![(Source::Citizen, deps.citizen.pool().clone())],
            after,
            predicate,
            replay_slots(ctx),
        ))
    }

    /// The signed-in citizen's own events: rulings and case steps on parcels they own, and
    /// their service requests. Whose events these are comes from the token, never from
    /// arguments. The cursor covers both sources (`urbanism=…;citizen=…`); there is no order
    /// between the two.
    async fn my_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this event (an `id` this subscription gave).")]
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = Item>> {
        let principal = signed_in(ctx.viewer())?;
        let Some(national_id) = principal
            .national_id
            .as_ref()
            .map(|n| n.as_str().to_owned())
        else {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "myEvents needs a token with a national id",
            )
            .into());
        };
        let sources = [Source::Urbanism, Source::Citizen];
        let after = after
            .map(|a| Position::decode(&a, &sources).ok_or_else(bad_cursor))
            .transpose()?;
        let predicate: Filter = Arc::new(move |e: &Event| e.event.concerns(&national_id));
        let deps = ctx.deps();
        Ok(live_stream(
            deps.bus.clone(),
            vec![
                (Source::Urbanism, deps.urbanism.pool().clone()),
                (Source::Citizen, deps.citizen.pool().clone()),
            ],
            after,
            predicate,
            replay_slots(ctx),
        ))
    }
}
