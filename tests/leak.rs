//! No raw value in any output, without services: the scanner over adversarial events
//! (`support::planted::adversarial`: values planted in object keys, envelope attributes, extension
//! attributes, `data_base64`, base64 inside base64, events merely typed as the test event, a
//! credential ending inside a multibyte character, Kafka record keys). Every byte written (alert
//! JSON, the redacted event, the forwarded record key, and for `phiscan scan` stdout, the
//! summary on stderr and the dead-letter metadata) is searched for every planted value; and
//! every adversarial event is still scanned (it alerts), so hiding a value is not skipping it.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use phiscan::alert::{Alert, SourceRef};

use phiscan::event::redact::{Redaction, Style};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use serde_json::Value;
use support::planted::{adversarial, assert_no_leaks};

fn run_seed() -> u64 {
    support::env_seed().unwrap_or_else(support::seed)
}

fn scanner() -> Scanner {
    support::keyed_scanner("leak-test-key")
}

fn kafka_source() -> SourceRef {
    SourceRef::Kafka {
        topic: "events".into(),
        partition: 0,
        offset: 1,
    }
}

struct Scanned {
    alerts: Vec<Alert>,
    redacted: Value,
    key: Vec<u8>,
}

fn scan(scanner: &Scanner, event: &Value, key: &str, style: Style) -> Scanned {
    let mut alerts = Vec::new();
    let mut redacted = event.clone();
    let mut scratch = ScanScratch::default();
    scanner.scan_and_redact(
        &mut redacted,
        kafka_source(),
        &mut scratch,
        &mut Stats::default(),
        &mut |a| alerts.push(a),
        Redaction {
            style,
            mask_addresses: true,
        },
    );
    let (key, _) = scanner.redact_record_key(key.as_bytes(), style, &mut scratch);
    Scanned {
        alerts,
        redacted,
        key,
    }
}

fn schema() -> jsonschema::Validator {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schema/alert.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Alerts, Alertmanager payloads, redacted events and forwarded keys of every adversarial
/// event hold no planted value (both redaction styles), validate against the schema, and every
/// adversarial event alerts.
#[test]
fn no_planted_value_in_alerts_alertmanager_or_the_redacted_forward() {
    let seed = run_seed();
    println!("seed {seed}");
    let adv = adversarial(seed);
    let scanner = scanner();
    let validator = schema();
    for style in [Style::Masked, Style::Category] {
        for (label, key, event) in &adv.events {
            let out = scan(&scanner, event, key, style);
            let what = |w: &str| format!("{label}: {w} ({style:?})");
            for a in &out.alerts {
                let json = serde_json::to_value(a).unwrap();
                let errors: Vec<String> = validator
                    .iter_errors(&json)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{label}: schema: {errors:?}\n{json}");
                assert_no_leaks(&what("alert"), json.to_string().as_bytes(), &adv.secrets);
                let am = serde_json::to_vec(&phiscan::sink::alertmanager::to_alertmanager(a, ""))
                    .unwrap();
                assert_no_leaks(&what("Alertmanager payload"), &am, &adv.secrets);
            }
            assert_no_leaks(
                &what("redacted event"),
                out.redacted.to_string().as_bytes(),
                &adv.secrets,
            );
            assert_no_leaks(&what("forwarded record key"), &out.key, &adv.secrets);
            assert_eq!(
                adv.must_alert.contains(label),
                !out.alerts.is_empty(),
                "{label}: alerts {:?}",
                out.alerts.iter().map(|a| a.rule).collect::<Vec<_>>()
            );
        }
    }
}

/// A finding in an object key is reported as a finding in that key (`in_key`), at the pointer
/// of the member with the key masked; findings below a masked key carry the same masked segment;
/// the redacted event renames the key and keeps the value.
#[test]
fn keys_are_scanned_and_masked_in_every_pointer_and_in_the_forward() {
    let scanner = scanner();
    let event = serde_json::json!({
        "specversion": "1.0", "type": "com.twilio.messaging.message.sent",
        "id": "EZ00000000000000000000000000000777", "time": "2026-05-04T13:00:00.000Z",
        "data": {"tags": {"ssn 078-05-1120": {"note": "MRN 00482913"}, "campaign": "results"}}
    });
    let out = scan(&scanner, &event, "k", Style::Category);
    let findings: Vec<&phiscan::alert::AlertFinding> =
        out.alerts.iter().flat_map(|a| &a.findings).collect();
    let in_key = findings
        .iter()
        .find(|f| f.in_key)
        .expect("the SSN in the key is a finding");
    assert_eq!(in_key.field, "/data/tags/ssn ***-**-1120");
    assert_eq!(in_key.category, phiscan::detect::Category::Ssn);
    assert!(
        findings
            .iter()
            .any(|f| !f.in_key && f.field == "/data/tags/ssn ***-**-1120/note"),
        "the value below the key is found under the masked segment: {findings:?}"
    );
    let tags = out.redacted["data"]["tags"].as_object().unwrap();
    assert!(tags.contains_key("ssn [ssn]"), "{tags:?}");
    assert_eq!(tags["campaign"], "results");
    assert_eq!(tags["ssn [ssn]"]["note"], "MRN [mrn]");
}

/// Identity fields are copied only in their own shape: an id, type or time that is not one, and
/// an account SID from the payload that is not a SID, are withheld or left out.
#[test]
fn identity_fields_of_the_wrong_shape_are_never_copied() {
    let scanner = scanner();
    let adv = adversarial(run_seed());
    let (_, key, event) = adv
        .events
        .iter()
        .find(|(l, _, _)| *l == "envelope")
        .unwrap();
    let out = scan(&scanner, event, key, Style::Masked);
    assert!(!out.alerts.is_empty());
    for a in &out.alerts {
        assert_eq!(a.event.id, phiscan::event::WITHHELD);
        assert_eq!(a.event.time, None);
        assert_eq!(
            a.event.account_sid, None,
            "payload account_sid is not a SID"
        );
        // not a plain hash of the raw id (a hash of an SSN is an SSN to anyone who tries them all)
        let raw_id = event["id"].as_str().unwrap();
        assert_ne!(
            a.alert_id,
            phiscan::alert::alert_id(raw_id, a.rule, &kafka_source())
        );
    }
    let (_, key, event) = adv.events.iter().find(|(l, _, _)| *l == "type").unwrap();
    let out = scan(&scanner, event, key, Style::Masked);
    assert!(
        out.alerts
            .iter()
            .all(|a| a.event.event_type == phiscan::event::WITHHELD)
    );
    let (_, key, event) = adv.events.iter().find(|(l, _, _)| *l == "key").unwrap();
    let out = scan(&scanner, event, key, Style::Masked);
    let a = &out.alerts[0];
    assert!(
        a.event.id.starts_with("EZ") && a.event.account_sid.is_some(),
        "valid ones are kept"
    );
    assert_eq!(a.event.event_type, "com.twilio.messaging.message.sent");
}

/// The record key is text: a value in it is masked; a clean key is forwarded unchanged.
#[test]
fn record_keys_are_scanned_and_masked() {
    let scanner = scanner();
    let mut scratch = ScanScratch::default();
    let (key, n) =
        scanner.redact_record_key(b"patient SSN 078-05-1120", Style::Category, &mut scratch);
    assert_eq!(
        (String::from_utf8(key).unwrap().as_str(), n),
        ("patient SSN [ssn]", 1)
    );
    let (key, n) = scanner.redact_record_key(
        b"EZ00000000000000000000000000000777",
        Style::Category,
        &mut scratch,
    );
    assert_eq!(
        (key.as_slice(), n),
        (&b"EZ00000000000000000000000000000777"[..], 0)
    );
    let mut binary = b"SSN 078-05-1120 ".to_vec();
    binary.push(0xff);
    let (key, n) = scanner.redact_record_key(&binary, Style::Masked, &mut scratch);
    assert!(n == 1 && key.starts_with(b"key-") && !key.windows(4).any(|w| w == b"1120"));
}

fn run_scan(dir: &Path, input: &Path) -> std::process::Output {
    support::launch::phiscan_command("leak-test-key")
        .args(["scan", "--dead-letter"])
        .arg(dir.join("dead.jsonl"))
        .arg(input)
        .output()
        .expect("phiscan runs")
}

/// `phiscan scan` over the adversarial events (and a malformed line holding planted values):
/// stdout, the summary on stderr and the dead-letter metadata hold no planted value, and
/// every adversarial event but the genuine test event alerts.
#[test]
fn scan_cli_writes_no_planted_value_to_stdout_stderr_or_dead_letter_metadata() {
    let seed = run_seed();
    println!("seed {seed}");
    let adv = adversarial(seed);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let mut lines: Vec<String> = adv.events.iter().map(|(_, _, e)| e.to_string()).collect();
    let s = support::planted::ssn(seed, 19);
    lines.push(format!(
        "{{\"specversion\": \"1.0\", \"id\": \"SSN {s}\", \"data\": {{\"tags\": "
    ));
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = run_scan(dir.path(), &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_leaks("scan stdout", &out.stdout, &adv.secrets);
    assert_no_leaks("scan stderr (summary)", &out.stderr, &adv.secrets);
    let dead = std::fs::read_to_string(dir.path().join("dead.jsonl")).unwrap();
    assert!(
        dead.contains(&s),
        "control: the dead letter's raw record holds the planted value"
    );
    for line in dead.lines() {
        let mut d: Value = serde_json::from_str(line).unwrap();
        d.as_object_mut().unwrap().remove("raw");
        assert_no_leaks(
            "dead-letter metadata",
            d.to_string().as_bytes(),
            &adv.secrets,
        );
    }
    let mut alerted: BTreeMap<u64, usize> = BTreeMap::new();
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        let a: Value = serde_json::from_str(l).unwrap();
        *alerted
            .entry(a["source"]["line"].as_u64().unwrap())
            .or_default() += 1;
    }
    for (i, (label, _, _)) in adv.events.iter().enumerate() {
        assert_eq!(
            alerted.contains_key(&(i as u64 + 1)),
            adv.must_alert.contains(label),
            "{label} (line {}): alerted {alerted:?}",
            i + 1
        );
    }
}

/// A byte-level pattern (`password=…{6,64}`) whose match stops inside a multibyte character is
/// still a finding, widened to the whole character.
#[test]
fn a_credential_ending_inside_a_multibyte_character_is_found() {
    let scanner = scanner();
    let text = format!("password=Pw{}€ ok", "7f3a".repeat(15) + "b");
    let mut found = Vec::new();
    scanner.engine.detect_into(
        &text,
        None,
        &mut phiscan::detect::Scratch::default(),
        &mut found,
    );
    let end = text.find(" ok").unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.category == phiscan::detect::Category::Credential && f.end == end),
        "{found:?}"
    );
}
