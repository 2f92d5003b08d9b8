//! `phiscan replay`: audits of archived events at scale. The same scanner as `scan` (so the
//! same alerts for the same events), over objects: local files, S3 objects under a prefix, or
//! Kafka partitions over an offset or time range, or Kinesis shards from a time up to a bound.
//! Objects are the unit of work and of
//! resumption: workers take whole objects (every core busy on archives of many objects), an
//! object's alerts are written together once it is fully read, and the state file
//! (`state`) records it as finished only after that, so a replay interrupted at any moment
//! continues without scanning a finished object again. `report` turns the run into an audit
//! report.

pub mod html;
pub mod kafka;
pub mod kinesis;
pub mod records;
pub mod report;
pub mod s3;
pub mod state;
pub mod time;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use crate::alert::{Alert, SourceRef};
use crate::scan::{ScanScratch, Scanner, Stats};
use crate::source::files::{self, Input, Record};
use report::ObjectCounts;

/// A command-line source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file or a directory (read recursively, as `scan` does).
    Path(PathBuf),
    /// `s3://bucket/prefix`: every object under the prefix.
    S3 { bucket: String, prefix: String },
    /// `kafka://broker[,broker]/topic`: every partition over the offset or time range.
    Kafka(kafka::KafkaSource),
    /// `kinesis://stream`: every shard from a start time (or the oldest record) to a bound.
    Kinesis(kinesis::KinesisSource),
}

impl Source {
    pub fn parse(s: &str) -> Result<Source> {
        if s.starts_with("s3://") {
            let Some((bucket, prefix)) = s3::parse_url(s) else {
                bail!("`{s}`: expected s3://BUCKET/PREFIX");
            };
            return Ok(Source::S3 { bucket, prefix });
        }
        if s.starts_with("kafka://") {
            return Ok(Source::Kafka(kafka::KafkaSource::parse(s)?));
        }
        if s.starts_with("kinesis://") {
            return Ok(Source::Kinesis(kinesis::KinesisSource::parse(s)?));
        }
        if s == "-" {
            bail!("replay reads objects it can resume, not standard input: use `phiscan scan -`");
        }
        Ok(Source::Path(PathBuf::from(s)))
    }
}

/// One unit of work.
#[derive(Debug, Clone)]
pub struct Object {
    /// Stable name: the key in the state file and in malformed-record positions.
    pub id: String,
    /// Bytes to read, for progress (compressed size), when known.
    pub size: Option<u64>,
    pub at: ObjectAt,
}

#[derive(Debug, Clone)]
pub enum ObjectAt {
    File(PathBuf),
    S3 { bucket: String, key: String },
    Kafka(kafka::PartitionRange),
    Kinesis(kinesis::ShardRange),
}

/// The clients of the remote sources a replay reads (each only when one of its sources is given).
#[derive(Default)]
pub struct Remotes {
    pub s3: Option<s3::S3>,
    pub kinesis: Option<kinesis::Kinesis>,
}

/// The ranges of the streaming sources: asked for, and resolved (kept in the state file).
#[derive(Default)]
pub struct Ranges {
    pub kafka: kafka::RangeArgs,
    pub kinesis: kinesis::RangeArgs,
}

/// Everything the sources hold, in a stable order (sources as given; files and keys sorted).
pub fn list_objects(
    sources: &[Source],
    remotes: &Remotes,
    ranges: &mut Ranges,
) -> Result<Vec<Object>> {
    let mut out = Vec::new();
    for source in sources {
        match source {
            Source::Path(p) => {
                for input in files::expand(std::slice::from_ref(p))? {
                    let Input::File(path) = input else { continue };
                    out.push(Object {
                        id: path.display().to_string(),
                        size: std::fs::metadata(&path).ok().map(|m| m.len()),
                        at: ObjectAt::File(path),
                    });
                }
            }
            Source::S3 { bucket, prefix } => {
                let s3 = remotes
                    .s3
                    .as_ref()
                    .context("internal: S3 source without a client")?;
                for o in s3.list(bucket, prefix)? {
                    out.push(Object {
                        id: format!("s3://{bucket}/{}", o.key),
                        size: Some(o.size),
                        at: ObjectAt::S3 {
                            bucket: bucket.clone(),
                            key: o.key,
                        },
                    });
                }
            }
            Source::Kafka(k) => {
                for range in kafka::partition_ranges(k, &mut ranges.kafka)? {
                    out.push(Object {
                        id: range.id(),
                        size: None,
                        at: ObjectAt::Kafka(range),
                    });
                }
            }
            Source::Kinesis(k) => {
                let client = remotes
                    .kinesis
                    .as_ref()
                    .context("internal: Kinesis source without a client")?;
                for range in kinesis::shard_ranges(client, k, &mut ranges.kinesis)? {
                    out.push(Object {
                        id: range.id(),
                        size: None,
                        at: ObjectAt::Kinesis(range),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// `--since` (inclusive) and `--until` (exclusive) on the events' own `time`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Window {
    pub fn parse(since: Option<&str>, until: Option<&str>) -> Result<Window> {
        let one = |flag: &str, v: Option<&str>| -> Result<Option<i64>> {
            v.map(|s| {
                time::parse_millis(s).with_context(|| {
                    format!("{flag} `{s}` is not an RFC 3339 time (e.g. 2026-05-01T00:00:00Z or 2026-05-01)")
                })
            })
            .transpose()
        };
        let w = Window {
            since: one("--since", since)?,
            until: one("--until", until)?,
        };
        if let (Some(s), Some(u)) = (w.since, w.until)
            && s >= u
        {
            bail!("--since must be before --until");
        }
        Ok(w)
    }

    pub fn bounded(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    pub fn contains(&self, ms: i64) -> bool {
        self.since.is_none_or(|s| ms >= s) && self.until.is_none_or(|u| ms < u)
    }
}

/// A malformed record of an object: its position, the reason, and the raw bytes (only for
/// `--dead-letter`).
pub struct Malformed {
    pub line: u64,
    pub error: String,
    pub raw: Vec<u8>,
}

/// What one object produced.
pub struct ObjectResult {
    pub alerts: Vec<Alert>,
    pub stats: Stats,
    pub counts: ObjectCounts,
    pub malformed: Vec<Malformed>,
    /// Kafka: the next offset after this range (for the state file).
    pub next_offset: Option<i64>,
}

/// Where the workers read from and what they filter on.
pub struct Context<'a> {
    pub scanner: &'a Scanner,
    pub remotes: &'a Remotes,
    pub window: Window,
    /// Bytes read so far, all objects together (progress).
    pub bytes: Arc<AtomicU64>,
}

/// Where a record of an object came from: (line, index in a document) → its `SourceRef`.
type PlaceOf = Box<dyn Fn(u64, Option<usize>) -> SourceRef>;

/// Read and scan one whole object.
pub fn scan_object(ctx: &Context, obj: &Object, scratch: &mut ScanScratch) -> Result<ObjectResult> {
    let mut out = ObjectResult {
        alerts: Vec::new(),
        stats: Stats::default(),
        counts: ObjectCounts::default(),
        malformed: Vec::new(),
        next_offset: None,
    };
    let counter = Arc::new(AtomicU64::new(0));
    let (reader, place): (_, PlaceOf) = match &obj.at {
        ObjectAt::File(p) => {
            let path = obj.id.clone();
            (
                files::open(&Input::File(p.clone()), counter.clone())?,
                Box::new(move |line, index| SourceRef::File {
                    path: path.clone(),
                    line,
                    index,
                }),
            )
        }
        ObjectAt::S3 { bucket, key } => {
            let s3 = ctx
                .remotes
                .s3
                .as_ref()
                .context("internal: S3 object without a client")?;
            let (b, k) = (bucket.clone(), key.clone());
            (
                s3.open(bucket, key, counter.clone())?,
                Box::new(move |line, _| SourceRef::S3 {
                    bucket: b.clone(),
                    key: k.clone(),
                    line,
                }),
            )
        }
        ObjectAt::Kafka(range) => {
            let next = kafka::scan_range(ctx, range, scratch, &mut out)?;
            out.next_offset = Some(next);
            return Ok(out);
        }
        ObjectAt::Kinesis(range) => {
            let client = ctx
                .remotes
                .kinesis
                .as_ref()
                .context("internal: Kinesis object without a client")?;
            kinesis::scan_shard(ctx, client, range, scratch, &mut out)?;
            return Ok(out);
        }
    };
    let progress = ProgressCounter::new(&counter, &ctx.bytes);
    records::read_records(reader, &mut |record| {
        progress.sync();
        match record {
            Record::Event { event, line, index } => {
                scan_one(ctx, event, place(line, index), scratch, &mut out)
            }
            Record::Malformed { line, error, raw } => {
                out.malformed.push(Malformed { line, error, raw })
            }
        }
    })
    .with_context(|| format!("reading {}", obj.id))?;
    progress.sync();
    out.counts.bytes = counter.load(std::sync::atomic::Ordering::Relaxed);
    out.stats.malformed = out.malformed.len() as u64;
    out.stats.bytes = out.counts.bytes;
    Ok(out)
}

/// Filter one event by time, then scan it as `scan` does.
pub fn scan_one(
    ctx: &Context,
    event: Value,
    source: SourceRef,
    scratch: &mut ScanScratch,
    out: &mut ObjectResult,
) {
    let ms = event
        .get("time")
        .and_then(Value::as_str)
        .and_then(time::parse_millis);
    match ms {
        Some(ms) if !ctx.window.contains(ms) => {
            out.counts.outside_time_range += 1;
            return;
        }
        Some(ms) => out.counts.event_at(ms),
        None => {
            out.counts.without_time += 1;
            if ctx.window.bounded() {
                return;
            }
        }
    }
    let alerts = &mut out.alerts;
    ctx.scanner
        .scan_event(event, source, scratch, &mut out.stats, &mut |a| {
            alerts.push(a)
        });
}

/// Moves an object's byte count into the shared progress total as it grows.
struct ProgressCounter<'a> {
    object: &'a AtomicU64,
    total: &'a AtomicU64,
    seen: std::cell::Cell<u64>,
}

impl<'a> ProgressCounter<'a> {
    fn new(object: &'a AtomicU64, total: &'a AtomicU64) -> Self {
        ProgressCounter {
            object,
            total,
            seen: std::cell::Cell::new(0),
        }
    }

    fn sync(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let now = self.object.load(Relaxed);
        let before = self.seen.replace(now);
        if now > before {
            self.total.fetch_add(now - before, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_windows() {
        assert_eq!(Source::parse("a/b").unwrap(), Source::Path("a/b".into()));
        assert_eq!(
            Source::parse("s3://bk/x/").unwrap(),
            Source::S3 {
                bucket: "bk".into(),
                prefix: "x/".into()
            }
        );
        assert!(Source::parse("-").is_err());
        let w = Window::parse(Some("2026-05-01"), Some("2026-05-02T00:00:00Z")).unwrap();
        assert!(w.contains(time::parse_millis("2026-05-01T23:59:59.999Z").unwrap()));
        assert!(!w.contains(time::parse_millis("2026-05-02T00:00:00Z").unwrap()));
        assert!(Window::parse(Some("2026-05-02"), Some("2026-05-01")).is_err());
        assert!(
            Window::parse(Some("May 1"), None)
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
    }
}
