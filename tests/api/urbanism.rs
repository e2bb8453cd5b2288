//! The urbanism graph over the legacy fixture: each quirk, each entry point, pagination,
//! input validation, and the statement-count proof.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect()
}

fn codes(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["renovationCode"]
                .as_str()
                .expect("code")
                .to_owned()
        })
        .collect()
}

const PARCEL: &str = "query($code: RenovationCode!) { parcel(renovationCode: $code) {
    renovationCode postalCode address areaM2 landUse landUseLabel floors units
    registeredOn registeredOnJalali boundary registryPlate { display section }
    district { number name }
    owners { shareDang sharePercent owner { kind fullName nationalId legalId mobile } }
    permits { number kind status issuedOn issuedOnJalali validUntilJalali }
    certificates { kind kindLabel issuedOnJalali }
} }";

#[tokio::test]
async fn legacy_quirks_arrive_as_clean_values() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    // Stored with Persian digits; asked for in ASCII.
    let body = app
        .query_as(&auditor, PARCEL, json!({ "code": "9-1-12-7-301-0-0" }))
        .await;
    let p = &body["data"]["parcel"];
    assert_eq!(p["renovationCode"], "9-1-12-7-301-0-0", "{body}");
    assert_eq!(p["postalCode"], "5186817311", "dash dropped");
    assert_eq!(p["landUse"], "RESIDENTIAL", "unpadded code '1' read");
    assert_eq!(p["landUseLabel"], "مسکونی");
    assert_eq!(
        p["registeredOnJalali"], "1400/02/18",
        "Persian-digit date read"
    );
    assert_eq!(p["registeredOn"], "2021-05-08");
    assert_eq!(p["district"]["number"], 9);
    assert_eq!(p["registryPlate"]["display"], "4410/12");
    assert_eq!(p["boundary"]["type"], "Polygon");
    assert_eq!(
        p["boundary"]["coordinates"][0].as_array().map(Vec::len),
        Some(5)
    );
    let owners = p["owners"].as_array().expect("owners");
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["shareDang"], 4.0, "largest share first");
    assert_eq!(owners[0]["sharePercent"], 66.67);
    assert_eq!(
        owners[0]["owner"]["nationalId"], "1583250689",
        "Persian digits in the legacy row"
    );
    assert_eq!(
        owners[0]["owner"]["mobile"], "09141112233",
        "mobile without prefix"
    );
    assert_eq!(
        owners[1]["owner"]["fullName"], "رضا حسینی",
        "Arabic yeh normalised"
    );
    assert_eq!(p["permits"][0]["kind"], "AMENDMENT", "newest first");
    assert_eq!(p["permits"][1]["issuedOnJalali"], "1400/03/01");

    // Asked for in Persian digits, stored in ASCII; unpadded national id in the legacy row.
    let body = app
        .query_as(&auditor, PARCEL, json!({ "code": "۱-۲-۴۵-۲۸-۶۶۶-۰-۰" }))
        .await;
    let p = &body["data"]["parcel"];
    assert_eq!(
        p["address"], "تبریز، خیابان امام، کوچه 12، پلاک 8",
        "letters and digits normalised"
    );
    assert_eq!(
        p["owners"][0]["owner"]["nationalId"], "0076229645",
        "left-padded"
    );
    assert_eq!(
        p["owners"][0]["owner"]["mobile"], "09121234567",
        "+98 prefix"
    );
    assert_eq!(p["certificates"][0]["kind"], "COMPLETION");
    assert_eq!(p["certificates"][0]["kindLabel"], "گواهی پایان کار");
    assert_eq!(p["permits"][0]["status"], "EXPIRED");

    // NULL "always set" land use, malformed date, invalid national id, unreadable mobile.
    let body = app
        .query_as(&auditor, PARCEL, json!({ "code": "9-3-40-2-0-0-0" }))
        .await;
    let p = &body["data"]["parcel"];
    assert_eq!(p["landUse"], Value::Null);
    assert_eq!(p["registeredOn"], Value::Null, "1399/13/40 is no day");
    assert_eq!(
        p["owners"][0]["owner"]["nationalId"],
        Value::Null,
        "bad check digit"
    );
    assert_eq!(p["owners"][0]["owner"]["mobile"], Value::Null);
    assert!(
        body.get("errors").is_none(),
        "quirks are not errors: {body}"
    );

    // A legal entity.
    let body = app
        .query_as(&auditor, PARCEL, json!({ "code": "9-1-12-8-0-0-0" }))
        .await;
    let owner = &body["data"]["parcel"]["owners"][0]["owner"];
    assert_eq!(owner["kind"], "LEGAL");
    assert_eq!(owner["legalId"], "10380284790");
    assert_eq!(owner["fullName"], "شرکت ساختمانی آذر");
    assert_eq!(body["data"]["parcel"]["boundary"], Value::Null);
}

#[tokio::test]
async fn unreadable_rows_are_skipped_and_counted_never_failing_the_query() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let body = app
        .query_as(
            &auditor,
            "{ parcels(first: 100) { totalCount edges { node { renovationCode } } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        codes(&body["data"]["parcels"]).len(),
        7,
        "the file with an unreadable code is skipped"
    );
    assert_eq!(
        body["data"]["parcels"]["totalCount"], 8,
        "totalCount counts the system's records"
    );
    let skipped = app
        .metric(r#"shahr_legacy_rejects_total{table="tbl_parvandeh",column="*"}"#)
        .await;
    assert!(skipped >= 1.0, "the skipped row is counted: {skipped}");

    let body = app
        .query_as(
            &auditor,
            "{ rulings(first: 100) { edges { node { number kind } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = body["data"]["rulings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds.len(),
        5,
        "the ruling with an unknown kind code is skipped: {body}"
    );
    let unknown = app
        .metric(r#"shahr_legacy_rejects_total{table="tbl_ray",column="noe_ray"}"#)
        .await;
    assert!(unknown >= 1.0);
}

const RULING_DEEP: &str = "query($id: ID!) { ruling(id: $id) {
    id number kind kindLabel stage status statusLabel issuedOn issuedOnJalali fine text legalBasis
    breachedPrinciple breachedPrincipleLabel
    commission { name kind members { fullName role roleLabel isVoting } }
    case { caseNumber status statusLabel detectedOnJalali sessionOnJalali
           parcel { renovationCode } items { floor note noteLabel excessAreaM2 coefficient parkingSpaces }
           rulings { number stage } }
    notifications { servedOnJalali mode modeLabel isLegalService receiverName }
    objections { filedOnJalali objector inTime statement }
} }";

async fn ruling_id(app: &TestApp, token: &str, number: &str) -> String {
    let body = app
        .query_as(
            token,
            "{ rulings(first: 100) { edges { node { id number } } } }",
            json!({}),
        )
        .await;
    body["data"]["rulings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["number"] == number)
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .unwrap_or_else(|| panic!("ruling {number} in {body}"))
}

#[tokio::test]
async fn a_ruling_reaches_its_case_parcel_items_commission_service_and_objections() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let id = ruling_id(&app, &auditor, "1/05/0101").await;
    let body = app
        .query_as(&auditor, RULING_DEEP, json!({ "id": id }))
        .await;
    let r = &body["data"]["ruling"];
    assert_eq!(r["kind"], "FINE", "{body}");
    assert_eq!(r["kindLabel"], "جریمه");
    assert_eq!(
        r["fine"], "1526250000",
        "rials as a string: 60 m² × 0.75 + 25 m² × 1.5, × 18,500,000 (1404)"
    );
    assert_eq!(r["issuedOnJalali"], "1405/08/15");
    assert_eq!(r["issuedOn"], "2026-11-06");
    assert_eq!(r["status"], "NOTIFIED");
    assert_eq!(r["commission"]["kind"], "PRIMARY");
    let members = r["commission"]["members"].as_array().expect("members");
    assert_eq!(members.len(), 4);
    assert_eq!(members.iter().filter(|m| m["isVoting"] == true).count(), 3);
    assert_eq!(r["case"]["status"], "RULING_ISSUED");
    assert_eq!(r["case"]["sessionOnJalali"], "1405/08/15");
    assert_eq!(r["case"]["parcel"]["renovationCode"], "1-2-45-28-666-0-0");
    let items = r["case"]["items"].as_array().expect("items");
    assert_eq!(items[0]["note"], "NOTE_2");
    assert_eq!(items[0]["excessAreaM2"], 60.0);
    assert_eq!(items[1]["parkingSpaces"], 1);
    assert_eq!(r["notifications"][0]["mode"], "ELECTRONIC");
    assert_eq!(r["notifications"][0]["isLegalService"], true);

    let id = ruling_id(&app, &auditor, "9/03/0042").await;
    let body = app
        .query_as(&auditor, RULING_DEEP, json!({ "id": id }))
        .await;
    let r = &body["data"]["ruling"];
    assert_eq!(r["kind"], "DEMOLITION");
    assert_eq!(r["breachedPrinciple"], "URBAN_PLANNING");
    assert_eq!(r["status"], "OVERTURNED");
    assert_eq!(r["objections"][0]["objector"], "OWNER");
    assert_eq!(r["objections"][0]["inTime"], true);
    let stages: Vec<&str> = r["case"]["rulings"]
        .as_array()
        .expect("rulings")
        .iter()
        .map(|x| x["stage"].as_str().expect("stage"))
        .collect();
    assert_eq!(stages, vec!["PRIMARY", "APPEAL"]);

    let id = ruling_id(&app, &auditor, "9/99/0100").await;
    let body = app
        .query_as(&auditor, RULING_DEEP, json!({ "id": id }))
        .await;
    assert_eq!(
        body["data"]["ruling"]["issuedOn"],
        Value::Null,
        "malformed legacy date"
    );
    assert_eq!(body["data"]["ruling"]["kind"], "CLOSURE");
}

#[tokio::test]
async fn rulings_filter_by_kind_status_district_commission_and_dates() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let numbers = |body: &Value| -> Vec<String> {
        body["data"]["rulings"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["number"].as_str().expect("number").to_owned())
            .collect()
    };
    let q = "query($f: RulingFilterInput) { rulings(filter: $f) { totalCount edges { node { number } } } }";
    let run = |f: Value| {
        let app = &app;
        let auditor = auditor.clone();
        async move { app.query_as(&auditor, q, json!({ "f": f })).await }
    };
    assert_eq!(
        numbers(&run(json!({ "kind": "FINE" })).await),
        vec!["T/03/0019", "1/05/0101"]
    );
    assert_eq!(
        numbers(&run(json!({ "status": "FINAL" })).await),
        vec!["5/05/0012", "T/03/0019"]
    );
    assert_eq!(
        numbers(&run(json!({ "district": 9 })).await),
        vec!["9/99/0100", "T/03/0019", "9/03/0042"]
    );
    assert_eq!(
        numbers(&run(json!({ "issuedFrom": "2026-01-01" })).await),
        vec!["5/05/0012", "1/05/0101"]
    );
    assert_eq!(
        numbers(&run(json!({ "issuedFrom": "2024-01-01", "issuedTo": "2024-12-31" })).await),
        vec!["T/03/0019", "9/03/0042"]
    );
    let commissions = app.query("{ commissions { id name kind } }").await;
    let list = commissions["data"]["commissions"].as_array().expect("list");
    assert_eq!(list.len(), 13, "Tabriz runs 13 commissions");
    assert_eq!(list.iter().filter(|c| c["kind"] == "APPEAL").count(), 3);
    let appeal = list[10]["id"].clone();
    assert_eq!(
        numbers(&run(json!({ "commission": appeal })).await),
        vec!["T/03/0019"]
    );
    let body = run(json!({ "issuedFrom": "2026-01-01", "issuedTo": "2025-01-01" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.issuedTo");
}

#[tokio::test]
async fn pages_follow_cursors_to_the_end_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let q = "query($after: String) { parcels(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id renovationCode } } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let body = app.query_as(&auditor, q, json!({ "after": after })).await;
        let conn = &body["data"]["parcels"];
        assert_eq!(
            conn["pageInfo"]["hasPreviousPage"],
            !after.is_null(),
            "{body}"
        );
        seen.extend(ids(conn));
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(pages < 10, "pagination must end");
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(unique.len(), 7);

    let empty = app
        .query_as(
            &auditor,
            "{ parcels(first: 0) { edges { cursor } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(empty["data"]["parcels"]["edges"], json!([]));
    assert_eq!(empty["data"]["parcels"]["pageInfo"]["hasNextPage"], true);

    for (args, field) in [
        ("first: 101", "first"),
        ("first: -1", "first"),
        ("after: \"bm9wZQ\"", "after"),
    ] {
        let body = app
            .query_as(
                &auditor,
                &format!("{{ parcels({args}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{args}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    // A ruling cursor is no parcel cursor.
    let rulings = app
        .query_as(
            &auditor,
            "{ rulings(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = rulings["data"]["rulings"]["pageInfo"]["endCursor"].clone();
    let body = app
        .query_as(
            &auditor,
            "query($c: String) { parcels(after: $c) { totalCount } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "after");
}

#[tokio::test]
async fn bad_identifiers_answer_bad_user_input_naming_the_argument() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let body = app
        .query_as(
            &auditor,
            "{ parcel(renovationCode: \"1-2-3\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "renovationCode");
    for (value, what) in [
        ("0076229646", "bad check digit"),
        ("9999999999", "all equal"),
        ("1234567", "7 digits"),
        ("12345678901", "11 digits"),
    ] {
        let body = app
            .query_as(
                &auditor,
                "query($n: NationalId) { parcels(filter: { ownerNationalId: $n }) { totalCount } }",
                json!({ "n": value }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{what}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "filter.ownerNationalId",
            "{what}"
        );
    }
    let body = app
        .query_as(
            &auditor,
            "{ parcels(filter: { district: 420 }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.district");
}

#[tokio::test]
async fn search_text_is_matched_literally_with_persian_and_arabic_letters_alike() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let q = "query($t: String, $n: NationalId) { parcels(filter: { addressContains: $t, ownerNationalId: $n }) {
        edges { node { renovationCode } } } }";
    let find = |t: Value, n: Value| {
        let (app, auditor) = (&app, auditor.clone());
        async move {
            codes(&app.query_as(&auditor, q, json!({ "t": t, "n": n })).await["data"]["parcels"])
        }
    };
    assert_eq!(
        find(json!("خیابان امام"), Value::Null).await,
        vec!["1-2-45-28-666-0-0"]
    );
    assert_eq!(
        find(json!("خيابان امام"), Value::Null).await,
        vec!["1-2-45-28-666-0-0"],
        "Arabic yeh"
    );
    assert_eq!(
        find(json!("کوچه ۱۲"), Value::Null).await,
        vec!["1-2-45-28-666-0-0"],
        "Persian digits"
    );
    for literal in ["%", "_", "\\", "' OR 1=1--"] {
        assert_eq!(
            find(json!(literal), Value::Null).await,
            Vec::<String>::new(),
            "{literal:?}"
        );
    }
    assert_eq!(
        find(Value::Null, json!("۰۰۷۶۲۲۹۶۴۵")).await,
        vec!["1-2-45-28-666-0-0"],
        "Persian-digit national id matches the unpadded legacy row"
    );
    assert_eq!(
        find(Value::Null, json!("3974017844")).await,
        vec!["9-1-12-7-301-0-0", "5-1-3-1-0-0-0"]
    );
}

#[tokio::test]
async fn sql_statements_per_request_do_not_grow_with_the_list() {
    let app = TestApp::spawn().await;
    // Fifty more rulings on the fixture's cases.
    let client = app.databases.urbanism.client().await;
    client
        .batch_execute(
            "INSERT INTO tbl_ray (id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, tarikh_ray, mablagh_jarimeh, vaziat)
             SELECT 1 + (g % 3), 1 + (g % 13), 'X/' || g, '02', '1', '1405/02/01', 1000000 * g, '1'
             FROM generate_series(1, 60) AS g",
        )
        .await
        .expect("more rulings");
    client
        .batch_execute(
            "INSERT INTO tbl_eblagh (id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh)
             SELECT id_ray, '1405/02/05', '3', 'گیرنده' FROM tbl_ray WHERE shomare_ray LIKE 'X/%'",
        )
        .await
        .expect("service rows");
    let auditor = app.auditor();
    let query = "query($n: Int) { rulings(first: $n) { edges { node {
        number fine
        case { caseNumber parcel { renovationCode owners { owner { fullName } } } items { note } }
        commission { name members { fullName } }
        notifications { mode }
        objections { inTime }
    } } } }";
    let statements = "shahr_urbanism_statements_total";
    let mut counts = Vec::new();
    for n in [5, 50] {
        let before = app.metric(statements).await;
        let body = app.query_as(&auditor, query, json!({ "n": n })).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["data"]["rulings"]["edges"].as_array().map(Vec::len),
            Some(n as usize)
        );
        counts.push(app.metric(statements).await - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 5 and for 50 rulings: {counts:?}"
    );
    assert!(counts[0] <= 10.0, "one statement per level: {counts:?}");
}
