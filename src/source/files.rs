//! Files, directories and stdin, for `phiscan scan` (audits replaying archived events).
//!
//! A file is JSON Lines (one event, array or Kinesis record per line), one JSON document (a
//! pretty-printed event, a webhook-sink body array, a GetRecords dump), or a mix. Nothing
//! decides the format for the whole file: each value is read where it starts, a line that is
//! complete JSON on its own is a record, and a value that spans lines is collected until it is
//! complete (see `read_records_limited`). Memory is bounded by the record size limit, so an
//! archive of any size (or a decompression bomb) runs in bounded memory, and a malformed line
//! costs only that line, wherever it is.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::event::{decode::describe_json_error, decode_value};

/// One input to read: a file path, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// Size on disk (compressed size for .gz/.zst), for progress.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }
}

/// Expand command-line paths: directories recursively (sorted, hidden entries skipped), `-` as stdin.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if p.is_dir() {
            walk_dir(p, &mut out).with_context(|| format!("reading directory {}", p.display()))?;
        } else if p.exists() {
            out.push(Input::File(p.clone()));
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<Input>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk_dir(&path, out)?;
        } else if is_event_file(&path) {
            out.push(Input::File(path));
        }
    }
    Ok(())
}

/// In a directory, only files that can hold events (explicitly named files are always read).
fn is_event_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = name.trim_end_matches(".gz").trim_end_matches(".zst");
    base.ends_with(".json") || base.ends_with(".jsonl") || base.ends_with(".ndjson")
}

/// Counts the bytes read from the underlying (possibly compressed) input, for progress and
/// throughput figures.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open an input, decompressing `.gz` and `.zst` by name (and by magic bytes on stdin).
/// `count` grows by the raw bytes read.
pub fn open(input: &Input, count: Arc<AtomicU64>) -> Result<Box<dyn BufRead + Send>> {
    let (raw, name): (Box<dyn Read + Send>, String) = match input {
        Input::Stdin => (
            Box::new(Counting {
                inner: io::stdin(),
                count,
            }),
            String::new(),
        ),
        Input::File(p) => (
            Box::new(Counting {
                inner: File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
                count,
            }),
            p.to_string_lossy().to_ascii_lowercase(),
        ),
    };
    open_reader(raw, &name)
}

/// Wrap a raw stream in the decompressor its (lowercase) `name` or its magic bytes call for:
/// gzip (`.gz`, `1f 8b`), zstd (`.zst`, `28 b5 2f fd`), otherwise plain. Split from `open`
/// so the detection can be exercised on bytes in memory (the fuzz harness).
pub fn open_reader(raw: Box<dyn Read + Send>, name: &str) -> Result<Box<dyn BufRead + Send>> {
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let magic = buffered
        .fill_buf()?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let gz = name.ends_with(".gz") || magic.starts_with(&[0x1f, 0x8b]);
    let zst = name.ends_with(".zst") || magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    Ok(if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(buffered)))
    } else if zst {
        Box::new(BufReader::new(zstd::Decoder::with_buffer(buffered)?))
    } else {
        Box::new(buffered)
    })
}

/// What reading produced: an event with its position, or a malformed record with the reason.
pub enum Record {
    Event {
        event: Value,
        line: u64,
        index: Option<usize>,
    },
    Malformed {
        line: u64,
        error: String,
        raw: Vec<u8>,
    },
}

/// Largest record read by default: one JSON Lines line, or one multi-line document. Longer
/// lines are skipped as they stream past (never held whole), so a file of one endless line, or
/// a decompression bomb, keeps memory bounded; each is reported as a malformed record.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;
/// Most bytes of an oversized record kept for the dead-letter output.
const OVERSIZED_KEPT: usize = 64 << 10;
/// While a pending (multi-line) value is smaller than this, it is re-parsed after every line, so
/// a truncated or broken line is told from a document's first line at once; past it, only when
/// a line starts with a closing bracket or the buffer doubled (linear time for big documents).
const EAGER_PARSE: usize = 64 << 10;

/// Read every record of an opened input, with the default record size limit.
pub fn read_records(reader: Box<dyn BufRead + Send>, on: &mut dyn FnMut(Record)) -> Result<()> {
    read_records_limited(reader, DEFAULT_MAX_RECORD_BYTES, on)
}

/// Read every record of an opened input. JSON Lines and multi-line documents (pretty-printed,
/// a webhook body array, a GetRecords dump) may be mixed: a line that is a complete JSON value
/// is a record; a line that starts a value but does not finish it collects the following lines
/// until the value is complete. A malformed or truncated line is reported by position and
/// reading resumes at the next line, so no single line (the first included) can make the
/// reader skip the rest of the file. `Err` only for an I/O or decompression error; what was
/// read before it has been handed to `on`.
pub fn read_records_limited(
    reader: Box<dyn BufRead + Send>,
    max_record: usize,
    on: &mut dyn FnMut(Record),
) -> Result<()> {
    read_split(reader, max_record, false, &mut |item| match item {
        Split::Record(r) => on(r),
        Split::Line { raw, line } => parse_line(&raw, line, on),
    })
}

/// What `read_records_deferred` hands out: a record, or a line that is one complete JSON object
/// on its own, still unparsed (`parse_line` turns it into its records).
pub enum Split {
    Record(Record),
    Line { raw: Vec<u8>, line: u64 },
}

/// As `read_records_limited`, but a line that is one complete JSON object (checked by a
/// bracket-and-string scan, several times faster than parsing) is handed out unparsed, so the
/// parse can run on another thread: the reader of `scan` only splits, the workers parse and
/// scan, and nothing but the split is serial. Lines that start or continue a multi-line value
/// are parsed here as before, so the records are the same in the same order.
pub fn read_records_deferred(
    reader: Box<dyn BufRead + Send>,
    max_record: usize,
    on: &mut dyn FnMut(Split),
) -> Result<()> {
    read_split(reader, max_record, true, on)
}

/// The records of one line `read_records_deferred` handed out unparsed.
pub fn parse_line(raw: &[u8], line: u64, on: &mut dyn FnMut(Record)) {
    match crate::event::parse_json(raw.trim_ascii()) {
        Ok(v) => emit_value(v, line, raw, on),
        Err(e) => on(Record::Malformed {
            line,
            error: describe_json_error(&e),
            raw: raw.to_vec(),
        }),
    }
}

/// Whether `b` (one line) is exactly one JSON object with balanced brackets and closed strings:
/// then parsing it alone gives a value or a syntax error, never "incomplete", and it cannot be
/// the first line of a multi-line value.
fn is_complete_object(b: &[u8]) -> bool {
    let b = b.trim_ascii();
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return false;
    }
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => match skip_string(b, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 && i + 1 != b.len() {
                    return false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}

/// The index of the quote closing the string that starts at `from`, if it closes on this line.
fn skip_string(b: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', &b[from..])?;
        if b[at] == b'"' {
            return Some(at);
        }
        from = at + 2; // an escape: skip the escaped byte
        if from > b.len() {
            return None;
        }
    }
}

fn read_split(
    mut reader: Box<dyn BufRead + Send>,
    max_record: usize,
    defer: bool,
    on: &mut dyn FnMut(Split),
) -> Result<()> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut pending = Pending::default();
    loop {
        let line = next_line(&mut reader, &mut buf, max_record)?;
        if let LineRead::End = line {
            break;
        }
        line_no += 1;
        if let LineRead::TooLong(total) = line {
            pending.flush(true, &mut |r| on(Split::Record(r)));
            on(Split::Record(Record::Malformed {
                line: line_no,
                error: format!(
                    "record of {total} bytes exceeds the {max_record}-byte limit: skipped (the dead letter holds its first {} bytes)",
                    buf.len()
                ),
                raw: std::mem::take(&mut buf),
            }));
        } else if !pending.buf.is_empty() {
            pending.push_line(&buf, max_record, &mut |r| on(Split::Record(r)));
        } else if defer && is_complete_object(&buf) {
            let raw = std::mem::take(&mut buf);
            on(Split::Line { raw, line: line_no });
        } else {
            pending.first_line(&buf, line_no, &mut |r| on(Split::Record(r)));
        }
    }
    pending.flush(true, &mut |r| on(Split::Record(r)));
    Ok(())
}

/// A value spanning lines, still incomplete.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// Line number of `buf`'s first line.
    line: u64,
    next_attempt: usize,
}

impl Pending {
    /// A line read while no value is pending: a record, a malformed line, or the start of a
    /// multi-line value (or a truncated line: told apart as more lines arrive).
    fn first_line(&mut self, buf: &[u8], line: u64, on: &mut dyn FnMut(Record)) {
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            return;
        }
        match crate::event::parse_json(trimmed) {
            Ok(v) => emit_value(v, line, buf, on),
            Err(e) if e.is_eof() => self.start(buf, line),
            Err(e) => on(Record::Malformed {
                line,
                error: describe_json_error(&e),
                raw: buf.to_vec(),
            }),
        }
    }

    /// A line of a pending value: parse again when it may have completed it (always while
    /// small, then at closing brackets or when the buffer doubled: linear time).
    fn push_line(&mut self, buf: &[u8], max_record: usize, on: &mut dyn FnMut(Record)) {
        self.buf.extend_from_slice(buf);
        if self.buf.len() > max_record {
            self.oversized(max_record, on);
        } else if self.buf.len() < EAGER_PARSE
            || matches!(buf.first(), Some(b'}' | b']'))
            || self.buf.len() >= self.next_attempt
        {
            self.next_attempt = self.buf.len() * 2;
            self.flush(false, on);
        }
    }

    fn start(&mut self, first: &[u8], line: u64) {
        self.buf.clear();
        self.buf.extend_from_slice(first);
        self.line = line;
        self.next_attempt = 0;
    }

    /// Emit every complete value in the buffer, report malformed stretches (resuming at the
    /// line after the error, or at the error's own line when it is not the first), and keep an
    /// incomplete tail, or report it too when `at_end`.
    fn flush(&mut self, at_end: bool, on: &mut dyn FnMut(Record)) {
        let mut offset = 0usize;
        let mut line = self.line;
        'outer: while offset < self.buf.len() {
            let rest = &self.buf[offset..];
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
            loop {
                let before = stream.byte_offset();
                let lead = rest[before..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                let start = before + lead;
                let start_line = line + count_lines(&rest[..start]);
                match stream.next() {
                    None => {
                        offset = self.buf.len();
                        break 'outer;
                    }
                    Some(Ok(v)) => {
                        let end = stream.byte_offset();
                        emit_value(v, start_line, &rest[start..end], on);
                    }
                    Some(Err(e)) if e.is_eof() && !at_end => {
                        offset += start;
                        line = start_line;
                        break 'outer;
                    }
                    Some(Err(e)) if e.is_eof() => {
                        // a later line that is a record of its own ends the truncated value
                        if let Some((end, lines)) = next_record_line(rest, start, rest.len()) {
                            on(Record::Malformed {
                                line: start_line,
                                error: format!("truncated: {}", describe_json_error(&e)),
                                raw: rest[start..end].to_vec(),
                            });
                            offset += end;
                            line = start_line + lines;
                            continue 'outer;
                        }
                        on(Record::Malformed {
                            line: start_line,
                            error: format!("truncated: {}", describe_json_error(&e)),
                            raw: rest[start..].to_vec(),
                        });
                        offset = self.buf.len();
                        break 'outer;
                    }
                    Some(Err(e)) => {
                        // the error's line, relative to the value's start
                        let rel = (e.line() as u64).saturating_sub(1 + count_lines(&rest[..start]));
                        let skip_lines = if rel == 0 { 1 } else { rel };
                        let end = nth_line_end(rest, start, skip_lines);
                        // …up to a line inside it that is a record of its own, if any
                        let (end, skip_lines) =
                            next_record_line(rest, start, end).unwrap_or((end, skip_lines));
                        on(Record::Malformed {
                            line: start_line,
                            error: describe_json_error(&e),
                            raw: rest[start..end].to_vec(),
                        });
                        offset += end;
                        line = start_line + skip_lines;
                        continue 'outer;
                    }
                }
            }
        }
        self.buf.drain(..offset.min(self.buf.len()));
        self.line = line;
        if self.buf.trim_ascii().is_empty() {
            self.buf.clear();
        }
    }

    /// The pending value passed the record size limit: report it and drop it.
    fn oversized(&mut self, max_record: usize, on: &mut dyn FnMut(Record)) {
        let total = self.buf.len();
        self.buf.truncate(OVERSIZED_KEPT);
        on(Record::Malformed {
            line: self.line,
            error: format!(
                "multi-line record passed the {max_record}-byte limit at {total} bytes: skipped up to here (the dead letter holds its first {} bytes)",
                self.buf.len()
            ),
            raw: std::mem::take(&mut self.buf),
        });
        self.next_attempt = 0;
    }
}

fn count_lines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Within `b[from..to]`, the first line after the first that holds a complete JSON object or
/// array on its own: its offset and how many lines precede it from `from`. A broken value that
/// ran on into following lines must not swallow JSON Lines records (found by fuzzing: a line
/// cut off after `"data":` took the next line's event as its value, and both were lost).
fn next_record_line(b: &[u8], from: usize, to: usize) -> Option<(usize, u64)> {
    let mut at = from;
    let mut lines = 0;
    while let Some(i) = memchr::memchr(b'\n', &b[at..to]) {
        at += i + 1;
        lines += 1;
        let end = memchr::memchr(b'\n', &b[at..to]).map_or(to, |j| at + j);
        let line = b[at..end].trim_ascii();
        if matches!(line.first(), Some(b'{' | b'['))
            && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
        {
            return Some((at, lines));
        }
    }
    None
}

/// The offset just past the `n`th newline at or after `from` (or the end).
fn nth_line_end(b: &[u8], from: usize, n: u64) -> usize {
    let mut at = from;
    for _ in 0..n {
        match memchr::memchr(b'\n', &b[at..]) {
            Some(i) => at += i + 1,
            None => return b.len(),
        }
    }
    at
}

enum LineRead {
    End,
    Line,
    /// Longer than the limit (total bytes): skipped; `buf` holds its first bytes.
    TooLong(u64),
}

/// Read the next line into `buf` (replacing it), never holding more than `max` bytes of it.
fn next_line(
    reader: &mut Box<dyn BufRead + Send>,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<LineRead> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(max as u64 + 1)
        .read_until(b'\n', buf)
        .context("reading input")?;
    if n == 0 {
        return Ok(LineRead::End);
    }
    if buf.len() <= max || buf.last() == Some(&b'\n') {
        return Ok(LineRead::Line);
    }
    // skip the rest of the line as it streams past
    let mut total = n as u64;
    loop {
        let chunk = reader.fill_buf().context("reading input")?;
        if chunk.is_empty() {
            break;
        }
        let (used, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        reader.consume(used);
        total += used as u64;
        if done {
            break;
        }
    }
    buf.truncate(OVERSIZED_KEPT);
    Ok(LineRead::TooLong(total))
}

/// One JSON value, unwrapped into its events (`index` set when there are several), or one
/// malformed record; `replay` reads archives through the same function.
pub(crate) fn emit_value(v: Value, line: u64, raw: &[u8], on: &mut dyn FnMut(Record)) {
    let mut events = Vec::new();
    match decode_value(v, &mut events) {
        Ok(()) => {
            let many = events.len() > 1;
            for (i, event) in events.into_iter().enumerate() {
                on(Record::Event {
                    event,
                    line,
                    index: many.then_some(i),
                });
            }
        }
        Err(e) => on(Record::Malformed {
            line,
            error: e.to_string(),
            raw: raw.to_vec(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Read = (Vec<(u64, Option<usize>)>, Vec<(u64, String)>);

    /// The records of `text`, read directly and read deferred (lines handed out unparsed,
    /// parsed afterwards, as `scan`'s workers do): both must give the same records, events
    /// included, in the same order.
    fn read(text: &str) -> Read {
        let reader =
            || -> Box<dyn BufRead + Send> { Box::new(io::Cursor::new(text.as_bytes().to_vec())) };
        let mut direct = Vec::new();
        read_records(reader(), &mut |r| direct.push(describe(r))).unwrap();
        let mut split = Vec::new();
        read_records_deferred(reader(), DEFAULT_MAX_RECORD_BYTES, &mut |s| match s {
            Split::Record(r) => split.push(describe(r)),
            Split::Line { raw, line } => parse_line(&raw, line, &mut |r| split.push(describe(r))),
        })
        .unwrap();
        assert_eq!(
            direct, split,
            "deferred parsing changed the records of {text:?}"
        );
        let mut events = Vec::new();
        let mut bad = Vec::new();
        for (line, index, event, error) in direct {
            match error {
                None => events.push((line, index)),
                Some(error) => {
                    assert!(event.is_none());
                    bad.push((line, error))
                }
            }
        }
        (events, bad)
    }

    type Described = (u64, Option<usize>, Option<Value>, Option<String>);

    fn describe(r: Record) -> Described {
        match r {
            Record::Event { event, line, index } => (line, index, Some(event), None),
            Record::Malformed { line, error, .. } => (line, None, None, Some(error)),
        }
    }

    #[test]
    fn complete_objects_are_told_from_value_starts() {
        for line in [
            r#"{"a":1}"#,
            r#"  {"a":{"b":[1,{"c":"}"}]}} "#,
            r#"{"a":"quote \" and \\"}"#,
            r#"{"a": broken}"#,
        ] {
            assert!(is_complete_object(line.as_bytes()), "{line}");
        }
        for line in [
            r#"{"a":{"b":1}"#,
            r#"{"a":"}"#,
            r#"{"a":"\"}"#,
            r#"{} {}"#,
            r#"[{"a":1}]"#,
            r#"{"a":1]]"#,
            "{",
        ] {
            assert!(!is_complete_object(line.as_bytes()), "{line}");
        }
        let mixed = format!(
            "{EV}\n{{\"a\": {{\"b\": 1}}\n}}\n{{\"x\": \"}}\n\"}}\n{EV} {EV}\n{{\"k\":\"v\\\\\"}}\n"
        );
        let (events, bad) = read(&mixed);
        assert!(!events.is_empty() || !bad.is_empty());
    }

    const EV: &str = r#"{"specversion":"1.0","type":"t","id":"EZ1","data":{}}"#;

    #[test]
    fn json_lines_with_a_malformed_line_keep_going() {
        let text = format!("{EV}\n\n{{\"specversion\": broken\n[{EV},{EV}]\n{{\"x\":1}}\n");
        let (events, bad) = read(&text);
        assert_eq!(events, [(1, None), (4, Some(0)), (4, Some(1))]);
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].0, 3);
        assert!(bad[0].1.contains("syntax error"), "{}", bad[0].1);
        assert_eq!(bad[1].0, 5);
    }

    #[test]
    fn pretty_printed_documents_and_their_errors() {
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(EV).unwrap()).unwrap();
        let (events, bad) = read(&format!("\n{pretty}\n"));
        assert_eq!(events, [(2, None)]);
        assert!(bad.is_empty());
        let (events, bad) = read("{\n \"specversion\": \"1.0\",\n \"data\": {\n");
        assert!(events.is_empty());
        assert_eq!(bad.len(), 1);
        assert!(bad[0].1.contains("truncated"), "{}", bad[0].1);
        // documents and lines mixed, one after another
        let (events, bad) = read(&format!("{pretty}\n{EV}\n{pretty}\n"));
        let lines = pretty.lines().count() as u64;
        assert_eq!(events, [(1, None), (lines + 1, None), (lines + 2, None)]);
        assert!(bad.is_empty());
    }

    /// Before: a malformed first line switched the file to "one document" mode, the document
    /// did not parse, and not one event of the file was scanned.
    #[test]
    fn a_malformed_or_truncated_first_line_costs_only_that_line() {
        let (events, bad) = read(&format!("{{\"specversion\": broken\n{EV}\n{EV}\n"));
        assert_eq!(events, [(2, None), (3, None)]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
        // cut off inside a string
        let (events, bad) = read(&format!("{{\"specversion\":\"1.0\",\"da\n{EV}\n"));
        assert_eq!(events, [(2, None)]);
        assert_eq!(bad[0].0, 1);
        // cut off between tokens: the next line is not swallowed
        let (events, bad) = read(&format!(
            "{{\"specversion\":\"1.0\",\"data\": {{\n{EV}\n{EV}\n"
        ));
        assert_eq!(events, [(2, None), (3, None)], "{bad:?}");
        assert_eq!(bad.len(), 1);
    }

    #[test]
    fn big_documents_are_read_whole_and_oversized_records_skipped() {
        let many: Vec<Value> = (0..3000)
            .map(|_| serde_json::from_str::<Value>(EV).unwrap())
            .collect();
        let pretty = serde_json::to_string_pretty(&many).unwrap();
        assert!(pretty.len() > EAGER_PARSE);
        let (events, bad) = read(&format!("{pretty}\n{EV}\n"));
        assert_eq!(events.len(), 3001);
        assert!(bad.is_empty());

        let mut got = Vec::new();
        let text = format!("{}\n{EV}\n{pretty}\n{EV}\n", "x".repeat(100_000));
        let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(text.into_bytes()));
        read_records_limited(reader, 10_000, &mut |r| match r {
            Record::Event { line, .. } => got.push(Ok(line)),
            Record::Malformed { line, error, raw } => {
                assert!(raw.len() <= OVERSIZED_KEPT);
                got.push(Err((line, error)))
            }
        })
        .unwrap();
        assert!(
            matches!(&got[0], Err((1, e)) if e.contains("exceeds")),
            "{got:?}"
        );
        assert_eq!(got[1], Ok(2));
        assert!(
            matches!(&got[2], Err((3, e)) if e.contains("limit")),
            "{got:?}"
        );
        assert_eq!(
            got.last(),
            Some(&Ok(pretty.lines().count() as u64 + 3)),
            "{got:?}"
        );
    }

    /// Found by fuzzing (`tests/fuzz.rs`, files target): a line cut off after `"data":` took
    /// the next line's event as its value, and the parse error two lines on cost both lines.
    #[test]
    fn a_line_cut_off_before_a_value_does_not_swallow_the_next_records() {
        let cut = "{\"specversion\":\"1.0\",\"data\": ";
        let (events, bad) = read(&format!("{cut}\n{EV}\n{EV}\n"));
        assert_eq!(events, [(2, None), (3, None)], "{bad:?}");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
        // at the end of the input: a truncated value, then one record
        let (events, bad) = read(&format!("{EV}\n{cut}\n{EV}\n"));
        assert_eq!(events, [(1, None), (3, None)], "{bad:?}");
        assert_eq!(bad.len(), 1);
        assert!(bad[0].1.contains("truncated"), "{}", bad[0].1);
    }

    #[test]
    fn compressed_inputs_are_detected() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        writeln!(enc, "{EV}").unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join("b.jsonl.zst");
        std::fs::write(
            &zst,
            zstd::encode_all(format!("{EV}\n{EV}\n").as_bytes(), 1).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let inputs = expand(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(inputs.len(), 2);
        let mut n = 0;
        for i in &inputs {
            read_records(open(i, Default::default()).unwrap(), &mut |r| {
                n += matches!(r, Record::Event { .. }) as usize
            })
            .unwrap();
        }
        assert_eq!(n, 3);
    }
}
