//! Uploads under hostile use: only those who attach documents upload, the bytes must be what
//! they claim, names are cleaned for display, each person has a quota, and what is never
//! attached expires.

use std::time::Duration;

use crate::{flow::eventually, helpers::TestApp};

const CITIZEN: &str = "1583250689";

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size, b'x');
    bytes
}

#[tokio::test]
async fn only_those_who_attach_documents_may_upload_and_the_bytes_must_be_what_they_claim() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .upload(Some(&app.staff(9)), "a.pdf", "application/pdf", pdf(100))
        .await;
    assert_eq!(status, 403, "staff attach nothing: {body}");
    // Refusals have the GraphQL errors' shape: code, message, a Persian message, the field.
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert!(
        body["errors"][0]["extensions"]["messageFa"].is_string(),
        "{body}"
    );
    let (status, body) = app.upload(None, "a.pdf", "application/pdf", pdf(100)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        body["errors"][0]["extensions"]["messageFa"],
        "برای بارگذاری مدرک وارد سامانه شوید."
    );
    let citizen = app.citizen(CITIZEN);
    for (what, content_type, bytes) in [
        (
            "text called a PDF",
            "application/pdf",
            b"just some text, no PDF".to_vec(),
        ),
        ("a PDF called a JPEG", "image/jpeg", pdf(100)),
        (
            "an HTML page called a PNG",
            "image/png",
            b"<html><script>alert(1)</script>".to_vec(),
        ),
    ] {
        let (status, body) = app.upload(Some(&citizen), "x", content_type, bytes).await;
        assert_eq!(status, 415, "{what}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{what}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{what}");
        assert!(
            body["errors"][0]["extensions"]["messageFa"]
                .as_str()
                .is_some_and(|m| m.contains("فایل")),
            "{what}: {body}"
        );
    }
    let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0u8; 60][..]].concat();
    let png = [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 60][..]].concat();
    for (content_type, bytes) in [
        ("image/jpeg", jpeg),
        ("image/png", png),
        ("application/pdf", pdf(80)),
    ] {
        let (status, body) = app.upload(Some(&citizen), "ok", content_type, bytes).await;
        assert_eq!(status, 201, "{content_type}: {body}");
    }
}

#[tokio::test]
async fn file_names_are_cleaned_for_display() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen(CITIZEN);
    for (sent, shown) in [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\نقشه.pdf", "نقشه.pdf"),
        ("a\u{202e}fdp.exe", "afdp.exe"),
        ("   ", "file"),
    ] {
        let (status, body) = app
            .upload(Some(&citizen), sent, "application/pdf", pdf(50))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["fileName"], shown, "{sent:?}");
    }
}

#[tokio::test]
async fn each_person_has_an_upload_quota() {
    let app = TestApp::builder()
        .configure(|c| c.upload_quota_bytes = 5000)
        .spawn()
        .await;
    let citizen = app.citizen(CITIZEN);
    let (status, _) = app
        .upload(Some(&citizen), "a.pdf", "application/pdf", pdf(3000))
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .upload(Some(&citizen), "b.pdf", "application/pdf", pdf(3000))
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "uploadQuota",
        "{body}"
    );
    let (status, _) = app
        .upload(
            Some(&app.citizen("3974017844")),
            "c.pdf",
            "application/pdf",
            pdf(3000),
        )
        .await;
    assert_eq!(status, 201, "another person's quota is their own");
    let kept: i64 = app
        .databases
        .citizen
        .client()
        .await
        .query_one("SELECT count(*) FROM shahr.uploads", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(kept, 2, "the refused upload left nothing behind");
}

#[tokio::test]
async fn an_upload_never_attached_expires_with_its_bytes() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().to_path_buf();
    let app = TestApp::builder()
        .configure(move |c| {
            c.upload_ttl = Duration::from_millis(500);
            c.upload_dir = Some(root);
        })
        .spawn()
        .await;
    let citizen = app.citizen(CITIZEN);
    let (status, body) = app
        .upload(Some(&citizen), "a.pdf", "application/pdf", pdf(100))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["uploadId"].as_str().expect("id").to_owned();
    let stored = dir.path().join(&id[..2]).join(&id);
    assert!(stored.exists(), "the bytes are on disk");
    eventually("the unattached upload expires", async || {
        let left: i64 = app
            .databases
            .citizen
            .client()
            .await
            .query_one("SELECT count(*) FROM shahr.uploads", &[])
            .await
            .expect("count")
            .get(0);
        left == 0 && !stored.exists()
    })
    .await;
}
