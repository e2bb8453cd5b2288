//! Logging and tracing.
//!
//! Logs go to stderr, as text or JSON; `RUST_LOG` overrides the configured filter. The server
//! also records OpenTelemetry spans: one per HTTP request (continuing a caller's W3C
//! `traceparent`), one per GraphQL operation, one per connector call (PostgreSQL, Redis, GIS,
//! e-notice, the bank), so that every log line of a request carries its `trace_id`. Spans are
//! exported over OTLP when the standard variables ask for it (`OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, with `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the
//! default, or `http/json`),
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG`, `OTEL_BSP_*`); `OTEL_SDK_DISABLED=true` turns spans off.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing::{Level, Metadata};
use tracing_subscriber::{
    filter::{dynamic_filter_fn, LevelFilter},
    fmt,
    layer::{Context, SubscriberExt},
    util::SubscriberInitExt,
    EnvFilter, Layer,
};

use crate::config::LogFormat;

/// The service name spans carry when `OTEL_SERVICE_NAME` does not say otherwise.
pub const SERVICE_NAME: &str = "shahr-gateway";

/// Spans that may start a trace of their own: a request, or one unit of background work.
/// Anything else is traced only inside one of these, so that pollers do not flood the
/// collector with one-span traces.
const ROOTS: &[&str] = &["http", "job"];

/// Keeps the tracer provider alive; [`Telemetry::shutdown`] exports what is still buffered.
#[must_use = "dropping the guard without shutdown may lose the last spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered (bounded by the exporter's own timeout).
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(err)) = done {
                eprintln!("warning: the last spans could not be exported: {err}");
            }
        }
    }
}

/// Installs logging only (for one-off commands); later calls are ignored.
pub fn init(filter: &str, format: LogFormat) {
    let _ = tracing_subscriber::registry()
        .with(log_layer(filter, format))
        .try_init();
}

/// Installs logging and OpenTelemetry tracing for the server.
pub fn init_with_traces(filter: &str, format: LogFormat) -> Telemetry {
    if env_flag("OTEL_SDK_DISABLED") {
        init(filter, format);
        return Telemetry { provider: None };
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let (provider, export_error) = tracer_provider();
    let tracer = provider.tracer(SERVICE_NAME);
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_tracked_inactivity(false)
        // INFO at most: without the hint, every debug and trace callsite of every crate would
        // be asked on each pass.
        .with_filter(dynamic_filter_fn(traced).with_max_level_hint(LevelFilter::INFO));
    let _ = tracing_subscriber::registry()
        .with(log_layer(filter, format))
        .with(spans)
        .try_init();
    if let Some(err) = export_error {
        tracing::warn!(error = %err, "spans are not exported: the OTLP exporter could not be built");
    }
    Telemetry {
        provider: Some(provider),
    }
}

fn log_layer<S>(filter: &str, format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        LogFormat::Json => layer.json().flatten_event(true).with_filter(filter).boxed(),
    }
}

/// Which spans and events go into traces: the gateway's own spans at INFO or above (inside a
/// root, see [`ROOTS`]), and warnings and errors as span events.
fn traced<S>(meta: &Metadata<'_>, cx: &Context<'_, S>) -> bool
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    if meta.is_event() {
        return *meta.level() <= Level::WARN && cx.lookup_current().is_some();
    }
    meta.target().starts_with("shahr")
        && *meta.level() <= Level::INFO
        && (ROOTS.contains(&meta.name()) || cx.lookup_current().is_some())
}

/// The provider, exporting over OTLP when the environment names an endpoint; without one,
/// spans still get ids (for logs and for the calls the gateway makes) but go nowhere.
fn tracer_provider() -> (SdkTracerProvider, Option<String>) {
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    resource = resource.with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    let builder = SdkTracerProvider::builder().with_resource(resource.build());
    let wanted = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !wanted {
        return (builder.build(), None);
    }
    // The blocking HTTP client owns a runtime of its own: build it outside the server's.
    let exporter = std::thread::spawn(|| {
        let mut http = opentelemetry_otlp::SpanExporter::builder().with_http();
        // OTLP's default is protobuf; the crate would pick JSON as both are compiled in.
        let chosen = [
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
        if !chosen {
            http = http.with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
        }
        http.build().map_err(|e| e.to_string())
    })
    .join()
    .unwrap_or_else(|_| Err("the exporter's builder panicked".to_owned()));
    match exporter {
        Ok(exporter) => (builder.with_batch_exporter(exporter).build(), None),
        Err(err) => (builder.build(), Some(err)),
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}
