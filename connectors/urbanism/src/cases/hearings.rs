//! Hearings (the commission and session date set for a case) and the owners' defences.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shahr_store::StoreError;
use tokio_postgres::{GenericClient, Row};

use crate::{records::Commission, UrbanismDb};

/// A hearing: the commission and the session date. The owners' defence windows run from the
/// service of their summonses (see [`super::service`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hearing {
    /// Row id; the id of its summons as a document.
    pub id: i64,
    /// The case.
    pub case_id: i32,
    /// The commission.
    pub commission_id: i32,
    /// The session date.
    pub session_on: NaiveDate,
    /// When it was scheduled.
    pub scheduled_at: DateTime<Utc>,
}

/// An owner's defence on file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Defence {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i32,
    /// The statement.
    pub statement: String,
    /// True when the owner filed it themself; false when the secretariat filed it for them.
    pub by_owner: bool,
    /// Filed after the owner's window closed (kept, flagged).
    pub late: bool,
    /// When.
    pub filed_at: DateTime<Utc>,
}

/// A defence to record.
#[derive(Debug, Clone)]
pub struct NewDefence<'a> {
    /// The case.
    pub case_id: i32,
    /// The hearing it answers.
    pub hearing_id: Option<i64>,
    /// The statement.
    pub statement: &'a str,
    /// Who filed it (token subject) and in which role.
    pub filed_by: &'a str,
    /// The role.
    pub role: &'a str,
    /// Filed by the owner themself.
    pub by_owner: bool,
    /// After the window.
    pub late: bool,
}

const HEARING_COLUMNS: &str = "id, case_id, commission_id, session_on, scheduled_at";

fn hearing(r: &Row) -> Hearing {
    Hearing {
        id: r.get(0),
        case_id: r.get(1),
        commission_id: r.get(2),
        session_on: r.get(3),
        scheduled_at: r.get(4),
    }
}

fn defence(r: &Row) -> Defence {
    Defence {
        id: r.get(0),
        case_id: r.get(1),
        statement: r.get(2),
        by_owner: r.get(3),
        late: r.get(4),
        filed_at: r.get(5),
    }
}

impl UrbanismDb {
    /// A commission, read in the caller's transaction.
    #[tracing::instrument(name = "urbanism.commission_in", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn commission_in(
        &self,
        client: &impl GenericClient,
        commission_id: i32,
    ) -> Result<Option<Commission>, StoreError> {
        let row = client
            .query_opt(
                "SELECT id_commission, onvan, noe, kod_mantaghe, faal FROM tbl_commission WHERE id_commission = $1",
                &[&commission_id],
            )
            .await?;
        Ok(row.as_ref().and_then(|r| self.commission(r)))
    }

    /// Records a hearing; returns it.
    #[tracing::instrument(name = "urbanism.insert_hearing", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_hearing(
        &self,
        tx: &impl GenericClient,
        case_id: i32,
        commission_id: i32,
        session_on: NaiveDate,
        by: &str,
    ) -> Result<Hearing, StoreError> {
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO shahr.hearings (case_id, commission_id, session_on, scheduled_by) \
                     VALUES ($1, $2, $3, $4) RETURNING {HEARING_COLUMNS}"
                ),
                &[&case_id, &commission_id, &session_on, &by],
            )
            .await?;
        Ok(hearing(&row))
    }

    /// The current (latest) hearing of a case.
    #[tracing::instrument(name = "urbanism.latest_hearing", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn latest_hearing(
        &self,
        client: &impl GenericClient,
        case_id: i32,
    ) -> Result<Option<Hearing>, StoreError> {
        let row = client
            .query_opt(
                &format!(
                    "SELECT {HEARING_COLUMNS} FROM shahr.hearings WHERE case_id = $1 ORDER BY id DESC LIMIT 1"
                ),
                &[&case_id],
            )
            .await?;
        Ok(row.as_ref().map(hearing))
    }

    /// The current hearing of each case; one statement.
    #[tracing::instrument(name = "urbanism.hearings_by_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn hearings_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<HashMap<i32, Hearing>, StoreError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT DISTINCT ON (case_id) {HEARING_COLUMNS} FROM shahr.hearings \
                     WHERE case_id = ANY($1) ORDER BY case_id, id DESC"
                ),
                &[&case_ids],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(1), hearing(r))).collect())
    }

    /// Records a defence.
    #[tracing::instrument(name = "urbanism.insert_defence", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_defence(
        &self,
        tx: &impl GenericClient,
        new: &NewDefence<'_>,
    ) -> Result<Defence, StoreError> {
        let row = tx
            .query_one(
                "INSERT INTO shahr.defences (case_id, hearing_id, statement, filed_by, role, by_owner, late) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, case_id, statement, by_owner, late, filed_at",
                &[
                    &new.case_id,
                    &new.hearing_id,
                    &new.statement,
                    &new.filed_by,
                    &new.role,
                    &new.by_owner,
                    &new.late,
                ],
            )
            .await?;
        Ok(defence(&row))
    }

    /// Defences of each case, oldest first; one statement.
    #[tracing::instrument(name = "urbanism.defences_by_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn defences_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Defence>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, case_id, statement, by_owner, late, filed_at FROM shahr.defences \
                 WHERE case_id = ANY($1) ORDER BY case_id, id",
                &[&case_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Defence>> = HashMap::new();
        for r in &rows {
            let d = defence(r);
            out.entry(d.case_id).or_default().push(d);
        }
        Ok(out)
    }
}
