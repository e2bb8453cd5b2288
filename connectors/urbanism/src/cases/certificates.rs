//! Completion and no-violation certificates: the legacy `tbl_govahi` row and ours, and the
//! parcel lock under which a certificate is checked and issued.

use chrono::{DateTime, NaiveDate, Utc};
use shahr_domain::{actors::Actor, vocabulary::CertificateKind};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use super::{jalali, wire_name};
use crate::{codes, UrbanismDb};

/// A certificate issued through the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRecord {
    /// The legacy row.
    pub govahi_id: i32,
    /// The parcel.
    pub parcel_id: i32,
    /// Completion or no-violation.
    pub kind: CertificateKind,
    /// Its number.
    pub number: String,
    /// The citizen request it answers.
    pub request_tracking_code: String,
    /// When.
    pub issued_at: DateTime<Utc>,
}

impl UrbanismDb {
    /// Locks a parcel's legacy row for the rest of the caller's transaction; false when there
    /// is none.
    #[tracing::instrument(name = "urbanism.lock_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn lock_parcel(
        &self,
        tx: &impl GenericClient,
        parcel_id: i32,
    ) -> Result<bool, StoreError> {
        Ok(tx
            .query_opt(
                "SELECT 1 FROM tbl_parvandeh WHERE id_parvandeh = $1 FOR UPDATE",
                &[&parcel_id],
            )
            .await?
            .is_some())
    }

    /// The certificate issued for a citizen request, if any.
    #[tracing::instrument(name = "urbanism.certificate_for_request", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn certificate_for_request(
        &self,
        client: &impl GenericClient,
        tracking_code: &str,
    ) -> Result<Option<CertificateRecord>, StoreError> {
        let row = client
            .query_opt(
                "SELECT govahi_id, parcel_id, kind, number, request_tracking_code, issued_at FROM shahr.certificates \
                 WHERE request_tracking_code = $1",
                &[&tracking_code],
            )
            .await?;
        Ok(row.map(|r| CertificateRecord {
            govahi_id: r.get(0),
            parcel_id: r.get(1),
            kind: serde_json::from_value(serde_json::Value::String(r.get(2)))
                .unwrap_or(CertificateKind::NoViolation),
            number: r.get(3),
            request_tracking_code: r.get(4),
            issued_at: r.get(5),
        }))
    }

    /// Issues a certificate: the legacy row and ours.
    #[allow(clippy::too_many_arguments)] // one certificate's facts
    #[tracing::instrument(name = "urbanism.insert_certificate", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_certificate(
        &self,
        tx: &impl GenericClient,
        parcel_id: i32,
        kind: CertificateKind,
        number: &str,
        issued_on: NaiveDate,
        tracking_code: &str,
        actor: &Actor,
    ) -> Result<CertificateRecord, StoreError> {
        let govahi_id: i32 = tx
            .query_one(
                "INSERT INTO tbl_govahi (id_parvandeh, noe_govahi, shomare, tarikh_sodur) VALUES ($1, $2, $3, $4) \
                 RETURNING id_govahi",
                &[&parcel_id, &codes::CERTIFICATE_KIND.encode(kind), &number, &jalali(issued_on)],
            )
            .await?
            .get(0);
        let row = tx
            .query_one(
                "INSERT INTO shahr.certificates (govahi_id, parcel_id, kind, number, request_tracking_code, issued_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING issued_at",
                &[&govahi_id, &parcel_id, &wire_name(kind), &number, &tracking_code, &actor.subject],
            )
            .await?;
        Ok(CertificateRecord {
            govahi_id,
            parcel_id,
            kind,
            number: number.to_owned(),
            request_tracking_code: tracking_code.to_owned(),
            issued_at: row.get(0),
        })
    }
}
