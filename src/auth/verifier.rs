use std::{collections::HashMap, path::Path, time::Duration};

use chrono::{TimeZone, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, jwk::JwkSet, Algorithm, DecodingKey, EncodingKey, Header,
    Validation,
};
use shahr_domain::identifiers::NationalId;

use super::{Claims, Principal, Role, Viewer};
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

/// A public key of the identity provider.
struct ProviderKey {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// Verifies tokens against the configured keys.
pub struct Verifier {
    dev_secret: Option<DecodingKey>,
    /// Keys by `kid`; the key under `None` is used for tokens without `kid`.
    provider: HashMap<Option<String>, ProviderKey>,
    issuer: String,
    audience: String,
    leeway: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("dev_tokens", &self.dev_secret.is_some())
            .field("provider_keys", &self.provider.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Verifier {
    /// Loads keys named by the configuration. Fails with a message naming the key file.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mut provider = HashMap::new();
        if let Some(path) = &config.jwt_jwks_file {
            load_jwks(path, &mut provider)?;
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
            provider.insert(None, ProviderKey { key, algorithm });
        }
        Ok(Self {
            dev_secret: config
                .dev_jwt_secret()
                .map(|s| DecodingKey::from_secret(s.expose().as_bytes()))
                .transpose()?,
            provider,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway,
        })
    }

    /// Turns an `Authorization` header value (or a WebSocket init payload's) into a viewer.
    pub fn viewer_from_header(&self, header: Option<&str>) -> Result<Viewer, AuthError> {
        let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Viewer::Anonymous);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Malformed)?;
        self.verify(token).map(Viewer::Authenticated)
    }

    /// Verifies a compact JWT.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        // `alg: none` and unknown algorithms fail here: jsonwebtoken has no `none`.
        let header = decode_header(token).map_err(|_| AuthError::Invalid)?;
        let (key, algorithm) = if header.alg == Algorithm::HS256 {
            (
                self.dev_secret.as_ref().ok_or(AuthError::Invalid)?,
                Algorithm::HS256,
            )
        } else {
            let provider = self
                .provider
                .get(&header.kid)
                .or_else(|| self.provider.get(&None))
                .ok_or(AuthError::Invalid)?;
            if provider.algorithm != header.alg {
                return Err(AuthError::Invalid);
            }
            (&provider.key, provider.algorithm)
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        let data = decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
            _ => AuthError::Invalid,
        })?;
        let claims = data.claims;
        let national_id = match claims.national_id.as_deref() {
            Some(raw) => Some(NationalId::parse(raw).map_err(|_| AuthError::Invalid)?),
            None => None,
        };
        Ok(Principal {
            subject: claims.sub,
            roles: claims.roles,
            national_id,
            district: claims.district,
            commission_id: claims.commission_id,
            expires_at: Utc
                .timestamp_opt(claims.exp, 0)
                .single()
                .ok_or(AuthError::Invalid)?,
        })
    }
}

fn load_jwks(path: &Path, into: &mut HashMap<Option<String>, ProviderKey>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read SHAHR_JWT_JWKS_FILE {}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "SHAHR_JWT_JWKS_FILE {} is not a JWKS document: {e}",
            path.display()
        )
    })?;
    for jwk in &set.keys {
        let key = DecodingKey::from_jwk(jwk).map_err(|e| {
            anyhow::anyhow!(
                "a key in SHAHR_JWT_JWKS_FILE {} is unusable: {e}",
                path.display()
            )
        })?;
        let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
            (Some(alg), _) => alg
                .to_string()
                .parse::<Algorithm>()
                .map_err(|e| anyhow::anyhow!("unsupported key algorithm {alg}: {e}"))?,
            (None, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)) => Algorithm::RS256,
            (None, jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_)) => Algorithm::ES256,
            (None, jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
            (None, _) => anyhow::bail!(
                "a key in SHAHR_JWT_JWKS_FILE {} has no `alg` and no public-key type",
                path.display()
            ),
        };
        if algorithm == Algorithm::HS256 {
            anyhow::bail!(
                "SHAHR_JWT_JWKS_FILE {} holds a symmetric key; only public keys are accepted",
                path.display()
            );
        }
        into.insert(jwk.common.key_id.clone(), ProviderKey { key, algorithm });
    }
    Ok(())
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
