//! Scalars of the graph, with descriptions written for front-end developers.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{FixedOffset, Utc};

/// A moment in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// A moment in time as an RFC 3339 string with offset, e.g. `2026-11-28T09:30:00+03:30`.
/// Output is in Asia/Tehran time (+03:30); input may use any offset.
#[Scalar(name = "DateTime")]
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
