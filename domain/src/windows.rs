//! Every party's own window (domain reference, section 1, "deadlines"):
//!
//! - **Objection** (Note 10): each owner and the municipality may object within the window
//!   counted from their own legal service of the ruling. Timeliness is judged on the day the
//!   objection was received. The ruling is final only when every party has been served and
//!   every window has closed with no objection in time; several objections in time are heard
//!   together in one appeal.
//! - **Defence** (Note 1): each owner has the window counted from the legal service of their
//!   summons; the commission may not sit on the case before the hearing date, nor while any
//!   owner's defence window is still open.

use chrono::{Duration, NaiveDate};

use crate::{
    calendar::HolidayCalendar,
    deadlines::{last_day, Counting},
    parties::Party,
};

/// How long a window is and how its days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRule {
    /// Days in the window.
    pub days: u32,
    /// How they are counted.
    pub counting: Counting,
}

impl WindowRule {
    /// The last day of the window opened by service on `served_on`.
    pub fn last_day(self, served_on: NaiveDate, calendar: &HolidayCalendar) -> NaiveDate {
        last_day(served_on, self.days, self.counting, calendar)
    }
}

/// A party's standing on a served (or not yet served) primary ruling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The party.
    pub party: Party,
    /// The day of their legal service, once served.
    pub served_on: Option<NaiveDate>,
    /// True when they objected in time.
    pub objected_in_time: bool,
}

/// Whether an objection came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeliness {
    /// In time?
    pub in_time: bool,
    /// The last day of the objector's window; `None` while they have not been served (an
    /// objection before one's own service is in time: the window has not even begun).
    pub last_day: Option<NaiveDate>,
}

/// Judges an objection received on `received_on` from a party served on `served_on`.
pub fn timeliness(
    served_on: Option<NaiveDate>,
    received_on: NaiveDate,
    rule: WindowRule,
    calendar: &HolidayCalendar,
) -> Timeliness {
    match served_on {
        None => Timeliness {
            in_time: true,
            last_day: None,
        },
        Some(served) => {
            let last = rule.last_day(served, calendar);
            Timeliness {
                in_time: received_on <= last,
                last_day: Some(last),
            }
        }
    }
}

/// Where a primary ruling stands towards finality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finality {
    /// An objection came in time: the appeal commission decides.
    Appealed,
    /// Every party was served and every window closed with no objection in time: final from
    /// `on`, the day after the last window's last day.
    Final {
        /// The first day the ruling is final.
        on: NaiveDate,
    },
    /// Not yet final.
    Pending {
        /// Parties not served yet (finality waits for their service and window).
        unserved: Vec<Party>,
        /// The last day of the latest window among the served parties.
        until: Option<NaiveDate>,
    },
}

/// Where a primary ruling with these parties stands on `today`.
pub fn finality(
    standings: &[Standing],
    today: NaiveDate,
    rule: WindowRule,
    calendar: &HolidayCalendar,
) -> Finality {
    if standings.iter().any(|s| s.objected_in_time) {
        return Finality::Appealed;
    }
    let unserved: Vec<Party> = standings
        .iter()
        .filter(|s| s.served_on.is_none())
        .map(|s| s.party.clone())
        .collect();
    let until = standings
        .iter()
        .filter_map(|s| s.served_on)
        .map(|served| rule.last_day(served, calendar))
        .max();
    match until {
        Some(last) if unserved.is_empty() && !standings.is_empty() && today > last => {
            Finality::Final {
                on: last + Duration::days(1),
            }
        }
        _ => Finality::Pending { unserved, until },
    }
}

/// An owner's summons to the hearing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summons {
    /// The owner.
    pub party: Party,
    /// The day of its legal service, once served.
    pub served_on: Option<NaiveDate>,
}

/// Why the commission may not sit on a case yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotYet {
    /// Today is before the hearing date.
    BeforeHearing {
        /// The hearing date.
        session_on: NaiveDate,
    },
    /// Owners not yet served with their summons.
    Unserved(Vec<Party>),
    /// The hearing falls inside an owner's defence window: it must be set after `until`.
    InsideDefenceWindow {
        /// The owner.
        party: Party,
        /// Their window's last day.
        until: NaiveDate,
    },
}

/// The earliest hearing date a case scheduled on `today` can have: the day after the
/// defence window of a summons served today.
pub fn earliest_hearing(
    today: NaiveDate,
    rule: WindowRule,
    calendar: &HolidayCalendar,
) -> NaiveDate {
    rule.last_day(today, calendar) + Duration::days(1)
}

/// Whether the commission may sit on the case on `today`, for a hearing set on `session_on`
/// and these summonses (an empty list: a case scheduled before the gateway, whose summonses
/// are not on file here; only the hearing date is checked).
pub fn may_sit(
    session_on: Option<NaiveDate>,
    summonses: &[Summons],
    today: NaiveDate,
    rule: WindowRule,
    calendar: &HolidayCalendar,
) -> Result<(), NotYet> {
    if let Some(on) = session_on {
        if today < on {
            return Err(NotYet::BeforeHearing { session_on: on });
        }
    }
    let unserved: Vec<Party> = summonses
        .iter()
        .filter(|s| s.served_on.is_none())
        .map(|s| s.party.clone())
        .collect();
    if !unserved.is_empty() {
        return Err(NotYet::Unserved(unserved));
    }
    let hearing = session_on.unwrap_or(today);
    for s in summonses {
        if let Some(served) = s.served_on {
            let until = rule.last_day(served, calendar);
            if hearing <= until || today <= until {
                return Err(NotYet::InsideDefenceWindow {
                    party: s.party.clone(),
                    until,
                });
            }
        }
    }
    Ok(())
}

/// The last day of an owner's defence window, from the service of their summons.
pub fn defence_last_day(
    served_on: NaiveDate,
    rule: WindowRule,
    calendar: &HolidayCalendar,
) -> NaiveDate {
    rule.last_day(served_on, calendar)
}
