//! Generated CloudEvents with planted values (the redaction target): random envelope and
//! extension attributes, nested objects and arrays, JSON inside strings, base64 up to the
//! decoding depth, multibyte text, planted SSNs in keys and values. Every choice is drawn from
//! the fuzz input through `arbitrary::Unstructured`, so a mutated input is a mutated event.

use arbitrary::Unstructured;
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// Choices drawn from the fuzz input; an exhausted input answers 0 (the smallest event).
pub struct Choices<'a, 'b>(pub &'a mut Unstructured<'b>);

impl Choices<'_, '_> {
    pub fn next(&mut self) -> u64 {
        self.0.arbitrary().unwrap_or(0)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.int_in_range(0..=n.saturating_sub(1)).unwrap_or(0)
    }
    pub fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
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

pub struct Gen<'a, 'b> {
    pub rng: Choices<'a, 'b>,
    pub seed: u64,
    pub planted: Vec<String>,
}

impl Gen<'_, '_> {
    fn secret(&mut self) -> String {
        let s = crate::support::planted::ssn(self.seed, 1000 + self.planted.len() as u64);
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

    pub fn event(&mut self) -> Value {
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
