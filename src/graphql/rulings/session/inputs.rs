//! Inputs and payloads of the commission session and what follows it.

use async_graphql::{InputObject, SimpleObject, ID};
use shahr_domain::vocabulary::{
    AppealOutcome, BreachedPrinciple, CaseStatus, EnforcementAction, InterimReturn, ItemOutcome,
    LandUse, NotificationMode, Objector, RulingKind, ViolationNote,
};

use super::{
    super::types::{Ruling, ViolationCase},
    objects::{
        CommissionSession, Defence, Enforcement, FineBriefLine, FinePayment, Hearing, RulingDraft,
    },
};
use crate::graphql::scalars::{CoefficientScalar, Date, DateTime, NationalIdScalar, Rial};

/// A violation item the expert listed.
#[derive(InputObject)]
pub struct ViolationItemInput {
    /// Floor, as written (e.g. «طبقه چهارم»).
    pub floor: Option<String>,
    /// The note of Article 100.
    pub note: ViolationNote,
    /// Area the permit allows, m², at most two decimal places (absent or 0 when built
    /// without a permit).
    pub permitted_area_m2: Option<f64>,
    /// Area built, m², at most two decimal places.
    pub built_area_m2: Option<f64>,
    /// Use the permit allows.
    pub permitted_use: Option<LandUse>,
    /// Use found.
    pub actual_use: Option<LandUse>,
    /// Parking spaces lost (Note 5).
    pub parking_spaces: Option<i32>,
}

/// Refers a case to the commission secretariat.
#[derive(InputObject)]
pub struct ReferCaseInput {
    /// The case's `id` (it must be in expert review).
    pub case: ID,
    /// Violation items the expert listed, added to the case's items.
    pub items: Option<Vec<ViolationItemInput>>,
    /// The secretariat's number when it has one; otherwise the gateway numbers the referral
    /// `D-{district}-{year}-{n}`.
    pub secretariat_number: Option<String>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The referred case and its fine brief.
#[derive(SimpleObject)]
pub struct ReferCasePayload {
    /// The case, now referred.
    pub case: ViolationCase,
    /// The secretariat number.
    pub secretariat_number: String,
    /// The fine range per violation item, for the commission's brief.
    pub fine_brief: Vec<FineBriefLine>,
}

/// Sets the commission and hearing date of a case and summons its owners.
#[derive(InputObject)]
pub struct ScheduleHearingInput {
    /// The case's `id`: referred, or in its defence window (to move the hearing, with new
    /// summonses).
    pub case: ID,
    /// The primary commission serving the parcel's district (its `id`); for a case sent back
    /// for non-payment, the commission that imposed the fine.
    pub commission: ID,
    /// The session date: after the owners' defence window (the defence days, counted from a
    /// summons served today, past Fridays and holidays). Left out: the earliest date the law
    /// allows (the payload's `earliestSessionOn`).
    pub session_on: Option<Date>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The scheduled case.
#[derive(SimpleObject)]
pub struct ScheduleHearingPayload {
    /// The case, now in its defence window.
    pub case: ViolationCase,
    /// The hearing and the owners summoned.
    pub hearing: Hearing,
    /// The earliest session date the law allowed when it was scheduled.
    pub earliest_session_on: Date,
}

/// A legal service recorded by hand: in person, to a relative or employee, affixed, or to a
/// legal entity's representative.
#[derive(InputObject)]
pub struct ServiceInput {
    /// The party served (`parties { id }`); absent: the owner whose national id the receiver
    /// gave, or the only owner.
    pub party: Option<String>,
    /// How it was served (`ELECTRONIC` comes from the e-notice service's receipt).
    pub mode: NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<NationalIdScalar>,
    /// The bailiff or officer who served it.
    pub agent: String,
    /// When it was served; now when absent. Never before the document, never in the future.
    pub served_at: Option<DateTime>,
}

/// The summons of a case's current hearing, served by hand.
#[derive(InputObject)]
pub struct RecordSummonsServiceInput {
    /// The case (its `id`).
    pub case: ID,
    /// The service.
    pub service: ServiceInput,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The recorded service of a summons.
#[derive(SimpleObject)]
pub struct RecordSummonsServicePayload {
    /// The hearing.
    pub hearing: Hearing,
    /// The party served.
    pub party_id: String,
    /// The day of service.
    pub served_on: Date,
    /// The last day of this owner's defence window (Note 1), past Fridays and holidays.
    pub defence_deadline: Date,
    /// `defenceDeadline` in the Jalali calendar.
    pub defence_deadline_jalali: String,
    /// False when this owner had been served before (the window runs from the first).
    pub first_service: bool,
}

/// The owner's statement.
#[derive(InputObject)]
pub struct RecordDefenceInput {
    /// The case's `id` (it must be in its defence window).
    pub case: ID,
    /// The statement (1 to 8000 characters).
    pub statement: String,
    /// Makes retries safe: a retry with the same key (and input) answers with the defence
    /// the first attempt recorded; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The recorded defence.
#[derive(SimpleObject)]
pub struct RecordDefencePayload {
    /// The defence.
    pub defence: Defence,
}

/// Opens a sitting of a commission.
#[derive(InputObject)]
pub struct OpenCommissionSessionInput {
    /// The commission (its `id`).
    pub commission: ID,
    /// The cases on the agenda (1 to 50): for a primary commission, cases assigned to it whose
    /// hearing date has come and whose owners' defence windows have closed; for an appeal
    /// commission, appealed cases whose parties' objection windows have closed.
    pub cases: Vec<ID>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The opened session.
#[derive(SimpleObject)]
pub struct OpenCommissionSessionPayload {
    /// The session.
    pub session: CommissionSession,
}

/// What the commission decides for one violation item.
#[derive(InputObject)]
pub struct ItemDecisionInput {
    /// The violation item's `id`.
    pub item: ID,
    /// Its outcome; the ruling's kind when absent (demolition for a Note 6 item, always).
    pub outcome: Option<ItemOutcome>,
    /// For a fined item of Notes 2, 3 and 5: the coefficient, inside the note's range (Note
    /// 2: 0.5 to 3; Note 3: 2 to 4; Note 5: 1 to 2), at most two decimal places.
    pub coefficient: Option<CoefficientScalar>,
}

/// Note 7: the supervising engineer to refer to the disciplinary board.
#[derive(InputObject)]
pub struct EngineerReferralInput {
    /// The engineer's name.
    pub name: String,
    /// Their licence number, when known.
    pub licence_number: Option<String>,
    /// What they certified falsely.
    pub finding: String,
}

/// What the commission decides.
#[derive(InputObject)]
pub struct DraftRulingInput {
    /// The session (its `id`).
    pub session: ID,
    /// The case (its `id`), on the session's agenda.
    pub case: ID,
    /// The kind of ruling: its main outcome.
    pub kind: RulingKind,
    /// The ruling's text (1 to 8000 characters).
    pub text: String,
    /// The legal basis cited (e.g. «تبصره ۲ ماده ۱۰۰ قانون شهرداری»).
    pub legal_basis: Option<String>,
    /// A ruling that orders any item demolished names the breached principle.
    pub breached_principle: Option<BreachedPrinciple>,
    /// Appeal rulings: confirm, overturn or modify the primary ruling.
    pub appeal_outcome: Option<AppealOutcome>,
    /// Interim orders: where the case goes back to.
    pub interim_return: Option<InterimReturn>,
    /// A ruling that decides items decides every item of the case: those listed here as
    /// given, the others by the ruling's kind. Fined items of Notes 2, 3 and 5 need their
    /// coefficient.
    pub items: Option<Vec<ItemDecisionInput>>,
    /// When an item is demolished: the owner's period in days from finality (at most two
    /// months, the `max_demolition_days` setting).
    pub demolition_period_days: Option<i32>,
    /// Note 7: refer the supervising engineer to the disciplinary board.
    pub engineer_referral: Option<EngineerReferralInput>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The draft.
#[derive(SimpleObject)]
pub struct RulingDraftPayload {
    /// The draft and its signatures.
    pub draft: RulingDraft,
}

/// Signs a draft.
#[derive(InputObject)]
pub struct SignRulingInput {
    /// The draft (its `id`).
    pub draft: ID,
}

/// Issues a signed draft.
#[derive(InputObject)]
pub struct IssueRulingInput {
    /// The draft (its `id`), signed by the three voting members.
    pub draft: ID,
    /// Any unique string (e.g. a UUID): a retried call with the same key returns the same
    /// ruling. The `Idempotency-Key` HTTP header does the same.
    pub idempotency_key: Option<String>,
}

/// The issued ruling.
#[derive(SimpleObject)]
pub struct IssueRulingPayload {
    /// The ruling, as the integrated urbanism system now holds it.
    pub ruling: Ruling,
    /// The ruling's number.
    pub number: String,
    /// The code of its public verification page, `/verify/{code}` (also on the QR code).
    pub verification_code: String,
    /// False when this was a retry and the ruling issued earlier is returned.
    pub created: bool,
}

/// A payment of a final fine ruling.
#[derive(InputObject)]
pub struct RecordFinePaymentInput {
    /// The ruling (its `id`): the one that stands (an appeal ruling replaces the primary one).
    pub ruling: ID,
    /// The amount paid (an instalment or the rest).
    pub amount: Rial,
    /// The bank's or payment gateway's reference: recording it again changes nothing.
    pub reference: String,
    /// The day it was paid; today when absent.
    pub paid_on: Option<Date>,
}

/// The recorded payment.
#[derive(SimpleObject)]
pub struct RecordFinePaymentPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The payment.
    pub payment: FinePayment,
    /// Paid so far.
    pub paid: Rial,
    /// Still owed; zero closes the case once nothing else is to be carried out.
    pub outstanding: Rial,
    /// False when this reference was recorded before.
    pub created: bool,
}

/// Names a ruling.
#[derive(InputObject)]
pub struct RulingInput {
    /// The ruling (its `id`).
    pub ruling: ID,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The case after a step.
#[derive(SimpleObject)]
pub struct CaseStepPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The case's state now.
    pub case_status: CaseStatus,
}

/// How a final ruling was carried out.
#[derive(InputObject)]
pub struct RecordEnforcementInput {
    /// The ruling (its `id`): the one that stands.
    pub ruling: ID,
    /// What was done.
    pub action: EnforcementAction,
    /// The day it was done.
    pub done_on: Date,
    /// The officer who attests it.
    pub officer: String,
    /// The evidence: a report number, photographs' upload ids.
    pub evidence: String,
    /// For a demolition by the municipality: its cost, a debt of the owner.
    pub cost: Option<Rial>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The recorded enforcement.
#[derive(SimpleObject)]
pub struct RecordEnforcementPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The record.
    pub enforcement: Enforcement,
    /// The case's state now (`CLOSED` once everything ordered is done).
    pub case_status: CaseStatus,
}

/// The legal service of a ruling, recorded by hand.
#[derive(InputObject)]
pub struct RecordNotificationInput {
    /// The ruling (its `id`).
    pub ruling: ID,
    /// The party served (`Ruling.parties { id }`); absent: the owner whose national id the
    /// receiver gave, or the only owner.
    pub party: Option<String>,
    /// How it was served (`ELECTRONIC` comes from the e-notice service's receipt).
    pub mode: NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<NationalIdScalar>,
    /// The bailiff or officer who served it.
    pub agent: String,
    /// When it was served; now when absent. Never before the ruling's date, never in the future.
    pub served_at: Option<DateTime>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The recorded service.
#[derive(SimpleObject)]
pub struct RecordNotificationPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The party served.
    pub party_id: String,
    /// The day of service.
    pub served_on: Date,
    /// The last day this party may object (primary rulings), counted from their own first
    /// service, past Fridays and holidays.
    pub objection_deadline: Option<Date>,
    /// `objectionDeadline` in the Jalali calendar.
    pub objection_deadline_jalali: Option<String>,
    /// False when this party had been served before (their window runs from the first).
    pub first_service: bool,
}

/// An objection to a primary ruling.
#[derive(InputObject)]
pub struct FileObjectionInput {
    /// The ruling (its `id`).
    pub ruling: ID,
    /// The objection (1 to 8000 characters).
    pub statement: String,
    /// Staff entering a paper letter: the day it was received (timeliness is judged on it);
    /// today when absent. Online objections are received when filed.
    pub received_on: Option<Date>,
    /// Staff entering an owner's paper letter: the owner (`Ruling.parties { id }`); absent,
    /// the objection is the municipality's.
    pub on_behalf_of: Option<String>,
    /// Makes retries safe: a retry with the same key (and input) answers as the first
    /// attempt did and records nothing again; the `Idempotency-Key` header works too.
    pub idempotency_key: Option<String>,
}

/// The recorded objection.
#[derive(SimpleObject)]
pub struct FileObjectionPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// Who objected.
    pub objector: Objector,
    /// The objecting party (`Ruling.parties { id }`).
    pub party_id: String,
    /// False when it came after the objector's own window: recorded and flagged; the case
    /// does not go to appeal on it.
    pub in_time: bool,
    /// True when it joined an appeal another party's objection had already opened.
    pub joined_appeal: bool,
    /// The day it was received.
    pub received_on: Date,
    /// The last day of the objector's window; null when they had not been served yet (an
    /// objection before one's own service is in time).
    pub deadline: Option<Date>,
    /// `deadline` in the Jalali calendar.
    pub deadline_jalali: Option<String>,
}
