//! Issuing a ruling: the number and legacy row id reserved beforehand, the legacy `tbl_ray`
//! row and the items' outcomes the integrated urbanism system expects, and the link from the
//! draft to its signed record.

use chrono::NaiveDate;
use shahr_domain::{
    jalali::JalaliDate,
    numbering::NumberTemplate,
    sealed::{DecidedItem, DraftContent, LegacyFields},
    vocabulary::RulingStatus,
};
use shahr_store::StoreError;
use tokio_postgres::GenericClient;

use crate::{codes, sql::spellings, UrbanismDb};

/// A ruling's number and legacy row id, drawn before its case is locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The idempotency key it was drawn for.
    pub idempotency_key: String,
    /// The draft.
    pub draft_id: i64,
    /// The legacy row id the ruling will have.
    pub legacy_ruling_id: i32,
    /// Its number.
    pub number: String,
    /// Its date.
    pub issued_on: NaiveDate,
}

/// A ruling issued earlier with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedByKey {
    /// The draft it was issued from.
    pub draft_id: Option<i64>,
    /// The legacy row.
    pub legacy_ruling_id: i32,
    /// The signed record.
    pub record_id: i64,
    /// The number.
    pub number: String,
    /// The verification code.
    pub verification_code: String,
}

impl UrbanismDb {
    /// The reservation made for an idempotency key, if any.
    #[tracing::instrument(name = "urbanism.reservation", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn reservation(
        &self,
        client: &impl GenericClient,
        idempotency_key: &str,
    ) -> Result<Option<Reservation>, StoreError> {
        let row = client
            .query_opt(
                "SELECT idempotency_key, draft_id, legacy_ruling_id, number, issued_on \
                 FROM shahr.issue_reservations WHERE idempotency_key = $1",
                &[&idempotency_key],
            )
            .await?;
        Ok(row.map(|r| Reservation {
            idempotency_key: r.get(0),
            draft_id: r.get(1),
            legacy_ruling_id: r.get(2),
            number: r.get(3),
            issued_on: r.get(4),
        }))
    }

    /// Draws a number (the district's next in the Jalali year of `issued_on`, skipping numbers
    /// the legacy system already holds) and a legacy row id for a draft, under `key`. When
    /// the key is taken (a concurrent call), the reservation already there is returned.
    #[allow(clippy::too_many_arguments)] // one reservation's facts
    #[tracing::instrument(name = "urbanism.reserve", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn reserve(
        &self,
        tx: &impl GenericClient,
        key: &str,
        draft_id: i64,
        district: i16,
        issued_on: NaiveDate,
        template: &NumberTemplate,
        by: &str,
    ) -> Result<Reservation, StoreError> {
        let date = JalaliDate::from_gregorian(issued_on);
        let number = loop {
            let seq = self
                .next_number(tx, "ruling", district, date.year())
                .await?;
            let candidate = template.render(district, date, u64::try_from(seq).unwrap_or_default());
            let taken: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM tbl_ray WHERE shomare_ray = ANY($1)) \
                     OR EXISTS (SELECT 1 FROM shahr.issue_reservations WHERE number = $2)",
                    &[&spellings(&candidate), &candidate],
                )
                .await?
                .get(0);
            if !taken {
                break candidate;
            }
        };
        let legacy_id: i32 = tx
            .query_one(
                "SELECT nextval(pg_get_serial_sequence('tbl_ray', 'id_ray'))::int4",
                &[],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO shahr.issue_reservations (idempotency_key, draft_id, legacy_ruling_id, number, issued_on, reserved_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
            &[&key, &draft_id, &legacy_id, &number, &issued_on, &by],
        )
        .await?;
        self.reservation(tx, key)
            .await?
            .ok_or_else(|| StoreError::Data(format!("reservation {key} vanished")))
    }

    /// The ruling issued with `key`, if any.
    #[tracing::instrument(name = "urbanism.issued_by_key", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn issued_by_key(
        &self,
        client: &impl GenericClient,
        key: &str,
    ) -> Result<Option<IssuedByKey>, StoreError> {
        let row = client
            .query_opt(
                "SELECT draft_id, legacy_ruling_id, id, number, verification_code FROM shahr.issued_rulings \
                 WHERE idempotency_key = $1",
                &[&key],
            )
            .await?;
        Ok(row.map(|r| IssuedByKey {
            draft_id: r.get(0),
            legacy_ruling_id: r.get(1),
            record_id: r.get(2),
            number: r.get(3),
            verification_code: r.get(4),
        }))
    }

    /// Writes the legacy ruling row under its reserved id and number, and each item's outcome
    /// and coefficient; returns the fields the signature covers, as written.
    #[tracing::instrument(name = "urbanism.insert_legacy_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn insert_legacy_ruling(
        &self,
        tx: &impl GenericClient,
        reservation: &Reservation,
        draft: &DraftContent,
    ) -> Result<LegacyFields, StoreError> {
        let fields = legacy_fields(reservation, draft);
        let principle = draft
            .breached_principle
            .map(|p| codes::BREACHED_PRINCIPLE.encode(p));
        tx.execute(
            "INSERT INTO tbl_ray (id_ray, id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, tarikh_ray, \
             mablagh_jarimeh, matn_ray, mabna_qanuni, asl_naqz, vaziat) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int8, $9, $10, $11, $12)",
            &[
                &reservation.legacy_ruling_id,
                &draft.case_id,
                &draft.commission_id,
                &reservation.number,
                &fields.kind_code,
                &fields.stage_code,
                &fields.date_jalali,
                &draft.fine_rials,
                &draft.text,
                &draft.legal_basis,
                &principle,
                &codes::RULING_STATUS.encode(RulingStatus::Issued),
            ],
        )
        .await?;
        self.write_item_decisions(tx, &draft.items).await?;
        Ok(fields)
    }

    /// Each item's outcome (`noe_hokm`) and, for fined items, the coefficient (`zarib_k`);
    /// one statement.
    async fn write_item_decisions(
        &self,
        tx: &impl GenericClient,
        items: &[DecidedItem],
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let ids: Vec<i32> = items.iter().map(|i| i.item_id).collect();
        let outcomes: Vec<String> = items
            .iter()
            .map(|i| codes::ITEM_OUTCOME.encode(i.outcome))
            .collect();
        let coefficients: Vec<Option<i64>> = items
            .iter()
            .map(|i| {
                i.coefficient
                    .and_then(|c| i64::try_from(c.hundredths()).ok())
            })
            .collect();
        tx.execute(
            "UPDATE tbl_aqlam_takhalof a SET noe_hokm = t.o, \
             zarib_k = CASE WHEN t.k IS NULL THEN a.zarib_k ELSE t.k::numeric / 100 END \
             FROM unnest($1::int4[], $2::text[], $3::int8[]) AS t(i, o, k) WHERE a.id_qalam = t.i",
            &[&ids, &outcomes, &coefficients],
        )
        .await?;
        Ok(())
    }

    /// Links a draft to its issued record.
    #[tracing::instrument(name = "urbanism.mark_draft_issued", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn mark_draft_issued(
        &self,
        tx: &impl GenericClient,
        draft_id: i64,
        record_id: i64,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE shahr.ruling_drafts SET issued_ruling_id = $2 WHERE id = $1",
            &[&draft_id, &record_id],
        )
        .await?;
        Ok(())
    }

    /// The issued record of a legacy ruling, if the gateway issued it.
    #[tracing::instrument(name = "urbanism.record_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn record_of(
        &self,
        client: &impl GenericClient,
        legacy_ruling_id: i32,
    ) -> Result<Option<i64>, StoreError> {
        Ok(client
            .query_opt(
                "SELECT id FROM shahr.issued_rulings WHERE legacy_ruling_id = $1",
                &[&legacy_ruling_id],
            )
            .await?
            .map(|r| r.get(0)))
    }
}

/// The legacy row's covered fields as they will be written for this reservation and draft.
pub fn legacy_fields(reservation: &Reservation, draft: &DraftContent) -> LegacyFields {
    LegacyFields {
        legacy_ruling_id: reservation.legacy_ruling_id,
        case_id: draft.case_id,
        commission_id: Some(draft.commission_id),
        number: Some(reservation.number.clone()),
        kind_code: Some(codes::RULING_KIND.encode(draft.kind)),
        stage_code: Some(codes::RULING_STAGE.encode(draft.stage)),
        date_jalali: Some(JalaliDate::from_gregorian(reservation.issued_on).to_string()),
        fine_rials: draft.fine_rials.map(|f| f.to_string()),
        text: Some(draft.text.clone()),
    }
}
