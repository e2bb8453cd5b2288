//! `/payments/callback/{provider}`: where the payment gateway sends the citizen's browser back.
//! The form it carries is only a hint; the gateway is asked server to server, the money is
//! settled and recorded (or given back), and the browser goes on to the app with the outcome
//! (`payment_return_url`), or sees this page when no app address is configured.

use std::sync::Arc;

use poem::{
    handler,
    http::{header, StatusCode},
    web::{Data, Form, Path},
    Request, Response,
};

use super::HttpState;
use crate::{
    documents::{dadnameh, esc, fa_digits, fa_rials},
    graphql::node::global_id,
    usecases::payments::Outcome,
};
use shahr_citizen::payments::{PaidFor, Payment};

/// What a payment paid, in Persian, with its code kept left to right.
fn paid_for_fa(p: &Payment) -> String {
    match &p.paid_for {
        PaidFor::Request { tracking_code, .. } => {
            format!(
                "عوارض درخواست <bdi dir=\"ltr\">{}</bdi>",
                esc(tracking_code)
            )
        }
        PaidFor::Fine { ruling_number, .. } => format!(
            "جریمه رأی کمیسیون ماده ۱۰۰ شماره <bdi dir=\"ltr\">{}</bdi>",
            esc(ruling_number)
        ),
    }
}

#[handler]
pub async fn callback(
    Path(provider): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let Some(payments) = state
        .payments
        .as_ref()
        .filter(|p| p.provider_name() == provider)
    else {
        return page(
            StatusCode::NOT_FOUND,
            "درگاه پرداخت یافت نشد",
            "این نشانی بازگشت از درگاه پرداختی نیست که سامانه به کار می‌برد.",
        );
    };
    let (outcome, payment) = payments.callback(&form).await;
    if let (Some(app), Some(p)) = (&state.payment_return_url, &payment) {
        let separator = if app.contains('?') { '&' } else { '?' };
        // What it paid: `tracking` (a request's code, URL-safe) or `ruling` (a Ruling id).
        let paid_for = match &p.paid_for {
            PaidFor::Request { tracking_code, .. } => format!("tracking={tracking_code}"),
            PaidFor::Fine { ruling_id, .. } => {
                format!("ruling={}", global_id("Ruling", ruling_id).0)
            }
        };
        let to = format!(
            "{app}{separator}payment={}&{paid_for}&outcome={}",
            global_id("Payment", p.id).0,
            outcome.as_str()
        );
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, to)
            .header(header::CACHE_CONTROL, "no-store")
            .finish();
    }
    let detail = match &payment {
        Some(p) => {
            format!(
                "{} {} — مبلغ {}{}",
                outcome.label_fa(),
                paid_for_fa(p),
                fa_rials(p.amount_rials),
                p.sale_reference
                    .filter(|_| outcome == Outcome::Paid)
                    .map(|r| format!(" — شماره مرجع {}", fa_digits(&r.to_string())))
                    .unwrap_or_default()
            ) + &p
                .receipt_code
                .as_deref()
                .filter(|_| outcome == Outcome::Paid)
                .map(|code| receipt_box(&payments.receipt_url(code)))
                .unwrap_or_default()
        }
        None => outcome.label_fa().to_owned(),
    };
    let status = if payment.is_some() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = page(status, "نتیجه پرداخت", &detail);
    response.headers_mut().insert(
        "x-payment-outcome",
        poem::http::HeaderValue::from_static(outcome.as_str()),
    );
    response
}

fn page(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = dadnameh::notice(
        title,
        &format!(
            "<h1>{}</h1><p class=\"payment-outcome\">{}</p>",
            esc(title),
            detail
        ),
    );
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(html)
}

/// The receipt's QR code and address, for the citizen to keep.
fn receipt_box(url: &str) -> String {
    format!(
        "</p><div class=\"receipt\"><div class=\"qr\">{}</div><p>رسید را با اسکن کد یا در این نشانی بررسی کنید: <bdi dir=\"ltr\" class=\"receipt-url\">{}</bdi></p></div><p>",
        crate::documents::qr_svg(url),
        esc(url)
    )
}

/// `/receipts/{code}`: a paid payment's receipt, public to whoever holds its code (printed and
/// QR-coded on it). It shows the payment, not the person.
#[handler]
pub async fn receipt(
    req: &Request,
    Path(code): Path<String>,
    state: Data<&Arc<HttpState>>,
) -> Response {
    let code = match super::paper_code(req, &state, &code).await {
        Ok(code) => code,
        Err(refused) => return refused,
    };
    let found = if let Some(code) = &code {
        match state.citizen.payment_by_receipt(code).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "receipt lookup failed");
                return super::error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    "receipts are unavailable; retry shortly",
                );
            }
        }
    } else {
        None
    };
    let Some(p) = found else {
        return page(
            StatusCode::NOT_FOUND,
            "رسید یافت نشد",
            "رسیدی با این کد ثبت نشده است.",
        );
    };
    let paid_on = p
        .settled_at
        .map(|t| {
            fa_digits(&crate::graphql::scalars::jalali(
                shahr_domain::jalali::tehran_today(t),
            ))
        })
        .unwrap_or_default();
    let detail = format!(
        "پرداخت معتبر است: مبلغ <span class=\"amount\">{}</span> بابت {}، در تاریخ {}. شماره مرجع <span class=\"reference\">{}</span>؛ شماره سفارش {}؛ درگاه به‌پرداخت ملت.",
        fa_rials(p.amount_rials),
        paid_for_fa(&p),
        paid_on,
        fa_digits(&p.sale_reference.unwrap_or_default().to_string()),
        fa_digits(&p.id.to_string()),
    );
    page(StatusCode::OK, "رسید پرداخت", &detail)
}
