//! The service catalogue: services, the districts they are offered in, and the check that
//! every workflow can be followed.

use super::*;

impl CitizenDb {
    pub(crate) fn service(row: &Row) -> Result<Service, StoreError> {
        records::service_from_row(row).map_err(StoreError::Data)
    }

    /// Active services, ordered for display; only those enabled in `district` when given.
    #[tracing::instrument(name = "citizen.services", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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
    #[tracing::instrument(name = "citizen.services_by_codes", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn services_by_codes(&self, codes: &[String]) -> Result<Vec<Service>, StoreError> {
        let client = self.pool.get().await?;
        services_in(&**client, codes).await
    }

    /// Reads the whole catalogue (inactive services too) and refuses it when any service's
    /// workflow, SLA or documents cannot be used, naming the service.
    #[tracing::instrument(name = "citizen.check_catalogue", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
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
}
