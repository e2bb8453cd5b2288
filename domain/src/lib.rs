//! Pure rules of the domain, with no I/O: the gateway validates input with them and the
//! connectors clean legacy rows with them, so both agree on what a valid value is.
//!
//! - [`text`]: Persian/Arabic digit and letter normalisation.
//! - [`quantities`], [`money`]: exact areas and coefficients (hundredths), rials.
//! - [`fines`]: Article 100 fines per violation item, with the arithmetic.
//! - [`decisions`]: what a ruling decides for each item; demolition periods; Note 7.
//! - [`calendar`]: official holidays, as data per Jalali year.
//! - [`deadlines`]: counting legal windows (CPC arts. 443–445).
//! - [`parties`]: the parties to a case and how each is served.
//! - [`windows`]: every party's objection and defence window; finality.
//! - [`enforcement`]: payments, non-payment referrals, carrying out rulings.
//! - [`certificates`]: Note 8, what stands against a certificate.
//! - [`conflicts`]: who may sit on an appeal.
//! - [`actors`]: roles and the actor recorded with each change.
//! - [`sealed`]: the content an issued ruling's signature covers.
//! - [`numbering`]: ruling numbers from a template.
//! - [`cases`]: the life of a violation case.
//! - [`session`]: the configurable Article 100 settings, draft rulings and the signing quorum.
//! - [`signing`]: canonical encoding and Ed25519 signatures with key rotation.
//! - [`identifiers`]: national ids and other validated identifiers.
//! - [`jalali`]: Jalali dates.
//! - [`requests`]: the moves of a citizen's service request, its workflow and payment.
//! - [`office`]: office hours and SLA clocks in working hours.
//! - [`vocabulary`]: the closed sets of the domain (case and ruling states, kinds, roles) with
//!   their Persian labels.

pub mod actors;
pub mod calendar;
pub mod cases;
pub mod certificates;
pub mod conflicts;
pub mod deadlines;
pub mod decisions;
pub mod enforcement;
pub mod events;
pub mod fines;
pub mod identifiers;
pub mod jalali;
pub mod money;
pub mod numbering;
pub mod office;
pub mod parties;
pub mod quantities;
pub mod requests;
pub mod sealed;
pub mod session;
pub mod signing;
pub mod tariff;
pub mod text;
pub mod vocabulary;
pub mod windows;
