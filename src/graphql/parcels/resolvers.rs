//! Query fields of the places area.

use async_graphql::{Context, InputObject, Object};
use shahr_domain::{
    identifiers::{NationalId, RenovationCode},
    text::has_bidi_control,
    vocabulary::LandUse,
};
use shahr_urbanism::ParcelFilter;

use super::types::{District, Parcel};
use crate::graphql::{
    access::visibility,
    context::ContextExt,
    error::{ApiError, ApiResult},
    loaders::{loader, DistrictLoader},
    pagination::{connection, page_request, Conn, TotalCount},
    scalars::{NationalIdScalar, RenovationCodeScalar},
};

/// Narrows the parcel list. All conditions must hold.
#[derive(InputObject, Default)]
pub struct ParcelFilterInput {
    /// Only parcels in this district (1-10).
    pub district: Option<i32>,
    /// Only parcels with this land use.
    pub land_use: Option<LandUse>,
    /// Only parcels whose address contains this text (matched literally; Persian and Arabic
    /// letters and digits are treated alike). At most 100 characters.
    pub address_contains: Option<String>,
    /// Only parcels this person owns (staff).
    pub owner_national_id: Option<NationalIdScalar>,
}

/// Checks a district number argument.
pub(crate) fn district_arg(field: &str, value: Option<i32>) -> ApiResult<Option<i16>> {
    match value {
        None => Ok(None),
        Some(n) if (1..=99).contains(&n) => Ok(i16::try_from(n).ok()),
        Some(_) => Err(ApiError::bad_input(
            field,
            format!("`{field}` must be a district number from 1 to 99"),
            "شماره منطقه باید عددی از ۱ تا ۹۹ باشد.",
        )),
    }
}

impl ParcelFilterInput {
    fn validate(self) -> ApiResult<ParcelFilter> {
        let address_contains = match self.address_contains {
            Some(text) if text.chars().count() > 100 => {
                return Err(ApiError::bad_input(
                    "filter.addressContains",
                    "at most 100 characters",
                    "عبارت جست‌وجوی نشانی حداکثر ۱۰۰ نویسه است.",
                ))
            }
            Some(text) if has_bidi_control(&text) => {
                return Err(ApiError::bad_input(
                    "filter.addressContains",
                    "bidirectional control characters are not allowed",
                    "عبارت جست‌وجوی نشانی نباید نویسه‌های کنترل جهت متن داشته باشد.",
                ))
            }
            Some(text) if text.trim().is_empty() => None,
            other => other,
        };
        Ok(ParcelFilter {
            district: district_arg("filter.district", self.district)?,
            land_use: self.land_use,
            address_contains,
            owner_national_id: self
                .owner_national_id
                .map(|n| NationalId::parse(&n.0))
                .transpose()
                .map_err(|e| {
                    ApiError::bad_input(
                        "filter.ownerNationalId",
                        format!("the national id {e}"),
                        "کد ملی نامعتبر است؛ ده رقم آن را وارد کنید.",
                    )
                })?,
        })
    }
}

/// The extra cost of a parcel search's filter: a text search over addresses reads far more
/// rows than a lookup by code or district.
fn filter_cost(filter: &Option<ParcelFilterInput>) -> usize {
    match filter {
        Some(f)
            if f.address_contains
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty()) =>
        {
            500
        }
        _ => 0,
    }
}

/// Queries about places.
#[derive(Default)]
pub struct ParcelsQuery;

/// Queries about places.
#[Object]
impl ParcelsQuery {
    /// Tabriz's municipal districts, ordered by number. Public: no sign-in needed.
    /// Null (with an error at this path) only when the urbanism system is unreachable.
    async fn districts(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<District>>> {
        let districts = ctx
            .deps()
            .urbanism
            .districts()
            .await
            .map_err(ApiError::from)?;
        Ok(Some(districts.into_iter().map(District).collect()))
    }

    /// One district by its number; null when there is no such district.
    async fn district(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The district's number, 1 to 10.")] number: i32,
    ) -> async_graphql::Result<Option<District>> {
        let Ok(number) = i16::try_from(number) else {
            return Ok(None);
        };
        Ok(loader::<i16, DistrictLoader>(ctx)
            .load_one(number)
            .await?
            .map(District))
    }

    /// The parcel with this renovation code. Null when there is none or the viewer may not
    /// see it (citizens see the parcels they own; staff their district).
    async fn parcel(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The renovation code, e.g. `1-2-45-28-666-0-0` (Persian digits accepted)."
        )]
        renovation_code: RenovationCodeScalar,
    ) -> async_graphql::Result<Option<Parcel>> {
        let code = RenovationCode::parse(&renovation_code.0).map_err(|e| {
            ApiError::bad_input(
                "renovationCode",
                format!("the renovation code {e}"),
                "کد نوسازی جست‌وجوشده نامعتبر است؛ آن را مانند ۱-۲-۴۵-۲۸-۶۶۶-۰-۰ وارد کنید.",
            )
        })?;
        let found = ctx
            .deps()
            .urbanism
            .parcel_by_renovation_code(&code, &visibility(ctx.viewer()))
            .await
            .map_err(ApiError::from)?;
        Ok(found.map(Parcel))
    }

    /// Parcels the viewer may see, in a stable order, a page at a time.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity) + filter_cost(&filter)"
    )]
    async fn parcels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the parcels must meet.")] filter: Option<ParcelFilterInput>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return parcels after this cursor (an edge's `cursor`).")] after: Option<
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
    ) -> async_graphql::Result<Conn<Parcel>> {
        let request = page_request("Parcel", first, after, last, before)?;
        let filter = filter.unwrap_or_default().validate()?;
        let vis = visibility(ctx.viewer());
        // Searching by owner is staff work: for a citizen it would confirm a co-owner's id.
        if filter.owner_national_id.is_some()
            && !matches!(
                vis,
                shahr_urbanism::Visibility::All | shahr_urbanism::Visibility::District(_)
            )
        {
            return Err(ApiError::new(
                crate::graphql::error::ErrorCode::Forbidden,
                "the ownerNationalId filter is for staff, auditors and admins",
            )
            .with("field", "filter.ownerNationalId".into())
            .with_fa("جست‌وجو بر اساس کد ملی مالک فقط برای کارکنان است.")
            .into());
        }
        let db = ctx.deps().urbanism.clone();
        let page = db
            .parcels_page(&filter, &vis, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, filter, vis) = (db.clone(), filter.clone(), vis.clone());
            Box::pin(async move { db.parcels_count(&filter, &vis).await })
        });
        Ok(connection("Parcel", page, |p| p.id, Parcel, total))
    }
}
