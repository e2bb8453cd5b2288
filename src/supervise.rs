//! Background workers under supervision: each runs in its own task; when it panics or returns
//! before shutdown, it is started again after a backoff (doubling from 0.5 s to 30 s, back to
//! 0.5 s after a minute of good running), and `/metrics` counts the restart
//! (`shahr_worker_restarts_total{worker}`) and shows whether it runs (`shahr_worker_up`). A
//! worker that fails within a second of starting, five times in a row, cannot start: the
//! supervisor gives up and reports it, and the application stops with that error rather than
//! serve without it.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Quick failures in a row after which a worker is taken to be unable to start.
const MAX_QUICK_FAILURES: u32 = 5;
/// A run shorter than this counts as a quick failure.
const QUICK: Duration = Duration::from_secs(1);
/// A run longer than this resets the backoff.
const HEALTHY: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a worker may take to stop once told to.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What supervisors share: the metrics, and how to stop the application when a worker
/// cannot start.
#[derive(Clone)]
pub struct Supervision {
    /// Where restarts are counted.
    pub metrics: Arc<Metrics>,
    /// Cancelled when a worker cannot start, to stop the whole application.
    pub shutdown: CancellationToken,
    /// The first worker that could not start.
    pub fatal: Arc<std::sync::Mutex<Option<CannotStart>>>,
}

impl Supervision {
    /// Supervision reporting to `metrics` and stopping the application with `shutdown`.
    pub fn new(metrics: Arc<Metrics>, shutdown: CancellationToken) -> Self {
        Self {
            metrics,
            shutdown,
            fatal: Arc::default(),
        }
    }

    /// The worker that could not start, if one could not.
    pub fn failure(&self) -> Option<CannotStart> {
        self.fatal.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A worker that could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the background worker `{0}` failed {MAX_QUICK_FAILURES} times within a second of starting"
)]
pub struct CannotStart(pub &'static str);

/// Runs `make()`'s future as the worker `name` until `stop` is cancelled, starting it again
/// whenever it panics or ends early. The handle ends with `Ok` at shutdown, `Err` when the
/// worker cannot start.
pub fn supervise<F, Fut>(
    name: &'static str,
    supervision: &Supervision,
    stop: CancellationToken,
    make: F,
) -> JoinHandle<Result<(), CannotStart>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Supervision {
        metrics,
        shutdown,
        fatal,
    } = supervision.clone();
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        let mut quick_failures = 0;
        loop {
            metrics.set_worker_up(name, true);
            let started = Instant::now();
            let mut task = tokio::spawn(make());
            let outcome = tokio::select! {
                outcome = &mut task => outcome,
                () = stop.cancelled() => {
                    // The worker watches the same token: let it finish its step, then drop it.
                    if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
                        tracing::warn!(worker = name, "a background worker did not stop in time");
                        task.abort();
                    }
                    metrics.set_worker_up(name, false);
                    return Ok(());
                }
            };
            metrics.set_worker_up(name, false);
            if stop.is_cancelled() {
                return Ok(());
            }
            let ran = started.elapsed();
            match outcome {
                Ok(()) => tracing::error!(
                    worker = name,
                    "a background worker ended early; starting it again"
                ),
                Err(err) => {
                    tracing::error!(worker = name, error = %err, "a background worker failed; starting it again")
                }
            }
            metrics.add_worker_restart(name);
            if ran < QUICK {
                quick_failures += 1;
                if quick_failures >= MAX_QUICK_FAILURES {
                    tracing::error!(worker = name, "a background worker cannot start; stopping");
                    fatal
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(CannotStart(name));
                    shutdown.cancel();
                    return Err(CannotStart(name));
                }
            } else {
                quick_failures = 0;
            }
            if ran > HEALTHY {
                backoff = FIRST_BACKOFF;
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn counted(metrics: &Metrics, name: &str) -> String {
        metrics
            .render(crate::metrics::exposition::Format::PrometheusText)
            .lines()
            .filter(|l| l.contains(&format!("worker=\"{name}\"")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_panics_is_started_again_and_counted() {
        let metrics = Arc::new(Metrics::new());
        let supervision = Supervision::new(metrics.clone(), CancellationToken::new());
        let stop = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let seen = runs.clone();
        let handle = supervise("flaky", &supervision, stop.clone(), move || {
            let runs = seen.clone();
            async move {
                let n = runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(2)).await;
                if n < 2 {
                    panic!("worker fault {n}");
                }
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "started again twice");
        let text = counted(&metrics, "flaky");
        assert!(
            text.contains("shahr_worker_restarts_total{worker=\"flaky\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("shahr_worker_up{worker=\"flaky\"} 1"),
            "{text}"
        );
        stop.cancel();
        assert!(handle.await.expect("joins").is_ok());
        assert!(supervision.failure().is_none());
        assert!(!supervision.shutdown.is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_cannot_start_is_reported_not_retried_forever() {
        let metrics = Arc::new(Metrics::new());
        let supervision = Supervision::new(metrics.clone(), CancellationToken::new());
        let handle = supervise("broken", &supervision, CancellationToken::new(), || async {
            panic!("no connection");
        });
        let result = tokio::time::timeout(Duration::from_secs(120), handle)
            .await
            .expect("gives up")
            .expect("joins");
        assert_eq!(result.expect_err("cannot start").0, "broken");
        assert!(counted(&metrics, "broken").contains("shahr_worker_up{worker=\"broken\"} 0"));
        assert!(supervision.shutdown.is_cancelled(), "the application stops");
        assert_eq!(supervision.failure().map(|f| f.0), Some("broken"));
    }
}
