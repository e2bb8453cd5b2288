//! The closed sets of the domain, each with the Persian label a person reads.
//!
//! With the `graphql` feature each set is also a GraphQL enum (values in
//! SCREAMING_SNAKE_CASE); the doc comments become the schema's descriptions.

/// Declares a closed set with Persian labels.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[cfg_attr(feature = "graphql", graphql(rename_items = "SCREAMING_SNAKE_CASE"))]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The Persian label a person reads.
            pub fn label_fa(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        /// The API's name of the value (`EXPERT_REVIEW`), as messages show it.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let name = match self {
                    $($name::$variant => stringify!($variant),)+
                };
                f.write_str(&screaming_snake(name))
            }
        }
    };
}

/// `ExpertReview` -> `EXPERT_REVIEW`.
pub(crate) fn screaming_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// `StartExpertReview` -> `start expert review`.
pub(crate) fn words(name: &str) -> String {
    screaming_snake(name).replace('_', " ").to_lowercase()
}

vocabulary! {
    /// Where a violation case stands (the life of an Article 100 case).
    CaseStatus {
        /// Found by an inspector, an engineer's report, a complaint, or a citizen's request.
        Detected => "کشف تخلف",
        /// An expert lists the violation items and the fine brief.
        ExpertReview => "بررسی کارشناسی",
        /// Sent to the commission secretariat.
        Referred => "ارجاع به دبیرخانه",
        /// Assigned to a commission and a session date.
        Assigned => "تعیین کمیسیون و جلسه",
        /// The owner's ten-day window to file a defence.
        DefenceWindow => "مهلت دفاعیه",
        /// Before the commission.
        InSession => "طرح در جلسه",
        /// The primary ruling is issued.
        RulingIssued => "صدور رأی",
        /// The ruling was served on the owner.
        Notified => "ابلاغ رأی",
        /// The ten-day objection window after service.
        ObjectionWindow => "مهلت اعتراض",
        /// An objection sent the case to an appeal commission.
        Appealed => "تجدیدنظرخواهی",
        /// The appeal commission ruled (confirm, overturn or modify).
        AppealRuled => "صدور رأی تجدیدنظر",
        /// The ruling is final.
        Final => "قطعی",
        /// The final ruling is being enforced (payment, demolition, closure).
        Enforcement => "اجرای حکم",
        /// Enforced and closed.
        Closed => "مختومه",
    }
}

vocabulary! {
    /// What a commission ruled.
    RulingKind {
        /// Demolition of the violating construction (*qal'*).
        Demolition => "قلع بنا",
        /// A fine computed from the transaction value (*jarimeh*).
        Fine => "جریمه",
        /// Restoring the use to its previous state.
        Restoration => "اعاده به وضع سابق",
        /// Closing or sealing a business.
        Closure => "تعطیل و پلمب",
        /// Interim order (expert review, site visit): the case goes back to review.
        InterimOrder => "قرار",
        /// No violation: the case is dismissed.
        Dismissal => "عدم تخلف",
    }
}

vocabulary! {
    /// Which commission level issued a ruling.
    RulingStage {
        /// Primary commission (*badvi*).
        Primary => "بدوی",
        /// Appeal commission (*tajdid-e nazar*); its ruling is final.
        Appeal => "تجدیدنظر",
    }
}

vocabulary! {
    /// Where an issued ruling stands.
    RulingStatus {
        /// Issued, not yet served.
        Issued => "صادر شده",
        /// Served on the owner.
        Notified => "ابلاغ شده",
        /// An objection was filed.
        Objected => "اعتراض شده",
        /// Under appeal.
        Appealed => "در تجدیدنظر",
        /// Final.
        Final => "قطعی",
        /// Enforced (fine paid, demolished, closed).
        Enforced => "اجرا شده",
        /// Overturned or replaced by an appeal ruling.
        Overturned => "نقض شده",
    }
}

vocabulary! {
    /// The level of a commission.
    CommissionKind {
        /// Primary commission.
        Primary => "کمیسیون بدوی",
        /// Appeal commission.
        Appeal => "کمیسیون تجدیدنظر",
    }
}

vocabulary! {
    /// A commission seat (Note 1 of Article 100).
    MemberRole {
        /// Representative of the Ministry of Interior (voting).
        InteriorMinistryRepresentative => "نماینده وزارت کشور",
        /// A judge of the judiciary (voting).
        Judge => "قاضی دادگستری",
        /// A member of the city council (voting).
        CityCouncilMember => "عضو شورای شهر",
        /// The municipality's representative, who explains the case without a vote.
        MunicipalRepresentative => "نماینده شهرداری",
    }
}

impl MemberRole {
    /// True for the three voting seats.
    pub fn is_voting(self) -> bool {
        !matches!(self, MemberRole::MunicipalRepresentative)
    }
}

vocabulary! {
    /// Natural person or legal entity.
    OwnerKind {
        /// A natural person (*haghighi*), identified by national id.
        Natural => "شخص حقیقی",
        /// A legal entity (*hoghoghi*), identified by legal-entity id.
        Legal => "شخص حقوقی",
    }
}

vocabulary! {
    /// Land use of a parcel or a permit.
    LandUse {
        /// Residential.
        Residential => "مسکونی",
        /// Commercial.
        Commercial => "تجاری",
        /// Office / administrative.
        Office => "اداری",
        /// Industrial.
        Industrial => "صنعتی",
        /// Educational.
        Educational => "آموزشی",
        /// Green space.
        GreenSpace => "فضای سبز",
        /// Mixed residential and commercial.
        Mixed => "مختلط",
    }
}

vocabulary! {
    /// The kind of a building permit.
    PermitKind {
        /// New construction.
        NewConstruction => "احداث بنا",
        /// Renewal of an expired permit.
        Renewal => "تمدید",
        /// Amendment of a permit.
        Amendment => "اصلاحیه",
        /// Demolition.
        Demolition => "تخریب",
        /// Boundary wall.
        BoundaryWall => "دیوارکشی",
        /// Repair.
        Repair => "تعمیرات",
    }
}

vocabulary! {
    /// Where a permit stands.
    PermitStatus {
        /// Being prepared.
        Draft => "پیش‌نویس",
        /// Issued and in force.
        Issued => "صادر شده",
        /// Past its validity.
        Expired => "منقضی",
        /// Cancelled.
        Cancelled => "ابطال شده",
    }
}

vocabulary! {
    /// Certificates a notary asks for before a final transfer (Note 8).
    CertificateKind {
        /// Completion certificate (*payan-kar*).
        Completion => "گواهی پایان کار",
        /// No-violation certificate (*adam-e khalaf*).
        NoViolation => "گواهی عدم خلاف",
    }
}

vocabulary! {
    /// The note of Article 100 a violation item falls under.
    ViolationNote {
        /// Note 2: residential area beyond the permit.
        Note2 => "تبصره ۲ - مازاد مسکونی",
        /// Note 3: commercial, office or industrial area beyond the permit.
        Note3 => "تبصره ۳ - مازاد تجاری و اداری",
        /// Note 4: built without a permit but conforming to the rules.
        Note4 => "تبصره ۴ - بدون پروانه منطبق با ضوابط",
        /// Note 5: parking lost and not fixable.
        Note5 => "تبصره ۵ - کسری پارکینگ",
        /// Note 6: encroachment on the street or setback line.
        Note6 => "تبصره ۶ - تجاوز به معابر",
    }
}

vocabulary! {
    /// The principle a demolition ruling says was breached.
    BreachedPrinciple {
        /// Technical (structural safety).
        Technical => "فنی",
        /// Health.
        Health => "بهداشتی",
        /// Urban planning.
        UrbanPlanning => "شهرسازی",
    }
}

vocabulary! {
    /// What an appeal commission decided about the primary ruling.
    AppealOutcome {
        /// The primary ruling stands.
        Confirm => "تأیید رأی بدوی",
        /// The primary ruling is annulled; the appeal ruling replaces it.
        Overturn => "نقض رأی بدوی",
        /// The primary ruling is changed (e.g. demolition turned into a fine).
        Modify => "اصلاح رأی بدوی",
    }
}

vocabulary! {
    /// Where an interim order (*qarar*) sends the case back to.
    InterimReturn {
        /// Back to expert review (a new expert report, a site visit).
        ExpertReview => "ارجاع به کارشناسی",
        /// Back to the owner for a further defence.
        DefenceWindow => "تجدید مهلت دفاعیه",
    }
}

vocabulary! {
    /// How a ruling was served (*eblagh*); every mode here is legal service.
    NotificationMode {
        /// Delivered to the owner or their lawyer.
        InPerson => "ابلاغ به شخص",
        /// Delivered to a relative or employee.
        RelativeOrEmployee => "ابلاغ به بستگان یا مستخدمین",
        /// Affixed at the address.
        Affixed => "الصاق",
        /// Delivered to a legal entity's representative.
        LegalEntityRepresentative => "ابلاغ به نماینده شخص حقوقی",
        /// Electronic, through the judicial e-notice account.
        Electronic => "ابلاغ الکترونیک",
    }
}

vocabulary! {
    /// Who objected to a ruling.
    Objector {
        /// The owner.
        Owner => "مالک",
        /// The municipality.
        Municipality => "شهرداری",
    }
}

vocabulary! {
    /// How a violation came to light.
    DetectionSource {
        /// A municipal inspector.
        Inspector => "بازرس شهرداری",
        /// The supervising engineer's report.
        EngineerReport => "گزارش مهندس ناظر",
        /// A complaint.
        Complaint => "شکایت",
        /// Found while handling a citizen's completion or no-violation request.
        CitizenRequest => "درخواست شهروند",
    }
}

vocabulary! {
    /// Where a citizen's service request stands.
    RequestState {
        /// Filed by the citizen; waiting for staff.
        Submitted => "ثبت شده",
        /// Documents are missing; waiting for the citizen.
        DocumentsIncomplete => "نقص مدارک",
        /// A site inspection is scheduled.
        InspectionScheduled => "تعیین وقت بازدید",
        /// Checked against the detailed plan.
        UnderReview => "در حال بررسی",
        /// Fees computed; waiting for payment.
        FeePayable => "در انتظار پرداخت",
        /// Fees paid.
        Paid => "پرداخت شده",
        /// Approved.
        Approved => "تأیید شده",
        /// Refused, with a reason.
        Rejected => "رد شده",
        /// The permit or certificate was issued.
        Issued => "صادر شده",
        /// Withdrawn by the citizen.
        Withdrawn => "انصراف داده شده",
    }
}

vocabulary! {
    /// Whether an official holiday follows the solar or the lunar calendar.
    HolidayKind {
        /// A solar (Jalali) date, the same every year (Nowruz, 22 Bahman).
        Solar => "شمسی",
        /// A lunar (Hijri) date, moving every year (Tasua, Ashura, the Eids).
        Lunar => "قمری",
    }
}

vocabulary! {
    /// What a ruling decides for one violation item; one ruling may decide its items
    /// differently (a fine for one, demolition for another).
    ItemOutcome {
        /// A fine, priced with the coefficient the commission chose.
        Fine => "جریمه",
        /// Demolition of the item (always, for a Note 6 item).
        Demolition => "قلع بنا",
        /// Restoring the use to its previous state.
        Restoration => "اعاده به وضع سابق",
        /// Closing or sealing the business.
        Closure => "تعطیل و پلمب",
        /// No violation found for this item.
        NoViolation => "عدم احراز تخلف",
    }
}

impl ItemOutcome {
    /// The ruling kind of the same name.
    pub fn ruling_kind(self) -> RulingKind {
        match self {
            ItemOutcome::Fine => RulingKind::Fine,
            ItemOutcome::Demolition => RulingKind::Demolition,
            ItemOutcome::Restoration => RulingKind::Restoration,
            ItemOutcome::Closure => RulingKind::Closure,
            ItemOutcome::NoViolation => RulingKind::Dismissal,
        }
    }

    /// The item outcome a ruling of `kind` gives its items by default, if it decides items.
    pub fn of_kind(kind: RulingKind) -> Option<Self> {
        match kind {
            RulingKind::Fine => Some(ItemOutcome::Fine),
            RulingKind::Demolition => Some(ItemOutcome::Demolition),
            RulingKind::Restoration => Some(ItemOutcome::Restoration),
            RulingKind::Closure => Some(ItemOutcome::Closure),
            RulingKind::InterimOrder | RulingKind::Dismissal => None,
        }
    }
}

vocabulary! {
    /// How a final ruling was carried out (besides paying a fine).
    EnforcementAction {
        /// The owner demolished the violating construction.
        DemolishedByOwner => "قلع توسط مالک",
        /// The municipality demolished it, at the owner's cost.
        DemolishedByMunicipality => "قلع توسط شهرداری به هزینه مالک",
        /// The use was restored to its previous state.
        UseRestored => "اعاده به وضع سابق",
        /// The business was closed and sealed.
        BusinessClosed => "تعطیل و پلمب",
    }
}

impl EnforcementAction {
    /// The item outcome this action carries out.
    pub fn carries_out(self) -> ItemOutcome {
        match self {
            EnforcementAction::DemolishedByOwner | EnforcementAction::DemolishedByMunicipality => {
                ItemOutcome::Demolition
            }
            EnforcementAction::UseRestored => ItemOutcome::Restoration,
            EnforcementAction::BusinessClosed => ItemOutcome::Closure,
        }
    }
}

vocabulary! {
    /// Who a party to a case is.
    PartyKind {
        /// An owner who is a natural person, served through their national id.
        NaturalPerson => "شخص حقیقی",
        /// An owner that is a legal entity, served through its legal id.
        LegalEntity => "شخص حقوقی",
        /// An owner whose identifier cannot be read in the urbanism system: served by hand.
        Unidentified => "مالک با شناسه نامعتبر",
        /// The municipality, a party to every case.
        Municipality => "شهرداری",
    }
}

impl RequestState {
    /// The stored spelling (`UNDER_REVIEW`).
    pub fn as_code(self) -> &'static str {
        match self {
            RequestState::Submitted => "SUBMITTED",
            RequestState::DocumentsIncomplete => "DOCUMENTS_INCOMPLETE",
            RequestState::InspectionScheduled => "INSPECTION_SCHEDULED",
            RequestState::UnderReview => "UNDER_REVIEW",
            RequestState::FeePayable => "FEE_PAYABLE",
            RequestState::Paid => "PAID",
            RequestState::Approved => "APPROVED",
            RequestState::Rejected => "REJECTED",
            RequestState::Issued => "ISSUED",
            RequestState::Withdrawn => "WITHDRAWN",
        }
    }

    /// Reads the stored spelling.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_values_as_the_api_does() {
        assert_eq!(CaseStatus::ExpertReview.to_string(), "EXPERT_REVIEW");
        assert_eq!(CaseStatus::Referred.to_string(), "REFERRED");
        assert_eq!(
            crate::cases::next(CaseStatus::Closed, crate::cases::CaseEvent::Refer)
                .map_err(|e| e.to_string()),
            Err("a case in state CLOSED cannot refer".to_owned())
        );
    }

    #[test]
    fn every_value_has_a_persian_label() {
        for s in CaseStatus::ALL {
            assert!(!s.label_fa().is_empty());
        }
        assert_eq!(RulingKind::Demolition.label_fa(), "قلع بنا");
        assert!(!MemberRole::MunicipalRepresentative.is_voting());
    }
}
