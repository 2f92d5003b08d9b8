//! The metrics and health endpoint (`phiscan::service::http::router`) served on a local port:
//! `/healthz`, `/readyz` following sources and sinks, `/metrics` valid for `promtool check
//! metrics` with label values from bounded sets only (after PHI events went through the real
//! pipeline). The files under `deploy/` are checked by tests/deploy.rs.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
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
use support::metrics::samples;
use support::planted::assert_no_leak;
use support::tools::{promtool, run_ok};

fn scanner() -> Arc<Scanner> {
    static S: OnceLock<Arc<Scanner>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Scanner::new(&Config::default()).unwrap()))
        .clone()
}

// ---------------------------------------------------------------- serving the router

struct Endpoint {
    base: String,
    client: reqwest::Client,
}

impl Endpoint {
    async fn start(health: Arc<Health>, sinks: Arc<Sinks>) -> Endpoint {
        support::install_crypto();
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
    support::install_crypto();
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

    let Some(am) = support::service_var(
        "PHISCAN_TEST_ALERTMANAGER",
        "the ready half of readyz_probes_alertmanager needs it: run scripts/services.sh start alertmanager",
    ) else {
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
    for line in std::fs::read_to_string(support::repo_root().join("examples/events.jsonl"))
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
            ("malformed", Outcome::Malformed(e)) => {
                assert_no_leak("a dead-letter error", e, PLANTED)
            }
            ("any", _) => {}
            _ => panic!("expected {want}, got {o:?}"),
        }
    }
    pipeline.drain().await;
    let accepted = sink.accepted.lock().unwrap().clone();
    assert!(accepted.len() > 5, "alerts reached the sink");
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_prometheus_text_with_bounded_labels() {
    let accepted = drive_pipeline().await;
    for a in &accepted {
        assert_no_leak("an alert", a, PLANTED);
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
        // no dead-letter output here: the malformed records are counted as dropped
        "phiscan_records_dropped_total{reason=\"no_dead_letter\",source=\"kafka\"}",
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
    assert_no_leak("/metrics", &text, PLANTED);
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
