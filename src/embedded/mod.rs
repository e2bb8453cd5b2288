//! The embedded default: a private PostgreSQL cluster started from the system's PostgreSQL
//! binaries when no database URL is configured, so that `cargo run --release` works on a
//! fresh machine with no configuration.

mod postgres;

pub use postgres::{state_dir, EmbeddedPostgres};
