//! Counting legal windows (Civil Procedure Code, arts. 443–445): the day of service is not
//! counted, nor the day of the act, so a window of N days served on day D still admits an act
//! on day D + N + 1; when that last day is a day off (a Friday or an official holiday) it
//! moves to the next working day.
//!
//! Whether the day of the act is excluded is a setting ([`Counting::exclude_day_of_act`], on
//! by default): the domain reference follows the judiciary's published worked example (served
//! 15 Farvardin, 20 days, an appeal filed on 5 Ordibehesht is in time), but the legal office
//! may read the article differently.

use chrono::{Duration, NaiveDate};

use crate::calendar::HolidayCalendar;

/// How the days of a window are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Counting {
    /// The day of the act is not counted either (CPC art. 443): with it on, a window of N
    /// days from day D ends on D + N + 1; with it off, on D + N.
    pub exclude_day_of_act: bool,
}

impl Default for Counting {
    fn default() -> Self {
        Self {
            exclude_day_of_act: true,
        }
    }
}

/// The last day on which an act is in time, for a window of `days` days that starts with
/// the service (or other event) on `from`.
pub fn last_day(
    from: NaiveDate,
    days: u32,
    counting: Counting,
    calendar: &HolidayCalendar,
) -> NaiveDate {
    let extra = i64::from(counting.exclude_day_of_act);
    calendar.working_day_from(from + Duration::days(i64::from(days) + extra))
}

/// True when an act on `act_on` is inside the window of `days` days from `from`.
pub fn in_time(
    from: NaiveDate,
    days: u32,
    act_on: NaiveDate,
    counting: Counting,
    calendar: &HolidayCalendar,
) -> bool {
    act_on <= last_day(from, days, counting, calendar)
}
