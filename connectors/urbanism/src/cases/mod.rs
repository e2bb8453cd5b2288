//! The SQL of a case's way through the commission, one module per concern. Every function
//! takes the caller's transaction (or client): the use cases own the transaction, decide with
//! the domain's rules, and call these to read and write the legacy rows and ours. Nothing
//! here decides a rule.

pub mod certificates;
pub mod drafts;
pub mod enforcement;
pub mod hearings;
pub mod holidays;
pub mod issue;
pub mod objections;
pub mod queue;
pub mod referral;
pub mod service;
pub mod sittings;

use chrono::NaiveDate;
use serde_json::Value;
use shahr_domain::{
    actors::Actor,
    identifiers::{LegalId, Mobile, NationalId, RenovationCode},
    parties::{owner_parties, OwnerParty, OwnerRecord},
    vocabulary::CaseStatus,
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use crate::{codes, records::ViolationCase, rulings::CASE_COLUMNS, UrbanismDb};

/// A case locked for a step (`FOR UPDATE` on its legacy row), with what the rules need about
/// its parcel.
#[derive(Debug, Clone)]
pub struct LockedCase {
    /// The case as the legacy row says now.
    pub case: ViolationCase,
    /// The parcel's district.
    pub district: Option<i16>,
    /// The parcel's block (transaction-value tables are per block).
    pub block: Option<u32>,
    /// Every owner of the parcel as a party (none skipped: unreadable ids are served by hand).
    pub owners: Vec<OwnerParty>,
}

impl LockedCase {
    /// National ids of the owners who are natural persons (who may act as owners).
    pub fn owner_national_ids(&self) -> Vec<NationalId> {
        self.owners
            .iter()
            .filter_map(|o| match &o.party {
                shahr_domain::parties::Party::Natural(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
}

impl UrbanismDb {
    /// Locks a case's legacy row for the rest of the caller's transaction. `None` when there
    /// is no such case; an error when its state code cannot be read.
    #[tracing::instrument(name = "urbanism.lock_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn lock_case(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
    ) -> Result<Option<LockedCase>, StoreError> {
        let Some(row) = tx
            .query_opt(
                &format!(
                    "SELECT {CASE_COLUMNS}, p.kod_mantaghe, p.kod_nosazi FROM tbl_parvandeh_takhalof c \
                     JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh \
                     WHERE c.id_takhalof = $1 FOR UPDATE OF c"
                ),
                &[&case_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let case = self.case(&row).ok_or_else(|| {
            StoreError::Data(format!(
                "case {case_id}: its state code cannot be read; fix it in the urbanism system"
            ))
        })?;
        let reader = self.reader("tbl_parvandeh", case.parcel_id);
        let district = reader.district("kod_mantaghe", row.get(9));
        let block = row
            .get::<_, Option<String>>(10)
            .and_then(|c| RenovationCode::parse(&c).ok())
            .map(|c| c.block());
        let owners = owner_parties(&self.owners_of(tx, case.parcel_id).await?);
        Ok(Some(LockedCase {
            case,
            district,
            block,
            owners,
        }))
    }

    /// The owners of a parcel as the urbanism system holds them, identifiers read as far as
    /// they can be (unreadable ones reported), in the legacy order.
    #[tracing::instrument(name = "urbanism.owners_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn owners_of(
        &self,
        client: &impl GenericClient,
        parcel_id: i32,
    ) -> Result<Vec<OwnerRecord>, StoreError> {
        let rows = client
            .query(
                "SELECT m.id_malek, m.noe_shakhs, m.nam, m.nam_khanevadegi, m.nam_sherkat, m.kod_melli, \
                 m.shenaseh_melli, m.mobile FROM tbl_malekiat k JOIN tbl_malek m ON m.id_malek = k.id_malek \
                 WHERE k.id_parvandeh = $1 ORDER BY m.id_malek",
                &[&parcel_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: i32 = r.get(0);
                let reader = self.reader("tbl_malek", id);
                let person = [r.get::<_, Option<String>>(2), r.get::<_, Option<String>>(3)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let name = if person.trim().is_empty() {
                    r.get::<_, Option<String>>(4).unwrap_or_default()
                } else {
                    person
                };
                OwnerRecord {
                    legacy_id: id,
                    kind: reader.coded("noe_shakhs", r.get(1), |c| codes::OWNER_KIND.decode(c)),
                    national_id: reader.national_id("kod_melli", r.get(5)),
                    legal_id: reader.legal_id("shenaseh_melli", r.get(6)),
                    name: shahr_domain::text::normalise(name.trim()),
                    mobile: reader.mobile("mobile", r.get(7)),
                }
            })
            .collect())
    }

    /// Writes a case's new state to its legacy row.
    #[tracing::instrument(name = "urbanism.set_case_status", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn set_case_status(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        status: CaseStatus,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET marhaleh = $2 WHERE id_takhalof = $1",
            &[&case_id, &codes::CASE_STATUS.encode(status)],
        )
        .await?;
        Ok(())
    }

    /// Records a lifecycle step in `shahr.case_events`.
    #[allow(clippy::too_many_arguments)] // one row's columns
    #[tracing::instrument(name = "urbanism.record_case_event", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn record_case_event(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        event: &str,
        from: CaseStatus,
        to: CaseStatus,
        actor: &Actor,
        detail: &impl serde::Serialize,
    ) -> Result<(), StoreError> {
        let detail = serde_json::to_value(detail).unwrap_or(Value::Null);
        tx.execute(
            "INSERT INTO shahr.case_events (case_id, event, from_status, to_status, actor, role, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &case_id,
                &event,
                &wire_name(from),
                &wire_name(to),
                &actor.subject,
                &actor.role_name(),
                &detail,
            ],
        )
        .await?;
        Ok(())
    }

    /// Sets the commission and session date on the legacy case row.
    #[tracing::instrument(name = "urbanism.assign_commission", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn assign_commission(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        commission_id: i32,
        session_on: NaiveDate,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET id_commission = $2, tarikh_jalaseh = $3 WHERE id_takhalof = $1",
            &[&case_id, &commission_id, &jalali(session_on)],
        )
        .await?;
        Ok(())
    }

    /// The mobile of a natural person on record (for SMS alerts), when readable.
    #[tracing::instrument(name = "urbanism.mobile_of_party", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn mobile_of_party(
        &self,
        client: &impl GenericClient,
        national_id: Option<&NationalId>,
        legal_id: Option<&LegalId>,
    ) -> Result<Option<Mobile>, StoreError> {
        let (column, value) = match (national_id, legal_id) {
            (Some(n), _) => ("kod_melli", n.as_str().to_owned()),
            (None, Some(l)) => ("shenaseh_melli", l.as_str().to_owned()),
            (None, None) => return Ok(None),
        };
        let rows = client
            .query(
                &format!("SELECT id_malek, mobile FROM tbl_malek WHERE {column} = ANY($1) ORDER BY id_malek"),
                &[&crate::sql::spellings(&value)],
            )
            .await?;
        Ok(rows.iter().find_map(|r| {
            self.reader("tbl_malek", r.get(0))
                .mobile("mobile", r.get(1))
        }))
    }
}

/// A vocabulary value as the API and our tables spell it (`IN_SESSION`, `JUDGE`, `PRIMARY`).
pub fn wire_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A Jalali date as the legacy tables write it (`1405/09/07`).
pub fn jalali(date: NaiveDate) -> String {
    shahr_domain::jalali::JalaliDate::from_gregorian(date).to_string()
}
