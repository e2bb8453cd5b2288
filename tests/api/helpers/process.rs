//! A gateway as its own operating-system process.

use super::*;

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
        Self::start_with(databases, redis_prefix, &[], std::process::Stdio::inherit()).await
    }

    /// As [`start`](Self::start), with more environment variables and its log lines (stderr)
    /// sent to `stderr`.
    pub async fn start_with(
        databases: &SharedDatabases,
        redis_prefix: &str,
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> Self {
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
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
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
