//! Scalars of the graph, with descriptions written for front-end developers.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{FixedOffset, Utc};

/// A moment in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// A moment in time as an RFC 3339 string with offset, e.g. `2026-11-28T09:30:00+03:30`.
/// Output is in Asia/Tehran time (+03:30); input may use any offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|dt| DateTime(dt.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time with offset")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.with_timezone(&tehran()).to_rfc3339())
    }
}

/// Iran Standard Time, UTC+03:30 (no daylight saving since 2022).
pub fn tehran() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600 + 1800)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(value: chrono::DateTime<Utc>) -> Self {
        Self(value)
    }
}

/// A calendar day as ISO `YYYY-MM-DD`. Where a person reads the day, the object also offers a
/// `...Jalali` sibling (`1405/09/07`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub chrono::NaiveDate);

/// A calendar day as ISO `YYYY-MM-DD` (Gregorian). Fields a person reads have a `...Jalali`
/// sibling with the Solar Hijri date, e.g. `1405/09/07`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("expected an ISO date like 2026-11-28")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// The Jalali form of a day, as people in Iran read it (`1405/09/07`).
pub fn jalali(date: chrono::NaiveDate) -> String {
    shahr_domain::jalali::JalaliDate::from_gregorian(date).to_string()
}

/// An amount of money in rials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rial(pub i64);

/// Money as a whole number of rials, serialised as a string of digits (`"1250000000"`):
/// fines exceed GraphQL's `Int` and lose precision in JavaScript numbers. Divide by 10 for
/// tomans when a person asks for them.
#[Scalar(name = "Rial")]
impl ScalarType for Rial {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => shahr_domain::text::digits_only(s)
                .filter(|d| !d.is_empty())
                .and_then(|d| d.parse().ok())
                .map(Rial)
                .ok_or_else(|| {
                    InputValueError::custom(
                        "expected a whole number of rials as a string of digits",
                    )
                }),
            Value::Number(n) => n.as_i64().filter(|v| *v >= 0).map(Rial).ok_or_else(|| {
                InputValueError::custom("expected a whole, non-negative number of rials")
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Declares an identifier scalar: canonical ASCII on output; on input any string is taken
/// and the resolver validates it, so that a bad value answers `BAD_USER_INPUT` naming the
/// argument instead of failing the whole request.
macro_rules! identifier_scalar {
    ($(#[$doc:meta])* $rust:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $rust(pub String);

        $(#[$doc])*
        #[Scalar(name = $name)]
        impl ScalarType for $rust {
            fn parse(value: Value) -> InputValueResult<Self> {
                match value {
                    Value::String(s) => Ok($rust(s)),
                    Value::Number(n) => Ok($rust(n.to_string())),
                    other => Err(InputValueError::expected_type(other)),
                }
            }

            fn to_value(&self) -> Value {
                Value::String(self.0.clone())
            }
        }

        impl<T: std::fmt::Display> From<&T> for $rust {
            fn from(value: &T) -> Self {
                $rust(value.to_string())
            }
        }
    };
}

identifier_scalar!(
    /// An Iranian national id (*kod-e melli*): ten ASCII digits on output. Input may use Persian
    /// or Arabic-Indic digits; 8-9 digit input is left-padded; the check digit is verified.
    NationalIdScalar,
    "NationalId"
);
identifier_scalar!(
    /// A legal-entity id (*shenaseh-ye melli*): eleven ASCII digits, check digit verified.
    LegalIdScalar,
    "LegalId"
);
identifier_scalar!(
    /// A postal code: ten ASCII digits (input may be written `NNNNN-NNNNN`, in any digits).
    PostalCodeScalar,
    "PostalCode"
);
identifier_scalar!(
    /// A renovation code (*kod-e nosazi*): seven numbers joined by dashes,
    /// district-region-block-house-building-apartment-shop, e.g. `1-2-45-28-666-0-0`.
    /// Input may use Persian digits or `/`.
    RenovationCodeScalar,
    "RenovationCode"
);
identifier_scalar!(
    /// A fine coefficient with at most two decimal places, as a string (`"0.75"`, `"2.5"`) or a
    /// number; output is a string with two places (`"0.75"`). Checked exactly as entered:
    /// `0.504` is refused (the urbanism system records hundredths), never rounded to `0.50`.
    CoefficientScalar,
    "Coefficient"
);
identifier_scalar!(
    /// An Iranian mobile number as `09XXXXXXXXX` (input may start with `+98`, `0098` or `9`).
    MobileScalar,
    "Mobile"
);
