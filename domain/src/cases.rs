//! The life of a violation case as a state machine (domain reference, section 2). Every
//! event names what happened; [`next`] says which state it leads to, or refuses it with the
//! current state.

use crate::vocabulary::CaseStatus;

/// Something that happens to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseEvent {
    /// An expert starts listing the violation items.
    StartExpertReview,
    /// Sent to the commission secretariat with the items and the fine brief.
    Refer,
    /// A commission and a session date are set.
    ScheduleHearing,
    /// A new hearing date (and a new summons) for a case in its defence window.
    Reschedule,
    /// The owner's defence window opens.
    OpenDefenceWindow,
    /// The owner's statement is recorded (the case stays in its window).
    RecordDefence,
    /// The commission session opens on the case.
    OpenSession,
    /// An interim order sends the case back to expert review.
    InterimOrderToReview,
    /// An interim order reopens the defence window.
    InterimOrderToDefence,
    /// The primary ruling is issued.
    IssueRuling,
    /// The ruling is served on the owner (legal service).
    Serve,
    /// The objection window is open.
    OpenObjectionWindow,
    /// An objection came in time: the case goes to appeal.
    FileObjection,
    /// Another party's objection in time joins the appeal already open.
    JoinAppeal,
    /// The appeal commission ruled.
    IssueAppealRuling,
    /// No objection in time, or after the appeal: the ruling is final.
    Finalise,
    /// Enforcement starts (payment, demolition, closure).
    StartEnforcement,
    /// Enforced and closed.
    Close,
    /// A final ruling with nothing to carry out (a dismissal) closes the case.
    CloseWithoutEnforcement,
    /// An unpaid fine returns the case to the commission.
    ReferForNonPayment,
}

/// A refused event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case in state {current} cannot {}", crate::vocabulary::words(&format!("{event:?}")))]
pub struct IllegalTransition {
    /// The case's state.
    pub current: CaseStatus,
    /// The refused event.
    pub event: CaseEvent,
}

/// The state `event` leads to from `current`.
pub fn next(current: CaseStatus, event: CaseEvent) -> Result<CaseStatus, IllegalTransition> {
    use CaseEvent as E;
    use CaseStatus as S;
    let to = match (current, event) {
        (S::Detected, E::StartExpertReview) => S::ExpertReview,
        (S::ExpertReview, E::Refer) => S::Referred,
        (S::Referred, E::ScheduleHearing) => S::Assigned,
        (S::DefenceWindow, E::Reschedule) => S::DefenceWindow,
        (S::Assigned, E::OpenDefenceWindow) => S::DefenceWindow,
        (S::DefenceWindow, E::RecordDefence) => S::DefenceWindow,
        (S::DefenceWindow | S::Assigned, E::OpenSession) => S::InSession,
        (S::InSession, E::InterimOrderToReview) => S::ExpertReview,
        (S::InSession, E::InterimOrderToDefence) => S::DefenceWindow,
        (S::InSession, E::IssueRuling) => S::RulingIssued,
        (S::RulingIssued, E::Serve) => S::Notified,
        (S::Notified, E::OpenObjectionWindow) => S::ObjectionWindow,
        (S::ObjectionWindow | S::Notified | S::RulingIssued, E::FileObjection) => S::Appealed,
        (S::Appealed, E::JoinAppeal) => S::Appealed,
        (S::Appealed, E::IssueAppealRuling) => S::AppealRuled,
        (S::ObjectionWindow | S::AppealRuled, E::Finalise) => S::Final,
        (S::Final, E::StartEnforcement) => S::Enforcement,
        (S::Enforcement, E::Close) => S::Closed,
        (S::Final, E::CloseWithoutEnforcement) => S::Closed,
        (S::Enforcement, E::ReferForNonPayment) => S::Referred,
        _ => return Err(IllegalTransition { current, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseEvent as E;
    use CaseStatus as S;

    #[test]
    fn a_case_walks_from_detection_to_closure() {
        let path = [
            (E::StartExpertReview, S::ExpertReview),
            (E::Refer, S::Referred),
            (E::ScheduleHearing, S::Assigned),
            (E::OpenDefenceWindow, S::DefenceWindow),
            (E::RecordDefence, S::DefenceWindow),
            (E::OpenSession, S::InSession),
            (E::IssueRuling, S::RulingIssued),
            (E::Serve, S::Notified),
            (E::OpenObjectionWindow, S::ObjectionWindow),
            (E::FileObjection, S::Appealed),
            (E::IssueAppealRuling, S::AppealRuled),
            (E::Finalise, S::Final),
            (E::StartEnforcement, S::Enforcement),
            (E::Close, S::Closed),
        ];
        let mut state = S::Detected;
        for (event, expected) in path {
            state = next(state, event).expect("legal");
            assert_eq!(state, expected, "{event:?}");
        }
    }

    #[test]
    fn interim_orders_loop_back_and_non_payment_returns_to_the_commission() {
        assert_eq!(
            next(S::InSession, E::InterimOrderToReview),
            Ok(S::ExpertReview)
        );
        assert_eq!(
            next(S::InSession, E::InterimOrderToDefence),
            Ok(S::DefenceWindow)
        );
        assert_eq!(next(S::Enforcement, E::ReferForNonPayment), Ok(S::Referred));
        assert_eq!(
            next(S::ObjectionWindow, E::Finalise),
            Ok(S::Final),
            "no objection in time"
        );
    }

    #[test]
    fn every_other_pair_is_refused_with_the_current_state() {
        let events = [
            E::StartExpertReview,
            E::Refer,
            E::ScheduleHearing,
            E::Reschedule,
            E::OpenDefenceWindow,
            E::RecordDefence,
            E::OpenSession,
            E::InterimOrderToReview,
            E::InterimOrderToDefence,
            E::IssueRuling,
            E::Serve,
            E::OpenObjectionWindow,
            E::FileObjection,
            E::JoinAppeal,
            E::IssueAppealRuling,
            E::Finalise,
            E::StartEnforcement,
            E::Close,
            E::CloseWithoutEnforcement,
            E::ReferForNonPayment,
        ];
        let mut legal = 0;
        for state in S::ALL {
            for event in events {
                match next(*state, event) {
                    Ok(_) => legal += 1,
                    Err(e) => assert_eq!(e.current, *state),
                }
            }
        }
        assert_eq!(legal, 24, "the table above, nothing more");
        assert!(next(S::Closed, E::IssueRuling).is_err());
        assert!(
            next(S::RulingIssued, E::IssueRuling).is_err(),
            "no second primary ruling"
        );
        assert!(
            next(S::Final, E::FileObjection).is_err(),
            "a final ruling is final"
        );
    }
}
