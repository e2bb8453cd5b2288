//! Money: whole rials in integers, never floating point. Every operation that could overflow
//! says so with an error; nothing wraps or saturates silently.

use std::fmt;

use crate::quantities::Hundredths;

/// An amount of money in whole rials (not negative).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Rials(i64);

/// An amount that does not fit: larger than the largest amount the system records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large to record")]
pub struct Overflow;

/// An amount that cannot be money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Below zero.
    #[error("an amount of money cannot be negative")]
    Negative,
    /// Too large.
    #[error(transparent)]
    Overflow(#[from] Overflow),
}

impl Rials {
    /// Zero rials.
    pub const ZERO: Self = Self(0);

    /// An amount; negative amounts are refused.
    pub fn new(rials: i64) -> Result<Self, MoneyError> {
        if rials < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Self(rials))
    }

    /// The number of rials.
    pub fn get(self) -> i64 {
        self.0
    }

    /// `self + other`.
    pub fn checked_add(self, other: Self) -> Result<Self, Overflow> {
        self.0.checked_add(other.0).map(Self).ok_or(Overflow)
    }

    /// `self - other`, or `None` when `other` is larger.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).filter(|v| *v >= 0).map(Self)
    }

    /// `self - other`, zero when `other` is larger.
    pub fn saturating_sub(self, other: Self) -> Self {
        Self((self.0 - other.0).max(0))
    }

    /// The sum of amounts.
    pub fn sum(amounts: impl IntoIterator<Item = Self>) -> Result<Self, Overflow> {
        amounts
            .into_iter()
            .try_fold(Self::ZERO, |acc, a| acc.checked_add(a))
    }

    /// `self × a × b`, where `a` and `b` are in hundredths, rounded half up to a whole rial.
    pub fn times_hundredths(self, a: Hundredths, b: Hundredths) -> Result<Self, Overflow> {
        let product = i128::from(self.0)
            .checked_mul(i128::from(a.hundredths()))
            .and_then(|p| p.checked_mul(i128::from(b.hundredths())))
            .ok_or(Overflow)?;
        let rounded = (product + 5_000) / 10_000;
        i64::try_from(rounded).map(Self).map_err(|_| Overflow)
    }

    /// `self × share`, where `share` is a fraction in hundredths (10 = one tenth), rounded
    /// half up.
    pub fn share(self, share: u32) -> Result<Self, Overflow> {
        let product = i128::from(self.0)
            .checked_mul(i128::from(share))
            .ok_or(Overflow)?;
        i64::try_from((product + 50) / 100)
            .map(Self)
            .map_err(|_| Overflow)
    }

    /// Digits grouped by thousands (`1,276,500,000`).
    pub fn grouped(self) -> String {
        let digits = self.0.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for Rials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64) -> Rials {
        Rials::new(n).expect("amount")
    }

    #[test]
    fn sums_and_products_overflow_as_errors_never_wrapping() {
        assert_eq!(r(i64::MAX).checked_add(r(1)), Err(Overflow));
        assert_eq!(Rials::sum([r(i64::MAX - 1), r(1)]), Ok(r(i64::MAX)));
        assert_eq!(Rials::sum([r(i64::MAX), r(1)]), Err(Overflow));
        let big = Hundredths::from_hundredths(1_000_000_000_000).expect("big");
        assert_eq!(r(i64::MAX).times_hundredths(big, big), Err(Overflow));
        assert_eq!(Rials::new(-1), Err(MoneyError::Negative));
    }

    #[test]
    fn products_round_half_up_to_the_rial() {
        let a = Hundredths::parse("0.01").expect("a");
        let c = Hundredths::parse("0.5").expect("c");
        // 0.01 × 0.5 × 100 = 0.5 → 1
        assert_eq!(r(100).times_hundredths(a, c), Ok(r(1)));
        // 0.01 × 0.5 × 99 = 0.495 → 0
        assert_eq!(r(99).times_hundredths(a, c), Ok(r(0)));
        assert_eq!(r(23_000_000).share(10), Ok(r(2_300_000)));
        assert_eq!(r(1_276_500_000).grouped(), "1,276,500,000");
        assert_eq!(r(5).checked_sub(r(6)), None);
    }
}
