//! Batched loaders of the places area.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use shahr_urbanism::{District, UrbanismDb};

use crate::graphql::error::ApiError;

/// Loads districts by number, all keys of one tick in one query.
pub struct DistrictLoader(pub UrbanismDb);

impl Loader<i16> for DistrictLoader {
    type Value = District;
    type Error = ApiError;

    async fn load(&self, keys: &[i16]) -> Result<HashMap<i16, District>, ApiError> {
        let districts = self.0.districts_by_number(keys).await?;
        Ok(districts.into_iter().map(|d| (d.number, d)).collect())
    }
}
