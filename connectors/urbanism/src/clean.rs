//! Reading legacy values: codes to closed sets, Jalali text to dates, messy identifiers to
//! validated ones. Anything unreadable is reported (log line with the row key, counter) and
//! becomes `None`; the caller decides whether the row survives without it.

use std::{collections::BTreeMap, sync::Mutex};

use chrono::NaiveDate;
use shahr_domain::{
    identifiers::{LegalId, Mobile, NationalId, PostalCode},
    jalali::JalaliDate,
    text::{digits_only, normalise},
    vocabulary::*,
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

    /// A national id; empty is `None` silently, invalid is reported.
    pub(crate) fn national_id(
        &self,
        column: &'static str,
        raw: Option<&str>,
    ) -> Option<NationalId> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        NationalId::parse(raw)
            .ok()
            .or_else(|| self.reject(column, raw))
    }

    /// A legal-entity id.
    pub(crate) fn legal_id(&self, column: &'static str, raw: Option<&str>) -> Option<LegalId> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        LegalId::parse(raw)
            .ok()
            .or_else(|| self.reject(column, raw))
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
            .or_else(|| self.reject(column, raw))
    }

    /// A mobile number.
    pub(crate) fn mobile(&self, column: &'static str, raw: Option<&str>) -> Option<Mobile> {
        let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
        Mobile::parse(raw).ok().or_else(|| self.reject(column, raw))
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

pub(crate) fn land_use(code: u32) -> Option<LandUse> {
    Some(match code {
        1 => LandUse::Residential,
        2 => LandUse::Commercial,
        3 => LandUse::Office,
        4 => LandUse::Industrial,
        5 => LandUse::Educational,
        6 => LandUse::GreenSpace,
        7 => LandUse::Mixed,
        _ => return None,
    })
}

pub(crate) fn land_use_code(value: LandUse) -> u32 {
    match value {
        LandUse::Residential => 1,
        LandUse::Commercial => 2,
        LandUse::Office => 3,
        LandUse::Industrial => 4,
        LandUse::Educational => 5,
        LandUse::GreenSpace => 6,
        LandUse::Mixed => 7,
    }
}

pub(crate) fn owner_kind(code: u32) -> Option<OwnerKind> {
    match code {
        1 => Some(OwnerKind::Natural),
        2 => Some(OwnerKind::Legal),
        _ => None,
    }
}

pub(crate) fn permit_kind(code: u32) -> Option<PermitKind> {
    Some(match code {
        1 => PermitKind::NewConstruction,
        2 => PermitKind::Renewal,
        3 => PermitKind::Amendment,
        4 => PermitKind::Demolition,
        5 => PermitKind::BoundaryWall,
        6 => PermitKind::Repair,
        _ => return None,
    })
}

pub(crate) fn permit_status(code: u32) -> Option<PermitStatus> {
    Some(match code {
        0 => PermitStatus::Draft,
        1 => PermitStatus::Issued,
        2 => PermitStatus::Expired,
        3 => PermitStatus::Cancelled,
        _ => return None,
    })
}

pub(crate) fn certificate_kind(code: u32) -> Option<CertificateKind> {
    match code {
        1 => Some(CertificateKind::Completion),
        2 => Some(CertificateKind::NoViolation),
        _ => None,
    }
}

pub(crate) fn commission_kind(code: u32) -> Option<CommissionKind> {
    match code {
        1 => Some(CommissionKind::Primary),
        2 => Some(CommissionKind::Appeal),
        _ => None,
    }
}

pub(crate) fn member_role(code: u32) -> Option<MemberRole> {
    Some(match code {
        1 => MemberRole::InteriorMinistryRepresentative,
        2 => MemberRole::Judge,
        3 => MemberRole::CityCouncilMember,
        4 => MemberRole::MunicipalRepresentative,
        _ => return None,
    })
}

/// Legacy `marhaleh` codes of cases, both ways.
pub(crate) const CASE_STATUS_CODES: [(u32, CaseStatus); 14] = [
    (10, CaseStatus::Detected),
    (20, CaseStatus::ExpertReview),
    (30, CaseStatus::Referred),
    (40, CaseStatus::Assigned),
    (45, CaseStatus::DefenceWindow),
    (50, CaseStatus::InSession),
    (60, CaseStatus::RulingIssued),
    (70, CaseStatus::Notified),
    (75, CaseStatus::ObjectionWindow),
    (80, CaseStatus::Appealed),
    (85, CaseStatus::AppealRuled),
    (90, CaseStatus::Final),
    (95, CaseStatus::Enforcement),
    (99, CaseStatus::Closed),
];

pub(crate) fn case_status(code: u32) -> Option<CaseStatus> {
    CASE_STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| *s)
}

pub(crate) fn detection_source(code: u32) -> Option<DetectionSource> {
    Some(match code {
        1 => DetectionSource::Inspector,
        2 => DetectionSource::EngineerReport,
        3 => DetectionSource::Complaint,
        4 => DetectionSource::CitizenRequest,
        _ => return None,
    })
}

pub(crate) fn violation_note(code: u32) -> Option<ViolationNote> {
    Some(match code {
        2 => ViolationNote::Note2,
        3 => ViolationNote::Note3,
        4 => ViolationNote::Note4,
        5 => ViolationNote::Note5,
        6 => ViolationNote::Note6,
        _ => return None,
    })
}

/// Legacy `noe_ray` codes, both ways.
pub(crate) const RULING_KIND_CODES: [(u32, RulingKind); 6] = [
    (1, RulingKind::Demolition),
    (2, RulingKind::Fine),
    (3, RulingKind::Restoration),
    (4, RulingKind::Closure),
    (5, RulingKind::InterimOrder),
    (6, RulingKind::Dismissal),
];

pub(crate) fn ruling_kind(code: u32) -> Option<RulingKind> {
    RULING_KIND_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, k)| *k)
}

pub(crate) fn ruling_stage(code: u32) -> Option<RulingStage> {
    match code {
        1 => Some(RulingStage::Primary),
        2 => Some(RulingStage::Appeal),
        _ => None,
    }
}

/// Legacy `vaziat` codes of rulings, both ways.
pub(crate) const RULING_STATUS_CODES: [(u32, RulingStatus); 7] = [
    (1, RulingStatus::Issued),
    (2, RulingStatus::Notified),
    (3, RulingStatus::Objected),
    (4, RulingStatus::Appealed),
    (5, RulingStatus::Final),
    (6, RulingStatus::Enforced),
    (7, RulingStatus::Overturned),
];

pub(crate) fn ruling_status(code: u32) -> Option<RulingStatus> {
    RULING_STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| *s)
}

pub(crate) fn breached_principle(code: u32) -> Option<BreachedPrinciple> {
    Some(match code {
        1 => BreachedPrinciple::Technical,
        2 => BreachedPrinciple::Health,
        3 => BreachedPrinciple::UrbanPlanning,
        _ => return None,
    })
}

pub(crate) fn notification_mode(code: u32) -> Option<NotificationMode> {
    Some(match code {
        1 => NotificationMode::InPerson,
        2 => NotificationMode::RelativeOrEmployee,
        3 => NotificationMode::Affixed,
        4 => NotificationMode::LegalEntityRepresentative,
        5 => NotificationMode::Electronic,
        _ => return None,
    })
}

pub(crate) fn objector(code: u32) -> Option<Objector> {
    match code {
        1 => Some(Objector::Owner),
        2 => Some(Objector::Municipality),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(reader.coded("noe_ray", Some("99"), ruling_kind), None);
        assert_eq!(
            reader.coded("noe_ray", Some("۰۲"), ruling_kind),
            Some(RulingKind::Fine)
        );
        assert_eq!(
            rejects.snapshot(),
            vec![(("tbl_ray", "noe_ray"), 1), (("tbl_ray", "tarikh_ray"), 1)]
        );
    }
}
