//! GraphQL objects of the places area: districts, parcels, owners, permits, certificates.

use async_graphql::{Context, Json, Object, SimpleObject, ID};
use shahr_domain::vocabulary::{CertificateKind, LandUse, OwnerKind, PermitKind, PermitStatus};
use shahr_urbanism::records;

use crate::graphql::{
    access::may_read_personal_data,
    context::ContextExt,
    loaders::{
        loader, many, CasesByParcelLoader, CertificatesLoader, DistrictLoader, OwnershipsLoader,
        PermitsLoader, RequestsByParcelLoader,
    },
    node::global_id,
    requests::{resolvers::may_see, types::ServiceRequest},
    rulings::types::ViolationCase,
    scalars::{
        jalali, Date, LegalIdScalar, MobileScalar, NationalIdScalar, PostalCodeScalar,
        RenovationCodeScalar,
    },
};

#[derive(Clone)]
pub struct District(pub shahr_urbanism::District);

/// A municipal district of Tabriz (*mantagheh*). District 9 is the citizen-sourcing pilot.
#[Object]
impl District {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("District", self.0.number)
    }

    /// The district's number (1 to 10 in Tabriz), as citizens and staff refer to it.
    pub async fn number(&self) -> i32 {
        i32::from(self.0.number)
    }

    /// The district's name in Persian, ready to display (Persian letters, ASCII digits).
    pub async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short Persian description of where the district lies, when the urbanism system has one.
    pub async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Area in hectares, when recorded, to two decimal places.
    pub async fn area_hectares(&self) -> Option<f64> {
        self.0.area_hectares
    }

    /// False for a district retired in the urbanism system.
    pub async fn is_active(&self) -> bool {
        self.0.active
    }
}

/// A parcel's registry plate (*pelak-e sabti*): main and sub numbers in a registry section.
#[derive(SimpleObject)]
pub struct RegistryPlate {
    /// Main plate number.
    pub main: Option<String>,
    /// Sub plate number.
    pub sub: Option<String>,
    /// Registry section (*bakhsh*).
    pub section: Option<String>,
    /// As people write it: `main/sub`, e.g. `1234/56`.
    pub display: Option<String>,
}

#[derive(Clone)]
pub struct Parcel(pub records::Parcel);

/// A property file (*parvandeh*) in the integrated urbanism system: one parcel of land and
/// what stands on it.
#[Object]
impl Parcel {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Parcel", self.0.id)
    }

    /// The renovation code (*kod-e nosazi*) that identifies the parcel city-wide.
    async fn renovation_code(&self) -> RenovationCodeScalar {
        RenovationCodeScalar::from(&self.0.renovation_code)
    }

    /// The district the parcel lies in.
    async fn district(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<District>> {
        let Some(number) = self.0.district else {
            return Ok(None);
        };
        Ok(loader::<i16, DistrictLoader>(ctx)
            .load_one(number)
            .await?
            .map(District))
    }

    /// The registry plate.
    async fn registry_plate(&self) -> RegistryPlate {
        let p = &self.0;
        RegistryPlate {
            main: p.plate_main.clone(),
            sub: p.plate_sub.clone(),
            section: p.plate_section.clone(),
            display: p.plate_main.as_ref().map(|m| match &p.plate_sub {
                Some(s) => format!("{m}/{s}"),
                None => m.clone(),
            }),
        }
    }

    /// Postal code, when the urbanism system has a valid one.
    async fn postal_code(&self) -> Option<PostalCodeScalar> {
        self.0.postal_code.as_ref().map(PostalCodeScalar::from)
    }

    /// Address in Persian.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Land area in square metres.
    async fn area_m2(&self) -> Option<f64> {
        self.0.area.map(|a| a.to_f64())
    }

    /// Land use.
    async fn land_use(&self) -> Option<LandUse> {
        self.0.land_use
    }

    /// Land use in Persian (`مسکونی`).
    async fn land_use_label(&self) -> Option<&'static str> {
        self.0.land_use.map(LandUse::label_fa)
    }

    /// Number of floors.
    async fn floors(&self) -> Option<i32> {
        self.0.floors.map(i32::from)
    }

    /// Number of units.
    async fn units(&self) -> Option<i32> {
        self.0.units.map(i32::from)
    }

    /// The parcel's boundary as a GeoJSON `Polygon` (longitude, latitude), for maps and the kroki.
    async fn boundary(&self) -> Option<Json<serde_json::Value>> {
        self.0.boundary.as_ref().map(|ring| {
            let coords: Vec<[f64; 2]> = ring.iter().map(|(x, y)| [*x, *y]).collect();
            Json(serde_json::json!({ "type": "Polygon", "coordinates": [coords] }))
        })
    }

    /// When the file was registered.
    async fn registered_on(&self) -> Option<Date> {
        self.0.registered_on.map(Date)
    }

    /// `registeredOn` in the Jalali calendar (`1398/05/12`).
    async fn registered_on_jalali(&self) -> Option<String> {
        self.0.registered_on.map(jalali)
    }

    /// Owners and their shares, largest share first.
    async fn owners(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Ownership>> {
        Ok(many::<OwnershipsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Ownership)
            .collect())
    }

    /// What is still owed on final Article 100 fines of this parcel; null when nothing. A
    /// completion or no-violation certificate waits until it is paid.
    async fn unpaid_fines(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::scalars::Rial>> {
        Ok(
            crate::graphql::loaders::loader::<i32, crate::graphql::loaders::UnpaidFinesLoader>(ctx)
                .load_one(self.0.id)
                .await?
                .map(crate::graphql::scalars::Rial),
        )
    }

    /// Building permits, newest first.
    async fn permits(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Permit>> {
        Ok(many::<PermitsLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Permit)
            .collect())
    }

    /// Completion and no-violation certificates, newest first.
    async fn certificates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Certificate>> {
        Ok(many::<CertificatesLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Certificate)
            .collect())
    }

    /// Service requests filed for this parcel in the citizen-sourcing store, newest first
    /// (citizens see their own; staff all).
    async fn requests(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ServiceRequest>> {
        let all = loader::<String, RequestsByParcelLoader>(ctx)
            .load_one(self.0.renovation_code.as_str().to_owned())
            .await?
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|r| may_see(ctx.viewer(), r))
            .map(ServiceRequest)
            .collect())
    }

    /// Article 100 violation cases on this parcel, newest first.
    async fn violation_cases(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ViolationCase>> {
        Ok(many::<CasesByParcelLoader, _>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(ViolationCase)
            .collect())
    }
}

#[derive(Clone)]
pub struct Owner(pub records::Owner);

/// A person or legal entity that owns parcels. National id and mobile are shown only to
/// staff and to the person themself.
#[Object]
impl Owner {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("Owner", self.0.id)
    }

    /// Natural person or legal entity.
    async fn kind(&self) -> OwnerKind {
        self.0.kind
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fa()
    }

    /// Full name (or the company's name), in Persian.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// National id of a natural person; null for others, when invalid in the urbanism
    /// system, or when the viewer may not see it.
    async fn national_id(&self, ctx: &Context<'_>) -> Option<NationalIdScalar> {
        let id = self.0.national_id.as_ref()?;
        may_read_personal_data(ctx.viewer(), Some(id.as_str())).then(|| NationalIdScalar::from(id))
    }

    /// Legal-entity id of a company (public, like the company's registration).
    async fn legal_id(&self) -> Option<LegalIdScalar> {
        self.0.legal_id.as_ref().map(LegalIdScalar::from)
    }

    /// Mobile number, for staff and the person themself.
    async fn mobile(&self, ctx: &Context<'_>) -> Option<MobileScalar> {
        let mobile = self.0.mobile.as_ref()?;
        let own = self.0.national_id.as_ref().map(|n| n.as_str());
        may_read_personal_data(ctx.viewer(), own).then(|| MobileScalar::from(mobile))
    }
}

pub struct Ownership(pub records::Ownership);

/// An owner's share of a parcel.
#[Object]
impl Ownership {
    /// The owner.
    async fn owner(&self) -> Owner {
        Owner(self.0.owner.clone())
    }

    /// The share in dang (six dang make the whole property), to four decimal places.
    async fn share_dang(&self) -> Option<f64> {
        self.0.share_dang
    }

    /// The share as a percentage of the whole.
    async fn share_percent(&self) -> Option<f64> {
        self.0
            .share_dang
            .map(|d| (d / 6.0 * 10_000.0).round() / 100.0)
    }

    /// Owner since.
    async fn since(&self) -> Option<Date> {
        self.0.since.map(Date)
    }

    /// `since` in the Jalali calendar.
    async fn since_jalali(&self) -> Option<String> {
        self.0.since.map(jalali)
    }
}

pub struct Permit(pub records::Permit);

/// A building permit (*parvaneh*).
#[Object]
impl Permit {
    /// Opaque id, stable across requests.
    pub async fn id(&self) -> ID {
        global_id("Permit", self.0.id)
    }

    /// The permit number as printed.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }

    /// Kind of permit.
    async fn kind(&self) -> Option<PermitKind> {
        self.0.kind
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> Option<&'static str> {
        self.0.kind.map(PermitKind::label_fa)
    }

    /// Where the permit stands.
    async fn status(&self) -> Option<PermitStatus> {
        self.0.status
    }

    /// `status` in Persian.
    async fn status_label(&self) -> Option<&'static str> {
        self.0.status.map(PermitStatus::label_fa)
    }

    /// Issued on.
    async fn issued_on(&self) -> Option<Date> {
        self.0.issued_on.map(Date)
    }

    /// `issuedOn` in the Jalali calendar.
    async fn issued_on_jalali(&self) -> Option<String> {
        self.0.issued_on.map(jalali)
    }

    /// Valid until.
    async fn valid_until(&self) -> Option<Date> {
        self.0.valid_until.map(Date)
    }

    /// `validUntil` in the Jalali calendar.
    async fn valid_until_jalali(&self) -> Option<String> {
        self.0.valid_until.map(jalali)
    }

    /// Permitted floor area in square metres, to two decimal places.
    async fn permitted_area_m2(&self) -> Option<f64> {
        self.0.permitted_area_m2
    }

    /// Permitted number of floors.
    async fn permitted_floors(&self) -> Option<i32> {
        self.0.permitted_floors.map(i32::from)
    }

    /// Permitted land use.
    async fn land_use(&self) -> Option<LandUse> {
        self.0.land_use
    }

    /// `landUse` in Persian.
    async fn land_use_label(&self) -> Option<&'static str> {
        self.0.land_use.map(LandUse::label_fa)
    }
}

pub struct Certificate(pub records::Certificate);

/// A completion (*payan-kar*) or no-violation (*adam-e khalaf*) certificate.
#[Object]
impl Certificate {
    /// Opaque id, stable across requests.
    pub async fn id(&self) -> ID {
        global_id("Certificate", self.0.id)
    }

    /// Kind of certificate.
    async fn kind(&self) -> CertificateKind {
        self.0.kind
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fa()
    }

    /// Certificate number.
    async fn number(&self) -> Option<&str> {
        self.0.number.as_deref()
    }

    /// Issued on.
    async fn issued_on(&self) -> Option<Date> {
        self.0.issued_on.map(Date)
    }

    /// `issuedOn` in the Jalali calendar.
    async fn issued_on_jalali(&self) -> Option<String> {
        self.0.issued_on.map(jalali)
    }
}
