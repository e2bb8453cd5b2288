//! `POST /uploads`: one file per request (multipart field `file`), from a signed-in citizen,
//! limited in size, rate and quota (bytes not yet attached), its bytes checked against the
//! type it claims. The bytes stream to the blob store, the metadata goes to the citizen
//! store; the answer is an upload id that mutations (`attachDocument`) refer to. Uploads
//! never attached expire after `upload_ttl` ([`expire`]).

use std::{sync::Arc, time::Duration};

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Multipart},
    IntoResponse, Request, Response,
};
use shahr_citizen::{
    blobs::{BlobStore, DirectoryBlobStore, StreamError},
    CitizenDb, Upload,
};
use tokio_util::sync::CancellationToken;

use super::{error_response_fa, graphql::viewer, HttpState};

/// Media types accepted at all; each service's documents narrow them further.
const ACCEPTED: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

#[handler]
pub async fn upload(
    req: &Request,
    multipart: poem::Result<Multipart>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let viewer = match viewer(req, &state).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Some(principal) = viewer.principal() else {
        let mut response = error_response_fa(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "sign in to upload",
            "برای بارگذاری مدرک وارد سامانه شوید.",
            None,
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer"),
        );
        return response;
    };
    // Only citizens attach documents to their requests; nobody else needs to upload.
    if !principal.roles.contains(&crate::auth::Role::Citizen) {
        return error_response_fa(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "only citizens upload documents for their requests",
            "فقط شهروندان برای درخواست‌های خود مدرک بارگذاری می‌کنند.",
            None,
        );
    }
    let who = format!("sub:{}", principal.subject);
    if let Err(wait) = state.rate.take(state.rate.uploads(), &who, 1).await {
        return super::rate_limited(wait);
    }
    let limit = state.settings.max_upload_bytes as u64;
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    // Room for the multipart framing around the file.
    if declared.is_some_and(|len| len > limit + 16 * 1024) {
        return too_large(limit);
    }
    let pending = match state.citizen.pending_upload_bytes(&principal.subject).await {
        Ok(n) => u64::try_from(n).unwrap_or(0),
        Err(err) => {
            tracing::error!(error = %err, "upload quota could not be read");
            return unavailable();
        }
    };
    let quota_left = state.settings.upload_quota_bytes.saturating_sub(pending);
    let Ok(mut multipart) = multipart else {
        return error_response_fa(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the file as multipart/form-data in a field named `file`",
            "فایل را به صورت multipart/form-data در فیلد file بفرستید.",
            Some("file"),
        );
    };
    let field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => {
                return error_response_fa(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "no field named `file`",
                    "فیلدی به نام file در درخواست نیست.",
                    Some("file"),
                )
            }
            Err(_) => {
                return error_response_fa(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the multipart body is malformed",
                    "بدنه درخواست چندبخشی خراب است.",
                    None,
                )
            }
        }
    };
    let content_type = field
        .content_type()
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !ACCEPTED.contains(&content_type.as_str()) {
        return error_response_fa(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            &format!("files must be one of {}", ACCEPTED.join(", ")),
            "نوع فایل پذیرفته نیست؛ PDF، JPEG یا PNG بفرستید.",
            Some("file"),
        );
    }
    let file_name = field
        .file_name()
        .map_or_else(|| "file".to_owned(), display_name);
    let id = uuid::Uuid::new_v4();
    let key = id.to_string();
    // Streamed to disk a chunk at a time, never more than the smaller of the size limit and
    // what is left of the person's quota.
    let streamed = tokio::time::timeout(
        state.settings.body_read_timeout,
        state
            .blobs
            .put_stream(&key, field.into_async_read(), limit.min(quota_left)),
    )
    .await;
    let streamed = match streamed {
        Err(_) => {
            let _ = state.blobs.remove(&key).await;
            return super::body_timeout();
        }
        Ok(Ok(s)) => s,
        Ok(Err(StreamError::TooLarge(_))) if quota_left < limit => {
            return quota_exceeded(state.settings.upload_quota_bytes)
        }
        Ok(Err(StreamError::TooLarge(_))) => return too_large(limit),
        Ok(Err(StreamError::Read(_))) => {
            return error_response_fa(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the file could not be read",
                "فایل خوانده نشد؛ دوباره بفرستید.",
                Some("file"),
            )
        }
        Ok(Err(StreamError::Store(err))) => {
            tracing::error!(error = %err, "upload could not be stored");
            return unavailable();
        }
    };
    if !bytes_match(&content_type, &streamed.head) {
        let _ = state.blobs.remove(&key).await;
        return error_response_fa(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            &format!("the file's bytes are not a {content_type} file"),
            "محتوای فایل با نوع اعلام‌شده آن یکی نیست.",
            Some("file"),
        );
    }
    let upload = Upload {
        id,
        owner_subject: principal.subject.clone(),
        file_name,
        content_type,
        size_bytes: i64::try_from(streamed.size).unwrap_or(i64::MAX),
        sha256: streamed.sha256,
    };
    if let Err(err) = state.citizen.record_upload(&upload).await {
        tracing::error!(error = %err, "upload could not be recorded");
        let _ = state.blobs.remove(&key).await;
        return unavailable();
    }
    Response::builder()
        .status(StatusCode::CREATED)
        .content_type("application/json")
        .body(
            serde_json::json!({
                "uploadId": upload.id,
                "fileName": upload.file_name,
                "contentType": upload.content_type,
                "size": upload.size_bytes,
                "sha256": upload.sha256,
            })
            .to_string(),
        )
}

/// True when the first bytes are those of `content_type`'s format: a file is never stored
/// as something it is not (a page of script named `x.png`).
fn bytes_match(content_type: &str, head: &[u8]) -> bool {
    match content_type {
        "application/pdf" => head.starts_with(b"%PDF-"),
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        _ => false,
    }
}

/// A file name fit to show: its last path component, without control or bidirectional
/// characters, normalised, at most 200 characters; `file` when nothing is left.
fn display_name(sent: &str) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = shahr_domain::text::normalise(base)
        .chars()
        .filter(|c| !c.is_control() && !shahr_domain::text::has_bidi_control(&c.to_string()))
        .take(200)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Removes uploads never attached within `ttl`, with their bytes, every so often until
/// `stop`; a failed pass is logged and the next one tries again.
pub async fn expire(
    citizen: CitizenDb,
    blobs: Arc<DirectoryBlobStore>,
    ttl: Duration,
    stop: CancellationToken,
) {
    let every = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match citizen.expire_uploads(ttl, 500).await {
            Ok(keys) => {
                for key in keys {
                    if let Err(err) = blobs.remove(&key).await {
                        tracing::warn!(error = %err, "an expired upload's bytes could not be removed");
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "expired uploads could not be removed"),
        }
    }
}

fn unavailable() -> Response {
    error_response_fa(
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        "the upload could not be stored; retry shortly",
        "فایل ذخیره نشد؛ کمی بعد دوباره بفرستید.",
        None,
    )
}

fn quota_exceeded(quota: u64) -> Response {
    Response::builder()
        .status(StatusCode::PAYLOAD_TOO_LARGE)
        .content_type("application/json")
        .body(
            serde_json::json!({ "errors": [{
                "message": format!(
                    "this upload would pass your quota of {quota} bytes of documents not yet attached"
                ),
                "extensions": {
                    "code": "LIMIT_EXCEEDED",
                    "limit": "uploadQuota",
                    "messageFa": "حجم مدارک پیوست‌نشده شما از سهمیه بیشتر می‌شود.",
                },
            }]})
            .to_string(),
        )
}

fn too_large(limit: u64) -> Response {
    error_response_fa(
        StatusCode::PAYLOAD_TOO_LARGE,
        "LIMIT_EXCEEDED",
        &format!("the file is larger than {limit} bytes"),
        &format!(
            "حجم فایل بیش از {} مگابایت است.",
            crate::documents::fa_digits(&(limit / (1024 * 1024)).max(1).to_string())
        ),
        Some("file"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_its_last_path_component_without_controls() {
        for (sent, shown) in [
            ("../../etc/passwd.pdf", "passwd.pdf"),
            ("C:\\Users\\x\\y.pdf", "y.pdf"),
            ("a\u{0}b\u{202e}c.pdf", "abc.pdf"),
            ("..", "file"),
            ("", "file"),
        ] {
            assert_eq!(display_name(sent), shown, "{sent:?}");
        }
    }
}
