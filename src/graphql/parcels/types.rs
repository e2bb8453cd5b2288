//! GraphQL objects of the places area.

use async_graphql::{Object, ID};

use crate::graphql::node::global_id;

/// A municipal district of Tabriz (*mantagheh*). District 9 is the citizen-sourcing pilot.
#[derive(Clone)]
pub struct District(pub shahr_urbanism::District);

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

    /// Area in hectares, when recorded.
    pub async fn area_hectares(&self) -> Option<f64> {
        self.0.area_hectares
    }

    /// False for a district retired in the urbanism system.
    pub async fn is_active(&self) -> bool {
        self.0.active
    }
}
