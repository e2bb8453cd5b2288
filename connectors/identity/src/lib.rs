//! The identity provider (OpenID Connect), over HTTP: where its signing keys are published and
//! the keys themselves. Tokens are verified by the gateway with these keys; this crate only
//! fetches them, each call within its deadline and with a bounded body.
//!
//! Two ways to find the keys:
//! - a JWKS URL (`GET {url}` → `{"keys": [...]}`);
//! - discovery of an issuer (`GET {issuer}/.well-known/openid-configuration` → `{"issuer": …,
//!   "jwks_uri": …}`), where the document's `issuer` must be the configured one exactly
//!   (OpenID Connect Discovery 1.0, section 4.3). The `jwks_uri` found is remembered until a
//!   fetch from it fails.

use std::{sync::Mutex, time::Duration};

use serde::Deserialize;

/// Largest discovery document or key set read.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Most keys in one key set.
const MAX_KEYS: usize = 100;

/// Where the provider's keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The JSON Web Key Set at this URL.
    JwksUrl(String),
    /// The key set named by this issuer's discovery document.
    Discovery {
        /// The issuer, exactly as tokens carry it in `iss`.
        issuer: String,
    },
}

/// Why no key set came back.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No answer in time, or no connection.
    #[error("the identity provider did not answer at {url}: {reason}")]
    Unavailable {
        /// What was asked for.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// An answer the protocol does not allow.
    #[error("the identity provider answered {url} with {reason}")]
    Bad {
        /// What was asked for.
        url: String,
        /// What was wrong with the answer.
        reason: String,
    },
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// The client.
#[derive(Debug)]
pub struct IdentityClient {
    http: reqwest::Client,
    source: KeySource,
    /// The `jwks_uri` discovery found last.
    discovered: Mutex<Option<String>>,
}

impl IdentityClient {
    /// A client for `source`; every call has `timeout` as its deadline.
    pub fn new(source: KeySource, timeout: Duration) -> Result<Self, IdentityError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| IdentityError::Unavailable {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            http,
            source,
            discovered: Mutex::new(None),
        })
    }

    /// Where the keys come from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The provider's JSON Web Key Set, as the JSON text it published.
    pub async fn key_set(&self) -> Result<String, IdentityError> {
        let url = match &self.source {
            KeySource::JwksUrl(url) => url.clone(),
            KeySource::Discovery { issuer } => self.jwks_uri(issuer).await?,
        };
        let fetched = self.get(&url).await;
        if fetched.is_err() {
            // Perhaps the provider moved its keys: discover again next time.
            *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        let text = fetched?;
        let probe: Result<KeysOnly, _> = serde_json::from_str(&text);
        match probe {
            Ok(set) if set.keys.len() <= MAX_KEYS => Ok(text),
            Ok(set) => Err(IdentityError::Bad {
                url,
                reason: format!("{} keys (at most {MAX_KEYS} are read)", set.keys.len()),
            }),
            Err(e) => Err(IdentityError::Bad {
                url,
                reason: format!("no JSON Web Key Set ({e})"),
            }),
        }
    }

    async fn jwks_uri(&self, issuer: &str) -> Result<String, IdentityError> {
        if let Some(uri) = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(uri);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let text = self.get(&url).await?;
        let document: DiscoveryDocument =
            serde_json::from_str(&text).map_err(|e| IdentityError::Bad {
                url: url.clone(),
                reason: format!("no discovery document ({e})"),
            })?;
        if document.issuer != issuer {
            return Err(IdentityError::Bad {
                url,
                reason: format!(
                    "a document of issuer `{}`, not of `{issuer}`",
                    document.issuer
                ),
            });
        }
        *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(document.jwks_uri.clone());
        Ok(document.jwks_uri)
    }

    #[tracing::instrument(name = "identity.get", skip_all, fields(otel.kind = "client"))]
    async fn get(&self, url: &str) -> Result<String, IdentityError> {
        let unavailable = |reason: String| IdentityError::Unavailable {
            url: url.to_owned(),
            reason,
        };
        let mut response = self
            .http
            .get(url)
            .headers(shahr_tracecontext::headers())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(IdentityError::Bad {
                url: url.to_owned(),
                reason: format!("status {}", response.status()),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unavailable(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(IdentityError::Bad {
                    url: url.to_owned(),
                    reason: format!("a body over {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| IdentityError::Bad {
            url: url.to_owned(),
            reason: "a body that is not UTF-8".into(),
        })
    }
}

/// Just enough of a key set to know it is one.
#[derive(Deserialize)]
struct KeysOnly {
    keys: Vec<serde::de::IgnoredAny>,
}
