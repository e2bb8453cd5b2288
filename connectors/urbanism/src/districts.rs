//! Municipal districts (`tbl_mantaghe`).
//!
//! Districts are reference data that change a few times a decade, and almost every screen
//! names one: the cleaned list is read once and served from memory for
//! [`DISTRICTS_FRESH`], then read again.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

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

/// How long the district list read from the database is served from memory.
pub const DISTRICTS_FRESH: Duration = Duration::from_secs(60);

/// The district list last read, and when.
#[derive(Debug, Default)]
pub(crate) struct DistrictCache(Mutex<Option<(Instant, Arc<Vec<District>>)>>);

impl DistrictCache {
    fn fresh(&self) -> Option<Arc<Vec<District>>> {
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.as_ref()
            .filter(|(read_at, _)| read_at.elapsed() < DISTRICTS_FRESH)
            .map(|(_, list)| list.clone())
    }

    fn keep(&self, list: Arc<Vec<District>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), list));
    }
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
    /// All districts, ordered by number. Legacy rows that cannot be read are skipped (and
    /// logged). Served from memory for [`DISTRICTS_FRESH`] after each read.
    pub async fn districts(&self) -> Result<Vec<District>, StoreError> {
        Ok(self.district_list().await?.to_vec())
    }

    /// The districts with the given numbers; missing numbers are absent.
    pub async fn districts_by_number(&self, numbers: &[i16]) -> Result<Vec<District>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let list = self.district_list().await?;
        Ok(list
            .iter()
            .filter(|d| numbers.contains(&d.number))
            .cloned()
            .collect())
    }

    async fn district_list(&self) -> Result<Arc<Vec<District>>, StoreError> {
        if let Some(list) = self.districts.fresh() {
            return Ok(list);
        }
        let list = Arc::new(self.read_districts().await?);
        self.districts.keep(list.clone());
        Ok(list)
    }

    #[tracing::instrument(name = "urbanism.districts", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    async fn read_districts(&self) -> Result<Vec<District>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tbl_mantaghe");
        let rows = self.rows(&sql, &[]).await?;
        let mut districts: Vec<District> = rows.iter().filter_map(|r| clean(self, r)).collect();
        districts.sort_by_key(|d| d.number);
        Ok(districts)
    }
}
