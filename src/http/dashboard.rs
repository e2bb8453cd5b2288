//! `/dashboard`: the live Persian dashboard, plain HTML, CSS and JavaScript served by the
//! gateway itself (no CDN, no external fonts or scripts). It reads `rulingStats` and
//! `requestStats` over HTTP and `rulingEvents` over WebSocket with the token the user gives
//! (a form in the `dev` profile, or `#token=` in the address). Its operations are trusted
//! documents of the client [`CLIENT`]: the page lists their hashes and sends nothing else.

use poem::{handler, http::header, web::Data, Response};

use super::HttpState;
use crate::config::Profile;

const INDEX: &str = include_str!("../../assets/dashboard/index.html");
const SCRIPT: &str = include_str!("../../assets/dashboard/app.js");
const STYLE: &str = include_str!("../../assets/dashboard/app.css");

/// The client name the dashboard sends (`graphql-client-name`, or `clientName` in the
/// WebSocket's `connection_init`).
pub const CLIENT: &str = "shahr-dashboard";

/// The dashboard's operations, by name: its trusted documents.
pub const OPERATIONS: &[(&str, &str)] = &[
    (
        "DashboardStats",
        include_str!("../../assets/dashboard/stats.graphql"),
    ),
    (
        "DashboardEvents",
        include_str!("../../assets/dashboard/events.graphql"),
    ),
];

/// Only this origin's scripts, styles, fonts and sockets.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

fn asset(content_type: &str, body: String) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .header("Content-Security-Policy", POLICY)
        .header("X-Content-Type-Options", "nosniff")
        .body(body)
}

/// The page; it tells the script which profile runs (the login form is for `dev`).
#[handler]
pub fn page(state: Data<&std::sync::Arc<HttpState>>) -> Response {
    let profile = match state.settings.profile {
        Profile::Dev => "dev",
        Profile::Prod => "prod",
    };
    let documents: String = OPERATIONS
        .iter()
        .map(|(name, document)| {
            format!(
                "<meta name=\"shahr-document\" data-operation=\"{name}\" content=\"{}\">",
                super::persisted::document_hash(document)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    asset(
        "text/html; charset=utf-8",
        INDEX
            .replace("{{PROFILE}}", profile)
            .replace("{{DOCUMENTS}}", &documents),
    )
}

/// The script.
#[handler]
pub fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT.to_owned())
}

/// The style sheet.
#[handler]
pub fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE.to_owned())
}
