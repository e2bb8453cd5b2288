//! The Helm chart (`deploy/helm/shahr-gateway`), rendered by Helm and checked against the
//! Kubernetes API's schemas with kubernetes-validate; the config file it renders is one the
//! gateway accepts in production.

use std::{path::Path, process::Command};

use crate::helpers::python::tool;

const CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/helm/shahr-gateway");

fn run(command: &mut Command) -> String {
    let out = command.output().expect("the tool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{command:?}:\n{text}");
    text
}

/// Renders the chart with `args`; the manifests' file.
fn render(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let out = run(Command::new(tool("helm"))
        .args(["template", "shahr", CHART, "--namespace", "shahr"])
        .args(args));
    let file = dir.join(name);
    std::fs::write(&file, out).expect("written");
    file
}

/// The kinds of the objects kubernetes-validate passed, against Kubernetes `version`.
fn validate(file: &Path, version: &str) -> Vec<String> {
    let out = run(Command::new(tool("kubernetes-validate"))
        .args(["--strict", "-k", version])
        .arg(file));
    assert!(!out.contains("failed"), "{out}");
    out.lines()
        .filter_map(|l| l.split("passed for resource ").nth(1))
        .filter_map(|r| r.split('/').next())
        .map(str::to_owned)
        .collect()
}

/// The gateway's config file from the rendered ConfigMap.
fn config_of(manifests: &Path) -> String {
    let python = tool("python");
    run(Command::new(python).arg("-c").arg(
        "import sys, yaml\n\
         docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d['kind'] == 'ConfigMap'\n\
                 and d['metadata']['name'] == 'shahr-shahr-gateway']\n\
         sys.stdout.write(docs[0]['data']['config.toml'])",
    )
    .arg(manifests))
}

#[test]
fn the_helm_chart_renders_manifests_valid_for_kubernetes_and_a_config_the_gateway_accepts() {
    let dir = tempfile::tempdir().expect("dir");
    let lint = run(Command::new(tool("helm")).args(["lint", "--strict", CHART]));
    assert!(lint.contains("0 chart(s) failed"), "{lint}");

    // The defaults: secrets made by the chart, autoscaling, budget, policy, migrations.
    let defaults = render(dir.path(), "defaults.yaml", &[]);
    for version in ["1.29.0", "1.37.0"] {
        let mut kinds = validate(&defaults, version);
        kinds.sort();
        kinds.dedup();
        assert_eq!(
            kinds,
            [
                "configmap",
                "deployment",
                "horizontalpodautoscaler",
                "job",
                "networkpolicy",
                "poddisruptionbudget",
                "secret",
                "service",
                "serviceaccount"
            ],
            "Kubernetes {version}"
        );
    }
    let text = std::fs::read_to_string(&defaults).expect("read");
    for wanted in [
        "path: /readyz",
        "path: /healthz",
        "helm.sh/hook: pre-install,pre-upgrade",
        "args: [\"migrate\"]",
        "containerPort: 9090",
        "readOnlyRootFilesystem: true",
    ] {
        assert!(text.contains(wanted), "{wanted} in the manifests");
    }

    // The config file it renders passes the gateway's own production checks, given the
    // secrets the chart's Secret would hold.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_of(&defaults)).expect("written");
    let mut check = crate::cli::gateway();
    check
        .arg("--config")
        .arg(&config)
        .arg("check-config")
        .env(
            "SHAHR_URBANISM_DATABASE_URL",
            "postgres://shahr:secret@db/urbanism",
        )
        .env(
            "SHAHR_CITIZEN_DATABASE_URL",
            "postgres://shahr:secret@db/citizen",
        )
        .env("SHAHR_REDIS_URL", "redis://redis:6379/0")
        .env(
            "SHAHR_SIGNING_KEY",
            "c2hhaHItY2hhcnQtdGVzdC1zaWduaW5nLWtleS0zMmI=",
        );
    assert!(run(&mut check).contains("configuration is valid (profile prod)"));

    // An operator's own secret, a fixed replica count, a shared uploads volume, egress rules
    // and OpenTelemetry's endpoint.
    let custom = render(
        dir.path(),
        "custom.yaml",
        &[
            "--set",
            "secrets.existingSecret=shahr-env",
            "--set",
            "autoscaling.enabled=false",
            "--set",
            "replicaCount=3",
            "--set",
            "uploads.existingClaim=shahr-uploads",
            "--set-json",
            r#"networkPolicy.egressTo=[{"ipBlock":{"cidr":"10.20.0.0/16"}}]"#,
            "--set",
            "extraEnv.OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318",
        ],
    );
    let kinds = validate(&custom, "1.37.0");
    assert!(
        !kinds
            .iter()
            .any(|k| k == "secret" || k == "horizontalpodautoscaler"),
        "{kinds:?}"
    );
    let text = std::fs::read_to_string(&custom).expect("read");
    for wanted in [
        "replicas: 3",
        "claimName: shahr-uploads",
        "name: shahr-env",
        "cidr: 10.20.0.0/16",
        "- Egress",
        "value: \"http://otel-collector:4318\"",
    ] {
        assert!(text.contains(wanted), "{wanted} in the manifests");
    }
}
