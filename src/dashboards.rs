//! Keeps the dashboards' read model (`shahr.ruling_facts`) up to date: at start, every
//! `stats_refresh_interval`, and about a second after ruling and case events (a burst of
//! events makes one refresh, and refreshes are at least a few seconds apart). Every instance runs it; a refresh already under way elsewhere
//! makes this one skip its turn.

use std::{sync::Arc, time::Duration};

use shahr_urbanism::UrbanismDb;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::events::{EventBus, Source};

/// How long after a ruling event the figures are refreshed; events meanwhile join it.
const SETTLE: Duration = Duration::from_millis(700);

/// Least time between two refreshes of one instance, however many events come: a refresh
/// reads every legacy ruling (about half a second at 14,000).
const MIN_GAP: Duration = Duration::from_secs(3);

/// Runs until `stop` is cancelled.
pub async fn run(
    urbanism: UrbanismDb,
    bus: Arc<dyn EventBus>,
    interval: Duration,
    stop: CancellationToken,
) {
    // `None` once the bus has closed (shutting down): the interval alone drives refreshes.
    let mut events = Some(bus.subscribe());
    loop {
        let started = tokio::time::Instant::now();
        match urbanism.refresh_ruling_facts().await {
            Ok(Some(done)) => tracing::debug!(
                written = done.written,
                removed = done.removed,
                took_ms = done.took_ms,
                "dashboard figures refreshed"
            ),
            Ok(None) => tracing::debug!("another instance is refreshing the dashboard figures"),
            // The legacy tables may not be there yet (a database being seeded): try later.
            Err(e) => tracing::warn!(error = %e, "dashboard figures not refreshed; will retry"),
        }
        let deadline = tokio::time::sleep(interval);
        tokio::pin!(deadline);
        // Wait for the interval, or for a ruling or case event.
        loop {
            let event = async {
                match events.as_mut() {
                    Some(receiver) => Some(receiver.recv().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = &mut deadline => break,
                event = event => match event {
                    Some(Ok(e)) if e.source == Source::Urbanism
                        && e.event.is_case_event() => {
                        let wait = SETTLE.max(MIN_GAP.saturating_sub(started.elapsed()));
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(wait) => {}
                        }
                        break;
                    }
                    // Fell behind a burst: certainly something changed.
                    Some(Err(RecvError::Lagged(_))) => break,
                    Some(Err(RecvError::Closed)) => events = None,
                    Some(Ok(_)) | None => {}
                },
            }
        }
    }
}
