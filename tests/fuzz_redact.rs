//! A fuzz-style harness on stable Rust, run as part of the test suite with a bounded number of
//! iterations: generated CloudEvents (random envelope and extension attributes, nested objects
//! and arrays, JSON inside strings, base64 up to the decoding depth, multibyte text, planted
//! values in keys and values) go through the decoder, the walk, the scan and redaction.
//! Asserted: nothing panics, and no planted value survives in the alerts or the redacted event.
//! Mutated bytes (truncated, bit-flipped) of the same documents go through the decoder and, when
//! they still decode, the scan: nothing panics.
//!
//! `PHISCAN_FUZZ_ITERS` raises the iteration count, `PHISCAN_TEST_SEED` varies the inputs.

mod support;

use base64::Engine as _;
use phiscan::alert::SourceRef;
use phiscan::config::Config;
use phiscan::event::redact::{Redaction, Style};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use serde_json::{Map, Value, json};

/// splitmix64: small, seedable, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &[
    "campaign",
    "note",
    "tags",
    "body",
    "attributes",
    "payload",
    "to",
    "from",
    "x",
    "Ünï",
    "status",
    "items",
    "a/b",
    "t~1",
];
const NOISE: &[&str] = &[
    "results",
    "hello there",
    "Ünïcödé ✓ ok",
    "42",
    "2026-05-04T13:00:00.000Z",
    "",
    "SMf3a60329a831050f832555ff88c3475f",
    "€€€",
    "a\u{0}b",
    "appointment confirmed",
];
/// Each decoding step (JSON in a string, base64) uses one level of the walk's budget.
const DECODE_BUDGET: usize = 4;

struct Gen<'a> {
    rng: &'a mut Rng,
    seed: u64,
    planted: Vec<String>,
}

impl Gen<'_> {
    fn secret(&mut self) -> String {
        let s = support::planted::ssn(self.seed, 1000 + self.planted.len() as u64);
        self.planted.push(s.clone());
        self.planted.push(s.replace('-', ""));
        s
    }

    fn text(&mut self) -> String {
        if self.rng.below(3) == 0 {
            let s = self.secret();
            format!("{} SSN {s} {}", self.rng.pick(NOISE), self.rng.pick(NOISE))
        } else {
            self.rng.pick(NOISE).to_string()
        }
    }

    fn key(&mut self) -> String {
        if self.rng.below(6) == 0 {
            format!("ssn {}", self.secret())
        } else {
            self.rng.pick(KEYS).to_string()
        }
    }

    /// A string, possibly wrapped in JSON-in-a-string and base64 within `budget`.
    fn string(&mut self, depth: usize, budget: usize) -> Value {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        match (budget, self.rng.below(5)) {
            (1.., 0) => {
                let inner = self.object(depth + 1, budget - 1);
                Value::String(inner.to_string())
            }
            (1.., 1) => match self.string(depth, budget - 1) {
                Value::String(s) if s.len() >= 12 => Value::String(b64(&s)),
                other => other,
            },
            _ => Value::String(self.text()),
        }
    }

    fn value(&mut self, depth: usize, budget: usize) -> Value {
        match self.rng.below(if depth > 3 { 3 } else { 6 }) {
            0 | 1 => self.string(depth, budget),
            2 => json!(self.rng.below(1_000_000)),
            3 => self.object(depth + 1, budget),
            4 => Value::Array(
                (0..self.rng.below(3))
                    .map(|_| self.value(depth + 1, budget))
                    .collect(),
            ),
            _ => [Value::Null, Value::Bool(true)][self.rng.below(2) as usize].clone(),
        }
    }

    fn object(&mut self, depth: usize, budget: usize) -> Value {
        let mut m = Map::new();
        for _ in 0..1 + self.rng.below(4) {
            let k = self.key();
            let v = self.value(depth, budget);
            m.insert(k, v);
        }
        Value::Object(m)
    }

    fn event(&mut self) -> Value {
        let mut e = Map::new();
        e.insert("specversion".into(), "1.0".into());
        let id = if self.rng.below(3) == 0 {
            format!("SSN {}", self.secret())
        } else {
            format!("EZ{:032x}", self.rng.next())
        };
        e.insert("id".into(), id.into());
        let ty = match self.rng.below(4) {
            0 => format!("com.twilio.ssn {}", self.secret()),
            1 => "com.twilio.eventstreams.test-event".into(),
            _ => "com.twilio.messaging.message.sent".into(),
        };
        e.insert("type".into(), ty.into());
        for attr in ["time", "subject", "source", "patientnote"] {
            if self.rng.below(2) == 0 {
                let v = self.string(0, 1);
                e.insert(attr.into(), v);
            }
        }
        let data = self.object(0, DECODE_BUDGET - 1);
        if self.rng.below(4) == 0 {
            let b = base64::engine::general_purpose::STANDARD.encode(data.to_string());
            e.insert("data_base64".into(), b.into());
        } else {
            e.insert("data".into(), data);
        }
        Value::Object(e)
    }
}

fn iterations() -> u64 {
    std::env::var("PHISCAN_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

fn scan_all(scanner: &Scanner, event: Value, style: Style, scratch: &mut ScanScratch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut event = event;
    let source = SourceRef::Webhook {
        request_id: "fuzz".into(),
    };
    let mut alerts = Vec::new();
    scanner.scan_and_redact(
        &mut event,
        source,
        scratch,
        &mut Stats::default(),
        &mut |a| alerts.push(a),
        Redaction {
            style,
            mask_addresses: true,
        },
    );
    for a in &alerts {
        out.extend(serde_json::to_vec(a).unwrap());
    }
    out.extend(serde_json::to_vec(&event).unwrap());
    out
}

#[test]
fn generated_events_never_panic_and_no_planted_value_survives_redaction() {
    let seed = support::env_seed().unwrap_or(20_261_130);
    println!("seed {seed}, {} iterations", iterations());
    let mut config = Config::default();
    config.fingerprint.key = Some("fuzz-key".into());
    let scanner = Scanner::new(&config).unwrap();
    let mut rng = Rng(seed);
    let mut scratch = ScanScratch::default();
    for i in 0..iterations() {
        let mut g = Gen {
            rng: &mut rng,
            seed: seed.wrapping_add(i << 20),
            planted: Vec::new(),
        };
        let event = g.event();
        let planted = std::mem::take(&mut g.planted);
        let style = if i % 2 == 0 {
            Style::Masked
        } else {
            Style::Category
        };
        let written = scan_all(&scanner, event.clone(), style, &mut scratch);
        if !planted.is_empty() {
            let found = support::planted::leaks(&format!("iteration {i}"), &written, &planted);
            assert!(found.is_empty(), "{}\nevent: {event}", found.join("\n"));
        }
        // the same document as bytes, mutated: decoder and scan must not panic
        let mut bytes = serde_json::to_vec(&json!([event])).unwrap();
        match rng.below(3) {
            0 => bytes.truncate(rng.below(bytes.len() as u64 + 1) as usize),
            1 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            _ => {
                bytes = base64::engine::general_purpose::STANDARD
                    .encode(&bytes)
                    .into_bytes()
            }
        }
        let mut decoded = Vec::new();
        if phiscan::event::decode_bytes(&bytes, &mut decoded).is_ok() {
            for e in decoded {
                scan_all(&scanner, e, style, &mut scratch);
            }
        }
    }
}
