//! Jalali (Solar Hijri) dates, converted with ICU's Persian calendar.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use icu_calendar::{cal::Persian, Date, Iso};

use crate::text::ascii_digit;

/// A date in the Jalali calendar. It can only be built through checked constructors
/// ([`JalaliDate::new`], [`JalaliDate::parse`], [`JalaliDate::from_gregorian`]), so every
/// value names a real day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JalaliDate {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a Jalali date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JalaliError {
    /// Not of the form `YYYY/MM/DD` (or with `-`), in any digit script.
    #[error("expected a Jalali date like 1405/09/07")]
    Format,
    /// The numbers do not name a day (month 13, Esfand 30 in a common year, ...).
    #[error("no such day in the Jalali calendar")]
    Range,
}

impl JalaliDate {
    /// A validated date.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, JalaliError> {
        if !(1..=12).contains(&month) || day == 0 || !(1000..=1999).contains(&year) {
            return Err(JalaliError::Range);
        }
        let date = Date::try_new_persian(year, month, day).map_err(|_| JalaliError::Range)?;
        // ICU clamps nothing here, but double-check the day survived.
        if date.day_of_month().0 != day || date.month().ordinal != month {
            return Err(JalaliError::Range);
        }
        Ok(Self { year, month, day })
    }

    /// Parses `1405/09/07`, `1405-9-7`, `۱۴۰۵/۰۹/۰۷`; surrounding spaces are ignored. Two-digit
    /// years are refused (ambiguous).
    pub fn parse(input: &str) -> Result<Self, JalaliError> {
        let ascii: String = input
            .trim()
            .chars()
            .map(|c| ascii_digit(c).unwrap_or(c))
            .collect();
        let mut parts = ascii.split(['/', '-']);
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JalaliError::Format);
        };
        if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
            return Err(JalaliError::Format);
        }
        let year = y.parse().map_err(|_| JalaliError::Format)?;
        let month = m.parse().map_err(|_| JalaliError::Format)?;
        let day = d.parse().map_err(|_| JalaliError::Format)?;
        Self::new(year, month, day)
    }

    /// Year, e.g. 1405.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1 (Farvardin) to 12 (Esfand).
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The same day in the Gregorian calendar.
    pub fn to_gregorian(self) -> NaiveDate {
        let iso = Date::try_new_persian(self.year, self.month, self.day)
            .map(|d| d.to_calendar(Iso))
            .ok();
        iso.and_then(|d| {
            NaiveDate::from_ymd_opt(
                d.year().extended_year(),
                u32::from(d.month().ordinal),
                u32::from(d.day_of_month().0),
            )
        })
        .unwrap_or_default()
    }

    /// The Jalali date of a Gregorian day, for days ICU's calendar covers (years −9999 to
    /// 9999); `None` outside it.
    pub fn try_from_gregorian(date: NaiveDate) -> Option<Self> {
        let month = u8::try_from(date.month()).ok()?;
        let day = u8::try_from(date.day()).ok()?;
        let iso = Date::try_new_iso(date.year(), month, day).ok()?;
        let p: Date<Persian> = iso.to_calendar(Persian);
        Some(Self {
            year: p.year().extended_year(),
            month: p.month().ordinal,
            day: p.day_of_month().0,
        })
    }

    /// The Jalali date of a Gregorian day. Days outside ICU's range (years −9999 to 9999,
    /// which no record of this domain reaches) clamp to its first or last day.
    pub fn from_gregorian(date: NaiveDate) -> Self {
        Self::try_from_gregorian(date).unwrap_or_else(|| {
            let edge = if date.year() < 0 {
                NaiveDate::from_ymd_opt(-9999, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(9999, 12, 31)
            };
            edge.and_then(Self::try_from_gregorian).unwrap_or(Self {
                year: 1348,
                month: 10,
                day: 11,
            })
        })
    }
}

/// Today in Asia/Tehran (UTC+03:30, no daylight saving since 2022).
pub fn tehran_today(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (now + chrono::Duration::minutes(210)).date_naive()
}

impl fmt::Display for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}/{:02}/{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn the_domain_check_vectors_convert_both_ways() {
        for (jalali, gregorian) in [
            ("1403/01/01", ymd(2024, 3, 20)),
            ("1404/01/01", ymd(2025, 3, 21)),
            ("1405/09/07", ymd(2026, 11, 28)),
        ] {
            let j = JalaliDate::parse(jalali).expect("parses");
            assert_eq!(j.to_gregorian(), gregorian, "{jalali}");
            assert_eq!(JalaliDate::from_gregorian(gregorian).to_string(), jalali);
        }
    }

    #[test]
    fn dates_outside_the_calendar_clamp_to_its_edge_and_stay_valid() {
        let far = NaiveDate::from_ymd_opt(200_000, 1, 1).expect("date");
        assert_eq!(JalaliDate::try_from_gregorian(far), None);
        let clamped = JalaliDate::from_gregorian(far);
        assert!(
            JalaliDate::new(clamped.year(), clamped.month(), clamped.day()).is_err()
                || clamped.year() > 9000
        );
        assert!((1..=12).contains(&clamped.month()) && (1..=31).contains(&clamped.day()));
    }

    #[test]
    fn persian_digits_and_dashes_are_read() {
        assert_eq!(
            JalaliDate::parse("۱۴۰۵/۰۹/۰۷").map(|d| d.to_string()),
            Ok("1405/09/07".into())
        );
        assert_eq!(
            JalaliDate::parse(" 1405-9-7 ").map(|d| d.to_string()),
            Ok("1405/09/07".into())
        );
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        assert_eq!(JalaliDate::parse("1399/13/01"), Err(JalaliError::Range));
        assert_eq!(
            JalaliDate::parse("1404/12/30"),
            Err(JalaliError::Range),
            "1404 is not leap"
        );
        assert!(JalaliDate::parse("1403/12/30").is_ok(), "1403 is leap");
        assert_eq!(JalaliDate::parse("99/01/01"), Err(JalaliError::Format));
        assert_eq!(JalaliDate::parse(""), Err(JalaliError::Format));
        assert_eq!(JalaliDate::parse("1400/01/01/01"), Err(JalaliError::Format));
    }
}
