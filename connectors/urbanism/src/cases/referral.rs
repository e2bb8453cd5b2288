//! Referral to the secretariat: the expert's violation items, the transaction and goodwill
//! values of the case's year and block, numbering, and the fine brief on record.

use std::collections::HashMap;

use serde_json::Value;
use shahr_domain::{
    money::Rials,
    quantities::Area,
    vocabulary::{LandUse, ViolationNote},
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use crate::{codes, records::ViolationItem, rulings::ITEMS_BY_CASE, sql::spellings, UrbanismDb};

/// A violation item the expert listed.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Floor, as written.
    pub floor: Option<String>,
    /// The note of Article 100.
    pub note: ViolationNote,
    /// Permitted area (none: built without a permit).
    pub permitted_area: Option<Area>,
    /// Built area.
    pub built_area: Option<Area>,
    /// Permitted use.
    pub permitted_use: Option<LandUse>,
    /// Actual use.
    pub actual_use: Option<LandUse>,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: Option<i16>,
}

/// One line of the fine brief: the fine range of an item as the referral computed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BriefLine {
    /// The item (`tbl_aqlam_takhalof.id_qalam`).
    pub item_id: i32,
    /// The note.
    pub note: Option<ViolationNote>,
    /// Lowest fine in rials (the range's lowest coefficient), when computable.
    pub min_rials: Option<i64>,
    /// Highest fine in rials, when computable.
    pub max_rials: Option<i64>,
    /// The arithmetic of the range, or why there is no fine (Note 6, a missing value).
    pub explanation: String,
}

fn hundredths(a: Option<Area>) -> Option<i64> {
    a.and_then(|a| i64::try_from(a.hundredths()).ok())
}

impl UrbanismDb {
    /// Adds items to a case; one statement for all of them.
    #[tracing::instrument(name = "urbanism.add_items", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn add_items(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        items: &[NewItem],
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let floors: Vec<Option<String>> = items.iter().map(|i| i.floor.clone()).collect();
        let notes: Vec<i16> = items
            .iter()
            .map(|i| i16::try_from(codes::VIOLATION_NOTE.code(i.note)).unwrap_or_default())
            .collect();
        let permitted: Vec<Option<i64>> =
            items.iter().map(|i| hundredths(i.permitted_area)).collect();
        let built: Vec<Option<i64>> = items.iter().map(|i| hundredths(i.built_area)).collect();
        let land = |u: Option<LandUse>| u.map(|u| codes::LAND_USE.encode(u));
        let permitted_use: Vec<Option<String>> =
            items.iter().map(|i| land(i.permitted_use)).collect();
        let actual_use: Vec<Option<String>> = items.iter().map(|i| land(i.actual_use)).collect();
        let parking: Vec<Option<i16>> = items.iter().map(|i| i.parking_spaces).collect();
        tx.execute(
            "INSERT INTO tbl_aqlam_takhalof (id_takhalof, tabaghe, band_tabsare, masahat_mojaz, masahat_ejra, \
             karbari_mojaz, karbari_feli, tedad_parking) \
             SELECT $1, f, n, p::numeric / 100, b::numeric / 100, pu, au, k \
             FROM unnest($2::text[], $3::int2[], $4::int8[], $5::int8[], $6::text[], $7::text[], $8::int2[]) \
             WITH ORDINALITY AS t(f, n, p, b, pu, au, k, ord) ORDER BY ord",
            &[&case_id, &floors, &notes, &permitted, &built, &permitted_use, &actual_use, &parking],
        )
        .await?;
        Ok(())
    }

    /// The items of a case, read in the caller's transaction.
    #[tracing::instrument(name = "urbanism.items_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn items_in(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<Vec<ViolationItem>, StoreError> {
        let rows = client.query(ITEMS_BY_CASE, &[&vec![case_id]]).await?;
        Ok(rows.iter().map(|r| self.item(r)).collect())
    }

    /// The transaction value and the goodwill value (rials per m²) of a Jalali year, district
    /// and block, in the legacy tables' spellings.
    #[tracing::instrument(name = "urbanism.values_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn values_in(
        &self,
        client: &impl GenericClient,
        year: i32,
        district: i16,
        block: u32,
    ) -> Result<(Option<Rials>, Option<Rials>), StoreError> {
        let row = client
            .query_one(
                "SELECT (SELECT max(arzesh_riyal)::int8 FROM tbl_arzesh_moamelati \
                         WHERE sal = ANY($1) AND kod_mantaghe = ANY($2) AND kod_block = ANY($3)), \
                        (SELECT max(arzesh_riyal)::int8 FROM tbl_arzesh_sarqofli \
                         WHERE sal = ANY($1) AND kod_mantaghe = ANY($2) AND kod_block = ANY($3))",
                &[
                    &spellings(&year.to_string()),
                    &spellings(&district.to_string()),
                    &spellings(&block.to_string()),
                ],
            )
            .await?;
        let money = |v: Option<i64>| {
            v.and_then(|v| Rials::new(v).ok())
                .filter(|v| *v > Rials::ZERO)
        };
        Ok((money(row.get(0)), money(row.get(1))))
    }

    /// The next number of `scope` in a district and Jalali year.
    #[tracing::instrument(name = "urbanism.next_number", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn next_number(
        &self,
        tx: &impl GenericClient,
        scope: &str,
        district: i16,
        year: i32,
    ) -> Result<i64, StoreError> {
        let row = tx
            .query_one(
                "INSERT INTO shahr.number_sequences (scope, district, year, last) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (scope, district, year) DO UPDATE SET last = shahr.number_sequences.last + 1 \
                 RETURNING last",
                &[&scope, &district, &year],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Records the referral: the secretariat number on the legacy row and the fine brief.
    #[tracing::instrument(name = "urbanism.save_referral", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn save_referral(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        number: &str,
        brief: &[BriefLine],
        by: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET shomare_dabirkhaneh = $2 WHERE id_takhalof = $1",
            &[&case_id, &number],
        )
        .await?;
        let brief = serde_json::to_value(brief).unwrap_or(Value::Null);
        tx.execute(
            "INSERT INTO shahr.case_referrals (case_id, secretariat_number, fine_brief, referred_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET secretariat_number = $2, \
             fine_brief = $3, referred_by = $4, referred_at = now()",
            &[&case_id, &number, &brief, &by],
        )
        .await?;
        Ok(())
    }

    /// The fine brief recorded at referral, per case; one statement.
    #[tracing::instrument(name = "urbanism.fine_briefs", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn fine_briefs(
        &self,
        case_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<BriefLine>>, StoreError> {
        let rows = self
            .rows(
                "SELECT case_id, fine_brief FROM shahr.case_referrals WHERE case_id = ANY($1)",
                &[&case_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let lines: Vec<BriefLine> =
                    serde_json::from_value(r.get::<_, Value>(1)).unwrap_or_default();
                (r.get::<_, i32>(0), lines)
            })
            .collect())
    }
}
