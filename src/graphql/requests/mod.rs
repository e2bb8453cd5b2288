//! Citizen-sourcing (*shahrvand-separi*): the service catalogue and citizens' requests.

pub mod inputs;
mod moves;
pub mod payments;
pub mod resolvers;
pub mod types;

pub use payments::PaymentsMutation;
pub use resolvers::{RequestsMutation, RequestsQuery};
