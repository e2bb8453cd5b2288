//! Office hours and SLA clocks: a service request's step is due after a number of working
//! hours (office hours on working days, official holidays and Fridays excluded), and its
//! clock stops while the citizen holds the request (documents to complete, a fee to pay).
//! Times are read in Asia/Tehran (UTC+03:30).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::{
    calendar::HolidayCalendar,
    requests::{held_by_citizen, is_terminal},
    vocabulary::RequestState,
};

/// Iran Standard Time, in minutes east of UTC.
const TEHRAN_MINUTES: i32 = 210;

fn tehran() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(TEHRAN_MINUTES * 60).unwrap_or_else(|| {
        chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("zero is a valid offset"))
    })
}

/// When offices work: opening and closing times on working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    open: NaiveTime,
    close: NaiveTime,
    days: BTreeSet<u32>,
}

/// Why office hours cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    /// Not `HH:MM-HH:MM`, or closing before opening.
    #[error("office hours are written like 07:30-14:30, opening before closing")]
    Hours,
    /// A day that is not a weekday's English name.
    #[error("unknown weekday `{0}`; write saturday, sunday, ...")]
    Day(String),
    /// No working day at all.
    #[error("at least one working day is needed")]
    NoDays,
}

impl OfficeHours {
    /// Reads `07:30-14:30` and weekday names (`saturday` ... `friday`).
    pub fn new(hours: &str, days: &[String]) -> Result<Self, OfficeHoursError> {
        let (open, close) = hours.split_once('-').ok_or(OfficeHoursError::Hours)?;
        let parse = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| OfficeHoursError::Hours)
        };
        let (open, close) = (parse(open)?, parse(close)?);
        if close <= open {
            return Err(OfficeHoursError::Hours);
        }
        let days = days
            .iter()
            .map(|d| {
                d.trim()
                    .parse::<Weekday>()
                    .map(|w| w.num_days_from_monday())
                    .map_err(|_| OfficeHoursError::Day(d.clone()))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        if days.is_empty() {
            return Err(OfficeHoursError::NoDays);
        }
        Ok(Self { open, close, days })
    }

    fn works(&self, day: NaiveDate, calendar: &HolidayCalendar) -> bool {
        self.days.contains(&day.weekday().num_days_from_monday()) && !calendar.is_day_off(day)
    }

    /// The office hours of `day`, as UTC instants, if it is a working day.
    fn span(
        &self,
        day: NaiveDate,
        calendar: &HolidayCalendar,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.works(day, calendar) {
            return None;
        }
        let at = |t: NaiveTime| {
            tehran()
                .from_local_datetime(&day.and_time(t))
                .single()
                .map(|d| d.with_timezone(&Utc))
        };
        Some((at(self.open)?, at(self.close)?))
    }

    /// Working time between two instants.
    pub fn working_time(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        calendar: &HolidayCalendar,
    ) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let first = from.with_timezone(&tehran()).date_naive();
        let last = to.with_timezone(&tehran()).date_naive();
        let mut total = Duration::zero();
        let mut day = first;
        while day <= last {
            if let Some((open, close)) = self.span(day, calendar) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += end - start;
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// The instant `amount` of working time after `from` (at most ten years ahead).
    pub fn add_working_time(
        &self,
        from: DateTime<Utc>,
        amount: Duration,
        calendar: &HolidayCalendar,
    ) -> DateTime<Utc> {
        let mut left = amount;
        let mut day = from.with_timezone(&tehran()).date_naive();
        for _ in 0..3660 {
            if let Some((open, close)) = self.span(day, calendar) {
                let start = open.max(from);
                if close > start {
                    let available = close - start;
                    if left <= available {
                        return start + left;
                    }
                    left -= available;
                }
            }
            day += Duration::days(1);
        }
        from + amount
    }
}

/// A stay of a request in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// The state.
    pub state: RequestState,
    /// When it entered the state.
    pub entered: DateTime<Utc>,
    /// When it left (none: it is still there).
    pub left: Option<DateTime<Utc>>,
}

/// When the request's current step is due: `sla_hours` of working time spent in its current
/// state, counting every stay in that state (the clock stops while the citizen holds the
/// request and resumes where it stopped). `None` for a closed request, a state the citizen
/// holds, or a step with no SLA.
pub fn due_at(
    visits: &[Visit],
    sla_hours: Option<i64>,
    hours: &OfficeHours,
    calendar: &HolidayCalendar,
) -> Option<DateTime<Utc>> {
    let current = visits.iter().find(|v| v.left.is_none())?;
    if is_terminal(current.state) || held_by_citizen(current.state) {
        return None;
    }
    let sla = Duration::hours(sla_hours?);
    let spent: Duration = visits
        .iter()
        .filter(|v| v.state == current.state && v.left.is_some())
        .map(|v| hours.working_time(v.entered, v.left.unwrap_or(v.entered), calendar))
        .fold(Duration::zero(), |a, b| a + b);
    Some(hours.add_working_time(
        current.entered,
        (sla - spent).max(Duration::zero()),
        calendar,
    ))
}
