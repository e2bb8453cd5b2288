//! Domain events: what a committed change tells the rest of the system. Every mutation
//! writes one of these to the outbox in its transaction; the relay publishes it, and live
//! subscriptions filter on it and show it. One enum, tagged by its topic on the wire
//! (`{"topic": "ruling.issued", "rulingId": 41, ...}`, fields in camelCase), so producers
//! and consumers cannot drift apart.

mod details;

pub use details::*;

use serde::{Deserialize, Serialize};

/// Every event the gateway writes, tagged by its topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "topic")]
pub enum DomainEvent {
    /// A case was referred to the commission secretariat.
    #[serde(rename = "case.referred")]
    CaseReferred(OnCase<Referral>),
    /// A hearing was set and the owners summoned.
    #[serde(rename = "case.hearing_scheduled")]
    HearingScheduled(OnCase<HearingSet>),
    /// A hearing was set and the case entered its defence window.
    #[serde(rename = "case.defence_window_opened")]
    DefenceWindowOpened(OnCase<HearingSet>),
    /// A summons was served on a party.
    #[serde(rename = "case.summons_served")]
    SummonsServed(OnCase<SummonsServed>),
    /// An owner's defence was recorded.
    #[serde(rename = "case.defence_recorded")]
    DefenceRecorded(OnCase<DefenceRecorded>),
    /// A case went into session.
    #[serde(rename = "case.in_session")]
    InSession(OnCase<Sitting>),
    /// A ruling was issued.
    #[serde(rename = "ruling.issued")]
    RulingIssued(OnCase<RulingIssued>),
    /// A ruling was served on a party.
    #[serde(rename = "ruling.served")]
    RulingServed(OnCase<RulingServed>),
    /// The first service opened the case's objection window.
    #[serde(rename = "case.objection_window_opened")]
    ObjectionWindowOpened(OnCase<RulingRef>),
    /// An objection in time.
    #[serde(rename = "ruling.objection_filed")]
    ObjectionFiled(OnCase<ObjectionFiled>),
    /// An objection after the party's window: recorded and flagged.
    #[serde(rename = "ruling.objection_late")]
    ObjectionLate(OnCase<ObjectionFiled>),
    /// A ruling became final.
    #[serde(rename = "ruling.final")]
    RulingFinal(OnCase<RulingFinal>),
    /// Enforcement of a final ruling began.
    #[serde(rename = "case.enforcement_started")]
    EnforcementStarted(OnCase<RulingRef>),
    /// A fine was paid in full.
    #[serde(rename = "ruling.fine_paid")]
    FinePaid(OnCase<FinePayment>),
    /// An instalment of a fine was paid.
    #[serde(rename = "ruling.instalment_paid")]
    InstalmentPaid(OnCase<FinePayment>),
    /// An unpaid fine went back to its commission.
    #[serde(rename = "case.referred_for_non_payment")]
    ReferredForNonPayment(OnCase<NonPaymentReferral>),
    /// Something ordered was carried out, and with it everything: the case closed.
    #[serde(rename = "ruling.enforced")]
    RulingEnforced(OnCase<Enforced>),
    /// Something ordered was carried out; more remains.
    #[serde(rename = "ruling.enforcement_recorded")]
    EnforcementRecorded(OnCase<Enforced>),
    /// A case closed with nothing to carry out.
    #[serde(rename = "case.closed")]
    CaseClosed(OnCase<CaseClosed>),
    /// A certificate was issued.
    #[serde(rename = "certificate.issued")]
    CertificateIssued(CertificateIssued),
    /// A service request was filed.
    #[serde(rename = "request.submitted")]
    RequestSubmitted(RequestSubmitted),
    /// A service request changed state or assignee.
    #[serde(rename = "request.status_changed")]
    RequestStatusChanged(RequestStatusChanged),
    /// An online payment of a request's fee succeeded: recorded, the request paid.
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded(PaymentEnded),
    /// An online payment failed or was given back.
    #[serde(rename = "payment.failed")]
    PaymentFailed(PaymentEnded),
    /// A message reached its receiver.
    #[serde(rename = "notification.delivered")]
    NotificationDelivered(NotificationDelivered),
}

/// Why an outbox payload is not a domain event.
#[derive(Debug, thiserror::Error)]
#[error("outbox payload of topic `{topic}` is not a known event: {reason}")]
pub struct DecodeError {
    /// The row's topic.
    pub topic: String,
    /// What did not fit.
    pub reason: String,
}

/// The facts of an event's detail that subscriptions read.
trait Facts {
    fn ruling_id(&self) -> Option<i64> {
        None
    }
    fn number(&self) -> Option<&str> {
        None
    }
    fn commission_id(&self) -> Option<i32> {
        None
    }
}

impl Facts for Referral {}
impl Facts for HearingSet {}
impl Facts for SummonsServed {}
impl Facts for DefenceRecorded {}
impl Facts for Sitting {}
impl Facts for RulingIssued {
    fn ruling_id(&self) -> Option<i64> {
        Some(self.ruling_id)
    }
    fn number(&self) -> Option<&str> {
        Some(&self.number)
    }
    fn commission_id(&self) -> Option<i32> {
        Some(self.ruling_commission_id)
    }
}

macro_rules! ruling_facts {
    ($($t:ty => $number:expr),+ $(,)?) => {
        $(impl Facts for $t {
            fn ruling_id(&self) -> Option<i64> {
                Some(self.ruling_id)
            }
            fn number(&self) -> Option<&str> {
                let number: fn(&$t) -> Option<&str> = $number;
                number(self)
            }
        })+
    };
}

ruling_facts! {
    RulingRef => |_| None,
    RulingServed => |d| Some(&d.number),
    ObjectionFiled => |d| Some(&d.number),
    RulingFinal => |d| Some(&d.number),
    CaseClosed => |_| None,
    FinePayment => |_| None,
    NonPaymentReferral => |d| Some(&d.number),
    Enforced => |_| None,
}

impl DomainEvent {
    /// Reads an outbox row: its topic column and its JSON payload. Rows written before the
    /// payload carried its topic are read with the column's.
    pub fn from_outbox(topic: &str, payload: &str) -> Result<Self, DecodeError> {
        let fail = |reason: String| DecodeError {
            topic: topic.to_owned(),
            reason,
        };
        let mut value: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| fail(e.to_string()))?;
        let map = value
            .as_object_mut()
            .ok_or_else(|| fail("not a JSON object".into()))?;
        map.entry("topic")
            .or_insert_with(|| serde_json::Value::String(topic.to_owned()));
        serde_json::from_value(value).map_err(|e| fail(e.to_string()))
    }

    /// The payload as the outbox keeps it (JSON with its topic).
    pub fn to_json(&self) -> String {
        // A derived `Serialize` of plain data with string keys cannot fail; were it to, the
        // empty text is not JSON and the outbox insert (and its transaction) fails loudly.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The topic (`ruling.issued`).
    pub fn topic(&self) -> &'static str {
        match self {
            Self::CaseReferred(_) => "case.referred",
            Self::HearingScheduled(_) => "case.hearing_scheduled",
            Self::DefenceWindowOpened(_) => "case.defence_window_opened",
            Self::SummonsServed(_) => "case.summons_served",
            Self::DefenceRecorded(_) => "case.defence_recorded",
            Self::InSession(_) => "case.in_session",
            Self::RulingIssued(_) => "ruling.issued",
            Self::RulingServed(_) => "ruling.served",
            Self::ObjectionWindowOpened(_) => "case.objection_window_opened",
            Self::ObjectionFiled(_) => "ruling.objection_filed",
            Self::ObjectionLate(_) => "ruling.objection_late",
            Self::RulingFinal(_) => "ruling.final",
            Self::EnforcementStarted(_) => "case.enforcement_started",
            Self::FinePaid(_) => "ruling.fine_paid",
            Self::InstalmentPaid(_) => "ruling.instalment_paid",
            Self::ReferredForNonPayment(_) => "case.referred_for_non_payment",
            Self::RulingEnforced(_) => "ruling.enforced",
            Self::EnforcementRecorded(_) => "ruling.enforcement_recorded",
            Self::CaseClosed(_) => "case.closed",
            Self::CertificateIssued(_) => "certificate.issued",
            Self::RequestSubmitted(_) => "request.submitted",
            Self::RequestStatusChanged(_) => "request.status_changed",
            Self::NotificationDelivered(_) => "notification.delivered",
            Self::PaymentSucceeded(_) => "payment.succeeded",
            Self::PaymentFailed(_) => "payment.failed",
        }
    }

    /// The case and the detail's facts, for the accessors below.
    fn parts(&self) -> (Option<&CaseScope>, Option<&dyn Facts>) {
        fn on<D: Facts>(e: &OnCase<D>) -> (Option<&CaseScope>, Option<&dyn Facts>) {
            (Some(&e.case), Some(&e.detail))
        }
        match self {
            Self::CaseReferred(e) => on(e),
            Self::HearingScheduled(e) | Self::DefenceWindowOpened(e) => on(e),
            Self::SummonsServed(e) => on(e),
            Self::DefenceRecorded(e) => on(e),
            Self::InSession(e) => on(e),
            Self::RulingIssued(e) => on(e),
            Self::RulingServed(e) => on(e),
            Self::ObjectionWindowOpened(e) | Self::EnforcementStarted(e) => on(e),
            Self::ObjectionFiled(e) | Self::ObjectionLate(e) => on(e),
            Self::RulingFinal(e) => on(e),
            Self::FinePaid(e) | Self::InstalmentPaid(e) => on(e),
            Self::ReferredForNonPayment(e) => on(e),
            Self::RulingEnforced(e) | Self::EnforcementRecorded(e) => on(e),
            Self::CaseClosed(e) => on(e),
            Self::CertificateIssued(_)
            | Self::RequestSubmitted(_)
            | Self::RequestStatusChanged(_)
            | Self::PaymentSucceeded(_)
            | Self::PaymentFailed(_)
            | Self::NotificationDelivered(_) => (None, None),
        }
    }

    /// The case it happened on, for case and ruling events.
    pub fn case(&self) -> Option<&CaseScope> {
        self.parts().0
    }

    /// True for the events of Article 100 cases and their rulings (what `rulingEvents`
    /// carries).
    pub fn is_case_event(&self) -> bool {
        self.case().is_some()
    }

    /// True for the events of service requests.
    pub fn is_request_event(&self) -> bool {
        matches!(
            self,
            Self::RequestSubmitted(_)
                | Self::RequestStatusChanged(_)
                | Self::PaymentSucceeded(_)
                | Self::PaymentFailed(_)
        )
    }

    /// The district it happened in.
    pub fn district(&self) -> Option<i16> {
        match self {
            Self::CertificateIssued(e) => Some(e.district),
            Self::RequestSubmitted(e) => Some(e.district),
            Self::RequestStatusChanged(e) => Some(e.district),
            Self::PaymentSucceeded(e) | Self::PaymentFailed(e) => Some(e.district),
            Self::NotificationDelivered(_) => None,
            _ => self.case().and_then(|c| c.district),
        }
    }

    /// The commission concerned: the one that issued the ruling, else the case's.
    pub fn commission_id(&self) -> Option<i32> {
        let (case, facts) = self.parts();
        facts
            .and_then(Facts::commission_id)
            .or_else(|| case.and_then(|c| c.commission_id))
    }

    /// The legacy ruling concerned.
    pub fn ruling_id(&self) -> Option<i64> {
        match self {
            Self::PaymentSucceeded(e) | Self::PaymentFailed(e) => e.ruling_id,
            _ => self.parts().1.and_then(Facts::ruling_id),
        }
    }

    /// The ruling's number, when the event carries it.
    pub fn ruling_number(&self) -> Option<&str> {
        match self {
            Self::CertificateIssued(_) => None,
            Self::PaymentSucceeded(e) | Self::PaymentFailed(e) => e.ruling_number.as_deref(),
            _ => self.parts().1.and_then(Facts::number),
        }
    }

    /// The legacy case concerned.
    pub fn case_id(&self) -> Option<i32> {
        self.case().map(|c| c.case_id)
    }

    /// The service request concerned (its tracking code).
    pub fn tracking_code(&self) -> Option<&str> {
        match self {
            Self::RequestSubmitted(e) => Some(&e.tracking_code),
            Self::RequestStatusChanged(e) => Some(&e.tracking_code),
            Self::PaymentSucceeded(e) | Self::PaymentFailed(e) => e.tracking_code.as_deref(),
            Self::CertificateIssued(e) => e.tracking_code.as_deref(),
            _ => None,
        }
    }

    /// The service of a request event.
    pub fn service(&self) -> Option<&str> {
        match self {
            Self::RequestSubmitted(e) => Some(&e.service),
            Self::RequestStatusChanged(e) => Some(&e.service),
            _ => None,
        }
    }

    /// The state reached: the case's for case and ruling events, the request's for requests.
    pub fn status(&self) -> Option<String> {
        fn code<T: Serialize>(value: T) -> Option<String> {
            serde_json::to_value(value)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        }
        match self {
            Self::RequestSubmitted(e) => code(e.state),
            Self::RequestStatusChanged(e) => code(e.to),
            _ => self.case().and_then(|c| code(c.status)),
        }
    }

    /// True when the event is the person's own: a case on a parcel they own, their request,
    /// a message to them.
    pub fn concerns(&self, national_id: &str) -> bool {
        match self {
            Self::RequestSubmitted(e) => e.citizen_national_id == national_id,
            Self::RequestStatusChanged(e) => e.citizen_national_id == national_id,
            Self::PaymentSucceeded(e) | Self::PaymentFailed(e) => {
                e.citizen_national_id == national_id
            }
            Self::NotificationDelivered(e) => e.citizen_national_id.as_deref() == Some(national_id),
            Self::CertificateIssued(_) => false,
            _ => self
                .case()
                .is_some_and(|c| c.owner_national_ids.iter().any(|o| o == national_id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::CaseStatus;
    use chrono::NaiveDate;

    fn scope() -> CaseScope {
        CaseScope {
            case_id: 7,
            parcel_id: 666,
            district: Some(1),
            commission_id: Some(1),
            from_status: CaseStatus::InSession,
            status: CaseStatus::RulingIssued,
            owner_national_ids: vec!["0076229645".into()],
        }
    }

    #[test]
    fn an_event_carries_its_topic_and_reads_back_the_same() {
        let event = DomainEvent::RulingFinal(OnCase {
            case: scope(),
            detail: RulingFinal {
                ruling_id: 41,
                number: "1/05/0001".into(),
                final_on: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            },
        });
        let json = event.to_json();
        assert!(
            json.starts_with(r#"{"topic":"ruling.final","caseId":7,"#),
            "{json}"
        );
        assert!(json.contains(r#""finalOn":"2026-11-30""#), "{json}");
        assert_eq!(
            DomainEvent::from_outbox("ruling.final", &json).expect("reads"),
            event
        );
        assert_eq!(event.topic(), "ruling.final");
        assert_eq!(event.ruling_id(), Some(41));
        assert_eq!(event.ruling_number(), Some("1/05/0001"));
        assert_eq!(event.status().as_deref(), Some("RULING_ISSUED"));
        assert!(event.concerns("0076229645") && !event.concerns("0012345679"));
    }

    #[test]
    fn a_payload_without_its_topic_is_read_with_the_rows_and_a_stranger_is_refused() {
        let payload = r#"{"trackingCode":"9-4K7M2P","requestId":3,"service":"land_use_inquiry",
            "district":9,"citizenNationalId":"0076229645","state":"SUBMITTED"}"#;
        let event = DomainEvent::from_outbox("request.submitted", payload).expect("reads");
        assert_eq!(event.tracking_code(), Some("9-4K7M2P"));
        assert_eq!(event.district(), Some(9));
        assert!(DomainEvent::from_outbox("request.teleported", payload).is_err());
        assert!(DomainEvent::from_outbox("ruling.issued", r#"{"rulingId": 1}"#).is_err());
    }
}
