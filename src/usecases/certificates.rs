//! Note 8 certificates: a completion or no-violation certificate is checked and issued in
//! one transaction under the parcel's lock, so nothing the gateway writes can slip between
//! the check and the issue. One certificate per citizen request: a retried issue returns it.

use shahr_domain::{
    actors::Actor,
    certificates::{blockers, Blocker, CaseFacts},
    enforcement::nothing_to_enforce,
    events::{CertificateIssued, DomainEvent},
    jalali::JalaliDate,
    money::Rials,
    vocabulary::{CaseStatus, CertificateKind, ItemOutcome},
};
use shahr_store::outbox;
use shahr_urbanism::cases::certificates::CertificateRecord;
use tokio_postgres::GenericClient;

use super::{enforcement::standings, steps::audit_entry, today, Article100, State, UseCaseError};

/// The parcel's standing under Note 8, named by its first blocker.
fn parcel_state(against: &[Blocker]) -> State {
    State::Parcel(match against.first() {
        Some(Blocker::UnpaidFines(_)) => "FINES_UNPAID",
        Some(Blocker::DemolitionPending { .. }) => "DEMOLITION_PENDING",
        Some(Blocker::OpenCase { .. }) | None => "OPEN_CASE",
    })
}

impl Article100 {
    /// What stands against a certificate for the parcel now (Note 8), read in the caller's
    /// transaction.
    pub(crate) async fn certificate_blockers_in(
        &self,
        client: &impl GenericClient,
        parcel_id: i32,
    ) -> Result<Vec<Blocker>, UseCaseError> {
        let cases = self.db.cases_of_parcels(client, &[parcel_id]).await?;
        let ledgers = self.db.rulings_of_parcels(client, &[parcel_id]).await?;
        let standing = standings(&ledgers);
        let operative: Vec<_> = standing.values().filter(|s| !s.superseded).collect();
        let facts: Vec<CaseFacts> = cases
            .iter()
            .map(|c| {
                let resolved = ledgers
                    .iter()
                    .filter(|l| l.facts.case_id == c.case_id)
                    .filter_map(|l| standing.get(&l.facts.id))
                    .any(|s| !s.superseded && s.is_final && nothing_to_enforce(s));
                CaseFacts {
                    case_id: c.case_id,
                    // A state that cannot be read counts as open.
                    status: c.status.unwrap_or(CaseStatus::Detected),
                    resolved_without_enforcement: resolved,
                }
            })
            .collect();
        let unpaid = Rials::sum(
            operative
                .iter()
                .filter(|s| s.is_final)
                .map(|s| s.outstanding()),
        )
        .unwrap_or(Rials::new(i64::MAX).unwrap_or_default());
        let pending: Vec<i32> = operative
            .iter()
            .filter(|s| s.is_final && s.outcomes.contains(&ItemOutcome::Demolition))
            .filter(|s| {
                !s.done
                    .iter()
                    .any(|d| d.carries_out() == ItemOutcome::Demolition)
            })
            .map(|s| s.ruling_id)
            .collect();
        Ok(blockers(&facts, unpaid, &pending))
    }

    /// What stands against a certificate for the parcel now.
    pub async fn certificate_blockers(&self, parcel_id: i32) -> Result<Vec<Blocker>, UseCaseError> {
        let client = self.db.pool().get().await?;
        self.certificate_blockers_in(&**client, parcel_id).await
    }

    /// Issues the certificate a citizen request asked for, checking Note 8 under the
    /// parcel's lock; the request's tracking code makes it idempotent.
    pub async fn issue_certificate(
        &self,
        actor: &Actor,
        parcel_id: i32,
        district: i16,
        kind: CertificateKind,
        tracking_code: &str,
    ) -> Result<CertificateRecord, UseCaseError> {
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if !self.db.lock_parcel(&*tx, parcel_id).await? {
            return Err(UseCaseError::NotFound);
        }
        if let Some(done) = self.db.certificate_for_request(&*tx, tracking_code).await? {
            return Ok(done);
        }
        let against = self.certificate_blockers_in(&*tx, parcel_id).await?;
        if !against.is_empty() {
            return Err(UseCaseError::Conflict {
                message: format!(
                    "the certificate cannot be issued (Note 8): {}",
                    against
                        .iter()
                        .map(Blocker::describe)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                message_fa: Some(format!(
                    "صدور گواهی ممکن نیست (تبصره ۸): {}",
                    against
                        .iter()
                        .map(Blocker::describe_fa)
                        .collect::<Vec<_>>()
                        .join("؛ ")
                )),
                current: parcel_state(&against),
            });
        }
        let today = today();
        let year = JalaliDate::from_gregorian(today).year();
        let seq = self
            .db
            .next_number(&*tx, "certificate", district, year)
            .await?;
        let prefix = match kind {
            CertificateKind::Completion => "PK",
            CertificateKind::NoViolation => "AK",
        };
        let number = format!("{prefix}-{district}-{year}-{seq:05}");
        let record = self
            .db
            .insert_certificate(&*tx, parcel_id, kind, &number, today, tracking_code, actor)
            .await?;
        let issued = CertificateIssued {
            parcel_id,
            district,
            kind,
            number,
            tracking_code: Some(tracking_code.to_owned()),
        };
        let detail = serde_json::to_value(&issued).unwrap_or_default();
        outbox::enqueue(&*tx, &DomainEvent::CertificateIssued(issued)).await?;
        audit_entry(
            &*tx,
            actor,
            "issueCertificate",
            vec![format!("parcel:{parcel_id}")],
            "ok",
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }
}
