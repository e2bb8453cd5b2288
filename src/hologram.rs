//! The digital hologram of an issued ruling: sealing (signed content and a verification code)
//! and checking a stored record against its signature and the legacy row.

use rand::Rng;
use serde_json::{json, Value};
use shahr_domain::signing::{content_hash, Keyring, SignatureRecord};
use shahr_urbanism::issued::{IssuedRuling, NewIssuedRuling};

/// Letters and digits a person cannot confuse, for codes typed from paper.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A fresh, unguessable verification code (20 characters, about 99 bits).
pub fn verification_code() -> String {
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// What a ruling's signature covers: the legacy row's fields as written, and what the
/// verification page shows.
pub fn content(legacy: Value, commission_name: &str, issued_at: &str) -> Value {
    json!({ "legacy": legacy, "commissionName": commission_name, "issuedAt": issued_at })
}

/// What is sealed: the ruling's legacy identity and the content its signature covers.
#[derive(Debug, Clone)]
pub struct ToSeal<'a> {
    /// The legacy row (`tbl_ray.id_ray`).
    pub legacy_ruling_id: i32,
    /// The case.
    pub case_id: i32,
    /// The ruling number.
    pub number: &'a str,
    /// What the signature covers (see [`content`]).
    pub content: Value,
    /// Who issues it.
    pub issued_by: &'a str,
    /// The issuing request's idempotency key.
    pub idempotency_key: Option<String>,
    /// The record an appeal ruling replaces.
    pub supersedes: Option<i64>,
}

/// Signs the content and prepares the record, with a fresh verification code.
pub fn seal(keyring: &Keyring, ruling: ToSeal<'_>) -> NewIssuedRuling {
    seal_with_code(keyring, ruling, verification_code())
}

/// Signs the content and prepares the record with a verification code drawn beforehand (the
/// document printed with the ruling carries it in its QR code, and is itself signed).
pub fn seal_with_code(keyring: &Keyring, ruling: ToSeal<'_>, code: String) -> NewIssuedRuling {
    let signature = keyring.sign(&ruling.content);
    NewIssuedRuling {
        legacy_ruling_id: ruling.legacy_ruling_id,
        case_id: ruling.case_id,
        number: ruling.number.to_owned(),
        content_hash: content_hash(&ruling.content),
        content: ruling.content,
        key_id: signature.key_id,
        signature: signature.signature,
        verification_code: code,
        supersedes: ruling.supersedes,
        issued_by: ruling.issued_by.to_owned(),
        idempotency_key: ruling.idempotency_key,
        draft_id: None,
        document: None,
    }
}

/// The verdict of the verification page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signature, hash and legacy row agree.
    Valid,
    /// Valid, but a later (appeal) ruling replaced it.
    Superseded,
    /// Something was changed: the record, or the legacy row.
    Invalid,
}

/// Checks the record's signature and hash, and the legacy row against what was signed.
pub fn check(keyring: &Keyring, record: &IssuedRuling, legacy_now: Option<&Value>) -> Verdict {
    let signature = SignatureRecord {
        key_id: record.key_id.clone(),
        signature: record.signature.clone(),
    };
    let intact = keyring.verify(&record.content, &signature)
        && content_hash(&record.content) == record.content_hash
        && record.content.get("legacy") == legacy_now
        && record.content["legacy"]["number"].as_str() == Some(record.number.as_str());
    match (intact, record.superseded) {
        (false, _) => Verdict::Invalid,
        (true, true) => Verdict::Superseded,
        (true, false) => Verdict::Valid,
    }
}
