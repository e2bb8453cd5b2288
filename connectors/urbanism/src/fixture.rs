//! The imitation legacy schema and its demo data (development and tests only).

use shahr_store::StoreError;
use tokio_postgres::Client;

/// DDL of the imitation legacy tables.
pub const SCHEMA_SQL: &str = include_str!("../fixture/schema.sql");
/// Reference data: districts, land-use codes, commissions and members.
pub const REFERENCE_SQL: &str = include_str!("../fixture/reference.sql");
/// Sample files, one per legacy quirk, that tests assert on.
pub const SAMPLES_SQL: &str = include_str!("../fixture/samples.sql");

/// True when the fixture's tables already exist in this database.
pub async fn is_loaded(client: &Client) -> Result<bool, StoreError> {
    let row = client
        .query_one("SELECT to_regclass('public.tbl_mantaghe') IS NOT NULL", &[])
        .await?;
    Ok(row.get(0))
}

/// The fixture's tables, for `reset`.
const TABLES: &[&str] = &[
    "tbl_mantaghe",
    "tbl_karbari",
    "tbl_parvandeh",
    "tbl_malek",
    "tbl_malekiat",
    "tbl_parvaneh",
    "tbl_govahi",
    "tbl_arzesh_moamelati",
    "tbl_arzesh_sarqofli",
    "tbl_commission",
    "tbl_ozv_commission",
    "tbl_parvandeh_takhalof",
    "tbl_aqlam_takhalof",
    "tbl_ray",
    "tbl_eblagh",
    "tbl_eteraz",
];

/// Drops the fixture's tables (development databases only; never our `shahr` schema).
pub async fn reset(client: &Client) -> Result<(), StoreError> {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {} CASCADE",
            TABLES.join(", ")
        ))
        .await?;
    Ok(())
}

/// Parcels in the database (to tell a generated city from the samples alone).
pub async fn parcel_count(client: &Client) -> Result<i64, StoreError> {
    Ok(client
        .query_one("SELECT count(*) FROM tbl_parvandeh", &[])
        .await?
        .get(0))
}

/// Creates the fixture tables and loads the demo data in one transaction.
/// Returns false (and does nothing) when the fixture is already there.
pub async fn load(client: &mut Client) -> Result<bool, StoreError> {
    if is_loaded(client).await? {
        return Ok(false);
    }
    let tx = client.transaction().await?;
    tx.batch_execute(SCHEMA_SQL).await?;
    tx.batch_execute(REFERENCE_SQL).await?;
    tx.batch_execute(SAMPLES_SQL).await?;
    tx.commit().await?;
    Ok(true)
}
