//! One codec per closed set of legacy codes: the same table reads a code (any spelling:
//! `'02'`, `'2'`, `'۰۲'`), writes it (the canonical, zero-padded spelling) and lists every
//! spelling for SQL filters (`col = ANY($1)`), so reads, writes and filters cannot disagree.

use shahr_domain::vocabulary::{
    BreachedPrinciple, CaseStatus, CertificateKind, CommissionKind, DetectionSource, ItemOutcome,
    LandUse, MemberRole, NotificationMode, Objector, OwnerKind, PermitKind, PermitStatus,
    RulingKind, RulingStage, RulingStatus, ViolationNote,
};

use crate::sql::spellings;

/// A two-way table between legacy numeric codes and a closed set.
pub struct Codec<T: 'static> {
    /// The legacy column, for messages.
    pub column: &'static str,
    /// Digits of the canonical spelling (`2` writes `'02'`).
    pub width: usize,
    table: &'static [(u32, T)],
}

impl<T: Copy + PartialEq> Codec<T> {
    /// The value of a numeric code.
    pub fn decode(&self, code: u32) -> Option<T> {
        self.table.iter().find(|(c, _)| *c == code).map(|(_, v)| *v)
    }

    /// The numeric code of a value.
    pub fn code(&self, value: T) -> u32 {
        self.table
            .iter()
            .find(|(_, v)| *v == value)
            .map(|(c, _)| *c)
            .unwrap_or_default()
    }

    /// The canonical spelling written to the legacy table (`'02'`).
    pub fn encode(&self, value: T) -> String {
        format!("{:0width$}", self.code(value), width = self.width)
    }

    /// Every spelling the legacy system may hold for `value`, for `col = ANY($1)`.
    pub fn spellings(&self, value: T) -> Vec<String> {
        spellings(&self.encode(value))
    }

    /// Every spelling of any of `values`.
    pub fn spellings_of(&self, values: &[T]) -> Vec<String> {
        values.iter().flat_map(|v| self.spellings(*v)).collect()
    }
}

/// `tbl_parvandeh_takhalof.marhaleh`.
pub static CASE_STATUS: Codec<CaseStatus> = Codec {
    column: "marhaleh",
    width: 2,
    table: &[
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
    ],
};

/// `tbl_ray.noe_ray`, and `tbl_aqlam_takhalof.noe_hokm` for an item's outcome.
pub static RULING_KIND: Codec<RulingKind> = Codec {
    column: "noe_ray",
    width: 2,
    table: &[
        (1, RulingKind::Demolition),
        (2, RulingKind::Fine),
        (3, RulingKind::Restoration),
        (4, RulingKind::Closure),
        (5, RulingKind::InterimOrder),
        (6, RulingKind::Dismissal),
    ],
};

/// `tbl_aqlam_takhalof.noe_hokm`: an item's outcome, in the ruling-kind codes.
pub static ITEM_OUTCOME: Codec<ItemOutcome> = Codec {
    column: "noe_hokm",
    width: 2,
    table: &[
        (1, ItemOutcome::Demolition),
        (2, ItemOutcome::Fine),
        (3, ItemOutcome::Restoration),
        (4, ItemOutcome::Closure),
        (6, ItemOutcome::NoViolation),
    ],
};

/// `tbl_ray.marhaleh_ray`.
pub static RULING_STAGE: Codec<RulingStage> = Codec {
    column: "marhaleh_ray",
    width: 1,
    table: &[(1, RulingStage::Primary), (2, RulingStage::Appeal)],
};

/// `tbl_ray.vaziat`.
pub static RULING_STATUS: Codec<RulingStatus> = Codec {
    column: "vaziat",
    width: 1,
    table: &[
        (1, RulingStatus::Issued),
        (2, RulingStatus::Notified),
        (3, RulingStatus::Objected),
        (4, RulingStatus::Appealed),
        (5, RulingStatus::Final),
        (6, RulingStatus::Enforced),
        (7, RulingStatus::Overturned),
    ],
};

/// `tbl_ray.asl_naqz`.
pub static BREACHED_PRINCIPLE: Codec<BreachedPrinciple> = Codec {
    column: "asl_naqz",
    width: 1,
    table: &[
        (1, BreachedPrinciple::Technical),
        (2, BreachedPrinciple::Health),
        (3, BreachedPrinciple::UrbanPlanning),
    ],
};

/// `tbl_aqlam_takhalof.band_tabsare` (a smallint: [`Codec::code`] is what is written).
pub static VIOLATION_NOTE: Codec<ViolationNote> = Codec {
    column: "band_tabsare",
    width: 1,
    table: &[
        (2, ViolationNote::Note2),
        (3, ViolationNote::Note3),
        (4, ViolationNote::Note4),
        (5, ViolationNote::Note5),
        (6, ViolationNote::Note6),
    ],
};

/// `tbl_eblagh.noe_eblagh`.
pub static NOTIFICATION_MODE: Codec<NotificationMode> = Codec {
    column: "noe_eblagh",
    width: 1,
    table: &[
        (1, NotificationMode::InPerson),
        (2, NotificationMode::RelativeOrEmployee),
        (3, NotificationMode::Affixed),
        (4, NotificationMode::LegalEntityRepresentative),
        (5, NotificationMode::Electronic),
    ],
};

/// `tbl_eteraz.moteraz`.
pub static OBJECTOR: Codec<Objector> = Codec {
    column: "moteraz",
    width: 1,
    table: &[(1, Objector::Owner), (2, Objector::Municipality)],
};

/// `tbl_eteraz.dar_mohlat` (and any legacy yes/no flag): '1' yes, '0' no.
pub static YES_NO: Codec<bool> = Codec {
    column: "dar_mohlat",
    width: 1,
    table: &[(1, true), (0, false)],
};

/// `tbl_ozv_commission.semat`.
pub static MEMBER_ROLE: Codec<MemberRole> = Codec {
    column: "semat",
    width: 1,
    table: &[
        (1, MemberRole::InteriorMinistryRepresentative),
        (2, MemberRole::Judge),
        (3, MemberRole::CityCouncilMember),
        (4, MemberRole::MunicipalRepresentative),
    ],
};

/// `tbl_commission.noe`.
pub static COMMISSION_KIND: Codec<CommissionKind> = Codec {
    column: "noe",
    width: 1,
    table: &[(1, CommissionKind::Primary), (2, CommissionKind::Appeal)],
};

/// `tbl_malek.noe_shakhs`.
pub static OWNER_KIND: Codec<OwnerKind> = Codec {
    column: "noe_shakhs",
    width: 1,
    table: &[(1, OwnerKind::Natural), (2, OwnerKind::Legal)],
};

/// `tbl_govahi.noe_govahi`.
pub static CERTIFICATE_KIND: Codec<CertificateKind> = Codec {
    column: "noe_govahi",
    width: 1,
    table: &[
        (1, CertificateKind::Completion),
        (2, CertificateKind::NoViolation),
    ],
};

/// `karbari_*` columns.
pub static LAND_USE: Codec<LandUse> = Codec {
    column: "karbari",
    width: 2,
    table: &[
        (1, LandUse::Residential),
        (2, LandUse::Commercial),
        (3, LandUse::Office),
        (4, LandUse::Industrial),
        (5, LandUse::Educational),
        (6, LandUse::GreenSpace),
        (7, LandUse::Mixed),
    ],
};

/// `tbl_parvaneh.noe_parvaneh`.
pub static PERMIT_KIND: Codec<PermitKind> = Codec {
    column: "noe_parvaneh",
    width: 2,
    table: &[
        (1, PermitKind::NewConstruction),
        (2, PermitKind::Renewal),
        (3, PermitKind::Amendment),
        (4, PermitKind::Demolition),
        (5, PermitKind::BoundaryWall),
        (6, PermitKind::Repair),
    ],
};

/// `tbl_parvaneh.vaziat`.
pub static PERMIT_STATUS: Codec<PermitStatus> = Codec {
    column: "vaziat",
    width: 1,
    table: &[
        (0, PermitStatus::Draft),
        (1, PermitStatus::Issued),
        (2, PermitStatus::Expired),
        (3, PermitStatus::Cancelled),
    ],
};

/// `tbl_parvandeh_takhalof.manba`.
pub static DETECTION_SOURCE: Codec<DetectionSource> = Codec {
    column: "manba",
    width: 1,
    table: &[
        (1, DetectionSource::Inspector),
        (2, DetectionSource::EngineerReport),
        (3, DetectionSource::Complaint),
        (4, DetectionSource::CitizenRequest),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_codec_reads_every_spelling_it_writes_and_filters_by_all_of_them() {
        assert_eq!(RULING_KIND.encode(RulingKind::Fine), "02");
        assert_eq!(RULING_KIND.decode(2), Some(RulingKind::Fine));
        assert_eq!(
            RULING_KIND.spellings(RulingKind::Fine),
            vec!["02", "2", "۰۲", "۲"]
        );
        assert_eq!(CASE_STATUS.encode(CaseStatus::ObjectionWindow), "75");
        assert_eq!(RULING_STATUS.spellings(RulingStatus::Final), vec!["5", "۵"]);
        assert_eq!(ITEM_OUTCOME.encode(ItemOutcome::NoViolation), "06");
        for s in CaseStatus::ALL {
            assert_eq!(CASE_STATUS.decode(CASE_STATUS.code(*s)), Some(*s), "{s:?}");
        }
    }
}
