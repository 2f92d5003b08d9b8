//! The sinks (`crate::sink`): delivery retries, refusals, held alerts, dead letters, the
//! redacted forward and the Kafka producers. Fields: sink names, topics, output paths, counts,
//! waits, a record's position (its `source`, as JSON) and the sinks' error texts (status lines
//! and library errors, never an alert body or a record). Counters: `phiscan_sink_errors_total`,
//! `phiscan_sink_retries_total`, `phiscan_records_dropped_total`; the `phiscan_alerts_held` gauge.

use std::fmt::Display;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::InternalEvent;
use crate::metrics::metrics;

const SINKS: &str = "phiscan::sink";
const DEAD_LETTER: &str = "phiscan::sink::dead_letter";
const FORWARD: &str = "phiscan::sink::forward";
const HTTP: &str = "phiscan::sink::http";
const KAFKA: &str = "phiscan::sink::kafka";

/// A transient delivery failure, retried after `retry_in` (the sinks' shared retry loop).
/// Counted as an error and a retry of `sink`.
pub struct SinkDeliveryRetrying<'a> {
    pub sink: &'a str,
    pub error: &'a dyn Display,
    pub retry_in: Duration,
}

impl InternalEvent for SinkDeliveryRetrying<'_> {
    fn emit(self) {
        let m = metrics();
        m.sink_errors.with_label_values(&[self.sink]).inc();
        m.sink_retries.with_label_values(&[self.sink]).inc();
        tracing::warn!(target: SINKS, sink = self.sink, error = %self.error, retry_in_ms = self.retry_in.as_millis() as u64, "delivery failed; retrying");
    }
}

/// An HTTP sink's own retry of one request (429, 5xx, connection errors). Counted as a retry.
pub struct HttpDeliveryRetrying<'a> {
    pub sink: &'a str,
    pub error: &'a str,
    pub retry_in: Duration,
}

impl InternalEvent for HttpDeliveryRetrying<'_> {
    fn emit(self) {
        metrics().sink_retries.with_label_values(&[self.sink]).inc();
        let sink = self.sink;
        tracing::debug!(target: HTTP, sink, error = %self.error, retry_in_ms = self.retry_in.as_millis() as u64, "delivery failed; retrying");
    }
}

/// A batch refused for good is split in halves to find the alerts at fault.
pub struct SinkBatchSplit<'a> {
    pub sink: &'a str,
    pub error: &'a str,
    pub batch: usize,
}

impl InternalEvent for SinkBatchSplit<'_> {
    fn emit(self) {
        tracing::debug!(target: SINKS, sink = self.sink, error = %self.error, batch = self.batch, "batch refused: splitting it");
    }
}

/// A sink refused alerts for good (`error`: the first refusal's reason).
pub struct SinkRefusedAlerts<'a> {
    pub sink: &'a str,
    pub alerts: usize,
    pub error: &'a str,
}

impl InternalEvent for SinkRefusedAlerts<'_> {
    fn emit(self) {
        tracing::error!(target: SINKS, sink = self.sink, alerts = self.alerts, error = %self.error, "sink refused alerts for good");
    }
}

/// Alerts refused for good with no dead-letter output: held (and offered again every
/// `retry_in`) while their events are not acknowledged. Sets the `alerts_held` gauge.
pub struct AlertsHeldNoDeadLetter<'a> {
    pub alerts: usize,
    pub error: &'a str,
    pub retry_in: Duration,
}

impl InternalEvent for AlertsHeldNoDeadLetter<'_> {
    fn emit(self) {
        metrics().alerts_held.set(self.alerts as i64);
        tracing::error!(
            target: SINKS,
            alerts = self.alerts,
            error = %self.error,
            retry_in_s = self.retry_in.as_secs(),
            "a sink refused alerts for good and no dead-letter output is configured: holding them, \
             so their events are not acknowledged and /readyz fails; fix the sink, or configure \
             [sinks.dead_letter] path = \"/var/lib/phiscan/dead-letters.jsonl\" (or kafka_topic) and restart"
        );
    }
}

pub struct HeldAlertsAccepted;

impl InternalEvent for HeldAlertsAccepted {
    fn emit(self) {
        tracing::info!(target: SINKS, "held alerts were accepted: acknowledging again");
    }
}

/// Refused alerts that the dead-letter output refused too: held like without one. Sets the
/// `alerts_held` gauge.
pub struct DeadLetterRefusedAlerts<'a> {
    pub alerts: usize,
    pub error: &'a str,
}

impl InternalEvent for DeadLetterRefusedAlerts<'_> {
    fn emit(self) {
        metrics().alerts_held.set(self.alerts as i64);
        tracing::error!(target: SINKS, alerts = self.alerts, error = %self.error, "the dead-letter output refused refused alerts: holding them (events not acknowledged, /readyz fails)");
    }
}

/// An undecodable record no dead-letter output kept: logged by position only (`source`, the
/// record's `SourceRef`) and counted in `records_dropped_total{source, reason="no_dead_letter"}`.
pub struct RecordSkipped<'a, S: Serialize> {
    pub source: &'a S,
    /// The source's metric label (`kafka`, `webhook`, …).
    pub source_kind: &'static str,
    /// Why it could not be scanned (a decoder's reason).
    pub error: &'a str,
    /// Why it was not kept.
    pub why: &'a str,
}

impl<S: Serialize> InternalEvent for RecordSkipped<'_, S> {
    fn emit(self) {
        metrics()
            .records_dropped
            .with_label_values(&[self.source_kind, "no_dead_letter"])
            .inc();
        tracing::warn!(
            target: SINKS,
            source = %serde_json::to_string(self.source).unwrap_or_default(),
            error = %self.error,
            why = %self.why,
            "record skipped: it could not be scanned and no dead-letter output kept it \
             (configure [sinks.dead_letter] to keep such records)"
        );
    }
}

pub struct ForwardRefused<'a> {
    pub error: &'a dyn Display,
    pub events: usize,
}

impl InternalEvent for ForwardRefused<'_> {
    fn emit(self) {
        tracing::error!(target: SINKS, sink = "redacted_forward", error = %self.error, events = self.events, "the redacted forward refused the batch for good; skipping it");
    }
}

pub struct ForwardSent<'a> {
    pub events: usize,
    pub topic: &'a str,
}

impl InternalEvent for ForwardSent<'_> {
    fn emit(self) {
        tracing::debug!(target: FORWARD, events = self.events, topic = %self.topic, "redacted events forwarded");
    }
}

pub struct DeadLettersToKafka<'a> {
    pub records: usize,
    pub topic: &'a str,
}

impl InternalEvent for DeadLettersToKafka<'_> {
    fn emit(self) {
        tracing::debug!(target: DEAD_LETTER, records = self.records, topic = %self.topic, "dead letters written to kafka");
    }
}

pub struct DeadLettersToFile<'a> {
    pub records: usize,
    pub path: &'a Path,
}

impl InternalEvent for DeadLettersToFile<'_> {
    fn emit(self) {
        tracing::debug!(target: DEAD_LETTER, records = self.records, path = %self.path.display(), "dead letters written to file");
    }
}

/// One of two dead-letter outputs refused a batch for good (the other kept it).
pub struct DeadLetterOutputRefused<'a> {
    pub error: &'a dyn Display,
    pub records: usize,
}

impl InternalEvent for DeadLetterOutputRefused<'_> {
    fn emit(self) {
        tracing::error!(target: DEAD_LETTER, error = %self.error, records = self.records, "one dead-letter output refused dead letters");
    }
}

/// A producer property that at-least-once delivery depends on was set otherwise; `what` names
/// the producer (`sinks.kafka`, `sinks.dead_letter`, …).
pub struct ProducerPropertyOverridden<'a> {
    pub what: &'a str,
    pub property: &'a str,
    pub required: &'a str,
}

impl InternalEvent for ProducerPropertyOverridden<'_> {
    fn emit(self) {
        let what = self.what;
        tracing::warn!(
            target: KAFKA,
            property = self.property,
            required = self.required,
            "{what}: overriding a producer property that at-least-once delivery depends on"
        );
    }
}

pub struct ProducerFatalError<'a> {
    pub sink: &'a str,
    pub error: &'a dyn Display,
    pub reason: &'a str,
}

impl InternalEvent for ProducerFatalError<'_> {
    fn emit(self) {
        tracing::error!(target: KAFKA, sink = %self.sink, error = %self.error, reason = %self.reason, "fatal Kafka producer error: recreating the producer");
    }
}

pub struct ProducerRecreateFailed<'a> {
    pub sink: &'a str,
    pub error: &'a dyn Display,
}

impl InternalEvent for ProducerRecreateFailed<'_> {
    fn emit(self) {
        tracing::error!(target: KAFKA, sink = %self.sink, error = %self.error, "cannot recreate the Kafka producer");
    }
}

pub struct AlertsToKafka<'a> {
    pub alerts: usize,
    pub topic: &'a str,
}

impl InternalEvent for AlertsToKafka<'_> {
    fn emit(self) {
        tracing::debug!(target: KAFKA, alerts = self.alerts, topic = %self.topic, "alerts delivered to kafka");
    }
}
