//! Which claims of a provider's token carry what the gateway needs. Identity providers differ
//! (Keycloak puts roles in `realm_access.roles`, others in `roles` or a namespaced claim), so
//! each is a configurable path (`[jwt_claims]`), dots stepping into nested objects.

use serde::Deserialize;
use serde_json::{Map, Value};
use shahr_domain::identifiers::NationalId;

use super::{AuthError, Role};

/// Claim paths (`[jwt_claims]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimNames {
    /// The roles: a list of names, or one string of names separated by spaces. Names the
    /// gateway does not know (`offline_access`, ...) are ignored.
    pub roles: String,
    /// The person's national id (a string of 10 digits).
    pub national_id: String,
    /// The municipal district of a staff member (a number, or digits in a string).
    pub district: String,
    /// The Article 100 commission of a secretary or member (a number, or digits in a string).
    pub commission: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            roles: "roles".into(),
            national_id: "national_id".into(),
            district: "district".into(),
            commission: "commission_id".into(),
        }
    }
}

impl ClaimNames {
    /// Each configured path, for validation.
    pub fn paths(&self) -> [(&'static str, &str); 4] {
        [
            ("jwt_claims.roles", &self.roles),
            ("jwt_claims.national_id", &self.national_id),
            ("jwt_claims.district", &self.district),
            ("jwt_claims.commission", &self.commission),
        ]
    }
}

/// What the gateway reads from a verified token.
pub(super) struct Read {
    pub roles: Vec<Role>,
    pub national_id: Option<NationalId>,
    pub district: Option<i16>,
    pub commission_id: Option<i32>,
}

/// Reads the configured claims of `claims`. A claim that is present but malformed makes the
/// token invalid, rather than quietly granting less or more.
pub(super) fn read(claims: &Map<String, Value>, names: &ClaimNames) -> Result<Read, AuthError> {
    let roles = match at(claims, &names.roles) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or(AuthError::Invalid))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(role)
            .collect(),
        Some(Value::String(spaced)) => spaced.split_whitespace().filter_map(role).collect(),
        Some(_) => return Err(AuthError::Invalid),
    };
    let national_id = match at(claims, &names.national_id) {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(NationalId::parse(raw).map_err(|_| AuthError::Invalid)?),
        Some(_) => return Err(AuthError::Invalid),
    };
    Ok(Read {
        roles,
        national_id,
        district: number(at(claims, &names.district))?,
        commission_id: number(at(claims, &names.commission))?,
    })
}

fn at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    // A claim whose own name has dots (`https://tabriz.ir/roles`) is found first as a whole.
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

fn role(name: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| r.as_str() == name)
}

fn number<T: TryFrom<i64>>(value: Option<&Value>) -> Result<Option<T>, AuthError> {
    let n = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or(AuthError::Invalid)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn nested_and_namespaced_claims_are_read_where_the_provider_puts_them() {
        let names = ClaimNames {
            roles: "realm_access.roles".into(),
            national_id: "https://tabriz.ir/nid".into(),
            district: "org.district".into(),
            commission: "org.commission".into(),
        };
        let read = read(
            &claims(json!({
                "realm_access": { "roles": ["offline_access", "commission_secretary"] },
                "https://tabriz.ir/nid": "0076229645",
                "org": { "district": "9", "commission": 12 }
            })),
            &names,
        )
        .expect("reads");
        assert_eq!(read.roles, vec![Role::CommissionSecretary]);
        assert_eq!(
            read.national_id.map(|n| n.to_string()).as_deref(),
            Some("0076229645")
        );
        assert_eq!(read.district, Some(9));
        assert_eq!(read.commission_id, Some(12));
    }

    #[test]
    fn a_malformed_claim_invalidates_the_token_and_an_absent_one_grants_nothing() {
        let names = ClaimNames::default();
        for bad in [
            json!({ "roles": 7 }),
            json!({ "roles": [7] }),
            json!({ "national_id": "0076229646" }),
            json!({ "national_id": 76229645 }),
            json!({ "district": "nine" }),
            json!({ "district": 70000 }),
            json!({ "commission_id": true }),
        ] {
            assert!(read(&claims(bad.clone()), &names).is_err(), "{bad}");
        }
        let none = read(&claims(json!({})), &names).expect("reads");
        assert!(none.roles.is_empty() && none.national_id.is_none() && none.district.is_none());
        let spaced = read(&claims(json!({ "roles": "auditor  citizen x" })), &names).expect("ok");
        assert_eq!(spaced.roles, vec![Role::Auditor, Role::Citizen]);
    }
}
