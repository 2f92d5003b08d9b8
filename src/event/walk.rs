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
use super::redact::{self, Span, Style};

/// How deep nested JSON-in-a-string and base64-in-base64 are followed (a guard against hostile
/// input): each decoding step (JSON or base64) uses one level.
pub(crate) const MAX_DECODE_DEPTH: usize = 4;
/// Strings longer than this are not tried as embedded JSON or base64.
pub(crate) const MAX_DECODE_LEN: usize = 1 << 20;

/// One scannable string of an event: a value, or an object key.
pub struct Field<'a> {
    /// RFC 6901 JSON Pointer into the CloudEvent (through decoded strings). Segments of keys
    /// that held a finding are written masked (see `Visit::key`). For a key (`in_key`), the
    /// pointer of the object that holds it.
    pub pointer: &'a str,
    /// The object key (or array parent key) the string sits under: context for detectors.
    pub key: &'a str,
    pub text: &'a str,
    /// The path segments, unescaped and unmasked, for location rules (for a key: ending with it).
    pub segments: &'a [String],
    /// Set when the text was base64-decoded from the raw field.
    pub base64: bool,
    /// Set when `text` is an object key rather than a value.
    pub in_key: bool,
}

/// What a walk reports to. Values go to `text`; every object key goes to `key` first, which
/// answers the spans of the key that must never be written raw: then the key's segment is
/// written masked in every pointer below it, and `key_masked` says what that pointer is.
pub trait Visit {
    fn text(&mut self, field: &Field);
    fn key(&mut self, _field: &Field) -> Vec<Span> {
        Vec::new()
    }
    /// The member pointer (with the masked segment) of the key `key` just answered spans for.
    fn key_masked(&mut self, _member: &str) {}
}

/// A plain callback sees values only (keys are not reported).
struct Values<'f>(&'f mut dyn FnMut(&Field));

impl Visit for Values<'_> {
    fn text(&mut self, field: &Field) {
        (self.0)(field)
    }
}

/// Calls `f` for every string (and number) in `value`.
pub fn walk(value: &Value, f: &mut dyn FnMut(&Field)) {
    walk_visit(value, &mut Values(f));
}

/// As `walk`, for a value found under the top-level key `key` (pointers start `/key`).
pub fn walk_at(value: &Value, key: &str, f: &mut dyn FnMut(&Field)) {
    let mut v = Values(f);
    let mut w = Walker::new(&mut v);
    w.push(key, key);
    w.value(value, key, 0);
}

/// Every value and every object key of `value` (a whole CloudEvent: envelope attributes,
/// extensions, `data`, `data_base64`), keys first, to `visit`.
pub fn walk_visit(value: &Value, visit: &mut dyn Visit) {
    Walker::new(visit).value(value, "", 0);
}

struct Walker<'f> {
    /// The pointer as written (masked key segments).
    pointer: String,
    /// The pointer's length before each segment pushed (`pop` cuts it back there); as many as
    /// the members descended into (`depth`).
    cuts: Vec<usize>,
    /// `segments[..depth]` is the current raw path; deeper entries are kept as buffers to reuse.
    segments: Vec<String>,
    visit: &'f mut dyn Visit,
}

impl<'f> Walker<'f> {
    fn new(visit: &'f mut dyn Visit) -> Walker<'f> {
        Walker {
            pointer: String::new(),
            cuts: Vec::new(),
            segments: Vec::new(),
            visit,
        }
    }

    fn value(&mut self, v: &Value, key: &str, depth: usize) {
        match v {
            Value::Object(map) => self.object(map, key, depth),
            Value::Array(items) => {
                let mut index = [0u8; 20];
                for (i, child) in items.iter().enumerate() {
                    let seg = format_index(&mut index, i);
                    self.push(seg, seg);
                    self.value(child, key, depth);
                    self.pop();
                }
            }
            Value::String(s) => self.string(s, key, depth, false),
            Value::Number(n) => {
                let text = n.to_string();
                self.emit(&text, key, false);
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn object(&mut self, map: &serde_json::Map<String, Value>, parent: &str, depth: usize) {
        let mut used = Vec::new();
        for (k, child) in map {
            self.set_segment(self.depth(), k);
            let spans = self.visit.key(&Field {
                pointer: &self.pointer,
                key: parent,
                text: k,
                segments: &self.segments[..=self.depth()],
                base64: false,
                in_key: true,
            });
            if spans.is_empty() {
                self.push(k, k);
            } else {
                let seg = member_segment(k, &spans, &|s| map.contains_key(s), &mut used);
                self.push(&seg, k);
                self.visit.key_masked(&self.pointer);
            }
            self.value(child, k, depth);
            self.pop();
        }
    }

    /// A string: embedded JSON is walked as values, base64 text decoded (and tried again, up to
    /// the depth limit: base64 inside base64), anything else scanned as it is.
    fn string(&mut self, s: &str, key: &str, depth: usize, base64: bool) {
        if depth < MAX_DECODE_DEPTH && s.len() <= MAX_DECODE_LEN {
            if let Some(nested) = embedded_json(s) {
                self.value(&nested, key, depth + 1);
                return;
            }
            if let Some(decoded) = embedded_base64(s) {
                self.string(&decoded, key, depth + 1, true);
                return;
            }
        }
        self.emit(s, key, base64);
    }

    fn emit(&mut self, text: &str, key: &str, base64: bool) {
        if text.is_empty() {
            return;
        }
        self.visit.text(&Field {
            pointer: &self.pointer,
            key,
            text,
            segments: &self.segments[..self.depth()],
            base64,
            in_key: false,
        });
    }

    fn set_segment(&mut self, at: usize, segment: &str) {
        match self.segments.get_mut(at) {
            Some(buf) => {
                buf.clear();
                buf.push_str(segment);
            }
            None => self.segments.push(segment.to_string()),
        }
    }

    /// Descends into a member: `written` goes into the pointer, `raw` into the segments.
    fn push(&mut self, written: &str, raw: &str) {
        self.set_segment(self.depth(), raw);
        self.cuts.push(self.pointer.len());
        push_segment(&mut self.pointer, written);
    }

    /// How many members deep the walk is.
    fn depth(&self) -> usize {
        self.cuts.len()
    }

    fn pop(&mut self) {
        let cut = self.cuts.pop().expect("pop after push");
        self.pointer.truncate(cut);
    }
}

/// The pointer segment written for the key `raw` whose `spans` hold findings: the key with those
/// spans masked (as alerts mask values), made unique among the object's keys (`exists`) and the
/// masked segments already given out in this object (`used`) by a `#2`, `#3`… suffix. The walk
/// and the redaction both call this, in the same order, so their pointers agree.
pub(crate) fn member_segment(
    raw: &str,
    spans: &[Span],
    exists: &dyn Fn(&str) -> bool,
    used: &mut Vec<String>,
) -> String {
    unique_key(redact::mask_spans(raw, spans, Style::Masked), exists, used)
}

/// `base`, or `base#n` for the first n ≥ 2 that is neither an existing key nor already used.
pub(crate) fn unique_key(
    base: String,
    exists: &dyn Fn(&str) -> bool,
    used: &mut Vec<String>,
) -> String {
    let taken = |s: &str, used: &Vec<String>| exists(s) || used.iter().any(|u| u == s);
    let mut seg = base.clone();
    let mut n = 1;
    while taken(&seg, used) {
        n += 1;
        seg = format!("{base}#{n}");
    }
    used.push(seg.clone());
    seg
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
    // most keys need no escape: one pass to tell, then one copy
    if !segment.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(segment);
        return;
    }
    for ch in segment.chars() {
        match ch {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// What an embedded JSON object or array starts with (a constant, so brace-counting tools
/// reading `embedded_json` see balanced braces).
const JSON_OPENERS: [char; 2] = ['{', '['];

/// A string that is itself a JSON object or array (not a bare number or quoted string).
pub fn embedded_json(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !t.starts_with(JSON_OPENERS) {
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

    /// Finds "SECRET" in keys and records what it was told.
    struct Keys {
        seen: Vec<(String, String, bool)>,
        masked: Vec<String>,
    }

    impl Visit for Keys {
        fn text(&mut self, f: &Field) {
            self.seen.push((f.pointer.into(), f.text.into(), false));
        }
        fn key(&mut self, f: &Field) -> Vec<Span> {
            self.seen.push((f.pointer.into(), f.text.into(), true));
            assert_eq!(f.segments.last().map(String::as_str), Some(f.text));
            f.text
                .find("SECRET")
                .map(|at| vec![(at, at + 6, crate::detect::Category::Credential)])
                .unwrap_or_default()
        }
        fn key_masked(&mut self, member: &str) {
            self.masked.push(member.into());
        }
    }

    #[test]
    fn keys_are_reported_and_a_key_with_a_finding_is_masked_in_every_pointer() {
        // "k ******" exists already: the masked segment of "k SECRET" must not collide with it
        let v = json!({"data": {"k SECRET": {"inner": "x"}, "k ******": "y", "plain": "z"}});
        let mut k = Keys {
            seen: Vec::new(),
            masked: Vec::new(),
        };
        walk_visit(&v, &mut k);
        assert!(k.seen.contains(&("/data".into(), "k SECRET".into(), true)));
        assert!(
            k.seen
                .contains(&("/data/k ******#2/inner".into(), "x".into(), false))
        );
        assert!(
            k.seen
                .contains(&("/data/k ******".into(), "y".into(), false))
        );
        assert_eq!(k.masked, ["/data/k ******#2"]);
        assert!(
            k.seen.iter().all(|(p, _, _)| !p.contains("SECRET")),
            "{:?}",
            k.seen
        );
    }

    #[test]
    fn base64_inside_base64_is_decoded_to_the_depth_limit() {
        let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let v = json!({"twice": b(&b("patient SSN 078-05-1120")), "deep": b(&b(&b(&b(&b("hidden text here")))))});
        let got = collect(&v);
        assert!(
            got.contains(&("/twice".into(), "patient SSN 078-05-1120".into(), true)),
            "{got:?}"
        );
        // beyond the limit the text stays encoded (bounded work), never a panic
        assert!(
            got.iter()
                .any(|(p, t, _)| p == "/deep" && t != "hidden text here")
        );
    }
}
