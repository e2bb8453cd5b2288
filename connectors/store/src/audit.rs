//! The hash-chained audit log (`shahr.audit_log`).
//!
//! [`append`] writes an entry in the caller's transaction with the hash of its own content;
//! a deferred trigger links it into the chain as the transaction commits (migration
//! `0006_audit_chain_at_commit`), so entries chain in commit order without gaps and the only
//! serialised part is the link and the commit, with no client round trip in between.
//! [`verify`] recomputes the whole chain.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shahr_domain::actors::Actor;
use tokio_postgres::{Client, GenericClient};

use crate::StoreError;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audited action: who, in which role, what, on what, how it ended, and the facts worth
/// keeping. Built with [`Entry::new`] from the domain's actor and any serialisable detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    actor: String,
    role: String,
    operation: String,
    target_ids: Vec<String>,
    outcome: String,
    detail: serde_json::Value,
}

impl Entry {
    /// `actor` did `operation` on `target_ids` with `outcome` (`ok`, `late`, an error
    /// code); `detail` holds the facts worth keeping (never secrets).
    pub fn new(
        actor: &Actor,
        operation: &str,
        target_ids: Vec<String>,
        outcome: &str,
        detail: &impl Serialize,
    ) -> Self {
        Self {
            actor: actor.subject.clone(),
            role: actor.role_name().to_owned(),
            operation: operation.to_owned(),
            target_ids,
            outcome: outcome.to_owned(),
            detail: serde_json::to_value(detail).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The canonical bytes of an entry of the first format (written before entries were linked
/// at commit), which hashed content and link together.
fn canonical(seq: i64, at: &DateTime<Utc>, entry: &Entry, prev_hash: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!([
        seq,
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        entry.actor,
        entry.role,
        entry.operation,
        entry.target_ids,
        entry.outcome,
        shahr_domain::signing::with_sorted_keys(&entry.detail),
        prev_hash,
    ]))
    .unwrap_or_default()
}

fn digest(prev_hash: &str, bytes: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(prev_hash.as_bytes());
    hash.update(bytes);
    hex::encode(hash.finalize())
}

/// The bytes an entry's own hash covers (entries linked at commit): everything the entry
/// says, without its place in the chain.
fn content(at: &DateTime<Utc>, entry: &Entry) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!([
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        entry.actor,
        entry.role,
        entry.operation,
        entry.target_ids,
        entry.outcome,
        shahr_domain::signing::with_sorted_keys(&entry.detail),
    ]))
    .unwrap_or_default()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The link hash the commit trigger computes: `sha256(prev_hash ':' seq ':' entry_hash)`.
fn link(prev_hash: &str, seq: i64, entry_hash: &str) -> String {
    sha256_hex(format!("{prev_hash}:{seq}:{entry_hash}").as_bytes())
}

/// Appends `entry` in the caller's transaction. It takes no lock: its number and link are
/// given as the transaction commits, and it vanishes with the transaction if that rolls back.
#[tracing::instrument(name = "store.append", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn append(tx: &impl GenericClient, entry: &Entry) -> Result<(), StoreError> {
    // Microseconds: what PostgreSQL stores, so the hash can be recomputed from the row.
    let at = Utc::now().trunc_subsecs(6);
    let entry_hash = sha256_hex(&content(&at, entry));
    tx.execute(
        "INSERT INTO shahr.audit_pending (at, actor, role, operation, target_ids, outcome, detail, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &at,
            &entry.actor,
            &entry.role,
            &entry.operation,
            &entry.target_ids,
            &entry.outcome,
            &entry.detail,
            &entry_hash,
        ],
    )
    .await?;
    Ok(())
}

/// The outcome of a chain verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The first entry whose hash or link does not match, if any.
    pub first_broken: Option<i64>,
}

/// Entries read per statement while verifying.
const VERIFY_PAGE: i64 = 5_000;

/// Recomputes the chain from the first entry, a page at a time (memory stays bounded however
/// long the log); stops at the first entry whose number, link or hash does not match.
#[tracing::instrument(name = "store.verify", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn verify(client: &Client) -> Result<Verification, StoreError> {
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut checked = 0i64;
    loop {
        let rows = client
            .query(
                "SELECT seq, at, actor, role, operation, target_ids, outcome, detail, prev_hash, hash,
                        entry_hash
                 FROM shahr.audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[&expected_seq, &VERIFY_PAGE],
            )
            .await?;
        let page = rows.len() as i64;
        for row in &rows {
            let seq: i64 = row.get(0);
            let entry = Entry {
                actor: row.get(2),
                role: row.get(3),
                operation: row.get(4),
                target_ids: row.get(5),
                outcome: row.get(6),
                detail: row.get(7),
            };
            let prev: String = row.get(8);
            let hash: String = row.get(9);
            let at: DateTime<Utc> = row.get(1);
            let stored_entry_hash: Option<String> = row.get(10);
            let intact = match stored_entry_hash {
                // Linked at commit: the content matches its own hash, and the link matches.
                Some(entry_hash) => {
                    sha256_hex(&content(&at, &entry)) == entry_hash
                        && link(&prev, seq, &entry_hash) == hash
                }
                // The first format: one hash over the content and the link.
                None => digest(&prev, &canonical(seq, &at, &entry, &prev)) == hash,
            };
            checked += 1;
            if seq != expected_seq || prev != expected_prev || !intact {
                return Ok(Verification {
                    entries: checked,
                    first_broken: Some(seq),
                });
            }
            expected_prev = hash;
            expected_seq += 1;
        }
        if page < VERIFY_PAGE {
            return Ok(Verification {
                entries: checked,
                first_broken: None,
            });
        }
    }
}
