//! Headers every response carries so that browsers neither sniff content types, nor send our
//! addresses (with their signed query strings) to other sites, nor let another site frame our
//! pages. HTML pages set their own Content-Security-Policy; any response that did not gets
//! one that at least forbids framing, and every policy forbids it.

use poem::{
    http::{header, HeaderValue},
    Endpoint, IntoResponse, Request, Response, Result,
};

/// The policy of a response that sets none of its own.
const FALLBACK_POLICY: &str = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub(super) async fn middleware<E: Endpoint>(ep: E, req: Request) -> Result<Response> {
    let mut response = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let policy = match headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
    {
        Some(p) if p.contains("frame-ancestors") => None,
        Some(p) => Some(format!("{p}; frame-ancestors 'none'")),
        None => Some(FALLBACK_POLICY.to_owned()),
    };
    if let Some(value) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}
