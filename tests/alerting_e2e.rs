//! Alerting end to end, against the real servers: a Prometheus (the Debian `prometheus`, started
//! here with 1 s scrape and evaluation intervals and a fresh TSDB) scrapes two real `phiscan run`
//! processes, loads `deploy/prometheus/phiscan-rules.yml` and sends to the Alertmanager of
//! `scripts/services.sh`. Planted PHI goes in through the webhook source (signed like Twilio)
//! and the Kafka source (the tansu broker), and the test shows, by querying Alertmanager's API:
//!
//! - the tag-leak alert (`PhiscanPHIViolationCritical`) arrives, within a measured bound;
//! - `PhiscanSinkErrors` fires for the instance whose HTTP sink points at a closed port;
//! - `PhiscanDown` fires once a phiscan process is killed;
//!
//! and that every PromQL expression of the Grafana dashboard, the Prometheus rules and the
//! Grafana-managed alert rules parses on that Prometheus and returns series once traffic has
//! flowed, and that the Grafana-managed rules (query A, last value, threshold C) fire on the same
//! data where the Prometheus rules do. Why a Prometheus of its own rather than a shared service: alerts and series of an
//! earlier run would otherwise answer for this one. The rules are loaded verbatim except for
//! their `for:` durations (minutes in production, 1 s here, so the test runs in well under two
//! minutes); the test checks that nothing else differs.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Upper bounds asserted on what this test measures (printed with the measured values).
const LEAK_ALERT_BOUND: Duration = Duration::from_secs(15);
const SINK_ALERT_BOUND: Duration = Duration::from_secs(20);
const DOWN_ALERT_BOUND: Duration = Duration::from_secs(15);

/// `for:` of every rule while the test runs (the production values are minutes).
const TEST_FOR: &str = "1s";

struct Servers {
    alertmanager: String,
    prometheus_bin: String,
    prometheus_port: u16,
    kafka: support::kafka::Env,
}

/// The servers, or `None` after `support::unavailable` (a failure when the services were
/// promised).
fn servers() -> Option<Servers> {
    let v = support::service_vars(
        &[
            "PHISCAN_TEST_ALERTMANAGER",
            "PHISCAN_TEST_PROMETHEUS",
            "PHISCAN_TEST_PROMETHEUS_PORT",
            "PHISCAN_TEST_KAFKA",
            "PHISCAN_TEST_TANSU",
        ],
        "alerting e2e: run `scripts/services.sh start` \
         (PHISCAN_PROMETHEUS_PORT picks Prometheus's port, default 9090)",
    )?;
    let port = &v[2];
    Some(Servers {
        alertmanager: v[0].clone(),
        prometheus_bin: v[1].clone(),
        prometheus_port: port
            .parse()
            .unwrap_or_else(|_| panic!("PHISCAN_TEST_PROMETHEUS_PORT={port} is not a port number")),
        kafka: support::kafka::env().unwrap(),
    })
}

// ---------------------------------------------------------------- HTTP (GET, std only)

/// GET `url` (http://host:port/path?query) → (status, body).
fn get(url: &str) -> (u16, String) {
    let u = reqwest::Url::parse(url).unwrap();
    let addr = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    support::metrics::raw_get(&addr, &path).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

fn get_json(url: &str) -> Value {
    let (status, body) = get(url);
    serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("GET {url}: HTTP {status}, not JSON ({e}): {body}"))
}

fn url_with(base: &str, params: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params(base, params)
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------- Prometheus

/// The rules file as Prometheus loads it here: every `for:` set to `TEST_FOR`, nothing else
/// changed (asserted line by line).
fn rules_for_test(dir: &Path) -> PathBuf {
    let original =
        std::fs::read_to_string(support::repo_root().join("deploy/prometheus/phiscan-rules.yml"))
            .unwrap();
    let re = regex::Regex::new(r"(?m)^(\s+for: )\S+$").unwrap();
    let changed = re.replace_all(&original, format!("${{1}}{TEST_FOR}"));
    let mut fors = 0;
    for (a, b) in original.lines().zip(changed.lines()) {
        if a != b {
            assert!(
                a.trim_start().starts_with("for: "),
                "only `for:` changes: {a}"
            );
            fors += 1;
        }
    }
    assert!(fors >= 5, "the rules have `for:` durations ({fors})");
    let path = dir.join("phiscan-rules.yml");
    std::fs::write(&path, changed.as_bytes()).unwrap();
    path
}

/// A Prometheus started by this test; killed on drop.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(s: &Servers, targets: &[&str], run_id: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let rules = rules_for_test(dir.path());
        let am = s.alertmanager.trim_start_matches("http://");
        // external label: alerts of this run are told apart in the shared Alertmanager
        let config = json!({
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s",
                       "external_labels": {"phiscan_e2e": run_id}},
            "rule_files": [rules],
            "scrape_configs": [{"job_name": "phiscan", "static_configs": [{"targets": targets}]}],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am]}]}]},
        });
        // JSON is YAML
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let listen = format!("127.0.0.1:{}", s.prometheus_port);
        assert!(
            std::net::TcpStream::connect(&listen).is_err(),
            "{listen} is already in use: stop what listens there, or pick another port with \
             PHISCAN_PROMETHEUS_PORT=<port> before `eval \"$(scripts/services.sh env)\"`"
        );
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(&s.prometheus_bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={listen}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", s.prometheus_bin));
        let mut p = Prometheus {
            child,
            url: format!("http://{listen}"),
            _dir: dir,
        };
        p.wait_ready();
        p
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let ready = support::wait_until(Duration::from_secs(30), || {
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "prometheus exited during start-up:\n{}",
                self.log()
            );
            std::net::TcpStream::connect(self.url.trim_start_matches("http://")).is_ok()
                && get(&format!("{}/-/ready", self.url)).0 == 200
        });
        assert!(ready, "prometheus not ready in 30 s:\n{}", self.log());
    }

    /// Instant query: Ok(result vector) or Err(Prometheus's error, e.g. a parse error).
    fn query(&self, q: &str) -> Result<Vec<Value>, String> {
        let v = get_json(&url_with(
            &format!("{}/api/v1/query", self.url),
            &[("query", q)],
        ));
        if v["status"] == "success" {
            Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
        } else {
            Err(format!("{}: {}", v["errorType"], v["error"]))
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- Alertmanager

/// Active alerts of this run named `alertname` whose labels include `labels`.
fn am_alerts(am: &str, run_id: &str, alertname: &str, labels: &[(&str, &str)]) -> Vec<Value> {
    let mut params = vec![
        ("filter".to_string(), format!("phiscan_e2e=\"{run_id}\"")),
        ("filter".to_string(), format!("alertname=\"{alertname}\"")),
    ];
    for (k, v) in labels {
        params.push(("filter".to_string(), format!("{k}=\"{v}\"")));
    }
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let v = get_json(&url_with(&format!("{am}/api/v2/alerts"), &p));
    v.as_array()
        .unwrap_or_else(|| panic!("Alertmanager /api/v2/alerts: {v}"))
        .clone()
}

/// How long after `since` the alert showed up in Alertmanager (polling every 100 ms).
fn wait_alert(
    am: &str,
    run_id: &str,
    alertname: &str,
    labels: &[(&str, &str)],
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    let found = support::wait_until(limit.saturating_sub(since.elapsed()), || {
        !am_alerts(am, run_id, alertname, labels).is_empty()
    });
    found.then(|| since.elapsed())
}

// ---------------------------------------------------------------- phiscan and its traffic

fn kafka_config(s: &Servers, topic: &str, group: &str) -> String {
    format!(
        "\n[sources.kafka]\nbrokers = \"{}\"\ngroup_id = \"{group}\"\ntopics = [\"{topic}\"]\n\
         commit_interval_ms = 200\n[sources.kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\
         \"broker.address.family\" = \"v4\"\n",
        s.kafka.brokers
    )
}

/// Instance A: webhook + Kafka in; jsonl, Alertmanager and a dead-letter file out.
fn start_healthy(s: &Servers, topic: &str, run_id: &str) -> support::webhook::Service {
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "{}\n[sinks.alertmanager]\nurl = \"{}\"\n\n[sinks.dead_letter]\npath = \"{}\"\n",
        kafka_config(s, topic, &format!("alerting-e2e-{run_id}")),
        s.alertmanager,
        dir.path().join("dead-letters.jsonl").display()
    );
    let o = support::webhook::Options {
        extra_config: extra,
        log: "info",
        ..Default::default()
    };
    support::webhook::Service::start_in(dir, o)
}

/// Instance B: webhook in; an HTTP sink at a port nobody listens on (every delivery fails).
fn start_failing_sink() -> support::webhook::Service {
    let closed = support::free_port();
    let o = support::webhook::Options {
        extra_config: format!(
            "\n[sinks.http]\nurl = \"http://127.0.0.1:{closed}/alerts\"\nmax_retries = 0\ntimeout_ms = 500\n"
        ),
        log: "info",
        ..Default::default()
    };
    support::webhook::Service::start(o)
}

/// Signed POST to `svc` (not awaited by the caller when the service cannot answer in time).
fn signed_post(svc: &support::webhook::Service, body: &[u8]) -> impl Future<Output = u16> + use<> {
    let url = support::webhook::signed_url(support::webhook::PUBLIC_URL, body);
    let sig = support::webhook::sign_one(support::webhook::TOKEN, &url);
    let target = svc.url(support::webhook::path_and_query(&url));
    let body = body.to_vec();
    async move {
        let client = support::webhook::client();
        support::webhook::post(&client, &target, body, Some(&sig), &[])
            .await
            .status
    }
}

/// Everything the dashboard and the rules look at, through both sources. Returns the planted
/// values (never to be seen in Prometheus or Alertmanager).
fn send_traffic(
    rt: &tokio::runtime::Runtime,
    s: &Servers,
    a: &support::webhook::Service,
    topic: &str,
) -> Vec<String> {
    use support::planted::planted_mrn;
    use support::webhook::{clean_event, event_id, phi_event};
    let mrn = planted_mrn();
    let mut planted = vec![mrn.clone()];
    let first = serde_json::to_vec(&phi_event(&event_id(), &mrn)).unwrap();
    // the same value again (suppressed alert), a clean event, a redelivery (duplicate)
    let again = serde_json::to_vec(&phi_event(&event_id(), &mrn)).unwrap();
    let clean = serde_json::to_vec(&clean_event(&event_id())).unwrap();
    for body in [&first, &again, &clean, &clean] {
        let status = rt.block_on(signed_post(a, body));
        assert_eq!(status, 200, "webhook post to the healthy instance");
    }
    // a forged signature: phiscan_webhook_rejected_total{reason="bad_signature"}
    let url = support::webhook::signed_url(support::webhook::PUBLIC_URL, &clean);
    let reply = rt.block_on(async {
        let c = support::webhook::client();
        support::webhook::post(
            &c,
            &a.url(support::webhook::path_and_query(&url)),
            clean.clone(),
            Some("Zm9yZ2Vk"),
            &[],
        )
        .await
    });
    assert_eq!(reply.status, 403, "a bad signature is refused");

    // Kafka: planted records and one that does not decode (decode error, dead letter)
    let producer = s.kafka.producer();
    let seed = support::seed();
    for i in 0..3 {
        let p = support::planted::planted(seed, i);
        producer.send(topic, Some(0), &p.id, &p.json);
        planted.extend(p.secrets);
    }
    producer.send(topic, Some(0), "garbage", b"{not json");
    producer.flush();
    planted
}

/// Dashboard, rule and Grafana-rule PromQL, with Grafana's variables filled in.
fn all_promql() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(
            support::repo_root().join("deploy/grafana/phiscan-dashboard.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for p in dash["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let e = t["expr"].as_str().unwrap();
            let e = e
                .replace("$__rate_interval", "1m")
                .replace("$instance", ".*");
            out.push((format!("dashboard panel {:?}", p["title"]), e));
        }
    }
    for (name, expr) in yaml_exprs("deploy/prometheus/phiscan-rules.yml", "alert", "expr") {
        out.push((format!("rule {name}"), expr));
    }
    for (name, expr) in yaml_exprs(
        "deploy/grafana/provisioning/alerting/phiscan-rules.yaml",
        "title",
        "expr",
    ) {
        out.push((format!("grafana rule {name}"), expr));
    }
    out
}

/// The Grafana-managed rules (provisioning YAML) as JSON, through the test venv's PyYAML.
fn grafana_rules() -> Vec<Value> {
    let py = support::webhook::python().expect("PHISCAN_TEST_PYTHON (the test venv with PyYAML)");
    let path = support::repo_root().join("deploy/grafana/provisioning/alerting/phiscan-rules.yaml");
    let o = Command::new(&py)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .collect()
}

/// Whether the Grafana-managed rule `title` would fire for a series with `labels` now: its query
/// A evaluated on this Prometheus, reduced to the last value, against threshold C.
fn grafana_rule_fires(
    prom: &Prometheus,
    rules: &[Value],
    title: &str,
    labels: &[(&str, &str)],
) -> bool {
    let rule = rules
        .iter()
        .find(|r| r["title"] == title)
        .unwrap_or_else(|| panic!("Grafana rule {title}"));
    let by_ref = |r: &str| {
        rule["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["refId"] == r)
            .unwrap()
    };
    let expr = by_ref("A")["model"]["expr"].as_str().unwrap();
    let ev = &by_ref("C")["model"]["conditions"][0]["evaluator"];
    let threshold = ev["params"][0].as_f64().unwrap();
    prom.query(expr).unwrap().iter().any(|series| {
        let matches = labels.iter().all(|(k, v)| series["metric"][*k] == *v);
        let value: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
        matches
            && match ev["type"].as_str().unwrap() {
                "gt" => value > threshold,
                "lt" => value < threshold,
                other => panic!("{title}: evaluator {other}"),
            }
    })
}

/// (name, expr) pairs from a YAML file: every mapping with a `name_key` and an `expr_key`
/// somewhere below it. Read with the test venv's PyYAML.
fn yaml_exprs(path: &str, name_key: &str, expr_key: &str) -> Vec<(String, String)> {
    let py = support::webhook::python().expect("PHISCAN_TEST_PYTHON (the test venv with PyYAML)");
    let script = r#"
import json, sys, yaml
name_key, expr_key = sys.argv[2], sys.argv[3]
out = []
def walk(node, name=None):
    if isinstance(node, dict):
        name = node.get(name_key, name)
        if expr_key in node and isinstance(node[expr_key], str):
            out.append([name, node[expr_key]])
        for v in node.values():
            walk(v, name)
    elif isinstance(node, list):
        for v in node:
            walk(v, name)
walk(yaml.safe_load(open(sys.argv[1])))
print(json.dumps(out))
"#;
    let o = Command::new(&py)
        .args(["-c", script])
        .arg(support::repo_root().join(path))
        .args([name_key, expr_key])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{path}: {} (scripts/services.sh install deploytools puts PyYAML in the venv)",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Vec<(String, String)> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!v.is_empty(), "{path} has expressions");
    v
}

/// The parts of `expr` that must each return series: comparisons made `bool` (a rule's
/// threshold filters series out while nothing is wrong), and each side of a top-level
/// `unless`/`and`/`or` on its own (`a unless b` is empty exactly when b has series).
fn series_probes(expr: &str) -> Vec<String> {
    let flat = expr.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut depth = 0i32;
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = flat.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            for op in [" unless ", " and ", " or "] {
                if flat[i..].starts_with(op) {
                    parts.push(flat[start..i].to_string());
                    start = i + op.len();
                    // `on (...)` / `ignoring (...)` belong to the operator
                    let rest = &flat[start..];
                    for m in ["on ", "ignoring "] {
                        if let Some(r) = rest.strip_prefix(m) {
                            let close = r.find(')').unwrap() + 1;
                            start += m.len() + close;
                        }
                    }
                }
            }
        }
        i += 1;
    }
    parts.push(flat[start..].to_string());
    let cmp = regex::Regex::new(r"(==|!=|>=|<=|>|<) (?:bool )?(-?[0-9.]+)$").unwrap();
    parts
        .iter()
        .map(|p| cmp.replace(p.trim(), "$1 bool $2").into_owned())
        .collect()
}

/// Every expression parses; every probe of it returns series. Retries until `limit` (rates need
/// two samples, Kafka lag comes with librdkafka's 5 s statistics).
fn check_all_promql(prom: &Prometheus, limit: Duration) {
    let exprs = all_promql();
    assert!(exprs.len() >= 40, "{} expressions", exprs.len());
    let mut failing: Vec<String> = Vec::new();
    let ok = support::wait_until(limit, || {
        failing.clear();
        for (what, e) in &exprs {
            if let Err(err) = prom.query(e) {
                panic!("{what}: `{e}` does not parse on Prometheus: {err}");
            }
            for probe in series_probes(e) {
                match prom.query(&probe) {
                    Ok(r) if !r.is_empty() => {}
                    Ok(_) => failing.push(format!("{what}: `{probe}` returned no series")),
                    Err(err) => panic!("{what}: probe `{probe}` failed: {err}"),
                }
            }
        }
        failing.is_empty()
    });
    assert!(
        ok,
        "after traffic, expressions without series:\n{}",
        failing.join("\n")
    );
    println!(
        "promql: {} expressions parse and return series",
        exprs.len()
    );
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn leak_sink_failure_and_outage_reach_alertmanager() {
    let Some(s) = servers() else { return };
    let started = Instant::now();
    let run_id = support::unique("run");
    let topic = support::unique("alerting-e2e");
    let rt = tokio::runtime::Runtime::new().unwrap();
    s.kafka.create_topic(&topic, 1);

    let mut a = start_healthy(&s, &topic, &run_id);
    let b = start_failing_sink();
    let (a_addr, b_addr) = (
        a.metrics.trim_start_matches("http://").to_string(),
        b.metrics.trim_start_matches("http://").to_string(),
    );
    let prom = Prometheus::start(&s, &[a_addr.as_str(), b_addr.as_str()], &run_id);
    let up = support::wait_until(Duration::from_secs(15), || {
        prom.query("up{job=\"phiscan\"} == 1")
            .is_ok_and(|r| r.len() == 2)
    });
    assert!(
        up,
        "prometheus scrapes both phiscan instances:\n{}",
        prom.log()
    );
    // the counters the rules watch exist at 0 before the first leak: increase() needs a sample
    // before the first increment, or the first leak after a start would never fire
    let zero = prom
        .query("phiscan_violations_total{rule=\"phi-in-tag\",severity=\"critical\"} == 0")
        .unwrap();
    assert_eq!(
        zero.len(),
        2,
        "phi-in-tag starts at 0 on both instances: {zero:?}"
    );

    // B: its alert can never be delivered, so the post is left running
    let body = serde_json::to_vec(&support::webhook::phi_event(
        &support::webhook::event_id(),
        &support::planted::planted_mrn(),
    ))
    .unwrap();
    rt.spawn(signed_post(&b, &body));

    let leak_sent = Instant::now();
    let planted = send_traffic(&rt, &s, &a, &topic);

    let am = &s.alertmanager;
    let leak = wait_alert(
        am,
        &run_id,
        "PhiscanPHIViolationCritical",
        &[("rule", "phi-in-tag")],
        leak_sent,
        LEAK_ALERT_BOUND,
    );
    let leak = leak.unwrap_or_else(|| {
        panic!("PhiscanPHIViolationCritical did not reach Alertmanager within {LEAK_ALERT_BOUND:?}:\n{}", prom.log())
    });
    println!(
        "measured: planted PHI (webhook + Kafka) -> PhiscanPHIViolationCritical in Alertmanager: {:.1} s (bound {LEAK_ALERT_BOUND:?})",
        leak.as_secs_f64()
    );
    let sink = wait_alert(am, &run_id, "PhiscanSinkErrors", &[("sink", "http")], leak_sent, SINK_ALERT_BOUND)
        .unwrap_or_else(|| panic!("PhiscanSinkErrors{{sink=\"http\"}} did not reach Alertmanager within {SINK_ALERT_BOUND:?}"));
    println!(
        "measured: failing HTTP sink -> PhiscanSinkErrors in Alertmanager: {:.1} s",
        sink.as_secs_f64()
    );
    // phiscan's own per-leak alert went to Alertmanager too (label rule, masked annotations)
    assert!(
        phiscan_alert_in_alertmanager(am, &a),
        "phiscan's own PHIExposure alert is in Alertmanager"
    );

    check_all_promql(&prom, Duration::from_secs(40));
    // the Grafana-managed versions of the same alerts hold on the same data
    let grafana = grafana_rules();
    for (title, labels) in [
        ("PhiscanPHIViolationCritical", [("rule", "phi-in-tag")]),
        ("PhiscanSinkErrors", [("sink", "http")]),
    ] {
        assert!(
            grafana_rule_fires(&prom, &grafana, title, &labels),
            "Grafana rule {title} {labels:?} fires on this data"
        );
    }
    assert!(
        !grafana_rule_fires(&prom, &grafana, "PhiscanDown", &[]),
        "Grafana's PhiscanDown is quiet while both instances run"
    );
    assert_nothing_planted(&prom, am, &run_id, &planted);
    if let Some(kib) = vm_hwm_kib(a.child.as_ref().unwrap().id()) {
        println!(
            "measured: peak RSS (VmHWM) of the webhook+Kafka instance: {} MiB",
            kib / 1024
        );
    }

    // kill A: Prometheus's scrape fails, PhiscanDown fires for that instance
    let killed = Instant::now();
    let mut child = a.child.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let down = wait_alert(
        am,
        &run_id,
        "PhiscanDown",
        &[("instance", &a_addr)],
        killed,
        DOWN_ALERT_BOUND,
    )
    .unwrap_or_else(|| {
        panic!("PhiscanDown did not reach Alertmanager within {DOWN_ALERT_BOUND:?}")
    });
    println!(
        "measured: SIGKILL -> PhiscanDown in Alertmanager: {:.1} s (bound {DOWN_ALERT_BOUND:?})",
        down.as_secs_f64()
    );
    assert!(
        am_alerts(am, &run_id, "PhiscanDown", &[("instance", &b_addr)]).is_empty(),
        "the instance still running is not reported down"
    );
    let grafana_down = support::wait_until(Duration::from_secs(10), || {
        grafana_rule_fires(&prom, &grafana, "PhiscanDown", &[("instance", &a_addr)])
    });
    assert!(
        grafana_down,
        "Grafana's PhiscanDown fires for the killed instance"
    );
    println!("alerting e2e took {:.1} s", started.elapsed().as_secs_f64());
}

/// An Alertmanager alert posted by phiscan's alertmanager sink for one of A's alerts.
fn phiscan_alert_in_alertmanager(am: &str, a: &support::webhook::Service) -> bool {
    support::wait_until(Duration::from_secs(10), || {
        let ids: BTreeSet<String> = a
            .alerts()
            .iter()
            .filter_map(|x| x["alert_id"].as_str().map(str::to_string))
            .collect();
        ids.iter().any(|id| {
            let v = get_json(&url_with(
                &format!("{am}/api/v2/alerts"),
                &[("filter", format!("alert_id=\"{id}\"").as_str())],
            ));
            v.as_array().is_some_and(|l| !l.is_empty())
        })
    })
}

/// No planted value in any series Prometheus holds or in any alert of this run.
fn assert_nothing_planted(prom: &Prometheus, am: &str, run_id: &str, planted: &[String]) {
    let series = prom.query("{__name__=~\"phiscan_.+\"}").unwrap();
    assert!(series.len() > 30, "{} phiscan series", series.len());
    let am_text = get(&url_with(
        &format!("{am}/api/v2/alerts"),
        &[("filter", format!("phiscan_e2e=\"{run_id}\"").as_str())],
    ))
    .1;
    let text = format!("{}\n{am_text}", Value::Array(series));
    let leaks = support::planted::leaks(
        "Prometheus series and Alertmanager alerts",
        text.as_bytes(),
        planted,
    );
    assert!(leaks.is_empty(), "{leaks:?}");
}

#[test]
fn series_probes_split_set_operations_and_make_comparisons_bool() {
    assert_eq!(
        series_probes("sum by (sink) (rate(x[5m])) > 0 unless on () sum(rate(y[5m])) > 0"),
        vec![
            "sum by (sink) (rate(x[5m])) > bool 0",
            "sum(rate(y[5m])) > bool 0"
        ]
    );
    assert_eq!(
        series_probes("up{job=\"phiscan\"} == 0"),
        vec!["up{job=\"phiscan\"} == bool 0"]
    );
    assert_eq!(
        series_probes("a / (b + c)\n  > 0.01"),
        vec!["a / (b + c) > bool 0.01"]
    );
    assert_eq!(
        series_probes("sum(rate(x[1m])) or vector(0)"),
        vec!["sum(rate(x[1m]))", "vector(0)"]
    );
}
