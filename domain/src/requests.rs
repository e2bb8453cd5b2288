//! The life of a citizen's service request: states, and which moves are legal.
//!
//! A service's workflow is data (its catalogue entry lists the states it passes through, in
//! order, from `Submitted` to its final state); these rules only say what each kind of move
//! may do, so a new service needs no release.

use crate::vocabulary::RequestState;

/// A move someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Staff: on to the next step of the service's workflow.
    Advance,
    /// Staff: documents are missing; back to the citizen.
    DocumentsIncomplete,
    /// Citizen: documents completed; back to review.
    Resubmit,
    /// Staff: refused, with a reason.
    Reject,
    /// Citizen: gives up the request.
    Withdraw,
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request in state {current} cannot {attempted}")]
pub struct IllegalMove {
    /// The state the request is in.
    pub current: RequestState,
    /// What was attempted, in words.
    pub attempted: &'static str,
}

/// True for states no move leaves.
pub fn is_terminal(state: RequestState) -> bool {
    matches!(
        state,
        RequestState::Rejected | RequestState::Issued | RequestState::Withdrawn
    )
}

/// Refuses any change to a closed request, naming what was attempted.
pub fn ensure_open(state: RequestState, attempted: &'static str) -> Result<(), IllegalMove> {
    if is_terminal(state) {
        return Err(IllegalMove {
            current: state,
            attempted,
        });
    }
    Ok(())
}

/// The state a move leads to, for a service whose workflow is `steps`.
pub fn apply(
    steps: &[RequestState],
    current: RequestState,
    action: Move,
) -> Result<RequestState, IllegalMove> {
    let refuse = |attempted| Err(IllegalMove { current, attempted });
    if is_terminal(current) {
        return refuse(match action {
            Move::Advance => "advance",
            Move::DocumentsIncomplete => "be marked incomplete",
            Move::Resubmit => "be resubmitted",
            Move::Reject => "be rejected",
            Move::Withdraw => "be withdrawn",
        });
    }
    match action {
        Move::Advance => {
            if current == RequestState::DocumentsIncomplete {
                return refuse("advance before its documents are complete");
            }
            let at = steps.iter().position(|s| *s == current);
            match at.and_then(|i| steps.get(i + 1)) {
                Some(next) => Ok(*next),
                None => refuse("advance past the last step of its service"),
            }
        }
        Move::DocumentsIncomplete => match current {
            RequestState::Submitted | RequestState::UnderReview => {
                Ok(RequestState::DocumentsIncomplete)
            }
            _ => refuse("be marked incomplete"),
        },
        Move::Resubmit => match current {
            RequestState::DocumentsIncomplete => Ok(RequestState::Submitted),
            _ => refuse("be resubmitted"),
        },
        Move::Reject => Ok(RequestState::Rejected),
        Move::Withdraw => match current {
            RequestState::Approved | RequestState::Paid => {
                refuse("be withdrawn after payment or approval")
            }
            _ => Ok(RequestState::Withdrawn),
        },
    }
}

/// A service's fee: the fixed part plus the per-m² part on the parcel's land area, in whole
/// rials (rounded half up), never through floating point; too large an amount is an error.
pub fn fee(
    fixed_rials: i64,
    per_m2_rials: i64,
    area: crate::quantities::Area,
) -> Result<crate::money::Rials, crate::money::MoneyError> {
    use crate::money::{MoneyError, Rials};
    let fixed = Rials::new(fixed_rials)?;
    let per_m2 = Rials::new(per_m2_rials)?;
    let by_area = per_m2
        .times_hundredths(area, crate::quantities::Hundredths::whole(1))
        .map_err(MoneyError::from)?;
    Ok(fixed.checked_add(by_area)?)
}

/// Why a catalogue workflow cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// A step that is not a request state.
    #[error("unknown step `{0}`")]
    UnknownStep(String),
    /// The first step is not `SUBMITTED`.
    #[error("a workflow starts at SUBMITTED")]
    MustStartAtSubmitted,
    /// A step listed twice.
    #[error("step {0:?} is listed twice")]
    Repeated(RequestState),
    /// A closing state before the last step.
    #[error("{0:?} closes a request and can only be the last step")]
    TerminalBeforeEnd(RequestState),
    /// A state the workflow cannot list (the citizen's and rejection states are reached by
    /// their own moves).
    #[error("{0:?} is reached by its own move, not listed as a step")]
    NotAStep(RequestState),
    /// `FEE_PAYABLE` and `PAID` not adjacent: a fee is paid right after it is set, and a
    /// request is marked paid only for a fee it was asked.
    #[error("FEE_PAYABLE must be followed directly by PAID, and PAID preceded by FEE_PAYABLE")]
    FeeWithoutPayment,
}

/// Reads a catalogue workflow from its stored codes: every code must be a known state (an
/// unknown step is an error, never dropped), and the workflow must be usable.
pub fn parse_workflow(codes: &[String]) -> Result<Vec<RequestState>, WorkflowError> {
    let steps = codes
        .iter()
        .map(|c| RequestState::from_code(c).ok_or_else(|| WorkflowError::UnknownStep(c.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    check_workflow(&steps)?;
    Ok(steps)
}

/// Checks that a catalogue workflow is usable: starts at `Submitted`, no repeats, no closing
/// state but possibly the last, none of the states reached by their own moves, and a fee
/// step directly followed by its payment.
pub fn check_workflow(steps: &[RequestState]) -> Result<(), WorkflowError> {
    if steps.first() != Some(&RequestState::Submitted) {
        return Err(WorkflowError::MustStartAtSubmitted);
    }
    let mut seen = std::collections::HashSet::new();
    for (i, s) in steps.iter().enumerate() {
        if !seen.insert(*s) {
            return Err(WorkflowError::Repeated(*s));
        }
        if matches!(
            s,
            RequestState::DocumentsIncomplete | RequestState::Rejected | RequestState::Withdrawn
        ) {
            return Err(WorkflowError::NotAStep(*s));
        }
        if is_terminal(*s) && i + 1 != steps.len() {
            return Err(WorkflowError::TerminalBeforeEnd(*s));
        }
        let next = steps.get(i + 1).copied();
        let previous = i.checked_sub(1).and_then(|p| steps.get(p)).copied();
        if (*s == RequestState::FeePayable && next != Some(RequestState::Paid))
            || (*s == RequestState::Paid && previous != Some(RequestState::FeePayable))
        {
            return Err(WorkflowError::FeeWithoutPayment);
        }
    }
    Ok(())
}

/// True when the workflow is usable (see [`check_workflow`]).
pub fn valid_workflow(steps: &[RequestState]) -> bool {
    check_workflow(steps).is_ok()
}

/// True while the citizen holds the request (documents to complete, a fee to pay): its SLA
/// clock stops.
pub fn held_by_citizen(state: RequestState) -> bool {
    matches!(
        state,
        RequestState::DocumentsIncomplete | RequestState::FeePayable
    )
}

/// The payment a move to `PAID` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The bank's or payment gateway's reference.
    pub reference: String,
    /// The amount paid.
    pub amount: crate::money::Rials,
}

/// Why a payment does not fit the move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// A move to PAID without a payment.
    #[error("marking a request paid records the payment: its reference and amount")]
    Missing,
    /// No fee was computed.
    #[error("the request has no computed fee to pay")]
    NoFee,
    /// The amount is not the fee.
    #[error("the payment of {paid} rials does not match the fee of {fee} rials")]
    WrongAmount {
        /// The fee.
        fee: crate::money::Rials,
        /// What was paid.
        paid: crate::money::Rials,
    },
    /// A payment given with another move.
    #[error("a payment is recorded only when the request moves to PAID")]
    NotApplicable,
    /// The reference already paid another request.
    #[error("this payment reference was recorded for another request")]
    ReferenceUsed,
    /// The staff member who recorded a manual payment tried to confirm it too.
    #[error(
        "a manual payment is confirmed by a second staff member, not by the one who recorded it"
    )]
    SameStaff,
    /// The confirmation names another reference or amount than the payment awaiting it.
    #[error("the manual payment awaiting confirmation has reference {reference} and amount {amount}; confirm those or have it recorded again")]
    Mismatch {
        /// The awaiting payment's reference.
        reference: String,
        /// Its amount.
        amount: crate::money::Rials,
    },
}

impl PaymentError {
    /// The input field at fault, under the move's `payment`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Missing | Self::NoFee | Self::NotApplicable => "payment",
            Self::WrongAmount { .. } => "payment.amount",
            Self::ReferenceUsed | Self::Mismatch { .. } => "payment.reference",
            Self::SameStaff => "payment",
        }
    }

    /// The reason in Persian, for the citizen or clerk.
    pub fn message_fa(&self) -> String {
        match self {
            Self::Missing => "برای ثبت پرداخت، شناسه پرداخت و مبلغ را وارد کنید.".into(),
            Self::NoFee => "هزینه این درخواست هنوز محاسبه نشده است.".into(),
            Self::WrongAmount { fee, paid } => format!(
                "مبلغ پرداختی {} ریال با هزینه خدمت {} ریال برابر نیست.",
                crate::text::persian_digits(&paid.to_string()),
                crate::text::persian_digits(&fee.to_string())
            ),
            Self::NotApplicable => "پرداخت فقط هنگام رفتن به مرحله «پرداخت شده» ثبت می‌شود.".into(),
            Self::ReferenceUsed => "این شناسه پرداخت پیش‌تر برای درخواست دیگری ثبت شده است.".into(),
            Self::SameStaff => "پرداخت دستی را کارمند دیگری جز ثبت‌کننده آن باید تأیید کند.".into(),
            Self::Mismatch { .. } => {
                "شناسه یا مبلغ با پرداخت دستیِ در انتظار تأیید یکی نیست.".into()
            }
        }
    }
}

/// A payment staff record by hand (a bank slip, a transfer), awaiting a second staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualPayment {
    /// What was recorded.
    pub payment: Payment,
    /// Who recorded it (token subject).
    pub recorded_by: String,
}

/// What a staff member's move to `PAID` with a payment does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualStep {
    /// Records the payment; the request waits for a second staff member's confirmation.
    Record,
    /// Confirms the payment awaiting it: the request moves to `PAID`.
    Confirm,
}

/// The two-person rule of payments recorded by hand: one staff member records the bank's
/// reference and the amount, another confirms the same reference and amount; only then is
/// the request paid. (Online payments need no confirmation: the gateway verified them.)
pub fn manual_step(
    awaiting: Option<&ManualPayment>,
    actor: &str,
    given: &Payment,
) -> Result<ManualStep, PaymentError> {
    match awaiting {
        None => Ok(ManualStep::Record),
        Some(a) if a.recorded_by == actor => Err(PaymentError::SameStaff),
        Some(a) if a.payment != *given => Err(PaymentError::Mismatch {
            reference: a.payment.reference.clone(),
            amount: a.payment.amount,
        }),
        Some(_) => Ok(ManualStep::Confirm),
    }
}

/// Checks the payment given with a move to `next`: `PAID` needs one, for exactly the fee;
/// any other move takes none.
pub fn check_payment(
    next: RequestState,
    fee: Option<crate::money::Rials>,
    payment: Option<&Payment>,
) -> Result<(), PaymentError> {
    match (next, payment) {
        (RequestState::Paid, None) => Err(PaymentError::Missing),
        (RequestState::Paid, Some(p)) => {
            let fee = fee.ok_or(PaymentError::NoFee)?;
            if p.amount != fee {
                return Err(PaymentError::WrongAmount {
                    fee,
                    paid: p.amount,
                });
            }
            Ok(())
        }
        (_, Some(_)) => Err(PaymentError::NotApplicable),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState::*;

    #[test]
    fn a_manual_payment_needs_a_second_staff_member_who_confirms_the_same_slip() {
        let slip = |reference: &str, amount: i64| Payment {
            reference: reference.into(),
            amount: crate::money::Rials::new(amount).expect("rials"),
        };
        let awaiting = ManualPayment {
            payment: slip("BANK-1", 29_000_000),
            recorded_by: "staff:a".into(),
        };
        // (awaiting, actor, given, expected): the municipality's two-person rule of cash
        // receipts, as the payments issue states it.
        type Row<'a> = (
            Option<&'a ManualPayment>,
            &'a str,
            Payment,
            Result<ManualStep, PaymentError>,
        );
        let rows: [Row<'_>; 4] = [
            (
                None,
                "staff:a",
                slip("BANK-1", 29_000_000),
                Ok(ManualStep::Record),
            ),
            (
                Some(&awaiting),
                "staff:a",
                slip("BANK-1", 29_000_000),
                Err(PaymentError::SameStaff),
            ),
            (
                Some(&awaiting),
                "staff:b",
                slip("BANK-2", 29_000_000),
                Err(PaymentError::Mismatch {
                    reference: "BANK-1".into(),
                    amount: crate::money::Rials::new(29_000_000).expect("rials"),
                }),
            ),
            (
                Some(&awaiting),
                "staff:b",
                slip("BANK-1", 29_000_000),
                Ok(ManualStep::Confirm),
            ),
        ];
        for (awaiting, actor, given, expected) in rows {
            assert_eq!(
                manual_step(awaiting, actor, &given),
                expected,
                "{actor} {given:?}"
            );
        }
    }

    const PERMIT: &[RequestState] = &[
        Submitted,
        InspectionScheduled,
        UnderReview,
        FeePayable,
        Paid,
        Approved,
        Issued,
    ];

    #[test]
    fn a_permit_advances_step_by_step_to_issue() {
        let mut state = Submitted;
        let mut path = vec![state];
        while state != Issued {
            state = apply(PERMIT, state, Move::Advance).expect("legal");
            path.push(state);
        }
        assert_eq!(path, PERMIT);
    }

    #[test]
    fn illegal_moves_are_refused_with_the_current_state() {
        assert_eq!(
            apply(PERMIT, Issued, Move::Advance).map_err(|e| e.current),
            Err(Issued)
        );
        assert!(apply(PERMIT, Paid, Move::Withdraw).is_err());
        assert!(apply(PERMIT, FeePayable, Move::DocumentsIncomplete).is_err());
        assert!(apply(PERMIT, DocumentsIncomplete, Move::Advance).is_err());
        assert!(apply(PERMIT, Withdrawn, Move::Reject).is_err());
        assert_eq!(
            apply(PERMIT, DocumentsIncomplete, Move::Resubmit),
            Ok(Submitted)
        );
        assert_eq!(apply(PERMIT, UnderReview, Move::Reject), Ok(Rejected));
    }

    #[test]
    fn fees_are_exact_rials_and_overflow_is_an_error() {
        let area = crate::quantities::Hundredths::parse("180.50").expect("area");
        assert_eq!(fee(500_000, 30_000, area).map(|r| r.get()), Ok(5_915_000));
        let tiny = crate::quantities::Hundredths::parse("0.01").expect("area");
        assert_eq!(
            fee(0, 50, tiny).map(|r| r.get()),
            Ok(1),
            "0.5 rounds half up"
        );
        assert!(fee(i64::MAX, 1, area).is_err());
        assert!(fee(-1, 1, area).is_err());
    }

    #[test]
    fn workflows_must_start_at_submission_and_end_at_most_once() {
        assert!(valid_workflow(PERMIT));
        assert!(!valid_workflow(&[UnderReview, Issued]));
        assert!(!valid_workflow(&[Submitted, Issued, Approved]));
        assert!(!valid_workflow(&[Submitted, UnderReview, UnderReview]));
        assert_eq!(
            parse_workflow(&["SUBMITTED".into(), "UNDER_REVEIW".into()]),
            Err(WorkflowError::UnknownStep("UNDER_REVEIW".into())),
            "an unknown step is an error, not dropped"
        );
    }
}
