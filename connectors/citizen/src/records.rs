//! Records of the citizen store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shahr_domain::vocabulary::RequestState;
use tokio_postgres::Row;

/// A document a service asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredDocument {
    /// Stable code.
    pub code: String,
    /// Persian name.
    pub name_fa: String,
    /// Whether the request can proceed without it.
    pub required: bool,
    /// Largest accepted file.
    pub max_bytes: i64,
    /// Accepted media types.
    pub content_types: Vec<String>,
}

/// A service of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Stable code, e.g. `building_permit_new`.
    pub code: String,
    /// Persian name.
    pub name_fa: String,
    /// Persian description.
    pub description_fa: String,
    /// Workflow states, in order.
    pub steps: Vec<RequestState>,
    /// Documents asked for.
    pub required_documents: Vec<RequiredDocument>,
    /// Fixed fee in rials.
    pub fee_rials: i64,
    /// Fee per m² of land in rials.
    pub fee_per_m2_rials: i64,
    /// Service-level target per state, in hours.
    pub sla_hours: BTreeMap<RequestState, i64>,
    /// Offered at all.
    pub active: bool,
    /// Districts where it is enabled.
    pub districts: Vec<i16>,
}

pub(crate) fn service_from_row(row: &Row) -> Service {
    let steps: Vec<String> = row.get(3);
    let documents: serde_json::Value = row.get(4);
    let sla: serde_json::Value = row.get(7);
    let sla_hours = sla
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((RequestState::from_code(k)?, v.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    Service {
        code: row.get(0),
        name_fa: row.get(1),
        description_fa: row.get(2),
        steps: steps
            .iter()
            .filter_map(|s| RequestState::from_code(s))
            .collect(),
        required_documents: serde_json::from_value(documents).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable required_documents in the catalogue");
            Vec::new()
        }),
        fee_rials: row.get(5),
        fee_per_m2_rials: row.get(6),
        sla_hours,
        active: row.get(8),
        districts: row.get(9),
    }
}

/// A request to file.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The service.
    pub service_code: String,
    /// The parcel's canonical renovation code.
    pub renovation_code: String,
    /// The parcel's district.
    pub district: i16,
    /// The citizen's national id.
    pub citizen_national_id: String,
    /// Form answers.
    pub form: serde_json::Value,
    /// Idempotency key, if the client sent one.
    pub idempotency_key: Option<String>,
}

/// A filed request.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRequest {
    /// Row id.
    pub id: i64,
    /// The code the citizen quotes.
    pub tracking_code: String,
    /// The citizen's national id.
    pub citizen_national_id: String,
    /// The parcel's renovation code.
    pub renovation_code: String,
    /// The parcel's district.
    pub district: i16,
    /// The service.
    pub service_code: String,
    /// Form answers.
    pub form: serde_json::Value,
    /// Current state.
    pub state: RequestState,
    /// Staff member working on it.
    pub assigned_to: Option<String>,
    /// Computed fee.
    pub fee_rials: Option<i64>,
    /// Filed at.
    pub submitted_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Hash of the submitted payload.
    pub payload_hash: String,
    /// When it entered its current state (the step's SLA clock starts here).
    pub state_since: DateTime<Utc>,
}

pub(crate) fn request_from_row(row: &Row) -> ServiceRequest {
    ServiceRequest {
        id: row.get(0),
        tracking_code: row.get(1),
        citizen_national_id: row.get(2),
        renovation_code: row.get(3),
        district: row.get(4),
        service_code: row.get(5),
        form: row.get(6),
        state: RequestState::from_code(row.get::<_, &str>(7)).unwrap_or(RequestState::Submitted),
        assigned_to: row.get(8),
        fee_rials: row.get(9),
        submitted_at: row.get(10),
        updated_at: row.get(11),
        payload_hash: row.get(12),
        state_since: row.get(13),
    }
}

/// One state change of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (token subject).
    pub actor: String,
    /// In which role.
    pub role: String,
    /// From (none for the submission).
    pub from: Option<RequestState>,
    /// To.
    pub to: RequestState,
    /// Comment or reason.
    pub comment: Option<String>,
}
