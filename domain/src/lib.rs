//! Pure rules of the domain, with no I/O: the gateway validates input with them and the
//! connectors clean legacy rows with them, so both agree on what a valid value is.
//!
//! - [`text`]: Persian/Arabic digit and letter normalisation.
//! - [`fines`]: Article 100 fines per violation item, with the arithmetic.
//! - [`deadlines`]: legal windows with Fridays and configured holidays.
//! - [`numbering`]: ruling numbers from a template.
//! - [`cases`]: the life of a violation case.
//! - [`session`]: the configurable Article 100 settings, draft rulings and the signing quorum.
//! - [`signing`]: canonical encoding and Ed25519 signatures with key rotation.
//! - [`identifiers`]: national ids and other validated identifiers.
//! - [`jalali`]: Jalali dates.
//! - [`requests`]: the moves of a citizen's service request.
//! - [`vocabulary`]: the closed sets of the domain (case and ruling states, kinds, roles) with
//!   their Persian labels.

pub mod cases;
pub mod deadlines;
pub mod fines;
pub mod identifiers;
pub mod jalali;
pub mod numbering;
pub mod requests;
pub mod session;
pub mod signing;
pub mod text;
pub mod vocabulary;
