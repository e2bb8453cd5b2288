//! Every refusal the API can give, read from the source: each says its own reason in Persian.
//! The list is every call that makes a refusal (`ApiError::bad_input`, the use cases' `bad`,
//! `conflict` and `conflict_in`, and a Persian message set with `with_fa`), with its English
//! reason and its Persian message. No two different reasons may share one Persian message (a
//! citizen's app shows `messageFa` as is: it must say why), and none may go without one.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// A refusal found in the source.
#[derive(Debug, Clone)]
struct Refusal {
    at: String,
    english: String,
    /// The Persian message when it is written at the call.
    persian: Option<String>,
    /// The Persian message is an argument computed elsewhere (`fine_error_fa(e)`).
    persian_computed: bool,
}

/// How many arguments the call has (commas at its top level, plus one).
fn argument_count(args: &str) -> usize {
    let (mut depth, mut in_string, mut escaped, mut count) = (0i32, false, false, 1);
    for c in args.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            ',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    if args.trim_end().ends_with(',') {
        count -= 1;
    }
    count
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The end of the call whose `(` is at `open`: the matching `)`, skipping string literals.
fn call_end(text: &[char], open: usize) -> Option<usize> {
    let (mut depth, mut i, mut in_string) = (0usize, open, false);
    while i < text.len() {
        let c = text[i];
        if in_string {
            match c {
                '\\' => i += 1,
                '"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                '(' | '{' | '[' => depth += 1,
                ')' | '}' | ']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The string literals in `args`, in order.
fn literals(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    }
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push(s);
        }
    }
    out
}

fn is_persian(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// `{…}` placeholders made alike, so one reason with different values is one reason.
fn template(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

const MAKERS: [&str; 5] = [
    "bad_input(",
    "bad(",
    "conflict(",
    "conflict_in(",
    "Conflict {",
];

fn refusals() -> Vec<Refusal> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    // The configuration's `bad` names a key at start-up, for operators, in English.
    files.retain(|f| !f.starts_with(root.join("src/config")));
    let mut out = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("source");
        let text: Vec<char> = source.chars().collect();
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for maker in MAKERS {
            let pattern: Vec<char> = maker.chars().collect();
            let mut i = 0;
            while i + pattern.len() <= text.len() {
                if text[i..i + pattern.len()] != pattern[..] {
                    i += 1;
                    continue;
                }
                // A definition (`fn bad(`), or another name ending the same way, is not a call.
                let before: String = text[i.saturating_sub(3)..i].iter().collect();
                let prev = i.checked_sub(1).map(|p| text[p]);
                if before.ends_with("fn ") || prev.is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    i += 1;
                    continue;
                }
                let open = i + pattern.len() - 1;
                let Some(end) = call_end(&text, open) else {
                    i += 1;
                    continue;
                };
                let args: String = text[open + 1..end].iter().collect();
                // The Persian message may follow the call (`.with_fa(…)`).
                let after: String = text[end + 1..(end + 400).min(text.len())].iter().collect();
                let chained = after
                    .trim_start()
                    .strip_prefix(".with_fa(")
                    .map(|rest| rest.split(')').next().unwrap_or_default().to_owned());
                let lits = literals(&args);
                let english = lits
                    .iter()
                    .find(|l| !is_persian(l) && l.contains(' '))
                    .cloned()
                    .unwrap_or_else(|| args.split_whitespace().collect::<Vec<_>>().join(" "));
                let persian = lits.iter().find(|l| is_persian(l)).cloned().or_else(|| {
                    chained.and_then(|c| literals(&c).into_iter().find(|l| is_persian(l)))
                });
                // Field-named calls of a shared helper (`bad_input(field, e.to_string(), fa)`)
                // take the Persian from a function: they count as having one.
                let line = source[..source.char_indices().nth(i).map_or(0, |(b, _)| b)]
                    .lines()
                    .count();
                let persian_computed = persian.is_none() && argument_count(&args) >= 3;
                out.push(Refusal {
                    at: format!("{rel}:{line}"),
                    english,
                    persian,
                    persian_computed,
                });
                i = end;
            }
        }
    }
    out
}

#[test]
fn no_two_different_refusals_share_one_persian_message() {
    let all = refusals();
    assert!(all.len() > 80, "the scan finds the refusals: {}", all.len());
    let mut by_persian: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut places: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &all {
        if let Some(fa) = &r.persian {
            by_persian
                .entry(template(fa))
                .or_default()
                .insert(template(&r.english));
            places.entry(template(fa)).or_default().push(r.at.clone());
        }
    }
    let shared: Vec<String> = by_persian
        .iter()
        .filter(|(_, reasons)| reasons.len() > 1)
        .map(|(fa, reasons)| format!("«{fa}» says {reasons:?} at {:?}", places[fa]))
        .collect();
    assert!(
        shared.is_empty(),
        "different reasons share one Persian message:\n{}",
        shared.join("\n")
    );
}

#[test]
fn every_refusal_has_a_persian_message() {
    let without: Vec<String> = refusals()
        .into_iter()
        .filter(|r| r.persian.is_none() && !r.persian_computed)
        .map(|r| format!("{}: {}", r.at, r.english))
        .collect();
    assert!(
        without.is_empty(),
        "refusals without a Persian message:\n{}",
        without.join("\n")
    );
}
