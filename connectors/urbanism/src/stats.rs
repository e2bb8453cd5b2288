//! Aggregates behind the dashboards: rulings by kind, state, district and commission, fines
//! imposed and collected, the time from session to issue and from issue to legal service, and
//! objections and appeal outcomes. One statement; the legacy tables' text dates and codes are
//! read by the `shahr.jalali_to_date` and `shahr.legacy_int` functions (migration 0005).

use chrono::NaiveDate;
use serde::Deserialize;
use shahr_domain::vocabulary::{AppealOutcome, RulingKind, RulingStatus};
use shahr_store::StoreError;

use chrono::{DateTime, Utc};

use crate::UrbanismDb;

/// Which rulings count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulingStatsFilter {
    /// Only parcels of this district.
    pub district: Option<i16>,
    /// Only rulings of this commission.
    pub commission: Option<i32>,
    /// Only rulings dated on or after this day (rulings with an unreadable date are left out
    /// when a range is given).
    pub from: Option<NaiveDate>,
    /// Only rulings dated on or before this day.
    pub to: Option<NaiveDate>,
}

/// A count under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count<K> {
    /// The key; `None` when the legacy value could not be read.
    pub key: Option<K>,
    /// How many.
    pub count: i64,
}

/// Median and 90th percentile of a duration, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Durations {
    /// How many rulings have the duration.
    pub count: i64,
    /// Median, seconds.
    pub median: Option<f64>,
    /// 90th percentile, seconds.
    pub p90: Option<f64>,
}

/// One Jalali month of the trend.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthStats {
    /// `1405/09`.
    pub month: String,
    /// Rulings dated in the month.
    pub rulings: i64,
    /// Time from issue to legal service of those rulings.
    pub issue_to_service: Durations,
    /// Time from session to issue of those rulings.
    pub session_to_issue: Durations,
}

/// The figures for a filter.
#[derive(Debug, Clone, PartialEq)]
pub struct RulingStats {
    /// Rulings counted.
    pub total: i64,
    /// By kind.
    pub by_kind: Vec<Count<RulingKind>>,
    /// By state.
    pub by_state: Vec<Count<RulingStatus>>,
    /// By district (1-10).
    pub by_district: Vec<Count<i16>>,
    /// By commission id.
    pub by_commission: Vec<Count<i32>>,
    /// Fines imposed (fine rulings), rials.
    pub fines_imposed: i64,
    /// Fines collected, rials.
    pub fines_collected: i64,
    /// Session to issue.
    pub session_to_issue: Durations,
    /// Issue to legal service.
    pub issue_to_service: Durations,
    /// Rulings served.
    pub served: i64,
    /// Objections filed (in time and late).
    pub objections: i64,
    /// Objections filed within the window.
    pub objections_in_time: i64,
    /// Appeal rulings by outcome.
    pub appeal_outcomes: Vec<Count<AppealOutcome>>,
    /// By Jalali month of the ruling, oldest first.
    pub by_month: Vec<MonthStats>,
    /// When the read model was last brought up to date (`None`: not yet).
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct RawCount {
    key: Option<i64>,
    count: i64,
}

#[derive(Deserialize)]
struct RawOutcome {
    key: Option<String>,
    count: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    total: i64,
    by_kind: Option<Vec<RawCount>>,
    by_state: Option<Vec<RawCount>>,
    by_district: Option<Vec<RawCount>>,
    by_commission: Option<Vec<RawCount>>,
    fines_imposed: Option<i64>,
    fines_collected: Option<i64>,
    session_to_issue: Durations,
    issue_to_service: Durations,
    served: i64,
    objections: i64,
    objections_in_time: i64,
    appeal_outcomes: Option<Vec<RawOutcome>>,
    by_month: Option<Vec<MonthStats>>,
    refreshed_at: Option<DateTime<Utc>>,
}

/// Brings `shahr.ruling_facts` up to date with the legacy tables and our records, writing only
/// rows that changed. Exact times where the gateway issued the ruling (session opened → record
/// issued → first legal service recorded); days between the legacy record's dates otherwise (the
/// legacy system keeps dates only). A legacy appeal's session date is not kept (the case holds
/// the primary session's), so legacy appeals have no session-to-issue time; negative legacy gaps
/// (mistyped dates) are left out. Collected: payments recorded through the gateway; a legacy
/// fine ruling marked enforced with none recorded counts as collected in full.
const REFRESH_FACTS: &str = r#"
WITH legacy AS MATERIALIZED (
    SELECT r.id_ray, r.id_takhalof, r.id_commission,
           shahr.legacy_int(p.kod_mantaghe) AS district,
           shahr.legacy_int(r.noe_ray) AS kind,
           shahr.legacy_int(r.vaziat) AS state,
           shahr.legacy_int(r.marhaleh_ray) AS stage,
           r.mablagh_jarimeh AS fine,
           shahr.jalali_to_date(r.tarikh_ray) AS ruled_on,
           shahr.jalali_to_date(c.tarikh_jalaseh) AS session_on
    FROM tbl_ray r
    JOIN tbl_parvandeh_takhalof c ON c.id_takhalof = r.id_takhalof
    LEFT JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh
),
fresh AS (
    SELECT l.id_ray, l.id_takhalof, l.id_commission, l.district::int2, l.kind::int2, l.state::int2,
           l.stage::int2, l.fine::int8, l.ruled_on, shahr.jalali_month(l.ruled_on),
           COALESCE(extract(epoch FROM x.issued_at - x.opened_at)::float8,
                    CASE WHEN l.stage = 1 AND l.ruled_on >= l.session_on
                         THEN (l.ruled_on - l.session_on) * 86400.0 END),
           COALESCE(extract(epoch FROM x.served_at - x.issued_at)::float8,
                    CASE WHEN v.served_on >= l.ruled_on
                         THEN (v.served_on - l.ruled_on) * 86400.0 END),
           (x.served_at IS NOT NULL OR v.id_ray IS NOT NULL),
           CASE WHEN l.stage = 2 THEN COALESCE(x.outcome,
                CASE WHEN ov.id_takhalof IS NOT NULL THEN 'OVERTURN' ELSE 'CONFIRM' END) END,
           COALESCE(o.n, 0)::int4, COALESCE(o.in_time, 0)::int4,
           (CASE WHEN l.kind <> 2 THEN 0
                 WHEN pay.paid IS NOT NULL THEN pay.paid
                 WHEN l.state = 6 THEN COALESCE(l.fine, 0) ELSE 0 END)::int8
    FROM legacy l
    LEFT JOIN (SELECT DISTINCT id_takhalof FROM legacy WHERE stage = 1 AND state = 7) ov
           ON ov.id_takhalof = l.id_takhalof
    LEFT JOIN (SELECT e.id_ray, min(shahr.jalali_to_date(e.tarikh_eblagh)) AS served_on
               FROM tbl_eblagh e GROUP BY e.id_ray) v ON v.id_ray = l.id_ray
    LEFT JOIN (SELECT id_ray, count(*) AS n,
                      count(*) FILTER (WHERE shahr.legacy_int(dar_mohlat) = 1) AS in_time
               FROM tbl_eteraz GROUP BY id_ray) o ON o.id_ray = l.id_ray
    LEFT JOIN (SELECT legacy_ruling_id, sum(amount_rials) AS paid
               FROM shahr.fine_payments GROUP BY legacy_ruling_id) pay ON pay.legacy_ruling_id = l.id_ray
    LEFT JOIN (
        SELECT ir.legacy_ruling_id, ir.issued_at, cs.opened_at,
               (SELECT min(st.at) FROM shahr.ruling_states st
                 WHERE st.state = 'NOTIFIED' AND st.issued_ruling_id = ir.id) AS served_at,
               rd.content->>'appealOutcome' AS outcome
        FROM shahr.issued_rulings ir
        LEFT JOIN shahr.ruling_drafts rd ON rd.issued_ruling_id = ir.id
        LEFT JOIN shahr.commission_sessions cs ON cs.id = rd.session_id
    ) x ON x.legacy_ruling_id = l.id_ray
),
gone AS (
    DELETE FROM shahr.ruling_facts f
    WHERE NOT EXISTS (SELECT 1 FROM tbl_ray r WHERE r.id_ray = f.ruling_id)
    RETURNING 1
),
written AS (
    INSERT INTO shahr.ruling_facts AS f (ruling_id, case_id, commission_id, district, kind, state,
        stage, fine_rials, ruled_on, ruled_month, session_to_issue_s, issue_to_service_s, served,
        appeal_outcome, objections, objections_in_time, collected_rials)
    SELECT * FROM fresh
    ON CONFLICT (ruling_id) DO UPDATE SET
        case_id = excluded.case_id, commission_id = excluded.commission_id,
        district = excluded.district, kind = excluded.kind, state = excluded.state,
        stage = excluded.stage, fine_rials = excluded.fine_rials, ruled_on = excluded.ruled_on,
        ruled_month = excluded.ruled_month,
        session_to_issue_s = excluded.session_to_issue_s,
        issue_to_service_s = excluded.issue_to_service_s, served = excluded.served,
        appeal_outcome = excluded.appeal_outcome, objections = excluded.objections,
        objections_in_time = excluded.objections_in_time,
        collected_rials = excluded.collected_rials
    WHERE (f.case_id, f.commission_id, f.district, f.kind, f.state, f.stage, f.fine_rials,
           f.ruled_on, f.ruled_month, f.session_to_issue_s, f.issue_to_service_s, f.served, f.appeal_outcome,
           f.objections, f.objections_in_time, f.collected_rials)
          IS DISTINCT FROM
          (excluded.case_id, excluded.commission_id, excluded.district, excluded.kind,
           excluded.state, excluded.stage, excluded.fine_rials, excluded.ruled_on, excluded.ruled_month,
           excluded.session_to_issue_s, excluded.issue_to_service_s, excluded.served,
           excluded.appeal_outcome, excluded.objections, excluded.objections_in_time,
           excluded.collected_rials)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM gone)
"#;

/// The figures, from the read model.
const RULING_STATS: &str = r#"
WITH facts AS MATERIALIZED (
    SELECT * FROM shahr.ruling_facts
    WHERE ($1::int2 IS NULL OR district = $1)
      AND ($2::int4 IS NULL OR commission_id = $2)
      AND ($3::date IS NULL OR ruled_on >= $3)
      AND ($4::date IS NULL OR ruled_on <= $4)
)
SELECT json_build_object(
    'total', (SELECT count(*) FROM facts),
    'byKind', (SELECT json_agg(json_build_object('key', kind, 'count', n) ORDER BY kind)
               FROM (SELECT kind, count(*) AS n FROM facts GROUP BY kind) t),
    'byState', (SELECT json_agg(json_build_object('key', state, 'count', n) ORDER BY state)
                FROM (SELECT state, count(*) AS n FROM facts GROUP BY state) t),
    'byDistrict', (SELECT json_agg(json_build_object('key', district, 'count', n) ORDER BY district)
                   FROM (SELECT district, count(*) AS n FROM facts GROUP BY district) t),
    'byCommission', (SELECT json_agg(json_build_object('key', commission_id, 'count', n) ORDER BY commission_id)
                     FROM (SELECT commission_id, count(*) AS n FROM facts GROUP BY commission_id) t),
    'finesImposed', (SELECT sum(fine_rials)::int8 FROM facts WHERE kind = 2),
    'finesCollected', (SELECT sum(collected_rials)::int8 FROM facts),
    'sessionToIssue', (SELECT json_build_object('count', count(session_to_issue_s),
            'median', percentile_cont(0.5) WITHIN GROUP (ORDER BY session_to_issue_s),
            'p90', percentile_cont(0.9) WITHIN GROUP (ORDER BY session_to_issue_s)) FROM facts),
    'issueToService', (SELECT json_build_object('count', count(issue_to_service_s),
            'median', percentile_cont(0.5) WITHIN GROUP (ORDER BY issue_to_service_s),
            'p90', percentile_cont(0.9) WITHIN GROUP (ORDER BY issue_to_service_s)) FROM facts),
    'served', (SELECT count(*) FROM facts WHERE served),
    'objections', (SELECT COALESCE(sum(objections), 0)::int8 FROM facts),
    'objectionsInTime', (SELECT COALESCE(sum(objections_in_time), 0)::int8 FROM facts),
    'appealOutcomes', (SELECT json_agg(json_build_object('key', appeal_outcome, 'count', n) ORDER BY appeal_outcome)
                       FROM (SELECT appeal_outcome, count(*) AS n FROM facts WHERE stage = 2
                             GROUP BY appeal_outcome) t),
    'byMonth', (
        SELECT json_agg(json_build_object('month', month, 'rulings', n,
                   'issueToService', json_build_object('count', its_n, 'median', its_m, 'p90', its_p),
                   'sessionToIssue', json_build_object('count', sti_n, 'median', sti_m, 'p90', sti_p))
               ORDER BY month)
        FROM (SELECT ruled_month AS month, count(*) AS n,
                     count(issue_to_service_s) AS its_n,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY issue_to_service_s) AS its_m,
                     percentile_cont(0.9) WITHIN GROUP (ORDER BY issue_to_service_s) AS its_p,
                     count(session_to_issue_s) AS sti_n,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY session_to_issue_s) AS sti_m,
                     percentile_cont(0.9) WITHIN GROUP (ORDER BY session_to_issue_s) AS sti_p
              FROM facts WHERE ruled_month IS NOT NULL
              GROUP BY 1) t),
    'refreshedAt', (SELECT refreshed_at FROM shahr.ruling_facts_refreshed)
)
"#;

/// The advisory lock that lets one instance refresh at a time ("SHAHR" "F").
const REFRESH_LOCK: i64 = 0x5348_4148_5246;

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Rows written (new or changed).
    pub written: i64,
    /// Rows removed (their legacy ruling is gone).
    pub removed: i64,
    /// How long it took, milliseconds.
    pub took_ms: i64,
}

impl UrbanismDb {
    /// The figures for `filter`. Who may see which district is the caller's business. One
    /// statement, on the read model.
    #[tracing::instrument(name = "urbanism.ruling_stats", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn ruling_stats(
        &self,
        filter: &RulingStatsFilter,
    ) -> Result<RulingStats, StoreError> {
        let rows = self
            .rows(
                RULING_STATS,
                &[
                    &filter.district,
                    &filter.commission,
                    &filter.from,
                    &filter.to,
                ],
            )
            .await?;
        let json: serde_json::Value = rows
            .first()
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::Data("ruling statistics returned no row".into()))?;
        let raw: Raw = serde_json::from_value(json)
            .map_err(|e| StoreError::Data(format!("ruling statistics: {e}")))?;
        Ok(RulingStats::from_raw(raw))
    }
}

impl UrbanismDb {
    /// Brings the dashboards' read model up to date, in one transaction, writing only rows that
    /// changed. Instances refreshing at the same moment take turns (a transaction-level advisory
    /// lock); `None` when another instance is refreshing right now.
    #[tracing::instrument(name = "urbanism.refresh_ruling_facts", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn refresh_ruling_facts(&self) -> Result<Option<Refreshed>, StoreError> {
        let started = std::time::Instant::now();
        let mut client = self.pool().get().await?;
        let tx = client.transaction().await?;
        let locked: bool = tx
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&REFRESH_LOCK])
            .await?
            .get(0);
        if !locked {
            return Ok(None);
        }
        // JIT compilation would cost this statement several times its run time.
        tx.batch_execute("SET LOCAL jit = off").await?;
        let row = tx.query_one(REFRESH_FACTS, &[]).await?;
        let took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO shahr.ruling_facts_refreshed (only_row, refreshed_at, took_ms) \
             VALUES (true, now(), $1) \
             ON CONFLICT (only_row) DO UPDATE SET refreshed_at = now(), took_ms = excluded.took_ms",
            &[&i32::try_from(took_ms).unwrap_or(i32::MAX)],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Refreshed {
            written: row.get(0),
            removed: row.get(1),
            took_ms,
        }))
    }
}

fn counts<K>(raw: Option<Vec<RawCount>>, key: impl Fn(i64) -> Option<K>) -> Vec<Count<K>> {
    raw.unwrap_or_default()
        .into_iter()
        .map(|c| Count {
            key: c.key.and_then(&key),
            count: c.count,
        })
        .collect()
}

/// Merges counts whose keys read the same (two unreadable codes are one "unknown").
fn merged<K: PartialEq>(list: Vec<Count<K>>) -> Vec<Count<K>> {
    let mut out: Vec<Count<K>> = Vec::with_capacity(list.len());
    for c in list {
        match out.iter_mut().find(|o| o.key == c.key) {
            Some(o) => o.count += c.count,
            None => out.push(c),
        }
    }
    out
}

impl RulingStats {
    fn from_raw(raw: Raw) -> Self {
        let code = |k: i64| u32::try_from(k).ok();
        Self {
            total: raw.total,
            by_kind: merged(counts(raw.by_kind, |k| {
                code(k).and_then(|c| crate::codes::RULING_KIND.decode(c))
            })),
            by_state: merged(counts(raw.by_state, |k| {
                code(k).and_then(|c| crate::codes::RULING_STATUS.decode(c))
            })),
            by_district: merged(counts(raw.by_district, |k| i16::try_from(k).ok())),
            by_commission: merged(counts(raw.by_commission, |k| i32::try_from(k).ok())),
            fines_imposed: raw.fines_imposed.unwrap_or(0),
            fines_collected: raw.fines_collected.unwrap_or(0),
            session_to_issue: raw.session_to_issue,
            issue_to_service: raw.issue_to_service,
            served: raw.served,
            objections: raw.objections,
            objections_in_time: raw.objections_in_time,
            appeal_outcomes: merged(
                raw.appeal_outcomes
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| Count {
                        key: c.key.and_then(|k| {
                            serde_json::from_value(serde_json::Value::String(k)).ok()
                        }),
                        count: c.count,
                    })
                    .collect(),
            ),
            by_month: raw.by_month.unwrap_or_default(),
            as_of: raw.refreshed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    /// The year starts in migration 0005 are the gateway's own calendar's.
    #[test]
    fn the_sql_calendar_agrees_with_the_domain_calendar() {
        let list: Vec<String> = (1300..=1500)
            .map(|y| {
                shahr_domain::jalali::JalaliDate::new(y, 1, 1)
                    .expect("1 Farvardin")
                    .to_gregorian()
                    .to_string()
            })
            .collect();
        let expected = format!("'{{{}}}'::date[]", list.join(","));
        let migration = include_str!("../migrations/0005_dashboards.sql");
        assert!(
            migration.contains(&expected),
            "shahr.jalali_year_start must list 1 Farvardin of 1300-1500: {expected}"
        );
    }
}
