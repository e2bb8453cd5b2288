//! Connector to the integrated urbanism system: the legacy PostgreSQL database we do not own.
//!
//! The anti-corruption layer: it reads the legacy schema and hands out clean records
//! ([`records`]). Rows it cannot interpret are logged with their key, counted
//! ([`UrbanismDb::rejects`]) and skipped or left without the unreadable value, never crashing
//! a query. Every read is parameterised and batched (`= ANY($1)`); statement deadlines come
//! from the pool's settings; [`UrbanismDb::statements`] counts statements for proofs that
//! nested queries do not multiply them.
//!
//! Its imitation schema, demo data and generated city live in the `shahr-fixtures` crate, for
//! development and tests only.

pub mod cases;
mod clean;
pub mod codes;
mod demo;
pub mod districts;
pub mod issued;
mod parcels;
pub mod parents;
pub mod records;
mod rulings;
mod sql;
pub mod stats;
mod worklist;

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use shahr_domain::identifiers::NationalId;
use shahr_store::{migrate::MigrationSet, PgPool, StoreError};
use tokio_postgres::{types::ToSql, Row};

pub use clean::Rejects;
pub use districts::District;
pub use parcels::ParcelFilter;
pub use rulings::RulingFilter;
pub use worklist::{CaseFilter, MAX_AGENDA};

/// Our own objects (`shahr` schema) in the urbanism database, on top of the common set.
pub const MIGRATIONS: MigrationSet = MigrationSet {
    name: "urbanism",
    migrations: &[
        shahr_store::migrate::Migration {
            version: 1,
            name: "issued_rulings",
            sql: include_str!("../migrations/0001_issued_rulings.sql"),
        },
        shahr_store::migrate::Migration {
            version: 2,
            name: "commission_sessions",
            sql: include_str!("../migrations/0002_commission_sessions.sql"),
        },
        shahr_store::migrate::Migration {
            version: 3,
            name: "ruling_documents",
            sql: include_str!("../migrations/0003_ruling_documents.sql"),
        },
        shahr_store::migrate::Migration {
            version: 4,
            name: "fine_payments",
            sql: include_str!("../migrations/0004_fine_payments.sql"),
        },
        shahr_store::migrate::Migration {
            version: 5,
            name: "dashboards",
            sql: include_str!("../migrations/0005_dashboards.sql"),
        },
        shahr_store::migrate::Migration {
            version: 6,
            name: "lawful_rulings",
            sql: include_str!("../migrations/0006_lawful_rulings.sql"),
        },
        shahr_store::migrate::Migration {
            version: 7,
            name: "document_pdfs",
            sql: include_str!("../migrations/0007_document_pdfs.sql"),
        },
        shahr_store::migrate::Migration {
            version: 8,
            name: "idempotency_keys",
            sql: include_str!("../migrations/0008_idempotency_keys.sql"),
        },
    ],
};

/// What a reader may see. Anything outside is indistinguishable from absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everything (auditors, admins).
    All,
    /// Parcels of one district and what hangs off them (staff).
    District(i16),
    /// Parcels this person owns and what hangs off them (citizens).
    Owner(NationalId),
    /// Nothing.
    Nothing,
}

pub use shahr_store::{Page, PageRequest};

/// Handle on the urbanism database.
#[derive(Clone)]
pub struct UrbanismDb {
    pool: PgPool,
    statements: Arc<AtomicU64>,
    rejects: Arc<Rejects>,
    districts: Arc<districts::DistrictCache>,
}

impl UrbanismDb {
    /// Wraps a pool whose deadlines are already configured.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            statements: Arc::new(AtomicU64::new(0)),
            rejects: Arc::new(Rejects::default()),
            districts: Arc::default(),
        }
    }

    /// The underlying pool (for readiness checks and metrics).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// SQL statements run so far by this handle.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Unreadable legacy values met so far.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// Runs one statement (prepared and cached per connection) and counts it.
    pub(crate) async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        Ok(client.query(&statement, params).await?)
    }

    pub(crate) async fn run(&self, query: &sql::Query) -> Result<Vec<Row>, StoreError> {
        self.rows(&query.sql, &query.params()).await
    }

    pub(crate) fn reader(&self, table: &'static str, key: i32) -> clean::RowReader<'_> {
        clean::RowReader {
            rejects: &self.rejects,
            table,
            key,
        }
    }
}

/// The SQL condition restricting parcel alias `p` to what `visibility` allows.
pub(crate) fn visibility_sql(query: &mut sql::Query, visibility: &Visibility) -> String {
    match visibility {
        Visibility::All => "TRUE".into(),
        Visibility::Nothing => "FALSE".into(),
        Visibility::District(d) => {
            let p = query.bind(sql::code_spellings(u32::try_from(*d).unwrap_or(0), 1));
            format!("p.kod_mantaghe = ANY({p})")
        }
        Visibility::Owner(national_id) => {
            let p = query.bind(sql::spellings(national_id.as_str()));
            format!(
                "EXISTS (SELECT 1 FROM tbl_malekiat vk JOIN tbl_malek vm ON vm.id_malek = vk.id_malek \
                 WHERE vk.id_parvandeh = p.id_parvandeh AND vm.kod_melli = ANY({p}))"
            )
        }
    }
}
