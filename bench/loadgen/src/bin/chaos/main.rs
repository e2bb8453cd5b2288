//! The chaos run: a private PostgreSQL and Redis, three gateway processes, and through the
//! public API only a realistic mix (the Article 100 session flow for `--rulings` cases,
//! `--requests` citizen permit requests moved by staff up to the paid fee, and two
//! subscribers per instance resuming by cursor). Clients retry failures with the same
//! idempotency key. Meanwhile, at random moments, one fault at a time: a gateway killed with
//! SIGKILL and started again, PostgreSQL restarted (fast shutdown), Redis stopped for 20 s,
//! PostgreSQL paused with SIGSTOP for 10 s. At the end it checks the stores against what the
//! clients were told, the subscribers against the outbox, the audit chains, and prints one
//! JSON line.

mod checks;
mod cluster;
mod workload;

use std::{
    path::PathBuf,
    sync::{atomic::AtomicBool, Arc},
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use rand::{seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Value};
use shahr_loadgen::{client::Gateway, gid, session};

use cluster::{Gateways, Postgres, Redis};
use workload::{Ledger, Subscriber};

#[derive(Debug, Parser)]
#[command(about = "Faults under load, and a check that nothing was lost or applied twice")]
struct Args {
    /// The gateway binary.
    #[arg(long)]
    gateway: PathBuf,
    /// PostgreSQL's programs (initdb, pg_ctl).
    #[arg(long)]
    pg_bin: PathBuf,
    #[arg(long, default_value_t = 1000)]
    rulings: usize,
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Clients at once, per workload.
    #[arg(long, default_value_t = 24)]
    concurrency: usize,
    /// Seed of the faults' order and moments.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    KillGateway,
    RestartPostgres,
    StopRedis,
    PausePostgres,
}

/// One fault as it happened (ms since the start of the run).
struct Happened {
    fault: Fault,
    detail: String,
    began: u64,
    ended: u64,
}

struct Cluster {
    pg: Postgres,
    redis: Redis,
    gateways: Gateways,
    instances: Vec<cluster::Instance>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Injects each fault once, in a random order, at random moments.
async fn inject(
    mut c: Cluster,
    clock: Arc<Gateway>,
    seed: u64,
) -> anyhow::Result<(Cluster, Vec<Happened>)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut faults = vec![
        Fault::KillGateway,
        Fault::RestartPostgres,
        Fault::StopRedis,
        Fault::PausePostgres,
    ];
    faults.shuffle(&mut rng);
    let mut happened = Vec::new();
    tokio::time::sleep(Duration::from_secs(rng.gen_range(8..15))).await;
    for fault in faults {
        let began = clock.now_ms();
        let detail = match fault {
            Fault::KillGateway => {
                let i = rng.gen_range(0..c.instances.len());
                let port = c.instances[i].port;
                c.instances[i].kill();
                tokio::time::sleep(Duration::from_secs(2)).await;
                c.instances[i] = c.gateways.start(port).await?;
                format!("instance on port {port}")
            }
            Fault::RestartPostgres => {
                let pg = c.pg;
                let (pg_back, result) = blocking(move || {
                    let r = pg.restart_fast();
                    Ok((pg, r))
                })
                .await?;
                c.pg = pg_back;
                result?;
                "pg_ctl restart -m fast".into()
            }
            Fault::StopRedis => {
                c.redis.stop()?;
                tokio::time::sleep(Duration::from_secs(20)).await;
                c.redis.start_again()?;
                "20 s".into()
            }
            Fault::PausePostgres => {
                c.pg.signal_all("-STOP")?;
                tokio::time::sleep(Duration::from_secs(10)).await;
                c.pg.signal_all("-CONT")?;
                "SIGSTOP 10 s".into()
            }
        };
        happened.push(Happened {
            fault,
            detail,
            began,
            ended: clock.now_ms(),
        });
        tokio::time::sleep(Duration::from_secs(rng.gen_range(5..15))).await;
    }
    Ok((c, happened))
}

/// A light probe of the service: a case read through the next instance every 100 ms, sent
/// once; its successes time the recoveries.
async fn probe(gw: Arc<Gateway>, token: String, stop: Arc<AtomicBool>) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = gw
            .call(
                &token,
                "query($input: ID!) { violationCase(id: $input) { status } }",
                json!(gid("ViolationCase", 7)),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn recovery(h: &Happened, probe: &[u64], work: &[u64]) -> Value {
    let first_after = |s: &[u64], t: u64| s.iter().find(|x| **x >= t).map(|x| x - t);
    // The longest time without a successful probe from the fault's start to 5 s after its end.
    let window: Vec<u64> = probe
        .iter()
        .copied()
        .filter(|t| *t + 1000 >= h.began && *t <= h.ended + 5_000)
        .collect();
    let longest_gap = window.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    json!({
        "fault": format!("{:?}", h.fault), "detail": h.detail,
        "at_s": h.began / 1000, "lasted_ms": h.ended - h.began,
        "first_probe_success_after_end_ms": first_after(probe, h.ended),
        "first_workload_success_after_end_ms": first_after(work, h.ended),
        "longest_probe_gap_ms": longest_gap,
    })
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| url.to_owned())?;
    tokio::spawn(conn);
    Ok(client)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("shahr-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let line = result?;
    println!("{line}");
    Ok(())
}

async fn run(args: &Args, dir: &std::path::Path) -> anyhow::Result<Value> {
    let pg = Postgres::start(&args.pg_bin, dir)?;
    let redis = Redis::start(dir)?;
    let admin = connect(&pg.url("postgres")).await?;
    for db in ["shahr_chaos_urbanism", "shahr_chaos_citizen"] {
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await?;
    }
    let (urbanism_url, citizen_url) = (
        pg.url("shahr_chaos_urbanism"),
        pg.url("shahr_chaos_citizen"),
    );
    let uploads = dir.join("uploads");
    std::fs::create_dir_all(&uploads)?;
    let env = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let gateways = Gateways {
        binary: args.gateway.clone(),
        log_dir: dir.to_owned(),
        env: vec![
            env("SHAHR_URBANISM_DATABASE_URL", &urbanism_url),
            env("SHAHR_CITIZEN_DATABASE_URL", &citizen_url),
            env("SHAHR_REDIS_URL", &redis.url()),
            env("SHAHR_UPLOAD_DIR", &uploads.display().to_string()),
            env("SHAHR_LOG_FILTER", "warn"),
            env("SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE", "10000000"),
            env("SHAHR_RATE_LIMITS__MUTATIONS_PER_MINUTE", "10000000"),
            env("SHAHR_RATE_LIMITS__COST_PER_MINUTE", "100000000"),
            env("SHAHR_SHUTDOWN_GRACE", "2s"),
        ],
    };
    let seeded = gateways.command().arg("seed").output()?;
    anyhow::ensure!(
        seeded.status.success(),
        "seed: {}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(gateways.start(0).await?);
    }
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    for (k, v) in [
        (
            "CHAOS_STAFF",
            vec!["--role", "urbanism_staff", "--district", "1"],
        ),
        (
            "CHAOS_SECRETARY",
            vec![
                "--role",
                "commission_secretary",
                "--commission",
                "1",
                "--district",
                "1",
            ],
        ),
        (
            "CHAOS_MEMBER_1",
            vec![
                "--role",
                "commission_member",
                "--commission",
                "1",
                "--national-id",
                "0012345679",
            ],
        ),
        (
            "CHAOS_MEMBER_2",
            vec![
                "--role",
                "commission_member",
                "--commission",
                "1",
                "--national-id",
                "0023456787",
            ],
        ),
        (
            "CHAOS_MEMBER_3",
            vec![
                "--role",
                "commission_member",
                "--commission",
                "1",
                "--national-id",
                "0034567895",
            ],
        ),
    ] {
        std::env::set_var(k, gateways.token(&v)?);
    }
    let tokens = session::Tokens::from_env("CHAOS")?;
    let citizen = gateways.token(&["--role", "citizen", "--national-id", "1583250689"])?;
    let staff9 = gateways.token(&["--role", "urbanism_staff", "--district", "9"])?;
    // A payment recorded by hand is confirmed by a second staff member.
    let staff9_second = gateways.token(&[
        "--role",
        "urbanism_staff",
        "--district",
        "9",
        "--national-id",
        "0499370899",
    ])?;
    let auditor = gateways.token(&["--role", "auditor", "--national-id", "0012345679"])?;

    let urbanism = connect(&urbanism_url).await?;
    let cases = session::copy_cases(&urbanism, args.rulings).await?;
    drop(urbanism);

    let stop = Arc::new(AtomicBool::new(false));
    let mut subscribers = Vec::new();
    let mut subscriber_tasks = Vec::new();
    for i in 0..ports.len() {
        let mut order = ports.clone();
        order.rotate_left(i);
        for (name, query) in [
            ("rulings", workload::RULINGS_ISSUED),
            ("requests", workload::REQUEST_EVENTS),
        ] {
            let sub = Arc::new(Subscriber {
                name: format!("{name}@{}", order[0]),
                query,
                received: Default::default(),
                reconnects: Default::default(),
            });
            subscribers.push(sub.clone());
            subscriber_tasks.push(tokio::spawn(workload::subscribe(
                sub,
                order.clone(),
                auditor.clone(),
                stop.clone(),
            )));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let gw = Arc::new(Gateway::new(
        bases.clone(),
        Duration::from_secs(10),
        Duration::from_secs(180),
    ));
    let prober = Arc::new(Gateway::new(bases, Duration::from_secs(2), Duration::ZERO));
    let probe_task = tokio::spawn(probe(prober.clone(), tokens.staff.clone(), stop.clone()));
    let cluster = Cluster {
        pg,
        redis,
        gateways,
        instances,
    };
    let started = Instant::now();
    let faults = tokio::spawn(inject(cluster, prober.clone(), args.seed));
    let ledger = Ledger::default();
    tokio::join!(
        workload::rulings(
            &gw,
            &tokens,
            &cases,
            args.concurrency,
            &ledger,
            &urbanism_url
        ),
        workload::requests(
            &gw,
            &citizen,
            [&staff9, &staff9_second],
            args.requests,
            args.concurrency,
            &ledger
        ),
    );
    let workload_seconds = started.elapsed().as_secs();
    let (cluster, happened) = faults.await??;

    // Everything written is relayed, and the subscribers have caught up (or 60 s passed).
    let urbanism = connect(&urbanism_url).await?;
    let citizen_db = connect(&citizen_url).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let (expect_rulings, expect_requests) = loop {
        let pending = checks::unrelayed(&urbanism).await? + checks::unrelayed(&citizen_db).await?;
        let r = checks::expected_events(&urbanism, "ruling.issued").await?;
        let q = checks::expected_events(&citizen_db, "request.%").await?;
        let caught_up = subscribers.iter().all(|s| {
            let want = if s.name.starts_with("rulings") {
                r.len()
            } else {
                q.len()
            };
            s.received.lock().map(|v| v.len() >= want).unwrap_or(false)
        });
        if (pending == 0 && caught_up) || Instant::now() > deadline {
            break (r, q);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in subscriber_tasks {
        let _ = t.await;
    }
    let _ = probe_task.await;

    let subs: Vec<Value> = subscribers
        .iter()
        .map(|s| {
            let expected = if s.name.starts_with("rulings") {
                &expect_rulings
            } else {
                &expect_requests
            };
            checks::subscriber(s, expected)
        })
        .collect();
    let rulings = checks::rulings(&urbanism, &cases, &ledger).await?;
    let requests = checks::requests(&citizen_db, &ledger).await?;
    let audit = cluster
        .gateways
        .command()
        .args(["audit", "verify"])
        .output()?;
    let probe_ok = prober.successes();
    let work_ok = gw.successes();
    let recoveries: Vec<Value> = happened
        .iter()
        .map(|h| recovery(h, &probe_ok, &work_ok))
        .collect();
    let sum = |key: &str| {
        subs.iter()
            .map(|s| s[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let lost = rulings["lost"].as_u64().unwrap_or(0)
        + requests["lost"].as_u64().unwrap_or(0)
        + requests["moves_lost"].as_u64().unwrap_or(0);
    let duplicated = rulings["duplicated"].as_u64().unwrap_or(0)
        + requests["duplicated"].as_u64().unwrap_or(0)
        + requests["moves_duplicated"].as_u64().unwrap_or(0);
    let line = json!({
        "bench": "chaos", "seed": args.seed, "workload_seconds": workload_seconds,
        "lost": lost, "duplicated": duplicated,
        "half_written": rulings["half_written"],
        "missing_events": sum("missing"), "duplicated_events": sum("duplicated"),
        "out_of_order_events": sum("out_of_order"),
        "audit_chains_intact": audit.status.success(),
        "audit": String::from_utf8_lossy(&audit.stdout).trim().replace('\n', "; "),
        "retries": gw.retries.load(std::sync::atomic::Ordering::Relaxed),
        "rulings": rulings, "requests": requests, "subscribers": subs,
        "faults": recoveries,
        "reasons_given_up": ledger.reasons.lock().map(|r| r.clone()).unwrap_or_default(),
    });
    let Cluster {
        pg,
        mut redis,
        instances,
        ..
    } = cluster;
    drop(instances);
    let _ = redis.stop();
    pg.stop();
    Ok(line)
}
