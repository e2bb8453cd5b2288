//! The chaos run's own cluster: a private PostgreSQL and Redis on free ports under a temporary
//! directory, and three gateway processes on them. It can SIGKILL and restart a gateway,
//! restart PostgreSQL (fast shutdown), stop and start Redis, and pause PostgreSQL (every one
//! of its processes) with SIGSTOP.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};

/// A free TCP port on the loopback interface.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.output().with_context(|| format!("{command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The private PostgreSQL.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Creates a cluster under `dir` and starts it.
    pub fn start(bin: &Path, dir: &Path) -> anyhow::Result<Self> {
        let data = dir.join("pg");
        let as_postgres = is_root();
        std::fs::create_dir_all(&data)?;
        if as_postgres {
            run(Command::new("chown").args(["-R", "postgres"]).arg(dir))?;
        }
        let pg = Self {
            bin: bin.to_owned(),
            data,
            port: free_port()?,
            as_postgres,
        };
        run(pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&pg.data))?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            pg.port,
            dir.display()
        );
        run(pg
            .command("pg_ctl")
            .arg("-D")
            .arg(&pg.data)
            .args(["-o", &options, "-l"])
            .arg(dir.join("pg.log"))
            .args(["-w", "start"]))?;
        Ok(pg)
    }

    /// `postgres://…/{db}`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Restarts with a fast shutdown (open transactions are rolled back, clients cut off).
    pub fn restart_fast(&self) -> anyhow::Result<()> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "restart"])
            .stdout(Stdio::null()))
    }

    /// The postmaster and every process it started.
    fn processes(&self) -> anyhow::Result<Vec<String>> {
        let pid = std::fs::read_to_string(self.data.join("postmaster.pid"))?
            .lines()
            .next()
            .context("postmaster.pid")?
            .trim()
            .to_owned();
        let children = Command::new("pgrep").args(["-P", &pid]).output()?;
        let mut all = vec![pid];
        all.extend(
            String::from_utf8_lossy(&children.stdout)
                .split_whitespace()
                .map(str::to_owned),
        );
        Ok(all)
    }

    /// Sends `signal` to every PostgreSQL process.
    pub fn signal_all(&self, signal: &str) -> anyhow::Result<()> {
        for pid in self.processes()? {
            let _ = Command::new("kill").args([signal, &pid]).status();
        }
        Ok(())
    }

    /// Stops at once (the end of the run).
    pub fn stop(&self) {
        let _ = self.signal_all("-CONT");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The private Redis, persistent across its restarts (append-only file).
pub struct Redis {
    dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let dir = dir.join("redis");
        std::fs::create_dir_all(&dir)?;
        let mut redis = Self {
            dir,
            port: free_port()?,
            child: None,
        };
        redis.launch()?;
        Ok(redis)
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--appendonly", "yes", "--save", "", "--daemonize", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context("redis-server")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                bail!("redis did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Shuts down (the append-only file is flushed).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let _ = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "shutdown"])
            .output();
        if let Some(mut child) = self.child.take() {
            child.wait()?;
        }
        Ok(())
    }

    pub fn start_again(&mut self) -> anyhow::Result<()> {
        self.launch()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One gateway process.
pub struct Instance {
    pub port: u16,
    child: Child,
}

/// How gateways are started: the binary and its environment.
pub struct Gateways {
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
    pub log_dir: PathBuf,
}

impl Gateways {
    /// A `shahr-gateway` command with the cluster's settings and nothing inherited.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.binary);
        for (key, _) in std::env::vars() {
            if key.starts_with("SHAHR_") {
                c.env_remove(key);
            }
        }
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Starts an instance on `port` (a free one when 0) and waits until it is ready.
    pub async fn start(&self, port: u16) -> anyhow::Result<Instance> {
        let port = if port == 0 { free_port()? } else { port };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_dir.join(format!("gateway-{port}.log")))?;
        let child = self
            .command()
            .arg("serve")
            .env("SHAHR_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("shahr-gateway serve")?;
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(Instance { port, child });
            }
            if Instant::now() > deadline {
                bail!("the gateway on port {port} did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Mints a token (`shahr-gateway token ARGS`).
    pub fn token(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command()
            .args(["token", "--ttl", "4h"])
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!("token: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Instance {
    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
