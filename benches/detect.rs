//! Throughput of detection and of the whole per-event scan, next to baselines measured in the
//! same run so results read as ratios rather than machine-dependent absolutes.
//!
//! Workloads (one pass over the whole corpus per iteration):
//! * `detect/physionet_notes`: `Engine::detect_into` over every PhysioNet note (`text` field of
//!   `../shared/corpora/physionet-deid/id_notes_with_phi.jsonl`; synthetic text if missing).
//! * `detect/clean_event_strings`: `Engine::detect_into` over the strings the scanner's field walk
//!   yields for a stream of ~1 KB clean synthetic Twilio events (throughput in event-JSON bytes).
//! * `scan/clean_events`, `scan/phi_events`: `decode_bytes` + `Scanner::scan_event` from raw
//!   event JSON (events/s and bytes/s).
//! * `baseline/*`: `memchr` counting a byte over the same buffers (memory-bandwidth ceiling),
//!   `serde_json` parsing the events, and parse + field walk without detection.
//!
//! * `detect/sms_texts`: `Engine::detect_into` over SMS-length (~64 B) pieces of the notes.
//! * `dd_sds/*` (with `--features dd-sds`): Datadog's scanner with a PHI rule set of ours over the
//!   notes, the SMS texts and the clean event strings (`support/dd_sds.rs`); the table's
//!   "× dd-sds" column divides each phiscan row by the dd-sds row of the same buffer.
//!
//! Issue targets: ≥ 1 GB/s/core on clean events, ≥ 300 MB/s/core on the notes, ≥ 10× dd-sds on
//! the notes and the SMS texts.
//!
//! `cargo bench --bench detect` runs criterion; `PHISCAN_BENCH_TABLE=1 cargo bench --bench detect`
//! skips criterion, runs each workload for ~2 s (`PHISCAN_BENCH_SECS` to change) and prints a
//! markdown table with MB/s, events/s and the ratios to the baselines of the same buffer (a
//! positional argument filters workloads by substring). Throughput there is per *thread CPU
//! time*, so a busy machine does not skew it. `PHISCAN_BENCH_DETECTORS=dir` loads the detector
//! files from `dir` instead of the built-in set (before/after a detector change, one build).
//!
//! `PHISCAN_BENCH_PASSES=n` runs each selected workload exactly `n` times instead (no warm-up):
//! under `valgrind --tool=cachegrind`, a run with 3 minus a run with 1, halved, is the
//! instruction count of one warm pass — a figure that does not swing with the machine's load.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use phiscan::alert::SourceRef;
use phiscan::config::Config;
use phiscan::detect::{DetectorSet, Engine, Scratch};
use phiscan::scan::{ScanScratch, Scanner, Stats};
use serde_json::Value;

use support::{EventStream, Notes};

/// Events per synthetic stream (~1 KB each, so ~2 MB per pass).
const CLEAN_EVENTS: usize = 2000;
const PHI_EVENTS: usize = 1500;

struct Ctx {
    engine: Engine,
    scanner: Scanner,
    notes: Notes,
    notes_joined: Vec<u8>,
    clean: EventStream,
    clean_joined: Vec<u8>,
    /// (key, text) of every field the scanner's walk yields for the clean stream.
    clean_fields: Vec<(String, String)>,
    phi: EventStream,
    phi_joined: Vec<u8>,
    /// SMS-length pieces of the notes.
    sms: Vec<String>,
    sms_bytes: u64,
    #[cfg(feature = "dd-sds")]
    dd: DdSds,
}

/// dd-sds scans `&mut String`s: each buffer's texts, owned, behind a `RefCell` (single thread).
#[cfg(feature = "dd-sds")]
struct DdSds {
    scanner: dd_sds::Scanner,
    notes: std::cell::RefCell<Vec<String>>,
    sms: std::cell::RefCell<Vec<String>>,
    clean: std::cell::RefCell<Vec<String>>,
}

/// Which buffer a workload reads, for bytes/events and the memchr ratio.
#[derive(Clone, Copy, PartialEq)]
enum Buffer {
    Notes,
    Clean,
    Phi,
    Sms,
}

const BUFFERS: usize = 4;

struct Workload {
    group: &'static str,
    name: &'static str,
    buffer: Buffer,
    /// Report events/s (the buffer is an event stream and the workload handles events).
    per_event: bool,
    run: fn(&Ctx) -> u64,
    target_mb_s: Option<f64>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        group: "baseline",
        name: "memchr_count_notes",
        buffer: Buffer::Notes,
        per_event: false,
        run: |c| memchr::memchr_iter(b'\n', &c.notes_joined).count() as u64,
        target_mb_s: None,
    },
    Workload {
        group: "baseline",
        name: "memchr_count_clean_events",
        buffer: Buffer::Clean,
        per_event: false,
        run: |c| memchr::memchr_iter(b'\n', &c.clean_joined).count() as u64,
        target_mb_s: None,
    },
    Workload {
        group: "baseline",
        name: "memchr_count_phi_events",
        buffer: Buffer::Phi,
        per_event: false,
        run: |c| memchr::memchr_iter(b'\n', &c.phi_joined).count() as u64,
        target_mb_s: None,
    },
    Workload {
        group: "baseline",
        name: "serde_json_parse_clean_events",
        buffer: Buffer::Clean,
        per_event: true,
        run: |c| parse(&c.clean),
        target_mb_s: None,
    },
    Workload {
        group: "baseline",
        name: "serde_json_parse_phi_events",
        buffer: Buffer::Phi,
        per_event: true,
        run: |c| parse(&c.phi),
        target_mb_s: None,
    },
    Workload {
        group: "baseline",
        name: "parse_walk_clean_events",
        buffer: Buffer::Clean,
        per_event: true,
        run: |c| parse_walk(&c.clean),
        target_mb_s: None,
    },
    Workload {
        group: "detect",
        name: "physionet_notes",
        buffer: Buffer::Notes,
        per_event: false,
        run: detect_notes,
        target_mb_s: Some(300.0),
    },
    Workload {
        group: "detect",
        name: "sms_texts",
        buffer: Buffer::Sms,
        per_event: true,
        run: detect_sms,
        target_mb_s: None,
    },
    Workload {
        group: "detect",
        name: "clean_event_strings",
        buffer: Buffer::Clean,
        per_event: true,
        run: detect_clean_fields,
        target_mb_s: Some(1000.0),
    },
    Workload {
        group: "scan",
        name: "clean_events",
        buffer: Buffer::Clean,
        per_event: true,
        run: |c| scan(&c.scanner, &c.clean).0,
        target_mb_s: Some(1000.0),
    },
    Workload {
        group: "scan",
        name: "phi_events",
        buffer: Buffer::Phi,
        per_event: true,
        run: |c| scan(&c.scanner, &c.phi).0,
        target_mb_s: None,
    },
];

/// dd-sds over the same buffers (measured only with `--features dd-sds`).
#[cfg(feature = "dd-sds")]
const DD_SDS: &[Workload] = &[
    Workload {
        group: "dd_sds",
        name: "physionet_notes",
        buffer: Buffer::Notes,
        per_event: false,
        run: |c| support::dd_sds::scan_all(&c.dd.scanner, &mut c.dd.notes.borrow_mut()),
        target_mb_s: None,
    },
    Workload {
        group: "dd_sds",
        name: "sms_texts",
        buffer: Buffer::Sms,
        per_event: true,
        run: |c| support::dd_sds::scan_all(&c.dd.scanner, &mut c.dd.sms.borrow_mut()),
        target_mb_s: None,
    },
    Workload {
        group: "dd_sds",
        name: "clean_event_strings",
        buffer: Buffer::Clean,
        per_event: true,
        run: |c| support::dd_sds::scan_all(&c.dd.scanner, &mut c.dd.clean.borrow_mut()),
        target_mb_s: None,
    },
];
#[cfg(not(feature = "dd-sds"))]
const DD_SDS: &[Workload] = &[];

fn all_workloads() -> impl Iterator<Item = &'static Workload> {
    WORKLOADS.iter().chain(DD_SDS.iter())
}

fn detect_sms(c: &Ctx) -> u64 {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut n = 0;
    for t in &c.sms {
        out.clear();
        c.engine.detect_into(t, None, &mut scratch, &mut out);
        n += out.len() as u64;
    }
    n
}

fn detect_notes(c: &Ctx) -> u64 {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut n = 0;
    for t in &c.notes.texts {
        out.clear();
        c.engine.detect_into(t, None, &mut scratch, &mut out);
        n += out.len() as u64;
    }
    n
}

fn detect_clean_fields(c: &Ctx) -> u64 {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut n = 0;
    for (key, text) in &c.clean_fields {
        out.clear();
        c.engine
            .detect_into(text, Some(key), &mut scratch, &mut out);
        n += out.len() as u64;
    }
    n
}

fn parse(stream: &EventStream) -> u64 {
    let mut n = 0;
    for bytes in &stream.events {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        n += v.as_object().map_or(0, |m| m.len()) as u64;
    }
    n
}

/// decode + normalize + the scanner's walk over `data`, no detection.
fn parse_walk(stream: &EventStream) -> u64 {
    let mut evs = Vec::new();
    let mut n = 0u64;
    for bytes in &stream.events {
        evs.clear();
        phiscan::event::decode_bytes(bytes, &mut evs).unwrap();
        for mut ev in evs.drain(..) {
            phiscan::event::normalize(&mut ev);
            if let Some(data) = ev.get("data") {
                phiscan::event::walk::walk_at(data, "data", &mut |f| n += f.text.len() as u64);
            }
        }
    }
    n
}

/// End-to-end: bytes → CloudEvents → scan. Returns (alerts, stats).
fn scan(scanner: &Scanner, stream: &EventStream) -> (u64, Stats) {
    let mut scratch = ScanScratch::default();
    let mut stats = Stats::default();
    let mut evs = Vec::new();
    let mut alerts = 0u64;
    let path = String::from("bench.jsonl");
    for (line, bytes) in stream.events.iter().enumerate() {
        evs.clear();
        phiscan::event::decode_bytes(bytes, &mut evs).unwrap();
        for (i, ev) in evs.drain(..).enumerate() {
            let source = SourceRef::File {
                path: path.clone(),
                line: line as u64 + 1,
                index: (i > 0).then_some(i),
            };
            scanner.scan_event(ev, source, &mut scratch, &mut stats, &mut |a| {
                alerts += 1;
                black_box(a);
            });
        }
    }
    (alerts, stats)
}

/// The first `max` alerts of `stream`: rule, detector, field and masked value (never raw).
fn explain_alerts(scanner: &Scanner, stream: &EventStream, max: usize) {
    let mut shown = 0;
    let mut scratch = ScanScratch::default();
    let mut stats = Stats::default();
    for (line, bytes) in stream.events.iter().enumerate() {
        let mut evs = Vec::new();
        phiscan::event::decode_bytes(bytes, &mut evs).unwrap();
        for ev in evs {
            let source = SourceRef::File {
                path: "bench".into(),
                line: line as u64 + 1,
                index: None,
            };
            scanner.scan_event(ev, source, &mut scratch, &mut stats, &mut |a| {
                if shown < max {
                    shown += 1;
                    for f in &a.findings {
                        eprintln!(
                            "    event {} {}: {} ({}) at {} = {:?}",
                            line + 1,
                            a.rule,
                            f.detector,
                            f.confidence,
                            f.field,
                            f.masked
                        );
                    }
                }
            });
        }
    }
}

fn setup() -> Ctx {
    // PHISCAN_BENCH_DETECTORS=dir: measure other detector files with the same binary (an earlier
    // commit's `detectors/`, from `git archive`), so a detector change is compared in one build
    let dir = std::env::var_os("PHISCAN_BENCH_DETECTORS").map(std::path::PathBuf::from);
    let set = match &dir {
        Some(d) => DetectorSet::from_dir(d).expect("detectors from PHISCAN_BENCH_DETECTORS"),
        None => DetectorSet::embedded().expect("embedded rules"),
    };
    let engine = Engine::new(&set).expect("engine");
    let mut config = Config::default();
    config.detect.detectors_dir = dir;
    let scanner = Scanner::new(&config).expect("scanner");
    let notes = support::load_notes();
    let notes_joined = notes.texts.join("\n").into_bytes();
    let clean = support::clean_events(CLEAN_EVENTS);
    let phi = support::phi_events(PHI_EVENTS);
    let mut clean_fields = Vec::new();
    for bytes in &clean.events {
        let mut evs = Vec::new();
        phiscan::event::decode_bytes(bytes, &mut evs).unwrap();
        for mut ev in evs {
            phiscan::event::normalize(&mut ev);
            if let Some(data) = ev.get("data") {
                phiscan::event::walk::walk_at(data, "data", &mut |f| {
                    clean_fields.push((f.key.to_string(), f.text.to_string()))
                });
            }
        }
    }
    let sms = support::sms_texts(&notes.texts, 64);
    let sms_bytes = sms.iter().map(|t| t.len() as u64).sum();
    #[cfg(feature = "dd-sds")]
    let dd = DdSds {
        scanner: support::dd_sds::scanner(),
        notes: std::cell::RefCell::new(notes.texts.clone()),
        sms: std::cell::RefCell::new(sms.clone()),
        clean: std::cell::RefCell::new(clean_fields.iter().map(|(_, t)| t.clone()).collect()),
    };
    let ctx = Ctx {
        engine,
        scanner,
        sms,
        sms_bytes,
        #[cfg(feature = "dd-sds")]
        dd,
        notes_joined,
        clean_joined: clean.joined(),
        phi_joined: phi.joined(),
        notes,
        clean,
        clean_fields,
        phi,
    };
    describe(&ctx);
    ctx
}

/// What is being measured, and a sanity check that the clean stream is clean.
fn describe(c: &Ctx) {
    let (clean_alerts, clean_stats) = scan(&c.scanner, &c.clean);
    let (phi_alerts, phi_stats) = scan(&c.scanner, &c.phi);
    let field_findings = detect_clean_fields(c);
    eprintln!("phiscan bench workloads:");
    eprintln!(
        "  notes: {} — {:.2} MB",
        c.notes.origin,
        c.notes.bytes() as f64 / 1e6
    );
    eprintln!(
        "  clean: {} — {} events, {:.2} MB, {:.0} B/event, {} fields; {} alerts, {} findings (detect on all fields: {})",
        c.clean.origin,
        c.clean.len(),
        c.clean.bytes() as f64 / 1e6,
        c.clean.bytes() as f64 / c.clean.len() as f64,
        c.clean_fields.len(),
        clean_alerts,
        clean_stats.findings_by_category.values().sum::<u64>(),
        field_findings,
    );
    if clean_alerts > 0 {
        eprintln!(
            "  WARNING: the clean stream raised alerts: {:?}",
            clean_stats.alerts_by_rule
        );
        explain_alerts(&c.scanner, &c.clean, 5);
    }
    eprintln!(
        "  phi:   {} — {} events, {:.2} MB, {:.0} B/event; {} alerts, {} findings",
        c.phi.origin,
        c.phi.len(),
        c.phi.bytes() as f64 / 1e6,
        c.phi.bytes() as f64 / c.phi.len() as f64,
        phi_alerts,
        phi_stats.findings_by_category.values().sum::<u64>(),
    );
    eprintln!(
        "  sms:   {} texts of ≤ 64 B cut from the notes, {:.2} MB",
        c.sms.len(),
        c.sms_bytes as f64 / 1e6
    );
    #[cfg(feature = "dd-sds")]
    eprintln!(
        "  dd-sds: {} rules (support/dd_sds.rs)",
        support::dd_sds::rule_count()
    );
    #[cfg(not(feature = "dd-sds"))]
    eprintln!("  dd-sds: not measured (add --features dd-sds for the dd-sds rows and ratios)");
    eprintln!(
        "  findings in the clean stream (not alerts: routing fields, content): {:?}",
        clean_stats.findings_by_category
    );
}

impl Ctx {
    fn bytes(&self, b: Buffer) -> u64 {
        match b {
            Buffer::Notes => self.notes.bytes(),
            Buffer::Clean => self.clean.bytes(),
            Buffer::Phi => self.phi.bytes(),
            Buffer::Sms => self.sms_bytes,
        }
    }
    fn events(&self, b: Buffer) -> u64 {
        match b {
            Buffer::Notes => self.notes.texts.len() as u64,
            Buffer::Clean => self.clean.len(),
            Buffer::Phi => self.phi.len(),
            Buffer::Sms => self.sms.len() as u64,
        }
    }
}

fn run_criterion(ctx: &Ctx) {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20)
        .configure_from_args();
    for group in ["baseline", "detect", "scan", "dd_sds"] {
        let mut g = c.benchmark_group(group);
        if group != "baseline" {
            // one pass can take a second or more: equal-size samples, not criterion's linear ramp
            g.sampling_mode(SamplingMode::Flat);
        }
        for w in all_workloads().filter(|w| w.group == group) {
            let bytes = ctx.bytes(w.buffer);
            g.throughput(if w.per_event {
                Throughput::ElementsAndBytes {
                    elements: ctx.events(w.buffer),
                    bytes,
                }
            } else {
                Throughput::BytesDecimal(bytes)
            });
            g.bench_function(w.name, |b| b.iter(|| black_box((w.run)(black_box(ctx)))));
        }
        g.finish();
    }
    let mut g = c.benchmark_group("startup");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("parse_detectors", |b| b.iter(|| startup_parse(ctx)));
    g.bench_function("engine_build", |b| b.iter(|| startup_engine(ctx)));
    g.finish();
    c.final_summary();
}

/// Start-up baseline: parsing the embedded detector files alone (TOML, vocabulary text).
fn startup_parse(_: &Ctx) -> u64 {
    black_box(DetectorSet::embedded().expect("embedded rules"));
    1
}

/// Start-up, what a one-line `phiscan detect` (a CI gate, a per-file hook) pays before its
/// first event: the detector files parsed and the engine built from them.
fn startup_engine(_: &Ctx) -> u64 {
    let set = DetectorSet::embedded().expect("embedded rules");
    black_box(Engine::new(&set).expect("engine"));
    1
}

/// The start-up rows: wall time (the term index is built on several threads, so this thread's
/// CPU time would undercount), and the ratio to parsing the detector files in the same run.
fn print_startup(ctx: &Ctx, budget: Duration) {
    let (parse, _) = time_it(ctx, startup_parse, budget);
    let (build, _) = time_it(ctx, startup_engine, budget);
    println!("| start-up | ms (wall) | ratio to parsing the detector files | issue target |");
    println!("|---|---:|---:|---|");
    println!(
        "| startup/parse_detectors (baseline) | {:.1} | 1.00 | |",
        parse * 1e3
    );
    println!(
        "| startup/engine_build | {:.1} | {:.1} | ≤ 100 ms (whole process): {} |",
        build * 1e3,
        build / parse,
        if build <= 0.1 { "met" } else { "NOT met" }
    );
}

/// Nanoseconds this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`), so the
/// table stays meaningful on a shared, loaded machine. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// (wall seconds, CPU seconds if known) per iteration of `f`, running it for about `budget`.
fn time_it(ctx: &Ctx, f: fn(&Ctx) -> u64, budget: Duration) -> (f64, Option<f64>) {
    if let Some(passes) = exact_passes() {
        return time_passes(ctx, f, passes);
    }
    // warm-up, and a first estimate of the iteration time
    let t = Instant::now();
    black_box(f(ctx));
    let first = t.elapsed().as_secs_f64().max(1e-9);
    let iters = ((budget.as_secs_f64() / first) as u64).max(3);
    let cpu0 = thread_cpu_ns();
    let t = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(ctx)));
    }
    let wall = t.elapsed().as_secs_f64() / iters as f64;
    let cpu = cpu0
        .zip(thread_cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1e9 / iters as f64);
    (wall, cpu)
}

/// `PHISCAN_BENCH_PASSES`: run each workload exactly this many times (for instruction counts).
fn exact_passes() -> Option<u64> {
    let passes = std::env::var("PHISCAN_BENCH_PASSES").ok()?;
    Some(
        passes
            .parse()
            .expect("PHISCAN_BENCH_PASSES: a whole number of passes"),
    )
}

/// As `time_it`, for exactly `passes` runs of `f`, the first one cold.
fn time_passes(ctx: &Ctx, f: fn(&Ctx) -> u64, passes: u64) -> (f64, Option<f64>) {
    let (cpu0, t) = (thread_cpu_ns(), Instant::now());
    for _ in 0..passes {
        black_box(f(black_box(ctx)));
    }
    let n = passes.max(1) as f64;
    let cpu = cpu0
        .zip(thread_cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1e9 / n);
    (t.elapsed().as_secs_f64() / n, cpu)
}

struct Row {
    id: String,
    buffer: Buffer,
    mb_s: f64,
    ev_s: Option<f64>,
    target: Option<f64>,
}

fn run_table(ctx: &Ctx) {
    let secs: f64 = std::env::var("PHISCAN_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    // a positional argument filters workloads by substring (ratios need the memchr rows)
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let budget = Duration::from_secs_f64(secs);
    let mut rows: Vec<Row> = Vec::new();
    let mut memchr_mb_s = [None; BUFFERS];
    let mut parse_mb_s = [None; BUFFERS];
    let mut dd_mb_s = [None; BUFFERS];
    let mut basis = "this thread's CPU time";
    for w in all_workloads() {
        let id = format!("{}/{}", w.group, w.name);
        let is_memchr = w.name.starts_with("memchr");
        if filter.as_ref().is_some_and(|f| !id.contains(f.as_str())) {
            continue;
        }
        let (wall, cpu) = time_it(ctx, w.run, budget);
        eprintln!(
            "  measured {id}: {:.3} ms/pass wall, {} CPU",
            wall * 1e3,
            cpu.map_or("?".into(), |c| format!("{:.3} ms/pass", c * 1e3))
        );
        if cpu.is_none() {
            basis = "wall-clock time";
        }
        // per-core throughput: CPU time when the OS reports it (robust to other load)
        let s = cpu.unwrap_or(wall);
        let mb_s = ctx.bytes(w.buffer) as f64 / s / 1e6;
        if is_memchr {
            memchr_mb_s[w.buffer as usize] = Some(mb_s);
        }
        if w.name.starts_with("serde_json_parse") {
            parse_mb_s[w.buffer as usize] = Some(mb_s);
        }
        if w.group == "dd_sds" {
            dd_mb_s[w.buffer as usize] = Some(mb_s);
        }
        rows.push(Row {
            id,
            buffer: w.buffer,
            mb_s,
            ev_s: w.per_event.then(|| ctx.events(w.buffer) as f64 / s),
            target: w.target_mb_s,
        });
    }
    println!();
    println!(
        "| workload | MB/s | events/s | ratio to memchr baseline | ratio to serde_json parse | × dd-sds | issue target |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    let ratio = |x: f64| {
        if x >= 0.1 {
            format!("{x:.2}")
        } else {
            format!("1/{:.0}", 1.0 / x)
        }
    };
    for r in rows {
        let vs_memchr = memchr_mb_s[r.buffer as usize].map_or("–".into(), |m| ratio(r.mb_s / m));
        let vs_parse = parse_mb_s[r.buffer as usize].map_or("–".into(), |m| ratio(r.mb_s / m));
        let vs_dd = match r.id.starts_with("dd_sds/") || r.id.starts_with("baseline/") {
            true => "–".into(),
            false => dd_mb_s[r.buffer as usize].map_or("–".into(), |d| ratio(r.mb_s / d)),
        };
        let ev = r.ev_s.map_or("–".into(), |e| format!("{e:.0}"));
        let target = r.target.map_or(String::new(), |t| {
            format!(
                "≥ {t:.0} MB/s: {} ({:.1}%)",
                if r.mb_s >= t { "met" } else { "NOT met" },
                100.0 * r.mb_s / t
            )
        });
        println!(
            "| {} | {:.1} | {ev} | {vs_memchr} | {vs_parse} | {vs_dd} | {target} |",
            r.id, r.mb_s
        );
    }
    println!();
    println!(
        "(single thread, per {basis}; MB = 10^6 bytes; bytes are event JSON for event workloads and note text for the notes; ratios = MB/s ÷ the baseline's MB/s over the same buffer; 1/N = N times slower)"
    );
    if filter
        .as_deref()
        .is_none_or(|f| "startup/parse_detectors startup/engine_build".contains(f))
    {
        println!();
        print_startup(ctx, budget);
    }
}

fn main() {
    let env_is = |k: &str| std::env::var(k).is_ok_and(|v| v == "1");
    let t = Instant::now();
    let ctx = setup();
    eprintln!(
        "  setup (rules, engine, scanner, corpora, sanity scan): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    if env_is("PHISCAN_BENCH_TABLE") {
        run_table(&ctx);
    } else {
        // criterion handles `--test` (from `cargo test --benches`) by running each workload once
        run_criterion(&ctx);
    }
}
