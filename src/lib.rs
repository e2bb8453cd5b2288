//! Shahr Gateway: one GraphQL graph over Tabriz's integrated urbanism system
//! (*samaneh-ye yekparcheh-ye shahrsazi*) and the citizen-sourcing store (*shahrvand-separi*).
//!
//! Data flows one way: [`http`] -> [`graphql`] -> [`usecases`] -> domain rules
//! (`shahr_domain`) and connectors (`shahr_urbanism`, `shahr_store`, ...).
//!
//! - [`cli`]: the `shahr-gateway` command and its subcommands
//! - [`config`]: typed, layered configuration
//! - [`app`]: build, bind, run, shut down
//! - [`database`]: configured or embedded databases; migrations and fixture
//! - [`embedded`]: the private PostgreSQL cluster of the embedded default
//! - [`http`]: poem routes (GraphQL over HTTP, WebSocket, SSE, health, metrics)
//! - [`graphql`]: the schema, one module per domain area
//! - [`usecases`]: the Article 100 commands, each owning its transaction
//! - [`hologram`]: sealing issued rulings and checking them for `/verify`
//! - [`holidays`]: the shipped official holiday lists and their import
//! - [`auth`]: JWT verification and the viewer
//! - [`events`]: outbox relay, event bus, subscriptions' source
//! - [`metrics`]: Prometheus metrics
//! - [`telemetry`]: logging set-up

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboards;
pub mod database;
pub mod documents;
pub mod embedded;
pub mod events;
pub mod graphql;
pub mod holidays;
pub mod hologram;
pub mod http;
pub mod metrics;
pub mod notifier;
pub mod ratelimit;
pub mod supervise;
pub mod telemetry;
pub mod usecases;
pub mod workers;

pub use app::Application;
pub use config::Config;
