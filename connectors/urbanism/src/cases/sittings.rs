//! Commission sittings and their agendas, and the membership records appeals are checked
//! against.

use chrono::{DateTime, NaiveDate, Utc};
use shahr_domain::{
    identifiers::NationalId,
    vocabulary::{MemberRole, RulingStage},
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use super::wire_name;
use crate::{codes, UrbanismDb};

/// A sitting of a commission.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommissionSession {
    /// Row id.
    pub id: i64,
    /// The commission.
    pub commission_id: i32,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// Cases on its agenda.
    pub case_ids: Vec<i32>,
}

/// A member's seat and term as the urbanism system records it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberTerm {
    /// `tbl_ozv_commission.id_ozv`.
    pub member_id: i32,
    /// The commission.
    pub commission_id: i32,
    /// The member's national id, when readable.
    pub national_id: Option<NationalId>,
    /// The seat, when readable.
    pub seat: Option<MemberRole>,
    /// First day, when recorded.
    pub from: Option<NaiveDate>,
    /// Last day, when recorded.
    pub until: Option<NaiveDate>,
    /// The legacy active flag.
    pub active: bool,
}

/// The primary ruling an appeal is about, as the legacy row has it.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryRulingRow {
    /// `tbl_ray.id_ray`.
    pub ruling_id: i32,
    /// The commission that issued it.
    pub commission_id: Option<i32>,
    /// Its date.
    pub date: Option<NaiveDate>,
}

impl UrbanismDb {
    /// Opens a sitting; returns its id and opening time.
    #[tracing::instrument(name = "urbanism.insert_session", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_session(
        &self,
        tx: &impl GenericClient,
        commission_id: i32,
        stage: RulingStage,
        by: &str,
    ) -> Result<(i64, DateTime<Utc>), StoreError> {
        let row = tx
            .query_one(
                "INSERT INTO shahr.commission_sessions (commission_id, stage, opened_by) VALUES ($1, $2, $3) \
                 RETURNING id, opened_at",
                &[&commission_id, &wire_name(stage), &by],
            )
            .await?;
        Ok((row.get(0), row.get(1)))
    }

    /// Puts cases on a sitting's agenda; one statement.
    #[tracing::instrument(name = "urbanism.add_to_session", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn add_to_session(
        &self,
        tx: &impl GenericClient,
        session_id: i64,
        case_ids: &[i32],
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO shahr.session_cases (session_id, case_id) SELECT $1, unnest($2::int4[])",
            &[&session_id, &case_ids],
        )
        .await?;
        Ok(())
    }

    /// A sitting, read in the caller's transaction.
    #[tracing::instrument(name = "urbanism.session_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn session_in(
        &self,
        client: &impl GenericClient,
        session_id: i64,
    ) -> Result<Option<CommissionSession>, StoreError> {
        let Some(row) = client
            .query_opt(
                "SELECT s.id, s.commission_id, s.stage, s.opened_at, \
                 COALESCE(array_agg(c.case_id ORDER BY c.case_id) FILTER (WHERE c.case_id IS NOT NULL), '{}') \
                 FROM shahr.commission_sessions s LEFT JOIN shahr.session_cases c ON c.session_id = s.id \
                 WHERE s.id = $1 GROUP BY s.id",
                &[&session_id],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(CommissionSession {
            id: row.get(0),
            commission_id: row.get(1),
            stage: if row.get::<_, String>(2) == "APPEAL" {
                RulingStage::Appeal
            } else {
                RulingStage::Primary
            },
            opened_at: row.get(3),
            case_ids: row.get(4),
        }))
    }

    /// A sitting by id.
    #[tracing::instrument(name = "urbanism.session", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn session(&self, session_id: i64) -> Result<Option<CommissionSession>, StoreError> {
        let client = self.pool().get().await?;
        self.session_in(&**client, session_id).await
    }

    /// Every seat ever held on these commissions; one statement.
    #[tracing::instrument(name = "urbanism.member_terms", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn member_terms(
        &self,
        client: &impl GenericClient,
        commission_ids: &[i32],
    ) -> Result<Vec<MemberTerm>, StoreError> {
        let rows = client
            .query(
                "SELECT id_ozv, id_commission, kod_melli, semat, az_tarikh, ta_tarikh, faal \
                 FROM tbl_ozv_commission WHERE id_commission = ANY($1) ORDER BY id_commission, id_ozv",
                &[&commission_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: i32 = r.get(0);
                let reader = self.reader("tbl_ozv_commission", id);
                MemberTerm {
                    member_id: id,
                    commission_id: r.get(1),
                    national_id: reader.national_id("kod_melli", r.get(2)),
                    seat: reader.coded("semat", r.get(3), |c| codes::MEMBER_ROLE.decode(c)),
                    from: reader.date("az_tarikh", r.get(4)),
                    until: reader.date("ta_tarikh", r.get(5)),
                    active: r.get::<_, String>(6).trim() != "0",
                }
            })
            .collect())
    }

    /// The case's latest primary ruling that decided it (not an interim order), as the legacy
    /// row has it.
    #[tracing::instrument(name = "urbanism.primary_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn primary_ruling(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<Option<PrimaryRulingRow>, StoreError> {
        let row = client
            .query_opt(
                "SELECT id_ray, id_commission, tarikh_ray FROM tbl_ray WHERE id_takhalof = $1 \
                 AND marhaleh_ray = ANY($2) AND NOT (noe_ray = ANY($3)) ORDER BY id_ray DESC LIMIT 1",
                &[
                    &case_id,
                    &codes::RULING_STAGE.spellings(RulingStage::Primary),
                    &codes::RULING_KIND.spellings(shahr_domain::vocabulary::RulingKind::InterimOrder),
                ],
            )
            .await?;
        Ok(row.map(|r| {
            let id: i32 = r.get(0);
            PrimaryRulingRow {
                ruling_id: id,
                commission_id: r.get(1),
                date: self.reader("tbl_ray", id).date("tarikh_ray", r.get(2)),
            }
        }))
    }

    /// National ids of the members who signed the case's issued primary ruling through the
    /// gateway.
    #[tracing::instrument(name = "urbanism.primary_signers", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn primary_signers(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<Vec<NationalId>, StoreError> {
        let rows = client
            .query(
                "SELECT s.national_id FROM shahr.ruling_signatures s JOIN shahr.ruling_drafts d ON d.id = s.draft_id \
                 WHERE d.case_id = $1 AND d.issued_ruling_id IS NOT NULL AND d.content->>'stage' = 'PRIMARY'",
                &[&case_id],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| NationalId::parse(&r.get::<_, String>(0)).ok())
            .collect())
    }
}
