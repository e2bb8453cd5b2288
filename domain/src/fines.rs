//! Fines of Article 100, per violation item, in whole rials, with the arithmetic shown.
//!
//! The ranges are configuration ([`FineRules`]), approved and revised outside the software;
//! the defaults are the published ones. Money never passes through floating point: areas and
//! coefficients are read as hundredths and multiplied as integers.

use crate::vocabulary::ViolationNote;

/// The coefficient range of a note, in hundredths (`10..=50` is 0.1x to 0.5x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lowest coefficient, hundredths.
    pub min: u32,
    /// Highest coefficient, hundredths.
    pub max: u32,
}

/// The configurable fine rules; keys left out keep their published defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FineRules {
    /// Note 2: residential area beyond the permit, × transaction value.
    pub note2: Range,
    /// Note 3: commercial, office or industrial area beyond the permit, × transaction value.
    pub note3: Range,
    /// Note 4: no permit but conforming: the larger of this share of the transaction value…
    pub note4_transaction_share: u32,
    /// …and this share of the goodwill (sarqofli) value, both per m², in hundredths.
    pub note4_goodwill_share: u32,
    /// Note 5: lost parking, × transaction value per m².
    pub note5: Range,
    /// Note 5: square metres per parking space.
    pub parking_space_m2: u32,
}

impl Default for FineRules {
    fn default() -> Self {
        Self {
            note2: Range { min: 10, max: 50 },
            note3: Range { min: 200, max: 400 },
            note4_transaction_share: 10,
            note4_goodwill_share: 20,
            note5: Range { min: 100, max: 200 },
            parking_space_m2: 25,
        }
    }
}

/// What one violation item brings to the fine calculation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemFacts {
    /// The note.
    pub note: ViolationNote,
    /// Area beyond the permit (or built without one), m².
    pub area_m2: f64,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: u32,
    /// Transaction value of the case's year and block, rials per m².
    pub transaction_value: i64,
    /// Goodwill value of the case's year and block, rials per m² (Note 4).
    pub goodwill_value: Option<i64>,
    /// The coefficient the commission chose (ignored by Note 4).
    pub coefficient: Option<f64>,
}

/// A computed fine with the arithmetic a person can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FineLine {
    /// The fine in rials.
    pub rials: i64,
    /// The arithmetic, e.g. `60.00 m² × 0.30 × 23000000 rials/m² = 414000000 rials`.
    pub arithmetic: String,
}

/// Why a fine cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FineError {
    /// The chosen coefficient is outside the note's range.
    #[error("the coefficient {got} is outside {min}–{max} for this note")]
    CoefficientOutOfRange {
        /// Chosen.
        got: f64,
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
    /// A coefficient is required for this note.
    #[error("this note needs a coefficient")]
    CoefficientMissing,
    /// Note 4 needs the goodwill value.
    #[error("note 4 needs the goodwill value of the block")]
    GoodwillMissing,
    /// Note 6 has no fine: the ruling is demolition.
    #[error("note 6 (encroachment) has no fine; the ruling is demolition")]
    DemolitionOnly,
    /// Area or value not usable.
    #[error("{0}")]
    Invalid(&'static str),
}

fn hundredths(value: f64) -> Result<i128, FineError> {
    if !value.is_finite() || value < 0.0 {
        return Err(FineError::Invalid(
            "areas and coefficients must be positive numbers",
        ));
    }
    Ok((value * 100.0).round() as i128)
}

fn fmt_hundredths(h: i128) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

/// `value × a/100 × b/100`, rounded half up to whole rials.
fn times(value: i64, a: i128, b: i128) -> i64 {
    let product = i128::from(value) * a * b;
    let rounded = (product + 5_000) / 10_000;
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

impl FineRules {
    fn check(range: Range, coefficient: Option<f64>) -> Result<i128, FineError> {
        let c = hundredths(coefficient.ok_or(FineError::CoefficientMissing)?)?;
        if c < i128::from(range.min) || c > i128::from(range.max) {
            return Err(FineError::CoefficientOutOfRange {
                got: coefficient.unwrap_or_default(),
                min: f64::from(range.min) / 100.0,
                max: f64::from(range.max) / 100.0,
            });
        }
        Ok(c)
    }

    /// The fine of one item.
    pub fn fine(&self, item: &ItemFacts) -> Result<FineLine, FineError> {
        if item.transaction_value <= 0 {
            return Err(FineError::Invalid("the transaction value must be positive"));
        }
        let tv = item.transaction_value;
        let area = hundredths(item.area_m2)?;
        let line = |area_h: i128, coef_h: i128, value: i64, label: &str| {
            let rials = times(value, area_h, coef_h);
            FineLine {
                rials,
                arithmetic: format!(
                    "{} m² × {} × {value} rials/m² ({label}) = {rials} rials",
                    fmt_hundredths(area_h),
                    fmt_hundredths(coef_h)
                ),
            }
        };
        match item.note {
            ViolationNote::Note2 => Ok(line(
                area,
                Self::check(self.note2, item.coefficient)?,
                tv,
                "transaction value",
            )),
            ViolationNote::Note3 => Ok(line(
                area,
                Self::check(self.note3, item.coefficient)?,
                tv,
                "transaction value",
            )),
            ViolationNote::Note4 => {
                let goodwill = item.goodwill_value.ok_or(FineError::GoodwillMissing)?;
                let by_value = line(
                    area,
                    i128::from(self.note4_transaction_share),
                    tv,
                    "transaction value",
                );
                let by_goodwill = line(
                    area,
                    i128::from(self.note4_goodwill_share),
                    goodwill,
                    "goodwill value",
                );
                let (larger, other) = if by_goodwill.rials > by_value.rials {
                    (by_goodwill, by_value)
                } else {
                    (by_value, by_goodwill)
                };
                Ok(FineLine {
                    rials: larger.rials,
                    arithmetic: format!("larger of {} and {}", larger.arithmetic, other.arithmetic),
                })
            }
            ViolationNote::Note5 => {
                if item.parking_spaces == 0 {
                    return Err(FineError::Invalid(
                        "note 5 needs the number of parking spaces lost",
                    ));
                }
                let area =
                    i128::from(item.parking_spaces) * i128::from(self.parking_space_m2) * 100;
                let coef = Self::check(self.note5, item.coefficient)?;
                let mut l = line(area, coef, tv, "transaction value");
                l.arithmetic = format!(
                    "{} spaces × {} m² = {}",
                    item.parking_spaces, self.parking_space_m2, l.arithmetic
                );
                Ok(l)
            }
            ViolationNote::Note6 => Err(FineError::DemolitionOnly),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(note: ViolationNote, area: f64, coefficient: Option<f64>) -> ItemFacts {
        ItemFacts {
            note,
            area_m2: area,
            parking_spaces: 0,
            transaction_value: 23_000_000,
            goodwill_value: Some(45_000_000),
            coefficient,
        }
    }

    #[test]
    fn note_2_multiplies_area_coefficient_and_value_within_its_range() {
        let rules = FineRules::default();
        let fine = rules
            .fine(&item(ViolationNote::Note2, 60.0, Some(0.3)))
            .expect("fine");
        assert_eq!(fine.rials, 414_000_000);
        assert!(
            fine.arithmetic.contains("60.00 m² × 0.30 × 23000000"),
            "{}",
            fine.arithmetic
        );
        assert!(
            rules
                .fine(&item(ViolationNote::Note2, 60.0, Some(0.1)))
                .is_ok(),
            "lower edge"
        );
        assert!(
            rules
                .fine(&item(ViolationNote::Note2, 60.0, Some(0.5)))
                .is_ok(),
            "upper edge"
        );
        assert!(matches!(
            rules.fine(&item(ViolationNote::Note2, 60.0, Some(0.51))),
            Err(FineError::CoefficientOutOfRange { .. })
        ));
        assert!(matches!(
            rules.fine(&item(ViolationNote::Note2, 60.0, Some(0.09))),
            Err(FineError::CoefficientOutOfRange { .. })
        ));
        assert_eq!(
            rules.fine(&item(ViolationNote::Note2, 60.0, None)),
            Err(FineError::CoefficientMissing)
        );
    }

    #[test]
    fn note_3_uses_its_own_range() {
        let rules = FineRules::default();
        assert_eq!(
            rules
                .fine(&item(ViolationNote::Note3, 35.0, Some(2.5)))
                .map(|f| f.rials),
            Ok(2_012_500_000)
        );
        assert!(rules
            .fine(&item(ViolationNote::Note3, 35.0, Some(4.0)))
            .is_ok());
        assert!(rules
            .fine(&item(ViolationNote::Note3, 35.0, Some(1.99)))
            .is_err());
    }

    #[test]
    fn note_4_takes_the_larger_of_transaction_and_goodwill_shares() {
        let rules = FineRules::default();
        // 0.1 × 23,000,000 = 2,300,000 per m² < 0.2 × 45,000,000 = 9,000,000 per m².
        let fine = rules
            .fine(&item(ViolationNote::Note4, 100.0, None))
            .expect("fine");
        assert_eq!(fine.rials, 900_000_000);
        assert!(
            fine.arithmetic.starts_with("larger of"),
            "{}",
            fine.arithmetic
        );
        let mut cheap_goodwill = item(ViolationNote::Note4, 100.0, None);
        cheap_goodwill.goodwill_value = Some(5_000_000);
        assert_eq!(
            rules.fine(&cheap_goodwill).map(|f| f.rials),
            Ok(230_000_000)
        );
        let mut none = item(ViolationNote::Note4, 100.0, None);
        none.goodwill_value = None;
        assert_eq!(rules.fine(&none), Err(FineError::GoodwillMissing));
    }

    #[test]
    fn note_5_counts_twenty_five_square_metres_per_parking_space() {
        let rules = FineRules::default();
        let mut parking = item(ViolationNote::Note5, 0.0, Some(1.5));
        parking.parking_spaces = 2;
        let fine = rules.fine(&parking).expect("fine");
        assert_eq!(fine.rials, 50 * 23_000_000 * 3 / 2);
        assert!(
            fine.arithmetic.starts_with("2 spaces × 25 m²"),
            "{}",
            fine.arithmetic
        );
        parking.coefficient = Some(2.1);
        assert!(rules.fine(&parking).is_err());
    }

    #[test]
    fn note_6_has_no_fine_and_bad_numbers_are_refused() {
        let rules = FineRules::default();
        assert_eq!(
            rules.fine(&item(ViolationNote::Note6, 12.0, None)),
            Err(FineError::DemolitionOnly)
        );
        assert!(rules
            .fine(&item(ViolationNote::Note2, -1.0, Some(0.2)))
            .is_err());
        let mut zero = item(ViolationNote::Note2, 10.0, Some(0.2));
        zero.transaction_value = 0;
        assert!(rules.fine(&zero).is_err());
    }

    #[test]
    fn fractions_of_a_rial_round_half_up() {
        let rules = FineRules::default();
        let mut odd = item(ViolationNote::Note2, 0.01, Some(0.1));
        odd.transaction_value = 5;
        // 0.01 × 0.10 × 5 = 0.005 → 0
        assert_eq!(rules.fine(&odd).map(|f| f.rials), Ok(0));
        odd.transaction_value = 50_000;
        // 0.01 × 0.10 × 50,000 = 50
        assert_eq!(rules.fine(&odd).map(|f| f.rials), Ok(50));
    }
}
