//! Idempotency keys of state-changing commands, kept in the database the command writes to
//! and written in the command's own transaction: a retry with the same key finds the first
//! attempt's result (whatever happened to the answer), never a second change. A key belongs
//! to one person (`subject`) and one command with one payload; the same key with another
//! command or payload is refused.
//!
//! In a command's transaction: [`claim`] first (a concurrent attempt with the same key waits
//! here for the first to commit or roll back), then the change, then [`complete`] with what
//! identifies the result, then commit.

use tokio_postgres::GenericClient;

use crate::StoreError;

/// A command's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Who sends the command (the token's subject).
    pub subject: String,
    /// The key the client chose.
    pub key: String,
    /// The command (`advanceServiceRequest`, ...).
    pub operation: &'static str,
    /// A hash of the command's input.
    pub payload_hash: String,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// A new key: carry the command out, then [`complete`] it.
    Fresh,
    /// The command was carried out already; this identifies its result.
    Done(String),
    /// The key was used for another command or payload.
    Reused,
}

/// Claims `key` in the command's transaction.
#[tracing::instrument(name = "store.claim", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn claim(tx: &impl GenericClient, key: &Key) -> Result<Claim, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO shahr.idempotency_keys (subject, key, operation, payload_hash) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (subject, key) DO NOTHING",
            &[&key.subject, &key.key, &key.operation, &key.payload_hash],
        )
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    Ok(prior(tx, key).await?.unwrap_or(Claim::Reused))
}

/// What an earlier attempt with `key` left, read outside a transaction (a cheap look before
/// any work): `None` when the key is new.
#[tracing::instrument(name = "store.prior", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn prior(client: &impl GenericClient, key: &Key) -> Result<Option<Claim>, StoreError> {
    let row = client
        .query_opt(
            "SELECT operation, payload_hash, result FROM shahr.idempotency_keys \
             WHERE subject = $1 AND key = $2",
            &[&key.subject, &key.key],
        )
        .await?;
    Ok(row.map(|row| {
        let (operation, hash, result): (String, String, Option<String>) =
            (row.get(0), row.get(1), row.get(2));
        match result {
            Some(result) if operation == key.operation && hash == key.payload_hash => {
                Claim::Done(result)
            }
            _ => Claim::Reused,
        }
    }))
}

/// Records the command's result under its key, in the command's transaction.
#[tracing::instrument(name = "store.complete", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn complete(tx: &impl GenericClient, key: &Key, result: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE shahr.idempotency_keys SET result = $3 WHERE subject = $1 AND key = $2",
        &[&key.subject, &key.key, &result],
    )
    .await?;
    Ok(())
}
