//! Dashboards: the figures behind "no gap" (`rulingStats`, `requestStats`), from SQL
//! aggregates. Staff see their district; auditors and admins every district.

pub mod resolvers;
pub mod types;

pub use resolvers::DashboardsQuery;
