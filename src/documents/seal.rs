//! The visible seal of an issued ruling: a guilloche rosette drawn from a hash of what the
//! ruling is (its legacy fields as signed and its verification code). Every ruling gets its own
//! pattern; the dadnameh prints it beside the QR code and `/verify/{code}` draws it again from
//! the signed record, so a clerk holding a paper copy sees at a glance whether the two match.

use std::fmt::Write;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The 32 bytes a seal is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealSeed([u8; 32]);

impl SealSeed {
    /// The seed of the ruling whose signed legacy fields are `legacy` and whose verification
    /// code is `code` (both are known before the document is rendered, and both are in the
    /// signed record the verification page reads).
    pub fn of(legacy: &Value, code: &str) -> Self {
        let canonical = shahr_domain::signing::content_hash(
            &json!({ "legacy": legacy, "verificationCode": code }),
        );
        Self(Sha256::digest(canonical.as_bytes()).into())
    }

    /// Eight characters a person can read aloud when comparing two copies (`7F3A-09C2`).
    pub fn fingerprint(&self) -> String {
        let hex = hex::encode_upper(&self.0[..4]);
        format!("{}-{}", &hex[..4], &hex[4..])
    }

    fn byte(&self, i: usize) -> u32 {
        u32::from(self.0[i % 32])
    }
}

/// Points per curve: enough for smooth lace at print size, few enough to keep the document
/// small (the whole seal is about 12 KB).
const STEPS: usize = 144;

/// One band of lace: `copies` modulated circles, each turned a little from the last.
struct Band {
    radius: f64,
    depth: f64,
    lobes: u32,
    second: u32,
    second_depth: f64,
    copies: u32,
}

impl Band {
    fn path(&self, copy: u32, turn: f64) -> String {
        let mut d = String::with_capacity(STEPS * 9);
        let phase = std::f64::consts::TAU * f64::from(copy) / f64::from(self.copies * self.lobes);
        for step in 0..=STEPS {
            let t = std::f64::consts::TAU * step as f64 / STEPS as f64;
            let r = self.radius
                + self.depth * (f64::from(self.lobes) * t + phase * f64::from(self.lobes)).sin()
                + self.second_depth * (f64::from(self.second) * t - phase).cos();
            let (x, y) = (200.0 + r * (t + turn).cos(), 200.0 + r * (t + turn).sin());
            let _ = write!(d, "{}{:.0} {:.0}", if step == 0 { "M" } else { "L" }, x, y);
        }
        d.push('Z');
        d
    }
}

/// The seal as an inline SVG (a 400 × 400 view box; it scales to any size).
pub fn svg(seed: &SealSeed) -> String {
    let hue = seed.byte(0) * 360 / 256;
    let second_hue = (hue + 120 + seed.byte(1) % 90) % 360;
    let turn = f64::from(seed.byte(2)) / 256.0 * std::f64::consts::TAU;
    let bands = [
        Band {
            radius: 150.0,
            depth: 14.0 + f64::from(seed.byte(3) % 12),
            lobes: 9 + seed.byte(4) % 10,
            second: 2 + seed.byte(5) % 5,
            second_depth: f64::from(seed.byte(6) % 10),
            copies: 5,
        },
        Band {
            radius: 104.0,
            depth: 12.0 + f64::from(seed.byte(7) % 14),
            lobes: 6 + seed.byte(8) % 9,
            second: 3 + seed.byte(9) % 6,
            second_depth: f64::from(seed.byte(10) % 12),
            copies: 4,
        },
        Band {
            radius: 58.0,
            depth: 8.0 + f64::from(seed.byte(11) % 12),
            lobes: 4 + seed.byte(12) % 7,
            second: 2 + seed.byte(13) % 4,
            second_depth: f64::from(seed.byte(14) % 8),
            copies: 3,
        },
    ];
    let fingerprint = seed.fingerprint();
    let mut out = String::with_capacity(14_000);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="seal" viewBox="0 0 400 400" width="160" height="160" role="img" aria-label="مهر دیداری رأی {fingerprint}" data-seal="{fingerprint}">"##
    );
    let _ = write!(
        out,
        r##"<circle cx="200" cy="200" r="196" fill="none" stroke="hsl({hue},55%,32%)" stroke-width="3"/><circle cx="200" cy="200" r="186" fill="none" stroke="hsl({hue},55%,32%)" stroke-width="1" stroke-dasharray="{} 3"/>"##,
        2 + seed.byte(15) % 6
    );
    for (i, band) in bands.iter().enumerate() {
        let colour = if i % 2 == 0 { hue } else { second_hue };
        let _ = write!(
            out,
            r##"<g fill="none" stroke="hsl({colour},60%,{}%)" stroke-width="1.2">"##,
            30 + 8 * i
        );
        for copy in 0..band.copies {
            let _ = write!(out, r##"<path d="{}"/>"##, band.path(copy, turn));
        }
        out.push_str("</g>");
    }
    let points = 5 + seed.byte(16) % 4;
    let star: Vec<String> = (0..points * 2)
        .map(|i| {
            let r = if i % 2 == 0 { 30.0 } else { 14.0 };
            let a = std::f64::consts::TAU * f64::from(i) / f64::from(points * 2) + turn;
            format!("{:.0},{:.0}", 200.0 + r * a.cos(), 200.0 + r * a.sin())
        })
        .collect();
    let _ = write!(
        out,
        r##"<polygon points="{}" fill="hsl({second_hue},60%,38%)" opacity="0.85"/><rect x="138" y="364" width="124" height="26" rx="5" fill="#fff" opacity="0.9"/><text x="200" y="383" text-anchor="middle" font-family="monospace" font-size="18" fill="#222" direction="ltr">{fingerprint}</text></svg>"##,
        star.join(" ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(number: &str, code: &str) -> SealSeed {
        SealSeed::of(&json!({ "number": number, "fine": 1000 }), code)
    }

    #[test]
    fn the_same_ruling_always_draws_the_same_seal() {
        let a = svg(&seed("1405/100", "ABCDEFGHJK23456789MN"));
        let b = svg(&seed("1405/100", "ABCDEFGHJK23456789MN"));
        assert_eq!(a, b);
        assert!(a.starts_with("<svg") && a.ends_with("</svg>"));
        assert!(a.len() < 20_000, "the seal stays small: {} bytes", a.len());
    }

    #[test]
    fn a_different_ruling_or_code_draws_a_different_seal() {
        let base = svg(&seed("1405/100", "ABCDEFGHJK23456789MN"));
        for other in [
            seed("1405/101", "ABCDEFGHJK23456789MN"),
            seed("1405/100", "ABCDEFGHJK23456789MP"),
        ] {
            let drawn = svg(&other);
            assert_ne!(drawn, base);
            assert_ne!(
                other.fingerprint(),
                seed("1405/100", "ABCDEFGHJK23456789MN").fingerprint()
            );
        }
    }

    #[test]
    fn a_fingerprint_is_eight_hex_digits_in_two_groups() {
        let f = seed("1405/100", "ABCDEFGHJK23456789MN").fingerprint();
        assert_eq!(f.len(), 9);
        assert_eq!(&f[4..5], "-");
        assert!(f
            .chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_hexdigit()));
    }
}
