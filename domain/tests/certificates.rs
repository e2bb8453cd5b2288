//! Note 8: what stands against a completion or no-violation certificate. Rows name their
//! source.

use shahr_domain::{
    certificates::{blockers, Blocker, CaseFacts},
    money::Rials,
    vocabulary::CaseStatus::{self, *},
};

/// (source, cases, unpaid final fines, demolitions pending, expected blockers)
type Row = (&'static str, Vec<CaseFacts>, Rials, Vec<i32>, Vec<Blocker>);

fn case(case_id: i32, status: CaseStatus) -> CaseFacts {
    CaseFacts {
        case_id,
        status,
        resolved_without_enforcement: false,
    }
}

#[test]
fn a_certificate_waits_for_open_cases_unpaid_final_fines_and_demolitions_not_carried_out() {
    let none = Rials::ZERO;
    let owed = Rials::new(1_276_500_000).expect("owed");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("Note 8: nothing against the parcel", vec![case(1, Closed)], none, vec![], vec![]),
        ("Note 8: an open violation case", vec![case(7, ExpertReview)], none, vec![],
            vec![Blocker::OpenCase { case_id: 7, status: ExpertReview }]),
        ("Note 8: a case under appeal is open", vec![case(7, Appealed)], none, vec![],
            vec![Blocker::OpenCase { case_id: 7, status: Appealed }]),
        ("Note 8: an unpaid final fine", vec![case(2, Closed)], owed, vec![], vec![Blocker::UnpaidFines(owed)]),
        ("Note 8: a fine referred back for non-payment is still unpaid (and the case open again)",
            vec![case(2, Referred)], owed, vec![],
            vec![Blocker::OpenCase { case_id: 2, status: Referred }, Blocker::UnpaidFines(owed)]),
        ("Note 8: a final demolition ruling not carried out", vec![case(3, Closed)], none, vec![31],
            vec![Blocker::DemolitionPending { ruling_id: 31 }]),
        ("a final dismissal never marked closed in the legacy system is resolved",
            vec![CaseFacts { case_id: 6, status: Final, resolved_without_enforcement: true }], none, vec![], vec![]),
    ];
    for (source, cases, unpaid, pending, expected) in rows {
        assert_eq!(blockers(&cases, unpaid, &pending), expected, "{source}");
    }
    let fa = Blocker::UnpaidFines(owed).describe_fa();
    assert!(fa.contains("۱٬۲۷۶٬۵۰۰٬۰۰۰"), "{fa}");
}
