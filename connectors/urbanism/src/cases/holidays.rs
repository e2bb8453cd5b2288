//! The official holidays, stored per Jalali year in `shahr.holidays`.

use chrono::NaiveDate;
use shahr_domain::{
    calendar::{Holiday, HolidayCalendar, HolidayYear},
    jalali::JalaliDate,
    vocabulary::HolidayKind,
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use super::wire_name;
use crate::UrbanismDb;

/// A year's list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredYear {
    /// The Jalali year.
    pub year: i32,
    /// Where it came from.
    pub source: String,
    /// How many days.
    pub days: i64,
}

impl UrbanismDb {
    /// Every stored year's holidays, read in the caller's transaction.
    #[tracing::instrument(name = "urbanism.calendar_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn calendar_in(
        &self,
        client: &impl GenericClient,
    ) -> Result<HolidayCalendar, StoreError> {
        let years = client
            .query(
                "SELECT year, source FROM shahr.holiday_years ORDER BY year",
                &[],
            )
            .await?;
        let days = client
            .query(
                "SELECT day, year, name, kind FROM shahr.holidays ORDER BY day",
                &[],
            )
            .await?;
        let mut out = Vec::with_capacity(years.len());
        for y in &years {
            let year: i32 = y.get(0);
            let list: Vec<Holiday> = days
                .iter()
                .filter(|d| d.get::<_, i32>(1) == year)
                .map(|d| Holiday {
                    date: JalaliDate::from_gregorian(d.get::<_, NaiveDate>(0)),
                    name: d.get(2),
                    kind: if d.get::<_, String>(3) == "LUNAR" {
                        HolidayKind::Lunar
                    } else {
                        HolidayKind::Solar
                    },
                })
                .collect();
            let stored = HolidayYear::new(year, &y.get::<_, String>(1), list)
                .map_err(|e| StoreError::Data(format!("holidays of {year}: {e}")))?;
            out.push(stored);
        }
        Ok(HolidayCalendar::new(out))
    }

    /// Every stored year's holidays.
    #[tracing::instrument(name = "urbanism.calendar", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn calendar(&self) -> Result<HolidayCalendar, StoreError> {
        let client = self.pool().get().await?;
        self.calendar_in(&**client).await
    }

    /// Replaces a year's list with `year`, in one transaction; returns how many days the
    /// year held before.
    #[tracing::instrument(name = "urbanism.import_holidays", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn import_holidays(&self, year: &HolidayYear, by: &str) -> Result<i64, StoreError> {
        let mut client = self.pool().get().await?;
        let tx = client.transaction().await?;
        let before = write_year(&*tx, year, by).await?;
        tx.commit().await?;
        Ok(before)
    }

    /// The stored years.
    #[tracing::instrument(name = "urbanism.holiday_years", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn holiday_years(&self) -> Result<Vec<StoredYear>, StoreError> {
        let rows = self
            .rows(
                "SELECT y.year, y.source, (SELECT count(*) FROM shahr.holidays h WHERE h.year = y.year) \
                 FROM shahr.holiday_years y ORDER BY y.year",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredYear {
                year: r.get(0),
                source: r.get(1),
                days: r.get(2),
            })
            .collect())
    }
}

/// Replaces a year's list in the caller's transaction; returns how many days it held before.
#[tracing::instrument(name = "urbanism.write_year", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn write_year(
    tx: &impl GenericClient,
    year: &HolidayYear,
    by: &str,
) -> Result<i64, StoreError> {
    let before: i64 = tx
        .query_one(
            "SELECT count(*) FROM shahr.holidays WHERE year = $1",
            &[&year.year()],
        )
        .await?
        .get(0);
    tx.execute(
        "DELETE FROM shahr.holiday_years WHERE year = $1",
        &[&year.year()],
    )
    .await?;
    tx.execute(
        "INSERT INTO shahr.holiday_years (year, source, imported_by) VALUES ($1, $2, $3)",
        &[&year.year(), &year.source(), &by],
    )
    .await?;
    let days: Vec<NaiveDate> = year.days().iter().map(|d| d.date.to_gregorian()).collect();
    let jalali: Vec<String> = year.days().iter().map(|d| d.date.to_string()).collect();
    let names: Vec<String> = year.days().iter().map(|d| d.name.clone()).collect();
    let kinds: Vec<String> = year.days().iter().map(|d| wire_name(d.kind)).collect();
    tx.execute(
        "INSERT INTO shahr.holidays (day, year, jalali, name, kind) \
         SELECT d, $1, j, n, k FROM unnest($2::date[], $3::text[], $4::text[], $5::text[]) AS t(d, j, n, k)",
        &[&year.year(), &days, &jalali, &names, &kinds],
    )
    .await?;
    Ok(before)
}
