//! PostgreSQL plumbing shared by Shahr Gateway's stores.
//!
//! - [`pool`]: connection pools where every checkout, connect and statement has a deadline.
//! - [`migrate`]: versioned migrations of our own `shahr` schema (never a legacy table).
//! - [`outbox`]: the transactional outbox every mutation writes its events to.
//! - [`audit`]: the append-only, hash-chained audit log every mutation writes to.
//! - [`page`]: keyset pagination forwards and backwards.
//! - [`listener`]: a dedicated connection for `LISTEN` and session advisory locks (relay election).
//!
//! Nothing here knows about GraphQL or HTTP.

pub mod audit;
pub mod deliveries;
pub mod error;
pub mod idempotency;
pub mod listener;
pub mod migrate;
pub mod outbox;
pub mod page;
pub mod pool;

pub use error::StoreError;
pub use page::{Page, PageRequest};
pub use pool::{PgPool, PgSettings};
