//! Normalisation of Persian text as legacy systems and users type it.

/// Maps Persian (U+06F0..U+06F9) and Arabic-Indic (U+0660..U+0669) digits to ASCII.
pub fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{06F0}'..='\u{06F9}' => char::from_digit(c as u32 - 0x06F0, 10),
        '\u{0660}'..='\u{0669}' => char::from_digit(c as u32 - 0x0660, 10),
        _ => None,
    }
}

/// ASCII digits as Persian digits (`1405` → `۱۴۰۵`), for text a person reads.
pub fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(0x06F0 + d))
                .unwrap_or(c)
        })
        .collect()
}

/// Normalises text for storage and comparison: Persian and Arabic-Indic digits become ASCII,
/// Arabic yeh and kaf become their Persian forms, surrounding whitespace is trimmed and runs of
/// whitespace collapse to one space. ZWNJ (U+200C) is kept: it is part of Persian spelling.
pub fn normalise(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(match c {
            '\u{064A}' | '\u{0649}' => '\u{06CC}', // Arabic yeh / alef maksura -> Persian yeh
            '\u{0643}' => '\u{06A9}',              // Arabic kaf -> Persian keheh
            other => ascii_digit(other).unwrap_or(other),
        });
    }
    out
}

/// True when the text holds a bidirectional override or isolate control, which can make a name
/// display differently from what it is (U+202A..U+202E, U+2066..U+2069).
pub fn has_bidi_control(input: &str) -> bool {
    input
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// Keeps only the digits of `input` (any script), as ASCII; `None` if anything else but
/// spaces and dashes appears.
pub fn digits_only(input: &str) -> Option<String> {
    let mut out = String::with_capacity(input.len());
    for c in input.trim().chars() {
        match ascii_digit(c) {
            Some(d) => out.push(d),
            None if c == ' ' || c == '-' => {}
            None => return None,
        }
    }
    Some(out)
}

/// A personal identifier or phone number as logs may show it: every character but the last
/// two replaced by `*` (all of them when there are four or fewer), so a line can be matched
/// to a row by its shape without naming the person.
pub fn masked(value: &str) -> String {
    let count = value.chars().count();
    let keep = if count > 4 { 2 } else { 0 };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + keep < count { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_identifier_keeps_only_its_shape_and_last_two_characters() {
        assert_eq!(masked("1234567890"), "********90");
        assert_eq!(masked("۰۹۱۲"), "****");
        assert_eq!(masked("نامعلوم"), "*****وم");
    }

    #[test]
    fn persian_and_arabic_digits_become_ascii() {
        assert_eq!(normalise("۱۴۰۵/۰۹/۰۷"), "1405/09/07");
        assert_eq!(normalise("١٢٣"), "123");
    }

    #[test]
    fn arabic_yeh_and_kaf_become_persian_and_zwnj_is_kept() {
        assert_eq!(normalise("منطقه يك"), "منطقه یک");
        assert_eq!(normalise("می\u{200C}شود"), "می\u{200C}شود");
    }

    #[test]
    fn whitespace_is_trimmed_and_collapsed() {
        assert_eq!(normalise("  منطقه \t ۹  "), "منطقه 9");
    }

    #[test]
    fn bidi_overrides_are_detected() {
        assert!(has_bidi_control("abc\u{202E}def"));
        assert!(!has_bidi_control("نام\u{200C}خانوادگی"));
    }

    #[test]
    fn digits_only_accepts_separators_and_refuses_letters() {
        assert_eq!(digits_only("۱۲۳-۴۵ 6").as_deref(), Some("123456"));
        assert_eq!(digits_only("12a"), None);
    }
}
