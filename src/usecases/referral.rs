//! Referring a case in expert review to the commission secretariat, with the expert's items
//! and the fine brief (each item's lowest and highest fine under the law).

use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    events::{self, DomainEvent},
    fines::{FineRules, ItemFacts},
    jalali::JalaliDate,
    money::Rials,
    vocabulary::ViolationNote,
};
use shahr_urbanism::{
    cases::referral::{BriefLine, NewItem},
    records::{ViolationCase, ViolationItem},
};

use super::{bad, policy, steps::step, today, Article100, UseCaseError};
use crate::auth::Principal;

/// A referral to make.
#[derive(Debug, Clone)]
pub struct ReferCase {
    /// The case.
    pub case_id: i32,
    /// The secretariat's own number, when it has one.
    pub secretariat_number: Option<String>,
    /// The expert's items to add.
    pub items: Vec<NewItem>,
}

/// A referral made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Referral {
    /// The case, now referred.
    pub case: ViolationCase,
    /// The secretariat number.
    pub secretariat_number: String,
    /// The fine brief.
    pub brief: Vec<BriefLine>,
}

/// The brief line of one item: its lowest and highest fine, or why it has none.
pub fn brief_line(
    rules: &FineRules,
    item: &ViolationItem,
    values: (Option<Rials>, Option<Rials>),
    year: i32,
) -> BriefLine {
    let mut line = BriefLine {
        item_id: item.id,
        note: item.note,
        min_rials: None,
        max_rials: None,
        explanation: String::new(),
    };
    let Some(note) = item.note else {
        line.explanation = "the item's note is unreadable in the urbanism system".into();
        return line;
    };
    if values.0.is_none() && note != ViolationNote::Note6 {
        line.explanation = format!("no transaction value for {year} in this block");
        return line;
    }
    let facts = ItemFacts {
        note,
        area: item.excess_area(),
        parking_spaces: item
            .parking_spaces
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        transaction_value: values.0,
        goodwill_value: values.1,
        coefficient: None,
    };
    match rules.bounds(&facts) {
        Ok((low, high)) => {
            line.min_rials = Some(low.rials.get());
            line.max_rials = Some(high.rials.get());
            line.explanation = if low.arithmetic == high.arithmetic {
                low.arithmetic
            } else {
                format!("from {} to {}", low.arithmetic, high.arithmetic)
            };
        }
        Err(e) => line.explanation = e.to_string(),
    }
    line
}

impl Article100 {
    /// Refers a case: inspectors and urbanism staff of the parcel's district.
    pub async fn refer_case(
        &self,
        p: &Principal,
        input: ReferCase,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<Referral, UseCaseError> {
        let role = if p.roles.contains(&Role::Inspector) {
            Role::Inspector
        } else {
            Role::UrbanismStaff
        };
        let actor = Actor::person(&p.subject, role);
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, input.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let staff = policy::works_district(p, Role::Inspector, &locked)
            || policy::works_district(p, Role::UrbanismStaff, &locked);
        policy::decide(
            p,
            &locked,
            staff,
            "only inspectors and urbanism staff of the parcel's district refer cases",
        )?;
        shahr_domain::cases::next(locked.case.status, CaseEvent::Refer).map_err(|e| {
            super::conflict_in(
                e.current,
                e.to_string(),
                "این پرونده در مرحله ارجاع به دبیرخانه نیست.",
            )
        })?;
        self.db.add_items(&*tx, input.case_id, &input.items).await?;
        let items = self.db.items_in(&*tx, input.case_id).await?;
        if items.is_empty() {
            return Err(bad(
                "items",
                "the case has no violation items; list the expert's items to refer it",
                "پرونده قلم تخلفی ندارد؛ اقلام تخلف کارشناس را وارد کنید.",
            ));
        }
        let today = today();
        let year = JalaliDate::from_gregorian(locked.case.detected_on.unwrap_or(today)).year();
        let values = match (locked.district, locked.block) {
            (Some(d), Some(b)) => self.db.values_in(&*tx, year, d, b).await?,
            _ => (None, None),
        };
        let brief: Vec<BriefLine> = items
            .iter()
            .map(|item| brief_line(&self.rules.fines, item, values, year))
            .collect();
        let district = locked.district.unwrap_or(0);
        let number = match input.secretariat_number {
            Some(n) => n,
            None => {
                let jyear = JalaliDate::from_gregorian(today).year();
                let seq = self
                    .db
                    .next_number(&*tx, "secretariat", district, jyear)
                    .await?;
                format!("D-{district}-{jyear}-{seq}")
            }
        };
        self.db
            .save_referral(&*tx, input.case_id, &number, &brief, &actor.subject)
            .await?;
        step(
            &self.db,
            &*tx,
            &mut locked,
            CaseEvent::Refer,
            &actor,
            "referCase",
            DomainEvent::CaseReferred,
            events::Referral {
                secretariat_number: number.clone(),
                items: u32::try_from(items.len()).unwrap_or(u32::MAX),
            },
        )
        .await?;
        let answer = {
            let mut case = locked.case;
            case.secretariat_number = Some(number.clone());
            Referral {
                case,
                secretariat_number: number,
                brief,
            }
        };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }
}
