//! Use cases: one module per command of the Article 100 process. Each owns its transaction:
//! it decides who may act ([`policy`]) before revealing anything, loads through the urbanism
//! connector, asks the domain's pure rules, and writes the legacy rows, our rows, the outbox
//! event and the audit entry together. Resolvers only parse, call one use case and map its
//! result; connectors only hold SQL.
//!
//! - [`referral`]: refer a case to the secretariat, with the fine brief
//! - [`hearing`]: schedule (or move) a hearing and summon the owners; their defences
//! - [`sitting`]: open a commission's sitting on its cases
//! - [`drafting`]: draft a ruling (every item decided) and sign it
//! - [`issuing`]: issue a signed draft (rendered and sealed before the case is locked)
//! - [`service`]: legal service of rulings and summonses, by hand or by e-notice receipt
//! - [`objection`]: objections, each judged on its party's own window
//! - [`finality`]: rulings becoming final when every window has closed
//! - [`enforcement`]: payments, referral for non-payment, enforcement records
//! - [`certificates`]: Note 8 certificates, checked and issued under the parcel's lock

pub mod calendar;
pub mod certificates;
pub mod drafting;
pub mod enforcement;
pub mod finality;
pub mod fines_online;
pub mod hearing;
pub mod issuing;
mod keys;
pub mod objection;
pub mod payments;
pub mod policy;
pub mod referral;
pub mod service;
pub mod sitting;
mod steps;

use std::sync::Arc;

use shahr_domain::{session::Article100Rules, signing::Keyring, vocabulary::CaseStatus};
use shahr_store::StoreError;
use shahr_urbanism::UrbanismDb;

pub use calendar::CalendarCache;

/// Why a command was refused.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// No such object, or the caller may not see it (the two answer alike).
    #[error("not found")]
    NotFound,
    /// The caller sees the object but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The state of things does not allow this now.
    #[error("{message}")]
    Conflict {
        /// Why, for developers.
        message: String,
        /// Why, in Persian, for the person.
        message_fa: Option<String>,
        /// The state the refusal is about (`extensions.currentState` and `stateOf`).
        current: State,
    },
    /// An input value is unusable; `field` names it relative to the input object.
    #[error("{message}")]
    BadInput {
        /// The input field (`items[0].coefficient`).
        field: String,
        /// Why, for developers.
        message: String,
        /// Why, in Persian.
        message_fa: String,
    },
    /// The idempotency key (or payment reference) was used for something else.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for UseCaseError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(StoreError::from(e))
    }
}

impl From<deadpool_postgres::PoolError> for UseCaseError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Store(StoreError::from(e))
    }
}

/// A refusal about the state of things.
pub(crate) fn conflict(
    current: State,
    message: impl Into<String>,
    message_fa: &str,
) -> UseCaseError {
    UseCaseError::Conflict {
        message: message.into(),
        message_fa: Some(message_fa.to_owned()),
        current,
    }
}

/// What a refusal's state is the state of, and that state, as the API names them: every
/// `CONFLICT` carries both, so a client can say why without parsing the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A violation case's state.
    Case(CaseStatus),
    /// A ruling draft's: `SIGNING` (open for signatures), `ISSUED` or `REPLACED`.
    Draft(&'static str),
    /// A commission's: `INACTIVE`.
    Commission(&'static str),
    /// A parcel's standing under Note 8: `OPEN_CASE`, `FINES_UNPAID` or `DEMOLITION_PENDING`.
    Parcel(&'static str),
}

impl State {
    /// The object whose state it is (`ViolationCase`, `RulingDraft`, `Commission`, `Parcel`).
    pub fn object(self) -> &'static str {
        match self {
            State::Case(_) => "ViolationCase",
            State::Draft(_) => "RulingDraft",
            State::Commission(_) => "Commission",
            State::Parcel(_) => "Parcel",
        }
    }

    /// The state's API name (`REFERRED`, `ISSUED`, ...).
    pub fn name(self) -> String {
        match self {
            State::Case(s) => shahr_urbanism::cases::wire_name(s),
            State::Draft(s) | State::Commission(s) | State::Parcel(s) => s.to_owned(),
        }
    }

    /// A draft's state.
    pub(crate) fn of_draft(draft: &shahr_urbanism::cases::drafts::Draft) -> Self {
        if draft.issued_ruling_id.is_some() {
            State::Draft("ISSUED")
        } else if draft.replaced {
            State::Draft("REPLACED")
        } else {
            State::Draft("SIGNING")
        }
    }
}

/// A refusal about the case's state.
pub(crate) fn conflict_in(
    current: CaseStatus,
    message: impl Into<String>,
    message_fa: &str,
) -> UseCaseError {
    conflict(State::Case(current), message, message_fa)
}

/// A refused input value.
pub(crate) fn bad(
    field: impl Into<String>,
    message: impl Into<String>,
    message_fa: &str,
) -> UseCaseError {
    UseCaseError::BadInput {
        field: field.into(),
        message: message.into(),
        message_fa: message_fa.to_owned(),
    }
}

/// How parties are told of a ruling or a summons: always the in-app inbox; the judicial
/// e-notice (legal service) and SMS (courtesy) when their providers are configured.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// Send the judicial e-notice.
    pub e_notice: bool,
    /// Send an SMS alert.
    pub sms: bool,
    /// The public address, for links in messages.
    pub public_base_url: String,
}

/// The Article 100 commands, with what they need.
#[derive(Clone)]
pub struct Article100 {
    /// The integrated urbanism system.
    pub db: UrbanismDb,
    /// The settings of the law.
    pub rules: Arc<Article100Rules>,
    /// The official holidays.
    pub calendar: CalendarCache,
    /// How parties are told.
    pub channels: Channels,
    /// The keys rulings are signed with.
    pub keyring: Arc<Keyring>,
    /// The city's GIS service, for location sketches.
    pub gis: Option<shahr_gis::GisClient>,
    /// What heads every dadnameh.
    pub letterhead: Arc<crate::documents::letterhead::Letterhead>,
}

/// Today in Asia/Tehran.
pub(crate) fn today() -> chrono::NaiveDate {
    shahr_domain::jalali::tehran_today(chrono::Utc::now())
}
