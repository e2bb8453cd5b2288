//! The notifier: sends the messages written to `shahr.deliveries` (inbox, e-notice, SMS) in
//! both databases and records an e-notice's delivery receipt as the ruling's legal service.
//! Every instance runs one; claimed messages are leased, so instances do not send the same
//! message at once, and providers deduplicate by send id, so a retry never sends twice.
//! Beside it, the finality pass makes final the rulings whose objection windows closed with
//! no objection: on one instance at a time (the one leading the urbanism relay).

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use shahr_domain::{
    identifiers::{LegalId, NationalId},
    parties::Party,
};
use shahr_notify::Notifier;
use shahr_store::{
    deliveries::{self, Channel, Delivery, Outcome},
    PgPool, StoreError,
};
use shahr_urbanism::UrbanismDb;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    events::relay::RelayRole,
    usecases::{Article100, UseCaseError},
};

/// What the notifier works with.
pub struct NotifierSettings {
    /// The urbanism database (rulings).
    pub urbanism: UrbanismDb,
    /// The Article 100 commands (service on receipt, finality).
    pub article100: Article100,
    /// The citizen database (requests).
    pub citizen: PgPool,
    /// The provider clients.
    pub notifier: Notifier,
    /// Pause between passes.
    pub poll_interval: Duration,
}

/// How long a claimed message is left to its sender before another instance may retry it.
const LEASE: Duration = Duration::from_secs(120);

/// Runs passes until `stop` is cancelled.
pub async fn run(settings: Arc<NotifierSettings>, stop: CancellationToken) {
    loop {
        if let Err(err) = pass(&settings).await {
            tracing::warn!(error = %err, "notifier pass failed; retrying");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
}

/// One pass: due messages of both databases.
pub async fn pass(settings: &NotifierSettings) -> Result<(), StoreError> {
    for (pool, urbanism) in [(settings.urbanism.pool(), true), (&settings.citizen, false)] {
        let due = deliveries::claim_due(pool, 20, LEASE).await?;
        for delivery in due {
            // Each delivery is a trace of its own (the spans of its statements and the
            // provider's call hang under it).
            let span = tracing::info_span!(
                "job",
                otel.name = %format_args!("deliver {}", delivery.channel.as_str()),
                delivery.id = delivery.id,
            );
            deliver(settings, pool, urbanism, &delivery)
                .instrument(span)
                .await?;
        }
    }
    Ok(())
}

/// Finality passes every `interval` while this instance leads the urbanism relay (so one
/// instance at a time scans), until `stop` is cancelled.
pub async fn run_finality(
    article100: Article100,
    leader: watch::Receiver<RelayRole>,
    interval: Duration,
    stop: CancellationToken,
) {
    loop {
        if *leader.borrow() == RelayRole::Leader {
            match article100.finalise_due().await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(rulings = ?done, "rulings became final");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "finality pass failed"),
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

async fn finish(pool: &PgPool, id: i64, outcome: &Outcome) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    deliveries::finish(&*tx, id, outcome).await?;
    tx.commit().await?;
    Ok(())
}

async fn deliver(
    settings: &NotifierSettings,
    pool: &PgPool,
    urbanism: bool,
    d: &Delivery,
) -> Result<(), StoreError> {
    if d.channel == Channel::Inbox {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        deliveries::to_inbox(&*tx, d).await?;
        deliveries::finish(
            &*tx,
            d.id,
            &Outcome::Delivered {
                at: Utc::now(),
                provider_ref: None,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    if !settings.notifier.has(d.channel) {
        return finish(
            pool,
            d.id,
            &Outcome::Failed {
                error: format!("no provider is configured for {}", d.channel.as_str()),
            },
        )
        .await;
    }
    let mut d = d.clone();
    if d.channel == Channel::Sms && d.mobile.is_none() {
        let national_id = d
            .national_id
            .as_deref()
            .and_then(|n| NationalId::parse(n).ok());
        let legal_id = d.legal_id.as_deref().and_then(|l| LegalId::parse(l).ok());
        let client = settings.urbanism.pool().get().await?;
        let mobile = settings
            .urbanism
            .mobile_of_party(&**client, national_id.as_ref(), legal_id.as_ref())
            .await?;
        drop(client);
        match mobile {
            Some(m) => d.mobile = Some(m.as_str().to_owned()),
            None => {
                return finish(
                    pool,
                    d.id,
                    &Outcome::Failed {
                        error: "no mobile number on record".into(),
                    },
                )
                .await
            }
        }
    }
    let d = &d;
    let outcome = settings.notifier.send(d).await;
    let legal = urbanism
        && d.channel == Channel::ENotice
        && matches!(d.subject_kind.as_str(), "ruling" | "summons");
    match (&outcome, legal) {
        (Outcome::Delivered { at, provider_ref }, true) => {
            let party = match (&d.national_id, &d.legal_id) {
                (Some(n), _) => NationalId::parse(n).ok().map(Party::Natural),
                (None, Some(l)) => LegalId::parse(l).ok().map(Party::Legal),
                (None, None) => None,
            };
            let Some(party) = party else {
                return finish(
                    pool,
                    d.id,
                    &Outcome::Failed {
                        error: "the receiver has no readable id".into(),
                    },
                )
                .await;
            };
            let agent = format!(
                "سامانه ابلاغ الکترونیک{}",
                provider_ref
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            match settings
                .article100
                .record_receipt(
                    &d.subject_kind,
                    &d.subject_id,
                    party,
                    d.name.as_deref().unwrap_or_default(),
                    &agent,
                    *at,
                    d.id,
                )
                .await
            {
                // The service transaction marked the delivery delivered; keep the reference.
                Ok(_) => finish(pool, d.id, &outcome).await,
                Err(UseCaseError::Store(e)) => Err(e),
                Err(other) => {
                    tracing::warn!(error = %other, delivery = d.id, "e-notice receipt not recorded as service");
                    finish(pool, d.id, &outcome).await
                }
            }
        }
        _ => finish(pool, d.id, &outcome).await,
    }
}
