//! Query fields of the Article 100 area.

use async_graphql::{Context, InputObject, Object, ID};
use shahr_domain::vocabulary::{RulingKind, RulingStatus};
use shahr_urbanism::RulingFilter;

use super::types::{Commission, Ruling, ViolationCase};
use crate::graphql::{
    access::visibility,
    context::ContextExt,
    error::{ApiError, ApiResult},
    node::parse_global_id,
    pagination::{connection, page_request, Conn, TotalCount},
    parcels::resolvers::district_arg,
    scalars::Date,
};

/// Narrows the ruling list. All conditions must hold.
#[derive(InputObject, Default)]
pub struct RulingFilterInput {
    /// Only rulings on parcels of this district (1-10).
    pub district: Option<i32>,
    /// Only rulings of this commission (its `id`).
    pub commission: Option<ID>,
    /// Only rulings of this kind.
    pub kind: Option<RulingKind>,
    /// Only rulings issued on or after this day.
    pub issued_from: Option<Date>,
    /// Only rulings issued on or before this day.
    pub issued_to: Option<Date>,
    /// Only rulings in this state.
    pub status: Option<RulingStatus>,
}

/// The row id inside a global id of `kind`, or `BAD_USER_INPUT` naming `field`.
pub(crate) fn id_of(kind: &str, field: &str, id: &ID) -> ApiResult<i32> {
    key_of(kind, field, id)
}

/// The key inside a global id of `kind`, of any key type, or `BAD_USER_INPUT` naming `field`.
pub(crate) fn key_of<T: std::str::FromStr>(kind: &str, field: &str, id: &ID) -> ApiResult<T> {
    parse_global_id(id)
        .filter(|(k, _)| k == kind)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| ApiError::bad_input(field, format!("`{field}` is not the id of a {kind}")))
}

impl RulingFilterInput {
    fn validate(self) -> ApiResult<RulingFilter> {
        if let (Some(from), Some(to)) = (self.issued_from, self.issued_to) {
            if from > to {
                return Err(ApiError::bad_input(
                    "filter.issuedTo",
                    "`issuedTo` is before `issuedFrom`",
                ));
            }
        }
        Ok(RulingFilter {
            district: district_arg("filter.district", self.district)?,
            commission_id: self
                .commission
                .as_ref()
                .map(|c| id_of("Commission", "filter.commission", c))
                .transpose()?,
            kind: self.kind,
            status: self.status,
            issued_from: self.issued_from.map(|d| d.0),
            issued_to: self.issued_to.map(|d| d.0),
        })
    }
}

/// Queries about commissions, cases and rulings.
#[derive(Default)]
pub struct RulingsQuery;

/// Queries about commissions, cases and rulings.
#[Object]
impl RulingsQuery {
    /// The Article 100 commissions (13 in Tabriz), primary and appeal. Public.
    async fn commissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Commission>> {
        let all = ctx
            .deps()
            .urbanism
            .commissions()
            .await
            .map_err(ApiError::from)?;
        Ok(all.into_iter().map(Commission).collect())
    }

    /// One ruling. Null when there is none or the viewer may not see it.
    async fn ruling(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ruling's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<Ruling>> {
        let Ok(key) = id_of("Ruling", "id", &id) else {
            return Ok(None);
        };
        let found = ctx
            .deps()
            .urbanism
            .rulings_by_ids(&[key], &visibility(ctx.viewer()))
            .await
            .map_err(ApiError::from)?;
        Ok(found.into_iter().next().map(Ruling))
    }

    /// Rulings the viewer may see, newest first, a page at a time.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn rulings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the rulings must meet.")] filter: Option<RulingFilterInput>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return rulings after this cursor (an edge's `cursor`).")] after: Option<
            String,
        >,
    ) -> async_graphql::Result<Conn<Ruling>> {
        let request = page_request("Ruling", first, after)?;
        let filter = filter.unwrap_or_default().validate()?;
        let vis = visibility(ctx.viewer());
        let db = ctx.deps().urbanism.clone();
        let page = db
            .rulings_page(&filter, &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, filter, vis) = (db.clone(), filter.clone(), vis.clone());
            Box::pin(async move { db.rulings_count(&filter, &vis).await })
        });
        Ok(connection("Ruling", request, page, |r| r.id, Ruling, total))
    }

    /// One violation case. Null when there is none or the viewer may not see it.
    async fn violation_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The case's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<ViolationCase>> {
        let Ok(key) = id_of("ViolationCase", "id", &id) else {
            return Ok(None);
        };
        let found = ctx
            .deps()
            .urbanism
            .cases_by_ids(&[key], &visibility(ctx.viewer()))
            .await
            .map_err(ApiError::from)?;
        Ok(found.into_iter().next().map(ViolationCase))
    }
}
