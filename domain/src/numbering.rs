//! Ruling numbers from a configurable template, e.g. `{district}/{yy}/{seq}`.

use crate::jalali::JalaliDate;

/// A checked template. Placeholders: `{district}`, `{yyyy}`, `{yy}` (Jalali year),
/// `{seq}` (as is) and `{seq:N}` (zero-padded to N digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberTemplate(String);

impl NumberTemplate {
    /// Checks every placeholder; `{seq}` is required so numbers are unique.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut rest = template;
        let mut has_seq = false;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed placeholder in {template:?}"))?;
            let name = &rest[open + 1..open + close];
            match name {
                "district" | "yyyy" | "yy" => {}
                "seq" => has_seq = true,
                n if n
                    .strip_prefix("seq:")
                    .is_some_and(|w| w.parse::<u8>().is_ok_and(|w| (1..=12).contains(&w))) =>
                {
                    has_seq = true
                }
                other => return Err(format!("unknown placeholder {{{other}}} in {template:?}")),
            }
            rest = &rest[open + close + 1..];
        }
        if !has_seq {
            return Err(format!(
                "{template:?} needs {{seq}} so that numbers are unique"
            ));
        }
        Ok(Self(template.to_owned()))
    }

    /// The number of the `seq`th ruling of `district` issued on `date`.
    pub fn render(&self, district: i16, date: JalaliDate, seq: u64) -> String {
        let mut out = self
            .0
            .replace("{district}", &district.to_string())
            .replace("{yyyy}", &format!("{:04}", date.year()))
            .replace("{yy}", &format!("{:02}", date.year() % 100))
            .replace("{seq}", &seq.to_string());
        while let Some(open) = out.find("{seq:") {
            let Some(close) = out[open..].find('}') else {
                break;
            };
            let width: usize = out[open + 5..open + close].parse().unwrap_or(1);
            out.replace_range(open..open + close + 1, &format!("{seq:0width$}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_district_jalali_year_and_sequence() {
        let date = JalaliDate::parse("1405/09/07").expect("date");
        let t = NumberTemplate::parse("{district}/{yy}/{seq}").expect("template");
        assert_eq!(t.render(9, date, 42), "9/05/42");
        let t = NumberTemplate::parse("R-{yyyy}-{district}-{seq:5}").expect("template");
        assert_eq!(t.render(1, date, 42), "R-1405-1-00042");
    }

    #[test]
    fn bad_templates_are_refused_at_start_up() {
        assert!(
            NumberTemplate::parse("{district}/{yy}").is_err(),
            "no sequence"
        );
        assert!(NumberTemplate::parse("{district}/{month}/{seq}").is_err());
        assert!(NumberTemplate::parse("{seq").is_err());
    }
}
