//! Every party served and judged on its own window, through the API: co-owners served on
//! different days, a legal entity reached through its legal id, an owner whose id cannot be
//! read served by hand (never skipped), and appeal conflicts from a legacy ruling's
//! commission on its date.

use std::time::Duration;

use serde_json::{json, Value};
use shahr_gateway::auth::Role;

use crate::{
    eblagh::{fake_provider, with_providers},
    flow::{
        case_status, code, count, eventually, gid, hearing_days_ago, id_at, jalali_days_ago, ok,
        sql, today,
    },
    helpers::TestApp,
};

const MARYAM: &str = "1583250689";
const REZA: &str = "3974017844";

/// A case in expert review on `parcel` (sample parcels 2, 3 and 4 are in district 9).
async fn new_case(app: &TestApp, case_id: i32, parcel: i32) {
    sql(
        app,
        &format!(
            "INSERT INTO tbl_parvandeh_takhalof (id_takhalof, id_parvandeh, shomare_parvandeh, marhaleh, manba, tarikh_kashf) \
             VALUES ({case_id}, {parcel}, 'T-9-1405-{case_id}', '20', '1', '1405/08/01')"
        ),
    )
    .await;
}

fn secretary9(app: &TestApp) -> String {
    app.commission_token(Role::CommissionSecretary, 9, None, Some(9))
}

async fn run(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    app.query_as(token, query, json!({ "input": input })).await
}

/// Refers the case with 20 m² of residential area beyond the permit and schedules its
/// hearing before commission 9; returns the summoned parties.
async fn refer_and_schedule(app: &TestApp, case_id: i32) -> Value {
    ok(&run(
        app,
        &app.staff(9),
        "mutation($input: ReferCaseInput!) { referCase(input: $input) { case { status } } }",
        json!({ "case": gid("ViolationCase", case_id),
                "items": [{ "note": "NOTE_2", "permittedAreaM2": 100, "builtAreaM2": 120 }] }),
    )
    .await);
    let scheduled = run(
        app,
        &secretary9(app),
        "mutation($input: ScheduleHearingInput!) { scheduleHearing(input: $input) {
           hearing { summoned { id kind name needsServiceByHand servedOn } } } }",
        json!({ "case": gid("ViolationCase", case_id), "commission": gid("Commission", 9),
                "sessionOn": (today() + chrono::Duration::days(20)).to_string() }),
    )
    .await;
    ok(&scheduled);
    scheduled["data"]["scheduleHearing"]["hearing"]["summoned"].clone()
}

async fn serve_summons(app: &TestApp, case_id: i32, party: &str) -> Value {
    run(
        app,
        &secretary9(app),
        "mutation($input: RecordSummonsServiceInput!) { recordSummonsService(input: $input) { partyId defenceDeadline } }",
        json!({ "case": gid("ViolationCase", case_id), "service": {
            "party": party, "mode": "IN_PERSON", "receiverName": "گیرنده", "agent": "مأمور ابلاغ منطقه ۹" } }),
    )
    .await
}

async fn open_session(app: &TestApp, case_id: i32) -> Value {
    run(
        app,
        &secretary9(app),
        "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
        json!({ "commission": gid("Commission", 9), "cases": [gid("ViolationCase", case_id)] }),
    )
    .await
}

#[tokio::test]
async fn co_owners_are_each_summoned_served_and_judged_on_their_own_window() {
    let app = TestApp::builder()
        .configure(|c| c.notify_poll_interval = Duration::from_millis(100))
        .spawn()
        .await;
    new_case(&app, 21, 2).await;
    let summoned = refer_and_schedule(&app, 21).await;
    let ids: Vec<&str> = summoned
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![format!("nid:{MARYAM}"), format!("nid:{REZA}")],
        "both co-owners are summoned"
    );

    // The commission cannot sit while one owner has not been summoned.
    ok(&serve_summons(&app, 21, &format!("nid:{MARYAM}")).await);
    hearing_days_ago(&app, 21, 30).await;
    let refused = open_session(&app, 21).await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains(REZA)),
        "{refused}"
    );
    ok(&serve_summons(&app, 21, &format!("nid:{REZA}")).await);
    hearing_days_ago(&app, 21, 30).await;
    let opened = open_session(&app, 21).await;
    ok(&opened);
    let session = id_at(&opened, &["data", "openCommissionSession", "session", "id"]);

    // A fine of 20 m² × 1 × 14,200,000 (district 9, block 12, 1405), signed and issued.
    let items = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { violationCase(id: $id) { items { id } } }",
            json!({ "id": gid("ViolationCase", 21) }),
        )
        .await;
    let item = items["data"]["violationCase"]["items"][0]["id"].clone();
    let drafted = run(
        &app,
        &secretary9(&app),
        "mutation($input: DraftRulingInput!) { draftRuling(input: $input) { draft { id fine } } }",
        json!({ "session": session, "case": gid("ViolationCase", 21), "kind": "FINE", "text": "جریمه",
                "items": [{ "item": item, "coefficient": "1" }] }),
    )
    .await;
    ok(&drafted);
    assert_eq!(drafted["data"]["draftRuling"]["draft"]["fine"], "284000000");
    let draft = id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    for member in ["1360001239", "1360001247", "1360001255"] {
        let token = app.commission_token(Role::CommissionMember, 9, Some(member), None);
        ok(&run(
            &app,
            &token,
            "mutation($input: SignRulingInput!) { signRuling(input: $input) { draft { id } } }",
            json!({ "draft": draft }),
        )
        .await);
    }
    let issued = run(
        &app,
        &secretary9(&app),
        "mutation($input: IssueRulingInput!) { issueRuling(input: $input) { ruling { id parties { id kind } } } }",
        json!({ "draft": draft, "idempotencyKey": "co-owners" }),
    )
    .await;
    ok(&issued);
    let ruling = id_at(&issued, &["data", "issueRuling", "ruling", "id"]);
    let parties = issued["data"]["issueRuling"]["ruling"]["parties"]
        .as_array()
        .expect("parties")
        .len();
    assert_eq!(parties, 3, "two owners and the municipality");
    let legacy = count(
        &app,
        "SELECT id_ray::int8 FROM tbl_ray WHERE id_takhalof = 21",
    )
    .await;

    // Maryam is served, and (with the municipality) her window passes; Reza is not served.
    let serve = |party: &str, national_id: &str| {
        json!({ "input": { "ruling": ruling, "party": party, "mode": "IN_PERSON", "receiverName": "مالک",
                           "receiverNationalId": national_id, "agent": "مأمور" } })
    };
    let record = "mutation($input: RecordNotificationInput!) { recordNotification(input: $input) { partyId objectionDeadline } }";
    ok(&app
        .query_as(
            &app.staff(9),
            record,
            serve(&format!("nid:{MARYAM}"), MARYAM),
        )
        .await);
    sql(
        &app,
        &format!(
            "UPDATE tbl_eblagh SET tarikh_eblagh = '{}' WHERE id_ray = {legacy};
             UPDATE tbl_ray SET tarikh_ray = '{}' WHERE id_ray = {legacy};
             UPDATE shahr.services SET served_on = current_date - 30 WHERE document = 'RULING' AND document_id = {legacy};",
            jalali_days_ago(30),
            jalali_days_ago(31)
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        case_status(&app, 21).await,
        "OBJECTION_WINDOW",
        "not final while Reza is unserved"
    );

    let object = "mutation($input: FileObjectionInput!) { fileObjection(input: $input) { inTime deadline joinedAppeal } }";
    let input = json!({ "input": { "ruling": ruling, "statement": "اعتراض دارم." } });
    let late = app
        .query_as(&app.citizen(MARYAM), object, input.clone())
        .await;
    ok(&late);
    assert_eq!(
        late["data"]["fileObjection"]["inTime"], false,
        "Maryam's own window closed"
    );
    ok(&app
        .query_as(&app.staff(9), record, serve(&format!("nid:{REZA}"), REZA))
        .await);
    let in_time = app.query_as(&app.citizen(REZA), object, input).await;
    ok(&in_time);
    assert_eq!(
        in_time["data"]["fileObjection"]["inTime"], true,
        "Reza was served later: in time"
    );
    assert_eq!(case_status(&app, 21).await, "APPEALED");
}

#[tokio::test]
async fn a_legal_entity_is_reached_by_its_legal_id_and_an_owner_with_an_unreadable_id_is_served_by_hand(
) {
    let fake = fake_provider(None).await;
    let app = with_providers(&fake).await;
    new_case(&app, 22, 3).await;
    new_case(&app, 23, 4).await;
    let entity = refer_and_schedule(&app, 22).await;
    assert_eq!(entity[0]["id"], "lid:10380284790");
    assert_eq!(entity[0]["kind"], "LEGAL_ENTITY");
    assert_eq!(entity[0]["needsServiceByHand"], false);
    let unreadable = refer_and_schedule(&app, 23).await;
    assert_eq!(unreadable[0]["id"], "owner:5", "never skipped");
    assert_eq!(unreadable[0]["kind"], "UNIDENTIFIED");
    assert_eq!(unreadable[0]["needsServiceByHand"], true);

    // The entity's summons goes to its e-notice account, and the receipt is its service.
    eventually("the legal entity's e-notice", async || {
        fake.state
            .notices
            .lock()
            .expect("lock")
            .iter()
            .any(|n| n["legalId"] == "10380284790")
    })
    .await;
    let summoned =
        "query($id: ID!) { violationCase(id: $id) { hearing { summoned { id servedOn } } } }";
    eventually("the receipt recorded as service", async || {
        let body = app
            .query_as(
                &app.auditor(),
                summoned,
                json!({ "id": gid("ViolationCase", 22) }),
            )
            .await;
        body["data"]["violationCase"]["hearing"]["summoned"][0]["servedOn"] == today().to_string()
    })
    .await;
    let to_unreadable = fake
        .state
        .notices
        .lock()
        .expect("lock")
        .iter()
        .filter(|n| n["nationalId"].is_null() && n["legalId"].is_null())
        .count();
    assert_eq!(to_unreadable, 0, "nothing is sent to an unreadable id");

    // The secretariat's work list has the unreadable owner, not the entity (reached online).
    let queue = "query($c: ID!) { serviceByHandQueue(commission: $c) { totalCount
                 edges { node { document rulingId case { id } party { id kind needsServiceByHand } } } } }";
    let body = app
        .query_as(
            &secretary9(&app),
            queue,
            json!({ "c": gid("Commission", 9) }),
        )
        .await;
    ok(&body);
    assert_eq!(
        body["data"]["serviceByHandQueue"],
        json!({ "totalCount": 1, "edges": [{ "node": {
            "document": "SUMMONS", "rulingId": null, "case": { "id": gid("ViolationCase", 23) },
            "party": { "id": "owner:5", "kind": "UNIDENTIFIED", "needsServiceByHand": true } } }] }),
    );
    for (who, token) in [
        (
            "another commission's secretary",
            app.commission_token(Role::CommissionSecretary, 1, None, Some(1)),
        ),
        ("staff", app.staff(9)),
        ("a citizen", app.citizen(MARYAM)),
    ] {
        let body = app
            .query_as(&token, queue, json!({ "c": gid("Commission", 9) }))
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{who}: {body}");
    }

    // The owner with the unreadable id keeps the commission from sitting until served by hand.
    hearing_days_ago(&app, 23, 30).await;
    assert_eq!(code(&open_session(&app, 23).await), "CONFLICT");
    let served = serve_summons(&app, 23, "owner:5").await;
    ok(&served);
    assert_eq!(served["data"]["recordSummonsService"]["partyId"], "owner:5");
    let body = app
        .query_as(
            &secretary9(&app),
            queue,
            json!({ "c": gid("Commission", 9) }),
        )
        .await;
    assert_eq!(
        body["data"]["serviceByHandQueue"]["totalCount"], 0,
        "served, off the list: {body}"
    );
}

#[tokio::test]
async fn a_member_of_a_legacy_primary_rulings_commission_on_its_date_may_not_hear_its_appeal() {
    let app = TestApp::spawn().await;
    // A case ruled by commission 1 before the gateway (its judge also sits on appeal
    // commission 12), served, objected to in time and appealed.
    sql(
        &app,
        "INSERT INTO tbl_parvandeh_takhalof (id_takhalof, id_parvandeh, shomare_parvandeh, marhaleh, manba, tarikh_kashf, id_commission) \
         VALUES (30, 1, 'T-1-1404-0300', '80', '1', '1404/03/01', 1);
         INSERT INTO tbl_ray (id_ray, id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, tarikh_ray, mablagh_jarimeh, matn_ray, vaziat) \
         VALUES (300, 30, 1, '1/04/0300', '02', '1', '1404/05/01', 100000000, 'جریمه', '3');
         INSERT INTO tbl_eblagh (id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh, kod_melli_girandeh, mamur) \
         VALUES (300, '1404/05/10', '1', 'علی احمدی', '0076229645', 'مأمور');
         INSERT INTO tbl_eteraz (id_ray, tarikh_eteraz, moteraz, sharh, dar_mohlat) VALUES (300, '1404/05/15', '1', 'اعتراض', '1');",
    )
    .await;
    let open = |commission: i32| {
        let app = &app;
        async move {
            let token = app.commission_token(Role::CommissionSecretary, commission, None, None);
            run(
                app,
                &token,
                "mutation($input: OpenCommissionSessionInput!) { openCommissionSession(input: $input) { session { id } } }",
                json!({ "commission": gid("Commission", commission), "cases": [gid("ViolationCase", 30)] }),
            )
            .await
        }
    };
    let refused = open(12).await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("primary ruling")));
    ok(&open(11).await);
}
