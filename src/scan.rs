//! One event in, its alerts out: the walk, detection on every field, allow-lists, policy, and
//! the alert documents with masked values. Every source (files, Kafka, webhook) calls this.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use crate::alert::{self, Alert, AlertFinding, Fingerprinter, Severity, SourceRef};
use crate::config::Config;
use crate::detect::{Category, DetectorSet, Engine, Finding, Scratch};
use crate::event::redact::{self, Mark, Span};
use crate::event::walk::{Field, Visit};
use crate::event::{self, EventRef, Location, classify};
use crate::policy::allow::{self, AllowList};
use crate::policy::{AreaCodes, EventFacts, Policy, Seen};

/// Pointer patterns as `[allow] fields` reads them (kept on this path for callers).
pub use crate::policy::allow::pointer_matches;

/// The event type of Twilio's sink test event: its genuine form is never scanned
/// (`event::is_genuine_test_event`).
pub use crate::event::TEST_EVENT_TYPE;

pub struct Scanner {
    pub engine: Engine,
    policy: Policy,
    area_codes: AreaCodes,
    allow: AllowList,
    fingerprinter: Fingerprinter,
    /// Whether the fingerprint key was configured (false: random per run).
    pub keyed: bool,
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
    in_key: bool,
}

/// Clean texts remembered per worker, and the longest text remembered.
const CLEAN_TEXTS: usize = 4096;
const CLEAN_TEXT_MAX_LEN: usize = 512;

/// Texts found clean (no finding at all), per worker, the least recently seen dropped first:
/// values with the key detection saw them under, and object keys. Why: Twilio events repeat
/// their keys (events of one type share them) and their values (statuses, API versions,
/// country codes, callback URLs, error texts, templated bodies): in the blind set's events
/// three strings in four that reached detection were an exact repeat of a (key, value) pair
/// seen before. Detection is a function of the text and its context key and nothing else, so
/// a pair once found clean is clean again; only clean pairs are kept, so a hit skips nothing
/// that could have been reported. At most `CLEAN_TEXTS` texts of up to `CLEAN_TEXT_MAX_LEN`
/// bytes: a few MB per worker at worst.
struct CleanTexts {
    /// By the hash of (context key, text); the pair itself is kept to confirm a hit.
    seen: lru::LruCache<u64, (Option<Box<str>>, Box<str>)>,
    hasher: foldhash::fast::RandomState,
}

impl Default for CleanTexts {
    fn default() -> Self {
        let cap = std::num::NonZeroUsize::new(CLEAN_TEXTS).expect("nonzero");
        CleanTexts {
            seen: lru::LruCache::new(cap),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

impl CleanTexts {
    /// Whether `text`, detected with the context key `key` (`None` for an object key), was
    /// found clean before.
    fn contains(&mut self, key: Option<&str>, text: &str) -> bool {
        use std::hash::BuildHasher;
        if text.len() > CLEAN_TEXT_MAX_LEN {
            return false;
        }
        let h = self.hasher.hash_one((key, text));
        matches!(self.seen.get(&h), Some((k, t)) if k.as_deref() == key && **t == *text)
    }

    /// `text` under `key` was found clean.
    fn remember(&mut self, key: Option<&str>, text: &str) {
        use std::hash::BuildHasher;
        if text.len() <= CLEAN_TEXT_MAX_LEN {
            let h = self.hasher.hash_one((key, text));
            self.seen.put(h, (key.map(Into::into), text.into()));
        }
    }
}

/// Reusable buffers for `scan_event`.
#[derive(Default)]
pub struct ScanScratch {
    /// The key detection sees (see `detection_key`).
    key: String,
    detect: Scratch,
    findings: Vec<Finding>,
    marks: Vec<Mark>,
    clean: CleanTexts,
}

/// Where the scan records what to mask, when the caller redacts.
struct MarkOptions<'a> {
    marks: &'a mut Vec<Mark>,
    mask_addresses: bool,
}

/// The walk's visitor: detection on every value and every key of one event.
struct EventVisit<'a, 'm> {
    scanner: &'a Scanner,
    event_type: &'a str,
    detect: &'a mut Scratch,
    findings: &'a mut Vec<Finding>,
    clean: &'a mut CleanTexts,
    key_buf: &'a mut String,
    marking: Option<MarkOptions<'m>>,
    located: Vec<Located>,
    /// Findings in the key just reported, until the walk says its (masked) member pointer.
    pending: Vec<Located>,
}

impl Visit for EventVisit<'_, '_> {
    fn text(&mut self, field: &Field) {
        let mut location = classify::location(self.event_type, field.segments);
        if location == Location::Attributes && classify::is_routing_copy(field.key, field.text) {
            location = Location::Address;
        }
        if location == Location::Address {
            if let Some(m) = self.marking.as_mut().filter(|m| m.mask_addresses) {
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
                    key: None,
                });
            }
            return;
        }
        if skip_quickly(field.text) || self.scanner.field_allowed(field.pointer) {
            return;
        }
        if let [attr] = field.segments
            && event::envelope_shape_ok(attr, field.text)
        {
            return;
        }
        self.findings.clear();
        let s = self.scanner;
        let key = detection_key(field.key, field.segments, self.key_buf);
        if self.clean.contains(Some(key), field.text) {
            return;
        }
        s.engine
            .detect_into(field.text, Some(key), self.detect, self.findings);
        if self.findings.is_empty() {
            self.clean.remember(Some(key), field.text);
            return;
        }
        // a link in a message body is still a URL: what sits inside it is PHI in a URL
        let urls: &[(usize, usize)] = if matches!(location, Location::Content | Location::Metadata)
        {
            s.engine.structure(self.detect)
        } else {
            &[]
        };
        for f in self.findings.iter() {
            let value = &field.text[f.start..f.end];
            if !s.accept(f, value) {
                continue;
            }
            let in_url = f.category != Category::Url
                && urls.iter().any(|&(a, e)| a <= f.start && f.end <= e);
            if let Some(m) = self.marking.as_mut() {
                m.marks.push(Mark {
                    pointer: field.pointer.to_string(),
                    start: f.start,
                    end: f.end,
                    category: f.category,
                    key: None,
                });
            }
            self.located.push(Located {
                field: field.pointer.to_string(),
                location: if in_url { Location::Url } else { location },
                finding: *f,
                value: value.to_string(),
                in_key: false,
            });
        }
    }

    /// Keys are text: detected like values (without a context key: the key is its own
    /// context), so a key holding a value is a finding and its segment is masked everywhere.
    fn key(&mut self, field: &Field) -> Vec<Span> {
        let key = field.text;
        if self.clean.contains(None, key) || skip_quickly(key) {
            return Vec::new();
        }
        let mut member = field.pointer.to_string();
        event::walk::push_segment(&mut member, key);
        if self.scanner.field_allowed(&member) {
            return Vec::new();
        }
        self.findings.clear();
        let s = self.scanner;
        s.engine.detect_into(key, None, self.detect, self.findings);
        if self.findings.is_empty() {
            self.clean.remember(None, key);
            return Vec::new();
        }
        let location = classify::location(self.event_type, field.segments);
        let mut spans = Vec::new();
        for f in self.findings.iter() {
            let value = &key[f.start..f.end];
            if !s.accept(f, value) {
                continue;
            }
            spans.push((f.start, f.end, f.category));
            if let Some(m) = self.marking.as_mut() {
                m.marks.push(Mark {
                    pointer: field.pointer.to_string(),
                    start: f.start,
                    end: f.end,
                    category: f.category,
                    key: Some(key.to_string()),
                });
            }
            self.pending.push(Located {
                field: String::new(),
                location,
                finding: *f,
                value: value.to_string(),
                in_key: true,
            });
        }
        spans
    }

    fn key_masked(&mut self, member: &str) {
        for mut l in self.pending.drain(..) {
            l.field = member.to_string();
            self.located.push(l);
        }
    }
}

impl Scanner {
    pub fn new(config: &Config) -> Result<Scanner> {
        let rules = match &config.detect.detectors_dir {
            Some(dir) => DetectorSet::from_dir(dir)?,
            None => DetectorSet::embedded()?,
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
        let off: Vec<&String> = config
            .detect
            .disabled
            .iter()
            .chain(&config.allow.detectors)
            .collect();
        let a = &config.allow;
        let allow = AllowList::new(
            &a.values,
            &a.fingerprints,
            &a.fields,
            &a.event_types,
            allow::detectors_off(engine.detectors().iter().map(|r| r.id()), &off),
        );
        let key = config.fingerprint_key();
        Ok(Scanner {
            engine,
            policy: Policy::new(config.policy.clone()),
            area_codes,
            allow,
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

    /// As `scan_event`, then masks every detected value in `event` itself, object keys included
    /// (and, with `mask_addresses`, every participant address), for the redacted forward.
    /// Returns how many values were masked.
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

    /// A Kafka record key (or any other text that travels beside an event) as it may be
    /// forwarded: detected like a field, every finding masked in `style`. A key that is not
    /// UTF-8 and holds a finding in its lossy text is replaced whole by a keyed fingerprint
    /// (stable, so records of one key stay on one partition). Returns the key and how many
    /// values were masked.
    pub fn redact_record_key(
        &self,
        key: &[u8],
        style: redact::Style,
        scratch: &mut ScanScratch,
    ) -> (Vec<u8>, usize) {
        let text = String::from_utf8_lossy(key);
        scratch.findings.clear();
        if !skip_quickly(&text) {
            self.engine
                .detect_into(&text, None, &mut scratch.detect, &mut scratch.findings);
        }
        let spans: Vec<Span> = scratch
            .findings
            .iter()
            .filter(|f| self.accept(f, &text[f.start..f.end]))
            .map(|f| (f.start, f.end, f.category))
            .collect();
        if spans.is_empty() {
            return (key.to_vec(), 0);
        }
        if matches!(text, std::borrow::Cow::Owned(_)) {
            let fp = self.fingerprinter.fingerprint(Category::OtherId, &text);
            return (format!("key-{fp}").into_bytes(), 1);
        }
        let n = spans.len();
        (redact::mask_spans(&text, &spans, style).into_bytes(), n)
    }

    /// Whether a finding counts: its detector is not switched off and the value is not
    /// allow-listed (by value or by fingerprint).
    fn accept(&self, f: &Finding, value: &str) -> bool {
        !self.allow.allows_finding(f, value, &self.fingerprinter)
    }

    fn scan(
        &self,
        event: &mut Value,
        source: SourceRef,
        scratch: &mut ScanScratch,
        stats: &mut Stats,
        emit: &mut dyn FnMut(Alert),
        marking: Option<MarkOptions>,
    ) {
        event::normalize(event);
        // in memory only: an alert gets `for_alert` below
        let raw = EventRef::of(event);
        stats.events += 1;
        if event::is_genuine_test_event(event) {
            stats.skipped_test_events += 1;
            return;
        }
        if self.allow.allows_event_type(&raw.event_type) {
            return;
        }
        let null = Value::Null;
        let data = event.get("data").unwrap_or(&null);
        let addresses = classify::addresses(data);
        let channel = classify::channel_of(&raw.event_type, data, &addresses);
        let parties: Vec<_> = addresses
            .iter()
            .map(|&(_, v)| self.area_codes.classify(v))
            .collect();

        let mut visit = EventVisit {
            scanner: self,
            event_type: &raw.event_type,
            detect: &mut scratch.detect,
            findings: &mut scratch.findings,
            clean: &mut scratch.clean,
            key_buf: &mut scratch.key,
            marking,
            located: Vec::new(),
            pending: Vec::new(),
        };
        event::walk::walk_visit(event, &mut visit);
        let located = visit.located;
        let evref = raw.for_alert(&|pointer| !located.iter().any(|l| l.field == pointer));
        self.report(
            &evref, &raw, channel, &parties, &located, source, stats, emit,
        );
    }

    /// Counts the findings, evaluates the policy and emits the alerts of one event.
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        evref: &EventRef,
        raw: &EventRef,
        channel: event::Channel,
        parties: &[crate::policy::Geo],
        located: &[Located],
        source: SourceRef,
        stats: &mut Stats,
        emit: &mut dyn FnMut(Alert),
    ) {
        count_findings(located, stats);
        if located.is_empty() {
            return;
        }
        let seen: Vec<Seen> = located
            .iter()
            .map(|l| {
                let mut seen = Seen::new(
                    l.location,
                    l.finding.category,
                    self.engine.detector(l.finding.detector).spec.strong,
                    l.finding.confidence,
                );
                // a worker's own name and email describe the agent, not a patient. Code, not
                // detector data: it turns on the field's pointer, which detectors never see, and
                // must keep the location (phi-in-attributes still applies to strong identifiers)
                if l.field.contains("/worker_attributes/") && !seen.strong {
                    seen.tied = false;
                }
                seen
            })
            .collect();
        let facts = EventFacts {
            event_type: &raw.event_type,
            account_sid: raw.account_sid.as_deref(),
            channel,
            parties,
        };
        for v in self.policy.evaluate(&facts, &seen) {
            let rule = v.policy_rule;
            *stats.violations.entry((rule, v.severity)).or_default() += 1;
            if !v.alert {
                *stats.counted_not_alerted.entry(rule).or_default() += 1;
                continue;
            }
            *stats.alerts_by_rule.entry(rule).or_default() += 1;
            *stats.alerts_by_severity.entry(v.severity).or_default() += 1;
            *stats
                .alerts_by_event_type
                .entry(evref.event_type.clone())
                .or_default() += 1;
            let findings = v
                .findings
                .iter()
                .map(|&i| self.alert_finding(&located[i]))
                .collect();
            emit(Alert {
                schema: alert::SCHEMA,
                alert_id: alert::alert_id(evref.id_for_alert_id(), rule, &source),
                rule,
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

    fn alert_finding(&self, l: &Located) -> AlertFinding {
        AlertFinding {
            field: l.field.clone(),
            location: l.location,
            category: l.finding.category,
            detector: self.engine.detector(l.finding.detector).id().to_string(),
            span: [l.finding.start, l.finding.end],
            confidence: (l.finding.confidence * 100.0).round() / 100.0,
            masked: alert::mask(l.finding.category, &l.value),
            fingerprint: self.fingerprinter.fingerprint(l.finding.category, &l.value),
            in_key: l.in_key,
        }
    }

    fn field_allowed(&self, pointer: &str) -> bool {
        self.allow.allows_field(pointer)
    }
}

/// Keys that say little on their own (`name`, `id`, `value`): the parent object's key says
/// whose (`customers/name`, `patient/id`), so detection sees both (`customers name`).
const GENERIC_KEYS: &[&str] = &[
    "name", "first", "last", "full", "given", "family", "id", "number", "no", "value", "email",
    "phone", "dob", "date", "code", "type",
];

/// The key a field's text is scanned with: its own, or `parent key` when its own is generic.
fn detection_key<'a>(key: &'a str, segments: &[String], buf: &'a mut String) -> &'a str {
    if !GENERIC_KEYS.iter().any(|g| key.eq_ignore_ascii_case(g)) {
        return key;
    }
    let parent = segments
        .iter()
        .rev()
        .skip_while(|s| s.as_str() != key)
        .skip(1)
        .find(|s| !s.bytes().all(|b| b.is_ascii_digit()));
    match parent {
        Some(p) if p != "data" => {
            buf.clear();
            buf.push_str(p);
            buf.push(' ');
            buf.push_str(key);
            buf
        }
        _ => key,
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

/// Findings per category, per location and per both, for the scan summary.
fn count_findings(located: &[Located], stats: &mut Stats) {
    for l in located {
        let (category, location) = (l.finding.category, l.location);
        *stats.findings_by_category.entry(category).or_default() += 1;
        *stats.findings_by_location.entry(location).or_default() += 1;
        *stats
            .findings_by_category_location
            .entry((category, location))
            .or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_keys_borrow_their_parent() {
        let segs = |p: &str| p.split('/').map(String::from).collect::<Vec<_>>();
        let mut buf = String::new();
        assert_eq!(
            detection_key("name", &segs("data/payload/customers/0/name"), &mut buf),
            "customers name"
        );
        assert_eq!(detection_key("body", &segs("data/body"), &mut buf), "body");
        assert_eq!(detection_key("name", &segs("data/name"), &mut buf), "name");
    }

    #[test]
    fn a_clean_text_is_remembered_with_its_context_key() {
        let mut c = CleanTexts::default();
        c.remember(Some("batch"), "2026-03-02");
        assert!(c.contains(Some("batch"), "2026-03-02"));
        assert!(!c.contains(Some("dob"), "2026-03-02"));
        assert!(!c.contains(None, "2026-03-02"));
        c.remember(None, "campaign");
        assert!(c.contains(None, "campaign"));
        assert!(!c.contains(Some(""), "campaign"));
        let long = "x".repeat(CLEAN_TEXT_MAX_LEN + 1);
        c.remember(None, &long);
        assert!(!c.contains(None, &long));
    }

    /// A value found clean under one key is still found under a key that makes it PHI, and
    /// the same event scanned again (its values now remembered clean) alerts the same.
    #[test]
    fn remembered_clean_values_hide_nothing() {
        let scanner = crate::test_fixtures::default_scanner();
        let mut scratch = ScanScratch::default();
        let mut scan = |tags: serde_json::Value| {
            let mut event = crate::test_fixtures::mrn_tag_event("EZ1", "MRN-31000417");
            event["data"]["tags"] = tags;
            let source = crate::alert::SourceRef::File {
                path: "t".into(),
                line: 1,
                index: None,
            };
            let mut fields = Vec::new();
            scanner.scan_event(event, source, &mut scratch, &mut Stats::default(), &mut |a| {
                fields.extend(a.findings.iter().map(|f| f.field.clone()))
            });
            fields
        };
        let clean = serde_json::json!({"batch": "2026-03-02", "campaign": "reminders"});
        assert!(scan(clean.clone()).is_empty());
        assert!(scan(clean).is_empty());
        let dob = serde_json::json!({"dob": "2026-03-02", "campaign": "reminders"});
        assert_eq!(scan(dob.clone()), ["/data/tags/dob"]);
        assert_eq!(scan(dob), ["/data/tags/dob"]);
    }

    #[test]
    fn quick_skips_only_sids_and_timestamps() {
        assert!(skip_quickly("SM0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
        assert!(skip_quickly("2026-05-01T14:03:11.512Z"));
        assert!(!skip_quickly("DOB 1958-03-02 and more"));
        assert!(!skip_quickly("I'm out of my lisinopril 10mg"));
    }
}
