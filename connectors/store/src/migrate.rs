//! Versioned migrations of our own `shahr` schema.
//!
//! Each database gets one or more *sets* (the common set every store shares, plus the
//! connector's own). Applied versions are recorded in `shahr.schema_migrations` with a
//! checksum; an edited migration that was already applied is refused rather than
//! silently diverging. Migrations never touch tables outside `shahr`.

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::StoreError;

/// One migration: applied once, in version order, inside a transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing within its set.
    pub version: i32,
    /// Short description, recorded beside the version.
    pub name: &'static str,
    /// The SQL to run.
    pub sql: &'static str,
}

/// A named, ordered list of migrations.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    /// Name recorded in `shahr.schema_migrations.set_name`.
    pub name: &'static str,
    /// The migrations, in version order.
    pub migrations: &'static [Migration],
}

/// The objects every store has in its `shahr` schema: the outbox (with its notification
/// trigger) and the hash-chained audit log.
pub const COMMON: MigrationSet = MigrationSet {
    name: "common",
    migrations: &[
        Migration {
            version: 1,
            name: "outbox",
            sql: include_str!("../migrations/common/0001_outbox.sql"),
        },
        Migration {
            version: 2,
            name: "audit_log",
            sql: include_str!("../migrations/common/0002_audit_log.sql"),
        },
        Migration {
            version: 3,
            name: "deliveries",
            sql: include_str!("../migrations/common/0003_deliveries.sql"),
        },
        Migration {
            version: 4,
            name: "outbox_event_order",
            sql: include_str!("../migrations/common/0004_outbox_event_order.sql"),
        },
        Migration {
            version: 5,
            name: "delivery_legal_id",
            sql: include_str!("../migrations/common/0005_delivery_legal_id.sql"),
        },
        Migration {
            version: 6,
            name: "audit_chain_at_commit",
            sql: include_str!("../migrations/common/0006_audit_chain_at_commit.sql"),
        },
    ],
};

/// Lock key serialising concurrent `migrate` runs against one database.
const MIGRATION_LOCK: i64 = 0x5348_4148_525f_4d47; // "SHAHR_MG"

/// What a migration run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// `(set, version, name)` of each migration applied by this run.
    pub applied: Vec<(String, i32, String)>,
}

impl MigrationSet {
    /// SHA-256 over every migration of the set, for cache keys (e.g. test templates).
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for m in self.migrations {
            hash.update(m.version.to_be_bytes());
            hash.update(m.sql.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// `(set, version, name)` of the migrations of `sets` not yet applied to this database.
pub async fn pending(
    client: &Client,
    sets: &[MigrationSet],
) -> Result<Vec<(String, i32, String)>, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('shahr.schema_migrations') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    let applied: Vec<(String, i32)> = if exists {
        client
            .query("SELECT set_name, version FROM shahr.schema_migrations", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(sets
        .iter()
        .flat_map(|set| set.migrations.iter().map(move |m| (set.name, m)))
        .filter(|(set, m)| !applied.iter().any(|(s, v)| s == set && *v == m.version))
        .map(|(set, m)| (set.to_owned(), m.version, m.name.to_owned()))
        .collect())
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Applies the pending migrations of `sets`, in order, calling `progress` for each one.
pub async fn migrate(
    client: &mut Client,
    sets: &[MigrationSet],
    mut progress: impl FnMut(&str, &Migration),
) -> Result<MigrationReport, StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = migrate_locked(client, sets, &mut progress).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let report = result?;
    unlock?;
    Ok(report)
}

async fn migrate_locked(
    client: &mut Client,
    sets: &[MigrationSet],
    progress: &mut impl FnMut(&str, &Migration),
) -> Result<MigrationReport, StoreError> {
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS shahr;
             CREATE TABLE IF NOT EXISTS shahr.schema_migrations (
                 set_name   text        NOT NULL,
                 version    integer     NOT NULL,
                 name       text        NOT NULL,
                 checksum   text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now(),
                 PRIMARY KEY (set_name, version)
             );",
        )
        .await?;
    let mut report = MigrationReport::default();
    for set in sets {
        let applied = client
            .query(
                "SELECT version, checksum FROM shahr.schema_migrations WHERE set_name = $1",
                &[&set.name],
            )
            .await?;
        for migration in set.migrations {
            let recorded = applied
                .iter()
                .find(|row| row.get::<_, i32>(0) == migration.version)
                .map(|row| row.get::<_, String>(1));
            let sum = checksum(migration.sql);
            match recorded {
                Some(existing) if existing == sum => continue,
                Some(_) => {
                    return Err(StoreError::Data(format!(
                        "migration {}/{} ({}) was changed after it was applied; \
                         add a new migration instead of editing an applied one",
                        set.name, migration.version, migration.name
                    )))
                }
                None => {}
            }
            progress(set.name, migration);
            let tx = client.transaction().await?;
            tx.batch_execute(migration.sql).await?;
            tx.execute(
                "INSERT INTO shahr.schema_migrations (set_name, version, name, checksum)
                 VALUES ($1, $2, $3, $4)",
                &[&set.name, &migration.version, &migration.name, &sum],
            )
            .await?;
            tx.commit().await?;
            report.applied.push((
                set.name.to_owned(),
                migration.version,
                migration.name.to_owned(),
            ));
        }
    }
    Ok(report)
}
