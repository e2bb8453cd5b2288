//! The identity provider's public keys: fixed ones (a JWKS file or a PEM key) and those fetched
//! from the provider (a JWKS URL or OpenID Connect discovery). Fetched keys are cached; they
//! are fetched again when a token names a key the cache does not have (a rotation) or when
//! they are older than `jwks_max_age` (a key withdrawn), never more often than
//! `jwks_min_refresh`, so tokens with made-up key ids cannot make the gateway hammer the
//! provider. When a fetch fails, the keys already known stay in use.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey};
use shahr_identity::{IdentityClient, KeySource};

/// A public key of the identity provider.
#[derive(Clone)]
pub(super) struct ProviderKey {
    pub key: DecodingKey,
    pub algorithm: Algorithm,
}

/// Keys by `kid`; the key under `None` serves tokens without `kid`.
pub(super) type KeyMap = HashMap<Option<String>, ProviderKey>;

/// Keys fetched from the provider.
pub(super) struct RemoteKeys {
    client: IdentityClient,
    keys: RwLock<Arc<KeyMap>>,
    /// When the keys were last fetched, and when a fetch was last tried.
    times: Mutex<(Option<Instant>, Option<Instant>)>,
    /// One fetch at a time; the others wait for it and use its keys.
    fetching: tokio::sync::Mutex<()>,
    min_refresh: Duration,
    max_age: Duration,
}

impl RemoteKeys {
    pub fn new(
        source: KeySource,
        timeout: Duration,
        min_refresh: Duration,
        max_age: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: IdentityClient::new(source, timeout)
                .map_err(|e| anyhow::anyhow!("cannot build the identity provider client: {e}"))?,
            keys: RwLock::new(Arc::new(HashMap::new())),
            times: Mutex::new((None, None)),
            fetching: tokio::sync::Mutex::new(()),
            min_refresh,
            max_age,
        })
    }

    /// The key for `kid`, fetching the key set again when it is unknown or the set is old
    /// (and the last try is long enough ago).
    pub async fn key(&self, kid: &Option<String>) -> Option<ProviderKey> {
        let known = self.lookup(kid);
        if known.is_some() && !self.stale() {
            return known;
        }
        self.refresh(false).await;
        self.lookup(kid).or(known)
    }

    /// Fetches the keys now (at start), whatever the last try.
    pub async fn load(&self) -> anyhow::Result<usize> {
        self.refresh(true).await;
        let count = self.current().len();
        if self.times().0.is_none() {
            anyhow::bail!("the identity provider's keys could not be fetched");
        }
        Ok(count)
    }

    fn current(&self) -> Arc<KeyMap> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn times(&self) -> (Option<Instant>, Option<Instant>) {
        *self.times.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lookup(&self, kid: &Option<String>) -> Option<ProviderKey> {
        let keys = self.current();
        if let Some(key) = keys.get(kid) {
            return Some(key.clone());
        }
        // A token without `kid` is verified with the only key there is, if there is one.
        match (kid, keys.len()) {
            (None, 1) => keys.values().next().cloned(),
            _ => None,
        }
    }

    fn stale(&self) -> bool {
        self.times()
            .0
            .is_none_or(|fetched| fetched.elapsed() >= self.max_age)
    }

    async fn refresh(&self, force: bool) {
        let last_try = self.times().1;
        let _turn = self.fetching.lock().await;
        let (_, tried) = self.times();
        if tried != last_try {
            // Someone fetched while this one waited.
            return;
        }
        if !force && tried.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        self.times.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(Instant::now());
        let fetched = match self.client.key_set().await {
            Ok(text) => parse_jwks(&text, "the identity provider's key set", false),
            Err(err) => Err(anyhow::anyhow!("{err}")),
        };
        match fetched {
            Ok(keys) => {
                tracing::info!(
                    keys = keys.len(),
                    source = ?self.client.source(),
                    "identity provider keys fetched"
                );
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
                self.times.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(Instant::now());
            }
            Err(err) => tracing::warn!(
                error = %err,
                "cannot fetch the identity provider's keys; the keys already known stay in use"
            ),
        }
    }
}

/// Reads a JWKS file.
pub(super) fn load_jwks_file(path: &Path, into: &mut KeyMap) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read SHAHR_JWT_JWKS_FILE {}: {e}", path.display()))?;
    into.extend(parse_jwks(
        &text,
        &format!("SHAHR_JWT_JWKS_FILE {}", path.display()),
        true,
    )?);
    Ok(())
}

/// The public signing keys of a JWKS document; `origin` names it in errors. A key that cannot
/// be used fails a `strict` read (a file the operator wrote); from the provider it is skipped
/// with a warning, so one key of a new kind does not take the others away.
fn parse_jwks(text: &str, origin: &str, strict: bool) -> anyhow::Result<KeyMap> {
    let set: JwkSet = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{origin} is not a JWKS document: {e}"))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        // Keys for encryption are not for verifying signatures.
        if matches!(
            jwk.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        ) {
            continue;
        }
        match signing_key(jwk, origin) {
            Ok(key) => {
                keys.insert(jwk.common.key_id.clone(), key);
            }
            Err(err) if strict => return Err(err),
            Err(err) => tracing::warn!(error = %err, kid = ?jwk.common.key_id, "a key is skipped"),
        }
    }
    Ok(keys)
}

fn signing_key(jwk: &jsonwebtoken::jwk::Jwk, origin: &str) -> anyhow::Result<ProviderKey> {
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|e| anyhow::anyhow!("a key in {origin} is unusable: {e}"))?;
    let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(alg), _) => alg
            .to_string()
            .parse::<Algorithm>()
            .map_err(|e| anyhow::anyhow!("unsupported key algorithm {alg} in {origin}: {e}"))?,
        (None, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_)) => Algorithm::ES256,
        (None, jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
        (None, _) => anyhow::bail!("a key in {origin} has no `alg` and no public-key type"),
    };
    if matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        anyhow::bail!("{origin} holds a symmetric key; only public keys are accepted");
    }
    Ok(ProviderKey { key, algorithm })
}
