//! Redaction (the redacted forward's payload) over every shipped example and sample event: a
//! redacted event, scanned again, has nothing left to find; its envelope and every field without a
//! finding are unchanged; nested JSON and base64 fields are still JSON and base64.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use phiscan::alert::SourceRef;
use phiscan::config::Config;
use phiscan::detect::Scratch;
use phiscan::event::redact::{Redaction, Style};
use phiscan::event::walk;
use phiscan::scan::{ScanScratch, Scanner, Stats};
use phiscan::source::files::{self, Record};
use serde_json::Value;

/// Every event of examples/ and of the shared samples (when present), with a name for messages.
fn events() -> Vec<(String, Value)> {
    let mut inputs = vec![support::repo_root().join("examples")];
    let samples = support::repo_root().join("../shared/samples/twilio-events");
    if samples.is_dir() {
        inputs.push(samples);
    } else {
        println!(
            "{} not found: only examples/ are redacted",
            samples.display()
        );
    }
    let mut out = Vec::new();
    for input in files::expand(&inputs).expect("inputs exist") {
        let name = input.display();
        let name = name.rsplit('/').next().unwrap_or_default().to_string();
        let reader = files::open(&input, Arc::new(AtomicU64::new(0))).expect("input opens");
        files::read_records(reader, &mut |r| {
            if let Record::Event { event, line, .. } = r {
                out.push((format!("{name}:{line}"), event));
            }
        })
        .expect("input reads");
    }
    assert!(out.len() > 50, "only {} events found", out.len());
    out
}

fn file_source() -> SourceRef {
    SourceRef::File {
        path: "test".into(),
        line: 1,
        index: None,
    }
}

/// A mask (`J*** R**`, `***-**-6789`) or a placeholder (`[name]`), not a value.
fn looks_masked(value: &str) -> bool {
    value.contains('*') || (value.starts_with('[') && value.ends_with(']'))
}

fn findings(stats: &Stats) -> u64 {
    stats.findings_by_category.values().sum()
}

/// `a` and `b` differ only in strings: the same keys, arrays and non-string values.
fn same_shape(a: &Value, b: &Value, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.keys().ne(y.keys()) {
                return Err(format!("{at}: keys differ"));
            }
            x.iter()
                .try_for_each(|(k, v)| same_shape(v, &y[k], &format!("{at}/{k}")))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (v, w))| same_shape(v, w, &format!("{at}/{i}"))),
        (Value::String(_), Value::String(_)) => Ok(()),
        // a detected number becomes a masked string
        (Value::Number(_), Value::String(_)) => Ok(()),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} became {b}")),
    }
}

fn redact_all(style: Style) {
    let config = Config::load_with_env(None, std::iter::empty()).unwrap();
    let scanner = Scanner::new(&config).unwrap();
    let mut scratch = ScanScratch::default();
    let (mut detect, mut found) = (Scratch::default(), Vec::new());
    let (mut redacted_events, mut masked_total, mut failures) = (0, 0, Vec::new());
    for (name, original) in events() {
        let mut before = Stats::default();
        let mut event = original.clone();
        let masked = scanner.scan_and_redact(
            &mut event,
            file_source(),
            &mut scratch,
            &mut before,
            &mut |_| {},
            Redaction {
                style,
                mask_addresses: true,
            },
        );
        masked_total += masked;
        if masked > 0 {
            redacted_events += 1;
        }
        if findings(&before) > 0 && masked == 0 {
            failures.push(format!(
                "{name}: {} findings, none masked",
                findings(&before)
            ));
        }
        // every field, addresses included, through the bare engine: whatever it still finds
        // must be a mask (a masked name after "Dr." is still a name to the engine)
        if let Some(data) = event.get("data") {
            walk::walk_at(data, "data", &mut |field| {
                found.clear();
                scanner
                    .engine
                    .detect_into(field.text, Some(field.key), &mut detect, &mut found);
                for f in &found {
                    let value = &field.text[f.start..f.end];
                    // the initial a masked name keeps ("Dr. O*****"), a URL's scheme and host
                    let kept = field.text[f.end..].starts_with('*')
                        || phiscan::alert::mask(f.category, value) == value;
                    if !looks_masked(value) && !kept {
                        failures.push(format!(
                            "{name}: {:?} `{value}` at {} survived redaction",
                            f.category, field.pointer
                        ));
                    }
                }
            });
        }
        for attr in ["id", "type", "source", "specversion", "time"] {
            if original.get(attr) != event.get(attr) && original.get("data").is_some() {
                failures.push(format!("{name}: envelope `{attr}` changed"));
            }
        }
        let mut normalized = original.clone();
        phiscan::event::normalize(&mut normalized);
        if let Err(e) = same_shape(&normalized, &event, "") {
            failures.push(format!("{name}: {e}"));
        }
    }
    println!("{style:?}: {redacted_events} events redacted, {masked_total} values masked");
    assert!(
        redacted_events > 30,
        "only {redacted_events} events had anything masked"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn category_placeholders_leave_nothing_to_find() {
    redact_all(Style::Category);
}

#[test]
fn masked_previews_leave_nothing_to_find() {
    redact_all(Style::Masked);
}

#[test]
fn nested_payloads_stay_decodable() {
    let path = support::repo_root().join("../shared/samples/twilio-events/constructed__error-logs.error.logged__11200-webhook-params.json");
    if !Path::new(&path).exists() {
        println!("{} not found: nothing to check", path.display());
        return;
    }
    let config = Config::load_with_env(None, std::iter::empty()).unwrap();
    let scanner = Scanner::new(&config).unwrap();
    let mut event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let payload_before = event["data"]["payload"].clone();
    let masked = scanner.scan_and_redact(
        &mut event,
        file_source(),
        &mut ScanScratch::default(),
        &mut Stats::default(),
        &mut |_| {},
        Redaction {
            style: Style::Category,
            mask_addresses: true,
        },
    );
    assert!(masked > 0);
    let payload = event["data"]["payload"]
        .as_str()
        .expect("payload stays a string");
    assert_ne!(Some(payload), payload_before.as_str());
    let nested: Value = serde_json::from_str(payload).expect("payload is still JSON");
    assert!(nested.is_object(), "{nested}");
    assert!(
        payload.contains('['),
        "placeholders inside the payload: {payload}"
    );
}
