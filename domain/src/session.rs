//! Rules of a commission session: the configurable Article 100 settings, what a draft ruling
//! must say, and the quorum of signatures an issued ruling needs.

use crate::{
    deadlines::Counting,
    fines::FineRules,
    numbering::NumberTemplate,
    vocabulary::{
        AppealOutcome, BreachedPrinciple, InterimReturn, MemberRole, RulingKind, RulingStage,
    },
};

/// The settings of Article 100 that are approved outside the software and change over time:
/// fine ranges, windows in days and how they are counted, the longest demolition period, and
/// the ruling number template. The official holidays are data, imported per year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article100Rules {
    /// Fine coefficient ranges per note.
    pub fines: FineRules,
    /// The owner's defence window, in days, from the legal service of the summons (Note 1).
    pub defence_window_days: u32,
    /// The objection window, in days, from each party's legal service of the ruling (Note 10).
    pub objection_window_days: u32,
    /// How the days of a window are counted (CPC arts. 443–445).
    pub counting: Counting,
    /// The longest demolition period a ruling may set, in days (Note 1: at most two months).
    pub max_demolition_days: u32,
    /// True when the municipality counts as served on the day a ruling is issued (the ruling
    /// enters the municipality's integrated urbanism system in the session); false when its
    /// service is recorded like an owner's. The domain reference does not settle this.
    pub municipality_served_at_issue: bool,
    /// How ruling numbers are written.
    pub ruling_number: NumberTemplate,
    /// How a final fine may be paid online in instalments (a city setting).
    pub fine_instalments: crate::enforcement::InstalmentPlan,
}

impl Article100Rules {
    /// The objection window (Note 10).
    pub fn objection(&self) -> crate::windows::WindowRule {
        crate::windows::WindowRule {
            days: self.objection_window_days,
            counting: self.counting,
        }
    }

    /// The defence window (Note 1).
    pub fn defence(&self) -> crate::windows::WindowRule {
        crate::windows::WindowRule {
            days: self.defence_window_days,
            counting: self.counting,
        }
    }
}

impl Default for Article100Rules {
    fn default() -> Self {
        Self {
            fines: FineRules::default(),
            defence_window_days: 10,
            objection_window_days: 10,
            counting: Counting::default(),
            max_demolition_days: 60,
            municipality_served_at_issue: true,
            ruling_number: NumberTemplate::parse(DEFAULT_RULING_NUMBER)
                .unwrap_or_else(|_| unreachable!("the default template is valid")),
            fine_instalments: crate::enforcement::InstalmentPlan::default(),
        }
    }
}

/// The default ruling number template: district, two-digit Jalali year, four-digit sequence.
pub const DEFAULT_RULING_NUMBER: &str = "{district}/{yy}/{seq:4}";

/// What a draft ruling says, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftShape {
    /// Primary or appeal.
    pub stage: RulingStage,
    /// The kind of ruling.
    pub kind: RulingKind,
    /// For demolition: the breached principle.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals: confirm, overturn or modify.
    pub appeal_outcome: Option<AppealOutcome>,
    /// For interim orders: where the case goes back to.
    pub interim_return: Option<InterimReturn>,
    /// True when the ruling orders any item demolished (a demolition ruling, or a Note 6 item
    /// in a ruling of another kind): it must name the breached principle.
    pub orders_demolition: bool,
    /// The ruling's text, trimmed.
    pub text: String,
}

/// A draft the rules refuse, naming the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DraftError {
    /// The input field (camelCase, as the API names it).
    pub field: String,
    /// Why.
    pub message: String,
}

fn refuse(field: &'static str, message: &str) -> Result<(), DraftError> {
    Err(DraftError {
        field: field.to_owned(),
        message: message.to_owned(),
    })
}

/// The longest ruling text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 8000;

/// Checks what a draft must and must not say for its kind and stage.
pub fn check_draft(draft: &DraftShape) -> Result<(), DraftError> {
    let chars = draft.text.chars().count();
    if chars == 0 {
        return refuse("text", "the ruling needs its text");
    }
    if chars > MAX_TEXT_CHARS {
        return refuse("text", "the ruling's text is longer than 8000 characters");
    }
    match (draft.stage, draft.appeal_outcome) {
        (RulingStage::Appeal, None) => return refuse(
            "appealOutcome",
            "an appeal ruling says whether it confirms, overturns or modifies the primary ruling",
        ),
        (RulingStage::Primary, Some(_)) => {
            return refuse("appealOutcome", "only an appeal ruling has an outcome")
        }
        _ => {}
    }
    let demolition = draft.orders_demolition || draft.kind == RulingKind::Demolition;
    match (demolition, draft.breached_principle) {
        (true, None) => {
            return refuse(
                "breachedPrinciple",
                "a ruling that orders demolition must name the breached principle (technical, health or urban planning)",
            )
        }
        (false, Some(_)) => {
            return refuse(
                "breachedPrinciple",
                "only a ruling that orders demolition names a breached principle",
            )
        }
        _ => {}
    }
    match (draft.kind, draft.interim_return) {
        (RulingKind::InterimOrder, None) => {
            return refuse(
                "interimReturn",
                "an interim order says where the case goes back to",
            )
        }
        (RulingKind::InterimOrder, Some(_)) if draft.stage == RulingStage::Appeal => {
            return refuse("kind", "an appeal commission rules; it does not send back")
        }
        (kind, Some(_)) if kind != RulingKind::InterimOrder => {
            return refuse("interimReturn", "only an interim order sends the case back")
        }
        _ => {}
    }
    Ok(())
}

/// The voting seats every issued ruling needs a signature from.
pub const VOTING_SEATS: [MemberRole; 3] = [
    MemberRole::InteriorMinistryRepresentative,
    MemberRole::Judge,
    MemberRole::CityCouncilMember,
];

/// The voting seats not yet signed, given the seats that signed; empty when the quorum is met.
pub fn missing_seats(signed: &[MemberRole]) -> Vec<MemberRole> {
    VOTING_SEATS
        .into_iter()
        .filter(|seat| !signed.contains(seat))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(kind: RulingKind) -> DraftShape {
        DraftShape {
            stage: RulingStage::Primary,
            kind,
            breached_principle: None,
            appeal_outcome: None,
            interim_return: None,
            orders_demolition: kind == RulingKind::Demolition,
            text: "متن رأی".into(),
        }
    }

    #[test]
    fn a_demolition_ruling_must_name_the_breached_principle() {
        let mut d = shape(RulingKind::Demolition);
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("breachedPrinciple".to_owned())
        );
        d.breached_principle = Some(BreachedPrinciple::UrbanPlanning);
        assert_eq!(check_draft(&d), Ok(()));
        let mut fine = shape(RulingKind::Fine);
        fine.breached_principle = Some(BreachedPrinciple::Health);
        assert_eq!(
            check_draft(&fine).map_err(|e| e.field.clone()),
            Err("breachedPrinciple".to_owned())
        );
    }

    #[test]
    fn appeals_need_an_outcome_and_primary_rulings_have_none() {
        let mut d = shape(RulingKind::Dismissal);
        d.stage = RulingStage::Appeal;
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("appealOutcome".to_owned())
        );
        d.appeal_outcome = Some(AppealOutcome::Overturn);
        assert_eq!(check_draft(&d), Ok(()));
        let mut p = shape(RulingKind::Dismissal);
        p.appeal_outcome = Some(AppealOutcome::Confirm);
        assert_eq!(
            check_draft(&p).map_err(|e| e.field.clone()),
            Err("appealOutcome".to_owned())
        );
    }

    #[test]
    fn interim_orders_say_where_the_case_goes_and_only_in_primary_sessions() {
        let mut d = shape(RulingKind::InterimOrder);
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("interimReturn".to_owned())
        );
        d.interim_return = Some(InterimReturn::ExpertReview);
        assert_eq!(check_draft(&d), Ok(()));
        d.stage = RulingStage::Appeal;
        d.appeal_outcome = Some(AppealOutcome::Modify);
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("kind".to_owned())
        );
    }

    #[test]
    fn an_empty_or_endless_text_is_refused() {
        let mut d = shape(RulingKind::Dismissal);
        d.text = String::new();
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("text".to_owned())
        );
        d.text = "ا".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            check_draft(&d).map_err(|e| e.field.clone()),
            Err("text".to_owned())
        );
    }

    #[test]
    fn the_quorum_is_the_three_voting_seats() {
        use MemberRole as M;
        assert_eq!(missing_seats(&[]), VOTING_SEATS.to_vec());
        assert_eq!(
            missing_seats(&[M::Judge, M::MunicipalRepresentative]),
            vec![M::InteriorMinistryRepresentative, M::CityCouncilMember],
            "the municipal representative does not vote"
        );
        assert!(missing_seats(&[
            M::CityCouncilMember,
            M::Judge,
            M::InteriorMinistryRepresentative
        ])
        .is_empty());
    }

    #[test]
    fn the_default_rules_are_the_published_ones() {
        let rules = Article100Rules::default();
        assert_eq!(
            (
                rules.defence_window_days,
                rules.objection_window_days,
                rules.max_demolition_days,
                rules.counting.exclude_day_of_act,
            ),
            (10, 10, 60, true)
        );
        let date = crate::jalali::JalaliDate::parse("1405/09/07").expect("date");
        assert_eq!(rules.ruling_number.render(9, date, 42), "9/05/0042");
    }
}
