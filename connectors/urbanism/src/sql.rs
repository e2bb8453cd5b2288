//! Small helpers to build parameterised SQL and to match legacy spellings.

use tokio_postgres::types::ToSql;

/// A statement under construction with its parameters, always bound, never interpolated.
#[derive(Default)]
pub(crate) struct Query {
    pub(crate) sql: String,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Query {
    pub(crate) fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder (`$n`).
    pub(crate) fn bind<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// Persian digits for an ASCII string.
pub(crate) use shahr_domain::text::persian_digits;

/// Every spelling the legacy system may have used for a numeric code: as given, without
/// leading zeros, and both in Persian digits. Lets `col = ANY($1)` use a plain index.
pub(crate) fn spellings(ascii: &str) -> Vec<String> {
    let mut out = vec![ascii.to_owned()];
    let unpadded = ascii.trim_start_matches('0');
    if !unpadded.is_empty() && unpadded != ascii {
        out.push(unpadded.to_owned());
    }
    let persian: Vec<String> = out.iter().map(|s| persian_digits(s)).collect();
    out.extend(persian);
    out
}

/// Spellings of a code given as a number, also zero-padded to `width`.
pub(crate) fn code_spellings(code: u32, width: usize) -> Vec<String> {
    spellings(&format!("{code:0width$}"))
}

/// Escapes `\`, `%` and `_` so user text is matched literally by `LIKE ... ESCAPE '\'`.
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// SQL turning Persian and Arabic-Indic digits into ASCII, for comparing legacy text.
pub(crate) fn ascii_digits_sql(expr: &str) -> String {
    format!("translate({expr}, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_cover_padding_and_persian_digits() {
        assert_eq!(spellings("02"), vec!["02", "2", "۰۲", "۲"]);
        assert_eq!(
            spellings("0076229645"),
            vec!["0076229645", "76229645", "۰۰۷۶۲۲۹۶۴۵", "۷۶۲۲۹۶۴۵"]
        );
        assert_eq!(code_spellings(9, 1), vec!["9", "۹"]);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_literal(r"50%_a\b"), r"50\%\_a\\b");
    }
}
