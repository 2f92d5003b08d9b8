//! `phiscan replay`: the command-line side of `phiscan::replay` — arguments, the worker pool,
//! alert output, the state file's rhythm, progress, reports and the summary (`scan`'s).
//!
//! Workers take whole objects from a queue and scan them with `scan`'s scanner; the main
//! thread writes each finished object's alerts together. Every `SAVE_EVERY` (and at the end)
//! it flushes the alerts, then saves the state file, so the state never names an object whose
//! alerts are not on disk; resuming cuts the alert file back to the length the state recorded.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use phiscan::alert::Severity;
use phiscan::replay::kafka::{Position, RangeArgs};
use phiscan::replay::kinesis::Kinesis;
use phiscan::replay::s3::{S3, S3Options};
use phiscan::replay::state::{Finished, Job, State};
use phiscan::replay::{self, Context, Object, ObjectResult, Ranges, Remotes, Source, Window, html};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use phiscan::sink::jsonl::JsonlSink;

use super::scan::Malformed;
use super::summary;
use crate::CommonArgs;

/// How often finished objects are made durable (alerts flushed, then the state file saved).
const SAVE_EVERY: Duration = Duration::from_secs(1);

#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Write alerts to FILE instead of stdout (appended to when resuming with --state).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 3 when any alert is at or above SEVERITY.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Append malformed records (raw, as read) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,
    /// Worker threads, each scanning one object at a time [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar and no summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Only events whose `time` is at or after TIME (RFC 3339, or a date: midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events whose `time` is before TIME.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Resume file: finished objects and positions. Rerun the same command to continue an
    /// interrupted replay; finished objects are never scanned again.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Stop after N more objects (replay in steps; continue with the same --state).
    #[arg(long, value_name = "N")]
    pub max_objects: Option<usize>,
    /// Write a self-contained HTML audit report (charts inline, no network, no raw values).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the report's numbers as JSON.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// S3 endpoint URL (VPC endpoint, S3-compatible store) instead of AWS's.
    #[arg(long, value_name = "URL", env = "PHISCAN_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Address buckets in the path (http://endpoint/bucket/key), as most S3-compatible stores need.
    #[arg(long)]
    pub s3_path_style: bool,
    /// AWS region for S3 and Kinesis [default: the AWS chain's; S3 falls back to us-east-1].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Kafka sources: start at OFFSET or TIME in every partition [default: --since, else the log start].
    #[arg(long, value_name = "OFFSET|TIME")]
    pub kafka_from: Option<String>,
    /// Kafka sources: stop before OFFSET or TIME [default: --until, else the end when the replay began].
    #[arg(long, value_name = "OFFSET|TIME")]
    pub kafka_to: Option<String>,
    /// Kinesis sources: start at records that arrived at TIME (AT_TIMESTAMP) [default: --since,
    /// else the oldest record kept].
    #[arg(long, value_name = "TIME")]
    pub kinesis_from: Option<String>,
    /// Kinesis sources: stop at records that arrived at TIME [default: 5 minutes after --until
    /// (events arrive after their own time), else the tip when the replay began].
    #[arg(long, value_name = "TIME")]
    pub kinesis_to: Option<String>,
    /// Kinesis endpoint URL (VPC endpoint, kinesis-local) instead of AWS's.
    #[arg(long, value_name = "URL")]
    pub kinesis_endpoint: Option<String>,
    /// Files, directories, s3://BUCKET/PREFIX, kafka://BROKER[,BROKER]/TOPIC, kinesis://STREAM.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
}

/// Totals of this run (the state file's report holds those of every run).
#[derive(Default)]
struct RunTotals {
    stats: Stats,
    malformed: Vec<Malformed>,
    objects: u64,
    failed: Vec<(String, String)>,
}

pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    let config = super::load_config(&args.common)?;
    let scanner = Scanner::new(&config)?;
    if !scanner.keyed && !args.quiet {
        eprintln!(
            "phiscan: note: no fingerprint key configured ({} or [fingerprint] key): using a random key, so fingerprints correlate within this run only (set one before resuming a replay)",
            phiscan::config::FINGERPRINT_KEY_ENV
        );
    }
    let window = Window::parse(args.since.as_deref(), args.until.as_deref())?;
    let sources = args
        .sources
        .iter()
        .map(|s| Source::parse(s))
        .collect::<Result<Vec<_>>>()?;
    let job = Job {
        sources: args.sources.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
    };
    let mut state = load_state(args.state.as_deref(), job)?;
    let remotes = connect_remotes(&args, &sources)?;
    let (todo, already) = plan(&args, &sources, &remotes, &mut state)?;
    let mut out = Output::open(&args, &state)?;
    let ctx = Context {
        scanner: &scanner,
        remotes: &remotes,
        window,
        bytes: Arc::new(AtomicU64::new(0)),
    };
    let progress = progress_bar(&args, &todo);
    let started = Instant::now();
    let total_objects = todo.len() as u64;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, todo.len().max(1));
    let queue = Mutex::new(todo);
    let (tx, rx) = sync_channel::<(Object, Result<ObjectResult>)>(jobs);
    let mut totals = RunTotals::default();
    let result = std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (ctx, queue) = (&ctx, &queue);
            scope.spawn(move || work(ctx, queue, tx));
        }
        drop(tx);
        let r = collect(
            rx,
            &mut out,
            &mut state,
            &args,
            &mut totals,
            &progress,
            &ctx,
            total_objects,
        );
        if r.is_err() {
            queue.lock().expect("queue lock").clear(); // let the workers stop early
        }
        r
    });
    result?;
    out.durable(&mut state, args.state.as_deref())?;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    write_reports(&args, &state)?;
    finish(&args, &totals, already, started.elapsed())
}

/// Every object of the sources (ranges resolved now, or as the state file kept them), less those
/// a previous run finished, cut to `--max-objects`. Also returns how many were already done.
fn plan(
    args: &ReplayArgs,
    sources: &[Source],
    remotes: &Remotes,
    state: &mut State,
) -> Result<(VecDeque<Object>, usize)> {
    let mut ranges = Ranges {
        kafka: kafka_ranges(args, state)?,
        kinesis: kinesis_ranges(args, state)?,
    };
    let all = replay::list_objects(sources, remotes, &mut ranges)?;
    state.kafka_ranges = ranges.kafka.plan;
    state.kinesis_ranges = ranges.kinesis.plan;
    let already = all
        .iter()
        .filter(|o| state.done.contains_key(&o.id))
        .count();
    let mut todo: VecDeque<Object> = all
        .into_iter()
        .filter(|o| !state.done.contains_key(&o.id))
        .collect();
    if let Some(n) = args.max_objects {
        todo.truncate(n);
    }
    Ok((todo, already))
}

fn load_state(path: Option<&Path>, job: Job) -> Result<State> {
    let Some(path) = path else {
        return Ok(State::new(job));
    };
    match State::load(path)? {
        Some(s) => {
            s.check_job(&job, path)?;
            Ok(s)
        }
        None => Ok(State::new(job)),
    }
}

/// Clients for the remote sources given (none for files and Kafka).
fn connect_remotes(args: &ReplayArgs, sources: &[Source]) -> Result<Remotes> {
    let s3 = match sources.iter().any(|s| matches!(s, Source::S3 { .. })) {
        true => Some(S3::connect(&S3Options {
            endpoint: args.s3_endpoint.clone(),
            path_style: args.s3_path_style,
            region: args.region.clone(),
        })?),
        false => None,
    };
    let kinesis = match sources.iter().any(|s| matches!(s, Source::Kinesis(_))) {
        true => Some(Kinesis::connect(
            args.kinesis_endpoint.as_deref(),
            args.region.as_deref(),
        )?),
        false => None,
    };
    Ok(Remotes { s3, kinesis })
}

fn kinesis_ranges(args: &ReplayArgs, state: &State) -> Result<replay::kinesis::RangeArgs> {
    let time = |flag: &str, given: &Option<String>, fallback: &Option<String>| {
        given
            .as_deref()
            .or(fallback.as_deref())
            .map(|s| {
                replay::time::parse_millis(s).with_context(|| {
                    format!("{flag} `{s}` is not an RFC 3339 time (e.g. 2026-05-01T00:00:00Z or 2026-05-01)")
                })
            })
            .transpose()
    };
    Ok(replay::kinesis::RangeArgs {
        from: time("--kinesis-from", &args.kinesis_from, &args.since)?,
        to: replay::kinesis::bound(
            time("--kinesis-to", &args.kinesis_to, &None)?,
            time("--until", &args.until, &None)?,
        ),
        plan: state.kinesis_ranges.clone(),
    })
}

fn kafka_ranges(args: &ReplayArgs, state: &State) -> Result<RangeArgs> {
    let pos = |given: &Option<String>, fallback: &Option<String>| -> Result<Option<Position>> {
        given
            .as_deref()
            .or(fallback.as_deref())
            .map(Position::parse)
            .transpose()
    };
    Ok(RangeArgs {
        from: pos(&args.kafka_from, &args.since)?,
        to: pos(&args.kafka_to, &args.until)?,
        plan: state.kafka_ranges.clone(),
    })
}

fn work(
    ctx: &Context,
    queue: &Mutex<VecDeque<Object>>,
    tx: SyncSender<(Object, Result<ObjectResult>)>,
) {
    let mut scratch = ScanScratch::default();
    loop {
        let Some(obj) = queue.lock().expect("queue lock").pop_front() else {
            return;
        };
        let result = replay::scan_object(ctx, &obj, &mut scratch);
        if tx.send((obj, result)).is_err() {
            return;
        }
    }
}

/// The main thread: write each finished object's alerts, count it, make it durable now and then.
#[allow(clippy::too_many_arguments)]
fn collect(
    rx: Receiver<(Object, Result<ObjectResult>)>,
    out: &mut Output,
    state: &mut State,
    args: &ReplayArgs,
    totals: &mut RunTotals,
    progress: &Option<ProgressBar>,
    ctx: &Context,
    total_objects: u64,
) -> Result<()> {
    let mut last_save = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok((obj, Ok(r))) => finished(obj, r, out, state, totals)?,
            Ok((obj, Err(e))) => {
                if let Some(pb) = progress {
                    pb.suspend(|| eprintln!("phiscan: {}: {e:#}", obj.id));
                } else if !args.quiet {
                    eprintln!("phiscan: {}: {e:#}", obj.id);
                }
                totals.failed.push((obj.id, format!("{e:#}")));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        if last_save.elapsed() >= SAVE_EVERY {
            out.durable(state, args.state.as_deref())?;
            last_save = Instant::now();
        }
        if let Some(pb) = progress {
            pb.set_position(ctx.bytes.load(Ordering::Relaxed));
            let secs = pb.elapsed().as_secs_f64().max(0.001);
            pb.set_message(format!(
                "{}/{total_objects} objects, {} events ({:.0}/s), {} alerts",
                totals.objects,
                totals.stats.events,
                totals.stats.events as f64 / secs,
                totals.stats.alerts()
            ));
        }
    }
}

fn finished(
    obj: Object,
    r: ObjectResult,
    out: &mut Output,
    state: &mut State,
    totals: &mut RunTotals,
) -> Result<()> {
    for a in &r.alerts {
        out.sink.write(a)?;
    }
    for m in &r.malformed {
        out.dead_letter(&obj.id, m)?;
        state.report.add_malformed(&obj.id, m.line, &m.error);
    }
    state.report.add_object(&r.stats, &r.counts, &r.alerts);
    state.done.insert(
        obj.id.clone(),
        Finished {
            bytes: r.counts.bytes,
            events: r.stats.events,
            alerts: r.alerts.len() as u64,
        },
    );
    totals.stats.merge(&r.stats);
    totals.objects += 1;
    totals
        .malformed
        .extend(r.malformed.into_iter().map(|m| Malformed {
            path: obj.id.clone(),
            line: m.line,
            error: m.error,
        }));
    out.dirty = true;
    Ok(())
}

/// Where alerts and dead letters go, and the alert file's path (its length goes in the state).
struct Output {
    sink: JsonlSink,
    path: Option<PathBuf>,
    dead_letter: Option<std::io::BufWriter<std::fs::File>>,
    dirty: bool,
}

impl Output {
    fn open(args: &ReplayArgs, state: &State) -> Result<Output> {
        let resuming = !state.done.is_empty();
        let sink = match &args.output {
            None => JsonlSink::stdout(),
            Some(p) if resuming => {
                if let Some(len) = state.output_len {
                    truncate(p, len)?;
                }
                JsonlSink::append(p)?
            }
            Some(p) => JsonlSink::file(p)?,
        };
        let dead_letter = args
            .dead_letter
            .as_deref()
            .map(super::scan::open_dead_letter)
            .transpose()?;
        Ok(Output {
            sink,
            path: args.output.clone(),
            dead_letter,
            dirty: false,
        })
    }

    fn dead_letter(&mut self, object: &str, m: &replay::Malformed) -> Result<()> {
        if let Some(dl) = &mut self.dead_letter {
            let doc = serde_json::json!({
                "path": object, "line": m.line, "error": m.error,
                "raw": String::from_utf8_lossy(&m.raw).trim_end(),
            });
            serde_json::to_writer(&mut *dl, &doc)?;
            dl.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Flush alerts and dead letters, then record what is finished (in that order).
    fn durable(&mut self, state: &mut State, state_path: Option<&Path>) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        self.sink.flush()?;
        if let Some(dl) = &mut self.dead_letter {
            dl.flush().context("writing dead letters")?;
        }
        if let Some(p) = &self.path {
            state.output_len = Some(
                std::fs::metadata(p)
                    .with_context(|| format!("reading {}", p.display()))?
                    .len(),
            );
        }
        if let Some(sp) = state_path {
            state.save(sp)?;
        }
        self.dirty = false;
        Ok(())
    }
}

/// Cut the alert file back to what the state file recorded (alerts written after the last save
/// belong to objects that will be replayed again).
fn truncate(path: &Path, len: u64) -> Result<()> {
    let f = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    let now = f.metadata()?.len();
    if now > len {
        f.set_len(len)
            .with_context(|| format!("truncating {}", path.display()))?;
    }
    Ok(())
}

fn progress_bar(args: &ReplayArgs, todo: &VecDeque<Object>) -> Option<ProgressBar> {
    if args.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let total: Option<u64> = todo.iter().map(|o| o.size).sum();
    let pb = match total {
        Some(t) => ProgressBar::new(t).with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}")
                .expect("valid template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bytes} ({bytes_per_sec}) {msg}")
                .expect("valid template"),
        ),
    };
    pb.enable_steady_tick(Duration::from_millis(200));
    Some(pb)
}

fn write_reports(args: &ReplayArgs, state: &State) -> Result<()> {
    if let Some(p) = &args.report_json {
        let mut text = serde_json::to_vec_pretty(&state.report)?;
        text.push(b'\n');
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &args.report {
        std::fs::write(p, html::render(&state.report))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn finish(
    args: &ReplayArgs,
    totals: &RunTotals,
    already: usize,
    elapsed: Duration,
) -> Result<ExitCode> {
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        let mut stats = totals.stats.clone();
        stats.malformed = totals.malformed.len() as u64;
        summary::write(&mut err, &stats, &totals.malformed, elapsed)?;
        writeln!(
            err,
            "         replay: {} objects this run, {already} already done (state file), {} failed",
            totals.objects,
            totals.failed.len()
        )?;
        for (id, e) in &totals.failed {
            writeln!(err, "    failed: {id}: {e}")?;
        }
    }
    if !totals.failed.is_empty() {
        eprintln!(
            "phiscan: error: {} objects could not be read; {}",
            totals.failed.len(),
            if args.state.is_some() {
                "rerun the same command to retry them (finished objects are skipped)"
            } else {
                "rerun with --state FILE to retry only what failed"
            }
        );
        return Ok(ExitCode::from(1));
    }
    let failed = args.fail_on.is_some_and(|min| {
        totals
            .stats
            .alerts_by_severity
            .iter()
            .any(|(s, n)| *s >= min && *n > 0)
    });
    Ok(if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
