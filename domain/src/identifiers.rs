//! Validated identifiers. Each parses user or legacy input (any digit script) and keeps the
//! canonical ASCII form.

use std::fmt;

use crate::text::digits_only;

/// Why an identifier was refused; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// Something other than digits (and spaces or dashes) was given.
    #[error("must contain digits only")]
    NotDigits,
    /// Wrong number of digits.
    #[error("must have {expected} digits, got {got}")]
    Length {
        /// Digits expected.
        expected: &'static str,
        /// Digits given.
        got: usize,
    },
    /// All digits equal (e.g. 1111111111), which passes the checksum but is never issued.
    #[error("cannot have all digits equal")]
    AllEqual,
    /// The check digit does not match.
    #[error("check digit does not match")]
    CheckDigit,
    /// Wrong number of parts (renovation codes have seven).
    #[error("must have {expected} parts separated by dashes, got {got}")]
    Parts {
        /// Parts expected.
        expected: usize,
        /// Parts given.
        got: usize,
    },
    /// A renovation code whose district is zero.
    #[error("the district (first part) cannot be zero")]
    ZeroDistrict,
}

/// An Iranian national id (*kod-e melli*): ten digits with a mod-11 check digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalId(String);

impl NationalId {
    /// Parses and validates; 8 and 9 digit input is left-padded with zeros.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let digits = digits_only(input).ok_or(IdentifierError::NotDigits)?;
        let digits = match digits.len() {
            8 | 9 => format!("{digits:0>10}"),
            10 => digits,
            got => {
                return Err(IdentifierError::Length {
                    expected: "10 (or 8-9, left-padded)",
                    got,
                })
            }
        };
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d.iter().all(|x| *x == d[0]) {
            return Err(IdentifierError::AllEqual);
        }
        let sum: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
        let r = sum % 11;
        let expected = if r < 2 { r } else { 11 - r };
        if d[9] != expected {
            return Err(IdentifierError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The canonical ten ASCII digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.0)
    }
}

impl TryFrom<String> for NationalId {
    type Error = IdentifierError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NationalId> for String {
    fn from(value: NationalId) -> Self {
        value.0
    }
}

/// Declares the string plumbing (Display, Debug, serde) of an identifier newtype.
macro_rules! identifier_string {
    ($name:ident) => {
        impl $name {
            /// The canonical ASCII form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

/// A legal-entity id (*shenaseh-ye melli*): eleven digits with a weighted check digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LegalId(String);
identifier_string!(LegalId);

impl LegalId {
    /// Parses and validates.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let digits = digits_only(input).ok_or(IdentifierError::NotDigits)?;
        if digits.len() != 11 {
            return Err(IdentifierError::Length {
                expected: "11",
                got: digits.len(),
            });
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d.iter().all(|x| *x == d[0]) {
            return Err(IdentifierError::AllEqual);
        }
        const WEIGHTS: [u32; 5] = [29, 27, 23, 19, 17];
        let base = d[9] + 2;
        let mut sum = (0..10).map(|i| (base + d[i]) * WEIGHTS[i % 5]).sum::<u32>() % 11;
        if sum == 10 {
            sum = 0;
        }
        if d[10] != sum {
            return Err(IdentifierError::CheckDigit);
        }
        Ok(Self(digits))
    }
}

/// An Iranian postal code: ten digits, often written `NNNNN-NNNNN`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);
identifier_string!(PostalCode);

impl PostalCode {
    /// Parses; dashes and spaces are dropped, any digit script accepted.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let digits = digits_only(input).ok_or(IdentifierError::NotDigits)?;
        if digits.len() != 10 {
            return Err(IdentifierError::Length {
                expected: "10",
                got: digits.len(),
            });
        }
        if digits.bytes().all(|b| b == digits.as_bytes()[0]) {
            return Err(IdentifierError::AllEqual);
        }
        Ok(Self(digits))
    }
}

/// An Iranian mobile number, stored as `09XXXXXXXXX`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);
identifier_string!(Mobile);

impl Mobile {
    /// Accepts `+98`, `0098`, `0` or no prefix before `9XXXXXXXXX`.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let trimmed = input.trim();
        let plus = trimmed.starts_with('+');
        let digits =
            digits_only(trimmed.trim_start_matches('+')).ok_or(IdentifierError::NotDigits)?;
        let national = if plus {
            digits.strip_prefix("98")
        } else if let Some(rest) = digits.strip_prefix("0098") {
            Some(rest)
        } else if let Some(rest) = digits.strip_prefix('0') {
            Some(rest)
        } else {
            Some(digits.as_str())
        };
        match national {
            Some(n) if n.len() == 10 && n.starts_with('9') => Ok(Self(format!("0{n}"))),
            Some(n) => Err(IdentifierError::Length {
                expected: "10 after the prefix, starting with 9",
                got: n.len(),
            }),
            None => Err(IdentifierError::NotDigits),
        }
    }
}

/// A renovation code (*kod-e nosazi*): seven numbers,
/// district-region-block-house-building-apartment-shop, e.g. `1-2-45-28-666-0-0`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RenovationCode(String);
identifier_string!(RenovationCode);

impl RenovationCode {
    /// Parses seven numbers separated by `-` or `/` (any digit script); leading zeros dropped.
    pub fn parse(input: &str) -> Result<Self, IdentifierError> {
        let normal: String = input
            .trim()
            .chars()
            .map(|c| crate::text::ascii_digit(c).unwrap_or(c))
            .collect();
        let parts: Vec<&str> = normal.split(['-', '/']).map(str::trim).collect();
        if parts.len() != 7 {
            return Err(IdentifierError::Parts {
                expected: 7,
                got: parts.len(),
            });
        }
        let mut numbers = Vec::with_capacity(7);
        for part in parts {
            if part.is_empty() || part.len() > 6 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(IdentifierError::NotDigits);
            }
            numbers.push(
                part.parse::<u32>()
                    .map_err(|_| IdentifierError::NotDigits)?,
            );
        }
        if numbers[0] == 0 {
            return Err(IdentifierError::ZeroDistrict);
        }
        Ok(Self(
            numbers
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("-"),
        ))
    }

    fn part(&self, i: usize) -> u32 {
        self.0
            .split('-')
            .nth(i)
            .and_then(|p| p.parse().ok())
            .unwrap_or_default()
    }

    /// The district number (first part).
    pub fn district(&self) -> u32 {
        self.part(0)
    }

    /// The block number (third part), which keys the transaction-value tables.
    pub fn block(&self) -> u32 {
        self.part(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_national_ids_from_the_domain_vectors_parse() {
        for id in ["0076229645", "1583250689", "3974017844"] {
            assert_eq!(NationalId::parse(id).map(|n| n.to_string()), Ok(id.into()));
        }
    }

    #[test]
    fn invalid_national_ids_are_refused_with_the_reason() {
        assert_eq!(
            NationalId::parse("9999999999"),
            Err(IdentifierError::AllEqual)
        );
        assert_eq!(
            NationalId::parse("0076229646"),
            Err(IdentifierError::CheckDigit)
        );
        assert!(matches!(
            NationalId::parse("1234567"),
            Err(IdentifierError::Length { got: 7, .. })
        ));
        assert!(matches!(
            NationalId::parse("12345678901"),
            Err(IdentifierError::Length { got: 11, .. })
        ));
        assert_eq!(NationalId::parse("12x"), Err(IdentifierError::NotDigits));
    }

    #[test]
    fn legal_ids_are_checked() {
        assert!(LegalId::parse("10380284790").is_ok());
        assert_eq!(
            LegalId::parse("10380284791"),
            Err(IdentifierError::CheckDigit)
        );
        assert!(matches!(
            LegalId::parse("1038028479"),
            Err(IdentifierError::Length { .. })
        ));
    }

    #[test]
    fn postal_codes_drop_dashes_and_need_ten_digits() {
        assert_eq!(
            PostalCode::parse("۵۱۶۶۶-۱۴۷۷۱").map(String::from),
            Ok("5166614771".into())
        );
        assert!(PostalCode::parse("51666").is_err());
    }

    #[test]
    fn mobiles_take_every_prefix_and_store_the_national_form() {
        for input in [
            "+989121234567",
            "00989121234567",
            "09121234567",
            "9121234567",
            "۰۹۱۲۱۲۳۴۵۶۷",
        ] {
            assert_eq!(
                Mobile::parse(input).map(String::from),
                Ok("09121234567".into()),
                "{input}"
            );
        }
        assert!(Mobile::parse("0212345678").is_err());
    }

    #[test]
    fn renovation_codes_are_canonicalised() {
        let code = RenovationCode::parse("۱-۲-۴۵-۲۸-۶۶۶-۰-۰").expect("parses");
        assert_eq!(code.as_str(), "1-2-45-28-666-0-0");
        assert_eq!(code.district(), 1);
        assert_eq!(code.block(), 45);
        assert_eq!(
            RenovationCode::parse("09/002/045/28/666/0/0").map(String::from),
            Ok("9-2-45-28-666-0-0".into())
        );
        assert!(matches!(
            RenovationCode::parse("1-2-3"),
            Err(IdentifierError::Parts { got: 3, .. })
        ));
        assert_eq!(
            RenovationCode::parse("0-2-45-28-666-0-0"),
            Err(IdentifierError::ZeroDistrict)
        );
        assert_eq!(
            RenovationCode::parse("1-2-4x-28-666-0-0"),
            Err(IdentifierError::NotDigits)
        );
    }

    #[test]
    fn short_ids_are_left_padded_and_persian_digits_accepted() {
        assert_eq!(
            NationalId::parse("76229645").map(|n| n.to_string()),
            Ok("0076229645".into())
        );
        assert_eq!(
            NationalId::parse("۰۰۷۶۲۲۹۶۴۵").map(|n| n.to_string()),
            Ok("0076229645".into())
        );
    }
}
