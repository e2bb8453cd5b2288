//! Tokens from a real OpenID Connect provider: the certified `oidc-provider` package on Node
//! (`tests/oidc`, installed with `npm ci` on first use), found by discovery of its issuer. Its
//! signing key is rotated in the middle of the test, and the claims sit where a municipal
//! identity provider puts them (`realm_access.roles`, `nid`, `org.district`), named by
//! `[jwt_claims]`.

use std::{process::Stdio, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::{pkcs8::EncodePrivateKey, SigningKey};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shahr_gateway::{auth::ClaimNames, config::Profile};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::TestApp;

struct Provider {
    _child: tokio::process::Child,
    issuer: String,
    http: reqwest::Client,
}

impl Provider {
    async fn start() -> Provider {
        let dir = crate::helpers::node::package("oidc", "oidc-provider");
        let mut child = tokio::process::Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).lines().next_line(),
        )
        .await
        .expect("the provider starts within 30 s")
        .expect("reads")
        .expect("a line");
        let ready: Value = serde_json::from_str(&line).expect("json");
        Provider {
            _child: child,
            issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// An access token for a client app (client credentials grant).
    async fn token(&self, client: &str) -> String {
        let body: Value = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(client, Some(format!("{client}-secret")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=api")
            .send()
            .await
            .expect("token endpoint")
            .json()
            .await
            .expect("json");
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {body}"))
            .to_owned()
    }

    async fn control(&self, what: &str) -> Value {
        let request = if what == "stats" {
            self.http.get(format!("{}/test/stats", self.issuer))
        } else {
            self.http.post(format!("{}/test/{what}", self.issuer))
        };
        request
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("json")
    }

    async fn jwks_fetches(&self) -> u64 {
        self.control("stats").await["jwksFetches"]
            .as_u64()
            .expect("count")
    }
}

fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

async fn viewer(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .post_graphql(
            json!({ "query": "{ viewer { subject roles nationalId district commissionId } }" }),
            Some(token),
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// A token signed by someone else, naming a key the provider never had.
fn forged(app: &TestApp, issuer: &str, n: u8) -> String {
    let signing = SigningKey::from_bytes(&[n; 32]);
    let der = signing.to_pkcs8_der().expect("pkcs8");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(format!("made-up-{n}"));
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": "intruder", "iss": issuer, "aud": app.config.jwt_audience,
        "iat": now, "exp": now + 600, "realm_access": { "roles": ["admin"] }
    });
    encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).expect("jwt")
}

#[tokio::test]
async fn tokens_of_a_real_openid_provider_verify_across_a_key_rotation() {
    let provider = Provider::start().await;
    let issuer = provider.issuer.clone();
    let app = TestApp::builder()
        .configure(move |c| {
            c.profile = Profile::Prod;
            c.signing_key = Some(shahr_gateway::config::Secret::new(
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
            ));
            c.jwt_issuer = issuer;
            c.jwt_discovery = true;
            c.jwks_min_refresh = Duration::from_secs(1);
            c.jwt_claims = ClaimNames {
                roles: "realm_access.roles".into(),
                national_id: "nid".into(),
                district: "org.district".into(),
                commission: "org.commission".into(),
            };
        })
        .spawn()
        .await;
    // The keys were fetched once at start, through discovery.
    assert_eq!(provider.jwks_fetches().await, 1);

    let first = provider.token("secretary-app").await;
    let (status, body) = viewer(&app, &first).await;
    assert_eq!(status, 200, "{body}");
    let seen = &body["data"]["viewer"];
    assert_eq!(seen["subject"], "secretary-app");
    assert_eq!(
        seen["roles"],
        json!(["COMMISSION_SECRETARY"]),
        "unknown roles ignored"
    );
    assert_eq!(seen["nationalId"], "0076229645");
    assert_eq!(seen["district"], 9);
    assert_eq!(seen["commissionId"], 9);

    // The provider rotates: tokens are now signed with a key the gateway has not seen.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rotated = provider.control("rotate").await["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    let second = provider.token("auditor-app").await;
    assert_eq!(kid(&second), rotated);
    assert_ne!(kid(&second), kid(&first));
    let (status, body) = viewer(&app, &second).await;
    assert_eq!(
        status, 200,
        "the unknown kid made the gateway fetch the keys: {body}"
    );
    assert_eq!(body["data"]["viewer"]["roles"], json!(["AUDITOR"]));
    assert_eq!(provider.jwks_fetches().await, 2);
    // The previous key is still published, so tokens signed with it still work.
    assert_eq!(viewer(&app, &first).await.0, 200);

    // Made-up key ids are refused and cannot make the gateway hammer the provider.
    for n in 1..=20 {
        let (status, body) = viewer(&app, &forged(&app, &provider.issuer, n)).await;
        assert_eq!(status, 401, "{body}");
    }
    assert_eq!(
        provider.jwks_fetches().await,
        2,
        "no fetch within jwks_min_refresh"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for n in 21..=30 {
        assert_eq!(
            viewer(&app, &forged(&app, &provider.issuer, n)).await.0,
            401
        );
    }
    assert_eq!(
        provider.jwks_fetches().await,
        3,
        "at most one fetch per jwks_min_refresh"
    );
}
