//! Planted values and the assertions that none of them leaves the scanner: seeded SSNs, MRNs
//! and names in events ([`planted`], [`planted_mrn`]), adversarial events that plant them where a
//! scanner is easy to fool ([`adversarial`]: object keys, envelope attributes, extension
//! attributes, `data_base64`, base64 inside base64, events merely typed as Twilio's test event,
//! a credential ending inside a multibyte character, Kafka record keys), and [`assert_no_leaks`]
//! / [`assert_no_leak`] over bytes the scanner wrote.

use base64::Engine as _;
use serde_json::{Value, json};

use super::random_u64;

/// Where each planted value of `adversarial` went, for the leak message.
pub struct Adversarial {
    /// (label, Kafka record key, event).
    pub events: Vec<(&'static str, String, Value)>,
    /// Every raw value planted, in each written form (with and without separators).
    pub secrets: Vec<String>,
    /// Labels of the events that must raise at least one alert once everything is scanned.
    pub must_alert: Vec<&'static str>,
}

/// The byte windows of `haystack` that hold a planted value (at most 5), for a failure message.
pub fn leaks(what: &str, haystack: &[u8], secrets: &[String]) -> Vec<String> {
    // the NFA builds in microseconds; the default picks a DFA for few patterns, whose build
    // cost a quarter of every fuzz execution (`redact` target)
    let ac = aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
        .build(secrets)
        .unwrap();
    ac.find_iter(haystack)
        .take(5)
        .map(|m| {
            let from = m.start().saturating_sub(60);
            let to = (m.end() + 60).min(haystack.len());
            format!(
                "{what}: `{}` in …{}…",
                secrets[m.pattern().as_usize()],
                String::from_utf8_lossy(&haystack[from..to])
            )
        })
        .collect()
}

/// Fails naming the output and the surrounding bytes when `bytes` holds any planted value.
pub fn assert_no_leaks(what: &str, bytes: &[u8], secrets: &[String]) {
    let found = leaks(what, bytes, secrets);
    assert!(
        found.is_empty(),
        "planted values leaked:\n{}",
        found.join("\n")
    );
}

/// A valid SSN unique to (`seed`, `i`): area 100–599 (never 666), group and serial non-zero.
pub fn ssn(seed: u64, i: u64) -> String {
    let n = seed.wrapping_mul(2_654_435_761).wrapping_add(i * 7919);
    let area = 100 + n % 500;
    let area = if area == 666 { 667 } else { area };
    format!(
        "{area:03}-{:02}-{:04}",
        10 + (n / 500) % 89,
        1000 + (n / 44_500) % 8999
    )
}

/// Standard base64 of `s`.
pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

const ACCOUNT: &str = "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

fn envelope(id: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.sent",
        "source": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/SMf3a60329a831050f832555ff88c3475f.json"),
        "id": id,
        "time": "2026-05-04T13:00:00.000Z",
        "datacontenttype": "application/json",
        "data": data,
    })
}

fn id(seed: u64, i: u64) -> String {
    format!("EZ{:032x}", (seed as u128) << 8 | i as u128)
}

/// The adversarial events of one run. Every event but the genuine test event holds planted values.
pub fn adversarial(seed: u64) -> Adversarial {
    let s: Vec<String> = (0..20).map(|i| ssn(seed, i)).collect();
    let password = format!("Pw{:061x}", seed as u128 * 0x9e37_79b9_7f4a_7c15);
    let tags = |ssn: &str| json!({"patient_ssn": ssn, "campaign": "results"});
    let mut events = vec![
        (
            "key",
            format!("msg-{}", id(seed, 1)),
            envelope(
                &id(seed, 1),
                json!({"accountSid": ACCOUNT, "tags": {
                    format!("ssn {}", s[0]): "x",
                    format!("chart ssn {}", s[1]): {"note": format!("SSN {}", s[2])},
                    "campaign": "results"}}),
            ),
        ),
        ("envelope", format!("patient SSN {}", s[3]), {
            let mut e = envelope(
                &format!("SSN {}", s[4]),
                json!({"accountSid": "not-a-sid", "tags": tags(&s[5]),
                       "payload": {"account_sid": format!("SSN {}", s[6])}}),
            );
            e["time"] = format!("SSN {}", s[7]).into();
            e["subject"] = format!("SSN {}", s[8]).into();
            e["source"] = format!("/v1/Patients/SSN {}", s[9]).into();
            e["patientssn"] = format!("SSN {}", s[10]).into();
            e
        }),
        ("type", format!("SSN {}", s[11]), {
            let mut e = envelope(&id(seed, 3), json!({"tags": tags(&s[12])}));
            e["type"] = format!("com.twilio.ssn {}", s[13]).into();
            e
        }),
        ("data_base64", id(seed, 4), {
            let mut e = envelope(&id(seed, 4), Value::Null);
            e.as_object_mut().unwrap().remove("data");
            e["data_base64"] = b64(&json!({"tags": tags(&s[14])}).to_string()).into();
            e
        }),
        (
            "base64-in-base64",
            id(seed, 5),
            envelope(
                &id(seed, 5),
                json!({"tags": {"note": b64(&b64(&format!("patient SSN {} on file", s[15])))}}),
            ),
        ),
        ("typed-test-event", id(seed, 6), {
            let mut e = envelope(
                "AC11111111111111111111111111111111",
                json!({"test_id": "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88", "tags": tags(&s[16])}),
            );
            e["type"] = "com.twilio.eventstreams.test-event".into();
            e["source"] = "Sink".into();
            e
        }),
        (
            "multibyte-credential",
            id(seed, 7),
            envelope(
                &id(seed, 7),
                json!({"body": format!("config: password={password}€ ok")}),
            ),
        ),
    ];
    events.push((
        "genuine-test-event",
        "AC11111111111111111111111111111111".into(),
        json!({"specversion": "1.0", "type": "com.twilio.eventstreams.test-event", "source": "Sink",
               "id": "AC11111111111111111111111111111111",
               "dataschema": "https://events-schemas.twilio.com/EventStreams.TestSink/1.json",
               "datacontenttype": "application/json", "time": "2026-06-10T06:02:54.377Z",
               "data": {"test_id": "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}),
    ));
    let mut secrets: Vec<String> = s
        .iter()
        .flat_map(|v| [v.clone(), v.replace('-', "")])
        .collect();
    secrets.push(password[..40].to_string());
    Adversarial {
        events,
        secrets,
        must_alert: vec![
            "key",
            "envelope",
            "type",
            "data_base64",
            "base64-in-base64",
            "typed-test-event",
            "multibyte-credential",
        ],
    }
}

/// A planted event: its id and the raw values in it that must never leave the service.
#[derive(Debug, Clone)]
pub struct Planted {
    pub id: String,
    pub secrets: Vec<String>,
    pub json: Vec<u8>,
}

const FIRST: &[&str] = &[
    "Margaret", "Dorothy", "Harold", "Eleanor", "Walter", "Beatrice", "Clarence", "Mildred",
    "Eugene", "Gertrude",
];
const LAST: &[&str] = &[
    "Thornbury",
    "Whitfield",
    "Castellano",
    "Pemberton",
    "Okonkwo",
    "Lindqvist",
    "Abernathy",
    "Vasquez",
    "Holloway",
    "Kowalczyk",
];

/// A messaging event with a medical record number, an SSN and a patient name in its tags (and
/// body): a `phi-in-tag` alert. `seed` makes the values unique per test run.
pub fn planted(seed: u64, i: u64) -> Planted {
    let n = seed.wrapping_mul(1_000_003).wrapping_add(i);
    let id = format!("EZ{:032x}", n as u128 * 0x9e37_79b9 + 1);
    // 10 digits: never a chance match against the numbers in logs
    let mrn_digits = format!("7{:09}", n % 1_000_000_000);
    let mrn = format!("MRN-{mrn_digits}");
    let area = 100 + (n % 500);
    let area = if area == 666 { 667 } else { area };
    let ssn = format!(
        "{area:03}-{:02}-{:04}",
        10 + (n / 7) % 90,
        1000 + (n / 13) % 9000
    );
    let name = format!(
        "{} {}",
        FIRST[(n % 10) as usize],
        LAST[((n / 10) % 10) as usize]
    );
    let event = serde_json::json!({
        "specversion": "1.0",
        "type": "com.twilio.messaging.message.sent",
        "source": "/2010-04-01/Accounts/AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f/Messages/SMf3a60329a831050f832555ff88c3475f.json",
        "id": id,
        "time": "2026-05-04T13:00:00.000Z",
        "datacontenttype": "application/json",
        "data": {
            "messageSid": "SMf3a60329a831050f832555ff88c3475f",
            "accountSid": "AC9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
            "from": "+12125550100",
            "to": "+12125550147",
            "messageStatus": "SENT",
            "body": format!("Hi {name}, your chart {mrn} is ready. SSN on file {ssn}."),
            "tags": {"patient_mrn": mrn, "patient_name": name, "ssn": ssn, "campaign": "results"}
        }
    });
    let ssn_digits = ssn.replace('-', "");
    Planted {
        id,
        secrets: vec![mrn, mrn_digits, ssn, ssn_digits, name],
        json: serde_json::to_vec(&event).unwrap(),
    }
}

/// A planted value no output may contain: a medical record number with random digits.
pub fn planted_mrn() -> String {
    format!("MRN-{:08}", random_u64() % 100_000_000)
}

/// Asserts that none of `texts` contains any of `planted`.
pub fn assert_no_leak(what: &str, text: &str, planted: &[&str]) {
    for p in planted {
        assert!(!text.contains(p), "{what} contains the planted value {p:?}");
    }
}
