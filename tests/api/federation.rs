//! The gateway as a Federation v2 subgraph: its SDL composes (Apollo's own composition
//! library, run on Node from `tests/clients`) with the city's revenue system, which extends
//! `Parcel`; and `_entities` resolves representations in batches with the viewer's
//! visibility.

use serde_json::{json, Value};

use crate::{
    flow::{gid, OWNER},
    helpers::TestApp,
};

#[tokio::test]
async fn the_subgraph_composes_with_the_revenue_system_that_extends_parcel() {
    let dir = crate::helpers::node::package("clients", "@apollo/composition");
    let root = env!("CARGO_MANIFEST_DIR");
    let output = tokio::process::Command::new("node")
        .arg("compose.mjs")
        .arg(format!(
            "shahr=http://shahr:8080/graphql={root}/subgraph.graphql"
        ))
        .arg(format!(
            "revenue=http://revenue:4001/graphql={root}/deploy/federation/revenue.graphql"
        ))
        .current_dir(dir)
        .output()
        .await
        .expect("node runs");
    assert!(output.status.success(), "compose.mjs failed");
    let result: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(result["errors"], json!([]), "{result}");
    let supergraph = result["supergraph"].as_str().expect("a supergraph");
    for expected in [
        r#"@join__type(graph: SHAHR, key: "renovationCode")"#,
        r#"@join__type(graph: REVENUE, key: "renovationCode")"#,
        "dues: Rial! @join__field(graph: REVENUE)",
        r#"@join__type(graph: SHAHR, key: "number")"#,
    ] {
        assert!(supergraph.contains(expected), "{expected}");
    }
}

const ENTITIES: &str =
    "query($representations: [_Any!]!) { _entities(representations: $representations) {
    __typename
    ... on Parcel { renovationCode areaM2 }
    ... on District { number name }
    ... on Ruling { number }
    ... on Commission { name }
} }";

#[tokio::test]
async fn entities_resolve_in_one_batch_per_kind_and_only_what_the_viewer_may_see() {
    let app = TestApp::spawn().await;
    let representations = json!([
        { "__typename": "Parcel", "renovationCode": "1-2-45-28-666-0-0" },
        { "__typename": "Parcel", "id": gid("Parcel", 1) },
        { "__typename": "Parcel", "id": gid("Parcel", 2) },
        { "__typename": "Parcel", "id": gid("Parcel", 3) },
        { "__typename": "District", "number": 9 },
        { "__typename": "Commission", "id": gid("Commission", 1) },
        { "__typename": "Ruling", "id": gid("Ruling", 999_999) },
        { "__typename": "Parcel", "id": gid("Ruling", 1) },
    ]);
    let statements = "shahr_urbanism_statements_total";
    let before = app.metric(statements).await;
    let auditor = app
        .query_as(
            &app.auditor(),
            ENTITIES,
            json!({ "representations": representations }),
        )
        .await;
    let after = app.metric(statements).await;
    let found = auditor["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{auditor}"));
    assert_eq!(found.len(), 8);
    assert_eq!(found[0]["renovationCode"], "1-2-45-28-666-0-0");
    assert_eq!(found[1]["renovationCode"], "1-2-45-28-666-0-0");
    assert!(found[2]["renovationCode"].is_string() && found[3]["renovationCode"].is_string());
    assert_eq!(found[4]["number"], 9);
    assert!(found[5]["name"].is_string());
    assert_eq!(found[6], Value::Null, "no such ruling");
    assert_eq!(found[7], Value::Null, "a Ruling id is not a Parcel");
    // A statement per kind, not per representation: parcels by code (then by id with the
    // viewer's visibility), parcels by id, districts, commissions, rulings.
    assert!(after - before <= 6.0, "{} statements", after - before);

    // A citizen sees their own parcel; another owner's answers exactly like nothing.
    let owner = app
        .query_as(
            &app.citizen(OWNER),
            ENTITIES,
            json!({ "representations": representations }),
        )
        .await;
    let seen = owner["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{owner}"));
    assert_eq!(seen[0]["renovationCode"], "1-2-45-28-666-0-0");
    assert_eq!(seen[2], Value::Null, "{owner}");
    assert_eq!(seen[4]["number"], 9, "districts are public");
    let stranger = app
        .query_as(
            &app.citizen("3974017844"),
            ENTITIES,
            json!({ "representations": representations }),
        )
        .await;
    assert_eq!(stranger["data"]["_entities"][0], Value::Null, "{stranger}");
    assert_eq!(stranger["data"]["_entities"][1], Value::Null);

    // The subgraph's SDL is served for routers.
    let sdl = app.query("{ _service { sdl } }").await;
    assert!(sdl["data"]["_service"]["sdl"]
        .as_str()
        .is_some_and(|s| s.contains(r#"@key(fields: "renovationCode")"#)));
}

#[tokio::test]
async fn service_requests_resolve_as_entities_by_tracking_code_for_those_who_may_read_them() {
    let app = TestApp::spawn().await;
    let first = crate::request_moves::file(&app, "building_permit_new").await;
    let second = crate::request_moves::file(&app, "land_use_inquiry").await;
    let query = "query($representations: [_Any!]!) { _entities(representations: $representations) {
        ... on ServiceRequest { trackingCode state } } }";
    let representations = json!([
        { "__typename": "ServiceRequest", "trackingCode": first },
        { "__typename": "ServiceRequest", "trackingCode": second.to_lowercase() },
        { "__typename": "ServiceRequest", "trackingCode": "SR-NO-SUCH-CODE" },
    ]);
    let filer = app
        .query_as(
            &app.citizen(crate::requests::CITIZEN_B),
            query,
            json!({ "representations": representations }),
        )
        .await;
    let found = &filer["data"]["_entities"];
    assert_eq!(found[0]["trackingCode"], json!(first), "{filer}");
    assert_eq!(
        found[1]["trackingCode"],
        json!(second),
        "codes are read in any case"
    );
    assert_eq!(found[2], Value::Null);
    let other = app
        .query_as(
            &app.citizen(crate::requests::CITIZEN_A),
            query,
            json!({ "representations": representations }),
        )
        .await;
    assert_eq!(
        other["data"]["_entities"],
        json!([null, null, null]),
        "{other}"
    );
}
