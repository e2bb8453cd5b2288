//! Clean, typed records handed to the gateway: ASCII digits, Persian letters, Gregorian
//! dates, validated identifiers and closed sets instead of legacy codes.

use chrono::NaiveDate;
use shahr_domain::{
    identifiers::{LegalId, Mobile, NationalId, PostalCode, RenovationCode},
    quantities::{Area, Coefficient},
    vocabulary::*,
};

/// A property file (parcel).
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    /// Legacy row id.
    pub id: i32,
    /// Renovation code, canonical.
    pub renovation_code: RenovationCode,
    /// District number.
    pub district: Option<i16>,
    /// Registry plate: main number.
    pub plate_main: Option<String>,
    /// Registry plate: sub number.
    pub plate_sub: Option<String>,
    /// Registry section.
    pub plate_section: Option<String>,
    /// Postal code.
    pub postal_code: Option<PostalCode>,
    /// Address, normalised.
    pub address: Option<String>,
    /// Land area in m².
    pub area: Option<Area>,
    /// Land use.
    pub land_use: Option<LandUse>,
    /// Floors.
    pub floors: Option<i16>,
    /// Units.
    pub units: Option<i16>,
    /// Boundary ring as (longitude, latitude) points.
    pub boundary: Option<Vec<(f64, f64)>>,
    /// When the file was registered.
    pub registered_on: Option<NaiveDate>,
}

/// A person or legal entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// Legacy row id.
    pub id: i32,
    /// Natural or legal.
    pub kind: OwnerKind,
    /// Full name (or company name), normalised.
    pub full_name: String,
    /// National id (natural persons), when valid.
    pub national_id: Option<NationalId>,
    /// Legal-entity id, when valid.
    pub legal_id: Option<LegalId>,
    /// Mobile, when readable.
    pub mobile: Option<Mobile>,
}

/// An owner's share of a parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct Ownership {
    /// The parcel.
    pub parcel_id: i32,
    /// The owner.
    pub owner: Owner,
    /// Share in dang (six make the whole).
    pub share_dang: Option<f64>,
    /// Since when.
    pub since: Option<NaiveDate>,
}

/// A building permit.
#[derive(Debug, Clone, PartialEq)]
pub struct Permit {
    /// Legacy row id.
    pub id: i32,
    /// The parcel.
    pub parcel_id: i32,
    /// Permit number, normalised.
    pub number: Option<String>,
    /// Kind.
    pub kind: Option<PermitKind>,
    /// Status.
    pub status: Option<PermitStatus>,
    /// Issued on.
    pub issued_on: Option<NaiveDate>,
    /// Valid until.
    pub valid_until: Option<NaiveDate>,
    /// Permitted floor area in m².
    pub permitted_area_m2: Option<f64>,
    /// Permitted floors.
    pub permitted_floors: Option<i16>,
    /// Permitted land use.
    pub land_use: Option<LandUse>,
}

/// A completion or no-violation certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// Legacy row id.
    pub id: i32,
    /// The parcel.
    pub parcel_id: i32,
    /// Kind.
    pub kind: CertificateKind,
    /// Number.
    pub number: Option<String>,
    /// Issued on.
    pub issued_on: Option<NaiveDate>,
}

/// An Article 100 commission.
#[derive(Debug, Clone, PartialEq)]
pub struct Commission {
    /// Legacy row id.
    pub id: i32,
    /// Name, normalised.
    pub name: String,
    /// Primary or appeal.
    pub kind: CommissionKind,
    /// District served (primary commissions).
    pub district: Option<i16>,
    /// Still sitting.
    pub active: bool,
}

/// A commission seat holder.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionMember {
    /// Legacy row id.
    pub id: i32,
    /// The commission.
    pub commission_id: i32,
    /// Full name, normalised.
    pub full_name: String,
    /// National id, when valid.
    pub national_id: Option<NationalId>,
    /// Seat.
    pub role: MemberRole,
    /// Serving since.
    pub since: Option<NaiveDate>,
    /// Served until (none while serving).
    pub until: Option<NaiveDate>,
}

/// A violation case.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViolationCase {
    /// Legacy row id.
    pub id: i32,
    /// The parcel.
    pub parcel_id: i32,
    /// Case number.
    pub case_number: Option<String>,
    /// Where the case stands.
    pub status: CaseStatus,
    /// How it came to light.
    pub source: Option<DetectionSource>,
    /// Detected on.
    pub detected_on: Option<NaiveDate>,
    /// Assigned commission.
    pub commission_id: Option<i32>,
    /// Session date.
    pub session_on: Option<NaiveDate>,
    /// Secretariat number.
    pub secretariat_number: Option<String>,
}

/// A violation item of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct ViolationItem {
    /// Legacy row id.
    pub id: i32,
    /// The case.
    pub case_id: i32,
    /// Floor, as written (normalised).
    pub floor: Option<String>,
    /// The note of Article 100.
    pub note: Option<ViolationNote>,
    /// Permitted area, m² (exact hundredths).
    pub permitted_area: Option<Area>,
    /// Built area, m² (exact hundredths).
    pub built_area: Option<Area>,
    /// Permitted use.
    pub permitted_use: Option<LandUse>,
    /// Actual use.
    pub actual_use: Option<LandUse>,
    /// Coefficient chosen (exact hundredths).
    pub coefficient: Option<Coefficient>,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: Option<i16>,
    /// What the ruling decided for this item, once a ruling did (`noe_hokm`).
    pub outcome: Option<ItemOutcome>,
}

impl ViolationItem {
    /// The area a fine is computed on: what was built beyond the permit, or all of it
    /// without one.
    pub fn excess_area(&self) -> Area {
        self.built_area
            .unwrap_or_default()
            .saturating_sub(self.permitted_area.unwrap_or_default())
    }
}

/// A ruling.
#[derive(Debug, Clone, PartialEq)]
pub struct Ruling {
    /// Legacy row id.
    pub id: i32,
    /// The case.
    pub case_id: i32,
    /// The commission.
    pub commission_id: Option<i32>,
    /// Ruling number.
    pub number: Option<String>,
    /// Kind.
    pub kind: RulingKind,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// Status.
    pub status: Option<RulingStatus>,
    /// Issued on.
    pub issued_on: Option<NaiveDate>,
    /// Fine in rials.
    pub fine_rials: Option<i64>,
    /// Text of the ruling, normalised.
    pub text: Option<String>,
    /// Legal basis.
    pub legal_basis: Option<String>,
    /// Breached principle (demolition).
    pub breached_principle: Option<BreachedPrinciple>,
}

/// Service of a ruling.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Legacy row id.
    pub id: i32,
    /// The ruling.
    pub ruling_id: i32,
    /// Served on.
    pub served_on: Option<NaiveDate>,
    /// Mode.
    pub mode: Option<NotificationMode>,
    /// Who received it.
    pub receiver_name: Option<String>,
    /// Receiver's national id, when valid.
    pub receiver_national_id: Option<NationalId>,
    /// Serving agent.
    pub agent: Option<String>,
}

/// An objection to a ruling.
#[derive(Debug, Clone, PartialEq)]
pub struct Objection {
    /// Legacy row id.
    pub id: i32,
    /// The ruling.
    pub ruling_id: i32,
    /// Filed on.
    pub filed_on: Option<NaiveDate>,
    /// Who objected.
    pub objector: Option<Objector>,
    /// Statement, normalised.
    pub statement: Option<String>,
    /// Filed within the window.
    pub in_time: Option<bool>,
}
