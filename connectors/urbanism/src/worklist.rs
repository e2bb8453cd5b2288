//! The secretariat's and staff's work lists: violation cases by district, commission, state
//! and referral date, a page at a time; and a commission's agenda (its cases by session day).

use chrono::NaiveDate;
use shahr_domain::{jalali::JalaliDate, vocabulary::CaseStatus};
use shahr_store::StoreError;

use crate::{
    records::ViolationCase,
    rulings::CASE_COLUMNS,
    sql::{ascii_digits_sql, code_spellings, Query},
    visibility_sql, Page, PageRequest, UrbanismDb, Visibility,
};

/// Conditions on the case list; all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only cases on parcels of this district.
    pub district: Option<i16>,
    /// Only cases assigned to this commission.
    pub commission_id: Option<i32>,
    /// Only cases in one of these states (empty: any).
    pub statuses: Vec<CaseStatus>,
    /// Only cases referred to a commission on or after this day (Asia/Tehran).
    pub referred_from: Option<NaiveDate>,
    /// Only cases referred on or before this day.
    pub referred_to: Option<NaiveDate>,
}

/// Most cases an agenda lists.
pub const MAX_AGENDA: usize = 500;

const REFERRAL_DAY: &str = "(r.referred_at AT TIME ZONE 'Asia/Tehran')::date";

const CASE_FROM: &str =
    " FROM tbl_parvandeh_takhalof c JOIN tbl_parvandeh p ON p.id_parvandeh = c.id_parvandeh";

impl UrbanismDb {
    fn case_where(q: &mut Query, filter: &CaseFilter, visibility: &Visibility) {
        let vis = visibility_sql(q, visibility);
        q.push(&format!(" WHERE {vis}"));
        if let Some(d) = filter.district {
            let p = q.bind(code_spellings(u32::try_from(d).unwrap_or(0), 1));
            q.push(&format!(" AND p.kod_mantaghe = ANY({p})"));
        }
        if let Some(c) = filter.commission_id {
            let p = q.bind(c);
            q.push(&format!(" AND c.id_commission = {p}"));
        }
        if !filter.statuses.is_empty() {
            let p = q.bind(crate::codes::CASE_STATUS.spellings_of(&filter.statuses));
            q.push(&format!(" AND c.marhaleh = ANY({p})"));
        }
        if filter.referred_from.is_some() || filter.referred_to.is_some() {
            let mut on = String::new();
            if let Some(from) = filter.referred_from {
                on.push_str(&format!(
                    " AND {day} >= {}",
                    q.bind(from),
                    day = REFERRAL_DAY
                ));
            }
            if let Some(to) = filter.referred_to {
                on.push_str(&format!(" AND {day} <= {}", q.bind(to), day = REFERRAL_DAY));
            }
            q.push(&format!(
                " AND EXISTS (SELECT 1 FROM shahr.case_referrals r WHERE r.case_id = c.id_takhalof{on})"
            ));
        }
    }

    /// A page of the cases `filter` and `visibility` allow, newest (highest id) first.
    #[tracing::instrument(name = "urbanism.cases_page", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn cases_page(
        &self,
        filter: &CaseFilter,
        visibility: &Visibility,
        page: PageRequest,
    ) -> Result<Page<ViolationCase>, StoreError> {
        let mut q = Query::new(&format!("SELECT {CASE_COLUMNS}{CASE_FROM}"));
        Self::case_where(&mut q, filter, visibility);
        let tail = page.sql("c.id_takhalof", true, |v| q.bind(v));
        q.push(&tail);
        let rows = self.run(&q).await?;
        Ok(page.page_of(rows, |r| self.case(&r)))
    }

    /// How many cases `filter` and `visibility` allow.
    #[tracing::instrument(name = "urbanism.cases_count", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn cases_count(
        &self,
        filter: &CaseFilter,
        visibility: &Visibility,
    ) -> Result<i64, StoreError> {
        let mut q = Query::new(&format!("SELECT count(*){CASE_FROM}"));
        Self::case_where(&mut q, filter, visibility);
        Ok(self.run(&q).await?.first().map(|r| r.get(0)).unwrap_or(0))
    }

    /// The cases of `commission_id` whose session day falls in `from..=to`, by day and then
    /// case, at most [`MAX_AGENDA`] (and whether there were more).
    #[tracing::instrument(name = "urbanism.agenda", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn agenda(
        &self,
        commission_id: i32,
        from: NaiveDate,
        to: NaiveDate,
        visibility: &Visibility,
    ) -> Result<(Vec<ViolationCase>, bool), StoreError> {
        let mut q = Query::new(&format!("SELECT {CASE_COLUMNS}{CASE_FROM}"));
        Self::case_where(
            &mut q,
            &CaseFilter {
                commission_id: Some(commission_id),
                ..CaseFilter::default()
            },
            visibility,
        );
        // Legacy dates are zero-padded Jalali text: compared as text once digits are ASCII.
        let day = ascii_digits_sql("c.tarikh_jalaseh");
        let from = q.bind(JalaliDate::from_gregorian(from).to_string());
        let to = q.bind(JalaliDate::from_gregorian(to).to_string());
        let limit = q.bind(i64::try_from(MAX_AGENDA + 1).unwrap_or(i64::MAX));
        q.push(&format!(
            " AND {day} BETWEEN {from} AND {to} ORDER BY {day}, c.id_takhalof LIMIT {limit}"
        ));
        let rows = self.run(&q).await?;
        let more = rows.len() > MAX_AGENDA;
        Ok((
            rows.iter()
                .take(MAX_AGENDA)
                .filter_map(|r| self.case(r))
                .collect(),
            more,
        ))
    }
}
