//! Query fields of the Article 100 area.

use async_graphql::{Context, InputObject, Object, ID};
use shahr_domain::vocabulary::{CaseStatus, RulingKind, RulingStatus};
use shahr_urbanism::{CaseFilter, RulingFilter};

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

/// Narrows the case list (the secretariat's and staff's work list). All conditions must hold.
#[derive(InputObject, Default)]
pub struct ViolationCaseFilterInput {
    /// Only cases on parcels of this district (1-10).
    pub district: Option<i32>,
    /// Only cases assigned to this commission (its `id`).
    pub commission: Option<ID>,
    /// Only cases in one of these states (`status: REFERRED` or `status: [REFERRED,
    /// HEARING_SCHEDULED]`).
    pub status: Option<Vec<CaseStatus>>,
    /// Only cases referred to a commission through the gateway on or after this day
    /// (Asia/Tehran). Cases the legacy system assigned have no referral day and never match.
    pub referred_from: Option<Date>,
    /// Only cases referred on or before this day.
    pub referred_to: Option<Date>,
}

impl ViolationCaseFilterInput {
    fn validate(self) -> ApiResult<CaseFilter> {
        if let (Some(from), Some(to)) = (self.referred_from, self.referred_to) {
            if from > to {
                return Err(ApiError::bad_input(
                    "filter.referredTo",
                    "`referredTo` is before `referredFrom`",
                    "تاریخ پایان بازه ارجاع پیش از تاریخ آغاز آن است.",
                ));
            }
        }
        Ok(CaseFilter {
            district: district_arg("filter.district", self.district)?,
            commission_id: self
                .commission
                .as_ref()
                .map(|c| id_of("Commission", "filter.commission", c))
                .transpose()?,
            statuses: self.status.unwrap_or_default(),
            referred_from: self.referred_from.map(|d| d.0),
            referred_to: self.referred_to.map(|d| d.0),
        })
    }
}

/// Longest span of days one agenda covers.
const MAX_AGENDA_DAYS: i64 = 62;

/// The row id inside a global id of `kind`, or `BAD_USER_INPUT` naming `field`.
pub(crate) fn id_of(kind: &str, field: &str, id: &ID) -> ApiResult<i32> {
    key_of(kind, field, id)
}

/// The key inside a global id of `kind`, of any key type, or `BAD_USER_INPUT` naming `field`.
pub(crate) fn key_of<T: std::str::FromStr>(kind: &str, field: &str, id: &ID) -> ApiResult<T> {
    parse_global_id(id)
        .filter(|(k, _)| k == kind)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_input(
                field,
                format!("`{field}` is not the id of a {kind}"),
                format!("شناسه واردشده برای «{field}» از نوع درست نیست."),
            )
        })
}

impl RulingFilterInput {
    fn validate(self) -> ApiResult<RulingFilter> {
        if let (Some(from), Some(to)) = (self.issued_from, self.issued_to) {
            if from > to {
                return Err(ApiError::bad_input(
                    "filter.issuedTo",
                    "`issuedTo` is before `issuedFrom`",
                    "تاریخ پایان بازه صدور پیش از تاریخ آغاز آن است.",
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
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn rulings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the rulings must meet.")] filter: Option<RulingFilterInput>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return rulings after this cursor (an edge's `cursor`).")] after: Option<
            String,
        >,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Ruling>> {
        let request = page_request("Ruling", first, after, last, before)?;
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
        Ok(connection("Ruling", page, |r| r.id, Ruling, total))
    }

    /// Violation cases the viewer may see (staff their district, a commission's secretary and
    /// members its cases, citizens their own parcels'), newest first, a page at a time: the
    /// secretariat's and staff's work list.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn violation_cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the cases must meet.")] filter: Option<
            ViolationCaseFilterInput,
        >,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return cases after this cursor (an edge's `cursor`).")] after: Option<
            String,
        >,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<ViolationCase>> {
        let request = page_request("ViolationCase", first, after, last, before)?;
        let filter = filter.unwrap_or_default().validate()?;
        let vis = visibility(ctx.viewer());
        let db = ctx.deps().urbanism.clone();
        let page = db
            .cases_page(&filter, &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, filter, vis) = (db.clone(), filter.clone(), vis.clone());
            Box::pin(async move { db.cases_count(&filter, &vis).await })
        });
        Ok(connection(
            "ViolationCase",
            page,
            |c| c.id,
            ViolationCase,
            total,
        ))
    }

    /// A commission's agenda: the cases it will hear (or heard) from `from` to `to`, by
    /// session day (`sessionOn`) and then case, at most 500 and at most 62 days at a time.
    /// Only cases the viewer may see are listed.
    async fn commission_agenda(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commission (its `id`).")] commission: ID,
        #[graphql(desc = "The first day.")] from: Date,
        #[graphql(desc = "The last day; `from` when left out.")] to: Option<Date>,
    ) -> async_graphql::Result<Vec<ViolationCase>> {
        let commission = id_of("Commission", "commission", &commission)?;
        let to = to.unwrap_or(from);
        if to.0 < from.0 {
            return Err(ApiError::bad_input(
                "to",
                "`to` is before `from`",
                "تاریخ پایان دستور جلسات پیش از تاریخ آغاز آن است.",
            )
            .into());
        }
        if (to.0 - from.0).num_days() >= MAX_AGENDA_DAYS {
            return Err(ApiError::bad_input(
                "to",
                format!("an agenda covers at most {MAX_AGENDA_DAYS} days; ask for a shorter span"),
                "دستور جلسات حداکثر ۶۲ روز را در بر می‌گیرد؛ بازه کوتاه‌تری بخواهید.",
            )
            .into());
        }
        let (cases, more) = ctx
            .deps()
            .urbanism
            .agenda(commission, from.0, to.0, &visibility(ctx.viewer()))
            .await
            .map_err(ApiError::from)?;
        if more {
            return Err(ApiError::bad_input(
                "to",
                format!(
                    "more than {} cases in this span; ask for fewer days",
                    shahr_urbanism::MAX_AGENDA
                ),
                "در این بازه بیش از ۵۰۰ پرونده هست؛ بازه کوتاه‌تری بخواهید.",
            )
            .into());
        }
        Ok(cases.into_iter().map(ViolationCase).collect())
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
