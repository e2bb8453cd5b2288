//! The citizen-sourcing store (*shahrvand-separi*): a PostgreSQL database we own, migrated by
//! `shahr-gateway migrate`. It holds the service catalogue (data, not code), citizens'
//! requests and their state history. Every change writes its outbox event and its audit entry
//! in the same transaction.

pub mod blobs;
mod records;
pub mod stats;

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
    /// The payment a move to `PAID` records (its reference and amount).
    pub payment: Option<shahr_domain::requests::Payment>,
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

const REQUEST_COLUMNS: &str = "id, tracking_code, citizen_national_id, renovation_code, district, \
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
async fn lock_request(
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

fn tracking_code(district: i16) -> String {
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

    fn service(row: &Row) -> Result<Service, StoreError> {
        records::service_from_row(row).map_err(StoreError::Data)
    }

    /// Active services, ordered for display; only those enabled in `district` when given.
    pub async fn services(&self, district: Option<i16>) -> Result<Vec<Service>, StoreError> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {SERVICE_COLUMNS} FROM shahr.services s WHERE s.active AND ($1::smallint IS NULL OR EXISTS \
             (SELECT 1 FROM shahr.service_districts x WHERE x.service_code = s.code AND x.district = $1)) \
             ORDER BY s.sort_order, s.code"
        );
        let rows = client.query(&sql, &[&district]).await?;
        rows.iter().map(Self::service).collect()
    }

    /// Services by code, one statement.
    pub async fn services_by_codes(&self, codes: &[String]) -> Result<Vec<Service>, StoreError> {
        let client = self.pool.get().await?;
        services_in(&**client, codes).await
    }

    /// Reads the whole catalogue (inactive services too) and refuses it when any service's
    /// workflow, SLA or documents cannot be used, naming the service.
    pub async fn check_catalogue(&self) -> Result<usize, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!("SELECT {SERVICE_COLUMNS} FROM shahr.services s ORDER BY s.code"),
                &[],
            )
            .await?;
        for row in &rows {
            Self::service(row)?;
        }
        Ok(rows.len())
    }

    /// Files a request: checks the service and district, honours the idempotency key, and in
    /// one transaction writes the request, its first history row, an outbox event and an
    /// audit entry.
    pub async fn submit(&self, new: &NewRequest, actor: &Actor) -> Result<Submitted, SubmitError> {
        let hash = payload_hash(new);
        if let Some(existing) = self.by_idempotency_key(&actor.subject, new).await? {
            return if existing.payload_hash == hash {
                Ok(Submitted {
                    request: existing,
                    created: false,
                })
            } else {
                Err(SubmitError::IdempotencyKeyReused)
            };
        }
        let service = self
            .services_by_codes(std::slice::from_ref(&new.service_code))
            .await?
            .into_iter()
            .next()
            .filter(|s| s.active)
            .ok_or(SubmitError::UnknownService)?;
        if !service.districts.contains(&new.district) {
            return Err(SubmitError::NotInDistrict(new.district));
        }
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        for _ in 0..5 {
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let code = tracking_code(new.district);
            let inserted = tx
                .query_one(
                    &format!(
                        "INSERT INTO shahr.requests (tracking_code, citizen_subject, citizen_national_id, renovation_code, \
                         district, service_code, form, state, idempotency_key, payload_hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {REQUEST_COLUMNS}"
                    ),
                    &[
                        &code,
                        &actor.subject,
                        &new.citizen_national_id,
                        &new.renovation_code,
                        &new.district,
                        &new.service_code,
                        &new.form,
                        &RequestState::Submitted.as_code(),
                        &new.idempotency_key,
                        &hash,
                    ],
                )
                .await;
            let row = match inserted.map_err(StoreError::from) {
                Ok(row) => row,
                Err(StoreError::UniqueViolation { constraint })
                    if constraint.contains("tracking_code") =>
                {
                    continue; // a tracking code collision: draw again
                }
                Err(StoreError::UniqueViolation { .. }) => {
                    // The same key submitted concurrently: the other transaction won.
                    drop(tx);
                    let existing = self
                        .by_idempotency_key(&actor.subject, new)
                        .await?
                        .ok_or(SubmitError::IdempotencyKeyReused)?;
                    return if existing.payload_hash == hash {
                        Ok(Submitted {
                            request: existing,
                            created: false,
                        })
                    } else {
                        Err(SubmitError::IdempotencyKeyReused)
                    };
                }
                Err(other) => return Err(other.into()),
            };
            let request = records::request_from_row(&row);
            tx.execute(
                "INSERT INTO shahr.request_history (request_id, actor, role, from_state, to_state) VALUES ($1, $2, $3, NULL, $4)",
                &[&request.id, &actor.subject, &actor.role_name(), &RequestState::Submitted.as_code()],
            )
            .await
            .map_err(StoreError::from)?;
            outbox::enqueue(
                &*tx,
                &DomainEvent::RequestSubmitted(events::RequestSubmitted {
                    tracking_code: request.tracking_code.clone(),
                    request_id: request.id,
                    service: request.service_code.clone(),
                    district: request.district,
                    citizen_national_id: request.citizen_national_id.clone(),
                    state: RequestState::Submitted,
                }),
            )
            .await?;
            audit::append(
                &*tx,
                &audit::Entry::new(
                    actor,
                    "submitServiceRequest",
                    vec![
                        request.tracking_code.clone(),
                        request.renovation_code.clone(),
                    ],
                    "ok",
                    &json!({ "service": request.service_code }),
                ),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(Submitted {
                request,
                created: true,
            });
        }
        Err(StoreError::Data("could not draw a free tracking code".into()).into())
    }

    async fn by_idempotency_key(
        &self,
        subject: &str,
        new: &NewRequest,
    ) -> Result<Option<ServiceRequest>, StoreError> {
        let Some(key) = &new.idempotency_key else {
            return Ok(None);
        };
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE citizen_subject = $1 AND idempotency_key = $2"),
                &[&subject, key],
            )
            .await?;
        Ok(row.as_ref().map(records::request_from_row))
    }

    /// Applies a move in one transaction: the row is locked, `allowed` decides whether the
    /// actor may act on it, the domain rules decide the new state; the history row, the outbox
    /// event and the audit entry are written with it.
    pub async fn change_state(
        &self,
        tracking_code: &str,
        change: &Change,
        actor: &Actor,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, TransitionError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        let current = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(TransitionError::NotFound)?;
        // Read in this transaction: a second pooled connection must not be awaited while the
        // request's row is locked.
        let service = services_in(&*tx, std::slice::from_ref(&current.service_code))
            .await?
            .into_iter()
            .next()
            .ok_or(TransitionError::NotFound)?;
        let next = shahr_domain::requests::apply(&service.steps, current.state, change.action)?;
        let fee_now = current
            .fee_rials
            .and_then(|f| shahr_domain::money::Rials::new(f).ok());
        shahr_domain::requests::check_payment(next, fee_now, change.payment.as_ref())?;
        let fee = if next == RequestState::FeePayable {
            let fee = shahr_domain::requests::fee(
                service.fee_rials,
                service.fee_per_m2_rials,
                change.parcel_area.unwrap_or_default(),
            )
            .map_err(|e| {
                TransitionError::Store(StoreError::Data(format!("{}: {e}", service.code)))
            })?;
            Some(fee.get())
        } else {
            current.fee_rials
        };
        let (reference, paid) = match &change.payment {
            Some(p) => (Some(p.reference.as_str()), Some(p.amount.get())),
            None => (None, None),
        };
        let updated = tx
            .query_one(
                &format!(
                    "UPDATE shahr.requests SET state = $2, fee_rials = $3, updated_at = now(), state_since = now(), \
                     payment_reference = COALESCE($4, payment_reference), paid_rials = COALESCE($5, paid_rials), \
                     paid_at = CASE WHEN $4::text IS NULL THEN paid_at ELSE now() END \
                     WHERE id = $1 RETURNING {REQUEST_COLUMNS}"
                ),
                &[&current.id, &next.as_code(), &fee, &reference, &paid],
            )
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::UniqueViolation { .. } => {
                    shahr_domain::requests::PaymentError::ReferenceUsed.into()
                }
                other => TransitionError::Store(other),
            })?;
        let updated = records::request_from_row(&updated);
        self.record_change(
            &tx,
            &current,
            &updated,
            actor,
            change.comment.as_deref(),
            "changeServiceRequestState",
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(updated)
    }

    /// Assigns a request to a staff member (by subject), with history, outbox and audit.
    pub async fn assign(
        &self,
        tracking_code: &str,
        assignee: &str,
        actor: &Actor,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, TransitionError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        let current = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(TransitionError::NotFound)?;
        shahr_domain::requests::ensure_open(current.state, "be assigned")?;
        let updated = tx
            .query_one(
                &format!("UPDATE shahr.requests SET assigned_to = $2, updated_at = now() WHERE id = $1 RETURNING {REQUEST_COLUMNS}"),
                &[&current.id, &assignee],
            )
            .await
            .map_err(StoreError::from)?;
        let updated = records::request_from_row(&updated);
        let comment = format!("assigned to {assignee}");
        self.record_change(
            &tx,
            &current,
            &updated,
            actor,
            Some(&comment),
            "assignServiceRequest",
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(updated)
    }

    async fn record_change(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        before: &ServiceRequest,
        after: &ServiceRequest,
        actor: &Actor,
        comment: Option<&str>,
        operation: &str,
    ) -> Result<(), StoreError> {
        let history: i64 = tx
            .query_one(
                "INSERT INTO shahr.request_history (request_id, actor, role, from_state, to_state, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&after.id, &actor.subject, &actor.role_name(), &before.state.as_code(), &after.state.as_code(), &comment],
            )
            .await?
            .get(0);
        if before.state != after.state {
            let mut channels = vec![deliveries::Channel::Inbox];
            if self.sms_alerts {
                channels.push(deliveries::Channel::Sms);
            }
            for channel in channels {
                deliveries::enqueue(
                    &**tx,
                    &deliveries::NewDelivery {
                        send_id: format!(
                            "request-{}-{history}-{}",
                            after.id,
                            channel.as_str().to_lowercase()
                        ),
                        channel,
                        subject_kind: "request".into(),
                        subject_id: after.tracking_code.clone(),
                        national_id: Some(after.citizen_national_id.clone()),
                        legal_id: None,
                        mobile: None,
                        name: None,
                        title: format!("درخواست {}", after.tracking_code),
                        body: format!(
                            "وضعیت درخواست شما به «{}» تغییر کرد.",
                            after.state.label_fa()
                        ),
                        link: None,
                    },
                )
                .await?;
            }
        }
        outbox::enqueue(
            &**tx,
            &DomainEvent::RequestStatusChanged(events::RequestStatusChanged {
                tracking_code: after.tracking_code.clone(),
                request_id: after.id,
                service: after.service_code.clone(),
                district: after.district,
                citizen_national_id: after.citizen_national_id.clone(),
                from: before.state,
                to: after.state,
                assigned_to: after.assigned_to.clone(),
            }),
        )
        .await?;
        audit::append(
            &**tx,
            &audit::Entry::new(
                actor,
                operation,
                vec![after.tracking_code.clone()],
                "ok",
                &json!({ "from": before.state.as_code(), "to": after.state.as_code(), "comment": comment }),
            ),
        )
        .await?;
        Ok(())
    }

    /// A district's queue: requests in `state` (or in any open state), oldest first.
    pub async fn queue(
        &self,
        district: i16,
        state: Option<RequestState>,
        first: usize,
        after: Option<i64>,
    ) -> Result<(Vec<ServiceRequest>, bool), StoreError> {
        let client = self.pool.get().await?;
        let limit = i64::try_from(first + 1).unwrap_or(i64::MAX);
        let states = queue_states(state);
        let rows = client
            .query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE district = $1 AND state = ANY($2)                      AND ($3::bigint IS NULL OR id > $3) ORDER BY id LIMIT $4"
                ),
                &[&district, &states, &after, &limit],
            )
            .await?;
        let more = rows.len() > first;
        Ok((
            rows.iter()
                .take(first)
                .map(records::request_from_row)
                .collect(),
            more,
        ))
    }

    /// How many requests a queue holds.
    pub async fn queue_count(
        &self,
        district: i16,
        state: Option<RequestState>,
    ) -> Result<i64, StoreError> {
        let client = self.pool.get().await?;
        let states = queue_states(state);
        Ok(client
            .query_one(
                "SELECT count(*) FROM shahr.requests WHERE district = $1 AND state = ANY($2)",
                &[&district, &states],
            )
            .await?
            .get(0))
    }

    /// Demo data: requests in every state for these (national id, renovation code) owners of
    /// `district`, with plausible histories. Writes no audit entries: nobody acted.
    pub async fn seed_demo_requests(
        &self,
        owners: &[(String, String)],
        district: i16,
        per_state: usize,
    ) -> Result<usize, StoreError> {
        use rand::SeedableRng;
        if owners.is_empty() {
            return Ok(0);
        }
        let services = self.services(Some(district)).await?;
        let Some(permit) = services
            .iter()
            .find(|s| s.steps.len() >= 7)
            .or(services.first())
        else {
            return Ok(0);
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut written = 0;
        for (n, state) in RequestState::ALL
            .iter()
            .flat_map(|s| std::iter::repeat_n(*s, per_state))
            .enumerate()
        {
            let path: Vec<RequestState> = match permit.steps.iter().position(|s| *s == state) {
                Some(i) => permit.steps[..=i].to_vec(),
                None => vec![RequestState::Submitted, state],
            };
            let (national_id, renovation_code) = &owners[n % owners.len()];
            let days_ago = rng.gen_range(1..60);
            let new = NewRequest {
                service_code: permit.code.clone(),
                renovation_code: renovation_code.clone(),
                district,
                citizen_national_id: national_id.clone(),
                form: json!({ "demo": true }),
                idempotency_key: None,
            };
            let fee = (path.contains(&RequestState::FeePayable))
                .then_some(permit.fee_rials + permit.fee_per_m2_rials * 200);
            // A paid request records its payment: the fee, under a demo bank reference.
            let paid = path.contains(&RequestState::Paid);
            let tracking = tracking_code(district);
            let reference = paid.then(|| format!("DEMO-{tracking}"));
            let paid_rials = fee.filter(|_| paid);
            let row = tx
                .query_one(
                    "INSERT INTO shahr.requests (tracking_code, citizen_subject, citizen_national_id, renovation_code, district, \
                     service_code, form, state, payload_hash, fee_rials, submitted_at, updated_at, state_since, \
                     payment_reference, paid_rials, paid_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() - make_interval(days => $11), \
                     now() - make_interval(days => $12), now() - make_interval(days => $12), $13, $14, \
                     CASE WHEN $13::text IS NULL THEN NULL ELSE now() - make_interval(days => $12) END) RETURNING id",
                    &[
                        &tracking,
                        &format!("dev:{national_id}"),
                        national_id,
                        renovation_code,
                        &district,
                        &permit.code,
                        &new.form,
                        &state.as_code(),
                        &payload_hash(&new),
                        &fee,
                        &days_ago,
                        &(days_ago / 2),
                        &reference,
                        &paid_rials,
                    ],
                )
                .await?;
            let id: i64 = row.get(0);
            let mut from: Option<&str> = None;
            // Steps spread from the submission to the time the request reached its state.
            let span_hours = f64::from(days_ago - days_ago / 2) * 24.0;
            let steps = path.len().max(2) - 1;
            for (i, step) in path.iter().enumerate() {
                let hours_ago = f64::from(days_ago) * 24.0 - span_hours * i as f64 / steps as f64;
                tx.execute(
                    "INSERT INTO shahr.request_history (request_id, at, actor, role, from_state, to_state) \
                     VALUES ($1, now() - make_interval(secs => $6), $2, $3, $4, $5)",
                    &[&id, &"dev:demo", &if from.is_none() { "citizen" } else { "urbanism_staff" }, &from, &step.as_code(), &(hours_ago * 3600.0)],
                )
                .await?;
                from = Some(step.as_code());
            }
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Records an upload's metadata (its bytes are already in the blob store).
    pub async fn record_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO shahr.uploads (id, owner_subject, file_name, content_type, size_bytes, sha256, storage_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &upload.id,
                    &upload.owner_subject,
                    &upload.file_name,
                    &upload.content_type,
                    &upload.size_bytes,
                    &upload.sha256,
                    &upload.id.to_string(),
                ],
            )
            .await?;
        Ok(())
    }

    /// Attaches an upload of the actor to a request as one of its service's documents,
    /// checking the document's size and type limits; history, outbox and audit in the same
    /// transaction.
    pub async fn attach_document(
        &self,
        tracking_code: &str,
        upload_id: uuid::Uuid,
        document_code: &str,
        actor: &Actor,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, AttachError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        let request = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(AttachError::NotFound)?;
        shahr_domain::requests::ensure_open(request.state, "take documents")?;
        let upload = tx
            .query_opt(
                "SELECT id, owner_subject, file_name, content_type, size_bytes, sha256 FROM shahr.uploads \
                 WHERE id = $1 AND owner_subject = $2",
                &[&upload_id, &actor.subject],
            )
            .await
            .map_err(StoreError::from)?
            .map(|r| Upload {
                id: r.get(0),
                owner_subject: r.get(1),
                file_name: r.get(2),
                content_type: r.get(3),
                size_bytes: r.get(4),
                sha256: r.get(5),
            })
            .ok_or(AttachError::UploadNotFound)?;
        let service = services_in(&*tx, std::slice::from_ref(&request.service_code))
            .await?
            .into_iter()
            .next()
            .ok_or(AttachError::NotFound)?;
        let spec = service
            .required_documents
            .iter()
            .find(|d| d.code == document_code)
            .ok_or_else(|| AttachError::UnknownDocument(document_code.to_owned()))?;
        if upload.size_bytes > spec.max_bytes {
            return Err(AttachError::TooLarge(spec.max_bytes));
        }
        if !spec.content_types.iter().any(|t| t == &upload.content_type) {
            return Err(AttachError::WrongType(spec.content_types.join(", ")));
        }
        tx.execute(
            "INSERT INTO shahr.request_documents (request_id, upload_id, document_code) VALUES ($1, $2, $3) \
             ON CONFLICT (request_id, upload_id) DO NOTHING",
            &[&request.id, &upload.id, &document_code],
        )
        .await
        .map_err(StoreError::from)?;
        let comment = format!("document {document_code} attached");
        self.record_change(
            &tx,
            &request,
            &request,
            actor,
            Some(&comment),
            "attachDocument",
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(request)
    }

    /// Documents of each request, in attachment order; one statement.
    pub async fn documents_by_request(
        &self,
        request_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<AttachedDocument>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT d.request_id, d.document_code, d.attached_at, u.id, u.owner_subject, u.file_name, \
                 u.content_type, u.size_bytes, u.sha256 FROM shahr.request_documents d \
                 JOIN shahr.uploads u ON u.id = d.upload_id WHERE d.request_id = ANY($1) ORDER BY d.request_id, d.id",
                &[&request_ids],
            )
            .await?;
        let mut out: HashMap<i64, Vec<AttachedDocument>> = HashMap::new();
        for row in &rows {
            out.entry(row.get(0)).or_default().push(AttachedDocument {
                document_code: row.get(1),
                attached_at: row.get(2),
                upload: Upload {
                    id: row.get(3),
                    owner_subject: row.get(4),
                    file_name: row.get(5),
                    content_type: row.get(6),
                    size_bytes: row.get(7),
                    sha256: row.get(8),
                },
            });
        }
        Ok(out)
    }

    /// The request with this tracking code.
    pub async fn request_by_tracking_code(
        &self,
        code: &str,
    ) -> Result<Option<ServiceRequest>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE tracking_code = $1"),
                &[&code],
            )
            .await?;
        Ok(row.as_ref().map(records::request_from_row))
    }

    /// A citizen's requests, newest first, `first` after row id `after`; plus whether more follow.
    pub async fn requests_of_citizen(
        &self,
        national_id: &str,
        first: usize,
        after: Option<i64>,
    ) -> Result<(Vec<ServiceRequest>, bool), StoreError> {
        let client = self.pool.get().await?;
        let limit = i64::try_from(first + 1).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE citizen_national_id = $1 \
                     AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
                ),
                &[&national_id, &after, &limit],
            )
            .await?;
        let more = rows.len() > first;
        Ok((
            rows.iter()
                .take(first)
                .map(records::request_from_row)
                .collect(),
            more,
        ))
    }

    /// How many requests a citizen has.
    pub async fn count_of_citizen(&self, national_id: &str) -> Result<i64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one(
                "SELECT count(*) FROM shahr.requests WHERE citizen_national_id = $1",
                &[&national_id],
            )
            .await?
            .get(0))
    }

    /// Requests on each parcel (by renovation code), newest first; one statement.
    pub async fn requests_by_parcel(
        &self,
        renovation_codes: &[String],
    ) -> Result<HashMap<String, Vec<ServiceRequest>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE renovation_code = ANY($1) ORDER BY renovation_code, id DESC"
                ),
                &[&renovation_codes],
            )
            .await?;
        let mut out: HashMap<String, Vec<ServiceRequest>> = HashMap::new();
        for request in rows.iter().map(records::request_from_row) {
            out.entry(request.renovation_code.clone())
                .or_default()
                .push(request);
        }
        Ok(out)
    }

    /// State history of each request, oldest first; one statement.
    pub async fn history_by_request(
        &self,
        request_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<HistoryEntry>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT request_id, at, actor, role, from_state, to_state, comment FROM shahr.request_history \
                 WHERE request_id = ANY($1) ORDER BY request_id, id",
                &[&request_ids],
            )
            .await?;
        let mut out: HashMap<i64, Vec<HistoryEntry>> = HashMap::new();
        for row in &rows {
            let at: DateTime<Utc> = row.get(1);
            let entry = HistoryEntry {
                at,
                actor: row.get(2),
                role: shahr_domain::actors::Capacity::from_recorded(row.get(3)),
                from: row
                    .get::<_, Option<String>>(4)
                    .as_deref()
                    .and_then(RequestState::from_code),
                to: RequestState::from_code(row.get::<_, &str>(5))
                    .unwrap_or(RequestState::Submitted),
                comment: row.get(6),
            };
            out.entry(row.get(0)).or_default().push(entry);
        }
        Ok(out)
    }
}
