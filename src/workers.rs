//! The background workers of one instance, each supervised (`crate::supervise`): the outbox
//! relays (one per database, the leader elected by a session advisory lock), the Redis stream
//! reader, the notifier, the finality pass (only on the instance leading the urbanism relay,
//! so one instance at a time), the dashboards' refresher and the expiry of unattached uploads.
//! They stop in order: the notifier and its kin first, then the relays, then the reader.

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    events::{
        redis_bus::RedisBus,
        relay::{self, RelayRole, RelaySettings},
        EventBus,
    },
    notifier::NotifierSettings,
    supervise::{supervise, CannotStart, Supervision},
    usecases::Article100,
};

type Handle = JoinHandle<Result<(), CannotStart>>;

/// What the workers need.
pub struct WorkerSettings {
    pub bus: Arc<dyn EventBus>,
    pub redis_bus: Option<Arc<RedisBus>>,
    pub relays: Vec<(RelaySettings, watch::Sender<RelayRole>)>,
    pub notifier: Arc<NotifierSettings>,
    pub article100: Article100,
    /// The urbanism relay's role: the finality pass runs while it leads.
    pub urbanism_role: watch::Receiver<RelayRole>,
    pub finality_interval: Duration,
    pub stats_refresh_interval: Duration,
    pub uploads: (
        shahr_citizen::CitizenDb,
        Arc<shahr_citizen::blobs::DirectoryBlobStore>,
    ),
    pub upload_ttl: Duration,
    /// Payment reconciliation, when a payment gateway is configured.
    pub payments: Option<Reconciliation>,
}

/// The payment reconciliation job: on the instance leading the citizen relay, so one
/// instance at a time.
pub struct Reconciliation {
    pub payments: crate::usecases::payments::Payments,
    pub leader: watch::Receiver<RelayRole>,
    pub interval: Duration,
    pub idle: Duration,
    pub abandoned: Duration,
}

/// The running workers.
pub struct Workers {
    work_stop: CancellationToken,
    relay_stop: CancellationToken,
    reader_stop: CancellationToken,
    work: Vec<Handle>,
    relays: Vec<Handle>,
    reader: Option<Handle>,
}

impl Workers {
    /// Starts every worker under `supervision`.
    pub fn start(settings: WorkerSettings, supervision: &Supervision) -> Self {
        let WorkerSettings {
            bus,
            redis_bus,
            relays,
            notifier,
            article100,
            urbanism_role,
            finality_interval,
            stats_refresh_interval,
            uploads,
            upload_ttl,
            payments,
        } = settings;
        let (work_stop, relay_stop, reader_stop) = (
            CancellationToken::new(),
            CancellationToken::new(),
            CancellationToken::new(),
        );
        let reader = redis_bus.map(|redis| {
            let stop = reader_stop.clone();
            supervise("stream_reader", supervision, stop.clone(), move || {
                redis.clone().run_reader(stop.clone())
            })
        });
        let mut work = Vec::new();
        {
            let (urbanism, bus, stop) = (notifier.urbanism.clone(), bus.clone(), work_stop.clone());
            work.push(supervise(
                "dashboards",
                supervision,
                stop.clone(),
                move || {
                    crate::dashboards::run(
                        urbanism.clone(),
                        bus.clone(),
                        stats_refresh_interval,
                        stop.clone(),
                    )
                },
            ));
        }
        {
            let stop = work_stop.clone();
            work.push(supervise(
                "notifier",
                supervision,
                stop.clone(),
                move || crate::notifier::run(notifier.clone(), stop.clone()),
            ));
        }
        {
            let stop = work_stop.clone();
            work.push(supervise(
                "finality",
                supervision,
                stop.clone(),
                move || {
                    crate::notifier::run_finality(
                        article100.clone(),
                        urbanism_role.clone(),
                        finality_interval,
                        stop.clone(),
                    )
                },
            ));
        }
        if let Some(job) = payments {
            let stop = work_stop.clone();
            let job = Arc::new(job);
            work.push(supervise(
                "payment_reconciliation",
                supervision,
                stop.clone(),
                move || reconcile(job.clone(), stop.clone()),
            ));
        }
        {
            let stop = work_stop.clone();
            work.push(supervise(
                "upload_expiry",
                supervision,
                stop.clone(),
                move || {
                    crate::http::uploads::expire(
                        uploads.0.clone(),
                        uploads.1.clone(),
                        upload_ttl,
                        stop.clone(),
                    )
                },
            ));
        }
        let relays = relays
            .into_iter()
            .map(|(settings, role)| {
                let (bus, metrics, stop) =
                    (bus.clone(), supervision.metrics.clone(), relay_stop.clone());
                let name = match settings.source {
                    crate::events::Source::Urbanism => "relay_urbanism",
                    crate::events::Source::Citizen => "relay_citizen",
                };
                supervise(name, supervision, stop.clone(), move || {
                    relay::run(
                        settings.clone(),
                        bus.clone(),
                        metrics.clone(),
                        role.clone(),
                        stop.clone(),
                    )
                })
            })
            .collect();
        Self {
            work_stop,
            relay_stop,
            reader_stop,
            work,
            relays,
            reader,
        }
    }

    /// Stops the workers and waits for them.
    pub async fn stop(self) {
        self.relay_stop.cancel();
        self.work_stop.cancel();
        for task in self.work {
            let _ = task.await;
        }
        self.reader_stop.cancel();
        if let Some(task) = self.reader {
            let _ = task.await;
        }
        for task in self.relays {
            let _ = task.await;
        }
    }
}

/// Settles or fails, every `interval`, the payments idle for longer than `idle`, while this
/// instance leads the citizen relay.
async fn reconcile(job: Arc<Reconciliation>, stop: CancellationToken) {
    loop {
        if *job.leader.borrow() == RelayRole::Leader {
            match job.payments.reconcile_once(job.idle, job.abandoned).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(payments = n, "payments reconciled"),
                Err(err) => tracing::warn!(error = %err, "payment reconciliation failed"),
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(job.interval) => {}
        }
    }
}
