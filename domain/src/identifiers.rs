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
