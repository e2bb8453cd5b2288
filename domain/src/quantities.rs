//! Exact decimal quantities with two places: areas in square metres and fine coefficients.
//!
//! The legacy tables keep both as `numeric(_, 2)`, and a fine is the product of an area, a
//! coefficient and a value in rials; holding them as whole hundredths keeps every step exact.
//! A value with more than two decimal places is refused rather than rounded, so what is
//! checked against the law, what is stored and what is priced are always the same number.

use std::fmt;

/// Why a decimal could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a number like `0.75` or `60`.
    #[error("expected a number like 0.75")]
    Format,
    /// More than two decimal places (the urbanism system records hundredths).
    #[error("at most two decimal places")]
    TooPrecise,
    /// Negative, or not finite.
    #[error("must not be negative")]
    Negative,
    /// Larger than the quantity allows.
    #[error("too large")]
    TooLarge,
}

/// A non-negative number with at most two decimal places, held as whole hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hundredths(u64);

/// The largest value accepted: 10^12 hundredths (ten billion), far beyond any area or coefficient.
const MAX_HUNDREDTHS: u64 = 1_000_000_000_000;

impl Hundredths {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// From a count of hundredths.
    pub fn from_hundredths(h: u64) -> Result<Self, DecimalError> {
        if h > MAX_HUNDREDTHS {
            return Err(DecimalError::TooLarge);
        }
        Ok(Self(h))
    }

    /// From a whole number.
    pub fn whole(n: u32) -> Self {
        Self(u64::from(n) * 100)
    }

    /// Reads `0.75`, `60`, `60.5`, `۰٫۷۵` (Persian or Arabic-Indic digits, `.` `٫` or `,` as
    /// the decimal mark). More than two decimals is [`DecimalError::TooPrecise`], never rounded.
    pub fn parse(input: &str) -> Result<Self, DecimalError> {
        let text: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '٫' | ',' => '.',
                other => crate::text::ascii_digit(other).unwrap_or(other),
            })
            .collect();
        if text.starts_with('-') {
            return Err(DecimalError::Negative);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text.as_str(), ""),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(DecimalError::Format);
        }
        if !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err(DecimalError::Format);
        }
        let significant = fraction.trim_end_matches('0');
        if significant.len() > 2 {
            return Err(DecimalError::TooPrecise);
        }
        let whole_value: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| DecimalError::TooLarge)?
        };
        let mut cents = 0u64;
        for (i, c) in significant.chars().enumerate() {
            let digit = u64::from(c.to_digit(10).ok_or(DecimalError::Format)?);
            cents += digit * if i == 0 { 10 } else { 1 };
        }
        let total = whole_value
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or(DecimalError::TooLarge)?;
        Self::from_hundredths(total)
    }

    /// Reads a floating-point number exactly as it was written: its shortest decimal form
    /// (`0.504` stays `0.504` and is refused, it does not become `0.50`).
    pub fn from_f64(value: f64) -> Result<Self, DecimalError> {
        if !value.is_finite() {
            return Err(DecimalError::Format);
        }
        if value < 0.0 {
            return Err(DecimalError::Negative);
        }
        if value >= 1e13 {
            return Err(DecimalError::TooLarge);
        }
        // `{}` prints the shortest representation that reads back as the same f64.
        Self::parse(&format!("{value}"))
    }

    /// The number of hundredths.
    pub fn hundredths(self) -> u64 {
        self.0
    }

    /// For display only (areas in API output): never used in arithmetic on money.
    pub fn to_f64(self) -> f64 {
        // Hundredths stay below 2^53, so this is exact to two places.
        #[allow(clippy::cast_precision_loss)]
        let v = self.0 as f64;
        v / 100.0
    }

    /// `self - other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// The number with its two decimals, in ASCII digits (`60.00`).
    pub fn to_fixed(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// The shortest decimal form (`0.75`, `2`, `1.5`).
    pub fn to_short(self) -> String {
        match self.0 % 100 {
            0 => format!("{}", self.0 / 100),
            c if c % 10 == 0 => format!("{}.{}", self.0 / 100, c / 10),
            c => format!("{}.{c:02}", self.0 / 100),
        }
    }
}

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_short())
    }
}

/// Written as a decimal string with two places (`"0.75"`), read from any decimal string.
impl serde::Serialize for Hundredths {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_fixed())
    }
}

impl<'de> serde::Deserialize<'de> for Hundredths {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Hundredths::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An area in square metres, to the hundredth.
pub type Area = Hundredths;

/// A fine coefficient (times the transaction value), to the hundredth.
pub type Coefficient = Hundredths;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly_or_refused() {
        for (input, expected) in [
            ("0.75", Ok(75)),
            ("60", Ok(6000)),
            ("60.5", Ok(6050)),
            ("3.00", Ok(300)),
            ("0.500", Ok(50)),
            ("۰٫۷۵", Ok(75)),
            (".5", Ok(50)),
            ("0.504", Err(DecimalError::TooPrecise)),
            ("2.999", Err(DecimalError::TooPrecise)),
            ("-1", Err(DecimalError::Negative)),
            ("abc", Err(DecimalError::Format)),
            ("1.2.3", Err(DecimalError::Format)),
            ("", Err(DecimalError::Format)),
            ("99999999999999999", Err(DecimalError::TooLarge)),
        ] {
            assert_eq!(
                Hundredths::parse(input).map(Hundredths::hundredths),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn floats_keep_the_digits_they_were_written_with() {
        assert_eq!(Hundredths::from_f64(0.3).map(|h| h.hundredths()), Ok(30));
        assert_eq!(Hundredths::from_f64(1.15).map(|h| h.hundredths()), Ok(115));
        assert_eq!(
            Hundredths::from_f64(0.504),
            Err(DecimalError::TooPrecise),
            "0.504 is not 0.50"
        );
        assert_eq!(Hundredths::from_f64(f64::NAN), Err(DecimalError::Format));
        assert_eq!(Hundredths::from_f64(-0.5), Err(DecimalError::Negative));
    }

    #[test]
    fn quantities_print_in_fixed_and_short_forms() {
        let h = Hundredths::parse("60").expect("60");
        assert_eq!(h.to_fixed(), "60.00");
        assert_eq!(h.to_short(), "60");
        assert_eq!(Hundredths::parse("1.5").expect("1.5").to_short(), "1.5");
        assert_eq!(Hundredths::parse("0.75").expect("0.75").to_string(), "0.75");
    }
}
