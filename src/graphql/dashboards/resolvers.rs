//! Root fields of the dashboards.

use async_graphql::{Context, Object};
use chrono::{NaiveTime, TimeZone};
use shahr_citizen::stats as rq;
use shahr_urbanism::stats as rs;

use super::types::{RequestStats, RequestStatsFilter, RulingStats, RulingStatsFilter};
use crate::graphql::{
    access::staff_scope, context::ContextExt, error::ApiError, rulings::resolvers::id_of,
    scalars::tehran,
};

/// A district argument checked for range.
fn district_arg(field: &str, district: Option<i32>) -> async_graphql::Result<Option<i32>> {
    match district {
        Some(d) if !(1..=99).contains(&d) => {
            Err(
                ApiError::bad_input(field, "a district number, 1-10", "شماره منطقه نامعتبر است.")
                    .into(),
            )
        }
        d => Ok(d),
    }
}

fn check_range(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> async_graphql::Result<()> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::bad_input(
                "filter.to",
                "must not be before filter.from",
                "تاریخ پایان بازه آمار پیش از تاریخ آغاز آن است.",
            )
            .into());
        }
    }
    Ok(())
}

/// Root fields of the dashboards.
#[derive(Default)]
pub struct DashboardsQuery;

#[Object]
impl DashboardsQuery {
    /// Article 100 rulings in figures: counts by kind, state, district and commission, fines
    /// imposed and collected, the time from session to issue and from issue to legal service
    /// (median and 90th percentile), objections and appeal outcomes, and a monthly trend.
    /// Staff see their district; auditors and admins every district.
    async fn ruling_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which rulings count.")] filter: Option<RulingStatsFilter>,
    ) -> async_graphql::Result<RulingStats> {
        let filter = filter.unwrap_or_default();
        let requested = district_arg("filter.district", filter.district)?;
        let district = staff_scope(
            ctx.viewer(),
            requested,
            "dashboards are for staff, auditors and admins",
            "figures",
        )?;
        let commission = filter
            .commission
            .as_ref()
            .map(|c| id_of("Commission", "filter.commission", c))
            .transpose()?;
        let (from, to) = (filter.from.map(|d| d.0), filter.to.map(|d| d.0));
        check_range(from, to)?;
        let query = rs::RulingStatsFilter {
            district: district.and_then(|d| i16::try_from(d).ok()),
            commission,
            from,
            to,
        };
        let stats = ctx
            .deps()
            .urbanism
            .ruling_stats(&query)
            .await
            .map_err(ApiError::from)?;
        Ok(RulingStats(stats))
    }

    /// Citizens' service requests in figures: counts by service, state and district, and per
    /// workflow step the handling time (median, 90th percentile) and SLA breaches. Staff see
    /// their district; auditors and admins every district.
    async fn request_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which requests count.")] filter: Option<RequestStatsFilter>,
    ) -> async_graphql::Result<RequestStats> {
        let filter = filter.unwrap_or_default();
        let requested = district_arg("filter.district", filter.district)?;
        let district = staff_scope(
            ctx.viewer(),
            requested,
            "dashboards are for staff, auditors and admins",
            "figures",
        )?;
        let (from, to) = (filter.from.map(|d| d.0), filter.to.map(|d| d.0));
        check_range(from, to)?;
        let start_of = |day: chrono::NaiveDate| {
            tehran()
                .from_local_datetime(&day.and_time(NaiveTime::MIN))
                .single()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let query = rq::RequestStatsFilter {
            district: district.and_then(|d| i16::try_from(d).ok()),
            service: filter.service.clone(),
            from: from.and_then(start_of),
            until: to.and_then(|d| d.succ_opt()).and_then(start_of),
        };
        let stats = ctx
            .deps()
            .citizen
            .request_stats(&query)
            .await
            .map_err(ApiError::from)?;
        Ok(RequestStats(stats))
    }
}
