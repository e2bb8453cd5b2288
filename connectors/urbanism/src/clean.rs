//! Reading legacy values: codes to closed sets, Jalali text to dates, messy identifiers to
//! validated ones. Anything unreadable is reported (log line with the row key, counter) and
//! becomes `None`; the caller decides whether the row survives without it.

use std::{collections::BTreeMap, sync::Mutex};

use chrono::NaiveDate;
use shahr_domain::{
    identifiers::{LegalId, Mobile, NationalId, PostalCode},
    jalali::JalaliDate,
    text::{digits_only, normalise},
};

/// Counts of unreadable legacy values, by `(table, column)`; `column` is `*` for skipped rows.
#[derive(Debug, Default)]
pub struct Rejects(Mutex<BTreeMap<(&'static str, &'static str), u64>>);

impl Rejects {
    /// Records one unreadable value (or, with column `*`, a skipped row).
    pub fn report(&self, table: &'static str, column: &'static str, key: i32, raw: &str) {
        tracing::warn!(table, column, id = key, raw, "unreadable legacy value");
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((table, column)).or_default() += 1;
    }

    /// A snapshot of the counts.
    pub fn snapshot(&self) -> Vec<((&'static str, &'static str), u64)> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// Reads values of one legacy row, reporting what it cannot read.
pub(crate) struct RowReader<'a> {
    pub(crate) rejects: &'a Rejects,
    pub(crate) table: &'static str,
    pub(crate) key: i32,
}

impl RowReader<'_> {
    fn reject<T>(&self, column: &'static str, raw: &str) -> Option<T> {
        self.rejects.report(self.table, column, self.key, raw);
        None
    }

    /// Reports an unreadable personal value (national or legal id, mobile, postal code) with
    /// only its shape in the log.
    fn reject_personal<T>(&self, column: &'static str, raw: &str) -> Option<T> {
        self.reject(column, &shahr_domain::text::masked(raw))
    }

    /// Reports the whole row as skipped.
    pub(crate) fn skip<T>(&self, why: &str) -> Option<T> {
        self.rejects.report(self.table, "*", self.key, why);
        None
    }

    /// Normalised text; empty becomes `None`.
    pub(crate) fn text(&self, raw: Option<String>) -> Option<String> {
        raw.map(|t| normalise(&t)).filter(|t| !t.is_empty())
    }

    /// A Jalali date as text; empty is `None` silently, malformed is reported.
    pub(crate) fn date(&self, column: &'static str, raw: Option<&str>) -> Option<NaiveDate> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        match JalaliDate::parse(raw) {
            Ok(d) => Some(d.to_gregorian()),
            Err(_) => self.reject(column, raw),
        }
    }

    /// A numeric legacy code (`'02'`, `'2'`, `'۰۲'`).
    pub(crate) fn code(&self, column: &'static str, raw: Option<&str>) -> Option<u32> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        match digits_only(raw).and_then(|d| d.parse().ok()) {
            Some(n) => Some(n),
            None => self.reject(column, raw),
        }
    }

    /// A code mapped through `map`; unknown codes are reported.
    pub(crate) fn coded<T>(
        &self,
        column: &'static str,
        raw: Option<&str>,
        map: impl Fn(u32) -> Option<T>,
    ) -> Option<T> {
        let code = self.code(column, raw)?;
        match map(code) {
            Some(v) => Some(v),
            None => self.reject(column, raw.unwrap_or_default()),
        }
    }

    /// A non-negative decimal held as hundredths (read in SQL as `(col * 100)::int8`);
    /// negative values are reported.
    pub(crate) fn hundredths(
        &self,
        column: &'static str,
        raw: Option<i64>,
    ) -> Option<shahr_domain::quantities::Hundredths> {
        let raw = raw?;
        u64::try_from(raw)
            .ok()
            .and_then(|h| shahr_domain::quantities::Hundredths::from_hundredths(h).ok())
            .or_else(|| self.reject(column, &raw.to_string()))
    }

    /// A national id; empty is `None` silently, invalid is reported.
    pub(crate) fn national_id(
        &self,
        column: &'static str,
        raw: Option<&str>,
    ) -> Option<NationalId> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        NationalId::parse(raw)
            .ok()
            .or_else(|| self.reject_personal(column, raw))
    }

    /// A legal-entity id.
    pub(crate) fn legal_id(&self, column: &'static str, raw: Option<&str>) -> Option<LegalId> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        LegalId::parse(raw)
            .ok()
            .or_else(|| self.reject_personal(column, raw))
    }

    /// A postal code.
    pub(crate) fn postal_code(
        &self,
        column: &'static str,
        raw: Option<&str>,
    ) -> Option<PostalCode> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        PostalCode::parse(raw)
            .ok()
            .or_else(|| self.reject_personal(column, raw))
    }

    /// A mobile number.
    pub(crate) fn mobile(&self, column: &'static str, raw: Option<&str>) -> Option<Mobile> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        Mobile::parse(raw)
            .ok()
            .or_else(|| self.reject_personal(column, raw))
    }

    /// A district number stored as text.
    pub(crate) fn district(&self, column: &'static str, raw: Option<&str>) -> Option<i16> {
        self.code(column, raw).and_then(|n| i16::try_from(n).ok())
    }

    /// A WKT `POLYGON((x y, ...))` outer ring.
    pub(crate) fn polygon(
        &self,
        column: &'static str,
        raw: Option<&str>,
    ) -> Option<Vec<(f64, f64)>> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        parse_wkt_polygon(raw).or_else(|| self.reject(column, raw))
    }
}

fn parse_wkt_polygon(wkt: &str) -> Option<Vec<(f64, f64)>> {
    let upper = wkt.trim();
    let body = upper
        .strip_prefix("POLYGON")
        .or_else(|| upper.strip_prefix("polygon"))?
        .trim()
        .strip_prefix("((")?
        .split("))")
        .next()?;
    // Only the outer ring: stop at the first "),(" of an inner ring.
    let outer = body.split("),").next()?;
    let points: Option<Vec<(f64, f64)>> = outer
        .split(',')
        .map(|pair| {
            let mut it = pair.split_whitespace();
            let x = it.next()?.parse().ok()?;
            let y = it.next()?.parse().ok()?;
            Some((x, y))
        })
        .collect();
    points.filter(|p| p.len() >= 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shahr_domain::vocabulary::RulingKind;

    #[test]
    fn wkt_polygons_are_read_and_garbage_is_not() {
        let ring = parse_wkt_polygon("POLYGON((1 2, 3 4, 5 6, 1 2))").expect("ring");
        assert_eq!(ring, vec![(1.0, 2.0), (3.0, 4.0), (5.0, 6.0), (1.0, 2.0)]);
        assert_eq!(parse_wkt_polygon("POINT(1 2)"), None);
        assert_eq!(parse_wkt_polygon("POLYGON((1 2, x y))"), None);
    }

    #[test]
    fn unreadable_values_are_counted_by_table_and_column() {
        let rejects = Rejects::default();
        let reader = RowReader {
            rejects: &rejects,
            table: "tbl_ray",
            key: 7,
        };
        assert_eq!(reader.date("tarikh_ray", Some("1399/13/40")), None);
        assert_eq!(
            reader.date("tarikh_ray", Some("")),
            None,
            "empty is not an error"
        );
        assert_eq!(
            reader.coded("noe_ray", Some("99"), |c| crate::codes::RULING_KIND
                .decode(c)),
            None
        );
        assert_eq!(
            reader.coded("noe_ray", Some("۰۲"), |c| crate::codes::RULING_KIND
                .decode(c)),
            Some(RulingKind::Fine)
        );
        assert_eq!(
            rejects.snapshot(),
            vec![(("tbl_ray", "noe_ray"), 1), (("tbl_ray", "tarikh_ray"), 1)]
        );
    }
}
