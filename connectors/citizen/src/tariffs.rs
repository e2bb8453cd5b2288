//! Storing the yearly tariff of fees: a year's rows replaced at once from the council's file.

use shahr_domain::tariff::TariffYear;
use shahr_store::StoreError;

use crate::CitizenDb;

impl CitizenDb {
    /// Replaces `year`'s tariff with its rows; answers how many rows it had before. A row
    /// naming a service the catalogue does not have refuses the whole file.
    #[tracing::instrument(name = "citizen.import_tariff", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn import_tariff(&self, year: &TariffYear) -> Result<i64, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let before: i64 = tx
            .query_one(
                "SELECT count(*) FROM shahr.fee_tariffs WHERE year = $1",
                &[&year.year],
            )
            .await?
            .get(0);
        tx.execute(
            "DELETE FROM shahr.fee_tariffs WHERE year = $1",
            &[&year.year],
        )
        .await?;
        for row in &year.rows {
            let land_use = row
                .land_use
                .and_then(|u| serde_json::to_value(u).ok())
                .and_then(|v| v.as_str().map(str::to_owned));
            let hundredths = |a: shahr_domain::quantities::Area| {
                i64::try_from(a.hundredths()).unwrap_or(i64::MAX)
            };
            tx.execute(
                "INSERT INTO shahr.fee_tariffs (service_code, year, district, land_use, area_from, area_to, \
                 fixed_rials, per_m2_rials, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &row.service,
                    &year.year,
                    &row.district,
                    &land_use,
                    &hundredths(row.area_from),
                    &row.area_to.map(hundredths),
                    &row.fixed_rials,
                    &row.per_m2_rials,
                    &year.source,
                ],
            )
            .await
            .map_err(|e| {
                if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::Data(format!("the catalogue has no service `{}`", row.service))
                } else {
                    StoreError::from(e)
                }
            })?;
        }
        tx.commit().await?;
        Ok(before)
    }

    /// The stored years: year, rows and source.
    #[tracing::instrument(name = "citizen.tariff_years", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn tariff_years(&self) -> Result<Vec<(i32, i64, String)>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query(
                "SELECT year, count(*), min(source) FROM shahr.fee_tariffs GROUP BY year ORDER BY year",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}
