//! One event in, its alerts out: the walk, detection on every field, allow-lists, policy, and
//! the alert documents with masked values. Every source (files, Kafka, webhook) calls this.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use crate::alert::{self, Alert, AlertFinding, Fingerprinter, Severity, SourceRef};
use crate::config::{AllowConfig, Config};
use crate::detect::{Category, Engine, Finding, RuleSet, Scratch};
use crate::event::redact::{self, Mark};
use crate::event::{self, EventRef, Location, classify};
use crate::policy::{AreaCodes, EventFacts, Policy, Seen};

/// The event type of Twilio's sink test event: never scanned.
pub const TEST_EVENT_TYPE: &str = "com.twilio.eventstreams.test-event";

pub struct Scanner {
    pub engine: Engine,
    policy: Policy,
    area_codes: AreaCodes,
    allow: Allow,
    fingerprinter: Fingerprinter,
    /// Whether the fingerprint key was configured (false: random per run).
    pub keyed: bool,
}

struct Allow {
    config: AllowConfig,
    /// Rule indexes whose findings are dropped (allow-listed or disabled detectors).
    rules: Vec<bool>,
}

/// What a scan counted, for the closing summary and metrics. Never holds values.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub events: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub skipped_test_events: u64,
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
    pub alerts_by_severity: BTreeMap<Severity, u64>,
    pub alerts_by_event_type: BTreeMap<String, u64>,
    /// Informational violations (phi-in-content) that were counted, not alerted.
    pub counted_not_alerted: BTreeMap<&'static str, u64>,
    pub findings_by_category: BTreeMap<Category, u64>,
    pub findings_by_location: BTreeMap<Location, u64>,
    pub findings_by_category_location: BTreeMap<(Category, Location), u64>,
    /// Every violation, alerted or only counted.
    pub violations: BTreeMap<(&'static str, Severity), u64>,
}

impl Stats {
    pub fn alerts(&self) -> u64 {
        self.alerts_by_rule.values().sum()
    }

    pub fn merge(&mut self, other: &Stats) {
        self.events += other.events;
        self.bytes += other.bytes;
        self.malformed += other.malformed;
        self.skipped_test_events += other.skipped_test_events;
        fn add<K: Ord + Clone>(a: &mut BTreeMap<K, u64>, b: &BTreeMap<K, u64>) {
            for (k, v) in b {
                *a.entry(k.clone()).or_default() += v;
            }
        }
        add(&mut self.alerts_by_rule, &other.alerts_by_rule);
        add(&mut self.alerts_by_severity, &other.alerts_by_severity);
        add(&mut self.alerts_by_event_type, &other.alerts_by_event_type);
        add(&mut self.counted_not_alerted, &other.counted_not_alerted);
        add(&mut self.findings_by_category, &other.findings_by_category);
        add(&mut self.findings_by_location, &other.findings_by_location);
        add(
            &mut self.findings_by_category_location,
            &other.findings_by_category_location,
        );
        add(&mut self.violations, &other.violations);
    }
}

/// One finding with everything an alert needs, computed while the raw text is at hand.
/// The raw value is held only in memory, until the alert is built: masking and the HMAC run
/// only for findings that end up in an alert.
struct Located {
    field: String,
    location: Location,
    finding: Finding,
    value: String,
}

/// Reusable buffers for `scan_event`.
#[derive(Default)]
pub struct ScanScratch {
    detect: Scratch,
    findings: Vec<Finding>,
    marks: Vec<Mark>,
}

/// Where the scan records what to mask, when the caller redacts.
struct MarkOptions<'a> {
    marks: &'a mut Vec<Mark>,
    mask_addresses: bool,
}

impl Scanner {
    pub fn new(config: &Config) -> Result<Scanner> {
        let rules = match &config.detect.detectors_dir {
            Some(dir) => RuleSet::from_dir(dir)?,
            None => RuleSet::embedded()?,
        };
        for id in config.detect.disabled.iter().chain(&config.allow.detectors) {
            if !rules.rules.iter().any(|r| &r.id == id) {
                anyhow::bail!(
                    "unknown detector `{id}` in config; `phiscan rules list` shows the ids"
                );
            }
        }
        let engine = Engine::with_threshold(&rules, config.detect.threshold)?;
        let area_codes = AreaCodes::new(
            rules.data_file("vocab/nanp-area-codes.toml"),
            &config.policy.us_area_codes,
            &config.policy.non_us_area_codes,
        )?;
        let off: Vec<bool> = engine
            .rules()
            .iter()
            .map(|r| {
                config
                    .detect
                    .disabled
                    .iter()
                    .chain(&config.allow.detectors)
                    .any(|d| d == r.id())
            })
            .collect();
        let key = config.fingerprint_key();
        Ok(Scanner {
            engine,
            policy: Policy::new(config.policy.clone()),
            area_codes,
            allow: Allow {
                config: config.allow.clone(),
                rules: off,
            },
            keyed: key.is_some(),
            fingerprinter: key
                .map(|k| Fingerprinter::new(&k))
                .unwrap_or_else(Fingerprinter::random),
        })
    }

    /// Scan one CloudEvent; alerts go to `emit`, counts to `stats`.
    pub fn scan_event(
        &self,
        mut event: Value,
        source: SourceRef,
        scratch: &mut ScanScratch,
        stats: &mut Stats,
        emit: &mut dyn FnMut(Alert),
    ) {
        self.scan(&mut event, source, scratch, stats, emit, None);
    }

    /// As `scan_event`, then masks every detected value in `event` itself (and, with
    /// `mask_addresses`, every participant address), for the redacted forward. Returns how many
    /// values were masked.
    pub fn scan_and_redact(
        &self,
        event: &mut Value,
        source: SourceRef,
        scratch: &mut ScanScratch,
        stats: &mut Stats,
        emit: &mut dyn FnMut(Alert),
        redaction: redact::Redaction,
    ) -> usize {
        let redact::Redaction {
            style,
            mask_addresses,
        } = redaction;
        let mut marks = std::mem::take(&mut scratch.marks);
        marks.clear();
        self.scan(
            event,
            source,
            scratch,
            stats,
            emit,
            Some(MarkOptions {
                marks: &mut marks,
                mask_addresses,
            }),
        );
        let n = redact::apply(event, &marks, style);
        scratch.marks = marks;
        n
    }

    fn scan(
        &self,
        event: &mut Value,
        source: SourceRef,
        scratch: &mut ScanScratch,
        stats: &mut Stats,
        emit: &mut dyn FnMut(Alert),
        mut marking: Option<MarkOptions>,
    ) {
        event::normalize(event);
        let evref = EventRef::of(event);
        stats.events += 1;
        if evref.event_type == TEST_EVENT_TYPE {
            stats.skipped_test_events += 1;
            return;
        }
        if self
            .allow
            .config
            .event_types
            .iter()
            .any(|t| type_matches(t, &evref.event_type))
        {
            return;
        }
        let Some(data) = event.get("data") else {
            return;
        };
        let channel = classify::channel(&evref.event_type, data);
        let mut parties = Vec::new();
        classify::visit_addresses(data, &mut |_, v| parties.push(self.area_codes.classify(v)));

        let mut located: Vec<Located> = Vec::new();
        let event_type = evref.event_type.as_str();
        event::walk::walk_at(data, "data", &mut |field| {
            let location = classify::location(event_type, field.segments);
            if location == Location::Address {
                if let Some(m) = marking.as_mut().filter(|m| m.mask_addresses) {
                    let category = if field.text.contains('@') {
                        Category::Email
                    } else {
                        Category::Phone
                    };
                    m.marks.push(Mark {
                        pointer: field.pointer.to_string(),
                        start: 0,
                        end: field.text.len(),
                        category,
                    });
                }
                return;
            }
            if skip_quickly(field.text) {
                return;
            }
            if self.field_allowed(field.pointer) {
                return;
            }
            scratch.findings.clear();
            self.engine.detect_into(
                field.text,
                Some(field.key),
                &mut scratch.detect,
                &mut scratch.findings,
            );
            // a link in a message body is still a URL: what sits inside it is PHI in a URL
            let urls: Vec<(usize, usize)> =
                if matches!(location, Location::Content | Location::Metadata) {
                    scratch
                        .findings
                        .iter()
                        .filter(|f| f.category == Category::Url)
                        .map(|f| (f.start, f.end))
                        .collect()
                } else {
                    Vec::new()
                };
            for f in &scratch.findings {
                if self.allow.rules[f.rule as usize] {
                    continue;
                }
                let in_url = f.category != Category::Url
                    && urls.iter().any(|&(s, e)| s <= f.start && f.end <= e);
                let location = if in_url { Location::Url } else { location };
                let value = &field.text[f.start..f.end];
                if self.allow.config.values.iter().any(|v| v == value) {
                    continue;
                }
                if !self.allow.config.fingerprints.is_empty()
                    && self
                        .allow
                        .config
                        .fingerprints
                        .contains(&self.fingerprinter.fingerprint(f.category, value))
                {
                    continue;
                }
                if let Some(m) = marking.as_mut() {
                    m.marks.push(Mark {
                        pointer: field.pointer.to_string(),
                        start: f.start,
                        end: f.end,
                        category: f.category,
                    });
                }
                located.push(Located {
                    field: field.pointer.to_string(),
                    location,
                    finding: *f,
                    value: value.to_string(),
                });
            }
        });

        for l in &located {
            *stats
                .findings_by_category
                .entry(l.finding.category)
                .or_default() += 1;
            *stats.findings_by_location.entry(l.location).or_default() += 1;
            *stats
                .findings_by_category_location
                .entry((l.finding.category, l.location))
                .or_default() += 1;
        }
        if located.is_empty() {
            return;
        }
        let seen: Vec<Seen> = located
            .iter()
            .map(|l| Seen {
                location: l.location,
                category: l.finding.category,
                strong: self.engine.rule(l.finding.rule).spec.strong,
            })
            .collect();
        let facts = EventFacts {
            event_type: &evref.event_type,
            account_sid: evref.account_sid.as_deref(),
            channel,
            parties: &parties,
        };
        for v in self.policy.evaluate(&facts, &seen) {
            *stats.violations.entry((v.rule, v.severity)).or_default() += 1;
            if !v.alert {
                *stats.counted_not_alerted.entry(v.rule).or_default() += 1;
                continue;
            }
            *stats.alerts_by_rule.entry(v.rule).or_default() += 1;
            *stats.alerts_by_severity.entry(v.severity).or_default() += 1;
            *stats
                .alerts_by_event_type
                .entry(evref.event_type.clone())
                .or_default() += 1;
            let findings = v
                .findings
                .iter()
                .map(|&i| {
                    let l = &located[i];
                    AlertFinding {
                        field: l.field.clone(),
                        location: l.location,
                        category: l.finding.category,
                        detector: self.engine.rule(l.finding.rule).id().to_string(),
                        span: [l.finding.start, l.finding.end],
                        confidence: (l.finding.confidence * 100.0).round() / 100.0,
                        masked: alert::mask(l.finding.category, &l.value),
                        fingerprint: self.fingerprinter.fingerprint(l.finding.category, &l.value),
                    }
                })
                .collect();
            emit(Alert {
                schema: alert::SCHEMA,
                alert_id: alert::alert_id(&evref.id, v.rule, &source),
                rule: v.rule,
                severity: v.severity,
                event: evref.clone(),
                channel,
                findings,
                source: source.clone(),
                note: Some(v.note),
                findings_omitted: None,
            });
        }
    }

    fn field_allowed(&self, pointer: &str) -> bool {
        self.allow
            .config
            .fields
            .iter()
            .any(|pat| pointer_matches(pat, pointer))
    }
}

fn type_matches(pattern: &str, event_type: &str) -> bool {
    if pattern.ends_with('.') {
        event_type.starts_with(pattern)
    } else {
        pattern == event_type
    }
}

/// `*` matches one segment; a trailing `/**` matches everything below.
pub fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let mut pat = pattern.split('/');
    let mut ptr = pointer.split('/');
    loop {
        match (pat.next(), ptr.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Strings that cannot hold PHI and are common enough to be worth not scanning: Twilio SIDs and
/// machine timestamps (every event has several). Short values are scanned: `{"age": "93"}` in a
/// tag is PHI.
fn skip_quickly(text: &str) -> bool {
    let b = text.as_bytes();
    (b.len() == 34 && event::is_sid(text))
        || (b.len() >= 20
            && b.len() <= 30
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[..4].iter().all(u8::is_ascii_digit)
            && text.bytes().all(|c| {
                c.is_ascii_digit() || matches!(c, b'-' | b':' | b'.' | b'T' | b'Z' | b'+')
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_patterns() {
        assert!(pointer_matches(
            "/data/tags/campaign",
            "/data/tags/campaign"
        ));
        assert!(pointer_matches("/data/tags/*", "/data/tags/campaign"));
        assert!(!pointer_matches("/data/tags/*", "/data/tags/a/b"));
        assert!(pointer_matches("/data/payload/**", "/data/payload/a/b"));
        assert!(!pointer_matches("/data/tags", "/data/tags/campaign"));
    }

    #[test]
    fn quick_skips_only_sids_and_timestamps() {
        assert!(skip_quickly("SM0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
        assert!(skip_quickly("2026-05-01T14:03:11.512Z"));
        assert!(!skip_quickly("DOB 1958-03-02 and more"));
        assert!(!skip_quickly("I'm out of my lisinopril 10mg"));
    }
}
