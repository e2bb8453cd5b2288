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
#[error("a request in state {current:?} cannot {attempted}")]
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

/// Checks that a catalogue workflow is usable: starts at `Submitted`, no repeats, no
/// terminal state but possibly the last.
pub fn valid_workflow(steps: &[RequestState]) -> bool {
    let mut seen = std::collections::HashSet::new();
    steps.first() == Some(&RequestState::Submitted)
        && steps.iter().all(|s| seen.insert(*s))
        && steps[..steps.len().saturating_sub(1)]
            .iter()
            .all(|s| !is_terminal(*s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestState::*;

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
    }
}
