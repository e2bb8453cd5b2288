//! Connection pools with a deadline on every step.

use std::{str::FromStr, time::Duration};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::StoreError;

/// A pool of connections to one database.
pub type PgPool = Pool;

/// How to reach one database and how long each step may take.
#[derive(Clone)]
pub struct PgSettings {
    /// A libpq-style URL or key/value string. May hold a password: never log it.
    pub url: String,
    /// Name reported to the server (`application_name`), visible in `pg_stat_activity`.
    pub application_name: String,
    /// Most connections the pool opens.
    pub max_connections: usize,
    /// Deadline for opening a TCP connection and authenticating.
    pub connect_timeout: Duration,
    /// Deadline for getting a connection from the pool when all are busy.
    pub checkout_timeout: Duration,
    /// Server-side deadline for each statement (`statement_timeout`).
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSettings")
            .field("url", &redact_url(&self.url))
            .field("application_name", &self.application_name)
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("checkout_timeout", &self.checkout_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl PgSettings {
    /// The driver configuration: URL plus deadlines and application name.
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, StoreError> {
        let mut config = tokio_postgres::Config::from_str(&self.url)
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?;
        config.connect_timeout(self.connect_timeout);
        config.application_name(&self.application_name);
        // No JIT: compiling costs our short statements more than it saves (the dashboards'
        // aggregates ran four times slower with it).
        config.options(format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout={} -c jit=off",
            self.statement_timeout.as_millis(),
            (self.statement_timeout * 4).as_millis()
        ));
        Ok(config)
    }

    /// Builds the pool. Connections open lazily, so this succeeds while the database is down.
    pub fn build_pool(&self) -> Result<PgPool, StoreError> {
        let manager = Manager::from_config(
            self.pg_config()?,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(self.max_connections)
            .wait_timeout(Some(self.checkout_timeout))
            .create_timeout(Some(self.connect_timeout))
            .recycle_timeout(Some(self.checkout_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// The database name the URL points at, for logs and metrics labels.
    pub fn database_name(&self) -> String {
        self.pg_config()
            .ok()
            .and_then(|c| c.get_dbname().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Replaces the password in a `postgres://user:password@host/db` or `redis://` URL with `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // key=value form: hide any password=... pair.
        return url
            .split_whitespace()
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{}://{}{}", &url[..scheme_end], hidden, &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// Runs `SELECT 1` within `deadline`; used by readiness checks.
pub async fn ping(pool: &PgPool, deadline: Duration) -> Result<(), StoreError> {
    let check = async {
        let client = pool.get().await?;
        client.simple_query("SELECT 1").await?;
        Ok::<_, StoreError>(())
    };
    tokio::time::timeout(deadline, check)
        .await
        .map_err(|_| StoreError::Unavailable("no answer within the deadline".into()))?
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/shahr"),
            "postgres://app:***@db:5432/shahr"
        );
        assert_eq!(
            redact_url("postgres://app@db/shahr"),
            "postgres://app@db/shahr"
        );
        assert_eq!(
            redact_url("host=db user=app password=s3cret"),
            "host=db user=app password=***"
        );
        assert_eq!(redact_url("redis://:pw@r:6379/0"), "redis://:***@r:6379/0");
    }
}
