//! The official holiday lists shipped with the gateway (taken from the official calendar,
//! `deploy/holidays/*.toml`), and importing a year's list.

use anyhow::Context;
use shahr_domain::calendar::HolidayYear;

/// The lists shipped in `deploy/holidays/`.
pub const SHIPPED: [(&str, &str); 2] = [
    ("1405", include_str!("../deploy/holidays/1405.toml")),
    ("1406", include_str!("../deploy/holidays/1406.toml")),
];

/// The shipped lists, read.
pub fn shipped() -> anyhow::Result<Vec<HolidayYear>> {
    SHIPPED
        .iter()
        .map(|(year, text)| {
            HolidayYear::from_toml(text).with_context(|| format!("the shipped holidays of {year}"))
        })
        .collect()
}

/// Reads a year's list from a file, naming the file in errors.
pub fn read(path: &std::path::Path) -> anyhow::Result<HolidayYear> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    HolidayYear::from_toml(&text)
        .with_context(|| format!("{} is not a valid holiday list", path.display()))
}
