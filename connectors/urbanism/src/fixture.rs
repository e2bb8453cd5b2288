//! The imitation legacy schema and its demo data (development and tests only).

use shahr_store::StoreError;
use tokio_postgres::Client;

/// DDL of the imitation legacy tables.
pub const SCHEMA_SQL: &str = include_str!("../fixture/schema.sql");
/// Demo data: Tabriz's districts and, as the fixture grows, parcels, owners and cases.
pub const DATA_SQL: &str = include_str!("../fixture/data.sql");

/// True when the fixture's tables already exist in this database.
pub async fn is_loaded(client: &Client) -> Result<bool, StoreError> {
    let row = client
        .query_one("SELECT to_regclass('public.tbl_mantaghe') IS NOT NULL", &[])
        .await?;
    Ok(row.get(0))
}

/// Creates the fixture tables and loads the demo data in one transaction.
/// Returns false (and does nothing) when the fixture is already there.
pub async fn load(client: &mut Client) -> Result<bool, StoreError> {
    if is_loaded(client).await? {
        return Ok(false);
    }
    let tx = client.transaction().await?;
    tx.batch_execute(SCHEMA_SQL).await?;
    tx.batch_execute(DATA_SQL).await?;
    tx.commit().await?;
    Ok(true)
}
