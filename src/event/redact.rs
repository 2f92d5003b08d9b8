//! Redaction: rewrite an event with the detected values masked, for the redacted forward
//! (consumers not cleared for PHI read the copy).
//!
//! The scan reports each value as a JSON pointer plus a byte span of the text the walk saw. That
//! text may not be the raw field: a string holding JSON is walked as nested values, and base64
//! text is walked decoded. So redaction retraces the walk (the same decode decisions, through the
//! same functions), masks the spans in the decoded text and re-encodes on the way back out: the
//! nested JSON is serialised again, base64 is encoded again. Only fields with marks are touched.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::walk::{
    MAX_DECODE_DEPTH, MAX_DECODE_LEN, embedded_base64, embedded_json, member_segment, push_segment,
    unique_key,
};
use crate::detect::Category;

/// A byte span of a text and what was found there.
pub type Span = (usize, usize, Category);

/// One value to mask: where (the walk's pointer) and which bytes of the text found there.
/// With `key` set, the span is in that object key (raw, held in memory only) of the object at
/// `pointer`: the key itself is renamed.
#[derive(Debug, Clone)]
pub struct Mark {
    pub pointer: String,
    pub start: usize,
    pub end: usize,
    pub category: Category,
    pub key: Option<String>,
}

/// What a masked value becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// The alert's masked preview (`***-**-6789`, `J*** S****`): shape kept, value gone.
    #[default]
    Masked,
    /// A category placeholder (`[ssn]`, `[name]`): nothing of the value kept.
    Category,
}

impl Style {
    fn replace(self, category: Category, value: &str) -> String {
        match self {
            Style::Masked => crate::detect::mask::mask(category, value),
            Style::Category => format!("[{}]", category.as_str()),
        }
    }
}

/// How to redact, from `[sinks.redacted_forward]`.
#[derive(Debug, Clone, Copy)]
pub struct Redaction {
    pub style: Style,
    /// Also mask participant addresses (`to`, `from`, …).
    pub mask_addresses: bool,
}

/// `text` with every span replaced in `style`. Overlapping spans merge into one; a span that
/// does not fit the text, or cuts a character, is widened to whole characters and clamped: a
/// mask may cover a little more than asked, never less.
pub fn mask_spans(text: &str, spans: &[Span], style: Style) -> String {
    mask_counted(text, spans, style).0
}

/// As `mask_spans`, also returning how many masks were written.
fn mask_counted(text: &str, spans: &[Span], style: Style) -> (String, usize) {
    let mut spans: Vec<Span> = spans
        .iter()
        .map(|&(s, e, c)| (floor_char(text, s), ceil_char(text, e), c))
        .filter(|&(s, e, _)| s < e)
        .collect();
    spans.sort_unstable_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut out = String::with_capacity(text.len());
    let (mut at, mut i, mut n) = (0, 0, 0);
    while i < spans.len() {
        let (start, mut end, category) = spans[i];
        i += 1;
        // overlapping findings (two detectors, one value) merge into one masked span
        while i < spans.len() && spans[i].0 < end {
            end = end.max(spans[i].1);
            i += 1;
        }
        let start = start.max(at);
        if start >= end {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&style.replace(category, &text[start..end]));
        n += 1;
        at = end;
    }
    out.push_str(&text[at..]);
    (out, n)
}

/// The char boundary at or before `i` (clamped to the text).
fn floor_char(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary at or after `i` (clamped to the text).
fn ceil_char(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Masks every marked span in `event` (pointers from the root), keys included. Returns how many
/// values were masked (overlapping spans count once).
pub fn apply(event: &mut Value, marks: &[Mark], style: Style) -> usize {
    if marks.is_empty() {
        return 0;
    }
    let mut texts: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
    let mut keys: BTreeMap<&str, Vec<(&str, Vec<Span>)>> = BTreeMap::new();
    for m in marks {
        let span = (m.start, m.end, m.category);
        match &m.key {
            None => texts.entry(m.pointer.as_str()).or_default().push(span),
            Some(k) => {
                let in_object = keys.entry(m.pointer.as_str()).or_default();
                match in_object.iter_mut().find(|(raw, _)| *raw == k.as_str()) {
                    Some((_, spans)) => spans.push(span),
                    None => in_object.push((k.as_str(), vec![span])),
                }
            }
        }
    }
    let mut r = Redactor {
        texts,
        keys,
        style,
        masked: 0,
    };
    r.value(event, &mut String::new(), 0);
    r.masked
}

struct Redactor<'m> {
    texts: BTreeMap<&'m str, Vec<Span>>,
    /// Object pointer → its keys to rename (raw key, spans in it).
    keys: BTreeMap<&'m str, Vec<(&'m str, Vec<Span>)>>,
    style: Style,
    masked: usize,
}

fn any_under<V>(map: &BTreeMap<&str, V>, pointer: &str) -> bool {
    map.range(pointer..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(pointer))
}

impl Redactor<'_> {
    /// Whether any mark sits at or below `pointer` (pointers sharing a prefix only cost a
    /// needless descent).
    fn any_under(&self, pointer: &str) -> bool {
        any_under(&self.texts, pointer) || any_under(&self.keys, pointer)
    }

    /// Returns whether anything changed.
    fn value(&mut self, v: &mut Value, pointer: &mut String, depth: usize) -> bool {
        if !self.any_under(pointer) {
            return false;
        }
        match v {
            Value::Object(map) => self.object(map, pointer, depth),
            Value::Array(items) => {
                let mut changed = false;
                for (i, child) in items.iter_mut().enumerate() {
                    let len = pointer.len();
                    push_segment(pointer, &i.to_string());
                    changed |= self.value(child, pointer, depth);
                    pointer.truncate(len);
                }
                changed
            }
            Value::String(s) => match self.string(s, pointer, depth) {
                Some(new) => {
                    *s = new;
                    true
                }
                None => false,
            },
            Value::Number(n) => match self.text(&n.to_string(), pointer) {
                // a number cannot hold a mask: it becomes a string
                Some(new) => {
                    *v = Value::String(new);
                    true
                }
                None => false,
            },
            Value::Bool(_) | Value::Null => false,
        }
    }

    /// Members in the walk's order, with the walk's pointer segments (masked keys, see
    /// `walk::member_segment`); marked keys are renamed to their masked form afterwards.
    fn object(
        &mut self,
        map: &mut serde_json::Map<String, Value>,
        pointer: &mut String,
        depth: usize,
    ) -> bool {
        let to_rename = self.keys.remove(pointer.as_str()).unwrap_or_default();
        let mut changed = false;
        let mut segments: Vec<(String, String)> = Vec::new(); // raw → pointer segment
        if !to_rename.is_empty() {
            let mut used = Vec::new();
            for k in map.keys() {
                if let Some((_, spans)) = to_rename.iter().find(|(raw, _)| *raw == k.as_str()) {
                    let seg = member_segment(k, spans, &|s| map.contains_key(s), &mut used);
                    segments.push((k.clone(), seg));
                }
            }
        }
        for (k, child) in map.iter_mut() {
            let len = pointer.len();
            let seg = segments.iter().find(|(raw, _)| raw == k).map(|(_, s)| s);
            push_segment(pointer, seg.unwrap_or(k));
            changed |= self.value(child, pointer, depth);
            pointer.truncate(len);
        }
        let mut written = Vec::new();
        for (raw, spans) in &to_rename {
            let Some(child) = map.remove(*raw) else {
                continue;
            };
            let (masked, n) = mask_counted(raw, spans, self.style);
            let name = unique_key(masked, &|s| map.contains_key(s), &mut written);
            map.insert(name, child);
            self.masked += n;
            changed = true;
        }
        changed
    }

    /// The walk's decisions, in the walk's order (see `walk::Walker::string`).
    fn string(&mut self, s: &str, pointer: &mut String, depth: usize) -> Option<String> {
        if depth < MAX_DECODE_DEPTH && s.len() <= MAX_DECODE_LEN {
            if let Some(mut nested) = embedded_json(s) {
                return self
                    .value(&mut nested, pointer, depth + 1)
                    .then(|| nested.to_string());
            }
            if let Some(decoded) = embedded_base64(s) {
                return self
                    .string(&decoded, pointer, depth + 1)
                    .map(|t| base64::engine::general_purpose::STANDARD.encode(t));
            }
        }
        self.text(s, pointer)
    }

    /// `text` with the spans marked at exactly `pointer` replaced.
    fn text(&mut self, text: &str, pointer: &str) -> Option<String> {
        let spans = self.texts.get(pointer)?;
        let (out, n) = mask_counted(text, spans, self.style);
        self.masked += n;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mark(pointer: &str, text: &str, value: &str, category: Category) -> Mark {
        let start = text.find(value).expect("value in text");
        Mark {
            pointer: pointer.into(),
            start,
            end: start + value.len(),
            category,
            key: None,
        }
    }

    #[test]
    fn masks_plain_strings_and_numbers() {
        let mut ev = json!({"data": {"tags": {"dx": "Dx for Jane Roe", "mrn": 12345678}, "to": "+15551234567"}});
        let marks = [
            mark(
                "/data/tags/dx",
                "Dx for Jane Roe",
                "Jane Roe",
                Category::Name,
            ),
            mark("/data/tags/mrn", "12345678", "12345678", Category::Mrn),
        ];
        assert_eq!(apply(&mut ev, &marks, Style::Category), 2);
        assert_eq!(ev["data"]["tags"]["dx"], "Dx for [name]");
        assert_eq!(ev["data"]["tags"]["mrn"], "[mrn]");
        assert_eq!(ev["data"]["to"], "+15551234567");
    }

    #[test]
    fn nested_json_and_base64_are_re_encoded() {
        let inner = json!({"webhook": {"Body": "SSN 123-45-6789"}}).to_string();
        let b64 = base64::engine::general_purpose::STANDARD.encode("<Say>Call Jane Roe</Say>");
        let mut ev = json!({"data": {"payload": inner, "responseBody": b64}});
        let marks = [
            mark(
                "/data/payload/webhook/Body",
                "SSN 123-45-6789",
                "123-45-6789",
                Category::Ssn,
            ),
            mark(
                "/data/responseBody",
                "<Say>Call Jane Roe</Say>",
                "Jane Roe",
                Category::Name,
            ),
        ];
        assert_eq!(apply(&mut ev, &marks, Style::Masked), 2);
        let payload: Value = serde_json::from_str(ev["data"]["payload"].as_str().unwrap()).unwrap();
        let body = payload["webhook"]["Body"].as_str().unwrap();
        assert!(
            body.starts_with("SSN ") && !body.contains("123-45"),
            "{body}"
        );
        let said = base64::engine::general_purpose::STANDARD
            .decode(ev["data"]["responseBody"].as_str().unwrap())
            .unwrap();
        let said = String::from_utf8(said).unwrap();
        assert!(
            said.starts_with("<Say>Call ") && !said.contains("Jane Roe"),
            "{said}"
        );
    }

    #[test]
    fn overlapping_spans_merge_and_unmarked_fields_stay_byte_identical() {
        let text = "MRN 00123456 today";
        let mut ev = json!({"data": {"note": text, "other": "{\"a\": 1}"}});
        let marks = [
            mark("/data/note", text, "MRN 00123456", Category::Mrn),
            mark("/data/note", text, "00123456", Category::Mrn),
        ];
        assert_eq!(apply(&mut ev, &marks, Style::Category), 1);
        assert_eq!(ev["data"]["note"], "[mrn] today");
        // not re-serialised: nothing inside it was marked
        assert_eq!(ev["data"]["other"], "{\"a\": 1}");
    }

    #[test]
    fn pointers_with_escapes_are_followed() {
        let mut ev = json!({"data": {"a/b": {"c~d": "Jane Roe"}}});
        let marks = [mark(
            "/data/a~1b/c~0d",
            "Jane Roe",
            "Jane Roe",
            Category::Name,
        )];
        assert_eq!(apply(&mut ev, &marks, Style::Category), 1);
        assert_eq!(ev["data"]["a/b"]["c~d"], "[name]");
    }

    #[test]
    fn keys_are_renamed_and_values_below_them_found_by_the_masked_pointer() {
        let key = "ssn 078-05-1120";
        let mut ev = json!({"data": {"tags": {key: {"note": "SSN 123-45-6789"}, "c": "x"}}});
        let marks = [
            Mark {
                pointer: "/data/tags".into(),
                start: 4,
                end: key.len(),
                category: Category::Ssn,
                key: Some(key.into()),
            },
            mark(
                "/data/tags/ssn ***-**-1120/note",
                "SSN 123-45-6789",
                "123-45-6789",
                Category::Ssn,
            ),
        ];
        assert_eq!(apply(&mut ev, &marks, Style::Category), 2);
        assert_eq!(
            ev,
            json!({"data": {"tags": {"ssn [ssn]": {"note": "SSN [ssn]"}, "c": "x"}}})
        );
    }

    #[test]
    fn spans_that_do_not_fit_the_text_mask_more_never_less() {
        let spans = [(2, 99, Category::Credential), (0, 1, Category::Name)];
        assert_eq!(
            mask_spans("abcdef", &spans, Style::Category),
            "[name]b[credential]"
        );
        // a span ending inside "é" covers the whole character
        assert_eq!(
            mask_spans("pw é!", &[(3, 4, Category::Credential)], Style::Masked),
            "pw *!"
        );
    }
}
