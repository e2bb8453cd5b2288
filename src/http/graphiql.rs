//! `/graphiql` (dev profile): GraphiQL served by the gateway itself, its scripts and styles
//! included in the binary (see `build.rs`), so it works without reaching a CDN.

use poem::{handler, http::header, web::Path, Response};

const INDEX: &str = include_str!("../../assets/graphiql/index.html");
const SCRIPT: &str = include_str!("../../assets/graphiql/app.js");
const STYLE: &str = include_str!("../../assets/graphiql/page.css");

/// GraphiQL's bundles as the build found them, by the name they are served under.
const BUNDLES: [(&str, &str, &[u8]); 4] = [
    (
        "react.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/graphiql/react.js")),
    ),
    (
        "react-dom.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/graphiql/react-dom.js")),
    ),
    (
        "graphiql.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/graphiql/graphiql.js")),
    ),
    (
        "graphiql.css",
        "text/css; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/graphiql/graphiql.css")),
    ),
];

/// Where the page loads each bundle from (placeholder, address): the gateway, or unpkg.com
/// when the build could not include them (no npm where it was built).
#[cfg(graphiql_bundled)]
const SOURCES: [(&str, &str); 4] = [
    ("{{REACT}}", "/graphiql/react.js"),
    ("{{REACT_DOM}}", "/graphiql/react-dom.js"),
    ("{{GRAPHIQL_JS}}", "/graphiql/graphiql.js"),
    ("{{GRAPHIQL_CSS}}", "/graphiql/graphiql.css"),
];
#[cfg(not(graphiql_bundled))]
const SOURCES: [(&str, &str); 4] = [
    (
        "{{REACT}}",
        "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
    ),
    (
        "{{REACT_DOM}}",
        "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
    ),
    (
        "{{GRAPHIQL_JS}}",
        "https://unpkg.com/graphiql@3.9.0/graphiql.min.js",
    ),
    (
        "{{GRAPHIQL_CSS}}",
        "https://unpkg.com/graphiql@3.9.0/graphiql.min.css",
    ),
];

/// GraphiQL's editors set inline styles; everything else comes from this origin.
#[cfg(graphiql_bundled)]
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";
#[cfg(not(graphiql_bundled))]
const POLICY: &str = "default-src 'none'; script-src 'self' https://unpkg.com; \
    style-src 'self' 'unsafe-inline' https://unpkg.com; font-src 'self' data:; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

fn asset(content_type: &str, body: impl Into<poem::Body>, cache: &str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, cache)
        .header("Content-Security-Policy", POLICY)
        .header("X-Content-Type-Options", "nosniff")
        .body(body)
}

/// The page.
#[handler]
pub fn page() -> Response {
    let html = SOURCES
        .iter()
        .fold(INDEX.to_owned(), |html, (placeholder, url)| {
            html.replace(placeholder, url)
        });
    asset("text/html; charset=utf-8", html, "no-cache")
}

/// The page's own script and style sheet, and GraphiQL's bundles.
#[handler]
pub fn file(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => asset("text/javascript; charset=utf-8", SCRIPT, "no-cache"),
        "page.css" => asset("text/css; charset=utf-8", STYLE, "no-cache"),
        _ => match BUNDLES
            .iter()
            .find(|(n, _, body)| *n == name && !body.is_empty())
        {
            // The bundles change only with the pinned versions, that is with the binary.
            Some((_, content_type, body)) => asset(content_type, *body, "public, max-age=86400"),
            None => Response::builder()
                .status(poem::http::StatusCode::NOT_FOUND)
                .finish(),
        },
    }
}
