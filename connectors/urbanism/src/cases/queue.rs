//! The secretariat's work list: parties that no e-notice account reaches and that have not
//! been served yet, on the current summons of the commission's cases and on its rulings.

use shahr_domain::parties::Party;
use shahr_store::StoreError;

use super::service::{Document, PartyRecord};
use crate::{Page, PageRequest, UrbanismDb};

/// A party still to be served by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingService {
    /// Position in the list, for paging (`after`).
    pub id: i32,
    /// What is to be served: a ruling, or the summons of the case's current hearing.
    pub document: Document,
    /// The case.
    pub case_id: i32,
    /// The party.
    pub party: PartyRecord,
}

/// The conditions of the work list (commission `$1`), shared by the page and its count.
const PENDING: &str = "FROM shahr.document_parties p \
     LEFT JOIN shahr.hearings h ON p.document = 'SUMMONS' AND h.id = p.document_id \
     LEFT JOIN tbl_ray r ON p.document = 'RULING' AND r.id_ray = p.document_id \
     WHERE p.by_hand \
       AND ((p.document = 'SUMMONS' AND h.commission_id = $1 \
             AND h.id = (SELECT max(l.id) FROM shahr.hearings l WHERE l.case_id = h.case_id)) \
         OR (p.document = 'RULING' AND r.id_commission = $1)) \
       AND NOT EXISTS (SELECT 1 FROM shahr.services s WHERE s.document = p.document \
                       AND s.document_id = p.document_id AND s.party = p.party)";

impl UrbanismDb {
    /// Parties of commission `commission_id`'s documents to serve by hand, oldest first:
    /// every party without an e-notice account that has no service recorded, on the summons
    /// of each case's latest hearing before that commission and on every ruling it issued
    /// (an appeal ruling, final when issued, is still served). One statement.
    #[tracing::instrument(name = "urbanism.awaiting_service_by_hand", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn awaiting_service_by_hand(
        &self,
        commission_id: i32,
        page: PageRequest,
    ) -> Result<Page<PendingService>, StoreError> {
        let mut q = crate::sql::Query::new(&format!(
            "SELECT p.id, p.document, p.document_id, p.case_id, p.party, p.name, \
             p.legacy_owner_id {PENDING}"
        ));
        q.bind(commission_id); // $1 of PENDING
        let tail = page.sql("p.id", false, |v| q.bind(v));
        q.push(&tail);
        let rows = self.run(&q).await?;
        Ok(page.page_of(rows, |r| {
            let party = Party::from_key(&r.get::<_, String>(4))?;
            let id: i64 = r.get(2);
            let document = if r.get::<_, String>(1) == "RULING" {
                Document::Ruling(i32::try_from(id).ok()?)
            } else {
                Document::Summons(id)
            };
            Some(PendingService {
                id: r.get(0),
                document,
                case_id: r.get(3),
                party: PartyRecord {
                    party,
                    name: r.get(5),
                    legacy_owner_id: r.get(6),
                    by_hand: true,
                },
            })
        }))
    }

    /// How many parties commission `commission_id` still has to serve by hand.
    #[tracing::instrument(name = "urbanism.awaiting_service_by_hand_count", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn awaiting_service_by_hand_count(
        &self,
        commission_id: i32,
    ) -> Result<i64, StoreError> {
        let client = self.pool().get().await?;
        Ok(client
            .query_one(&format!("SELECT count(*) {PENDING}"), &[&commission_id])
            .await?
            .get(0))
    }
}
