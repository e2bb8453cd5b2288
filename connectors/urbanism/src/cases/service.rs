//! The parties of a document (a ruling, a hearing's summons), their legal service (with the
//! legacy `tbl_eblagh` row for rulings), and the legacy ruling's status (objections are in
//! [`super::objections`]).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shahr_domain::{
    actors::Actor,
    identifiers::NationalId,
    parties::Party,
    vocabulary::{NotificationMode, RulingKind, RulingStage, RulingStatus},
};
use shahr_store::StoreError;
use tokio_postgres::{GenericClient, Row};

pub use super::objections::ObjectionRecord;
use super::{jalali, wire_name};
use crate::{codes, UrbanismDb};

/// A document that is served on parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// A ruling (`tbl_ray.id_ray`).
    Ruling(i32),
    /// A hearing's summons (`shahr.hearings.id`).
    Summons(i64),
}

impl Document {
    fn kind(self) -> &'static str {
        match self {
            Document::Ruling(_) => "RULING",
            Document::Summons(_) => "SUMMONS",
        }
    }

    fn id(self) -> i64 {
        match self {
            Document::Ruling(id) => i64::from(id),
            Document::Summons(id) => id,
        }
    }
}

/// A party a document must be served on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRecord {
    /// The party.
    pub party: Party,
    /// The name.
    pub name: String,
    /// The legacy owner row (owners).
    pub legacy_owner_id: Option<i32>,
    /// True when no e-notice account can be addressed: served by hand.
    pub by_hand: bool,
}

/// A legal service to record.
#[derive(Debug, Clone)]
pub struct NewService {
    /// On whom.
    pub party: Party,
    /// How.
    pub mode: NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<String>,
    /// The agent (bailiff, or the e-notice system).
    pub agent: String,
    /// When it was served.
    pub served_at: DateTime<Utc>,
    /// The day of service (Asia/Tehran).
    pub served_on: NaiveDate,
    /// The e-notice delivery whose receipt this is.
    pub delivery_id: Option<i64>,
    /// Write the legacy `tbl_eblagh` row (a ruling's service on an owner); false for the
    /// municipality's receipt of a ruling in its own system.
    pub legacy_row: bool,
}

/// A recorded service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    /// Row id.
    pub id: i64,
    /// The document.
    pub document: Document,
    /// On whom.
    pub party: Party,
    /// The day of service.
    pub served_on: NaiveDate,
    /// When.
    pub served_at: DateTime<Utc>,
    /// How.
    pub mode: Option<NotificationMode>,
    /// Who received it.
    pub receiver_name: Option<String>,
    /// The agent.
    pub agent: String,
}

/// The legacy facts of a ruling the steps need.
#[derive(Debug, Clone, PartialEq)]
pub struct RulingFacts {
    /// The ruling.
    pub id: i32,
    /// The case.
    pub case_id: i32,
    /// The commission that issued it.
    pub commission_id: Option<i32>,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// Its kind, when readable.
    pub kind: Option<RulingKind>,
    /// Its date.
    pub issued_on: Option<NaiveDate>,
    /// Its number.
    pub number: String,
    /// Its fine in rials.
    pub fine_rials: i64,
    /// Its legacy status.
    pub status: Option<RulingStatus>,
}

fn service(r: &Row) -> Option<ServiceRecord> {
    let document = match r.get::<_, String>(1).as_str() {
        "RULING" => Document::Ruling(i32::try_from(r.get::<_, i64>(2)).ok()?),
        _ => Document::Summons(r.get(2)),
    };
    Some(ServiceRecord {
        id: r.get(0),
        document,
        party: Party::from_key(&r.get::<_, String>(3))?,
        served_on: r.get(4),
        served_at: r.get(5),
        mode: serde_json::from_value(serde_json::Value::String(r.get(6))).ok(),
        receiver_name: r.get(7),
        agent: r.get(8),
    })
}

impl UrbanismDb {
    /// Records the parties a document must be served on; one statement.
    #[tracing::instrument(name = "urbanism.save_parties", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn save_parties(
        &self,
        tx: &impl GenericClient,
        document: Document,
        case_id: i32,
        parties: &[PartyRecord],
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = parties.iter().map(|p| p.party.key()).collect();
        let names: Vec<String> = parties.iter().map(|p| p.name.clone()).collect();
        let owners: Vec<Option<i32>> = parties.iter().map(|p| p.legacy_owner_id).collect();
        let by_hand: Vec<bool> = parties.iter().map(|p| p.by_hand).collect();
        tx.execute(
            "INSERT INTO shahr.document_parties (document, document_id, case_id, party, name, legacy_owner_id, by_hand) \
             SELECT $1, $2, $3, k, n, o, h FROM unnest($4::text[], $5::text[], $6::int4[], $7::bool[]) AS t(k, n, o, h) \
             ON CONFLICT DO NOTHING",
            &[&document.kind(), &document.id(), &case_id, &keys, &names, &owners, &by_hand],
        )
        .await?;
        Ok(())
    }

    /// The parties of documents; one statement.
    #[tracing::instrument(name = "urbanism.parties_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parties_of(
        &self,
        client: &impl GenericClient,
        documents: &[Document],
    ) -> Result<HashMap<Document, Vec<PartyRecord>>, StoreError> {
        let kinds: Vec<&str> = documents.iter().map(|d| d.kind()).collect();
        let ids: Vec<i64> = documents.iter().map(|d| d.id()).collect();
        let rows = client
            .query(
                "SELECT p.document, p.document_id, p.party, p.name, p.legacy_owner_id, p.by_hand \
                 FROM shahr.document_parties p JOIN unnest($1::text[], $2::int8[]) AS d(k, i) \
                 ON p.document = d.k AND p.document_id = d.i ORDER BY p.document_id, p.by_hand, p.party",
                &[&kinds, &ids],
            )
            .await?;
        let mut out: HashMap<Document, Vec<PartyRecord>> = HashMap::new();
        for r in &rows {
            let Some(party) = Party::from_key(&r.get::<_, String>(2)) else {
                continue;
            };
            let id: i64 = r.get(1);
            let document = if r.get::<_, String>(0) == "RULING" {
                Document::Ruling(i32::try_from(id).unwrap_or_default())
            } else {
                Document::Summons(id)
            };
            out.entry(document).or_default().push(PartyRecord {
                party,
                name: r.get(3),
                legacy_owner_id: r.get(4),
                by_hand: r.get(5),
            });
        }
        Ok(out)
    }

    /// Parties of documents, read from the pool (for the API); one statement.
    #[tracing::instrument(name = "urbanism.parties_by_documents", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parties_by_documents(
        &self,
        documents: &[Document],
    ) -> Result<HashMap<Document, Vec<PartyRecord>>, StoreError> {
        let client = self.pool().get().await?;
        self.parties_of(&**client, documents).await
    }

    /// The legal services of documents, oldest first; one statement.
    #[tracing::instrument(name = "urbanism.services_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn services_of(
        &self,
        client: &impl GenericClient,
        documents: &[Document],
    ) -> Result<HashMap<Document, Vec<ServiceRecord>>, StoreError> {
        let kinds: Vec<&str> = documents.iter().map(|d| d.kind()).collect();
        let ids: Vec<i64> = documents.iter().map(|d| d.id()).collect();
        // A ruling's service date is the legacy row's, the urbanism system being the record.
        let rows = client
            .query(
                "SELECT s.id, s.document, s.document_id, s.party, \
                 COALESCE(shahr.jalali_to_date(e.tarikh_eblagh), s.served_on), s.served_at, s.mode, \
                 s.receiver_name, s.agent FROM shahr.services s JOIN unnest($1::text[], $2::int8[]) AS d(k, i) \
                 ON s.document = d.k AND s.document_id = d.i LEFT JOIN tbl_eblagh e ON e.id_eblagh = s.eblagh_id \
                 ORDER BY s.document_id, s.served_at, s.id",
                &[&kinds, &ids],
            )
            .await?;
        let mut out: HashMap<Document, Vec<ServiceRecord>> = HashMap::new();
        for s in rows.iter().filter_map(service) {
            out.entry(s.document).or_default().push(s);
        }
        Ok(out)
    }

    /// Services of documents, read from the pool (for the API); one statement.
    #[tracing::instrument(name = "urbanism.services_by_documents", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn services_by_documents(
        &self,
        documents: &[Document],
    ) -> Result<HashMap<Document, Vec<ServiceRecord>>, StoreError> {
        let client = self.pool().get().await?;
        self.services_of(&**client, documents).await
    }

    /// Marks an e-notice delivery delivered; false when its receipt was recorded before.
    #[tracing::instrument(name = "urbanism.claim_delivery", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn claim_delivery(
        &self,
        tx: &impl GenericClient,
        delivery_id: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let claimed = tx
            .execute(
                "UPDATE shahr.deliveries SET status = 'DELIVERED', delivered_at = $2 \
                 WHERE id = $1 AND status = 'PENDING'",
                &[&delivery_id, &at],
            )
            .await?;
        Ok(claimed == 1)
    }

    /// Records a legal service: for a ruling, the legacy `tbl_eblagh` row too. Returns the
    /// service row's id.
    #[tracing::instrument(name = "urbanism.insert_service", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_service(
        &self,
        tx: &impl GenericClient,
        document: Document,
        case_id: i32,
        new: &NewService,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let eblagh_id: Option<i32> = match document {
            Document::Ruling(ruling_id) if new.legacy_row => Some(
                tx.query_one(
                    "INSERT INTO tbl_eblagh (id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh, kod_melli_girandeh, mamur) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id_eblagh",
                    &[
                        &ruling_id,
                        &jalali(new.served_on),
                        &codes::NOTIFICATION_MODE.encode(new.mode),
                        &new.receiver_name,
                        &new.receiver_national_id,
                        &new.agent,
                    ],
                )
                .await?
                .get(0),
            ),
            Document::Ruling(_) | Document::Summons(_) => None,
        };
        let row = tx
            .query_one(
                "INSERT INTO shahr.services (document, document_id, case_id, party, served_on, served_at, mode, \
                 receiver_name, receiver_national_id, agent, eblagh_id, delivery_id, recorded_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                &[
                    &document.kind(),
                    &document.id(),
                    &case_id,
                    &new.party.key(),
                    &new.served_on,
                    &new.served_at,
                    &wire_name(new.mode),
                    &new.receiver_name,
                    &new.receiver_national_id,
                    &new.agent,
                    &eblagh_id,
                    &new.delivery_id,
                    &actor.subject,
                ],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Services of a ruling recorded in the legacy `tbl_eblagh` before the gateway served
    /// rulings (rows with no service row of ours): their days, and the receiver's national id.
    #[tracing::instrument(name = "urbanism.legacy_services", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn legacy_services(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<Vec<(NaiveDate, Option<NationalId>)>, StoreError> {
        let rows = client
            .query(
                "SELECT e.id_eblagh, e.tarikh_eblagh, e.kod_melli_girandeh FROM tbl_eblagh e \
                 WHERE e.id_ray = $1 AND NOT EXISTS (SELECT 1 FROM shahr.services s WHERE s.eblagh_id = e.id_eblagh)",
                &[&ruling_id],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let reader = self.reader("tbl_eblagh", r.get(0));
                let day = reader.date("tarikh_eblagh", r.get(1))?;
                Some((day, reader.national_id("kod_melli_girandeh", r.get(2))))
            })
            .collect())
    }

    /// The legacy facts of a ruling.
    #[tracing::instrument(name = "urbanism.ruling_facts", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn ruling_facts(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<Option<RulingFacts>, StoreError> {
        let row = client
            .query_opt(
                "SELECT id_takhalof, marhaleh_ray, tarikh_ray, shomare_ray, noe_ray, id_commission, \
                 COALESCE(mablagh_jarimeh, 0)::int8, vaziat FROM tbl_ray WHERE id_ray = $1",
                &[&ruling_id],
            )
            .await?;
        Ok(row.map(|row| {
            let r = self.reader("tbl_ray", ruling_id);
            RulingFacts {
                id: ruling_id,
                case_id: row.get(0),
                stage: r
                    .coded("marhaleh_ray", row.get(1), |c| {
                        codes::RULING_STAGE.decode(c)
                    })
                    .unwrap_or(RulingStage::Primary),
                issued_on: r.date("tarikh_ray", row.get(2)),
                number: r.text(row.get(3)).unwrap_or_default(),
                kind: r.coded("noe_ray", row.get(4), |c| codes::RULING_KIND.decode(c)),
                commission_id: row.get(5),
                fine_rials: row.get(6),
                status: r.coded("vaziat", row.get(7), |c| codes::RULING_STATUS.decode(c)),
            }
        }))
    }

    /// Writes a ruling's legacy status.
    #[tracing::instrument(name = "urbanism.set_ruling_status", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn set_ruling_status(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        status: RulingStatus,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE tbl_ray SET vaziat = $2 WHERE id_ray = $1",
            &[&ruling_id, &codes::RULING_STATUS.encode(status)],
        )
        .await?;
        Ok(())
    }

    /// Appends a state to an issued record's history (no-op for legacy rulings without one).
    #[tracing::instrument(name = "urbanism.append_ruling_state", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn append_ruling_state(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        state: &str,
        actor: &Actor,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO shahr.ruling_states (issued_ruling_id, state, actor, note) \
             SELECT id, $2, $3, $4 FROM shahr.issued_rulings WHERE legacy_ruling_id = $1",
            &[&ruling_id, &state, &actor.subject, &note],
        )
        .await?;
        Ok(())
    }

    /// Cases waiting in their objection window (or served but not yet in it) with their
    /// latest primary ruling, the latest day any party was served, and whether a party on
    /// record has not been served at all; one statement.
    /// Cases whose every party is served and whose last service was before `served_before`,
    /// after case `after`, at most `limit`, in case order (call again from the last one).
    #[tracing::instrument(name = "urbanism.waiting_for_finality", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn waiting_for_finality(
        &self,
        client: &impl GenericClient,
        served_before: NaiveDate,
        after: i32,
        limit: i64,
    ) -> Result<Vec<Waiting>, StoreError> {
        let rows = client
            .query(
                "SELECT * FROM (SELECT w.id_takhalof, w.id_ray, \
                 GREATEST((SELECT max(shahr.jalali_to_date(e.tarikh_eblagh)) FROM tbl_eblagh e WHERE e.id_ray = w.id_ray), \
                          (SELECT max(s.served_on) FROM shahr.services s WHERE s.document = 'RULING' AND s.document_id = w.id_ray)), \
                 EXISTS (SELECT 1 FROM shahr.document_parties p WHERE p.document = 'RULING' AND p.document_id = w.id_ray \
                         AND NOT EXISTS (SELECT 1 FROM shahr.services s WHERE s.document = 'RULING' \
                                         AND s.document_id = w.id_ray AND s.party = p.party)) \
                 FROM (SELECT DISTINCT ON (c.id_takhalof) c.id_takhalof, r.id_ray FROM tbl_parvandeh_takhalof c \
                       JOIN tbl_ray r ON r.id_takhalof = c.id_takhalof AND r.marhaleh_ray = ANY($2) AND NOT (r.noe_ray = ANY($3)) \
                       WHERE c.marhaleh = ANY($1) AND c.id_takhalof > $5 ORDER BY c.id_takhalof, r.id_ray DESC) w) d (case_id, ruling_id, last_served, unserved) \
                 WHERE NOT d.unserved AND d.last_served < $4 ORDER BY d.case_id LIMIT $6",
                &[
                    &codes::CASE_STATUS.spellings_of(&[
                        shahr_domain::vocabulary::CaseStatus::Notified,
                        shahr_domain::vocabulary::CaseStatus::ObjectionWindow,
                    ]),
                    &codes::RULING_STAGE.spellings(RulingStage::Primary),
                    &codes::RULING_KIND.spellings(RulingKind::InterimOrder),
                    &served_before,
                    &after,
                    &limit,
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Waiting {
                case_id: r.get(0),
                ruling_id: r.get(1),
                last_served: r.get(2),
                unserved: r.get(3),
            })
            .collect())
    }
}

/// A case waiting for its ruling to become final.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// The case.
    pub case_id: i32,
    /// Its latest primary ruling.
    pub ruling_id: i32,
    /// The latest day any party was served.
    pub last_served: Option<NaiveDate>,
    /// True when a party on record has not been served.
    pub unserved: bool,
}
