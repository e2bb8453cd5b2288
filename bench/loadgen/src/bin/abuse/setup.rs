//! What the attacks need: an issued ruling with its judgment document, made through the public
//! API as a commission would ([`shahr_loadgen::session`]) on the demo data's case 7, with the
//! owner's defence filed. Only the hearing day is moved into the past in SQL, as if the
//! owner's defence window had run out.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use shahr_loadgen::{client::Gateway, gid, session};

/// Tokens of the people in the flow (minted by `shahr-gateway token`, passed in the
/// environment as `ABUSE_TOKEN_*`), and the owner's.
pub struct Tokens {
    pub flow: session::Tokens,
    pub owner: String,
}

impl Tokens {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            flow: session::Tokens::from_env("ABUSE_TOKEN")?,
            owner: std::env::var("ABUSE_TOKEN_OWNER").context("ABUSE_TOKEN_OWNER is not set")?,
        })
    }
}

/// Issues a fine on case 7 and returns the owner's document link.
pub async fn document_url(base: &str, database_url: &str, t: &Tokens) -> anyhow::Result<String> {
    let gw = Gateway::new(
        vec![base.to_owned()],
        Duration::from_secs(30),
        Duration::ZERO,
    );
    session::to_defence_window(&gw, &t.flow, 7).await?;
    gw.call(&t.owner,
        "mutation($input: RecordDefenceInput!) { recordDefence(input: $input) { defence { isLate } } }",
        json!({ "case": gid("ViolationCase", 7), "statement": "طبقه چهارم با مجوز شفاهی ساخته شد." })).await?;
    let (db, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    session::hearing_day_come(&db, &[7]).await?;
    let sitting = session::sit(&gw, &t.flow, &[7]).await?;
    let draft = session::signed_draft(&gw, &t.flow, &sitting, 7).await?;
    let ruling = session::issue(&gw, &t.flow, &draft, "abuse-bench").await?;
    let url = gw
        .call(
            &t.owner,
            "query($input: ID!) { ruling(id: $input) { documentUrl } }",
            ruling,
        )
        .await?;
    url["data"]["ruling"]["documentUrl"]
        .as_str()
        .map(str::to_owned)
        .context("no documentUrl")
}
