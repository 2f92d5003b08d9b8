//! The project's own evaluation on realistic Twilio Event Streams traffic (issue 9, "Your own
//! evaluation"): a deterministic generator (`tests/eval_traffic/`) writes CloudEvents of every
//! event-type family with violations of every policy rule planted the way real applications leak
//! them, among clean traffic that looks like real reminders, codes, marketing and support chats.
//! The events go through the same `Scanner` that `phiscan scan` uses (default configuration plus
//! the HIPAA account designations), and the test scores:
//!
//! * (event, rule) recall per rule and overall: an expected alert is found when the scanner
//!   raised an alert of that rule on that event;
//! * false alerts: clean events (no planted violation) with any alert; alerts of an unexpected
//!   rule on violating events are counted separately;
//! * on SMS-length texts with labelled PHI spans, span recall (a gold span is found when any
//!   finding overlaps it) and the fraction of clean texts with any finding, with the detection
//!   engine alone.
//!
//! The vocabulary is the generator's own (`eval_traffic/vocab.rs`), not the detector files'
//! examples, so the figures measure coverage of what users type. Floors sit a little below the
//! measured values so a regression fails; issue 9's targets are printed beside them.
//!
//! ```text
//! cargo test --test eval_traffic -- --nocapture
//! PHISCAN_EVAL_SEED=7 PHISCAN_EVAL_EVENTS=20000 cargo test --release --test eval_traffic -- --nocapture
//! PHISCAN_EVAL_DUMP=/tmp/evt cargo test --test eval_traffic   # then: phiscan scan /tmp/evt/events.jsonl
//! PHISCAN_EVAL_DETECTORS=detectors cargo test --test eval_traffic   # edited detector files, no rebuild
//! ```

mod support;

#[path = "eval_traffic/events.rs"]
mod events;
#[path = "eval_traffic/report.rs"]
mod report;
#[path = "eval_traffic/rng.rs"]
mod rng;
#[path = "eval_traffic/sms.rs"]
mod sms;
#[path = "eval_traffic/text.rs"]
mod text;
#[path = "eval_traffic/vocab.rs"]
mod vocab;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use phiscan::alert::{Alert, SourceRef};
use phiscan::config::Config;
use phiscan::detect::{DetectorSet, Engine, Scratch};
use phiscan::scan::{ScanScratch, Scanner, Stats};

use events::{Event, Gen, RULES};
use report::{Miss, Outcome};

/// Issue 9's acceptance targets (measured there on a held-out set).
const TARGET_RECALL: f64 = 0.97;
const TARGET_FALSE_ALERTS: f64 = 0.015;
const TARGET_SPAN_RECALL: f64 = 0.92;
const TARGET_CLEAN_FLAGGED: f64 = 0.08;

/// Floors: the values measured on 2026-11-30 (main at 89b7694, default seed and size) minus a
/// small margin, so a change that loses ground fails. Raise them as detection improves.
/// Measured: recall 67.3 % overall; tag 69.5, log 73.2, channel 89.0, outside-US 89.3,
/// non-HIPAA 77.5, attributes 21.0, URL 55.8, credential 51.6 %; false alerts 10.8 %;
/// SMS span recall 70.8 %, clean SMS flagged 23.0 %.
const FLOOR_RECALL: f64 = 0.95;
const FLOOR_RULE_RECALL: &[(&str, f64)] = &[
    ("phi-in-tag", 0.95),
    ("phi-in-log", 0.89),
    ("phi-on-ineligible-channel", 0.95),
    ("phi-outside-us", 0.95),
    ("phi-in-non-hipaa-account", 0.93),
    ("phi-in-attributes", 0.93),
    ("phi-in-url", 0.97),
    ("credential-exposed", 0.98),
];
const CEILING_FALSE_ALERTS: f64 = 0.01;
const FLOOR_SPAN_RECALL: f64 = 0.955;
const CEILING_CLEAN_FLAGGED: f64 = 0.02;

const DEFAULT_SEED: u64 = 20_261_130;
const DEFAULT_EVENTS: usize = 3000;
const VIOLATION_RATE: f64 = 0.4;

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number; unset it or give a number")),
        Err(_) => default,
    }
}

/// Whether the run uses the default seed and size, the ones the floors were measured on.
fn default_run() -> bool {
    std::env::var_os("PHISCAN_EVAL_SEED").is_none()
        && std::env::var_os("PHISCAN_EVAL_EVENTS").is_none()
        && std::env::var_os("PHISCAN_EVAL_DETECTORS").is_none()
}

fn detectors_dir() -> Option<PathBuf> {
    std::env::var_os("PHISCAN_EVAL_DETECTORS").map(PathBuf::from)
}

fn scanner(hipaa_accounts: Vec<String>) -> Scanner {
    let mut config = Config::default();
    config.policy.hipaa_accounts = hipaa_accounts;
    config.detect.detectors_dir = detectors_dir();
    Scanner::new(&config).expect("scanner builds with the default configuration")
}

fn scan_all(scanner: &Scanner, events: &[Event]) -> Vec<Vec<Alert>> {
    let mut scratch = ScanScratch::default();
    let mut stats = Stats::default();
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut alerts = Vec::new();
            let source = SourceRef::File {
                path: "eval-traffic.jsonl".into(),
                line: i as u64 + 1,
                index: None,
            };
            scanner.scan_event(
                e.value.clone(),
                source,
                &mut scratch,
                &mut stats,
                &mut |a| alerts.push(a),
            );
            alerts
        })
        .collect()
}

/// Compare each event's alerts with its expected rules.
fn score(scanner: &Scanner, events: &[Event], alerts: &[Vec<Alert>]) -> Outcome {
    let mut o = Outcome::default();
    for (i, (e, got)) in events.iter().zip(alerts).enumerate() {
        let got_rules: BTreeSet<&str> = got.iter().map(|a| a.rule).collect();
        if e.expect.is_empty() {
            o.clean_events += 1;
            if !got.is_empty() {
                o.false_alert_events += 1;
                for a in got {
                    o.false_alarm(e, a);
                }
            }
            continue;
        }
        o.violating_events += 1;
        for rule in &e.expect {
            let found = got_rules.contains(rule);
            let entry = o.per_rule.entry(*rule).or_default();
            entry.0 += 1;
            entry.1 += usize::from(found);
            let plants: Vec<_> = e.plants.iter().filter(|p| p.rule == *rule).collect();
            // phi-in-non-hipaa-account follows from whichever PHI the event carries
            let kinds: Vec<&str> = if plants.is_empty() {
                vec!["non-hipaa:derived"]
            } else {
                plants.iter().map(|p| p.kind).collect()
            };
            for kind in kinds {
                let k = o.per_kind.entry((*rule, kind)).or_default();
                k.0 += 1;
                k.1 += usize::from(found);
            }
            if !found {
                let plant = plants.first().copied().or_else(|| e.plants.first());
                o.misses.push(Miss {
                    line: i + 1,
                    rule: *rule,
                    event_type: e.value["type"].as_str().unwrap_or("").to_string(),
                    kind: plant.map_or("non-hipaa:derived", |p| p.kind),
                    field: plant.map(|p| p.field.clone()).unwrap_or_default(),
                    text: plant.map(|p| p.text.clone()).unwrap_or_default(),
                    found: plant
                        .map(|p| report::found_in(scanner, p))
                        .unwrap_or_default(),
                });
            }
        }
        for a in got.iter().filter(|a| !e.expect.contains(a.rule)) {
            o.unexpected(e, a);
        }
    }
    o
}

#[test]
fn traffic_recall_and_false_alerts() {
    let seed = env_num("PHISCAN_EVAL_SEED", DEFAULT_SEED);
    let n = env_num("PHISCAN_EVAL_EVENTS", DEFAULT_EVENTS);
    let mut generator = Gen::new(seed);
    let events = generator.generate(n, VIOLATION_RATE);
    let scanner = scanner(generator.hipaa_sids());
    if let Some(dir) = std::env::var_os("PHISCAN_EVAL_DUMP") {
        report::dump(&PathBuf::from(dir), &events, &generator);
    }
    let started = Instant::now();
    let alerts = scan_all(&scanner, &events);
    let elapsed = started.elapsed();
    let o = score(&scanner, &events, &alerts);
    println!(
        "eval_traffic: seed {seed}, {n} events ({} with violations, {} clean), scanned in {:.2}s",
        o.violating_events,
        o.clean_events,
        elapsed.as_secs_f64()
    );
    print!("{}", o.render(&events));

    let recall = o.recall();
    let fa = o.false_alert_rate();
    if !default_run() {
        println!("(not the default seed/size/detectors: floors are not asserted)");
        return;
    }
    assert!(
        recall >= FLOOR_RECALL,
        "(event, rule) recall {recall:.3} fell below its floor {FLOOR_RECALL}"
    );
    for (rule, floor) in FLOOR_RULE_RECALL {
        let r = o.rule_recall(rule);
        assert!(
            r >= *floor,
            "{rule} recall {r:.3} fell below its floor {floor}"
        );
    }
    assert!(
        fa <= CEILING_FALSE_ALERTS,
        "false-alert rate {fa:.4} rose above its ceiling {CEILING_FALSE_ALERTS}"
    );
}

#[test]
fn sms_span_recall_and_clean_flags() {
    let seed = env_num("PHISCAN_EVAL_SEED", DEFAULT_SEED);
    let mut r = rng::Rng::new(seed ^ 0x5353);
    let labelled: Vec<text::Text> = (0..800).map(|_| sms::labelled(&mut r)).collect();
    let clean: Vec<String> = (0..500).map(|_| sms::clean(&mut r)).collect();
    let set = match detectors_dir() {
        Some(dir) => DetectorSet::from_dir(&dir).expect("detectors folder loads"),
        None => DetectorSet::embedded().expect("embedded detectors load"),
    };
    let engine = Engine::new(&set).expect("detectors compile");
    if let Some(dir) = std::env::var_os("PHISCAN_EVAL_DUMP") {
        report::dump_sms(&PathBuf::from(dir), &labelled, &clean);
    }
    let s = report::sms_scores(&engine, &labelled, &clean, &mut Scratch::default());
    print!("{}", s.render());
    let (recall, flagged) = (s.recall(), s.clean_flagged());
    if !default_run() {
        println!("(not the default seed/detectors: floors are not asserted)");
        return;
    }
    assert!(
        recall >= FLOOR_SPAN_RECALL,
        "SMS span recall {recall:.3} fell below its floor {FLOOR_SPAN_RECALL}"
    );
    assert!(
        flagged <= CEILING_CLEAN_FLAGGED,
        "clean SMS flagged {flagged:.3} rose above its ceiling {CEILING_CLEAN_FLAGGED}"
    );
}

/// The generator itself: deterministic, every family and every rule present, SIDs of the right
/// shape, and every planted rule one that policy.md defines.
#[test]
fn generator_covers_every_family_and_rule() {
    let a = Gen::new(1).generate(1500, VIOLATION_RATE);
    let b = Gen::new(1).generate(1500, VIOLATION_RATE);
    assert!(
        a.iter()
            .zip(&b)
            .all(|(x, y)| x.value == y.value && x.expect == y.expect),
        "the same seed must generate the same traffic"
    );
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    let mut families: BTreeSet<&str> = BTreeSet::new();
    let mut types: BTreeSet<String> = BTreeSet::new();
    for e in &a {
        families.insert(e.family);
        types.insert(e.value["type"].as_str().unwrap().to_string());
        for r in &e.expect {
            assert!(RULES.contains(r), "unknown rule {r}");
            *rules.entry(r).or_default() += 1;
        }
        let id = e.value["id"].as_str().unwrap();
        assert!(
            id.len() == 34 && id[2..].bytes().all(|b| b.is_ascii_hexdigit()),
            "bad event id {id}"
        );
    }
    for r in RULES {
        assert!(
            rules.get(r).copied().unwrap_or(0) >= 10,
            "rule {r} planted only {:?} times",
            rules.get(r)
        );
    }
    assert_eq!(families.len(), 12, "families: {families:?}");
    assert!(types.len() >= 45, "only {} event types", types.len());
    let clean_kinds: BTreeSet<&str> = a
        .iter()
        .filter(|e| e.expect.is_empty())
        .map(|e| e.family)
        .collect();
    assert_eq!(
        clean_kinds.len(),
        12,
        "every family has clean events: {clean_kinds:?}"
    );
}
