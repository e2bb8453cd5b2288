//! The closed set of error codes every GraphQL error carries in `extensions.code`, and the
//! one place that turns internal failures into client-safe errors.

use async_graphql::{ErrorExtensions, Value};
use shahr_store::StoreError;

/// Every code a client can see. Documented in the README; adding one is an API change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The HTTP request itself is malformed (body not JSON, no query, wrong media type).
    BadRequest,
    /// The document is not valid GraphQL.
    GraphqlParseFailed,
    /// The document does not fit the schema (unknown field, wrong argument type, ...).
    GraphqlValidationFailed,
    /// An argument value is invalid; `extensions.field` names it.
    BadUserInput,
    /// The operation needs a signed-in viewer.
    Unauthenticated,
    /// The viewer may not do this (only where existence is not secret).
    Forbidden,
    /// No such object, or not visible to the viewer.
    NotFound,
    /// Illegal state transition; `extensions.currentState` tells the state.
    Conflict,
    /// The idempotency key was used with another input.
    IdempotencyKeyReused,
    /// An operation limit was exceeded; `extensions.limit` names it.
    LimitExceeded,
    /// Too many requests; retry later.
    RateLimited,
    /// A legacy upstream system did not answer; `extensions.upstream` names it.
    UpstreamUnavailable,
    /// Our own database or cache is unavailable right now; retry later.
    ServiceUnavailable,
    /// A bug; `extensions.correlationId` finds it in the logs.
    Internal,
}

impl ErrorCode {
    /// The SCREAMING_SNAKE_CASE spelling sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The code spelled `code`, if there is one.
    pub fn parse(code: &str) -> Option<Self> {
        use ErrorCode::*;
        [
            BadRequest,
            GraphqlParseFailed,
            GraphqlValidationFailed,
            BadUserInput,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            IdempotencyKeyReused,
            LimitExceeded,
            RateLimited,
            UpstreamUnavailable,
            ServiceUnavailable,
            Internal,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
    }

    /// The Persian message a citizen-facing app may show as is.
    pub fn message_fa(self) -> &'static str {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::GraphqlParseFailed
            | ErrorCode::GraphqlValidationFailed => "درخواست نامعتبر است.",
            ErrorCode::BadUserInput => "مقدار واردشده نامعتبر است.",
            ErrorCode::Unauthenticated => "لطفاً وارد سامانه شوید.",
            ErrorCode::Forbidden => "شما اجازه انجام این کار را ندارید.",
            ErrorCode::NotFound => "مورد درخواستی یافت نشد.",
            ErrorCode::Conflict => "این عملیات در وضعیت فعلی پرونده مجاز نیست.",
            ErrorCode::IdempotencyKeyReused => {
                "این شناسه درخواست قبلاً برای درخواست دیگری به کار رفته است."
            }
            ErrorCode::LimitExceeded => "درخواست از حد مجاز بزرگ‌تر است.",
            ErrorCode::RateLimited => "تعداد درخواست‌ها زیاد است؛ کمی بعد دوباره تلاش کنید.",
            ErrorCode::UpstreamUnavailable => {
                "سامانه مرتبط در دسترس نیست؛ کمی بعد دوباره تلاش کنید."
            }
            ErrorCode::ServiceUnavailable => "سامانه موقتاً در دسترس نیست؛ کمی بعد دوباره تلاش کنید.",
            ErrorCode::Internal => "خطای داخلی رخ داد؛ کد پیگیری را به پشتیبانی اعلام کنید.",
        }
    }
}

/// An error for the API: a code, an English message for developers, and details.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// Developer-facing message (never internal text).
    pub message: String,
    /// Extra `extensions` entries (`field`, `limit`, `currentState`, ...).
    pub details: Vec<(&'static str, Value)>,
    /// A Persian message more specific than the code's, when the cause is known.
    pub message_fa: Option<String>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            message_fa: None,
        }
    }

    /// Sets the Persian message (`extensions.messageFa`).
    pub fn with_fa(mut self, message_fa: impl Into<String>) -> Self {
        self.message_fa = Some(message_fa.into());
        self
    }

    /// `BAD_USER_INPUT` naming the offending field, with why in English and in Persian (every
    /// refusal says its own reason to the person, not a generic "invalid value").
    pub fn bad_input(
        field: &str,
        message: impl Into<String>,
        message_fa: impl Into<String>,
    ) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
            .with("field", Value::from(field))
            .with_fa(message_fa)
    }

    /// `LIMIT_EXCEEDED` naming the limit.
    pub fn limit(limit: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::LimitExceeded, message).with("limit", Value::from(limit))
    }

    /// Adds an `extensions` entry.
    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.details.push((key, value));
        self
    }

    /// `INTERNAL`: logs the cause chain with a fresh correlation id and returns an error that
    /// carries only that id.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(correlation_id = %correlation_id, error = %chain, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
            .with("correlationId", Value::from(correlation_id))
    }

    /// The `extensions` map as async-graphql wants it.
    pub fn extensions(&self) -> async_graphql::ErrorExtensionValues {
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", self.code.as_str());
        match &self.message_fa {
            Some(fa) => ext.set("messageFa", fa.as_str()),
            None => ext.set("messageFa", self.code.message_fa()),
        }
        for (key, value) in &self.details {
            ext.set(*key, value.clone());
        }
        ext
    }

    /// As a server error (for extension hooks that return `ServerError`).
    pub fn into_server_error(self, pos: Option<async_graphql::Pos>) -> async_graphql::ServerError {
        let mut err = async_graphql::ServerError::new(self.message.clone(), pos);
        err.extensions = Some(self.extensions());
        err
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let extensions = err.extensions();
        let mut out = async_graphql::Error::new(err.message);
        out.extensions = Some(extensions);
        out
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        self.clone().into()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::Unavailable(_) | StoreError::Timeout => {
                tracing::warn!(error = %err, "database unavailable");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the database is unavailable; retry shortly",
                )
            }
            _ => ApiError::internal(&err),
        }
    }
}

/// `ApiError` through `?` in resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

/// A use case's refusal as an API error; input fields are named under `prefix` (`input`).
pub fn usecase_error(e: crate::usecases::UseCaseError, prefix: &str) -> ApiError {
    use crate::usecases::UseCaseError as U;
    match e {
        U::NotFound => ApiError::new(ErrorCode::NotFound, "no such object"),
        U::Forbidden(why) => ApiError::new(ErrorCode::Forbidden, why),
        U::Conflict {
            message,
            message_fa,
            current,
        } => {
            let mut err = ApiError::new(ErrorCode::Conflict, message)
                .with("currentState", current.name().into())
                .with("stateOf", current.object().into());
            if let Some(fa) = message_fa {
                err = err.with_fa(fa);
            }
            err
        }
        U::BadInput {
            field,
            message,
            message_fa,
        } => ApiError::bad_input(&format!("{prefix}.{field}"), message, message_fa),
        U::IdempotencyKeyReused(why) => ApiError::new(ErrorCode::IdempotencyKeyReused, why),
        U::Store(e) => ApiError::from(e),
    }
}
