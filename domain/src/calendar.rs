//! The official holidays, as data per Jalali year: solar holidays (Nowruz, 22 Bahman, ...)
//! and lunar ones (Tasua, Ashura, Eid al-Fitr, ...), whose dates move every year and are
//! published yearly in the official calendar. Fridays are always days off.
//!
//! A [`HolidayYear`] is one year's list as imported; a [`HolidayCalendar`] is every imported
//! year together, and knows which years it covers, so a deadline counted over a year with no
//! data can be noticed rather than silently miscounted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::{jalali::JalaliDate, vocabulary::HolidayKind};

/// One official holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The day.
    pub date: JalaliDate,
    /// What it marks, in Persian (`عید نوروز`).
    pub name: String,
    /// Solar or lunar.
    pub kind: HolidayKind,
}

/// The official holidays of one Jalali year, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    year: i32,
    source: String,
    days: Vec<Holiday>,
}

/// Why a year's list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayError {
    /// A day of another year in this year's list.
    #[error("{date} is not in {year}")]
    WrongYear {
        /// The day.
        date: JalaliDate,
        /// The list's year.
        year: i32,
    },
    /// The same day twice.
    #[error("{0} is listed twice; give each day once (join the occasions' names)")]
    Duplicate(JalaliDate),
    /// A day without a name.
    #[error("{0} has no name")]
    Unnamed(JalaliDate),
    /// No days at all.
    #[error("the list of {0} is empty")]
    Empty(i32),
    /// No source named.
    #[error("the list of {0} does not name its source (the official calendar it was taken from)")]
    NoSource(i32),
}

impl HolidayYear {
    /// A year's list; every day must fall in `year`, once, with a name.
    pub fn new(year: i32, source: &str, mut days: Vec<Holiday>) -> Result<Self, HolidayError> {
        if days.is_empty() {
            return Err(HolidayError::Empty(year));
        }
        if source.trim().is_empty() {
            return Err(HolidayError::NoSource(year));
        }
        days.sort_by_key(|d| d.date);
        for pair in days.windows(2) {
            if pair[0].date == pair[1].date {
                return Err(HolidayError::Duplicate(pair[0].date));
            }
        }
        for d in &days {
            if d.date.year() != year {
                return Err(HolidayError::WrongYear { date: d.date, year });
            }
            if d.name.trim().is_empty() {
                return Err(HolidayError::Unnamed(d.date));
            }
        }
        Ok(Self {
            year,
            source: source.trim().to_owned(),
            days,
        })
    }

    /// The Jalali year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Where the list comes from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The holidays, in date order.
    pub fn days(&self) -> &[Holiday] {
        &self.days
    }
}

/// Every imported year's holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, Holiday>,
    years: BTreeSet<i32>,
}

impl HolidayCalendar {
    /// The calendar of these years.
    pub fn new(years: impl IntoIterator<Item = HolidayYear>) -> Self {
        let mut calendar = Self::default();
        for year in years {
            calendar.years.insert(year.year);
            for day in year.days {
                calendar.days.insert(day.date.to_gregorian(), day);
            }
        }
        calendar
    }

    /// True for Fridays and official holidays.
    pub fn is_day_off(&self, day: NaiveDate) -> bool {
        day.weekday() == Weekday::Fri || self.days.contains_key(&day)
    }

    /// The official holiday on `day`, if any.
    pub fn holiday(&self, day: NaiveDate) -> Option<&Holiday> {
        self.days.get(&day)
    }

    /// The Jalali years with data.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The Jalali years touched by `from..=to` that have no data (in order).
    pub fn missing_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        let first = JalaliDate::from_gregorian(from).year();
        let last = JalaliDate::from_gregorian(to).year();
        (first..=last).filter(|y| !self.years.contains(y)).collect()
    }

    /// The first working day on or after `day`.
    pub fn working_day_from(&self, mut day: NaiveDate) -> NaiveDate {
        // At most a few weeks of consecutive days off exist; the bound keeps a broken list
        // from looping forever.
        for _ in 0..366 {
            if !self.is_day_off(day) {
                return day;
            }
            day += Duration::days(1);
        }
        day
    }
}

/// The file format of a year's list (`deploy/holidays/1405.toml`):
///
/// ```toml
/// year = 1405
/// source = "the official calendar it was taken from"
/// [[holiday]]
/// date = "1405/01/01"
/// kind = "solar"        # or "lunar"
/// name = "عید نوروز"
/// ```
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    source: String,
    #[serde(rename = "holiday", default)]
    holidays: Vec<DayFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DayFile {
    date: String,
    kind: KindFile,
    name: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindFile {
    Solar,
    Lunar,
}

/// Why a holiday file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayFileError {
    /// Not the expected TOML.
    #[error("{0}")]
    Format(String),
    /// A date that does not read.
    #[error("holiday {date:?}: {error}")]
    Date {
        /// As written.
        date: String,
        /// Why.
        error: crate::jalali::JalaliError,
    },
    /// The list breaks a rule.
    #[error(transparent)]
    Invalid(#[from] HolidayError),
}

impl HolidayYear {
    /// Reads a year's list from its TOML file (format above).
    pub fn from_toml(text: &str) -> Result<Self, HolidayFileError> {
        let file: YearFile =
            toml::from_str(text).map_err(|e| HolidayFileError::Format(e.message().to_owned()))?;
        let days = file
            .holidays
            .into_iter()
            .map(|d| {
                let date = JalaliDate::parse(&d.date).map_err(|error| HolidayFileError::Date {
                    date: d.date.clone(),
                    error,
                })?;
                Ok(Holiday {
                    date,
                    name: crate::text::normalise(&d.name),
                    kind: match d.kind {
                        KindFile::Solar => HolidayKind::Solar,
                        KindFile::Lunar => HolidayKind::Lunar,
                    },
                })
            })
            .collect::<Result<Vec<_>, HolidayFileError>>()?;
        Ok(Self::new(file.year, &file.source, days)?)
    }
}
