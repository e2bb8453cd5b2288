//! Commissions, violation cases and their items, rulings, service and objections.

use std::collections::HashMap;

use chrono::NaiveDate;
use shahr_domain::{
    jalali::JalaliDate,
    vocabulary::{RulingKind, RulingStatus},
};
use shahr_store::StoreError;
use tokio_postgres::Row;

use crate::{
    records::{
        Commission, CommissionMember, Notification, Objection, Ruling, ViolationCase, ViolationItem,
    },
    sql::{ascii_digits_sql, code_spellings, Query},
    visibility_sql, Page, PageRequest, UrbanismDb, Visibility,
};

/// Filters of the ruling list.
#[derive(Debug, Clone, Default)]
pub struct RulingFilter {
    /// Only rulings on parcels of this district.
    pub district: Option<i16>,
    /// Only rulings of this commission.
    pub commission_id: Option<i32>,
    /// Only this kind.
    pub kind: Option<RulingKind>,
    /// Only this status.
    pub status: Option<RulingStatus>,
    /// Issued on or after.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before.
    pub issued_to: Option<NaiveDate>,
}

pub(crate) const CASE_COLUMNS: &str =
    "c.id_takhalof, c.id_parvandeh, c.shomare_parvandeh, c.marhaleh, c.manba, \
    c.tarikh_kashf, c.id_commission, c.tarikh_jalaseh, c.shomare_dabirkhaneh";

pub(crate) const RULING_COLUMNS: &str = "r.id_ray, r.id_takhalof, r.id_commission, r.shomare_ray, r.noe_ray, \
    r.marhaleh_ray, r.vaziat, r.tarikh_ray, r.mablagh_jarimeh::int8, r.matn_ray, r.mabna_qanuni, r.asl_naqz";

pub(crate) const ITEMS_BY_CASE: &str =
    "SELECT id_qalam, id_takhalof, tabaghe, band_tabsare, (masahat_mojaz * 100)::int8, \
    (masahat_ejra * 100)::int8, karbari_mojaz, karbari_feli, (zarib_k * 100)::int8, tedad_parking, noe_hokm \
    FROM tbl_aqlam_takhalof WHERE id_takhalof = ANY($1) ORDER BY id_takhalof, id_qalam";

impl UrbanismDb {
    pub(crate) fn case(&self, row: &Row) -> Option<ViolationCase> {
        let id: i32 = row.get(0);
        let r = self.reader("tbl_parvandeh_takhalof", id);
        let Some(status) = r.coded("marhaleh", row.get(3), |c| {
            crate::codes::CASE_STATUS.decode(c)
        }) else {
            return r.skip("unknown case status");
        };
        Some(ViolationCase {
            id,
            parcel_id: row.get(1),
            case_number: r.text(row.get(2)),
            status,
            source: r.coded("manba", row.get(4), |c| {
                crate::codes::DETECTION_SOURCE.decode(c)
            }),
            detected_on: r.date("tarikh_kashf", row.get(5)),
            commission_id: row.get(6),
            session_on: r.date("tarikh_jalaseh", row.get(7)),
            secretariat_number: r.text(row.get(8)),
        })
    }

    pub(crate) fn ruling(&self, row: &Row) -> Option<Ruling> {
        let id: i32 = row.get(0);
        let r = self.reader("tbl_ray", id);
        let Some(kind) = r.coded("noe_ray", row.get(4), |c| {
            crate::codes::RULING_KIND.decode(c)
        }) else {
            return r.skip("unknown ruling kind");
        };
        let Some(stage) = r.coded("marhaleh_ray", row.get(5), |c| {
            crate::codes::RULING_STAGE.decode(c)
        }) else {
            return r.skip("unknown ruling stage");
        };
        Some(Ruling {
            id,
            case_id: row.get(1),
            commission_id: row.get(2),
            number: r.text(row.get(3)),
            kind,
            stage,
            status: r.coded("vaziat", row.get(6), |c| {
                crate::codes::RULING_STATUS.decode(c)
            }),
            issued_on: r.date("tarikh_ray", row.get(7)),
            fine_rials: row.get(8),
            text: r.text(row.get(9)),
            legal_basis: r.text(row.get(10)),
            breached_principle: r.coded("asl_naqz", row.get(11), |c| {
                crate::codes::BREACHED_PRINCIPLE.decode(c)
            }),
        })
    }

    pub(crate) fn commission(&self, row: &Row) -> Option<Commission> {
        let id: i32 = row.get(0);
        let r = self.reader("tbl_commission", id);
        let Some(kind) = r.coded("noe", row.get(2), |c| {
            crate::codes::COMMISSION_KIND.decode(c)
        }) else {
            return r.skip("unknown commission kind");
        };
        Some(Commission {
            id,
            name: r
                .text(row.get(1))
                .unwrap_or_else(|| format!("کمیسیون {id}")),
            kind,
            district: r.district("kod_mantaghe", row.get(3)),
            active: row.get::<_, String>(4).trim() != "0",
        })
    }

    /// Every commission, ordered by id.
    #[tracing::instrument(name = "urbanism.commissions", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn commissions(&self) -> Result<Vec<Commission>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_commission, onvan, noe, kod_mantaghe, faal FROM tbl_commission ORDER BY id_commission",
                &[],
            )
            .await?;
        Ok(rows.iter().filter_map(|r| self.commission(r)).collect())
    }

    /// Commissions by id, one statement.
    #[tracing::instrument(name = "urbanism.commissions_by_ids", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn commissions_by_ids(&self, ids: &[i32]) -> Result<Vec<Commission>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_commission, onvan, noe, kod_mantaghe, faal FROM tbl_commission WHERE id_commission = ANY($1)",
                &[&ids],
            )
            .await?;
        Ok(rows.iter().filter_map(|r| self.commission(r)).collect())
    }

    /// Members of each commission (current and past), one statement.
    #[tracing::instrument(name = "urbanism.members_by_commission", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn members_by_commission(
        &self,
        commission_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<CommissionMember>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_ozv, id_commission, nam_kamel, kod_melli, semat, az_tarikh, ta_tarikh \
                 FROM tbl_ozv_commission WHERE id_commission = ANY($1) ORDER BY id_commission, semat, id_ozv",
                &[&commission_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<CommissionMember>> = HashMap::new();
        for row in &rows {
            let id: i32 = row.get(0);
            let r = self.reader("tbl_ozv_commission", id);
            let Some(role) = r.coded("semat", row.get(4), |c| crate::codes::MEMBER_ROLE.decode(c))
            else {
                r.skip::<()>("unknown seat");
                continue;
            };
            let member = CommissionMember {
                id,
                commission_id: row.get(1),
                full_name: r.text(row.get(2)).unwrap_or_default(),
                national_id: r.national_id("kod_melli", row.get(3)),
                role,
                since: r.date("az_tarikh", row.get(5)),
                until: r.date("ta_tarikh", row.get(6)),
            };
            out.entry(member.commission_id).or_default().push(member);
        }
        Ok(out)
    }

    /// Cases by id, restricted by the visibility of their parcel; one statement.
    #[tracing::instrument(name = "urbanism.cases_by_ids", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn cases_by_ids(
        &self,
        ids: &[i32],
        visibility: &Visibility,
    ) -> Result<Vec<ViolationCase>, StoreError> {
        let mut q = Query::new(&format!(
            "SELECT {CASE_COLUMNS} FROM tbl_parvandeh_takhalof c \
             JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh WHERE "
        ));
        let ids_param = q.bind(ids.to_vec());
        let vis = visibility_sql(&mut q, visibility);
        q.push(&format!("c.id_takhalof = ANY({ids_param}) AND {vis}"));
        Ok(self
            .run(&q)
            .await?
            .iter()
            .filter_map(|r| self.case(r))
            .collect())
    }

    /// Cases of each parcel, newest first; one statement.
    #[tracing::instrument(name = "urbanism.cases_by_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn cases_by_parcel(
        &self,
        parcel_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<ViolationCase>>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM tbl_parvandeh_takhalof c WHERE c.id_parvandeh = ANY($1) \
             ORDER BY c.id_parvandeh, c.id_takhalof DESC"
        );
        let rows = self.rows(&sql, &[&parcel_ids]).await?;
        let mut out: HashMap<i32, Vec<ViolationCase>> = HashMap::new();
        for case in rows.iter().filter_map(|r| self.case(r)) {
            out.entry(case.parcel_id).or_default().push(case);
        }
        Ok(out)
    }

    pub(crate) fn item(&self, row: &Row) -> ViolationItem {
        let id: i32 = row.get(0);
        let r = self.reader("tbl_aqlam_takhalof", id);
        let note = row
            .get::<_, Option<i16>>(3)
            .and_then(|n| u32::try_from(n).ok())
            .and_then(|n| {
                crate::codes::VIOLATION_NOTE
                    .decode(n)
                    .or_else(|| r.skip("unknown note"))
            });
        ViolationItem {
            id,
            case_id: row.get(1),
            floor: r.text(row.get(2)),
            note,
            permitted_area: r.hundredths("masahat_mojaz", row.get(4)),
            built_area: r.hundredths("masahat_ejra", row.get(5)),
            permitted_use: r.coded("karbari_mojaz", row.get(6), |c| {
                crate::codes::LAND_USE.decode(c)
            }),
            actual_use: r.coded("karbari_feli", row.get(7), |c| {
                crate::codes::LAND_USE.decode(c)
            }),
            coefficient: r.hundredths("zarib_k", row.get(8)),
            parking_spaces: row.get(9),
            outcome: r.coded("noe_hokm", row.get(10), |c| {
                crate::codes::ITEM_OUTCOME.decode(c)
            }),
        }
    }

    /// Items of each case; one statement.
    #[tracing::instrument(name = "urbanism.items_by_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn items_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<ViolationItem>>, StoreError> {
        let rows = self.rows(ITEMS_BY_CASE, &[&case_ids]).await?;
        let mut out: HashMap<i32, Vec<ViolationItem>> = HashMap::new();
        for row in &rows {
            let item = self.item(row);
            out.entry(item.case_id).or_default().push(item);
        }
        Ok(out)
    }

    /// Rulings of each case, oldest first (primary before appeal); one statement.
    #[tracing::instrument(name = "urbanism.rulings_by_case", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_by_case(
        &self,
        case_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Ruling>>, StoreError> {
        let sql = format!(
            "SELECT {RULING_COLUMNS} FROM tbl_ray r WHERE r.id_takhalof = ANY($1) ORDER BY r.id_takhalof, r.id_ray"
        );
        let rows = self.rows(&sql, &[&case_ids]).await?;
        let mut out: HashMap<i32, Vec<Ruling>> = HashMap::new();
        for ruling in rows.iter().filter_map(|r| self.ruling(r)) {
            out.entry(ruling.case_id).or_default().push(ruling);
        }
        Ok(out)
    }

    /// Rulings by id, restricted by the visibility of their parcel; one statement.
    #[tracing::instrument(name = "urbanism.rulings_by_ids", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_by_ids(
        &self,
        ids: &[i32],
        visibility: &Visibility,
    ) -> Result<Vec<Ruling>, StoreError> {
        let mut q = Query::new(&format!(
            "SELECT {RULING_COLUMNS} FROM tbl_ray r \
             JOIN tbl_parvandeh_takhalof c ON c.id_takhalof = r.id_takhalof \
             JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh WHERE "
        ));
        let ids_param = q.bind(ids.to_vec());
        let vis = visibility_sql(&mut q, visibility);
        q.push(&format!("r.id_ray = ANY({ids_param}) AND {vis}"));
        Ok(self
            .run(&q)
            .await?
            .iter()
            .filter_map(|r| self.ruling(r))
            .collect())
    }

    fn ruling_where(&self, q: &mut Query, filter: &RulingFilter, visibility: &Visibility) {
        let vis = visibility_sql(q, visibility);
        q.push(&format!(" WHERE {vis}"));
        if let Some(d) = filter.district {
            let p = q.bind(code_spellings(u32::try_from(d).unwrap_or(0), 1));
            q.push(&format!(" AND p.kod_mantaghe = ANY({p})"));
        }
        if let Some(c) = filter.commission_id {
            let p = q.bind(c);
            q.push(&format!(" AND r.id_commission = {p}"));
        }
        if let Some(kind) = filter.kind {
            let p = q.bind(crate::codes::RULING_KIND.spellings(kind));
            q.push(&format!(" AND r.noe_ray = ANY({p})"));
        }
        if let Some(status) = filter.status {
            let p = q.bind(crate::codes::RULING_STATUS.spellings(status));
            q.push(&format!(" AND r.vaziat = ANY({p})"));
        }
        // Legacy dates are zero-padded Jalali text: compared as text once digits are ASCII.
        let date = ascii_digits_sql("r.tarikh_ray");
        if let Some(from) = filter.issued_from {
            let p = q.bind(JalaliDate::from_gregorian(from).to_string());
            q.push(&format!(" AND {date} >= {p}"));
        }
        if let Some(to) = filter.issued_to {
            let p = q.bind(JalaliDate::from_gregorian(to).to_string());
            q.push(&format!(" AND {date} <= {p}"));
        }
    }

    const RULING_FROM: &'static str = " FROM tbl_ray r \
        JOIN tbl_parvandeh_takhalof c ON c.id_takhalof = r.id_takhalof \
        JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh";

    /// A page of rulings, newest (highest id) first.
    #[tracing::instrument(name = "urbanism.rulings_page", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_page(
        &self,
        filter: &RulingFilter,
        visibility: &Visibility,
        page: PageRequest,
    ) -> Result<Page<Ruling>, StoreError> {
        let mut q = Query::new(&format!("SELECT {RULING_COLUMNS}{}", Self::RULING_FROM));
        self.ruling_where(&mut q, filter, visibility);
        let tail = page.sql("r.id_ray", true, |v| q.bind(v));
        q.push(&tail);
        let rows = self.run(&q).await?;
        Ok(page.page_of(rows, |r| self.ruling(&r)))
    }

    /// How many rulings match (for `totalCount`).
    #[tracing::instrument(name = "urbanism.rulings_count", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn rulings_count(
        &self,
        filter: &RulingFilter,
        visibility: &Visibility,
    ) -> Result<i64, StoreError> {
        let mut q = Query::new(&format!("SELECT count(*){}", Self::RULING_FROM));
        self.ruling_where(&mut q, filter, visibility);
        Ok(self.run(&q).await?.first().map(|r| r.get(0)).unwrap_or(0))
    }

    /// Service records of each ruling; one statement.
    #[tracing::instrument(name = "urbanism.notifications_by_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn notifications_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Notification>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_eblagh, id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh, kod_melli_girandeh, mamur \
                 FROM tbl_eblagh WHERE id_ray = ANY($1) ORDER BY id_ray, id_eblagh",
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Notification>> = HashMap::new();
        for row in &rows {
            let id: i32 = row.get(0);
            let r = self.reader("tbl_eblagh", id);
            let n = Notification {
                id,
                ruling_id: row.get(1),
                served_on: r.date("tarikh_eblagh", row.get(2)),
                mode: r.coded("noe_eblagh", row.get(3), |c| {
                    crate::codes::NOTIFICATION_MODE.decode(c)
                }),
                receiver_name: r.text(row.get(4)),
                receiver_national_id: r.national_id("kod_melli_girandeh", row.get(5)),
                agent: r.text(row.get(6)),
            };
            out.entry(n.ruling_id).or_default().push(n);
        }
        Ok(out)
    }

    /// Objections to each ruling; one statement.
    #[tracing::instrument(name = "urbanism.objections_by_ruling", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn objections_by_ruling(
        &self,
        ruling_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Objection>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_eteraz, id_ray, tarikh_eteraz, moteraz, sharh, dar_mohlat \
                 FROM tbl_eteraz WHERE id_ray = ANY($1) ORDER BY id_ray, id_eteraz",
                &[&ruling_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Objection>> = HashMap::new();
        for row in &rows {
            let id: i32 = row.get(0);
            let r = self.reader("tbl_eteraz", id);
            let o = Objection {
                id,
                ruling_id: row.get(1),
                filed_on: r.date("tarikh_eteraz", row.get(2)),
                objector: r.coded("moteraz", row.get(3), |c| crate::codes::OBJECTOR.decode(c)),
                statement: r.text(row.get(4)),
                in_time: r.code("dar_mohlat", row.get(5)).map(|c| c == 1),
            };
            out.entry(o.ruling_id).or_default().push(o);
        }
        Ok(out)
    }
}
