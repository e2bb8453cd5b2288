//! What an issued ruling's signature covers, as types: the draft the members signed, the
//! legacy row's fields as written, the signers and the timestamps. The record stores this
//! content as JSON (its canonical encoding is what is hashed and signed); reading it back
//! into these types is how the verification page and the API interpret it.

use crate::{
    decisions::EngineerReferral,
    quantities::Coefficient,
    vocabulary::{
        AppealOutcome, BreachedPrinciple, InterimReturn, ItemOutcome, MemberRole, RulingKind,
        RulingStage, ViolationNote,
    },
};

/// One item as the ruling decided it, with its fine and the arithmetic when fined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecidedItem {
    /// The item (`tbl_aqlam_takhalof.id_qalam`).
    pub item_id: i32,
    /// Its note, when readable.
    pub note: Option<ViolationNote>,
    /// What was decided.
    pub outcome: ItemOutcome,
    /// The coefficient of a fined item (Notes 2, 3, 5).
    pub coefficient: Option<Coefficient>,
    /// The item's fine, in rials.
    pub fine_rials: Option<i64>,
    /// The fine's arithmetic (ASCII digits).
    pub arithmetic: Option<String>,
    /// The fine's arithmetic in Persian.
    pub arithmetic_fa: Option<String>,
}

/// What the commission decides, as drafted and signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftContent {
    /// The case.
    pub case_id: i32,
    /// The sitting.
    pub session_id: i64,
    /// The commission.
    pub commission_id: i32,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// The ruling's kind (its main outcome).
    pub kind: RulingKind,
    /// The text.
    pub text: String,
    /// The legal basis cited.
    pub legal_basis: Option<String>,
    /// For demolition: the breached principle.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals: confirm, overturn or modify.
    pub appeal_outcome: Option<AppealOutcome>,
    /// For interim orders: where the case goes back to.
    pub interim_return: Option<InterimReturn>,
    /// Every item as decided (empty for interim orders and dismissals).
    pub items: Vec<DecidedItem>,
    /// The total fine, in rials, when any item is fined.
    pub fine_rials: Option<i64>,
    /// The owner's demolition period in days, counted from finality (Note 1), when any item
    /// is demolished.
    pub demolition_period_days: Option<u32>,
    /// Note 7: the supervising engineer referred to the disciplinary board.
    pub engineer_referral: Option<EngineerReferral>,
    /// The legacy primary ruling an appeal rules on.
    pub appeal_of: Option<i32>,
}

/// The legacy row's fields the signature covers, as the legacy system stores them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyFields {
    /// `tbl_ray.id_ray`.
    pub legacy_ruling_id: i32,
    /// `id_takhalof`.
    pub case_id: i32,
    /// `id_commission`.
    pub commission_id: Option<i32>,
    /// `shomare_ray`.
    pub number: Option<String>,
    /// `noe_ray`, as written.
    pub kind_code: Option<String>,
    /// `marhaleh_ray`, as written.
    pub stage_code: Option<String>,
    /// `tarikh_ray`, as written.
    pub date_jalali: Option<String>,
    /// `mablagh_jarimeh`, digits.
    pub fine_rials: Option<String>,
    /// `matn_ray`.
    pub text: Option<String>,
}

/// A member who signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    /// `tbl_ozv_commission.id_ozv`.
    pub member_id: i32,
    /// Their name as recorded.
    pub name: Option<String>,
    /// The seat.
    pub seat: MemberRole,
    /// When they signed (RFC 3339).
    pub signed_at: String,
}

/// What happened in the session, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    /// The draft the members signed.
    pub draft: DraftContent,
    /// Its content hash.
    pub draft_hash: String,
    /// When it was drafted (RFC 3339).
    pub drafted_at: String,
    /// Who signed it.
    pub signers: Vec<Signer>,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
}

/// The whole content an issued ruling's signature covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedContent {
    /// The legacy row as written.
    pub legacy: LegacyFields,
    /// The commission's name, for the verification page.
    pub commission_name: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// The session, for rulings issued in session (absent in records sealed from legacy rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRecord>,
    /// SHA-256 of the dadnameh rendered at issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_hash: Option<String>,
}

impl SealedContent {
    /// As the JSON value that is hashed and signed.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
