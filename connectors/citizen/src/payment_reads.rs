//! Reading payments: a request's, a ruling's, a citizen's, a receipt's, and those
//! reconciliation takes.

use std::collections::HashMap;

use shahr_store::StoreError;

use crate::{
    payments::{payment_from_row, Payment, PAYMENT_COLUMNS, PAYMENT_FROM},
    CitizenDb,
};

impl CitizenDb {
    /// The payments of each request, oldest first; one statement.
    #[tracing::instrument(name = "citizen.payments_by_request", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payments_by_request(
        &self,
        request_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Payment>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.request_id = ANY($1) ORDER BY p.request_id, p.id"
                ),
                &[&request_ids],
            )
            .await?;
        let mut out: HashMap<i64, Vec<Payment>> = HashMap::new();
        for row in &rows {
            let p = payment_from_row(row);
            if let Some(id) = p.paid_for.request_id() {
                out.entry(id).or_default().push(p);
            }
        }
        Ok(out)
    }

    /// The online payments of each ruling's fine, oldest first; one statement.
    #[tracing::instrument(name = "citizen.payments_by_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payments_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Payment>>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.ruling_id = ANY($1) ORDER BY p.ruling_id, p.id"
                ),
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Payment>> = HashMap::new();
        for row in &rows {
            let p = payment_from_row(row);
            if let Some(id) = p.paid_for.ruling_id() {
                out.entry(id).or_default().push(p);
            }
        }
        Ok(out)
    }

    /// The payments of the requests a citizen filed and of the fines they paid, newest first.
    #[tracing::instrument(name = "citizen.payments_of_citizen", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payments_of_citizen(
        &self,
        national_id: &str,
        limit: i64,
    ) -> Result<Vec<Payment>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE r.citizen_national_id = $1 \
                     UNION ALL SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.payer_national_id = $1 AND p.request_id IS NULL \
                     ORDER BY 1 DESC LIMIT $2"
                ),
                &[&national_id, &limit],
            )
            .await?;
        Ok(rows.iter().map(payment_from_row).collect())
    }

    /// The paid payment whose receipt has this code.
    #[tracing::instrument(name = "citizen.payment_by_receipt", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn payment_by_receipt(&self, code: &str) -> Result<Option<Payment>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE p.receipt_code = $1 AND p.state = 'SUCCEEDED'"),
                &[&code],
            )
            .await?;
        Ok(row.as_ref().map(payment_from_row))
    }

    /// Payments to reconcile: those being verified and idle for longer than `idle` (a call
    /// timed out, a settled payment not yet recorded), and those still pending after
    /// `abandoned` (the citizen closed the browser, the callback never came).
    #[tracing::instrument(name = "citizen.unsettled_payments", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn unsettled_payments(
        &self,
        idle: std::time::Duration,
        abandoned: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<Payment>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {PAYMENT_COLUMNS}{PAYMENT_FROM} WHERE \
                     (p.state = 'VERIFYING' AND p.updated_at < now() - make_interval(secs => $1)) \
                     OR (p.state = 'PENDING' AND p.updated_at < now() - make_interval(secs => $2)) \
                     ORDER BY p.updated_at LIMIT $3"
                ),
                &[&idle.as_secs_f64(), &abandoned.as_secs_f64(), &limit],
            )
            .await?;
        Ok(rows.iter().map(payment_from_row).collect())
    }
}
