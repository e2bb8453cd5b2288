//! The `shahr-gateway` command.

use std::{path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use shahr_domain::{actors::Claim, identifiers::NationalId};

use crate::{
    auth::{mint_dev_token_with, DevClaims, Role},
    config::{Config, Profile},
    database::{Databases, SeedOptions},
    telemetry, Application,
};

/// Shahr Gateway: one GraphQL graph over Tabriz's urbanism system and citizen services.
#[derive(Debug, Parser)]
#[command(name = "shahr-gateway", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; `SHAHR_*` environment variables override its keys.
    #[arg(long, global = true, env = "SHAHR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory of the embedded PostgreSQL cluster (overrides SHAHR_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gateway (the default). Without database URLs it runs a private PostgreSQL
    /// cluster with demo data.
    Serve,
    /// Create or upgrade the gateway's own `shahr` schema in both databases. Never touches
    /// legacy tables.
    Migrate,
    /// Load the imitation legacy schema and demo data into the urbanism database
    /// (development and tests only; refused in the prod profile).
    Seed(SeedArgs),
    /// Print the GraphQL schema (SDL), as committed in schema.graphql; with `--subgraph`, the
    /// Federation v2 subgraph SDL (`@link`, `@key`), as committed in subgraph.graphql.
    Schema(SchemaArgs),
    /// Mint a development token (dev profile only) and print it alone on stdout.
    Token(TokenArgs),
    /// The official holidays that legal windows skip (besides Fridays), one Jalali year per
    /// file: import a year's list, or list what is stored.
    #[command(subcommand)]
    Holidays(HolidaysCommand),
    /// The yearly tariff of fees (ta'refeh-ye avarez), one Jalali year per file: import a
    /// year's tariff, or list what is stored.
    #[command(subcommand)]
    Tariff(TariffCommand),
    /// Aids for trying the gateway on demo data (dev profile only).
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Trusted documents: register a client app's operations from its manifest, or list the
    /// clients and their counts.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// Ask the running gateway whether it is alive (`/healthz`) or, with `--ready`, ready to
    /// serve (`/readyz`), on the port of `listen`: exit 0 when it says so, 1 otherwise. For a
    /// container's `HEALTHCHECK`; needs no shell.
    Healthcheck(HealthcheckArgs),
    /// Read the configuration (the file and `SHAHR_*` variables) and check it as `serve`
    /// would, without starting anything: exit 0 when it is valid, 1 naming the wrong key.
    /// For deployment pipelines (the Helm chart's rendered config is checked with it).
    CheckConfig,
    /// The hash-chained audit logs of both databases.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `documents` subcommands.
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Add the operations of FILE for CLIENT (the name its requests send as
    /// `graphql-client-name`): Apollo's persisted-query manifest, or a JSON map of SHA-256 to
    /// document. Every hash is checked; a bad one refuses the whole file.
    Add {
        /// The client app.
        client: String,
        /// Its manifest.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the clients and how many documents each registered.
    List,
}

/// `schema` options.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Print the schema as a Federation v2 subgraph, for composition with a router.
    #[arg(long)]
    pub subgraph: bool,
}

/// `healthcheck` options.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// Ask `/readyz` (databases, Redis, the event relays) instead of `/healthz`.
    #[arg(long)]
    pub ready: bool,
    /// How long to wait for the answer.
    #[arg(long, default_value = "3s", value_parser = humantime_duration)]
    pub timeout: std::time::Duration,
}

fn humantime_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime_serde::re::humantime::parse_duration(text).map_err(|e| e.to_string())
}

/// `tariff` subcommands.
#[derive(Debug, Subcommand)]
pub enum TariffCommand {
    /// Replace a Jalali year's tariff with the rows in FILE (TOML: `year`, `source`, and
    /// `[[row]]` entries with `service`, optional `district` and `land_use`, `area_from` and
    /// optional `area_to` in m², `fixed` and `per_m2` in rials).
    Import {
        /// The year's tariff.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the stored years, their rows and source.
    List,
}

/// `demo` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Let a case's defence window run out now: moves its hearing to today and the service of
    /// its summonses 30 days back, so the commission can sit on it the same day.
    SkipWait {
        /// The case (its legacy number, e.g. 7 for the sample case).
        #[arg(long)]
        case: i32,
    },
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk both audit chains from their first entry, recomputing every link; name the first
    /// entry whose number, link or hash does not match. Exits 1 when a chain is broken.
    Verify,
}

/// `holidays` subcommands.
#[derive(Debug, Subcommand)]
pub enum HolidaysCommand {
    /// Replace a Jalali year's official holidays with the list in FILE (TOML: `year`,
    /// `source`, and `[[holiday]]` entries with `date`, `kind` solar/lunar and `name`; see
    /// deploy/holidays/1405.toml).
    Import {
        /// The year's list.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the stored years, their source and number of days.
    List,
}

/// Arguments of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Add a generated city: 1 is about 20,000 parcels, 10 about 200,000 (fractions allowed).
    #[arg(long, value_name = "N")]
    pub scale: Option<f64>,
    /// Seed of the generator; the same seed gives the same city.
    #[arg(long, default_value_t = 1, value_name = "SEED")]
    pub seed: u64,
    /// Drop the fixture's tables first (development databases only).
    #[arg(long)]
    pub reset: bool,
}

/// Arguments of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Role to grant; repeat for several (citizen, inspector, commission_secretary,
    /// commission_member, urbanism_staff, auditor, admin).
    #[arg(long = "role", required = true, value_name = "ROLE", value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// National id of the person (10 digits; Persian digits accepted).
    #[arg(long, value_name = "ID")]
    pub national_id: Option<String>,
    /// District the staff member works in (1-10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i16).range(1..=99))]
    pub district: Option<i16>,
    /// Commission (its id in the urbanism system) a secretary or member sits on.
    #[arg(long, value_name = "ID", value_parser = clap::value_parser!(i32).range(1..))]
    pub commission: Option<i32>,
    /// How long the token lives, e.g. 30m, 12h, 7d.
    #[arg(long, default_value = "12h", value_parser = parse_duration, value_name = "DURATION")]
    pub ttl: Duration,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime_serde::re::humantime::parse_duration(s).map_err(|e| format!("{e}; e.g. 30m or 12h"))
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = Some(dir.clone());
    }
    Ok(config)
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli).await,
        Some(Command::Migrate) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            let databases = Databases::resolve(&config).await?;
            databases.migrate().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Some(Command::Seed(args)) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            if config.profile == Profile::Prod {
                bail!("seed loads demo data and is refused with profile prod");
            }
            if let Some(scale) = args.scale {
                if !(scale > 0.0 && scale <= 100.0) {
                    bail!("--scale must be above 0 and at most 100");
                }
            }
            let databases = Databases::resolve(&config).await?;
            databases.migrate().await?;
            let done = databases
                .seed(SeedOptions {
                    reset: args.reset,
                    scale: args.scale,
                    seed: args.seed,
                })
                .await?;
            eprintln!("{done}");
            Ok(())
        }
        Some(Command::Holidays(command)) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            let year = match command {
                HolidaysCommand::Import { file } => Some(crate::holidays::read(file)?),
                HolidaysCommand::List => None,
            };
            let databases = Databases::resolve(&config).await?;
            databases.migrate().await?;
            let urbanism = shahr_urbanism::UrbanismDb::new(databases.urbanism.build_pool()?);
            if let Some(year) = year {
                let before = urbanism
                    .import_holidays(&year, "cli:holidays-import")
                    .await
                    .context("cannot store the holidays")?;
                eprintln!(
                    "imported {} holidays of {} ({} before), source: {}",
                    year.days().len(),
                    year.year(),
                    before,
                    year.source()
                );
            }
            for stored in urbanism
                .holiday_years()
                .await
                .context("cannot read the holidays")?
            {
                println!("{}\t{} days\t{}", stored.year, stored.days, stored.source);
            }
            Ok(())
        }
        Some(Command::Tariff(command)) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            let year = match command {
                TariffCommand::Import { file } => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    Some(
                        shahr_domain::tariff::TariffYear::from_toml(&text).with_context(|| {
                            format!("{} is not a usable tariff", file.display())
                        })?,
                    )
                }
                TariffCommand::List => None,
            };
            let databases = Databases::resolve(&config).await?;
            databases.migrate().await?;
            let citizen = shahr_citizen::CitizenDb::new(databases.citizen.build_pool()?);
            if let Some(year) = year {
                let before = citizen
                    .import_tariff(&year)
                    .await
                    .context("cannot store the tariff")?;
                eprintln!(
                    "imported {} tariff rows of {} ({} before), source: {}",
                    year.rows.len(),
                    year.year,
                    before,
                    year.source
                );
            }
            for (year, rows, source) in citizen
                .tariff_years()
                .await
                .context("cannot read the tariff")?
            {
                println!("{year}\t{rows} rows\t{source}");
            }
            Ok(())
        }
        Some(Command::Demo(DemoCommand::SkipWait { case })) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            if config.profile == Profile::Prod {
                bail!("demo commands change dates and are refused with profile prod");
            }
            let databases = Databases::resolve(&config).await?;
            let urbanism = shahr_urbanism::UrbanismDb::new(databases.urbanism.build_pool()?);
            if !urbanism
                .skip_defence_wait(*case)
                .await
                .context("cannot move the hearing")?
            {
                bail!("case {case} has no hearing scheduled through the gateway; schedule one first (scheduleHearing)");
            }
            eprintln!("case {case}: the hearing is today and every summons was served 30 days ago");
            Ok(())
        }
        Some(Command::Documents(command)) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            let add = match command {
                DocumentsCommand::Add { client, file } => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let documents = crate::http::persisted::read_manifest(&text)
                        .map_err(|why| anyhow::anyhow!("{}: {why}", file.display()))?;
                    Some((client, documents))
                }
                DocumentsCommand::List => None,
            };
            let databases = Databases::resolve(&config).await?;
            databases.migrate().await?;
            let citizen = shahr_citizen::CitizenDb::new(databases.citizen.build_pool()?);
            if let Some((client, documents)) = add {
                let added = citizen
                    .add_trusted_documents(client, &documents)
                    .await
                    .context("cannot store the documents")?;
                eprintln!(
                    "{client}: {added} new of {} documents in the manifest",
                    documents.len()
                );
            }
            for (client, count) in citizen
                .trusted_document_clients()
                .await
                .context("cannot read the trusted documents")?
            {
                println!("{client}\t{count} documents");
            }
            Ok(())
        }
        Some(Command::CheckConfig) => {
            let config = Config::load(cli.config.as_deref())?;
            println!(
                "configuration is valid (profile {})",
                match config.profile {
                    Profile::Dev => "dev",
                    Profile::Prod => "prod",
                }
            );
            Ok(())
        }
        Some(Command::Healthcheck(args)) => {
            let config = Config::read(cli.config.as_deref())?;
            let mut address = config.listen;
            if address.ip().is_unspecified() {
                address.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
            }
            let path = if args.ready { "readyz" } else { "healthz" };
            let url = format!("http://{address}/{path}");
            let client = reqwest::Client::builder()
                .timeout(args.timeout)
                .build()
                .context("cannot build an HTTP client")?;
            let status = client
                .get(&url)
                .send()
                .await
                .with_context(|| format!("{url} did not answer"))?
                .status();
            if !status.is_success() {
                bail!("{url} answered {status}");
            }
            println!("{url}: {status}");
            Ok(())
        }
        Some(Command::Audit(AuditCommand::Verify)) => {
            let config = load_config(&cli)?;
            telemetry::init(&config.log_filter, config.log_format);
            let databases = Databases::resolve(&config).await?;
            let mut broken = Vec::new();
            for (name, settings) in [
                ("urbanism", &databases.urbanism),
                ("citizen", &databases.citizen),
            ] {
                let client = crate::database::connect(settings).await?;
                let verification = shahr_store::audit::verify(&client)
                    .await
                    .with_context(|| format!("cannot read the {name} audit log"))?;
                match verification.first_broken {
                    None => println!("{name}: {} entries, chain intact", verification.entries),
                    Some(seq) => {
                        println!("{name}: chain broken at entry {seq}");
                        broken.push(format!("{name} at entry {seq}"));
                    }
                }
            }
            if !broken.is_empty() {
                bail!("the audit chain is broken: {}", broken.join(", "));
            }
            Ok(())
        }
        Some(Command::Schema(args)) => {
            if args.subgraph {
                print!("{}", crate::graphql::subgraph_sdl());
            } else {
                print!("{}", crate::graphql::sdl());
            }
            Ok(())
        }
        Some(Command::Token(args)) => {
            let config = load_config(&cli)?;
            let Some(secret) = config.dev_jwt_secret() else {
                bail!("development tokens exist only with profile dev; production tokens come from the identity provider");
            };
            let missing = shahr_domain::actors::missing_claims(&args.roles, |claim| match claim {
                Claim::NationalId => args.national_id.is_some(),
                Claim::District => args.district.is_some(),
                Claim::Commission => args.commission.is_some(),
            });
            if !missing.is_empty() {
                let needs: Vec<String> = missing
                    .iter()
                    .map(|(role, claim)| format!("{} needs {}", role.as_str(), claim.flag()))
                    .collect();
                bail!("incomplete identity: {}", needs.join("; "));
            }
            let national_id = args
                .national_id
                .as_deref()
                .map(NationalId::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--national-id: {e}"))?;
            let token = mint_dev_token_with(
                &secret,
                &config,
                DevClaims {
                    roles: args.roles.clone(),
                    national_id,
                    district: args.district,
                    commission_id: args.commission,
                    ttl: args.ttl,
                },
            )?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(cli: &Cli) -> anyhow::Result<()> {
    let config = load_config(cli)?;
    let telemetry = telemetry::init_with_traces(&config.log_filter, config.log_format);
    let served = serve_with(config).await;
    telemetry.shutdown().await;
    served
}

async fn serve_with(config: Config) -> anyhow::Result<()> {
    let host = config.listen.ip();
    if config.profile == Profile::Dev && !host.is_loopback() {
        tracing::warn!(
            "the dev profile accepts development tokens and serves GraphiQL; \
             do not expose it beyond this machine (set SHAHR_PROFILE=prod)"
        );
    }
    if config.urbanism_database_url.is_some() {
        Databases::resolve(&config)
            .await?
            .warn_if_unmigrated()
            .await;
    }
    let dev = config.profile == Profile::Dev;
    let app = Application::build(config)
        .await
        .context("the gateway could not start")?;
    let port = app.port();
    let shutdown = app.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        eprintln!("shutting down");
        shutdown.cancel();
    });
    println!("Shahr Gateway listening on http://{host}:{port}/graphql");
    if dev {
        println!("  GraphiQL:  http://{host}:{port}/graphiql");
        println!("  Dashboard: http://{host}:{port}/dashboard");
        println!(
            "  A token:   cargo run --release -- token --role auditor  (or target/release/shahr-gateway token --role auditor)"
        );
    }
    app.run_until_stopped().await
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
