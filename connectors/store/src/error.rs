//! Errors of the store layer, classified so that callers can map them to API errors
//! without looking at driver text.

use deadpool_postgres::PoolError;

/// SQLSTATE `57014`: the statement ran past `statement_timeout`.
const QUERY_CANCELED: &str = "57014";
/// SQLSTATE `23505`.
const UNIQUE_VIOLATION: &str = "23505";

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had within the checkout deadline, or the server is unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A statement ran past its deadline and was cancelled by the server.
    #[error("database statement timed out")]
    Timeout,
    /// A unique constraint refused the row.
    #[error("unique constraint `{constraint}` violated")]
    UniqueViolation {
        /// Name of the violated constraint, when the server reported it.
        constraint: String,
    },
    /// Any other driver error (a bug or a schema mismatch); never shown to clients.
    #[error("database error")]
    Query(#[source] tokio_postgres::Error),
    /// A row the store cannot interpret.
    #[error("unexpected data: {0}")]
    Data(String),
}

impl StoreError {
    /// True when retrying later may succeed (the database is down or overloaded).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Timeout)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        if let Some(db) = err.as_db_error() {
            match db.code().code() {
                QUERY_CANCELED => return Self::Timeout,
                UNIQUE_VIOLATION => {
                    return Self::UniqueViolation {
                        constraint: db.constraint().unwrap_or_default().to_owned(),
                    }
                }
                _ => return Self::Query(err),
            }
        }
        if err.is_closed() || err.code().is_none() {
            // Connection-level failures (reset, closed, I/O) carry no SQLSTATE.
            return Self::Unavailable(err.to_string());
        }
        Self::Query(err)
    }
}

impl From<PoolError> for StoreError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Backend(e) => e.into(),
            other => Self::Unavailable(other.to_string()),
        }
    }
}
