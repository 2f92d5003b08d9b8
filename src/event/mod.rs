//! Twilio Event Streams events: decoding the wrappings (`decode`), walking every string with its
//! JSON pointer (`walk`), and classifying fields and channels (`classify`).

pub mod classify;
pub mod decode;
pub mod redact;
pub mod walk;

use serde::Serialize;
use serde_json::Value;

pub use classify::{Channel, Location};
pub use decode::{DecodeError, decode_bytes, decode_value, parse_json};
pub use walk::{Field, walk};

/// The envelope facts an alert names: never values from `data` beyond SIDs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EventRef {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_sid: Option<String>,
}

const ACCOUNT_KEYS: &[&str] = &["accountSid", "account_sid", "AccountSid"];
const RESOURCE_KEYS: &[&str] = &[
    "messageSid",
    "MessageSid",
    "call_sid",
    "CallSid",
    "verification_sid",
    "MessageSid",
    "ConversationSid",
    "ParticipantSid",
    "execution_sid",
    "task_sid",
    "sid",
];

impl EventRef {
    /// Envelope facts of a CloudEvent, as found (held in memory for policy and classification;
    /// an alert gets `for_alert`). `data` must already be an object (see `normalize`). Account
    /// and resource SIDs are taken only when they have the shape of a SID.
    pub fn of(event: &Value) -> EventRef {
        let s = |k: &str| event.get(k).and_then(Value::as_str).map(str::to_string);
        let data = event.get("data");
        let from_data = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                data.and_then(|d| d.get(*k))
                    .and_then(Value::as_str)
                    .filter(|v| is_sid(v))
            })
        };
        let account_sid = from_data(ACCOUNT_KEYS)
            .or_else(|| {
                data.and_then(|d| d.pointer("/payload/account_sid"))
                    .and_then(Value::as_str)
                    .filter(|v| is_sid(v))
            })
            .map(str::to_string)
            .or_else(|| s("source").and_then(|src| account_from_source(&src)));
        let resource_sid = from_data(RESOURCE_KEYS).map(str::to_string);
        EventRef {
            id: s("id").unwrap_or_default(),
            event_type: s("type").unwrap_or_default(),
            time: s("time"),
            account_sid,
            resource_sid,
        }
    }

    /// What an alert (and everything derived from it: Alertmanager labels, suppression keys,
    /// summaries) may carry. Each identity field is kept only when it has its shape (id: a SID
    /// or UUID; type: dotted reverse-DNS-like; time: RFC 3339; SIDs: two letters and 32 hex)
    /// and `clean(pointer)` says the scan found nothing in it. Otherwise `id` and `type` become
    /// `WITHHELD` and the optional fields are left out: a value of unknown shape was scanned like
    /// any field, and is never copied.
    pub fn for_alert(&self, clean: &dyn Fn(&str) -> bool) -> EventRef {
        let keep = |v: &str, shape: fn(&str) -> bool, pointer: &str| shape(v) && clean(pointer);
        let required = |v: &String, shape: fn(&str) -> bool, pointer: &str| {
            if v.is_empty() || keep(v, shape, pointer) {
                v.clone()
            } else {
                WITHHELD.to_string()
            }
        };
        EventRef {
            id: required(&self.id, is_event_id, "/id"),
            event_type: required(&self.event_type, is_event_type, "/type"),
            time: self.time.clone().filter(|t| keep(t, is_rfc3339, "/time")),
            account_sid: self.account_sid.clone().filter(|v| is_sid(v)),
            resource_sid: self.resource_sid.clone().filter(|v| is_sid(v)),
        }
    }

    /// The id to key alert ids on: empty when there is none or it was withheld.
    pub fn id_for_alert_id(&self) -> &str {
        if self.id == WITHHELD { "" } else { &self.id }
    }
}

/// What an alert writes for an `id` or `type` that does not have its shape (or held a finding).
pub const WITHHELD: &str = "[withheld]";

/// A Twilio SID: two uppercase letters and 32 hex digits.
pub fn is_sid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 34 && b[..2].iter().all(u8::is_ascii_uppercase) && is_hex(&b[2..])
}

fn is_hex(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_hexdigit)
}

/// A UUID in its canonical 8-4-4-4-12 hex form.
pub fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A CloudEvent id phiscan copies: a SID (Twilio's ids are) or a UUID.
pub fn is_event_id(v: &str) -> bool {
    is_sid(v) || is_uuid(v)
}

/// A dotted, reverse-DNS-like event type (`com.twilio.messaging.message.sent`): at least three
/// labels of ASCII letters, digits, `-` and `_`, at most 128 bytes.
pub fn is_event_type(v: &str) -> bool {
    v.len() <= 128
        && v.split('.').count() >= 3
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        })
}

/// An RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM`.
pub fn is_rfc3339(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13))
        || !(digits(14..16) && digits(17..19))
        || (b[4], b[7], b[13], b[16]) != (b'-', b'-', b':', b':')
        || !matches!(b[10], b'T' | b't' | b' ')
    {
        return false;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 9 {
            return false;
        }
        at += 1 + n;
    }
    match &b[at..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Whether the envelope attribute `attr` holds `value` in a shape that cannot carry a person's
/// data (a SID or UUID id, an RFC 3339 time, the CloudEvents version, a media type, a Twilio
/// schema URL): those are not scanned. Any other attribute or shape is scanned like a field.
pub fn envelope_shape_ok(attr: &str, value: &str) -> bool {
    let path_chars = |v: &str| {
        v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"/._-".contains(&c))
    };
    match attr {
        "id" => is_event_id(value),
        "time" => is_rfc3339(value),
        "specversion" => value == "1.0",
        "datacontenttype" => {
            value.len() <= 64
                && value.split_once('/').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && a.bytes().all(|c| c.is_ascii_lowercase())
                        && !b.is_empty()
                        && b.bytes().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || b".+-".contains(&c)
                        })
                })
        }
        "dataschema" => value
            .strip_prefix("https://events-schemas.twilio.com/")
            .is_some_and(|rest| rest.len() <= 96 && path_chars(rest)),
        _ => false,
    }
}

/// The attributes of Twilio's sink test event (`reference/twilio-event-streams.md` §1.8).
const TEST_EVENT_ATTRIBUTES: &[&str] = &[
    "specversion",
    "type",
    "source",
    "id",
    "dataschema",
    "datacontenttype",
    "time",
    "data",
];

/// Twilio's genuine sink test event: its type *and* its shape (no other attributes, `source`
/// `Sink`, the Account SID as id, the TestSink schema, and `data` holding only a UUID
/// `test_id`). An event merely typed as the test event is scanned like any other.
/// `data` must already be normalised.
pub fn is_genuine_test_event(event: &Value) -> bool {
    let Some(map) = event.as_object() else {
        return false;
    };
    let attr = |k: &str| map.get(k).and_then(Value::as_str);
    let optional = |k: &str, ok: &dyn Fn(&str) -> bool| match map.get(k) {
        None => true,
        Some(v) => v.as_str().is_some_and(ok),
    };
    let account_id = |v: &str| {
        v.len() >= 22 && v.len() <= 34 && v.starts_with("AC") && is_hex(&v.as_bytes()[2..])
    };
    let data_ok = map.get("data").and_then(Value::as_object).is_some_and(|d| {
        d.len() == 1
            && d.get("test_id")
                .and_then(Value::as_str)
                .is_some_and(is_uuid)
    });
    attr("type") == Some(TEST_EVENT_TYPE)
        && map
            .keys()
            .all(|k| TEST_EVENT_ATTRIBUTES.contains(&k.as_str()))
        && data_ok
        && attr("id").is_some_and(account_id)
        && optional("source", &|v| v == "Sink")
        && optional("specversion", &|v| v == "1.0")
        && optional("datacontenttype", &|v| v == "application/json")
        && optional("time", &is_rfc3339)
        && optional("dataschema", &|v| {
            v.starts_with("https://events-schemas.twilio.com/EventStreams.TestSink/")
                && v.len() < 80
                && v.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b":/.-_".contains(&c))
        })
}

/// The event type of Twilio's sink test event.
pub const TEST_EVENT_TYPE: &str = "com.twilio.eventstreams.test-event";

fn account_from_source(source: &str) -> Option<String> {
    let rest = &source[source.find("/Accounts/")? + "/Accounts/".len()..];
    let sid = rest.split('/').next()?;
    is_sid(sid).then(|| sid.to_string())
}

/// Decode `data` when it arrived as a JSON string, so pointers and lookups see an object.
pub fn normalize(event: &mut Value) {
    if let Some(data) = event.get_mut("data")
        && let Some(s) = data.as_str()
        && let Ok(v) = serde_json::from_str::<Value>(s)
        && v.is_object()
    {
        *data = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_facts_from_data_or_source() {
        let mut e = json!({"id": "EZ1", "type": "t", "source": "/2010-04-01/Accounts/AC1f2e3d4c5b6a79881f2e3d4c5b6a7988/Messages/SM1.json",
                           "data": "{\"messageSid\": \"SM0a1b2c3d4e5f60718293a4b5c6d7e8f9\"}"});
        normalize(&mut e);
        let r = EventRef::of(&e);
        assert_eq!(
            r.account_sid.as_deref(),
            Some("AC1f2e3d4c5b6a79881f2e3d4c5b6a7988")
        );
        assert_eq!(
            r.resource_sid.as_deref(),
            Some("SM0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        );
        assert_eq!(
            e["data"]["messageSid"],
            "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9"
        );
    }
}
