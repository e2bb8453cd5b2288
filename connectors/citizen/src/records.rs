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

/// A catalogue row as a service; a workflow or SLA naming an unknown step, an unusable
/// workflow or unreadable documents are errors naming the service, never dropped.
pub(crate) fn service_from_row(row: &Row) -> Result<Service, String> {
    let code: String = row.get(0);
    let problem = |what: String| format!("catalogue service `{code}`: {what}");
    let steps: Vec<String> = row.get(3);
    let steps =
        shahr_domain::requests::parse_workflow(&steps).map_err(|e| problem(e.to_string()))?;
    let documents: serde_json::Value = row.get(4);
    let sla: serde_json::Value = row.get(7);
    let sla_hours = match sla.as_object() {
        Some(m) => m
            .iter()
            .map(|(k, v)| {
                let state = RequestState::from_code(k)
                    .ok_or_else(|| problem(format!("SLA for unknown step `{k}`")))?;
                let hours = v.as_i64().filter(|h| *h > 0).ok_or_else(|| {
                    problem(format!("SLA of {k} is not a positive number of hours"))
                })?;
                Ok((state, hours))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?,
        None => BTreeMap::new(),
    };
    Ok(Service {
        name_fa: row.get(1),
        description_fa: row.get(2),
        steps,
        required_documents: serde_json::from_value(documents)
            .map_err(|e| problem(format!("unreadable required_documents: {e}")))?,
        fee_rials: row.get(5),
        fee_per_m2_rials: row.get(6),
        sla_hours,
        active: row.get(8),
        districts: row.get(9),
        code,
    })
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
    /// When it entered its current state.
    pub state_since: DateTime<Utc>,
    /// The payment recorded when it was marked paid: reference, rials and when.
    pub payment: Option<(String, i64, DateTime<Utc>)>,
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
        payment: match (
            row.get::<_, Option<String>>(14),
            row.get::<_, Option<i64>>(15),
            row.get::<_, Option<DateTime<Utc>>>(16),
        ) {
            (Some(reference), Some(rials), Some(at)) => Some((reference, rials, at)),
            _ => None,
        },
    }
}

/// One state change of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (token subject).
    pub actor: String,
    /// In which capacity (`None`: a name this version does not know).
    pub role: Option<shahr_domain::actors::Capacity>,
    /// From (none for the submission).
    pub from: Option<RequestState>,
    /// To.
    pub to: RequestState,
    /// Comment or reason.
    pub comment: Option<String>,
}
