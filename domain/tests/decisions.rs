//! One ruling, several outcomes (domain reference, section 1: "One ruling may decide items
//! differently"; Note 6 is always demolition; Note 1 demolition period). Rows name their
//! source.

use shahr_domain::vocabulary::ItemOutcome;
use shahr_domain::{
    decisions::{check_demolition_period, decide, CaseItem, ItemChoice, ItemDecision},
    quantities::Hundredths,
    vocabulary::{ItemOutcome::*, RulingKind, ViolationNote::*},
};

const ITEMS: [CaseItem; 3] = [
    CaseItem {
        id: 1,
        note: Some(Note2),
    },
    CaseItem {
        id: 2,
        note: Some(Note6),
    },
    CaseItem {
        id: 3,
        note: Some(Note4),
    },
];

fn c(item_id: i32, outcome: Option<ItemOutcome>, k: Option<&str>) -> ItemChoice {
    ItemChoice {
        item_id,
        outcome,
        coefficient: k.map(|k| Hundredths::parse(k).expect("k")),
    }
}

type Outcomes = Vec<(i32, ItemOutcome)>;
type Row = (
    &'static str,
    RulingKind,
    Vec<ItemChoice>,
    Result<Outcomes, &'static str>,
);

fn outcomes(d: &[ItemDecision]) -> Outcomes {
    d.iter().map(|d| (d.item_id, d.outcome)).collect()
}

#[test]
fn a_ruling_decides_each_item_and_may_decide_them_differently() {
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("domain §1: a fine for one item, demolition for the Note 6 item, Note 4 priced by law",
            RulingKind::Fine, vec![c(1, None, Some("0.75"))], Ok(vec![(1, Fine), (2, Demolition), (3, Fine)])),
        ("domain §1: a demolition ruling demolishes every item not decided otherwise",
            RulingKind::Demolition, vec![c(3, Some(Fine), None)], Ok(vec![(1, Demolition), (2, Demolition), (3, Fine)])),
        ("Note 6: a Note 6 item is always demolition",
            RulingKind::Fine, vec![c(1, None, Some("1")), c(2, Some(Fine), Some("1"))], Err("items[1].outcome")),
        ("Notes 2, 3, 5: a fined item needs its coefficient",
            RulingKind::Fine, vec![], Err("items")),
        ("a coefficient belongs to a fined item only",
            RulingKind::Demolition, vec![c(1, None, Some("1"))], Err("items[0].coefficient")),
        ("an item decided twice", RulingKind::Fine, vec![c(1, None, Some("1")), c(1, None, Some("2"))], Err("items[1].item")),
        ("an item of another case", RulingKind::Fine, vec![c(9, None, Some("1"))], Err("items[0].item")),
        ("the ruling's kind is one of its outcomes",
            RulingKind::Restoration, vec![c(1, Some(Demolition), None), c(3, Some(Demolition), None)], Err("kind")),
        ("an item may be found no violation while another is fined",
            RulingKind::Fine, vec![c(1, Some(NoViolation), None), c(3, Some(Fine), None)], Ok(vec![(1, NoViolation), (2, Demolition), (3, Fine)])),
        ("a dismissal decides no item", RulingKind::Dismissal, vec![], Ok(vec![])),
        ("an interim order lists no item", RulingKind::InterimOrder, vec![c(1, None, None)], Err("items")),
    ];
    for (source, kind, choices, expected) in rows {
        let got = decide(kind, &ITEMS, &choices);
        match expected {
            Ok(e) => assert_eq!(
                got.map(|d| outcomes(&d)).map_err(|e| e.field),
                Ok(e),
                "{source}"
            ),
            Err(field) => assert_eq!(
                got.map(|d| outcomes(&d)).map_err(|e| e.field),
                Err(field.to_owned()),
                "{source}"
            ),
        }
    }
}

#[test]
fn a_ruling_that_orders_demolition_sets_the_owners_period_of_at_most_two_months() {
    let demolish = decide(RulingKind::Demolition, &ITEMS, &[]).expect("decided");
    let fine_only =
        decide(RulingKind::Fine, &ITEMS[..1], &[c(1, None, Some("1"))]).expect("decided");
    #[rustfmt::skip]
    let rows = [
        ("Note 1: the commission sets the period in the ruling", &demolish, Some(45), Ok(())),
        ("Note 1: at most two months (60 days by default)", &demolish, Some(60), Ok(())),
        ("Note 1: not longer", &demolish, Some(61), Err("demolitionPeriodDays")),
        ("Note 1: a period is required", &demolish, None, Err("demolitionPeriodDays")),
        ("no demolition, no period", &fine_only, Some(30), Err("demolitionPeriodDays")),
        ("no demolition, nothing to set", &fine_only, None, Ok(())),
    ];
    for (source, decisions, period, expected) in rows {
        assert_eq!(
            check_demolition_period(decisions, period, 60).map_err(|e| e.field),
            expected.map_err(str::to_owned),
            "{source}"
        );
    }
}
