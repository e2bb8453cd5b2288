//! The secretariat's work list: the parties no e-notice account reaches, still to be served
//! by hand with a summons or a ruling of the commission.

use async_graphql::{Context, Enum, Object, ID};
use shahr_urbanism::cases::{queue, service::Document};

use super::parties::Party;
use crate::graphql::{
    loaders::{loader, CaseLoader},
    node::global_id,
    rulings::types::ViolationCase,
};

/// What a party is to be served with.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ServedDocument {
    /// The summons to the case's current hearing: record its service with
    /// `recordSummonsService`.
    Summons,
    /// A ruling of the commission: record its service with `recordNotification`.
    Ruling,
}

/// A party still to be served by hand.
pub struct PendingService(pub queue::PendingService);

/// A party still to be served by hand: who, on which case, with what.
#[Object]
impl PendingService {
    /// What the party is to be served with.
    async fn document(&self) -> ServedDocument {
        match self.0.document {
            Document::Ruling(_) => ServedDocument::Ruling,
            Document::Summons(_) => ServedDocument::Summons,
        }
    }

    /// The ruling to serve (its `id`), when `document` is `RULING`.
    async fn ruling_id(&self) -> Option<ID> {
        match self.0.document {
            Document::Ruling(id) => Some(global_id("Ruling", id)),
            Document::Summons(_) => None,
        }
    }

    /// The case.
    async fn case(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ViolationCase>> {
        Ok(loader::<i32, CaseLoader>(ctx)
            .load_one(self.0.case_id)
            .await?
            .map(ViolationCase))
    }

    /// The party: pass its `id` as `party` when recording the service.
    async fn party(&self) -> Party {
        Party {
            record: self.0.party.clone(),
            services: Vec::new(),
            deadline: None,
        }
    }
}
