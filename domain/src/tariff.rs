//! The city's yearly tariff of urban-planning fees (*ta'refeh-ye avarez*), as data: per
//! service, Jalali year, district, land use and land-area band, a fixed part and a part per
//! m². The council approves it each year; the gateway picks the row that fits the request's
//! parcel most closely, and the fee computed from it is the fee the citizen sees and pays.

use crate::{
    money::{MoneyError, Rials},
    quantities::Area,
    vocabulary::LandUse,
};

/// One row of the tariff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffRow {
    /// The service's code.
    pub service: String,
    /// The Jalali year it applies in.
    pub year: i32,
    /// Only in this district; `None`: every district.
    pub district: Option<i16>,
    /// Only for this land use; `None`: every land use.
    pub land_use: Option<LandUse>,
    /// The band's smallest land area (inclusive), m².
    pub area_from: Area,
    /// The band's end (exclusive); `None`: no end.
    pub area_to: Option<Area>,
    /// The fixed part.
    pub fixed_rials: i64,
    /// The part per m² of land.
    pub per_m2_rials: i64,
}

/// What the tariff looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParcelFacts {
    /// The parcel's district.
    pub district: i16,
    /// Its land use, when the urbanism system records one.
    pub land_use: Option<LandUse>,
    /// Its land area.
    pub area: Area,
}

impl TariffRow {
    fn fits(&self, service: &str, year: i32, p: &ParcelFacts) -> bool {
        self.service == service
            && self.year == year
            && self.district.is_none_or(|d| d == p.district)
            && self.land_use.is_none_or(|u| Some(u) == p.land_use)
            && p.area >= self.area_from
            && self.area_to.is_none_or(|to| p.area < to)
    }

    /// How closely the row fits: a named district and a named land use count over a general row.
    fn specificity(&self) -> u8 {
        u8::from(self.district.is_some()) * 2 + u8::from(self.land_use.is_some())
    }

    /// The fee this row sets for `area`.
    pub fn fee(&self, area: Area) -> Result<Rials, MoneyError> {
        crate::requests::fee(self.fixed_rials, self.per_m2_rials, area)
    }
}

/// A year's tariff as a file gives it (TOML: `year`, `source`, and `[[row]]` entries with
/// `service`, optional `district`, optional `land_use` (`RESIDENTIAL`, ...), `area_from` and
/// optional `area_to` in m², `fixed` and `per_m2` in rials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffYear {
    /// The Jalali year.
    pub year: i32,
    /// Where the figures come from (the council's resolution).
    pub source: String,
    /// Its rows.
    pub rows: Vec<TariffRow>,
}

/// Why a tariff file cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffFileError {
    /// Not the file's format.
    #[error("not a tariff file: {0}")]
    Format(String),
    /// The year is out of range.
    #[error("year {0} is not a Jalali year between 1300 and 1600")]
    Year(i32),
    /// A row's value is unusable.
    #[error("row {row}: {why}")]
    Row {
        /// The row, counted from 1.
        row: usize,
        /// What is wrong.
        why: String,
    },
    /// No rows.
    #[error("the file has no rows")]
    Empty,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    source: String,
    row: Vec<RowFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFile {
    service: String,
    district: Option<i16>,
    land_use: Option<LandUse>,
    area_from: Option<f64>,
    area_to: Option<f64>,
    fixed: i64,
    per_m2: i64,
}

impl TariffYear {
    /// Reads and checks a tariff file.
    pub fn from_toml(text: &str) -> Result<Self, TariffFileError> {
        let file: YearFile =
            toml::from_str(text).map_err(|e| TariffFileError::Format(e.message().to_owned()))?;
        if !(1300..=1600).contains(&file.year) {
            return Err(TariffFileError::Year(file.year));
        }
        if file.row.is_empty() {
            return Err(TariffFileError::Empty);
        }
        let rows = file
            .row
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let bad = |why: String| TariffFileError::Row { row: i + 1, why };
                let area = |v: f64, name: &str| {
                    crate::quantities::Hundredths::from_f64(v)
                        .map_err(|e| bad(format!("{name}: {e}")))
                };
                let area_from = area(r.area_from.unwrap_or(0.0), "area_from")?;
                let area_to = r.area_to.map(|v| area(v, "area_to")).transpose()?;
                if area_to.is_some_and(|to| to <= area_from) {
                    return Err(bad("area_to must be larger than area_from".into()));
                }
                if r.fixed < 0 || r.per_m2 < 0 {
                    return Err(bad("fixed and per_m2 must not be negative".into()));
                }
                if r.district.is_some_and(|d| !(1..=99).contains(&d)) {
                    return Err(bad("district must be 1 to 99".into()));
                }
                let service = r.service.trim().to_owned();
                if service.is_empty() {
                    return Err(bad("service is empty".into()));
                }
                Ok(TariffRow {
                    service,
                    year: file.year,
                    district: r.district,
                    land_use: r.land_use,
                    area_from,
                    area_to,
                    fixed_rials: r.fixed,
                    per_m2_rials: r.per_m2,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            year: file.year,
            source: file.source.trim().to_owned(),
            rows,
        })
    }
}

/// The row of `rows` that fits the service, year and parcel most closely (a district's own row
/// over the city's, a land use's own over the general one); `None` when the tariff has none.
pub fn pick<'a>(
    rows: &'a [TariffRow],
    service: &str,
    year: i32,
    parcel: &ParcelFacts,
) -> Option<&'a TariffRow> {
    rows.iter()
        .filter(|r| r.fits(service, year, parcel))
        .max_by_key(|r| r.specificity())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(m2: u32) -> Area {
        crate::quantities::Hundredths::whole(m2)
    }

    fn row(
        district: Option<i16>,
        land_use: Option<LandUse>,
        from: u32,
        to: Option<u32>,
        fixed: i64,
        per_m2: i64,
    ) -> TariffRow {
        TariffRow {
            service: "building_permit_new".into(),
            year: 1405,
            district,
            land_use,
            area_from: area(from),
            area_to: to.map(area),
            fixed_rials: fixed,
            per_m2_rials: per_m2,
        }
    }

    #[test]
    fn a_tariff_file_is_read_and_a_bad_one_is_refused_naming_the_row() {
        let good = r#"
year = 1406
source = "مصوبه شورای اسلامی شهر"
[[row]]
service = "building_permit_new"
land_use = "COMMERCIAL"
fixed = 6000000
per_m2 = 450000
[[row]]
service = "building_permit_new"
district = 9
area_from = 0
area_to = 199.5
fixed = 2000000
per_m2 = 160000
"#;
        let year = TariffYear::from_toml(good).expect("good file");
        assert_eq!((year.year, year.rows.len()), (1406, 2));
        assert_eq!(year.rows[0].land_use, Some(LandUse::Commercial));
        assert_eq!(
            year.rows[1].area_to,
            Some(crate::quantities::Hundredths::from_f64(199.5).expect("area"))
        );
        let bad = [
            (good.replace("year = 1406", "year = 2026"), "year 2026"),
            (
                good.replace("area_to = 199.5", "area_to = 0"),
                "row 2: area_to",
            ),
            (
                good.replace("per_m2 = 450000", "per_m2 = -1"),
                "row 1: fixed and per_m2",
            ),
            (
                good.replace("\"COMMERCIAL\"", "\"SHOP\""),
                "not a tariff file",
            ),
            (
                good.replace("district = 9", "district = 120"),
                "row 2: district",
            ),
        ];
        for (text, expected) in bad {
            let e = TariffYear::from_toml(&text)
                .expect_err(expected)
                .to_string();
            assert!(e.contains(expected), "{e}");
        }
    }

    #[test]
    fn the_closest_row_of_the_years_tariff_sets_the_fee() {
        let tariff = [
            row(
                None,
                Some(LandUse::Residential),
                0,
                Some(200),
                2_000_000,
                150_000,
            ),
            row(
                None,
                Some(LandUse::Residential),
                200,
                None,
                2_000_000,
                180_000,
            ),
            row(None, Some(LandUse::Commercial), 0, None, 5_000_000, 400_000),
            row(
                Some(9),
                Some(LandUse::Commercial),
                0,
                None,
                4_000_000,
                350_000,
            ),
            row(None, None, 0, None, 3_000_000, 200_000),
        ];
        let facts = |district, land_use, m2| ParcelFacts {
            district,
            land_use,
            area: area(m2),
        };
        // (parcel, expected fee in rials, why): the 1405 tariff of the council, as loaded.
        let rows = [
            (
                facts(1, Some(LandUse::Residential), 180),
                Some(29_000_000),
                "residential, under 200 m²",
            ),
            (
                facts(1, Some(LandUse::Residential), 200),
                Some(38_000_000),
                "the band's lower end belongs to it",
            ),
            (
                facts(1, Some(LandUse::Commercial), 180),
                Some(77_000_000),
                "commercial, city-wide row",
            ),
            (
                facts(9, Some(LandUse::Commercial), 180),
                Some(67_000_000),
                "District 9's own row wins",
            ),
            (
                facts(1, None, 100),
                Some(23_000_000),
                "no land use on record: the general row",
            ),
            (
                facts(1, Some(LandUse::Industrial), 100),
                Some(23_000_000),
                "a land use with no row: the general row",
            ),
        ];
        for (parcel, expected, why) in rows {
            let fee = pick(&tariff, "building_permit_new", 1405, &parcel)
                .map(|r| r.fee(parcel.area).expect("fee").get());
            assert_eq!(fee, expected, "{why}");
        }
        assert_eq!(
            pick(&tariff, "building_permit_new", 1404, &facts(1, None, 100)),
            None,
            "another year's tariff"
        );
        assert_eq!(
            pick(&tariff, "land_use_inquiry", 1405, &facts(1, None, 100)),
            None,
            "another service"
        );
    }
}
