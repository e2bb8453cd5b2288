//! Queries and mutations of citizen-sourcing.

use async_graphql::{Context, Object};
use shahr_citizen::{Actor, AttachError, NewRequest, SubmitError};
use shahr_domain::{identifiers::RenovationCode, requests::Move, vocabulary::RequestState};
use shahr_urbanism::Visibility;

use super::inputs::*;
use super::moves::{actor_for, change, citizen_may_act, staff_may_act, transition_error};
use super::types::{Service, ServiceRequest};
use crate::{
    auth::{Role, Viewer},
    graphql::{
        access::{signed_in, visibility},
        context::ContextExt,
        error::{ApiError, ErrorCode},
        pagination::{page_request, Conn, TotalCount},
        parcels::resolvers::district_arg,
    },
};

/// True when the viewer may see `request`: its citizen, staff of its district, auditors and
/// admins.
pub(crate) fn may_see(viewer: &Viewer, request: &shahr_citizen::ServiceRequest) -> bool {
    sees_filed(viewer, request.district, &request.citizen_national_id)
}

/// True when the viewer may see what a citizen filed in a district: that citizen, staff of the
/// district, auditors and admins.
fn sees_filed(viewer: &Viewer, district: i16, citizen_national_id: &str) -> bool {
    match visibility(viewer) {
        Visibility::All => true,
        Visibility::District(d) => d == district,
        Visibility::Owner(_) | Visibility::Nothing => viewer
            .principal()
            .and_then(|p| p.national_id.as_ref())
            .is_some_and(|n| n.as_str() == citizen_national_id),
    }
}

/// [`may_see`] for the viewer of `ctx`.
pub(crate) fn may_see_in(ctx: &Context<'_>, request: &shahr_citizen::ServiceRequest) -> bool {
    may_see(ctx.viewer(), request)
}

/// True when the viewer may see `payment`: as for its request; for a fine, the owner who paid
/// it and staff of the parcel's district.
pub(crate) fn may_see_payment(viewer: &Viewer, payment: &shahr_citizen::payments::Payment) -> bool {
    sees_filed(viewer, payment.district, &payment.citizen_national_id)
}

/// Queries of citizen-sourcing.
#[derive(Default)]
pub struct RequestsQuery;

#[Object]
impl RequestsQuery {
    /// The services citizens can request online in a district (District 9 first, the pilot).
    /// Public.
    async fn service_catalog(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The district (1-10).")] district: i32,
    ) -> async_graphql::Result<Vec<Service>> {
        let district = district_arg("district", Some(district))?;
        let services = ctx
            .deps()
            .citizen
            .services(district)
            .await
            .map_err(ApiError::from)?;
        Ok(services.into_iter().map(Service).collect())
    }

    /// A request by its tracking code. Null when there is none or the viewer may not see it
    /// (its citizen, staff of its district, auditors and admins may).
    async fn service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tracking code, e.g. `9-4K7M2P`.")] tracking_code: String,
    ) -> async_graphql::Result<Option<ServiceRequest>> {
        let code = tracking_code.trim().to_uppercase();
        let found = ctx
            .deps()
            .citizen
            .request_by_tracking_code(&code)
            .await
            .map_err(ApiError::from)?;
        Ok(found
            .filter(|r| may_see(ctx.viewer(), r))
            .map(ServiceRequest))
    }

    /// A district's work queue for staff: open requests (or those at `step`), oldest first,
    /// with assignment and SLA (`dueAt`, `isOverdue`). Staff of the district, auditors and
    /// admins.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)] // the GraphQL field's arguments
    async fn request_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The district (1-10).")] district: i32,
        #[graphql(desc = "Only requests at this step; all open steps when absent.")] step: Option<
            RequestState,
        >,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return requests after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<ServiceRequest>> {
        let district = district_arg("district", Some(district))?.unwrap_or_default();
        let allowed = match visibility(ctx.viewer()) {
            Visibility::All => true,
            Visibility::District(d) => d == district,
            _ => false,
        };
        if !allowed {
            signed_in(ctx.viewer())?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only staff of this district see its queue",
            )
            .into());
        }
        let request = page_request("ServiceRequest", first, after, last, before)?;
        let db = ctx.deps().citizen.clone();
        let page = db
            .queue(district, step, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let db = db.clone();
            Box::pin(async move { db.queue_count(district, step).await })
        });
        Ok(crate::graphql::pagination::connection(
            "ServiceRequest",
            page,
            |r| r.id,
            ServiceRequest,
            total,
        ))
    }

    /// The signed-in citizen's requests, newest first.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn my_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return requests after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<ServiceRequest>> {
        let principal = signed_in(ctx.viewer())?;
        let request = page_request("ServiceRequest", first, after, last, before)?;
        let Some(national_id) = principal
            .national_id
            .as_ref()
            .map(|n| n.as_str().to_owned())
        else {
            let empty = shahr_urbanism::Page {
                items: Vec::new(),
                has_next: false,
                has_previous: false,
            };
            let total = TotalCount::new(|| Box::pin(async { Ok(0) }));
            return Ok(crate::graphql::pagination::connection(
                "ServiceRequest",
                empty,
                |r: &shahr_citizen::ServiceRequest| r.id,
                ServiceRequest,
                total,
            ));
        };
        let db = ctx.deps().citizen.clone();
        let page = db
            .requests_of_citizen(&national_id, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let (db, id) = (db.clone(), national_id.clone());
            Box::pin(async move { db.count_of_citizen(&id).await })
        });
        Ok(crate::graphql::pagination::connection(
            "ServiceRequest",
            page,
            |r| r.id,
            ServiceRequest,
            total,
        ))
    }
}

/// Mutations of citizen-sourcing.
#[derive(Default)]
pub struct RequestsMutation;

#[Object]
impl RequestsMutation {
    /// Files a request for a service on a parcel you own. Idempotent with a key: the same key
    /// and input return the same request; the same key with another input fails with
    /// `IDEMPOTENCY_KEY_REUSED`.
    async fn submit_service_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitServiceRequestInput,
    ) -> async_graphql::Result<SubmitServiceRequestPayload> {
        let principal = signed_in(ctx.viewer())?;
        let national_id = principal
            .national_id
            .as_ref()
            .filter(|_| principal.roles.contains(&Role::Citizen))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Forbidden,
                    "only a citizen signed in with a national id can file a request",
                )
            })?;
        let code = RenovationCode::parse(&input.renovation_code).map_err(|e| {
            ApiError::bad_input(
                "input.renovationCode",
                format!("the renovation code {e}"),
                "کد نوسازی نامعتبر است؛ آن را مانند ۱-۲-۴۵-۲۸-۶۶۶-۰-۰ وارد کنید.",
            )
        })?;
        let key = input
            .idempotency_key
            .clone()
            .or_else(|| ctx.idempotency_header().map(str::to_owned));
        if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 128) {
            return Err(ApiError::bad_input(
                "input.idempotencyKey",
                "the key must be 1 to 128 characters",
                "شناسه یکتای درخواست باید ۱ تا ۱۲۸ نویسه باشد.",
            )
            .into());
        }
        let parcel = ctx
            .deps()
            .urbanism
            .parcel_by_renovation_code(&code, &Visibility::Owner(national_id.clone()))
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    "no parcel with this renovation code is registered to you",
                )
                .with("field", "input.renovationCode".into())
            })?;
        let district = parcel.district.ok_or_else(|| {
            ApiError::bad_input(
                "input.renovationCode",
                "the urbanism system has no district for this parcel",
                "منطقه این ملک در سامانه شهرسازی ثبت نشده است؛ به دفتر منطقه مراجعه کنید.",
            )
        })?;
        let new = NewRequest {
            service_code: input.service_code.trim().to_owned(),
            renovation_code: code.as_str().to_owned(),
            district,
            citizen_national_id: national_id.as_str().to_owned(),
            form: input
                .form
                .map(|f| f.0)
                .unwrap_or_else(|| serde_json::json!({})),
            idempotency_key: key,
        };
        let actor = Actor::person(&principal.subject, Role::Citizen);
        let submitted = ctx
            .deps()
            .citizen
            .submit(&new, &actor)
            .await
            .map_err(|e| match e {
                SubmitError::IdempotencyKeyReused => ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "this idempotency key was used for another request",
                ),
                SubmitError::UnknownService => ApiError::bad_input(
                    "input.serviceCode",
                    "no such service in the catalogue",
                    "این خدمت در فهرست خدمات شهرداری نیست.",
                ),
                SubmitError::NotInDistrict(d) => ApiError::bad_input(
                    "input.serviceCode",
                    format!("this service is not offered in district {d} yet"),
                    format!(
                        "این خدمت هنوز در منطقه {} ارائه نمی‌شود.",
                        crate::documents::fa_digits(&d.to_string())
                    ),
                ),
                SubmitError::Store(e) => ApiError::from(e),
            })?;
        Ok(SubmitServiceRequestPayload {
            request: ServiceRequest(submitted.request),
            created: submitted.created,
        })
    }

    /// Staff of the request's district: moves it to the next step of its service (at
    /// `FEE_PAYABLE` the fee is computed from the parcel's area). `CONFLICT` with
    /// `currentState` when the request cannot move on.
    async fn advance_service_request(
        &self,
        ctx: &Context<'_>,
        input: ServiceRequestMoveInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        change(ctx, input, Move::Advance, Role::UrbanismStaff).await
    }

    /// Staff: documents are missing; the request goes back to the citizen.
    async fn return_service_request_for_documents(
        &self,
        ctx: &Context<'_>,
        input: ServiceRequestMoveInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        change(ctx, input, Move::DocumentsIncomplete, Role::UrbanismStaff).await
    }

    /// Staff: refuses the request; `comment` (the reason) is required.
    async fn reject_service_request(
        &self,
        ctx: &Context<'_>,
        input: ServiceRequestMoveInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        change(ctx, input, Move::Reject, Role::UrbanismStaff).await
    }

    /// The citizen: documents completed; the request goes back to staff.
    async fn resubmit_service_request(
        &self,
        ctx: &Context<'_>,
        input: ServiceRequestMoveInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        change(ctx, input, Move::Resubmit, Role::Citizen).await
    }

    /// The citizen: gives up the request (not after payment or approval).
    async fn withdraw_service_request(
        &self,
        ctx: &Context<'_>,
        input: ServiceRequestMoveInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        change(ctx, input, Move::Withdraw, Role::Citizen).await
    }

    /// The citizen: attaches a file uploaded with `POST /uploads` as one of the service's
    /// documents. The document's size and type limits apply (`BAD_USER_INPUT` naming the
    /// field); a closed request takes no documents (`CONFLICT`).
    async fn attach_document(
        &self,
        ctx: &Context<'_>,
        input: AttachDocumentInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let actor = actor_for(ctx.viewer(), Role::Citizen)?;
        let upload_id = uuid::Uuid::parse_str(input.upload_id.as_str()).map_err(|_| {
            ApiError::bad_input(
                "input.uploadId",
                "not an upload id",
                "شناسه فایل بارگذاری‌شده نامعتبر است.",
            )
        })?;
        let viewer = ctx.viewer().clone();
        let attached = ctx
            .deps()
            .citizen
            .attach_document(
                &input.tracking_code.trim().to_uppercase(),
                upload_id,
                input.document_code.trim(),
                &actor,
                move |r| citizen_may_act(&viewer, r),
            )
            .await
            .map_err(|e| match e {
                AttachError::NotFound => ApiError::new(ErrorCode::NotFound, "no such request"),
                AttachError::UploadNotFound => {
                    ApiError::new(ErrorCode::NotFound, "no such upload of yours")
                        .with("field", "input.uploadId".into())
                }
                AttachError::UnknownDocument(_) | AttachError::WrongType(_) => {
                    ApiError::bad_input("input.documentCode", e.to_string(), attach_fa(&e))
                }
                AttachError::TooLarge(_) => {
                    ApiError::bad_input("input.uploadId", e.to_string(), attach_fa(&e))
                }
                AttachError::Illegal(illegal) => {
                    ApiError::new(ErrorCode::Conflict, illegal.to_string())
                        .with("currentState", illegal.current.as_code().into())
                        .with("stateOf", "ServiceRequest".into())
                }
                AttachError::Store(e) => ApiError::from(e),
            })?;
        Ok(ServiceRequestPayload {
            request: ServiceRequest(attached),
        })
    }

    /// Staff of the request's district: assigns it to a colleague (their sign-in subject).
    async fn assign_service_request(
        &self,
        ctx: &Context<'_>,
        input: AssignServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let actor = actor_for(ctx.viewer(), Role::UrbanismStaff)?;
        let assignee = input.assignee.trim().to_owned();
        if assignee.is_empty() || assignee.len() > 200 {
            return Err(ApiError::bad_input(
                "input.assignee",
                "give the colleague's sign-in subject",
                "شناسه ورود همکار را وارد کنید.",
            )
            .into());
        }
        let code = input.tracking_code.trim().to_uppercase();
        let key = crate::graphql::idempotency::command_key(
            ctx,
            "assignServiceRequest",
            input.idempotency_key.as_deref(),
            &(&code, &assignee),
        )?;
        let viewer = ctx.viewer().clone();
        let updated = ctx
            .deps()
            .citizen
            .assign(&code, &assignee, &actor, key.as_ref(), move |r| {
                staff_may_act(&viewer, r)
            })
            .await
            .map_err(transition_error)?;
        Ok(ServiceRequestPayload {
            request: ServiceRequest(updated),
        })
    }
}

/// Why a document could not be attached, in Persian.
fn attach_fa(e: &AttachError) -> String {
    match e {
        AttachError::UnknownDocument(_) => "این خدمت چنین مدرکی نمی‌خواهد.".to_owned(),
        AttachError::WrongType(types) => {
            format!("نوع فایل برای این مدرک پذیرفته نیست؛ نوع‌های مجاز: {types}")
        }
        AttachError::TooLarge(limit) => format!(
            "حجم فایل بیش از حد مجاز این مدرک ({} بایت) است.",
            crate::documents::fa_digits(&limit.to_string())
        ),
        _ => "پیوست کردن این فایل ممکن نیست.".to_owned(),
    }
}
