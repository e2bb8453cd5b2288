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

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A URL for database `name` on the test server.
pub fn database_url(name: &str) -> String {
    let admin = admin_url();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database name");
    format!("{base}/{name}")
}

pub async fn admin_client() -> tokio_postgres::Client {
    let url = admin_url();
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url} (TEST_DATABASE_URL): {e}"));
    tokio::spawn(connection);
    client
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Urbanism,
    Citizen,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Urbanism => "urbanism",
            Kind::Citizen => "citizen",
        }
    }

    fn sets(self) -> Vec<MigrationSet> {
        match self {
            Kind::Urbanism => urbanism_migrations().to_vec(),
            Kind::Citizen => citizen_migrations().to_vec(),
        }
    }

    fn template_name(self) -> String {
        let mut hash = Sha256::new();
        for set in self.sets() {
            hash.update(set.name.as_bytes());
            hash.update(set.fingerprint().as_bytes());
        }
        if self == Kind::Urbanism {
            hash.update(shahr_fixtures::legacy::SCHEMA_SQL.as_bytes());
            hash.update(shahr_fixtures::legacy::REFERENCE_SQL.as_bytes());
            hash.update(shahr_fixtures::legacy::SAMPLES_SQL.as_bytes());
            for (_, year) in shahr_gateway::holidays::SHIPPED {
                hash.update(year.as_bytes());
            }
        }
        let digest = hex::encode(hash.finalize());
        format!("shahr_tpl_{}_{}", self.name(), &digest[..16])
    }
}

/// Creates (once per content version) the migrated template database of `kind`.
async fn ensure_template(kind: Kind) -> String {
    let name = kind.template_name();
    let admin = admin_client().await;
    let lock_key: i64 = 0x5348_5445_5354_0000 + kind as i64;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&lock_key])
        .await
        .expect("template lock");
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .expect("look up template")
        .is_some();
    if !exists {
        let building = format!("{name}_build");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .expect("drop stale template build");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("create template build");
        {
            let mut client = connect(&database_url(&building)).await;
            shahr_store::migrate::migrate(&mut client, &kind.sets(), |_, _| {})
                .await
                .expect("migrate template");
            if kind == Kind::Urbanism {
                shahr_fixtures::legacy::load(&mut client)
                    .await
                    .expect("load fixture into template");
                // The official holidays shipped with the gateway, as `seed` loads them.
                let tx = client.transaction().await.expect("holidays transaction");
                for year in shahr_gateway::holidays::shipped().expect("shipped holidays") {
                    shahr_urbanism::cases::holidays::write_year(&tx, &year, "test-template")
                        .await
                        .expect("holidays into template");
                }
                tx.commit().await.expect("commit holidays");
            }
        }
        // The build connection must be gone before the rename.
        admin
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{building}';
                 ALTER DATABASE {building} RENAME TO {name};"
            ))
            .await
            .expect("publish template");
    }
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&lock_key])
        .await
        .expect("template unlock");
    name
}

/// A database of one test, dropped when this is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(kind: Kind) -> Self {
        let template = ensure_template(kind).await;
        let name = format!(
            "shahr_test_{}_{}",
            kind.name(),
            uuid::Uuid::new_v4().simple()
        );
        let admin = admin_client().await;
        // Cloning fails while anyone else is connected to the template; retry briefly.
        let mut attempt = 0;
        loop {
            match admin
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await
            {
                Ok(()) => break,
                Err(e) if attempt < 50 => {
                    attempt += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot clone {template}: {e}"),
            }
        }
        Self {
            url: database_url(&name),
            name,
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        block_on_in_thread(async move {
            if let Ok((client, conn)) = tokio_postgres::connect(&admin_url(), NoTls).await {
                tokio::spawn(conn);
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        });
    }
}

/// Runs clean-up from `Drop`, which may run inside or outside a runtime: a thread of its own
/// with a runtime of its own, waited for.
fn block_on_in_thread(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(work);
        }
    })
    .join();
}

/// Shared databases for several instances of the gateway.
#[derive(Clone)]
pub struct SharedDatabases {
    pub urbanism: Arc<TestDatabase>,
    pub citizen: Arc<TestDatabase>,
}

impl SharedDatabases {
    pub async fn create() -> Self {
        Self {
            urbanism: Arc::new(TestDatabase::create(Kind::Urbanism).await),
            citizen: Arc::new(TestDatabase::create(Kind::Citizen).await),
        }
    }
}

/// A running gateway.
pub struct TestApp {
    pub address: String,
    pub port: u16,
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

/// A gateway running as its own operating-system process (`shahr-gateway serve`), configured
/// through its environment as an operator would.
pub struct GatewayProcess {
    pub port: u16,
    child: std::process::Child,
    redis_prefix: String,
}

impl GatewayProcess {
    /// Starts one on `databases` and the test Redis under `redis_prefix`; waits until ready.
    pub async fn start(databases: &SharedDatabases, redis_prefix: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shahr-gateway"));
        // Only what this test sets: nothing inherited from the caller's gateway settings.
        for (key, _) in std::env::vars() {
            if key.starts_with("SHAHR_") {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("SHAHR_LISTEN", format!("127.0.0.1:{port}"))
            .env("SHAHR_URBANISM_DATABASE_URL", &databases.urbanism.url)
            .env("SHAHR_CITIZEN_DATABASE_URL", &databases.citizen.url)
            .env("SHAHR_REDIS_URL", redis_url())
            .env("SHAHR_REDIS_KEY_PREFIX", redis_prefix)
            .env("SHAHR_RELAY_POLL_INTERVAL", "200ms")
            .env("SHAHR_DB_POOL_SIZE", "4")
            .env("SHAHR_SHUTDOWN_GRACE", "2s")
            .env("SHAHR_LOG_FILTER", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("shahr-gateway starts");
        let process = Self {
            port,
            child,
            redis_prefix: redis_prefix.to_owned(),
        };
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ready = client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return process;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the gateway process on port {port} did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM, as an orchestrator does before it removes an instance.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM delivered");
    }

    /// Waits for the process to exit; its exit status.
    pub async fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("process status") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the gateway process did not exit"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        delete_redis_keys(&self.redis_prefix);
    }
}

impl TestApp {
    /// A handle on a gateway running elsewhere (another process) on `databases`: requests,
    /// sockets and development tokens as for an instance of this test's own.
    pub fn attach(databases: SharedDatabases, port: u16) -> TestApp {
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
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

/// A WebSocket client that speaks JSON messages.
pub struct WsClient {
    socket: Socket,
}

/// What arrives next on a socket.
#[derive(Debug)]
pub enum WsEvent {
    Json(Value),
    Closed(u16, String),
}

impl WsClient {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next JSON message or close frame, or `None` when nothing arrives within `within`.
    pub async fn try_next_event(&mut self, within: Duration) -> Option<WsEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = tokio::time::timeout(left, self.socket.next()).await.ok()?;
            return Some(match message {
                Some(Ok(Message::Text(text))) => {
                    WsEvent::Json(serde_json::from_str(&text).expect("JSON message"))
                }
                Some(Ok(Message::Close(frame))) => match frame {
                    Some(f) => WsEvent::Closed(u16::from(f.code), f.reason.to_string()),
                    None => WsEvent::Closed(1005, String::new()),
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => WsEvent::Closed(1006, e.to_string()),
                None => WsEvent::Closed(1006, "stream ended".into()),
            });
        }
    }

    /// The next JSON message or close frame, failing the test after `within`.
    pub async fn next_event(&mut self, within: Duration) -> WsEvent {
        loop {
            let message = tokio::time::timeout(within, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("nothing arrived within {within:?}"));
            match message {
                Some(Ok(Message::Text(text))) => {
                    return WsEvent::Json(serde_json::from_str(&text).expect("JSON message"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) => WsEvent::Closed(u16::from(f.code), f.reason.to_string()),
                        None => WsEvent::Closed(1005, String::new()),
                    }
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return WsEvent::Closed(1006, e.to_string()),
                None => return WsEvent::Closed(1006, "stream ended".into()),
            }
        }
    }

    /// The next JSON message, skipping legacy keep-alives.
    pub async fn next_json(&mut self, within: Duration) -> Value {
        loop {
            match self.next_event(within).await {
                WsEvent::Json(v) if v["type"] == "ka" => continue,
                WsEvent::Json(v) => return v,
                WsEvent::Closed(code, reason) => {
                    panic!("socket closed ({code} {reason}) while a message was expected")
                }
            }
        }
    }

    /// Waits for the server to close the socket; returns the close code and reason.
    pub async fn expect_close(&mut self, within: Duration) -> (u16, String) {
        loop {
            match self.next_event(within).await {
                WsEvent::Closed(code, reason) => return (code, reason),
                WsEvent::Json(_) => continue,
            }
        }
    }

    /// Sends `connection_init` with an optional token and expects the ack.
    pub async fn init(&mut self, token: Option<&str>) {
        let payload = match token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.next_json(Duration::from_secs(5)).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }
}
