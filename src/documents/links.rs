//! Short-lived signed links to documents: `/documents/rulings/{id}?exp=…&sig=…`, where `sig`
//! is an HMAC-SHA256 over the path and expiry. Whoever holds a link opens the document until
//! it expires; the API mints links only for viewers who may see the ruling.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Mints and checks document links.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    ttl: std::time::Duration,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// The signature does not match (forged or altered).
    Invalid,
    /// The link's time is up.
    Expired,
}

impl LinkSigner {
    /// A signer with a secret key and the links' lifetime.
    pub fn new(key: &[u8], ttl: std::time::Duration) -> Self {
        Self {
            key: key.to_vec(),
            ttl,
        }
    }

    fn mac(&self, path: &str, exp: i64) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        Some(mac)
    }

    /// A link to `path` valid from `now` for the configured lifetime.
    pub fn sign(&self, path: &str, now: DateTime<Utc>) -> String {
        let exp = now.timestamp() + i64::try_from(self.ttl.as_secs()).unwrap_or(600);
        let sig = self
            .mac(path, exp)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{path}?exp={exp}&sig={sig}")
    }

    /// Checks a link's `exp` and `sig` for `path` at `now`.
    pub fn check(
        &self,
        path: &str,
        exp: i64,
        sig: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkError> {
        let bytes = hex::decode(sig).map_err(|_| LinkError::Invalid)?;
        let mac = self.mac(path, exp).ok_or(LinkError::Invalid)?;
        mac.verify_slice(&bytes).map_err(|_| LinkError::Invalid)?;
        if now.timestamp() > exp {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(link: &str) -> (String, i64, String) {
        let (path, query) = link.split_once('?').expect("query");
        let mut exp = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("exp", v)) => exp = v.parse().expect("exp"),
                Some(("sig", v)) => sig = v.to_owned(),
                _ => {}
            }
        }
        (path.to_owned(), exp, sig)
    }

    #[test]
    fn a_link_opens_its_path_until_it_expires() {
        let signer = LinkSigner::new(b"secret", std::time::Duration::from_secs(600));
        let now = Utc::now();
        let (path, exp, sig) = parts(&signer.sign("/documents/rulings/7", now));
        assert_eq!(signer.check(&path, exp, &sig, now), Ok(()));
        assert_eq!(
            signer.check(&path, exp, &sig, now + chrono::Duration::seconds(601)),
            Err(LinkError::Expired)
        );
        assert_eq!(
            signer.check("/documents/rulings/8", exp, &sig, now),
            Err(LinkError::Invalid),
            "another ruling"
        );
        assert_eq!(
            signer.check(&path, exp + 3600, &sig, now),
            Err(LinkError::Invalid),
            "a stretched expiry"
        );
        let other = LinkSigner::new(b"other", std::time::Duration::from_secs(600));
        assert_eq!(other.check(&path, exp, &sig, now), Err(LinkError::Invalid));
    }
}
