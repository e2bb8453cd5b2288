//! Typed, layered configuration: built-in defaults < optional TOML file (`--config`) <
//! `SHAHR_*` environment variables (`SHAHR_DB_POOL_SIZE` sets `db_pool_size`).
//!
//! Every key is documented here and in the README's table. A bad value stops start-up with
//! one line naming the key, where it came from, and how to fix it. Secrets (database and
//! Redis URLs, the development JWT secret) are wrapped in [`Secret`] so `Debug` and logs
//! never show them.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use serde::Deserialize;

/// The environment variable prefix.
pub const ENV_PREFIX: &str = "SHAHR_";

/// The HS256 secret development tokens are signed with when none is configured. Accepted only
/// in the `dev` profile.
pub const DEFAULT_DEV_JWT_SECRET: &str = "shahr-gateway-development-secret-not-for-production";

/// The Ed25519 seed (base64) rulings are signed with in the dev profile when none is configured.
pub const DEFAULT_DEV_SIGNING_KEY: &str = "ZGV2LW9ubHktc2lnbmluZy1rZXktc2hhaHItZ2F0ZXc=";

/// A value that must not appear in logs or `Debug` output.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself: call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Development: GraphiQL on, introspection on, development tokens accepted.
    Dev,
    /// Production: tokens only from the identity provider's keys, no GraphiQL, no introspection.
    Prod,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The gateway's configuration. Field names are the TOML keys; upper-cased with the `SHAHR_`
/// prefix they are the environment variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `dev` or `prod`.
    pub profile: Profile,
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Lets the `dev` profile (development tokens, GraphiQL, the built-in signing seed)
    /// listen on a non-loopback address. Off: `dev` serves only this machine.
    pub allow_dev_on_network: bool,
    /// A separate address for `/metrics` (for example an interface only Prometheus reaches);
    /// then the main listener does not serve it. Unset: `/metrics` is on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// A bearer token `/metrics` requires (`Authorization: Bearer ...`), wherever it is served.
    /// Prod needs this or `metrics_listen`.
    pub metrics_token: Option<Secret>,
    /// Operation names (the client apps') counted under their own label in `/metrics`; any
    /// other named operation counts as `other`.
    pub metrics_operations: Vec<String>,
    /// URL of the integrated urbanism database (legacy). Unset: the embedded cluster.
    pub urbanism_database_url: Option<Secret>,
    /// URL of the citizen-request database. Unset: the embedded cluster.
    pub citizen_database_url: Option<Secret>,
    /// URL of Redis (events across instances). Unset: the in-process event bus.
    pub redis_url: Option<Secret>,
    /// Prefix of every Redis key the gateway writes.
    pub redis_key_prefix: String,
    /// Data directory of the embedded PostgreSQL cluster.
    pub data_dir: Option<PathBuf>,
    /// Directory holding `initdb`, `pg_ctl` and `postgres`; found automatically when unset.
    pub postgres_bin_dir: Option<PathBuf>,
    /// Directory where uploaded files are kept (the blob store of the embedded default).
    pub upload_dir: Option<PathBuf>,
    /// Largest file accepted by `POST /uploads`, in bytes.
    pub max_upload_bytes: usize,
    /// Bytes one person may have uploaded and not yet attached to a request.
    pub upload_quota_bytes: u64,
    /// How long an upload never attached is kept; then it and its bytes are removed.
    #[serde(with = "humantime_serde")]
    pub upload_ttl: Duration,
    /// Most connections in each database pool.
    pub db_pool_size: usize,
    /// Deadline for opening a database connection.
    #[serde(with = "humantime_serde")]
    pub db_connect_timeout: Duration,
    /// Deadline for getting a pooled connection when all are busy.
    #[serde(with = "humantime_serde")]
    pub db_checkout_timeout: Duration,
    /// Server-side deadline for each SQL statement.
    #[serde(with = "humantime_serde")]
    pub db_statement_timeout: Duration,
    /// Most Redis connections in the pool.
    pub redis_pool_size: usize,
    /// Deadline for each Redis command and connection.
    #[serde(with = "humantime_serde")]
    pub redis_timeout: Duration,
    /// Deadline for readiness checks of each dependency.
    #[serde(with = "humantime_serde")]
    pub readiness_timeout: Duration,
    /// Deadline for a whole GraphQL request over HTTP.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Deadline from a request's first byte to the end of its headers; then the connection
    /// is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may sit idle between requests.
    #[serde(with = "humantime_serde")]
    pub keep_alive_timeout: Duration,
    /// Deadline for reading a request body (GraphQL, uploads); then 408.
    #[serde(with = "humantime_serde")]
    pub body_read_timeout: Duration,
    /// Most open HTTP connections (WebSockets included) per instance; more are closed at once.
    pub max_http_connections: usize,
    /// Most open HTTP connections from one client address (trusted proxies exempt).
    pub max_http_connections_per_ip: usize,
    /// Proxies (addresses or CIDR blocks) whose `X-Forwarded-For` names the client; from
    /// anyone else the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Rate limits per viewer and per client address (`[rate_limits]`).
    pub rate_limits: crate::ratelimit::RateLimits,
    /// Deadline for a WebSocket client to send `connection_init`.
    #[serde(with = "humantime_serde")]
    pub ws_init_timeout: Duration,
    /// Largest WebSocket message accepted from a client, in bytes.
    pub ws_max_message_bytes: usize,
    /// How long in-flight requests may run after a shutdown signal.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Largest request body accepted on `/graphql`, in bytes.
    pub max_body_bytes: usize,
    /// Most operations in one batched request (mutations are never batched).
    pub max_batch: usize,
    /// Deepest selection nesting allowed.
    pub max_depth: usize,
    /// Highest query complexity allowed (one point per field, multiplied by list sizes).
    pub max_complexity: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most lexical tokens in one document.
    pub max_tokens: usize,
    /// Most directives in one document.
    pub max_directives: usize,
    /// Interval between `serverTime` subscription ticks.
    #[serde(with = "humantime_serde")]
    pub server_time_interval: Duration,
    /// How often the outbox relay polls when no notification wakes it.
    #[serde(with = "humantime_serde")]
    pub relay_poll_interval: Duration,
    /// About how many events each Redis stream keeps (older ones are replayed from the outbox).
    pub event_stream_max_len: u64,
    /// Most live connections (WebSockets and SSE streams) per instance.
    pub max_live_connections: usize,
    /// Most live connections from one client address.
    pub max_live_connections_per_ip: usize,
    /// Capacity of the in-process event bus per subscriber before it lags.
    pub event_buffer: usize,
    /// Most operations (subscriptions) one WebSocket may run at once; more are refused with
    /// `LIMIT_EXCEEDED`.
    pub max_operations_per_socket: usize,
    /// Most subscriptions of one WebSocket replaying missed events (`after:`) at once; the
    /// others wait their turn.
    pub max_replays_per_socket: usize,
    /// Most replays reading the outbox at once in this instance: their share of the
    /// database pool (below `db_pool_size`, so other queries always find a connection).
    /// 0: a quarter of `db_pool_size`, at least 1.
    pub max_concurrent_replays: usize,
    /// Id of the key rulings are signed with (recorded with each signature).
    pub signing_key_id: String,
    /// Ed25519 seed (32 bytes, base64) rulings are signed with. Required in prod.
    pub signing_key: Option<Secret>,
    /// Public keys (base64) of retired signing keys by id: old rulings still verify.
    pub retired_signing_keys: std::collections::BTreeMap<String, String>,
    /// The address people reach the gateway at, for links printed on documents (the QR code
    /// of a dadnameh). Unset: `http://` and the `listen` address.
    pub public_base_url: Option<String>,
    /// Chromium, which renders documents to PDF (`...&format=pdf`). Unset: `/usr/bin/chromium`
    /// when installed; without it PDFs answer 501 and the HTML documents still work.
    pub chromium_path: Option<PathBuf>,
    /// Most PDFs printed at once by this instance (each is a Chromium process).
    pub max_concurrent_pdf_renders: usize,
    /// Behpardakht Mellat's gateway (`https://bpm.shaparak.ir`). Unset: no online payment
    /// (`startPayment` answers `UPSTREAM_UNAVAILABLE`).
    pub payment_base_url: Option<String>,
    /// The merchant's terminal id at the gateway.
    pub payment_terminal_id: i64,
    /// The terminal's user name.
    pub payment_user_name: String,
    /// The terminal's password.
    pub payment_password: Option<Secret>,
    /// Deadline of one call to the gateway.
    #[serde(with = "humantime_serde")]
    pub payment_timeout: Duration,
    /// Attempts of a gateway call that is safe to repeat (verify, settle, inquiry, reversal).
    pub payment_attempts: u32,
    /// Where the citizen's browser goes after paying, with `?order=&outcome=` added. Unset:
    /// the gateway's own result page (`/payments/result`).
    pub payment_return_url: Option<String>,
    /// A payment idle this long (no callback, or a call that timed out) is reconciled.
    #[serde(with = "humantime_serde")]
    pub payment_reconcile_after: Duration,
    /// A payment still pending this long (the citizen never came back from the gateway) is
    /// failed; the gateway returns money it was never asked to verify.
    #[serde(with = "humantime_serde")]
    pub payment_abandon_after: Duration,
    /// How often the reconciliation job looks.
    #[serde(with = "humantime_serde")]
    pub payment_reconcile_interval: Duration,
    /// The municipality's name on the dadnameh's letterhead.
    pub municipality_name: String,
    /// The municipality's emblem on the letterhead: an SVG or PNG file, embedded in each
    /// document as issued. Unset: a neutral drawn emblem.
    pub emblem_path: Option<PathBuf>,
    /// How long a signed document link (`Ruling.documentUrl`) stays valid.
    #[serde(with = "humantime_serde")]
    pub document_link_ttl: Duration,
    /// Base URL of the city's GIS service, which draws the street on location sketches.
    /// Unset: sketches come from the legacy geometry alone.
    pub gis_base_url: Option<String>,
    /// Bearer token of the GIS service.
    pub gis_token: Option<Secret>,
    /// Deadline of each call to the GIS service (the sketch falls back to legacy geometry).
    #[serde(with = "humantime_serde")]
    pub gis_timeout: Duration,
    /// Base URL of the judicial electronic notice service (legal service of rulings). Unset:
    /// owners are told through the in-app inbox and served by staff (`recordNotification`).
    pub e_notice_base_url: Option<String>,
    /// Bearer token of the e-notice service.
    pub e_notice_token: Option<Secret>,
    /// Base URL of the SMS gateway (courtesy alerts). Unset: no SMS.
    pub sms_base_url: Option<String>,
    /// Bearer token of the SMS gateway.
    pub sms_token: Option<Secret>,
    /// Deadline of each call to a notification provider.
    #[serde(with = "humantime_serde")]
    pub notify_timeout: Duration,
    /// Attempts before a notification is given up.
    pub notify_max_attempts: i32,
    /// First delay before retrying a failed notification (doubled each time).
    #[serde(with = "humantime_serde")]
    pub notify_backoff: Duration,
    /// How often the notifier looks for due notifications and rulings that became final.
    #[serde(with = "humantime_serde")]
    pub notify_poll_interval: Duration,
    /// How often an accepted e-notice is asked for its delivery receipt.
    #[serde(with = "humantime_serde")]
    pub e_notice_receipt_poll: Duration,
    /// How often the dashboards' figures are brought up to date when no ruling event comes
    /// (after one they are refreshed within about a second).
    #[serde(with = "humantime_serde")]
    pub stats_refresh_interval: Duration,
    /// Each owner's defence window in days, from the legal service of their summons (Note 1).
    pub defence_window_days: u32,
    /// Each party's objection window in days, from their own legal service of a ruling (Note 10).
    pub objection_window_days: u32,
    /// Counting windows (CPC art. 443): the day of the act is not counted either, so a window
    /// of N days served on day D still admits an act on day D + N + 1. Off: D + N.
    pub exclude_day_of_act: bool,
    /// The longest demolition period a ruling may set, in days (Note 1: at most two months).
    pub max_demolition_days: u32,
    /// Client apps (by `graphql-client-name`) that may send only their trusted documents,
    /// by hash (`shahr-gateway documents add CLIENT FILE` registers them).
    pub trusted_document_clients: Vec<String>,
    /// The most instalments a final fine may be paid online in (1: paid whole). The domain
    /// reference allows instalments and leaves their terms to the city.
    pub fine_instalments: u16,
    /// The smallest online instalment of a fine, in rials (the last takes what remains).
    pub fine_instalment_min_rials: i64,
    /// Office hours of the urban-planning offices (Asia/Tehran), for service requests' SLA
    /// clocks: `07:30-14:30`.
    pub office_hours: String,
    /// Working days of the offices (English weekday names); Fridays and official holidays
    /// are off whatever this says.
    pub office_days: Vec<String>,
    /// The municipality counts as served on the day a ruling is issued (it enters the
    /// municipality's integrated urbanism system in session); false: its service is recorded
    /// like an owner's.
    pub municipality_served_at_issue: bool,
    /// How ruling numbers are written: `{district}`, `{yyyy}`, `{yy}`, `{seq}`, `{seq:N}`.
    pub ruling_number_template: String,
    /// Fine coefficient ranges of Article 100 (hundredths: `note2 = { min = 50, max = 300 }`).
    pub fines: shahr_domain::fines::FineRules,
    /// HS256 secret for development tokens (dev profile only). Unset: a built-in dev secret.
    pub jwt_dev_secret: Option<Secret>,
    /// JWKS file with the identity provider's public keys (production tokens).
    pub jwt_jwks_file: Option<PathBuf>,
    /// PEM public key of the identity provider, instead of a JWKS file.
    pub jwt_public_key_file: Option<PathBuf>,
    /// URL of the identity provider's JWKS (fetched, cached and fetched again on an unknown
    /// key id).
    pub jwt_jwks_url: Option<String>,
    /// Finds the JWKS by OpenID Connect discovery of `jwt_issuer`
    /// (`{issuer}/.well-known/openid-configuration`).
    pub jwt_discovery: bool,
    /// Least time between two fetches of the provider's keys.
    #[serde(with = "humantime_serde")]
    pub jwks_min_refresh: Duration,
    /// Fetched keys older than this are fetched again (so withdrawn keys stop working).
    #[serde(with = "humantime_serde")]
    pub jwks_max_age: Duration,
    /// Deadline of each call to the identity provider.
    #[serde(with = "humantime_serde")]
    pub jwks_timeout: Duration,
    /// Where in a provider's token roles, national id, district and commission are
    /// (`[jwt_claims]`).
    pub jwt_claims: crate::auth::ClaimNames,
    /// Expected `iss` claim.
    pub jwt_issuer: String,
    /// Expected `aud` claim.
    pub jwt_audience: String,
    /// Clock skew tolerated on `exp` and `nbf`.
    #[serde(with = "humantime_serde")]
    pub jwt_leeway: Duration,
    /// How often the finality pass looks for rulings whose objection windows have closed
    /// (on the instance leading the urbanism relay).
    #[serde(with = "humantime_serde")]
    pub finality_interval: Duration,
    /// Log filter in `tracing` syntax (`info`, `shahr_gateway=debug,info`); `RUST_LOG` wins.
    pub log_filter: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            profile: Profile::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_dev_on_network: false,
            metrics_listen: None,
            metrics_token: None,
            metrics_operations: Vec::new(),
            urbanism_database_url: None,
            citizen_database_url: None,
            redis_url: None,
            redis_key_prefix: "shahr:".into(),
            data_dir: None,
            postgres_bin_dir: None,
            upload_dir: None,
            max_upload_bytes: 20 * 1024 * 1024,
            upload_quota_bytes: 200 * 1024 * 1024,
            upload_ttl: Duration::from_secs(24 * 3600),
            db_pool_size: 16,
            db_connect_timeout: Duration::from_secs(5),
            db_checkout_timeout: Duration::from_secs(3),
            db_statement_timeout: Duration::from_secs(5),
            redis_pool_size: 8,
            redis_timeout: Duration::from_secs(2),
            readiness_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_http_connections: 20_480,
            max_http_connections_per_ip: 256,
            trusted_proxies: Vec::new(),
            rate_limits: crate::ratelimit::RateLimits::default(),
            ws_init_timeout: Duration::from_secs(5),
            ws_max_message_bytes: 64 * 1024,
            shutdown_grace: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_batch: 10,
            max_depth: 15,
            max_complexity: 5000,
            max_aliases: 100,
            max_tokens: 10_000,
            max_directives: 50,
            server_time_interval: Duration::from_secs(5),
            relay_poll_interval: Duration::from_secs(1),
            event_buffer: 1024,
            max_operations_per_socket: 100,
            max_replays_per_socket: 2,
            max_concurrent_replays: 0,
            event_stream_max_len: 100_000,
            max_live_connections: 20_000,
            max_live_connections_per_ip: 200,
            signing_key_id: "dev-1".into(),
            signing_key: None,
            retired_signing_keys: Default::default(),
            gis_base_url: None,
            gis_token: None,
            gis_timeout: Duration::from_secs(3),
            e_notice_base_url: None,
            e_notice_token: None,
            sms_base_url: None,
            sms_token: None,
            notify_timeout: Duration::from_secs(5),
            notify_max_attempts: 5,
            notify_backoff: Duration::from_secs(2),
            notify_poll_interval: Duration::from_secs(1),
            e_notice_receipt_poll: Duration::from_secs(60),
            stats_refresh_interval: Duration::from_secs(60),
            public_base_url: None,
            chromium_path: None,
            payment_base_url: None,
            payment_terminal_id: 0,
            payment_user_name: String::new(),
            payment_password: None,
            payment_timeout: Duration::from_secs(10),
            payment_attempts: 3,
            payment_return_url: None,
            payment_reconcile_after: Duration::from_secs(15 * 60),
            payment_reconcile_interval: Duration::from_secs(60),
            payment_abandon_after: Duration::from_secs(30 * 60),
            municipality_name: "شهرداری تبریز".to_owned(),
            emblem_path: None,
            max_concurrent_pdf_renders: 2,
            document_link_ttl: Duration::from_secs(600),
            defence_window_days: 10,
            objection_window_days: 10,
            exclude_day_of_act: true,
            max_demolition_days: 60,
            trusted_document_clients: Vec::new(),
            fine_instalments: 12,
            fine_instalment_min_rials: 5_000_000,
            office_hours: "07:30-14:30".into(),
            office_days: ["saturday", "sunday", "monday", "tuesday", "wednesday"]
                .map(String::from)
                .to_vec(),
            municipality_served_at_issue: true,
            ruling_number_template: shahr_domain::session::DEFAULT_RULING_NUMBER.into(),
            fines: Default::default(),
            jwt_dev_secret: None,
            jwt_jwks_file: None,
            jwt_public_key_file: None,
            jwt_jwks_url: None,
            jwt_discovery: false,
            jwks_min_refresh: Duration::from_secs(60),
            jwks_max_age: Duration::from_secs(3600),
            jwks_timeout: Duration::from_secs(5),
            finality_interval: Duration::from_secs(60),
            jwt_claims: crate::auth::ClaimNames::default(),
            jwt_issuer: "shahr-gateway-dev".into(),
            jwt_audience: "shahr-gateway".into(),
            jwt_leeway: Duration::from_secs(30),
            log_filter: "info".into(),
            log_format: LogFormat::Text,
        }
    }
}

/// A configuration that cannot be used; its `Display` is the one line shown at start-up.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads defaults, then the TOML file (if any), then `SHAHR_*` variables, and validates.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let config = Self::read(file)?;
        config.validate()?;
        Ok(config)
    }

    /// [`Config::load`] without validation, for commands that need only a key or two of a
    /// configuration the server validates (the health check needs `listen`).
    pub fn read(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist; fix the --config path",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        // `SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE` sets `viewer_per_minute` of `[rate_limits]`.
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").ignore(&["config"]));
        figment.extract().map_err(validate::describe)
    }
}

mod derived;
#[cfg(test)]
mod tests;
mod validate;
