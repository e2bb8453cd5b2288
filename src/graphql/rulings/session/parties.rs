//! The parties of a document and their service, fine payments and enforcement records.

use async_graphql::{Context, Object, ID};
use shahr_domain::{
    parties::Party as DomainParty,
    vocabulary::{EnforcementAction, PartyKind},
};
use shahr_urbanism::cases::{self as c, service::Document};

use crate::graphql::{
    context::ContextExt,
    loaders::{loader, DocumentPartiesLoader, DocumentServicesLoader},
    node::global_id,
    scalars::{jalali, Date, DateTime, Rial},
};

/// A party to a case: an owner (natural person, legal entity, or an owner whose identifier
/// cannot be read and who is served by hand) or the municipality.
pub struct Party {
    pub(crate) record: c::service::PartyRecord,
    pub(crate) services: Vec<c::service::ServiceRecord>,
    /// The last day of this party's window (objection or defence), once served.
    pub(crate) deadline: Option<chrono::NaiveDate>,
}

/// A party to a case and their legal service.
#[Object]
impl Party {
    /// Opaque id of the party on this document; pass it as `party` when recording service
    /// by hand or filing a paper objection on their behalf.
    async fn id(&self) -> String {
        self.record.party.key()
    }

    /// Natural person, legal entity, unidentified owner or the municipality.
    async fn kind(&self) -> PartyKind {
        self.record.party.kind()
    }

    /// `kind` in Persian.
    async fn kind_label(&self) -> &'static str {
        self.record.party.kind().label_fa()
    }

    /// The name as the urbanism system has it.
    async fn name(&self) -> &str {
        &self.record.name
    }

    /// True when no e-notice account can reach this party: the secretariat serves them by
    /// hand and records it with the ruling's or summons' service mutation.
    async fn needs_service_by_hand(&self) -> bool {
        self.record.by_hand
    }

    /// The day of this party's first legal service; null until served.
    async fn served_on(&self) -> Option<Date> {
        self.services.iter().map(|s| s.served_on).min().map(Date)
    }

    /// `servedOn` in the Jalali calendar.
    async fn served_on_jalali(&self) -> Option<String> {
        self.services.iter().map(|s| s.served_on).min().map(jalali)
    }

    /// The last day of this party's own window (to object to a primary ruling, or to file a
    /// defence after a summons), counted from their service; null until served or when there
    /// is no window.
    async fn deadline(&self) -> Option<Date> {
        self.deadline.map(Date)
    }

    /// `deadline` in the Jalali calendar.
    async fn deadline_jalali(&self) -> Option<String> {
        self.deadline.map(jalali)
    }
}

/// The parties of a document with their services and windows.
pub(crate) async fn parties(
    ctx: &Context<'_>,
    document: Document,
    window: Option<shahr_domain::windows::WindowRule>,
) -> async_graphql::Result<Vec<Party>> {
    let records = loader::<Document, DocumentPartiesLoader>(ctx)
        .load_one(document)
        .await?
        .unwrap_or_default();
    let services = loader::<Document, DocumentServicesLoader>(ctx)
        .load_one(document)
        .await?
        .unwrap_or_default();
    let calendar = match window {
        Some(_) => Some(
            ctx.deps()
                .article100
                .calendar
                .current()
                .await
                .map_err(crate::graphql::error::ApiError::from)?,
        ),
        None => None,
    };
    Ok(records
        .into_iter()
        .map(|record| {
            let mine: Vec<_> = services
                .iter()
                .filter(|s| s.party == record.party)
                .cloned()
                .collect();
            let deadline = match (window, &calendar, mine.iter().map(|s| s.served_on).min()) {
                (Some(w), Some(cal), Some(first)) => Some(w.last_day(first, cal)),
                _ => None,
            };
            Party {
                record,
                services: mine,
                deadline,
            }
        })
        .collect())
}

/// A payment (or an instalment) of a fine.
pub struct FinePayment(pub c::enforcement::Payment);

/// A payment (or an instalment) of a fine.
#[Object]
impl FinePayment {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        global_id("FinePayment", self.0.id)
    }

    /// The amount.
    async fn amount(&self) -> Rial {
        Rial(self.0.amount_rials)
    }

    /// The day it was paid.
    async fn paid_on(&self) -> Date {
        Date(self.0.paid_on)
    }

    /// `paidOn` in the Jalali calendar.
    async fn paid_on_jalali(&self) -> String {
        jalali(self.0.paid_on)
    }

    /// The bank's or payment gateway's reference.
    async fn reference(&self) -> &str {
        &self.0.reference
    }
}

/// How a final ruling was carried out.
pub struct Enforcement(pub c::enforcement::EnforcementRecord);

/// How a final ruling was carried out: demolition (by the owner, or by the municipality at
/// the owner's cost), use restored, business closed.
#[Object]
impl Enforcement {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        global_id("Enforcement", self.0.id)
    }

    /// What was done.
    async fn action(&self) -> EnforcementAction {
        self.0.action
    }

    /// `action` in Persian.
    async fn action_label(&self) -> &'static str {
        self.0.action.label_fa()
    }

    /// The day it was done.
    async fn done_on(&self) -> Date {
        Date(self.0.done_on)
    }

    /// `doneOn` in the Jalali calendar.
    async fn done_on_jalali(&self) -> String {
        jalali(self.0.done_on)
    }

    /// The officer who recorded it.
    async fn officer(&self) -> &str {
        &self.0.officer
    }

    /// The evidence (report number, photographs, upload ids).
    async fn evidence(&self) -> &str {
        &self.0.evidence
    }

    /// The municipality's cost of a demolition it carried out: a debt of the owner.
    async fn cost(&self) -> Option<Rial> {
        self.0.cost_rials.map(Rial)
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.0.recorded_at)
    }
}

/// Reads a party id given by a client (`Party.id`).
pub(crate) fn party_of(field: &str, id: &str) -> crate::graphql::error::ApiResult<DomainParty> {
    DomainParty::from_key(id.trim()).ok_or_else(|| {
        crate::graphql::error::ApiError::bad_input(
            field,
            "not a party id (take it from `parties { id }`)",
            "شناسه طرف پرونده نامعتبر است.",
        )
    })
}
