//! Prometheus metrics of one gateway instance, served on `/metrics` as OpenMetrics or as
//! Prometheus text (see [`exposition`]).
//!
//! Each [`crate::app::Application`] owns its registry, so several instances in one process
//! (tests) keep separate numbers. Operation names come from clients, so only the names
//! configured as known (`metrics_operations`, at most [`MAX_OPERATION_LABELS`]) become labels;
//! every other named operation is counted as `other` and unnamed ones as `anonymous`, so no
//! client can grow the label set or push real operations out of it.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicI64, Ordering},
        Mutex,
    },
    time::Duration,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use crate::events::Source;

pub mod exposition;

/// Most operation names that may be configured as labels.
pub const MAX_OPERATION_LABELS: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationNameLabel {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    database: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LegacyLabels {
    table: String,
    column: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabel {
    transport: String,
}

/// How a GraphQL request ended, for the `outcome` label.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed with field errors.
    FieldErrors,
    /// Refused before execution (parse, validation, limits).
    Rejected,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::FieldErrors => "field_errors",
            Outcome::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PaymentLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkerLabel {
    worker: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketLabel {
    bucket: String,
}

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<OperationLabels, Counter>,
    latency: Family<OperationNameLabel, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    subscribers: Family<TransportLabel, Gauge>,
    relay_leader: Family<SourceLabel, Gauge>,
    relayed: Family<SourceLabel, Counter>,
    backlog: Family<SourceLabel, Gauge>,
    lag: Family<SourceLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    known_operations: HashSet<String>,
    subscriber_total: AtomicI64,
    urbanism_statements: Counter,
    legacy_rejects: Family<LegacyLabels, Counter>,
    http_connections: Gauge,
    refused_connections: Counter,
    rate_limited: Family<BucketLabel, Counter>,
    worker_restarts: Family<WorkerLabel, Counter>,
    worker_up: Family<WorkerLabel, Gauge>,
    payments: Family<PaymentLabel, Counter>,
    http_requests: Family<HttpLabels, Counter>,
    subscription_messages: Family<TransportLabel, Counter>,
    subscriptions_lagged: Family<TransportLabel, Counter>,
    seen: Mutex<SeenTotals>,
}

/// Last connector totals seen, so counters advance by the difference.
#[derive(Default)]
struct SeenTotals {
    statements: u64,
    rejects: std::collections::HashMap<(String, String), u64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("shahr");
        let requests = Family::<OperationLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL operations by operation name and outcome",
            requests.clone(),
        );
        let latency = Family::<OperationNameLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register(
            "graphql_request_duration_seconds",
            "Time to execute a GraphQL operation over HTTP",
            latency.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Connection pools by store (urbanism, citizen, redis) and state (in_use, idle, max, waiting)",
            pool.clone(),
        );
        let subscribers = Family::<TransportLabel, Gauge>::default();
        registry.register(
            "subscribers",
            "Live GraphQL subscriptions by transport",
            subscribers.clone(),
        );
        let relay_leader = Family::<SourceLabel, Gauge>::default();
        registry.register(
            "outbox_relay_leader",
            "1 when this instance's outbox relay for the source is the elected leader",
            relay_leader.clone(),
        );
        let relayed = Family::<SourceLabel, Counter>::default();
        registry.register(
            "outbox_relayed_events",
            "Outbox rows this instance published to the event bus",
            relayed.clone(),
        );
        let backlog = Family::<SourceLabel, Gauge>::default();
        registry.register(
            "outbox_backlog",
            "Outbox rows not yet published to the event bus (measured by the leading relay)",
            backlog.clone(),
        );
        let lag = Family::<SourceLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "outbox_lag_seconds",
            "Age of the oldest unpublished outbox row in seconds (0 when none waits)",
            lag.clone(),
        );
        let urbanism_statements = Counter::default();
        registry.register(
            "urbanism_statements",
            "SQL statements run against the urbanism database",
            urbanism_statements.clone(),
        );
        let legacy_rejects = Family::<LegacyLabels, Counter>::default();
        registry.register(
            "legacy_rejects",
            "Unreadable legacy values by table and column (column * = row skipped)",
            legacy_rejects.clone(),
        );
        let http_connections = Gauge::default();
        registry.register(
            "http_connections",
            "Open HTTP connections (WebSockets included)",
            http_connections.clone(),
        );
        let refused_connections = Counter::default();
        registry.register(
            "refused_connections",
            "Connections closed at once because a cap (in all, or per client address) was reached",
            refused_connections.clone(),
        );
        let rate_limited = Family::<BucketLabel, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit, by bucket (anon, viewer, mutation, cost, verify, upload)",
            rate_limited.clone(),
        );
        let worker_restarts = Family::<WorkerLabel, Counter>::default();
        registry.register(
            "worker_restarts",
            "Background workers started again after a panic or an early end, by worker",
            worker_restarts.clone(),
        );
        let worker_up = Family::<WorkerLabel, Gauge>::default();
        registry.register(
            "worker_up",
            "1 while a background worker runs, by worker",
            worker_up.clone(),
        );
        let payments = Family::<PaymentLabel, Counter>::default();
        registry.register(
            "payments",
            "Online payments by how they ended: paid, cancelled, failed, reversed, or left pending for reconciliation",
            payments.clone(),
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route (the path's pattern; `other` for unknown paths) and status",
            http_requests.clone(),
        );
        let subscription_messages = Family::<TransportLabel, Counter>::default();
        registry.register(
            "subscription_messages",
            "Results sent to live subscribers, by transport",
            subscription_messages.clone(),
        );
        let subscriptions_lagged = Family::<TransportLabel, Counter>::default();
        registry.register(
            "subscriptions_lagged",
            "Subscriptions ended because the subscriber fell behind the event buffer (the events it missed are dropped; it resumes with `after`), by transport",
            subscriptions_lagged.clone(),
        );
        // Present from the start (at zero), so dashboards and alerts see the series.
        for transport in ["graphql-transport-ws", "graphql-ws-legacy", "sse"] {
            let label = TransportLabel {
                transport: transport.into(),
            };
            drop(subscribers.get_or_create(&label));
            drop(subscription_messages.get_or_create(&label));
            drop(subscriptions_lagged.get_or_create(&label));
        }
        for source in [Source::Urbanism, Source::Citizen] {
            let label = SourceLabel {
                source: source.as_str().into(),
            };
            drop(relay_leader.get_or_create(&label));
            drop(lag.get_or_create(&label));
        }
        Self {
            registry,
            requests,
            latency,
            pool,
            subscribers,
            relay_leader,
            relayed,
            backlog,
            lag,
            known_operations: HashSet::new(),
            subscriber_total: AtomicI64::new(0),
            urbanism_statements,
            legacy_rejects,
            http_connections,
            refused_connections,
            rate_limited,
            worker_restarts,
            worker_up,
            payments,
            http_requests,
            subscription_messages,
            subscriptions_lagged,
            seen: Mutex::new(SeenTotals::default()),
        }
    }

    /// The registry, with `operations` (the client apps' operation names) kept as labels.
    pub fn with_operations(operations: impl IntoIterator<Item = String>) -> Self {
        let mut metrics = Self::new();
        metrics.known_operations = operations.into_iter().take(MAX_OPERATION_LABELS).collect();
        metrics
    }

    fn operation_label(&self, name: Option<&str>) -> String {
        match name {
            None => "anonymous".into(),
            Some(name) if self.known_operations.contains(name) => name.to_owned(),
            Some(_) => "other".into(),
        }
    }

    /// The number of open HTTP connections.
    pub fn set_http_connections(&self, open: usize) {
        self.http_connections
            .set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    /// Counts a payment that ended as `outcome` (`paid`, `cancelled`, `failed`, `reversed`,
    /// `pending`).
    pub fn add_payment(&self, outcome: &'static str) {
        self.payments
            .get_or_create(&PaymentLabel {
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Counts an HTTP request answered with `status` on `route` (a path pattern).
    pub fn add_http_request(&self, route: &'static str, status: u16) {
        self.http_requests
            .get_or_create(&HttpLabels { route, status })
            .inc();
    }

    /// Counts a result sent to a live subscriber on `transport`, and a subscription ended
    /// for falling behind (its error names the `eventBuffer` limit).
    pub fn add_subscription_message(
        &self,
        transport: &'static str,
        response: &async_graphql::Response,
    ) {
        let label = TransportLabel {
            transport: transport.into(),
        };
        self.subscription_messages.get_or_create(&label).inc();
        let lagged = response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("limit"))
                .is_some_and(|v| *v == async_graphql::Value::from("eventBuffer"))
        });
        if lagged {
            self.subscriptions_lagged.get_or_create(&label).inc();
        }
    }

    /// Counts a restart of the background worker `name`.
    pub fn add_worker_restart(&self, name: &str) {
        self.worker_restarts
            .get_or_create(&WorkerLabel {
                worker: name.into(),
            })
            .inc();
    }

    /// Whether the background worker `name` runs.
    pub fn set_worker_up(&self, name: &str, up: bool) {
        self.worker_up
            .get_or_create(&WorkerLabel {
                worker: name.into(),
            })
            .set(i64::from(up));
    }

    /// Counts a request refused by the rate limit of `bucket`.
    pub fn add_rate_limited(&self, bucket: &'static str) {
        self.rate_limited
            .get_or_create(&BucketLabel {
                bucket: bucket.into(),
            })
            .inc();
    }

    /// Counts a connection refused at a cap.
    pub fn add_refused_connection(&self) {
        self.refused_connections.inc();
    }

    /// Records one executed or refused operation.
    pub fn observe_request(&self, operation: Option<&str>, outcome: Outcome, took: Duration) {
        let operation = self.operation_label(operation);
        self.requests
            .get_or_create(&OperationLabels {
                operation: operation.clone(),
                outcome: outcome.as_str().into(),
            })
            .inc();
        self.latency
            .get_or_create(&OperationNameLabel { operation })
            .observe(took.as_secs_f64());
    }

    /// Sets the pool gauges of one database from its current status.
    pub fn set_pool(&self, database: &str, status: deadpool_postgres::Status) {
        let in_use = status.size.saturating_sub(status.available);
        for (state, value) in [
            ("in_use", in_use),
            ("idle", status.available),
            ("max", status.max_size),
            ("waiting", status.waiting),
        ] {
            self.pool
                .get_or_create(&PoolLabels {
                    database: database.into(),
                    state: state.into(),
                })
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
    }

    /// Sets the Redis pool's gauges (`database="redis"`) from its current status.
    pub fn set_redis_pool(&self, status: deadpool_redis::Status) {
        self.set_pool(
            "redis",
            deadpool_postgres::Status {
                max_size: status.max_size,
                size: status.size,
                available: status.available,
                waiting: status.waiting,
            },
        );
    }

    /// A subscription started on `transport`; the returned guard ends it when dropped.
    pub fn subscriber(self: &std::sync::Arc<Self>, transport: &'static str) -> SubscriberGuard {
        self.subscribers
            .get_or_create(&TransportLabel {
                transport: transport.into(),
            })
            .inc();
        self.subscriber_total.fetch_add(1, Ordering::Relaxed);
        SubscriberGuard {
            metrics: self.clone(),
            transport,
        }
    }

    /// Brings the connector's totals (statements run, unreadable values) into the counters.
    pub fn observe_connector(
        &self,
        statements: u64,
        rejects: &[((&'static str, &'static str), u64)],
    ) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        self.urbanism_statements
            .inc_by(statements.saturating_sub(seen.statements));
        seen.statements = seen.statements.max(statements);
        for ((table, column), count) in rejects {
            let key = ((*table).to_owned(), (*column).to_owned());
            let before = seen.rejects.get(&key).copied().unwrap_or(0);
            self.legacy_rejects
                .get_or_create(&LegacyLabels {
                    table: key.0.clone(),
                    column: key.1.clone(),
                })
                .inc_by(count.saturating_sub(before));
            seen.rejects.insert(key, (*count).max(before));
        }
    }

    /// Live subscriptions on all transports.
    pub fn subscriber_count(&self) -> i64 {
        self.subscriber_total.load(Ordering::Relaxed)
    }

    /// Records whether this instance leads the relay of `source`.
    pub fn set_relay_leader(&self, source: Source, leader: bool) {
        self.relay_leader
            .get_or_create(&SourceLabel {
                source: source.as_str().into(),
            })
            .set(i64::from(leader));
    }

    /// Counts relayed outbox rows.
    pub fn add_relayed(&self, source: Source, n: u64) {
        self.relayed
            .get_or_create(&SourceLabel {
                source: source.as_str().into(),
            })
            .inc_by(n);
    }

    /// Records the relay's backlog of `source`: rows waiting and the oldest one's age.
    pub fn set_outbox_backlog(&self, source: Source, rows: i64, oldest_ms: i64) {
        let label = SourceLabel {
            source: source.as_str().into(),
        };
        self.backlog.get_or_create(&label).set(rows);
        // Milliseconds are exact in an f64 for any age an outbox row can reach.
        #[allow(clippy::cast_precision_loss)]
        let seconds = oldest_ms as f64 / 1000.0;
        self.lag.get_or_create(&label).set(seconds);
    }

    /// The exposition in `format`: this instance's families, then the process's.
    pub fn render(&self, format: exposition::Format) -> String {
        let mut out = String::new();
        let process = exposition::process_registry();
        let encoded = prometheus_client::encoding::text::encode_registry(&mut out, &self.registry)
            .and_then(|()| prometheus_client::encoding::text::encode_registry(&mut out, &process))
            .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut out));
        if encoded.is_err() {
            tracing::error!("metrics could not be encoded");
        }
        match format {
            exposition::Format::OpenMetrics => out,
            exposition::Format::PrometheusText => exposition::prometheus_text(&out),
        }
    }
}

/// Ends a subscription's count when dropped.
pub struct SubscriberGuard {
    metrics: std::sync::Arc<Metrics>,
    transport: &'static str,
}

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        self.metrics
            .subscribers
            .get_or_create(&TransportLabel {
                transport: self.transport.into(),
            })
            .dec();
        self.metrics
            .subscriber_total
            .fetch_sub(1, Ordering::Relaxed);
    }
}
