//! Pure rules of the domain, with no I/O: the gateway validates input with them and the
//! connectors clean legacy rows with them, so both agree on what a valid value is.
//!
//! - [`text`]: Persian/Arabic digit and letter normalisation.
//! - [`identifiers`]: national ids and other validated identifiers.

pub mod identifiers;
pub mod text;
