//! The HTTP and Alertmanager alert sinks: retry and error classification against a local test
//! server, and delivery to a real Alertmanager (`scripts/services.sh start alertmanager`).

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use phiscan::alert::{Alert, SourceRef};
use phiscan::config::Config;
use phiscan::config::service::{AlertmanagerSinkConfig, HttpSinkConfig};
use phiscan::metrics::metrics;
use phiscan::scan::{ScanScratch, Scanner, Stats};
use phiscan::sink::alertmanager::AlertmanagerSink;
use phiscan::sink::dead_letter::FileDeadLetter;
use phiscan::sink::http::HttpSink;
use phiscan::sink::{AlertSink, DeadLetterSink, SinkError, Sinks};
use serde_json::{Value, json};
use support::planted::assert_no_leak;

/// Values planted in the events: none may leave through a sink.
const PLANTED: &[&str] = &[
    "MRN-20417736",
    "20417736",
    "J45.909",
    "Alma Whitfield",
    "Whitfield",
    "1972-09-14",
    "078-05-1120",
    "1120-05",
];

/// A messaging event of `account` with PHI in its tags (a `phi-in-tag` violation).
fn tag_event(account: &str, id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.sent",
        "source": format!("/2010-04-01/Accounts/{account}/Messages/SMf3a60329a831050f832555ff88c3475f.json"),
        "id": id,
        "time": "2026-05-04T13:00:00.000Z",
        "data": {
            "messageSid": "SMf3a60329a831050f832555ff88c3475f",
            "accountSid": account,
            "from": "+12125550100",
            "to": "+12125550147",
            "messageStatus": "SENT",
            "body": "Reminder: you have an appointment tomorrow at 9:30.",
            "tags": {
                "patient_mrn": "MRN-20417736",
                "dx_code": "J45.909",
                "patient": "Alma Whitfield",
                "dob": "1972-09-14",
                "ssn": "078-05-1120",
            }
        }
    })
}

/// Alerts from scanning `events` with the default configuration.
fn scan(events: Vec<Value>) -> Vec<Alert> {
    // building the detection engine takes seconds in a debug build: once per test binary
    static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    let scanner = SCANNER.get_or_init(|| Scanner::new(&Config::default()).unwrap());
    let mut scratch = ScanScratch::default();
    let mut stats = Stats::default();
    let mut alerts = Vec::new();
    for (i, e) in events.into_iter().enumerate() {
        let source = SourceRef::Webhook {
            request_id: format!("req-{i}"),
        };
        scanner.scan_event(e, source, &mut scratch, &mut stats, &mut |a| alerts.push(a));
    }
    assert!(!alerts.is_empty(), "the events produce alerts");
    alerts
}

fn sample_alerts(n: usize) -> Vec<Alert> {
    let account = format!("AC{}", support::random_hex(32));
    scan(
        (0..n)
            .map(|i| tag_event(&account, &format!("EZ{:032}", i + 1)))
            .collect(),
    )
}

// ---------------------------------------------------------------- a recording test server

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct ServerState {
    requests: Vec<Recorded>,
    /// Statuses to answer, in order; once used up, 200.
    script: Vec<u16>,
    /// Wait this long before answering.
    delay: Duration,
    /// Answer 413 to any body that holds this text.
    refuse_containing: Option<String>,
}

#[derive(Clone)]
struct Server {
    url: String,
    state: Arc<Mutex<ServerState>>,
}

impl Server {
    async fn start(script: Vec<u16>) -> Server {
        let state = Arc::new(Mutex::new(ServerState {
            script,
            ..Default::default()
        }));
        async fn record(
            State(s): State<Arc<Mutex<ServerState>>>,
            uri: axum::http::Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let (status, delay) = {
                let mut s = s.lock().unwrap();
                let n = s.requests.len();
                let refuse = s
                    .refuse_containing
                    .as_ref()
                    .is_some_and(|t| String::from_utf8_lossy(&body).contains(t.as_str()));
                s.requests.push(Recorded {
                    path: uri.path().to_string(),
                    headers,
                    body,
                });
                let status = if refuse {
                    413
                } else {
                    s.script.get(n).copied().unwrap_or(200)
                };
                (status, s.delay)
            };
            tokio::time::sleep(delay).await;
            StatusCode::from_u16(status).unwrap()
        }
        let app = Router::new()
            .route("/", post(record))
            .route("/{*path}", post(record))
            .route("/-/ready", axum::routing::get(|| async { "OK" }))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, state }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn http_config(url: &str, max_retries: u32) -> HttpSinkConfig {
    HttpSinkConfig {
        url: url.to_string(),
        headers: [
            ("Authorization".to_string(), "Bearer test-token".to_string()),
            ("X-Team".to_string(), "privacy".to_string()),
        ]
        .into(),
        max_retries,
        timeout_ms: 2000,
    }
}

fn sink_retries(name: &str) -> u64 {
    metrics().sink_retries.with_label_values(&[name]).get()
}

// ---------------------------------------------------------------- HttpSink

#[tokio::test]
async fn http_sink_retries_503s_then_delivers_a_json_array_with_the_configured_headers() {
    support::install_crypto();
    let server = Server::start(vec![503, 503]).await;
    let sink = HttpSink::new(&http_config(&format!("{}/hooks/phi", server.url), 5)).unwrap();
    let alerts = sample_alerts(3);
    let refs: Vec<&Alert> = alerts.iter().collect();
    let before = sink_retries("http");
    let started = Instant::now();
    sink.send(&refs).await.expect("accepted after two 503s");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "backed off between attempts (100 + 200 ms)"
    );
    assert!(sink_retries("http") >= before + 2, "retries are counted");
    assert!(sink.ready().await);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "two failures, then acceptance");
    for r in &reqs {
        assert_eq!(r.path, "/hooks/phi");
        assert_eq!(r.headers["authorization"], "Bearer test-token");
        assert_eq!(r.headers["x-team"], "privacy");
        assert_eq!(r.headers["content-type"], "application/json");
        let body: Value = serde_json::from_slice(&r.body).expect("valid JSON");
        let arr = body.as_array().expect("a JSON array");
        assert_eq!(arr.len(), alerts.len());
        for (got, want) in arr.iter().zip(&alerts) {
            assert_eq!(got["schema"], "phiscan.alert/1");
            assert_eq!(got["alert_id"], want.alert_id.as_str());
            assert_eq!(got["rule"], "phi-in-tag");
            assert_eq!(got["severity"], "critical");
            assert!(!got["findings"].as_array().unwrap().is_empty());
            assert!(
                got["findings"][0]["masked"].is_string()
                    && got["findings"][0]["fingerprint"].is_string()
            );
        }
        assert_no_leak(
            "the HTTP sink's request body",
            &String::from_utf8_lossy(&r.body),
            PLANTED,
        );
    }
}

/// A file dead-letter output in a fresh directory, and its path.
fn file_dead_letter() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Box<dyn DeadLetterSink>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let dl = Box::new(FileDeadLetter::open(&path).unwrap());
    (dir, path, dl)
}

fn dead_letter_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn http_sink_gives_up_on_a_400_at_once_and_the_alert_is_dead_lettered() {
    support::install_crypto();
    let server = Server::start(vec![400, 400, 400]).await;
    let sink = HttpSink::new(&http_config(&server.url, 5)).unwrap();
    let alerts = sample_alerts(1);
    let refs: Vec<&Alert> = alerts.iter().collect();
    match sink.send(&refs).await {
        Err(SinkError::Permanent(e)) => {
            assert!(e.contains("400"), "{e}");
            assert!(!e.contains(&server.url), "errors do not quote the URL: {e}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");

    // through Sinks::deliver: kept in the dead-letter output with the reason, then returns
    let errors_before = metrics().sink_errors.with_label_values(&["http"]).get();
    let (_dir, path, dl) = file_dead_letter();
    let mut sinks = Sinks::new(vec![Box::new(sink)], Some(dl), Duration::ZERO);
    sinks.backoff = (Duration::from_millis(1), Duration::from_millis(5));
    let out = tokio::time::timeout(Duration::from_secs(10), sinks.deliver(&refs, &[]))
        .await
        .expect("deliver returns");
    assert_eq!(server.requests().len(), 2);
    assert!(metrics().sink_errors.with_label_values(&["http"]).get() > errors_before);
    assert_eq!((out.alerts, out.dead_lettered_alerts), (0, alerts.len()));
    let lines = dead_letter_lines(&path);
    assert_eq!(lines.len(), alerts.len());
    assert_eq!(lines[0]["kind"], "alert");
    let error = lines[0]["error"].as_str().unwrap();
    assert!(
        error.contains("http sink") && error.contains("400"),
        "{error}"
    );
    assert_no_leak(
        "the dead-letter file",
        &std::fs::read_to_string(&path).unwrap(),
        PLANTED,
    );
}

/// Before: the chunk holding a refused alert was dropped and the chunks after it never sent,
/// then the events were acknowledged. Now every other alert is delivered and the refused one is
/// dead-lettered with the reason.
#[tokio::test]
async fn a_413_for_one_alert_loses_nothing_of_a_multi_chunk_batch() {
    support::install_crypto();
    let server = Server::start(vec![]).await;
    let sink = HttpSink::new(&http_config(&server.url, 0)).unwrap();
    let one = sample_alerts(1).remove(0);
    let n = phiscan::sink::http::MAX_ALERTS_PER_REQUEST + 10;
    let mut many: Vec<Alert> = (0..n)
        .map(|i| {
            let mut a = one.clone();
            a.alert_id = format!("{i:032x}");
            a
        })
        .collect();
    let bad = format!("{:032x}", 0xbad_u32);
    many[7].alert_id = bad.clone();
    server.state.lock().unwrap().refuse_containing = Some(bad.clone());
    let refs: Vec<&Alert> = many.iter().collect();
    let dead_lettered = || {
        metrics()
            .alert_outcomes
            .with_label_values(&["http", "dead_lettered"])
            .get()
    };
    let before = dead_lettered();
    let (_dir, path, dl) = file_dead_letter();
    let mut sinks = Sinks::new(vec![Box::new(sink)], Some(dl), Duration::ZERO);
    sinks.backoff = (Duration::from_millis(1), Duration::from_millis(5));
    let out = tokio::time::timeout(Duration::from_secs(30), sinks.deliver(&refs, &[]))
        .await
        .expect("deliver returns");
    assert_eq!((out.alerts, out.dead_lettered_alerts), (n - 1, 1));
    let mut delivered = std::collections::HashSet::new();
    for r in server.requests() {
        let body: Vec<Value> = serde_json::from_slice(&r.body).unwrap();
        if !String::from_utf8_lossy(&r.body).contains(&bad) {
            delivered.extend(
                body.iter()
                    .map(|a| a["alert_id"].as_str().unwrap().to_string()),
            );
        }
    }
    assert_eq!(
        delivered.len(),
        n - 1,
        "every other alert reached the endpoint"
    );
    assert!(!delivered.contains(&bad));
    let lines = dead_letter_lines(&path);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], "alert");
    assert!(lines[0]["raw"].as_str().unwrap().contains(&bad));
    assert!(lines[0]["error"].as_str().unwrap().contains("413"));
    assert!(dead_lettered() > before, "counted as dead-lettered");
}

/// Before: a 401 dropped the alerts and acknowledged the events. Now, with no dead-letter
/// output, they are held (`/readyz` fails) and go through once the endpoint accepts them.
#[tokio::test]
async fn a_401_without_a_dead_letter_output_holds_the_alerts_until_accepted() {
    support::install_crypto();
    let server = Server::start(vec![401, 401, 401]).await;
    let sink = HttpSink::new(&http_config(&server.url, 0)).unwrap();
    let alerts = sample_alerts(1);
    let mut sinks = Sinks::new(vec![Box::new(sink)], None, Duration::ZERO);
    sinks.backoff = (Duration::from_millis(1), Duration::from_millis(100));
    let sinks = Arc::new(sinks);
    let task = {
        let (sinks, alerts) = (sinks.clone(), alerts.clone());
        tokio::spawn(async move {
            let refs: Vec<&Alert> = alerts.iter().collect();
            sinks.deliver(&refs, &[]).await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !task.is_finished(),
        "refused alerts must not be acknowledged"
    );
    assert!(!sinks.ready().await, "not ready while alerts are held");
    let out = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("delivered once the endpoint accepts")
        .unwrap();
    assert_eq!(out.alerts, alerts.len());
    assert_eq!(server.requests().len(), 4, "three 401s, then accepted");
    assert!(sinks.ready().await);
}

#[tokio::test]
async fn http_sink_returns_retryable_after_max_retries_and_sinks_deliver_keeps_going() {
    support::install_crypto();
    // 429 and 5xx are retryable; with max_retries = 1 each send makes two requests
    let server = Server::start(vec![503, 429, 500, 502, 503]).await;
    let sink = HttpSink::new(&http_config(&server.url, 1)).unwrap();
    let alerts = sample_alerts(2);
    let refs: Vec<&Alert> = alerts.iter().collect();
    match sink.send(&refs).await {
        Err(SinkError::Retryable(e)) => {
            assert!(e.contains("429") && e.contains("2 attempts"), "{e}")
        }
        other => panic!("expected a retryable error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 2);
    assert!(!sink.ready().await, "not ready after a failed delivery");

    let mut sinks = Sinks::new(vec![Box::new(sink)], None, Duration::ZERO);
    sinks.backoff = (Duration::from_millis(5), Duration::from_millis(20));
    tokio::time::timeout(Duration::from_secs(20), sinks.deliver(&refs, &[]))
        .await
        .expect("delivered");
    // 500, 502 (send #2 fails), 503 then 200 (send #3 succeeds)
    assert_eq!(server.requests().len(), 6);
    assert!(sinks.ready().await, "ready again once a delivery succeeded");
}

#[tokio::test]
async fn http_sink_connection_errors_and_timeouts_are_retryable() {
    support::install_crypto();
    // a port nobody listens on
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sink = HttpSink::new(&HttpSinkConfig {
        timeout_ms: 500,
        ..http_config(&format!("http://127.0.0.1:{port}/x?token=s3cr3t"), 0)
    })
    .unwrap();
    let alerts = sample_alerts(1);
    let refs: Vec<&Alert> = alerts.iter().collect();
    match sink.send(&refs).await {
        Err(SinkError::Retryable(e)) => {
            assert!(e.contains("connect"), "{e}");
            assert!(!e.contains("s3cr3t"), "errors do not quote the URL: {e}");
        }
        other => panic!("expected a retryable error, got {other:?}"),
    }
    assert!(!sink.ready().await);

    let server = Server::start(vec![]).await;
    server.state.lock().unwrap().delay = Duration::from_millis(1500);
    let sink = HttpSink::new(&HttpSinkConfig {
        timeout_ms: 300,
        ..http_config(&server.url, 0)
    })
    .unwrap();
    let started = Instant::now();
    match sink.send(&refs).await {
        Err(SinkError::Retryable(e)) => assert!(e.contains("timed out"), "{e}"),
        other => panic!("expected a retryable timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "timeout_ms is applied"
    );
}

#[tokio::test]
async fn http_sink_splits_large_batches() {
    support::install_crypto();
    let server = Server::start(vec![]).await;
    let sink = HttpSink::new(&http_config(&server.url, 0)).unwrap();
    let one = sample_alerts(1).remove(0);
    let many: Vec<Alert> = (0..phiscan::sink::http::MAX_ALERTS_PER_REQUEST + 10)
        .map(|_| one.clone())
        .collect();
    let refs: Vec<&Alert> = many.iter().collect();
    sink.send(&refs).await.unwrap();
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| serde_json::from_slice::<Vec<Value>>(&r.body).unwrap().len())
        .collect();
    assert_eq!(sizes, [phiscan::sink::http::MAX_ALERTS_PER_REQUEST, 10]);
}

// ---------------------------------------------------------------- AlertmanagerSink, locally

#[tokio::test]
async fn alertmanager_sink_classifies_errors_like_the_http_sink() {
    support::install_crypto();
    let server = Server::start(vec![503, 200, 400]).await;
    let sink = AlertmanagerSink::new(&AlertmanagerSinkConfig {
        url: format!("{}/", server.url),
        max_retries: 2,
        timeout_ms: 1000,
    })
    .unwrap();
    let alerts = sample_alerts(1);
    let refs: Vec<&Alert> = alerts.iter().collect();
    sink.send(&refs).await.expect("accepted after one 503");
    assert!(matches!(
        sink.send(&refs).await,
        Err(SinkError::Permanent(_))
    ));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.path == "/api/v2/alerts"));
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body[0]["labels"]["alertname"], "PHIExposure");
    assert!(sink.ready().await, "the test server answers /-/ready");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = AlertmanagerSink::new(&AlertmanagerSinkConfig {
        url: format!("http://127.0.0.1:{port}"),
        max_retries: 0,
        timeout_ms: 500,
    })
    .unwrap();
    assert!(!down.ready().await);
    assert!(matches!(
        down.send(&refs).await,
        Err(SinkError::Retryable(_))
    ));
}

// ---------------------------------------------------------------- AlertmanagerSink, for real

fn alertmanager() -> Option<String> {
    support::service_var(
        "PHISCAN_TEST_ALERTMANAGER",
        "run scripts/services.sh start alertmanager",
    )
    .map(|u| u.trim_end_matches('/').to_string())
}

#[tokio::test]
async fn alertmanager_sink_delivers_masked_alerts_to_a_real_alertmanager() {
    support::install_crypto();
    let Some(base) = alertmanager() else { return };
    let sink = AlertmanagerSink::new(&AlertmanagerSinkConfig {
        url: base.clone(),
        max_retries: 3,
        timeout_ms: 2000,
    })
    .unwrap();
    assert!(
        sink.ready().await,
        "Alertmanager at {base} answers /-/ready"
    );

    // a fresh account per run keeps this run's alerts apart from earlier ones
    let account = format!("AC{}", support::random_hex(32));
    // 101 and 103 differ only in their id (and so their alert id): they stay two alerts
    let events = vec![
        tag_event(&account, "EZ00000000000000000000000000000101"),
        {
            let mut e = tag_event(&account, "EZ00000000000000000000000000000102");
            e["type"] = json!("com.twilio.messaging.message.delivered");
            e
        },
        tag_event(&account, "EZ00000000000000000000000000000103"),
    ];
    let alerts = scan(events);
    assert_eq!(alerts.len(), 3, "one phi-in-tag alert per event");
    let refs: Vec<&Alert> = alerts.iter().collect();
    sink.send(&refs)
        .await
        .expect("Alertmanager accepts the alerts");

    let client = reqwest::Client::new();
    let filter = |f: &str| f.replace('"', "%22").replace('=', "%3D");
    let url = format!(
        "{base}/api/v2/alerts?filter={}&filter={}",
        filter("rule=\"phi-in-tag\""),
        filter(&format!("account_sid=\"{account}\""))
    );
    let mut stored: Vec<Value> = Vec::new();
    for _ in 0..50 {
        let text = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_no_leak("what Alertmanager stored", &text, PLANTED);
        stored = serde_json::from_str(&text).unwrap();
        if stored.len() >= alerts.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stored.len(),
        alerts.len(),
        "one Alertmanager alert per phiscan alert: {stored:#?}"
    );
    let summary = phiscan::policy::RULES
        .iter()
        .find(|r| r.id == "phi-in-tag")
        .unwrap()
        .summary;
    for a in &alerts {
        let got = stored
            .iter()
            .find(|s| s["annotations"]["alert_id"] == a.alert_id.as_str())
            .unwrap_or_else(|| panic!("alert {} stored: {stored:#?}", a.alert_id));
        let labels = &got["labels"];
        assert_eq!(labels["alertname"], "PHIExposure");
        assert_eq!(labels["rule"], "phi-in-tag");
        assert_eq!(labels["severity"], "critical");
        assert_eq!(labels["account_sid"], account.as_str());
        assert_eq!(labels["event_type"], a.event.event_type.as_str());
        assert_eq!(labels["channel"], "sms");
        assert_eq!(labels["source"], "phiscan");
        assert_eq!(labels["alert_id"], a.alert_id.as_str());
        let ann = &got["annotations"];
        assert_eq!(ann["summary"], summary);
        assert_eq!(ann["event_id"], a.event.id.as_str());
        let description = ann["description"].as_str().unwrap();
        for f in &a.findings {
            let line = format!(
                "{} {} {} {}",
                f.field,
                f.location.as_str(),
                f.category.as_str(),
                f.masked
            );
            assert!(
                description.lines().any(|l| l == line),
                "description lists {line:?}: {description}"
            );
            assert!(
                ann["fingerprints"]
                    .as_str()
                    .unwrap()
                    .split(',')
                    .any(|fp| fp == f.fingerprint)
            );
        }
        assert!(description.contains("MRN-****7736"), "{description}");
        assert_eq!(got["status"]["state"], "active");
        assert!(got["startsAt"].as_str().unwrap().starts_with("20"));
    }
}
