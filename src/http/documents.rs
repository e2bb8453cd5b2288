//! `/documents/rulings/{id}`: the dadnameh of an issued ruling, opened through a signed,
//! short-lived link (`Ruling.documentUrl`); and the Persian typeface it uses.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Path, Query},
    Response,
};
use sha2::{Digest, Sha256};
use shahr_domain::signing::SignatureRecord;

use super::HttpState;
use crate::documents::{self, dadnameh, esc, fa_digits, links::LinkError};

pub(super) fn refusal(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = dadnameh::notice(
        title,
        &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(detail)),
    );
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(html)
}

#[handler]
pub async fn ruling_document(
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let Ok(id) = id.parse::<i32>() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "یافت نشد",
            "دادنامه‌ای با این شناسه نیست.",
        );
    };
    let path = format!("/documents/rulings/{id}");
    let exp = params.get("exp").and_then(|e| e.parse::<i64>().ok());
    let sig = params.get("sig");
    let checked = match (exp, sig) {
        (Some(exp), Some(sig)) => state.links.check(&path, exp, sig, Utc::now()),
        _ => Err(LinkError::Invalid),
    };
    match checked {
        Ok(()) => {}
        Err(LinkError::Expired) => {
            return refusal(
                StatusCode::GONE,
                "پیوند منقضی شده است",
                "این پیوند دیگر معتبر نیست؛ از سامانه پیوند تازه بگیرید.",
            )
        }
        Err(LinkError::Invalid) => {
            return refusal(
                StatusCode::FORBIDDEN,
                "دسترسی مجاز نیست",
                "این پیوند معتبر نیست؛ دادنامه را از سامانه باز کنید.",
            )
        }
    }
    let stored = match state.urbanism.document_of(id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => {
            return refusal(
                StatusCode::NOT_FOUND,
                "یافت نشد",
                "این رأی دادنامه الکترونیک ندارد.",
            )
        }
        Err(err) => {
            tracing::warn!(error = %err, "document lookup failed");
            return super::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "documents are unavailable; retry shortly",
            );
        }
    };
    // Serve only what the hologram covers: the stored bytes must hash to the signed hash.
    let hash = hex::encode(Sha256::digest(stored.html.as_bytes()));
    let signature = SignatureRecord {
        key_id: stored.record.key_id.clone(),
        signature: stored.record.signature.clone(),
    };
    let intact = hash == stored.sha256
        && stored.record.content["documentHash"].as_str() == Some(hash.as_str())
        && state.keyring.verify(&stored.record.content, &signature);
    if !intact {
        tracing::error!(
            ruling = id,
            "a stored dadnameh does not match its signature"
        );
        return refusal(
            StatusCode::CONFLICT,
            "دادنامه مخدوش است",
            "نسخه ذخیره‌شده این دادنامه با امضای دیجیتال آن مطابقت ندارد؛ به دبیرخانه کمیسیون اطلاع دهید.",
        );
    }
    if params.get("format").map(String::as_str) == Some("pdf") {
        let (exp, sig) = (exp.unwrap_or_default(), sig.cloned().unwrap_or_default());
        return super::pdf::serve(&state, &stored, &format!("{path}?exp={exp}&sig={sig}")).await;
    }
    // `bare`: the document alone, without the note on its service (what the PDF prints:
    // the document never changes, the note does).
    let status = if params.get("bare").map(String::as_str) == Some("1") {
        String::new()
    } else {
        service_status(&state, id).await
    };
    let html = dadnameh::page(
        &format!("دادنامه {}", stored.record.number),
        &stored.html,
        &status,
    );
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
             frame-ancestors 'none'",
        )
        .body(html)
}

/// The note above the document: whom it has been served on, and each party's objection
/// deadline (each runs from that party's own service).
async fn service_status(state: &HttpState, ruling_id: i32) -> String {
    use shahr_urbanism::cases::service::Document;
    let document = Document::Ruling(ruling_id);
    let documents = [document];
    let (parties, services, calendar) = match tokio::try_join!(
        state.urbanism.parties_by_documents(&documents),
        state.urbanism.services_by_documents(&documents),
        state.calendar.current(),
    ) {
        Ok((mut p, mut s, c)) => (
            p.remove(&document).unwrap_or_default(),
            s.remove(&document).unwrap_or_default(),
            c,
        ),
        Err(err) => {
            tracing::warn!(error = %err, "service lookup failed");
            return String::new();
        }
    };
    let owners: Vec<_> = parties.iter().filter(|p| p.party.is_owner()).collect();
    let served: Vec<_> = owners
        .iter()
        .filter_map(|p| {
            let first = services
                .iter()
                .filter(|s| s.party == p.party)
                .map(|s| s.served_on)
                .min()?;
            Some((p, first))
        })
        .collect();
    if served.is_empty() {
        return "<aside class=\"status\">این دادنامه هنوز ابلاغ قانونی نشده است؛ مهلت اعتراض هر مالک از تاریخ ابلاغ به او آغاز می‌شود.</aside>".to_owned();
    }
    let mut out = String::from("<aside class=\"status\"><ul>");
    for (p, first) in &served {
        let last = state.rules.objection().last_day(*first, &calendar);
        out.push_str(&format!(
            "<li>{}: ابلاغ قانونی <span class=\"served-on\">{}</span> — مهلت اعتراض تا پایان <span class=\"objection-deadline\">{}</span></li>",
            crate::documents::esc(&p.name),
            fa_digits(&crate::graphql::scalars::jalali(*first)),
            fa_digits(&crate::graphql::scalars::jalali(last))
        ));
    }
    for p in owners
        .iter()
        .filter(|p| !served.iter().any(|(s, _)| s.party == p.party))
    {
        out.push_str(&format!(
            "<li>{}: هنوز ابلاغ نشده{}</li>",
            crate::documents::esc(&p.name),
            if p.by_hand {
                " (ابلاغ حضوری لازم است)"
            } else {
                ""
            }
        ));
    }
    out.push_str("</ul></aside>");
    out
}

fn font(bytes: &'static [u8]) -> Response {
    Response::builder()
        .content_type("font/woff2")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(bytes)
}

#[handler]
pub fn font_regular() -> Response {
    font(documents::FONT_REGULAR)
}

#[handler]
pub fn font_bold() -> Response {
    font(documents::FONT_BOLD)
}
