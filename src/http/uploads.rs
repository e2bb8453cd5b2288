//! `POST /uploads`: one file per request (multipart field `file`), authenticated by header,
//! limited in size and type. The bytes go to the blob store, the metadata to the citizen
//! store; the answer is an upload id that mutations (`attachDocument`) refer to.

use std::sync::Arc;

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Multipart},
    IntoResponse, Request, Response,
};
use sha2::{Digest, Sha256};
use shahr_citizen::{blobs::BlobStore, Upload};
use tokio::io::AsyncReadExt;

use super::{error_response, graphql::viewer, HttpState};

/// Media types accepted at all; each service's documents narrow them further.
const ACCEPTED: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

#[handler]
pub async fn upload(
    req: &Request,
    multipart: poem::Result<Multipart>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let viewer = match viewer(req, &state) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Some(principal) = viewer.principal() else {
        let mut response = error_response(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "sign in to upload",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer"),
        );
        return response;
    };
    if let Err(wait) = state
        .rate
        .take(
            state.rate.uploads(),
            &format!("sub:{}", principal.subject),
            1,
        )
        .await
    {
        return super::rate_limited(wait);
    }
    let limit = state.settings.max_upload_bytes;
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<usize>().ok());
    // Room for the multipart framing around the file.
    if declared.is_some_and(|len| len > limit + 16 * 1024) {
        return too_large(limit);
    }
    let Ok(mut multipart) = multipart else {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the file as multipart/form-data in a field named `file`",
        );
    };
    let field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "no field named `file`",
                )
            }
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the multipart body is malformed",
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
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            &format!("files must be one of {}", ACCEPTED.join(", ")),
        );
    }
    let file_name = field
        .file_name()
        .map(|n| {
            shahr_domain::text::normalise(n)
                .chars()
                .take(200)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty() && !shahr_domain::text::has_bidi_control(n))
        .unwrap_or_else(|| "file".to_owned());
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(
        state.settings.body_read_timeout,
        field
            .into_async_read()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes),
    )
    .await;
    let Ok(read) = read else {
        return super::body_timeout();
    };
    if read.is_err() {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the file could not be read",
        );
    }
    if bytes.len() > limit {
        return too_large(limit);
    }
    let upload = Upload {
        id: uuid::Uuid::new_v4(),
        owner_subject: principal.subject.clone(),
        file_name,
        content_type,
        size_bytes: bytes.len() as i64,
        sha256: hex_digest(&bytes),
    };
    let stored = async {
        state.blobs.put(&upload.id.to_string(), &bytes).await?;
        state.citizen.record_upload(&upload).await
    }
    .await;
    if let Err(err) = stored {
        tracing::error!(error = %err, "upload could not be stored");
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the upload could not be stored; retry shortly",
        );
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

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "LIMIT_EXCEEDED",
        &format!("the file is larger than {limit} bytes"),
    )
}
