//! Prometheus metrics. Label values come from small fixed sets (source kind, event-type family,
//! category, location, rule, severity, sink): never an account SID, a phone number or a value,
//! which would both leak and explode cardinality.

pub mod kinesis;

use std::sync::OnceLock;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    pub registry: Registry,
    /// source, family
    pub events: IntCounterVec,
    /// source
    pub bytes: IntCounterVec,
    /// category, location
    pub findings: IntCounterVec,
    /// rule, severity (every occurrence, suppressed or not)
    pub violations: IntCounterVec,
    /// rule, severity (alerts actually sent)
    pub alerts_sent: IntCounterVec,
    /// rule
    pub alerts_suppressed: IntCounterVec,
    /// source, reason
    pub decode_errors: IntCounterVec,
    /// source
    pub dead_letters: IntCounterVec,
    /// source
    pub forwarded: IntCounterVec,
    /// source
    pub forwarded_masked: IntCounterVec,
    /// sink
    pub sink_errors: IntCounterVec,
    /// sink
    pub sink_retries: IntCounterVec,
    /// reason (webhook rejections: bad_signature, too_large, malformed, unauthorized)
    pub webhook_rejected: IntCounterVec,
    pub webhook_duplicates: prometheus::IntCounter,
    pub scan_seconds: Histogram,
    /// source
    pub event_to_alert_seconds: HistogramVec,
    /// topic, partition
    pub kafka_lag: IntGaugeVec,
    pub queue_depth: IntGauge,
    /// sink, outcome (`delivered`: the sink accepted it; `dead_lettered`: the sink refused it
    /// for good and the dead-letter output kept it)
    pub alert_outcomes: IntCounterVec,
    /// source, reason (records neither scanned nor dead-lettered: no dead-letter output)
    pub records_dropped: IntCounterVec,
    /// Alerts refused for good that wait for somewhere to go (no dead-letter output): while
    /// non-zero their events are not acknowledged and `/readyz` fails.
    pub alerts_held: IntGauge,
    /// Bytes of events in flight between sources and sinks.
    pub queue_bytes: IntGauge,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new_custom(Some("phiscan".into()), None).expect("registry");
        let m = Metrics {
            events: counter(
                "events_total",
                "Events scanned, by source and event-type family",
                &["source", "family"],
            ),
            bytes: counter("bytes_total", "Bytes received, by source", &["source"]),
            findings: counter(
                "findings_total",
                "Detected values, by category and location",
                &["category", "location"],
            ),
            violations: counter(
                "violations_total",
                "Policy violations (every occurrence), by rule and severity",
                &["rule", "severity"],
            ),
            alerts_sent: counter(
                "alerts_total",
                "Alerts delivered, by rule and severity",
                &["rule", "severity"],
            ),
            alerts_suppressed: counter(
                "alerts_suppressed_total",
                "Alerts held back by the suppression window",
                &["rule"],
            ),
            decode_errors: counter(
                "decode_errors_total",
                "Records that could not be decoded",
                &["source", "reason"],
            ),
            dead_letters: counter(
                "dead_letters_total",
                "Records written to the dead-letter output",
                &["source"],
            ),
            forwarded: counter(
                "forwarded_events_total",
                "Events published to the redacted forward topic, by source",
                &["source"],
            ),
            forwarded_masked: counter(
                "forwarded_masked_values_total",
                "Values masked in events published to the redacted forward topic",
                &["source"],
            ),
            sink_errors: counter("sink_errors_total", "Failed deliveries, by sink", &["sink"]),
            sink_retries: counter("sink_retries_total", "Delivery retries, by sink", &["sink"]),
            webhook_rejected: counter(
                "webhook_rejected_total",
                "Webhook requests rejected, by reason",
                &["reason"],
            ),
            webhook_duplicates: prometheus::IntCounter::new(
                "webhook_duplicate_events_total",
                "Redelivered events dropped by id",
            )
            .expect("metric"),
            scan_seconds: Histogram::with_opts(
                HistogramOpts::new("scan_duration_seconds", "Time to scan one event").buckets(
                    vec![1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2],
                ),
            )
            .expect("metric"),
            event_to_alert_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "event_to_alert_seconds",
                    "From receiving an event to its alerts being accepted by the sinks",
                )
                .buckets(vec![
                    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["source"],
            )
            .expect("metric"),
            kafka_lag: IntGaugeVec::new(
                Opts::new(
                    "kafka_consumer_lag",
                    "Consumer lag from librdkafka statistics",
                ),
                &["topic", "partition"],
            )
            .expect("metric"),
            queue_depth: IntGauge::new("queue_depth", "Events waiting to be scanned")
                .expect("metric"),
            alert_outcomes: counter(
                "alert_outcomes_total",
                "Alerts per sink: delivered (accepted) or dead_lettered (refused for good, kept by the dead-letter output)",
                &["sink", "outcome"],
            ),
            records_dropped: counter(
                "records_dropped_total",
                "Undecodable or oversized records skipped without a dead-letter output (logged by position)",
                &["source", "reason"],
            ),
            alerts_held: IntGauge::new(
                "alerts_held",
                "Alerts refused for good with no dead-letter output: their events are not acknowledged",
            )
            .expect("metric"),
            queue_bytes: IntGauge::new("queue_bytes", "Bytes of events in flight in the pipeline")
                .expect("metric"),
            registry,
        };
        let r = &m.registry;
        for c in [
            &m.events,
            &m.bytes,
            &m.findings,
            &m.violations,
            &m.alerts_sent,
            &m.alerts_suppressed,
            &m.decode_errors,
            &m.dead_letters,
            &m.forwarded,
            &m.forwarded_masked,
            &m.sink_errors,
            &m.sink_retries,
            &m.webhook_rejected,
            &m.alert_outcomes,
            &m.records_dropped,
        ] {
            r.register(Box::new(c.clone())).expect("unique metric");
        }
        r.register(Box::new(m.webhook_duplicates.clone()))
            .expect("unique metric");
        r.register(Box::new(m.scan_seconds.clone()))
            .expect("unique metric");
        r.register(Box::new(m.event_to_alert_seconds.clone()))
            .expect("unique metric");
        r.register(Box::new(m.kafka_lag.clone()))
            .expect("unique metric");
        r.register(Box::new(m.queue_depth.clone()))
            .expect("unique metric");
        r.register(Box::new(m.alerts_held.clone()))
            .expect("unique metric");
        r.register(Box::new(m.queue_bytes.clone()))
            .expect("unique metric");
        m
    }

    /// Text exposition format for `/metrics`.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("encode metrics");
        String::from_utf8(buf).expect("metrics are UTF-8")
    }
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

/// `com.twilio.messaging.message.sent` → `messaging`: a bounded label for event types.
pub fn family(event_type: &str) -> &'static str {
    const FAMILIES: &[&str] = &[
        "messaging",
        "voice",
        "error-logs",
        "conversations",
        "taskrouter",
        "studio",
        "accountsecurity",
        "eventstreams",
        "comms-api",
        "engagement-intelligence",
        "video",
        "notify",
        "iam",
        "lookup",
    ];
    let product = event_type
        .strip_prefix("com.twilio.")
        .and_then(|r| r.split('.').next())
        .unwrap_or("");
    FAMILIES
        .iter()
        .find(|f| **f == product)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_bounded() {
        assert_eq!(family("com.twilio.messaging.message.sent"), "messaging");
        assert_eq!(family("com.twilio.error-logs.error.logged"), "error-logs");
        assert_eq!(family("com.example.x"), "other");
        assert_eq!(
            family("com.twilio.AC1f2e3d4c5b6a79881f2e3d4c5b6a7988.x"),
            "other"
        );
    }

    #[test]
    fn renders_registered_metrics() {
        metrics()
            .events
            .with_label_values(&["file", "messaging"])
            .inc();
        metrics()
            .event_to_alert_seconds
            .with_label_values(&["file"])
            .observe(0.01);
        let text = metrics().render();
        assert!(
            text.contains("phiscan_events_total{family=\"messaging\",source=\"file\"}"),
            "{text}"
        );
        assert!(text.contains("phiscan_event_to_alert_seconds"));
    }
}
