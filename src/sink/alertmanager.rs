//! Alertmanager alert sink: POSTs each batch to `{url}/api/v2/alerts` as Alertmanager v2 alerts.
//!
//! One phiscan alert becomes one Alertmanager alert:
//! - labels: `alertname="PHIExposure"`, `rule`, `severity`, `account_sid`, `event_type`,
//!   `channel`, `source="phiscan"`, for routing and grouping (`group_by: [alertname, rule,
//!   account_sid]` gives one notification per rule and account), and `alert_id`. Alertmanager
//!   identifies an alert by its whole label set: without `alert_id`, two leaks of different
//!   values in the same account, event type and channel would collapse into one alert whose
//!   annotations (event id, findings) the later one overwrites. `alert_id` is a hash of the
//!   event id and rule: stable across redeliveries, so a replayed event updates its own alert.
//!   Paging volume is bounded by phiscan's suppression window and Alertmanager's grouping;
//! - annotations: `summary` (the rule's summary), `description` (one line per finding:
//!   `field location category masked`: masked previews only, never a raw value), `alert_id`,
//!   `event_id`, `fingerprints` (the findings' keyed HMACs, comma-separated), and when known
//!   `resource_sid`, `event_time`, `note`;
//! - `startsAt` = now. `endsAt` is left to Alertmanager (`resolve_timeout`, 5 m by default):
//!   a leak is an occurrence, not a condition phiscan could later declare resolved, and the
//!   alert is re-fired by the next occurrence.
//!
//! Errors are classified and retried like the HTTP sink's (see `sink::http`). `ready()` is
//! `GET {url}/-/ready`, cached for a few seconds so `/readyz` probes do not hammer it.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::http::{Failure, client, default_retries, default_timeout_ms, parse_url, send_chunked};
use super::{AlertSink, AlertSinkConfig, BoxFuture, SinkError};
use crate::alert::Alert;

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

impl AlertSinkConfig for AlertmanagerSinkConfig {
    fn build(&self) -> Result<Box<dyn AlertSink>> {
        Ok(Box::new(AlertmanagerSink::new(self)?))
    }
}

/// The `alertname` label of every alert.
pub const ALERTNAME: &str = "PHIExposure";
/// How long a readiness probe result is reused.
const READY_CACHE: Duration = Duration::from_secs(5);
/// Findings listed in `description`; the rest are counted.
const MAX_DESCRIBED_FINDINGS: usize = 50;

pub struct AlertmanagerSink {
    client: reqwest::Client,
    alerts_url: reqwest::Url,
    ready_url: reqwest::Url,
    ready_timeout: Duration,
    max_retries: u32,
    ready_cache: Mutex<Option<(Instant, bool)>>,
}

/// An alert as `POST /api/v2/alerts` takes it (`postableAlert`).
#[derive(Debug, Serialize)]
pub struct PostableAlert {
    pub labels: std::collections::BTreeMap<&'static str, String>,
    pub annotations: std::collections::BTreeMap<&'static str, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
}

impl AlertmanagerSink {
    pub fn new(config: &AlertmanagerSinkConfig) -> Result<AlertmanagerSink> {
        let base = parse_url(config.url.trim_end_matches('/')).context("sinks.alertmanager.url")?;
        let join = |path: &str| -> Result<reqwest::Url> {
            let mut u = base.clone();
            let prefix = u.path().trim_end_matches('/').to_string();
            u.set_path(&format!("{prefix}{path}"));
            Ok(u)
        };
        Ok(AlertmanagerSink {
            client: client(config.timeout_ms)?,
            alerts_url: join("/api/v2/alerts")?,
            ready_url: join("/-/ready")?,
            ready_timeout: Duration::from_millis(config.timeout_ms.clamp(1, 2000)),
            max_retries: config.max_retries,
            ready_cache: Mutex::new(None),
        })
    }

    async fn post_chunk(&self, chunk: &[&Alert]) -> Result<(), Failure> {
        let now = rfc3339(SystemTime::now());
        let body: Vec<PostableAlert> = chunk.iter().map(|a| to_alertmanager(a, &now)).collect();
        let body = serde_json::to_vec(&body)
            .map_err(|e| Failure::permanent(format!("cannot serialise alerts: {e}")))?;
        let response = self
            .client
            .post(self.alerts_url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(Failure::from_reqwest)?;
        let status = response.status();
        match Failure::check_status(status, response.headers()) {
            Ok(()) => Ok(()),
            Err(mut f) => {
                // Alertmanager says why it refused (validation errors name labels, not values;
                // and what we send holds masked values only)
                if let Ok(text) = response.text().await {
                    let text: String = text.trim().chars().take(200).collect();
                    if !text.is_empty() {
                        f.message = format!("{}: {text}", f.message);
                    }
                }
                Err(f)
            }
        }
    }

    async fn probe(&self) -> bool {
        let r = self
            .client
            .get(self.ready_url.clone())
            .timeout(self.ready_timeout)
            .send()
            .await;
        matches!(r, Ok(resp) if resp.status().is_success())
    }
}

impl AlertSink for AlertmanagerSink {
    fn name(&self) -> &'static str {
        "alertmanager"
    }

    fn send<'a>(&'a self, alerts: &'a [&'a Alert]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let r = send_chunked(self.name(), alerts, self.max_retries, |chunk| {
                self.post_chunk(chunk)
            })
            .await;
            // a delivery tells as much as a probe: refresh the cached readiness
            let up = !matches!(r, Err(SinkError::Retryable(_)));
            *self.ready_cache.lock().expect("ready cache lock") = Some((Instant::now(), up));
            r
        })
    }

    fn ready(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            if let Some((at, up)) = *self.ready_cache.lock().expect("ready cache lock") {
                if at.elapsed() < READY_CACHE {
                    return up;
                }
            }
            let up = self.probe().await;
            *self.ready_cache.lock().expect("ready cache lock") = Some((Instant::now(), up));
            up
        })
    }
}

/// The Alertmanager form of one alert, fired at `starts_at` (RFC 3339).
pub fn to_alertmanager(a: &Alert, starts_at: &str) -> PostableAlert {
    let mut labels = std::collections::BTreeMap::new();
    labels.insert("alertname", ALERTNAME.to_string());
    labels.insert("rule", a.rule.to_string());
    labels.insert("severity", a.severity.as_str().to_string());
    // Alertmanager treats an empty label as absent: leave unknown ones out
    if let Some(acc) = a.event.account_sid.as_deref().filter(|s| !s.is_empty()) {
        labels.insert("account_sid", acc.to_string());
    }
    if !a.event.event_type.is_empty() {
        labels.insert("event_type", a.event.event_type.clone());
    }
    labels.insert("channel", a.channel.as_str().to_string());
    labels.insert("source", "phiscan".to_string());
    labels.insert("alert_id", a.alert_id.clone());

    let mut annotations = std::collections::BTreeMap::new();
    let summary = crate::policy::RULES
        .iter()
        .find(|r| r.id == a.rule)
        .map_or(a.rule, |r| r.summary);
    annotations.insert("summary", summary.to_string());
    let mut description = String::new();
    for f in a.findings.iter().take(MAX_DESCRIBED_FINDINGS) {
        description.push_str(&format!(
            "{} {} {} {}\n",
            f.field,
            f.location.as_str(),
            f.category.as_str(),
            f.masked
        ));
    }
    if a.findings.len() > MAX_DESCRIBED_FINDINGS {
        description.push_str(&format!(
            "… and {} more findings\n",
            a.findings.len() - MAX_DESCRIBED_FINDINGS
        ));
    }
    annotations.insert("description", description.trim_end().to_string());
    annotations.insert("alert_id", a.alert_id.clone());
    annotations.insert("event_id", a.event.id.clone());
    let mut fingerprints: Vec<&str> = Vec::new();
    for f in &a.findings {
        if !fingerprints.contains(&f.fingerprint.as_str()) {
            fingerprints.push(&f.fingerprint);
        }
    }
    annotations.insert("fingerprints", fingerprints.join(","));
    if let Some(sid) = a.event.resource_sid.as_deref().filter(|s| !s.is_empty()) {
        annotations.insert("resource_sid", sid.to_string());
    }
    if let Some(t) = a.event.time.as_deref().filter(|s| !s.is_empty()) {
        annotations.insert("event_time", t.to_string());
    }
    if let Some(note) = a.note.as_deref().filter(|s| !s.is_empty()) {
        annotations.insert("note", note.to_string());
    }
    PostableAlert {
        labels,
        annotations,
        starts_at: starts_at.to_string(),
    }
}

/// `2026-05-04T13:00:00.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_123)),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_777_899_600)),
            "2026-05-04T13:00:00.000Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59.000Z"
        );
    }

    #[test]
    fn maps_labels_and_masked_annotations() {
        let a = crate::sink::suppress::tests::alert("phi-in-tag", "AC1", "f1");
        let am = to_alertmanager(&a, "2026-05-04T13:00:00.000Z");
        assert_eq!(am.labels["alertname"], ALERTNAME);
        assert_eq!(am.labels["rule"], "phi-in-tag");
        assert_eq!(am.labels["account_sid"], "AC1");
        assert_eq!(am.labels["channel"], "sms");
        assert_eq!(am.labels["alert_id"], "x");
        assert_eq!(am.annotations["description"], "/data/tags/x tag mrn *");
        assert_eq!(am.annotations["fingerprints"], "f1");
        let json = serde_json::to_value(&am).unwrap();
        assert_eq!(json["startsAt"], "2026-05-04T13:00:00.000Z");
    }

    #[test]
    fn urls_are_joined_under_the_base_path() {
        let s = AlertmanagerSink::new(&AlertmanagerSinkConfig {
            url: "http://am:9093/prefix/".into(),
            max_retries: 0,
            timeout_ms: 100,
        })
        .unwrap();
        assert_eq!(s.alerts_url.as_str(), "http://am:9093/prefix/api/v2/alerts");
        assert_eq!(s.ready_url.as_str(), "http://am:9093/prefix/-/ready");
    }
}
