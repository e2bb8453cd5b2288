//! Authorization before state, for every mutation: a viewer who may not see a case, ruling,
//! sitting, draft or request gets exactly the answer an id that does not exist gets (same
//! status, same code, same message, same extensions), whatever state the hidden object is
//! in. The matrix runs every mutation for every outsider of its target.

use serde_json::{json, Value};
use shahr_gateway::auth::Role;

use crate::{
    flow::{gid, id_at, ok, today, Session, COUNCIL, INTERIOR, JUDGE},
    helpers::TestApp,
};

/// A mutation with a placeholder target, written as its input.
struct Probe {
    name: &'static str,
    input_type: &'static str,
    selection: &'static str,
    input: fn(&Targets) -> Value,
}

/// The ids of one side of the comparison: the hidden objects, or ids that do not exist.
struct Targets {
    case: String,
    session: String,
    draft: String,
    ruling: String,
    tracking_code: String,
    parcel: String,
}

fn probes() -> Vec<Probe> {
    vec![
        Probe {
            name: "referCase",
            input_type: "ReferCaseInput",
            selection: "secretariatNumber",
            input: |t| json!({ "case": t.case }),
        },
        Probe {
            name: "scheduleHearing",
            input_type: "ScheduleHearingInput",
            selection: "earliestSessionOn",
            input: |t| {
                json!({ "case": t.case, "commission": gid("Commission", 9),
                               "sessionOn": (today() + chrono::Duration::days(20)).to_string() })
            },
        },
        Probe {
            name: "recordSummonsService",
            input_type: "RecordSummonsServiceInput",
            selection: "partyId",
            input: |t| json!({ "case": t.case, "service": { "mode": "AFFIXED", "receiverName": "الصاق", "agent": "مأمور" } }),
        },
        Probe {
            name: "recordDefence",
            input_type: "RecordDefenceInput",
            selection: "defence { isLate }",
            input: |t| json!({ "case": t.case, "statement": "دفاعیه" }),
        },
        Probe {
            name: "openCommissionSession",
            input_type: "OpenCommissionSessionInput",
            selection: "session { id }",
            input: |t| json!({ "commission": gid("Commission", 9), "cases": [t.case] }),
        },
        Probe {
            name: "draftRuling",
            input_type: "DraftRulingInput",
            selection: "draft { id }",
            input: |t| {
                json!({ "session": t.session, "case": t.case, "kind": "DEMOLITION", "text": "قلع",
                               "breachedPrinciple": "TECHNICAL", "demolitionPeriodDays": 30 })
            },
        },
        Probe {
            name: "signRuling",
            input_type: "SignRulingInput",
            selection: "draft { id }",
            input: |t| json!({ "draft": t.draft }),
        },
        Probe {
            name: "issueRuling",
            input_type: "IssueRulingInput",
            selection: "number",
            input: |t| json!({ "draft": t.draft, "idempotencyKey": "probe" }),
        },
        Probe {
            name: "issueAppealRuling",
            input_type: "IssueRulingInput",
            selection: "number",
            input: |t| json!({ "draft": t.draft, "idempotencyKey": "probe" }),
        },
        Probe {
            name: "recordNotification",
            input_type: "RecordNotificationInput",
            selection: "partyId",
            input: |t| json!({ "ruling": t.ruling, "mode": "AFFIXED", "receiverName": "الصاق", "agent": "مأمور" }),
        },
        Probe {
            name: "fileObjection",
            input_type: "FileObjectionInput",
            selection: "partyId",
            input: |t| json!({ "ruling": t.ruling, "statement": "اعتراض دارم" }),
        },
        Probe {
            name: "recordFinePayment",
            input_type: "RecordFinePaymentInput",
            selection: "paid",
            input: |t| json!({ "ruling": t.ruling, "amount": "1000", "reference": "PROBE-1" }),
        },
        Probe {
            name: "referForNonPayment",
            input_type: "RulingInput",
            selection: "caseStatus",
            input: |t| json!({ "ruling": t.ruling }),
        },
        Probe {
            name: "recordEnforcement",
            input_type: "RecordEnforcementInput",
            selection: "caseStatus",
            input: |t| {
                json!({ "ruling": t.ruling, "action": "DEMOLISHED_BY_OWNER", "doneOn": today().to_string(),
                               "officer": "مأمور", "evidence": "صورتجلسه" })
            },
        },
        Probe {
            name: "advanceServiceRequest",
            input_type: "ServiceRequestMoveInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code }),
        },
        Probe {
            name: "returnServiceRequestForDocuments",
            input_type: "ServiceRequestMoveInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code, "comment": "سند" }),
        },
        Probe {
            name: "rejectServiceRequest",
            input_type: "ServiceRequestMoveInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code, "comment": "خلاف ضوابط" }),
        },
        Probe {
            name: "resubmitServiceRequest",
            input_type: "ServiceRequestMoveInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code }),
        },
        Probe {
            name: "withdrawServiceRequest",
            input_type: "ServiceRequestMoveInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code }),
        },
        Probe {
            name: "assignServiceRequest",
            input_type: "AssignServiceRequestInput",
            selection: "request { state }",
            input: |t| json!({ "trackingCode": t.tracking_code, "assignee": "dev:staff-7" }),
        },
        Probe {
            name: "attachDocument",
            input_type: "AttachDocumentInput",
            selection: "request { state }",
            input: |t| {
                json!({ "trackingCode": t.tracking_code, "uploadId": "5f0c6c1e-3c55-4d0e-9a7e-1c1d2f3a4b5c",
                               "documentCode": "deed" })
            },
        },
        Probe {
            name: "submitServiceRequest",
            input_type: "SubmitServiceRequestInput",
            selection: "created",
            input: |t| json!({ "serviceCode": "land_use_inquiry", "renovationCode": t.parcel }),
        },
    ]
}

/// Which targets a probe reaches.
fn family(probe: &Probe) -> Family {
    match probe.input_type {
        "ServiceRequestMoveInput" | "AssignServiceRequestInput" | "AttachDocumentInput" => {
            Family::Request
        }
        "SubmitServiceRequestInput" => Family::Parcel,
        _ => Family::Case,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Case,
    Request,
    Parcel,
}

/// The answer with what legitimately differs between two calls (correlation ids) removed.
fn normalised(status: u16, mut body: Value) -> Value {
    if let Some(errors) = body["errors"].as_array_mut() {
        for e in errors {
            if let Some(ext) = e["extensions"].as_object_mut() {
                ext.remove("correlationId");
            }
        }
    }
    json!({ "status": status, "body": body })
}

async fn run(app: &TestApp, token: Option<&str>, probe: &Probe, targets: &Targets) -> Value {
    let query = format!(
        "mutation($input: {}!) {{ m: {}(input: $input) {{ {} }} }}",
        probe.input_type, probe.name, probe.selection
    );
    let response = app
        .post_graphql(
            json!({ "query": query, "variables": { "input": (probe.input)(targets) } }),
            token,
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON body");
    normalised(status, body)
}

#[tokio::test]
async fn every_mutation_answers_an_outsider_of_its_target_as_if_the_target_did_not_exist() {
    let app = TestApp::spawn().await;
    // Case 7 (district 1) in session before commission 1 with a signed draft; legacy ruling 1
    // (district 1); a request of 1583250689 in district 9.
    let s = Session::new(&app);
    let session = s.to_session().await;
    let drafted = s.fine_draft(&session).await;
    ok(&drafted);
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    s.sign_all(1, [INTERIOR, JUDGE, COUNCIL], &draft).await;
    let filed = app
        .query_as(
            &app.citizen("1583250689"),
            "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { request { trackingCode } } }",
            json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0" } }),
        )
        .await;
    ok(&filed);
    let tracking = filed["data"]["submitServiceRequest"]["request"]["trackingCode"]
        .as_str()
        .expect("tracking code")
        .to_owned();

    let hidden = Targets {
        case: gid("ViolationCase", 7),
        session: session.clone(),
        draft: draft.clone(),
        ruling: gid("Ruling", 1),
        tracking_code: tracking,
        parcel: "1-2-45-28-666-0-0".into(),
    };
    let missing = Targets {
        case: gid("ViolationCase", 999_999),
        session: gid("CommissionSession", 999_999),
        draft: gid("RulingDraft", 999_999),
        ruling: gid("Ruling", 999_999),
        tracking_code: "9-ZZZZZZ".into(),
        parcel: "1-2-45-28-999-0-0".into(),
    };

    let citizen_a = app.citizen("0076229645");
    let citizen_b = app.citizen("1583250689");
    let staff_1 = app.staff(1);
    let staff_9 = app.staff(9);
    let secretary_1 = app.commission_token(Role::CommissionSecretary, 1, None, Some(1));
    let secretary_9 = app.commission_token(Role::CommissionSecretary, 9, None, Some(9));
    // Who may not see each family's target.
    let outsiders = |f: Family| -> Vec<(&str, Option<&str>)> {
        match f {
            Family::Case => vec![
                ("another citizen", Some(citizen_b.as_str())),
                ("staff of another district", Some(staff_9.as_str())),
                (
                    "secretary of another commission",
                    Some(secretary_9.as_str()),
                ),
                ("anonymous", None),
            ],
            Family::Request => vec![
                ("another citizen", Some(citizen_a.as_str())),
                ("staff of another district", Some(staff_1.as_str())),
                (
                    "secretary of another commission",
                    Some(secretary_1.as_str()),
                ),
                ("anonymous", None),
            ],
            Family::Parcel => vec![
                ("a citizen who does not own it", Some(citizen_b.as_str())),
                ("anonymous", None),
            ],
        }
    };

    let mut leaks = Vec::new();
    let mut compared = 0;
    for probe in probes() {
        for (who, token) in outsiders(family(&probe)) {
            let on_hidden = run(&app, token, &probe, &hidden).await;
            let on_missing = run(&app, token, &probe, &missing).await;
            compared += 1;
            if on_hidden != on_missing {
                leaks.push(format!(
                    "{} as {who}:\n  hidden:  {on_hidden}\n  missing: {on_missing}",
                    probe.name
                ));
            } else if on_hidden["body"]["errors"].is_null() {
                leaks.push(format!("{} as {who} succeeded: {on_hidden}", probe.name));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} of {compared} answers tell a hidden object from a missing one:\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // Nothing changed on the hidden objects.
    let body = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { violationCase(id: $id) { status } }",
            json!({ "id": gid("ViolationCase", 7) }),
        )
        .await;
    assert_eq!(body["data"]["violationCase"]["status"], "IN_SESSION");
}
