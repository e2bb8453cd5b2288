//! Fines of Article 100, row by row from the law (domain reference, section 1, the fines
//! table). Each row names the note it comes from.

use shahr_domain::{
    fines::{FineError, FineRules, ItemFacts},
    money::Rials,
    quantities::Hundredths,
    vocabulary::ViolationNote::{self, *},
};

/// The transaction value of block 45, 1405: 23,000,000 rials/m².
const TV: i64 = 23_000_000;

fn h(s: &str) -> Hundredths {
    Hundredths::parse(s).expect("decimal")
}

fn facts(
    note: ViolationNote,
    area: &str,
    spaces: u32,
    goodwill: Option<i64>,
    coefficient: Option<&str>,
) -> ItemFacts {
    ItemFacts {
        note,
        area: h(area),
        parking_spaces: spaces,
        transaction_value: Some(Rials::new(TV).expect("tv")),
        goodwill_value: goodwill.map(|g| Rials::new(g).expect("goodwill")),
        coefficient: coefficient.map(h),
    }
}

type Expected = Result<i64, FineError>;

fn out_of_range(got: &str, min: &str, max: &str) -> Expected {
    Err(FineError::CoefficientOutOfRange {
        got: h(got),
        min: h(min),
        max: h(max),
    })
}

#[test]
fn every_note_prices_its_items_as_the_law_says() {
    let rules = FineRules::default();
    #[rustfmt::skip]
    let rows: Vec<(&str, ItemFacts, Expected)> = vec![
        // Note 2: residential area beyond the permit, at least 1/2, at most 3 × the value.
        ("Note 2, lowest coefficient 1/2", facts(Note2, "60", 0, None, Some("0.5")), Ok(690_000_000)),
        ("Note 2, a coefficient inside the range", facts(Note2, "60", 0, None, Some("0.75")), Ok(1_035_000_000)),
        ("Note 2, highest coefficient 3", facts(Note2, "60", 0, None, Some("3")), Ok(4_140_000_000)),
        ("Note 2, 0.3 was lawful only under the old, wrong range", facts(Note2, "60", 0, None, Some("0.3")), out_of_range("0.3", "0.5", "3")),
        ("Note 2, 0.49 is below 1/2", facts(Note2, "60", 0, None, Some("0.49")), out_of_range("0.49", "0.5", "3")),
        ("Note 2, 3.01 is above 3", facts(Note2, "60", 0, None, Some("3.01")), out_of_range("3.01", "0.5", "3")),
        ("Note 2, the commission must choose", facts(Note2, "60", 0, None, None), Err(FineError::CoefficientMissing)),
        ("Note 2, nothing beyond the permit", facts(Note2, "0", 0, None, Some("1")), Err(FineError::NoArea)),
        ("Note 2, fractional area, exact", facts(Note2, "12.35", 0, None, Some("1.25")), Ok(355_062_500)),
        // Note 3: commercial, office or industrial, at least 2, at most 4 × the value.
        ("Note 3, lowest coefficient 2", facts(Note3, "35", 0, None, Some("2")), Ok(1_610_000_000)),
        ("Note 3, inside", facts(Note3, "35", 0, None, Some("2.5")), Ok(2_012_500_000)),
        ("Note 3, highest coefficient 4", facts(Note3, "35", 0, None, Some("4")), Ok(3_220_000_000)),
        ("Note 3, 1.99 is below 2", facts(Note3, "35", 0, None, Some("1.99")), out_of_range("1.99", "2", "4")),
        ("Note 3, 4.01 is above 4", facts(Note3, "35", 0, None, Some("4.01")), out_of_range("4.01", "2", "4")),
        // Note 4: no permit, conforming: 1/10 of the value, or 1/5 of goodwill where larger.
        ("Note 4, goodwill larger: 1/5 × 45,000,000", facts(Note4, "100", 0, Some(45_000_000), None), Ok(900_000_000)),
        ("Note 4, transaction value larger: 1/10 × 23,000,000", facts(Note4, "100", 0, Some(5_000_000), None), Ok(230_000_000)),
        ("Note 4, no goodwill value: 1/10 of the transaction value, not refused", facts(Note4, "100", 0, None, None), Ok(230_000_000)),
        ("Note 4, the shares are fixed: no coefficient", facts(Note4, "100", 0, None, Some("0.1")), Err(FineError::CoefficientNotApplicable)),
        // Note 5: parking lost, 1 to 2 × the value per m², 25 m² per space.
        ("Note 5, one space at 1", facts(Note5, "0", 1, None, Some("1")), Ok(575_000_000)),
        ("Note 5, two spaces at 1.5", facts(Note5, "0", 2, None, Some("1.5")), Ok(1_725_000_000)),
        ("Note 5, two spaces at 2", facts(Note5, "0", 2, None, Some("2")), Ok(2_300_000_000)),
        ("Note 5, 2.1 is above 2", facts(Note5, "0", 2, None, Some("2.1")), out_of_range("2.1", "1", "2")),
        ("Note 5, the spaces lost are needed", facts(Note5, "0", 0, None, Some("1")), Err(FineError::NoParkingSpaces)),
        // Note 6: encroachment on the street or setback line: no fine, demolition.
        ("Note 6, no fine", facts(Note6, "12", 0, None, Some("1")), Err(FineError::DemolitionOnly)),
    ];
    for (row, item, expected) in rows {
        assert_eq!(rules.fine(&item).map(|l| l.rials.get()), expected, "{row}");
    }
}

#[test]
fn the_range_is_checked_on_the_coefficient_as_entered() {
    // Note 2: 0.504 is not 0.50 and 3.004 is not 3.00; a coefficient the urbanism system
    // cannot record (more than two places) is refused before any range check, so what is
    // checked, stored and priced is one number.
    assert!(
        Hundredths::from_f64(0.504).is_err(),
        "0.504 is refused, not rounded to 0.50"
    );
    assert!(
        Hundredths::from_f64(3.004).is_err(),
        "3.004 is refused, not rounded to 3.00"
    );
    let rules = FineRules::default();
    let line = rules
        .fine(&facts(Note2, "60", 0, None, Some("2.25")))
        .expect("fine");
    assert_eq!(
        line.coefficient,
        Some(h("2.25")),
        "the coefficient priced is the one stored"
    );
    assert_eq!(line.rials.get(), 3_105_000_000);
    assert!(
        line.arithmetic.contains("60.00 m² × 2.25 × 23000000"),
        "{}",
        line.arithmetic
    );
    assert!(
        line.arithmetic_fa
            .contains("۶۰٫۰۰ مترمربع × ۲٫۲۵ × ۲۳٬۰۰۰٬۰۰۰ ریال"),
        "{}",
        line.arithmetic_fa
    );
}

#[test]
fn a_fine_too_large_to_record_is_an_error_not_a_capped_number() {
    let rules = FineRules::default();
    let mut huge = facts(Note3, "99999999", 0, None, Some("4"));
    huge.transaction_value = Some(Rials::new(i64::MAX / 2).expect("value"));
    assert_eq!(rules.fine(&huge).map(|l| l.rials), Err(FineError::Overflow));
}

#[test]
fn the_brief_gives_each_items_lowest_and_highest_fine() {
    let rules = FineRules::default();
    let (low, high) = rules
        .bounds(&facts(Note2, "60", 0, None, None))
        .expect("bounds");
    assert_eq!(
        (low.rials.get(), high.rials.get()),
        (690_000_000, 4_140_000_000),
        "Note 2: 1/2 and 3 × 60 m² × 23,000,000"
    );
    let (low, high) = rules
        .bounds(&facts(Note4, "100", 0, None, None))
        .expect("bounds");
    assert_eq!(low, high, "Note 4 has one amount");
    assert_eq!(
        rules.bounds(&facts(Note6, "12", 0, None, None)).map(|_| ()),
        Err(FineError::DemolitionOnly)
    );
}

#[test]
fn configured_ranges_are_checked_and_named() {
    let mut rules = FineRules::default();
    assert_eq!(rules.validate(), Ok(()));
    rules.note2.min = 400;
    assert!(rules.validate().is_err_and(|e| e.contains("fines.note2")));
}
