//! Carrying out final rulings (domain reference, section 1: "Enforcement ends", Notes 2 and 3
//! on non-payment). Rows name their source.

use shahr_domain::{
    enforcement::{
        fully_enforced, may_pay, may_record, may_refer_for_non_payment, nothing_to_enforce,
        Refusal, RulingStanding,
    },
    money::Rials,
    vocabulary::{EnforcementAction::*, ItemOutcome::*},
};

/// (source, ruling, action, cost, expected)
type ActionRow = (
    &'static str,
    RulingStanding,
    shahr_domain::vocabulary::EnforcementAction,
    Option<i64>,
    Result<(), Refusal>,
);

/// (source, ruling, expected commission or refusal)
type ReferRow = (&'static str, RulingStanding, Result<Option<i32>, Refusal>);

fn r(n: i64) -> Rials {
    Rials::new(n).expect("rials")
}

fn fine_ruling() -> RulingStanding {
    RulingStanding {
        ruling_id: 10,
        commission_id: Some(1),
        is_final: true,
        superseded: false,
        outcomes: vec![Fine],
        fine: r(1_000),
        paid: r(0),
        done: vec![],
    }
}

#[test]
fn payments_go_only_to_the_operative_final_fine_and_never_beyond_what_is_owed() {
    let superseded = RulingStanding {
        superseded: true,
        ..fine_ruling()
    };
    let not_final = RulingStanding {
        is_final: false,
        ..fine_ruling()
    };
    let paid = RulingStanding {
        paid: r(1_000),
        ..fine_ruling()
    };
    let demolition = RulingStanding {
        outcomes: vec![Demolition],
        fine: r(0),
        ..fine_ruling()
    };
    #[rustfmt::skip]
    let rows: Vec<(&str, RulingStanding, i64, Result<(), Refusal>)> = vec![
        ("an instalment of a final fine", fine_ruling(), 400, Ok(())),
        ("the whole fine", fine_ruling(), 1_000, Ok(())),
        ("more than what is owed", fine_ruling(), 1_001, Err(Refusal::MoreThanOwed(r(1_000)))),
        ("no payment against a superseded ruling", superseded, 100, Err(Refusal::Superseded)),
        ("a fine is paid once the ruling is final", not_final, 100, Err(Refusal::NotFinal)),
        ("nothing left to pay", paid, 1, Err(Refusal::AlreadyPaid)),
        ("a demolition ruling has no fine", demolition, 1, Err(Refusal::NoFine)),
    ];
    for (source, ruling, amount, expected) in rows {
        assert_eq!(may_pay(&ruling, r(amount)), expected, "{source}");
    }
}

#[test]
fn non_payment_goes_back_to_the_same_commission_only_for_an_unpaid_operative_final_fine() {
    #[rustfmt::skip]
    let rows: Vec<ReferRow> = vec![
        ("Notes 2 and 3: unpaid final fine, back to commission 1 that imposed it", fine_ruling(), Ok(Some(1))),
        ("Notes 2 and 3: partly paid is still unpaid", RulingStanding { paid: r(999), ..fine_ruling() }, Ok(Some(1))),
        ("paid in full: nothing to refer", RulingStanding { paid: r(1_000), ..fine_ruling() }, Err(Refusal::AlreadyPaid)),
        ("not final yet", RulingStanding { is_final: false, ..fine_ruling() }, Err(Refusal::NotFinal)),
        ("a confirmed or overturned primary ruling is not the operative one", RulingStanding { superseded: true, ..fine_ruling() }, Err(Refusal::Superseded)),
        ("no fine, no non-payment", RulingStanding { outcomes: vec![Demolition], fine: r(0), ..fine_ruling() }, Err(Refusal::NoFine)),
    ];
    for (source, ruling, expected) in rows {
        assert_eq!(may_refer_for_non_payment(&ruling), expected, "{source}");
    }
}

#[test]
fn every_kind_of_ruling_ends_in_enforcement_recorded_and_the_case_closes() {
    let mixed = RulingStanding {
        outcomes: vec![Fine, Demolition],
        ..fine_ruling()
    };
    let demolition = RulingStanding {
        outcomes: vec![Demolition],
        fine: r(0),
        ..fine_ruling()
    };
    #[rustfmt::skip]
    let rows: Vec<ActionRow> = vec![
        ("domain §1: demolition carried out by the owner", demolition.clone(), DemolishedByOwner, None, Ok(())),
        ("domain §1: by the municipality, its cost a debt of the owner", demolition.clone(), DemolishedByMunicipality, Some(250_000_000), Ok(())),
        ("the municipality's demolition records its cost", demolition.clone(), DemolishedByMunicipality, None, Err(Refusal::Cost("a demolition by the municipality records its cost, a debt of the owner"))),
        ("the owner's demolition has no cost", demolition.clone(), DemolishedByOwner, Some(1), Err(Refusal::Cost("only a demolition by the municipality has a cost to record"))),
        ("use restored only where restoration was ordered", demolition.clone(), UseRestored, None, Err(Refusal::NotOrdered(Restoration))),
        ("business closed where closure was ordered", RulingStanding { outcomes: vec![Closure], fine: r(0), ..fine_ruling() }, BusinessClosed, None, Ok(())),
        ("use restored where restoration was ordered", RulingStanding { outcomes: vec![Restoration], fine: r(0), ..fine_ruling() }, UseRestored, None, Ok(())),
        ("not twice", RulingStanding { done: vec![DemolishedByOwner], ..demolition.clone() }, DemolishedByMunicipality, Some(1), Err(Refusal::AlreadyDone)),
        ("only once final", RulingStanding { is_final: false, ..demolition.clone() }, DemolishedByOwner, None, Err(Refusal::NotFinal)),
        ("a mixed ruling's demolished item", mixed, DemolishedByOwner, None, Ok(())),
    ];
    for (source, ruling, action, cost, expected) in rows {
        assert_eq!(
            may_record(&ruling, action, cost.map(r)),
            expected,
            "{source}"
        );
    }

    #[rustfmt::skip]
    let closes: Vec<(&str, RulingStanding, bool)> = vec![
        ("a fine paid in full closes the case", RulingStanding { paid: r(1_000), ..fine_ruling() }, true),
        ("a fine partly paid does not", RulingStanding { paid: r(10), ..fine_ruling() }, false),
        ("a demolition carried out closes it", RulingStanding { outcomes: vec![Demolition], fine: r(0), done: vec![DemolishedByOwner], ..fine_ruling() }, true),
        ("a mixed ruling needs both: paid, not demolished", RulingStanding { outcomes: vec![Fine, Demolition], paid: r(1_000), ..fine_ruling() }, false),
        ("a mixed ruling needs both: paid and demolished", RulingStanding { outcomes: vec![Fine, Demolition], paid: r(1_000), done: vec![DemolishedByMunicipality], ..fine_ruling() }, true),
        ("a closure carried out", RulingStanding { outcomes: vec![Closure], fine: r(0), done: vec![BusinessClosed], ..fine_ruling() }, true),
    ];
    for (source, ruling, expected) in closes {
        assert_eq!(fully_enforced(&ruling), expected, "{source}");
    }
    assert!(
        nothing_to_enforce(&RulingStanding {
            outcomes: vec![NoViolation],
            fine: r(0),
            ..fine_ruling()
        }),
        "a dismissal"
    );
    assert!(!nothing_to_enforce(&fine_ruling()));
}

#[test]
fn the_operative_ruling_is_the_latest_that_decided_the_case_and_stands() {
    use shahr_domain::{
        enforcement::{operative, outcomes_of, RulingSummary},
        vocabulary::{RulingKind as K, RulingStatus as S},
    };
    let r = |id, kind, status| RulingSummary {
        id,
        kind: Some(kind),
        status: Some(status),
    };
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<RulingSummary>, Option<i32>)> = vec![
        ("a primary ruling alone", vec![r(1, K::Fine, S::Final)], Some(1)),
        ("a confirmed primary fine is owed once, on the appeal ruling", vec![r(1, K::Fine, S::Final), r(2, K::Fine, S::Final)], Some(2)),
        ("an overturned primary ruling is not operative", vec![r(1, K::Demolition, S::Overturned), r(2, K::Fine, S::Final)], Some(2)),
        ("an interim order decides nothing", vec![r(1, K::InterimOrder, S::Issued), r(2, K::Fine, S::Issued)], Some(2)),
        ("a ruling after non-payment replaces the unpaid fine", vec![r(1, K::Fine, S::Final), r(3, K::Demolition, S::Issued)], Some(3)),
        ("nothing decided yet", vec![r(1, K::InterimOrder, S::Issued)], None),
    ];
    for (source, rulings, expected) in rows {
        assert_eq!(operative(&rulings), expected, "{source}");
    }
    assert_eq!(outcomes_of(Some(K::Dismissal), &[]), vec![NoViolation]);
    assert_eq!(
        outcomes_of(Some(K::Fine), &[Demolition, Fine, Fine]),
        vec![Fine, Demolition]
    );
}

#[test]
fn an_online_fine_payment_is_for_the_outstanding_amount_or_the_citys_next_instalment() {
    use shahr_domain::enforcement::{online_fine_due, FinePart, InstalmentPlan};
    let plan = |count, min| InstalmentPlan { count, min: r(min) };
    let fine = |fine, paid| RulingStanding {
        fine: r(fine),
        paid: r(paid),
        ..fine_ruling()
    };
    /// (source, ruling, plan, part, expected)
    type Row = (
        &'static str,
        RulingStanding,
        InstalmentPlan,
        FinePart,
        Result<Rials, Refusal>,
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("section 1: the whole fine when nothing is paid", fine(120_000_000, 0), plan(12, 5_000_000), FinePart::Whole, Ok(r(120_000_000))),
        ("section 1: what remains after instalments", fine(120_000_000, 30_000_000), plan(12, 5_000_000), FinePart::Whole, Ok(r(90_000_000))),
        ("city setting: a twelfth of the fine", fine(120_000_000, 0), plan(12, 5_000_000), FinePart::NextInstalment, Ok(r(10_000_000))),
        ("city setting: an instalment is rounded up to a thousand rials", fine(100_000_000, 0), plan(12, 1_000_000), FinePart::NextInstalment, Ok(r(8_334_000))),
        ("city setting: never below the smallest instalment", fine(24_000_000, 0), plan(12, 5_000_000), FinePart::NextInstalment, Ok(r(5_000_000))),
        ("city setting: the last instalment takes the remainder", fine(120_000_000, 105_000_000), plan(12, 5_000_000), FinePart::NextInstalment, Ok(r(15_000_000))),
        ("city setting: less than an instalment left after it: all of it", fine(24_000_000, 15_000_000), plan(12, 5_000_000), FinePart::NextInstalment, Ok(r(9_000_000))),
        ("city setting: a plan of one is payment in full", fine(120_000_000, 0), plan(1, 5_000_000), FinePart::NextInstalment, Ok(r(120_000_000))),
        ("section 1: nothing left to pay", fine(1_000, 1_000), plan(12, 1), FinePart::Whole, Err(Refusal::AlreadyPaid)),
        ("a fine is paid once the ruling is final", RulingStanding { is_final: false, ..fine(1_000, 0) }, plan(12, 1), FinePart::Whole, Err(Refusal::NotFinal)),
        ("the ruling that stands takes the payments", RulingStanding { superseded: true, ..fine(1_000, 0) }, plan(12, 1), FinePart::Whole, Err(Refusal::Superseded)),
        ("a demolition ruling has no fine", RulingStanding { outcomes: vec![Demolition], ..fine(0, 0) }, plan(12, 1), FinePart::NextInstalment, Err(Refusal::NoFine)),
    ];
    for (source, ruling, plan, part, expected) in rows {
        assert_eq!(online_fine_due(&ruling, plan, part), expected, "{source}");
    }
}
