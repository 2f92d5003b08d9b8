//! Where a field sits (its *location*, policy.md's table) and which channel an event travelled
//! on. The same words mean different things per product (`tags` is customer metadata in
//! Messaging but quality labels in Voice Insights), so the rules look at the event type too.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    Tag,
    Log,
    Attributes,
    Url,
    Content,
    Address,
    Metadata,
}

impl Location {
    pub const ALL: [Location; 7] = [
        Location::Tag,
        Location::Log,
        Location::Attributes,
        Location::Url,
        Location::Content,
        Location::Address,
        Location::Metadata,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Tag => "tag",
            Location::Log => "log",
            Location::Attributes => "attributes",
            Location::Url => "url",
            Location::Content => "content",
            Location::Address => "address",
            Location::Metadata => "metadata",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Mms,
    Voice,
    Whatsapp,
    Messenger,
    Rcs,
    Email,
    Chat,
    Push,
    Sip,
    Client,
    Unknown,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Mms => "mms",
            Channel::Voice => "voice",
            Channel::Whatsapp => "whatsapp",
            Channel::Messenger => "messenger",
            Channel::Rcs => "rcs",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Push => "push",
            Channel::Sip => "sip",
            Channel::Client => "client",
            Channel::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Channel, String> {
        use Channel::*;
        [
            Sms, Mms, Voice, Whatsapp, Messenger, Rcs, Email, Chat, Push, Sip, Client, Unknown,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or_else(|| format!("unknown channel `{s}`"))
    }
}

/// Keys (compared case-insensitively) whose values are message content sent to or from a person.
const CONTENT_KEYS: &[&str] = &[
    "body",
    "messagebody",
    "speechresult",
    "unstablespeechresult",
    "transcriptiontext",
    "transcription_text",
    "responsebody",
    "messagesubject",
    "subject",
    "text",
    "message",
];
/// Routing keys: identify the channel and the party, not a leak by themselves.
const ADDRESS_KEYS: &[&str] = &[
    "to",
    "from",
    "caller",
    "called",
    "callee",
    "forwardedfrom",
    "contact_channel_address",
    "address",
    "authoraddress",
    "proxyaddress",
    "projectedaddress",
    "recipients",
    "author",
    "identity",
    "number_prefix",
];
const ATTRIBUTE_KEYS: &[&str] = &[
    "attributes",
    "task_attributes",
    "worker_attributes",
    "publisher_metadata",
    "comments",
    "comment",
    "preserved_attributes",
];

/// The location of a field of an event of type `event_type`.
/// `segments` start at the event's root: `data`/`data_base64` and below are the payload; any
/// other first segment is an envelope attribute (`id`, `source`, `subject`, extensions), which
/// is metadata whatever the product.
pub fn location(event_type: &str, segments: &[String]) -> Location {
    if segments
        .first()
        .is_some_and(|s| s != "data" && s != "data_base64")
    {
        return Location::Metadata;
    }
    if event_type.starts_with("com.twilio.error-logs.") {
        return Location::Log;
    }
    let in_data = |name: &str| segments.iter().any(|s| s.eq_ignore_ascii_case(name));
    let voice_insights = event_type.starts_with("com.twilio.voice.insights.");
    if !voice_insights && in_data("tags") {
        return Location::Tag;
    }
    if segments
        .iter()
        .any(|s| ATTRIBUTE_KEYS.iter().any(|k| s.eq_ignore_ascii_case(k)))
    {
        return Location::Attributes;
    }
    // the innermost named key decides (array indexes are skipped)
    let key = segments
        .iter()
        .rev()
        .find(|s| !s.bytes().all(|b| b.is_ascii_digit()));
    let Some(key) = key else {
        return Location::Metadata;
    };
    if ends_with_ignore_case(key, "url")
        || ends_with_ignore_case(key, "uri")
        || key.eq_ignore_ascii_case("destination")
    {
        return Location::Url;
    }
    if CONTENT_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return Location::Content;
    }
    // Verify's service name is the text of every message it sends
    if event_type.starts_with("com.twilio.accountsecurity.")
        && key.to_ascii_lowercase().contains("friendly_name")
    {
        return Location::Content;
    }
    if is_address_key(key) {
        return Location::Address;
    }
    Location::Metadata
}

/// The channel of an event, in named steps: `address_channels` reads the address prefixes
/// (`whatsapp:`, `messenger:`, `rcs:`, `client:`, `sip:`) and email addresses; a restrictive
/// prefix wins outright, then Verify's `channel` (`verify_channel`), then email, then any other
/// prefix, and last the product (`product_channel`).
pub fn channel(event_type: &str, data: &Value) -> Channel {
    channel_of(event_type, data, &addresses(data))
}

/// As `channel`, with the addresses of `data` (`addresses`) already collected: the scanner needs
/// them for the parties too, and each collection is a walk of the whole payload.
pub fn channel_of(event_type: &str, data: &Value, addresses: &[(&str, &str)]) -> Channel {
    let (found, email) = address_channels(addresses);
    if let Some(c) = found
        && rank(c) >= rank(Channel::Client)
    {
        return c;
    }
    if let Some(c) = verify_channel(data) {
        return c;
    }
    if email
        || data
            .pointer("/Bindings/Email")
            .is_some_and(|v| !v.is_null())
            && found.is_none()
    {
        return Channel::Email;
    }
    if let Some(c) = found {
        return c;
    }
    product_channel(event_type, data, addresses)
}

/// The most restrictive channel an address prefix names (an ineligible one must not be masked
/// by another), and whether some address is an email address.
fn address_channels(addresses: &[(&str, &str)]) -> (Option<Channel>, bool) {
    let mut found = None;
    let mut email = false;
    for &(key, value) in addresses {
        let v = value.trim_start_matches('[');
        let c = if v.starts_with("whatsapp:") {
            Some(Channel::Whatsapp)
        } else if v.starts_with("messenger:") {
            Some(Channel::Messenger)
        } else if v.starts_with("rcs:") {
            Some(Channel::Rcs)
        } else if v.starts_with("client:") {
            Some(Channel::Client)
        } else if v.starts_with("sip:") {
            Some(Channel::Sip)
        } else {
            // a chat `Identity` may be any string; an email-shaped `Author` is the channel
            // address of an email participant (Conversations' email bindings)
            if v.contains('@') && !v.contains(':') && !key.eq_ignore_ascii_case("identity") {
                email = true;
            }
            None
        };
        if let Some(c) = c
            && found.is_none_or(|f: Channel| rank(c) > rank(f))
        {
            found = Some(c);
        }
    }
    (found, email)
}

/// The channel the product implies when no address says: voice by `call_type`, messaging by
/// whether media was attached, Conversations by whether a participant is a bare phone number.
fn product_channel(event_type: &str, data: &Value, addresses: &[(&str, &str)]) -> Channel {
    if event_type.starts_with("com.twilio.voice.") {
        return match data.get("call_type").and_then(Value::as_str) {
            Some("sip" | "trunking") => Channel::Sip,
            Some("client") => Channel::Client,
            Some("whatsapp") => Channel::Whatsapp,
            _ => Channel::Voice,
        };
    }
    if event_type.starts_with("com.twilio.messaging.")
        || event_type.starts_with("com.twilio.accountsecurity.")
    {
        let media = ["numMedia", "NumMedia"]
            .iter()
            .filter_map(|k| data.get(*k))
            .any(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .unwrap_or(0)
                    > 0
            });
        return if media { Channel::Mms } else { Channel::Sms };
    }
    if event_type.starts_with("com.twilio.conversations.") {
        // an SMS participant shows up as a bare phone number (Author, Address)
        let phone = addresses
            .iter()
            .any(|(_, v)| v.starts_with('+') && v[1..].bytes().all(|b| b.is_ascii_digit()));
        return if phone { Channel::Sms } else { Channel::Chat };
    }
    Channel::Unknown
}

fn rank(c: Channel) -> u8 {
    match c {
        Channel::Whatsapp | Channel::Messenger => 4,
        Channel::Rcs => 3,
        Channel::Client | Channel::Sip => 1,
        _ => 0,
    }
}

fn verify_channel(data: &Value) -> Option<Channel> {
    let mut channels = Vec::new();
    if let Some(c) = data.get("channel").and_then(Value::as_str) {
        channels.push(c.to_ascii_lowercase());
    }
    if let Some(attempts) = data
        .pointer("/send_code_attempts/attempts")
        .and_then(Value::as_array)
    {
        for a in attempts {
            if let Some(c) = a.get("channel").and_then(Value::as_str) {
                channels.push(c.to_ascii_lowercase());
            }
        }
    }
    let pick = |c: &str| match c {
        "email" => Some(Channel::Email),
        "whatsapp" => Some(Channel::Whatsapp),
        "rcs" => Some(Channel::Rcs),
        "sms" => Some(Channel::Sms),
        "call" | "voice" => Some(Channel::Voice),
        "push" | "totp" => Some(Channel::Push),
        _ => None,
    };
    let picked: Vec<Channel> = channels.iter().filter_map(|c| pick(c)).collect();
    // any ineligible attempt makes the verification ineligible
    picked
        .iter()
        .copied()
        .find(|c| matches!(c, Channel::Email | Channel::Whatsapp | Channel::Rcs))
        .or_else(|| picked.first().copied())
}

/// Every string under an address key (any case), at any depth, with its key, in document order.
pub fn addresses(data: &Value) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    collect_addresses(data, "", &mut out);
    out
}

fn collect_addresses<'v>(v: &'v Value, key: &'v str, out: &mut Vec<(&'v str, &'v str)>) {
    match v {
        Value::Object(map) => map.iter().for_each(|(k, child)| collect_addresses(child, k, out)),
        Value::Array(items) => items.iter().for_each(|i| collect_addresses(i, key, out)),
        Value::String(s) if is_address_key(key) => out.push((key, s)),
        _ => {}
    }
}

/// A routing address that Flex copies into task attributes (`from`, `to`, and `name`, which holds
/// the caller's number or identity): policy.md counts it as an address, not a customer record.
/// Only address-shaped values qualify: a `name` that holds a person's name is PHI there.
pub fn is_routing_copy(key: &str, value: &str) -> bool {
    let routing_key = is_address_key(key)
        || ["name", "channel_address", "customer_address", "conversation_address"]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k));
    routing_key && looks_like_address(value)
}

/// A phone number, a channel address (`whatsapp:+1…`, `client:agent`, `sip:…`) or an email.
fn looks_like_address(value: &str) -> bool {
    let v = value.trim();
    let channel_prefix = ["whatsapp:", "messenger:", "rcs:", "client:", "sip:", "tel:"]
        .iter()
        .any(|p| {
            v.len() >= p.len() && v.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        });
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let phone = digits >= 7
        && v
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'(' | b')' | b'.'));
    let email = v.contains('@') && !v.contains(' ');
    channel_prefix || phone || email
}

fn is_address_key(key: &str) -> bool {
    ADDRESS_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seg(p: &str) -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn locations_follow_policy_table() {
        let msg = "com.twilio.messaging.message.sent";
        assert_eq!(location(msg, &seg("/data/tags/patient_mrn")), Location::Tag);
        assert_eq!(location(msg, &seg("/data/body")), Location::Content);
        assert_eq!(location(msg, &seg("/data/to")), Location::Address);
        assert_eq!(
            location(msg, &seg("/data/statusCallBackUrl")),
            Location::Url
        );
        assert_eq!(location(msg, &seg("/data/messageSid")), Location::Metadata);
        assert_eq!(
            location(
                "com.twilio.error-logs.error.logged",
                &seg("/data/payload/message")
            ),
            Location::Log
        );
        assert_eq!(
            location(
                "com.twilio.taskrouter.reservation.created",
                &seg("/data/payload/task_attributes/name")
            ),
            Location::Attributes
        );
        assert_eq!(
            location(
                "com.twilio.voice.insights.call-summary.complete",
                &seg("/data/tags/0")
            ),
            Location::Metadata
        );
        assert_eq!(
            location(
                "com.twilio.accountsecurity.verify.verification.pending",
                &seg("/data/send_code_attempts/attempts/0/tags/mrn")
            ),
            Location::Tag
        );
    }

    #[test]
    fn flex_routing_copies_are_addresses_only_when_address_shaped() {
        assert!(is_routing_copy("from", "+14155550100"));
        assert!(is_routing_copy("name", "whatsapp:+14155550100"));
        assert!(is_routing_copy("name", "client:agent_7"));
        assert!(!is_routing_copy("name", "Maria Lopez"));
        assert!(!is_routing_copy("dob", "+14155550100"));
        // found by tests/fuzz_redact.rs: a multibyte character where a prefix would end
        assert!(!is_routing_copy("from", "ab\u{e9}\u{e9}\u{e9}x"));
    }

    #[test]
    fn channels_from_addresses_and_products() {
        let t = "com.twilio.messaging.message.delivered";
        assert_eq!(
            channel(t, &json!({"to": "whatsapp:+447700900123"})),
            Channel::Whatsapp
        );
        assert_eq!(
            channel(t, &json!({"to": "messenger:1038"})),
            Channel::Messenger
        );
        assert_eq!(channel(t, &json!({"to": "rcs:+15555550100"})), Channel::Rcs);
        assert_eq!(channel(t, &json!({"to": "+15555550100"})), Channel::Sms);
        assert_eq!(
            channel(t, &json!({"to": "+15555550100", "numMedia": "2"})),
            Channel::Mms
        );
        let v = "com.twilio.accountsecurity.verify.verification.pending";
        assert_eq!(
            channel(v, &json!({"to": "jane@example.com"})),
            Channel::Email
        );
        assert_eq!(
            channel(
                v,
                &json!({"to": "+15555550100", "send_code_attempts": {"attempts": [{"channel": "EMAIL"}]}})
            ),
            Channel::Email
        );
        assert_eq!(
            channel(
                "com.twilio.voice.status-callback.call.completed",
                &json!({})
            ),
            Channel::Voice
        );
        let c = "com.twilio.conversations.conversation.added";
        assert_eq!(
            channel(
                c,
                &json!({"MessagingBinding": {"Address": "whatsapp:+1"}, "Bindings": {"Email": {}}})
            ),
            Channel::Whatsapp
        );
        let m = "com.twilio.conversations.message.added";
        assert_eq!(channel(m, &json!({"Author": "+14165550188"})), Channel::Sms);
        assert_eq!(channel(m, &json!({"Author": "alice"})), Channel::Chat);
        let email = json!({"Author": "pat.doe@example.org", "MessageSubject": "Re: visit"});
        assert_eq!(channel(m, &email), Channel::Email);
        let identity = json!({"Identity": "pat.doe@example.org"});
        let participant = "com.twilio.conversations.participant.added";
        assert_eq!(channel(participant, &identity), Channel::Chat);
    }
}
