//! The facts each event carries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::vocabulary::{
    CaseStatus, CertificateKind, EnforcementAction, NotificationMode, Objector, RequestState,
    RulingKind, RulingStage,
};
/// The case an event happened on: where it stands and whom it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseScope {
    /// The legacy case id.
    pub case_id: i32,
    /// The legacy parcel id.
    pub parcel_id: i32,
    /// The parcel's district.
    pub district: Option<i16>,
    /// The commission the case is before.
    pub commission_id: Option<i32>,
    /// Its state before the change (the same as `status` when the state did not move).
    pub from_status: CaseStatus,
    /// Its state after the change.
    pub status: CaseStatus,
    /// National ids of the parcel's owners who are natural persons: whose `myEvents` show it.
    pub owner_national_ids: Vec<String>,
}

/// An event on a case: the case's scope and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCase<D> {
    /// The case.
    #[serde(flatten)]
    pub case: CaseScope,
    /// What happened.
    #[serde(flatten)]
    pub detail: D,
}

/// A case was referred to the commission secretariat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    /// The secretariat's number.
    pub secretariat_number: String,
    /// How many violation items the expert listed.
    pub items: u32,
}

/// A hearing was set (or moved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HearingSet {
    /// The hearing.
    pub hearing_id: i64,
    /// The hearing's date.
    pub session_on: NaiveDate,
}

/// A summons was served on a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummonsServed {
    /// The hearing summoned to.
    pub hearing_id: i64,
    /// The party's key (`nid:…`, `lid:…`, `owner:N`).
    pub party: String,
    /// The day of service.
    pub served_on: NaiveDate,
    /// The last day of the party's defence window.
    pub defence_deadline: NaiveDate,
}

/// An owner's defence was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefenceRecorded {
    /// The defence.
    pub defence_id: i64,
    /// Filed after the owner's window.
    pub late: bool,
    /// Filed by the owner (not entered from paper by the secretary).
    pub by_owner: bool,
}

/// A case went on a sitting's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sitting {
    /// The sitting.
    pub session_id: i64,
}

/// A ruling was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulingIssued {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// The signed record.
    pub issued_record_id: i64,
    /// The ruling's number.
    pub number: String,
    /// Its kind.
    pub kind: RulingKind,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// The fine, in rials (digits), when it fines.
    pub fine_rials: Option<String>,
    /// The commission that issued it.
    pub ruling_commission_id: i32,
    /// The signed content's hash.
    pub content_hash: String,
    /// The signing key's id.
    pub key_id: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// A ruling, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulingRef {
    /// The legacy ruling id.
    pub ruling_id: i64,
}

/// A ruling was served on a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulingServed {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// The ruling's number.
    pub number: String,
    /// The party's key.
    pub party: String,
    /// How it was served.
    pub mode: NotificationMode,
    /// The day of service.
    pub served_on: NaiveDate,
    /// The last day of the party's objection window (none for an appeal ruling).
    pub objection_deadline: Option<NaiveDate>,
}

/// An objection was filed (in time or late).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectionFiled {
    /// The legacy ruling id objected to.
    pub ruling_id: i64,
    /// Its number.
    pub number: String,
    /// The objecting party's key.
    pub party: String,
    /// An owner or the municipality.
    pub objector: Objector,
    /// Within the party's window.
    pub in_time: bool,
    /// The day it was received.
    pub received_on: NaiveDate,
    /// The last day of the party's window, when the party has been served.
    pub deadline: Option<NaiveDate>,
}

/// A ruling became final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulingFinal {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// Its number.
    pub number: String,
    /// The day it became final.
    pub final_on: NaiveDate,
}

/// Why a case closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CloseReason {
    /// The final ruling orders nothing to carry out (an acquittal).
    NothingToEnforce,
}

/// A case closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseClosed {
    /// The ruling that stands.
    pub ruling_id: i64,
    /// Why.
    pub reason: CloseReason,
}

/// A payment of a fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinePayment {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// This payment, in rials (digits).
    pub amount_rials: String,
    /// Paid so far, this one included.
    pub paid_rials: String,
    /// The fine.
    pub fine_rials: String,
    /// The bank's reference.
    pub reference: String,
}

/// An unpaid fine sent back to its commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NonPaymentReferral {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// Its number.
    pub number: String,
    /// Still owed, in rials (digits).
    pub outstanding_rials: String,
    /// The commission that imposed the fine, which hears the case again (unknown for a
    /// legacy ruling whose commission is not on record).
    pub returns_to_commission_id: Option<i32>,
}

/// Something a ruling ordered was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enforced {
    /// The legacy ruling id.
    pub ruling_id: i64,
    /// What was done.
    pub action: EnforcementAction,
    /// When.
    pub done_on: NaiveDate,
    /// The municipality's cost, owed by the owner, in rials (digits).
    pub cost_rials: Option<String>,
}

/// A certificate was issued for a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateIssued {
    /// The legacy parcel id.
    pub parcel_id: i32,
    /// The parcel's district.
    pub district: i16,
    /// Completion or no-violation.
    pub kind: CertificateKind,
    /// The certificate's number.
    pub number: String,
    /// The service request it answers, when there is one.
    pub tracking_code: Option<String>,
}

/// A service request was filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSubmitted {
    /// The citizen's tracking code.
    pub tracking_code: String,
    /// The request's id.
    pub request_id: i64,
    /// The service's code.
    pub service: String,
    /// The district it is handled in.
    pub district: i16,
    /// The citizen: whose `myEvents` show it.
    pub citizen_national_id: String,
    /// Its state (`SUBMITTED`).
    pub state: RequestState,
}

/// A service request changed state or assignee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatusChanged {
    /// The citizen's tracking code.
    pub tracking_code: String,
    /// The request's id.
    pub request_id: i64,
    /// The service's code.
    pub service: String,
    /// The district it is handled in.
    pub district: i16,
    /// The citizen: whose `myEvents` show it.
    pub citizen_national_id: String,
    /// The state before.
    pub from: RequestState,
    /// The state after.
    pub to: RequestState,
    /// The staff member working on it.
    pub assigned_to: Option<String>,
}

/// An online payment of a request's fee or of a ruling's fine ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEnded {
    /// The payment (the order id the gateway knows).
    pub payment_id: i64,
    /// The request's tracking code (a fee's payment).
    #[serde(default)]
    pub tracking_code: Option<String>,
    /// The request's id (a fee's payment).
    #[serde(default)]
    pub request_id: Option<i64>,
    /// The legacy ruling (a fine's payment).
    #[serde(default)]
    pub ruling_id: Option<i64>,
    /// The ruling's number (a fine's payment).
    #[serde(default)]
    pub ruling_number: Option<String>,
    /// The district the request is handled in, or the fined parcel's.
    pub district: i16,
    /// The citizen who paid: whose `myEvents` show it.
    pub citizen_national_id: String,
    /// The amount.
    pub amount_rials: i64,
    /// The payment gateway.
    pub provider: String,
    /// The gateway's reference of the money movement, when there was one.
    pub reference: Option<i64>,
    /// `SUCCEEDED`, `FAILED` or `REVERSED`.
    pub state: String,
    /// Why it failed or was given back.
    pub failure: Option<String>,
}

/// A message reached its receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDelivered {
    /// The delivery row.
    pub delivery_id: i64,
    /// `inbox`, `e_notice` or `sms`.
    pub channel: String,
    /// What it is about (`ruling`, `summons`, `request`).
    pub subject_kind: String,
    /// The subject's id.
    pub subject_id: String,
    /// The receiver, when known: whose `myEvents` show it.
    pub citizen_national_id: Option<String>,
    /// When it was delivered.
    pub delivered_at: DateTime<Utc>,
}
