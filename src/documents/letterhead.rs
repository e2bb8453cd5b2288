//! The dadnameh's letterhead: the municipality's name and emblem from configuration, embedded
//! in each document as it is issued (a saved copy needs nothing from the server).

use std::path::Path;

use base64::Engine;

/// Largest emblem file accepted (it is embedded in every document).
pub const MAX_EMBLEM_BYTES: usize = 256 * 1024;

/// A neutral emblem: a city's outline in a ring, used when no emblem is configured.
const NEUTRAL_EMBLEM: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120"><circle cx="60" cy="60" r="56" fill="none" stroke="#1f4e5f" stroke-width="4"/><circle cx="60" cy="60" r="48" fill="none" stroke="#1f4e5f" stroke-width="1.5"/><path d="M26 84V62h10V50h8v-8h8v20h8V36l8-8 8 8v26h6V54h10v30z" fill="#1f4e5f"/><rect x="24" y="86" width="72" height="4" fill="#1f4e5f"/></svg>"##;

/// What heads every dadnameh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// The municipality's name (`شهرداری تبریز`).
    pub municipality_name: String,
    /// The emblem as a `data:` URI.
    pub emblem: String,
}

impl Default for Letterhead {
    fn default() -> Self {
        Self::neutral("شهرداری")
    }
}

impl Letterhead {
    /// The named municipality with the neutral emblem.
    pub fn neutral(municipality_name: &str) -> Self {
        Self {
            municipality_name: municipality_name.to_owned(),
            emblem: data_uri("image/svg+xml", NEUTRAL_EMBLEM.as_bytes()),
        }
    }

    /// The named municipality with the emblem read from `path` (SVG or PNG).
    pub fn with_emblem_file(municipality_name: &str, path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        if bytes.len() > MAX_EMBLEM_BYTES {
            return Err(format!(
                "it is {} bytes; an emblem may be at most {MAX_EMBLEM_BYTES} (it is embedded in every document)",
                bytes.len()
            ));
        }
        let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if std::str::from_utf8(&bytes).is_ok_and(|s| s.contains("<svg")) {
            "image/svg+xml"
        } else {
            return Err("it is neither a PNG nor an SVG file".into());
        };
        Ok(Self {
            municipality_name: municipality_name.to_owned(),
            emblem: data_uri(mime, &bytes),
        })
    }
}

fn data_uri(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emblem_file_is_embedded_as_a_data_uri() {
        let dir = tempfile::tempdir().expect("dir");
        let svg = dir.path().join("emblem.svg");
        std::fs::write(&svg, r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#).expect("write");
        let head = Letterhead::with_emblem_file("شهرداری تبریز", &svg).expect("svg");
        assert!(head.emblem.starts_with("data:image/svg+xml;base64,"));

        let png = dir.path().join("emblem.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").expect("write");
        let head = Letterhead::with_emblem_file("شهرداری تبریز", &png).expect("png");
        assert!(head.emblem.starts_with("data:image/png;base64,"));
    }

    #[test]
    fn an_emblem_that_is_not_an_image_or_too_large_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let text = dir.path().join("emblem.txt");
        std::fs::write(&text, "hello").expect("write");
        let refused = Letterhead::with_emblem_file("x", &text).expect_err("text refused");
        assert!(refused.contains("neither a PNG nor an SVG"), "{refused}");
        let big = dir.path().join("big.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.resize(MAX_EMBLEM_BYTES + 1, 0);
        std::fs::write(&big, bytes).expect("write");
        let refused = Letterhead::with_emblem_file("x", &big).expect_err("too large");
        assert!(refused.contains("at most"), "{refused}");
        assert!(Letterhead::with_emblem_file("x", &dir.path().join("missing.svg")).is_err());
    }
}
