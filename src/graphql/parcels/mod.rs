//! Places: districts now; parcels, owners and permits as the urbanism graph grows.

pub mod loaders;
pub mod resolvers;
pub mod types;

pub use resolvers::ParcelsQuery;
