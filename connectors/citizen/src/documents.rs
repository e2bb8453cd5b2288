//! Uploaded files and the documents attached to requests.

use super::*;

impl CitizenDb {
    /// Bytes `subject` has uploaded and not yet attached to a request (their quota's use).
    #[tracing::instrument(name = "citizen.pending_upload_bytes", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn pending_upload_bytes(&self, subject: &str) -> Result<i64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one(
                "SELECT COALESCE(sum(u.size_bytes), 0)::int8 FROM shahr.uploads u \
                 WHERE u.owner_subject = $1 \
                   AND NOT EXISTS (SELECT 1 FROM shahr.request_documents d WHERE d.upload_id = u.id)",
                &[&subject],
            )
            .await?
            .get(0))
    }

    /// Forgets uploads never attached to a request and older than `ttl`, at most `limit`;
    /// returns their storage keys so their bytes can go too.
    #[tracing::instrument(name = "citizen.expire_uploads", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn expire_uploads(
        &self,
        ttl: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let client = self.pool.get().await?;
        let seconds = ttl.as_secs_f64();
        let rows = client
            .query(
                "DELETE FROM shahr.uploads WHERE id IN ( \
                   SELECT u.id FROM shahr.uploads u \
                   WHERE u.created_at < now() - make_interval(secs => $1) \
                     AND NOT EXISTS (SELECT 1 FROM shahr.request_documents d WHERE d.upload_id = u.id) \
                   ORDER BY u.created_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 RETURNING storage_key",
                &[&seconds, &limit],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Records an upload's metadata (its bytes are already in the blob store).
    #[tracing::instrument(name = "citizen.record_upload", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn record_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO shahr.uploads (id, owner_subject, file_name, content_type, size_bytes, sha256, storage_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &upload.id,
                    &upload.owner_subject,
                    &upload.file_name,
                    &upload.content_type,
                    &upload.size_bytes,
                    &upload.sha256,
                    &upload.id.to_string(),
                ],
            )
            .await?;
        Ok(())
    }

    /// Attaches an upload of the actor to a request as one of its service's documents,
    /// checking the document's size and type limits; history, outbox and audit in the same
    /// transaction.
    #[tracing::instrument(name = "citizen.attach_document", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn attach_document(
        &self,
        tracking_code: &str,
        upload_id: uuid::Uuid,
        document_code: &str,
        actor: &Actor,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, AttachError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        let request = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(AttachError::NotFound)?;
        shahr_domain::requests::ensure_open(request.state, "take documents")?;
        let upload = tx
            .query_opt(
                "SELECT id, owner_subject, file_name, content_type, size_bytes, sha256 FROM shahr.uploads \
                 WHERE id = $1 AND owner_subject = $2",
                &[&upload_id, &actor.subject],
            )
            .await
            .map_err(StoreError::from)?
            .map(|r| Upload {
                id: r.get(0),
                owner_subject: r.get(1),
                file_name: r.get(2),
                content_type: r.get(3),
                size_bytes: r.get(4),
                sha256: r.get(5),
            })
            .ok_or(AttachError::UploadNotFound)?;
        let service = services_in(&*tx, std::slice::from_ref(&request.service_code))
            .await?
            .into_iter()
            .next()
            .ok_or(AttachError::NotFound)?;
        let spec = service
            .required_documents
            .iter()
            .find(|d| d.code == document_code)
            .ok_or_else(|| AttachError::UnknownDocument(document_code.to_owned()))?;
        if upload.size_bytes > spec.max_bytes {
            return Err(AttachError::TooLarge(spec.max_bytes));
        }
        if !spec.content_types.iter().any(|t| t == &upload.content_type) {
            return Err(AttachError::WrongType(spec.content_types.join(", ")));
        }
        tx.execute(
            "INSERT INTO shahr.request_documents (request_id, upload_id, document_code) VALUES ($1, $2, $3) \
             ON CONFLICT (request_id, upload_id) DO NOTHING",
            &[&request.id, &upload.id, &document_code],
        )
        .await
        .map_err(StoreError::from)?;
        let comment = format!("document {document_code} attached");
        self.record_change(
            &tx,
            &request,
            &request,
            actor,
            Some(&comment),
            "attachDocument",
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(request)
    }

    /// Documents of each request, in attachment order; one statement.
    #[tracing::instrument(name = "citizen.documents_by_request", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn documents_by_request(
        &self,
        request_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<AttachedDocument>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT d.request_id, d.document_code, d.attached_at, u.id, u.owner_subject, u.file_name, \
                 u.content_type, u.size_bytes, u.sha256 FROM shahr.request_documents d \
                 JOIN shahr.uploads u ON u.id = d.upload_id WHERE d.request_id = ANY($1) ORDER BY d.request_id, d.id",
                &[&request_ids],
            )
            .await?;
        let mut out: HashMap<i64, Vec<AttachedDocument>> = HashMap::new();
        for row in &rows {
            out.entry(row.get(0)).or_default().push(AttachedDocument {
                document_code: row.get(1),
                attached_at: row.get(2),
                upload: Upload {
                    id: row.get(3),
                    owner_subject: row.get(4),
                    file_name: row.get(5),
                    content_type: row.get(6),
                    size_bytes: row.get(7),
                    sha256: row.get(8),
                },
            });
        }
        Ok(out)
    }
}
