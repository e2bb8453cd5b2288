//! Parcels (`tbl_parvandeh`), owners and shares, permits and certificates.

use std::collections::HashMap;

use shahr_domain::{
    identifiers::{NationalId, RenovationCode},
    text::normalise,
    vocabulary::{LandUse, OwnerKind},
};
use shahr_store::StoreError;
use tokio_postgres::Row;

use crate::{
    records::{Certificate, Owner, Ownership, Parcel, Permit},
    sql::{ascii_digits_sql, code_spellings, like_literal, persian_digits, spellings, Query},
    visibility_sql, Page, PageRequest, UrbanismDb, Visibility,
};

/// Filters of the parcel list.
#[derive(Debug, Clone, Default)]
pub struct ParcelFilter {
    /// Only this district.
    pub district: Option<i16>,
    /// Only this land use.
    pub land_use: Option<LandUse>,
    /// Address contains this text (matched literally, letters normalised).
    pub address_contains: Option<String>,
    /// Only parcels this person owns.
    pub owner_national_id: Option<NationalId>,
}

const PARCEL_COLUMNS: &str = "p.id_parvandeh, p.kod_nosazi, p.kod_mantaghe, p.pelak_asli, \
    p.pelak_farei, p.bakhsh, p.kod_posti, p.neshani, (p.masahat_arseh * 100)::int8, p.karbari_kod, \
    p.tedad_tabaghat, p.tedad_vahed, p.hendese, p.tarikh_sabt";

const OWNER_COLUMNS: &str = "m.id_malek, m.noe_shakhs, m.nam, m.nam_khanevadegi, m.nam_sherkat, \
    m.kod_melli, m.shenaseh_melli, m.mobile";

impl UrbanismDb {
    fn parcel(&self, row: &Row) -> Option<Parcel> {
        let id: i32 = row.get(0);
        let r = self.reader("tbl_parvandeh", id);
        let raw_code: Option<String> = row.get(1);
        let Some(renovation_code) = raw_code
            .as_deref()
            .and_then(|c| RenovationCode::parse(c).ok())
        else {
            return r.skip(&format!("unreadable renovation code {raw_code:?}"));
        };
        Some(Parcel {
            id,
            district: r.district("kod_mantaghe", row.get(2)),
            plate_main: r.text(row.get(3)),
            plate_sub: r.text(row.get(4)),
            plate_section: r.text(row.get(5)),
            postal_code: r.postal_code("kod_posti", row.get(6)),
            address: r.text(row.get(7)),
            area: r.hundredths("masahat_arseh", row.get(8)),
            land_use: r.coded("karbari_kod", row.get(9), |c| {
                crate::codes::LAND_USE.decode(c)
            }),
            floors: row.get(10),
            units: row.get(11),
            boundary: r.polygon("hendese", row.get(12)),
            registered_on: r.date("tarikh_sabt", row.get(13)),
            renovation_code,
        })
    }

    fn owner(&self, row: &Row, at: usize) -> Option<Owner> {
        let id: i32 = row.get(at);
        let r = self.reader("tbl_malek", id);
        let kind = r.coded("noe_shakhs", row.get(at + 1), |c| {
            crate::codes::OWNER_KIND.decode(c)
        })?;
        let name = match kind {
            OwnerKind::Natural => {
                let first: Option<String> = row.get(at + 2);
                let last: Option<String> = row.get(at + 3);
                normalise(&format!(
                    "{} {}",
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                ))
            }
            OwnerKind::Legal => {
                normalise(&row.get::<_, Option<String>>(at + 4).unwrap_or_default())
            }
        };
        Some(Owner {
            id,
            kind,
            full_name: name,
            national_id: match kind {
                OwnerKind::Natural => r.national_id("kod_melli", row.get(at + 5)),
                OwnerKind::Legal => None,
            },
            legal_id: match kind {
                OwnerKind::Legal => r.legal_id("shenaseh_melli", row.get(at + 6)),
                OwnerKind::Natural => None,
            },
            mobile: r.mobile("mobile", row.get(at + 7)),
        })
    }

    /// Parcels by row id (one statement), restricted to what `visibility` allows.
    #[tracing::instrument(name = "urbanism.parcels_by_ids", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parcels_by_ids(
        &self,
        ids: &[i32],
        visibility: &Visibility,
    ) -> Result<Vec<Parcel>, StoreError> {
        let mut q = Query::new(&format!(
            "SELECT {PARCEL_COLUMNS} FROM tbl_parvandeh p WHERE "
        ));
        let ids_param = q.bind(ids.to_vec());
        let vis = visibility_sql(&mut q, visibility);
        q.push(&format!("p.id_parvandeh = ANY({ids_param}) AND {vis}"));
        Ok(self
            .run(&q)
            .await?
            .iter()
            .filter_map(|r| self.parcel(r))
            .collect())
    }

    /// The mobile on record for a person (any of their owner rows), for alerts.
    #[tracing::instrument(name = "urbanism.mobile_of", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn mobile_of(
        &self,
        national_id: &NationalId,
    ) -> Result<Option<shahr_domain::identifiers::Mobile>, StoreError> {
        let rows = self
            .rows(
                "SELECT mobile FROM tbl_malek WHERE kod_melli = ANY($1) AND mobile IS NOT NULL ORDER BY id_malek",
                &[&spellings(national_id.as_str())],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get::<_, Option<String>>(0))
            .find_map(|m| shahr_domain::identifiers::Mobile::parse(&m).ok()))
    }

    /// Parcels of the same block as `parcel` (same district, region and block of the
    /// renovation code) that have a boundary: the neighbours a location sketch draws.
    #[tracing::instrument(name = "urbanism.block_neighbours", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn block_neighbours(&self, parcel: &Parcel) -> Result<Vec<Parcel>, StoreError> {
        let code = parcel.renovation_code.as_str();
        let prefix: String = code.split('-').take(3).collect::<Vec<_>>().join("-");
        let sql = format!(
            "SELECT {PARCEL_COLUMNS} FROM tbl_parvandeh p WHERE {} LIKE $1 ESCAPE '\\' \
             AND p.id_parvandeh <> $2 AND p.hendese IS NOT NULL ORDER BY p.id_parvandeh LIMIT 200",
            ascii_digits_sql("p.kod_nosazi")
        );
        let pattern = format!("{}-%", like_literal(&prefix));
        Ok(self
            .rows(&sql, &[&pattern, &parcel.id])
            .await?
            .iter()
            .filter_map(|r| self.parcel(r))
            .collect())
    }

    /// The parcel with this renovation code, if visible (legacy spellings in any digits).
    #[tracing::instrument(name = "urbanism.parcel_by_renovation_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parcel_by_renovation_code(
        &self,
        code: &RenovationCode,
        visibility: &Visibility,
    ) -> Result<Option<Parcel>, StoreError> {
        let mut q = Query::new(&format!(
            "SELECT {PARCEL_COLUMNS} FROM tbl_parvandeh p WHERE "
        ));
        let spellings = vec![code.as_str().to_owned(), persian_digits(code.as_str())];
        let code_param = q.bind(spellings);
        let vis = visibility_sql(&mut q, visibility);
        q.push(&format!(
            "p.kod_nosazi = ANY({code_param}) AND {vis} ORDER BY p.id_parvandeh LIMIT 1"
        ));
        Ok(self.run(&q).await?.iter().find_map(|r| self.parcel(r)))
    }

    /// Parcels by canonical renovation code (any legacy digit spelling), one statement; keyed
    /// by the canonical code.
    #[tracing::instrument(name = "urbanism.parcels_by_renovation_codes", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parcels_by_renovation_codes(
        &self,
        codes: &[String],
    ) -> Result<Vec<Parcel>, StoreError> {
        let spellings: Vec<String> = codes
            .iter()
            .flat_map(|c| [c.clone(), persian_digits(c)])
            .collect();
        let sql =
            format!("SELECT {PARCEL_COLUMNS} FROM tbl_parvandeh p WHERE p.kod_nosazi = ANY($1)");
        Ok(self
            .rows(&sql, &[&spellings])
            .await?
            .iter()
            .filter_map(|r| self.parcel(r))
            .collect())
    }

    /// Up to `limit` (owner national id, renovation code) pairs of natural persons owning
    /// parcels in `district`, both validated; for demo data.
    #[tracing::instrument(name = "urbanism.owners_in_district", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn owners_in_district(
        &self,
        district: i16,
        limit: i64,
    ) -> Result<Vec<(NationalId, RenovationCode)>, StoreError> {
        let rows = self
            .rows(
                "SELECT m.kod_melli, p.kod_nosazi FROM tbl_parvandeh p \
                 JOIN tbl_malekiat mk ON mk.id_parvandeh = p.id_parvandeh \
                 JOIN tbl_malek m ON m.id_malek = mk.id_malek \
                 WHERE p.kod_mantaghe = ANY($1) AND m.noe_shakhs = '1' ORDER BY p.id_parvandeh LIMIT $2",
                &[&code_spellings(u32::try_from(district).unwrap_or(0), 1), &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let id = NationalId::parse(r.get::<_, Option<&str>>(0)?).ok()?;
                let code = RenovationCode::parse(r.get::<_, Option<&str>>(1)?).ok()?;
                Some((id, code))
            })
            .collect())
    }

    fn parcel_where(&self, q: &mut Query, filter: &ParcelFilter, visibility: &Visibility) {
        let vis = visibility_sql(q, visibility);
        q.push(&format!(" WHERE {vis}"));
        if let Some(d) = filter.district {
            let p = q.bind(code_spellings(u32::try_from(d).unwrap_or(0), 1));
            q.push(&format!(" AND p.kod_mantaghe = ANY({p})"));
        }
        if let Some(land_use) = filter.land_use {
            let p = q.bind(code_spellings(crate::codes::LAND_USE.code(land_use), 2));
            q.push(&format!(" AND p.karbari_kod = ANY({p})"));
        }
        if let Some(text) = filter.address_contains.as_deref() {
            let p = q.bind(format!("%{}%", like_literal(&normalise(text))));
            q.push(&format!(
                " AND translate({}, 'يكى', 'یکی') LIKE {p} ESCAPE '\\'",
                ascii_digits_sql("p.neshani")
            ));
        }
        if let Some(national_id) = &filter.owner_national_id {
            let p = q.bind(spellings(national_id.as_str()));
            q.push(&format!(
                " AND EXISTS (SELECT 1 FROM tbl_malekiat fk JOIN tbl_malek fm ON fm.id_malek = fk.id_malek \
                 WHERE fk.id_parvandeh = p.id_parvandeh AND fm.kod_melli = ANY({p}))"
            ));
        }
    }

    /// A page of parcels in row-id order.
    #[tracing::instrument(name = "urbanism.parcels_page", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parcels_page(
        &self,
        filter: &ParcelFilter,
        visibility: &Visibility,
        page: PageRequest,
    ) -> Result<Page<Parcel>, StoreError> {
        let mut q = Query::new(&format!("SELECT {PARCEL_COLUMNS} FROM tbl_parvandeh p"));
        self.parcel_where(&mut q, filter, visibility);
        let tail = page.sql("p.id_parvandeh", false, |v| q.bind(v));
        q.push(&tail);
        let rows = self.run(&q).await?;
        Ok(page.page_of(rows, |r| self.parcel(&r)))
    }

    /// How many parcels match (for `totalCount`).
    #[tracing::instrument(name = "urbanism.parcels_count", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn parcels_count(
        &self,
        filter: &ParcelFilter,
        visibility: &Visibility,
    ) -> Result<i64, StoreError> {
        let mut q = Query::new("SELECT count(*) FROM tbl_parvandeh p");
        self.parcel_where(&mut q, filter, visibility);
        Ok(self.run(&q).await?.first().map(|r| r.get(0)).unwrap_or(0))
    }

    /// Owners and shares of each parcel, one statement for all parcels.
    #[tracing::instrument(name = "urbanism.ownerships_by_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn ownerships_by_parcel(
        &self,
        parcel_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Ownership>>, StoreError> {
        let sql = format!(
            "SELECT {OWNER_COLUMNS}, mk.id_parvandeh, round(mk.sahm_dang::numeric, 4)::float8, mk.tarikh_enteghal, mk.id_malekiat \
             FROM tbl_malekiat mk JOIN tbl_malek m ON m.id_malek = mk.id_malek \
             WHERE mk.id_parvandeh = ANY($1) ORDER BY mk.id_parvandeh, mk.sahm_dang DESC, m.id_malek"
        );
        let rows = self.rows(&sql, &[&parcel_ids]).await?;
        let mut out: HashMap<i32, Vec<Ownership>> = HashMap::new();
        for row in &rows {
            let Some(owner) = self.owner(row, 0) else {
                continue;
            };
            let parcel_id: i32 = row.get(8);
            let r = self.reader("tbl_malekiat", row.get(11));
            out.entry(parcel_id).or_default().push(Ownership {
                parcel_id,
                owner,
                share_dang: row.get(9),
                since: r.date("tarikh_enteghal", row.get(10)),
            });
        }
        Ok(out)
    }

    /// Owners by row id, limited to owners of parcels `visibility` allows.
    #[tracing::instrument(name = "urbanism.owners_by_ids", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn owners_by_ids(
        &self,
        ids: &[i32],
        visibility: &Visibility,
    ) -> Result<Vec<Owner>, StoreError> {
        let mut q = Query::new(&format!("SELECT {OWNER_COLUMNS} FROM tbl_malek m WHERE "));
        let ids_param = q.bind(ids.to_vec());
        let vis = visibility_sql(&mut q, visibility);
        q.push(&format!(
            "m.id_malek = ANY({ids_param}) AND EXISTS (SELECT 1 FROM tbl_malekiat ok \
             JOIN tbl_parvandeh p ON p.id_parvandeh = ok.id_parvandeh \
             WHERE ok.id_malek = m.id_malek AND {vis})"
        ));
        Ok(self
            .run(&q)
            .await?
            .iter()
            .filter_map(|r| self.owner(r, 0))
            .collect())
    }

    /// Permits of each parcel, newest first, one statement.
    #[tracing::instrument(name = "urbanism.permits_by_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn permits_by_parcel(
        &self,
        parcel_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Permit>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_parvaneh, id_parvandeh, shomare_parvaneh, noe_parvaneh, tarikh_sodur, \
                 tarikh_etebar, round(masahat_mojaz::numeric, 2)::float8, tedad_tabaghat_mojaz, karbari_kod, vaziat \
                 FROM tbl_parvaneh WHERE id_parvandeh = ANY($1) ORDER BY id_parvandeh, id_parvaneh DESC",
                &[&parcel_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Permit>> = HashMap::new();
        for row in &rows {
            let id: i32 = row.get(0);
            let r = self.reader("tbl_parvaneh", id);
            let permit = Permit {
                id,
                parcel_id: row.get(1),
                number: r.text(row.get(2)),
                kind: r.coded("noe_parvaneh", row.get(3), |c| {
                    crate::codes::PERMIT_KIND.decode(c)
                }),
                issued_on: r.date("tarikh_sodur", row.get(4)),
                valid_until: r.date("tarikh_etebar", row.get(5)),
                permitted_area_m2: row.get(6),
                permitted_floors: row.get(7),
                land_use: r.coded("karbari_kod", row.get(8), |c| {
                    crate::codes::LAND_USE.decode(c)
                }),
                status: r.coded("vaziat", row.get(9), |c| {
                    crate::codes::PERMIT_STATUS.decode(c)
                }),
            };
            out.entry(permit.parcel_id).or_default().push(permit);
        }
        Ok(out)
    }

    /// Certificates of each parcel, one statement.
    #[tracing::instrument(name = "urbanism.certificates_by_parcel", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn certificates_by_parcel(
        &self,
        parcel_ids: &[i32],
    ) -> Result<HashMap<i32, Vec<Certificate>>, StoreError> {
        let rows = self
            .rows(
                "SELECT id_govahi, id_parvandeh, noe_govahi, shomare, tarikh_sodur \
                 FROM tbl_govahi WHERE id_parvandeh = ANY($1) ORDER BY id_parvandeh, id_govahi DESC",
                &[&parcel_ids],
            )
            .await?;
        let mut out: HashMap<i32, Vec<Certificate>> = HashMap::new();
        for row in &rows {
            let id: i32 = row.get(0);
            let r = self.reader("tbl_govahi", id);
            let Some(kind) = r.coded("noe_govahi", row.get(2), |c| {
                crate::codes::CERTIFICATE_KIND.decode(c)
            }) else {
                r.skip::<()>("unknown certificate kind");
                continue;
            };
            let certificate = Certificate {
                id,
                parcel_id: row.get(1),
                kind,
                number: r.text(row.get(3)),
                issued_on: r.date("tarikh_sodur", row.get(4)),
            };
            out.entry(certificate.parcel_id)
                .or_default()
                .push(certificate);
        }
        Ok(out)
    }
}
