//! Aggregates behind the dashboards: service requests by service, state and district, and
//! each workflow step's handling time against its SLA. One statement over our own tables
//! (`shahr.requests`, and `shahr.request_steps`, which a trigger keeps from the history),
//! whose timestamps are exact.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shahr_domain::vocabulary::RequestState;
use shahr_store::StoreError;

use crate::CitizenDb;

/// Which requests count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestStatsFilter {
    /// Only this district.
    pub district: Option<i16>,
    /// Only this service (its code).
    pub service: Option<String>,
    /// Only requests submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only requests submitted before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// Requests of one service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCount {
    /// Service code.
    pub code: String,
    /// Its Persian name.
    pub name_fa: String,
    /// How many.
    pub count: i64,
}

/// A count under a key; `None` when the stored value is not one we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count<K> {
    /// The key.
    pub key: Option<K>,
    /// How many.
    pub count: i64,
}

/// One workflow step across the requests counted.
#[derive(Debug, Clone, PartialEq)]
pub struct StepStats {
    /// The state the step is spent in.
    pub state: Option<RequestState>,
    /// Times the step was completed (the request moved on).
    pub handled: i64,
    /// Median time to complete it, seconds.
    pub median_seconds: Option<f64>,
    /// 90th percentile, seconds.
    pub p90_seconds: Option<f64>,
    /// Completed after its SLA.
    pub breached: i64,
    /// Requests in the step now.
    pub open: i64,
    /// Requests in the step now and past its SLA.
    pub overdue: i64,
}

/// The figures for a filter.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestStats {
    /// Requests counted.
    pub total: i64,
    /// By service, most requested first.
    pub by_service: Vec<ServiceCount>,
    /// By current state.
    pub by_state: Vec<Count<RequestState>>,
    /// By district.
    pub by_district: Vec<Count<i16>>,
    /// Per workflow step, in workflow order.
    pub steps: Vec<StepStats>,
    /// Steps completed after their SLA, plus steps open past it.
    pub sla_breaches: i64,
    /// Steps with an SLA that were completed within it.
    pub handled_in_time: i64,
    /// Fees collected on the requests counted: every recorded payment (online, and by hand
    /// once confirmed), in rials.
    pub fees_collected: i64,
    /// The part of it paid online through the payment gateway.
    pub fees_collected_online: i64,
}

#[derive(Deserialize)]
struct RawCount {
    key: Option<serde_json::Value>,
    count: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStep {
    state: String,
    handled: i64,
    median: Option<f64>,
    p90: Option<f64>,
    breached: i64,
    open: i64,
    overdue: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    total: i64,
    by_service: Option<Vec<ServiceCount>>,
    by_state: Option<Vec<RawCount>>,
    by_district: Option<Vec<RawCount>>,
    steps: Option<Vec<RawStep>>,
    handled_in_time: i64,
    fees_collected: i64,
    fees_collected_online: i64,
}

const REQUEST_STATS: &str = r#"
WITH r AS MATERIALIZED (
    SELECT id, service_code, state, district FROM shahr.requests
    WHERE ($1::int2 IS NULL OR district = $1)
      AND ($2::text IS NULL OR service_code = $2)
      AND ($3::timestamptz IS NULL OR submitted_at >= $3)
      AND ($4::timestamptz IS NULL OR submitted_at < $4)
),
steps AS NOT MATERIALIZED (
    SELECT state, left_at, sla_seconds AS sla,
           -- date_part gives float8 directly; extract() goes through numeric.
           date_part('epoch', COALESCE(left_at, now()) - entered_at) AS secs
    FROM shahr.request_steps
    WHERE ($1::int2 IS NULL OR district = $1)
      AND ($2::text IS NULL OR service_code = $2)
      AND ($3::timestamptz IS NULL OR submitted_at >= $3)
      AND ($4::timestamptz IS NULL OR submitted_at < $4)
),
counts AS (
    SELECT state,
           count(left_at) AS handled,
           count(*) FILTER (WHERE left_at IS NOT NULL AND secs > sla) AS breached,
           count(*) FILTER (WHERE left_at IS NULL) AS open,
           count(*) FILTER (WHERE left_at IS NULL AND secs > sla) AS overdue,
           count(*) FILTER (WHERE left_at IS NOT NULL AND secs <= sla) AS in_time
    FROM steps GROUP BY state
),
times AS (
    SELECT state,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90
    FROM steps WHERE left_at IS NOT NULL GROUP BY state
),
per_state AS (
    SELECT c.*, t.median, t.p90 FROM counts c LEFT JOIN times t USING (state)
)
SELECT json_build_object(
    'total', (SELECT count(*) FROM r),
    'byService', (SELECT json_agg(json_build_object('code', t.service_code, 'nameFa', s.name_fa, 'count', t.n)
                                  ORDER BY t.n DESC, t.service_code)
                  FROM (SELECT service_code, count(*) AS n FROM r GROUP BY 1) t
                  JOIN shahr.services s ON s.code = t.service_code),
    'byState', (SELECT json_agg(json_build_object('key', state, 'count', n) ORDER BY state)
                FROM (SELECT state, count(*) AS n FROM r GROUP BY 1) t),
    'byDistrict', (SELECT json_agg(json_build_object('key', district, 'count', n) ORDER BY district)
                   FROM (SELECT district, count(*) AS n FROM r GROUP BY 1) t),
    'steps', (SELECT json_agg(json_build_object('state', p.state, 'handled', p.handled, 'median', p.median,
                                                'p90', p.p90, 'breached', p.breached, 'open', p.open,
                                                'overdue', p.overdue)
                              ORDER BY (SELECT min(array_position(s.steps, p.state)) FROM shahr.services s), p.state)
              FROM per_state p),
    'handledInTime', (SELECT COALESCE(sum(in_time), 0)::int8 FROM per_state),
    'feesCollected', (SELECT COALESCE(sum(q.paid_rials), 0)::int8
                      FROM shahr.requests q JOIN r ON r.id = q.id WHERE q.paid_rials IS NOT NULL),
    'feesCollectedOnline', (SELECT COALESCE(sum(p.amount_rials), 0)::int8
                            FROM shahr.payments p JOIN r ON r.id = p.request_id WHERE p.state = 'SUCCEEDED')
)
"#;

impl CitizenDb {
    /// The figures for `filter`. Who may see which district is the caller's business. One
    /// statement.
    #[tracing::instrument(name = "citizen.request_stats", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn request_stats(
        &self,
        filter: &RequestStatsFilter,
    ) -> Result<RequestStats, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                REQUEST_STATS,
                &[
                    &filter.district,
                    &filter.service,
                    &filter.from,
                    &filter.until,
                ],
            )
            .await?;
        let json: serde_json::Value = row.get(0);
        let raw: Raw = serde_json::from_value(json)
            .map_err(|e| StoreError::Data(format!("request statistics: {e}")))?;
        Ok(RequestStats::from_raw(raw))
    }
}

fn state_of(code: &str) -> Option<RequestState> {
    RequestState::ALL
        .iter()
        .copied()
        .find(|s| s.as_code() == code)
}

impl RequestStats {
    fn from_raw(raw: Raw) -> Self {
        let steps: Vec<StepStats> = raw
            .steps
            .unwrap_or_default()
            .into_iter()
            .map(|s| StepStats {
                state: state_of(&s.state),
                handled: s.handled,
                median_seconds: s.median,
                p90_seconds: s.p90,
                breached: s.breached,
                open: s.open,
                overdue: s.overdue,
            })
            .collect();
        Self {
            total: raw.total,
            by_service: raw.by_service.unwrap_or_default(),
            by_state: raw
                .by_state
                .unwrap_or_default()
                .into_iter()
                .map(|c| Count {
                    key: c.key.as_ref().and_then(|k| k.as_str()).and_then(state_of),
                    count: c.count,
                })
                .collect(),
            by_district: raw
                .by_district
                .unwrap_or_default()
                .into_iter()
                .map(|c| Count {
                    key: c
                        .key
                        .as_ref()
                        .and_then(serde_json::Value::as_i64)
                        .and_then(|d| i16::try_from(d).ok()),
                    count: c.count,
                })
                .collect(),
            sla_breaches: steps.iter().map(|s| s.breached + s.overdue).sum(),
            handled_in_time: raw.handled_in_time,
            fees_collected: raw.fees_collected,
            fees_collected_online: raw.fees_collected_online,
            steps,
        }
    }
}
