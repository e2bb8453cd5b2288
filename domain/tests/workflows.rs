//! Citizen service requests (domain reference, section 4): catalogue workflows are data and
//! must be usable, a move to PAID records the payment, and SLA clocks count working hours and
//! stop while the citizen holds the request. Rows name their source.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shahr_domain::{
    calendar::HolidayCalendar,
    money::Rials,
    office::{due_at, OfficeHours, Visit},
    requests::{check_payment, parse_workflow, Payment, PaymentError, WorkflowError},
    vocabulary::RequestState::{self, *},
};

/// Source, next state, fee, payment given, expected.
type PaymentRow = (
    &'static str,
    RequestState,
    Option<i64>,
    Option<Payment>,
    Result<(), PaymentError>,
);

/// Source, visits, SLA hours, expected deadline.
type ClockRow = (&'static str, Vec<Visit>, Option<i64>, Option<DateTime<Utc>>);

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_catalogue_workflow_is_refused_naming_what_is_wrong() {
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<String>, Result<usize, WorkflowError>)> = vec![
        ("section 4: submit, inspect, review, fee, pay, approve, issue", codes(&["SUBMITTED", "INSPECTION_SCHEDULED", "UNDER_REVIEW", "FEE_PAYABLE", "PAID", "APPROVED", "ISSUED"]), Ok(7)),
        ("an unknown step is an error, never dropped", codes(&["SUBMITTED", "UNDER_REVEIW", "ISSUED"]), Err(WorkflowError::UnknownStep("UNDER_REVEIW".into()))),
        ("every request starts as submitted", codes(&["UNDER_REVIEW", "ISSUED"]), Err(WorkflowError::MustStartAtSubmitted)),
        ("a step once", codes(&["SUBMITTED", "UNDER_REVIEW", "UNDER_REVIEW"]), Err(WorkflowError::Repeated(UnderReview))),
        ("issue closes the request: last", codes(&["SUBMITTED", "ISSUED", "APPROVED"]), Err(WorkflowError::TerminalBeforeEnd(Issued))),
        ("the citizen's hold is a move, not a step", codes(&["SUBMITTED", "DOCUMENTS_INCOMPLETE", "ISSUED"]), Err(WorkflowError::NotAStep(DocumentsIncomplete))),
        ("section 4: a fee set is paid next", codes(&["SUBMITTED", "FEE_PAYABLE", "APPROVED", "ISSUED"]), Err(WorkflowError::FeeWithoutPayment)),
        ("section 4: paid only for a fee asked", codes(&["SUBMITTED", "UNDER_REVIEW", "PAID", "ISSUED"]), Err(WorkflowError::FeeWithoutPayment)),
    ];
    for (source, workflow, expected) in rows {
        assert_eq!(
            parse_workflow(&workflow).map(|w| w.len()),
            expected,
            "{source}"
        );
    }
}

#[test]
fn a_move_to_paid_records_a_payment_of_exactly_the_fee() {
    let r = |n: i64| Rials::new(n).expect("rials");
    let pay = |n: i64| Payment {
        reference: "BANK-7".into(),
        amount: r(n),
    };
    #[rustfmt::skip]
    let rows: Vec<PaymentRow> = vec![
        ("paid with its reference and the fee", Paid, Some(800_000), Some(pay(800_000)), Ok(())),
        ("paid needs the payment", Paid, Some(800_000), None, Err(PaymentError::Missing)),
        ("not the fee", Paid, Some(800_000), Some(pay(700_000)), Err(PaymentError::WrongAmount { fee: r(800_000), paid: r(700_000) })),
        ("no fee computed", Paid, None, Some(pay(1)), Err(PaymentError::NoFee)),
        ("another move takes no payment", Approved, Some(800_000), Some(pay(800_000)), Err(PaymentError::NotApplicable)),
        ("another move", UnderReview, None, None, Ok(())),
    ];
    for (source, next, fee, payment, expected) in rows {
        assert_eq!(
            check_payment(next, fee.map(r), payment.as_ref()),
            expected,
            "{source}"
        );
    }
}

/// A Tehran wall-clock time as UTC.
fn at(day: (i32, u32, u32), h: u32, m: u32) -> DateTime<Utc> {
    let tehran = chrono::FixedOffset::east_opt(210 * 60).expect("offset");
    tehran
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(day.0, day.1, day.2)
                .expect("day")
                .and_hms_opt(h, m, 0)
                .expect("time"),
        )
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

fn visit(state: RequestState, entered: DateTime<Utc>, left: Option<DateTime<Utc>>) -> Visit {
    Visit {
        state,
        entered,
        left,
    }
}

#[test]
fn an_sla_clock_counts_office_hours_and_stops_while_the_citizen_holds_the_request() {
    // Saturday to Wednesday, 07:30 to 14:30; 2026-11-29 is Sunday 1405/09/08.
    let office = OfficeHours::new(
        "07:30-14:30",
        &codes(&["saturday", "sunday", "monday", "tuesday", "wednesday"]),
    )
    .expect("hours");
    let calendar = HolidayCalendar::default();
    let sun = (2026, 11, 29);
    let tue = (2026, 12, 1);
    #[rustfmt::skip]
    let rows: Vec<ClockRow> = vec![
        ("4 working hours from Sunday 08:00: Sunday 12:00", vec![visit(Submitted, at(sun, 8, 0), None)], Some(4), Some(at(sun, 12, 0))),
        ("past closing, the clock goes on the next working day", vec![visit(Submitted, at(sun, 13, 0), None)], Some(4), Some(at((2026, 11, 30), 10, 0))),
        ("filed at night: the clock starts at opening", vec![visit(Submitted, at(sun, 20, 0), None)], Some(1), Some(at((2026, 11, 30), 8, 30))),
        ("Thursday and Friday are not working days", vec![visit(UnderReview, at((2026, 12, 2), 14, 0), None)], Some(2), Some(at((2026, 12, 5), 9, 0))),
        ("48 working hours: seven working days later", vec![visit(Submitted, at(sun, 8, 0), None)], Some(48), Some(at((2026, 12, 7), 14, 0))),
        ("2 hours spent, then the citizen held it: 2 hours left after resubmission",
            vec![visit(Submitted, at(sun, 8, 0), Some(at(sun, 10, 0))), visit(DocumentsIncomplete, at(sun, 10, 0), Some(at(tue, 9, 0))), visit(Submitted, at(tue, 9, 0), None)],
            Some(4), Some(at(tue, 11, 0))),
        ("while the citizen holds it, no clock", vec![visit(FeePayable, at(sun, 8, 0), None)], Some(4), None),
        ("a closed request has no clock", vec![visit(Issued, at(sun, 8, 0), None)], Some(4), None),
        ("a step with no SLA", vec![visit(UnderReview, at(sun, 8, 0), None)], None, None),
    ];
    for (source, visits, sla, expected) in rows {
        assert_eq!(
            due_at(&visits, sla, &office, &calendar),
            expected,
            "{source}"
        );
    }
    let shipped = HolidayCalendar::new([shahr_domain::calendar::HolidayYear::from_toml(
        include_str!("../../deploy/holidays/1405.toml"),
    )
    .expect("1405")]);
    assert_eq!(
        due_at(
            &[visit(Submitted, at((2026, 12, 21), 13, 0), None)],
            Some(4),
            &office,
            &shipped
        ),
        Some(at((2026, 12, 23), 10, 0)),
        "1405/10/01 (Tuesday 22 December) is an official holiday"
    );
    assert!(OfficeHours::new("14:30-07:30", &codes(&["saturday"])).is_err());
    assert!(OfficeHours::new("07:30-14:30", &codes(&["shanbeh"])).is_err());
}
