//! Places: districts, parcels, owners, permits and certificates.

pub mod resolvers;
pub mod types;

pub use resolvers::ParcelsQuery;
