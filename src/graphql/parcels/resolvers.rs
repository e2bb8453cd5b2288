//! Query fields of the places area.

use async_graphql::{dataloader::DataLoader, Context, Object};

use super::{loaders::DistrictLoader, types::District};
use crate::graphql::{context::ContextExt, error::ApiError};

/// Queries about places.
#[derive(Default)]
pub struct ParcelsQuery;

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
        let loader = ctx.data_unchecked::<DataLoader<DistrictLoader>>();
        Ok(loader.load_one(number).await?.map(District))
    }
}
