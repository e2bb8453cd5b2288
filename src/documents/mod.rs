//! Documents the gateway produces: the judgment document (dadnameh) of an issued ruling with
//! its location sketch (kroki) and QR code, the page that serves it, and the short-lived
//! signed links through which owners, commissions and staff open it.

pub mod dadnameh;
pub mod kroki;
pub mod letterhead;
pub mod links;
pub mod seal;

use qrcode::{render::svg, EcLevel, QrCode};

/// The Persian typeface, served at [`FONT_REGULAR_PATH`] and [`FONT_BOLD_PATH`] (Vazirmatn,
/// SIL Open Font License; `assets/fonts/OFL.txt`).
pub const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/Vazirmatn-Regular.woff2");
/// Bold weight.
pub const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/Vazirmatn-Bold.woff2");
/// Where the regular weight is served.
pub const FONT_REGULAR_PATH: &str = "/assets/fonts/Vazirmatn-Regular.woff2";
/// Where the bold weight is served.
pub const FONT_BOLD_PATH: &str = "/assets/fonts/Vazirmatn-Bold.woff2";

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// ASCII digits as Persian digits.
pub fn fa_digits(text: &str) -> String {
    text.chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(0x06F0 + d))
                .unwrap_or(c)
        })
        .collect()
}

/// A decimal (`92.17`) as Persian writes it: Persian digits and the Persian decimal
/// separator (`۹۲٫۱۷`).
pub fn fa_decimal(text: &str) -> String {
    fa_digits(text).replace('.', "٫")
}

/// Rials as a person reads them: `۱٬۲۷۶٬۵۰۰٬۰۰۰ ریال`.
pub fn fa_rials(rials: i64) -> String {
    let digits = rials.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('٬');
        }
        grouped.push(c);
    }
    let sign = if rials < 0 { "-" } else { "" };
    format!("{sign}{} ریال", fa_digits(&grouped))
}

/// A QR code of `text` as an inline SVG.
pub fn qr_svg(text: &str) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The `@font-face` rules of the Persian typeface.
pub fn font_css() -> String {
    format!(
        "@font-face{{font-family:Vazirmatn;font-weight:400;font-display:swap;src:url({FONT_REGULAR_PATH}) format('woff2')}}\
         @font-face{{font-family:Vazirmatn;font-weight:700;font-display:swap;src:url({FONT_BOLD_PATH}) format('woff2')}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rials_are_grouped_in_persian_digits() {
        assert_eq!(fa_rials(1_276_500_000), "۱٬۲۷۶٬۵۰۰٬۰۰۰ ریال");
        assert_eq!(fa_rials(500), "۵۰۰ ریال");
    }

    #[test]
    fn decimals_use_the_persian_separator() {
        assert_eq!(fa_decimal("92.17"), "۹۲٫۱۷");
        assert_eq!(fa_decimal("1405/09/01"), "۱۴۰۵/۰۹/۰۱");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn qr_codes_render_as_svg() {
        let svg = qr_svg("https://shahr.example/verify/ABCDEFGHJK23456789MN");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
