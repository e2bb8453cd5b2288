//! The digital hologram: issued-ruling records are immutable, and `/verify/{code}` catches a
//! changed byte in the record or in the legacy row.

use serde_json::Value;
use shahr_gateway::hologram;
use shahr_urbanism::issued;

use crate::helpers::TestApp;

/// Seals the sample ruling `legacy_id` as the issuing flow does; returns the code.
async fn seal(app: &TestApp, legacy_id: i32, supersedes: Option<i64>) -> (String, i64) {
    let keyring = app.config.keyring().expect("keyring");
    let mut client = app.databases.urbanism.client().await;
    let tx = client.transaction().await.expect("tx");
    let legacy = issued::legacy_row(&tx, legacy_id)
        .await
        .expect("read")
        .expect("row");
    let number = legacy["number"].as_str().expect("number").to_owned();
    let case_id = legacy["caseId"].as_i64().expect("case") as i32;
    let content = hologram::content(
        legacy,
        "کمیسیون ماده صد بدوی منطقه 1",
        "2026-11-06T10:00:00+03:30",
    );
    let record = hologram::seal(
        &keyring,
        hologram::ToSeal {
            legacy_ruling_id: legacy_id,
            case_id,
            number: &number,
            content,
            issued_by: "dev:secretary",
            idempotency_key: None,
            supersedes,
        },
    );
    let id = issued::record(&tx, &record).await.expect("record");
    tx.commit().await.expect("commit");
    (record.verification_code, id)
}

async fn verdict(app: &TestApp, code: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_genuine_ruling_verifies_and_shows_no_personal_data() {
    let app = TestApp::spawn().await;
    let (code, _) = seal(&app, 1, None).await;
    let (status, body) = verdict(&app, &code).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "valid", "{body}");
    assert_eq!(body["number"], "1/05/0101");
    assert_eq!(
        body["dateJalali"], "۱۴۰۵/۰۸/۱۵",
        "as the legacy row holds it"
    );
    assert_eq!(body["contentHash"].as_str().map(str::len), Some(64));
    let text = body.to_string();
    for personal in ["0076229645", "احمدی", "احمدي", "09121234567"] {
        assert!(!text.contains(personal), "{personal} leaked: {text}");
    }
    let html = app
        .get(&format!("/verify/{code}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("معتبر") && html.contains("dir=\"rtl\""),
        "{html}"
    );
    assert_eq!(verdict(&app, "NOSUCHCODE0000000000").await.0, 404);
    assert_eq!(verdict(&app, "bad%20code").await.0, 404);
}

#[tokio::test]
async fn a_changed_legacy_row_makes_the_ruling_invalid() {
    let app = TestApp::spawn().await;
    let (code, _) = seal(&app, 1, None).await;
    let client = app.databases.urbanism.client().await;
    client
        .execute(
            "UPDATE tbl_ray SET mablagh_jarimeh = mablagh_jarimeh - 1 WHERE id_ray = 1",
            &[],
        )
        .await
        .expect("tamper");
    assert_eq!(verdict(&app, &code).await.1["status"], "invalid");
}

#[tokio::test]
async fn the_record_is_immutable_and_a_forced_change_makes_it_invalid() {
    let app = TestApp::spawn().await;
    let (code, id) = seal(&app, 1, None).await;
    let client = app.databases.urbanism.client().await;
    for statement in [
        "UPDATE shahr.issued_rulings SET number = 'X' WHERE id = $1",
        "DELETE FROM shahr.issued_rulings WHERE id = $1",
    ] {
        let err = client
            .execute(statement, &[&id])
            .await
            .expect_err(statement);
        assert!(format!("{err:?}").contains("append-only"), "{err:?}");
    }
    client
        .batch_execute(&format!(
            "ALTER TABLE shahr.issued_rulings DISABLE TRIGGER issued_rulings_append_only;
             UPDATE shahr.issued_rulings SET content = jsonb_set(content, '{{legacy,fineRials}}', '\"1\"') WHERE id = {id};
             ALTER TABLE shahr.issued_rulings ENABLE TRIGGER issued_rulings_append_only;"
        ))
        .await
        .expect("forced change");
    assert_eq!(verdict(&app, &code).await.1["status"], "invalid");
}

#[tokio::test]
async fn an_appeal_record_supersedes_the_primary_one() {
    let app = TestApp::spawn().await;
    let (primary, id) = seal(&app, 2, None).await;
    let (appeal, _) = seal(&app, 3, Some(id)).await;
    assert_eq!(verdict(&app, &primary).await.1["status"], "superseded");
    assert_eq!(verdict(&app, &appeal).await.1["status"], "valid");
}
