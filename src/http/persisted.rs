//! Apollo's automatic persisted queries: a client sends only the SHA-256 of its document
//! (`extensions.persistedQuery = { version: 1, sha256Hash }`); the first time the gateway
//! answers `PERSISTED_QUERY_NOT_FOUND`, the client sends the document with its hash, the hash
//! is checked and the document kept, in Redis for every instance (with a local copy), or in
//! memory when the gateway runs without Redis.

use std::{num::NonZeroUsize, sync::Mutex, time::Duration};

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
}

impl Refusal {
    /// The answer: `PERSISTED_QUERY_NOT_FOUND` with 200, as Apollo's link expects before
    /// it resends with the document; a bad hash or extension is a 400.
    pub fn response(&self) -> Response {
        match self {
            Refusal::NotFound => {
                let body = serde_json::json!({ "errors": [{
                    "message": "PersistedQueryNotFound",
                    "extensions": {
                        "code": "PERSISTED_QUERY_NOT_FOUND",
                        "messageFa": "این پرس‌وجو هنوز ذخیره نشده است؛ متن آن را همراه شناسه بفرستید.",
                    }
                }]});
                Response::builder()
                    .status(StatusCode::OK)
                    .header(poem::http::header::CACHE_CONTROL, "private, no-store")
                    .content_type("application/json")
                    .body(body.to_string())
            }
            Refusal::Mismatch => super::error_response_fa(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "provided sha does not match query",
                "شناسه پرس‌وجو با متن آن نمی‌خواند.",
                Some("extensions.persistedQuery.sha256Hash"),
            ),
            Refusal::Malformed(why) => super::error_response_fa(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                why,
                "افزونه persistedQuery نادرست است.",
                Some("extensions.persistedQuery"),
            ),
        }
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
        }
    }

    /// Fills in the document of a request that names a persisted query, or keeps the one it
    /// sends after checking its hash. A request without the extension is left alone.
    pub async fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), Refusal> {
        let Some(ext) = request.extensions.get("persistedQuery") else {
            return Ok(());
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
        if request.query.trim().is_empty() {
            request.query = self.get(&hash).await.ok_or(Refusal::NotFound)?;
            return Ok(());
        }
        if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
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
