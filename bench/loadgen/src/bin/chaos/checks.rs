//! After the run: what the stores hold against what the clients were told, and what the
//! subscribers received against the outbox.

use std::collections::HashSet;

use serde_json::{json, Value};
use tokio_postgres::Client;

use crate::workload::{Ledger, Subscriber};

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every case: one legacy ruling row, one signed record, one document and one
/// `ruling.issued` event when its issue was acknowledged; never more than one of anything,
/// and never some without the others.
pub async fn rulings(db: &Client, cases: &[i32], ledger: &Ledger) -> anyhow::Result<Value> {
    let rows = db
        .query(
            "SELECT c.id,
               (SELECT count(*) FROM tbl_ray r WHERE r.id_takhalof = c.id),
               (SELECT count(*) FROM shahr.issued_rulings i WHERE i.case_id = c.id),
               (SELECT count(*) FROM shahr.ruling_documents d JOIN shahr.issued_rulings i
                  ON i.id = d.issued_ruling_id WHERE i.case_id = c.id),
               (SELECT count(*) FROM shahr.outbox o WHERE o.topic = 'ruling.issued'
                  AND (o.payload->>'caseId')::int = c.id),
               (SELECT count(*) FROM shahr.hearings h WHERE h.case_id = c.id),
               (SELECT count(*) FROM shahr.services s WHERE s.case_id = c.id AND s.document = 'SUMMONS'),
               (SELECT count(*) FROM shahr.ruling_drafts d WHERE d.case_id = c.id),
               (SELECT count(*) FROM shahr.case_events e WHERE e.case_id = c.id AND e.event = 'Refer')
             FROM unnest($1::int[]) c(id)",
            &[&cases],
        )
        .await?;
    let issued = lock(&ledger.issued).clone();
    let (mut lost, mut duplicated, mut half_written, mut complete) = (0, 0, 0, 0);
    let mut examples = Vec::new();
    for row in &rows {
        let case: i32 = row.get(0);
        let counts: Vec<i64> = (1..=8).map(|i| row.get(i)).collect();
        let written = &counts[..4];
        if counts.iter().any(|n| *n > 1) {
            duplicated += 1;
            examples.push(json!({ "case": case, "counts": counts }));
        }
        if written.iter().any(|n| *n != written[0]) {
            half_written += 1;
            examples.push(json!({ "case": case, "counts": counts }));
        }
        if issued.contains_key(&case) && written.contains(&0) {
            lost += 1;
            examples.push(json!({ "case": case, "counts": counts, "acknowledged": true }));
        }
        if written.iter().all(|n| *n == 1) {
            complete += 1;
        }
    }
    examples.truncate(5);
    Ok(json!({
        "cases": cases.len(), "acknowledged": issued.len(), "issued_in_store": complete,
        "gave_up": lock(&ledger.rulings_gave_up).len(),
        "lost": lost, "duplicated": duplicated, "half_written": half_written, "examples": examples,
    }))
}

/// Every acknowledged submission is there once; every request moved exactly as many times as
/// acknowledged (one more at most when the last move's answer never came); one payment per
/// paid request.
pub async fn requests(db: &Client, ledger: &Ledger) -> anyhow::Result<Value> {
    let rows = db
        .query(
            "SELECT r.tracking_code, r.idempotency_key, r.state, r.payment_reference,
                    (SELECT count(*) FROM shahr.request_history h WHERE h.request_id = r.id)
             FROM shahr.requests r WHERE r.idempotency_key LIKE 'chaos-req-%'",
            &[],
        )
        .await?;
    let submitted = lock(&ledger.submitted).clone();
    let moves = lock(&ledger.moves).clone();
    let unsure: HashSet<String> = lock(&ledger.move_unsure).iter().cloned().collect();
    let mut by_code = std::collections::HashMap::new();
    let mut keys = HashSet::new();
    let mut duplicated = 0;
    for row in &rows {
        let code: String = row.get(0);
        let key: String = row.get(1);
        if !keys.insert(key) {
            duplicated += 1;
        }
        let history: i64 = row.get(4);
        let paid: Option<String> = row.get(3);
        let state: String = row.get(2);
        by_code.insert(code, (history, paid, state));
    }
    let (mut lost, mut moves_lost, mut moves_duplicated, mut paid) = (0, 0, 0, 0);
    let mut examples = Vec::new();
    for code in submitted.values() {
        let Some((history, reference, state)) = by_code.get(code) else {
            lost += 1;
            continue;
        };
        let applied = history - 1;
        let acked = i64::from(moves.get(code).copied().unwrap_or(0));
        let slack = i64::from(unsure.contains(code));
        if applied < acked {
            moves_lost += 1;
            examples.push(json!({ "code": code, "applied": applied, "acknowledged": acked }));
        }
        if applied > acked + slack {
            moves_duplicated += 1;
            examples.push(json!({ "code": code, "applied": applied, "acknowledged": acked }));
        }
        if state == "PAID" {
            paid += 1;
            if reference.is_none() {
                moves_lost += 1;
            }
        }
    }
    examples.truncate(5);
    Ok(json!({
        "acknowledged": submitted.len(), "in_store": rows.len(),
        "gave_up": ledger.submits_gave_up.load(std::sync::atomic::Ordering::Relaxed),
        "lost": lost, "duplicated": duplicated,
        "moves_acknowledged": moves.values().map(|n| u64::from(*n)).sum::<u64>(),
        "moves_lost": moves_lost, "moves_duplicated": moves_duplicated,
        "paid": paid, "examples": examples,
    }))
}

/// The ids of the relayed events of `topic_like`, in the bus's order.
pub async fn expected_events(db: &Client, topic_like: &str) -> anyhow::Result<Vec<String>> {
    Ok(db
        .query(
            "SELECT event_id FROM shahr.outbox WHERE topic LIKE $1 AND event_id IS NOT NULL
             ORDER BY split_part(event_id, '-', 1)::bigint, split_part(event_id, '-', 2)::bigint",
            &[&topic_like],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Rows of the outbox not yet relayed.
pub async fn unrelayed(db: &Client) -> anyhow::Result<i64> {
    Ok(db
        .query_one(
            "SELECT count(*) FROM shahr.outbox WHERE relayed_at IS NULL",
            &[],
        )
        .await?
        .get(0))
}

fn order_key(id: &str) -> (i64, i64) {
    let mut parts = id.split('-').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// One subscriber against its scope: missing, duplicated, out of order, unexpected.
pub fn subscriber(sub: &Subscriber, expected: &[String]) -> Value {
    let received = lock(&sub.received).clone();
    let unique: HashSet<&String> = received.iter().collect();
    let wanted: HashSet<&String> = expected.iter().collect();
    let missing = expected.iter().filter(|e| !unique.contains(e)).count();
    let unexpected = unique.iter().filter(|e| !wanted.contains(*e)).count();
    let out_of_order = received
        .windows(2)
        .filter(|w| order_key(&w[0]) >= order_key(&w[1]))
        .count();
    json!({
        "name": sub.name, "expected": expected.len(), "received": received.len(),
        "missing": missing, "duplicated": received.len() - unique.len(),
        "out_of_order": out_of_order, "unexpected": unexpected,
        "reconnects": sub.reconnects.load(std::sync::atomic::Ordering::Relaxed),
    })
}
