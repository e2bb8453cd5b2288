//! Trusted documents: the operations each client app registered ahead of time, by the
//! SHA-256 of their text.

use shahr_store::StoreError;

use crate::CitizenDb;

/// A registered operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDocument {
    /// Lower-case hex SHA-256 of `document`.
    pub hash: String,
    /// The operation's text.
    pub document: String,
    /// Its operation name, when the manifest gives one.
    pub operation_name: Option<String>,
}

impl CitizenDb {
    /// Adds a client's documents (those already there stay); returns how many were new.
    #[tracing::instrument(name = "citizen.add_trusted_documents", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn add_trusted_documents(
        &self,
        client: &str,
        documents: &[TrustedDocument],
    ) -> Result<u64, StoreError> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let mut added = 0;
        for d in documents {
            added += tx
                .execute(
                    "INSERT INTO shahr.trusted_documents (client, hash, document, operation_name) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&client, &d.hash, &d.document, &d.operation_name],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The document a client registered under `hash`.
    #[tracing::instrument(name = "citizen.trusted_document", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn trusted_document(
        &self,
        client: &str,
        hash: &str,
    ) -> Result<Option<String>, StoreError> {
        let conn = self.pool.get().await?;
        Ok(conn
            .query_opt(
                "SELECT document FROM shahr.trusted_documents WHERE client = $1 AND hash = $2",
                &[&client, &hash],
            )
            .await?
            .map(|r| r.get(0)))
    }

    /// Each client and how many documents it registered.
    #[tracing::instrument(name = "citizen.trusted_document_clients", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn trusted_document_clients(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.pool.get().await?;
        Ok(conn
            .query(
                "SELECT client, count(*) FROM shahr.trusted_documents GROUP BY client ORDER BY client",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }
}
