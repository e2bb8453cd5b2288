//! Where the databases are and getting them ready: configured URLs or the embedded cluster;
//! migrations of our `shahr` schema; the development fixture.

use std::time::Duration;

use anyhow::Context;
use shahr_store::{
    migrate::{self, MigrationSet},
    PgSettings,
};
use tokio_postgres::NoTls;

use crate::{config::Config, embedded::EmbeddedPostgres};

/// Database names inside the embedded cluster.
pub const EMBEDDED_URBANISM_DB: &str = "shahr_urbanism";
/// Database names inside the embedded cluster.
pub const EMBEDDED_CITIZEN_DB: &str = "shahr_citizen";

/// The migration sets of the urbanism database (only our `shahr` schema).
pub fn urbanism_migrations() -> [MigrationSet; 2] {
    [migrate::COMMON, shahr_urbanism::MIGRATIONS]
}

/// The migration sets of the citizen database.
pub fn citizen_migrations() -> [MigrationSet; 2] {
    [migrate::COMMON, shahr_citizen::MIGRATIONS]
}

/// What `seed` does.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedOptions {
    /// Drop the fixture's tables first.
    pub reset: bool,
    /// Add a generated city of this scale (1.0 is about 20,000 parcels).
    pub scale: Option<f64>,
    /// Seed of the generator: the same seed gives the same city.
    pub seed: u64,
}

/// The scale of the city the embedded default generates on first start.
pub const EMBEDDED_CITY_SCALE: f64 = 0.1;

/// The two databases, and the embedded cluster when it serves them.
pub struct Databases {
    /// The urbanism database.
    pub urbanism: PgSettings,
    /// The citizen database.
    pub citizen: PgSettings,
    /// The embedded cluster, stopped when this is dropped.
    pub embedded: Option<EmbeddedPostgres>,
}

fn settings(config: &Config, url: String) -> PgSettings {
    PgSettings {
        url,
        application_name: "shahr-gateway".into(),
        max_connections: config.db_pool_size,
        connect_timeout: config.db_connect_timeout,
        checkout_timeout: config.db_checkout_timeout,
        statement_timeout: config.db_statement_timeout,
    }
}

impl Databases {
    /// Uses the configured URLs, or starts the embedded cluster, creating, migrating and
    /// seeding its databases on first start.
    pub async fn resolve(config: &Config) -> anyhow::Result<Self> {
        if let (Some(u), Some(c)) = (&config.urbanism_database_url, &config.citizen_database_url) {
            let databases = Self {
                urbanism: settings(config, u.expose().to_owned()),
                citizen: settings(config, c.expose().to_owned()),
                embedded: None,
            };
            return Ok(databases);
        }
        let cluster =
            EmbeddedPostgres::start(config.data_dir.clone(), config.postgres_bin_dir.as_deref())
                .await?;
        println!(
            "embedded PostgreSQL: data in {}, listening on 127.0.0.1:{}",
            cluster.data_dir().display(),
            cluster.port()
        );
        let admin = settings(config, cluster.url("postgres"));
        let (client, connection) = admin
            .pg_config()?
            .connect(NoTls)
            .await
            .context("cannot connect to the embedded PostgreSQL")?;
        tokio::spawn(connection);
        for name in [EMBEDDED_URBANISM_DB, EMBEDDED_CITIZEN_DB] {
            let exists = client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await?
                .is_some();
            if !exists {
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("cannot create database {name}"))?;
            }
        }
        drop(client);
        let databases = Self {
            urbanism: settings(config, cluster.url(EMBEDDED_URBANISM_DB)),
            citizen: settings(config, cluster.url(EMBEDDED_CITIZEN_DB)),
            embedded: Some(cluster),
        };
        databases.migrate().await?;
        let loaded = {
            let client = connect(&databases.urbanism).await?;
            shahr_fixtures::legacy::is_loaded(&client).await?
        };
        if !loaded {
            let done = databases
                .seed(SeedOptions {
                    reset: false,
                    scale: Some(EMBEDDED_CITY_SCALE),
                    seed: 1,
                })
                .await?;
            println!("embedded PostgreSQL: {done}");
        }
        Ok(databases)
    }

    /// Applies pending migrations to both databases.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate_one("urbanism", &self.urbanism, &urbanism_migrations()).await?;
        migrate_one("citizen", &self.citizen, &citizen_migrations()).await?;
        Ok(())
    }

    /// Warns (without failing: the database may be briefly down) when a configured database
    /// lacks migrations this build expects.
    pub async fn warn_if_unmigrated(&self) {
        for (label, settings, sets) in [
            ("urbanism", &self.urbanism, urbanism_migrations().to_vec()),
            ("citizen", &self.citizen, citizen_migrations().to_vec()),
        ] {
            let Ok(client) = connect(settings).await else {
                tracing::warn!(
                    database = label,
                    "database unreachable at start; /readyz will tell when it is back"
                );
                continue;
            };
            match migrate::pending(&client, &sets).await {
                Ok(pending) if !pending.is_empty() => tracing::warn!(
                    database = label,
                    pending = pending.len(),
                    "the database lacks migrations; run `shahr-gateway migrate`"
                ),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(database = label, error = %err, "cannot check migrations")
                }
            }
        }
    }

    /// Loads the legacy fixture (reference data and sample files) when absent; with `city`,
    /// adds a generated city. Returns a line saying what was done.
    pub async fn seed(&self, options: SeedOptions) -> anyhow::Result<String> {
        use shahr_fixtures::{city as generator, legacy as fixture};
        let mut client = connect(&self.urbanism).await?;
        if options.reset {
            fixture::reset(&client)
                .await
                .context("cannot drop the fixture tables")?;
        }
        let loaded = fixture::load(&mut client)
            .await
            .context("cannot load the urbanism fixture")?;
        // The demo city counts its windows with the official holidays shipped with the
        // gateway, for the years not imported yet.
        let stored = client
            .query("SELECT year FROM shahr.holiday_years", &[])
            .await
            .context("cannot read the holiday years")?;
        let stored: Vec<i32> = stored.iter().map(|r| r.get(0)).collect();
        for year in crate::holidays::shipped()? {
            if !stored.contains(&year.year()) {
                let tx = client.transaction().await?;
                shahr_urbanism::cases::holidays::write_year(&tx, &year, "seed").await?;
                tx.commit().await?;
            }
        }
        let Some(scale) = options.scale else {
            return Ok(if loaded {
                "demo data loaded".into()
            } else {
                "demo data already present; nothing to do".into()
            });
        };
        let existing = fixture::parcel_count(&client).await?;
        if existing > 100 {
            anyhow::bail!(
                "the urbanism database already holds {existing} parcels; add --reset to replace them with a generated city"
            );
        }
        let bar = indicatif::ProgressBar::new(1).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("generating");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let started = std::time::Instant::now();
        let generated =
            generator::generate(&mut client, scale, options.seed, |table, done, total| {
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(format!("writing {table}"));
            })
            .await
            .context("cannot write the generated city")?;
        bar.finish_and_clear();
        let demo = self.seed_demo_requests().await?;
        let rows: Vec<String> = generated
            .rows
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        Ok(format!(
            "generated city (scale {scale}, seed {}) in {:.1}s: {}; {demo} demo service requests",
            options.seed,
            started.elapsed().as_secs_f64(),
            rows.join(", ")
        ))
    }

    /// Demo service requests in every state, for owners of District 9 (the pilot).
    async fn seed_demo_requests(&self) -> anyhow::Result<usize> {
        const PILOT: i16 = 9;
        let urbanism = shahr_urbanism::UrbanismDb::new(self.urbanism.build_pool()?);
        let owners: Vec<(String, String)> = urbanism
            .owners_in_district(PILOT, 60)
            .await?
            .into_iter()
            .map(|(n, c)| (n.as_str().to_owned(), c.as_str().to_owned()))
            .collect();
        let citizen = shahr_citizen::CitizenDb::new(self.citizen.build_pool()?);
        shahr_fixtures::requests::seed_demo_requests(&citizen, &owners, PILOT, 3)
            .await
            .context("cannot write demo service requests")
    }
}

/// A plain connection for set-up work, within the connect deadline.
pub async fn connect(settings: &PgSettings) -> anyhow::Result<tokio_postgres::Client> {
    let mut config = settings.pg_config()?;
    // Set-up statements (migrations, fixtures) may run longer than request statements.
    config.options("-c statement_timeout=300000");
    let (client, connection) = tokio::time::timeout(
        settings.connect_timeout + Duration::from_millis(100),
        config.connect(NoTls),
    )
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "database {} did not answer in time",
            settings.database_name()
        )
    })?
    .with_context(|| format!("cannot connect to database {}", settings.database_name()))?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %err, "set-up connection ended");
        }
    });
    Ok(client)
}

async fn migrate_one(
    label: &str,
    settings: &PgSettings,
    sets: &[MigrationSet],
) -> anyhow::Result<()> {
    let mut client = connect(settings).await?;
    let report = migrate::migrate(&mut client, sets, |set, m| {
        eprintln!("migrating {label}: {set}/{:04} {}", m.version, m.name);
    })
    .await
    .with_context(|| format!("migrating the {label} database failed"))?;
    if report.applied.is_empty() {
        tracing::debug!(database = label, "schema up to date");
    }
    Ok(())
}
