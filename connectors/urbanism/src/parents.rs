//! Records that hang off another (a parcel's permits, a ruling's service records, a case's
//! items, ...) are read and shown through their parent; finding one by its own id starts
//! from the parent it belongs to, so that the parent's visibility decides.

use shahr_store::StoreError;

use crate::UrbanismDb;

/// A kind of record that belongs to a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// A building permit, of a parcel.
    Permit,
    /// A certificate, of a parcel.
    Certificate,
    /// A service record (eblagh), of a ruling.
    Notification,
    /// An objection, of a ruling.
    Objection,
    /// An enforcement step, of a ruling.
    Enforcement,
    /// A payment of a fine, of a ruling.
    FinePayment,
    /// A member's seat, of a commission.
    CommissionMember,
    /// A violation item, of a case.
    ViolationItem,
    /// A defence, of a case.
    Defence,
}

impl Child {
    /// The statement reading the parent's id from the child's.
    fn sql(self) -> &'static str {
        match self {
            Child::Permit => {
                "SELECT id_parvandeh::int8 FROM tbl_parvaneh WHERE id_parvaneh = $1::int8"
            }
            Child::Certificate => {
                "SELECT id_parvandeh::int8 FROM tbl_govahi WHERE id_govahi = $1::int8"
            }
            Child::Notification => "SELECT id_ray::int8 FROM tbl_eblagh WHERE id_eblagh = $1::int8",
            Child::Objection => "SELECT id_ray::int8 FROM tbl_eteraz WHERE id_eteraz = $1::int8",
            Child::Enforcement => {
                "SELECT legacy_ruling_id::int8 FROM shahr.enforcements WHERE id = $1::int8"
            }
            Child::FinePayment => {
                "SELECT legacy_ruling_id::int8 FROM shahr.fine_payments WHERE id = $1::int8"
            }
            Child::CommissionMember => {
                "SELECT id_commission::int8 FROM tbl_ozv_commission WHERE id_ozv = $1::int8"
            }
            Child::ViolationItem => {
                "SELECT id_takhalof::int8 FROM tbl_aqlam_takhalof WHERE id_qalam = $1::int8"
            }
            Child::Defence => "SELECT case_id::int8 FROM shahr.defences WHERE id = $1::int8",
        }
    }
}

impl UrbanismDb {
    /// The id of the parent of `child` record `id`, if it exists. The caller decides whether
    /// the viewer may see that parent before showing anything of the child.
    #[tracing::instrument(name = "urbanism.parent_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parent_of(&self, child: Child, id: i64) -> Result<Option<i64>, StoreError> {
        let client = self.pool().get().await?;
        let row = client.query_opt(child.sql(), &[&id]).await?;
        Ok(row.and_then(|r| r.get::<_, Option<i64>>(0)))
    }
}
