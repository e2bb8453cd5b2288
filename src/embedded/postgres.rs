use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{bail, Context};
use tokio::process::Command;

/// A running private cluster; stopped (fast shutdown) on [`EmbeddedPostgres::stop`] or drop.
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    run_as: Option<nix::unistd::User>,
    started_here: bool,
}

impl std::fmt::Debug for EmbeddedPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("data_dir", &self.data_dir)
            .field("port", &self.port)
            .finish()
    }
}

const MISSING_BINARIES: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found: \
install them (Debian/Ubuntu: `apt-get install postgresql`), point SHAHR_POSTGRES_BIN_DIR at them, \
or set SHAHR_URBANISM_DATABASE_URL and SHAHR_CITIZEN_DATABASE_URL to existing databases";

/// Finds the directory holding `initdb` and `pg_ctl`.
fn find_bin_dir(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = configured {
        if has_tools(dir) {
            return Ok(dir.to_owned());
        }
        bail!(
            "SHAHR_POSTGRES_BIN_DIR {} holds no initdb and pg_ctl; fix the path or unset it",
            dir.display()
        );
    }
    // Debian and Ubuntu: /usr/lib/postgresql/<major>/bin, newest first.
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, dir) in candidates {
        if has_tools(&dir) {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                return Ok(dir);
            }
        }
    }
    bail!(MISSING_BINARIES)
}

/// The gateway's own data directory: `/var/lib/shahr-gateway` as root, else under
/// `$XDG_DATA_HOME` (or `~/.local/share`).
pub fn state_dir() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/shahr-gateway");
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("shahr-gateway")
}

/// Where the cluster lives when `--data-dir` is not given.
pub fn default_data_dir() -> PathBuf {
    state_dir().join("postgres")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("no free local port for PostgreSQL")?;
    Ok(listener.local_addr()?.port())
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster in `data_dir`, or reuses one already
    /// running there.
    pub async fn start(data_dir: Option<PathBuf>, bin_dir: Option<&Path>) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir(bin_dir)?;
        let data_dir = data_dir.unwrap_or_else(default_data_dir);
        // initdb and postgres refuse to run as root: drop to the `postgres` system user.
        let run_as = if nix::unistd::geteuid().is_root() {
            Some(
                nix::unistd::User::from_name("postgres")?
                    .context("running as root needs the `postgres` system user (created by the postgresql package) to own the embedded cluster")?,
            )
        } else {
            None
        };
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        if let Some(user) = &run_as {
            nix::unistd::chown(&data_dir, Some(user.uid), Some(user.gid)).with_context(|| {
                format!("cannot hand {} to the postgres user", data_dir.display())
            })?;
        }
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut cluster = Self {
            data_dir,
            bin_dir,
            port: 0,
            run_as,
            started_here: false,
        };
        if !cluster.data_dir.join("PG_VERSION").is_file() {
            tracing::info!(data_dir = %cluster.data_dir.display(), "initialising the embedded PostgreSQL cluster");
            let dir = cluster.data_dir.to_string_lossy().into_owned();
            cluster
                .run(
                    "initdb",
                    &[
                        "-D",
                        &dir,
                        "-A",
                        "trust",
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ],
                )
                .await?;
        }
        if let Some(port) = cluster.running_port().await {
            tracing::info!(
                port,
                "reusing the embedded PostgreSQL cluster already running"
            );
            cluster.port = port;
            return Ok(cluster);
        }
        cluster.port = free_port()?;
        let dir = cluster.data_dir.to_string_lossy().into_owned();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            cluster.port, dir
        );
        let log = cluster
            .data_dir
            .join("server.log")
            .to_string_lossy()
            .into_owned();
        cluster
            .run(
                "pg_ctl",
                &[
                    "-D", &dir, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
                ],
            )
            .await
            .with_context(|| format!("the embedded PostgreSQL did not start; see {log}"))?;
        cluster.started_here = true;
        Ok(cluster)
    }

    /// The port the cluster listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A URL for database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The port of a server already running on this data directory, if any.
    async fn running_port(&self) -> Option<u16> {
        let dir = self.data_dir.to_string_lossy().into_owned();
        self.run("pg_ctl", &["-D", &dir, "status"]).await.ok()?;
        let pid_file = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(tool));
        cmd.current_dir(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: a Ctrl-C in the terminal reaches the gateway, which then
            // stops the cluster itself, instead of reaching PostgreSQL directly.
            .process_group(0);
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid.as_raw())
                .gid(user.gid.as_raw())
                .env("HOME", &user.dir);
        }
        cmd
    }

    async fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let output = self
            .command(tool)
            .args(args)
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.bin_dir.join(tool).display()))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{tool} failed: {}", stderr.trim())
    }

    /// Stops the cluster if this process started it (fast shutdown: open sessions end).
    pub fn stop(&mut self) {
        if !self.started_here {
            return;
        }
        self.started_here = false;
        let mut cmd = std::process::Command::new(self.bin_dir.join("pg_ctl"));
        cmd.args(["-D"])
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "30", "stop"])
            .current_dir(&self.data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(user) = &self.run_as {
            use std::os::unix::process::CommandExt;
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        match cmd.output() {
            Ok(out) if out.status.success() => tracing::info!("embedded PostgreSQL stopped"),
            Ok(out) => tracing::warn!(
                error = %String::from_utf8_lossy(&out.stderr).trim(),
                "embedded PostgreSQL did not stop cleanly"
            ),
            Err(err) => tracing::warn!(error = %err, "cannot run pg_ctl stop"),
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}
