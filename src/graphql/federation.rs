//! The gateway as an Apollo Federation v2 subgraph: the entities other systems reference or
//! extend, resolved from `_entities` representations in batches, through the loaders every
//! other path uses and with the same visibility: what the viewer may not see resolves to null,
//! exactly like what does not exist.

use async_graphql::{Context, Object, ID};

use super::{
    access::visibility,
    context::ContextExt,
    loaders::{
        loader, CommissionLoader, DistrictLoader, ParcelByCodeLoader, VisibleCaseLoader,
        VisibleParcelLoader, VisibleRulingLoader,
    },
    node::parse_global_id,
    parcels::types::{District, Parcel},
    requests::types::ServiceRequest,
    rulings::{
        ruling::Ruling,
        types::{Commission, ViolationCase},
    },
    scalars::RenovationCodeScalar,
};

/// The key of a global id of `kind`; `None` for anything else (it resolves to null).
fn key(kind: &str, id: &ID) -> Option<i32> {
    parse_global_id(id)
        .filter(|(k, _)| k == kind)
        .and_then(|(_, key)| key.parse().ok())
}

/// Entity resolvers (not fields: federation's `_entities` calls them).
#[derive(Default)]
pub struct FederationQuery;

#[Object]
impl FederationQuery {
    /// A parcel by its global id.
    #[graphql(entity)]
    async fn find_parcel_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Parcel>> {
        let Some(id) = key("Parcel", &id) else {
            return Ok(None);
        };
        Ok(loader::<_, VisibleParcelLoader>(ctx)
            .load_one((visibility(ctx.viewer()), id))
            .await?
            .map(Parcel))
    }

    /// A parcel by its renovation code (as the revenue and registry systems know it).
    #[graphql(entity)]
    async fn find_parcel_by_renovation_code(
        &self,
        ctx: &Context<'_>,
        renovation_code: RenovationCodeScalar,
    ) -> async_graphql::Result<Option<Parcel>> {
        let Ok(code) = shahr_domain::identifiers::RenovationCode::parse(&renovation_code.0) else {
            return Ok(None);
        };
        let Some(found) = loader::<_, ParcelByCodeLoader>(ctx)
            .load_one(code.as_str().to_owned())
            .await?
        else {
            return Ok(None);
        };
        Ok(loader::<_, VisibleParcelLoader>(ctx)
            .load_one((visibility(ctx.viewer()), found.id))
            .await?
            .map(Parcel))
    }

    /// A district by number (public).
    #[graphql(entity)]
    async fn find_district_by_number(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> async_graphql::Result<Option<District>> {
        let Ok(number) = i16::try_from(number) else {
            return Ok(None);
        };
        Ok(loader::<_, DistrictLoader>(ctx)
            .load_one(number)
            .await?
            .map(District))
    }

    /// A commission by its global id (public).
    #[graphql(entity)]
    async fn find_commission_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Commission>> {
        let Some(id) = key("Commission", &id) else {
            return Ok(None);
        };
        Ok(loader::<_, CommissionLoader>(ctx)
            .load_one(id)
            .await?
            .map(Commission))
    }

    /// A violation case by its global id.
    #[graphql(entity)]
    async fn find_violation_case_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ViolationCase>> {
        let Some(id) = key("ViolationCase", &id) else {
            return Ok(None);
        };
        Ok(loader::<_, VisibleCaseLoader>(ctx)
            .load_one((visibility(ctx.viewer()), id))
            .await?
            .map(ViolationCase))
    }

    /// A ruling by its global id.
    #[graphql(entity)]
    async fn find_ruling_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Ruling>> {
        let Some(id) = key("Ruling", &id) else {
            return Ok(None);
        };
        Ok(loader::<_, VisibleRulingLoader>(ctx)
            .load_one((visibility(ctx.viewer()), id))
            .await?
            .map(Ruling))
    }

    /// A service request by its tracking code: its citizen, staff of its district, auditors
    /// and admins.
    #[graphql(entity)]
    async fn find_service_request_by_tracking_code(
        &self,
        ctx: &Context<'_>,
        tracking_code: String,
    ) -> async_graphql::Result<Option<ServiceRequest>> {
        let found = loader::<_, super::loaders::RequestByCodeLoader>(ctx)
            .load_one(tracking_code.trim().to_uppercase())
            .await?;
        Ok(found
            .filter(|r| super::requests::resolvers::may_see(ctx.viewer(), r))
            .map(ServiceRequest))
    }
}
