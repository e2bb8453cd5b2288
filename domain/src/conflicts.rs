//! Who may sit on an appeal (domain reference, section 1, "deadlines"): the appeal goes to a
//! commission none of whose members sat on the primary ruling. Who sat on it is known from
//! the signatures made through the gateway and, for every ruling (legacy ones included),
//! from the primary commission's membership on the ruling's date.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::identifiers::NationalId;

/// A member's term on a commission, as the urbanism system records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The member.
    pub national_id: NationalId,
    /// The commission.
    pub commission_id: i32,
    /// First day of the term; unknown means "since before any ruling on record".
    pub from: Option<NaiveDate>,
    /// Last day of the term; `None` while serving.
    pub until: Option<NaiveDate>,
    /// True for voting seats.
    pub voting: bool,
}

impl Term {
    /// True when the term covers `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.until.is_none_or(|u| u >= day)
    }
}

/// The primary ruling an appeal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryRuling {
    /// The commission that issued it.
    pub commission_id: Option<i32>,
    /// Its date; when unknown (an unreadable legacy date), every term of its commission counts.
    pub date: Option<NaiveDate>,
    /// Members who signed it through the gateway.
    pub signers: Vec<NationalId>,
}

/// Everyone who sat on the primary ruling: its signers, and the voting members of its
/// commission whose term covered its date.
pub fn sat_on(primary: &PrimaryRuling, terms: &[Term]) -> BTreeSet<NationalId> {
    let mut out: BTreeSet<NationalId> = primary.signers.iter().cloned().collect();
    if let Some(commission) = primary.commission_id {
        out.extend(
            terms
                .iter()
                .filter(|t| t.commission_id == commission && t.voting)
                .filter(|t| primary.date.is_none_or(|d| t.covers(d)))
                .map(|t| t.national_id.clone()),
        );
    }
    out
}

/// The members of the appeal commission (serving on `today`) who sat on the primary ruling;
/// empty when the commission may hear the appeal.
pub fn conflicts(
    appeal_commission: i32,
    today: NaiveDate,
    terms: &[Term],
    sat: &BTreeSet<NationalId>,
) -> Vec<NationalId> {
    let mut out: Vec<NationalId> = terms
        .iter()
        .filter(|t| t.commission_id == appeal_commission && t.covers(today))
        .filter(|t| sat.contains(&t.national_id))
        .map(|t| t.national_id.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}
