//! The official holidays as the API reads them: the stored calendar, kept in memory and read
//! again when older than a short while. Commands that decide a deadline read the calendar in
//! their own transaction instead, so an import takes effect for them at once.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use shahr_domain::calendar::HolidayCalendar;
use shahr_store::StoreError;
use shahr_urbanism::UrbanismDb;
use tokio::sync::RwLock;

/// How long a loaded calendar serves reads before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(30);

/// A calendar and when it was read.
type Loaded = Option<(Instant, Arc<HolidayCalendar>)>;

/// The holiday calendar, cached.
#[derive(Clone)]
pub struct CalendarCache {
    db: UrbanismDb,
    loaded: Arc<RwLock<Loaded>>,
}

impl CalendarCache {
    /// A cache over the urbanism database's `shahr.holidays`.
    pub fn new(db: UrbanismDb) -> Self {
        Self {
            db,
            loaded: Arc::new(RwLock::new(None)),
        }
    }

    /// The calendar, read again when stale.
    pub async fn current(&self) -> Result<Arc<HolidayCalendar>, StoreError> {
        if let Some((at, calendar)) = self.loaded.read().await.as_ref() {
            if at.elapsed() < FRESH_FOR {
                return Ok(calendar.clone());
            }
        }
        let calendar = Arc::new(self.db.calendar().await?);
        *self.loaded.write().await = Some((Instant::now(), calendar.clone()));
        Ok(calendar)
    }
}

/// The Jalali years of the next `days` days (from `today`) with no holiday data.
pub fn uncovered(calendar: &HolidayCalendar, today: chrono::NaiveDate, days: i64) -> Vec<i32> {
    calendar.missing_years(today, today + chrono::Duration::days(days))
}
