//! The yearly tariff of fees as data: the row that fits the parcel sets the fee, and a year's
//! tariff is imported from the council's file with the real binary.

use serde_json::json;

use crate::{
    helpers::bank::Bank,
    payments::{app_with, payable_request, start},
    requests::CITIZEN_B,
};

#[tokio::test]
async fn the_years_tariff_prices_the_parcels_land_use_and_that_fee_is_what_is_charged() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    // Citizen B's parcel, recorded as commercial in the urbanism system: the 1405 tariff's
    // commercial row (5,000,000 + 400,000 rials per m² of its 180 m²), not the residential one.
    app.databases
        .urbanism
        .client()
        .await
        .execute(
            "UPDATE tbl_parvandeh SET karbari_kod = '02' WHERE id_parvandeh = 2",
            &[],
        )
        .await
        .expect("land use");
    let code = payable_request(&app).await;
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { state fee } }",
            json!({ "code": code }),
        )
        .await;
    assert_eq!(body["data"]["serviceRequest"]["fee"], "77000000", "{body}");
    let (order, started) = start(&app, &code, "commercial").await;
    assert_eq!(
        started["data"]["startPayment"]["payment"]["amount"],
        "77000000"
    );
    assert_eq!(
        bank.books().orders[&order].amount,
        77_000_000,
        "the fee seen is the fee charged"
    );
}

#[tokio::test]
async fn a_years_tariff_imported_from_a_file_prices_the_next_fee() {
    let bank = Bank::start().await;
    let app = app_with(&bank).await;
    let year = shahr_domain::jalali::JalaliDate::from_gregorian(crate::flow::today()).year();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("tariff.toml");
    std::fs::write(
        &file,
        format!(
            "year = {year}\nsource = \"مصوبه شورای اسلامی شهر\"\n\
             [[row]]\nservice = \"building_permit_new\"\ndistrict = 9\nfixed = 1000000\nper_m2 = 100000\n"
        ),
    )
    .expect("file");
    let run = |args: &[&str]| {
        crate::holidays::gateway(&app.databases.urbanism.url, &app.databases.citizen.url)
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let imported = run(&["tariff", "import", file.to_str().expect("path")]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let listed = String::from_utf8_lossy(&run(&["tariff", "list"]).stdout).into_owned();
    assert!(
        listed.contains(&format!("{year}\t1 rows\tمصوبه شورای اسلامی شهر")),
        "{listed}"
    );
    // District 9's own row now: 1,000,000 + 100,000 per m² of the parcel's 180 m².
    let code = payable_request(&app).await;
    let body = app
        .query_as(
            &app.citizen(CITIZEN_B),
            "query($code: String!) { serviceRequest(trackingCode: $code) { fee } }",
            json!({ "code": code }),
        )
        .await;
    assert_eq!(body["data"]["serviceRequest"]["fee"], "19000000", "{body}");
    // A file naming a service the catalogue lacks is refused whole.
    std::fs::write(
        &file,
        format!("year = {year}\nsource = \"x\"\n[[row]]\nservice = \"no_such_service\"\nfixed = 1\nper_m2 = 1\n"),
    )
    .expect("file");
    let refused = run(&["tariff", "import", file.to_str().expect("path")]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no service `no_such_service`"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let listed = String::from_utf8_lossy(&run(&["tariff", "list"]).stdout).into_owned();
    assert!(
        listed.contains(&format!("{year}\t1 rows")),
        "nothing changed: {listed}"
    );
}
