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
