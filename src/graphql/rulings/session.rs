//! The commission session: referral, hearing, defence, sitting, drafts, signatures and the
//! issue of a ruling. Who may act is decided here from the viewer's token; what is allowed in
//! which state is the domain's; the writes are the urbanism connector's.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use shahr_domain::vocabulary::{
    AppealOutcome, BreachedPrinciple, InterimReturn, LandUse, MemberRole, RulingKind, RulingStage,
    ViolationNote,
};
use shahr_urbanism::{
    session::{self as s, Access, Actor, LockedCase, SessionError, ToSign},
    Visibility,
};

use super::{
    resolvers::id_of,
    types::{Commission, CommissionMember, Ruling, ViolationCase},
};
use crate::{
    auth::{Principal, Role, Viewer},
    documents::{dadnameh, kroki},
    graphql::{
        access::{signed_in, visibility},
        context::ContextExt,
        error::{ApiError, ApiResult, ErrorCode},
        loaders::{loader, many, CaseLoader, CommissionLoader, MembersLoader},
        node::global_id,
        scalars::{jalali, Date, DateTime, Rial},
    },
    hologram,
};
use sha2::{Digest, Sha256};

/// The fine range of one violation item, as computed when the case was referred.
pub struct FineBriefLine(pub s::BriefLine);

/// The fine range of one violation item, as computed when the case was referred.
#[Object]
impl FineBriefLine {
    /// The violation item's `id`.
    async fn item_id(&self) -> ID {
        global_id("ViolationItem", self.0.item_id)
    }

    /// The note of Article 100 the item falls under.
    async fn note(&self) -> Option<ViolationNote> {
        self.0.note
    }

    /// `note` in Persian.
    async fn note_label(&self) -> Option<&'static str> {
        self.0.note.map(ViolationNote::label_fa)
    }

    /// The fine at the lowest coefficient of the note's range; null when no fine applies.
    async fn min_fine(&self) -> Option<Rial> {
        self.0.min_rials.map(Rial)
    }

    /// The fine at the highest coefficient of the note's range.
    async fn max_fine(&self) -> Option<Rial> {
        self.0.max_rials.map(Rial)
    }

    /// The arithmetic of the range, or why there is no fine (Note 6 is demolition; a missing
    /// transaction value).
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }
}

/// A hearing: the commission and session date set for a case, and the owner's defence window
/// it opened.
pub struct Hearing(pub s::Hearing);

/// A hearing: the commission and session date set for a case, and the owner's defence window
/// it opened.
#[Object]
impl Hearing {
    /// The commission that will hear the case.
    async fn commission(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commission>> {
        Ok(loader::<i32, CommissionLoader>(ctx)
            .load_one(self.0.commission_id)
            .await?
            .map(Commission))
    }

    /// The session date.
    async fn session_on(&self) -> Date {
        Date(self.0.session_on)
    }

    /// `sessionOn` in the Jalali calendar (`1405/09/21`).
    async fn session_on_jalali(&self) -> String {
        jalali(self.0.session_on)
    }

    /// First day of the owner's defence window.
    async fn defence_opens_on(&self) -> Date {
        Date(self.0.defence_opens_on)
    }

    /// Last day of the owner's defence window (moved past Fridays and official holidays).
    async fn defence_closes_on(&self) -> Date {
        Date(self.0.defence_closes_on)
    }

    /// `defenceClosesOn` in the Jalali calendar.
    async fn defence_closes_on_jalali(&self) -> String {
        jalali(self.0.defence_closes_on)
    }

    /// True while today (Asia/Tehran) is inside the defence window.
    async fn is_defence_window_open(&self) -> bool {
        s::tehran_today(Utc::now()) <= self.0.defence_closes_on
    }
}

/// The owner's statement in their defence.
pub struct Defence(pub s::Defence);

/// The owner's statement in their defence.
#[Object]
impl Defence {
    /// Opaque id.
    async fn id(&self) -> ID {
        global_id("Defence", self.0.id)
    }

    /// The statement, as filed.
    async fn statement(&self) -> &str {
        &self.0.statement
    }

    /// True when the owner filed it themself; false when the secretariat filed it for them
    /// (e.g. from a paper letter).
    async fn filed_by_owner(&self) -> bool {
        self.0.by_owner
    }

    /// True when it came after the defence window closed; it is kept and shown to the
    /// commission, flagged.
    async fn is_late(&self) -> bool {
        self.0.late
    }

    /// When it was filed.
    async fn filed_at(&self) -> DateTime {
        DateTime(self.0.filed_at)
    }
}

/// A sitting of a commission and the cases on its agenda.
pub struct CommissionSession(pub s::CommissionSession);

/// A sitting of a commission and the cases on its agenda.
#[Object]
impl CommissionSession {
    /// Opaque id; pass it to `draftRuling`.
    async fn id(&self) -> ID {
        global_id("CommissionSession", self.0.id)
    }

    /// The commission sitting.
    async fn commission(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commission>> {
        Ok(loader::<i32, CommissionLoader>(ctx)
            .load_one(self.0.commission_id)
            .await?
            .map(Commission))
    }

    /// Primary or appeal.
    async fn stage(&self) -> RulingStage {
        self.0.stage
    }

    /// When the session opened.
    async fn opened_at(&self) -> DateTime {
        DateTime(self.0.opened_at)
    }

    /// The cases on the agenda.
    async fn cases(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ViolationCase>> {
        let batcher = loader::<i32, CaseLoader>(ctx);
        let found = futures_util::future::try_join_all(
            self.0.case_ids.iter().map(|id| batcher.load_one(*id)),
        )
        .await?;
        Ok(found.into_iter().flatten().map(ViolationCase).collect())
    }
}

/// A violation item priced in a fine ruling.
pub struct PricedItem(pub s::PricedItem);

/// A violation item priced in a fine ruling.
#[Object]
impl PricedItem {
    /// The violation item's `id`.
    async fn item_id(&self) -> ID {
        global_id("ViolationItem", self.0.item_id)
    }

    /// Its note.
    async fn note(&self) -> ViolationNote {
        self.0.note
    }

    /// `note` in Persian.
    async fn note_label(&self) -> &'static str {
        self.0.note.label_fa()
    }

    /// The coefficient the commission chose (null for Note 4, whose rule is fixed).
    async fn coefficient(&self) -> Option<f64> {
        self.0.coefficient
    }

    /// The item's fine.
    async fn fine(&self) -> Rial {
        Rial(self.0.rials)
    }

    /// The arithmetic, for display: `60.00 m² × 0.30 × 23000000 rials/m² … = … rials`.
    async fn arithmetic(&self) -> &str {
        &self.0.arithmetic
    }
}

/// A member's signature on a draft ruling.
pub struct RulingSignature {
    signature: s::Signature,
    commission_id: i32,
}

/// A member's signature on a draft ruling.
#[Object]
impl RulingSignature {
    /// The seat the member signed for.
    async fn seat(&self) -> MemberRole {
        self.signature.seat
    }

    /// `seat` in Persian.
    async fn seat_label(&self) -> &'static str {
        self.signature.seat.label_fa()
    }

    /// The member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CommissionMember>> {
        Ok(many::<MembersLoader, _>(ctx, self.commission_id)
            .await?
            .into_iter()
            .find(|m| m.id == self.signature.member_id)
            .map(CommissionMember))
    }

    /// When they signed.
    async fn signed_at(&self) -> DateTime {
        DateTime(self.signature.signed_at)
    }
}

/// A ruling as drafted in session, with the members' signatures. Issue it with `issueRuling`
/// once the three voting members have signed this very content.
pub struct RulingDraft(pub s::Draft);

/// A ruling as drafted in session, with the members' signatures. Issue it with `issueRuling`
/// once the three voting members have signed this very content.
#[Object]
impl RulingDraft {
    /// Opaque id; pass it to `signRuling` and `issueRuling`.
    async fn id(&self) -> ID {
        global_id("RulingDraft", self.0.id)
    }

    /// The case ruled on.
    async fn case(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ViolationCase>> {
        Ok(loader::<i32, CaseLoader>(ctx)
            .load_one(self.0.content.case_id)
            .await?
            .map(ViolationCase))
    }

    /// Primary or appeal.
    async fn stage(&self) -> RulingStage {
        self.0.content.stage
    }

    /// The kind of ruling.
    async fn kind(&self) -> RulingKind {
        self.0.content.kind
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> &'static str {
        self.0.content.kind.label_fa()
    }

    /// The ruling's text.
    async fn text(&self) -> &str {
        &self.0.content.text
    }

    /// The legal basis cited.
    async fn legal_basis(&self) -> Option<&str> {
        self.0.content.legal_basis.as_deref()
    }

    /// For demolition: the breached principle.
    async fn breached_principle(&self) -> Option<BreachedPrinciple> {
        self.0.content.breached_principle
    }

    /// For appeals: what happens to the primary ruling.
    async fn appeal_outcome(&self) -> Option<AppealOutcome> {
        self.0.content.appeal_outcome
    }

    /// For interim orders: where the case goes back to.
    async fn interim_return(&self) -> Option<InterimReturn> {
        self.0.content.interim_return
    }

    /// For fines: each priced item with its arithmetic.
    async fn items(&self) -> Vec<PricedItem> {
        self.0
            .content
            .items
            .iter()
            .cloned()
            .map(PricedItem)
            .collect()
    }

    /// For fines: the total.
    async fn fine(&self) -> Option<Rial> {
        self.0.content.fine_rials.map(Rial)
    }

    /// SHA-256 of the draft's canonical content: what the members' signatures bind to.
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }

    /// When it was drafted.
    async fn drafted_at(&self) -> DateTime {
        DateTime(self.0.drafted_at)
    }

    /// True when a newer draft of the case replaced it; its signatures no longer count.
    async fn is_replaced(&self) -> bool {
        self.0.replaced
    }

    /// Signatures on this content so far.
    async fn signatures(&self) -> Vec<RulingSignature> {
        self.0
            .signatures
            .iter()
            .cloned()
            .map(|signature| RulingSignature {
                signature,
                commission_id: self.0.content.commission_id,
            })
            .collect()
    }

    /// Voting seats still to sign; empty when the ruling can be issued.
    async fn missing_seats(&self) -> Vec<MemberRole> {
        let seats: Vec<MemberRole> = self.0.signatures.iter().map(|s| s.seat).collect();
        shahr_domain::session::missing_seats(&seats)
    }

    /// True once issued.
    async fn is_issued(&self) -> bool {
        self.0.issued_ruling_id.is_some()
    }
}

/// A violation item the expert listed.
#[derive(InputObject)]
pub struct ViolationItemInput {
    /// Floor, as written (e.g. «طبقه چهارم»).
    pub floor: Option<String>,
    /// The note of Article 100.
    pub note: ViolationNote,
    /// Area the permit allows, m² (absent or 0 when built without a permit).
    pub permitted_area_m2: Option<f64>,
    /// Area built, m².
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

/// Sets the commission and session date of a referred case.
#[derive(InputObject)]
pub struct ScheduleHearingInput {
    /// The case's `id` (it must be referred).
    pub case: ID,
    /// The primary commission serving the parcel's district (its `id`).
    pub commission: ID,
    /// The session date (after today).
    pub session_on: Date,
}

/// The scheduled case.
#[derive(SimpleObject)]
pub struct ScheduleHearingPayload {
    /// The case, now in its defence window.
    pub case: ViolationCase,
    /// The hearing and the defence window it opened.
    pub hearing: Hearing,
}

/// The owner's statement.
#[derive(InputObject)]
pub struct RecordDefenceInput {
    /// The case's `id` (it must be in its defence window).
    pub case: ID,
    /// The statement (1 to 8000 characters).
    pub statement: String,
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
    /// The cases on the agenda (1 to 50): for a primary commission, cases assigned to it; for
    /// an appeal commission, appealed cases.
    pub cases: Vec<ID>,
}

/// The opened session.
#[derive(SimpleObject)]
pub struct OpenCommissionSessionPayload {
    /// The session.
    pub session: CommissionSession,
}

/// A violation item and the coefficient the commission chose.
#[derive(InputObject)]
pub struct PricedItemInput {
    /// The violation item's `id`.
    pub item: ID,
    /// The coefficient, inside the note's range (e.g. 0.1 to 0.5 for Note 2); omit for Note 4.
    pub coefficient: Option<f64>,
}

/// What the commission decides.
#[derive(InputObject)]
pub struct DraftRulingInput {
    /// The session (its `id`).
    pub session: ID,
    /// The case (its `id`), on the session's agenda.
    pub case: ID,
    /// The kind of ruling.
    pub kind: RulingKind,
    /// The ruling's text (1 to 8000 characters).
    pub text: String,
    /// The legal basis cited (e.g. «تبصره ۲ ماده ۱۰۰ قانون شهرداری»).
    pub legal_basis: Option<String>,
    /// Demolition rulings must name the breached principle.
    pub breached_principle: Option<BreachedPrinciple>,
    /// Appeal rulings: confirm, overturn or modify the primary ruling.
    pub appeal_outcome: Option<AppealOutcome>,
    /// Interim orders: where the case goes back to.
    pub interim_return: Option<InterimReturn>,
    /// Fine rulings: the items priced, each with its coefficient.
    pub items: Option<Vec<PricedItemInput>>,
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

pub(crate) fn session_error(e: SessionError, prefix: &str) -> ApiError {
    match e {
        SessionError::NotFound => ApiError::new(ErrorCode::NotFound, "no such object"),
        SessionError::Forbidden(why) => ApiError::new(ErrorCode::Forbidden, why),
        SessionError::Illegal(illegal) => ApiError::new(ErrorCode::Conflict, illegal.to_string())
            .with("currentState", status_value(illegal.current)),
        SessionError::Conflict { message, current } => {
            let mut err = ApiError::new(ErrorCode::Conflict, message);
            if let Some(current) = current {
                err = err.with("currentState", status_value(current));
            }
            err
        }
        SessionError::BadInput { field, message } => {
            ApiError::bad_input(&format!("{prefix}.{field}"), message)
        }
        SessionError::IdempotencyKeyReused => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency key was used to issue another ruling",
        ),
        SessionError::Store(e) => ApiError::from(e),
    }
}

fn status_value(status: shahr_domain::vocabulary::CaseStatus) -> async_graphql::Value {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(|s| async_graphql::Value::from(s.to_owned())))
        .unwrap_or(async_graphql::Value::Null)
}

fn actor(p: &Principal, role: Role) -> Actor {
    Actor {
        subject: p.subject.clone(),
        role: role.as_str().to_owned(),
    }
}

/// True when the viewer may see the case (so refusing it is FORBIDDEN, not NOT_FOUND).
fn sees(viewer: &Viewer, case: &LockedCase) -> bool {
    match visibility(viewer) {
        Visibility::All => true,
        Visibility::District(d) => case.district == Some(d),
        Visibility::Owner(n) => case.owners.contains(&n),
        Visibility::Nothing => false,
    }
}

fn decide(viewer: &Viewer, case: &LockedCase, allowed: bool, why: &str) -> Access {
    if allowed {
        Access::Allow
    } else if sees(viewer, case) {
        Access::Forbid(why.to_owned())
    } else {
        Access::Hide
    }
}

/// True when the viewer holds `role` for the case's district.
fn works_district(p: &Principal, role: Role, case: &LockedCase) -> bool {
    p.roles.contains(&role) && p.district.is_some() && p.district == case.district
}

/// Urbanism staff of the case's district may act; others are refused or see nothing.
fn district_staff(viewer: &Viewer, p: &Principal, case: &LockedCase, why: &str) -> Access {
    decide(
        viewer,
        case,
        works_district(p, Role::UrbanismStaff, case),
        why,
    )
}

/// The secretary of `commission_id` (role and commission claim), if the viewer is one.
fn is_secretary_of(p: &Principal, commission_id: i32) -> bool {
    p.roles.contains(&Role::CommissionSecretary) && p.commission_id == Some(commission_id)
}

fn commission_refusal(p: &Principal, commission_id: i32) -> Access {
    let on_commission = p.commission_id == Some(commission_id)
        && (p.roles.contains(&Role::CommissionMember)
            || p.roles.contains(&Role::CommissionSecretary));
    if on_commission || p.roles.iter().any(|r| *r != Role::Citizen) {
        Access::Forbid("only this commission's secretary runs its session".into())
    } else {
        Access::Hide
    }
}

fn check_text(field: &str, text: &str, max: usize) -> ApiResult<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_input(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("at most {max} characters"),
        ));
    }
    if shahr_domain::text::has_bidi_control(trimmed) {
        return Err(ApiError::bad_input(
            field,
            "must not contain bidirectional control characters",
        ));
    }
    Ok(shahr_domain::text::normalise(trimmed))
}

fn area(field: &str, value: Option<f64>) -> ApiResult<Option<f64>> {
    match value {
        Some(v) if !v.is_finite() || !(0.0..=1_000_000.0).contains(&v) => Err(ApiError::bad_input(
            field,
            "an area in m² between 0 and 1000000",
        )),
        other => Ok(other),
    }
}

fn idempotency_key(ctx: &Context<'_>, given: Option<String>) -> ApiResult<String> {
    let key = given
        .or_else(|| ctx.idempotency_header().map(str::to_owned))
        .ok_or_else(|| {
            ApiError::bad_input(
                "input.idempotencyKey",
                "issuing a ruling needs an idempotency key (the field or the Idempotency-Key header)",
            )
        })?;
    if key.is_empty() || key.len() > 128 {
        return Err(ApiError::bad_input(
            "input.idempotencyKey",
            "the key must be 1 to 128 characters",
        ));
    }
    Ok(key)
}

fn id64(kind: &str, field: &str, id: &ID) -> ApiResult<i64> {
    super::resolvers::key_of(kind, field, id)
}

/// A payment (or an instalment) of a fine.
pub struct FinePayment(pub shahr_urbanism::service::Payment);

/// A payment (or an instalment) of a fine.
#[Object]
impl FinePayment {
    /// Opaque id.
    async fn id(&self) -> ID {
        global_id("FinePayment", self.0.id)
    }

    /// The amount.
    async fn amount(&self) -> Rial {
        Rial(self.0.amount_rials)
    }

    /// The day it was paid.
    async fn paid_on(&self) -> Date {
        Date(self.0.paid_on)
    }

    /// `paidOn` in the Jalali calendar.
    async fn paid_on_jalali(&self) -> String {
        jalali(self.0.paid_on)
    }

    /// The bank's or payment gateway's reference.
    async fn reference(&self) -> &str {
        &self.0.reference
    }
}

/// A payment of a final fine ruling.
#[derive(InputObject)]
pub struct RecordFinePaymentInput {
    /// The ruling (its `id`).
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
    /// Still owed; zero closes the case.
    pub outstanding: Rial,
    /// False when this reference was recorded before.
    pub created: bool,
}

/// Names a ruling.
#[derive(InputObject)]
pub struct RulingInput {
    /// The ruling (its `id`).
    pub ruling: ID,
}

/// The case after a step.
#[derive(SimpleObject)]
pub struct CaseStepPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The case's state now.
    pub case_status: shahr_domain::vocabulary::CaseStatus,
}

/// A legal service done in person, to a relative or employee, by affixing, or to a legal
/// entity's representative.
#[derive(InputObject)]
pub struct RecordNotificationInput {
    /// The ruling (its `id`).
    pub ruling: ID,
    /// How it was served (`ELECTRONIC` comes from the e-notice service's receipt).
    pub mode: shahr_domain::vocabulary::NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<crate::graphql::scalars::NationalIdScalar>,
    /// The bailiff or officer who served it.
    pub agent: String,
    /// When it was served; now when absent. Never before the ruling's date, never in the future.
    pub served_at: Option<DateTime>,
}

/// The recorded service.
#[derive(SimpleObject)]
pub struct RecordNotificationPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// The day of service.
    pub served_on: Date,
    /// The last day to object (primary rulings), moved past Fridays and holidays.
    pub objection_deadline: Option<Date>,
    /// `objectionDeadline` in the Jalali calendar.
    pub objection_deadline_jalali: Option<String>,
    /// False when the ruling had been served before (the window runs from the first service).
    pub first_service: bool,
}

/// An objection to a served primary ruling.
#[derive(InputObject)]
pub struct FileObjectionInput {
    /// The ruling (its `id`).
    pub ruling: ID,
    /// The objection (1 to 8000 characters).
    pub statement: String,
}

/// The recorded objection.
#[derive(SimpleObject)]
pub struct FileObjectionPayload {
    /// The ruling.
    pub ruling: Ruling,
    /// Who objected.
    pub objector: shahr_domain::vocabulary::Objector,
    /// False when it came after the window: recorded and flagged; the case does not go to appeal.
    pub in_time: bool,
    /// The window's last day.
    pub deadline: Date,
    /// `deadline` in the Jalali calendar.
    pub deadline_jalali: String,
}

async fn ruling_payload(ctx: &Context<'_>, id: i32) -> ApiResult<Ruling> {
    ctx.deps()
        .urbanism
        .rulings_by_ids(&[id], &Visibility::All)
        .await?
        .into_iter()
        .next()
        .map(Ruling)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such ruling"))
}

/// Mutations of the commission session.
#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Refers a case in expert review to the commission secretariat, with the expert's
    /// violation items and the fine brief. Inspectors and urbanism staff of the parcel's
    /// district.
    async fn refer_case(
        &self,
        ctx: &Context<'_>,
        input: ReferCaseInput,
    ) -> async_graphql::Result<ReferCasePayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let number = input
            .secretariat_number
            .as_deref()
            .map(|n| check_text("input.secretariatNumber", n, 30))
            .transpose()?;
        let items = input.items.unwrap_or_default();
        if items.len() > 50 {
            return Err(ApiError::bad_input("input.items", "at most 50 items").into());
        }
        let mut new_items = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let f = |name: &str| format!("input.items[{i}].{name}");
            let parking = match item.parking_spaces {
                Some(n) if !(0..=1000).contains(&n) => {
                    return Err(
                        ApiError::bad_input(&f("parkingSpaces"), "between 0 and 1000").into(),
                    )
                }
                n => n.and_then(|n| i16::try_from(n).ok()),
            };
            new_items.push(s::NewItem {
                floor: item
                    .floor
                    .as_deref()
                    .map(|t| check_text(&f("floor"), t, 30))
                    .transpose()?,
                note: item.note,
                permitted_area_m2: area(&f("permittedAreaM2"), item.permitted_area_m2)?,
                built_area_m2: area(&f("builtAreaM2"), item.built_area_m2)?,
                permitted_use: item.permitted_use,
                actual_use: item.actual_use,
                parking_spaces: parking,
            });
        }
        let role = if p.roles.contains(&Role::Inspector) {
            Role::Inspector
        } else {
            Role::UrbanismStaff
        };
        let referral = ctx
            .deps()
            .urbanism
            .refer_case(
                case_id,
                number,
                &new_items,
                &ctx.deps().rules,
                &actor(p, role),
                |case| {
                    let staff = works_district(p, Role::Inspector, case)
                        || works_district(p, Role::UrbanismStaff, case);
                    decide(
                        viewer,
                        case,
                        staff,
                        "only inspectors and urbanism staff of the parcel's district refer cases",
                    )
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(ReferCasePayload {
            case: ViolationCase(referral.case),
            secretariat_number: referral.secretariat_number,
            fine_brief: referral.brief.into_iter().map(FineBriefLine).collect(),
        })
    }

    /// Sets the commission and session date of a referred case; this opens the owner's
    /// defence window (`defenceWindowDays` of configuration, past Fridays and holidays). The
    /// secretary of that commission.
    async fn schedule_hearing(
        &self,
        ctx: &Context<'_>,
        input: ScheduleHearingInput,
    ) -> async_graphql::Result<ScheduleHearingPayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let commission_id = id_of("Commission", "input.commission", &input.commission)?;
        let (case, hearing) = ctx
            .deps()
            .urbanism
            .schedule_hearing(
                case_id,
                commission_id,
                input.session_on.0,
                &ctx.deps().rules,
                &actor(p, Role::CommissionSecretary),
                |case| {
                    decide(
                        viewer,
                        case,
                        is_secretary_of(p, commission_id),
                        "only the secretary of the chosen commission schedules its hearings",
                    )
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(ScheduleHearingPayload {
            case: ViolationCase(case),
            hearing: Hearing(hearing),
        })
    }

    /// Records the owner's defence while the case is in its defence window. An owner of the
    /// parcel files their own; the secretary of the case's commission may file one received
    /// on paper. A defence after the window's last day is kept and flagged late.
    async fn record_defence(
        &self,
        ctx: &Context<'_>,
        input: RecordDefenceInput,
    ) -> async_graphql::Result<RecordDefencePayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let statement = check_text(
            "input.statement",
            &input.statement,
            shahr_domain::session::MAX_TEXT_CHARS,
        )?;
        let as_owner = p.roles.contains(&Role::Citizen) && p.national_id.is_some();
        let role = if as_owner {
            Role::Citizen
        } else {
            Role::CommissionSecretary
        };
        let defence = ctx
            .deps()
            .urbanism
            .record_defence(case_id, &statement, &actor(p, role), |case| {
                let owner = as_owner
                    && p.national_id
                        .as_ref()
                        .is_some_and(|n| case.owners.contains(n));
                let secretary = case
                    .case
                    .commission_id
                    .is_some_and(|c| is_secretary_of(p, c));
                decide(
                    viewer,
                    case,
                    owner || secretary,
                    "only an owner of the parcel, or the secretary of the case's commission, files its defence",
                )
            })
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(RecordDefencePayload {
            defence: Defence(defence),
        })
    }

    /// Opens a sitting of a commission with cases on its agenda. A primary commission's cases
    /// go into session (a case still inside its defence window needs the owner's defence on
    /// file); an appeal commission hears appealed cases. The secretary of that commission.
    async fn open_commission_session(
        &self,
        ctx: &Context<'_>,
        input: OpenCommissionSessionInput,
    ) -> async_graphql::Result<OpenCommissionSessionPayload> {
        let p = signed_in(ctx.viewer())?;
        let commission_id = id_of("Commission", "input.commission", &input.commission)?;
        if input.cases.is_empty() || input.cases.len() > 50 {
            return Err(ApiError::bad_input("input.cases", "1 to 50 cases").into());
        }
        let cases = input
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| id_of("ViolationCase", &format!("input.cases[{i}]"), c))
            .collect::<ApiResult<Vec<i32>>>()?;
        let session = ctx
            .deps()
            .urbanism
            .open_session(
                commission_id,
                &cases,
                &actor(p, Role::CommissionSecretary),
                |_| {
                    if is_secretary_of(p, commission_id) {
                        Access::Allow
                    } else {
                        commission_refusal(p, commission_id)
                    }
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(OpenCommissionSessionPayload {
            session: CommissionSession(session),
        })
    }

    /// Drafts the ruling of a case on an open session's agenda: the kind, text and legal
    /// basis, and for fines each item's coefficient (refused outside the note's range); the
    /// fine is computed from the transaction-value tables of the case's year and block, with
    /// the arithmetic. A new draft of the same case replaces the previous one (its signatures
    /// lapse). The secretary of the session's commission.
    async fn draft_ruling(
        &self,
        ctx: &Context<'_>,
        input: DraftRulingInput,
    ) -> async_graphql::Result<RulingDraftPayload> {
        let p = signed_in(ctx.viewer())?;
        let session_id = id64("CommissionSession", "input.session", &input.session)?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let items = input.items.unwrap_or_default();
        if items.len() > 50 {
            return Err(ApiError::bad_input("input.items", "at most 50 items").into());
        }
        let priced = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("input.items[{i}]");
                let id = id_of("ViolationItem", &format!("{field}.item"), &item.item)?;
                if item.coefficient.is_some_and(|c| !c.is_finite() || c <= 0.0) {
                    return Err(ApiError::bad_input(
                        &format!("{field}.coefficient"),
                        "a positive number",
                    ));
                }
                Ok((id, item.coefficient))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        if shahr_domain::text::has_bidi_control(&input.text) {
            return Err(ApiError::bad_input(
                "input.text",
                "must not contain bidirectional control characters",
            )
            .into());
        }
        let draft = s::DraftInput {
            kind: input.kind,
            text: input.text,
            legal_basis: input
                .legal_basis
                .as_deref()
                .map(|b| check_text("input.legalBasis", b, 300))
                .transpose()?,
            breached_principle: input.breached_principle,
            appeal_outcome: input.appeal_outcome,
            interim_return: input.interim_return,
            items: priced,
        };
        let draft = ctx
            .deps()
            .urbanism
            .draft_ruling(
                session_id,
                case_id,
                &draft,
                &ctx.deps().rules,
                &actor(p, Role::CommissionSecretary),
                |session| {
                    if is_secretary_of(p, session.commission_id) {
                        Access::Allow
                    } else {
                        commission_refusal(p, session.commission_id)
                    }
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(RulingDraftPayload {
            draft: RulingDraft(draft),
        })
    }

    /// Signs a draft as the signed-in voting member of its commission (found by the token's
    /// national id). A member who signed a case's primary ruling may not sign its appeal.
    /// Signing again changes nothing.
    async fn sign_ruling(
        &self,
        ctx: &Context<'_>,
        input: SignRulingInput,
    ) -> async_graphql::Result<RulingDraftPayload> {
        let p = signed_in(ctx.viewer())?;
        let draft_id = id64("RulingDraft", "input.draft", &input.draft)?;
        let national_id = p
            .national_id
            .as_ref()
            .filter(|_| p.roles.contains(&Role::CommissionMember))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Forbidden,
                    "only a commission member signed in with their national id signs rulings",
                )
            })?;
        let draft = ctx
            .deps()
            .urbanism
            .sign_ruling(
                draft_id,
                national_id,
                &actor(p, Role::CommissionMember),
                |draft| {
                    if p.commission_id == Some(draft.content.commission_id) {
                        Access::Allow
                    } else {
                        Access::Forbid("only members of this commission sign its rulings".into())
                    }
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(RulingDraftPayload {
            draft: RulingDraft(draft),
        })
    }

    /// Records the legal service of a ruling done by hand (in person, to a relative or
    /// employee, affixed, to a legal entity's representative). The first service of a primary
    /// ruling opens the objection window; serving an appeal ruling makes it final. Urbanism
    /// staff of the parcel's district and the secretary of the ruling's commission.
    async fn record_notification(
        &self,
        ctx: &Context<'_>,
        input: RecordNotificationInput,
    ) -> async_graphql::Result<RecordNotificationPayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let ruling_id = id_of("Ruling", "input.ruling", &input.ruling)?;
        if input.mode == shahr_domain::vocabulary::NotificationMode::Electronic {
            return Err(ApiError::bad_input(
                "input.mode",
                "electronic service is recorded from the e-notice service's receipt",
            )
            .into());
        }
        let service = shahr_urbanism::service::NewService {
            mode: input.mode,
            receiver_name: check_text("input.receiverName", &input.receiver_name, 200)?,
            receiver_national_id: input.receiver_national_id.map(|n| n.0),
            agent: check_text("input.agent", &input.agent, 200)?,
            served_at: input.served_at.map_or_else(Utc::now, |d| d.0),
            delivery_id: None,
        };
        let ruling_commission = ctx
            .deps()
            .urbanism
            .rulings_by_ids(&[ruling_id], &Visibility::All)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .next()
            .and_then(|r| r.commission_id);
        let role = if p.roles.contains(&Role::UrbanismStaff) {
            Role::UrbanismStaff
        } else {
            Role::CommissionSecretary
        };
        let served = ctx
            .deps()
            .urbanism
            .record_service(ruling_id, &service, &ctx.deps().rules, &actor(p, role), |case| {
                let staff = works_district(p, Role::UrbanismStaff, case);
                let secretary = ruling_commission.is_some_and(|c| is_secretary_of(p, c));
                decide(
                    viewer,
                    case,
                    staff || secretary,
                    "only urbanism staff of the parcel's district or the commission's secretary record service",
                )
            })
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(RecordNotificationPayload {
            ruling: ruling_payload(ctx, ruling_id).await?,
            served_on: Date(served.served_on),
            objection_deadline: served.objection_deadline.map(Date),
            objection_deadline_jalali: served.objection_deadline.map(jalali),
            first_service: served.first,
        })
    }

    /// Objects to a served primary ruling, as an owner of the parcel or for the municipality
    /// (urbanism staff of its district). Inside the window the case goes to appeal; a late
    /// objection is recorded and flagged (`inTime: false`) and the case does not move.
    async fn file_objection(
        &self,
        ctx: &Context<'_>,
        input: FileObjectionInput,
    ) -> async_graphql::Result<FileObjectionPayload> {
        use shahr_domain::vocabulary::Objector;
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let ruling_id = id_of("Ruling", "input.ruling", &input.ruling)?;
        let statement = check_text(
            "input.statement",
            &input.statement,
            shahr_domain::session::MAX_TEXT_CHARS,
        )?;
        let as_owner = p.roles.contains(&Role::Citizen) && p.national_id.is_some();
        let (objector, role) = if as_owner {
            (Objector::Owner, Role::Citizen)
        } else {
            (Objector::Municipality, Role::UrbanismStaff)
        };
        let objected = ctx
            .deps()
            .urbanism
            .file_objection(ruling_id, objector, &statement, &ctx.deps().rules, &actor(p, role), |case| {
                let owner = as_owner
                    && p.national_id
                        .as_ref()
                        .is_some_and(|n| case.owners.contains(n));
                let staff = works_district(p, Role::UrbanismStaff, case);
                decide(
                    viewer,
                    case,
                    owner || staff,
                    "only an owner of the parcel or the municipality (urbanism staff of its district) objects",
                )
            })
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(FileObjectionPayload {
            ruling: ruling_payload(ctx, ruling_id).await?,
            objector,
            in_time: objected.in_time,
            deadline: Date(objected.deadline),
            deadline_jalali: jalali(objected.deadline),
        })
    }

    /// Records a payment (or an instalment) of a final fine ruling. The first payment starts
    /// enforcement; paying the whole fine closes the case and unblocks the parcel's completion
    /// and no-violation certificates. Urbanism staff of the parcel's district.
    async fn record_fine_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordFinePaymentInput,
    ) -> async_graphql::Result<RecordFinePaymentPayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let ruling_id = id_of("Ruling", "input.ruling", &input.ruling)?;
        let reference = check_text("input.reference", &input.reference, 100)?;
        let paid_on = input
            .paid_on
            .map_or_else(|| s::tehran_today(Utc::now()), |d| d.0);
        let paid = ctx
            .deps()
            .urbanism
            .record_payment(
                ruling_id,
                input.amount.0,
                &reference,
                paid_on,
                &actor(p, Role::UrbanismStaff),
                |case| {
                    district_staff(
                        viewer,
                        p,
                        case,
                        "only urbanism staff of the parcel's district record payments",
                    )
                },
            )
            .await
            .map_err(|e| match e {
                SessionError::IdempotencyKeyReused => ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "this payment reference was recorded for another payment",
                ),
                other => session_error(other, "input"),
            })?;
        Ok(RecordFinePaymentPayload {
            ruling: ruling_payload(ctx, ruling_id).await?,
            payment: FinePayment(paid.payment),
            paid: Rial(paid.paid_rials),
            outstanding: Rial((paid.fine_rials - paid.paid_rials).max(0)),
            created: paid.created,
        })
    }

    /// Sends the case of a final fine ruling left unpaid back to the commission for
    /// non-payment (which may then order demolition). Urbanism staff of the parcel's district.
    async fn refer_for_non_payment(
        &self,
        ctx: &Context<'_>,
        input: RulingInput,
    ) -> async_graphql::Result<CaseStepPayload> {
        let viewer = ctx.viewer();
        let p = signed_in(viewer)?;
        let ruling_id = id_of("Ruling", "input.ruling", &input.ruling)?;
        let status = ctx
            .deps()
            .urbanism
            .refer_for_non_payment(ruling_id, &actor(p, Role::UrbanismStaff), |case| {
                district_staff(
                    viewer,
                    p,
                    case,
                    "only urbanism staff of the parcel's district refer cases",
                )
            })
            .await
            .map_err(|e| session_error(e, "input"))?;
        Ok(CaseStepPayload {
            ruling: ruling_payload(ctx, ruling_id).await?,
            case_status: status,
        })
    }

    /// Issues a draft signed by the three voting members, in one transaction: the legacy
    /// ruling and case rows, the signed immutable record with its verification code, the
    /// state history, the audit entry and the `ruling.issued` event. Needs an idempotency
    /// key: a retry with the same key returns the same ruling; the same key for another draft
    /// fails with `IDEMPOTENCY_KEY_REUSED`. The secretary of the session's commission.
    async fn issue_ruling(
        &self,
        ctx: &Context<'_>,
        input: IssueRulingInput,
    ) -> async_graphql::Result<IssueRulingPayload> {
        issue(ctx, input, None).await
    }

    /// Issues an appeal commission's ruling (confirm, overturn or modify the primary ruling)
    /// as a new signed record; `issueRuling` with a check that the draft is an appeal. An
    /// overturned or modified primary ruling is marked superseded.
    async fn issue_appeal_ruling(
        &self,
        ctx: &Context<'_>,
        input: IssueRulingInput,
    ) -> async_graphql::Result<IssueRulingPayload> {
        issue(ctx, input, Some(RulingStage::Appeal)).await
    }
}

async fn issue(
    ctx: &Context<'_>,
    input: IssueRulingInput,
    stage: Option<RulingStage>,
) -> async_graphql::Result<IssueRulingPayload> {
    {
        let p = signed_in(ctx.viewer())?;
        let draft_id = id64("RulingDraft", "input.draft", &input.draft)?;
        let key = idempotency_key(ctx, input.idempotency_key)?;
        let deps = ctx.deps();
        let prepared = match deps
            .urbanism
            .draft(draft_id)
            .await
            .map_err(ApiError::from)?
        {
            Some(draft) => {
                if stage.is_some_and(|st| st != draft.content.stage) {
                    return Err(ApiError::bad_input(
                        "input.draft",
                        "this draft is not an appeal ruling; issue it with issueRuling",
                    )
                    .into());
                }
                Some(document_inputs(ctx, &draft).await?)
            }
            None => None,
        };
        let keyring = deps.keyring.clone();
        let issued_by = p.subject.clone();
        let base_url = deps.public_base_url.clone();
        let rules = deps.rules.clone();
        let issued = deps
            .urbanism
            .issue_ruling(
                draft_id,
                &key,
                &deps.rules,
                &actor(p, Role::CommissionSecretary),
                &deps.channels,
                |draft| {
                    if is_secretary_of(p, draft.content.commission_id) {
                        Access::Allow
                    } else {
                        commission_refusal(p, draft.content.commission_id)
                    }
                },
                |to_sign: ToSign| {
                    let code = hologram::verification_code();
                    let issued_at = to_sign.session["issuedAt"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let commission_name = prepared
                        .as_ref()
                        .map(|d| d.commission_name.clone())
                        .unwrap_or_default();
                    let document = prepared.map(|inputs| {
                        let doc = inputs.finish(&to_sign, &code, &base_url, &rules);
                        let html = dadnameh::body(&doc);
                        let hash = hex::encode(Sha256::digest(html.as_bytes()));
                        (html, hash)
                    });
                    let mut content =
                        hologram::content(to_sign.legacy, &commission_name, &issued_at);
                    if let Some(map) = content.as_object_mut() {
                        map.insert("session".into(), to_sign.session);
                        if let Some((_, hash)) = &document {
                            map.insert("documentHash".into(), hash.clone().into());
                        }
                    }
                    let mut record = hologram::seal_with_code(
                        &keyring,
                        hologram::ToSeal {
                            legacy_ruling_id: to_sign.legacy_ruling_id,
                            case_id: to_sign.case_id,
                            number: &to_sign.number,
                            content,
                            issued_by: &issued_by,
                            idempotency_key: None,
                            supersedes: to_sign.supersedes,
                        },
                        code,
                    );
                    record.document = document;
                    record
                },
            )
            .await
            .map_err(|e| session_error(e, "input"))?;
        let ruling = deps
            .urbanism
            .rulings_by_ids(&[issued.legacy_ruling_id], &Visibility::All)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Internal,
                    "the issued ruling could not be read back",
                )
            })?;
        Ok(IssueRulingPayload {
            ruling: Ruling(ruling),
            number: issued.number,
            verification_code: issued.verification_code,
            created: issued.created,
        })
    }
}

/// True when the viewer may read a commission's sessions and drafts: its secretary and
/// members, auditors and admins.
fn may_read_commission(viewer: &Viewer, commission_id: i32) -> bool {
    viewer.principal().is_some_and(|p| {
        p.roles.contains(&Role::Auditor)
            || p.roles.contains(&Role::Admin)
            || (p.commission_id == Some(commission_id)
                && (p.roles.contains(&Role::CommissionSecretary)
                    || p.roles.contains(&Role::CommissionMember)))
    })
}

/// Queries of the commission session.
#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// A sitting of a commission. Its secretary and members, auditors and admins; null for
    /// anyone else.
    async fn commission_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<CommissionSession>> {
        let Ok(key) = id64("CommissionSession", "id", &id) else {
            return Ok(None);
        };
        let found = ctx
            .deps()
            .urbanism
            .session(key)
            .await
            .map_err(ApiError::from)?;
        Ok(found
            .filter(|s| may_read_commission(ctx.viewer(), s.commission_id))
            .map(CommissionSession))
    }

    /// A draft ruling with its signatures: what a member reads before signing. The
    /// commission's secretary and members, auditors and admins; null for anyone else.
    async fn ruling_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<RulingDraft>> {
        let Ok(key) = id64("RulingDraft", "id", &id) else {
            return Ok(None);
        };
        let found = ctx
            .deps()
            .urbanism
            .draft(key)
            .await
            .map_err(ApiError::from)?;
        Ok(found
            .filter(|d| may_read_commission(ctx.viewer(), d.content.commission_id))
            .map(RulingDraft))
    }
}

/// What the dadnameh needs from the urbanism system, read before the issuing transaction.
struct DocumentInputs {
    commission_name: String,
    draft: s::DraftContent,
    case: Option<shahr_urbanism::records::ViolationCase>,
    parcel: Option<shahr_urbanism::records::Parcel>,
    owners: Vec<shahr_urbanism::records::Ownership>,
    items: Vec<shahr_urbanism::records::ViolationItem>,
    neighbours: Vec<Vec<(f64, f64)>>,
    gis: Option<shahr_gis::Surroundings>,
}

async fn document_inputs(ctx: &Context<'_>, draft: &s::Draft) -> ApiResult<DocumentInputs> {
    let db = &ctx.deps().urbanism;
    let c = &draft.content;
    let commission_name = db
        .commissions_by_ids(&[c.commission_id])
        .await?
        .into_iter()
        .next()
        .map(|c| c.name)
        .unwrap_or_default();
    let case = db
        .cases_by_ids(&[c.case_id], &Visibility::All)
        .await?
        .into_iter()
        .next();
    let parcel = match &case {
        Some(case) => db
            .parcels_by_ids(&[case.parcel_id], &Visibility::All)
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let (owners, neighbours) = match &parcel {
        Some(p) => (
            db.ownerships_by_parcel(&[p.id])
                .await?
                .remove(&p.id)
                .unwrap_or_default(),
            db.block_neighbours(p)
                .await?
                .into_iter()
                .filter_map(|n| n.boundary)
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let items = db
        .items_by_case(&[c.case_id])
        .await?
        .remove(&c.case_id)
        .unwrap_or_default();
    let gis = match (&ctx.deps().gis, &parcel) {
        (Some(client), Some(p)) => match client.surroundings(p.renovation_code.as_str()).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "GIS unavailable; the sketch uses the legacy geometry");
                None
            }
        },
        _ => None,
    };
    Ok(DocumentInputs {
        gis,
        commission_name,
        draft: c.clone(),
        case,
        parcel,
        owners,
        items,
        neighbours,
    })
}

/// The street named in an address («…، خیابان امام، …»), for the sketch's label.
fn street_of(address: &str) -> Option<String> {
    address
        .split(['،', ','])
        .map(str::trim)
        .find(|part| {
            ["خیابان", "بلوار", "کوچه", "کوی", "میدان"]
                .iter()
                .any(|w| part.starts_with(w))
        })
        .map(str::to_owned)
}

impl DocumentInputs {
    fn finish(
        self,
        to_sign: &ToSign,
        code: &str,
        base_url: &str,
        rules: &shahr_domain::session::Article100Rules,
    ) -> dadnameh::Dadnameh {
        let signers = to_sign.session["signers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| {
                        let seat = serde_json::from_value::<MemberRole>(s["seat"].clone())
                            .map(MemberRole::label_fa)
                            .unwrap_or_default();
                        (
                            s["name"].as_str().unwrap_or_default().to_owned(),
                            seat.to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let violation_m2: f64 = self
            .items
            .iter()
            .map(|i| (i.built_area_m2.unwrap_or(0.0) - i.permitted_area_m2.unwrap_or(0.0)).max(0.0))
            .sum();
        let street_from_address = self
            .parcel
            .as_ref()
            .and_then(|p| p.address.as_deref())
            .and_then(street_of);
        let kroki = kroki::svg(&match self.gis {
            Some(gis) => kroki::KrokiInput {
                parcel: Some(gis.parcel),
                neighbours: gis.neighbours,
                street: gis.street,
                street_name: gis.street_name.or(street_from_address),
                violation_m2: Some(violation_m2),
            },
            None => kroki::KrokiInput {
                parcel: self.parcel.as_ref().and_then(|p| p.boundary.clone()),
                neighbours: self.neighbours,
                street: None,
                street_name: street_from_address,
                violation_m2: Some(violation_m2),
            },
        });
        dadnameh::Dadnameh {
            number: to_sign.number.clone(),
            date_jalali: to_sign.legacy["dateJalali"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            commission_name: self.commission_name,
            stage: self.draft.stage,
            kind: self.draft.kind,
            case_number: self.case.as_ref().and_then(|c| c.case_number.clone()),
            secretariat_number: self
                .case
                .as_ref()
                .and_then(|c| c.secretariat_number.clone()),
            parcel: self.parcel,
            owners: self.owners,
            items: self.items,
            priced: self.draft.items.clone(),
            fine_rials: self.draft.fine_rials,
            text: self.draft.text.clone(),
            legal_basis: self.draft.legal_basis.clone(),
            breached_principle: self.draft.breached_principle,
            appeal_outcome: self.draft.appeal_outcome,
            signers,
            objection_days: rules.objection_window_days,
            demolition_days: rules.demolition_days,
            kroki_svg: kroki,
            verify_url: format!("{base_url}/verify/{code}"),
            verification_code: code.to_owned(),
        }
    }
}
