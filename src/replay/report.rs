//! What an auditor gets from a replay: the numbers (`--report-json`) and the same numbers as a
//! self-contained HTML page with inline SVG charts (`--report`, see `html`).
//!
//! Built only from what alerts and scan counters already hold: rule, severity, event envelope
//! (id, type, time, account SID), and per finding its field, category, location, masked preview
//! and fingerprint. Raw values never reach this module, so neither file can leak one. The data
//! lives in the state file too, so a resumed replay reports on everything, not its last part.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::Job;
use super::time;
use crate::alert::Alert;
use crate::scan::Stats;

pub const REPORT_SCHEMA: &str = "phiscan.replay-report/1";
/// Examples kept per rule, and malformed records listed by position.
const EXAMPLES_PER_RULE: usize = 3;
const MALFORMED_LISTED: usize = 50;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub objects: u64,
    pub bytes: u64,
    pub events: u64,
    pub alerts: u64,
    pub malformed: u64,
    pub skipped_test_events: u64,
    /// Events whose time is outside `--since/--until` (read, not scanned).
    pub outside_time_range: u64,
    /// Events with no readable `time` (not scanned when a time range is given).
    pub without_time: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExampleFinding {
    pub field: String,
    pub category: String,
    pub location: String,
    pub masked: String,
    pub fingerprint: String,
}

/// One alert as an example: envelope facts and masked findings only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Example {
    pub rule: String,
    pub severity: String,
    pub event_id: String,
    pub event_type: String,
    pub time: Option<String>,
    pub account_sid: Option<String>,
    pub source: String,
    pub findings: Vec<ExampleFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MalformedRef {
    pub object: String,
    pub line: u64,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportData {
    pub schema: String,
    pub sources: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub totals: Totals,
    pub first_event_time: Option<String>,
    pub last_event_time: Option<String>,
    pub alerts_by_rule: BTreeMap<String, u64>,
    pub alerts_by_severity: BTreeMap<String, u64>,
    pub alerts_by_event_type: BTreeMap<String, u64>,
    pub alerts_by_account: BTreeMap<String, u64>,
    /// Violations counted but not alerted (phi-in-content on eligible channels).
    pub counted_not_alerted: BTreeMap<String, u64>,
    /// Every finding (alerted or not): category → location → count.
    pub findings_by_category_location: BTreeMap<String, BTreeMap<String, u64>>,
    /// Scanned events per UTC hour (key: the hour's start, RFC 3339).
    pub events_by_hour: BTreeMap<String, u64>,
    /// Alerts per UTC hour and rule.
    pub alerts_by_hour: BTreeMap<String, BTreeMap<String, u64>>,
    pub examples: Vec<Example>,
    pub malformed_listed: Vec<MalformedRef>,
}

/// What one object added, beyond its alerts and scan counters.
#[derive(Debug, Clone, Default)]
pub struct ObjectCounts {
    pub bytes: u64,
    pub outside_time_range: u64,
    pub without_time: u64,
    /// Scanned events per hour (milliseconds of the hour's start).
    pub events_by_hour: BTreeMap<i64, u64>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

impl ObjectCounts {
    pub fn event_at(&mut self, ms: i64) {
        *self.events_by_hour.entry(time::hour_of(ms)).or_default() += 1;
        self.first_ms = Some(self.first_ms.map_or(ms, |f| f.min(ms)));
        self.last_ms = Some(self.last_ms.map_or(ms, |l| l.max(ms)));
    }
}

impl ReportData {
    pub fn new(job: &Job) -> ReportData {
        ReportData {
            schema: REPORT_SCHEMA.to_string(),
            sources: job.sources.clone(),
            since: job.since.clone(),
            until: job.until.clone(),
            totals: Totals::default(),
            first_event_time: None,
            last_event_time: None,
            alerts_by_rule: BTreeMap::new(),
            alerts_by_severity: BTreeMap::new(),
            alerts_by_event_type: BTreeMap::new(),
            alerts_by_account: BTreeMap::new(),
            counted_not_alerted: BTreeMap::new(),
            findings_by_category_location: BTreeMap::new(),
            events_by_hour: BTreeMap::new(),
            alerts_by_hour: BTreeMap::new(),
            examples: Vec::new(),
            malformed_listed: Vec::new(),
        }
    }

    /// Add one finished object.
    pub fn add_object(&mut self, stats: &Stats, counts: &ObjectCounts, alerts: &[Alert]) {
        let t = &mut self.totals;
        t.objects += 1;
        t.bytes += counts.bytes;
        t.events += stats.events;
        t.malformed += stats.malformed;
        t.skipped_test_events += stats.skipped_test_events;
        t.outside_time_range += counts.outside_time_range;
        t.without_time += counts.without_time;
        for (rule, n) in &stats.counted_not_alerted {
            *self
                .counted_not_alerted
                .entry(rule.to_string())
                .or_default() += n;
        }
        for ((category, location), n) in &stats.findings_by_category_location {
            *self
                .findings_by_category_location
                .entry(category.to_string())
                .or_default()
                .entry(location.as_str().to_string())
                .or_default() += n;
        }
        for (hour, n) in &counts.events_by_hour {
            *self
                .events_by_hour
                .entry(time::format_millis(*hour))
                .or_default() += n;
        }
        let first = counts.first_ms.map(time::format_millis);
        let last = counts.last_ms.map(time::format_millis);
        if first.is_some() && (self.first_event_time.is_none() || first < self.first_event_time) {
            self.first_event_time = first;
        }
        if last > self.last_event_time {
            self.last_event_time = last;
        }
        for a in alerts {
            self.add_alert(a);
        }
    }

    fn add_alert(&mut self, a: &Alert) {
        self.totals.alerts += 1;
        let bump =
            |m: &mut BTreeMap<String, u64>, k: &str| *m.entry(k.to_string()).or_default() += 1;
        bump(&mut self.alerts_by_rule, a.rule);
        bump(&mut self.alerts_by_severity, a.severity.as_str());
        bump(&mut self.alerts_by_event_type, &a.event.event_type);
        bump(
            &mut self.alerts_by_account,
            a.event.account_sid.as_deref().unwrap_or("(none)"),
        );
        if let Some(ms) = a.event.time.as_deref().and_then(time::parse_millis) {
            let hour = time::format_millis(time::hour_of(ms));
            bump(self.alerts_by_hour.entry(hour).or_default(), a.rule);
        }
        let kept = self.examples.iter().filter(|e| e.rule == a.rule).count();
        if kept < EXAMPLES_PER_RULE {
            self.examples.push(example(a));
        }
    }

    pub fn add_malformed(&mut self, object: &str, line: u64, error: &str) {
        if self.malformed_listed.len() < MALFORMED_LISTED {
            self.malformed_listed.push(MalformedRef {
                object: object.to_string(),
                line,
                error: error.to_string(),
            });
        }
    }
}

fn example(a: &Alert) -> Example {
    Example {
        rule: a.rule.to_string(),
        severity: a.severity.as_str().to_string(),
        event_id: a.event.id.clone(),
        event_type: a.event.event_type.clone(),
        time: a.event.time.clone(),
        account_sid: a.event.account_sid.clone(),
        source: source_text(&a.source),
        findings: a
            .findings
            .iter()
            .map(|f| ExampleFinding {
                field: f.field.clone(),
                category: f.category.to_string(),
                location: f.location.as_str().to_string(),
                masked: f.masked.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect(),
    }
}

/// Where an event was, in one line (`path:line`, `s3://bucket/key:line`, `topic/partition@offset`).
pub fn source_text(s: &crate::alert::SourceRef) -> String {
    use crate::alert::SourceRef::*;
    match s {
        File { path, line, .. } => format!("{path}:{line}"),
        S3 { bucket, key, line } => format!("s3://{bucket}/{key}:{line}"),
        Kafka {
            topic,
            partition,
            offset,
        } => format!("{topic}/{partition}@{offset}"),
        Kinesis {
            stream,
            shard,
            sequence,
        } => format!("{stream}/{shard}@{sequence}"),
        Webhook { request_id } => format!("webhook {request_id}"),
    }
}
