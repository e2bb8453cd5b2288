//! Who sees what: citizens their own parcels and what hangs off them, staff their district,
//! auditors everything; anything else looks exactly like "not found".

use serde_json::{json, Value};

use crate::helpers::TestApp;

const CITIZEN_A: &str = "0076229645"; // owns 1-2-45-28-666-0-0 (district 1)
const CITIZEN_B: &str = "1583250689"; // owns 4 dang of 9-1-12-7-301-0-0 (district 9)
const CITIZEN_C: &str = "3974017844"; // owns 2 dang of the same, and 5-1-3-1-0-0-0

fn codes(body: &Value, path: &[&str]) -> Vec<String> {
    let mut v = &body["data"];
    for p in path {
        v = &v[*p];
    }
    v["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges at {path:?} in {body}"))
        .iter()
        .map(|e| {
            let n = &e["node"];
            n["renovationCode"]
                .as_str()
                .or_else(|| n["number"].as_str())
                .expect("code or number")
                .to_owned()
        })
        .collect()
}

const LISTS: &str = "{ parcels { totalCount edges { node { renovationCode } } }
                      rulings { totalCount edges { node { number } } } }";

#[tokio::test]
async fn a_citizen_sees_only_their_own_parcels_and_rulings() {
    let app = TestApp::spawn().await;
    let a = app.citizen(CITIZEN_A);
    let body = app.query_as(&a, LISTS, json!({})).await;
    assert_eq!(codes(&body, &["parcels"]), vec!["1-2-45-28-666-0-0"]);
    assert_eq!(codes(&body, &["rulings"]), vec!["1/05/0101"]);
    assert_eq!(body["data"]["parcels"]["totalCount"], 1);

    let c = app.citizen(CITIZEN_C);
    let body = app.query_as(&c, LISTS, json!({})).await;
    assert_eq!(
        codes(&body, &["parcels"]),
        vec!["9-1-12-7-301-0-0", "5-1-3-1-0-0-0"],
        "a co-owner too"
    );
}

#[tokio::test]
async fn another_citizens_objects_look_exactly_like_missing_ones() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let all = app
        .query_as(&auditor, "{ rulings { edges { node { id number case { id parcel { id owners { owner { id } } } } } } } }", json!({}))
        .await;
    let edge = all["data"]["rulings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["number"] == "9/03/0042")
        .expect("B's ruling")
        .clone();
    let ruling_id = edge["node"]["id"].clone();
    let case_id = edge["node"]["case"]["id"].clone();
    let parcel_id = edge["node"]["case"]["parcel"]["id"].clone();
    let owner_id = edge["node"]["case"]["parcel"]["owners"][0]["owner"]["id"].clone();

    let a = app.citizen(CITIZEN_A);
    let q = "query($r: ID!, $c: ID!, $p: ID!, $o: ID!, $missing: ID!) {
        ruling(id: $r) { id } violationCase(id: $c) { id }
        parcel(renovationCode: \"9-1-12-7-301-0-0\") { id }
        nr: node(id: $r) { id } nc: node(id: $c) { id } np: node(id: $p) { id } no: node(id: $o) { id }
        missing: ruling(id: $missing) { id } }";
    let missing = "UnVsaW5nOjk5OTk5"; // Ruling:99999
    let vars =
        json!({ "r": ruling_id, "c": case_id, "p": parcel_id, "o": owner_id, "missing": missing });
    let body = app.query_as(&a, q, vars.clone()).await;
    assert!(
        body.get("errors").is_none(),
        "no FORBIDDEN that would reveal existence: {body}"
    );
    for field in [
        "ruling",
        "violationCase",
        "parcel",
        "nr",
        "nc",
        "np",
        "no",
        "missing",
    ] {
        assert_eq!(body["data"][field], Value::Null, "{field}");
    }
    // The owner sees them.
    let b = app.citizen(CITIZEN_B);
    let body = app.query_as(&b, q, vars).await;
    for field in ["ruling", "violationCase", "parcel", "nr", "nc", "np", "no"] {
        assert!(body["data"][field]["id"].is_string(), "{field}: {body}");
    }
}

#[tokio::test]
async fn staff_see_their_district_only() {
    let app = TestApp::spawn().await;
    let d1 = app.staff(1);
    let body = app.query_as(&d1, LISTS, json!({})).await;
    assert_eq!(
        codes(&body, &["parcels"]),
        vec!["1-2-45-28-666-0-0", "1-2-45-27-0-0-0", "1-2-45-29-0-0-0"],
        "district 1's parcels: sample parcel 1 and its two neighbours"
    );
    assert_eq!(codes(&body, &["rulings"]), vec!["1/05/0101"]);

    let d9 = app.staff(9);
    let body = app.query_as(&d9, LISTS, json!({})).await;
    assert_eq!(
        codes(&body, &["parcels"]),
        vec!["9-1-12-7-301-0-0", "9-1-12-8-0-0-0", "9-3-40-2-0-0-0"]
    );
    assert_eq!(
        codes(&body, &["rulings"]),
        vec!["9/99/0100", "T/03/0019", "9/03/0042"]
    );
    let body = app
        .query_as(
            &d9,
            "{ parcel(renovationCode: \"1-2-45-28-666-0-0\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["parcel"],
        Value::Null,
        "district 1 is not district 9's"
    );
}

#[tokio::test]
async fn the_anonymous_viewer_sees_no_files_but_the_public_reference_data() {
    let app = TestApp::spawn().await;
    let body = app.query(LISTS).await;
    assert_eq!(body["data"]["parcels"]["totalCount"], 0);
    assert_eq!(body["data"]["rulings"]["totalCount"], 0);
    let body = app
        .query("{ commissions { name } districts { number } }")
        .await;
    assert_eq!(
        body["data"]["commissions"].as_array().map(Vec::len),
        Some(13)
    );
    let body = app.query("{ me { nationalId } }").await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn me_gathers_a_citizens_parcels_cases_and_rulings() {
    let app = TestApp::spawn().await;
    let b = app.citizen(CITIZEN_B);
    let body = app
        .query_as(
            &b,
            "{ me { nationalId viewer { roles }
                    parcels { totalCount edges { node { renovationCode } } }
                    violationCases { edges { node { caseNumber status } } }
                    rulings { edges { node { number } } } } }",
            json!({}),
        )
        .await;
    let me = &body["data"]["me"];
    assert_eq!(me["nationalId"], CITIZEN_B, "{body}");
    assert_eq!(codes(&body, &["me", "parcels"]), vec!["9-1-12-7-301-0-0"]);
    let cases: Vec<&str> = me["violationCases"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["caseNumber"].as_str().expect("number"))
        .collect();
    assert_eq!(cases, vec!["T-9-1404-0201", "T-9-1403-0042"]);
    assert_eq!(
        codes(&body, &["me", "rulings"]),
        vec!["T/03/0019", "9/03/0042"]
    );
}

#[tokio::test]
async fn personal_data_of_co_owners_is_hidden_from_citizens_but_not_from_staff() {
    let app = TestApp::spawn().await;
    let q = "{ parcel(renovationCode: \"9-1-12-7-301-0-0\") { owners { owner { fullName nationalId mobile } } } }";
    let b = app.citizen(CITIZEN_B);
    let body = app.query_as(&b, q, json!({})).await;
    let owners = &body["data"]["parcel"]["owners"];
    assert_eq!(owners[0]["owner"]["nationalId"], CITIZEN_B, "their own");
    assert_eq!(owners[0]["owner"]["mobile"], "09141112233");
    assert_eq!(
        owners[1]["owner"]["fullName"], "رضا حسینی",
        "the co-owner's name is shown"
    );
    assert_eq!(
        owners[1]["owner"]["nationalId"],
        Value::Null,
        "but not their national id"
    );
    assert_eq!(owners[1]["owner"]["mobile"], Value::Null);
    let staff = app.staff(9);
    let body = app.query_as(&staff, q, json!({})).await;
    assert_eq!(
        body["data"]["parcel"]["owners"][1]["owner"]["nationalId"],
        CITIZEN_C
    );
}
