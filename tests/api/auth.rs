//! Tokens: accepted, expired, forged, `alg=none`, absent; production keys from a JWKS file.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::{pkcs8::EncodePrivateKey, SigningKey};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shahr_gateway::{auth::Role, config::Profile};

use crate::helpers::TestApp;

const VIEWER: &str =
    "{ viewer { isAuthenticated subject roles roleLabels nationalId district expiresAt } }";

async fn viewer_status(app: &TestApp, authorization: Option<&str>) -> (u16, Option<String>, Value) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": VIEWER }));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let response = req.send().await.expect("sent");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (
        status,
        challenge,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn claims(app: &TestApp, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "citizen-1", "roles": ["citizen"], "national_id": "0076229645",
        "iss": app.config.jwt_issuer, "aud": app.config.jwt_audience,
        "iat": now, "exp": now + exp_offset,
    })
}

#[tokio::test]
async fn without_a_token_the_viewer_is_anonymous() {
    let app = TestApp::spawn().await;
    let (status, _, body) = viewer_status(&app, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"]["isAuthenticated"], false);
    assert_eq!(body["data"]["viewer"]["roles"], json!([]));
}

#[tokio::test]
async fn a_valid_development_token_identifies_the_viewer() {
    let app = TestApp::spawn().await;
    let token = app.token(
        &[Role::Citizen],
        Some("۰۰۷۶۲۲۹۶۴۵"),
        Duration::from_secs(600),
    );
    let (status, _, body) = viewer_status(&app, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 200, "{body}");
    let viewer = &body["data"]["viewer"];
    assert_eq!(viewer["isAuthenticated"], true);
    assert_eq!(viewer["roles"], json!(["CITIZEN"]));
    assert_eq!(viewer["roleLabels"], json!(["شهروند"]));
    assert_eq!(viewer["nationalId"], "0076229645", "canonical ASCII");
    assert_eq!(viewer["district"], 9);
    assert!(
        viewer["expiresAt"]
            .as_str()
            .expect("time")
            .ends_with("+03:30"),
        "{viewer}"
    );
}

#[tokio::test]
async fn expired_forged_and_unsigned_tokens_get_401_and_nothing_runs() {
    let app = TestApp::builder()
        .configure(|c| c.jwt_leeway = Duration::ZERO)
        .spawn()
        .await;
    let secret = app.config.dev_jwt_secret().expect("dev");
    let key = EncodingKey::from_secret(secret.expose().as_bytes()).expect("key");
    let expired = encode(&Header::new(Algorithm::HS256), &claims(&app, -60), &key).expect("jwt");
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &claims(&app, 600),
        &EncodingKey::from_secret(b"not-the-secret").expect("key"),
    )
    .expect("jwt");
    let mut wrong_audience = claims(&app, 600);
    wrong_audience["aud"] = json!("someone-else");
    let wrong_audience =
        encode(&Header::new(Algorithm::HS256), &wrong_audience, &key).expect("jwt");
    let mut early = claims(&app, 600);
    early["nbf"] = json!(chrono::Utc::now().timestamp() + 300);
    let not_yet = encode(&Header::new(Algorithm::HS256), &early, &key).expect("jwt");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(&app, 600).to_string())
    );
    for (what, header) in [
        ("expired", format!("Bearer {expired}")),
        ("wrong signature", format!("Bearer {forged}")),
        ("wrong audience", format!("Bearer {wrong_audience}")),
        (
            "not valid before five minutes from now",
            format!("Bearer {not_yet}"),
        ),
        ("alg=none", format!("Bearer {unsigned}")),
        ("not a JWT", "Bearer abc".to_owned()),
        ("not bearer", "Basic dXNlcjpwYXNz".to_owned()),
    ] {
        let (status, challenge, body) = viewer_status(&app, Some(&header)).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(
            challenge.expect("WWW-Authenticate").starts_with("Bearer"),
            "{what}"
        );
        assert!(body.get("data").is_none(), "{what}: nothing executed");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(
            body["errors"][0]["extensions"]["messageFa"]
                .as_str()
                .is_some_and(|m| m.contains("توکن")
                    || m.contains("نشست")
                    || m.contains("Authorization")),
            "{what}: the same error shape as GraphQL's: {body}"
        );
    }
}

#[tokio::test]
async fn production_accepts_identity_provider_tokens_and_refuses_development_ones() {
    let signing = SigningKey::from_bytes(&[7u8; 32]);
    let jwks = json!({ "keys": [{
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "idp-1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()),
    }]});
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).expect("write jwks");
    let path = jwks_path.clone();
    let app = TestApp::builder()
        .configure(move |c| {
            c.profile = Profile::Prod;
            c.signing_key = Some(shahr_gateway::config::Secret::new(
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            ));
            c.jwt_jwks_file = Some(path);
            c.jwt_issuer = "https://sso.example.ir".into();
        })
        .spawn()
        .await;

    let der = signing.to_pkcs8_der().expect("pkcs8");
    let key = EncodingKey::from_ed_der(der.as_bytes());
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("idp-1".into());
    let mut idp_claims = claims(&app, 600);
    idp_claims["aud"] = json!(["account", app.config.jwt_audience]);
    let token = encode(&header, &idp_claims, &key).expect("jwt");
    let (status, _, body) = viewer_status(&app, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["subject"], "citizen-1");

    let dev_config = shahr_gateway::Config::default();
    let dev = shahr_gateway::auth::mint_dev_token(
        &dev_config.dev_jwt_secret().expect("dev secret"),
        &app.config,
        vec![Role::Admin],
        None,
        None,
        Duration::from_secs(600),
    )
    .expect("token");
    let (status, _, _) = viewer_status(&app, Some(&format!("Bearer {dev}"))).await;
    assert_eq!(status, 401, "HS256 development tokens are refused in prod");
}
