//! The secretariat's and staff's work lists: `violationCases` filtered by district, commission,
//! state and referral day, and a commission's agenda by session day.

use serde_json::{json, Value};

use crate::{
    flow::{gid, ok, today, Session},
    helpers::TestApp,
};

const LIST: &str = "query($filter: ViolationCaseFilterInput, $first: Int, $after: String) {
    violationCases(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } }";

fn ids(body: &Value) -> Vec<String> {
    body["data"]["violationCases"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn staff_find_a_referred_case_by_state_commission_and_referral_day() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let case7 = gid("ViolationCase", 7);
    let list = |token: String, filter: Value| {
        let app = &app;
        async move {
            app.query_as(&token, LIST, json!({ "filter": filter }))
                .await
        }
    };
    let before = list(s.staff.clone(), json!({ "status": "REFERRED" })).await;
    assert!(!ids(&before).contains(&case7), "{before}");

    ok(&s.refer(&s.staff).await);
    let day = today().to_string();
    let yesterday = (today() - chrono::Duration::days(1)).to_string();
    for filter in [
        json!({ "status": "REFERRED" }),
        json!({ "status": ["REFERRED", "ASSIGNED"], "district": 1 }),
        json!({ "referredFrom": day, "referredTo": day }),
        json!({ "referredFrom": day, "status": "REFERRED" }),
    ] {
        let body = list(s.staff.clone(), filter.clone()).await;
        assert_eq!(ids(&body), vec![case7.clone()], "{filter}: {body}");
        assert_eq!(body["data"]["violationCases"]["totalCount"], 1);
    }
    for filter in [
        json!({ "referredTo": yesterday }),
        json!({ "status": "DETECTED", "referredFrom": day }),
        json!({ "district": 9, "status": "REFERRED" }),
    ] {
        let body = list(app.auditor(), filter.clone()).await;
        assert_eq!(ids(&body), Vec::<String>::new(), "{filter}: {body}");
    }
    // Staff of another district see nothing of district 1, filtered or not.
    let other = list(app.staff(9), json!({ "district": 1 })).await;
    assert_eq!(other["data"]["violationCases"]["totalCount"], 0, "{other}");

    // Once assigned to commission 1, its secretary finds it by commission and state.
    ok(&s.schedule(&s.secretary, 1, 20).await);
    let body = list(
        s.secretary.clone(),
        json!({ "commission": gid("Commission", 1), "status": ["ASSIGNED", "DEFENCE_WINDOW"] }),
    )
    .await;
    assert_eq!(ids(&body), vec![case7.clone()], "{body}");
}

#[tokio::test]
async fn the_case_list_pages_newest_first_and_names_a_bad_filter() {
    let app = TestApp::spawn().await;
    let auditor = app.auditor();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .query_as(&auditor, LIST, json!({ "first": 3, "after": after }))
            .await;
        seen.extend(ids(&body));
        let info = &body["data"]["violationCases"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (1..=7).rev().map(|n| gid("ViolationCase", n)).collect();
    assert_eq!(seen, expected);

    let bad = app
        .query_as(
            &auditor,
            LIST,
            json!({ "filter": { "referredFrom": "2026-05-02", "referredTo": "2026-05-01" } }),
        )
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
    assert_eq!(bad["errors"][0]["extensions"]["field"], "filter.referredTo");
}

#[tokio::test]
async fn a_commission_agenda_lists_its_cases_by_session_day() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    ok(&s.refer(&s.staff).await);
    ok(&s.schedule(&s.secretary, 1, 20).await);
    let on = (today() + chrono::Duration::days(20)).to_string();
    let agenda = "query($c: ID!, $from: Date!, $to: Date) {
        commissionAgenda(commission: $c, from: $from, to: $to) { id sessionOn status } }";
    let body = app
        .query_as(
            &s.secretary,
            agenda,
            json!({ "c": gid("Commission", 1), "from": today().to_string(),
                    "to": (today() + chrono::Duration::days(30)).to_string() }),
        )
        .await;
    let cases = body["data"]["commissionAgenda"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let case7: Vec<&Value> = cases
        .iter()
        .filter(|c| c["id"] == gid("ViolationCase", 7))
        .collect();
    assert_eq!(case7.len(), 1, "{body}");
    assert_eq!(case7[0]["sessionOn"], on);
    let days: Vec<&str> = cases
        .iter()
        .filter_map(|c| c["sessionOn"].as_str())
        .collect();
    let mut sorted = days.clone();
    sorted.sort_unstable();
    assert_eq!(days, sorted, "by session day");

    // The day itself, and a day without it.
    let that_day = app
        .query_as(
            &s.secretary,
            agenda,
            json!({ "c": gid("Commission", 1), "from": on }),
        )
        .await;
    assert_eq!(
        that_day["data"]["commissionAgenda"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{that_day}"
    );
    let other_commission = app
        .query_as(
            &s.secretary,
            agenda,
            json!({ "c": gid("Commission", 2), "from": on }),
        )
        .await;
    assert_eq!(
        other_commission["data"]["commissionAgenda"],
        json!([]),
        "{other_commission}"
    );

    let too_long = app
        .query_as(
            &s.secretary,
            agenda,
            json!({ "c": gid("Commission", 1), "from": "2026-01-01", "to": "2026-12-31" }),
        )
        .await;
    assert_eq!(
        too_long["errors"][0]["extensions"]["field"], "to",
        "{too_long}"
    );
}
