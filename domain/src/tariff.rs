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
