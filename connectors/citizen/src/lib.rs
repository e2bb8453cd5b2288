//! The citizen-sourcing store (*shahrvand-separi*): a PostgreSQL database we own, migrated by
//! `shahr-gateway migrate`. It holds the service catalogue (data, not code), citizens'
//! requests and their state history. Every change writes its outbox event and its audit entry
//! in the same transaction.

pub mod blobs;
mod catalogue;
mod changes;
mod documents;
pub mod fine_payments;
mod payment_model;
mod payment_reads;
pub mod payments;
mod reads;
mod records;
pub mod stats;
mod tariffs;
pub mod trusted_documents;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use shahr_domain::{
    events::{self, DomainEvent},
    vocabulary::RequestState,
};
use shahr_store::deliveries;
use shahr_store::{
    audit,
    migrate::{Migration, MigrationSet},
    outbox, PgPool, StoreError,
};
use tokio_postgres::Row;

pub use records::{HistoryEntry, NewRequest, RequiredDocument, Service, ServiceRequest};

/// The citizen database's own migrations, on top of the common set.
pub const MIGRATIONS: MigrationSet = MigrationSet {
    name: "citizen",
    migrations: &[
        Migration {
            version: 1,
            name: "requests",
            sql: include_str!("../migrations/0001_requests.sql"),
        },
        Migration {
            version: 2,
            name: "catalogue",
            sql: include_str!("../migrations/0002_catalogue.sql"),
        },
        Migration {
            version: 3,
            name: "state_since",
            sql: include_str!("../migrations/0003_state_since.sql"),
        },
        Migration {
            version: 4,
            name: "documents",
            sql: include_str!("../migrations/0004_documents.sql"),
        },
        Migration {
            version: 5,
            name: "more_services",
            sql: include_str!("../migrations/0005_more_services.sql"),
        },
        Migration {
            version: 6,
            name: "request_steps",
            sql: include_str!("../migrations/0006_request_steps.sql"),
        },
        Migration {
            version: 7,
            name: "request_payments",
            sql: include_str!("../migrations/0007_request_payments.sql"),
        },
        Migration {
            version: 8,
            name: "idempotency_keys",
            sql: include_str!("../migrations/0008_idempotency_keys.sql"),
        },
        Migration {
            version: 9,
            name: "payments",
            sql: include_str!("../migrations/0009_payments.sql"),
        },
        Migration {
            version: 10,
            name: "manual_payments",
            sql: include_str!("../migrations/0010_manual_payments.sql"),
        },
        Migration {
            version: 11,
            name: "fee_tariffs",
            sql: include_str!("../migrations/0011_fee_tariffs.sql"),
        },
        Migration {
            version: 12,
            name: "payment_receipts",
            sql: include_str!("../migrations/0012_payment_receipts.sql"),
        },
        Migration {
            version: 13,
            name: "tariff_source",
            sql: include_str!("../migrations/0013_tariff_source.sql"),
        },
        Migration {
            version: 14,
            name: "fine_payments",
            sql: include_str!("../migrations/0014_fine_payments.sql"),
        },
        Migration {
            version: 15,
            name: "trusted_documents",
            sql: include_str!("../migrations/0015_trusted_documents.sql"),
        },
    ],
};

/// Why a state change was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// No such request.
    #[error("no such request")]
    NotFound,
    /// The caller may not act on this request.
    #[error("not allowed")]
    Forbidden,
    /// The move is not legal from the current state.
    #[error(transparent)]
    Illegal(#[from] shahr_domain::requests::IllegalMove),
    /// The payment given with the move does not fit it.
    #[error(transparent)]
    Payment(#[from] shahr_domain::requests::PaymentError),
    /// The idempotency key was used for another command or payload.
    #[error("this idempotency key was used for another change")]
    KeyReused,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A state change someone asks for.
#[derive(Debug, Clone)]
pub struct Change {
    /// The move.
    pub action: shahr_domain::requests::Move,
    /// Comment or reason, kept in the history.
    pub comment: Option<String>,
    /// The parcel's land area (exact hundredths of m²), to compute the fee when the request
    /// reaches `FEE_PAYABLE`.
    pub parcel_area: Option<shahr_domain::quantities::Area>,
    /// The parcel's land use, which the year's tariff may price differently.
    pub parcel_land_use: Option<shahr_domain::vocabulary::LandUse>,
    /// The payment a move to `PAID` records (its reference and amount).
    pub payment: Option<shahr_domain::requests::Payment>,
    /// The client's idempotency key: a retry finds the first attempt's result.
    pub idempotency: Option<shahr_store::idempotency::Key>,
}

/// An uploaded file's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// Id handed to the client.
    pub id: uuid::Uuid,
    /// Who uploaded it (token subject); only they may attach it.
    pub owner_subject: String,
    /// The file's name as sent.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// A document attached to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedDocument {
    /// Which of the service's documents it is.
    pub document_code: String,
    /// The upload.
    pub upload: Upload,
    /// When it was attached.
    pub attached_at: DateTime<Utc>,
}

/// Why a document could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// No such request for this actor.
    #[error("no such request")]
    NotFound,
    /// No such upload of this actor.
    #[error("no such upload")]
    UploadNotFound,
    /// The service asks for no document with this code.
    #[error("the service asks for no document `{0}`")]
    UnknownDocument(String),
    /// The file is larger than the document allows.
    #[error("the file is larger than {0} bytes")]
    TooLarge(i64),
    /// The file's type is not one the document accepts.
    #[error("the document accepts {0}")]
    WrongType(String),
    /// The request is closed.
    #[error(transparent)]
    Illegal(#[from] shahr_domain::requests::IllegalMove),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a submission was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The same idempotency key was used with another payload.
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// No such service, or it is not offered.
    #[error("no such service")]
    UnknownService,
    /// The service is not enabled in the parcel's district.
    #[error("the service is not offered in district {0}")]
    NotInDistrict(i16),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who does something, for history and audit: the domain's actor.
pub use shahr_domain::actors::Actor;
/// A submission's outcome.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The request.
    pub request: ServiceRequest,
    /// False when an earlier submission with the same key and payload was returned.
    pub created: bool,
}

/// Handle on the citizen database.
#[derive(Clone)]
pub struct CitizenDb {
    pool: PgPool,
    sms_alerts: bool,
}

const SERVICE_COLUMNS: &str = "s.code, s.name_fa, s.description_fa, s.steps, s.required_documents, \
    s.fee_rials, s.fee_per_m2_rials, s.sla_hours, s.active, \
    COALESCE((SELECT array_agg(d.district ORDER BY d.district) FROM shahr.service_districts d WHERE d.service_code = s.code), '{}')";

pub(crate) const REQUEST_COLUMNS: &str = "id, tracking_code, citizen_national_id, renovation_code, district, \
    service_code, form, state, assigned_to, fee_rials, submitted_at, updated_at, payload_hash, state_since, \
    payment_reference, paid_rials, paid_at";

/// Services by code, read with the caller's client (in its transaction).
async fn services_in(
    client: &impl tokio_postgres::GenericClient,
    codes: &[String],
) -> Result<Vec<Service>, StoreError> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM shahr.services s WHERE s.code = ANY($1)");
    let rows = client.query(&sql, &[&codes]).await?;
    rows.iter()
        .map(records::service_from_row)
        .map(|r| r.map_err(StoreError::Data))
        .collect()
}

/// The request with `tracking_code`, locked for the rest of the transaction; `None` when there
/// is none or `allowed` refuses it (the two look the same to the caller).
pub(crate) async fn lock_request(
    tx: &deadpool_postgres::Transaction<'_>,
    tracking_code: &str,
    allowed: &impl Fn(&ServiceRequest) -> bool,
) -> Result<Option<ServiceRequest>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE tracking_code = $1 FOR UPDATE"
            ),
            &[&tracking_code],
        )
        .await?;
    Ok(row
        .as_ref()
        .map(records::request_from_row)
        .filter(|r| allowed(r)))
}

/// The stored states a queue shows: `state`, or every open one.
fn queue_states(state: Option<RequestState>) -> Vec<&'static str> {
    match state {
        Some(s) => vec![s.as_code()],
        None => RequestState::ALL
            .iter()
            .filter(|s| !shahr_domain::requests::is_terminal(**s))
            .map(|s| s.as_code())
            .collect(),
    }
}

/// Letters and digits a person cannot confuse (no 0/O, 1/I/L).
const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A fresh tracking code of `district` (`9-4K7M2P`): what citizens quote to staff.
pub fn tracking_code(district: i16) -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (0..6)
        .map(|_| char::from(TRACKING_ALPHABET[rng.gen_range(0..TRACKING_ALPHABET.len())]))
        .collect();
    format!("{district}-{tail}")
}

/// The hash identifying a submission's payload, for idempotency.
pub fn payload_hash(request: &NewRequest) -> String {
    let canonical = json!([request.service_code, request.renovation_code, request.form]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

impl CitizenDb {
    /// Wraps a pool whose deadlines are already configured.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            sms_alerts: false,
        }
    }

    /// Also alert citizens by SMS when their requests change state (the notifier finds the
    /// mobile in the urbanism system); the in-app inbox is always written.
    pub fn with_sms_alerts(mut self, on: bool) -> Self {
        self.sms_alerts = on;
        self
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
