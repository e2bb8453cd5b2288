//! Connector to the integrated urbanism system: the legacy PostgreSQL database we do not own.
//!
//! It reads legacy rows and turns them into clean records (ASCII digits, normalised letters,
//! validated values). Rows it cannot interpret are logged with their key and skipped, never
//! crashing a query. All reads are parameterised and batched (`= ANY($1)`); statement
//! deadlines come from the pool's settings.
//!
//! [`fixture`] holds the imitation legacy schema and demo data, for development and tests only.

pub mod districts;
pub mod fixture;

use shahr_store::{migrate::MigrationSet, PgPool};

pub use districts::District;

/// Our own objects (`shahr` schema) in the urbanism database, on top of the common set.
pub const MIGRATIONS: MigrationSet = MigrationSet {
    name: "urbanism",
    migrations: &[],
};

/// Handle on the urbanism database.
#[derive(Clone)]
pub struct UrbanismDb {
    pool: PgPool,
}

impl UrbanismDb {
    /// Wraps a pool whose deadlines are already configured.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool (for readiness checks and metrics).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
