//! What every step of a case writes besides its own rows: the new state (when it changes),
//! the case's history, an outbox event and an audit entry; and the messages that tell the
//! parties of a ruling or a summons.

use serde::Serialize;
use serde_json::Value;
use shahr_domain::{
    actors::Actor,
    cases::{next, CaseEvent},
    events::{CaseScope, DomainEvent, OnCase},
    parties::Party,
    vocabulary::CaseStatus,
};
use shahr_store::{audit, deliveries, outbox};
use shahr_urbanism::{cases::service::PartyRecord, cases::LockedCase, UrbanismDb};
use tokio_postgres::GenericClient;

use super::{Channels, UseCaseError};

/// The scope of an event on a locked case that moved from `from` to `to`.
pub(crate) fn scope(locked: &LockedCase, from: CaseStatus, to: CaseStatus) -> CaseScope {
    CaseScope {
        case_id: locked.case.id,
        parcel_id: locked.case.parcel_id,
        district: locked.district,
        commission_id: locked.case.commission_id,
        from_status: from,
        status: to,
        owner_national_ids: locked
            .owner_national_ids()
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect(),
    }
}

/// Writes an event on a locked case whose state does not move, and its audit entry.
pub(crate) async fn emit<D: Serialize>(
    tx: &impl GenericClient,
    locked: &LockedCase,
    actor: &Actor,
    (operation, target): (&str, String),
    variant: fn(OnCase<D>) -> DomainEvent,
    detail: D,
) -> Result<(), UseCaseError> {
    let status = locked.case.status;
    let audit_detail = serde_json::to_value(&detail).unwrap_or(Value::Null);
    let event = variant(OnCase {
        case: scope(locked, status, status),
        detail,
    });
    outbox::enqueue(tx, &event).await?;
    audit_entry(tx, actor, operation, vec![target], "ok", audit_detail).await
}

/// Moves a locked case by `event`, refusing an illegal step with the current state, and
/// records it: history row, the domain event `variant` with `detail` in the outbox, audit
/// entry `operation`.
#[allow(clippy::too_many_arguments)] // one step's facts
pub(crate) async fn step<D: Serialize>(
    db: &UrbanismDb,
    tx: &impl GenericClient,
    locked: &mut LockedCase,
    event: CaseEvent,
    actor: &Actor,
    operation: &str,
    variant: fn(OnCase<D>) -> DomainEvent,
    detail: D,
) -> Result<CaseStatus, UseCaseError> {
    let from = locked.case.status;
    let to = next(from, event).map_err(|e| UseCaseError::Conflict {
        message: e.to_string(),
        message_fa: Some(format!(
            "این اقدام در وضعیت «{}» پرونده مجاز نیست.",
            from.label_fa()
        )),
        current: super::State::Case(from),
    })?;
    if to != from {
        db.set_case_status(tx, locked.case.id, to).await?;
    }
    db.record_case_event(
        tx,
        locked.case.id,
        &format!("{event:?}"),
        from,
        to,
        actor,
        &detail,
    )
    .await?;
    let audit_detail = serde_json::to_value(&detail).unwrap_or(Value::Null);
    let domain_event = variant(OnCase {
        case: scope(locked, from, to),
        detail,
    });
    outbox::enqueue(tx, &domain_event).await?;
    audit_entry(
        tx,
        actor,
        operation,
        vec![format!("case:{}", locked.case.id)],
        "ok",
        audit_detail,
    )
    .await?;
    locked.case.status = to;
    Ok(to)
}

/// An audit entry.
pub(crate) async fn audit_entry(
    tx: &impl GenericClient,
    actor: &Actor,
    operation: &str,
    targets: Vec<String>,
    outcome: &str,
    detail: impl Serialize,
) -> Result<(), UseCaseError> {
    audit::append(
        tx,
        &audit::Entry::new(actor, operation, targets, outcome, &detail),
    )
    .await?;
    Ok(())
}

/// A message to the parties of a document.
pub(crate) struct Message<'a> {
    /// `ruling` or `summons`: what the message is about (the notifier records an e-notice's
    /// receipt as the legal service of that document).
    pub subject_kind: &'a str,
    /// The document's id.
    pub subject_id: String,
    /// The title.
    pub title: String,
    /// The body.
    pub body: String,
    /// A link, when there is a page to open.
    pub link: Option<String>,
}

/// Writes, in the caller's transaction, one message per party and channel: the in-app inbox
/// for natural persons, the judicial e-notice for every party with an account (natural and
/// legal persons) when configured, and an SMS alert where a mobile is known. Parties with no
/// account are not skipped: they are on record for service by hand.
pub(crate) async fn tell_parties(
    tx: &impl GenericClient,
    channels: &Channels,
    parties: &[PartyRecord],
    mobiles: &std::collections::HashMap<String, String>,
    message: &Message<'_>,
) -> Result<(), UseCaseError> {
    for p in parties {
        let (national_id, legal_id) = match &p.party {
            Party::Natural(n) => (Some(n.as_str().to_owned()), None),
            Party::Legal(l) => (None, Some(l.as_str().to_owned())),
            Party::Unidentified(_) | Party::Municipality => continue,
        };
        let mobile = mobiles.get(&p.party.key()).cloned();
        let mut plan = Vec::new();
        if national_id.is_some() {
            plan.push(deliveries::Channel::Inbox);
        }
        if channels.e_notice {
            plan.push(deliveries::Channel::ENotice);
        }
        if channels.sms && mobile.is_some() {
            plan.push(deliveries::Channel::Sms);
        }
        let who = national_id
            .clone()
            .or_else(|| legal_id.clone())
            .unwrap_or_default();
        for channel in plan {
            let body = if channel == deliveries::Channel::Sms {
                format!(
                    "{} (این پیامک اطلاع‌رسانی است و ابلاغ قانونی نیست.)",
                    message.body
                )
            } else {
                message.body.clone()
            };
            deliveries::enqueue(
                tx,
                &deliveries::NewDelivery {
                    send_id: format!(
                        "{}-{}-{who}-{}",
                        message.subject_kind,
                        message.subject_id,
                        channel.as_str().to_lowercase()
                    ),
                    channel,
                    subject_kind: message.subject_kind.into(),
                    subject_id: message.subject_id.clone(),
                    national_id: national_id.clone(),
                    legal_id: legal_id.clone(),
                    mobile: mobile.clone(),
                    name: Some(p.name.clone()),
                    title: message.title.clone(),
                    body,
                    link: message.link.clone(),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The parties of a case's owners as records to store with a document, the municipality
/// added for rulings.
pub(crate) fn party_records(locked: &LockedCase, with_municipality: bool) -> Vec<PartyRecord> {
    let mut out: Vec<PartyRecord> = locked
        .owners
        .iter()
        .map(|o| PartyRecord {
            party: o.party.clone(),
            name: o.name.clone(),
            legacy_owner_id: Some(o.legacy_id),
            by_hand: o.needs_service_by_hand,
        })
        .collect();
    if with_municipality {
        out.push(PartyRecord {
            party: Party::Municipality,
            name: "شهرداری تبریز".into(),
            legacy_owner_id: None,
            by_hand: false,
        });
    }
    out
}

/// The owners' mobiles, by party key.
pub(crate) fn mobiles(locked: &LockedCase) -> std::collections::HashMap<String, String> {
    locked
        .owners
        .iter()
        .filter_map(|o| Some((o.party.key(), o.mobile.as_ref()?.as_str().to_owned())))
        .collect()
}
