//! What a ruling decides for each violation item (domain reference, section 1, "fines" and
//! "ruling types"): one ruling may decide its items differently, a fine for one and
//! demolition for another; a Note 6 item (encroachment on the street) is always demolished.
//! A ruling that orders demolition sets the owner's period itself, at most two months
//! (Note 1), counted from finality. A ruling may also refer the supervising engineer to the
//! engineering organisation's disciplinary board (Note 7).

use crate::{
    quantities::Coefficient,
    session::DraftError,
    vocabulary::{ItemOutcome, RulingKind, ViolationNote},
};

/// An item of the case, as far as deciding it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseItem {
    /// The item (`tbl_aqlam_takhalof.id_qalam`).
    pub id: i32,
    /// Its note, when readable in the urbanism system.
    pub note: Option<ViolationNote>,
}

/// What the commission said about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemChoice {
    /// The item.
    pub item_id: i32,
    /// Its outcome; the ruling's kind when left out (demolition for a Note 6 item).
    pub outcome: Option<ItemOutcome>,
    /// The fine coefficient, for an item fined under Notes 2, 3 or 5.
    pub coefficient: Option<Coefficient>,
}

/// The decision on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemDecision {
    /// The item.
    pub item_id: i32,
    /// Its note.
    pub note: Option<ViolationNote>,
    /// What is decided for it.
    pub outcome: ItemOutcome,
    /// The coefficient of a fined item (Notes 2, 3 and 5).
    pub coefficient: Option<Coefficient>,
}

fn refuse<T>(field: String, message: impl Into<String>) -> Result<T, DraftError> {
    Err(DraftError {
        field,
        message: message.into(),
    })
}

/// Decides every item of the case for a ruling of `kind`. A ruling that decides items (a
/// fine, demolition, restoration or closure) decides all of them: the items listed as
/// chosen, the others taking the ruling's kind (a Note 6 item: demolition). A ruling that
/// decides none (an interim order, a dismissal) lists none. Fields named in errors are
/// relative to the input (`items[1].outcome`).
pub fn decide(
    kind: RulingKind,
    items: &[CaseItem],
    choices: &[ItemChoice],
) -> Result<Vec<ItemDecision>, DraftError> {
    let Some(default) = ItemOutcome::of_kind(kind) else {
        if !choices.is_empty() {
            return refuse(
                "items".into(),
                "only a ruling that decides the items (fine, demolition, restoration, closure) lists them",
            );
        }
        return Ok(Vec::new());
    };
    for (i, choice) in choices.iter().enumerate() {
        if choices[..i].iter().any(|c| c.item_id == choice.item_id) {
            return refuse(format!("items[{i}].item"), "this item is decided twice");
        }
        if !items.iter().any(|it| it.id == choice.item_id) {
            return refuse(format!("items[{i}].item"), "not an item of this case");
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let at = choices.iter().position(|c| c.item_id == item.id);
        let choice = at.map(|i| (i, choices[i]));
        let field = |name: &str| match at {
            Some(i) => format!("items[{i}].{name}"),
            None => "items".to_owned(),
        };
        let outcome = match (choice.and_then(|(_, c)| c.outcome), item.note) {
            (Some(o), _) => o,
            (None, Some(ViolationNote::Note6)) => ItemOutcome::Demolition,
            (None, _) => default,
        };
        if item.note == Some(ViolationNote::Note6) && outcome != ItemOutcome::Demolition {
            return refuse(
                field("outcome"),
                format!("item {}: a Note 6 item (encroachment on the street or setback line) is always demolished", item.id),
            );
        }
        let coefficient = choice.and_then(|(_, c)| c.coefficient);
        if outcome != ItemOutcome::Fine && coefficient.is_some() {
            return refuse(field("coefficient"), "only a fined item has a coefficient");
        }
        if outcome == ItemOutcome::Fine {
            match item.note {
                None => {
                    return refuse(
                        field("item"),
                        format!("item {}: its note is unreadable in the urbanism system, so it cannot be fined", item.id),
                    )
                }
                Some(ViolationNote::Note2 | ViolationNote::Note3 | ViolationNote::Note5)
                    if coefficient.is_none() =>
                {
                    return refuse(
                        field("coefficient"),
                        format!("item {} is fined: choose its coefficient inside the note's range", item.id),
                    )
                }
                _ => {}
            }
        }
        out.push(ItemDecision {
            item_id: item.id,
            note: item.note,
            outcome,
            coefficient,
        });
    }
    if !out.is_empty() && !out.iter().any(|d| d.outcome.ruling_kind() == kind) {
        return refuse(
            "kind".into(),
            "the ruling's kind is its main outcome: at least one item must be decided so",
        );
    }
    if out.is_empty() {
        return refuse(
            "items".into(),
            "the case has no violation items for this ruling to decide",
        );
    }
    Ok(out)
}

/// True when any item is to be demolished.
pub fn orders_demolition(decisions: &[ItemDecision]) -> bool {
    decisions
        .iter()
        .any(|d| d.outcome == ItemOutcome::Demolition)
}

/// Checks the owner's demolition period set in a ruling: required when an item is
/// demolished, between one day and `max_days`; absent otherwise.
pub fn check_demolition_period(
    decisions: &[ItemDecision],
    period_days: Option<u32>,
    max_days: u32,
) -> Result<(), DraftError> {
    match (orders_demolition(decisions), period_days) {
        (true, None) => refuse(
            "demolitionPeriodDays".into(),
            format!("a ruling that orders demolition sets the owner's period (at most {max_days} days, Note 1)"),
        ),
        (true, Some(d)) if d == 0 || d > max_days => refuse(
            "demolitionPeriodDays".into(),
            format!("the demolition period is 1 to {max_days} days (at most two months, Note 1)"),
        ),
        (false, Some(_)) => refuse(
            "demolitionPeriodDays".into(),
            "only a ruling that orders demolition sets a demolition period",
        ),
        _ => Ok(()),
    }
}

/// Note 7: the supervising engineer referred to the engineering organisation's disciplinary
/// board for a false certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineerReferral {
    /// The engineer's name.
    pub name: String,
    /// Their engineering licence number, when known.
    pub licence_number: Option<String>,
    /// What they certified falsely.
    pub finding: String,
}
