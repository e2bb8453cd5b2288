//! The digital hologram: Ed25519 signatures over a canonical encoding of a ruling's content,
//! with key ids so that keys can rotate while old signatures still verify.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `value` with every object's keys sorted (recursively), so its encoding does not depend
/// on how the JSON was built or how PostgreSQL's `jsonb` stored it.
pub fn with_sorted_keys(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: BTreeMap<&String, serde_json::Value> =
                map.iter().map(|(k, v)| (k, with_sorted_keys(v))).collect();
            let mut out = serde_json::Map::new();
            for (k, v) in ordered {
                out.insert(k.clone(), v);
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(with_sorted_keys).collect())
        }
        other => other.clone(),
    }
}

/// The canonical bytes of some content: its JSON with sorted keys, no insignificant space.
/// The same content always gives the same bytes, however it was built or stored.
pub fn canonical_bytes(content: &impl Serialize) -> Vec<u8> {
    let value = serde_json::to_value(content).unwrap_or(serde_json::Value::Null);
    serde_json::to_vec(&with_sorted_keys(&value)).unwrap_or_default()
}

/// SHA-256 of the canonical bytes, hex: the content hash shown on the verification page.
pub fn content_hash(content: &impl Serialize) -> String {
    hex::encode(Sha256::digest(canonical_bytes(content)))
}

/// A signature with the id of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRecord {
    /// Key id.
    pub key_id: String,
    /// Base64 signature.
    pub signature: String,
}

/// Signs with the active key; verifies with any configured key, old ones included.
pub struct Keyring {
    active: (String, SigningKey),
    verifying: BTreeMap<String, VerifyingKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active.0)
            .field("verifying", &self.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a keyring could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

impl Keyring {
    /// A keyring signing with `active` (id, 32-byte seed in base64) and verifying with it and
    /// `retired` (id, public key in base64).
    pub fn new(active: (&str, &str), retired: &[(&str, &str)]) -> Result<Self, KeyError> {
        let seed: [u8; 32] = STANDARD
            .decode(active.1.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                KeyError(format!(
                    "signing key {:?} is not 32 bytes of base64",
                    active.0
                ))
            })?;
        let signing = SigningKey::from_bytes(&seed);
        let mut verifying = BTreeMap::new();
        verifying.insert(active.0.to_owned(), signing.verifying_key());
        for (id, public) in retired {
            let bytes: [u8; 32] = STANDARD
                .decode(public.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    KeyError(format!("verifying key {id:?} is not 32 bytes of base64"))
                })?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|e| KeyError(format!("verifying key {id:?}: {e}")))?;
            verifying.insert((*id).to_owned(), key);
        }
        Ok(Self {
            active: (active.0.to_owned(), signing),
            verifying,
        })
    }

    /// The active key's public half, base64 (to publish, and to keep when rotating).
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.active.1.verifying_key().as_bytes())
    }

    /// Signs the canonical bytes of `content`.
    pub fn sign(&self, content: &impl Serialize) -> SignatureRecord {
        let signature = self.active.1.sign(&canonical_bytes(content));
        SignatureRecord {
            key_id: self.active.0.clone(),
            signature: STANDARD.encode(signature.to_bytes()),
        }
    }

    /// True when `record` is a valid signature of `content` by a known key.
    pub fn verify(&self, content: &impl Serialize, record: &SignatureRecord) -> bool {
        let Some(key) = self.verifying.get(&record.key_id) else {
            return false;
        };
        let Some(bytes) = STANDARD
            .decode(&record.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        key.verify(&canonical_bytes(content), &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEED_2025: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const SEED_2026: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

    #[test]
    fn canonical_bytes_do_not_depend_on_key_order() {
        let a = json!({ "number": "9/05/42", "fine": "1250000000", "items": [{ "note": 2, "area": 60 }] });
        let b = json!({ "items": [{ "area": 60, "note": 2 }], "fine": "1250000000", "number": "9/05/42" });
        assert_eq!(canonical_bytes(&a), canonical_bytes(&b));
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_eq!(
            String::from_utf8(canonical_bytes(&a)).expect("utf8"),
            r#"{"fine":"1250000000","items":[{"area":60,"note":2}],"number":"9/05/42"}"#
        );
    }

    #[test]
    fn signatures_verify_and_any_change_breaks_them() {
        let ring = Keyring::new(("k2025", SEED_2025), &[]).expect("ring");
        let content = json!({ "number": "9/05/42", "kind": "FINE", "fine": "1250000000" });
        let sig = ring.sign(&content);
        assert_eq!(sig.key_id, "k2025");
        assert!(ring.verify(&content, &sig));
        assert!(!ring.verify(
            &json!({ "number": "9/05/42", "kind": "FINE", "fine": "1250000001" }),
            &sig
        ));
        let mut forged = sig.clone();
        forged.key_id = "unknown".into();
        assert!(!ring.verify(&content, &forged));
    }

    #[test]
    fn rotated_keys_keep_old_signatures_valid() {
        let old = Keyring::new(("k2025", SEED_2025), &[]).expect("ring");
        let content = json!({ "number": "1/04/7" });
        let old_sig = old.sign(&content);
        let old_public = old.public_key();
        let new =
            Keyring::new(("k2026", SEED_2026), &[("k2025", old_public.as_str())]).expect("ring");
        assert!(new.verify(&content, &old_sig), "signed before the rotation");
        let new_sig = new.sign(&content);
        assert_eq!(new_sig.key_id, "k2026");
        assert!(new.verify(&content, &new_sig));
        assert!(
            !old.verify(&content, &new_sig),
            "the old ring does not know the new key"
        );
        assert!(Keyring::new(("bad", "not base64"), &[]).is_err());
    }
}
