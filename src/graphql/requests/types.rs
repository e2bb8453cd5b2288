//! GraphQL objects of citizen-sourcing.

use async_graphql::{Context, Json, Object, SimpleObject, ID};
use shahr_citizen as citizen;
use shahr_domain::vocabulary::RequestState;

use crate::graphql::{
    context::ContextExt,
    loaders::{loader, DocumentsLoader, HistoryLoader, ParcelByCodeLoader, ServiceLoader},
    node::global_id,
    parcels::types::Parcel,
    scalars::{jalali, DateTime, RenovationCodeScalar, Rial},
};

/// A document a service asks for.
#[derive(SimpleObject)]
pub struct RequiredDocument {
    /// Stable code to refer to it (`deed`, `plans`).
    pub code: String,
    /// Its name in Persian.
    pub name: String,
    /// False when the request may proceed without it.
    pub required: bool,
    /// The largest accepted file, in bytes.
    pub max_bytes: i64,
    /// Accepted media types (`application/pdf`, `image/jpeg`).
    pub content_types: Vec<String>,
}

/// A workflow step of a service with its service-level target.
#[derive(SimpleObject)]
pub struct ServiceStep {
    /// The state.
    pub state: RequestState,
    /// The state in Persian.
    pub label: String,
    /// How long the step should take, in office hours (working hours of working days;
    /// Fridays and official holidays do not count); null when there is no target.
    pub sla_hours: Option<i64>,
}

/// The payment that settled a request's fee.
#[derive(SimpleObject)]
pub struct RequestPayment {
    /// The payment gateway's reference (the receipt number the citizen holds).
    pub reference: String,
    /// The amount paid; always equal to the request's `fee`.
    pub amount: Rial,
    /// When it was recorded.
    pub paid_at: DateTime,
}

pub struct Service(pub citizen::Service);

/// An urban-planning service citizens can request online. The catalogue is data: services
/// and the districts they are offered in change without a release.
#[Object]
impl Service {
    /// Stable code, used when submitting (`building_permit_new`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name in Persian.
    async fn name(&self) -> &str {
        &self.0.name_fa
    }

    /// Description in Persian.
    async fn description(&self) -> &str {
        &self.0.description_fa
    }

    /// The steps a request goes through, in order.
    async fn steps(&self) -> Vec<ServiceStep> {
        self.0
            .steps
            .iter()
            .map(|s| ServiceStep {
                state: *s,
                label: s.label_fa().to_owned(),
                sla_hours: self.0.sla_hours.get(s).copied(),
            })
            .collect()
    }

    /// Documents to upload.
    async fn required_documents(&self) -> Vec<RequiredDocument> {
        self.0
            .required_documents
            .iter()
            .map(|d| RequiredDocument {
                code: d.code.clone(),
                name: d.name_fa.clone(),
                required: d.required,
                max_bytes: d.max_bytes,
                content_types: d.content_types.clone(),
            })
            .collect()
    }

    /// Fixed fee.
    async fn fee(&self) -> Rial {
        Rial(self.0.fee_rials)
    }

    /// Fee per square metre of land, added to the fixed fee.
    async fn fee_per_square_metre(&self) -> Rial {
        Rial(self.0.fee_per_m2_rials)
    }

    /// Districts where the service is offered.
    async fn districts(&self) -> Vec<i32> {
        self.0.districts.iter().map(|d| i32::from(*d)).collect()
    }
}

/// A document attached to a request.
#[derive(SimpleObject)]
pub struct AttachedDocument {
    /// Which of the service's documents it is (`deed`, `plans`).
    pub document_code: String,
    /// The uploaded file's id.
    pub upload_id: ID,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes (hex), to check a copy against.
    pub sha256: String,
    /// When it was attached.
    pub attached_at: DateTime,
}

/// One change of a request's state.
#[derive(SimpleObject)]
pub struct RequestStateChange {
    /// When.
    pub at: DateTime,
    /// `at` as a Jalali date.
    pub at_jalali: String,
    /// The role the change was made in (`citizen`, `urbanism_staff`, `system` for the
    /// gateway itself).
    pub actor_role: String,
    /// The state before; null for the submission.
    pub from: Option<RequestState>,
    /// The state after.
    pub to: RequestState,
    /// The state after, in Persian.
    pub to_label: String,
    /// Comment or reason.
    pub comment: Option<String>,
}

pub struct ServiceRequest(pub citizen::ServiceRequest);

impl ServiceRequest {
    async fn deadline(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<chrono::DateTime<chrono::Utc>>> {
        use shahr_domain::requests::{held_by_citizen, is_terminal};
        if is_terminal(self.0.state) || held_by_citizen(self.0.state) {
            return Ok(None);
        }
        let service = loader::<String, ServiceLoader>(ctx)
            .load_one(self.0.service_code.clone())
            .await?;
        let Some(sla) = service.and_then(|s| s.sla_hours.get(&self.0.state).copied()) else {
            return Ok(None);
        };
        // Working hours spent in this state across every stay in it: the clock stopped
        // while the citizen held the request.
        let history = loader::<i64, HistoryLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let mut visits: Vec<shahr_domain::office::Visit> = Vec::with_capacity(history.len());
        for entry in &history {
            if let Some(last) = visits.last_mut() {
                last.left = Some(entry.at);
            }
            visits.push(shahr_domain::office::Visit {
                state: entry.to,
                entered: entry.at,
                left: None,
            });
        }
        if visits.last().is_none_or(|v| v.state != self.0.state) {
            visits.push(shahr_domain::office::Visit {
                state: self.0.state,
                entered: self.0.state_since,
                left: None,
            });
        }
        let deps = ctx.deps();
        let calendar = deps
            .article100
            .calendar
            .current()
            .await
            .map_err(crate::graphql::error::ApiError::from)?;
        Ok(shahr_domain::office::due_at(
            &visits,
            Some(sla),
            &deps.office_hours,
            &calendar,
        ))
    }
}

/// A citizen's request for an urban-planning service.
#[Object]
impl ServiceRequest {
    /// Opaque global id; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id("ServiceRequest", self.0.id)
    }

    /// The short code the citizen quotes to staff (`9-4K7M2P`).
    async fn tracking_code(&self) -> &str {
        &self.0.tracking_code
    }

    /// A payment staff recorded by hand (a bank slip), awaiting a second staff member's
    /// confirmation before the request moves to `PAID`; null when none awaits. Staff and
    /// auditors only.
    async fn awaiting_payment_confirmation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AwaitingConfirmation>> {
        let staff = matches!(
            crate::graphql::access::visibility(ctx.viewer()),
            shahr_urbanism::Visibility::All | shahr_urbanism::Visibility::District(_)
        );
        if !staff || self.0.state != shahr_domain::vocabulary::RequestState::FeePayable {
            return Ok(None);
        }
        let found = ctx
            .deps()
            .citizen
            .awaiting_manual_payment(self.0.id)
            .await
            .map_err(crate::graphql::error::ApiError::from)?;
        Ok(
            found.map(|(reference, amount, recorded_by)| AwaitingConfirmation {
                reference,
                amount: crate::graphql::scalars::Rial(amount),
                recorded_by,
            }),
        )
    }

    /// Online payments of the fee, oldest first (started, failed, reversed and the one that
    /// paid it).
    async fn payments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::payments::Payment>> {
        super::payments::of_request(ctx, &self.0).await
    }

    /// The service requested.
    async fn service(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Service>> {
        Ok(loader::<String, ServiceLoader>(ctx)
            .load_one(self.0.service_code.clone())
            .await?
            .map(Service))
    }

    /// Where the request stands.
    async fn state(&self) -> RequestState {
        self.0.state
    }

    /// `state` in Persian.
    async fn state_label(&self) -> &'static str {
        self.0.state.label_fa()
    }

    /// The parcel's renovation code.
    async fn renovation_code(&self) -> RenovationCodeScalar {
        RenovationCodeScalar(self.0.renovation_code.clone())
    }

    /// The parcel, from the integrated urbanism system; null when the viewer may no longer
    /// see it (a citizen who has since sold it).
    async fn parcel(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Parcel>> {
        let Some(parcel) = loader::<String, ParcelByCodeLoader>(ctx)
            .load_one(self.0.renovation_code.clone())
            .await?
        else {
            return Ok(None);
        };
        Ok(crate::graphql::access::sees_parcel(ctx, &parcel)
            .await?
            .then_some(Parcel(parcel)))
    }

    /// The district the request is handled in.
    async fn district(&self) -> i32 {
        i32::from(self.0.district)
    }

    /// The citizen's answers to the service's form.
    async fn form(&self) -> Json<serde_json::Value> {
        Json(self.0.form.clone())
    }

    /// The staff member working on it (their sign-in subject), if assigned.
    async fn assigned_to(&self) -> Option<&str> {
        self.0.assigned_to.as_deref()
    }

    /// When it entered its current state; the step's SLA clock starts here.
    async fn state_since(&self) -> DateTime {
        DateTime(self.0.state_since)
    }

    /// When the current step should be done by: the step's SLA counted in office hours
    /// from when it was entered, less the time already spent in it before a return. Null
    /// when the step has no target, the request is closed, or it waits on the citizen
    /// (documents to complete, a fee to pay), when no clock runs.
    async fn due_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DateTime>> {
        Ok(self.deadline(ctx).await?.map(DateTime))
    }

    /// True when the current step has run past its SLA.
    async fn is_overdue(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self
            .deadline(ctx)
            .await?
            .is_some_and(|due| due < chrono::Utc::now()))
    }

    /// The fee, once computed.
    async fn fee(&self) -> Option<Rial> {
        self.0.fee_rials.map(Rial)
    }

    /// The payment that settled the fee; null until the request is marked paid.
    async fn payment(&self) -> Option<RequestPayment> {
        self.0
            .payment
            .as_ref()
            .map(|(reference, amount, at)| RequestPayment {
                reference: reference.clone(),
                amount: Rial(*amount),
                paid_at: DateTime(*at),
            })
    }

    /// When it was filed.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.0.submitted_at)
    }

    /// `submittedAt` as a Jalali date.
    async fn submitted_at_jalali(&self) -> String {
        jalali(
            self.0
                .submitted_at
                .with_timezone(&crate::graphql::scalars::tehran())
                .date_naive(),
        )
    }

    /// Documents attached so far, in the order they were attached.
    async fn documents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AttachedDocument>> {
        let docs = loader::<i64, DocumentsLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(docs
            .into_iter()
            .map(|d| AttachedDocument {
                document_code: d.document_code,
                upload_id: ID(d.upload.id.to_string()),
                file_name: d.upload.file_name,
                content_type: d.upload.content_type,
                size_bytes: d.upload.size_bytes,
                sha256: d.upload.sha256,
                attached_at: DateTime(d.attached_at),
            })
            .collect())
    }

    /// Its state changes, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RequestStateChange>> {
        let entries = loader::<i64, HistoryLoader>(ctx)
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|h| RequestStateChange {
                at_jalali: jalali(
                    h.at.with_timezone(&crate::graphql::scalars::tehran())
                        .date_naive(),
                ),
                at: DateTime(h.at),
                actor_role: h.role.map_or("unknown", |c| c.name()).to_owned(),
                from: h.from,
                to: h.to,
                to_label: h.to.label_fa().to_owned(),
                comment: h.comment,
            })
            .collect())
    }
}

/// A payment recorded by hand, awaiting a second staff member: advance the request with the
/// same `payment` (reference and amount) as another staff member to confirm it.
#[derive(async_graphql::SimpleObject)]
pub struct AwaitingConfirmation {
    /// The bank's reference, as recorded.
    pub reference: String,
    /// The amount, as recorded.
    pub amount: crate::graphql::scalars::Rial,
    /// Who recorded it (sign-in subject).
    pub recorded_by: String,
}
