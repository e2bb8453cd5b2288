//! Relay's global object identification for the objects of the gateway's own tables: a
//! service request, a commission sitting and a draft ruling come back from `node(id:)` to
//! whoever may read them, and answer null, exactly like a missing id, to anyone else.

use serde_json::{json, Value};

use crate::{
    flow::{id_at, ok, Session},
    helpers::TestApp,
    request_moves::file,
    requests::{CITIZEN_A, CITIZEN_B},
};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

async fn node(app: &TestApp, token: &str, id: &str) -> Value {
    let body = app.query_as(token, NODE, json!({ "id": id })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"].clone()
}

#[tokio::test]
async fn a_service_request_a_sitting_and_a_draft_come_back_from_node_to_those_who_may_read_them() {
    let app = TestApp::spawn().await;
    let code = file(&app, "building_permit_new").await;
    let found = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { id } }",
            json!({ "code": code }),
        )
        .await;
    let request = id_at(&found, &["data", "serviceRequest", "id"]);
    for (who, token) in [
        ("its citizen", app.citizen(CITIZEN_B)),
        ("staff of its district", app.staff(9)),
        ("an auditor", app.auditor()),
    ] {
        let seen = node(&app, &token, &request).await;
        assert_eq!(seen["__typename"], "ServiceRequest", "{who}");
        assert_eq!(seen["id"], request.as_str(), "{who}");
    }
    for (who, token) in [
        ("another citizen", app.citizen(CITIZEN_A)),
        ("staff of another district", app.staff(1)),
    ] {
        assert_eq!(node(&app, &token, &request).await, Value::Null, "{who}");
    }

    let s = Session::new(&app);
    let session = s.to_session().await;
    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    for (id, kind) in [(&session, "CommissionSession"), (&draft, "RulingDraft")] {
        let seen = node(&app, &s.secretary, id).await;
        assert_eq!(seen["__typename"], kind);
        assert_eq!(seen["id"], id.as_str());
        assert_eq!(node(&app, &app.auditor(), id).await["__typename"], kind);
        assert_eq!(
            node(&app, &app.citizen(CITIZEN_A), id).await,
            Value::Null,
            "a citizen, even the case's owner, reads no sitting or draft"
        );
    }
}

/// The ids of a connection's nodes and its page flags.
fn page_of(body: &Value, field: &str) -> (Vec<String>, bool, bool) {
    assert!(body.get("errors").is_none(), "{body}");
    let conn = &body["data"][field];
    let ids = conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["number"]
                .as_str()
                .or(e["node"]["trackingCode"].as_str())
                .expect("key")
                .to_owned()
        })
        .collect();
    (
        ids,
        conn["pageInfo"]["hasPreviousPage"] == true,
        conn["pageInfo"]["hasNextPage"] == true,
    )
}

#[tokio::test]
async fn connections_page_backwards_with_last_and_before_in_the_lists_own_order() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    const RULINGS: &str = "query($first: Int, $last: Int, $after: String, $before: String) {
        rulings(first: $first, last: $last, after: $after, before: $before) {
          edges { cursor node { number } } pageInfo { hasPreviousPage hasNextPage } } }";
    let all = app
        .query_as(&auditor, RULINGS, json!({ "first": 100 }))
        .await;
    let (numbers, _, _) = page_of(&all, "rulings");
    assert!(numbers.len() >= 5, "{numbers:?}");
    let cursor = |i: usize| {
        all["data"]["rulings"]["edges"][i]["cursor"]
            .as_str()
            .expect("cursor")
            .to_owned()
    };

    // The two before the fifth, in the list's order (newest first), with more on both sides.
    let back = app
        .query_as(&auditor, RULINGS, json!({ "last": 2, "before": cursor(4) }))
        .await;
    assert_eq!(
        page_of(&back, "rulings"),
        (numbers[2..4].to_vec(), true, true)
    );
    // The last three of the whole list.
    let tail = app.query_as(&auditor, RULINGS, json!({ "last": 3 })).await;
    assert_eq!(
        page_of(&tail, "rulings"),
        (numbers[numbers.len() - 3..].to_vec(), true, false)
    );
    // Between two cursors, from either end.
    let between = json!({ "after": cursor(0), "before": cursor(4) });
    let mut forward = between.clone();
    forward["first"] = json!(2);
    let mut backward = between;
    backward["last"] = json!(2);
    assert_eq!(
        page_of(&app.query_as(&auditor, RULINGS, forward).await, "rulings").0,
        numbers[1..3].to_vec()
    );
    assert_eq!(
        page_of(&app.query_as(&auditor, RULINGS, backward).await, "rulings").0,
        numbers[2..4].to_vec()
    );
    // Both sizes at once is refused, naming `last`.
    let both = app
        .query_as(&auditor, RULINGS, json!({ "first": 2, "last": 2 }))
        .await;
    assert_eq!(both["errors"][0]["extensions"]["field"], "last", "{both}");

    // A list of the citizen store (a district's queue, oldest first) pages back the same way.
    for service in [
        "building_permit_new",
        "land_use_inquiry",
        "building_permit_new",
    ] {
        file(&app, service).await;
    }
    const QUEUE: &str = "query($last: Int, $first: Int, $before: String) {
        requestQueue(district: 9, first: $first, last: $last, before: $before) {
          edges { cursor node { trackingCode } } pageInfo { hasPreviousPage hasNextPage } } }";
    let staff = app.staff(9);
    let queue = app.query_as(&staff, QUEUE, json!({ "first": 100 })).await;
    let (codes, _, _) = page_of(&queue, "requestQueue");
    assert!(codes.len() >= 3, "{codes:?}");
    let last_cursor = queue["data"]["requestQueue"]["edges"][codes.len() - 1]["cursor"].clone();
    let back = app
        .query_as(&staff, QUEUE, json!({ "last": 2, "before": last_cursor }))
        .await;
    assert_eq!(
        page_of(&back, "requestQueue"),
        (
            codes[codes.len() - 3..codes.len() - 1].to_vec(),
            codes.len() > 3,
            true
        )
    );
}

#[tokio::test]
async fn records_that_hang_off_a_parcel_ruling_case_or_commission_come_back_from_node_through_their_parent(
) {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let all = app
        .query_as(
            &auditor,
            "{ rulings(first: 100) { edges { node {
                notifications { id } objections { id } enforcements { id } payments { id }
                commission { members { id } }
                case { items { id } defences { id } parcel { permits { id } certificates { id } } } } } } }",
            json!({}),
        )
        .await;
    assert!(all.get("errors").is_none(), "{all}");
    // The first id of each kind the sample data has.
    let mut found: std::collections::BTreeMap<String, String> = Default::default();
    fn walk(v: &Value, found: &mut std::collections::BTreeMap<String, String>) {
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    if let Value::Array(items) = child {
                        if let Some(id) = items.first().and_then(|i| i["id"].as_str()) {
                            found.entry(key.clone()).or_insert_with(|| id.to_owned());
                        }
                    }
                    walk(child, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, found)),
            _ => {}
        }
    }
    walk(&all["data"], &mut found);
    let kinds: Vec<&str> = found.keys().map(String::as_str).collect();
    for kind in [
        "members",
        "items",
        "notifications",
        "objections",
        "permits",
        "certificates",
    ] {
        assert!(kinds.contains(&kind), "sample data has {kind}: {kinds:?}");
    }
    let stranger = app.citizen(CITIZEN_A);
    for (kind, id) in &found {
        let seen = node(&app, &auditor, id).await;
        assert_eq!(seen["id"], json!(id), "{kind}: {seen}");
        let hidden = node(&app, &stranger, id).await;
        if kind == "members" {
            // Commissions and their members are public.
            assert_eq!(hidden["id"], json!(id), "{kind}");
        } else {
            assert!(
                hidden.is_null(),
                "{kind} reveals nothing to a stranger: {hidden}"
            );
        }
    }
    // A made-up id of a kind that exists answers null too.
    let missing = base64_id("Permit:999999");
    assert!(node(&app, &auditor, &missing).await.is_null());

    // An inbox message comes back to its receiver alone.
    // A step of the citizen's request is announced in their inbox.
    let code = file(&app, "land_use_inquiry").await;
    let moved = app
        .query_as(
            &app.staff(9),
            "mutation($code: String!) { advanceServiceRequest(input: { trackingCode: $code }) { request { state } } }",
            json!({ "code": code }),
        )
        .await;
    ok(&moved);
    let mut message = String::new();
    crate::flow::eventually("the inbox message", async || {
        let inbox = app
            .query_as(
                &app.citizen(CITIZEN_B),
                "{ me { notifications { id } } }",
                json!({}),
            )
            .await;
        message = inbox["data"]["me"]["notifications"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        !message.is_empty()
    })
    .await;
    assert_eq!(
        node(&app, &app.citizen(CITIZEN_B), &message).await["id"],
        json!(message)
    );
    assert!(node(&app, &stranger, &message).await.is_null());
}

fn base64_id(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
