//! Twilio Event Streams events: decoding the wrappings (`decode`), walking every string with its
//! JSON pointer (`walk`), and classifying fields and channels (`classify`).

pub mod classify;
pub mod decode;
pub mod redact;
pub mod walk;

use serde::Serialize;
use serde_json::Value;

pub use classify::{Channel, Location};
pub use decode::{DecodeError, decode_bytes, decode_value};
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
    /// Envelope facts of a CloudEvent. `data` must already be an object (see `normalize`).
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
}

/// Twilio SIDs: two letters and hex (docs examples use shortened ones, so any length ≥ 10).
pub fn is_sid(v: &str) -> bool {
    v.len() >= 10
        && v.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && v[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

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
