//! Article 100: commissions, violation cases, rulings, service and objections.

pub mod resolvers;
pub mod ruling;
pub mod session;
pub mod types;

pub use resolvers::RulingsQuery;
pub use session::{AfterRulingMutation, SessionMutation, SessionQuery};
