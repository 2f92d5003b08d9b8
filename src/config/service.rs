//! Configuration of `phiscan run`: sources, sinks, metrics. Kept apart from the scanning
//! configuration because `phiscan scan` ignores all of it.

use serde::{Deserialize, Serialize};

use crate::sink::AlertSinkConfig;

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
pub use crate::sink::alertmanager::AlertmanagerSinkConfig;
pub use crate::sink::dead_letter::DeadLetterConfig;
pub use crate::sink::forward::RedactedForwardConfig;
pub use crate::sink::http::HttpSinkConfig;
pub use crate::sink::jsonl::JsonlSinkConfig;
pub use crate::sink::kafka::KafkaSinkConfig;
pub use crate::source::kafka::KafkaSourceConfig;
pub use crate::source::kinesis::config::KinesisSourceConfig;
pub use crate::source::webhook::WebhookSourceConfig;

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

impl SinksConfig {
    /// Every configured alert output, in a fixed order (jsonl, kafka, http, alertmanager).
    pub fn alert_outputs(&self) -> Vec<&dyn AlertSinkConfig> {
        let mut out: Vec<&dyn AlertSinkConfig> = Vec::new();
        let outputs: [Option<&dyn AlertSinkConfig>; 4] = [
            self.jsonl.as_ref().map(|c| c as _),
            self.kafka.as_ref().map(|c| c as _),
            self.http.as_ref().map(|c| c as _),
            self.alertmanager.as_ref().map(|c| c as _),
        ];
        out.extend(outputs.into_iter().flatten());
        out
    }
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
