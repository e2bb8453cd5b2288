//! Rulings becoming final: a primary ruling when every party has been served and every
//! party's objection window has closed with no objection in time (Note 10); an appeal
//! ruling when it is issued. A final ruling with nothing to carry out closes its case.

use chrono::{Duration, NaiveDate};
use shahr_domain::{
    actors::Actor,
    cases::CaseEvent,
    enforcement::{nothing_to_enforce, outcomes_of, RulingStanding},
    events::{CaseClosed, CloseReason, DomainEvent, RulingFinal, RulingRef},
    money::Rials,
    vocabulary::{CaseStatus, RulingStatus},
    windows::{finality, Finality},
};
use shahr_urbanism::cases::{service::RulingFacts, LockedCase};
use tokio_postgres::GenericClient;

use super::{steps::step, today, Article100, UseCaseError};

/// Cases looked at per statement of a finality pass.
const FINALITY_BATCH: i64 = 200;

impl Article100 {
    /// Makes final the rulings whose parties' windows have all closed with no objection in
    /// time; returns their legacy ids.
    pub async fn finalise_due(&self) -> Result<Vec<i32>, UseCaseError> {
        let today = today();
        // A window lasts at least its days after the last service, whatever the holidays:
        // only cases served before that are looked at, a bounded batch at a time.
        let served_before = today - Duration::days(i64::from(self.rules.objection_window_days));
        let mut done = Vec::new();
        let mut after = 0;
        loop {
            let client = self.db.pool().get().await?;
            let batch = self
                .db
                .waiting_for_finality(&**client, served_before, after, FINALITY_BATCH)
                .await?;
            drop(client);
            let Some(last) = batch.last().map(|w| w.case_id) else {
                break;
            };
            for w in &batch {
                if self.finalise_one(w.case_id, w.ruling_id, today).await? {
                    done.push(w.ruling_id);
                }
            }
            if (batch.len() as i64) < FINALITY_BATCH {
                break;
            }
            after = last;
        }
        Ok(done)
    }

    async fn finalise_one(
        &self,
        case_id: i32,
        ruling_id: i32,
        today: NaiveDate,
    ) -> Result<bool, UseCaseError> {
        let actor = Actor::system("finality");
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        let Some(mut locked) = self.db.lock_case(&*tx, case_id).await? else {
            return Ok(false);
        };
        if !matches!(
            locked.case.status,
            CaseStatus::ObjectionWindow | CaseStatus::Notified
        ) {
            return Ok(false);
        }
        let Some(facts) = self.db.ruling_facts(&*tx, ruling_id).await? else {
            return Ok(false);
        };
        let standings = self.standings(&*tx, &facts, &locked).await?;
        let calendar = self.db.calendar_in(&*tx).await?;
        let Finality::Final { on } = finality(&standings, today, self.rules.objection(), &calendar)
        else {
            return Ok(false);
        };
        if locked.case.status == CaseStatus::Notified {
            step(
                &self.db,
                &*tx,
                &mut locked,
                CaseEvent::OpenObjectionWindow,
                &actor,
                "finaliseRuling",
                DomainEvent::ObjectionWindowOpened,
                RulingRef {
                    ruling_id: i64::from(ruling_id),
                },
            )
            .await?;
        }
        self.make_final(&*tx, &mut locked, &facts, on, &actor)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a ruling final from `on`, in the caller's transaction, and closes the case when
    /// there is nothing to carry out.
    pub(crate) async fn make_final(
        &self,
        tx: &impl GenericClient,
        locked: &mut LockedCase,
        facts: &RulingFacts,
        on: NaiveDate,
        actor: &Actor,
    ) -> Result<(), UseCaseError> {
        step(
            &self.db,
            tx,
            locked,
            CaseEvent::Finalise,
            actor,
            "finaliseRuling",
            DomainEvent::RulingFinal,
            RulingFinal {
                ruling_id: i64::from(facts.id),
                number: facts.number.clone(),
                final_on: on,
            },
        )
        .await?;
        self.db
            .set_ruling_status(tx, facts.id, RulingStatus::Final)
            .await?;
        self.db
            .mark_final(tx, facts.id, facts.case_id, on, actor)
            .await?;
        self.db
            .append_ruling_state(tx, facts.id, "FINAL", actor, None)
            .await?;
        let items = self.db.items_in(tx, facts.case_id).await?;
        let item_outcomes: Vec<_> = items.iter().filter_map(|i| i.outcome).collect();
        let standing = RulingStanding {
            ruling_id: facts.id,
            commission_id: facts.commission_id,
            is_final: true,
            superseded: false,
            outcomes: outcomes_of(facts.kind, &item_outcomes),
            fine: Rials::new(facts.fine_rials).unwrap_or_default(),
            paid: Rials::ZERO,
            done: Vec::new(),
        };
        if nothing_to_enforce(&standing) {
            step(
                &self.db,
                tx,
                locked,
                CaseEvent::CloseWithoutEnforcement,
                actor,
                "finaliseRuling",
                DomainEvent::CaseClosed,
                CaseClosed {
                    ruling_id: i64::from(facts.id),
                    reason: CloseReason::NothingToEnforce,
                },
            )
            .await?;
        }
        Ok(())
    }
}
