//! The judgment document (dadnameh) of an issued ruling: there the moment it is issued,
//! showing each item's outcome and the fine arithmetic in Persian, opened only by its people
//! through short-lived signed links; a Note 7 referral of the supervising engineer is shown.

use serde_json::{json, Value};

use crate::{
    flow::{ok, Session, OWNER},
    helpers::TestApp,
};

pub(crate) async fn document_url(app: &TestApp, token: &str, ruling: &str) -> Value {
    let body = app
        .query_as(
            token,
            "query($id: ID!) { ruling(id: $id) { documentUrl } }",
            json!({ "id": ruling }),
        )
        .await;
    body["data"]["ruling"]["documentUrl"].clone()
}

#[tokio::test]
async fn the_dadnameh_exists_the_moment_the_ruling_is_issued_and_only_its_people_can_open_it() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "doc").await;
    ok(&issued);
    let i = &issued["data"]["issueRuling"];
    let ruling = i["ruling"]["id"].as_str().expect("id").to_owned();
    let code = i["verificationCode"].as_str().expect("code").to_owned();

    // The owner gets a link at once; another citizen does not see the ruling at all.
    let url = document_url(&app, &app.citizen(OWNER), &ruling).await;
    let url = url
        .as_str()
        .expect("the owner gets a document link")
        .to_owned();
    assert!(
        url.contains("/documents/rulings/") && url.contains("sig="),
        "{url}"
    );
    assert!(document_url(&app, &app.citizen("1583250689"), &ruling)
        .await
        .is_null());
    assert!(
        document_url(&app, &s.staff, &ruling).await.is_string(),
        "staff of the district"
    );

    let response = app.client.get(&url).send().await.expect("document");
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    let html = response.text().await.expect("html");
    for part in [
        "dir=\"rtl\"",
        "@font-face",
        "۱/۰۵/۰۰۰۱",                              // the number, in Persian digits
        "۱۴۰۵/",                                  // a Jalali date
        "۶۰٫۰۰ مترمربع × ۰٫۷۵ × ۲۳٬۰۰۰٬۰۰۰ ریال", // the fine arithmetic, in Persian
        "۱٬۸۹۷٬۵۰۰٬۰۰۰ ریال",                     // the total
        "class=\"outcome\">جریمه",                // each item's outcome
        "class=\"kroki\"",
        "class=\"parcel\"",
        "class=\"north\"",
        "۱۰ روز از تاریخ ابلاغ",  // the objection rule
        "هنوز ابلاغ قانونی نشده", // not served yet
        "علی احمدی",             // the owner, letters normalised
        "فاطمه نوری",            // a signing member
    ] {
        assert!(html.contains(part), "{part} missing from the dadnameh");
    }
    let verify_target = format!("/verify/{code}\"");
    assert!(
        html.contains(&format!("data-verify-url=\"{}", app.url("")))
            && html.contains(&verify_target),
        "the QR code points to the verification page"
    );

    // The document's hash is part of what was signed.
    let client = app.databases.urbanism.client().await;
    let row = client
        .query_one(
            "SELECT r.content->>'documentHash', d.sha256 FROM shahr.issued_rulings r \
             JOIN shahr.ruling_documents d ON d.issued_ruling_id = r.id",
            &[],
        )
        .await
        .expect("document row");
    assert_eq!(
        row.get::<_, Option<String>>(0),
        Some(row.get::<_, String>(1))
    );

    // An altered link is refused.
    let forged = url.replace("sig=", "sig=00");
    assert_eq!(
        app.client.get(&forged).send().await.expect("sent").status(),
        403
    );
    let other = url.replace("/documents/rulings/", "/documents/rulings/1");
    assert_eq!(
        app.client.get(&other).send().await.expect("sent").status(),
        403
    );

    let font = app.get(shahr_gateway::documents::FONT_REGULAR_PATH).await;
    assert_eq!(font.status(), 200);
    assert_eq!(
        font.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("font/woff2")
    );
}

#[tokio::test]
async fn an_expired_document_link_is_refused() {
    let app = TestApp::builder()
        .configure(|c| c.document_link_ttl = std::time::Duration::ZERO)
        .spawn()
        .await;
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "doc").await;
    ok(&issued);
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = document_url(&app, &app.citizen(OWNER), &ruling).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app
        .client
        .get(url.as_str().expect("url"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 410);
}

#[tokio::test]
async fn a_ruling_may_refer_the_supervising_engineer_to_the_disciplinary_board_under_note_7() {
    let app = TestApp::spawn().await;
    let s = Session::new(&app);
    let session = s.to_session().await;
    let items = s.items().await;
    let referral = json!({ "name": "مهندس کاوه رضایی", "licenceNumber": "1-23-45678",
                           "finding": "گواهی خلاف واقع پایان کار" });
    let blank = s
        .draft(
            &s.secretary,
            json!({
                "session": session, "case": crate::flow::gid("ViolationCase", 7), "kind": "FINE",
                "text": "متن رأی",
                "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }],
                "engineerReferral": { "name": "مهندس کاوه رضایی", "finding": "  " },
            }),
        )
        .await;
    assert_eq!(
        crate::flow::field(&blank),
        "input.engineerReferral.finding",
        "{blank}"
    );
    let drafted = s
        .draft(&s.secretary, drafted_input(&session, &items, &referral))
        .await;
    ok(&drafted);
    let draft = crate::flow::id_at(&drafted, &["data", "draftRuling", "draft", "id"]);
    s.sign_all(
        1,
        [
            crate::flow::INTERIOR,
            crate::flow::JUDGE,
            crate::flow::COUNCIL,
        ],
        &draft,
    )
    .await;
    let issued = s.issue(&s.secretary, &draft, "note-7").await;
    ok(&issued);
    let ruling = crate::flow::id_at(&issued, &["data", "issueRuling", "ruling", "id"]);

    let body = app
        .query_as(
            &app.auditor(),
            "query($id: ID!) { ruling(id: $id) { engineerReferral { name licenceNumber finding } } }",
            json!({ "id": ruling }),
        )
        .await;
    assert_eq!(
        body["data"]["ruling"]["engineerReferral"], referral,
        "{body}"
    );
    let url = document_url(&app, &app.citizen(OWNER), &ruling).await;
    let html = app
        .client
        .get(url.as_str().expect("link"))
        .send()
        .await
        .expect("document")
        .text()
        .await
        .expect("html");
    for part in ["تبصره ۷", "مهندس کاوه رضایی", "گواهی خلاف واقع پایان کار"]
    {
        assert!(html.contains(part), "{part} missing from the dadnameh");
    }
}

fn drafted_input(session: &str, items: &[String], referral: &Value) -> Value {
    json!({
        "session": session, "case": crate::flow::gid("ViolationCase", 7), "kind": "FINE",
        "text": "مالک به پرداخت جریمه محکوم و مهندس ناظر به شورای انتظامی معرفی می‌شود.",
        "items": [{ "item": items[0], "coefficient": "0.75" }, { "item": items[1], "coefficient": "1.5" }],
        "engineerReferral": referral,
    })
}
