//! The GraphQL schema, one folder per domain area, roots merged with `MergedObject`.
//!
//! This layer knows nothing of HTTP: the transport puts a [`Viewer`](crate::auth::Viewer) and
//! an [`ExecutionInfo`] into each request's data and calls the schema.

pub mod access;
pub mod admission;
pub mod batch;
pub mod context;
pub mod dashboards;
pub mod error;
pub mod federation;
pub mod guard;
pub mod idempotency;
pub mod live;
pub mod loaders;
pub mod me;
pub mod node;
pub mod pagination;
pub mod parcels;
pub mod requests;
pub mod rulings;
pub mod scalars;
pub mod system;

use async_graphql::{MergedObject, MergedSubscription, Schema};

pub use admission::{Admission, Graph};
pub use context::Deps;
pub use guard::{CostBudget, ExecutionInfo, Limits};

/// Every query field.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    system::SystemQuery,
    node::NodeQuery,
    me::MeQuery,
    parcels::ParcelsQuery,
    rulings::RulingsQuery,
    rulings::SessionQuery,
    requests::RequestsQuery,
    dashboards::DashboardsQuery,
    federation::FederationQuery,
);

/// Every mutation field.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    requests::RequestsMutation,
    requests::PaymentsMutation,
    rulings::SessionMutation,
    rulings::AfterRulingMutation,
);

/// Every subscription field.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(system::SystemSubscription, live::LiveSubscription);

/// The gateway's schema type.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The builder of [`AppSchema`].
pub type AppSchemaBuilder = async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the resolving schema. Without `deps` it serves only its SDL (the `schema` command).
/// It has no extension: admission ([`Graph::admit`]) runs on a schema of its own.
pub fn build_schema(deps: Option<Deps>, limits: Limits) -> AppSchema {
    let introspection = limits.introspection;
    let mut builder = schema_builder(limits);
    if !introspection {
        // Admission refuses introspection already; this is the second lock.
        builder = builder.disable_introspection();
    }
    if let Some(deps) = deps {
        builder = context::register(builder, deps);
    }
    builder.finish()
}

/// The graph as the transports use it: the resolving schema for `deps` and admission.
pub fn build_graph(deps: Deps, limits: Limits) -> Graph {
    Graph::new(build_schema(Some(deps), limits.clone()), limits)
}

/// The schema's types and its document limits, without data or extensions.
fn schema_builder(limits: Limits) -> AppSchemaBuilder {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .enable_federation()
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_directives(limits.max_directives);
    if !limits.introspection {
        builder = builder.disable_suggestions();
    }
    builder
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    export(async_graphql::SDLExportOptions::new())
}

/// The schema as an Apollo Federation v2 subgraph (`@link`, `@key` on its entities), as
/// committed in `subgraph.graphql` and served by `_service { sdl }`.
pub fn subgraph_sdl() -> String {
    export(async_graphql::SDLExportOptions::new().federation())
}

/// The schema's SDL, with `@specifiedBy` on its scalars, as `options` say.
fn export(options: async_graphql::SDLExportOptions) -> String {
    build_schema(
        None,
        Limits {
            max_aliases: usize::MAX,
            max_tokens: usize::MAX,
            max_depth: usize::MAX,
            max_complexity: usize::MAX,
            max_directives: usize::MAX,
            introspection: true,
        },
    )
    .sdl_with_options(options.include_specified_by())
}
