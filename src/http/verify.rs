//! `/verify/{code}`: the public check of an issued ruling, reached from the QR code on the
//! dadnameh. It shows only the verdict, the ruling number, its date, the commission and the
//! content hash: never personal data.

use std::sync::Arc;

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Path},
    Request, Response,
};
use serde_json::json;

use super::HttpState;
use crate::{
    documents::seal::{self, SealSeed},
    hologram::{check, Verdict},
};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[handler]
pub async fn verify(
    req: &Request,
    Path(code): Path<String>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let code = match super::paper_code(req, &state, &code).await {
        Ok(code) => code,
        Err(refused) => return refused,
    };
    let wants_json = req
        .header(header::ACCEPT)
        .is_some_and(|a| a.contains("application/json"));
    let found = if let Some(code) = &code {
        match state.urbanism.issued_by_code(code).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "verification lookup failed");
                return super::error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    "verification is unavailable; retry shortly",
                );
            }
        }
    } else {
        None
    };
    let Some((record, legacy)) = found else {
        return page(
            StatusCode::NOT_FOUND,
            wants_json,
            json!({ "status": "not_found" }),
            "یافت نشد",
            "رأیی با این کد ثبت نشده است.",
            None,
        );
    };
    let verdict = check(&state.keyring, &record, legacy.as_ref());
    let (status, label, detail) = match verdict {
        Verdict::Valid => (
            "valid",
            "معتبر",
            "این رأی با امضای دیجیتال کمیسیون مطابقت دارد.",
        ),
        Verdict::Superseded => (
            "superseded",
            "جایگزین‌شده",
            "این رأی با رأی تجدیدنظر جایگزین شده است.",
        ),
        Verdict::Invalid => (
            "invalid",
            "نامعتبر",
            "محتوای این رأی با نسخه امضاشده مطابقت ندارد.",
        ),
    };
    // The seal is drawn again from the signed record: only for a record that checks out, so a
    // tampered one never shows a matching pattern.
    let seal = (verdict != Verdict::Invalid).then(|| {
        SealSeed::of(
            &record.content["legacy"],
            code.as_deref().unwrap_or_default(),
        )
    });
    let body = json!({
        "status": status,
        "number": record.number,
        "dateJalali": record.content["legacy"]["dateJalali"],
        "commission": record.content["commissionName"],
        "contentHash": record.content_hash,
        "seal": seal.map(|s| s.fingerprint()),
    });
    page(
        StatusCode::OK,
        wants_json,
        body,
        label,
        detail,
        seal.as_ref(),
    )
}

fn page(
    status: StatusCode,
    json: bool,
    body: serde_json::Value,
    label: &str,
    detail: &str,
    seal: Option<&SealSeed>,
) -> Response {
    if json {
        return Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body.to_string());
    }
    let field = |key: &str| escape(body[key].as_str().unwrap_or("—"));
    let seal = match seal {
        Some(seed) => format!(
            "<figure class=\"seal-box\">{}<figcaption>مهر دیداری <bdi dir=\"ltr\">{}</bdi>: باید با مهر کنار کد QR روی دادنامه یکسان باشد.</figcaption></figure>",
            seal::svg(seed),
            escape(&seed.fingerprint())
        ),
        None => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>استعلام اصالت رأی</title>\
         <style>body{{font-family:Vazirmatn,Tahoma,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.9}}\
         .v{{font-size:1.6rem;font-weight:bold}} dt{{color:#555}} dd{{margin:0 0 .6rem 0}} code{{direction:ltr;display:inline-block;word-break:break-all}}\
         .seal-box{{margin:1rem 0;text-align:center}} .seal-box svg{{width:200px;height:200px}} .seal-box figcaption{{font-size:.9rem}}</style>\
         </head><body><h1>استعلام اصالت رأی کمیسیون ماده ۱۰۰</h1>\
         <p class=\"v\">{label}</p><p>{detail}</p>{seal}<dl>\
         <dt>شماره رأی</dt><dd>{number}</dd><dt>تاریخ</dt><dd>{date}</dd>\
         <dt>کمیسیون</dt><dd>{commission}</dd><dt>چکیده محتوا</dt><dd><code>{hash}</code></dd></dl></body></html>",
        label = escape(label),
        detail = escape(detail),
        number = field("number"),
        date = field("dateJalali"),
        commission = field("commission"),
        hash = field("contentHash"),
    );
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; frame-ancestors 'none'",
        )
        .body(html)
}
