//! The checks a configuration must pass beyond its types, and errors that name the key, where
//! it came from and how to fix it.

use super::{Config, ConfigError, Profile, DEFAULT_DEV_SIGNING_KEY, ENV_PREFIX};

impl Config {
    /// Checks the rules that span several keys or go beyond types.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| {
            Err(ConfigError(format!(
                "`{key}` ({ENV_PREFIX}{}) {why}",
                key.replace('.', "__").to_uppercase()
            )))
        };
        self.letterhead()?;
        for (key, value) in [
            ("db_pool_size", self.db_pool_size),
            ("redis_pool_size", self.redis_pool_size),
            ("max_body_bytes", self.max_body_bytes),
            ("max_batch", self.max_batch),
            ("max_depth", self.max_depth),
            ("event_buffer", self.event_buffer),
            ("ws_max_message_bytes", self.ws_max_message_bytes),
            ("max_upload_bytes", self.max_upload_bytes),
            ("max_operations_per_socket", self.max_operations_per_socket),
            (
                "max_concurrent_pdf_renders",
                self.max_concurrent_pdf_renders,
            ),
            ("max_http_connections", self.max_http_connections),
            (
                "max_http_connections_per_ip",
                self.max_http_connections_per_ip,
            ),
            ("max_replays_per_socket", self.max_replays_per_socket),
        ] {
            if value == 0 {
                return bad(key, "must be at least 1");
            }
        }
        if (self.rate_limits.cost_per_minute as usize) < self.max_complexity {
            return bad(
                "rate_limits.cost_per_minute",
                "must be at least max_complexity, or the largest query allowed could never run",
            );
        }
        for (key, value) in [
            (
                "rate_limits.anonymous_per_minute",
                self.rate_limits.anonymous_per_minute,
            ),
            (
                "rate_limits.viewer_per_minute",
                self.rate_limits.viewer_per_minute,
            ),
            (
                "rate_limits.mutations_per_minute",
                self.rate_limits.mutations_per_minute,
            ),
            (
                "rate_limits.verify_per_minute",
                self.rate_limits.verify_per_minute,
            ),
            (
                "rate_limits.uploads_per_hour",
                self.rate_limits.uploads_per_hour,
            ),
        ] {
            if value == 0 {
                return bad(key, "must be at least 1");
            }
        }
        if self.max_concurrent_replays >= self.db_pool_size && self.max_concurrent_replays > 0 {
            return bad(
                "max_concurrent_replays",
                "must be below db_pool_size, so that replays never take every connection",
            );
        }
        for (key, value) in [
            ("db_connect_timeout", self.db_connect_timeout),
            ("db_checkout_timeout", self.db_checkout_timeout),
            ("db_statement_timeout", self.db_statement_timeout),
            ("redis_timeout", self.redis_timeout),
            ("readiness_timeout", self.readiness_timeout),
            ("request_timeout", self.request_timeout),
            ("header_read_timeout", self.header_read_timeout),
            ("keep_alive_timeout", self.keep_alive_timeout),
            ("body_read_timeout", self.body_read_timeout),
            ("upload_ttl", self.upload_ttl),
            ("jwks_timeout", self.jwks_timeout),
            ("finality_interval", self.finality_interval),
            ("jwks_max_age", self.jwks_max_age),
            ("ws_init_timeout", self.ws_init_timeout),
            ("server_time_interval", self.server_time_interval),
            ("relay_poll_interval", self.relay_poll_interval),
            ("stats_refresh_interval", self.stats_refresh_interval),
        ] {
            if value.is_zero() {
                return bad(key, "must be longer than zero, e.g. \"5s\"");
            }
        }
        if self.urbanism_database_url.is_some() != self.citizen_database_url.is_some() {
            return bad(
                "citizen_database_url",
                "and SHAHR_URBANISM_DATABASE_URL must be set together (or both left unset for the embedded cluster)",
            );
        }
        for (key, url) in [
            ("urbanism_database_url", &self.urbanism_database_url),
            ("citizen_database_url", &self.citizen_database_url),
        ] {
            if let Some(url) = url {
                if let Err(e) = url.expose().parse::<tokio_postgres::Config>() {
                    return bad(
                        key,
                        &format!(
                            "is not a PostgreSQL URL ({e}); use postgres://user@host:5432/dbname"
                        ),
                    );
                }
            }
        }
        if let Some(url) = &self.redis_url {
            if let Err(e) = redis::Client::open(url.expose()) {
                return bad(
                    "redis_url",
                    &format!("is not a Redis URL ({e}); use redis://host:6379/0"),
                );
            }
        }
        if self.profile == Profile::Dev
            && !self.listen.ip().is_loopback()
            && !self.allow_dev_on_network
        {
            return bad(
                "listen",
                "is not a loopback address, and the dev profile (development tokens, the \
                 built-in signing seed) must not be reachable from the network: use profile prod, \
                 or set allow_dev_on_network = true for a throwaway development stack",
            );
        }
        if let Some(url) = &self.jwt_jwks_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return bad("jwt_jwks_url", "must be an http(s) URL");
            }
        }
        if self.jwt_discovery
            && !(self.jwt_issuer.starts_with("https://") || self.jwt_issuer.starts_with("http://"))
        {
            return bad(
                "jwt_issuer",
                "must be the issuer's http(s) URL when jwt_discovery is on",
            );
        }
        for (key, path) in self.jwt_claims.paths() {
            if path.trim().is_empty() {
                return bad(key, "is empty; name the claim (dots step into objects)");
            }
        }
        if self.metrics_operations.len() > crate::metrics::MAX_OPERATION_LABELS {
            return bad(
                "metrics_operations",
                &format!(
                    "names more than {} operations; keep the ones dashboards need",
                    crate::metrics::MAX_OPERATION_LABELS
                ),
            );
        }
        if let Some(name) = self.metrics_operations.iter().find(|n| !operation_name(n)) {
            return bad(
                "metrics_operations",
                &format!("has `{name}`, which is not a GraphQL operation name"),
            );
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().trim().is_empty())
        {
            return bad(
                "metrics_token",
                "is empty; set a long random token or unset it",
            );
        }
        if self
            .metrics_listen
            .is_some_and(|m| m == self.listen && m.port() != 0)
        {
            return bad("metrics_listen", "must differ from listen");
        }
        if self.profile == Profile::Prod {
            if self
                .signing_key
                .as_ref()
                .is_some_and(|k| k.expose().trim() == DEFAULT_DEV_SIGNING_KEY)
            {
                return bad(
                    "signing_key",
                    "is the published development seed, with which anyone can sign rulings and \
                     document links: generate a new one (openssl rand -base64 32)",
                );
            }
            if self.jwt_dev_secret.is_some() {
                return bad(
                    "jwt_dev_secret",
                    "is only allowed with profile dev; unset it and configure SHAHR_JWT_JWKS_FILE",
                );
            }
            if self.jwt_jwks_file.is_none()
                && self.jwt_public_key_file.is_none()
                && self.jwt_jwks_url.is_none()
                && !self.jwt_discovery
            {
                return bad(
                    "jwt_jwks_url",
                    "is required with profile prod (or SHAHR_JWT_DISCOVERY=true, SHAHR_JWT_JWKS_FILE, \
                     SHAHR_JWT_PUBLIC_KEY_FILE): point it at the identity provider's JWKS",
                );
            }
            if self.signing_key.is_none() {
                return bad(
                    "signing_key",
                    "is required with profile prod: the Ed25519 seed (32 bytes, base64) rulings are signed with",
                );
            }
            if self.urbanism_database_url.is_none() {
                return bad(
                    "urbanism_database_url",
                    "is required with profile prod; the embedded cluster is for development",
                );
            }
            if self.metrics_listen.is_none() && self.metrics_token.is_none() {
                return bad(
                    "metrics_token",
                    "or SHAHR_METRICS_LISTEN is required with profile prod: /metrics tells \
                     anyone who reads it how the service is used, so serve it on a separate \
                     address or behind a bearer token",
                );
            }
        }
        self.article100_rules()?;
        self.office_hours()?;
        Ok(())
    }
}

/// A GraphQL name: a letter or `_`, then letters, digits or `_`.
fn operation_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Turns figment's error into one line naming the key, its source and a fix.
pub(super) fn describe(err: figment::Error) -> ConfigError {
    let first = err.into_iter().next();
    let Some(err) = first else {
        return ConfigError("unreadable configuration".into());
    };
    let key = err.path.join(".");
    let source = match err.metadata.as_ref().map(|m| m.name.as_ref()) {
        Some(name) if name.contains("environment") => {
            format!("environment variable {ENV_PREFIX}{}", key.to_uppercase())
        }
        Some(name) => name.to_owned(),
        None => "configuration".to_owned(),
    };
    let fix = match &err.kind {
        figment::error::Kind::UnknownField(field, _) => {
            return ConfigError(format!(
                "unknown key `{field}` in {}; remove it or check its spelling against the README's configuration table",
                if source.is_empty() { "configuration" } else { &source }
            ))
        }
        figment::error::Kind::InvalidValue(..) | figment::error::Kind::InvalidType(..)
            if key.ends_with("timeout")
                || key.ends_with("interval")
                || key.ends_with("grace")
                || key.ends_with("leeway") =>
        {
            "use a duration with a unit, e.g. \"5s\" or \"250ms\""
        }
        _ => "set a valid value or unset it to use the default (see the README's configuration table)",
    };
    if key.is_empty() {
        return ConfigError(format!("{source}: {}", err.kind));
    }
    ConfigError(format!("`{key}` from {source}: {}; {fix}", err.kind))
}
