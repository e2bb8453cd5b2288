//! Legal deadlines: a window of N days ends at the end of the Nth calendar day after the
//! starting day (Asia/Tehran); a last day on a Friday or a configured holiday moves to the
//! next working day.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::jalali::JalaliDate;

/// Official holidays, configured (they change yearly with the lunar calendar).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(BTreeSet<NaiveDate>);

impl Holidays {
    /// Holidays given as Jalali dates (`1405/01/01`); unreadable entries are returned as errors.
    pub fn from_jalali<'a>(dates: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for d in dates {
            let j = JalaliDate::parse(d).map_err(|e| format!("holiday {d:?}: {e}"))?;
            set.insert(j.to_gregorian());
        }
        Ok(Self(set))
    }

    /// True for Fridays and configured holidays.
    pub fn is_day_off(&self, day: NaiveDate) -> bool {
        day.weekday() == Weekday::Fri || self.0.contains(&day)
    }
}

/// The last day of a window of `days` days starting on `start`.
pub fn deadline(start: NaiveDate, days: u32, holidays: &Holidays) -> NaiveDate {
    let mut last = start + Duration::days(i64::from(days));
    while holidays.is_day_off(last) {
        last += Duration::days(1);
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> NaiveDate {
        JalaliDate::parse(s).expect("date").to_gregorian()
    }

    fn nowruz_1405() -> Holidays {
        Holidays::from_jalali([
            "1405/01/01",
            "1405/01/02",
            "1405/01/03",
            "1405/01/04",
            "1405/01/12",
            "1405/01/13",
        ])
        .expect("holidays")
    }

    #[test]
    fn a_window_ends_n_calendar_days_after_its_start() {
        // 1405/09/07 is a Saturday; ten days later, 1405/09/17, a Tuesday.
        let end = deadline(j("1405/09/07"), 10, &Holidays::default());
        assert_eq!(JalaliDate::from_gregorian(end).to_string(), "1405/09/17");
    }

    #[test]
    fn a_last_day_on_friday_moves_to_saturday() {
        // 1405/09/06 + 7 = 1405/09/13, a Friday.
        let start = j("1405/09/06");
        assert_eq!(j("1405/09/13").weekday(), Weekday::Fri);
        let end = deadline(start, 7, &Holidays::default());
        assert_eq!(JalaliDate::from_gregorian(end).to_string(), "1405/09/14");
    }

    #[test]
    fn a_window_across_nowruz_skips_the_holidays_and_the_friday_after() {
        // Served on 1404/12/20; ten days end on 1405/01/01 (Nowruz): 1–4 Farvardin are off,
        // so the deadline moves to the first working day after them.
        let end = deadline(j("1404/12/20"), 10, &nowruz_1405());
        let jalali = JalaliDate::from_gregorian(end).to_string();
        assert!(jalali.as_str() >= "1405/01/05", "{jalali}");
        assert!(!nowruz_1405().is_day_off(end));
        assert_ne!(end.weekday(), Weekday::Fri);
    }

    #[test]
    fn a_configured_holiday_moves_the_deadline() {
        let start = j("1405/01/03");
        // 10 days later is 1405/01/13 (Sizdah Bedar, configured).
        let end = deadline(start, 10, &nowruz_1405());
        assert_ne!(JalaliDate::from_gregorian(end).to_string(), "1405/01/13");
        assert!(end > j("1405/01/13"));
        assert!(Holidays::from_jalali(["1405/13/01"]).is_err());
    }
}
