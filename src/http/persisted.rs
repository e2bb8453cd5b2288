//! Apollo's automatic persisted queries: a client sends only the SHA-256 of its document
//! (`extensions.persistedQuery = { version: 1, sha256Hash }`); the first time the gateway
//! answers `PERSISTED_QUERY_NOT_FOUND`, the client sends the document with its hash, the hash
//! is checked and the document kept, in Redis for every instance (with a local copy), or in
//! memory when the gateway runs without Redis.
//!
//! Trusted documents: a client app registers its operations ahead of time
//! (`shahr-gateway documents add CLIENT FILE`); a request naming the client
//! (`graphql-client-name` or `apollographql-client-name`) may send only the hash, and clients
//! listed in `trusted_document_clients` may send nothing else. The gateway's own pages (the
//! dashboard) bring their documents built in, and may send nothing else either.

use std::{
    collections::{HashMap, HashSet},
    num::NonZeroUsize,
    sync::Mutex,
    time::Duration,
};

use poem::{http::StatusCode, Response};
use redis::AsyncCommands;
use sha2::{Digest, Sha256};

/// How long Redis keeps a document nobody used again.
const TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Documents kept in each instance's memory.
const LOCAL: usize = 2_048;

/// Where persisted documents are kept.
pub struct PersistedQueries {
    redis: Option<(deadpool_redis::Pool, String, Duration)>,
    local: Mutex<lru::LruCache<String, String>>,
    trusted: Option<shahr_citizen::CitizenDb>,
    required: HashSet<String>,
    /// Documents built into the gateway, by client and hash.
    builtin: HashMap<(String, String), String>,
}

/// Why a persisted-query request cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is not known: send the document with it.
    NotFound,
    /// The document's hash is not the one sent.
    Mismatch,
    /// Not `{ version: 1, sha256Hash }`.
    Malformed(String),
    /// The client may send only its trusted documents, and this is not one.
    NotTrusted(String),
    /// The store of trusted documents did not answer.
    Unavailable,
}

impl Refusal {
    /// Status, code, message, Persian message and field of the answer.
    fn parts(
        &self,
    ) -> (
        StatusCode,
        &'static str,
        String,
        &'static str,
        Option<&'static str>,
    ) {
        match self {
            Refusal::NotFound => (
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound".into(),
                "این پرس‌وجو هنوز ذخیره نشده است؛ متن آن را همراه شناسه بفرستید.",
                None,
            ),
            Refusal::Mismatch => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "provided sha does not match query".into(),
                "شناسه پرس‌وجو با متن آن نمی‌خواند.",
                Some("extensions.persistedQuery.sha256Hash"),
            ),
            Refusal::NotTrusted(client) => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("client {client} may send only its trusted documents, by hash; this is not one of them"),
                "این برنامه فقط پرس‌وجوهای ثبت‌شده خود را می‌تواند بفرستد.",
                Some("extensions.persistedQuery.sha256Hash"),
            ),
            Refusal::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "UPSTREAM_UNAVAILABLE",
                "the store of trusted documents did not answer; retry shortly".into(),
                "فهرست پرس‌وجوهای ثبت‌شده در دسترس نیست؛ کمی بعد دوباره بفرستید.",
                None,
            ),
            Refusal::Malformed(why) => (
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                why.clone(),
                "افزونه persistedQuery نادرست است.",
                Some("extensions.persistedQuery"),
            ),
        }
    }

    /// The refusal as GraphQL errors, for transports that answer in messages (WebSocket).
    pub fn errors(&self) -> serde_json::Value {
        let (_, code, message, message_fa, field) = self.parts();
        let mut extensions = serde_json::json!({ "code": code, "messageFa": message_fa });
        if let Some(field) = field {
            extensions["field"] = field.into();
        }
        serde_json::json!([{ "message": message, "extensions": extensions }])
    }

    /// The answer over HTTP: `PERSISTED_QUERY_NOT_FOUND` with 200, as Apollo's link expects
    /// before it resends with the document; a bad hash or extension is a 400.
    pub fn response(&self) -> Response {
        let (status, ..) = self.parts();
        let mut response = Response::builder()
            .status(status)
            .content_type("application/json");
        if status == StatusCode::OK {
            response = response.header(poem::http::header::CACHE_CONTROL, "private, no-store");
        }
        response.body(serde_json::json!({ "errors": self.errors() }).to_string())
    }
}

impl PersistedQueries {
    /// Kept in Redis under `{prefix}apq:{hash}` when a pool is given.
    pub fn new(redis: Option<(deadpool_redis::Pool, String, Duration)>) -> Self {
        Self {
            redis,
            local: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(LOCAL).unwrap_or(NonZeroUsize::MIN),
            )),
            trusted: None,
            required: HashSet::new(),
            builtin: HashMap::new(),
        }
    }

    /// With `client`'s documents built in (the gateway's own pages): known by hash on every
    /// instance without a store, and the only documents that client may send.
    pub fn with_builtin(mut self, client: &str, documents: &[&str]) -> Self {
        for document in documents {
            let hash = document_hash(document);
            self.builtin
                .insert((client.to_owned(), hash), (*document).to_owned());
        }
        self.required.insert(client.to_owned());
        self
    }

    /// With the clients' trusted documents from `store`; the clients in `required` may send
    /// nothing else.
    pub fn with_trusted(
        mut self,
        store: shahr_citizen::CitizenDb,
        required: impl IntoIterator<Item = String>,
    ) -> Self {
        self.trusted = Some(store);
        self.required = required.into_iter().collect();
        self
    }

    /// Fills in the document of a request that names a persisted query (the `client`'s trusted
    /// document first, then the automatic ones), or keeps the one it sends after checking its
    /// hash. A request without the extension is left alone, unless its client may send only
    /// trusted documents.
    pub async fn resolve(
        &self,
        request: &mut async_graphql::Request,
        client: Option<&str>,
    ) -> Result<(), Refusal> {
        let required = client.filter(|c| self.required.contains(*c));
        let Some(ext) = request.extensions.get("persistedQuery") else {
            return match required {
                Some(client) => Err(Refusal::NotTrusted(client.to_owned())),
                None => Ok(()),
            };
        };
        let ext = serde_json::to_value(ext)
            .map_err(|_| Refusal::Malformed("`persistedQuery` is not an object".into()))?;
        if ext.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
            return Err(Refusal::Malformed(
                "only version 1 of `persistedQuery` is supported".into(),
            ));
        }
        let hash = ext
            .get("sha256Hash")
            .and_then(serde_json::Value::as_str)
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| Refusal::Malformed("`sha256Hash` must be 64 hexadecimal digits".into()))?
            .to_ascii_lowercase();
        if let Some(client) = client {
            let key = (client.to_owned(), hash.clone());
            if let Some(document) = self.builtin.get(&key) {
                return adopt(request, document.clone());
            }
        }
        if let (Some(client), Some(store)) = (client, &self.trusted) {
            let found = store
                .trusted_document(client, &hash)
                .await
                .map_err(|_| Refusal::Unavailable)?;
            if let Some(document) = found {
                return adopt(request, document);
            }
        }
        if let Some(client) = required {
            return Err(Refusal::NotTrusted(client.to_owned()));
        }
        if request.query.trim().is_empty() {
            request.query = self.get(&hash).await.ok_or(Refusal::NotFound)?;
            return Ok(());
        }
        if document_hash(&request.query) != hash {
            return Err(Refusal::Mismatch);
        }
        self.put(&hash, &request.query).await;
        Ok(())
    }

    fn local(&self) -> std::sync::MutexGuard<'_, lru::LruCache<String, String>> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[tracing::instrument(name = "redis.persisted_query_get", skip_all, fields(otel.kind = "client", db.system = "redis"))]
    async fn get(&self, hash: &str) -> Option<String> {
        if let Some(found) = self.local().get(hash).cloned() {
            return Some(found);
        }
        let (pool, prefix, timeout) = self.redis.as_ref()?;
        let read = async {
            let mut conn = pool.get().await.ok()?;
            conn.get::<_, Option<String>>(format!("{prefix}apq:{hash}"))
                .await
                .ok()
                .flatten()
        };
        // Redis slow or away: answered as unknown, so the client sends the document.
        let found = tokio::time::timeout(*timeout, read).await.ok().flatten()?;
        self.local().put(hash.to_owned(), found.clone());
        Some(found)
    }

    #[tracing::instrument(name = "redis.persisted_query_put", skip_all, fields(otel.kind = "client", db.system = "redis"))]
    async fn put(&self, hash: &str, query: &str) {
        let known = self
            .local()
            .put(hash.to_owned(), query.to_owned())
            .is_some();
        let Some((pool, prefix, timeout)) = self.redis.as_ref().filter(|_| !known) else {
            return;
        };
        let write = async {
            let mut conn = pool.get().await.ok()?;
            conn.set_ex::<_, _, ()>(format!("{prefix}apq:{hash}"), query, TTL.as_secs())
                .await
                .ok()
        };
        if tokio::time::timeout(*timeout, write)
            .await
            .ok()
            .flatten()
            .is_none()
        {
            tracing::warn!("a persisted query could not be kept in Redis");
        }
    }
}

/// The SHA-256 of a document in hexadecimal, as persisted queries name it.
pub fn document_hash(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

/// Runs `request` as the registered `document`: a request that also sends a document must
/// send that one.
fn adopt(request: &mut async_graphql::Request, document: String) -> Result<(), Refusal> {
    if !request.query.trim().is_empty() && request.query != document {
        return Err(Refusal::Mismatch);
    }
    request.query = document;
    Ok(())
}

/// Reads a client's operation manifest: Apollo's (`{ "format":
/// "apollo-persisted-query-manifest", "operations": [{ "id", "body", "name" }] }`) or a plain
/// map of hash to document (GraphQL Code Generator's, Relay's). Every hash must be the SHA-256
/// of its document, or the whole file is refused naming the first that is not.
pub fn read_manifest(
    text: &str,
) -> Result<Vec<shahr_citizen::trusted_documents::TrustedDocument>, String> {
    use shahr_citizen::trusted_documents::TrustedDocument;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let entries: Vec<(String, String, Option<String>)> = match value.get("operations") {
        Some(operations) => operations
            .as_array()
            .ok_or("`operations` must be a list")?
            .iter()
            .map(|op| {
                let field = |name: &str| op.get(name).and_then(serde_json::Value::as_str);
                match (field("id"), field("body")) {
                    (Some(id), Some(body)) => Ok((
                        id.to_owned(),
                        body.to_owned(),
                        field("name").map(str::to_owned),
                    )),
                    _ => Err("every operation needs `id` and `body`".to_owned()),
                }
            })
            .collect::<Result<_, _>>()?,
        None => value
            .as_object()
            .ok_or("expected an object of hash to document, or Apollo's manifest")?
            .iter()
            .map(|(hash, body)| {
                body.as_str()
                    .map(|b| (hash.clone(), b.to_owned(), None))
                    .ok_or_else(|| format!("the document of {hash} is not a string"))
            })
            .collect::<Result<_, _>>()?,
    };
    if entries.is_empty() {
        return Err("the manifest has no operations".into());
    }
    entries
        .into_iter()
        .map(|(hash, document, operation_name)| {
            let hash = hash.trim_start_matches("sha256:").to_ascii_lowercase();
            if document_hash(&document) != hash {
                return Err(format!("{hash} is not the SHA-256 of its document"));
            }
            Ok(TrustedDocument {
                hash,
                document,
                operation_name,
            })
        })
        .collect()
}
