//! The files under `deploy/`, checked without a cluster, a container engine or a Grafana
//! server: Prometheus rules (promtool) and their generated copies (PrometheusRule, Grafana-managed
//! rules), the Grafana dashboard and provisioning files (structure of the provisioning format),
//! the Kubernetes manifests (kubernetes-validate against the Kubernetes schemas, plus the
//! consistency the schemas cannot see: selectors, ports, Secret references, resources), the
//! example configs, the Dockerfile (hadolint) and the compose file.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use phiscan::config::Config;
use phiscan::metrics::metrics;
use phiscan::scan::Scanner;
use regex::Regex;
use serde_json::{Value, json};
use support::tools::{promtool, python_with_yaml, run_ok, tool};
use support::unavailable;

// ---------------------------------------------------------------- deploy/

/// Names of every metric phiscan exports (histograms with their `_bucket`, `_sum`, `_count`).
fn exported_metric_names() -> BTreeSet<String> {
    let m = metrics();
    // make every labelled family visible (a vector without children is not exported)
    m.events.with_label_values(&["kafka", "messaging"]);
    m.bytes.with_label_values(&["kafka"]);
    m.findings.with_label_values(&["name", "tag"]);
    m.violations.with_label_values(&["phi-in-tag", "critical"]);
    m.alerts_sent.with_label_values(&["phi-in-tag", "critical"]);
    m.alerts_suppressed.with_label_values(&["phi-in-tag"]);
    m.decode_errors.with_label_values(&["kafka", "malformed"]);
    m.dead_letters.with_label_values(&["kafka"]);
    m.sink_errors.with_label_values(&["jsonl"]);
    m.sink_retries.with_label_values(&["jsonl"]);
    m.webhook_rejected.with_label_values(&["bad_signature"]);
    m.event_to_alert_seconds.with_label_values(&["kafka"]);
    m.kafka_lag.with_label_values(&["twilio-events", "0"]);
    let mut names = BTreeSet::new();
    for line in m.render().lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            let (name, kind) = (it.next().unwrap(), it.next().unwrap());
            names.insert(name.to_string());
            if kind == "histogram" || kind == "summary" {
                for s in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{s}"));
                }
            }
        }
    }
    assert!(names.len() >= 16, "{names:?}");
    names
}

fn referenced_metrics(text: &str) -> BTreeSet<String> {
    Regex::new(r"\bphiscan_[a-z_]+\b")
        .unwrap()
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect()
}

#[test]
fn prometheus_rules_pass_promtool_and_use_exported_metrics() {
    let dir = support::repo_root().join("deploy/prometheus");
    let rules = std::fs::read_to_string(dir.join("phiscan-rules.yml")).unwrap();
    let exported = exported_metric_names();
    let used = referenced_metrics(&rules);
    for needle in [
        "phiscan_violations_total",
        "phiscan_sink_errors_total",
        "phiscan_decode_errors_total",
        "phiscan_kafka_consumer_lag",
        "phiscan_webhook_rejected_total",
    ] {
        assert!(used.contains(needle), "the rules watch {needle}");
    }
    let unknown: Vec<_> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the rules use metrics phiscan does not export: {unknown:?}"
    );

    let Some(promtool) = promtool() else { return };
    let out = run_ok(
        Command::new(&promtool)
            .args(["check", "rules"])
            .arg(dir.join("phiscan-rules.yml")),
        "",
    );
    println!("{}", out.trim());
    let out = run_ok(
        Command::new(&promtool)
            .current_dir(&dir)
            .args(["test", "rules", "phiscan-rules.test.yml"]),
        "",
    );
    println!("{}", out.trim());
}

#[test]
fn grafana_dashboard_queries_parse_and_use_exported_metrics() {
    let text =
        std::fs::read_to_string(support::repo_root().join("deploy/grafana/phiscan-dashboard.json"))
            .unwrap();
    let dash: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert_eq!(dash["uid"], "phiscan");
    let vars: Vec<&str> = dash["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(
        vars.contains(&"datasource") && vars.contains(&"instance"),
        "{vars:?}"
    );
    let panels = dash["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    let mut exprs = Vec::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "unique panel ids");
        let g = &p["gridPos"];
        assert!(
            g["x"].as_u64().unwrap() + g["w"].as_u64().unwrap() <= 24,
            "panel {} fits the grid",
            p["title"]
        );
        if p["type"] == "row" {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${datasource}");
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "panel {} has queries", p["title"]);
        for t in targets {
            exprs.push(t["expr"].as_str().unwrap().to_string());
        }
    }
    assert!(exprs.len() >= 15);
    let exported = exported_metric_names();
    let used = referenced_metrics(&exprs.join("\n"));
    let unknown: Vec<_> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard uses metrics phiscan does not export: {unknown:?}"
    );
    for m in [
        "phiscan_violations_total",
        "phiscan_sink_errors_total",
        "phiscan_decode_errors_total",
        "phiscan_kafka_consumer_lag",
        "phiscan_webhook_rejected_total",
        "phiscan_event_to_alert_seconds_bucket",
    ] {
        assert!(used.contains(m), "the dashboard shows {m}");
    }

    // every query is valid PromQL: check them as recording rules with Grafana's variables filled in
    let Some(promtool) = promtool() else { return };
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        let e = e
            .replace("$__rate_interval", "5m")
            .replace("$instance", ".*");
        rules.push_str(&format!(
            "      - record: dashboard_query_{i}\n        expr: {}\n",
            serde_json::to_string(&e).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard-queries.yml");
    std::fs::write(&path, rules).unwrap();
    let out = run_ok(
        Command::new(&promtool).args(["check", "rules"]).arg(&path),
        "",
    );
    println!("dashboard queries: {}", out.trim());
}

/// The YAML documents of `files` (paths relative to the repository) as JSON, through the test
/// venv's PyYAML: (file name, document) in order.
fn yaml_documents(files: &[PathBuf]) -> Option<Vec<(String, Value)>> {
    let py = python_with_yaml()?;
    let script = r#"
import json, sys, yaml, pathlib
out = []
for p in sys.argv[1:]:
    for doc in yaml.safe_load_all(pathlib.Path(p).read_text()):
        if doc is not None:
            out.append([pathlib.Path(p).name, doc])
print(json.dumps(out))
"#;
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(files.iter().map(|f| support::repo_root().join(f)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyYAML could not parse {files:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The `*.yaml` files of a directory under the repository, sorted.
fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(support::repo_root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .map(|p| p.strip_prefix(support::repo_root()).unwrap().to_path_buf())
        .collect();
    v.sort();
    v
}

/// deploy/kubernetes/*.yaml (the webhook/Kafka kustomization) as JSON documents.
fn kubernetes_documents() -> Option<Vec<(String, Value)>> {
    yaml_documents(&yaml_files("deploy/kubernetes"))
}

fn load_config(path: &Path, env: &[(&str, &str)]) -> Config {
    Config::load_with_env(
        Some(path),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

#[test]
fn example_config_loads_and_takes_secrets_from_the_environment() {
    support::install_crypto();
    let path = support::repo_root().join("deploy/phiscan.toml");
    let env = [
        ("PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN", "token-from-env-1"),
        (
            "PHISCAN_SOURCES__KAFKA__PROPERTIES__SASL_PASSWORD",
            "password-from-env-2",
        ),
        (
            "PHISCAN_SINKS__KAFKA__PROPERTIES__SASL_PASSWORD",
            "password-from-env-3",
        ),
    ];
    let config = load_config(&path, &env);
    let kafka = config.sources.kafka.as_ref().expect("[sources.kafka]");
    assert_eq!(
        kafka.properties["sasl.password"], "password-from-env-2",
        "the variable replaces the placeholder key"
    );
    assert_eq!(
        config.sinks.kafka.as_ref().unwrap().properties["sasl.password"],
        "password-from-env-3"
    );
    let webhook = config.sources.webhook.as_ref().expect("[sources.webhook]");
    assert_eq!(webhook.auth_token.as_deref(), Some("token-from-env-1"));
    assert!(webhook.plain_http_behind_proxy || webhook.tls_cert.is_some());
    assert!(config.service.metrics_listen.is_some());
    let masked = config.to_masked_toml();
    for secret in [
        "token-from-env-1",
        "password-from-env-2",
        "password-from-env-3",
    ] {
        assert!(
            !masked.contains(secret),
            "config check would print {secret}"
        );
    }
    Scanner::new(&config).unwrap();
    if let Some(am) = &config.sinks.alertmanager {
        phiscan::sink::alertmanager::AlertmanagerSink::new(am).unwrap();
    }
    if let Some(h) = &config.sinks.http {
        phiscan::sink::http::HttpSink::new(h).unwrap();
    }
    // every key documented: a comment precedes each `key = value` of the file
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('[') {
            continue;
        }
        let documented = lines[..i]
            .iter()
            .rev()
            .take_while(|p| !p.trim().is_empty())
            .any(|p| p.trim().starts_with('#'));
        assert!(
            documented,
            "deploy/phiscan.toml line {}: `{l}` has no comment",
            i + 1
        );
    }
}

#[test]
fn kubernetes_manifests_are_consistent() {
    let config_text =
        std::fs::read_to_string(support::repo_root().join("deploy/phiscan.toml")).unwrap();

    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        for k in KUSTOMIZATIONS {
            let out = Command::new("kubectl")
                .arg("kustomize")
                .arg(support::repo_root().join(k))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "kubectl kustomize {k}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            println!("kubectl kustomize {k}: ok ({} bytes)", out.stdout.len());
        }
    } else {
        println!("skipped: kubectl kustomize (no kubectl)");
    }

    let Some(docs) = kubernetes_documents() else {
        return;
    };
    let kinds: BTreeMap<&str, &Value> = docs
        .iter()
        .filter(|(f, _)| f != "kustomization.yaml")
        .map(|(_, d)| (d["kind"].as_str().unwrap(), d))
        .collect();
    for k in ["ConfigMap", "Deployment", "Service", "PodDisruptionBudget"] {
        assert!(kinds.contains_key(k), "a {k}: {:?}", kinds.keys());
    }
    let kustomization = docs
        .iter()
        .find(|(f, _)| f == "kustomization.yaml")
        .expect("kustomization.yaml");
    let listed: BTreeSet<&str> = kustomization.1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for (f, _) in &docs {
        assert!(
            f == "kustomization.yaml" || listed.contains(f.as_str()),
            "{f} is in kustomization.yaml"
        );
    }

    // the ConfigMap carries exactly deploy/phiscan.toml, and it loads
    let cm = kinds["ConfigMap"];
    assert_eq!(
        cm["data"]["phiscan.toml"].as_str().unwrap(),
        config_text,
        "configmap.yaml and deploy/phiscan.toml differ"
    );
    let config = load_config(&support::repo_root().join("deploy/phiscan.toml"), &[]);

    let dep = kinds["Deployment"];
    let pod = &dep["spec"]["template"];
    let pod_labels = pod["metadata"]["labels"].as_object().unwrap();
    let matches = |selector: &Value| {
        selector
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| pod_labels.get(k) == Some(v))
    };
    assert!(matches(&dep["spec"]["selector"]["matchLabels"]));
    assert!(
        matches(&kinds["Service"]["spec"]["selector"]),
        "the Service selects the pods"
    );
    assert!(
        matches(&kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]),
        "the PDB selects the pods"
    );

    let spec = &pod["spec"];
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_ne!(spec["securityContext"]["runAsUser"], 0);
    let grace = spec["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(
        grace > config.service.shutdown_timeout_secs,
        "the pod outlives the drain ({grace} s)"
    );
    let c = &spec["containers"][0];
    assert_eq!(
        c["args"],
        json!(["run", "--config", "/etc/phiscan/phiscan.toml"])
    );
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/etc/phiscan");
    assert_eq!(
        spec["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    assert_eq!(c["resources"]["limits"]["cpu"], "2");
    assert_eq!(c["resources"]["requests"]["cpu"], "2");
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);

    let ports: BTreeMap<&str, u64> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect();
    let port_of = |addr: &str| addr.rsplit(':').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(
        ports["metrics"],
        port_of(config.service.metrics_listen.as_deref().unwrap())
    );
    assert_eq!(
        ports["webhook"],
        port_of(&config.sources.webhook.as_ref().unwrap().listen)
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "metrics");
    for p in kinds["Service"]["spec"]["ports"].as_array().unwrap() {
        assert!(
            ports.contains_key(p["targetPort"].as_str().unwrap()),
            "Service port {p} targets a container port"
        );
    }

    let env: BTreeMap<&str, &Value> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e))
        .collect();
    for secret in [
        "PHISCAN_FINGERPRINT_KEY",
        "PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN",
    ] {
        let r = &env.get(secret).unwrap_or_else(|| panic!("{secret} is set"))["valueFrom"]["secretKeyRef"];
        assert!(
            r["name"].is_string() && r["key"].is_string(),
            "{secret} comes from a Secret"
        );
    }
    // no secret values in the manifests
    for (name, e) in &env {
        if name.contains("KEY") || name.contains("TOKEN") || name.contains("PASSWORD") {
            assert!(e.get("value").is_none(), "{name} must come from a Secret");
        }
    }
}

#[test]
fn dockerfile_is_multi_stage_non_root_and_runs_the_service() {
    let text = std::fs::read_to_string(support::repo_root().join("deploy/Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    assert!(
        froms[0].starts_with("FROM rust:") && froms[0].ends_with(" AS build"),
        "{}",
        froms[0]
    );
    assert!(
        froms.last().unwrap().contains("debian:") && froms.last().unwrap().contains("-slim"),
        "{froms:?}"
    );
    // the builder's Rust satisfies the crate's rust-version
    let manifest = std::fs::read_to_string(support::repo_root().join("Cargo.toml")).unwrap();
    let want = Regex::new(r#"rust-version = "1\.(\d+)""#)
        .unwrap()
        .captures(&manifest)
        .unwrap()[1]
        .parse::<u32>()
        .unwrap();
    let have = Regex::new(r"rust:1\.(\d+)")
        .unwrap()
        .captures(froms[0])
        .unwrap()[1]
        .parse::<u32>()
        .unwrap();
    assert!(
        have >= want,
        "rust:1.{have} builds a crate that needs 1.{want}"
    );
    let last_stage = &lines[lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap()..];
    let user = last_stage
        .iter()
        .find(|l| l.starts_with("USER "))
        .expect("the runtime stage sets USER");
    assert!(
        !user.contains("root") && !user.ends_with(" 0") && !user.contains(" 0:"),
        "{user}"
    );
    assert!(
        last_stage
            .iter()
            .any(|l| l.starts_with("COPY --from=build"))
    );
    assert!(
        last_stage.contains(&r#"CMD ["run", "--config", "/etc/phiscan/phiscan.toml"]"#),
        "{last_stage:?}"
    );
    assert!(
        support::repo_root()
            .join("deploy/Dockerfile.dockerignore")
            .exists()
    );
}

// ---------------------------------------------------------------- schemas, linters, generated files

/// Kinds whose schemas come with the Prometheus Operator's CRDs, not with Kubernetes:
/// kubernetes-validate has none, so `monitoring_resources_match_the_services_and_the_rules`
/// checks them by structure.
const CRD_KINDS: &[&str] = &["ServiceMonitor", "PrometheusRule"];

/// The kustomization directories under deploy/kubernetes.
const KUSTOMIZATIONS: &[&str] = &[
    "deploy/kubernetes",
    "deploy/kubernetes/monitoring",
    "deploy/kubernetes/kinesis",
];

/// Every manifest (not the kustomization files) of every kustomization.
fn all_manifests() -> Vec<PathBuf> {
    KUSTOMIZATIONS
        .iter()
        .flat_map(|d| yaml_files(d))
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect()
}

#[test]
fn kustomizations_list_every_manifest_of_their_directory() {
    for dir in KUSTOMIZATIONS {
        let files = yaml_files(dir);
        let Some(docs) = yaml_documents(&[PathBuf::from(dir).join("kustomization.yaml")]) else {
            return;
        };
        let listed: BTreeSet<String> = docs[0].1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        let present: BTreeSet<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .filter(|f| f != "kustomization.yaml")
            .collect();
        assert_eq!(
            listed, present,
            "{dir}/kustomization.yaml lists its directory"
        );
    }
}

#[test]
fn kubernetes_manifests_pass_the_kubernetes_schemas() {
    let Some(kv) = tool(
        "PHISCAN_TEST_KUBERNETES_VALIDATE",
        "scripts/services.sh install deploytools installs kubernetes-validate",
    ) else {
        return;
    };
    let files = all_manifests();
    assert!(files.len() >= 12, "{files:?}");
    // the newest schemas it ships, and an older release still common in managed clusters
    for version in [None, Some("1.30.0")] {
        let mut cmd = Command::new(&kv);
        cmd.arg("--strict");
        if let Some(v) = version {
            cmd.args(["--kubernetes-version", v]);
        }
        let text = support::tools::run_ok(
            cmd.args(files.iter().map(|f| support::repo_root().join(f))),
            "",
        );
        let no_schema = Regex::new(r"Couldn't find schema for kind (\w+)").unwrap();
        let mut passed = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if line.contains(" passed for resource ") {
                passed += 1;
            } else if let Some(c) = no_schema.captures(line) {
                assert!(
                    CRD_KINDS.contains(&&c[1]),
                    "no schema for {}: {line}",
                    &c[1]
                );
            } else {
                panic!("kubernetes-validate: unexpected output: {line}\n{text}");
            }
        }
        let crds = CRD_KINDS.len();
        assert_eq!(
            passed,
            files.len() - crds,
            "every built-in manifest passed ({version:?}):\n{text}"
        );
        println!(
            "kubernetes-validate --strict {}: {passed} manifests passed",
            version.unwrap_or("(newest)")
        );
    }
}

#[test]
fn dockerfile_passes_hadolint() {
    let Some(hadolint) = tool(
        "PHISCAN_TEST_HADOLINT",
        "scripts/services.sh install deploytools installs hadolint",
    ) else {
        return;
    };
    let out = run_ok(
        Command::new(&hadolint)
            .arg("--no-color")
            .arg(support::repo_root().join("deploy/Dockerfile")),
        "",
    );
    println!("hadolint deploy/Dockerfile: clean {}", out.trim());
    // an ignored rule says why, on the comment lines right above it
    let text = std::fs::read_to_string(support::repo_root().join("deploy/Dockerfile")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.contains("hadolint ignore=") {
            assert!(
                i > 0 && lines[i - 1].starts_with("# ") && lines[i - 1].len() > 20,
                "line {}: `{l}` without a reason above it",
                i + 1
            );
        }
    }
}

/// `deploy/generate.py --check`: the generated files are what the rules file generates.
fn generated_files_are_current(py: &str) {
    let out = Command::new(py)
        .arg(support::repo_root().join("deploy/generate.py"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn monitoring_resources_match_the_services_and_the_rules() {
    let Some(py) = python_with_yaml() else { return };
    generated_files_are_current(&py);
    let rules = yaml_documents(&[PathBuf::from("deploy/prometheus/phiscan-rules.yml")]).unwrap();
    let monitoring = yaml_documents(&yaml_files("deploy/kubernetes/monitoring")).unwrap();
    let by_kind = |docs: &[(String, Value)], kind: &str| -> Vec<Value> {
        docs.iter()
            .filter(|(_, d)| d["kind"] == kind)
            .map(|(_, d)| d.clone())
            .collect()
    };
    let pr = &by_kind(&monitoring, "PrometheusRule")[0];
    assert_eq!(
        pr["spec"]["groups"], rules[0].1["groups"],
        "the PrometheusRule carries exactly the groups of phiscan-rules.yml"
    );
    assert_eq!(pr["apiVersion"], "monitoring.coreos.com/v1");

    let sm = &by_kind(&monitoring, "ServiceMonitor")[0];
    assert_eq!(sm["apiVersion"], "monitoring.coreos.com/v1");
    let selector = sm["spec"]["selector"]["matchLabels"].as_object().unwrap();
    let job_label = sm["spec"]["jobLabel"].as_str().expect("jobLabel");
    let mut services = Vec::new();
    for dir in ["deploy/kubernetes", "deploy/kubernetes/kinesis"] {
        services.extend(by_kind(
            &yaml_documents(&yaml_files(dir)).unwrap(),
            "Service",
        ));
    }
    assert_eq!(
        services.len(),
        2,
        "the webhook/Kafka and the Kinesis Service"
    );
    let rules_text =
        std::fs::read_to_string(support::repo_root().join("deploy/prometheus/phiscan-rules.yml"))
            .unwrap();
    for svc in &services {
        let labels = svc["metadata"]["labels"].as_object().unwrap();
        let name = &svc["metadata"]["name"];
        assert!(
            selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
            "the ServiceMonitor selects Service {name}"
        );
        let job = labels[job_label].as_str().unwrap();
        assert!(
            rules_text.contains(&format!("job=\"{job}\"")),
            "PhiscanDown watches job {job:?}, the job name of Service {name}"
        );
        let ports: BTreeSet<&str> = svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for e in sm["spec"]["endpoints"].as_array().unwrap() {
            let port = e["port"].as_str().unwrap();
            assert!(ports.contains(port), "Service {name} has port {port}");
            assert_eq!(e["path"], "/metrics");
        }
    }
}

// ---------------------------------------------------------------- Grafana provisioning

const GRAFANA_PROVISIONING: &str = "deploy/grafana/provisioning";

/// A Grafana provisioning value that comes from the environment: `$VAR` or `${VAR}`.
fn env_reference(v: &Value) -> Option<String> {
    let re = Regex::new(r"^\$\{?([A-Z][A-Z0-9_]*)\}?$").unwrap();
    re.captures(v.as_str()?).map(|c| c[1].to_string())
}

fn is_duration(v: &Value) -> bool {
    Regex::new(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
        .unwrap()
        .is_match(v.as_str().unwrap_or(""))
}

fn grafana_file(name: &str) -> Option<Value> {
    let docs = yaml_documents(&[PathBuf::from(GRAFANA_PROVISIONING).join(name)])?;
    assert_eq!(docs.len(), 1, "{name}: one document");
    let doc = docs.into_iter().next().unwrap().1;
    assert_eq!(doc["apiVersion"], 1, "{name}: provisioning apiVersion 1");
    Some(doc)
}

/// Checks one Grafana-managed rule's query/expression chain; returns its data source variable.
fn check_grafana_rule_data(title: &str, rule: &Value) -> String {
    let data = rule["data"].as_array().unwrap();
    let mut refs: Vec<&str> = Vec::new();
    let mut datasource = None;
    for d in data {
        let r = d["refId"].as_str().unwrap();
        assert_eq!(d["model"]["refId"], r, "{title}: model.refId");
        assert!(!refs.contains(&r), "{title}: refId {r} once");
        if d["datasourceUid"] == "__expr__" {
            let kind = d["model"]["type"].as_str().unwrap();
            assert!(
                [
                    "reduce",
                    "threshold",
                    "math",
                    "resample",
                    "classic_conditions"
                ]
                .contains(&kind),
                "{title}: expression type {kind}"
            );
            let input = d["model"]["expression"].as_str().unwrap();
            assert!(
                refs.contains(&input),
                "{title}: {r} reads an earlier query ({input})"
            );
            if kind == "threshold" {
                let ev = &d["model"]["conditions"][0]["evaluator"];
                assert!(
                    ["gt", "lt", "within_range", "outside_range"]
                        .contains(&ev["type"].as_str().unwrap())
                );
                assert!(ev["params"][0].is_number(), "{title}: threshold value");
            }
        } else {
            let var = env_reference(&d["datasourceUid"]).unwrap_or_else(|| {
                panic!(
                    "{title}: datasourceUid {} is hard-coded; use ${{VAR}}",
                    d["datasourceUid"]
                )
            });
            assert!(d["model"]["expr"].as_str().is_some_and(|e| !e.is_empty()));
            assert!(d["relativeTimeRange"]["from"].as_u64().unwrap() > 0);
            datasource = Some(var);
        }
        refs.push(r);
    }
    assert!(
        refs.contains(&rule["condition"].as_str().unwrap()),
        "{title}: condition is a refId"
    );
    datasource.unwrap_or_else(|| panic!("{title}: no data source query"))
}

/// (uid of the data source the rules query, severities they set) after checking every rule.
fn check_grafana_rules(prometheus_alerts: &BTreeMap<String, Value>) -> (String, BTreeSet<String>) {
    let doc = grafana_file("alerting/phiscan-rules.yaml").unwrap();
    let uid_re = Regex::new(r"^[A-Za-z0-9_-]{1,40}$").unwrap();
    let (mut uids, mut titles, mut severities, mut vars) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for g in doc["groups"].as_array().unwrap() {
        assert!(g["orgId"].is_u64() && g["name"].is_string() && g["folder"].is_string());
        assert!(
            is_duration(&g["interval"]),
            "group interval {}",
            g["interval"]
        );
        for r in g["rules"].as_array().unwrap() {
            let title = r["title"].as_str().unwrap().to_string();
            let uid = r["uid"].as_str().unwrap();
            assert!(uid_re.is_match(uid), "{title}: uid {uid}");
            assert!(uids.insert(uid.to_string()), "{title}: unique uid");
            vars.insert(check_grafana_rule_data(&title, r));
            assert!(
                ["OK", "NoData", "Alerting", "KeepLast"]
                    .contains(&r["noDataState"].as_str().unwrap())
            );
            assert!(
                ["OK", "Error", "Alerting", "KeepLast"]
                    .contains(&r["execErrState"].as_str().unwrap())
            );
            assert!(is_duration(&r["for"]), "{title}: for {}", r["for"]);
            // labels are expanded from the environment by Grafana: no `$` there
            for (k, v) in r["labels"].as_object().unwrap() {
                assert!(
                    !v.as_str().unwrap().contains('$'),
                    "{title}: label {k} has a `$`"
                );
            }
            for (k, v) in r["annotations"].as_object().unwrap() {
                let v = v.as_str().unwrap();
                assert!(
                    !Regex::new(r"\$value\b").unwrap().is_match(v),
                    "{title}: annotation {k} uses Prometheus's $value; Grafana's is $values.<refId>.Value"
                );
            }
            let prom = &prometheus_alerts
                .get(&title)
                .unwrap_or_else(|| panic!("{title} is not an alert of phiscan-rules.yml"));
            assert_eq!(r["labels"], prom["labels"], "{title}: the same labels");
            assert_eq!(
                r["for"],
                prom.get("for").cloned().unwrap_or(json!("0s")),
                "{title}: for"
            );
            severities.insert(r["labels"]["severity"].as_str().unwrap().to_string());
            titles.insert(title);
        }
    }
    let expected: BTreeSet<String> = prometheus_alerts.keys().cloned().collect();
    assert_eq!(titles, expected, "Grafana has every Prometheus alert");
    assert_eq!(
        vars.len(),
        1,
        "one data source variable for all rules: {vars:?}"
    );
    (vars.into_iter().next().unwrap(), severities)
}

/// The receiver Grafana's policy tree picks for `labels` (first matching child, else the root).
fn route<'a>(policy: &'a Value, labels: &BTreeMap<&str, &str>) -> &'a str {
    for child in policy["routes"].as_array().into_iter().flatten() {
        let all = child["object_matchers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| {
                let (k, op, v) = (
                    m[0].as_str().unwrap(),
                    m[1].as_str().unwrap(),
                    m[2].as_str().unwrap(),
                );
                let have = labels.get(k).copied().unwrap_or("");
                let re = Regex::new(&format!("^(?:{v})$")).unwrap();
                match op {
                    "=" => have == v,
                    "!=" => have != v,
                    "=~" => re.is_match(have),
                    "!~" => !re.is_match(have),
                    _ => panic!("matcher operator {op}"),
                }
            });
        if all {
            return route(child, labels);
        }
    }
    policy["receiver"].as_str().unwrap()
}

#[test]
fn grafana_alerting_provisioning_is_well_formed() {
    let Some(rules) = yaml_documents(&[PathBuf::from("deploy/prometheus/phiscan-rules.yml")])
    else {
        return;
    };
    let Some(py) = python_with_yaml() else { return };
    generated_files_are_current(&py);
    let mut prometheus_alerts = BTreeMap::new();
    for g in rules[0].1["groups"].as_array().unwrap() {
        for r in g["rules"].as_array().unwrap() {
            prometheus_alerts.insert(r["alert"].as_str().unwrap().to_string(), r.clone());
        }
    }
    let (ds_var, severities) = check_grafana_rules(&prometheus_alerts);

    // contact points: valid uids, known integration types, secrets from the environment
    let cps = grafana_file("alerting/contact-points.yaml").unwrap();
    let mut names = BTreeSet::new();
    for cp in cps["contactPoints"].as_array().unwrap() {
        assert!(cp["orgId"].is_u64());
        let name = cp["name"].as_str().unwrap();
        names.insert(name.to_string());
        for r in cp["receivers"].as_array().unwrap() {
            assert!(
                Regex::new(r"^[A-Za-z0-9_-]{1,40}$")
                    .unwrap()
                    .is_match(r["uid"].as_str().unwrap())
            );
            let kind = r["type"].as_str().unwrap();
            assert!(
                [
                    "pagerduty",
                    "webhook",
                    "email",
                    "slack",
                    "opsgenie",
                    "teams",
                    "victorops"
                ]
                .contains(&kind),
                "{name}: receiver type {kind}"
            );
            let settings = r["settings"].as_object().unwrap();
            for secret in ["integrationKey", "url", "token", "apiKey", "password"] {
                if let Some(v) = settings.get(secret) {
                    assert!(
                        env_reference(v).is_some(),
                        "{name}: {secret} comes from the environment"
                    );
                }
            }
        }
    }

    // notification policy: known receivers; critical phiscan alerts page, the rest do not
    let pol = grafana_file("alerting/notification-policies.yaml").unwrap();
    let root = &pol["policies"][0];
    fn receivers(p: &Value, out: &mut Vec<String>) {
        out.push(p["receiver"].as_str().unwrap().to_string());
        for c in p["routes"].as_array().into_iter().flatten() {
            receivers(c, out);
        }
    }
    let mut used = Vec::new();
    receivers(root, &mut used);
    for r in &used {
        assert!(names.contains(r), "policy receiver {r} is a contact point");
    }
    for sev in &severities {
        let labels = BTreeMap::from([("grafana_folder", "phiscan"), ("severity", sev.as_str())]);
        let to = route(root, &labels);
        assert_eq!(
            to == "phiscan-pager",
            sev == "critical",
            "severity {sev} goes to {to}"
        );
    }

    // the data source the rules query is the one provisioned, by the same variable
    let ds = grafana_file("datasources/prometheus.yaml").unwrap();
    let d = &ds["datasources"][0];
    assert_eq!(d["type"], "prometheus");
    assert_eq!(
        env_reference(&d["uid"]),
        Some(ds_var.clone()),
        "datasource uid"
    );
    // the dashboard provider points where compose mounts the dashboard
    let dash = grafana_file("dashboards/phiscan.yaml").unwrap();
    let p = &dash["providers"][0];
    assert_eq!(p["type"], "file");
    let path = p["options"]["path"].as_str().unwrap().to_string();
    let compose =
        std::fs::read_to_string(support::repo_root().join("deploy/compose.yaml")).unwrap();
    assert!(
        compose.contains(&format!("{path}/phiscan-dashboard.json")),
        "compose mounts the dashboard at {path}"
    );
    assert!(
        compose.contains(&format!("{ds_var}:")),
        "compose sets {ds_var} for Grafana"
    );
    println!(
        "grafana provisioning: {} alert rules, data source ${{{ds_var}}}",
        prometheus_alerts.len()
    );
}

// ---------------------------------------------------------------- network policies, Kinesis, sizing

fn kind_of<'a>(docs: &'a [(String, Value)], kind: &str) -> &'a Value {
    &docs
        .iter()
        .find(|(_, d)| d["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind}"))
        .1
}

/// Container port names of a Deployment's first container.
fn container_ports(dep: &Value) -> BTreeMap<String, u64> {
    dep["spec"]["template"]["spec"]["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn network_policies_admit_only_the_webhook_and_metrics_ports() {
    for (dir, expected) in [
        ("deploy/kubernetes", vec!["metrics", "webhook"]),
        ("deploy/kubernetes/kinesis", vec!["metrics"]),
    ] {
        let Some(docs) = yaml_documents(&yaml_files(dir)) else {
            return;
        };
        let np = kind_of(&docs, "NetworkPolicy");
        let dep = kind_of(&docs, "Deployment");
        let pod_labels = dep["spec"]["template"]["metadata"]["labels"]
            .as_object()
            .unwrap();
        let selector = np["spec"]["podSelector"]["matchLabels"]
            .as_object()
            .unwrap();
        assert!(!selector.is_empty(), "{dir}: the policy selects pods");
        assert!(
            selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)),
            "{dir}: selects the Deployment's pods"
        );
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]), "{dir}");
        let mut admitted = BTreeSet::new();
        for rule in np["spec"]["ingress"].as_array().unwrap() {
            // an ingress rule without `ports` admits every port
            let ports = rule["ports"]
                .as_array()
                .unwrap_or_else(|| panic!("{dir}: a rule without ports"));
            for p in ports {
                assert_eq!(p["protocol"], "TCP");
                assert!(p.get("endPort").is_none(), "{dir}: no port ranges");
                admitted.insert(p["port"].as_str().expect("a named port").to_string());
            }
        }
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(admitted, want, "{dir}: ingress only to these ports");
        let named: BTreeSet<String> = container_ports(dep).into_keys().collect();
        assert_eq!(
            named, want,
            "{dir}: the container listens on exactly the admitted ports"
        );
    }
}

/// Peak RSS of `phiscan run` measured under load (README, "Deploying and alerting"): the
/// memory requests and limits of both Deployments are derived from it.
const MEASURED_PEAK_RSS_MIB: u64 = 229;

/// `512Mi`, `1Gi`, `1.5Gi` → MiB.
fn mebibytes(q: &str) -> u64 {
    let (num, unit) = q.split_at(q.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(q.len()));
    let n: f64 = num.parse().unwrap_or_else(|_| panic!("quantity {q}"));
    let mib = match unit {
        "Mi" => n,
        "Gi" => n * 1024.0,
        _ => panic!("memory quantity {q}: use Mi or Gi"),
    };
    mib as u64
}

#[test]
fn deployments_size_memory_from_the_measured_peak() {
    for dir in ["deploy/kubernetes", "deploy/kubernetes/kinesis"] {
        let Some(docs) = yaml_documents(&yaml_files(dir)) else {
            return;
        };
        let dep = kind_of(&docs, "Deployment");
        let r = &dep["spec"]["template"]["spec"]["containers"][0]["resources"];
        let request = mebibytes(r["requests"]["memory"].as_str().unwrap());
        let limit = mebibytes(r["limits"]["memory"].as_str().unwrap());
        assert!(
            request >= MEASURED_PEAK_RSS_MIB * 3 / 2,
            "{dir}: request {request} MiB leaves headroom over the measured {MEASURED_PEAK_RSS_MIB} MiB"
        );
        assert!(
            limit >= MEASURED_PEAK_RSS_MIB * 3,
            "{dir}: limit {limit} MiB is at least 3x the measured peak"
        );
        assert!(limit >= request);
        assert!(
            r["requests"]["cpu"].is_string() && r["limits"]["cpu"].is_string(),
            "{dir}: cpu set"
        );
    }
}

#[test]
fn kinesis_deployment_is_consistent() {
    let dir = "deploy/kubernetes/kinesis";
    let Some(docs) = yaml_documents(&yaml_files(dir)) else {
        return;
    };
    let config_path = support::repo_root().join("deploy/phiscan-kinesis.toml");
    let config_text = std::fs::read_to_string(&config_path).unwrap();
    let cm = kind_of(&docs, "ConfigMap");
    assert_eq!(
        cm["data"]["phiscan.toml"].as_str().unwrap(),
        config_text,
        "configmap.yaml and deploy/phiscan-kinesis.toml differ"
    );

    // the shape of [sources.kinesis]: stream, region, lease table (endpoint_url optional)
    let toml: toml::Table = config_text.parse().unwrap();
    let sources = toml["sources"].as_table().unwrap();
    assert_eq!(
        sources.keys().collect::<Vec<_>>(),
        ["kinesis"],
        "Kinesis is the only source"
    );
    let k = sources["kinesis"].as_table().unwrap();
    for key in ["stream", "region", "lease_table"] {
        assert!(
            k.get(key).is_some_and(|v| v.is_str()),
            "[sources.kinesis] {key}"
        );
    }
    match Config::load_with_env(Some(&config_path), std::iter::empty::<(String, String)>()) {
        Ok(_) => println!("deploy/phiscan-kinesis.toml loads"),
        // until the Kinesis source is part of this build
        Err(e) if format!("{e:#}").contains("kinesis") => {
            println!(
                "pending: deploy/phiscan-kinesis.toml does not load in this build ({e:#}); re-check once [sources.kinesis] lands"
            )
        }
        Err(e) => panic!("deploy/phiscan-kinesis.toml: {e:#}"),
    }
    let metrics_port: u64 = toml["service"]["metrics_listen"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let shutdown = toml["service"]["shutdown_timeout_secs"]
        .as_integer()
        .unwrap() as u64;

    let dep = kind_of(&docs, "Deployment");
    let pod = &dep["spec"]["template"];
    let labels = pod["metadata"]["labels"].as_object().unwrap();
    let selects = |sel: &Value| {
        sel.as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
    };
    assert!(selects(&dep["spec"]["selector"]["matchLabels"]));
    assert!(selects(&kind_of(&docs, "Service")["spec"]["selector"]));
    assert_ne!(
        labels["app.kubernetes.io/name"], "phiscan",
        "the webhook Service must not select Kinesis pods"
    );
    let spec = &pod["spec"];
    assert_eq!(
        spec["serviceAccountName"],
        kind_of(&docs, "ServiceAccount")["metadata"]["name"]
    );
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert!(spec["terminationGracePeriodSeconds"].as_u64().unwrap() > shutdown);
    let c = &spec["containers"][0];
    assert_eq!(container_ports(dep)["metrics"], metrics_port);
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    let volumes: BTreeMap<&str, &Value> = spec["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v))
        .collect();
    assert_eq!(
        volumes["config"]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    // the dead-letter file is on a writable volume (the root filesystem is read-only)
    let dl = toml["sinks"]["dead_letter"]["path"].as_str().unwrap();
    let writable = c["volumeMounts"].as_array().unwrap().iter().any(|m| {
        m["readOnly"] != true
            && dl.starts_with(m["mountPath"].as_str().unwrap())
            && volumes[m["name"].as_str().unwrap()]
                .get("emptyDir")
                .is_some()
    });
    assert!(writable, "{dl} is on a writable volume");
    assert_secrets_from_secret_refs(dir, c);
}

/// Every variable whose name says secret comes from a Secret, never a literal value.
fn assert_secrets_from_secret_refs(what: &str, container: &Value) {
    let secretish = Regex::new(r"KEY|TOKEN|PASSWORD|SECRET").unwrap();
    let mut from_secrets = 0;
    for e in container["env"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        if secretish.is_match(name) {
            assert!(
                e.get("value").is_none(),
                "{what}: {name} must come from a Secret"
            );
            let r = &e["valueFrom"]["secretKeyRef"];
            assert!(
                r["name"].is_string() && r["key"].is_string(),
                "{what}: {name} is a secretKeyRef"
            );
            from_secrets += 1;
        }
    }
    assert!(from_secrets >= 1, "{what}: secrets come from Secrets");
}

// ---------------------------------------------------------------- compose

#[test]
fn compose_file_mounts_existing_files_and_its_configs_load() {
    support::install_crypto();
    let Some(docs) = yaml_documents(&[PathBuf::from("deploy/compose.yaml")]) else {
        return;
    };
    let compose = &docs[0].1;
    let services = compose["services"].as_object().unwrap();
    let names: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["alertmanager", "grafana", "kafka", "phiscan", "prometheus"])
    );
    let deploy = support::repo_root().join("deploy");
    let mut mounts: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for (name, svc) in services {
        assert!(svc["image"].is_string(), "{name}: an image");
        for dep in svc["depends_on"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .or_else(|| {
                svc["depends_on"]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            })
            .unwrap_or_default()
        {
            assert!(names.contains(dep.as_str()), "{name} depends on {dep}");
        }
        for v in svc["volumes"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap();
            let mut parts = v.split(':');
            let (src, dst) = (parts.next().unwrap(), parts.next().unwrap());
            if src.starts_with('.') {
                let host = deploy.join(src);
                assert!(host.exists(), "{name}: mounted {src} exists");
                mounts.insert((name.clone(), dst.to_string()), host);
            } else {
                assert!(
                    compose["volumes"].get(src).is_some(),
                    "{name}: named volume {src} is declared"
                );
            }
        }
        // secrets come from the environment of `docker compose`, never literals
        for (k, v) in svc["environment"].as_object().into_iter().flatten() {
            if Regex::new(r"KEY|TOKEN|PASSWORD").unwrap().is_match(k) && !k.ends_with("_UID") {
                assert!(
                    v.as_str().unwrap().starts_with("${"),
                    "{name}: {k} comes from the environment"
                );
            }
        }
    }
    check_compose_phiscan(services, &mounts);
    check_compose_prometheus(services, &mounts);
    let grafana = &services["grafana"];
    for dir in ["datasources", "dashboards", "alerting"] {
        assert!(
            mounts.contains_key(&(
                "grafana".to_string(),
                format!("/etc/grafana/provisioning/{dir}")
            )),
            "grafana gets the {dir} provisioning"
        );
    }
    assert!(
        grafana["environment"]["PHISCAN_PROMETHEUS_URL"]
            .as_str()
            .unwrap()
            .contains("prometheus:9090")
    );
}

fn check_compose_phiscan(
    services: &serde_json::Map<String, Value>,
    mounts: &BTreeMap<(String, String), PathBuf>,
) {
    let path = &mounts[&(
        "phiscan".to_string(),
        "/etc/phiscan/phiscan.toml".to_string(),
    )];
    let config = load_config(
        path,
        &[("PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN", "compose-test-token")],
    );
    let kafka = config.sources.kafka.as_ref().expect("[sources.kafka]");
    assert!(kafka.brokers.starts_with("kafka:"), "the compose broker");
    assert!(
        services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
            .as_str()
            .unwrap()
            .contains(&format!("//{}", kafka.brokers))
    );
    let am = config
        .sinks
        .alertmanager
        .as_ref()
        .expect("[sinks.alertmanager]");
    assert_eq!(am.url, "http://alertmanager:9093");
    let webhook = config.sources.webhook.as_ref().expect("[sources.webhook]");
    let port = webhook.listen.rsplit(':').next().unwrap();
    let published: Vec<&str> = services["phiscan"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        published.contains(&format!("{port}:{port}").as_str()),
        "the webhook port is published"
    );
    assert_eq!(
        config.service.metrics_listen.as_deref(),
        Some("0.0.0.0:9090")
    );
    Scanner::new(&config).unwrap();
}

fn check_compose_prometheus(
    services: &serde_json::Map<String, Value>,
    mounts: &BTreeMap<(String, String), PathBuf>,
) {
    let Some(promtool) = promtool() else { return };
    // lay the mounted files out as the container sees them, then `promtool check config`
    let dir = tempfile::tempdir().unwrap();
    for ((svc, dst), src) in mounts {
        if let Some(name) = dst
            .strip_prefix("/etc/prometheus/")
            .filter(|_| svc == "prometheus")
        {
            std::fs::copy(src, dir.path().join(name)).unwrap();
        }
    }
    let out = run_ok(
        Command::new(&promtool)
            .args(["check", "config"])
            .arg(dir.path().join("prometheus.yml")),
        "",
    );
    assert!(
        out.contains("SUCCESS") && out.contains("1 rule files found"),
        "{out}"
    );
    let text = std::fs::read_to_string(dir.path().join("prometheus.yml")).unwrap();
    assert!(
        text.contains("job_name: phiscan")
            && text.contains("phiscan:9090")
            && text.contains("alertmanager:9093")
    );
    let cmd: Vec<&str> = services["prometheus"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(cmd.contains(&"--config.file=/etc/prometheus/prometheus.yml"));
    // Alertmanager's config, with the amtool beside promtool
    let amtool = Path::new(&promtool).with_file_name("amtool");
    let am = &mounts[&(
        "alertmanager".to_string(),
        "/etc/alertmanager/alertmanager.yml".to_string(),
    )];
    if amtool.exists() {
        run_ok(Command::new(&amtool).arg("check-config").arg(am), "");
    } else {
        unavailable(&format!("amtool check-config: no amtool beside {promtool}"));
    }
}
