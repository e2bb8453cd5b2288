//! Reading requests: queues, a citizen's requests, a parcel's requests, histories.

use shahr_store::{Page, PageRequest};
use tokio_postgres::types::ToSql;

use super::*;

impl CitizenDb {
    /// A district's queue: requests in `state` (or in any open state), oldest first.
    #[tracing::instrument(name = "citizen.queue", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn queue(
        &self,
        district: i16,
        state: Option<RequestState>,
        page: PageRequest,
    ) -> Result<Page<ServiceRequest>, StoreError> {
        let states = queue_states(state);
        let head = format!(
            "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE district = $1 AND state = ANY($2)"
        );
        self.requests_page(
            &head,
            vec![Box::new(district), Box::new(states)],
            page,
            false,
        )
        .await
    }

    /// How many requests a queue holds.
    #[tracing::instrument(name = "citizen.queue_count", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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

    /// The request with this row id.
    #[tracing::instrument(name = "citizen.request_by_id", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn request_by_id(&self, id: i64) -> Result<Option<ServiceRequest>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE id = $1"),
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(records::request_from_row))
    }

    /// The request with this tracking code.
    #[tracing::instrument(name = "citizen.request_by_tracking_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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

    /// The requests with these tracking codes, by code; one statement.
    #[tracing::instrument(name = "citizen.requests_by_tracking_codes", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn requests_by_tracking_codes(
        &self,
        codes: &[String],
    ) -> Result<std::collections::HashMap<String, ServiceRequest>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE tracking_code = ANY($1)"
                ),
                &[&codes],
            )
            .await?;
        Ok(rows
            .iter()
            .map(records::request_from_row)
            .map(|r| (r.tracking_code.clone(), r))
            .collect())
    }

    /// A page of a citizen's requests, newest first.
    #[tracing::instrument(name = "citizen.requests_of_citizen", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn requests_of_citizen(
        &self,
        national_id: &str,
        page: PageRequest,
    ) -> Result<Page<ServiceRequest>, StoreError> {
        let head =
            format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE citizen_national_id = $1");
        self.requests_page(&head, vec![Box::new(national_id.to_owned())], page, true)
            .await
    }

    /// One page of requests: `head` (a `SELECT ... WHERE ...` over `shahr.requests` with
    /// `params` bound) in id order, descending when `newest_first`.
    async fn requests_page(
        &self,
        head: &str,
        mut params: Vec<Box<dyn ToSql + Sync + Send>>,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<ServiceRequest>, StoreError> {
        let tail = page.sql("id", newest_first, |v| {
            params.push(Box::new(v));
            format!("${}", params.len())
        });
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.pool.get().await?;
        let rows = client.query(&format!("{head}{tail}"), &refs).await?;
        Ok(page.page_of(rows, |r| Some(records::request_from_row(&r))))
    }

    /// How many requests a citizen has.
    #[tracing::instrument(name = "citizen.count_of_citizen", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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
    #[tracing::instrument(name = "citizen.requests_by_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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
    #[tracing::instrument(name = "citizen.history_by_request", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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
