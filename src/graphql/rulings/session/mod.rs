//! The commission session and what follows a ruling, as thin resolvers: each parses its
//! input, calls one use case ([`crate::usecases`]) and maps the result.
//!
//! - [`objects`]: the session's objects (hearings, drafts, signatures, ...)
//! - [`parties`]: parties and their service, payments, enforcement records
//! - [`inputs`]: inputs and payloads
//! - [`commission`]: referral, hearing, summons service, defence, sitting, drafts, issue
//! - [`after`]: service of rulings, objections, payments, non-payment, enforcement
//! - [`queue`]: the parties still to be served by hand

pub mod after;
pub mod commission;
pub mod inputs;
pub mod objects;
pub mod parties;
pub mod queue;

use async_graphql::{Context, ID};
use shahr_domain::quantities::{DecimalError, Hundredths};
use shahr_urbanism::Visibility;

pub use after::AfterRulingMutation;
pub use commission::{SessionMutation, SessionQuery};

use super::{resolvers::id_of, types::Ruling};
use crate::graphql::{
    context::ContextExt,
    error::{ApiError, ApiResult, ErrorCode},
};

/// Trimmed, normalised text of at most `max` characters, with no bidirectional controls.
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> ApiResult<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_input(
            field,
            "must not be empty",
            "این مقدار نباید خالی باشد.",
        ));
    }
    if trimmed.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("at most {max} characters"),
            format!("حداکثر {max} نویسه مجاز است."),
        ));
    }
    if shahr_domain::text::has_bidi_control(trimmed) {
        return Err(ApiError::bad_input(
            field,
            "must not contain bidirectional control characters",
            "نویسه‌های کنترل جهت متن مجاز نیست.",
        ));
    }
    Ok(shahr_domain::text::normalise(trimmed))
}

/// An exact decimal (an area or a coefficient) as entered.
pub(crate) fn decimal(field: &str, text: &str) -> ApiResult<Hundredths> {
    Hundredths::parse(text).map_err(|e| decimal_error(field, e))
}

/// An exact area in m² from a JSON number, at most two decimal places.
pub(crate) fn area(field: &str, value: Option<f64>) -> ApiResult<Option<Hundredths>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let h = Hundredths::from_f64(v).map_err(|e| decimal_error(field, e))?;
            if h > Hundredths::whole(1_000_000) {
                return Err(ApiError::bad_input(
                    field,
                    "an area in m² between 0 and 1000000",
                    "مساحت باید بین صفر و یک میلیون مترمربع باشد.",
                ));
            }
            Ok(Some(h))
        }
    }
}

fn decimal_error(field: &str, e: DecimalError) -> ApiError {
    let fa = match e {
        DecimalError::TooPrecise => {
            "حداکثر دو رقم اعشار مجاز است (سامانه شهرسازی صدم را ثبت می‌کند)."
        }
        DecimalError::Negative => "مقدار نباید منفی باشد.",
        DecimalError::TooLarge => "مقدار بیش از حد بزرگ است.",
        DecimalError::Format => "یک عدد مانند ۰٫۷۵ وارد کنید.",
    };
    ApiError::bad_input(field, e.to_string(), fa)
}

/// The idempotency key of the input or the `Idempotency-Key` header.
pub(crate) fn idempotency_key(ctx: &Context<'_>, given: Option<String>) -> ApiResult<String> {
    let key = given
        .or_else(|| ctx.idempotency_header().map(str::to_owned))
        .ok_or_else(|| {
            ApiError::bad_input(
                "input.idempotencyKey",
                "issuing a ruling needs an idempotency key (the field or the Idempotency-Key header)", "برای صدور رأی شناسه یکتای درخواست لازم است.")
        })?;
    if key.is_empty() || key.len() > 128 {
        return Err(ApiError::bad_input(
            "input.idempotencyKey",
            "the key must be 1 to 128 characters",
            "شناسه یکتای درخواست باید ۱ تا ۱۲۸ نویسه باشد.",
        ));
    }
    Ok(key)
}

pub(crate) fn id64(kind: &str, field: &str, id: &ID) -> ApiResult<i64> {
    super::resolvers::key_of(kind, field, id)
}

/// A ruling read back for a payload.
pub(crate) async fn ruling_payload(ctx: &Context<'_>, id: i32) -> ApiResult<Ruling> {
    ctx.deps()
        .urbanism
        .rulings_by_ids(&[id], &Visibility::All)
        .await?
        .into_iter()
        .next()
        .map(Ruling)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such ruling"))
}

/// The ruling id of an input.
pub(crate) fn ruling_id(id: &ID) -> ApiResult<i32> {
    id_of("Ruling", "input.ruling", id)
}
