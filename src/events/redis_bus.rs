//! The bus across instances: Redis Streams, one stream per source
//! (`{prefix}events:{source}`). The relay appends with `XADD` (through a script that records
//! the outbox id, so a row relayed twice after a crash gets its first id back, never a second
//! entry); every instance reads the streams once with a blocking `XREAD` and fans events out
//! to its local subscribers. Streams are trimmed to about `max_len` entries; older history is
//! in the outbox rows, which keep their event ids.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::{aio::MultiplexedConnection, AsyncConnectionConfig, Value};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{bus::BusError, Event, EventBus, EventId, NewEvent, Source};

/// Appends an event unless this outbox row was appended before; returns its id either way.
const APPEND: &str = r"
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen then return seen end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*',
  'outbox_id', ARGV[1], 'topic', ARGV[2], 'payload', ARGV[3], 'occurred_at', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
";

/// Settings of the Redis bus.
#[derive(Debug, Clone)]
pub struct RedisBusSettings {
    /// `redis://…`
    pub url: String,
    /// Key prefix (several deployments or tests on one Redis).
    pub prefix: String,
    /// Approximate length streams are trimmed to.
    pub max_len: u64,
    /// Deadline of each command (the blocking read waits longer).
    pub timeout: Duration,
    /// Subscribers' buffer before they lag.
    pub buffer: usize,
}

/// Redis Streams as the event bus.
pub struct RedisBus {
    client: redis::Client,
    settings: RedisBusSettings,
    sender: broadcast::Sender<Arc<Event>>,
    /// The shared connection for writes and reads: Redis multiplexes commands on it, so
    /// each caller takes a clone and the lock is held only to (re)connect.
    shared: tokio::sync::Mutex<Option<MultiplexedConnection>>,
}

fn stream_key(prefix: &str, source: Source) -> String {
    format!("{prefix}events:{}", source.as_str())
}

fn source_of(key: &str) -> Option<Source> {
    if key.ends_with("events:urbanism") {
        Some(Source::Urbanism)
    } else if key.ends_with("events:citizen") {
        Some(Source::Citizen)
    } else {
        None
    }
}

fn text(fields: &HashMap<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// An event from a stream entry.
fn event_of(source: Source, id: &str, fields: &HashMap<String, Value>) -> Option<Event> {
    Event::read(
        EventId(id.to_owned()),
        source,
        text(fields, "outbox_id")?.parse().ok()?,
        &text(fields, "topic")?,
        &text(fields, "payload")?,
        DateTime::parse_from_rfc3339(&text(fields, "occurred_at")?)
            .ok()?
            .with_timezone(&Utc),
    )
}

impl RedisBus {
    /// A bus on `settings.url`; the reader starts with [`RedisBus::run_reader`].
    pub fn new(settings: RedisBusSettings) -> Result<Self, BusError> {
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| BusError(format!("redis url: {e}")))?;
        let (sender, _) = broadcast::channel(settings.buffer.max(1));
        Ok(Self {
            client,
            settings,
            sender,
            shared: tokio::sync::Mutex::new(None),
        })
    }

    async fn connect(&self, response: Duration) -> Result<MultiplexedConnection, BusError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.settings.timeout))
            .set_response_timeout(Some(response));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| BusError(e.to_string()))
    }

    /// A clone of the shared connection, connecting first when there is none.
    async fn shared(&self) -> Result<MultiplexedConnection, BusError> {
        let mut guard = self.shared.lock().await;
        if let Some(conn) = guard.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self.connect(self.settings.timeout).await?;
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// Drops the shared connection after an error; the next call connects again.
    async fn reset_shared(&self) {
        *self.shared.lock().await = None;
    }

    /// Reads both streams from their current end and fans events out, until `stop`. After a
    /// lost connection it resumes after the last id it delivered: nothing is skipped.
    pub async fn run_reader(self: Arc<Self>, stop: CancellationToken) {
        let keys = [
            stream_key(&self.settings.prefix, Source::Urbanism),
            stream_key(&self.settings.prefix, Source::Citizen),
        ];
        let mut last = ["$".to_owned(), "$".to_owned()];
        let block = Duration::from_secs(2);
        while !stop.is_cancelled() {
            let mut conn = match self.connect(block + self.settings.timeout).await {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::warn!(error = %err, "event stream reader cannot reach Redis; retrying");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            };
            // With "$" a reconnect would skip what arrived meanwhile: pin the ends first.
            for (i, key) in keys.iter().enumerate() {
                if last[i] == "$" {
                    let end: redis::RedisResult<Vec<Value>> = redis::cmd("XREVRANGE")
                        .arg(key)
                        .arg("+")
                        .arg("-")
                        .arg("COUNT")
                        .arg(1)
                        .query_async(&mut conn)
                        .await;
                    last[i] = match end {
                        Ok(entries) => entries
                            .first()
                            .and_then(|e| match e {
                                Value::Array(parts) => parts.first().and_then(|id| match id {
                                    Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
                                    _ => None,
                                }),
                                _ => None,
                            })
                            .unwrap_or_else(|| "0-0".to_owned()),
                        Err(_) => "0-0".to_owned(),
                    };
                }
            }
            loop {
                let read = tokio::select! {
                    () = stop.cancelled() => return,
                    read = async {
                        let options = redis::streams::StreamReadOptions::default()
                            .block(usize::try_from(block.as_millis()).unwrap_or(2000))
                            .count(500);
                        let reply: redis::RedisResult<Option<redis::streams::StreamReadReply>> =
                            redis::AsyncCommands::xread_options(&mut conn, &keys, &last, &options).await;
                        reply
                    } => read,
                };
                match read {
                    Ok(Some(reply)) => {
                        for stream in reply.keys {
                            let Some(source) = source_of(&stream.key) else {
                                continue;
                            };
                            let index = usize::from(source == Source::Citizen);
                            for entry in stream.ids {
                                if let Some(event) = event_of(source, &entry.id, &entry.map) {
                                    let _ = self.sender.send(Arc::new(event));
                                }
                                last[index] = entry.id;
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "event stream read failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}

#[async_trait]
impl EventBus for RedisBus {
    #[tracing::instrument(name = "redis.publish", skip_all, fields(otel.kind = "client", db.system = "redis"))]
    async fn publish(&self, event: NewEvent) -> Result<EventId, BusError> {
        let mut conn = self.shared().await?;
        let script = redis::Script::new(APPEND);
        let result: redis::RedisResult<String> = script
            .key(stream_key(&self.settings.prefix, event.source))
            .key(format!(
                "{}relayed:{}",
                self.settings.prefix,
                event.source.as_str()
            ))
            .arg(event.outbox_id)
            .arg(&event.topic)
            .arg(&event.payload)
            .arg(event.occurred_at.to_rfc3339())
            .arg(self.settings.max_len)
            .invoke_async(&mut conn)
            .await;
        match result {
            Ok(id) => Ok(EventId(id)),
            Err(err) => {
                // Reconnect on the next call; the relay keeps the row and retries.
                self.reset_shared().await;
                Err(BusError(err.to_string()))
            }
        }
    }

    #[tracing::instrument(name = "redis.recent", skip_all, fields(otel.kind = "client", db.system = "redis"))]
    async fn recent(&self, source: Source, after: (i64, i64)) -> Result<Vec<Arc<Event>>, BusError> {
        const PAGE: usize = 1000;
        let mut conn = self.shared().await?;
        let key = stream_key(&self.settings.prefix, source);
        let mut from = format!("({}-{}", after.0, after.1);
        let mut out = Vec::new();
        // The stream holds at most about `max_len` entries: so much, and no more, is read.
        let pages = usize::try_from(self.settings.max_len).unwrap_or(usize::MAX) / PAGE + 2;
        for _ in 0..pages {
            let reply: redis::streams::StreamRangeReply =
                match redis::AsyncCommands::xrange_count(&mut conn, &key, &from, "+", PAGE).await {
                    Ok(reply) => reply,
                    Err(err) => {
                        self.reset_shared().await;
                        return Err(BusError(err.to_string()));
                    }
                };
            let n = reply.ids.len();
            for entry in reply.ids {
                from = format!("({}", entry.id);
                if let Some(event) = event_of(source, &entry.id, &entry.map) {
                    out.push(Arc::new(event));
                }
            }
            if n < PAGE {
                return Ok(out);
            }
        }
        tracing::warn!(
            source = source.as_str(),
            "recent events: read the stream's whole length; stopping there"
        );
        Ok(out)
    }

    #[tracing::instrument(name = "redis.forget", skip_all, fields(otel.kind = "client", db.system = "redis"))]
    async fn forget(&self, source: Source, outbox_ids: &[i64]) {
        if outbox_ids.is_empty() {
            return;
        }
        let Ok(mut conn) = self.shared().await else {
            return;
        };
        let result: redis::RedisResult<i64> = redis::cmd("HDEL")
            .arg(format!(
                "{}relayed:{}",
                self.settings.prefix,
                source.as_str()
            ))
            .arg(outbox_ids)
            .query_async(&mut conn)
            .await;
        if let Err(err) = result {
            tracing::debug!(error = %err, "could not trim the relay's dedup record");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
