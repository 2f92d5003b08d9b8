//! Helpers for the Kafka end-to-end tests: the broker from `scripts/services.sh`, topics,
//! planted-PHI events, a test producer and readers, and the real `phiscan run` binary.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde_json::Value;

pub const SKIP: &str = "skipped: PHISCAN_TEST_KAFKA not set (run scripts/services.sh start)";

pub struct Env {
    pub brokers: String,
    pub tansu: String,
}

/// The broker, or `None` (and the skip message) when the services are not running.
pub fn env() -> Option<Env> {
    let Ok(brokers) = std::env::var("PHISCAN_TEST_KAFKA") else {
        // the test script started the services (or CI runs): a missing broker is a failure
        assert!(
            !services_promised(),
            "PHISCAN_TEST_KAFKA is not set although the services were started (PHISCAN_TEST_SERVICES_RUNNING=1 or CI=true): is tansu running? see scripts/services.sh status"
        );
        println!("{SKIP}");
        return None;
    };
    let tansu = std::env::var("PHISCAN_TEST_TANSU")
        .expect("PHISCAN_TEST_TANSU (eval \"$(scripts/services.sh env)\")");
    Some(Env { brokers, tansu })
}

/// Whether the test script said the services are up (`PHISCAN_TEST_SERVICES_RUNNING=1`) or the
/// run is CI's: then a missing service fails a test instead of skipping it.
pub fn services_promised() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("PHISCAN_TEST_SERVICES_RUNNING").is_ok_and(|v| v == "1")
}

/// A name no other test (or earlier run against the same broker) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Env {
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(&self.tansu)
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://{}", self.brokers),
                "--partitions",
                &partitions.to_string(),
                name,
            ])
            .output()
            .expect("run tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn producer(&self) -> TestProducer {
        self.producer_with(1)
    }

    /// `batch` records per batch. Tests use 1: tansu 0.6 loses records when a consumer resumes
    /// (restart, pause/resume) inside a batch. Only the benchmark may opt into more.
    pub fn producer_with(&self, batch: usize) -> TestProducer {
        let errors = Arc::new(AtomicUsize::new(0));
        let producer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4")
            .set("batch.num.messages", batch.to_string())
            .set("linger.ms", if batch > 1 { "20" } else { "0" })
            .set("queue.buffering.max.messages", "500000")
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .create_with_context(Counting {
                errors: errors.clone(),
            })
            .expect("test producer");
        TestProducer { producer, errors }
    }

    /// Every record on `topic` (all partitions, from the beginning) until `done` says so or
    /// `timeout` passes.
    pub fn read_topic(
        &self,
        topic: &str,
        timeout: Duration,
        done: impl Fn(&[Record]) -> bool,
    ) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4")
            .set("group.id", unique("reader"))
            .set("enable.auto.commit", "false")
            .create()
            .expect("test consumer");
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let partitions = md.topics()[0].partitions().len() as i32;
        assert!(partitions > 0, "topic {topic} has no partitions");
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).expect("assign");
        drop(tpl);
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while Instant::now() < deadline && !done(&out) {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                out.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers: m
                        .headers()
                        .map(|hs| {
                            hs.iter()
                                .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

struct Counting {
    errors: Arc<AtomicUsize>,
}

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub struct TestProducer {
    producer: BaseProducer<Counting>,
    errors: Arc<AtomicUsize>,
}

impl TestProducer {
    /// Queue a record (to `partition`, or spread by key when `None`).
    pub fn send(&self, topic: &str, partition: Option<i32>, key: &str, value: &[u8]) {
        self.send_with_headers(topic, partition, key, value, &[]);
    }

    /// As `send`, with record headers (CloudEvents binary mode: `ce_*`).
    pub fn send_with_headers(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: &str,
        value: &[u8],
        headers: &[(&str, &str)],
    ) {
        let mut record = BaseRecord::to(topic).key(key).payload(value);
        if !headers.is_empty() {
            let mut h = rdkafka::message::OwnedHeaders::new();
            for (k, v) in headers {
                h = h.insert(rdkafka::message::Header {
                    key: k,
                    value: Some(v.as_bytes()),
                });
            }
            record = record.headers(h);
        }
        if let Some(p) = partition {
            record = record.partition(p);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => panic!("produce to {topic}: {e}"),
            }
        }
        self.producer.poll(Duration::ZERO);
    }

    /// Wait until everything queued was acknowledged, and check none failed.
    pub fn flush(&self) {
        self.producer
            .flush(Duration::from_secs(60))
            .expect("flush the test producer");
        assert_eq!(
            self.errors.load(Ordering::Relaxed),
            0,
            "test records failed to deliver"
        );
    }
}

/// A planted event: its id and the raw values in it that must never leave the service.
#[derive(Debug, Clone)]
pub struct Planted {
    pub id: String,
    pub secrets: Vec<String>,
    pub json: Vec<u8>,
}

const FIRST: &[&str] = &[
    "Margaret", "Dorothy", "Harold", "Eleanor", "Walter", "Beatrice", "Clarence", "Mildred",
    "Eugene", "Gertrude",
];
const LAST: &[&str] = &[
    "Thornbury",
    "Whitfield",
    "Castellano",
    "Pemberton",
    "Okonkwo",
    "Lindqvist",
    "Abernathy",
    "Vasquez",
    "Holloway",
    "Kowalczyk",
];

/// A messaging event with a medical record number, an SSN and a patient name in its tags (and
/// body): a `phi-in-tag` alert. `seed` makes the values unique per test run.
pub fn planted(seed: u64, i: u64) -> Planted {
    let n = seed.wrapping_mul(1_000_003).wrapping_add(i);
    let id = format!("EZ{:032x}", n as u128 * 0x9e37_79b9 + 1);
    // 10 digits: never a chance match against the numbers in logs
    let mrn_digits = format!("7{:09}", n % 1_000_000_000);
    let mrn = format!("MRN-{mrn_digits}");
    let area = 100 + (n % 500);
    let area = if area == 666 { 667 } else { area };
    let ssn = format!(
        "{area:03}-{:02}-{:04}",
        10 + (n / 7) % 90,
        1000 + (n / 13) % 9000
    );
    let name = format!(
        "{} {}",
        FIRST[(n % 10) as usize],
        LAST[((n / 10) % 10) as usize]
    );
    let event = serde_json::json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.sent",
        "source": "/2010-04-01/Accounts/AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f/Messages/SMf3a60329a831050f832555ff88c3475f.json",
        "id": id,
        "time": "2026-05-04T13:00:00.000Z",
        "datacontenttype": "application/json",
        "data": {
            "messageSid": "SMf3a60329a831050f832555ff88c3475f",
            "accountSid": "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            "from": "+12125550100",
            "to": "+12125550147",
            "messageStatus": "SENT",
            "body": format!("Hi {name}, your chart {mrn} is ready. SSN on file {ssn}."),
            "tags": {"patient_mrn": mrn, "patient_name": name, "ssn": ssn, "campaign": "results"}
        }
    });
    let ssn_digits = ssn.replace('-', "");
    Planted {
        id,
        secrets: vec![mrn, mrn_digits, ssn, ssn_digits, name],
        json: serde_json::to_vec(&event).unwrap(),
    }
}

/// A seed for this test run (printed, so a failure can be reproduced).
pub fn seed() -> u64 {
    let s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (std::process::id() as u64) << 32;
    s % 1_000_000_000_000
}

/// xorshift: random kill points without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A free local port (bind :0, read it, release it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What a test configures; `toml()` writes the service config.
pub struct ServiceConfig {
    pub brokers: String,
    pub topics: Vec<String>,
    pub group: String,
    pub alerts_file: PathBuf,
    pub alerts_topic: Option<String>,
    pub dead_letter_topic: Option<String>,
    pub dead_letter_file: Option<PathBuf>,
    pub max_record_bytes: Option<usize>,
    pub commit_interval_ms: u64,
    pub queue_capacity: Option<usize>,
    pub metrics_port: u16,
    pub extra: String,
}

impl ServiceConfig {
    pub fn new(env: &Env, topic: &str, group: &str, alerts_file: &Path) -> ServiceConfig {
        ServiceConfig {
            brokers: env.brokers.clone(),
            topics: vec![topic.to_string()],
            group: group.to_string(),
            alerts_file: alerts_file.to_path_buf(),
            alerts_topic: None,
            dead_letter_topic: None,
            dead_letter_file: None,
            max_record_bytes: None,
            commit_interval_ms: 200,
            queue_capacity: None,
            metrics_port: free_port(),
            extra: String::new(),
        }
    }

    pub fn toml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let mut t = String::new();
        t += "[service]\n";
        t += &format!(
            "metrics_listen = {}\nshutdown_timeout_secs = 20\n",
            q(&format!("127.0.0.1:{}", self.metrics_port))
        );
        if let Some(c) = self.queue_capacity {
            t += &format!("queue_capacity = {c}\n");
        }
        t += "\n[sources.kafka]\n";
        t += &format!(
            "brokers = {}\ngroup_id = {}\n",
            q(&self.brokers),
            q(&self.group)
        );
        t += &format!(
            "topics = [{}]\n",
            self.topics
                .iter()
                .map(|s| q(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
        t += &format!("commit_interval_ms = {}\n", self.commit_interval_ms);
        if let Some(m) = self.max_record_bytes {
            t += &format!("max_record_bytes = {m}\n");
        }
        t += "[sources.kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n\"broker.address.family\" = \"v4\"\n";
        t += "\n[sinks.jsonl]\n";
        t += &format!("path = {}\n", q(&self.alerts_file.display().to_string()));
        if let Some(topic) = &self.alerts_topic {
            t += &format!(
                "\n[sinks.kafka]\nbrokers = {}\ntopic = {}\n",
                q(&self.brokers),
                q(topic)
            );
            t += "[sinks.kafka.properties]\n\"broker.address.family\" = \"v4\"\n";
        }
        if self.dead_letter_topic.is_some() || self.dead_letter_file.is_some() {
            t += "\n[sinks.dead_letter]\n";
            if let Some(topic) = &self.dead_letter_topic {
                t += &format!("kafka_topic = {}\n", q(topic));
            }
            if let Some(p) = &self.dead_letter_file {
                t += &format!("path = {}\n", q(&p.display().to_string()));
            }
        }
        t += &self.extra;
        t
    }
}

/// A running `phiscan run`. Killed (SIGKILL) on drop if still running.
pub struct Service {
    pub name: String,
    child: Child,
    pub metrics_port: u16,
    pub stderr_path: PathBuf,
}

impl Service {
    pub fn start(config: &ServiceConfig, dir: &Path, name: &str, log_level: &str) -> Service {
        Service::start_toml(
            &config.toml(),
            config.metrics_port,
            dir,
            name,
            log_level,
            &[],
        )
    }

    /// `phiscan run` with a config written by the caller (other sources than Kafka) and extra
    /// environment variables (e.g. AWS credentials for a local endpoint).
    pub fn start_toml(
        toml: &str,
        metrics_port: u16,
        dir: &Path,
        name: &str,
        log_level: &str,
        envs: &[(&str, &str)],
    ) -> Service {
        let config_path = dir.join(format!("{name}.toml"));
        std::fs::write(&config_path, toml).unwrap();
        let stderr_path = dir.join(format!("{name}.stderr"));
        let stderr = File::options()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_phiscan"));
        cmd.args(["run", "--config"]).arg(&config_path);
        for (k, _) in std::env::vars() {
            if k.starts_with("PHISCAN_") && !k.starts_with("PHISCAN_TEST_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("PHISCAN_FINGERPRINT_KEY", "kafka-e2e-test-key")
            .env("PHISCAN_LOG", log_level)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr));
        let child = cmd.spawn().expect("start phiscan run");
        Service {
            name: name.to_string(),
            child,
            metrics_port,
            stderr_path,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit (at most `timeout`).
    pub fn sigterm(&mut self, timeout: Duration) -> ExitStatus {
        // the signal handler is installed before the metrics endpoint listens: wait for that
        // (a SIGTERM during start-up would otherwise kill it outright)
        let up = wait_until(Duration::from_secs(30), || {
            !self.running() || self.http_get("/healthz").is_some()
        });
        assert!(up, "{}: the metrics endpoint never came up", self.name);
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill -TERM {}", self.child.id());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{}: did not exit within {timeout:?} of SIGTERM; stderr:\n{}",
                    self.name,
                    tail(&self.stderr(), 30)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// `GET path` on the metrics endpoint.
    pub fn http_get(&self, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.metrics_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        buf.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
    }

    pub fn metrics(&self) -> String {
        self.http_get("/metrics").unwrap_or_default()
    }

    /// Partitions of the latest "kafka partitions assigned" log line (topic[0,1] → {0,1}).
    pub fn assignment(&self) -> Option<HashSet<i32>> {
        let mut last = None;
        for line in self.stderr().lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let msg = v["fields"]["message"].as_str().unwrap_or("");
            if msg == "kafka partitions assigned" || msg == "kafka partitions revoked" {
                let parts = v["fields"]["partitions"].as_str().unwrap_or("");
                let set: HashSet<i32> = parts
                    .split(['[', ']', ',', ' '])
                    .filter_map(|s| s.parse().ok())
                    .collect();
                // eager rebalancing revokes everything, then assigns the new set
                last = Some(if msg == "kafka partitions assigned" {
                    set
                } else {
                    HashSet::new()
                });
            }
        }
        last
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Alerts in a JSONL file (a line cut by kill -9 is skipped).
pub fn read_alerts(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// Alert count per event id.
pub fn alerted_ids(alerts: &[Value]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for a in alerts {
        if let Some(id) = a["event"]["id"].as_str() {
            *m.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    m
}

/// Poll `f` every 100 ms until it is true; false after `timeout`.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A metric's value from Prometheus text: `name{labels}` must match exactly as rendered
/// (labels sorted by name), or `name` alone for an unlabelled one.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Bucketed histogram → quantile (upper bound of the bucket holding it), from /metrics text.
pub fn histogram_quantile(text: &str, name: &str, labels: &str, q: f64) -> Option<f64> {
    let mut buckets: BTreeMap<u64, (f64, f64)> = BTreeMap::new(); // le bits → (le, count)
    let prefix = format!("{name}_bucket{{");
    for l in text.lines() {
        let Some(rest) = l.strip_prefix(&prefix) else {
            continue;
        };
        let (lbl, value) = rest.split_once("} ")?;
        if !labels.is_empty() && !lbl.contains(labels) {
            continue;
        }
        let le = lbl
            .split(',')
            .find_map(|kv| kv.strip_prefix("le=\""))?
            .trim_end_matches('"');
        let le: f64 = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().ok()?
        };
        let count: f64 = value.trim().parse().ok()?;
        buckets.insert(le.to_bits(), (le, count));
    }
    let mut v: Vec<(f64, f64)> = buckets.into_values().collect();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    let total = v.last()?.1;
    if total == 0.0 {
        return None;
    }
    v.into_iter()
        .find(|(_, c)| *c >= q * total)
        .map(|(le, _)| le)
}
