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

/// A preview that keeps the value's shape and never enough of it to be the value: identifiers
/// keep separators, a short label prefix (`MRN-`) and at most their last four characters when
/// at least four others are hidden; words keep only their first letter; credentials keep nothing.
pub fn mask(category: Category, value: &str) -> String {
    use Category::*;
    match category {
        Credential => "*".repeat(value.chars().count().min(40)),
        Email => mask_email(value),
        // a date or age shows nothing: even the year of a birth date narrows who it is
        Date | Age | Zip => value
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect(),
        Name | Address | Geo | Condition | Medication | Procedure | CareSetting => {
            mask_words(value)
        }
        // the path and query are where the PHI is: none of it shows, not even a last few chars
        Url => mask_url(value),
        _ => mask_identifier(value),
    }
}

fn mask_url(value: &str) -> String {
    let after_scheme = value.find("://").map_or(0, |i| i + 3);
    let host_end = value[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(value.len(), |i| after_scheme + i);
    let (kept, rest) = value.split_at(host_end);
    // user:password@ in the authority is a credential
    let kept = match kept.rfind('@') {
        Some(at) => format!(
            "{}{}",
            &kept[..after_scheme],
            "*".repeat(at - after_scheme) + &kept[at..]
        ),
        None => kept.to_string(),
    };
    kept + &rest
        .chars()
        .map(|c| if c.is_alphanumeric() { '*' } else { c })
        .collect::<String>()
}

fn mask_identifier(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    // a label such as "MRN-" or "ID:" stays: it is the detector's anchor, not the value
    let label = chars.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let label = if (2..=4).contains(&label)
        && chars
            .get(label)
            .is_some_and(|c| matches!(c, '-' | ':' | '#' | ' '))
    {
        label + 1
    } else {
        0
    };
    let secret: Vec<usize> = (label..chars.len())
        .filter(|&i| chars[i].is_alphanumeric())
        .collect();
    let reveal = if secret.len() >= 8 { 4 } else { 0 };
    let hidden: std::collections::HashSet<usize> =
        secret[..secret.len() - reveal].iter().copied().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if hidden.contains(&i) { '*' } else { *c })
        .collect()
}

fn mask_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut at_word_start = true;
    for c in value.chars() {
        if c.is_alphanumeric() {
            out.push(if at_word_start && c.is_alphabetic() {
                c
            } else {
                '*'
            });
            at_word_start = false;
        } else {
            out.push(c);
            at_word_start = true;
        }
    }
    // a one-letter word would be shown whole
    if value.chars().filter(|c| c.is_alphanumeric()).count() <= 2 {
        return value
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .collect();
    }
    out
}

fn mask_email(value: &str) -> String {
    let Some((local, domain)) = value.split_once('@') else {
        return mask_identifier(value);
    };
    let tld_at = domain.rfind('.').unwrap_or(domain.len());
    let star = |s: &str| "*".repeat(s.chars().count());
    let first = local.chars().next().map(String::from).unwrap_or_default();
    format!(
        "{first}{}@{}{}",
        star(&local[first.len()..]),
        star(&domain[..tld_at]),
        &domain[tld_at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_shape_but_not_value() {
        assert_eq!(mask(Category::Ssn, "078-05-1120"), "***-**-1120");
        assert_eq!(mask(Category::Mrn, "MRN-00482913"), "MRN-****2913");
        assert_eq!(mask(Category::Phone, "+15555550142"), "+*******0142");
        assert_eq!(mask(Category::Zip, "94107"), "*****");
        assert_eq!(mask(Category::Date, "04/12/1961"), "**/**/****");
        assert_eq!(mask(Category::Name, "Jane Roe"), "J*** R**");
        assert_eq!(
            mask(Category::Email, "jane.roe@example.com"),
            "j*******@*******.com"
        );
        assert_eq!(mask(Category::Credential, "abcd"), "****");
        assert_eq!(mask(Category::Condition, "HIV"), "H**");
        assert_eq!(mask(Category::Condition, "MI"), "**");
        assert_eq!(mask(Category::Procedure, "BP 180/110"), "B* ***/***");
        assert_eq!(mask(Category::Date, "1961-04-12"), "****-**-**");
        assert_eq!(
            mask(
                Category::Url,
                "https://portal.example.com/r?dob=1961-04-12&test=hiv"
            ),
            "https://portal.example.com/*?***=****-**-**&****=***"
        );
        assert_eq!(
            mask(Category::Url, "https://svc:s3cret@hooks.example.com/status"),
            "https://**********@hooks.example.com/******"
        );
        for (c, v) in [
            (Category::Ssn, "078-05-1120"),
            (Category::Name, "Maria"),
            (Category::MedicalCode, "E11.9"),
        ] {
            assert!(!mask(c, v).contains(v));
        }
    }

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
