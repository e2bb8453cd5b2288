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
                       masahat_hektar::float8, faal";

fn clean(row: &Row) -> Option<District> {
    let key: i32 = row.get(0);
    let code: String = row.get(1);
    let Some(number) = digits_only(&code).and_then(|d| d.parse::<i16>().ok()) else {
        tracing::warn!(
            table = "tbl_mantaghe",
            id = key,
            "district code is not a number; row skipped"
        );
        return None;
    };
    let name = match row.get::<_, Option<String>>(2) {
        Some(name) if !name.trim().is_empty() => normalise(&name),
        _ => {
            tracing::warn!(
                table = "tbl_mantaghe",
                id = key,
                "district has no name; using its number"
            );
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
    pub async fn districts(&self) -> Result<Vec<District>, StoreError> {
        let client = self.pool.get().await?;
        let sql = format!("SELECT {COLUMNS} FROM tbl_mantaghe");
        let rows = client.query(&sql, &[]).await?;
        let mut districts: Vec<District> = rows.iter().filter_map(clean).collect();
        districts.sort_by_key(|d| d.number);
        Ok(districts)
    }

    /// The districts with the given numbers, in one round trip; missing numbers are absent.
    ///
    /// Legacy codes may be stored in Persian digits, so the query matches both spellings.
    pub async fn districts_by_number(&self, numbers: &[i16]) -> Result<Vec<District>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut codes: Vec<String> = Vec::with_capacity(numbers.len() * 2);
        for n in numbers {
            let ascii = n.to_string();
            codes.push(ascii.chars().map(persian_digit).collect());
            codes.push(ascii);
        }
        let client = self.pool.get().await?;
        let sql = format!("SELECT {COLUMNS} FROM tbl_mantaghe WHERE trim(kod_mantaghe) = ANY($1)");
        let rows = client.query(&sql, &[&codes]).await?;
        Ok(rows.iter().filter_map(clean).collect())
    }
}

fn persian_digit(c: char) -> char {
    c.to_digit(10)
        .and_then(|d| char::from_u32(0x06F0 + d))
        .unwrap_or(c)
}
