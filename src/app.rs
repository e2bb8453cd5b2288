//! The application: [`Application::build`] wires configuration into running parts,
//! [`Application::port`] tells where it listens, [`Application::run_until_stopped`] serves
//! until the shutdown token is cancelled, then stops everything in order.

use std::{collections::HashMap, sync::Arc};

use anyhow::Context;
use poem::{
    listener::{Acceptor, AcceptorExt, Listener, TcpListener},
    Server,
};
use shahr_urbanism::UrbanismDb;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::Verifier,
    config::{Config, Profile},
    database::Databases,
    events::{
        relay::{RelayRole, RelaySettings},
        EventBus, InProcessBus, Source,
    },
    graphql::{self, Deps, Limits},
    http::{self, HttpSettings, HttpState},
    metrics::Metrics,
};

/// A built, not yet running, gateway.
pub struct Application {
    acceptor: poem::listener::BoxAcceptor,
    port: u16,
    routes: poem::endpoint::BoxEndpoint<'static>,
    /// The separate `/metrics` listener (`metrics_listen`), its port and routes.
    metrics_server: Option<MetricsServer>,
    shutdown: CancellationToken,
    config: Config,
    bus: Arc<dyn EventBus>,
    metrics: Arc<Metrics>,
    relays: Vec<(RelaySettings, watch::Sender<RelayRole>)>,
    notifier: crate::notifier::NotifierSettings,
    redis_bus: Option<Arc<crate::events::redis_bus::RedisBus>>,
    relay_roles: HashMap<Source, watch::Receiver<RelayRole>>,
    databases: Databases,
    /// Where uploads live, for removing those never attached.
    uploads: (
        shahr_citizen::CitizenDb,
        Arc<shahr_citizen::blobs::DirectoryBlobStore>,
    ),
    /// Online payments, reconciled by a worker.
    payments: Option<crate::usecases::payments::Payments>,
}

impl Application {
    /// Resolves the databases (starting the embedded cluster when none is configured), builds
    /// pools, the bus, the schema and the routes, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let databases = Databases::resolve(&config).await?;
        let urbanism_pool = databases.urbanism.build_pool()?;
        let citizen_pool = databases.citizen.build_pool()?;
        let redis = match &config.redis_url {
            Some(url) => Some(redis_pool(&config, url.expose())?),
            None => None,
        };
        let metrics = Arc::new(Metrics::with_operations(
            config.metrics_operations.iter().cloned(),
        ));
        let redis_bus = match &config.redis_url {
            Some(url) => Some(Arc::new(
                crate::events::redis_bus::RedisBus::new(
                    crate::events::redis_bus::RedisBusSettings {
                        url: url.expose().to_owned(),
                        prefix: config.redis_key_prefix.clone(),
                        max_len: config.event_stream_max_len,
                        timeout: config.redis_timeout,
                        buffer: config.event_buffer,
                    },
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            )),
            None => None,
        };
        let bus: Arc<dyn EventBus> = match &redis_bus {
            Some(redis) => redis.clone(),
            None => Arc::new(InProcessBus::new(config.event_buffer)),
        };
        let verifier = Arc::new(Verifier::from_config(&config)?);
        match verifier.fetch_keys().await {
            Ok(Some(keys)) => tracing::info!(keys, "identity provider keys loaded"),
            Ok(None) => {}
            Err(err) => tracing::warn!(
                error = %err,
                "the identity provider's keys are not available yet; signed-in requests are \
                 refused until they are (tried again when a token arrives)"
            ),
        }
        let keyring = Arc::new(config.keyring()?);
        let acceptor = TcpListener::bind(config.listen.to_string())
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {} (SHAHR_LISTEN)", config.listen))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .context("the listener has no local address")?;
        let public_base_url = config.public_base_url_on(port);
        let urbanism = UrbanismDb::new(urbanism_pool.clone());
        let rules = Arc::new(config.article100_rules()?);
        let gis = match &config.gis_base_url {
            Some(url) => Some(
                shahr_gis::GisClient::new(
                    url,
                    config
                        .gis_token
                        .as_ref()
                        .map(|t| t.expose())
                        .unwrap_or_default(),
                    config.gis_timeout,
                )
                .context("cannot build the GIS client")?,
            ),
            None => None,
        };
        let channels = crate::usecases::Channels {
            e_notice: config.e_notice_base_url.is_some(),
            sms: config.sms_base_url.is_some(),
            public_base_url: public_base_url.clone(),
        };
        let letterhead = Arc::new(config.letterhead()?);
        let article100 = {
            let (rules, keyring, gis) = (rules.clone(), keyring.clone(), gis.clone());
            move |db: UrbanismDb| crate::usecases::Article100 {
                calendar: crate::usecases::CalendarCache::new(db.clone()),
                db,
                rules: rules.clone(),
                channels: channels.clone(),
                keyring: keyring.clone(),
                gis: gis.clone(),
                letterhead: letterhead.clone(),
            }
        };
        let payments = match config.payment_settings() {
            Some(settings) => Some(crate::usecases::payments::Payments {
                citizen: shahr_citizen::CitizenDb::new(citizen_pool.clone())
                    .with_sms_alerts(config.sms_base_url.is_some()),
                provider: Arc::new(
                    shahr_payment::Behpardakht::new(settings)
                        .context("cannot build the payment gateway client")?,
                ),
                article100: article100(urbanism.clone()),
                public_base_url: public_base_url.clone(),
                metrics: metrics.clone(),
            }),
            None => None,
        };
        warn_when_holidays_missing(&urbanism).await;
        // The service catalogue is data: a service whose workflow cannot be used refuses to
        // load, naming the service, rather than running with steps silently dropped.
        shahr_citizen::CitizenDb::new(citizen_pool.clone())
            .check_catalogue()
            .await
            .context("the service catalogue cannot be loaded")?;
        let graph = graphql::build_graph(
            Deps {
                urbanism: urbanism.clone(),
                citizen: shahr_citizen::CitizenDb::new(citizen_pool.clone())
                    .with_sms_alerts(config.sms_base_url.is_some()),
                bus: bus.clone(),
                server_time_interval: config.server_time_interval,
                rules: rules.clone(),
                article100: article100(urbanism.clone()),
                office_hours: Arc::new(config.office_hours()?),
                keyring: keyring.clone(),
                links: config.document_links()?,
                public_base_url: public_base_url.clone(),
                gis: gis.clone(),
                replay_slots: Arc::new(tokio::sync::Semaphore::new(config.replay_share())),
                payments: payments.clone(),
            },
            Limits {
                max_aliases: config.max_aliases,
                max_tokens: config.max_tokens,
                max_depth: config.max_depth,
                max_complexity: config.max_complexity,
                max_directives: config.max_directives,
                introspection: config.profile == Profile::Dev,
            },
        );
        let shutdown = CancellationToken::new();
        let state = Arc::new(HttpState {
            payments: payments.clone(),
            payment_return_url: config.payment_return_url.clone(),
            graph,
            verifier,
            metrics: metrics.clone(),
            settings: HttpSettings {
                profile: config.profile,
                max_body_bytes: config.max_body_bytes,
                max_batch: config.max_batch,
                request_timeout: config.request_timeout,
                ws_init_timeout: config.ws_init_timeout,
                ws_max_message_bytes: config.ws_max_message_bytes,
                max_operations_per_socket: config.max_operations_per_socket,
                max_replays_per_socket: config.max_replays_per_socket,
                body_read_timeout: config.body_read_timeout,
                trusted_proxies: config.trusted_proxies.clone(),
                readiness_timeout: config.readiness_timeout,
                max_upload_bytes: config.max_upload_bytes,
                upload_quota_bytes: config.upload_quota_bytes,
                metrics_apart: config.metrics_listen.is_some(),
                metrics_token_sha256: config.metrics_token.as_ref().map(|t| {
                    <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(
                        t.expose().trim().as_bytes(),
                    ))
                }),
            },
            databases: vec![
                ("urbanism", urbanism_pool),
                ("citizen", citizen_pool.clone()),
            ],
            urbanism: urbanism.clone(),
            citizen: shahr_citizen::CitizenDb::new(citizen_pool.clone()),
            blobs: Arc::new(shahr_citizen::blobs::DirectoryBlobStore::new(
                config
                    .upload_dir
                    .clone()
                    .unwrap_or_else(|| crate::embedded::state_dir().join("uploads")),
            )),
            keyring,
            links: config.document_links()?,
            chromium: config.chromium(),
            pdfs: Arc::new(crate::http::pdf::Printer::new(
                config.max_concurrent_pdf_renders,
            )),
            connections: crate::http::limits::ConnectionLimiter::new(
                config.max_live_connections,
                config.max_live_connections_per_ip,
            ),
            rate: Arc::new(crate::ratelimit::RateLimiter::new(
                config.rate_limits.clone(),
                redis
                    .clone()
                    .map(|pool| (pool, config.redis_key_prefix.clone(), config.redis_timeout)),
                metrics.clone(),
            )),
            self_url: format!(
                "http://{}:{port}",
                if config.listen.ip().is_unspecified() {
                    std::net::IpAddr::from([127, 0, 0, 1])
                } else {
                    config.listen.ip()
                }
            ),
            rules: rules.clone(),
            calendar: crate::usecases::CalendarCache::new(urbanism.clone()),
            persisted: Arc::new(
                crate::http::persisted::PersistedQueries::new(
                    redis
                        .clone()
                        .map(|pool| (pool, config.redis_key_prefix.clone(), config.redis_timeout)),
                )
                .with_trusted(
                    shahr_citizen::CitizenDb::new(citizen_pool.clone()),
                    config.trusted_document_clients.clone(),
                )
                .with_builtin(
                    crate::http::dashboard::CLIENT,
                    &crate::http::dashboard::OPERATIONS
                        .iter()
                        .map(|(_, document)| *document)
                        .collect::<Vec<_>>(),
                ),
            ),
            redis,
            bus: bus.clone(),
            shutdown: shutdown.clone(),
        });
        let mut relays = Vec::new();
        let mut relay_roles = HashMap::new();
        for (source, database) in [
            (Source::Urbanism, &databases.urbanism),
            (Source::Citizen, &databases.citizen),
        ] {
            let (tx, rx) = watch::channel(RelayRole::Disconnected);
            relays.push((
                RelaySettings {
                    source,
                    database: database.clone(),
                    poll_interval: config.relay_poll_interval,
                },
                tx,
            ));
            relay_roles.insert(source, rx);
        }
        let background = UrbanismDb::new(databases.urbanism.build_pool()?);
        let notifier = crate::notifier::NotifierSettings {
            urbanism: background.clone(),
            article100: article100(background),
            citizen: citizen_pool.clone(),
            notifier: shahr_notify::Notifier::new(config.notify_settings())
                .context("cannot build the notification clients")?,
            poll_interval: config.notify_poll_interval,
        };
        let uploads = (state.citizen.clone(), state.blobs.clone());
        let metrics_server = match config.metrics_listen {
            Some(address) => Some(MetricsServer::bind(address, state.clone()).await?),
            None => None,
        };
        Ok(Self {
            metrics_server,
            notifier,
            redis_bus,
            uploads,
            payments,
            acceptor: crate::http::guard::GuardedAcceptor::new(
                acceptor,
                crate::http::guard::ConnectionLimits {
                    max_connections: config.max_http_connections,
                    max_connections_per_ip: config.max_http_connections_per_ip,
                    header_read_timeout: config.header_read_timeout,
                    keep_alive_timeout: config.keep_alive_timeout,
                    trusted_proxies: config.trusted_proxies.clone(),
                },
                metrics.clone(),
            )
            .boxed(),
            port,
            routes: poem::EndpointExt::boxed(http::routes(state)),
            shutdown,
            config,
            bus,
            metrics,
            relays,
            relay_roles,
            databases,
        })
    }

    /// The port of the separate `/metrics` listener, when `metrics_listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|m| m.port)
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancelling this token shuts the application down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The event bus (subscribe to see relayed events).
    pub fn event_bus(&self) -> Arc<dyn EventBus> {
        self.bus.clone()
    }

    /// The metrics registry.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The role of this instance's relay for `source`.
    pub fn relay_role(&self, source: Source) -> watch::Receiver<RelayRole> {
        self.relay_roles
            .get(&source)
            .cloned()
            .unwrap_or_else(|| watch::channel(RelayRole::Disconnected).1)
    }

    /// Serves until the shutdown token is cancelled: then stops accepting, lets in-flight
    /// requests finish within the grace period, closes live sockets with 1001, stops the
    /// relays and, last, the embedded cluster.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            acceptor,
            routes,
            shutdown,
            config,
            bus,
            metrics,
            relays,
            notifier,
            redis_bus,
            mut databases,
            uploads,
            metrics_server,
            payments,
            ..
        } = self;
        let metrics_task = metrics_server.map(|server| {
            let signal = shutdown.clone();
            tokio::spawn(
                Server::new_with_acceptor(server.acceptor)
                    .name("shahr-gateway-metrics")
                    .run_with_graceful_shutdown(
                        server.routes,
                        async move { signal.cancelled().await },
                        Some(std::time::Duration::from_secs(2)),
                    ),
            )
        });
        let supervision = crate::supervise::Supervision::new(metrics.clone(), shutdown.clone());
        let urbanism_role = relays
            .iter()
            .find(|(settings, _)| settings.source == Source::Urbanism)
            .map(|(_, role)| role.subscribe())
            .unwrap_or_else(|| watch::channel(RelayRole::Disconnected).1);
        let citizen_role = relays
            .iter()
            .find(|(settings, _)| settings.source == Source::Citizen)
            .map(|(_, role)| role.subscribe())
            .unwrap_or_else(|| watch::channel(RelayRole::Disconnected).1);
        let workers = crate::workers::Workers::start(
            crate::workers::WorkerSettings {
                bus: bus.clone(),
                redis_bus,
                relays,
                article100: notifier.article100.clone(),
                notifier: Arc::new(notifier),
                urbanism_role,
                finality_interval: config.finality_interval,
                stats_refresh_interval: config.stats_refresh_interval,
                uploads,
                upload_ttl: config.upload_ttl,
                payments: payments.map(|p| crate::workers::Reconciliation {
                    payments: p,
                    leader: citizen_role,
                    interval: config.payment_reconcile_interval,
                    idle: config.payment_reconcile_after,
                    abandoned: config.payment_abandon_after,
                }),
            },
            &supervision,
        );
        let signal = shutdown.clone();
        let served = Server::new_with_acceptor(acceptor)
            .name("shahr-gateway")
            .run_with_graceful_shutdown(
                routes,
                async move { signal.cancelled().await },
                Some(config.shutdown_grace),
            )
            .await;
        if let Some(task) = metrics_task {
            let _ = task.await;
        }
        workers.stop().await;
        if let Some(cluster) = databases.embedded.as_mut() {
            cluster.stop();
        }
        if let Some(failure) = supervision.failure() {
            return Err(failure).context("the gateway stopped");
        }
        served.context("the HTTP server failed")
    }
}

/// The separate listener of `/metrics`.
struct MetricsServer {
    acceptor: poem::listener::BoxAcceptor,
    port: u16,
    routes: poem::endpoint::BoxEndpoint<'static>,
}

impl MetricsServer {
    async fn bind(address: std::net::SocketAddr, state: Arc<HttpState>) -> anyhow::Result<Self> {
        let acceptor = TcpListener::bind(address.to_string())
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {address} (SHAHR_METRICS_LISTEN)"))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .context("the metrics listener has no local address")?;
        Ok(Self {
            acceptor: acceptor.boxed(),
            port,
            routes: poem::EndpointExt::boxed(http::metrics_routes(state)),
        })
    }
}

/// How far ahead the official holidays must be known for deadlines to be counted right.
const HOLIDAYS_AHEAD_DAYS: i64 = 90;

/// Warns at start when the next days have no holiday data (import the year's official list
/// with `shahr-gateway holidays import FILE`).
async fn warn_when_holidays_missing(urbanism: &UrbanismDb) {
    match urbanism.calendar().await {
        Ok(calendar) => {
            let today = shahr_domain::jalali::tehran_today(chrono::Utc::now());
            let missing =
                crate::usecases::calendar::uncovered(&calendar, today, HOLIDAYS_AHEAD_DAYS);
            if !missing.is_empty() {
                tracing::warn!(
                    years = ?missing,
                    "no official holidays are on record for Jalali year(s) {missing:?} within the next {HOLIDAYS_AHEAD_DAYS} days: \
                     deadlines falling then count only Fridays as days off; import the official list with \
                     `shahr-gateway holidays import FILE`"
                );
            }
        }
        Err(err) => tracing::warn!(error = %err, "cannot read the official holidays"),
    }
}

fn redis_pool(config: &Config, url: &str) -> anyhow::Result<deadpool_redis::Pool> {
    let mut cfg = deadpool_redis::Config::from_url(url);
    cfg.pool = Some(deadpool_redis::PoolConfig {
        max_size: config.redis_pool_size,
        timeouts: deadpool_redis::Timeouts {
            wait: Some(config.redis_timeout),
            create: Some(config.redis_timeout),
            recycle: Some(config.redis_timeout),
        },
        ..Default::default()
    });
    cfg.create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .context("cannot build the Redis pool (SHAHR_REDIS_URL)")
}
