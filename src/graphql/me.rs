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

    /// Messages to you, newest first: rulings issued on your parcels, your requests' steps.
    /// The in-app inbox is a courtesy; legal service of a ruling is the e-notice receipt or a
    /// recorded service.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many: 20 by default, at most 100.")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<InboxMessage>> {
        let first = i64::from(first.unwrap_or(20));
        if !(1..=100).contains(&first) {
            return Err(super::error::ApiError::bad_input(
                "first",
                "between 1 and 100",
                "تعداد پیام‌ها باید بین ۱ و ۱۰۰ باشد.",
            )
            .into());
        }
        let Some(national_id) = self.info.national_id.clone() else {
            return Ok(Vec::new());
        };
        let deps = ctx.deps();
        let (a, b) = futures_util::future::try_join(
            shahr_store::deliveries::inbox(deps.urbanism.pool(), &national_id, first),
            shahr_store::deliveries::inbox(deps.citizen.pool(), &national_id, first),
        )
        .await
        .map_err(ApiError::from)?;
        let mut all: Vec<_> = a
            .into_iter()
            .map(|m| ("U", m))
            .chain(b.into_iter().map(|m| ("C", m)))
            .collect();
        all.sort_by_key(|m| std::cmp::Reverse(m.1.created_at));
        all.truncate(usize::try_from(first).unwrap_or(20));
        Ok(all
            .into_iter()
            .map(|(source, m)| InboxMessage { source, message: m })
            .collect())
    }

    /// Parcels you own (a share or the whole).
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn parcels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return parcels after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<Parcel>> {
        let request = page_request("Parcel", first, after, last, before)?;
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
        Ok(connection("Parcel", page, |p| p.id, Parcel, total))
    }

    /// Violation cases on your parcels, newest first.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn violation_cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return cases after this cursor.")] after: Option<String>,
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
        let db = ctx.deps().urbanism.clone();
        let vis = self.own.clone();
        let all = shahr_urbanism::CaseFilter::default();
        let page = db
            .cases_page(&all, &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, vis, all) = (db.clone(), vis.clone(), all.clone());
            Box::pin(async move { db.cases_count(&all, &vis).await })
        });
        Ok(connection(
            "ViolationCase",
            page,
            |c| c.id,
            ViolationCase,
            total,
        ))
    }

    /// Rulings on your parcels, newest first.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn rulings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return rulings after this cursor.")] after: Option<String>,
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
        Ok(connection("Ruling", page, |r| r.id, Ruling, total))
    }

    /// Your online payments of request fees, newest first (at most 100).
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many: 20 by default, at most 100.")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<super::requests::payments::Payment>> {
        let first = i64::from(first.unwrap_or(20));
        if !(1..=100).contains(&first) {
            return Err(ApiError::bad_input(
                "first",
                "between 1 and 100",
                "تعداد پرداخت‌ها باید بین ۱ و ۱۰۰ باشد.",
            )
            .into());
        }
        let Some(national_id) = self.info.national_id.clone() else {
            return Ok(Vec::new());
        };
        let found = ctx
            .deps()
            .citizen
            .payments_of_citizen(&national_id, first)
            .await
            .map_err(ApiError::from)?;
        Ok(found
            .into_iter()
            .map(super::requests::payments::Payment)
            .collect())
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

/// A message in your in-app inbox.
pub struct InboxMessage {
    source: &'static str,
    message: shahr_store::deliveries::InboxMessage,
}

/// A message in your in-app inbox.
#[Object]
impl InboxMessage {
    /// Opaque id.
    pub async fn id(&self) -> async_graphql::ID {
        super::node::global_id(
            "InboxMessage",
            format!("{}{}", self.source, self.message.id),
        )
    }

    /// Title, in Persian.
    async fn title(&self) -> &str {
        &self.message.title
    }

    /// Text, in Persian.
    async fn body(&self) -> &str {
        &self.message.body
    }

    /// A link to follow (e.g. the ruling's verification page).
    async fn link(&self) -> Option<&str> {
        self.message.link.as_deref()
    }

    /// What it is about: `ruling` or `request`.
    async fn subject_kind(&self) -> &str {
        &self.message.subject_kind
    }

    /// When it arrived.
    async fn received_at(&self) -> super::scalars::DateTime {
        super::scalars::DateTime(self.message.created_at)
    }
}

/// `node(id:)` of an inbox message: only its receiver reads it; null for anyone else.
pub(crate) async fn inbox_message_by_key(
    ctx: &Context<'_>,
    key: &str,
) -> async_graphql::Result<Option<super::node::Node>> {
    let Some(national_id) = ctx
        .viewer()
        .principal()
        .and_then(|p| p.national_id.as_ref())
        .map(|n| n.as_str().to_owned())
    else {
        return Ok(None);
    };
    let (source, pool) = match key.split_at_checked(1) {
        Some(("U", _)) => ("U", ctx.deps().urbanism.pool().clone()),
        Some(("C", _)) => ("C", ctx.deps().citizen.pool().clone()),
        _ => return Ok(None),
    };
    let Ok(id) = key[1..].parse::<i64>() else {
        return Ok(None);
    };
    let found = shahr_store::deliveries::inbox_message(&pool, &national_id, id)
        .await
        .map_err(ApiError::from)?;
    Ok(found.map(|message| super::node::Node::InboxMessage(InboxMessage { source, message })))
}
