//! Municipal districts (`tbl_mantaghe`).

use shahr_domain::text::{digits_only, normalise};
use shahr_store::StoreError;
use tokio_postgres::Row;

use crate::UrbanismDb;

/// A municipal district, cleaned from its legacy row.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// District number (1..=10 in Tabriz).
    pub number: i16,
    /// Persian name, with Persian letters and ASCII digits.
    pub name: String,
    /// Free-text description, normalised; absent in some legacy rows.
    pub description: Option<String>,
    /// Area in hectares, when the legacy row has it.
    pub area_hectares: Option<f64>,
    /// False when the district was retired in the legacy system.
    pub active: bool,
}

const COLUMNS: &str = "id_mantaghe, kod_mantaghe, onvan_mantaghe, sharh, \
                       round(masahat_hektar::numeric, 2)::float8, faal";

fn clean(db: &UrbanismDb, row: &Row) -> Option<District> {
    let key: i32 = row.get(0);
    let r = db.reader("tbl_mantaghe", key);
    let code: String = row.get(1);
    let Some(number) = digits_only(&code).and_then(|d| d.parse::<i16>().ok()) else {
        return r.skip(&format!("district code {code:?} is not a number"));
    };
    let name = match row.get::<_, Option<String>>(2) {
        Some(name) if !name.trim().is_empty() => normalise(&name),
        _ => {
            r.rejects.report("tbl_mantaghe", "onvan_mantaghe", key, "");
            format!("منطقه {number}")
        }
    };
    Some(District {
        number,
        name,
        description: row
            .get::<_, Option<String>>(3)
            .map(|d| normalise(&d))
            .filter(|d| !d.is_empty()),
        area_hectares: row.get(4),
        active: row.get::<_, String>(5).trim() != "0",
    })
}

impl UrbanismDb {
    /// All districts, ordered by number. Legacy rows that cannot be read are skipped (and logged).
    #[tracing::instrument(name = "urbanism.districts", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn districts(&self) -> Result<Vec<District>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tbl_mantaghe");
        let rows = self.rows(&sql, &[]).await?;
        let mut districts: Vec<District> = rows.iter().filter_map(|r| clean(self, r)).collect();
        districts.sort_by_key(|d| d.number);
        Ok(districts)
    }

    /// The districts with the given numbers, in one round trip; missing numbers are absent.
    ///
    /// Legacy codes may be stored in Persian digits, so the query matches both spellings.
    #[tracing::instrument(name = "urbanism.districts_by_number", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn districts_by_number(&self, numbers: &[i16]) -> Result<Vec<District>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let codes: Vec<String> = numbers
            .iter()
            .flat_map(|n| crate::sql::code_spellings(u32::try_from(*n).unwrap_or(0), 1))
            .collect();
        let sql = format!("SELECT {COLUMNS} FROM tbl_mantaghe WHERE kod_mantaghe = ANY($1)");
        let rows = self.rows(&sql, &[&codes]).await?;
        Ok(rows.iter().filter_map(|r| clean(self, r)).collect())
    }
}
