//! The graph as the transports use it: a document is first admitted, then executed.
//!
//! Admission runs on a schema of its own that carries the [`RequestGuard`](super::guard)
//! extension and no resolvers' dependencies: it parses (or takes the cached parse), checks the
//! limits, validates, charges the cost budget and stops before any field is resolved. The
//! admitted operation then runs on the resolving schema, which has no extension: async-graphql
//! wraps every field of every object in an extension chain as soon as one extension is
//! registered, and that chain cost about a fifth of the gateway's CPU on nested lists.
//!
//! Parsed documents are cached by their text (bounded, least recently used first out), so a
//! known document, persisted or not, is parsed once; both schemas get a copy of the parse.
//! Admissions are cached too, by document, operation name and variables: the same request
//! again (a dashboard's poll, a screen's list) is admitted by charging its known cost, without
//! validating it a second time (the resolving schema still validates what it runs).

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{
    futures_util::stream::BoxStream,
    parser::{parse_query, types::ExecutableDocument, types::OperationType},
    Request, Response,
};
use tracing::Instrument;

use super::{guard, AppSchema, CostBudget, ExecutionInfo, Limits};

/// How many parsed documents are kept, and how many admissions.
const DOCUMENTS: usize = 1024;
/// Longer documents are parsed each time rather than kept.
const LARGEST_CACHED: usize = 32 * 1024;

/// What admission decided for one operation.
pub enum Admission {
    /// The operation may run; `info` names it.
    Admitted(Arc<ExecutionInfo>),
    /// A request error: the response carries the errors (with their codes), and nothing ran.
    Refused(Box<Response>, Arc<ExecutionInfo>),
}

/// The resolving schema, the admission schema and the document cache.
#[derive(Clone)]
pub struct Graph {
    schema: AppSchema,
    gate: AppSchema,
    max_tokens: usize,
    documents: Arc<Mutex<lru::LruCache<String, Arc<ExecutableDocument>>>>,
    admitted: Arc<Mutex<lru::LruCache<String, Arc<ExecutionInfo>>>>,
}

fn lru<T>() -> Arc<Mutex<lru::LruCache<String, T>>> {
    Arc::new(Mutex::new(lru::LruCache::new(
        NonZeroUsize::new(DOCUMENTS).unwrap_or(NonZeroUsize::MIN),
    )))
}

impl Graph {
    /// Wraps the resolving `schema` (built without extensions) and builds the admission
    /// schema for `limits`.
    pub fn new(schema: AppSchema, limits: Limits) -> Self {
        let max_tokens = limits.max_tokens;
        let gate = super::schema_builder(limits.clone())
            .extension(guard::RequestGuard(Arc::new(limits)))
            .finish();
        Self {
            schema,
            gate,
            max_tokens,
            documents: lru(),
            admitted: lru(),
        }
    }

    /// The resolving schema (its SDL, or execution without admission in tests of the schema).
    pub fn schema(&self) -> &AppSchema {
        &self.schema
    }

    /// The parse of `query`, from the cache or parsed now; `None` when it does not parse or
    /// is over the token limit (admission then answers with the precise error).
    fn document(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        if let Some(found) = self
            .documents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(query)
        {
            return Some(found.clone());
        }
        if guard::count_tokens(query, self.max_tokens) > self.max_tokens {
            return None;
        }
        let document = Arc::new(parse_query(query).ok()?);
        if query.len() <= LARGEST_CACHED {
            self.documents
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(query.to_owned(), document.clone());
        }
        Some(document)
    }

    /// The type of the operation `request` would run, if its document parses.
    pub fn operation_kind(
        &self,
        query: &str,
        operation_name: Option<&str>,
    ) -> Option<OperationType> {
        let document = self.document(query)?;
        match operation_name {
            Some(name) => document
                .operations
                .iter()
                .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
                .map(|(_, op)| op.node.ty),
            None => document.operations.iter().next().map(|(_, op)| op.node.ty),
        }
    }

    /// Admits `request`: limits, validation and the cost budget (when given). On success
    /// `request` carries the parsed document and the [`ExecutionInfo`] for the run.
    pub async fn admit(&self, request: &mut Request, budget: Option<CostBudget>) -> Admission {
        let key = (request.query.len() <= LARGEST_CACHED).then(|| {
            format!(
                "{}\u{0}{}\u{0}{}",
                request.query,
                request.operation_name.as_deref().unwrap_or_default(),
                request.variables
            )
        });
        let known = key.as_deref().and_then(|key| {
            self.admitted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(key)
                .cloned()
        });
        let document = self.document(&request.query);
        if let Some(known) = known {
            let info = ExecutionInfo::copy_of(&known);
            if let Some(budget) = budget {
                if let Err(err) = budget.charge(info.cost(), &info).await {
                    return Admission::Refused(Box::new(Response::from_errors(vec![err])), info);
                }
            }
            info.accept();
            if let Some(document) = document {
                request.set_parsed_query((*document).clone());
            }
            return Admission::Admitted(info);
        }
        let info = ExecutionInfo::new();
        let mut check = Request::new(request.query.clone())
            .variables(request.variables.clone())
            .data(info.clone());
        check.operation_name = request.operation_name.clone();
        if let Some(budget) = budget {
            check = check.data(budget);
        }
        if let Some(document) = document {
            check.set_parsed_query((*document).clone());
            request.set_parsed_query((*document).clone());
        }
        let response = self.gate.execute(check).await;
        if !info.accepted() {
            return Admission::Refused(Box::new(response), info);
        }
        if let (Some(key), true) = (key, info.admitted_in_full()) {
            self.admitted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(key, ExecutionInfo::copy_of(&info));
        }
        Admission::Admitted(info)
    }

    /// Runs an admitted operation under its span.
    pub async fn execute(&self, request: Request, info: &ExecutionInfo) -> Response {
        self.schema.execute(request).instrument(info.span()).await
    }

    /// Runs an admitted subscription (or any operation, as a stream of one).
    pub fn execute_stream(&self, request: Request) -> BoxStream<'static, Response> {
        self.schema.execute_stream(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(max_tokens: usize) -> Graph {
        let limits = Limits {
            max_aliases: 10,
            max_tokens,
            max_depth: 10,
            max_complexity: 1000,
            max_directives: 5,
            introspection: false,
        };
        Graph::new(super::super::build_schema(None, limits.clone()), limits)
    }

    #[test]
    fn a_document_seen_before_is_not_parsed_again() {
        let graph = graph(100);
        let first = graph.document("{ districts { number } }").expect("parses");
        let again = graph.document("{ districts { number } }").expect("cached");
        assert!(Arc::ptr_eq(&first, &again));
        let other = graph.document("{ districts { name } }").expect("parses");
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn documents_over_the_token_limit_or_unparsable_are_left_to_admission() {
        let graph = graph(5);
        assert!(graph.document("{ a b c d e f g }").is_none());
        assert!(graph.document("{ a ").is_none());
        assert_eq!(
            self::graph(100).operation_kind("mutation M { a } query Q { b }", Some("Q")),
            Some(OperationType::Query)
        );
    }
}
