//! GraphQL objects of the Article 100 area: commissions, cases, items, rulings, service and
//! objections.

use async_graphql::{Context, Object, ID};
use shahr_domain::vocabulary::*;
use shahr_urbanism::records;

use crate::graphql::{
    access::may_read_personal_data,
    context::ContextExt,
    loaders::{
        loader, many, CaseLoader, CommissionLoader, DefencesLoader, FinalDatesLoader,
        FineBriefLoader, HearingLoader, ItemsLoader, MembersLoader, NotificationsLoader,
        ObjectionsLoader, ParcelLoader, PaymentsLoader, RulingsByCaseLoader,
        VerificationCodeLoader,
    },
    node::global_id,
    parcels::types::{District, Parcel},
    scalars::{jalali, Date, NationalIdScalar, Rial},
};

#[derive(Clone)]
pub struct Commission(pub records::Commission);

/// An Article 100 commission: three voting members (Ministry of Interior, judiciary, city
/// council) and a municipal representative without a vote. Primary commissions serve a
/// district; appeal commissions the whole city.
#[Object]
impl Commission {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Commission", self.0.id)
    }

    /// Name in Persian.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Primary or appeal.
    async fn kind(&self) -> CommissionKind {
        self.0.kind
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fa()
    }

    /// The district a primary commission serves; null for city-wide appeal commissions.
    async fn district(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<District>> {
        let Some(n) = self.0.district else {
            return Ok(None);
        };
        Ok(loader::<i16, crate::graphql::loaders::DistrictLoader>(ctx)
            .load_one(n)
            .await?
            .map(District))
    }

    /// False for a commission no longer sitting.
    async fn is_active(&self) -> bool {
        self.0.active
    }

    /// Members, current and past, voting seats first.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CommissionMember>> {
        Ok(many::<MembersLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(CommissionMember)
            .collect())
    }
}

pub struct CommissionMember(pub records::CommissionMember);

/// A person holding a commission seat.
#[Object]
impl CommissionMember {
    /// Opaque id, stable across requests.
    async fn id(&self) -> ID {
        global_id("CommissionMember", self.0.id)
    }

    /// Full name in Persian.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// The seat.
    async fn role(&self) -> MemberRole {
        self.0.role
    }

    /// `role` in Persian.
    async fn role_label(&self) -> &'static str {
        self.0.role.label_fa()
    }

    /// True for the three voting seats.
    async fn is_voting(&self) -> bool {
        self.0.role.is_voting()
    }

    /// True while serving (no end date).
    async fn is_serving(&self) -> bool {
        self.0.until.is_none()
    }

    /// Serving since.
    async fn since(&self) -> Option<Date> {
        self.0.since.map(Date)
    }

    /// `since` in the Jalali calendar.
    async fn since_jalali(&self) -> Option<String> {
        self.0.since.map(jalali)
    }

    /// Served until; null while serving.
    async fn until(&self) -> Option<Date> {
        self.0.until.map(Date)
    }

    /// `until` in the Jalali calendar.
    async fn until_jalali(&self) -> Option<String> {
        self.0.until.map(jalali)
    }

    /// National id, for staff only.
    async fn national_id(&self, ctx: &Context<'_>) -> Option<NationalIdScalar> {
        let id = self.0.national_id.as_ref()?;
        may_read_personal_data(ctx.viewer(), Some(id.as_str())).then(|| NationalIdScalar::from(id))
    }
}

#[derive(Clone)]
pub struct ViolationCase(pub records::ViolationCase);

/// An Article 100 violation case (*parvandeh-ye takhalof*) on a parcel.
#[Object]
impl ViolationCase {
    /// Opaque global id; pass it to `node(id:)` or `violationCase(id:)`.
    pub async fn id(&self) -> ID {
        global_id("ViolationCase", self.0.id)
    }

    /// The case number as the secretariat writes it.
    async fn case_number(&self) -> Option<&str> {
        self.0.case_number.as_deref()
    }

    /// Where the case stands.
    async fn status(&self) -> CaseStatus {
        self.0.status
    }

    /// `status` in Persian.
    async fn status_label(&self) -> &'static str {
        self.0.status.label_fa()
    }

    /// How the violation came to light.
    async fn source(&self) -> Option<DetectionSource> {
        self.0.source
    }

    /// `source` in Persian.
    async fn source_label(&self) -> Option<&'static str> {
        self.0.source.map(DetectionSource::label_fa)
    }

    /// Detected on.
    async fn detected_on(&self) -> Option<Date> {
        self.0.detected_on.map(Date)
    }

    /// `detectedOn` in the Jalali calendar.
    async fn detected_on_jalali(&self) -> Option<String> {
        self.0.detected_on.map(jalali)
    }

    /// The commission session date, once assigned.
    async fn session_on(&self) -> Option<Date> {
        self.0.session_on.map(Date)
    }

    /// `sessionOn` in the Jalali calendar.
    async fn session_on_jalali(&self) -> Option<String> {
        self.0.session_on.map(jalali)
    }

    /// The secretariat's registration number.
    async fn secretariat_number(&self) -> Option<&str> {
        self.0.secretariat_number.as_deref()
    }

    /// The parcel.
    async fn parcel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Parcel>> {
        Ok(loader::<i32, ParcelLoader>(ctx)
            .load_one(self.0.parcel_id)
            .await?
            .map(Parcel))
    }

    /// The commission the case is assigned to.
    async fn commission(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commission>> {
        let Some(id) = self.0.commission_id else {
            return Ok(None);
        };
        Ok(loader::<i32, CommissionLoader>(ctx)
            .load_one(id)
            .await?
            .map(Commission))
    }

    /// The violation items.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ViolationItem>> {
        Ok(many::<ItemsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(ViolationItem)
            .collect())
    }

    /// Rulings on the case, primary first, then appeal.
    async fn rulings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Ruling>> {
        Ok(many::<RulingsByCaseLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Ruling)
            .collect())
    }

    /// The current hearing: commission, session date and the owner's defence window. Null
    /// before a hearing is scheduled through the gateway.
    async fn hearing(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::session::Hearing>> {
        Ok(loader::<i32, HearingLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .map(super::session::Hearing))
    }

    /// The owner's defences on file, oldest first.
    async fn defences(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::session::Defence>> {
        Ok(many::<DefencesLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(super::session::Defence)
            .collect())
    }

    /// The fine range per violation item, as computed when the case was referred through the
    /// gateway; empty before.
    async fn fine_brief(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::session::FineBriefLine>> {
        Ok(many::<FineBriefLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(super::session::FineBriefLine)
            .collect())
    }
}

pub struct ViolationItem(pub records::ViolationItem);

/// One violation in a case: a floor, what was permitted, what was built.
#[Object]
impl ViolationItem {
    /// Opaque id, stable across requests.
    async fn id(&self) -> ID {
        global_id("ViolationItem", self.0.id)
    }

    /// The floor, as written in the file (`همکف`, `طبقه سوم`).
    async fn floor(&self) -> Option<&str> {
        self.0.floor.as_deref()
    }

    /// The note of Article 100 the item falls under.
    async fn note(&self) -> Option<ViolationNote> {
        self.0.note
    }

    /// `note` in Persian.
    async fn note_label(&self) -> Option<&'static str> {
        self.0.note.map(ViolationNote::label_fa)
    }

    /// Permitted area in square metres.
    async fn permitted_area_m2(&self) -> Option<f64> {
        self.0.permitted_area_m2
    }

    /// Built area in square metres.
    async fn built_area_m2(&self) -> Option<f64> {
        self.0.built_area_m2
    }

    /// Built beyond the permit, in square metres (never negative).
    async fn excess_area_m2(&self) -> Option<f64> {
        match (self.0.built_area_m2, self.0.permitted_area_m2) {
            (Some(b), Some(p)) => Some((b - p).max(0.0)),
            (Some(b), None) => Some(b),
            _ => None,
        }
    }

    /// Permitted use.
    async fn permitted_use(&self) -> Option<LandUse> {
        self.0.permitted_use
    }

    /// `permittedUse` in Persian.
    async fn permitted_use_label(&self) -> Option<&'static str> {
        self.0.permitted_use.map(LandUse::label_fa)
    }

    /// Actual use.
    async fn actual_use(&self) -> Option<LandUse> {
        self.0.actual_use
    }

    /// `actualUse` in Persian.
    async fn actual_use_label(&self) -> Option<&'static str> {
        self.0.actual_use.map(LandUse::label_fa)
    }

    /// The coefficient the commission chose (a multiple of the transaction value).
    async fn coefficient(&self) -> Option<f64> {
        self.0.coefficient
    }

    /// Parking spaces lost (Note 5; 25 m² each).
    async fn parking_spaces(&self) -> Option<i32> {
        self.0.parking_spaces.map(i32::from)
    }
}

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

    /// The last day to object, counted from the first legal service (primary rulings that
    /// have been served); Fridays and holidays moved past.
    async fn objection_deadline(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        if self.0.stage != RulingStage::Primary || self.0.status.is_none() {
            return Ok(None);
        }
        // The first legal service, from the batched service records (no query per ruling).
        let first = many::<NotificationsLoader, _>(ctx, self.0.id)
            .await?
            .iter()
            .filter_map(|n| n.served_on)
            .min();
        let rules = &ctx.deps().rules;
        Ok(first.map(|day| {
            Date(shahr_domain::deadlines::deadline(
                day,
                rules.objection_window_days,
                &rules.holidays,
            ))
        }))
    }

    /// Payments of the fine so far (instalments), oldest first.
    async fn payments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::session::FinePayment>> {
        Ok(many::<PaymentsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(super::session::FinePayment)
            .collect())
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

    /// For demolition rulings that became final: the last day the owner has to demolish
    /// (`demolition_days` after finality, past Fridays and holidays); after it the
    /// municipality acts.
    async fn demolition_deadline(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        if self.0.kind != RulingKind::Demolition {
            return Ok(None);
        }
        let Some(at) = loader::<i32, FinalDatesLoader>(ctx)
            .load_one(self.0.id)
            .await?
        else {
            return Ok(None);
        };
        let rules = &ctx.deps().rules;
        let day = shahr_urbanism::session::tehran_today(at);
        Ok(Some(Date(shahr_domain::deadlines::deadline(
            day,
            rules.demolition_days,
            &rules.holidays,
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
    async fn id(&self) -> ID {
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
    async fn id(&self) -> ID {
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
