//! Domain events as the gateway writes them, for tests that put events in the outbox
//! directly (the relay, fan-out and resumption do not care which mutation wrote them).

use shahr_domain::events::{DomainEvent, NotificationDelivered};

/// A `notification.delivered` event numbered `n` (its delivery id).
pub(crate) fn delivered(n: i64) -> DomainEvent {
    DomainEvent::NotificationDelivered(NotificationDelivered {
        delivery_id: n,
        channel: "inbox".into(),
        subject_kind: "ruling".into(),
        subject_id: n.to_string(),
        citizen_national_id: None,
        delivered_at: chrono::Utc::now(),
    })
}

/// A SQL expression of a complete `ruling.issued` payload for case 7 (owner 0076229645),
/// its ruling id the expression `n`, in `district`, numbered by the expression `number`.
pub(crate) fn ruling_issued_sql(n: &str, district: &str, number: &str) -> String {
    format!(
        "jsonb_build_object('topic', 'ruling.issued', 'caseId', 7, 'parcelId', 666, \
         'district', {district}, 'commissionId', 1, 'fromStatus', 'IN_SESSION', \
         'status', 'RULING_ISSUED', 'ownerNationalIds', jsonb_build_array('0076229645'), \
         'rulingId', {n}, 'issuedRecordId', {n}, 'number', {number}, 'kind', 'FINE', \
         'stage', 'PRIMARY', 'fineRials', '1897500000', 'rulingCommissionId', 1, \
         'contentHash', 'sample', 'keyId', 'sample', 'issuedAt', '2026-11-30T08:00:00Z')"
    )
}
