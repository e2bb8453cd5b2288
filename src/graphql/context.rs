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
    /// The citizen-request store.
    pub citizen: shahr_citizen::CitizenDb,
    /// The event bus subscriptions read from.
    pub bus: Arc<dyn EventBus>,
    /// Interval of `serverTime` ticks.
    pub server_time_interval: Duration,
    /// Article 100 settings (windows and counting, numbering, fine ranges).
    pub rules: Arc<shahr_domain::session::Article100Rules>,
    /// The Article 100 commands (use cases).
    pub article100: crate::usecases::Article100,
    /// Office hours, for service requests' SLA clocks.
    pub office_hours: Arc<shahr_domain::office::OfficeHours>,
    /// The keys issued rulings are signed with.
    pub keyring: Arc<shahr_domain::signing::Keyring>,
    /// Signs the short-lived links to documents.
    pub links: crate::documents::links::LinkSigner,
    /// The public address printed on documents (QR codes).
    pub public_base_url: String,
    /// The city's GIS service, when configured.
    pub gis: Option<shahr_gis::GisClient>,
    /// Replays of missed events reading the outbox at once in this instance: their bounded
    /// share of the database pool.
    pub replay_slots: Arc<tokio::sync::Semaphore>,
    /// Online payments, when a payment gateway is configured.
    pub payments: Option<crate::usecases::payments::Payments>,
}

/// The replays one WebSocket may run at once, put in each of its requests' data.
#[derive(Clone)]
pub struct SocketReplays(pub Arc<tokio::sync::Semaphore>);

pub(super) fn register(builder: AppSchemaBuilder, deps: Deps) -> AppSchemaBuilder {
    let builder = super::loaders::register(builder, &deps.urbanism, &deps.citizen);
    builder.data(deps)
}

/// The `Idempotency-Key` HTTP header, put in the request data by the transport.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

/// Shorthand accessors for resolvers.
pub trait ContextExt {
    /// The dependencies.
    fn deps(&self) -> &Deps;
    /// The viewer (anonymous when the transport put none).
    fn viewer(&self) -> &Viewer;
    /// The `Idempotency-Key` header of the HTTP request, if any.
    fn idempotency_header(&self) -> Option<&str>;
}

impl ContextExt for Context<'_> {
    fn deps(&self) -> &Deps {
        self.data_unchecked::<Deps>()
    }

    fn viewer(&self) -> &Viewer {
        static ANONYMOUS: Viewer = Viewer::Anonymous;
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    fn idempotency_header(&self) -> Option<&str> {
        self.data_opt::<IdempotencyKey>().map(|k| k.0.as_str())
    }
}
