//! The alert document (`phiscan.alert/1`, reference/interface.md) and the two things that keep a
//! raw value out of it: a masked preview that shows shape but not content, and a keyed
//! fingerprint (HMAC-SHA256) so one leaked value can be correlated across alerts without
//! anyone storing it.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detect::Category;
use crate::event::{Channel, EventRef, Location};

pub const SCHEMA: &str = "phiscan.alert/1";

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub schema: &'static str,
    pub alert_id: String,
    pub rule: &'static str,
    pub severity: Severity,
    pub event: EventRef,
    pub channel: Channel,
    pub findings: Vec<AlertFinding>,
    pub source: SourceRef,
    /// Why the rule fired, in words that never quote the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Findings left out of `findings` (the service lists the first `sink::MAX_FINDINGS`), so an
    /// event with thousands of values still makes an alert every sink accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings_omitted: Option<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertFinding {
    pub field: String,
    pub location: Location,
    pub category: Category,
    pub detector: String,
    pub span: [usize; 2],
    pub confidence: f32,
    pub masked: String,
    pub fingerprint: String,
    /// Set when the value is (part of) the object key at the end of `field`, not its value;
    /// `span` then indexes the key. Left out when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_key: bool,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// Where the event came from (interface.md `source`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceRef {
    File {
        path: String,
        line: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
    },
    Kafka {
        topic: String,
        partition: i32,
        offset: i64,
    },
    Kinesis {
        stream: String,
        shard: String,
        sequence: String,
    },
    Webhook {
        request_id: String,
    },
    S3 {
        bucket: String,
        key: String,
        line: u64,
    },
}

/// A stable id for one (event, rule) pair: replays and redeliveries of the same event produce
/// the same alert id, so downstream systems can de-duplicate.
pub fn alert_id(event_id: &str, rule: &str, source: &SourceRef) -> String {
    let mut h = Sha256::new();
    h.update(event_id.as_bytes());
    h.update([0]);
    h.update(rule.as_bytes());
    if event_id.is_empty() {
        // no id to key on: fall back to the position in the source
        h.update(serde_json::to_vec(source).unwrap_or_default());
    }
    hex::encode(&h.finalize()[..16])
}

/// HMAC fingerprints of detected values.
#[derive(Clone)]
pub struct Fingerprinter {
    mac: Hmac<Sha256>,
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Fingerprinter {
        Fingerprinter {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// A random key for this run only: fingerprints then correlate within the run, not across.
    pub fn random() -> Fingerprinter {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source is available");
        Fingerprinter::new(&key)
    }

    /// Hex HMAC over the category and the value normalised so formatting does not matter
    /// (`078-05-1120` and `078051120` correlate).
    pub fn fingerprint(&self, category: Category, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(category.as_str().as_bytes());
        mac.update(b":");
        let normalized: String = value
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '@')
            .flat_map(char::to_lowercase)
            .collect();
        mac.update(normalized.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

pub use crate::detect::mask::mask;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_and_format_insensitive() {
        let a = Fingerprinter::new(b"k1");
        let b = Fingerprinter::new(b"k2");
        assert_eq!(
            a.fingerprint(Category::Ssn, "078-05-1120"),
            a.fingerprint(Category::Ssn, "078051120")
        );
        assert_ne!(
            a.fingerprint(Category::Ssn, "078-05-1120"),
            b.fingerprint(Category::Ssn, "078-05-1120")
        );
        assert_eq!(a.fingerprint(Category::Ssn, "x").len(), 32);
    }

    #[test]
    fn alert_ids_are_stable_per_event_and_rule() {
        let src = SourceRef::File {
            path: "a".into(),
            line: 1,
            index: None,
        };
        assert_eq!(
            alert_id("EZ1", "phi-in-tag", &src),
            alert_id("EZ1", "phi-in-tag", &src)
        );
        assert_ne!(
            alert_id("EZ1", "phi-in-tag", &src),
            alert_id("EZ1", "phi-in-log", &src)
        );
    }
}
