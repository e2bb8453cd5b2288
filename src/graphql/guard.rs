//! Request guard: the async-graphql extension of the admission schema (see
//! [`super::admission`]). It enforces document limits, hides introspection in production,
//! gives parse and validation errors their codes, charges the cost budget, and records what
//! the transport needs (was the operation admitted, what is its name and type). It never lets
//! an operation execute: the schema that resolves fields has no extension at all, so
//! async-graphql calls its resolvers directly instead of running an extension chain around
//! every field.

use std::sync::{
    atomic::{AtomicBool, AtomicU32, Ordering},
    Arc, Mutex,
};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
    },
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    Response, ServerError, ServerResult, ValidationResult, Variables,
};

use super::error::{ApiError, ErrorCode};

/// Limits applied to each document.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most aliases.
    pub max_aliases: usize,
    /// Most lexical tokens.
    pub max_tokens: usize,
    /// Deepest nesting (enforced by async-graphql's validation).
    pub max_depth: usize,
    /// Highest complexity (enforced by async-graphql's validation).
    pub max_complexity: usize,
    /// Most directives per field (enforced by async-graphql's validation).
    pub max_directives: usize,
    /// Whether `__schema` and `__type` may be queried.
    pub introspection: bool,
}

/// What happened to one operation, filled in by the guard and read by the transport.
#[derive(Debug, Default)]
pub struct ExecutionInfo {
    accepted: AtomicBool,
    cost: AtomicU32,
    operation_name: Mutex<Option<String>>,
    operation_type: Mutex<Option<OperationType>>,
    retry_after: Mutex<Option<std::time::Duration>>,
}

/// The viewer's cost budget: the transport puts it in the request's data; the guard takes
/// each operation's complexity from it once the document is validated.
#[derive(Clone)]
pub struct CostBudget {
    /// The limiter.
    pub limiter: Arc<crate::ratelimit::RateLimiter>,
    /// Whose budget (`sub:…` or `ip:…`).
    pub who: String,
}

impl CostBudget {
    /// Takes an operation's `cost` from the budget; when it is not there, records how long to
    /// wait in `info` and answers the request error.
    pub async fn charge(&self, cost: u32, info: &ExecutionInfo) -> Result<(), ServerError> {
        let Err(wait) = self
            .limiter
            .take(self.limiter.cost(), &self.who, cost)
            .await
        else {
            return Ok(());
        };
        *info.retry_after.lock().unwrap_or_else(|p| p.into_inner()) = Some(wait);
        let seconds = wait.as_secs().max(1);
        let mut err = ServerError::new(
            format!(
                "this query's cost ({cost}) is over what is left of the budget; retry in {seconds} s"
            ),
            None,
        );
        err.extensions = Some(
            ApiError::new(ErrorCode::RateLimited, "")
                .with("retryAfter", (seconds as i64).into())
                .extensions(),
        );
        Err(err)
    }
}

impl ExecutionInfo {
    /// A fresh record, to put in the request's data.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A record for an operation admitted before with the same document and variables: its
    /// cost, name and type, not yet accepted.
    pub(crate) fn copy_of(known: &Self) -> Arc<Self> {
        Arc::new(Self {
            accepted: AtomicBool::new(false),
            cost: AtomicU32::new(known.cost()),
            operation_name: Mutex::new(known.operation_name()),
            operation_type: Mutex::new(known.operation_type()),
            retry_after: Mutex::new(None),
        })
    }

    /// Marks the operation admitted.
    pub(crate) fn accept(&self) {
        self.accepted.store(true, Ordering::Release);
    }

    /// True once the whole document was admitted and its operation found: the same
    /// document with the same variables and operation name will be admitted again.
    pub(crate) fn admitted_in_full(&self) -> bool {
        self.accepted() && self.operation_type().is_some()
    }

    /// The operation's cost (its validated complexity, at least 1) once validated.
    pub fn cost(&self) -> u32 {
        self.cost.load(Ordering::Acquire)
    }

    fn operation_type(&self) -> Option<OperationType> {
        *self
            .operation_type
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// True once the document passed parsing, limits and validation, so the operation runs:
    /// errors after that are field errors, not request errors.
    pub fn accepted(&self) -> bool {
        self.accepted.load(Ordering::Acquire)
    }

    /// How long to wait when the operation was refused by a rate limit.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        *self.retry_after.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The operation's name, when the document gave one.
    pub fn operation_name(&self) -> Option<String> {
        self.operation_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The span of the admitted operation, named as OpenTelemetry names GraphQL operations:
    /// `query RulingsPage`, or the type alone for an anonymous one.
    pub fn span(&self) -> tracing::Span {
        let kind = match self.operation_type() {
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            _ => "query",
        };
        let name = self.operation_name();
        let span_name = match &name {
            Some(name) => format!("{kind} {name}"),
            None => kind.to_owned(),
        };
        tracing::info_span!(
            "graphql.operation",
            otel.name = %span_name,
            graphql.operation.type = kind,
            graphql.operation.name = name.as_deref(),
        )
    }
}

/// Factory registered on the schema.
pub struct RequestGuard(pub Arc<Limits>);

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestGuardExtension {
            limits: self.0.clone(),
            operations: Mutex::new(Vec::new()),
        })
    }
}

struct RequestGuardExtension {
    limits: Arc<Limits>,
    /// The document's operations (name, type), for naming the operation.
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
}

#[async_trait::async_trait]
impl Extension for RequestGuardExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let tokens = count_tokens(query, self.limits.max_tokens);
        if tokens > self.limits.max_tokens {
            return Err(ApiError::limit(
                "tokens",
                format!(
                    "the document has more than {} tokens",
                    self.limits.max_tokens
                ),
            )
            .into_server_error(None));
        }
        let document = next.run(ctx, query, variables).await.map_err(|mut err| {
            // The parser enforces the directive and recursion limits itself.
            let api = if err.message.contains("directives") {
                ApiError::limit("directives", "")
            } else if err.message.contains("recursion") {
                ApiError::limit("depth", "")
            } else {
                ApiError::new(ErrorCode::GraphqlParseFailed, "")
            };
            err.extensions = Some(api.extensions());
            err
        })?;
        let mut aliases = 0usize;
        let mut introspection = false;
        let mut visit = |set: &SelectionSet| walk(set, &mut aliases, &mut introspection);
        for (_, op) in document.operations.iter() {
            visit(&op.node.selection_set.node);
        }
        for fragment in document.fragments.values() {
            visit(&fragment.node.selection_set.node);
        }
        if aliases > self.limits.max_aliases {
            return Err(ApiError::limit(
                "aliases",
                format!(
                    "the document has more than {} aliases",
                    self.limits.max_aliases
                ),
            )
            .into_server_error(None));
        }
        if introspection && !self.limits.introspection {
            return Err(ApiError::new(
                ErrorCode::GraphqlValidationFailed,
                "introspection is disabled on this server",
            )
            .into_server_error(None));
        }
        *self.operations.lock().unwrap_or_else(|p| p.into_inner()) = document
            .operations
            .iter()
            .map(|(name, op)| (name.map(|n| n.to_string()), op.node.ty))
            .collect();
        if let Some(info) = ctx.data_opt::<Arc<ExecutionInfo>>() {
            // A document with one named operation names the request even when the client
            // did not pass `operationName`; `execute` overrides with the requested name.
            if let async_graphql::parser::types::DocumentOperations::Multiple(ops) =
                &document.operations
            {
                if ops.len() == 1 {
                    *info
                        .operation_name
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) =
                        ops.keys().next().map(|n| n.to_string());
                }
            }
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        if let Ok(valid) = &result {
            let cost = u32::try_from(valid.complexity).unwrap_or(u32::MAX).max(1);
            if let Some(info) = ctx.data_opt::<Arc<ExecutionInfo>>() {
                info.cost.store(cost, Ordering::Release);
                if let Some(budget) = ctx.data_opt::<CostBudget>() {
                    budget.charge(cost, info).await.map_err(|err| vec![err])?;
                }
            }
        }
        if result.is_ok() {
            if let Some(info) = ctx.data_opt::<Arc<ExecutionInfo>>() {
                info.accepted.store(true, Ordering::Release);
            }
        }
        result.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut err| {
                    let api = if err.message.contains("nested too deep") {
                        ApiError::limit("depth", "")
                    } else if err.message.contains("too complex") {
                        ApiError::limit("complexity", "")
                    } else if err.message.contains("directives") {
                        ApiError::limit("directives", "")
                    } else {
                        ApiError::new(ErrorCode::GraphqlValidationFailed, "")
                    };
                    err.extensions = Some(api.extensions());
                    err
                })
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        // Admitted: record the operation's name and type; the resolving schema runs it.
        if let Some(info) = ctx.data_opt::<Arc<ExecutionInfo>>() {
            let operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
            let found = match operation_name {
                Some(name) => operations.iter().find(|(n, _)| n.as_deref() == Some(name)),
                None => operations.first(),
            };
            *info
                .operation_type
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = found.map(|(_, t)| *t);
            if let Some(name) = operation_name {
                *info
                    .operation_name
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(name.to_owned());
            }
        }
        Response::new(async_graphql::Value::Null)
    }
}

fn walk(set: &SelectionSet, aliases: &mut usize, introspection: &mut bool) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                if field.alias.is_some() {
                    *aliases += 1;
                }
                let name = field.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    *introspection = true;
                }
                walk(&field.selection_set.node, aliases, introspection);
            }
            Selection::InlineFragment(fragment) => {
                walk(&fragment.node.selection_set.node, aliases, introspection)
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Counts GraphQL lexical tokens, stopping early once past `stop_after`.
pub fn count_tokens(source: &str, stop_after: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < bytes.len() && count <= stop_after {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                count += 1;
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                count += 1;
                i += 3;
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                count += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'-' | b'+'))
                {
                    i += 1;
                }
            }
            _ => {
                count += 1;
                i += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::count_tokens;

    #[test]
    fn tokens_are_counted_like_a_graphql_lexer() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        // query Q ( $ x : Int = -1.5e3 ) { a ( x : $ x ) }
        assert_eq!(
            count_tokens("query Q($x: Int = -1.5e3) { a(x: $x) }", 100),
            19
        );
        assert_eq!(count_tokens("{ a(s: \"x y, z\") # c\n ...F }", 100), 10);
        assert_eq!(count_tokens("{ a(s: \"\"\"multi\n\"line\"\"\") }", 100), 8);
    }

    #[test]
    fn counting_stops_early_on_huge_documents() {
        let huge = "{ a } ".repeat(1_000_000);
        assert!(count_tokens(&huge, 10) <= 11);
    }
}
