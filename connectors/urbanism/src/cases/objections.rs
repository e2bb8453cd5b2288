//! Objections to a ruling: the legacy `tbl_eteraz` row and the gateway's own record of who
//! objected, when, and whether in time.

use std::collections::HashMap;

use chrono::NaiveDate;
use shahr_domain::{actors::Actor, parties::Party, vocabulary::Objector};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use super::jalali;
use crate::{codes, UrbanismDb};

/// A recorded objection.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectionRecord {
    /// Row id.
    pub id: i64,
    /// The legacy ruling.
    pub ruling_id: i32,
    /// Who objected.
    pub party: Party,
    /// The day it was received.
    pub received_on: NaiveDate,
    /// In time?
    pub in_time: bool,
    /// The last day of the objector's window, when they had been served.
    pub last_day: Option<NaiveDate>,
}

impl UrbanismDb {
    /// Records an objection: the legacy `tbl_eteraz` row and ours with the party and the day
    /// it was received.
    #[allow(clippy::too_many_arguments)] // one objection's facts
    #[tracing::instrument(name = "urbanism.insert_objection", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_objection(
        &self,
        tx: &impl GenericClient,
        ruling_id: i32,
        case_id: i32,
        party: &Party,
        statement: &str,
        received_on: NaiveDate,
        in_time: bool,
        last_day: Option<NaiveDate>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let objector = if party.is_owner() {
            Objector::Owner
        } else {
            Objector::Municipality
        };
        let eteraz_id: i32 = tx
            .query_one(
                "INSERT INTO tbl_eteraz (id_ray, tarikh_eteraz, moteraz, sharh, dar_mohlat) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id_eteraz",
                &[
                    &ruling_id,
                    &jalali(received_on),
                    &codes::OBJECTOR.encode(objector),
                    &statement,
                    &codes::YES_NO.encode(in_time),
                ],
            )
            .await?
            .get(0);
        let row = tx
            .query_one(
                "INSERT INTO shahr.objections (legacy_ruling_id, eteraz_id, case_id, party, received_on, in_time, \
                 last_day, filed_by, role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &ruling_id,
                    &eteraz_id,
                    &case_id,
                    &party.key(),
                    &received_on,
                    &in_time,
                    &last_day,
                    &actor.subject,
                    &actor.role_name(),
                ],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Objections recorded through the gateway, per ruling, oldest first; one statement.
    #[tracing::instrument(name = "urbanism.objections_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn objections_of(
        &self,
        client: &impl GenericClient,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<ObjectionRecord>>, StoreError> {
        let rows = client
            .query(
                "SELECT id, legacy_ruling_id, party, received_on, in_time, last_day FROM shahr.objections \
                 WHERE legacy_ruling_id = ANY($1) ORDER BY legacy_ruling_id, id",
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<ObjectionRecord>> = HashMap::new();
        for r in &rows {
            let Some(party) = Party::from_key(&r.get::<_, String>(2)) else {
                continue;
            };
            let o = ObjectionRecord {
                id: r.get(0),
                ruling_id: r.get(1),
                party,
                received_on: r.get(3),
                in_time: r.get(4),
                last_day: r.get(5),
            };
            out.entry(o.ruling_id).or_default().push(o);
        }
        Ok(out)
    }

    /// True when the legacy system holds an objection in time with no row of ours (recorded
    /// before the gateway).
    #[tracing::instrument(name = "urbanism.legacy_objection_in_time", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn legacy_objection_in_time(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
    ) -> Result<bool, StoreError> {
        Ok(client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM tbl_eteraz t WHERE t.id_ray = $1 AND t.dar_mohlat = ANY($2) \
                 AND NOT EXISTS (SELECT 1 FROM shahr.objections o WHERE o.eteraz_id = t.id_eteraz))",
                &[&ruling_id, &codes::YES_NO.spellings(true)],
            )
            .await?
            .get(0))
    }
}
