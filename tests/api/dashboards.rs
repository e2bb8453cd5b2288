//! `rulingStats` and `requestStats` on data whose answers are known: the sample rulings of
//! the fixture, a ruling issued in the test, and requests with set histories.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    flow::{ok, Session},
    helpers::TestApp,
};

const RULING_STATS: &str = "query($filter: RulingStatsFilter) { rulingStats(filter: $filter) {
    total
    byKind { kind labelFa count }
    byStatus { status count }
    byDistrict { district count }
    byCommission { commissionId commission { name } count }
    finesImposed finesCollected
    sessionToIssue { count medianSeconds p90Seconds }
    issueToService { count medianSeconds p90Seconds }
    served objections objectionsInTime objectionsLate
    appealOutcomes { outcome labelFa count }
    byMonth { month rulings issueToService { count medianSeconds } sessionToIssue { count } }
    asOf } }";

/// The figures once the read model has been refreshed at least once after `after` (an
/// `asOf` seen before), failing the test after ten seconds.
async fn ruling_stats(app: &TestApp, token: &str, filter: Value, after: Option<&str>) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let body = app
            .query_as(token, RULING_STATS, json!({ "filter": filter }))
            .await;
        ok(&body);
        let stats = body["data"]["rulingStats"].clone();
        let as_of = stats["asOf"].as_str();
        if as_of.is_some() && as_of != after {
            return stats;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the figures were not refreshed: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn count_of(list: &Value, key: &str, value: Value) -> i64 {
    list.as_array()
        .and_then(|l| l.iter().find(|e| e[key] == value))
        .and_then(|e| e["count"].as_i64())
        .unwrap_or(0)
}

#[tokio::test]
async fn ruling_stats_of_the_sample_rulings_have_the_known_answers() {
    let app = TestApp::spawn().await;
    let s = ruling_stats(&app, &app.auditor(), json!({}), None).await;

    // Six rulings; one kind code (99) and one date (1399/13/40) are unreadable.
    assert_eq!(s["total"], 6);
    let kinds = &s["byKind"];
    assert_eq!(count_of(kinds, "kind", json!("FINE")), 2);
    assert_eq!(count_of(kinds, "kind", json!("DEMOLITION")), 1);
    assert_eq!(count_of(kinds, "kind", json!("CLOSURE")), 1);
    assert_eq!(count_of(kinds, "kind", json!("DISMISSAL")), 1);
    assert_eq!(count_of(kinds, "kind", Value::Null), 1);
    assert_eq!(
        kinds
            .as_array()
            .and_then(|k| k.iter().find(|e| e["kind"].is_null()))
            .map(|e| e["labelFa"].clone()),
        Some(json!("نامشخص"))
    );
    let states = &s["byStatus"];
    assert_eq!(count_of(states, "status", json!("ISSUED")), 2);
    assert_eq!(count_of(states, "status", json!("NOTIFIED")), 1);
    assert_eq!(count_of(states, "status", json!("FINAL")), 2);
    assert_eq!(count_of(states, "status", json!("OVERTURNED")), 1);
    assert_eq!(
        s["byDistrict"],
        json!([{ "district": 1, "count": 1 }, { "district": 5, "count": 1 }, { "district": 9, "count": 4 }])
    );
    let commissions = &s["byCommission"];
    assert_eq!(commissions.as_array().map(Vec::len), Some(4));
    assert_eq!(commissions[2]["count"], 3, "commission 9: {commissions}");
    assert!(commissions[2]["commission"]["name"].is_string());
    // 1,526,250,000 (ruling 1) + 3,400,000,000 (the appeal's fine); nothing enforced yet.
    assert_eq!(s["finesImposed"], "4926250000");
    assert_eq!(s["finesCollected"], "0");
    // Session and ruling on the same day for the four primary rulings with readable dates.
    assert_eq!(
        s["sessionToIssue"],
        json!({ "count": 4, "medianSeconds": 0.0, "p90Seconds": 0.0 })
    );
    // Served 5 and 7 days after the ruling.
    assert_eq!(
        s["issueToService"],
        json!({ "count": 2, "medianSeconds": 518400.0, "p90Seconds": 587520.0 })
    );
    assert_eq!(s["served"], 2);
    assert_eq!(
        (
            &s["objections"],
            &s["objectionsInTime"],
            &s["objectionsLate"]
        ),
        (&json!(1), &json!(1), &json!(0))
    );
    // The appeal (commission 11) of a primary ruling marked overturned.
    assert_eq!(
        s["appealOutcomes"],
        json!([{ "outcome": "OVERTURN", "labelFa": "نقض رأی بدوی", "count": 1 }])
    );
    let months: Vec<&str> = s["byMonth"]
        .as_array()
        .map(|m| m.iter().filter_map(|e| e["month"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        months,
        ["1403/06", "1403/08", "1404/06", "1405/01", "1405/08"]
    );
    assert_eq!(s["byMonth"][0]["issueToService"]["medianSeconds"], 604800.0);

    // Staff of District 9 see District 9's four rulings; a range narrows to the dates in it.
    let nine = ruling_stats(&app, &app.staff(9), json!({}), None).await;
    assert_eq!(nine["total"], 4);
    assert_eq!(nine["finesImposed"], "3400000000");
    let ranged = ruling_stats(
        &app,
        &app.auditor(),
        json!({ "from": "2024-08-01", "to": "2025-08-31" }),
        None,
    )
    .await;
    // 1403/06/05 = 2024-08-26, 1403/08/01 = 2024-10-22, 1404/06/06 = 2025-08-28.
    assert_eq!(ranged["total"], 3);
    let commission = ruling_stats(
        &app,
        &app.auditor(),
        json!({ "commission": shahr_gateway::graphql::node::global_id("Commission", 9).to_string() }),
        None,
    )
    .await;
    assert_eq!(commission["total"], 3);
}

#[tokio::test]
async fn a_ruling_issued_in_session_counts_at_once_with_its_exact_session_to_issue_time() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let before = ruling_stats(&app, &auditor, json!({}), None).await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    ok(&s.issue(&s.secretary, &draft, "stats").await);

    let today = chrono::Utc::now()
        .with_timezone(&shahr_gateway::graphql::scalars::tehran())
        .date_naive()
        .to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let after = loop {
        let s = ruling_stats(&app, &auditor, json!({}), None).await;
        if s["total"] == 7 {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "not counted: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(before["total"], 6);
    // 1,035,000,000 + 862,500,000 rials on top of the samples' fines.
    assert_eq!(after["finesImposed"], "6823750000");
    let today_only =
        ruling_stats(&app, &auditor, json!({ "from": today, "to": today }), None).await;
    assert_eq!(today_only["total"], 1);
    let gap = &today_only["sessionToIssue"];
    assert_eq!(gap["count"], 1);
    let seconds = gap["medianSeconds"].as_f64().expect("a time");
    assert!(
        (0.0..600.0).contains(&seconds),
        "session opened and ruling issued within the test: {seconds} s"
    );
    assert_eq!(today_only["issueToService"]["count"], 0, "not served yet");
    assert_eq!(
        today_only["byDistrict"],
        json!([{ "district": 1, "count": 1 }])
    );
}

#[tokio::test]
async fn dashboards_refuse_citizens_other_districts_and_bad_filters_naming_the_field() {
    let app = TestApp::spawn().await;
    let citizen = app
        .query_as(&app.citizen("0076229645"), RULING_STATS, json!({}))
        .await;
    assert_eq!(citizen["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let other = app
        .query_as(
            &app.staff(1),
            RULING_STATS,
            json!({ "filter": { "district": 9 } }),
        )
        .await;
    assert_eq!(other["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let requests = app
        .query_as(
            &app.staff(1),
            "query { requestStats(filter: { district: 9 }) { total } }",
            json!({}),
        )
        .await;
    assert_eq!(requests["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let bad = app
        .query_as(
            &app.auditor(),
            RULING_STATS,
            json!({ "filter": { "district": 0 } }),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "filter.district");
    let backwards = app
        .query_as(
            &app.auditor(),
            RULING_STATS,
            json!({ "filter": { "from": "2026-11-28", "to": "2026-11-01" } }),
        )
        .await;
    assert_eq!(backwards["errors"][0]["extensions"]["field"], "filter.to");
    let anonymous = app
        .post_graphql(json!({ "query": "{ requestStats { total } }" }), None)
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

const REQUEST_STATS: &str = "query($filter: RequestStatsFilter) { requestStats(filter: $filter) {
    total
    byService { code nameFa count }
    byState { state count }
    byDistrict { district count }
    steps { state labelFa handled handlingTime { count medianSeconds p90Seconds } breached open overdue }
    slaBreaches handledInTime } }";

/// One "now" for every history written by a test, so that step times are exact.
static NOW: std::sync::OnceLock<chrono::DateTime<chrono::Utc>> = std::sync::OnceLock::new();

/// A request of `land_use_inquiry` (SLA: 24 h submitted, 72 h under review) whose history
/// is `steps` as (state, hours before now).
async fn request_with_history(app: &TestApp, code: &str, district: i16, steps: &[(&str, f64)]) {
    let client = app.databases.citizen.client().await;
    let now = *NOW.get_or_init(chrono::Utc::now);
    let state = steps.last().map(|s| s.0).unwrap_or("SUBMITTED");
    let row = client
        .query_one(
            "INSERT INTO shahr.requests (tracking_code, citizen_subject, citizen_national_id, \
             renovation_code, district, service_code, state, payload_hash, submitted_at) \
             VALUES ($1, 'citizen', '0076229645', '9-1-12-7-301-0-0', $2, 'land_use_inquiry', $3, 'x', \
                     $5::timestamptz - make_interval(secs => $4)) RETURNING id",
            &[&code, &district, &state, &(steps[0].1 * 3600.0), &now],
        )
        .await
        .expect("request");
    let id: i64 = row.get(0);
    let mut from: Option<&str> = None;
    for (to, hours_ago) in steps {
        client
            .execute(
                "INSERT INTO shahr.request_history (request_id, at, actor, role, from_state, to_state) \
                 VALUES ($1, $5::timestamptz - make_interval(secs => $2), 'staff', 'URBANISM_STAFF', $3, $4)",
                &[&id, &(hours_ago * 3600.0), &from, to, &now],
            )
            .await
            .expect("history");
        from = Some(to);
    }
}

#[tokio::test]
async fn request_stats_count_handling_times_and_sla_breaches_per_step() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let empty = app.query_as(&auditor, REQUEST_STATS, json!({})).await;
    ok(&empty);
    assert_eq!(empty["data"]["requestStats"]["total"], 0);

    // A: submitted 10 days ago, reviewed after 10 h (in time), issued after 80 h (late).
    request_with_history(
        &app,
        "9-AAAAAA",
        9,
        &[
            ("SUBMITTED", 240.0),
            ("UNDER_REVIEW", 230.0),
            ("ISSUED", 150.0),
        ],
    )
    .await;
    // B: reviewed after 30 h (late), under review since (210 h: overdue).
    request_with_history(
        &app,
        "9-BBBBBB",
        9,
        &[("SUBMITTED", 240.0), ("UNDER_REVIEW", 210.0)],
    )
    .await;
    // C: District 1, submitted an hour ago.
    request_with_history(&app, "1-CCCCCC", 1, &[("SUBMITTED", 1.0)]).await;

    let body = app.query_as(&auditor, REQUEST_STATS, json!({})).await;
    ok(&body);
    let s = &body["data"]["requestStats"];
    assert_eq!(s["total"], 3);
    assert_eq!(
        s["byService"],
        json!([{ "code": "land_use_inquiry", "nameFa": "استعلام کاربری و ضوابط", "count": 3 }])
    );
    assert_eq!(
        s["byDistrict"],
        json!([{ "district": 1, "count": 1 }, { "district": 9, "count": 2 }])
    );
    let steps = s["steps"].as_array().expect("steps");
    let step = |state: &str| {
        steps
            .iter()
            .find(|x| x["state"] == state)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let submitted = step("SUBMITTED");
    assert_eq!(submitted["handled"], 2);
    assert_eq!(
        submitted["handlingTime"]["medianSeconds"], 72000.0,
        "10 h and 30 h"
    );
    assert_eq!(submitted["breached"], 1);
    assert_eq!(
        (&submitted["open"], &submitted["overdue"]),
        (&json!(1), &json!(0))
    );
    let review = step("UNDER_REVIEW");
    assert_eq!(review["handled"], 1);
    assert_eq!(review["handlingTime"]["medianSeconds"], 288000.0, "80 h");
    assert_eq!(
        (&review["breached"], &review["open"], &review["overdue"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(step("ISSUED")["open"], 1);
    assert_eq!(steps[0]["state"], "SUBMITTED", "workflow order");
    assert_eq!(s["slaBreaches"], 3);
    assert_eq!(s["handledInTime"], 1);

    // Staff of District 9 see their two; a day range of today holds only C.
    let nine = app.query_as(&app.staff(9), REQUEST_STATS, json!({})).await;
    assert_eq!(nine["data"]["requestStats"]["total"], 2);
    let today = chrono::Utc::now()
        .with_timezone(&shahr_gateway::graphql::scalars::tehran())
        .date_naive()
        .to_string();
    let recent = app
        .query_as(
            &auditor,
            REQUEST_STATS,
            json!({ "filter": { "from": today, "to": today } }),
        )
        .await;
    // C was filed an hour ago: today in Tehran unless the test runs in the first hour of a day.
    let total = recent["data"]["requestStats"]["total"]
        .as_i64()
        .unwrap_or(-1);
    assert!(total == 1 || total == 0, "{recent}");
    let by_service = app
        .query_as(
            &auditor,
            REQUEST_STATS,
            json!({ "filter": { "service": "building_permit_new" } }),
        )
        .await;
    assert_eq!(by_service["data"]["requestStats"]["total"], 0);
}

#[tokio::test]
async fn the_sql_calendar_reads_every_legacy_spelling_of_a_day_as_the_gateway_does() {
    use shahr_domain::jalali::JalaliDate;
    let app = TestApp::spawn().await;
    let client = app.databases.urbanism.client().await;
    let mut texts = Vec::new();
    let mut expected = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2019, 3, 1).expect("a day");
    while day < chrono::NaiveDate::from_ymd_opt(2028, 4, 1).expect("a day") {
        let j = JalaliDate::from_gregorian(day).to_string();
        let persian: String = j
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .map_or(c, |d| char::from_u32(0x06F0 + d).unwrap_or(c))
            })
            .collect();
        let (y, rest) = j.split_at(5);
        let unpadded = format!("{y}{}", rest.replace("/0", "/").trim_start_matches('0'));
        for text in [
            j.clone(),
            persian,
            unpadded.replace('/', "-"),
            format!(" {j} "),
        ] {
            texts.push(text);
            expected.push(day);
        }
        day = day.succ_opt().expect("next day");
    }
    let rows = client
        .query(
            "SELECT t, shahr.jalali_to_date(t) FROM unnest($1::text[]) AS t",
            &[&texts],
        )
        .await
        .expect("converted");
    for (row, want) in rows.iter().zip(&expected) {
        let text: String = row.get(0);
        let got: Option<chrono::NaiveDate> = row.get(1);
        assert_eq!(got, Some(*want), "{text:?}");
    }
    for bad in [
        "1399/13/40",
        "1404/12/30",
        "1405/07/31",
        "1405/00/10",
        "x",
        "",
        "14050907",
    ] {
        let got: Option<chrono::NaiveDate> = client
            .query_one("SELECT shahr.jalali_to_date($1)", &[&bad])
            .await
            .expect("converted")
            .get(0);
        assert_eq!(got, None, "{bad:?} names no day");
    }
    let month: String = client
        .query_one("SELECT shahr.jalali_month('2026-11-28')", &[])
        .await
        .expect("month")
        .get(0);
    assert_eq!(month, "1405/09");
}
