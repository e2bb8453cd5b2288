//! The README's session flow, run as written: every block between the `session-flow` markers,
//! in order, on a fresh demo database, with the identity each block names. A README that
//! drifts from the API fails here.

use std::str::FromStr;

use serde_json::{json, Value};
use shahr_domain::{actors::Claim, identifiers::NationalId};
use shahr_gateway::auth::{mint_dev_token_with, DevClaims, Role};

use crate::helpers::TestApp;

/// A fenced block of the README: its language and its lines.
struct Block {
    language: String,
    lines: Vec<String>,
}

fn session_flow() -> Vec<Block> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- session-flow:start -->")
        .expect("the README marks the session flow's start");
    let end = readme
        .find("<!-- session-flow:end -->")
        .expect("the README marks the session flow's end");
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in readme[start..end].lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(language)) => {
                current = Some(Block {
                    language: language.trim().to_owned(),
                    lines: Vec::new(),
                })
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some(block), None) => block.lines.push(line.to_owned()),
            (None, None) => {}
        }
    }
    assert!(
        current.is_none(),
        "an unclosed block in the README's session flow"
    );
    blocks
}

/// The token a `# as: ROLE --flag value ...` line names, refused like the CLI refuses it when
/// the identity is incomplete.
fn token(app: &TestApp, spec: &str) -> String {
    let mut words = spec.split_whitespace();
    let role = Role::from_str(words.next().expect("a role")).expect("a known role");
    let (mut national_id, mut district, mut commission) = (None, None, None);
    while let Some(flag) = words.next() {
        let value = words
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value: {spec}"));
        match flag {
            "--national-id" => national_id = Some(NationalId::parse(value).expect("national id")),
            "--district" => district = Some(value.parse::<i16>().expect("district")),
            "--commission" => commission = Some(value.parse::<i32>().expect("commission")),
            other => panic!("the token command has no {other}: {spec}"),
        }
    }
    let missing = shahr_domain::actors::missing_claims(&[role], |claim| match claim {
        Claim::NationalId => national_id.is_some(),
        Claim::District => district.is_some(),
        Claim::Commission => commission.is_some(),
    });
    assert!(
        missing.is_empty(),
        "`token {spec}` would be refused: {missing:?}"
    );
    mint_dev_token_with(
        &app.config.dev_jwt_secret().expect("dev profile"),
        &app.config,
        DevClaims {
            roles: vec![role],
            national_id,
            district,
            commission_id: commission,
            ttl: std::time::Duration::from_secs(3600),
        },
    )
    .expect("token minted")
}

fn at<'a>(data: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(data, |v, key| &v[key])
}

#[tokio::test]
async fn the_readme_session_flow_runs_as_written() {
    let app = TestApp::spawn().await;
    let blocks = session_flow();
    assert!(blocks.len() >= 10, "the whole flow is in the README");
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut last = Value::Null;
    for (n, block) in blocks.iter().enumerate() {
        match block.language.as_str() {
            "graphql" => {
                let spec = block
                    .lines
                    .iter()
                    .find_map(|l| l.strip_prefix("# as:"))
                    .unwrap_or_else(|| panic!("block {n} names no identity (# as:)"));
                let mut query: String = block
                    .lines
                    .iter()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect();
                for (name, value) in &kept {
                    query = query.replace(&format!("\"${name}\""), &format!("\"{value}\""));
                }
                assert!(
                    !query.contains("\"$"),
                    "block {n} uses a value nothing kept: {query}"
                );
                let body = app.query_as(&token(&app, spec), &query, json!({})).await;
                assert!(
                    body.get("errors").is_none(),
                    "block {n} ({spec}):\n{query}\n{body}"
                );
                for keep in block.lines.iter().filter_map(|l| l.strip_prefix("# keep:")) {
                    let (name, path) = keep.split_once('=').expect("# keep: name = path");
                    let value = at(&body["data"], path.trim())
                        .as_str()
                        .unwrap_or_else(|| panic!("block {n}: nothing at {path}: {body}"))
                        .to_owned();
                    kept.push((name.trim().to_owned(), value));
                }
                last = body;
            }
            "sh" => {
                let command = block.lines.join("\n");
                let case = command
                    .split_once("demo skip-wait --case ")
                    .map(|(_, rest)| rest.trim().to_owned())
                    .unwrap_or_else(|| {
                        panic!("block {n}: a command this test does not know: {command}")
                    });
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_shahr-gateway"))
                    .args(["demo", "skip-wait", "--case", &case])
                    .env("SHAHR_URBANISM_DATABASE_URL", &app.databases.urbanism.url)
                    .env("SHAHR_CITIZEN_DATABASE_URL", &app.databases.citizen.url)
                    .env("RUST_LOG", "warn")
                    .output()
                    .expect("the binary runs");
                assert!(
                    out.status.success(),
                    "block {n}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            other => panic!("block {n}: a {other} block in the session flow"),
        }
    }
    // The last block is the owner reading the ruling, served and with its document.
    let ruling = &last["data"]["me"]["rulings"]["edges"][0]["node"];
    assert_eq!(ruling["fine"], "1897500000", "{last}");
    assert_eq!(ruling["status"], "NOTIFIED", "{last}");
    assert!(ruling["documentUrl"].is_string(), "{last}");
}
