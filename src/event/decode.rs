//! From a document to CloudEvents. Twilio delivers the same events in several wrappings: a bare
//! object (Kinesis record, Kafka relay), an array (webhook sink body), a Kinesis GetRecords dump
//! whose records hold base64 JSON, and base64 text of any of these (Kafka relays that copied
//! Kinesis data verbatim). `decode_value` unwraps them all into plain event objects.

use base64::Engine as _;
use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error(
        "JSON {0} is not a CloudEvent (expected an object with `specversion` or `type` and `data`, an array of them, or a Kinesis record)"
    )]
    NotAnEvent(&'static str),
    #[error("Kinesis record `Data` is not valid base64 JSON: {0}")]
    KinesisData(String),
}

/// Nesting limit for wrappers (array of Kinesis records of base64 arrays …): a guard against
/// hostile input, far above anything Twilio produces.
const MAX_WRAPPING: usize = 4;

/// Unwrap `value` into CloudEvent objects, appending to `out`.
pub fn decode_value(value: Value, out: &mut Vec<Value>) -> Result<(), DecodeError> {
    decode_at(value, out, 0)
}

/// Parse bytes as JSON (or base64 of JSON) and unwrap them into CloudEvents.
pub fn decode_bytes(bytes: &[u8], out: &mut Vec<Value>) -> Result<(), DecodeError> {
    match parse_json(bytes) {
        Ok(v) => decode_value(v, out),
        Err(e) => {
            let trimmed = bytes.trim_ascii();
            if looks_base64(trimmed)
                && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(trimmed)
                && let Ok(v) = serde_json::from_slice::<Value>(&raw)
            {
                return decode_value(v, out);
            }
            Err(DecodeError::Json(describe_json_error(&e)))
        }
    }
}

/// One JSON value from bytes, as `serde_json::from_slice` parses it. Checked as UTF-8 once
/// (one fast pass), the parser need not check each string it copies; bytes that are not UTF-8
/// get the parser's own error, with its position.
pub fn parse_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// serde_json's message without the input excerpt (it never quotes input, but be explicit):
/// category and position only, so an error line can never carry PHI.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

fn decode_at(value: Value, out: &mut Vec<Value>, depth: usize) -> Result<(), DecodeError> {
    if depth > MAX_WRAPPING {
        return Err(DecodeError::NotAnEvent("nested too deeply"));
    }
    match value {
        Value::Array(items) => {
            for item in items {
                decode_at(item, out, depth + 1)?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            if is_cloud_event(&map) {
                out.push(Value::Object(map));
                Ok(())
            } else if let Some(Value::Array(records)) = map.remove("Records") {
                for record in records {
                    decode_at(record, out, depth + 1)?;
                }
                Ok(())
            } else if let Some(Value::String(data)) = map.get("Data") {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map_err(|e| DecodeError::KinesisData(e.to_string()))?;
                let v: Value = serde_json::from_slice(&raw)
                    .map_err(|e| DecodeError::KinesisData(describe_json_error(&e)))?;
                decode_at(v, out, depth + 1)
            } else {
                Err(DecodeError::NotAnEvent("object"))
            }
        }
        Value::String(s) => {
            let t = s.trim().as_bytes();
            if looks_base64(t)
                && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(t)
                && let Ok(v) = serde_json::from_slice::<Value>(&raw)
            {
                return decode_at(v, out, depth + 1);
            }
            if let Ok(v) = serde_json::from_str::<Value>(&s)
                && (v.is_object() || v.is_array())
            {
                return decode_at(v, out, depth + 1);
            }
            Err(DecodeError::NotAnEvent("string"))
        }
        Value::Null => Err(DecodeError::NotAnEvent("null")),
        Value::Bool(_) => Err(DecodeError::NotAnEvent("boolean")),
        Value::Number(_) => Err(DecodeError::NotAnEvent("number")),
    }
}

fn is_cloud_event(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("specversion") || (map.contains_key("type") && map.contains_key("data"))
}

pub(crate) fn looks_base64(b: &[u8]) -> bool {
    b.len() >= 16
        && b.len() % 4 == 0
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_fixtures::sent_event as event;

    #[test]
    fn unwraps_arrays_kinesis_records_and_base64() {
        let ev = event("EZ1");
        let b64 = base64::engine::general_purpose::STANDARD.encode(ev.to_string());
        let doc = json!([ev, {"Records": [{"SequenceNumber": "1", "Data": b64}]}, {"Data": b64}]);
        let mut out = Vec::new();
        decode_value(doc, &mut out).unwrap();
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|e| e["id"] == "EZ1"));

        let mut out = Vec::new();
        decode_bytes(b64.as_bytes(), &mut out).unwrap();
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn rejects_non_events_with_a_reason() {
        let mut out = Vec::new();
        assert_eq!(
            decode_value(json!({"hello": 1}), &mut out),
            Err(DecodeError::NotAnEvent("object"))
        );
        let err = decode_bytes(b"{\"specversion\": ", &mut out).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
