//! What every change of a request goes through: who may act, reading the request and its
//! parcel, the certificate step of completion and no-violation certificates, and mapping the
//! store's refusals to API errors.

use async_graphql::Context;
use shahr_citizen::{Actor, Change, TransitionError};
use shahr_domain::{identifiers::RenovationCode, requests::Move, vocabulary::RequestState};
use shahr_urbanism::Visibility;

use super::inputs::*;
use super::types::ServiceRequest;
use crate::{
    auth::{Role, Viewer},
    graphql::{
        access::signed_in,
        context::ContextExt,
        error::{ApiError, ApiResult, ErrorCode},
    },
};

pub(super) fn staff_may_act(viewer: &Viewer, request: &shahr_citizen::ServiceRequest) -> bool {
    let Some(p) = viewer.principal() else {
        return false;
    };
    if p.roles.contains(&Role::Admin) {
        return true;
    }
    p.roles.contains(&Role::UrbanismStaff) && p.district == Some(request.district)
}

pub(super) fn citizen_may_act(viewer: &Viewer, request: &shahr_citizen::ServiceRequest) -> bool {
    viewer
        .principal()
        .and_then(|p| p.national_id.as_ref())
        .is_some_and(|n| n.as_str() == request.citizen_national_id)
}

pub(super) fn transition_error(e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotFound | TransitionError::Forbidden => {
            ApiError::new(ErrorCode::NotFound, "no such request")
        }
        TransitionError::Illegal(illegal) => {
            ApiError::new(ErrorCode::Conflict, illegal.to_string())
                .with("currentState", illegal.current.as_code().into())
                .with("stateOf", "ServiceRequest".into())
        }
        TransitionError::Payment(e) => ApiError::bad_input(
            &format!("input.{}", e.field()),
            e.to_string(),
            e.message_fa(),
        ),
        TransitionError::KeyReused => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency key was used for another change",
        ),
        TransitionError::Store(e) => ApiError::from(e),
    }
}

/// The request and its parcel in the urbanism system, read once for an advance.
pub(super) async fn request_and_parcel(
    ctx: &Context<'_>,
    tracking_code: &str,
) -> ApiResult<
    Option<(
        shahr_citizen::ServiceRequest,
        Option<shahr_urbanism::records::Parcel>,
    )>,
> {
    let deps = ctx.deps();
    let Some(request) = deps
        .citizen
        .request_by_tracking_code(tracking_code)
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    let parcel = match RenovationCode::parse(&request.renovation_code) {
        Ok(code) => deps
            .urbanism
            .parcel_by_renovation_code(&code, &Visibility::All)
            .await
            .map_err(ApiError::from)?,
        Err(_) => None,
    };
    Ok(Some((request, parcel)))
}

/// The certificate each certificate service issues (Note 8: a notary needs a completion or
/// no-violation certificate before a final transfer).
pub(super) fn certificate_of(
    service_code: &str,
) -> Option<shahr_domain::vocabulary::CertificateKind> {
    use shahr_domain::vocabulary::CertificateKind;
    match service_code {
        "completion_certificate" => Some(CertificateKind::Completion),
        "no_violation_certificate" => Some(CertificateKind::NoViolation),
        _ => None,
    }
}

/// For a certificate request moving on: approval waits until nothing stands against the
/// parcel (Note 8); the issue itself checks again and writes the certificate under the
/// parcel's lock, in one step.
pub(super) async fn certificate_step(
    ctx: &Context<'_>,
    request: &shahr_citizen::ServiceRequest,
    parcel: Option<&shahr_urbanism::records::Parcel>,
    actor: &Actor,
) -> ApiResult<()> {
    let deps = ctx.deps();
    let (Some(kind), Some(parcel)) = (certificate_of(&request.service_code), parcel) else {
        return Ok(());
    };
    let Some(service) = deps
        .citizen
        .services_by_codes(std::slice::from_ref(&request.service_code))
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let next = shahr_domain::requests::apply(&service.steps, request.state, Move::Advance);
    let refused = |e: crate::usecases::UseCaseError| {
        crate::graphql::error::usecase_error(e, "input")
            .with("currentState", request.state.as_code().into())
    };
    match next {
        Ok(RequestState::Approved) => {
            let against = deps
                .article100
                .certificate_blockers(parcel.id)
                .await
                .map_err(refused)?;
            if !against.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!(
                        "the certificate cannot be approved (Note 8): {}",
                        against
                            .iter()
                            .map(|b| b.describe())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )
                .with_fa(format!(
                    "صدور گواهی ممکن نیست (تبصره ۸): {}",
                    against
                        .iter()
                        .map(|b| b.describe_fa())
                        .collect::<Vec<_>>()
                        .join("؛ ")
                ))
                .with("currentState", request.state.as_code().into())
                .with("stateOf", "ServiceRequest".into()));
            }
            Ok(())
        }
        Ok(RequestState::Issued) => {
            let domain_actor =
                shahr_domain::actors::Actor::person(&actor.subject, Role::UrbanismStaff);
            deps.article100
                .issue_certificate(
                    &domain_actor,
                    parcel.id,
                    request.district,
                    kind,
                    &request.tracking_code,
                )
                .await
                .map_err(refused)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

pub(super) fn actor_for(viewer: &Viewer, role: Role) -> ApiResult<Actor> {
    let p = signed_in(viewer)?;
    Ok(Actor::person(&p.subject, role))
}

/// The mutation a move is asked with (the idempotency key belongs to it).
fn move_name(action: Move) -> &'static str {
    match action {
        Move::Advance => "advanceServiceRequest",
        Move::DocumentsIncomplete => "returnServiceRequestForDocuments",
        Move::Reject => "rejectServiceRequest",
        Move::Resubmit => "resubmitServiceRequest",
        Move::Withdraw => "withdrawServiceRequest",
    }
}

pub(super) async fn change(
    ctx: &Context<'_>,
    input: ServiceRequestMoveInput,
    action: Move,
    as_role: Role,
) -> async_graphql::Result<ServiceRequestPayload> {
    let actor = actor_for(ctx.viewer(), as_role)?;
    let code = input.tracking_code.trim().to_uppercase();
    let comment = input
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return Err(ApiError::bad_input(
            "input.comment",
            "at most 1000 characters",
            "توضیح حداکثر ۱۰۰۰ نویسه است.",
        )
        .into());
    }
    if action == Move::Reject && comment.is_none() {
        return Err(ApiError::bad_input(
            "input.comment",
            "a rejection needs a reason",
            "برای رد درخواست، دلیل آن را بنویسید.",
        )
        .into());
    }
    let deps = ctx.deps();
    // The fee of FEE_PAYABLE depends on the parcel's area in the urbanism system; a
    // certificate waits until nothing stands against the parcel, and is issued in the
    // urbanism system before the request is marked issued (idempotent by tracking code).
    let payment_key = input
        .payment
        .as_ref()
        .map(|p| (p.reference.clone(), p.amount.0));
    let key = crate::graphql::idempotency::command_key(
        ctx,
        move_name(action),
        input.idempotency_key.as_deref(),
        &(&code, &comment, &payment_key),
    )?;
    // A retry of a change already made goes straight to its answer: the steps before the
    // change (a certificate) must not run again for a request that has moved on since.
    let retry = match &key {
        Some(key) => deps
            .citizen
            .idempotency_prior(key)
            .await
            .map_err(ApiError::from)?
            .is_some(),
        None => false,
    };
    let (mut area, mut land_use) = (None, None);
    if action == Move::Advance && !retry {
        if let Some((request, parcel)) = request_and_parcel(ctx, &code).await? {
            area = parcel.as_ref().and_then(|p| p.area);
            land_use = parcel.as_ref().and_then(|p| p.land_use);
            if staff_may_act(ctx.viewer(), &request) {
                certificate_step(ctx, &request, parcel.as_ref(), &actor).await?;
            }
        }
    }
    let viewer = ctx.viewer().clone();
    let allowed = move |r: &shahr_citizen::ServiceRequest| match as_role {
        Role::Citizen => citizen_may_act(&viewer, r),
        _ => staff_may_act(&viewer, r),
    };
    let payment = match input.payment {
        Some(p) => Some(shahr_domain::requests::Payment {
            reference: crate::graphql::rulings::session::check_text(
                "input.payment.reference",
                &p.reference,
                100,
            )?,
            amount: shahr_domain::money::Rials::new(p.amount.0).map_err(|e| {
                ApiError::bad_input(
                    "input.payment.amount",
                    e.to_string(),
                    "مبلغ پرداخت نامعتبر است.",
                )
            })?,
        }),
        None => None,
    };
    let change = Change {
        action,
        comment,
        parcel_area: area,
        parcel_land_use: land_use,
        payment,
        idempotency: key,
    };
    let updated = deps
        .citizen
        .change_state(&code, &change, &actor, allowed)
        .await
        .map_err(transition_error)?;
    Ok(ServiceRequestPayload {
        request: ServiceRequest(updated),
    })
}
