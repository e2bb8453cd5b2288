//! GraphQL objects of the Article 100 area: commissions, cases and their items (rulings,
//! their service and objections are in [`super::ruling`]).

use async_graphql::{Context, Object, ID};
use shahr_domain::vocabulary::*;
use shahr_urbanism::records;

use crate::graphql::{
    access::may_read_personal_data,
    context::ContextExt,
    loaders::{
        loader, many, CommissionLoader, DefencesLoader, FineBriefLoader, HearingLoader,
        ItemsLoader, MembersLoader, ParcelLoader, RulingsByCaseLoader,
    },
    node::global_id,
    parcels::types::{District, Parcel},
    scalars::{jalali, CoefficientScalar, Date, NationalIdScalar},
};

pub use super::ruling::Ruling;

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
    pub async fn id(&self) -> ID {
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
    ) -> async_graphql::Result<Option<super::session::objects::Hearing>> {
        Ok(loader::<i32, HearingLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .map(super::session::objects::Hearing))
    }

    /// The owner's defences on file, oldest first.
    async fn defences(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::session::objects::Defence>> {
        Ok(many::<DefencesLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(super::session::objects::Defence)
            .collect())
    }

    /// The fine range per violation item, as computed when the case was referred through the
    /// gateway; empty before.
    async fn fine_brief(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::session::objects::FineBriefLine>> {
        Ok(many::<FineBriefLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(super::session::objects::FineBriefLine)
            .collect())
    }
}

pub struct ViolationItem(pub records::ViolationItem);

/// One violation in a case: a floor, what was permitted, what was built.
#[Object]
impl ViolationItem {
    /// Opaque id, stable across requests.
    pub async fn id(&self) -> ID {
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

    /// Permitted area in square metres (two decimal places).
    async fn permitted_area_m2(&self) -> Option<f64> {
        self.0.permitted_area.map(|a| a.to_f64())
    }

    /// Built area in square metres (two decimal places).
    async fn built_area_m2(&self) -> Option<f64> {
        self.0.built_area.map(|a| a.to_f64())
    }

    /// Built beyond the permit, in square metres (never negative): what a fine is computed on.
    async fn excess_area_m2(&self) -> Option<f64> {
        self.0.built_area.map(|_| self.0.excess_area().to_f64())
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

    /// The coefficient the commission chose for a fined item (a multiple of the transaction
    /// value), as the urbanism system records it.
    async fn coefficient(&self) -> Option<CoefficientScalar> {
        self.0.coefficient.map(|c| CoefficientScalar(c.to_fixed()))
    }

    /// What the ruling decided for this item; null until a ruling decided it (or for rulings
    /// that decided the case as a whole).
    async fn outcome(&self) -> Option<ItemOutcome> {
        self.0.outcome
    }

    /// `outcome` in Persian.
    async fn outcome_label(&self) -> Option<&'static str> {
        self.0.outcome.map(ItemOutcome::label_fa)
    }

    /// Parking spaces lost (Note 5; 25 m² each).
    async fn parking_spaces(&self) -> Option<i32> {
        self.0.parking_spaces.map(i32::from)
    }
}
