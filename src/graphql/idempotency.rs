//! Idempotency keys of state-changing mutations: the input's `idempotencyKey`, or the
//! `Idempotency-Key` header. The key is stored with the change, in its transaction, and a
//! retry with it answers with the first attempt's result without changing anything again;
//! the same key with another mutation or another input is refused (`IDEMPOTENCY_KEY_REUSED`).

use async_graphql::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shahr_store::idempotency::Key;

use super::{
    access::signed_in,
    context::ContextExt,
    error::{ApiError, ApiResult},
};

/// The key of `operation` with `input` (what makes two attempts the same command), if the
/// client sent one.
pub fn command_key(
    ctx: &Context<'_>,
    operation: &'static str,
    field_key: Option<&str>,
    input: &impl Serialize,
) -> ApiResult<Option<Key>> {
    let Some(key) = field_key
        .map(str::to_owned)
        .or_else(|| ctx.idempotency_header().map(str::to_owned))
    else {
        return Ok(None);
    };
    if key.is_empty() || key.len() > 128 {
        return Err(ApiError::bad_input(
            "input.idempotencyKey",
            "the key must be 1 to 128 characters",
            "شناسه یکتای درخواست باید ۱ تا ۱۲۸ نویسه باشد.",
        ));
    }
    let subject = signed_in(ctx.viewer())?.subject.clone();
    let canonical = serde_json::to_vec(&(operation, input)).map_err(|e| {
        ApiError::bad_input(
            "input",
            format!("unreadable input: {e}"),
            "ورودی درخواست خوانا نیست.",
        )
    })?;
    Ok(Some(Key {
        subject,
        key,
        operation,
        payload_hash: hex::encode(Sha256::digest(&canonical)),
    }))
}

/// The key of `operation` whose command is the field's arguments as the client sent them
/// (variables resolved, keys sorted, the key itself left out): values the gateway fills in
/// when absent, such as "now", are not part of it, so a retry matches its first attempt.
pub fn arguments_key(
    ctx: &Context<'_>,
    operation: &'static str,
    field_key: Option<&str>,
) -> ApiResult<Option<Key>> {
    if field_key.is_none() && ctx.idempotency_header().is_none() {
        return Ok(None);
    }
    let mut command = serde_json::Map::new();
    let arguments = ctx.field().arguments().map_err(|e| {
        ApiError::bad_input(
            "input",
            format!("unreadable input: {}", e.message),
            "ورودی درخواست خوانا نیست.",
        )
    })?;
    for (name, value) in arguments {
        let mut value = value.into_json().map_err(|e| {
            ApiError::bad_input(
                "input",
                format!("unreadable input: {e}"),
                "ورودی درخواست خوانا نیست.",
            )
        })?;
        if let serde_json::Value::Object(fields) = &mut value {
            fields.remove("idempotencyKey");
        }
        command.insert(name.to_string(), value);
    }
    let command = shahr_domain::signing::with_sorted_keys(&serde_json::Value::Object(command));
    command_key(ctx, operation, field_key, &command)
}
