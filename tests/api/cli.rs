//! The `shahr-gateway` binary: help, configuration errors, tokens, schema, and the embedded
//! default started the way a newcomer starts it.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_shahr-gateway");

/// The binary with no `SHAHR_*` variables inherited from the environment.
pub(crate) fn gateway() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("SHAHR_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

#[test]
fn every_command_explains_itself_with_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed", "--help"],
        vec!["schema", "--help"],
        vec!["token", "--help"],
        vec!["holidays", "--help"],
        vec!["holidays", "import", "--help"],
    ] {
        let out = gateway().args(&args).output().expect("runs");
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
}

#[test]
fn a_bad_configuration_value_stops_start_up_with_one_line_naming_the_key() {
    let out = gateway()
        .env("SHAHR_DB_POOL_SIZE", "lots")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SHAHR_DB_POOL_SIZE"), "{stderr}");

    let out = gateway()
        .env("SHAHR_PROFILE", "staging")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profile"), "{stderr}");
}

#[test]
fn the_config_file_is_read_and_environment_variables_override_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shahr.toml");
    std::fs::write(
        &file,
        "jwt_issuer = \"from-file\"\njwt_audience = \"aud-from-file\"\n",
    )
    .expect("write");
    let out = gateway()
        .args([
            "--config",
            file.to_str().expect("utf8"),
            "token",
            "--role",
            "admin",
        ])
        .env("SHAHR_JWT_AUDIENCE", "aud-from-env")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).expect("utf8");
    let claims = token.trim().split('.').nth(1).expect("payload");
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .expect("base64"),
    )
    .expect("json");
    assert_eq!(claims["iss"], "from-file");
    assert_eq!(claims["aud"], "aud-from-env");

    let out = gateway()
        .args([
            "--config",
            "/nonexistent/shahr.toml",
            "token",
            "--role",
            "admin",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"));
}

#[tokio::test]
async fn token_prints_a_verifiable_token_alone_on_stdout() {
    let out = gateway()
        .args([
            "token",
            "--role",
            "citizen",
            "--national-id",
            "0076229645",
            "--district",
            "9",
            "--commission",
            "9",
            "--ttl",
            "1h",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let verifier = shahr_gateway::auth::Verifier::from_config(&shahr_gateway::Config::default())
        .expect("verifier");
    let principal = verifier
        .verify(stdout.trim())
        .await
        .expect("the gateway accepts it");
    assert_eq!(
        principal.national_id.map(|n| n.to_string()).as_deref(),
        Some("0076229645")
    );
    assert_eq!(principal.district, Some(9));
    assert_eq!(principal.commission_id, Some(9));

    let out = gateway()
        .args(["token", "--role", "citizen", "--national-id", "0076229646"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--national-id"));

    let out = gateway()
        .args(["token", "--role", "admin"])
        .env("SHAHR_PROFILE", "prod")
        .output()
        .expect("runs");
    assert!(!out.status.success(), "no development tokens in prod");
}

#[test]
fn the_committed_schema_matches_what_the_server_serves() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the top level");
    let served = shahr_gateway::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is out of date: regenerate it with `cargo run -- schema > schema.graphql` and commit it"
    );
    let out = gateway().arg("schema").output().expect("runs");
    assert_eq!(String::from_utf8(out.stdout).expect("utf8"), served);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/subgraph.graphql"))
            .expect("subgraph.graphql is committed at the top level");
    let subgraph = shahr_gateway::graphql::subgraph_sdl();
    assert!(
        committed == subgraph,
        "subgraph.graphql is out of date: regenerate it with `cargo run -- schema --subgraph > subgraph.graphql` and commit it"
    );
}

#[test]
fn without_postgres_binaries_the_gateway_says_how_to_get_them() {
    let out = gateway()
        .env("SHAHR_POSTGRES_BIN_DIR", "/nonexistent/bin")
        .env("SHAHR_LISTEN", "127.0.0.1:0")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHAHR_POSTGRES_BIN_DIR"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// The README's run command on a machine with nothing configured: a private cluster, demo
/// data, a ready gateway; Ctrl-C stops both.
#[test]
fn the_embedded_default_serves_demo_data_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        use std::os::unix::fs::PermissionsExt;
        // The cluster runs as the postgres user when the tests run as root.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    let data_dir = dir.path().join("pg");
    let mut child = gateway()
        .args(["serve", "--data-dir", data_dir.to_str().expect("utf8")])
        .env("SHAHR_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60).saturating_sub(started.elapsed()))
            .expect("the gateway announces its address");
        if let Some(rest) = line.strip_prefix("Shahr Gateway listening on ") {
            break rest.trim_end_matches("/graphql").to_owned();
        }
    };
    // The dev profile tells a newcomer where to go next.
    let next: Vec<String> = (0..3)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(5))
                .expect("the start banner")
        })
        .collect();
    assert!(next[0].contains(&format!("{address}/graphiql")), "{next:?}");
    assert!(
        next[1].contains(&format!("{address}/dashboard")),
        "{next:?}"
    );
    assert!(next[2].contains("token --role auditor"), "{next:?}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let ready = client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), 200);
        let body: Value = client
            .post(format!("{address}/graphql"))
            .json(&serde_json::json!({ "query": "{ districts { number name } }" }))
            .send()
            .await
            .expect("query")
            .json()
            .await
            .expect("json");
        assert_eq!(
            body["data"]["districts"].as_array().map(Vec::len),
            Some(10),
            "{body}"
        );
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid")),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("signal");
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status}");
    assert!(
        !data_dir.join("postmaster.pid").exists(),
        "the private cluster was stopped"
    );
}

/// Names of definitions in the SDL that have no description, in `type.field` form.
fn undocumented(sdl: &str) -> Vec<String> {
    let (mut in_block, mut described) = (false, false);
    let mut current = String::new();
    let mut missing = Vec::new();
    for line in sdl.lines() {
        let s = line.trim();
        if in_block {
            if s.ends_with("\"\"\"") {
                in_block = false;
                described = true;
            }
            continue;
        }
        if let Some(rest) = s.strip_prefix("\"\"\"") {
            if rest.len() >= 3 && rest.ends_with("\"\"\"") {
                described = true;
            } else {
                in_block = true;
            }
            continue;
        }
        let skip = s.is_empty()
            || s.starts_with('}')
            || s.starts_with(')')
            || s.starts_with("schema")
            || s.starts_with("query:")
            || s.starts_with("subscription:")
            || s.starts_with("mutation:")
            || s.starts_with("directive");
        if skip {
            continue;
        }
        let top = [
            "type ",
            "enum ",
            "input ",
            "interface ",
            "scalar ",
            "union ",
        ];
        if top.iter().any(|t| line.starts_with(t)) {
            current = s.split_whitespace().nth(1).unwrap_or_default().to_owned();
        }
        // Connection types come from async-graphql, which offers no way to describe them; the
        // Federation spec's own members (`_service`, `_entities`, `_Service`, `_Entity`) are
        // named and described by that spec.
        let federation = current.starts_with('_') || s.starts_with('_');
        if !described && !current.ends_with("Connection") && !federation {
            missing.push(format!("{current}: {s}"));
        }
        described = false;
    }
    missing
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() {
    assert_eq!(
        undocumented("\"\"\"\nA thing.\n\"\"\"\ntype A {\n\tx: Int\n}\n"),
        vec!["A: x: Int".to_owned()],
        "the checker itself catches a bare field"
    );
    let missing = undocumented(&shahr_gateway::graphql::sdl());
    assert!(
        missing.is_empty(),
        "undocumented in the schema:\n{}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn token_refuses_an_incomplete_identity_in_one_line_naming_what_is_missing() {
    for (args, expected) in [
        (vec!["--role", "citizen"], "citizen needs --national-id"),
        (
            vec!["--role", "urbanism_staff", "--national-id", "0076229645"],
            "urbanism_staff needs --district",
        ),
        (
            vec!["--role", "commission_secretary", "--district", "1"],
            "commission_secretary needs --commission",
        ),
        (
            vec!["--role", "commission_member"],
            "commission_member needs --commission; commission_member needs --national-id",
        ),
    ] {
        let out = gateway().arg("token").args(&args).output().expect("runs");
        assert!(!out.status.success(), "{args:?} is refused");
        assert!(out.stdout.is_empty(), "no token printed for {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_healthcheck_command_says_whether_the_gateway_on_its_port_is_alive_and_ready() {
    let app = crate::helpers::TestApp::spawn().await;
    for args in [vec!["healthcheck"], vec!["healthcheck", "--ready"]] {
        let mut cmd = gateway();
        cmd.env("SHAHR_LISTEN", format!("0.0.0.0:{}", app.port))
            .args(&args);
        let out = tokio::process::Command::from(cmd)
            .output()
            .await
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Nothing listening: a failure naming the address, quickly.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("address").port();
    drop(free);
    let mut cmd = gateway();
    cmd.env("SHAHR_LISTEN", format!("127.0.0.1:{port}"))
        .args(["healthcheck", "--timeout", "1s"]);
    let out = tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}/healthz")),
        "{stderr}"
    );
}
