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
    fn workflows_must_start_at_submission_and_end_at_most_once() {
        assert!(valid_workflow(PERMIT));
        assert!(!valid_workflow(&[UnderReview, Issued]));
        assert!(!valid_workflow(&[Submitted, Issued, Approved]));
        assert!(!valid_workflow(&[Submitted, UnderReview, UnderReview]));
    }
}
