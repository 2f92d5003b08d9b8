//! `phiscan scan`: a reader thread splits records into batches, worker threads parse and scan
//! them, and the main thread writes alerts in input order (so two runs over the same files give
//! the same output). The reader only finds where each JSON Lines record ends
//! (`files::read_records_deferred`); parsing, the larger cost, runs in the workers, so the
//! serial part stays small and the scan scales with cores. Queues are bounded in batches and
//! each batch in records and bytes: a slow writer slows the reader instead of growing memory,
//! and malformed records travel in the same batches (a file of nothing but bad lines cannot
//! pile them up in memory).
//!
//! One input that cannot be opened, or that fails part-way (a truncated `.gz`, a read error),
//! does not stop the others: what was read of it is scanned, it is listed in the summary, and
//! the exit status is 4 ([`EXIT_INCOMPLETE`]) unless `--fail-on` asks for 3.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use phiscan::alert::{Alert, SourceRef};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use phiscan::sink::jsonl::JsonlSink;
use phiscan::source::files::{self, Input, Record, Split};
use serde_json::Value;

use super::summary;
use crate::ScanArgs;

/// Records per batch, and bytes of unparsed lines per batch.
const BATCH: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

/// Exit status when an input was skipped or only partly read (an I/O or decompression error):
/// interface.md's "non-zero on an I/O error", told apart from usage errors (1, 2) and
/// `--fail-on` (3), which takes precedence.
pub const EXIT_INCOMPLETE: u8 = 4;

struct Batch {
    seq: u64,
    items: Vec<Item>,
    /// Bytes of the unparsed lines in `items`.
    bytes: usize,
}

/// One record of a batch, in input order.
enum Item {
    Event(Value, SourceRef),
    /// A JSON Lines record still to parse (by the worker), from the file `path`.
    Line {
        raw: Vec<u8>,
        line: u64,
        path: Arc<str>,
    },
    Malformed(Malformed, Vec<u8>),
}

struct Done {
    seq: u64,
    alerts: Vec<Alert>,
    stats: Stats,
    malformed: Vec<(Malformed, Vec<u8>)>,
}

/// An input that was skipped or only partly read, and why (never its content).
pub struct Incomplete {
    pub path: String,
    /// Records read from it before the error (0: skipped).
    pub records: u64,
    pub error: String,
}

/// A malformed record, reported with where it was (never with its content).
pub struct Malformed {
    pub path: String,
    pub line: u64,
    pub error: String,
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let config = super::load_config(&args.common)?;
    let scanner = Arc::new(Scanner::new(&config)?);
    if !scanner.keyed && !args.quiet {
        eprintln!(
            "phiscan: note: no fingerprint key configured ({} or [fingerprint] key): using a random key, so fingerprints correlate within this run only",
            phiscan::config::FINGERPRINT_KEY_ENV
        );
    }
    let inputs = files::expand(&args.paths)?;
    let mut out = Outputs::open(&args)?;
    let total: Option<u64> = inputs.iter().map(Input::size).sum();
    let progress = progress_bar(&args, total);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    // 1. the reader splits, 2. the workers parse and scan, 3. this thread writes in order
    let (batch_tx, batch_rx) = sync_channel::<Batch>(jobs * 2);
    let (done_tx, done_rx) = sync_channel::<Done>(jobs * 2);
    let batch_rx = Arc::new(Mutex::new(batch_rx));
    let reader = {
        let bytes_read = bytes_read.clone();
        let max_record = args.max_record_bytes;
        std::thread::spawn(move || read_all(inputs, batch_tx, bytes_read, max_record))
    };
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (rx, tx, scanner) = (batch_rx.clone(), done_tx.clone(), scanner.clone());
            std::thread::spawn(move || work(&scanner, &rx, &tx))
        })
        .collect();
    drop(done_tx);
    let mut stats = out.write_in_order(done_rx, &progress, &bytes_read)?;
    for w in workers {
        w.join().expect("scan worker panicked");
    }
    let incomplete = reader.join().expect("reader thread panicked");

    // 4. flush, summarise, and say how it went
    out.finish()?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    stats.malformed = out.malformed_count;
    stats.bytes = bytes_read.load(Ordering::Relaxed);
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        summary::write(&mut err, &stats, &out.malformed, started.elapsed())?;
    }
    // even with --quiet: an incomplete scan must not pass unnoticed
    summary::write_incomplete(&mut std::io::stderr().lock(), &incomplete)?;
    Ok(exit_code(&args, &stats, &incomplete))
}

/// The `--dead-letter` file of `scan` and `replay`, appended to.
pub fn open_dead_letter(path: &std::path::Path) -> Result<std::io::BufWriter<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open dead-letter file {}", path.display()))?;
    Ok(std::io::BufWriter::new(file))
}

/// 3 when `--fail-on` is met, else 4 when an input was skipped or partly read, else 0.
fn exit_code(args: &ScanArgs, stats: &Stats, incomplete: &[Incomplete]) -> ExitCode {
    let failed = args.fail_on.is_some_and(|min| {
        stats
            .alerts_by_severity
            .iter()
            .any(|(s, n)| *s >= min && *n > 0)
    });
    if failed {
        ExitCode::from(3)
    } else if !incomplete.is_empty() {
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where `scan` writes: alerts, dead letters, and the malformed records it lists.
struct Outputs {
    sink: JsonlSink,
    dead_letter: Option<std::io::BufWriter<std::fs::File>>,
    /// The first few malformed records, for the summary; all are counted.
    malformed: Vec<Malformed>,
    malformed_count: u64,
    write_error: Option<anyhow::Error>,
}

impl Outputs {
    fn open(args: &ScanArgs) -> Result<Outputs> {
        let sink = match &args.output {
            Some(p) => JsonlSink::file(p)?,
            None => JsonlSink::stdout(),
        };
        let dead_letter = args
            .dead_letter
            .as_deref()
            .map(open_dead_letter)
            .transpose()?;
        Ok(Outputs {
            sink,
            dead_letter,
            malformed: Vec::new(),
            malformed_count: 0,
            write_error: None,
        })
    }

    /// Write each finished batch's alerts and malformed records in input order (batches finish
    /// out of order; they wait here for their turn). Returns the totals.
    fn write_in_order(
        &mut self,
        done_rx: Receiver<Done>,
        progress: &Option<ProgressBar>,
        bytes_read: &AtomicU64,
    ) -> Result<Stats> {
        let mut stats = Stats::default();
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        let mut last_tick = Instant::now();
        for done in done_rx {
            pending.insert(done.seq, done);
            while let Some(d) = pending.remove(&next) {
                next += 1;
                stats.merge(&d.stats);
                self.write_batch(d)?;
            }
            if let Some(pb) = progress
                && last_tick.elapsed() > Duration::from_millis(100)
            {
                pb.set_position(bytes_read.load(Ordering::Relaxed));
                pb.set_message(format!(
                    "{} events, {} alerts",
                    stats.events,
                    stats.alerts()
                ));
                last_tick = Instant::now();
            }
        }
        Ok(stats)
    }

    fn write_batch(&mut self, d: Done) -> Result<()> {
        for a in &d.alerts {
            if self.write_error.is_none()
                && let Err(e) = self.sink.write(a)
            {
                self.write_error = Some(e);
            }
        }
        for (m, raw) in d.malformed {
            self.malformed_count += 1;
            record_malformed(&mut self.malformed, &mut self.dead_letter, m, raw)?;
        }
        Ok(())
    }

    /// The first write error, else flush everything.
    fn finish(&mut self) -> Result<()> {
        if let Some(e) = self.write_error.take() {
            return Err(e);
        }
        self.sink.flush()?;
        if let Some(dl) = &mut self.dead_letter {
            dl.flush().context("writing dead letters")?;
        }
        Ok(())
    }
}

fn progress_bar(args: &ScanArgs, total: Option<u64>) -> Option<ProgressBar> {
    if args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = match total {
        Some(t) => ProgressBar::new(t).with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}")
                .expect("valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bytes} ({bytes_per_sec}) {msg}").expect("valid template")),
    };
    pb.enable_steady_tick(Duration::from_millis(200));
    Some(pb)
}

fn record_malformed(
    list: &mut Vec<Malformed>,
    dead_letter: &mut Option<impl Write>,
    m: Malformed,
    raw: Vec<u8>,
) -> Result<()> {
    if let Some(dl) = dead_letter {
        let doc = serde_json::json!({
            "path": m.path, "line": m.line, "error": m.error,
            "raw": String::from_utf8_lossy(&raw).trim_end(),
        });
        serde_json::to_writer(&mut *dl, &doc)?;
        dl.write_all(b"\n")?;
    }
    if list.len() < summary::MALFORMED_LISTED {
        list.push(m);
    }
    Ok(())
}

/// Read every input into batches; returns the inputs that were skipped or only partly read.
fn read_all(
    inputs: Vec<Input>,
    batches: SyncSender<Batch>,
    bytes_read: Arc<AtomicU64>,
    max_record: usize,
) -> Vec<Incomplete> {
    let mut out = Batcher {
        seq: 0,
        batch: Batch::empty(0),
        tx: batches,
        closed: false,
    };
    let mut incomplete = Vec::new();
    for input in inputs {
        let path = input.display();
        let reader = match files::open(&input, bytes_read.clone()) {
            Ok(r) => r,
            Err(e) => {
                incomplete.push(Incomplete {
                    path,
                    records: 0,
                    error: format!("{e:#}"),
                });
                continue;
            }
        };
        let mut records = 0u64;
        let shared: Arc<str> = Arc::from(path.as_str());
        let read = files::read_records_deferred(reader, max_record, &mut |split| {
            records += 1;
            match split {
                Split::Line { raw, line } => out.push(Item::Line {
                    raw,
                    line,
                    path: shared.clone(),
                }),
                Split::Record(record) => out.push(record_item(&path, record)),
            }
        });
        if let Err(e) = read {
            incomplete.push(Incomplete {
                path,
                records,
                error: format!("{e:#}"),
            });
        }
    }
    out.finish();
    incomplete
}

/// A record the reader parsed itself (part of a multi-line value, or malformed) as a batch item.
fn record_item(path: &str, record: Record) -> Item {
    match record {
        Record::Event { event, line, index } => {
            let source = SourceRef::File {
                path: path.to_string(),
                line,
                index,
            };
            Item::Event(event, source)
        }
        Record::Malformed { line, error, raw } => {
            let m = Malformed {
                path: path.to_string(),
                line,
                error,
            };
            Item::Malformed(m, raw)
        }
    }
}

impl Batch {
    fn empty(seq: u64) -> Batch {
        Batch {
            seq,
            items: Vec::with_capacity(BATCH),
            bytes: 0,
        }
    }
}

/// Fills batches in input order and hands them to the workers.
struct Batcher {
    seq: u64,
    batch: Batch,
    tx: SyncSender<Batch>,
    closed: bool,
}

impl Batcher {
    fn push(&mut self, item: Item) {
        if let Item::Line { raw, .. } = &item {
            self.batch.bytes += raw.len();
        }
        self.batch.items.push(item);
        if self.batch.items.len() == BATCH || self.batch.bytes >= BATCH_BYTES {
            self.send();
        }
    }

    fn send(&mut self) {
        self.seq += 1;
        let batch = std::mem::replace(&mut self.batch, Batch::empty(self.seq));
        if !self.closed {
            self.closed = self.tx.send(batch).is_err();
        }
    }

    fn finish(mut self) {
        if !self.batch.items.is_empty() {
            self.send();
        }
    }
}

fn work(scanner: &Scanner, batches: &Mutex<Receiver<Batch>>, done: &SyncSender<Done>) {
    let mut scratch = ScanScratch::default();
    loop {
        let batch = match batches.lock().expect("batch queue lock").recv() {
            Ok(b) => b,
            Err(_) => return,
        };
        let mut alerts = Vec::new();
        let mut stats = Stats::default();
        let mut malformed = Vec::new();
        let mut scan = |event: Value, source: SourceRef, stats: &mut Stats| {
            scanner.scan_event(event, source, &mut scratch, stats, &mut |a| alerts.push(a));
        };
        for item in batch.items {
            match item {
                Item::Event(event, source) => scan(event, source, &mut stats),
                Item::Malformed(m, raw) => malformed.push((m, raw)),
                Item::Line { raw, line, path } => {
                    files::parse_line(&raw, line, &mut |record| match record_item(&path, record) {
                        Item::Event(event, source) => scan(event, source, &mut stats),
                        Item::Malformed(m, raw) => malformed.push((m, raw)),
                        Item::Line { .. } => unreachable!("parse_line yields records"),
                    });
                }
            }
        }
        if done
            .send(Done {
                seq: batch.seq,
                alerts,
                stats,
                malformed,
            })
            .is_err()
        {
            return;
        }
    }
}
