//! The field walk: every string in an event, with its RFC 6901 pointer. Strings that hold JSON
//! (`data` sent as a string, error-log `payload`, TaskRouter `task_attributes`) and base64 text
//! (voice `responseBody`) are decoded and walked as if nested, so the pointer continues into them
//! (`/data/payload/webhook/request/parameters/Body`) and spans index the decoded string.
//! Numbers are walked as their decimal text: a phone number or MRN sent as a JSON number is
//! still a phone number or MRN.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::Value;

use super::decode::looks_base64;

/// How deep nested JSON-in-a-string is followed (a guard against hostile input).
pub(crate) const MAX_DECODE_DEPTH: usize = 3;
/// Strings longer than this are not tried as embedded JSON or base64.
pub(crate) const MAX_DECODE_LEN: usize = 1 << 20;

/// One scannable string of an event.
pub struct Field<'a> {
    /// RFC 6901 JSON Pointer into the CloudEvent (through decoded strings).
    pub pointer: &'a str,
    /// The object key (or array parent key) the string sits under: context for detectors.
    pub key: &'a str,
    pub text: &'a str,
    /// The path segments, unescaped, for location rules.
    pub segments: &'a [String],
    /// Set when the text was base64-decoded from the raw field.
    pub base64: bool,
}

/// Calls `f` for every string (and number) in `value`.
pub fn walk(value: &Value, f: &mut dyn FnMut(&Field)) {
    let mut w = Walker {
        pointer: String::new(),
        segments: Vec::new(),
        depth: 0,
        f,
    };
    w.value(value, "", 0);
}

/// As `walk`, for a value found under the top-level key `key` (pointers start `/key`).
pub fn walk_at(value: &Value, key: &str, f: &mut dyn FnMut(&Field)) {
    let mut w = Walker {
        pointer: String::new(),
        segments: Vec::new(),
        depth: 0,
        f,
    };
    w.push(key);
    w.value(value, key, 0);
}

struct Walker<'f> {
    pointer: String,
    /// `segments[..depth]` is the current path; deeper entries are kept as buffers to reuse.
    segments: Vec<String>,
    depth: usize,
    f: &'f mut dyn FnMut(&Field),
}

impl Walker<'_> {
    fn value(&mut self, v: &Value, key: &str, depth: usize) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    self.push(k);
                    self.value(child, k, depth);
                    self.pop();
                }
            }
            Value::Array(items) => {
                let mut index = [0u8; 20];
                for (i, child) in items.iter().enumerate() {
                    self.push(format_index(&mut index, i));
                    self.value(child, key, depth);
                    self.pop();
                }
            }
            Value::String(s) => self.string(s, key, depth),
            Value::Number(n) => {
                let text = n.to_string();
                self.emit(&text, key, false);
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn string(&mut self, s: &str, key: &str, depth: usize) {
        if depth < MAX_DECODE_DEPTH && s.len() <= MAX_DECODE_LEN {
            if let Some(nested) = embedded_json(s) {
                self.value(&nested, key, depth + 1);
                return;
            }
            if let Some(decoded) = embedded_base64(s) {
                if let Some(nested) = embedded_json(&decoded) {
                    self.value(&nested, key, depth + 1);
                } else {
                    self.emit(&decoded, key, true);
                }
                return;
            }
        }
        self.emit(s, key, false);
    }

    fn emit(&mut self, text: &str, key: &str, base64: bool) {
        if text.is_empty() {
            return;
        }
        (self.f)(&Field {
            pointer: &self.pointer,
            key,
            text,
            segments: &self.segments[..self.depth],
            base64,
        });
    }

    fn push(&mut self, segment: &str) {
        push_segment(&mut self.pointer, segment);
        match self.segments.get_mut(self.depth) {
            Some(buf) => {
                buf.clear();
                buf.push_str(segment);
            }
            None => self.segments.push(segment.to_string()),
        }
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.depth -= 1;
        let cut = self.pointer.rfind('/').unwrap_or(0);
        self.pointer.truncate(cut);
    }
}

/// `i` in decimal, written into `buf` (array indexes, without allocating).
fn format_index(buf: &mut [u8; 20], mut i: usize) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

/// Appends `/segment` to an RFC 6901 pointer, escaping `~` and `/`.
pub(crate) fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for ch in segment.chars() {
        match ch {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// A string that is itself a JSON object or array (not a bare number or quoted string).
pub fn embedded_json(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(s)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// Base64 that decodes to readable UTF-8 text (TwiML, JSON). Opaque tokens that happen to be
/// base64-shaped decode to binary and are left alone.
pub fn embedded_base64(s: &str) -> Option<Cow<'static, str>> {
    let b = s.trim().as_bytes();
    // hex ids and digit strings are base64-shaped but never base64 payloads
    if !looks_base64(b) || b.iter().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    (printable * 100 >= text.chars().count() * 97).then_some(Cow::Owned(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(v: &Value) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        walk(v, &mut |f| {
            out.push((f.pointer.to_string(), f.text.to_string(), f.base64))
        });
        out
    }

    #[test]
    fn pointers_escape_and_continue_into_json_strings() {
        let v = json!({"data": {"a/b": "x", "t~": "y", "payload": "{\"webhook\":{\"Body\":\"hi\"}}", "n": 5551234}});
        let got = collect(&v);
        assert!(got.contains(&("/data/a~1b".into(), "x".into(), false)));
        assert!(got.contains(&("/data/t~0".into(), "y".into(), false)));
        assert!(got.contains(&("/data/payload/webhook/Body".into(), "hi".into(), false)));
        assert!(got.contains(&("/data/n".into(), "5551234".into(), false)));
    }

    #[test]
    fn base64_text_is_decoded_but_tokens_are_not() {
        let twiml = base64::engine::general_purpose::STANDARD
            .encode("<Response><Say>Hello there</Say></Response>");
        let v = json!({"responseBody": twiml, "token": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "bin": "AAECAwQFBgcICQoLDA0ODw=="});
        let got = collect(&v);
        assert!(got.contains(&(
            "/responseBody".into(),
            "<Response><Say>Hello there</Say></Response>".into(),
            true
        )));
        assert!(
            got.iter()
                .any(|(p, t, b)| p == "/token" && t.starts_with("9f8e") && !b)
        );
        assert!(got.iter().any(|(p, _, b)| p == "/bin" && !b));
    }
}
