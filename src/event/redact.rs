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

use super::walk::{MAX_DECODE_DEPTH, MAX_DECODE_LEN, embedded_base64, embedded_json, push_segment};
use crate::alert;
use crate::detect::Category;

/// One value to mask: where (the walk's pointer) and which bytes of the text found there.
#[derive(Debug, Clone)]
pub struct Mark {
    pub pointer: String,
    pub start: usize,
    pub end: usize,
    pub category: Category,
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
            Style::Masked => alert::mask(category, value),
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

/// Masks every marked span in `event` (pointers from the root). Returns how many values were
/// masked (overlapping spans count once).
pub fn apply(event: &mut Value, marks: &[Mark], style: Style) -> usize {
    if marks.is_empty() {
        return 0;
    }
    let mut by_pointer: BTreeMap<&str, Vec<(usize, usize, Category)>> = BTreeMap::new();
    for m in marks {
        by_pointer
            .entry(m.pointer.as_str())
            .or_default()
            .push((m.start, m.end, m.category));
    }
    let mut r = Redactor {
        marks: by_pointer,
        style,
        masked: 0,
    };
    r.value(event, &mut String::new(), 0);
    r.masked
}

struct Redactor<'m> {
    marks: BTreeMap<&'m str, Vec<(usize, usize, Category)>>,
    style: Style,
    masked: usize,
}

impl Redactor<'_> {
    /// Whether any mark sits at or below `pointer` (pointers sharing a prefix only cost a
    /// needless descent).
    fn any_under(&self, pointer: &str) -> bool {
        self.marks
            .range(pointer..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(pointer))
    }

    /// Returns whether anything changed.
    fn value(&mut self, v: &mut Value, pointer: &mut String, depth: usize) -> bool {
        if !self.any_under(pointer) {
            return false;
        }
        match v {
            Value::Object(map) => {
                let mut changed = false;
                for (k, child) in map.iter_mut() {
                    let len = pointer.len();
                    push_segment(pointer, k);
                    changed |= self.value(child, pointer, depth);
                    pointer.truncate(len);
                }
                changed
            }
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

    /// The walk's decisions, in the walk's order (see `walk::Walker::string`).
    fn string(&mut self, s: &str, pointer: &mut String, depth: usize) -> Option<String> {
        if depth < MAX_DECODE_DEPTH && s.len() <= MAX_DECODE_LEN {
            if let Some(mut nested) = embedded_json(s) {
                return self
                    .value(&mut nested, pointer, depth + 1)
                    .then(|| nested.to_string());
            }
            if let Some(decoded) = embedded_base64(s) {
                let redacted = match embedded_json(&decoded) {
                    Some(mut nested) => self
                        .value(&mut nested, pointer, depth + 1)
                        .then(|| nested.to_string()),
                    None => self.text(&decoded, pointer),
                };
                return redacted.map(|t| base64::engine::general_purpose::STANDARD.encode(t));
            }
        }
        self.text(s, pointer)
    }

    /// `text` with the spans marked at exactly `pointer` replaced.
    fn text(&mut self, text: &str, pointer: &str) -> Option<String> {
        let spans = self.marks.get_mut(pointer)?;
        spans.sort_unstable_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end, category) = spans[i];
            i += 1;
            // overlapping findings (two detectors, one value) merge into one masked span
            while i < spans.len() && spans[i].0 < end {
                end = end.max(spans[i].1);
                i += 1;
            }
            if start < at || end > text.len() {
                continue; // cannot happen for spans from this text; never panic on it
            }
            let (Some(before), Some(value)) = (text.get(at..start), text.get(start..end)) else {
                continue;
            };
            out.push_str(before);
            out.push_str(&self.style.replace(category, value));
            self.masked += 1;
            at = end;
        }
        out.push_str(&text[at..]);
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
}
