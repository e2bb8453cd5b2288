//! GraphQL objects of an Article 100 ruling: the ruling, its parties and their service, its
//! objections, its decided items, payments and enforcement.

use async_graphql::{Context, Object, ID};
use shahr_domain::vocabulary::*;
use shahr_urbanism::{cases::service::Document, records};

use super::{
    session::objects::{parties, DecidedItem, Enforcement, EngineerReferral, FinePayment, Party},
    types::{Commission, ViolationCase},
};
use crate::graphql::{
    access::may_read_personal_data,
    context::ContextExt,
    error::ApiError,
    loaders::{
        loader, many, CaseLoader, CommissionLoader, EnforcementsLoader, FinalDatesLoader,
        NotificationsLoader, ObjectionsLoader, PaymentsLoader, SealedContentLoader,
        VerificationCodeLoader,
    },
    node::global_id,
    scalars::{jalali, Date, NationalIdScalar, Rial},
};

#[derive(Clone)]
pub struct Ruling(pub records::Ruling);

/// A commission's ruling (*ray*) on a case.
#[Object]
impl Ruling {
    /// Opaque global id; pass it to `node(id:)` or `ruling(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Ruling", self.0.id)
    }

    /// The ruling number as printed on the dadnameh.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }

    /// What was ruled.
    async fn kind(&self) -> RulingKind {
        self.0.kind
    }

    /// `kind` in Persian (`قلع بنا`).
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fa()
    }

    /// Primary or appeal.
    async fn stage(&self) -> RulingStage {
        self.0.stage
    }

    /// `stage` in Persian.
    async fn stage_label(&self) -> &'static str {
        self.0.stage.label_fa()
    }

    /// Where the ruling stands.
    async fn status(&self) -> Option<RulingStatus> {
        self.0.status
    }

    /// `status` in Persian.
    async fn status_label(&self) -> Option<&'static str> {
        self.0.status.map(RulingStatus::label_fa)
    }

    /// Issued on; null when the urbanism system's date is unreadable.
    async fn issued_on(&self) -> Option<Date> {
        self.0.issued_on.map(Date)
    }

    /// `issuedOn` in the Jalali calendar (`1405/08/15`).
    async fn issued_on_jalali(&self) -> Option<String> {
        self.0.issued_on.map(jalali)
    }

    /// The fine in rials, for fine rulings.
    async fn fine(&self) -> Option<Rial> {
        self.0.fine_rials.map(Rial)
    }

    /// The ruling's text in Persian.
    async fn text(&self) -> Option<&str> {
        self.0.text.as_deref()
    }

    /// The legal basis cited.
    async fn legal_basis(&self) -> Option<&str> {
        self.0.legal_basis.as_deref()
    }

    /// For demolition rulings: the principle breached.
    async fn breached_principle(&self) -> Option<BreachedPrinciple> {
        self.0.breached_principle
    }

    /// `breachedPrinciple` in Persian.
    async fn breached_principle_label(&self) -> Option<&'static str> {
        self.0.breached_principle.map(BreachedPrinciple::label_fa)
    }

    /// The case ruled on.
    async fn case(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ViolationCase>> {
        Ok(loader::<i32, CaseLoader>(ctx)
            .load_one(self.0.case_id)
            .await?
            .map(ViolationCase))
    }

    /// The commission that ruled.
    async fn commission(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commission>> {
        let Some(id) = self.0.commission_id else {
            return Ok(None);
        };
        Ok(loader::<i32, CommissionLoader>(ctx)
            .load_one(id)
            .await?
            .map(Commission))
    }

    /// The code of the ruling's public verification page, `/verify/{code}` (also on its QR
    /// code). Null for rulings issued before the gateway signed rulings.
    async fn verification_code(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(loader::<i32, VerificationCodeLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .map(|(code, _)| code))
    }

    /// A link to the ruling's judgment document (dadnameh: print-ready, with the location
    /// sketch and the QR code of its verification page), valid for a few minutes (the
    /// `document_link_ttl` setting): ask again for a fresh one. Null for rulings issued
    /// before the gateway produced documents.
    async fn document_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let has_document = loader::<i32, VerificationCodeLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .is_some_and(|(_, document)| document);
        if !has_document {
            return Ok(None);
        }
        let deps = ctx.deps();
        let link = deps.links.sign(
            &format!("/documents/rulings/{}", self.0.id),
            chrono::Utc::now(),
        );
        Ok(Some(format!("{}{link}", deps.public_base_url)))
    }

    /// The last day any party may still object (a primary ruling that has been served): the
    /// latest of the served parties' own windows, each counted from that party's service,
    /// past Fridays and holidays. Each party's own deadline is in `parties`.
    async fn objection_deadline(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        if self.0.stage != RulingStage::Primary || self.0.status.is_none() {
            return Ok(None);
        }
        let rule = ctx.deps().rules.objection();
        let parties = parties(ctx, Document::Ruling(self.0.id), Some(rule)).await?;
        let latest = parties
            .iter()
            .filter(|p| p.record.party.is_owner())
            .filter_map(|p| p.deadline)
            .max();
        if latest.is_some() {
            return Ok(latest.map(Date));
        }
        // A ruling served before the gateway kept parties: its first legacy service.
        let first = many::<NotificationsLoader, _>(ctx, self.0.id)
            .await?
            .iter()
            .filter_map(|n| n.served_on)
            .min();
        let calendar = ctx
            .deps()
            .article100
            .calendar
            .current()
            .await
            .map_err(ApiError::from)?;
        Ok(first.map(|day| Date(rule.last_day(day, &calendar))))
    }

    /// The parties to serve: every owner (natural persons by national id, legal entities by
    /// legal id, and owners whose id is unreadable, who need service by hand) and the
    /// municipality, each with the day they were served and their own objection deadline.
    /// Empty for rulings issued before the gateway recorded parties.
    async fn parties(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Party>> {
        let rule = (self.0.stage == RulingStage::Primary).then(|| ctx.deps().rules.objection());
        parties(ctx, Document::Ruling(self.0.id), rule).await
    }

    /// True while a party of this ruling still needs service by hand (no e-notice account and
    /// not served yet): the secretariat's work list.
    async fn awaits_service_by_hand(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let all = parties(ctx, Document::Ruling(self.0.id), None).await?;
        Ok(all
            .iter()
            .any(|p| p.record.by_hand && p.services.is_empty()))
    }

    /// Each item as this ruling decided it (fine with its coefficient and arithmetic,
    /// demolition, restoration, closure, no violation). Empty for rulings issued before the
    /// gateway decided items one by one.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DecidedItem>> {
        Ok(loader::<i32, SealedContentLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .and_then(|c| c.session)
            .map(|s| s.draft.items.into_iter().map(DecidedItem).collect())
            .unwrap_or_default())
    }

    /// Note 7: the supervising engineer this ruling referred to the disciplinary board.
    async fn engineer_referral(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<EngineerReferral>> {
        Ok(loader::<i32, SealedContentLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .and_then(|c| c.session)
            .and_then(|s| s.draft.engineer_referral)
            .map(EngineerReferral))
    }

    /// The owner's demolition period set by the ruling, in days from finality (Note 1).
    async fn demolition_period_days(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<i32>> {
        Ok(loader::<i32, SealedContentLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .and_then(|c| c.session)
            .and_then(|s| s.draft.demolition_period_days)
            .and_then(|d| i32::try_from(d).ok()))
    }

    /// The day the ruling became final (a primary ruling the day after the last party's
    /// objection window closed; an appeal ruling when issued); null until then.
    async fn final_on(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        Ok(loader::<i32, FinalDatesLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .map(Date))
    }

    /// How the ruling was carried out (demolition, use restored, business closed), oldest
    /// first.
    async fn enforcements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Enforcement>> {
        Ok(many::<EnforcementsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Enforcement)
            .collect())
    }

    /// Payments of the fine so far (instalments), oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FinePayment>> {
        Ok(many::<PaymentsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(FinePayment)
            .collect())
    }

    /// Attempts to pay the fine online (through `startPayment`), oldest first, including
    /// those that failed or are under way; the money of those that succeeded is also among
    /// `payments`.
    async fn online_payments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::requests::payments::Payment>> {
        crate::graphql::requests::payments::of_ruling(ctx, self.0.id).await
    }

    /// The next instalment an owner would pay online with `startPayment(input: {ruling,
    /// fineInstalment: true})` under the city's instalment plan (the whole outstanding when
    /// too little would be left); null when nothing can be paid on this ruling now (not
    /// final, replaced on appeal, no fine, or paid).
    async fn fine_next_instalment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Rial>> {
        use shahr_domain::enforcement::{online_fine_due, FinePart};
        let Some(case) = loader::<i32, CaseLoader>(ctx)
            .load_one(self.0.case_id)
            .await?
        else {
            return Ok(None);
        };
        let Some(standing) =
            many::<crate::graphql::loaders::StandingsLoader, _>(ctx, case.parcel_id)
                .await?
                .into_iter()
                .find(|s| s.ruling_id == self.0.id)
        else {
            return Ok(None);
        };
        Ok(online_fine_due(
            &standing,
            ctx.deps().rules.fine_instalments,
            FinePart::NextInstalment,
        )
        .ok()
        .map(|r| Rial(r.get())))
    }

    /// What is still owed on the fine; null for rulings without a fine.
    async fn fine_outstanding(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Rial>> {
        let Some(fine) = self.0.fine_rials.filter(|f| *f > 0) else {
            return Ok(None);
        };
        let paid: i64 = many::<PaymentsLoader, _>(ctx, self.0.id)
            .await?
            .iter()
            .map(|p| p.amount_rials)
            .sum();
        Ok(Some(Rial((fine - paid).max(0))))
    }

    /// For a ruling that orders demolition, once final: the last day the owner has to
    /// demolish (the period the ruling set, counted from the day it became final, past
    /// Fridays and holidays); after it the municipality acts at the owner's cost.
    async fn demolition_deadline(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        let Some(days) = loader::<i32, SealedContentLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .and_then(|c| c.session)
            .and_then(|s| s.draft.demolition_period_days)
        else {
            return Ok(None);
        };
        let Some(final_on) = loader::<i32, FinalDatesLoader>(ctx)
            .load_one(self.0.id)
            .await?
        else {
            return Ok(None);
        };
        let deps = ctx.deps();
        let calendar = deps
            .article100
            .calendar
            .current()
            .await
            .map_err(ApiError::from)?;
        Ok(Some(Date(shahr_domain::deadlines::last_day(
            final_on,
            days,
            deps.rules.counting,
            &calendar,
        ))))
    }

    /// How the ruling was served (*eblagh*).
    async fn notifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Notification>> {
        Ok(many::<NotificationsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Notification)
            .collect())
    }

    /// Objections filed against the ruling.
    async fn objections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Objection>> {
        Ok(many::<ObjectionsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Objection)
            .collect())
    }
}

pub struct Notification(pub records::Notification);

/// Service of a ruling on the owner (*eblagh*). Each mode recorded here is legal service:
/// it starts the objection window.
#[Object]
impl Notification {
    /// Opaque id, stable across requests.
    pub async fn id(&self) -> ID {
        global_id("Notification", self.0.id)
    }

    /// Served on.
    async fn served_on(&self) -> Option<Date> {
        self.0.served_on.map(Date)
    }

    /// `servedOn` in the Jalali calendar.
    async fn served_on_jalali(&self) -> Option<String> {
        self.0.served_on.map(jalali)
    }

    /// How it was served.
    async fn mode(&self) -> Option<NotificationMode> {
        self.0.mode
    }

    /// `mode` in Persian.
    async fn mode_label(&self) -> Option<&'static str> {
        self.0.mode.map(NotificationMode::label_fa)
    }

    /// True when this service starts the objection window (every recorded legacy mode).
    async fn is_legal_service(&self) -> bool {
        self.0.mode.is_some()
    }

    /// Who received it.
    async fn receiver_name(&self) -> Option<&str> {
        self.0.receiver_name.as_deref()
    }

    /// The receiver's national id, for staff and the receiver.
    async fn receiver_national_id(&self, ctx: &Context<'_>) -> Option<NationalIdScalar> {
        let id = self.0.receiver_national_id.as_ref()?;
        may_read_personal_data(ctx.viewer(), Some(id.as_str())).then(|| NationalIdScalar::from(id))
    }

    /// The serving agent or system.
    async fn agent(&self) -> Option<&str> {
        self.0.agent.as_deref()
    }
}

pub struct Objection(pub records::Objection);

/// An objection to a ruling (Note 10), by the owner or the municipality.
#[Object]
impl Objection {
    /// Opaque id, stable across requests.
    pub async fn id(&self) -> ID {
        global_id("Objection", self.0.id)
    }

    /// Filed on.
    async fn filed_on(&self) -> Option<Date> {
        self.0.filed_on.map(Date)
    }

    /// `filedOn` in the Jalali calendar.
    async fn filed_on_jalali(&self) -> Option<String> {
        self.0.filed_on.map(jalali)
    }

    /// Who objected.
    async fn objector(&self) -> Option<Objector> {
        self.0.objector
    }

    /// `objector` in Persian.
    async fn objector_label(&self) -> Option<&'static str> {
        self.0.objector.map(Objector::label_fa)
    }

    /// The objection's statement.
    async fn statement(&self) -> Option<&str> {
        self.0.statement.as_deref()
    }

    /// False when filed after the objection window (recorded and flagged).
    async fn in_time(&self) -> Option<bool> {
        self.0.in_time
    }
}
