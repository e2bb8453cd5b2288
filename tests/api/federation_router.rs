//! One graph behind a real federation router: Hive Gateway (run on Node from
//! `tests/clients`) over the supergraph composed from the gateway's subgraph and the city's
//! revenue system, a small GraphQL service the test starts that extends `Parcel` with its dues
//! and references `Ruling`. One request reads fields of both, with the viewer's token
//! forwarded to each subgraph.

use std::{process::Stdio, time::Duration};

use async_graphql::{
    EmptyMutation, EmptySubscription, InputValueResult, Object, Scalar, ScalarType, Schema,
    SimpleObject, Value, ID,
};
use poem::Route;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{flow::OWNER, helpers::TestApp};

/// A renovation code, as both systems write it.
struct RenovationCode(String);

#[Scalar(name = "RenovationCode")]
impl ScalarType for RenovationCode {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Self(s)),
            other => Err(async_graphql::InputValueError::expected_type(other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// Rials as a string of digits, as both systems write them.
struct Rial(i64);

#[Scalar(name = "Rial")]
impl ScalarType for Rial {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .parse()
                .map(Self)
                .map_err(|_| async_graphql::InputValueError::expected_type(value)),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// The revenue system's view of a parcel.
#[derive(SimpleObject)]
#[graphql(name = "Parcel")]
struct RevenueParcel {
    renovation_code: RenovationCode,
    dues: Rial,
    slips: Vec<DuesSlip>,
}

#[derive(SimpleObject)]
struct DuesSlip {
    number: String,
    amount: Rial,
    ruling: Option<RulingRef>,
}

/// A ruling of the gateway's, by its id.
#[derive(SimpleObject)]
#[graphql(name = "Ruling", unresolvable = "id")]
struct RulingRef {
    id: ID,
}

struct RevenueQuery {
    ruling: ID,
}

#[Object]
impl RevenueQuery {
    /// The revenue system's own health.
    async fn revenue_status(&self) -> &str {
        "ok"
    }

    #[graphql(entity)]
    async fn find_parcel_by_renovation_code(
        &self,
        renovation_code: RenovationCode,
    ) -> RevenueParcel {
        RevenueParcel {
            renovation_code,
            dues: Rial(4_250_000),
            slips: vec![DuesSlip {
                number: "R-1405-0042".into(),
                amount: Rial(1_897_500_000),
                ruling: Some(RulingRef {
                    id: self.ruling.clone(),
                }),
            }],
        }
    }
}

type RevenueSchema = Schema<RevenueQuery, EmptyMutation, EmptySubscription>;

/// Starts the revenue service; its URL and its subgraph SDL.
async fn revenue(ruling: ID) -> (String, String) {
    let schema: RevenueSchema =
        Schema::build(RevenueQuery { ruling }, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish();
    let sdl = schema.sdl_with_options(async_graphql::SDLExportOptions::new().federation());
    let app = Route::new().at(
        "/graphql",
        poem::post(async_graphql_poem::GraphQL::new(schema)),
    );
    let url = crate::helpers::serve_upstream(app).await;
    (format!("{url}/graphql"), sdl)
}

/// Composes the supergraph and starts Hive Gateway over it; the router's URL.
async fn router(
    gateway_url: &str,
    revenue_url: &str,
    revenue_sdl: &str,
    dir: &tempfile::TempDir,
) -> (tokio::process::Child, String) {
    let clients = crate::helpers::node::package("clients", "@graphql-hive/gateway");
    let revenue_file = dir.path().join("revenue.graphql");
    std::fs::write(&revenue_file, revenue_sdl).expect("written");
    let composed = tokio::process::Command::new("node")
        .arg("compose.mjs")
        .arg(format!(
            "shahr={gateway_url}={}/subgraph.graphql",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg(format!("revenue={revenue_url}={}", revenue_file.display()))
        .current_dir(&clients)
        .output()
        .await
        .expect("node runs");
    let composed: Json = serde_json::from_slice(&composed.stdout).expect("json");
    assert_eq!(composed["errors"], json!([]), "{composed}");
    let supergraph = dir.path().join("supergraph.graphql");
    std::fs::write(&supergraph, composed["supergraph"].as_str().expect("sdl")).expect("written");
    let mut child = tokio::process::Command::new("node")
        .arg("hive.mjs")
        .arg(&supergraph)
        .current_dir(&clients)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::time::timeout(
        Duration::from_secs(60),
        BufReader::new(stdout).lines().next_line(),
    )
    .await
    .expect("Hive Gateway listens within 60 s")
    .expect("a line")
    .expect("its port");
    let port: Json = serde_json::from_str(&line).expect("json");
    (child, format!("http://127.0.0.1:{}/graphql", port["port"]))
}

const ONE_GRAPH: &str = r#"{ parcel(renovationCode: "1-2-45-28-666-0-0") {
    renovationCode areaM2 dues slips { number amount ruling { number } } } }"#;

#[tokio::test]
async fn hive_gateway_answers_one_query_from_both_subgraphs_with_the_viewers_token() {
    let app = TestApp::spawn().await;
    let owner = app.citizen(OWNER);
    // A ruling on the owner's parcel, which the revenue system references.
    let rulings = app
        .query_as(
            &owner,
            r#"{ parcel(renovationCode: "1-2-45-28-666-0-0") { violationCases { rulings { id number } } } }"#,
            json!({}),
        )
        .await;
    let ruling = rulings["data"]["parcel"]["violationCases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|case| case["rulings"].as_array()?.first().cloned())
        .next()
        .unwrap_or_else(|| panic!("{rulings}"));
    let ruling_id = ruling["id"].as_str().unwrap_or_else(|| panic!("{rulings}"));
    let (revenue_url, revenue_sdl) = revenue(ID(ruling_id.to_owned())).await;
    let dir = tempfile::tempdir().expect("dir");
    let (_router, url) = router(&app.url("/graphql"), &revenue_url, &revenue_sdl, &dir).await;
    let client = reqwest::Client::new();
    let ask = |token: Option<String>| {
        let mut request = client.post(&url).json(&json!({ "query": ONE_GRAPH }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            request
                .send()
                .await
                .expect("router answers")
                .json::<Json>()
                .await
                .expect("json")
        }
    };
    let body = ask(Some(owner.clone())).await;
    let parcel = &body["data"]["parcel"];
    assert_eq!(parcel["renovationCode"], "1-2-45-28-666-0-0", "{body}");
    assert!(
        parcel["areaM2"].is_string() || parcel["areaM2"].is_number(),
        "{body}"
    );
    assert_eq!(parcel["dues"], "4250000", "from the revenue system: {body}");
    assert_eq!(
        parcel["slips"][0]["ruling"]["number"], ruling["number"],
        "the ruling the revenue system references, read back from the gateway with the owner's token: {body}"
    );
    // Another citizen's token reaches the gateway too: the parcel is not theirs.
    let stranger = ask(Some(app.citizen("3974017844"))).await;
    assert_eq!(stranger["data"]["parcel"], Json::Null, "{stranger}");
}
