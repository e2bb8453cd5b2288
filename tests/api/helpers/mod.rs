//! The test harness: each test gets the real application on port 0, its own databases
//! (cloned from migrated templates, dropped afterwards) and its own Redis key prefix.
//!
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`) point at the services. A test that
//! cannot reach them fails loudly.

use std::{sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shahr_domain::identifiers::NationalId;
use shahr_gateway::{
    auth::{mint_dev_token, Role},
    config::Config,
    database::{citizen_migrations, urbanism_migrations},
    events::{relay::RelayRole, EventBus, Source},
    Application,
};
use shahr_store::migrate::MigrationSet;
use tokio::sync::watch;
use tokio_postgres::NoTls;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
use tokio_util::sync::CancellationToken;

pub mod bank;
mod databases;
pub(crate) mod node;
mod process;
pub(crate) mod python;
mod ws;

pub use databases::*;
pub use process::*;
pub use ws::*;

/// A running gateway.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The separate `/metrics` listener's port, when `metrics_listen` is set.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub config: Config,
    pub databases: SharedDatabases,
    pub bus: Arc<dyn EventBus>,
    pub shutdown: CancellationToken,
    pub relay_roles: Vec<(Source, watch::Receiver<RelayRole>)>,
    pub redis_prefix: String,
    task: Option<tokio::task::JoinHandle<()>>,
    _uploads: tempfile::TempDir,
}

type ConfigEdit = Box<dyn FnOnce(&mut Config)>;

#[derive(Default)]
pub struct TestAppBuilder {
    databases: Option<SharedDatabases>,
    configure: Vec<ConfigEdit>,
    no_redis: bool,
}

impl TestAppBuilder {
    /// Uses these databases instead of fresh ones (several instances on one database).
    pub fn databases(mut self, databases: SharedDatabases) -> Self {
        self.databases = Some(databases);
        self
    }

    /// Adjusts the configuration before the application is built.
    pub fn configure(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Runs without Redis.
    pub fn without_redis(mut self) -> Self {
        self.no_redis = true;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let databases = match self.databases {
            Some(d) => d,
            None => SharedDatabases::create().await,
        };
        let redis_prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
        let uploads = tempfile::tempdir().expect("upload dir");
        if !self.no_redis {
            assert_redis_reachable().await;
        }
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            urbanism_database_url: Some(shahr_gateway::config::Secret::new(
                databases.urbanism.url.clone(),
            )),
            citizen_database_url: Some(shahr_gateway::config::Secret::new(
                databases.citizen.url.clone(),
            )),
            redis_url: (!self.no_redis).then(|| shahr_gateway::config::Secret::new(redis_url())),
            redis_key_prefix: redis_prefix.clone(),
            db_pool_size: 4,
            server_time_interval: Duration::from_millis(200),
            relay_poll_interval: Duration::from_millis(200),
            finality_interval: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(2),
            upload_dir: Some(uploads.path().to_owned()),
            ..Config::default()
        };
        for f in self.configure {
            f(&mut config);
        }
        let app = Application::build(config.clone())
            .await
            .expect("the application builds");
        let port = app.port();
        let metrics_port = app.metrics_port();
        let shutdown = app.shutdown_token();
        let bus = app.event_bus();
        let relay_roles = vec![
            (Source::Urbanism, app.relay_role(Source::Urbanism)),
            (Source::Citizen, app.relay_role(Source::Citizen)),
        ];
        let task = tokio::spawn(async move {
            app.run_until_stopped().await.expect("the application runs");
        });
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            metrics_port,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("http client"),
            config,
            databases,
            bus,
            shutdown,
            relay_roles,
            redis_prefix,
            task: Some(task),
            _uploads: uploads,
        }
    }
}

async fn assert_redis_reachable() {
    let url = redis_url();
    let client = redis::Client::open(url.as_str()).expect("TEST_REDIS_URL is a Redis URL");
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .unwrap_or_else(|_| panic!("Redis at {url} (TEST_REDIS_URL) did not answer"))
    .unwrap_or_else(|e| panic!("cannot reach Redis at {url} (TEST_REDIS_URL): {e}"));
    let pong: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .expect("Redis answers PING");
    assert_eq!(pong, "PONG");
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// Stops the instance gracefully and waits for it.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Uploads `bytes` as `content_type` with `token`; returns the status and JSON body.
    pub async fn upload(
        &self,
        token: Option<&str>,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut req = self.client.post(self.url("/uploads")).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let response = req.send().await.expect("sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A plain GET of `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs a GraphQL request with `Accept: application/graphql-response+json`.
    pub async fn post_graphql(&self, body: Value, token: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .header("accept", GRAPHQL_RESPONSE)
            .json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    /// Runs a query that must answer 200, returning the body.
    pub async fn query(&self, query: &str) -> Value {
        self.query_with(query, json!({}), None).await
    }

    pub async fn query_with(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let response = self
            .post_graphql(json!({ "query": query, "variables": variables }), token)
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 200, "unexpected status; body: {body}");
        body
    }

    /// A development token for this instance (district 9 for staff roles).
    pub fn token(&self, roles: &[Role], national_id: Option<&str>, ttl: Duration) -> String {
        self.token_for(roles, national_id, Some(9), ttl)
    }

    /// A development token with an explicit district.
    pub fn token_for(
        &self,
        roles: &[Role],
        national_id: Option<&str>,
        district: Option<i16>,
        ttl: Duration,
    ) -> String {
        mint_dev_token(
            &self.config.dev_jwt_secret().expect("dev profile"),
            &self.config,
            roles.to_vec(),
            national_id.map(|n| NationalId::parse(n).expect("valid national id")),
            district,
            ttl,
        )
        .expect("token minted")
    }

    /// A one-hour token of a citizen with this national id.
    pub fn citizen(&self, national_id: &str) -> String {
        self.token_for(
            &[Role::Citizen],
            Some(national_id),
            None,
            Duration::from_secs(3600),
        )
    }

    /// A one-hour token of urbanism staff of `district`.
    pub fn staff(&self, district: i16) -> String {
        self.token_for(
            &[Role::UrbanismStaff],
            None,
            Some(district),
            Duration::from_secs(3600),
        )
    }

    /// A one-hour token of someone sitting on `commission` (secretary or member), with the
    /// district the commission serves for reading its cases.
    pub fn commission_token(
        &self,
        role: Role,
        commission: i32,
        national_id: Option<&str>,
        district: Option<i16>,
    ) -> String {
        shahr_gateway::auth::mint_dev_token_with(
            &self.config.dev_jwt_secret().expect("dev profile"),
            &self.config,
            shahr_gateway::auth::DevClaims {
                roles: vec![role],
                national_id: national_id.map(|n| NationalId::parse(n).expect("valid national id")),
                district,
                commission_id: Some(commission),
                ttl: Duration::from_secs(3600),
            },
        )
        .expect("token minted")
    }

    /// A one-hour auditor token (sees everything).
    pub fn auditor(&self) -> String {
        self.token_for(&[Role::Auditor], None, None, Duration::from_secs(3600))
    }

    /// Runs a query as `token`; the response must be 200.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.query_with(query, variables, Some(token)).await
    }

    /// The value of a counter or gauge line in `/metrics` (0 when absent).
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .get("/metrics")
            .await
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    pub fn relay_role(&self, source: Source) -> RelayRole {
        *self
            .relay_roles
            .iter()
            .find(|(s, _)| *s == source)
            .expect("relay")
            .1
            .borrow()
    }

    /// Waits until the relay of `source` has role `role`.
    pub async fn wait_for_relay(&self, source: Source, role: RelayRole, within: Duration) {
        let mut rx = self
            .relay_roles
            .iter()
            .find(|(s, _)| *s == source)
            .expect("relay")
            .1
            .clone();
        tokio::time::timeout(within, rx.wait_for(|r| *r == role))
            .await
            .unwrap_or_else(|_| panic!("relay {source} did not become {role:?} within {within:?}"))
            .expect("relay watch open");
    }

    /// Opens a WebSocket on `/graphql` speaking `protocol`.
    pub async fn websocket(&self, protocol: &str) -> WsClient {
        let mut request = format!("ws://127.0.0.1:{}/graphql", self.port)
            .into_client_request()
            .expect("ws request");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().expect("header"));
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some(protocol),
            "the server picked the offered subprotocol"
        );
        WsClient { socket }
    }

    /// Opens a `graphql-transport-ws` socket whose receive buffer is as small as the kernel
    /// allows, so that a client that stops reading soon holds the server back.
    pub async fn websocket_with_small_receive_buffer(&self) -> WsClient {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let stream = socket
            .connect(([127, 0, 0, 1], self.port).into())
            .await
            .expect("connects");
        let mut request = format!("ws://127.0.0.1:{}/graphql", self.port)
            .into_client_request()
            .expect("ws request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (socket, _) = tokio_tungstenite::client_async(
            request,
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        )
        .await
        .expect("websocket handshake");
        WsClient { socket }
    }
}

impl TestApp {
    /// A handle on a gateway running elsewhere (another process) on `databases`: requests,
    /// sockets and development tokens as for an instance of this test's own.
    pub fn attach(databases: SharedDatabases, port: u16) -> TestApp {
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            metrics_port: None,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("http client"),
            config: Config::default(),
            databases,
            bus: Arc::new(shahr_gateway::events::InProcessBus::new(1)),
            shutdown: CancellationToken::new(),
            relay_roles: Vec::new(),
            redis_prefix: String::new(),
            task: None,
            _uploads: tempfile::tempdir().expect("upload dir"),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if self.config.redis_url.is_some() && !self.redis_prefix.is_empty() {
            delete_redis_keys(&self.redis_prefix);
        }
    }
}

/// Removes every key under this test's prefix.
fn delete_redis_keys(prefix: &str) {
    let pattern = format!("{prefix}*");
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    block_on_in_thread(async move {
        {
            let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                return;
            };
            let mut cursor: u64 = 0;
            loop {
                let Ok((next, keys)): redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await
                else {
                    return;
                };
                if !keys.is_empty() {
                    let _: redis::RedisResult<()> =
                        redis::cmd("DEL").arg(&keys).query_async(&mut conn).await;
                }
                if next == 0 {
                    return;
                }
                cursor = next;
            }
        }
    });
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Serves `app` (a stand-in for an upstream system) on a free loopback port for the rest of
/// the test; its base URL (`http://127.0.0.1:PORT`).
pub(crate) async fn serve_upstream(app: impl poem::Endpoint + 'static) -> String {
    use poem::listener::{Acceptor, Listener};
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().map(|s| s.port()))
        .expect("port");
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    format!("http://127.0.0.1:{port}")
}
