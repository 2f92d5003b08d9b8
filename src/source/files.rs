//! Files, directories and stdin, for `phiscan scan` (audits replaying archived events).
//!
//! A file is either JSON Lines (one event, array or Kinesis record per line) or one JSON
//! document (a pretty-printed event, a webhook-sink body array, a GetRecords dump). The first
//! non-blank line decides: if it is complete JSON on its own, the file is streamed line by line,
//! so an archive of any size runs in constant memory and a malformed line costs only that line.

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

/// Read every record of an opened input.
pub fn read_records(mut reader: Box<dyn BufRead + Send>, on: &mut dyn FnMut(Record)) -> Result<()> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    // find the first non-blank line
    loop {
        if !next_line(&mut reader, &mut buf, &mut line_no)? {
            return Ok(());
        }
        if !buf.trim_ascii().is_empty() {
            break;
        }
    }
    if let Ok(v) = serde_json::from_slice::<Value>(buf.trim_ascii()) {
        emit_value(v, line_no, &buf, on);
        loop {
            if !next_line(&mut reader, &mut buf, &mut line_no)? {
                return Ok(());
            }
            let trimmed = buf.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(trimmed) {
                Ok(v) => emit_value(v, line_no, &buf, on),
                Err(e) => on(Record::Malformed {
                    line: line_no,
                    error: describe_json_error(&e),
                    raw: buf.clone(),
                }),
            }
        }
    }
    // one multi-line document
    let first_line = line_no;
    reader.read_to_end(&mut buf).context("reading input")?;
    match serde_json::from_slice::<Value>(&buf) {
        Ok(v) => emit_value(v, first_line, &[], on),
        Err(e) => {
            let line = first_line + e.line() as u64 - 1;
            let error = format!(
                "not JSON Lines, and not one JSON document: {}",
                describe_json_error(&e)
            );
            on(Record::Malformed {
                line,
                error,
                raw: buf.clone(),
            });
        }
    }
    Ok(())
}

/// Read the next line into `buf` (replacing it); false at the end of the input.
fn next_line(
    reader: &mut Box<dyn BufRead + Send>,
    buf: &mut Vec<u8>,
    line_no: &mut u64,
) -> Result<bool> {
    buf.clear();
    let n = reader.read_until(b'\n', buf).context("reading input")?;
    *line_no += u64::from(n > 0);
    Ok(n > 0)
}

fn emit_value(v: Value, line: u64, raw: &[u8], on: &mut dyn FnMut(Record)) {
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

    fn read(text: &str) -> Read {
        let mut events = Vec::new();
        let mut bad = Vec::new();
        let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(text.as_bytes().to_vec()));
        read_records(reader, &mut |r| match r {
            Record::Event { line, index, .. } => events.push((line, index)),
            Record::Malformed { line, error, .. } => bad.push((line, error)),
        })
        .unwrap();
        (events, bad)
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
        assert!(bad[0].1.contains("not JSON Lines"), "{}", bad[0].1);
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
