//! Objects of the commission session: the fine brief, hearings and summonses, defences,
//! sittings, drafts and signatures (parties, payments and enforcement are in
//! [`super::parties`]).

use async_graphql::{Context, Object, ID};
use chrono::Utc;
use shahr_domain::{
    jalali::tehran_today,
    vocabulary::{
        AppealOutcome, BreachedPrinciple, InterimReturn, ItemOutcome, MemberRole, RulingKind,
        RulingStage, ViolationNote,
    },
};
use shahr_urbanism::cases::{self as c, service::Document};

pub(crate) use super::parties::{parties, party_of};
pub use super::parties::{Enforcement, FinePayment, Party};

use super::super::types::{Commission, CommissionMember, ViolationCase};
use crate::graphql::{
    context::ContextExt,
    loaders::{loader, many, CaseLoader, CommissionLoader, MembersLoader},
    node::global_id,
    scalars::{jalali, CoefficientScalar, Date, DateTime, Rial},
};

/// The fine range of one violation item, as computed when the case was referred.
pub struct FineBriefLine(pub c::referral::BriefLine);

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

/// A hearing: the commission and session date set for a case, and the owners' summonses.
pub struct Hearing(pub c::hearings::Hearing);

/// A hearing: the commission and session date set for a case, and the owners' summonses.
/// Each owner's defence window runs from the legal service of their own summons.
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

    /// The owners summoned, each with the day their summons was served and their defence
    /// window's last day.
    async fn summoned(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Party>> {
        parties(
            ctx,
            Document::Summons(self.0.id),
            Some(ctx.deps().rules.defence()),
        )
        .await
    }

    /// The last day of the latest defence window among the owners served so far; null while
    /// no summons has been served.
    async fn defence_closes_on(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        let summoned = parties(
            ctx,
            Document::Summons(self.0.id),
            Some(ctx.deps().rules.defence()),
        )
        .await?;
        Ok(summoned.iter().filter_map(|p| p.deadline).max().map(Date))
    }

    /// `defenceClosesOn` in the Jalali calendar.
    async fn defence_closes_on_jalali(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        Ok(self.defence_closes_on(ctx).await?.map(|d| jalali(d.0)))
    }

    /// True while an owner may still file a defence: one is not yet served, or today (Asia/Tehran)
    /// is inside a served owner's window.
    async fn is_defence_window_open(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let summoned = parties(
            ctx,
            Document::Summons(self.0.id),
            Some(ctx.deps().rules.defence()),
        )
        .await?;
        let today = tehran_today(Utc::now());
        Ok(summoned
            .iter()
            .any(|p| p.deadline.is_none_or(|d| today <= d)))
    }
}

/// The owner's statement in their defence.
pub struct Defence(pub c::hearings::Defence);

/// The owner's statement in their defence.
#[Object]
impl Defence {
    /// Opaque id.
    pub async fn id(&self) -> ID {
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

    /// True when it came after the owner's defence window closed; it is kept and shown to the
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
pub struct CommissionSession(pub c::sittings::CommissionSession);

/// A sitting of a commission and the cases on its agenda.
#[Object]
impl CommissionSession {
    /// Opaque global id; pass it to `draftRuling` or `node(id:)`.
    pub async fn id(&self) -> ID {
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

/// A violation item as the ruling decides it: its outcome and, for a fined item, the fine.
pub struct DecidedItem(pub shahr_domain::sealed::DecidedItem);

/// A violation item as the ruling decides it: its outcome (one ruling may decide items
/// differently) and, for a fined item, the coefficient, the fine and the arithmetic.
#[Object]
impl DecidedItem {
    /// The violation item's `id`.
    async fn item_id(&self) -> ID {
        global_id("ViolationItem", self.0.item_id)
    }

    /// Its note.
    async fn note(&self) -> Option<ViolationNote> {
        self.0.note
    }

    /// `note` in Persian.
    async fn note_label(&self) -> Option<&'static str> {
        self.0.note.map(ViolationNote::label_fa)
    }

    /// What is decided for the item.
    async fn outcome(&self) -> ItemOutcome {
        self.0.outcome
    }

    /// `outcome` in Persian.
    async fn outcome_label(&self) -> &'static str {
        self.0.outcome.label_fa()
    }

    /// The coefficient the commission chose (fined items of Notes 2, 3 and 5).
    async fn coefficient(&self) -> Option<CoefficientScalar> {
        self.0.coefficient.map(|c| CoefficientScalar(c.to_fixed()))
    }

    /// The item's fine; null for items not fined.
    async fn fine(&self) -> Option<Rial> {
        self.0.fine_rials.map(Rial)
    }

    /// The arithmetic, for display: `60.00 m² × 0.75 × 23000000 rials/m² … = … rials`.
    async fn arithmetic(&self) -> Option<&str> {
        self.0.arithmetic.as_deref()
    }

    /// The same arithmetic in Persian, as the dadnameh prints it.
    async fn arithmetic_fa(&self) -> Option<&str> {
        self.0.arithmetic_fa.as_deref()
    }
}

/// A member's signature on a draft ruling.
pub struct RulingSignature {
    pub(crate) signature: c::drafts::Signature,
    pub(crate) commission_id: i32,
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
pub struct RulingDraft(pub c::drafts::Draft);

/// A ruling as drafted in session, with the members' signatures. Issue it with `issueRuling`
/// once the three voting members have signed this very content.
#[Object]
impl RulingDraft {
    /// Opaque global id; pass it to `signRuling`, `issueRuling` or `node(id:)`.
    pub async fn id(&self) -> ID {
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

    /// The kind of ruling (its main outcome).
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

    /// Every item of the case as decided, with fines and their arithmetic.
    async fn items(&self) -> Vec<DecidedItem> {
        self.0
            .content
            .items
            .iter()
            .cloned()
            .map(DecidedItem)
            .collect()
    }

    /// The total fine, when an item is fined.
    async fn fine(&self) -> Option<Rial> {
        self.0.content.fine_rials.map(Rial)
    }

    /// The owner's demolition period in days, counted from finality (Note 1: at most two
    /// months), when an item is demolished.
    async fn demolition_period_days(&self) -> Option<i32> {
        self.0
            .content
            .demolition_period_days
            .and_then(|d| i32::try_from(d).ok())
    }

    /// Note 7: the supervising engineer referred to the engineering organisation's
    /// disciplinary board, with the finding.
    async fn engineer_referral(&self) -> Option<EngineerReferral> {
        self.0
            .content
            .engineer_referral
            .clone()
            .map(EngineerReferral)
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

/// Note 7: the supervising engineer referred to the disciplinary board.
pub struct EngineerReferral(pub shahr_domain::decisions::EngineerReferral);

/// Note 7: the supervising engineer referred to the engineering organisation's disciplinary
/// board for a false certificate (six months to three years' suspension).
#[Object]
impl EngineerReferral {
    /// The engineer's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Their licence number, when known.
    async fn licence_number(&self) -> Option<&str> {
        self.0.licence_number.as_deref()
    }

    /// What they certified falsely.
    async fn finding(&self) -> &str {
        &self.0.finding
    }
}
