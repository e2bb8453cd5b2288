use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn districts_come_from_the_legacy_fixture_cleaned_and_ordered() {
    let app = TestApp::spawn().await;
    let body = app
        .query("{ districts { number name description isActive } }")
        .await;
    let districts = body["data"]["districts"].as_array().expect("a list");
    assert_eq!(districts.len(), 10, "Tabriz has ten districts: {body}");
    let numbers: Vec<i64> = districts
        .iter()
        .map(|d| d["number"].as_i64().expect("number"))
        .collect();
    assert_eq!(
        numbers,
        (1..=10).collect::<Vec<_>>(),
        "ordered by number, Persian digit codes read"
    );
    for d in districts {
        let name = d["name"].as_str().expect("name");
        assert!(
            !name.contains(['\u{064A}', '\u{0643}']),
            "Arabic yeh/kaf normalised: {name}"
        );
        assert!(
            !name.chars().any(|c| ('\u{06F0}'..='\u{06F9}').contains(&c)),
            "ASCII digits: {name}"
        );
    }
    assert_eq!(districts[0]["name"], "منطقه یک");
    assert_eq!(
        districts[9]["description"],
        json!(null),
        "nullable legacy column stays null"
    );
}

#[tokio::test]
async fn a_district_is_found_by_number_and_again_by_its_global_id() {
    let app = TestApp::spawn().await;
    let body = app
        .query("{ district(number: 9) { id number name } missing: district(number: 42) { id } }")
        .await;
    let district = &body["data"]["district"];
    assert_eq!(district["number"], 9);
    assert!(district["name"].as_str().expect("name").contains("خاوران"));
    assert_eq!(body["data"]["missing"], json!(null));
    let id = district["id"].as_str().expect("id");
    let again = app
        .query_with(
            "query($id: ID!) { node(id: $id) { id ... on District { number } } }",
            json!({ "id": id }),
            None,
        )
        .await;
    assert_eq!(again["data"]["node"]["number"], 9);
    assert_eq!(again["data"]["node"]["id"], id);
    let unknown = app
        .query_with(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": "bm9wZTox" }),
            None,
        )
        .await;
    assert_eq!(unknown["data"]["node"], json!(null));
}

#[tokio::test]
async fn the_district_list_is_served_from_memory_for_a_minute_after_each_read() {
    let app = TestApp::spawn().await;
    let first = app.query("{ districts { number name } }").await;
    assert_eq!(first["data"]["districts"][2]["name"], "منطقه سه", "{first}");
    let renamed = app
        .databases
        .urbanism
        .client()
        .await
        .execute(
            "UPDATE tbl_mantaghe SET onvan_mantaghe = 'منطقه سوم' WHERE id_mantaghe = (SELECT id_mantaghe FROM tbl_mantaghe WHERE onvan_mantaghe = 'منطقه سه')",
            &[],
        )
        .await
        .expect("rename");
    assert_eq!(renamed, 1);
    // Reference data: the list read a moment ago answers both the list and the lookup.
    let again = app
        .query("{ districts { number name } district(number: 3) { name } }")
        .await;
    assert_eq!(
        again["data"]["districts"], first["data"]["districts"],
        "{again}"
    );
    assert_eq!(again["data"]["district"]["name"], "منطقه سه", "{again}");
}
