//! Drafts of a ruling in session and the members' signatures on them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use shahr_domain::{identifiers::NationalId, sealed::DraftContent, vocabulary::MemberRole};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use super::wire_name;
use crate::UrbanismDb;

/// A member's signature on a draft.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The member (`tbl_ozv_commission.id_ozv`).
    pub member_id: i32,
    /// Their national id.
    pub national_id: Option<NationalId>,
    /// The seat.
    pub seat: MemberRole,
    /// When.
    pub signed_at: DateTime<Utc>,
}

/// A draft with its signatures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    /// Row id.
    pub id: i64,
    /// What it says.
    pub content: DraftContent,
    /// SHA-256 of the canonical content: what the members sign.
    pub content_hash: String,
    /// When drafted.
    pub drafted_at: DateTime<Utc>,
    /// True when a newer draft of the case replaced it in the session.
    pub replaced: bool,
    /// The issued record, once issued.
    pub issued_ruling_id: Option<i64>,
    /// Signatures on this content.
    pub signatures: Vec<Signature>,
}

impl UrbanismDb {
    /// Marks the open drafts of a case in a sitting replaced.
    #[tracing::instrument(name = "urbanism.replace_drafts", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn replace_drafts(
        &self,
        tx: &impl GenericClient,
        session_id: i64,
        case_id: i32,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE shahr.ruling_drafts SET replaced_at = now() \
             WHERE session_id = $1 AND case_id = $2 AND replaced_at IS NULL AND issued_ruling_id IS NULL",
            &[&session_id, &case_id],
        )
        .await?;
        Ok(())
    }

    /// Records a draft; returns its id.
    #[tracing::instrument(name = "urbanism.insert_draft", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_draft(
        &self,
        tx: &impl GenericClient,
        content: &DraftContent,
        content_json: &Value,
        hash: &str,
        by: &str,
    ) -> Result<i64, StoreError> {
        let row = tx
            .query_one(
                "INSERT INTO shahr.ruling_drafts (session_id, case_id, content, content_hash, drafted_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&content.session_id, &content.case_id, content_json, &hash, &by],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Locks a draft's row; false when there is none.
    #[tracing::instrument(name = "urbanism.lock_draft", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn lock_draft(
        &self,
        tx: &impl GenericClient,
        draft_id: i64,
    ) -> Result<bool, StoreError> {
        Ok(tx
            .query_opt(
                "SELECT 1 FROM shahr.ruling_drafts WHERE id = $1 FOR UPDATE",
                &[&draft_id],
            )
            .await?
            .is_some())
    }

    /// A draft with its signatures on this very content.
    #[tracing::instrument(name = "urbanism.draft_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn draft_in(
        &self,
        client: &impl GenericClient,
        draft_id: i64,
    ) -> Result<Option<Draft>, StoreError> {
        let Some(row) = client
            .query_opt(
                "SELECT id, content, content_hash, drafted_at, replaced_at IS NOT NULL, issued_ruling_id \
                 FROM shahr.ruling_drafts WHERE id = $1",
                &[&draft_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let content: DraftContent = serde_json::from_value(row.get(1))
            .map_err(|e| StoreError::Data(format!("draft {draft_id}: {e}")))?;
        let hash: String = row.get(2);
        let signatures = client
            .query(
                "SELECT member_id, national_id, seat, signed_at FROM shahr.ruling_signatures \
                 WHERE draft_id = $1 AND content_hash = $2 ORDER BY signed_at",
                &[&draft_id, &hash],
            )
            .await?
            .iter()
            .filter_map(|r| {
                let seat: MemberRole = serde_json::from_value(Value::String(r.get(2))).ok()?;
                Some(Signature {
                    member_id: r.get(0),
                    national_id: NationalId::parse(&r.get::<_, String>(1)).ok(),
                    seat,
                    signed_at: r.get(3),
                })
            })
            .collect();
        Ok(Some(Draft {
            id: row.get(0),
            content,
            content_hash: hash,
            drafted_at: row.get(3),
            replaced: row.get(4),
            issued_ruling_id: row.get(5),
            signatures,
        }))
    }

    /// A draft by id, with its signatures.
    #[tracing::instrument(name = "urbanism.draft", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn draft(&self, draft_id: i64) -> Result<Option<Draft>, StoreError> {
        let client = self.pool().get().await?;
        self.draft_in(&**client, draft_id).await
    }

    /// Records a member's signature on a draft's content.
    #[allow(clippy::too_many_arguments)] // one signature's facts
    #[tracing::instrument(name = "urbanism.insert_signature", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_signature(
        &self,
        tx: &impl GenericClient,
        draft_id: i64,
        member_id: i32,
        national_id: &NationalId,
        seat: MemberRole,
        content_hash: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO shahr.ruling_signatures (draft_id, member_id, national_id, seat, content_hash, signed_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&draft_id, &member_id, &national_id.as_str(), &wire_name(seat), &content_hash, &by],
        )
        .await?;
        Ok(())
    }

    /// The names of a draft's signers as the legacy membership records them (for the sealed
    /// content and the dadnameh), by member id.
    #[tracing::instrument(name = "urbanism.member_names", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn member_names(
        &self,
        client: &impl GenericClient,
        member_ids: &[i32],
    ) -> Result<std::collections::HashMap<i32, String>, StoreError> {
        let rows = client
            .query(
                "SELECT id_ozv, nam_kamel FROM tbl_ozv_commission WHERE id_ozv = ANY($1)",
                &[&member_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let name: Option<String> = r.get(1);
                Some((r.get(0), shahr_domain::text::normalise(&name?)))
            })
            .collect())
    }
}
