//! How `/metrics` is written: OpenMetrics 1.0 for scrapers that ask for it, else the
//! Prometheus text format 0.0.4 (what `promtool check metrics` and older scrapers read), each
//! with its own content type; and the process's own families (CPU, memory, open files, start
//! time) and the build, read when scraped.

use prometheus_client::{
    metrics::{counter::ConstCounter, gauge::ConstGauge, info::Info},
    registry::Registry,
};

/// The exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
    /// `text/plain; version=0.0.4`.
    PrometheusText,
}

impl Format {
    /// OpenMetrics when `Accept` names it (as Prometheus itself asks), else Prometheus text.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let wants = accept.is_some_and(|a| {
            a.split(',').any(|range| {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
            })
        });
        if wants {
            Format::OpenMetrics
        } else {
            Format::PrometheusText
        }
    }

    /// The `Content-Type` of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Rewrites an OpenMetrics exposition in the Prometheus text format: a counter family takes
/// its samples' `_total` name, an info family becomes a gauge named `_info`, `# UNIT` and
/// `# EOF` go, and everything else stays as it is.
pub fn prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = rest.split_once(' ').or(Some((rest, "")));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" if !family.ends_with("_total") => (format!("{family}_total"), kind),
                "info" => (format!("{family}_info"), "gauge"),
                "unknown" => (family.to_owned(), "untyped"),
                _ => (family.to_owned(), kind),
            };
            if let Some((_, text)) = help.take() {
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A registry of the process's families as they stand now, read from `/proc` (absent where it
/// cannot be read), with the build's version.
pub fn process_registry() -> Registry {
    let mut registry = Registry::default();
    registry.register(
        "shahr_build",
        "The running build: its version",
        Info::new(vec![(
            "version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        )]),
    );
    let Ok(process) = procfs::process::Process::myself() else {
        return registry;
    };
    if let Ok(stat) = process.stat() {
        let ticks = procfs::ticks_per_second().max(1) as f64;
        registry.register(
            "process_cpu_seconds",
            "User and system CPU time spent, in seconds",
            ConstCounter::new((stat.utime + stat.stime) as f64 / ticks),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            ConstGauge::new(stat.rss.saturating_mul(procfs::page_size()) as i64),
        );
        registry.register(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            ConstGauge::new(stat.vsize as i64),
        );
        if let Ok(boot) = procfs::boot_time_secs() {
            registry.register(
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch, in seconds",
                ConstGauge::new(boot as f64 + stat.starttime as f64 / ticks),
            );
        }
    }
    if let Ok(open) = process.fd_count() {
        registry.register(
            "process_open_fds",
            "Open file descriptors",
            ConstGauge::new(i64::try_from(open).unwrap_or(i64::MAX)),
        );
    }
    if let Ok(limits) = process.limits() {
        if let procfs::process::LimitValue::Value(max) = limits.max_open_files.soft_limit {
            registry.register(
                "process_max_fds",
                "The most file descriptors the process may open",
                ConstGauge::new(i64::try_from(max).unwrap_or(i64::MAX)),
            );
        }
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrapers_get_openmetrics_only_when_they_ask_for_it() {
        assert_eq!(Format::negotiate(None), Format::PrometheusText);
        assert_eq!(Format::negotiate(Some("*/*")), Format::PrometheusText);
        assert_eq!(
            Format::negotiate(Some(
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            )),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0, text/plain")),
            Format::PrometheusText
        );
    }

    #[test]
    fn counters_take_their_total_name_and_openmetrics_markers_go_in_prometheus_text() {
        let om = "# HELP shahr_payments Payments.\n# TYPE shahr_payments counter\nshahr_payments_total{outcome=\"paid\"} 1\n\
                  # HELP shahr_build The build.\n# TYPE shahr_build info\nshahr_build_info{version=\"1\"} 1\n\
                  # HELP x_seconds Age.\n# TYPE x_seconds gauge\n# UNIT x_seconds seconds\nx_seconds 0.5\n# EOF\n";
        assert_eq!(
            prometheus_text(om),
            "# HELP shahr_payments_total Payments.\n# TYPE shahr_payments_total counter\nshahr_payments_total{outcome=\"paid\"} 1\n\
             # HELP shahr_build_info The build.\n# TYPE shahr_build_info gauge\nshahr_build_info{version=\"1\"} 1\n\
             # HELP x_seconds Age.\n# TYPE x_seconds gauge\nx_seconds 0.5\n"
        );
    }
}
