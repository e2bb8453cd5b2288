//! Who is asking: JWT verification and the [`Viewer`] every resolver sees.
//!
//! Production tokens come from the identity provider (OpenID Connect) and are verified with
//! its public keys: fetched from its JWKS URL or found by discovery of the issuer (cached,
//! fetched again on an unknown key id), or fixed in a JWKS file or a PEM key. Which claims
//! carry roles, national id, district and commission is configurable (`[jwt_claims]`). Development tokens are HS256 with the dev
//! secret and are accepted only in the `dev` profile; `shahr-gateway token` mints them.

mod claims;
mod keys;
mod verifier;

pub use claims::ClaimNames;
pub use verifier::{mint_dev_token, mint_dev_token_with, AuthError, DevClaims, Verifier};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shahr_domain::identifiers::NationalId;

pub use shahr_domain::actors::Role;

/// The claims the gateway reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the person's stable id at the identity provider.
    pub sub: String,
    /// Roles granted.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// National id of the person, when the provider asserts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_id: Option<String>,
    /// Municipal district the staff member works in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<i16>,
    /// The Article 100 commission a secretary or member sits on (its id in the urbanism system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_id: Option<i32>,
    /// Issuer.
    pub iss: String,
    /// Audience: one string, or a list (OpenID Connect allows both).
    pub aud: Audience,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

/// The `aud` claim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

/// An authenticated person.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// Subject at the identity provider.
    pub subject: String,
    /// Roles granted.
    pub roles: Vec<Role>,
    /// Verified national id, if the token carried a valid one.
    pub national_id: Option<NationalId>,
    /// District for staff roles.
    pub district: Option<i16>,
    /// Commission for commission secretaries and members.
    pub commission_id: Option<i32>,
    /// When the token stops being valid; live subscriptions end then.
    pub expires_at: DateTime<Utc>,
}

/// The person behind a request, or nobody.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Viewer {
    /// No token was presented.
    #[default]
    Anonymous,
    /// A verified token.
    Authenticated(Principal),
}

impl Viewer {
    /// The principal, if authenticated.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Authenticated(p) => Some(p),
        }
    }

    /// True when the viewer holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.principal().is_some_and(|p| p.roles.contains(&role))
    }

    /// When the viewer's token expires (never for the anonymous viewer).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.principal().map(|p| p.expires_at)
    }
}
