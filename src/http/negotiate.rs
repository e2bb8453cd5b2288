//! Media-type negotiation for GraphQL over HTTP.

/// What the response body is labelled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// `application/graphql-response+json`: request errors get 4xx.
    GraphqlResponseJson,
    /// `application/json` (legacy clients): request errors answer 200.
    Json,
}

impl ResponseType {
    /// The `Content-Type` value.
    pub fn content_type(self) -> &'static str {
        match self {
            ResponseType::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            ResponseType::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from `Accept`; `None` when nothing acceptable is offered (406).
/// Without an `Accept` header, or with a wildcard, `application/json` is used, as the spec
/// advises; `application/graphql-response+json` only when the client names it.
pub fn response_type(accept: Option<&str>) -> Option<ResponseType> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(ResponseType::Json);
    };
    let mut json = false;
    let mut wildcard = false;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match media.as_str() {
            "application/graphql-response+json" => return Some(ResponseType::GraphqlResponseJson),
            "application/json" => json = true,
            "*/*" | "application/*" => wildcard = true,
            _ => {}
        }
    }
    // A client that takes anything (`*/*`, as curl and many HTTP libraries send) gets the
    // JSON every client reads, as the GraphQL-over-HTTP spec recommends.
    (json || wildcard).then_some(ResponseType::Json)
}

/// True when the `Content-Type` is JSON (with any parameters).
pub fn is_json_content(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_the_expected_media_type() {
        use ResponseType::*;
        assert_eq!(response_type(None), Some(Json));
        assert_eq!(
            response_type(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponseJson)
        );
        assert_eq!(response_type(Some("application/json")), Some(Json));
        assert_eq!(response_type(Some("*/*")), Some(Json));
        assert_eq!(response_type(Some("application/*")), Some(Json));
        assert_eq!(response_type(Some("text/html")), None);
        assert_eq!(
            response_type(Some(
                "application/graphql-response+json;q=0, application/json"
            )),
            Some(Json)
        );
    }

    #[test]
    fn only_json_bodies_are_accepted() {
        assert!(is_json_content(Some("application/json; charset=utf-8")));
        assert!(!is_json_content(Some("text/plain")));
        assert!(!is_json_content(Some("application/x-www-form-urlencoded")));
        assert!(!is_json_content(None));
    }
}
