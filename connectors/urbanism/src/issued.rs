//! Signed, immutable records of issued rulings (`shahr.issued_rulings`) and what the public
//! verification page needs to check them against the legacy row.

use serde_json::{json, Value};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use crate::UrbanismDb;

/// A record to write.
#[derive(Debug, Clone)]
pub struct NewIssuedRuling {
    /// The legacy row (`tbl_ray.id_ray`) the ruling lives in.
    pub legacy_ruling_id: i32,
    /// The case.
    pub case_id: i32,
    /// The ruling number.
    pub number: String,
    /// The signed content.
    pub content: Value,
    /// SHA-256 of the canonical content, hex.
    pub content_hash: String,
    /// Signing key id.
    pub key_id: String,
    /// Base64 Ed25519 signature.
    pub signature: String,
    /// Random verification code.
    pub verification_code: String,
    /// The record this one corrects (appeal), if any.
    pub supersedes: Option<i64>,
    /// Who issued it.
    pub issued_by: String,
    /// Idempotency key of the issuing request.
    pub idempotency_key: Option<String>,
    /// The signed draft it was issued from (none for records sealed from legacy rows).
    pub draft_id: Option<i64>,
    /// The judgment document rendered at issue, and its SHA-256 (hex), which the content
    /// covers as `documentHash`.
    pub document: Option<(String, String)>,
}

/// A stored record, as the verification page reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedRuling {
    /// Row id.
    pub id: i64,
    /// Legacy row id.
    pub legacy_ruling_id: i32,
    /// Number.
    pub number: String,
    /// Signed content.
    pub content: Value,
    /// Stored content hash.
    pub content_hash: String,
    /// Key id.
    pub key_id: String,
    /// Signature.
    pub signature: String,
    /// True when a later record supersedes this one.
    pub superseded: bool,
}

/// The legacy row's fields the signed content covers, as the legacy system stores them.
pub fn legacy_fields(row: &tokio_postgres::Row) -> Value {
    json!({
        "legacyRulingId": row.get::<_, i32>(0),
        "caseId": row.get::<_, i32>(1),
        "commissionId": row.get::<_, Option<i32>>(2),
        "number": row.get::<_, Option<String>>(3),
        "kindCode": row.get::<_, Option<String>>(4),
        "stageCode": row.get::<_, Option<String>>(5),
        "dateJalali": row.get::<_, Option<String>>(6),
        "fineRials": row.get::<_, Option<i64>>(7).map(|f| f.to_string()),
        "text": row.get::<_, Option<String>>(8),
    })
}

const LEGACY_SQL: &str =
    "SELECT id_ray, id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, \
    tarikh_ray, mablagh_jarimeh::int8, matn_ray FROM tbl_ray WHERE id_ray = $1";

/// Writes a record in the caller's transaction; returns its id.
#[tracing::instrument(name = "urbanism.record", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn record(tx: &impl GenericClient, new: &NewIssuedRuling) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "INSERT INTO shahr.issued_rulings (legacy_ruling_id, case_id, number, content, content_hash, key_id, \
             signature, verification_code, supersedes, issued_by, idempotency_key, draft_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            &[
                &new.legacy_ruling_id,
                &new.case_id,
                &new.number,
                &new.content,
                &new.content_hash,
                &new.key_id,
                &new.signature,
                &new.verification_code,
                &new.supersedes,
                &new.issued_by,
                &new.idempotency_key,
                &new.draft_id,
            ],
        )
        .await?;
    let id: i64 = row.get(0);
    if let Some((html, sha256)) = &new.document {
        tx.execute(
            "INSERT INTO shahr.ruling_documents (issued_ruling_id, html, sha256) VALUES ($1, $2, $3)",
            &[&id, html, sha256],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO shahr.ruling_states (issued_ruling_id, state, actor) VALUES ($1, 'ISSUED', $2)",
        &[&id, &new.issued_by],
    )
    .await?;
    Ok(id)
}

/// The legacy row's covered fields, read in the caller's transaction.
#[tracing::instrument(name = "urbanism.legacy_row", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn legacy_row(
    tx: &impl GenericClient,
    legacy_ruling_id: i32,
) -> Result<Option<Value>, StoreError> {
    Ok(tx
        .query_opt(LEGACY_SQL, &[&legacy_ruling_id])
        .await?
        .as_ref()
        .map(legacy_fields))
}

impl UrbanismDb {
    /// The record with this verification code, and the legacy row's covered fields now.
    #[tracing::instrument(name = "urbanism.issued_by_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn issued_by_code(
        &self,
        code: &str,
    ) -> Result<Option<(IssuedRuling, Option<Value>)>, StoreError> {
        let rows = self
            .rows(
                "SELECT r.id, r.legacy_ruling_id, r.number, r.content, r.content_hash, r.key_id, r.signature, \
                 EXISTS (SELECT 1 FROM shahr.issued_rulings s WHERE s.supersedes = r.id) \
                 FROM shahr.issued_rulings r WHERE r.verification_code = $1",
                &[&code],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let record = IssuedRuling {
            id: row.get(0),
            legacy_ruling_id: row.get(1),
            number: row.get(2),
            content: row.get(3),
            content_hash: row.get(4),
            key_id: row.get(5),
            signature: row.get(6),
            superseded: row.get(7),
        };
        let legacy = self.rows(LEGACY_SQL, &[&record.legacy_ruling_id]).await?;
        Ok(Some((record, legacy.first().map(legacy_fields))))
    }
}

/// An issued ruling's document, with what checks it.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    /// The record.
    pub record: IssuedRuling,
    /// The legacy ruling's case.
    pub case_id: i32,
    /// The document as rendered at issue.
    pub html: String,
    /// Its stored SHA-256.
    pub sha256: String,
}

impl UrbanismDb {
    /// The document of the ruling issued in legacy row `legacy_ruling_id`, if it has one.
    #[tracing::instrument(name = "urbanism.document_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn document_of(
        &self,
        legacy_ruling_id: i32,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let rows = self
            .rows(
                "SELECT r.id, r.legacy_ruling_id, r.number, r.content, r.content_hash, r.key_id, r.signature, \
                 EXISTS (SELECT 1 FROM shahr.issued_rulings s WHERE s.supersedes = r.id), r.case_id, d.html, d.sha256 \
                 FROM shahr.issued_rulings r JOIN shahr.ruling_documents d ON d.issued_ruling_id = r.id \
                 WHERE r.legacy_ruling_id = $1",
                &[&legacy_ruling_id],
            )
            .await?;
        Ok(rows.first().map(|row| StoredDocument {
            record: IssuedRuling {
                id: row.get(0),
                legacy_ruling_id: row.get(1),
                number: row.get(2),
                content: row.get(3),
                content_hash: row.get(4),
                key_id: row.get(5),
                signature: row.get(6),
                superseded: row.get(7),
            },
            case_id: row.get(8),
            html: row.get(9),
            sha256: row.get(10),
        }))
    }
}

impl UrbanismDb {
    /// Verification codes of the issued records of legacy rulings, and whether each has a
    /// judgment document; one statement.
    #[tracing::instrument(name = "urbanism.verification_codes", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn verification_codes(
        &self,
        legacy_ruling_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, (String, bool)>, StoreError> {
        let rows = self
            .rows(
                "SELECT r.legacy_ruling_id, r.verification_code, \
                 EXISTS (SELECT 1 FROM shahr.ruling_documents d WHERE d.issued_ruling_id = r.id) \
                 FROM shahr.issued_rulings r WHERE r.legacy_ruling_id = ANY($1)",
                &[&legacy_ruling_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect())
    }

    /// The signed content of the records of legacy rulings issued through the gateway;
    /// records whose content does not read as the current shape are left out.
    #[tracing::instrument(name = "urbanism.sealed_contents", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn sealed_contents(
        &self,
        legacy_ruling_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, shahr_domain::sealed::SealedContent>, StoreError>
    {
        let rows = self
            .rows(
                "SELECT legacy_ruling_id, content FROM shahr.issued_rulings WHERE legacy_ruling_id = ANY($1)",
                &[&legacy_ruling_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.get(0), serde_json::from_value(r.get::<_, Value>(1)).ok()?)))
            .collect())
    }

    /// The stored PDF of an issued record's document and its recorded SHA-256, if printed.
    #[tracing::instrument(name = "urbanism.document_pdf", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn document_pdf(
        &self,
        issued_ruling_id: i64,
    ) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let rows = self
            .rows(
                "SELECT pdf, sha256 FROM shahr.ruling_document_pdfs WHERE issued_ruling_id = $1",
                &[&issued_ruling_id],
            )
            .await?;
        Ok(rows.first().map(|r| (r.get(0), r.get(1))))
    }

    /// Keeps the PDF printed from an issued record's document (the first one printed stays).
    #[tracing::instrument(name = "urbanism.store_document_pdf", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn store_document_pdf(
        &self,
        issued_ruling_id: i64,
        pdf: &[u8],
        sha256: &str,
    ) -> Result<(), StoreError> {
        let client = self.pool().get().await?;
        client
            .execute(
                "INSERT INTO shahr.ruling_document_pdfs (issued_ruling_id, pdf, sha256) \
                 VALUES ($1, $2, $3) ON CONFLICT (issued_ruling_id) DO NOTHING",
                &[&issued_ruling_id, &pdf, &sha256],
            )
            .await?;
        Ok(())
    }
}
