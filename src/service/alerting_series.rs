//! Alerting series that must exist before their first increment (see `init_alerting_series`).
//! Here, not in `metrics`, because which series exist depends on the configuration: `metrics`
//! defines the families and knows nothing of `config`.

use crate::metrics::metrics;

/// Start, at 0, the counters the alert rules in `deploy/prometheus/phiscan-rules.yml` watch,
/// for the rules, sources and sinks this configuration uses. Prometheus's `increase()` and
/// `rate()` need a sample before the first increment: a series that first appears already at 1
/// (the first leak after a restart, the first dead letter) would never fire its alert.
pub fn init_alerting_series(config: &crate::config::Config) {
    let m = metrics();
    let policy = &config.policy;
    for r in crate::policy::RULES {
        if policy.disabled_rules.iter().any(|d| d == r.id) {
            continue;
        }
        let severity = policy.severity.get(r.id).copied().unwrap_or(r.severity);
        m.violations.with_label_values(&[r.id, severity.as_str()]);
        m.alerts_sent.with_label_values(&[r.id, severity.as_str()]);
        m.alerts_suppressed.with_label_values(&[r.id]);
    }
    let (sources, sinks) = (&config.sources, &config.sinks);
    let mut decoded = Vec::new();
    if sources.kafka.is_some() {
        decoded.push("kafka");
    }
    if sources.kinesis.is_some() {
        decoded.push("kinesis");
    }
    for source in decoded {
        for reason in ["malformed", "too_large"] {
            m.decode_errors.with_label_values(&[source, reason]);
        }
        m.dead_letters.with_label_values(&[source]);
    }
    if sources.webhook.is_some() {
        for reason in [
            "bad_signature",
            "missing_signature",
            "body_hash_mismatch",
            "unauthorized",
            "too_large",
            "malformed",
            "timeout",
        ] {
            m.webhook_rejected.with_label_values(&[reason]);
        }
    }
    let configured = [
        ("jsonl", sinks.jsonl.is_some()),
        ("kafka", sinks.kafka.is_some()),
        ("http", sinks.http.is_some()),
        ("alertmanager", sinks.alertmanager.is_some()),
        ("dead_letter", sinks.dead_letter.is_some()),
        ("redacted_forward", sinks.redacted_forward.is_some()),
    ];
    for (sink, _) in configured.iter().filter(|(_, on)| *on) {
        m.sink_errors.with_label_values(&[sink]);
        m.sink_retries.with_label_values(&[sink]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerting_series_start_at_zero_with_the_effective_severity() {
        use crate::alert::Severity;
        let mut config = crate::config::Config::default();
        config
            .policy
            .severity
            .insert("phi-in-url".to_string(), Severity::Low);
        config.sinks.jsonl = Some(crate::config::service::JsonlSinkConfig {
            path: "-".to_string(),
        });
        init_alerting_series(&config);
        let text = metrics().render();
        for series in [
            "phiscan_violations_total{rule=\"phi-in-tag\",severity=\"critical\"}",
            "phiscan_violations_total{rule=\"phi-in-url\",severity=\"low\"}",
            "phiscan_alerts_suppressed_total{rule=\"phi-in-tag\"}",
            "phiscan_sink_errors_total{sink=\"jsonl\"}",
            "phiscan_sink_retries_total{sink=\"jsonl\"}",
        ] {
            assert!(text.contains(series), "{series} is exported:\n{text}");
        }
    }
}
