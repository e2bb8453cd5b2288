//! Who may sit on an appeal (domain reference, section 1: "appeal goes to a commission none
//! of whose members sat on the primary ruling (check the legacy rulings' commission and
//! membership dates too, not only signatures made here)"). Rows name their source.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use shahr_domain::{
    conflicts::{conflicts, sat_on, PrimaryRuling, Term},
    identifiers::NationalId,
    jalali::JalaliDate,
};

fn j(s: &str) -> NaiveDate {
    JalaliDate::parse(s).expect("date").to_gregorian()
}

fn n(s: &str) -> NationalId {
    NationalId::parse(s).expect("national id")
}

fn term(id: &str, commission: i32, from: Option<&str>, until: Option<&str>) -> Term {
    Term {
        national_id: n(id),
        commission_id: commission,
        from: from.map(j),
        until: until.map(j),
        voting: true,
    }
}

const JUDGE: &str = "0023456787";
const INTERIOR: &str = "0012345679";
const FORMER: &str = "3974017844";

fn terms() -> Vec<Term> {
    vec![
        term(INTERIOR, 9, Some("1400/01/01"), None),
        term(JUDGE, 9, Some("1400/01/01"), Some("1403/12/29")),
        term(JUDGE, 11, Some("1404/01/01"), None),
        term(FORMER, 9, Some("1398/01/01"), Some("1402/06/30")),
        term(FORMER, 11, Some("1402/07/01"), None),
        term("1583250689", 11, Some("1402/01/01"), None),
    ]
}

#[test]
fn members_of_the_primary_commission_on_the_rulings_date_may_not_sit_on_its_appeal() {
    #[rustfmt::skip]
    let rows: Vec<(&str, PrimaryRuling, Vec<NationalId>)> = vec![
        ("legacy ruling of commission 9 on 1403/06/05: the judge then on 9 now sits on 11; the member who had left 9 may sit",
            PrimaryRuling { commission_id: Some(9), date: Some(j("1403/06/05")), signers: vec![] }, vec![n(JUDGE)]),
        ("a ruling of 1401: the former member was on 9 then, and is on 11 now",
            PrimaryRuling { commission_id: Some(9), date: Some(j("1401/05/01")), signers: vec![] }, vec![n(JUDGE), n(FORMER)]),
        ("a signature made through the gateway counts even without a term on record",
            PrimaryRuling { commission_id: Some(1), date: Some(j("1405/09/07")), signers: vec![n("1583250689")] }, vec![n("1583250689")]),
        ("an unreadable ruling date: every term of its commission counts",
            PrimaryRuling { commission_id: Some(9), date: None, signers: vec![] }, vec![n(JUDGE), n(FORMER)]),
        ("a primary commission with no member on appeal 11: no conflict",
            PrimaryRuling { commission_id: Some(5), date: Some(j("1404/01/01")), signers: vec![] }, vec![]),
    ];
    let today = j("1405/09/09");
    for (source, primary, expected) in rows {
        let sat: BTreeSet<NationalId> = sat_on(&primary, &terms());
        let mut expected = expected;
        expected.sort();
        assert_eq!(conflicts(11, today, &terms(), &sat), expected, "{source}");
    }
}
