//! `me`: the signed-in person's own parcels, cases and rulings, whatever their roles.

use async_graphql::{Context, Object};
use shahr_urbanism::{ParcelFilter, RulingFilter, Visibility};

use super::{
    access::signed_in,
    context::ContextExt,
    error::ApiError,
    pagination::{connection, page_request, Conn, TotalCount},
    parcels::types::Parcel,
    rulings::types::{Ruling, ViolationCase},
    scalars::NationalIdScalar,
    system::ViewerInfo,
};

pub struct Me {
    own: Visibility,
    info: ViewerInfo,
}

/// The signed-in person.
#[Object]
impl Me {
    /// Who the token says you are.
    async fn viewer(&self) -> &ViewerInfo {
        &self.info
    }

    /// Your national id, when the token carries one.
    async fn national_id(&self) -> Option<NationalIdScalar> {
        self.info.national_id.as_ref().map(NationalIdScalar::from)
    }

    /// Parcels you own (a share or the whole).
    async fn parcels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return parcels after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<Parcel>> {
        let request = page_request("Parcel", first, after)?;
        let db = ctx.deps().urbanism.clone();
        let vis = self.own.clone();
        let page = db
            .parcels_page(&ParcelFilter::default(), &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, vis) = (db.clone(), vis.clone());
            Box::pin(async move { db.parcels_count(&ParcelFilter::default(), &vis).await })
        });
        Ok(connection("Parcel", request, page, |p| p.id, Parcel, total))
    }

    /// Violation cases on your parcels, newest first.
    async fn violation_cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return cases after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<ViolationCase>> {
        let request = page_request("ViolationCase", first, after)?;
        let db = ctx.deps().urbanism.clone();
        let vis = self.own.clone();
        let page = db.cases_page(&vis, request).await.map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, vis) = (db.clone(), vis.clone());
            Box::pin(async move { db.cases_count(&vis).await })
        });
        Ok(connection(
            "ViolationCase",
            request,
            page,
            |c| c.id,
            ViolationCase,
            total,
        ))
    }

    /// Rulings on your parcels, newest first.
    async fn rulings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return rulings after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<Ruling>> {
        let request = page_request("Ruling", first, after)?;
        let db = ctx.deps().urbanism.clone();
        let vis = self.own.clone();
        let page = db
            .rulings_page(&RulingFilter::default(), &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, vis) = (db.clone(), vis.clone());
            Box::pin(async move { db.rulings_count(&RulingFilter::default(), &vis).await })
        });
        Ok(connection("Ruling", request, page, |r| r.id, Ruling, total))
    }
}

/// The `me` query.
#[derive(Default)]
pub struct MeQuery;

/// The `me` query.
#[Object]
impl MeQuery {
    /// The signed-in person and what is theirs: parcels they own, cases and rulings on those
    /// parcels. `UNAUTHENTICATED` without a token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let principal = signed_in(ctx.viewer())?;
        let own = principal
            .national_id
            .clone()
            .map_or(Visibility::Nothing, Visibility::Owner);
        Ok(Me {
            own,
            info: ViewerInfo::from(ctx.viewer()),
        })
    }
}
