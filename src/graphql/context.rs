//! What resolvers can reach: dependencies (schema data) and per-request data.

use std::{sync::Arc, time::Duration};

use async_graphql::Context;
use shahr_urbanism::UrbanismDb;

use super::AppSchemaBuilder;
use crate::{auth::Viewer, events::EventBus};

/// The dependencies resolvers use. Cheap to clone.
#[derive(Clone)]
pub struct Deps {
    /// The integrated urbanism system.
    pub urbanism: UrbanismDb,
    /// The event bus subscriptions read from.
    pub bus: Arc<dyn EventBus>,
    /// Interval of `serverTime` ticks.
    pub server_time_interval: Duration,
}

pub(super) fn register(builder: AppSchemaBuilder, deps: Deps) -> AppSchemaBuilder {
    let builder = super::loaders::register(builder, &deps.urbanism);
    builder.data(deps)
}

/// Shorthand accessors for resolvers.
pub trait ContextExt {
    /// The dependencies.
    fn deps(&self) -> &Deps;
    /// The viewer (anonymous when the transport put none).
    fn viewer(&self) -> &Viewer;
}

impl ContextExt for Context<'_> {
    fn deps(&self) -> &Deps {
        self.data_unchecked::<Deps>()
    }

    fn viewer(&self) -> &Viewer {
        static ANONYMOUS: Viewer = Viewer::Anonymous;
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }
}
