use std::{collections::HashMap, time::Duration};

use chrono::{TimeZone, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde_json::{Map, Value};
use shahr_domain::identifiers::NationalId;
use shahr_identity::KeySource;

use super::{
    claims::ClaimNames,
    keys::{load_jwks_file, KeyMap, ProviderKey, RemoteKeys},
    Claims, Principal, Role, Viewer,
};
use crate::config::{Config, Secret};

/// Why a presented token was refused. The message is safe to show to the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The Authorization header is not `Bearer <token>`.
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    /// The token is expired.
    #[error("the token has expired")]
    Expired,
    /// Bad signature, unknown key, unsupported algorithm, wrong issuer or audience.
    #[error("the token is invalid")]
    Invalid,
}

/// Verifies tokens against the configured keys.
pub struct Verifier {
    dev_secret: Option<DecodingKey>,
    /// Keys from a JWKS file or PEM key.
    fixed: KeyMap,
    /// Keys fetched from the provider (JWKS URL or discovery).
    remote: Option<RemoteKeys>,
    claims: ClaimNames,
    issuer: String,
    audience: String,
    leeway: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("dev_tokens", &self.dev_secret.is_some())
            .field("fixed_keys", &self.fixed.len())
            .field("fetched_keys", &self.remote.is_some())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Verifier {
    /// Loads keys named by the configuration. Fails with a message naming the key file. Keys
    /// fetched from the provider come with [`Verifier::fetch_keys`] or the first token.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mut fixed = HashMap::new();
        if let Some(path) = &config.jwt_jwks_file {
            load_jwks_file(path, &mut fixed)?;
        }
        if let Some(path) = &config.jwt_public_key_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read SHAHR_JWT_PUBLIC_KEY_FILE {}: {e}",
                    path.display()
                )
            })?;
            let (key, algorithm) = DecodingKey::from_rsa_pem(&pem)
                .map(|k| (k, Algorithm::RS256))
                .or_else(|_| DecodingKey::from_ec_pem(&pem).map(|k| (k, Algorithm::ES256)))
                .or_else(|_| DecodingKey::from_ed_pem(&pem).map(|k| (k, Algorithm::EdDSA)))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "SHAHR_JWT_PUBLIC_KEY_FILE {} is not an RSA, EC or Ed25519 public key in PEM: {e}",
                        path.display()
                    )
                })?;
            fixed.insert(None, ProviderKey { key, algorithm });
        }
        let source = match (&config.jwt_jwks_url, config.jwt_discovery) {
            (Some(url), _) => Some(KeySource::JwksUrl(url.clone())),
            (None, true) => Some(KeySource::Discovery {
                issuer: config.jwt_issuer.clone(),
            }),
            (None, false) => None,
        };
        let remote = source
            .map(|source| {
                RemoteKeys::new(
                    source,
                    config.jwks_timeout,
                    config.jwks_min_refresh,
                    config.jwks_max_age,
                )
            })
            .transpose()?;
        Ok(Self {
            dev_secret: config
                .dev_jwt_secret()
                .map(|s| DecodingKey::from_secret(s.expose().as_bytes()))
                .transpose()?,
            fixed,
            remote,
            claims: config.jwt_claims.clone(),
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway,
        })
    }

    /// Fetches the provider's keys now (at start). An error says they could not be fetched;
    /// the gateway still starts and tries again when a token arrives.
    pub async fn fetch_keys(&self) -> anyhow::Result<Option<usize>> {
        match &self.remote {
            Some(remote) => remote.load().await.map(Some),
            None => Ok(None),
        }
    }

    /// Turns an `Authorization` header value (or a WebSocket init payload's) into a viewer.
    pub async fn viewer_from_header(&self, header: Option<&str>) -> Result<Viewer, AuthError> {
        let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Viewer::Anonymous);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Malformed)?;
        self.verify(token).await.map(Viewer::Authenticated)
    }

    /// Verifies a compact JWT.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        // `alg: none` and unknown algorithms fail here: jsonwebtoken has no `none`.
        let header = decode_header(token).map_err(|_| AuthError::Invalid)?;
        let dev = header.alg == Algorithm::HS256;
        let (key, algorithm) = if dev {
            (
                self.dev_secret.clone().ok_or(AuthError::Invalid)?,
                Algorithm::HS256,
            )
        } else {
            let provider = match self
                .fixed
                .get(&header.kid)
                .or_else(|| self.fixed.get(&None))
            {
                Some(key) => key.clone(),
                None => match &self.remote {
                    Some(remote) => remote.key(&header.kid).await.ok_or(AuthError::Invalid)?,
                    None => return Err(AuthError::Invalid),
                },
            };
            if provider.algorithm != header.alg {
                return Err(AuthError::Invalid);
            }
            (provider.key, provider.algorithm)
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        let data =
            decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })?;
        let claims = data.claims;
        // Development tokens carry the gateway's own claim names.
        let names = if dev {
            ClaimNames::default()
        } else {
            self.claims.clone()
        };
        let read = super::claims::read(&claims, &names)?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::Invalid)?;
        let expires = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(AuthError::Invalid)?;
        Ok(Principal {
            subject: subject.to_owned(),
            roles: read.roles,
            national_id: read.national_id,
            district: read.district,
            commission_id: read.commission_id,
            expires_at: Utc
                .timestamp_opt(expires, 0)
                .single()
                .ok_or(AuthError::Invalid)?,
        })
    }
}

/// Mints a development token (HS256 with the dev secret); valid only in the `dev` profile.
pub fn mint_dev_token(
    secret: &Secret,
    config: &Config,
    roles: Vec<Role>,
    national_id: Option<NationalId>,
    district: Option<i16>,
    ttl: Duration,
) -> anyhow::Result<String> {
    mint_dev_token_with(
        secret,
        config,
        DevClaims {
            roles,
            national_id,
            district,
            commission_id: None,
            ttl,
        },
    )
}

/// What a development token asserts.
#[derive(Debug, Clone)]
pub struct DevClaims {
    /// Roles.
    pub roles: Vec<Role>,
    /// National id.
    pub national_id: Option<NationalId>,
    /// District (staff).
    pub district: Option<i16>,
    /// Commission (secretaries and members).
    pub commission_id: Option<i32>,
    /// Lifetime.
    pub ttl: Duration,
}

/// Mints a development token with every claim the gateway reads.
pub fn mint_dev_token_with(
    secret: &Secret,
    config: &Config,
    dev: DevClaims,
) -> anyhow::Result<String> {
    let DevClaims {
        roles,
        national_id,
        district,
        commission_id,
        ttl,
    } = dev;
    let now = Utc::now().timestamp();
    let subject = national_id
        .as_ref()
        .map(|n| format!("dev:{n}"))
        .unwrap_or_else(|| {
            format!(
                "dev:{}",
                roles.first().map(|r| r.as_str()).unwrap_or("user")
            )
        });
    let claims = Claims {
        sub: subject,
        roles,
        national_id: national_id.map(String::from),
        district,
        commission_id,
        iss: config.jwt_issuer.clone(),
        aud: super::Audience::One(config.jwt_audience.clone()),
        iat: now,
        exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
    };
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose().as_bytes())?,
    )?)
}
