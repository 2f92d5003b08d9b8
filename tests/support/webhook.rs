//! The webhook source as Twilio drives it: the real `phiscan run` with a webhook source
//! ([`Service`]), events, requests signed with PyPI `twilio`'s RequestValidator when
//! `PHISCAN_TEST_PYTHON` is set (else with our own `signature::sign`), and posting them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::launch::phiscan_command;
use super::metrics::raw_get;
use super::{free_port, random_u64};

pub const PUBLIC_URL: &str = "https://events.example.com/twilio/events";
pub const PATH: &str = "/twilio/events";
pub const TOKEN: &str = "wh-test-token-7f3a9c";
pub const ACCOUNT: &str = "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

/// A unique CloudEvent id.
pub fn event_id() -> String {
    format!(
        "EZ{:032x}",
        (random_u64() as u128) << 64 | random_u64() as u128
    )
}

/// A `message.sent` event whose tags hold `mrn` (a `phi-in-tag` alert).
pub fn phi_event(id: &str, mrn: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.sent",
        "source": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/SMf3a60329a831050f832555ff88c3475f.json"),
        "id": id,
        "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/7",
        "datacontenttype": "application/json",
        "time": "2026-05-04T13:00:00.000Z",
        "data": {
            "messageSid": "SMf3a60329a831050f832555ff88c3475f",
            "timestamp": "2026-05-04T13:00:00.000Z",
            "accountSid": ACCOUNT,
            "eventName": "com.twilio.messaging.message.sent",
            "apiVersion": "2010-04-01",
            "from": "+12125550100",
            "to": "+12125550147",
            "messageStatus": "SENT",
            "body": "Reminder: you have an appointment tomorrow at 9:30. Reply C to confirm.",
            "numberOfSegments": 1,
            "tags": {"patient_mrn": mrn, "campaign": "appt-reminders"}
        }
    })
}

/// A `message.delivered` event with nothing to report.
pub fn clean_event(id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.delivered",
        "source": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/SMd7766a1869df4d6feea772c9ded4caea.json"),
        "id": id,
        "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/7",
        "datacontenttype": "application/json",
        "time": "2026-05-04T13:00:00.000Z",
        "data": {
            "messageSid": "SMd7766a1869df4d6feea772c9ded4caea",
            "accountSid": ACCOUNT,
            "from": "+12125550100",
            "to": "+12125550181",
            "messageStatus": "DELIVERED"
        }
    })
}

/// Twilio's sink test event (reference §1.8).
pub fn test_event() -> Value {
    json!({"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink",
        "id": ACCOUNT,
        "dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json",
        "datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z",
        "data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}})
}

pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// What Twilio requests: the sink URL with `bodySHA256` appended to its query.
pub fn signed_url(public_url: &str, body: &[u8]) -> String {
    let sep = if public_url.contains('?') { '&' } else { '?' };
    format!("{public_url}{sep}bodySHA256={}", sha256_hex(body))
}

/// The path and query of an absolute URL.
pub fn path_and_query(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// The Python oracle, if configured.
pub fn python() -> Option<String> {
    std::env::var("PHISCAN_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
}

/// Runs `script` under the oracle's Python with `input` (JSON) on stdin; returns its JSON stdout.
pub fn run_python(python: &str, script: &str, input: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("PHISCAN_TEST_PYTHON={python} does not run: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Python oracle failed (is PyPI `twilio` installed in {python}? run `scripts/services.sh install python`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle output is JSON")
}

const SIGN_SCRIPT: &str = r#"
import json, sys
from twilio.request_validator import RequestValidator
req = json.load(sys.stdin)
print(json.dumps([RequestValidator(c["token"]).compute_signature(c["url"], {}) for c in req]))
"#;

/// `X-Twilio-Signature` for each `(token, url)`, as Twilio computes it for a JSON body (the URL
/// already holds `bodySHA256`): by the Python oracle when available, else by our `sign`.
pub fn sign_all(cases: &[(&str, &str)]) -> Vec<String> {
    match python() {
        Some(py) => {
            let input = Value::Array(
                cases
                    .iter()
                    .map(|(t, u)| json!({"token": t, "url": u}))
                    .collect(),
            );
            let out = run_python(&py, SIGN_SCRIPT, &input);
            out.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        }
        None => cases
            .iter()
            .map(|(t, u)| phiscan::source::webhook::signature::sign(t, u, &[]))
            .collect(),
    }
}

pub fn sign_one(token: &str, url: &str) -> String {
    sign_all(&[(token, url)]).pop().unwrap()
}

/// Options of one service instance.
pub struct Options {
    pub public_url: String,
    pub max_body_bytes: usize,
    pub basic_auth: Option<(String, String)>,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub plain_http_behind_proxy: bool,
    pub auth_token: Option<String>,
    pub dedupe_window: usize,
    pub log: &'static str,
    /// Appended to the generated config (e.g. another sink).
    pub extra_config: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            public_url: PUBLIC_URL.to_string(),
            max_body_bytes: 64 * 1024,
            basic_auth: None,
            tls: None,
            plain_http_behind_proxy: true,
            auth_token: Some(TOKEN.to_string()),
            dedupe_window: 1000,
            log: "debug",
            extra_config: String::new(),
        }
    }
}

/// A running `phiscan run`.
pub struct Service {
    pub dir: tempfile::TempDir,
    pub child: Option<Child>,
    pub webhook: String,
    pub metrics: String,
    pub alerts_path: PathBuf,
    pub stderr_path: PathBuf,
}

pub fn write_config(dir: &Path, o: &Options, webhook_port: u16, metrics_port: u16) -> PathBuf {
    let mut cfg = format!(
        "[service]\nmetrics_listen = \"127.0.0.1:{metrics_port}\"\nshutdown_timeout_secs = 10\n\n\
         [sources.webhook]\nlisten = \"127.0.0.1:{webhook_port}\"\npublic_url = \"{}\"\n\
         plain_http_behind_proxy = {}\nmax_body_bytes = {}\ndedupe_window = {}\n",
        o.public_url, o.plain_http_behind_proxy, o.max_body_bytes, o.dedupe_window
    );
    if let Some((user, pass)) = &o.basic_auth {
        cfg += &format!("basic_auth_user = \"{user}\"\nbasic_auth_password = \"{pass}\"\n");
    }
    if let Some((cert, key)) = &o.tls {
        cfg += &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
            cert.display(),
            key.display()
        );
    }
    cfg += &format!(
        "\n[sinks.jsonl]\npath = \"{}\"\n",
        dir.join("alerts.jsonl").display()
    );
    cfg += &o.extra_config;
    let path = dir.join("phiscan.toml");
    fs::write(&path, cfg).unwrap();
    path
}

pub fn command(config: &Path, o: &Options, stderr: &Path) -> Command {
    let mut c = phiscan_command("webhook-test-key");
    c.args(["run", "--config"]).arg(config);
    c.env("PHISCAN_LOG", o.log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(stderr).unwrap());
    if let Some(t) = &o.auth_token {
        c.env("PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN", t);
    }
    c
}

impl Service {
    pub fn start(o: Options) -> Service {
        Self::start_in(tempfile::tempdir().unwrap(), o)
    }

    pub fn start_in(dir: tempfile::TempDir, o: Options) -> Service {
        let (wp, mp) = (free_port(), free_port());
        let config = write_config(dir.path(), &o, wp, mp);
        let stderr_path = dir.path().join("stderr.log");
        let child = command(&config, &o, &stderr_path)
            .spawn()
            .expect("phiscan starts");
        let scheme = if o.tls.is_some() { "https" } else { "http" };
        let host = if o.tls.is_some() {
            "localhost"
        } else {
            "127.0.0.1"
        };
        let mut svc = Service {
            alerts_path: dir.path().join("alerts.jsonl"),
            webhook: format!("{scheme}://{host}:{wp}"),
            metrics: format!("http://127.0.0.1:{mp}"),
            stderr_path,
            child: Some(child),
            dir,
        };
        svc.wait_ready();
        svc
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = self.metrics.trim_start_matches("http://").to_string();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "phiscan exited during startup ({status}):\n{}",
                    self.stderr()
                );
            }
            if let Ok((200, _)) = raw_get(&addr, "/readyz") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "phiscan not ready after 60 s:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.webhook)
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn alerts(&self) -> Vec<Value> {
        fs::read_to_string(&self.alerts_path)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("alert line is not JSON ({e})"))
            })
            .collect()
    }

    pub fn alerts_text(&self) -> String {
        fs::read_to_string(&self.alerts_path).unwrap_or_default()
    }

    pub fn metrics_text(&self) -> String {
        let (status, body) = raw_get(self.metrics.trim_start_matches("http://"), "/metrics")
            .expect("metrics endpoint answers");
        assert_eq!(status, 200);
        body
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "phiscan did not stop within 20 s of SIGTERM:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One HTTP response, read fully.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

pub fn client() -> reqwest::Client {
    super::install_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// POST `body` to `url` with an optional signature and extra headers.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    signature: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header("X-Twilio-Signature", s);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url} failed: {e:?}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

/// Signs `body` for `public_url` (oracle or ours), posts it to the service's matching path.
pub async fn post_signed(
    client: &reqwest::Client,
    svc: &Service,
    public_url: &str,
    body: Vec<u8>,
) -> Reply {
    let url = signed_url(public_url, &body);
    let sig = sign_one(TOKEN, &url);
    post(
        client,
        &svc.url(path_and_query(&url)),
        body,
        Some(&sig),
        &[],
    )
    .await
}
