//! The metrics and health endpoint (`phiscan::service::http::router`) served on a local port:
//! `/healthz`, `/readyz` following sources and sinks, `/metrics` valid for `promtool check
//! metrics` with label values from bounded sets only (after PHI events went through the real
//! pipeline); and the files under `deploy/` (Prometheus rules and their unit tests, the Grafana
//! dashboard, the Kubernetes manifests, the example config, the Dockerfile).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use phiscan::alert::{Alert, Severity, SourceRef};
use phiscan::config::Config;
use phiscan::detect::Category;
use phiscan::event::Location;
use phiscan::metrics::metrics;
use phiscan::scan::Scanner;
use phiscan::service::Health;
use phiscan::service::pipeline::{Ack, Outcome, Payload, Pipeline, Work};
use phiscan::sink::{AlertSink, BoxFuture, SinkError, Sinks};
use regex::Regex;
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn scanner() -> Arc<Scanner> {
    static S: OnceLock<Arc<Scanner>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Scanner::new(&Config::default()).unwrap()))
        .clone()
}

fn promtool() -> Option<String> {
    match std::env::var("PHISCAN_TEST_PROMTOOL") {
        Ok(p) if !p.is_empty() && Path::new(&p).exists() => Some(p),
        _ => {
            println!(
                "skipped: PHISCAN_TEST_PROMTOOL is not set or does not exist (scripts/services.sh install alertmanager installs promtool; then eval \"$(scripts/services.sh env)\")"
            );
            None
        }
    }
}

/// Run a command, feeding `stdin`; panic with its output unless it succeeds.
fn run_ok(cmd: &mut Command, stdin: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut sin = child.stdin.take().unwrap();
        sin.write_all(stdin.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{text}",
        out.status
    );
    text
}

// ---------------------------------------------------------------- serving the router

struct Endpoint {
    base: String,
    client: reqwest::Client,
}

impl Endpoint {
    async fn start(health: Arc<Health>, sinks: Arc<Sinks>) -> Endpoint {
        install_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = phiscan::service::http::router(health, sinks);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Endpoint {
            base,
            client: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// A sink that records what it accepted, can fail its first sends, and says whether it is ready.
#[derive(Clone, Default)]
struct TestSink {
    ready: Arc<AtomicBool>,
    fail_first: Arc<AtomicUsize>,
    accepted: Arc<Mutex<Vec<String>>>,
}

impl AlertSink for TestSink {
    fn name(&self) -> &'static str {
        "test"
    }
    fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if self.fail_first.load(Ordering::SeqCst) > 0 {
                self.fail_first.fetch_sub(1, Ordering::SeqCst);
                return Err(SinkError::Retryable("test sink: not yet".into()));
            }
            let mut acc = self.accepted.lock().unwrap();
            for a in alerts {
                acc.push(serde_json::to_string(a).unwrap());
            }
            Ok(())
        })
    }
    fn ready(&self) -> BoxFuture<'_, bool> {
        let r = self.ready.load(Ordering::SeqCst);
        Box::pin(async move { r })
    }
}

fn sinks_with(sink: &TestSink, window: Duration) -> Arc<Sinks> {
    let mut s = Sinks::new(vec![Box::new(sink.clone())], None, window);
    s.backoff = (Duration::from_millis(10), Duration::from_millis(50));
    Arc::new(s)
}

// ---------------------------------------------------------------- /healthz and /readyz

#[tokio::test]
async fn healthz_is_ok_and_readyz_follows_sources_and_sinks() {
    let sink = TestSink::default();
    sink.ready.store(true, Ordering::SeqCst);
    let health = Arc::new(Health {
        kafka_configured: true,
        webhook_configured: true,
        ..Default::default()
    });
    let ep = Endpoint::start(health.clone(), sinks_with(&sink, Duration::ZERO)).await;

    assert_eq!(ep.get("/healthz").await.0, 200);
    let (status, body) = ep.get("/readyz").await;
    assert_eq!(status, 503, "no source connected yet: {body}");
    assert!(body.contains("sources: not ready"), "{body}");

    health.webhook_listening.store(true, Ordering::SeqCst);
    assert_eq!(
        ep.get("/readyz").await.0,
        503,
        "kafka is configured and not connected"
    );
    health.kafka_connected.store(true, Ordering::SeqCst);
    let (status, body) = ep.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("sources: ready") && body.contains("sinks: ready"),
        "{body}"
    );

    sink.ready.store(false, Ordering::SeqCst);
    let (status, body) = ep.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sinks: not ready"), "{body}");
    assert_eq!(ep.get("/healthz").await.0, 200, "alive even when not ready");

    // a source that is not configured does not hold readiness back
    let only_webhook = Arc::new(Health {
        webhook_configured: true,
        ..Default::default()
    });
    only_webhook.webhook_listening.store(true, Ordering::SeqCst);
    sink.ready.store(true, Ordering::SeqCst);
    let ep = Endpoint::start(only_webhook, sinks_with(&sink, Duration::ZERO)).await;
    assert_eq!(ep.get("/readyz").await.0, 200);
}

#[tokio::test]
async fn readyz_probes_alertmanager() {
    use phiscan::config::service::AlertmanagerSinkConfig;
    use phiscan::sink::alertmanager::AlertmanagerSink;
    install_crypto();
    let health = Arc::new(Health::default());
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = AlertmanagerSink::new(&AlertmanagerSinkConfig {
        url: format!("http://127.0.0.1:{dead_port}"),
        max_retries: 0,
        timeout_ms: 500,
    })
    .unwrap();
    let ep = Endpoint::start(
        health.clone(),
        Arc::new(Sinks::new(vec![Box::new(down)], None, Duration::ZERO)),
    )
    .await;
    let (status, body) = ep.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sinks: not ready"), "{body}");

    let Ok(am) = std::env::var("PHISCAN_TEST_ALERTMANAGER") else {
        println!(
            "skipped: the ready half of readyz_probes_alertmanager: PHISCAN_TEST_ALERTMANAGER is not set (run scripts/services.sh start alertmanager)"
        );
        return;
    };
    let up = AlertmanagerSink::new(&AlertmanagerSinkConfig {
        url: am,
        max_retries: 0,
        timeout_ms: 2000,
    })
    .unwrap();
    let ep = Endpoint::start(
        health,
        Arc::new(Sinks::new(vec![Box::new(up)], None, Duration::ZERO)),
    )
    .await;
    let (status, body) = ep.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------- /metrics after real traffic

const PLANTED: &[&str] = &[
    "MRN-20417736",
    "20417736",
    "J45.909",
    "Alma Whitfield",
    "1972-09-14",
    "078-05-1120",
    "alma.whitfield@example.com",
    "+12125550147",
];

fn random_account() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    format!("AC{}", hex::encode(b))
}

fn phi_event(account: &str, id: &str, event_type: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": event_type,
        "source": format!("/2010-04-01/Accounts/{account}/Messages/SMf3a60329a831050f832555ff88c3475f.json"),
        "id": id,
        "time": "2026-05-04T13:00:00.000Z",
        "data": {
            "messageSid": "SMf3a60329a831050f832555ff88c3475f",
            "accountSid": account,
            "from": "+12125550100",
            "to": "+12125550147",
            "body": "Alma Whitfield, your results for J45.909 are ready. Questions: alma.whitfield@example.com",
            "tags": {"patient_mrn": "MRN-20417736", "dx_code": "J45.909", "patient": "Alma Whitfield", "dob": "1972-09-14", "ssn": "078-05-1120"}
        }
    })
}

fn work(
    payload: Payload,
    i: i64,
    kind: &'static str,
    max_bytes: usize,
) -> (Work, tokio::sync::oneshot::Receiver<Outcome>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let source = match kind {
        "kafka" => SourceRef::Kafka {
            topic: "twilio-events".into(),
            partition: 0,
            offset: i,
        },
        _ => SourceRef::Webhook {
            request_id: format!("req-{i}"),
        },
    };
    (
        Work::new(payload, source, kind, Ack::Reply(tx), max_bytes),
        rx,
    )
}

/// Run events through the real pipeline (scanner threads, suppression, a sink that fails
/// first), returning what the sink accepted.
async fn drive_pipeline() -> Vec<String> {
    let sink = TestSink::default();
    sink.ready.store(true, Ordering::SeqCst);
    sink.fail_first.store(2, Ordering::SeqCst);
    let sinks = sinks_with(&sink, Duration::from_secs(600));
    let pipeline = Pipeline::start(scanner(), sinks, 2, 8, 1 << 20);

    let account = random_account();
    let mut pending = Vec::new();
    let mut expect = Vec::new();
    let mut i = 0;
    let mut push = |payload: Payload, kind: &'static str, max: usize, want: &'static str| {
        i += 1;
        let (w, rx) = work(payload, i, kind, max);
        expect.push(want);
        (w, rx)
    };
    let record = |v: &Value| Payload::Record {
        value: serde_json::to_vec(v).unwrap(),
        headers: vec![],
        key: None,
    };
    let mut works = vec![
        push(
            record(&phi_event(
                &account,
                "EZ00000000000000000000000000000001",
                "com.twilio.messaging.message.sent",
            )),
            "kafka",
            1 << 20,
            "alerts",
        ),
        // the same values again: suppressed (counted as a violation, not sent)
        push(
            record(&phi_event(
                &account,
                "EZ00000000000000000000000000000002",
                "com.twilio.messaging.message.sent",
            )),
            "kafka",
            1 << 20,
            "alerts",
        ),
        // an event type that names an account: its family label must still be bounded
        push(
            record(&phi_event(
                &random_account(),
                "EZ00000000000000000000000000000003",
                &format!("com.twilio.{}.x", random_account()),
            )),
            "kafka",
            1 << 20,
            "any",
        ),
        push(
            Payload::Events(vec![phi_event(
                &random_account(),
                "EZ00000000000000000000000000000004",
                "com.twilio.messaging.message.delivered",
            )]),
            "webhook",
            1 << 20,
            "alerts",
        ),
        push(
            Payload::Record {
                value: b"{\"specversion\": \"1.0\", \"data\": {\"ssn\": \"078-05-1120\"".to_vec(),
                headers: vec![],
                key: None,
            },
            "kafka",
            1 << 20,
            "malformed",
        ),
        push(
            record(&phi_event(
                &account,
                "EZ00000000000000000000000000000005",
                "com.twilio.messaging.message.sent",
            )),
            "kafka",
            100,
            "malformed",
        ),
    ];
    // the shipped examples: every rule, many categories and locations
    for line in std::fs::read_to_string(repo().join("examples/events.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        works.push(push(
            Payload::Record {
                value: line.as_bytes().to_vec(),
                headers: vec![],
                key: None,
            },
            "kafka",
            1 << 20,
            "any",
        ));
    }
    for (w, rx) in works {
        pipeline
            .submitter
            .submit(w)
            .await
            .ok()
            .expect("pipeline accepts work");
        pending.push(rx);
    }
    let mut outcomes = Vec::new();
    for rx in pending {
        outcomes.push(
            tokio::time::timeout(Duration::from_secs(30), rx)
                .await
                .expect("acknowledged in time")
                .expect("acknowledged"),
        );
    }
    for (o, want) in outcomes.iter().zip(&expect) {
        match (*want, o) {
            ("alerts", Outcome::Delivered { alerts, .. }) => assert!(*alerts > 0, "{o:?}"),
            ("malformed", Outcome::Malformed(e)) => assert_no_planted(e, "a dead-letter error"),
            ("any", _) => {}
            _ => panic!("expected {want}, got {o:?}"),
        }
    }
    pipeline.drain().await;
    let accepted = sink.accepted.lock().unwrap().clone();
    assert!(accepted.len() > 5, "alerts reached the sink");
    accepted
}

fn assert_no_planted(text: &str, what: &str) {
    for p in PLANTED {
        assert!(
            !text.contains(p),
            "{what} contains the planted value {p:?}: {text}"
        );
    }
}

/// Every `name{labels} value` sample of a text exposition, as (name, labels).
fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = line[..name_end].to_string();
        let mut labels = BTreeMap::new();
        if line[name_end..].starts_with('{') {
            let mut chars = line[name_end + 1..].chars().peekable();
            loop {
                let key: String = chars
                    .by_ref()
                    .take_while(|c| *c != '=')
                    .collect::<String>()
                    .trim_start_matches(',')
                    .trim()
                    .to_string();
                if key.is_empty() || key.starts_with('}') {
                    break;
                }
                assert_eq!(chars.next(), Some('"'), "label value quoted in {line}");
                let mut value = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some(other) => value.push(other),
                            None => break,
                        },
                        '"' => break,
                        c => value.push(c),
                    }
                }
                labels.insert(key, value);
                if chars.peek() == Some(&'}') {
                    break;
                }
            }
        }
        out.push((name, labels));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_prometheus_text_with_bounded_labels() {
    let accepted = drive_pipeline().await;
    for a in &accepted {
        assert_no_planted(a, "an alert");
    }
    // what the sources count themselves (the webhook receiver and the Kafka statistics callback)
    metrics()
        .webhook_rejected
        .with_label_values(&["bad_signature"])
        .inc();
    metrics().webhook_duplicates.inc();
    metrics()
        .kafka_lag
        .with_label_values(&["twilio-events", "0"])
        .set(12);

    let ep = Endpoint::start(
        Arc::new(Health::default()),
        sinks_with(&TestSink::default(), Duration::ZERO),
    )
    .await;
    let (status, text) = ep.get("/metrics").await;
    assert_eq!(status, 200);
    for needle in [
        "phiscan_events_total{",
        "phiscan_findings_total{",
        "phiscan_violations_total{",
        "phiscan_alerts_total{",
        "phiscan_alerts_suppressed_total{",
        "phiscan_decode_errors_total{reason=\"malformed\",source=\"kafka\"}",
        "phiscan_decode_errors_total{reason=\"too_large\",source=\"kafka\"}",
        "phiscan_dead_letters_total{source=\"kafka\"}",
        "phiscan_sink_errors_total{sink=\"test\"}",
        "phiscan_sink_retries_total{sink=\"test\"}",
        "phiscan_event_to_alert_seconds_bucket{",
        "phiscan_scan_duration_seconds_bucket{",
        "phiscan_bytes_total{source=\"kafka\"}",
        "phiscan_events_total{family=\"messaging\",source=\"webhook\"}",
        "phiscan_events_total{family=\"other\",source=\"kafka\"}",
    ] {
        assert!(text.contains(needle), "/metrics has {needle}:\n{text}");
    }

    // no value, number, email or account anywhere in the exposition
    assert_no_planted(&text, "/metrics");
    let sid = Regex::new(r"AC[0-9a-fA-F]{32}").unwrap();
    let phone = Regex::new(r"\+?\d[\d ().-]{8,}\d").unwrap();
    let email = Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
    assert!(
        !sid.is_match(&text),
        "an Account SID in /metrics: {:?}",
        sid.find(&text)
    );
    assert!(
        !email.is_match(&text),
        "an email in /metrics: {:?}",
        email.find(&text)
    );

    // every label value from a known, bounded set
    let rules: BTreeSet<&str> = phiscan::policy::RULES.iter().map(|r| r.id).collect();
    let severities: BTreeSet<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let categories: BTreeSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let locations: BTreeSet<&str> = Location::ALL.iter().map(|l| l.as_str()).collect();
    let sources = ["kafka", "webhook", "file", "kinesis", "s3"];
    let sinks = [
        "jsonl",
        "kafka",
        "http",
        "alertmanager",
        "dead_letter",
        "test",
    ];
    let reason = Regex::new(r"^[a-z_]{1,32}$").unwrap();
    let number = Regex::new(r"^(\+Inf|-?[0-9.]+(e[+-]?[0-9]+)?)$").unwrap();
    let topic = Regex::new(r"^[a-z][a-z0-9._-]{0,100}$").unwrap();
    let mut checked = 0;
    for (name, labels) in samples(&text) {
        for (k, v) in &labels {
            assert!(
                !sid.is_match(v) && !phone.is_match(v) && !email.is_match(v),
                "{name}: label {k}={v:?} looks like PHI or an account"
            );
            let ok = match k.as_str() {
                "source" => sources.contains(&v.as_str()),
                "family" => {
                    v == "other" || phiscan::metrics::family(&format!("com.twilio.{v}.x")) == v
                }
                "category" => categories.contains(v.as_str()),
                "location" => locations.contains(v.as_str()),
                "rule" => rules.contains(v.as_str()),
                "severity" => severities.contains(v.as_str()),
                "sink" => sinks.contains(&v.as_str()),
                "reason" => reason.is_match(v),
                "outcome" => ["delivered", "dead_lettered"].contains(&v.as_str()),
                "le" | "quantile" => number.is_match(v),
                "topic" => topic.is_match(v),
                "partition" => v.parse::<u32>().is_ok(),
                _ => false,
            };
            assert!(ok, "{name}: label {k}={v:?} is not from a bounded set");
            checked += 1;
        }
    }
    assert!(checked > 50, "checked {checked} labels");

    let Some(promtool) = promtool() else { return };
    let out = run_ok(Command::new(&promtool).args(["check", "metrics"]), &text);
    println!("promtool check metrics: ok {}", out.trim());
}

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
    let dir = repo().join("deploy/prometheus");
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
        std::fs::read_to_string(repo().join("deploy/grafana/phiscan-dashboard.json")).unwrap();
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

/// deploy/kubernetes/*.yaml as JSON documents, through PyYAML (`None` if no Python has it).
fn kubernetes_documents() -> Option<Vec<(String, Value)>> {
    let dir = repo().join("deploy/kubernetes");
    let script = r#"
import json, sys, yaml, pathlib
out = []
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
    for doc in yaml.safe_load_all(p.read_text()):
        if doc is not None:
            out.append([p.name, doc])
print(json.dumps(out))
"#;
    let mut pythons = vec!["python3".to_string()];
    if let Ok(p) = std::env::var("PHISCAN_TEST_PYTHON") {
        pythons.push(p);
    }
    for py in pythons {
        let Ok(out) = Command::new(&py).arg("-c").arg(script).arg(&dir).output() else {
            continue;
        };
        if out.status.success() {
            let docs: Vec<(String, Value)> = serde_json::from_slice(&out.stdout).unwrap();
            return Some(docs);
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("No module named 'yaml'"),
            "{py} could not parse the manifests:\n{err}"
        );
    }
    println!(
        "skipped: YAML structure checks of deploy/kubernetes: no python3 with PyYAML (pip install pyyaml)"
    );
    None
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
    install_crypto();
    let path = repo().join("deploy/phiscan.toml");
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
    let dir = repo().join("deploy/kubernetes");
    let config_text = std::fs::read_to_string(repo().join("deploy/phiscan.toml")).unwrap();

    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let out = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "kubectl kustomize deploy/kubernetes: ok ({} bytes)",
            out.stdout.len()
        );
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
    let config = load_config(&repo().join("deploy/phiscan.toml"), &[]);

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
    let text = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
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
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
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
    assert!(repo().join("deploy/Dockerfile.dockerignore").exists());
}
