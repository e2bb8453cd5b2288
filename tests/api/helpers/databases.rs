//! Test databases: cloned from migrated templates, dropped afterwards.

use super::*;

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
pub(crate) async fn ensure_template(kind: Kind) -> String {
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
pub(crate) fn block_on_in_thread(work: impl std::future::Future<Output = ()> + Send + 'static) {
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
