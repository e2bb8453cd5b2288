//! A GraphQL client that behaves like a real app against a cluster of gateways: each call goes
//! to the next instance; on a failure it may retry (a transport error, a timeout, a 5xx, or
//! an error that says "try again": `SERVICE_UNAVAILABLE`, `INTERNAL`, `RATE_LIMITED`,
//! `UPSTREAM_UNAVAILABLE`), on another instance, with the same input and so the same
//! idempotency key, with backoff, until its retry budget runs out.

use std::{
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

/// Error codes after which the same call may succeed.
const RETRYABLE: &[&str] = &[
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
    "RATE_LIMITED",
    "UPSTREAM_UNAVAILABLE",
];

/// A cluster of gateway instances behind one client.
pub struct Gateway {
    http: reqwest::Client,
    bases: Vec<String>,
    next: AtomicUsize,
    /// How long a call keeps retrying; zero sends once.
    retry_for: Duration,
    /// Attempts that failed and were retried.
    pub retries: AtomicU64,
    /// Successful calls (time since the start of the run, ms), for recovery times.
    successes: std::sync::Mutex<Vec<u64>>,
    started: Instant,
}

/// Why a call failed for good.
#[derive(Debug)]
pub enum CallError {
    /// The gateway answered with an error that retrying will not change.
    Refused(Value),
    /// Every attempt failed until the retry budget ran out (the last reason).
    GaveUp(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(body) => write!(f, "refused: {body}"),
            Self::GaveUp(why) => write!(f, "gave up: {why}"),
        }
    }
}

impl std::error::Error for CallError {}

impl Gateway {
    /// Instances at `bases`; each attempt waits at most `timeout`.
    pub fn new(bases: Vec<String>, timeout: Duration, retry_for: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(256)
            .build()
            .unwrap_or_default();
        Self {
            http,
            bases,
            next: AtomicUsize::new(0),
            retry_for,
            retries: AtomicU64::new(0),
            successes: std::sync::Mutex::new(Vec::new()),
            started: Instant::now(),
        }
    }

    /// The run's clock, in milliseconds.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// When calls succeeded (ms since the start), sorted.
    pub fn successes(&self) -> Vec<u64> {
        let mut all = self
            .successes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        all.sort_unstable();
        all
    }

    /// Runs `query` with `$input` as `token`.
    pub async fn call(&self, token: &str, query: &str, input: Value) -> Result<Value, CallError> {
        let body = json!({ "query": query, "variables": { "input": input } });
        let deadline = Instant::now() + self.retry_for;
        let mut backoff = Duration::from_millis(100);
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let base = &self.bases[n % self.bases.len()];
            let why = match self.attempt(base, token, &body).await {
                Ok(answer) => {
                    self.successes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(self.now_ms());
                    return Ok(answer);
                }
                Err(Attempt::Refused(answer)) => return Err(CallError::Refused(answer)),
                Err(Attempt::Failed(why)) => why,
            };
            if Instant::now() + backoff > deadline {
                return Err(CallError::GaveUp(why));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    async fn attempt(&self, base: &str, token: &str, body: &Value) -> Result<Value, Attempt> {
        let response = self
            .http
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| Attempt::Failed(e.to_string()))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| Attempt::Failed(format!("{status}: {e}")))?;
        let code = answer["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_owned);
        match code {
            None if status.is_success() => Ok(answer),
            Some(code) if RETRYABLE.contains(&code.as_str()) => {
                Err(Attempt::Failed(format!("{status} {code}")))
            }
            _ if status.is_server_error() => Err(Attempt::Failed(status.to_string())),
            _ => Err(Attempt::Refused(answer)),
        }
    }
}

enum Attempt {
    Refused(Value),
    Failed(String),
}
