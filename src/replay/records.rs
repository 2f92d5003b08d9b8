//! Records of an archived object. Everything `scan` reads (JSON Lines, one JSON document, the
//! Twilio wrappings that `decode_value` unwraps) plus what Kinesis Data Firehose writes to S3:
//! records concatenated with no separator (`{…}{…}{…}`), often a whole object on one line.
//!
//! Lines are read one at a time, so a JSON Lines archive of any size runs in constant memory.
//! A line that is not one JSON value is read again as a stream of concatenated values
//! (serde_json's streaming deserializer), so Firehose objects need no special flag. A file whose
//! first line is not complete JSON is one (pretty-printed) document, or several concatenated.

use std::io::BufRead;

use anyhow::{Context, Result};
use serde_json::{Deserializer, Value};

use crate::event::{decode::describe_json_error, decode_value};
use crate::source::files::{Record, emit_value};

/// Read every record of an (already decompressed) object.
pub fn read_records(mut reader: impl BufRead, on: &mut dyn FnMut(Record)) -> Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut first = true;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .context("reading input")?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        match crate::event::parse_json(trimmed) {
            Ok(v) => emit_value(v, line_no, trimmed, on),
            Err(_) if first && !complete_stream(trimmed) => {
                // one document over many lines (pretty-printed), or several concatenated
                reader.read_to_end(&mut buf).context("reading input")?;
                read_stream(&buf, line_no, true, on);
                return Ok(());
            }
            Err(_) => read_stream(trimmed, line_no, false, on),
        }
        first = false;
    }
}

/// Whether `bytes` parse completely as concatenated JSON values.
fn complete_stream(bytes: &[u8]) -> bool {
    Deserializer::from_slice(bytes)
        .into_iter::<serde::de::IgnoredAny>()
        .all(|r| r.is_ok())
}

/// Concatenated values starting at line `line`. In a multi-line document each record is placed
/// at the line it starts on; on one line, records are told apart by `index`.
fn read_stream(bytes: &[u8], line: u64, multi_line: bool, on: &mut dyn FnMut(Record)) {
    let mut stream = Deserializer::from_slice(bytes).into_iter::<Value>();
    let mut start = 0usize;
    let mut index = 0usize;
    let mut events_on_line = 0usize;
    loop {
        let item = stream.next();
        let end = stream.byte_offset();
        let at = if multi_line {
            // the first non-blank byte of this record
            let lead = bytes[start..end]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(0);
            line + memchr::memchr_iter(b'\n', &bytes[..start + lead]).count() as u64
        } else {
            line
        };
        match item {
            None => return,
            Some(Ok(v)) => {
                let many = !multi_line || index > 0 || !rest_is_blank(&bytes[end..]);
                if multi_line && many {
                    events_on_line = 0; // each record starts a line of its own numbering
                }
                let counter = many.then_some(&mut events_on_line);
                emit_indexed(v, at, &bytes[start..end], counter, on);
                index += 1;
            }
            Some(Err(e)) => {
                let error = if multi_line && index == 0 {
                    format!(
                        "not JSON Lines, and not one JSON document: {}",
                        describe_json_error(&e)
                    )
                } else {
                    describe_json_error(&e)
                };
                on(Record::Malformed {
                    line: at,
                    error,
                    raw: bytes[start..].to_vec(),
                });
                return;
            }
        }
        start = end;
    }
}

fn rest_is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// One of several values on a line: its events are numbered on from `index` (the events of
/// the line so far), so every event of a Firehose line has its own index. `None`: the value is
/// alone, as `scan` reads it.
fn emit_indexed(
    v: Value,
    line: u64,
    raw: &[u8],
    index: Option<&mut usize>,
    on: &mut dyn FnMut(Record),
) {
    match index {
        None => emit_value(v, line, raw, on),
        Some(next) => {
            let mut events = Vec::new();
            match decode_value(v, &mut events) {
                Ok(()) => {
                    for event in events {
                        on(Record::Event {
                            event,
                            line,
                            index: Some(*next),
                        });
                        *next += 1;
                    }
                }
                Err(e) => on(Record::Malformed {
                    line,
                    error: e.to_string(),
                    raw: raw.to_vec(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = (Vec<(u64, Option<usize>, String)>, Vec<u64>);

    fn read(text: &str) -> Seen {
        let (mut events, mut bad) = (Vec::new(), Vec::new());
        read_records(std::io::Cursor::new(text.as_bytes()), &mut |r| match r {
            Record::Event { event, line, index } => {
                events.push((line, index, event["id"].as_str().unwrap_or("").to_string()))
            }
            Record::Malformed { line, .. } => bad.push(line),
        })
        .unwrap();
        (events, bad)
    }

    use crate::test_fixtures::minimal_event as ev;

    #[test]
    fn json_lines_as_scan_reads_them() {
        let text = format!("{}\n\n{{broken\n[{},{}]\n", ev("a"), ev("b"), ev("c"));
        let (events, bad) = read(&text);
        let ids: Vec<_> = events.iter().map(|e| (e.0, e.1, e.2.as_str())).collect();
        assert_eq!(ids, [(1, None, "a"), (4, Some(0), "b"), (4, Some(1), "c")]);
        assert_eq!(bad, [3]);
    }

    #[test]
    fn firehose_objects_concatenate_records_without_newlines() {
        let text = format!("{}{}{}", ev("a"), ev("b"), ev("c"));
        let (events, bad) = read(&text);
        let ids: Vec<_> = events.iter().map(|e| (e.1, e.2.as_str())).collect();
        assert_eq!(ids, [(Some(0), "a"), (Some(1), "b"), (Some(2), "c")]);
        assert!(bad.is_empty());
        // several such lines, and a truncated record at the end
        let text = format!(
            "{}{}\n{}{}{{\"specversion\":",
            ev("a"),
            ev("b"),
            ev("c"),
            ev("d")
        );
        let (events, bad) = read(&text);
        assert_eq!(events.len(), 4);
        assert_eq!(events[3].0, 2);
        assert_eq!(bad, [2]);
    }

    #[test]
    fn pretty_printed_documents_single_and_concatenated() {
        let pretty = |id: &str| {
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&ev(id)).unwrap()).unwrap()
        };
        let (events, bad) = read(&format!("\n{}\n", pretty("a")));
        assert_eq!(events, [(2, None, "a".to_string())]);
        assert!(bad.is_empty());
        let (events, bad) = read(&format!("{}{}\n", pretty("a"), pretty("b")));
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[1].0, 6,
            "record b starts on line 6, after the closing brace of a"
        );
        assert!(bad.is_empty());
        let (events, bad) = read("{\n \"specversion\": \"1.0\",\n \"data\": {\n");
        assert!(events.is_empty());
        assert_eq!(bad.len(), 1);
    }
}
