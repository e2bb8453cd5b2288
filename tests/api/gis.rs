//! Location sketches from the city's GIS service (a real local HTTP server standing in for
//! it), and the fallback to the legacy geometry when it does not answer in time.

use std::time::Duration;

use poem::Route;
use serde_json::json;

use crate::{
    dadnameh::document_url,
    flow::{ok, Session, OWNER},
    helpers::TestApp,
};

async fn fake_gis(delay: Duration) -> String {
    let app = Route::new().at(
        "/parcels/:code/surroundings",
        poem::get(poem::endpoint::make(move |req: poem::Request| async move {
            tokio::time::sleep(delay).await;
            assert_eq!(req.header("authorization"), Some("Bearer gis-token"));
            if !req.uri().path().contains("1-2-45-28-666-0-0") {
                return poem::Response::builder()
                    .status(poem::http::StatusCode::NOT_FOUND)
                    .finish();
            }
            poem::Response::builder().content_type("application/json").body(
                json!({
                    "parcel": [[46.2912, 38.0801], [46.2915, 38.0801], [46.2915, 38.0798], [46.2912, 38.0798], [46.2912, 38.0801]],
                    "neighbours": [[[46.2916, 38.0801], [46.2919, 38.0801], [46.2919, 38.0798], [46.2916, 38.0798]]],
                    "street": { "name": "بلوار آزمایشی", "line": [[46.2905, 38.07965], [46.2925, 38.07965]] },
                })
                .to_string(),
            )
        })),
    );
    crate::helpers::serve_upstream(app).await
}

async fn dadnameh(app: &TestApp) -> String {
    let s = Session::new(app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "gis").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = document_url(app, &app.citizen(OWNER), &ruling).await;
    app.client
        .get(url.as_str().expect("url"))
        .send()
        .await
        .expect("document")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn the_kroki_draws_the_street_and_neighbours_the_gis_service_gives() {
    let gis = fake_gis(Duration::ZERO).await;
    let app = TestApp::builder()
        .configure(move |c| {
            c.gis_base_url = Some(gis);
            c.gis_token = Some(shahr_gateway::config::Secret::new("gis-token"));
        })
        .spawn()
        .await;
    let html = dadnameh(&app).await;
    assert!(html.contains("بلوار آزمایشی"), "the GIS street name");
    assert!(
        !html.contains("جانمایی تقریبی"),
        "the street is drawn, not guessed"
    );
    assert!(html.contains("class=\"neighbour\""));
}

#[tokio::test]
async fn a_gis_service_that_does_not_answer_in_time_leaves_the_sketch_to_the_legacy_geometry() {
    let gis = fake_gis(Duration::from_secs(5)).await;
    let app = TestApp::builder()
        .configure(move |c| {
            c.gis_base_url = Some(gis);
            c.gis_token = Some(shahr_gateway::config::Secret::new("gis-token"));
            c.gis_timeout = Duration::from_millis(300);
        })
        .spawn()
        .await;
    let html = dadnameh(&app).await;
    assert!(
        html.contains("class=\"parcel\""),
        "drawn from the legacy outline"
    );
    assert!(
        html.contains(">خیابان امام</text>") && html.contains("جانمایی معبر تقریبی است"),
        "the street guessed from the address, and the legend says so"
    );
}
