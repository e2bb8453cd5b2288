//! Fines of Article 100, per violation item, in whole rials, with the arithmetic shown in
//! English digits (for the API) and in Persian (for the dadnameh).
//!
//! The ranges are configuration ([`FineRules`]), approved and revised outside the software;
//! the defaults are the law's (domain reference, section 1):
//!
//! | note | fine per m² of the item |
//! |---|---|
//! | 2 | 1/2 to 3 × the transaction value |
//! | 3 | 2 to 4 × the transaction value |
//! | 4 | the larger of 1/10 of the transaction value and 1/5 of the goodwill value where the building has one; otherwise 1/10 of the transaction value |
//! | 5 | 1 to 2 × the transaction value per m² of parking, 25 m² per space |
//! | 6 | no fine: demolition |
//!
//! Money never passes through floating point: areas and coefficients are exact hundredths
//! ([`crate::quantities`]), amounts are [`Rials`], and an amount too large to record is an
//! error, never a wrapped or capped number.

use crate::{
    money::{Overflow, Rials},
    quantities::{Area, Coefficient, Hundredths},
    text::persian_digits,
    vocabulary::ViolationNote,
};

/// The coefficient range of a note, in hundredths (`50..=300` is 1/2 to 3 times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lowest coefficient, hundredths.
    pub min: u32,
    /// Highest coefficient, hundredths.
    pub max: u32,
}

impl Range {
    /// True when `c` lies inside the range, both ends included, compared exactly.
    pub fn contains(self, c: Coefficient) -> bool {
        (u64::from(self.min)..=u64::from(self.max)).contains(&c.hundredths())
    }

    /// The lowest coefficient.
    pub fn low(self) -> Coefficient {
        Hundredths::from_hundredths(u64::from(self.min)).unwrap_or_default()
    }

    /// The highest coefficient.
    pub fn high(self) -> Coefficient {
        Hundredths::from_hundredths(u64::from(self.max)).unwrap_or_default()
    }
}

/// The configurable fine rules; keys left out keep the law's defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FineRules {
    /// Note 2: residential area beyond the permit, × transaction value (1/2 to 3).
    pub note2: Range,
    /// Note 3: commercial, office or industrial area beyond the permit, × transaction value
    /// (2 to 4).
    pub note3: Range,
    /// Note 4: no permit but conforming: this share of the transaction value (hundredths;
    /// 10 = 1/10)…
    pub note4_transaction_share: u32,
    /// …or, where the building has a goodwill (sarqofli) value, this share of it when larger
    /// (hundredths; 20 = 1/5).
    pub note4_goodwill_share: u32,
    /// Note 5: lost parking, × transaction value per m² (1 to 2).
    pub note5: Range,
    /// Note 5: square metres per parking space.
    pub parking_space_m2: u32,
}

impl Default for FineRules {
    fn default() -> Self {
        Self {
            note2: Range { min: 50, max: 300 },
            note3: Range { min: 200, max: 400 },
            note4_transaction_share: 10,
            note4_goodwill_share: 20,
            note5: Range { min: 100, max: 200 },
            parking_space_m2: 25,
        }
    }
}

/// What one violation item brings to the fine calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    /// The note.
    pub note: ViolationNote,
    /// Area beyond the permit (or built without one), m².
    pub area: Area,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: u32,
    /// Transaction value of the case's year and block, rials per m², when the table has one.
    pub transaction_value: Option<Rials>,
    /// Goodwill value of the case's year and block, rials per m², where the building has one
    /// (Note 4).
    pub goodwill_value: Option<Rials>,
    /// The coefficient the commission chose (none for Note 4).
    pub coefficient: Option<Coefficient>,
}

/// A computed fine with the arithmetic a person can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FineLine {
    /// The fine.
    pub rials: Rials,
    /// The coefficient applied (none for Note 4, whose shares are fixed by the law).
    pub coefficient: Option<Coefficient>,
    /// The arithmetic in ASCII digits, e.g. `60.00 m² × 0.75 × 23000000 rials/m² (transaction
    /// value) = 1035000000 rials`.
    pub arithmetic: String,
    /// The same arithmetic in Persian, as the dadnameh prints it.
    pub arithmetic_fa: String,
}

/// Why a fine cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FineError {
    /// The chosen coefficient is outside the note's range.
    #[error("the coefficient {got} is outside {min} to {max} for this note")]
    CoefficientOutOfRange {
        /// Chosen.
        got: Coefficient,
        /// Lowest allowed.
        min: Coefficient,
        /// Highest allowed.
        max: Coefficient,
    },
    /// A coefficient is required for this note.
    #[error("this note needs a coefficient inside its range")]
    CoefficientMissing,
    /// Note 4's shares are fixed by the law; no coefficient is chosen.
    #[error("note 4's fine is fixed by the law (1/10 of the transaction value, or 1/5 of the goodwill value where larger); leave the coefficient out")]
    CoefficientNotApplicable,
    /// Note 6 has no fine: the item is demolished.
    #[error(
        "note 6 (encroachment on the street or setback line) has no fine; the item is demolished"
    )]
    DemolitionOnly,
    /// The transaction-value table has no value for the case's year and block.
    #[error("the transaction-value table has no value for the case's year and block")]
    NoTransactionValue,
    /// Note 5 without the number of spaces lost.
    #[error("note 5 needs the number of parking spaces lost")]
    NoParkingSpaces,
    /// An item with no area beyond the permit has nothing to fine.
    #[error("the item has no area beyond the permit to fine")]
    NoArea,
    /// The fine is too large to record.
    #[error("the fine is too large to record")]
    Overflow,
}

impl From<Overflow> for FineError {
    fn from(_: Overflow) -> Self {
        FineError::Overflow
    }
}

impl FineError {
    /// True when the error is about the chosen coefficient (so an API names that field).
    pub fn is_about_coefficient(self) -> bool {
        matches!(
            self,
            FineError::CoefficientOutOfRange { .. }
                | FineError::CoefficientMissing
                | FineError::CoefficientNotApplicable
        )
    }
}

fn line(
    area: Area,
    coefficient: Coefficient,
    value: Rials,
    label: (&str, &str),
) -> Result<FineLine, FineError> {
    let rials = value.times_hundredths(area, coefficient)?;
    Ok(FineLine {
        rials,
        coefficient: Some(coefficient),
        arithmetic: format!(
            "{} m² × {} × {value} rials/m² ({}) = {rials} rials",
            area.to_fixed(),
            coefficient.to_fixed(),
            label.0
        ),
        arithmetic_fa: format!(
            "{} مترمربع × {} × {} ریال ({}) = {} ریال",
            persian_digits(&area.to_fixed().replace('.', "٫")),
            persian_digits(&coefficient.to_fixed().replace('.', "٫")),
            persian_digits(&value.grouped().replace(',', "٬")),
            label.1,
            persian_digits(&rials.grouped().replace(',', "٬"))
        ),
    })
}

const TRANSACTION: (&str, &str) = ("transaction value", "ارزش معاملاتی");
const GOODWILL: (&str, &str) = ("goodwill value", "ارزش سرقفلی");

impl FineRules {
    /// The coefficient range of a note, if it has one (Notes 2, 3 and 5).
    pub fn range(&self, note: ViolationNote) -> Option<Range> {
        match note {
            ViolationNote::Note2 => Some(self.note2),
            ViolationNote::Note3 => Some(self.note3),
            ViolationNote::Note5 => Some(self.note5),
            ViolationNote::Note4 | ViolationNote::Note6 => None,
        }
    }

    /// Checks configured values: every range `0 < min <= max`, shares and the parking size
    /// positive. Names the key at fault.
    pub fn validate(&self) -> Result<(), String> {
        for (key, r) in [
            ("note2", self.note2),
            ("note3", self.note3),
            ("note5", self.note5),
        ] {
            if r.min == 0 || r.min > r.max {
                return Err(format!(
                    "`fines.{key}` needs 0 < min <= max (hundredths, e.g. {{ min = 50, max = 300 }})"
                ));
            }
        }
        if self.note4_transaction_share == 0 || self.note4_goodwill_share == 0 {
            return Err("`fines.note4_transaction_share` and `fines.note4_goodwill_share` must be positive (hundredths: 10 = 1/10)".into());
        }
        if self.parking_space_m2 == 0 {
            return Err("`fines.parking_space_m2` must be at least 1".into());
        }
        Ok(())
    }

    fn coefficient_in(
        &self,
        range: Range,
        chosen: Option<Coefficient>,
    ) -> Result<Coefficient, FineError> {
        let c = chosen.ok_or(FineError::CoefficientMissing)?;
        if !range.contains(c) {
            return Err(FineError::CoefficientOutOfRange {
                got: c,
                min: range.low(),
                max: range.high(),
            });
        }
        Ok(c)
    }

    /// The fine of one item.
    pub fn fine(&self, item: &ItemFacts) -> Result<FineLine, FineError> {
        if item.note == ViolationNote::Note6 {
            return Err(FineError::DemolitionOnly);
        }
        if item.note == ViolationNote::Note4 && item.coefficient.is_some() {
            return Err(FineError::CoefficientNotApplicable);
        }
        let tv = item
            .transaction_value
            .ok_or(FineError::NoTransactionValue)?;
        match item.note {
            ViolationNote::Note2 | ViolationNote::Note3 => {
                let range = self.range(item.note).ok_or(FineError::CoefficientMissing)?;
                let c = self.coefficient_in(range, item.coefficient)?;
                if item.area == Hundredths::ZERO {
                    return Err(FineError::NoArea);
                }
                line(item.area, c, tv, TRANSACTION)
            }
            ViolationNote::Note4 => {
                if item.area == Hundredths::ZERO {
                    return Err(FineError::NoArea);
                }
                let share = |s: u32| {
                    Hundredths::from_hundredths(u64::from(s)).map_err(|_| FineError::Overflow)
                };
                let by_value = line(
                    item.area,
                    share(self.note4_transaction_share)?,
                    tv,
                    TRANSACTION,
                )?;
                let chosen = match item.goodwill_value {
                    Some(goodwill) => {
                        let by_goodwill = line(
                            item.area,
                            share(self.note4_goodwill_share)?,
                            goodwill,
                            GOODWILL,
                        )?;
                        let (larger, other) = if by_goodwill.rials > by_value.rials {
                            (by_goodwill, by_value)
                        } else {
                            (by_value, by_goodwill)
                        };
                        FineLine {
                            rials: larger.rials,
                            coefficient: None,
                            arithmetic: format!(
                                "larger of {} and {}",
                                larger.arithmetic, other.arithmetic
                            ),
                            arithmetic_fa: format!(
                                "بیشترِ {} و {}",
                                larger.arithmetic_fa, other.arithmetic_fa
                            ),
                        }
                    }
                    None => FineLine {
                        coefficient: None,
                        arithmetic: format!("{} (no goodwill value)", by_value.arithmetic),
                        arithmetic_fa: format!("{} (بدون ارزش سرقفلی)", by_value.arithmetic_fa),
                        ..by_value
                    },
                };
                Ok(chosen)
            }
            ViolationNote::Note5 => {
                if item.parking_spaces == 0 {
                    return Err(FineError::NoParkingSpaces);
                }
                let c = self.coefficient_in(self.note5, item.coefficient)?;
                let m2 = u64::from(item.parking_spaces)
                    .checked_mul(u64::from(self.parking_space_m2))
                    .and_then(|m| m.checked_mul(100))
                    .ok_or(FineError::Overflow)?;
                let area = Hundredths::from_hundredths(m2).map_err(|_| FineError::Overflow)?;
                let mut l = line(area, c, tv, TRANSACTION)?;
                l.arithmetic = format!(
                    "{} spaces × {} m² = {}",
                    item.parking_spaces, self.parking_space_m2, l.arithmetic
                );
                l.arithmetic_fa = format!(
                    "{} فضای پارکینگ × {} مترمربع = {}",
                    persian_digits(&item.parking_spaces.to_string()),
                    persian_digits(&self.parking_space_m2.to_string()),
                    l.arithmetic_fa
                );
                Ok(l)
            }
            ViolationNote::Note6 => Err(FineError::DemolitionOnly),
        }
    }

    /// The lowest and highest fine of an item, for the commission's brief (Note 4 has one
    /// amount: both are the same).
    pub fn bounds(&self, item: &ItemFacts) -> Result<(FineLine, FineLine), FineError> {
        match self.range(item.note) {
            Some(range) => Ok((
                self.fine(&ItemFacts {
                    coefficient: Some(range.low()),
                    ..*item
                })?,
                self.fine(&ItemFacts {
                    coefficient: Some(range.high()),
                    ..*item
                })?,
            )),
            None => {
                let one = self.fine(&ItemFacts {
                    coefficient: None,
                    ..*item
                })?;
                Ok((one.clone(), one))
            }
        }
    }
}
