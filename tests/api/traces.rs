//! OpenTelemetry: the gateway, configured by the standard `OTEL_*` variables alone, exports
//! its spans over OTLP/HTTP (protobuf) to a local receiver the test runs; the spans form one
//! tree per request under the caller's `traceparent`, the trace id is on the request's log
//! lines, and calls to upstream systems carry the trace on.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::any_value::Value as AnyValue,
    trace::v1::Span,
};
use poem::{handler, web::Data, EndpointExt, Route};
use prost::Message;
use serde_json::{json, Value};

use crate::{
    flow::{ok, Session},
    helpers::{GatewayProcess, SharedDatabases, TestApp},
};

/// One exported span with the service that sent it.
#[derive(Clone, Debug)]
struct Exported {
    service: String,
    span: Span,
}

type Received = Arc<Mutex<Vec<Exported>>>;

#[handler]
async fn traces(body: poem::Body, received: Data<&Received>) -> poem::Response {
    let bytes = body.into_bytes().await.expect("the body");
    let request = ExportTraceServiceRequest::decode(bytes).expect("an OTLP protobuf export");
    let mut received = received.lock().expect("lock");
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| string(kv.value.as_ref()?.value.as_ref()?))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                received.push(Exported {
                    service: service.clone(),
                    span,
                });
            }
        }
    }
    poem::Response::builder()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}

/// A local OTLP/HTTP receiver: its address and what it has received.
async fn otlp_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let url = crate::helpers::serve_upstream(
        Route::new()
            .at("/v1/traces", poem::post(traces))
            .data(received.clone()),
    )
    .await;
    (url, received)
}

fn string(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::StringValue(s) => Some(s.clone()),
        AnyValue::IntValue(i) => Some(i.to_string()),
        AnyValue::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| string(kv.value.as_ref()?.value.as_ref()?))
}

/// The spans of one trace, once its root (the HTTP request's span) has arrived and nothing
/// new came for a moment.
async fn trace_of(received: &Received, trace_id: &[u8]) -> Vec<Span> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut last = 0;
    loop {
        let spans: Vec<Span> = received
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e.span.trace_id == trace_id)
            .map(|e| e.span.clone())
            .collect();
        let has_root = spans.iter().any(|s| s.name.starts_with("POST "));
        if has_root && spans.len() == last {
            return spans;
        }
        last = spans.len();
        assert!(
            tokio::time::Instant::now() < deadline,
            "the trace did not arrive: {spans:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn child_names<'a>(spans: &'a [Span], parent: &Span) -> Vec<&'a str> {
    spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_id)
        .map(|s| s.name.as_str())
        .collect()
}

fn named<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {:?}", names(spans)))
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

/// True when `span` descends from `ancestor` within `spans`.
fn descends(spans: &[Span], span: &Span, ancestor: &Span) -> bool {
    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    let mut at = span;
    while let Some(parent) = by_id.get(at.parent_span_id.as_slice()) {
        if parent.span_id == ancestor.span_id {
            return true;
        }
        at = parent;
    }
    false
}

const NESTED: &str = "query NestedRulings { rulings(first: 5) { edges { node { number
  case { caseNumber parcel { renovationCode owners { shareDang owner { fullName } } } items { note } }
  commission { name } } } } }";

#[tokio::test]
async fn a_nested_query_is_one_span_tree_under_the_callers_traceparent_with_the_trace_id_in_its_log_lines(
) {
    let (receiver, received) = otlp_receiver().await;
    let databases = SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let process = GatewayProcess::start_with(
        &databases,
        &prefix,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("SHAHR_LOG_FILTER", "info"),
            ("SHAHR_LOG_FORMAT", "json"),
        ],
        log.reopen().expect("the log file").into(),
    )
    .await;
    let app = TestApp::attach(databases.clone(), process.port);

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.auditor())
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({ "query": NESTED }))
        .send()
        .await
        .expect("the query")
        .json()
        .await
        .expect("json");
    assert!(response["errors"].is_null(), "{response}");

    let spans = trace_of(&received, &hex::decode(trace_id).expect("hex")).await;
    let http = named(&spans, "POST /graphql");
    assert_eq!(
        hex::encode(&http.parent_span_id),
        caller_span,
        "the request continues the caller's trace"
    );
    assert_eq!(
        attribute(http, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(attribute(http, "http.route").as_deref(), Some("/graphql"));
    let operation = named(&spans, "query NestedRulings");
    assert_eq!(operation.parent_span_id, http.span_id);
    assert_eq!(
        attribute(operation, "graphql.operation.name").as_deref(),
        Some("NestedRulings")
    );
    let sql: Vec<&Span> = spans
        .iter()
        .filter(|s| attribute(s, "db.system").as_deref() == Some("postgresql"))
        .collect();
    // Rulings, then cases, commissions, parcels, items and ownerships in batches.
    assert!(
        sql.len() >= 4,
        "one span per connector call: {:?}",
        names(&spans)
    );
    for span in &sql {
        assert!(
            descends(&spans, span, operation),
            "{} hangs under the operation: {:?}",
            span.name,
            names(&spans)
        );
    }
    assert!(
        sql.iter().any(|s| s.name == "urbanism.rulings_page"),
        "{:?}",
        names(&spans)
    );
    assert!(
        received
            .lock()
            .expect("lock")
            .iter()
            .all(|e| e.service == "shahr-gateway"),
        "the service is named without OTEL_SERVICE_NAME"
    );

    // The request's log lines carry its trace id.
    let lines = std::fs::read_to_string(log.path()).expect("the log");
    let request_line = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request" && l["span"]["url.path"] == "/graphql")
        .unwrap_or_else(|| panic!("a request line in {lines}"));
    assert_eq!(request_line["span"]["trace_id"], trace_id, "{request_line}");
    assert!(
        child_names(&spans, http).contains(&"query NestedRulings"),
        "{:?}",
        names(&spans)
    );
}

#[tokio::test]
async fn issuing_a_ruling_is_traced_through_its_statements_and_the_gis_call_carries_the_trace() {
    let (receiver, received) = otlp_receiver().await;
    let gis_saw: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = gis_saw.clone();
    let gis = crate::helpers::serve_upstream(Route::new().at(
        "/parcels/:code/surroundings",
        poem::get(poem::endpoint::make(move |req: poem::Request| {
            let seen = seen.clone();
            async move {
                if let Some(parent) = req.header("traceparent") {
                    seen.lock().expect("lock").push(parent.to_owned());
                }
                poem::Response::builder()
                    .status(poem::http::StatusCode::NOT_FOUND)
                    .finish()
            }
        })),
    ))
    .await;
    let databases = SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let process = GatewayProcess::start_with(
        &databases,
        &prefix,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("OTEL_SERVICE_NAME", "shahr-gateway-test"),
            ("SHAHR_GIS_BASE_URL", gis.as_str()),
            ("SHAHR_GIS_TOKEN", "gis-token"),
        ],
        std::process::Stdio::null(),
    )
    .await;
    let app = TestApp::attach(databases.clone(), process.port);
    let s = Session::new(&app);
    let draft = s.signed_draft().await;
    let issued = s.issue(&s.secretary, &draft, "traced").await;
    ok(&issued);

    // The trace that wrote the ruling into the legacy tables.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let trace_id = loop {
        let found = received
            .lock()
            .expect("lock")
            .iter()
            .find(|e| e.span.name == "urbanism.insert_legacy_ruling")
            .map(|e| e.span.trace_id.clone());
        if let Some(found) = found {
            break found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no issueRuling trace"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let spans = trace_of(&received, &trace_id).await;
    let http = named(&spans, "POST /graphql");
    let operation = named(&spans, "mutation");
    assert_eq!(operation.parent_span_id, http.span_id);
    assert_eq!(
        attribute(operation, "graphql.operation.type").as_deref(),
        Some("mutation")
    );
    let statements: Vec<&str> = spans
        .iter()
        .filter(|s| attribute(s, "db.system").as_deref() == Some("postgresql"))
        .filter(|s| descends(&spans, s, operation))
        .map(|s| s.name.as_str())
        .collect();
    for step in ["urbanism.reserve", "urbanism.insert_legacy_ruling"] {
        assert!(statements.contains(&step), "{step} in {statements:?}");
    }
    assert!(
        received
            .lock()
            .expect("lock")
            .iter()
            .all(|e| e.service == "shahr-gateway-test"),
        "OTEL_SERVICE_NAME names the service"
    );

    // The dadnameh asks the GIS service for the kroki: that call carries the trace on, with
    // the gateway's span as its parent.
    let ruling = issued["data"]["issueRuling"]["ruling"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = crate::dadnameh::document_url(&app, &app.citizen(crate::flow::OWNER), &ruling).await;
    let page = app
        .client
        .get(url.as_str().expect("url"))
        .send()
        .await
        .expect("document");
    assert!(page.status().is_success());
    let traceparent = gis_saw
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("the GIS service was asked with a traceparent");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    let gis_trace = hex::decode(parts[1]).expect("hex");
    let gis_parent = hex::decode(parts[2]).expect("hex");
    let spans = trace_of(&received, &gis_trace).await;
    let call = spans
        .iter()
        .find(|s| s.span_id == gis_parent)
        .unwrap_or_else(|| {
            panic!(
                "the GIS call's parent span was exported: {:?}",
                names(&spans)
            )
        });
    assert_eq!(call.name, "gis.surroundings");
}
