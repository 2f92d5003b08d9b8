//! Configuration of `phiscan run`: sources, sinks, metrics. Kept apart from the scanning
//! configuration because `phiscan scan` ignores all of it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// Scanning threads [default: all cores].
    pub workers: Option<usize>,
    /// Events in flight between sources and sinks; when full, sources pause.
    pub queue_capacity: usize,
    /// Bytes of events in flight between sources and sinks (from submission until the event is
    /// acknowledged); when reached, sources pause. One record larger than this still passes, alone.
    pub queue_max_bytes: usize,
    /// Address of the metrics and health endpoint (`/metrics`, `/healthz`, `/readyz`).
    pub metrics_listen: Option<String>,
    /// Seconds to drain in-flight events on SIGTERM before giving up.
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub kafka: Option<KafkaSourceConfig>,
    pub webhook: Option<WebhookSourceConfig>,
    pub kinesis: Option<KinesisSourceConfig>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSourceConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Topics to consume; entries starting with `^` are regex patterns (librdkafka syntax).
    pub topics: Vec<String>,
    /// Any librdkafka consumer property (SASL/TLS for MSK or Confluent, …). Secrets here are
    /// masked by `phiscan config check`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Largest record accepted; bigger ones are dead-lettered.
    #[serde(default = "default_max_record")]
    pub max_record_bytes: usize,
    /// Commit interval for completed offsets.
    #[serde(default = "default_commit_ms")]
    pub commit_interval_ms: u64,
}

impl KafkaSourceConfig {
    /// Whether the consumer's subscription (names and `^` patterns) covers `topic`.
    pub fn subscribes_to(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| match t.strip_prefix('^') {
            Some(_) => regex::Regex::new(t).is_ok_and(|re| re.is_match(topic)),
            None => t == topic,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSourceConfig {
    /// Listen address, e.g. `0.0.0.0:8443`.
    pub listen: String,
    /// The URL configured as the sink destination in Twilio: what Twilio signs. The request's
    /// query string (with `bodySHA256`) is appended as received.
    pub public_url: String,
    /// Auth Token that signs requests (prefer PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN).
    pub auth_token: Option<String>,
    /// TLS certificate and key (PEM). Without them the listener is plain HTTP, which is only
    /// acceptable behind a TLS-terminating proxy: say so with `plain_http_behind_proxy = true`.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(default)]
    pub plain_http_behind_proxy: bool,
    /// Optional HTTP Basic auth (user:pass in the sink URL).
    pub basic_auth_user: Option<String>,
    pub basic_auth_password: Option<String>,
    /// Largest request body. Twilio documents batches of at most 64 kB per request: the
    /// default, 1 MiB, leaves a 16× margin.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Requests handled at once; more are answered 503 (Twilio retries). With
    /// `max_body_bytes`, this bounds the memory request bodies can take.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_requests: usize,
    /// How many recent event ids are remembered to drop Twilio's redeliveries.
    #[serde(default = "default_dedupe")]
    pub dedupe_window: usize,
}

pub use crate::source::kinesis::config::KinesisSourceConfig;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinksConfig {
    /// JSON Lines to a file, or `-` for stdout.
    pub jsonl: Option<JsonlSinkConfig>,
    pub kafka: Option<KafkaSinkConfig>,
    pub http: Option<HttpSinkConfig>,
    pub alertmanager: Option<AlertmanagerSinkConfig>,
    pub dead_letter: Option<DeadLetterConfig>,
    pub redacted_forward: Option<RedactedForwardConfig>,
    /// One alert per (rule, account, fingerprint) per window; metrics still count every one.
    pub suppression_window_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlSinkConfig {
    pub path: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSinkConfig {
    pub brokers: String,
    pub topic: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSinkConfig {
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSinkConfig {
    /// Base URL, e.g. `http://alertmanager:9093` (alerts go to `/api/v2/alerts`).
    pub url: String,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// A Kafka topic on the source cluster (keeps raw records inside the source's boundary)…
    pub kafka_topic: Option<String>,
    /// …or a local file (JSON Lines).
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedactedForwardConfig {
    /// Topic that receives every scanned event (one CloudEvent JSON per record) with its
    /// detected values masked.
    pub kafka_topic: String,
    /// `bootstrap.servers` of the cluster to write to [default: the source cluster, with the
    /// source's properties].
    pub brokers: Option<String>,
    /// librdkafka producer properties, used with `brokers`.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// `masked` (the alert's preview, `***-**-6789`) or `category` (`[ssn]`).
    #[serde(default)]
    pub style: crate::event::redact::Style,
    /// Also mask participant addresses (`to`, `from`, …: phone numbers and emails are
    /// identifiers too). Routing consumers that need them can turn this off.
    #[serde(default = "default_true")]
    pub mask_addresses: bool,
}

fn default_true() -> bool {
    true
}

fn default_group() -> String {
    "phiscan".into()
}
fn default_max_record() -> usize {
    1 << 20
}
fn default_commit_ms() -> u64 {
    1000
}
fn default_max_body() -> usize {
    1 << 20
}
fn default_max_concurrent() -> usize {
    128
}
fn default_dedupe() -> usize {
    100_000
}
fn default_retries() -> u32 {
    5
}
fn default_timeout_ms() -> u64 {
    2000
}

impl Default for ServiceConfig {
    fn default() -> ServiceConfig {
        ServiceConfig {
            workers: None,
            queue_capacity: 10_000,
            queue_max_bytes: 256 << 20,
            metrics_listen: None,
            shutdown_timeout_secs: 30,
        }
    }
}
