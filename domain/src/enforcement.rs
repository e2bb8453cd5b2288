//! Carrying out a final ruling (domain reference, section 1, "enforcement ends"): fines are
//! paid, in instalments if need be; demolition is carried out by the owner or by the
//! municipality at the owner's cost; the use is restored; the business is closed. When every
//! item's outcome has been carried out and the fine is paid, the case closes.
//!
//! Payments and referrals for non-payment apply only to the **operative** ruling of a case:
//! the final ruling that stands (the appeal ruling when there was an appeal; never one that
//! was overturned or replaced), so a fine confirmed on appeal is owed once.

use crate::{
    money::Rials,
    vocabulary::{EnforcementAction, ItemOutcome, RulingKind, RulingStatus},
};

/// A ruling of a case, as far as choosing the operative one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RulingSummary {
    /// The legacy ruling.
    pub id: i32,
    /// Its kind, when readable.
    pub kind: Option<RulingKind>,
    /// Its legacy status, when readable.
    pub status: Option<RulingStatus>,
}

/// The operative ruling of a case: the latest ruling that decided it (not an interim order)
/// and was not overturned. `rulings` in issue order.
pub fn operative(rulings: &[RulingSummary]) -> Option<i32> {
    rulings
        .iter()
        .rev()
        .find(|r| {
            r.kind != Some(RulingKind::InterimOrder) && r.status != Some(RulingStatus::Overturned)
        })
        .map(|r| r.id)
}

/// The outcomes a ruling decided: its items' outcomes when it decided them one by one, else
/// its kind's outcome for the whole case.
pub fn outcomes_of(kind: Option<RulingKind>, item_outcomes: &[ItemOutcome]) -> Vec<ItemOutcome> {
    let mut out: Vec<ItemOutcome> = if item_outcomes.is_empty() {
        kind.and_then(ItemOutcome::of_kind)
            .or(match kind {
                Some(RulingKind::Dismissal) => Some(ItemOutcome::NoViolation),
                _ => None,
            })
            .into_iter()
            .collect()
    } else {
        item_outcomes.to_vec()
    };
    out.sort();
    out.dedup();
    out
}

/// What the rules need to know about a ruling to enforce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulingStanding {
    /// The legacy ruling.
    pub ruling_id: i32,
    /// The commission that issued it.
    pub commission_id: Option<i32>,
    /// True when it is final.
    pub is_final: bool,
    /// True when an appeal ruling replaced it, or a later ruling of the case is the
    /// operative one (a confirmed primary ruling's fine is owed on the appeal ruling).
    pub superseded: bool,
    /// The item outcomes it decided (empty for legacy rulings decided as a whole: then its
    /// kind's outcome applies to the whole case).
    pub outcomes: Vec<ItemOutcome>,
    /// The fine it imposes.
    pub fine: Rials,
    /// Paid so far against it.
    pub paid: Rials,
    /// Enforcement actions recorded for it.
    pub done: Vec<EnforcementAction>,
}

impl RulingStanding {
    /// What is still owed.
    pub fn outstanding(&self) -> Rials {
        self.fine.saturating_sub(self.paid)
    }
}

/// Why an enforcement step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The ruling was overturned or replaced; the one that stands is another.
    #[error(
        "this ruling was replaced on appeal; payments and enforcement go to the ruling that stands"
    )]
    Superseded,
    /// Not final yet.
    #[error("the ruling is not final yet")]
    NotFinal,
    /// No fine in this ruling.
    #[error("this ruling imposes no fine")]
    NoFine,
    /// The fine is already paid.
    #[error("the fine is already paid in full")]
    AlreadyPaid,
    /// More than what is owed.
    #[error("more than the {0} rials outstanding")]
    MoreThanOwed(Rials),
    /// The action carries out nothing the ruling ordered.
    #[error("the ruling ordered no {0:?} for any item")]
    NotOrdered(ItemOutcome),
    /// The action is already on record.
    #[error("this enforcement is already recorded")]
    AlreadyDone,
    /// The municipality's demolition has a cost; another action has none.
    #[error("{0}")]
    Cost(&'static str),
}

/// A payment of `amount` against a ruling.
pub fn may_pay(r: &RulingStanding, amount: Rials) -> Result<(), Refusal> {
    if r.superseded {
        return Err(Refusal::Superseded);
    }
    if r.fine == Rials::ZERO {
        return Err(Refusal::NoFine);
    }
    if !r.is_final {
        return Err(Refusal::NotFinal);
    }
    let owed = r.outstanding();
    if owed == Rials::ZERO {
        return Err(Refusal::AlreadyPaid);
    }
    if amount > owed {
        return Err(Refusal::MoreThanOwed(owed));
    }
    Ok(())
}

/// A referral back for non-payment (Notes 2 and 3): only for the operative, final fine that
/// is unpaid, and only to the commission that imposed it. Returns that commission.
pub fn may_refer_for_non_payment(r: &RulingStanding) -> Result<Option<i32>, Refusal> {
    if r.superseded {
        return Err(Refusal::Superseded);
    }
    if r.fine == Rials::ZERO {
        return Err(Refusal::NoFine);
    }
    if !r.is_final {
        return Err(Refusal::NotFinal);
    }
    if r.outstanding() == Rials::ZERO {
        return Err(Refusal::AlreadyPaid);
    }
    Ok(r.commission_id)
}

/// Recording `action` (with its cost, for the municipality's demolition) against a ruling.
pub fn may_record(
    r: &RulingStanding,
    action: EnforcementAction,
    cost: Option<Rials>,
) -> Result<(), Refusal> {
    if r.superseded {
        return Err(Refusal::Superseded);
    }
    if !r.is_final {
        return Err(Refusal::NotFinal);
    }
    if !r.outcomes.contains(&action.carries_out()) {
        return Err(Refusal::NotOrdered(action.carries_out()));
    }
    if r.done
        .iter()
        .any(|d| d.carries_out() == action.carries_out())
    {
        return Err(Refusal::AlreadyDone);
    }
    match (action, cost) {
        (EnforcementAction::DemolishedByMunicipality, None) => Err(Refusal::Cost(
            "a demolition by the municipality records its cost, a debt of the owner",
        )),
        (EnforcementAction::DemolishedByMunicipality, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(Refusal::Cost(
            "only a demolition by the municipality has a cost to record",
        )),
    }
}

/// True when everything the ruling ordered has been carried out and its fine paid: the case
/// closes.
pub fn fully_enforced(r: &RulingStanding) -> bool {
    let carried_out = |o: ItemOutcome| r.done.iter().any(|d| d.carries_out() == o);
    let actions_done = r.outcomes.iter().all(|o| match o {
        ItemOutcome::Fine | ItemOutcome::NoViolation => true,
        other => carried_out(*other),
    });
    actions_done && r.outstanding() == Rials::ZERO
}

/// True when nothing is to be carried out at all (every item dismissed, or no fine and no
/// action): a final ruling of that kind closes the case at once.
pub fn nothing_to_enforce(r: &RulingStanding) -> bool {
    r.fine == Rials::ZERO
        && r.outcomes
            .iter()
            .all(|o| matches!(o, ItemOutcome::NoViolation | ItemOutcome::Fine))
}

/// How the city lets a final fine be paid online. The domain reference says fines may be paid
/// in instalments but leaves their terms to the city, so they are settings: at most `count`
/// instalments, none smaller than `min` (except the last, which is what remains).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentPlan {
    /// The most instalments a fine is split into (1: paid whole).
    pub count: u16,
    /// The smallest instalment.
    pub min: Rials,
}

impl Default for InstalmentPlan {
    fn default() -> Self {
        Self {
            count: 12,
            min: Rials::new(5_000_000).unwrap_or_default(),
        }
    }
}

/// What an online payment of a fine pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinePart {
    /// All that is outstanding.
    Whole,
    /// The next instalment of the city's plan.
    NextInstalment,
}

/// Rounds up to a whole thousand rials (one hundred tomans), as fee slips are written.
fn round_up_thousand(rials: i64) -> i64 {
    ceil_div(rials, 1_000).saturating_mul(1_000)
}

/// `a / b` rounded up, for a non-negative `a` and a positive `b`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

/// The amount an online payment of `part` of the ruling's fine is for, decided by the
/// municipality, never by the payer. An instalment is the fine divided by the plan's count
/// (rounded up to a thousand rials), at least the plan's minimum, and the whole remainder when
/// less than an instalment would be left after it.
pub fn online_fine_due(
    r: &RulingStanding,
    plan: InstalmentPlan,
    part: FinePart,
) -> Result<Rials, Refusal> {
    let owed = r.outstanding();
    may_pay(r, owed)?;
    if part == FinePart::Whole || plan.count <= 1 {
        return Ok(owed);
    }
    let share = round_up_thousand(ceil_div(r.fine.get(), i64::from(plan.count)));
    let instalment = share.max(plan.min.get());
    if owed.get() - instalment < instalment {
        return Ok(owed);
    }
    Rials::new(instalment).map_err(|_| Refusal::MoreThanOwed(owed))
}
