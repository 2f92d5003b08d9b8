//! `phiscan replay` end to end: the real binary over local archives, S3 (moto, from
//! scripts/services.sh), Kafka (tansu), with the resume file interrupted for real (kill -9),
//! and the audit report rendered by headless Chromium.
//!
//! "Same alerts as scan" is checked by running `scan` over a plain JSON Lines copy of the same
//! events and comparing alert multisets without `source` (where the event came from is the one
//! thing that differs); alerts of a local file are compared whole.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::launch::{phiscan_command, read_alerts};
use support::planted::{Planted, leaks, planted};
use support::s3::{put_object, s3_client};
use support::{seed, service_var, unique, wait_until};

const KEY: &str = "replay-test-fingerprint-key";

/// `phiscan replay -q` against moto's S3 (path-style), with `args` after the common flags.
fn replay_s3(moto: &str, args: &[&str]) -> Output {
    let mut all = vec!["replay", "-q", "--s3-endpoint", moto, "--s3-path-style"];
    all.extend_from_slice(args);
    phiscan(&all)
}

fn phiscan(args: &[&str]) -> Output {
    let out = phiscan_command(KEY)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run phiscan");
    assert!(
        out.status.success(),
        "phiscan {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Planted events (a phi-in-tag alert each) with times spread over `days`, then the shipped
/// examples (many rules, a malformed-free mix). Returns the JSON of each event and the secrets.
fn events(n: u64, days: u64) -> (Vec<Vec<u8>>, Vec<String>) {
    let s = seed();
    println!("seed {s}");
    let mut out = Vec::new();
    let mut secrets = Vec::new();
    for i in 0..n {
        let Planted {
            json, secrets: sec, ..
        } = planted(s, i);
        let mut v: Value = serde_json::from_slice(&json).unwrap();
        let hour = (i * 7) % (days * 24).max(1);
        v["time"] = format!("2026-05-{:02}T{:02}:17:00.000Z", 1 + hour / 24, hour % 24).into();
        out.push(serde_json::to_vec(&v).unwrap());
        secrets.extend(sec);
    }
    let examples = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/events.jsonl"
    ))
    .unwrap();
    out.extend(
        examples
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.as_bytes().to_vec()),
    );
    (out, secrets)
}

fn jsonl(events: &[Vec<u8>]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|e| e.iter().copied().chain([b'\n']))
        .collect()
}

/// Kinesis Data Firehose: records back to back, no separator.
fn firehose(events: &[Vec<u8>]) -> Vec<u8> {
    events.concat()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Alerts of `scan` over a JSON Lines copy of `events`.
fn scan_alerts(dir: &Path, events: &[Vec<u8>]) -> Vec<Value> {
    let input = dir.join("reference.jsonl");
    std::fs::write(&input, jsonl(events)).unwrap();
    let out = dir.join("reference-alerts.jsonl");
    phiscan(&[
        "scan",
        "-q",
        "-o",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    read_alerts(&out)
}

/// Alerts as comparable strings, `source` removed, sorted (a multiset).
fn without_source(alerts: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = alerts
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.as_object_mut().unwrap().remove("source");
            a.to_string()
        })
        .collect();
    v.sort();
    v
}

fn sorted(alerts: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = alerts.iter().map(Value::to_string).collect();
    v.sort();
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn local_archives_give_the_same_alerts_as_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _) = events(300, 3);
    let reference = scan_alerts(dir.path(), &events);
    assert!(
        reference.len() >= 300,
        "the planted events alert: {}",
        reference.len()
    );
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(archive.join("2026/05")).unwrap();
    let third = events.len() / 3;
    let gz = archive.join("2026/05/a.jsonl.gz");
    std::fs::write(&gz, gzip(&jsonl(&events[..third]))).unwrap();
    std::fs::write(
        archive.join("2026/05/b.json"),
        firehose(&events[third..2 * third]),
    )
    .unwrap();
    std::fs::write(
        archive.join("2026/05/c.jsonl.zst"),
        zstd::encode_all(&jsonl(&events[2 * third..])[..], 1).unwrap(),
    )
    .unwrap();
    let out = dir.path().join("alerts.jsonl");
    phiscan(&["replay", "-q", "-o", s(&out), s(&archive)]);
    let replayed = read_alerts(&out);
    assert_eq!(without_source(&replayed), without_source(&reference));

    // one gzip file: exactly scan's alerts, source and all
    let (scan_out, replay_out) = (
        dir.path().join("scan-a.jsonl"),
        dir.path().join("replay-a.jsonl"),
    );
    phiscan(&["scan", "-q", "-o", s(&scan_out), s(&gz)]);
    phiscan(&["replay", "-q", "-o", s(&replay_out), s(&gz)]);
    assert_eq!(
        sorted(&read_alerts(&replay_out)),
        sorted(&read_alerts(&scan_out))
    );
    assert!(!read_alerts(&scan_out).is_empty());
}

#[test]
fn since_and_until_select_events_by_their_own_time() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _) = events(96, 4); // planted: 2026-05-01 .. 05-04
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, jsonl(&events)).unwrap();
    let out = dir.path().join("alerts.jsonl");
    let report = dir.path().join("report.json");
    phiscan(&[
        "replay",
        "-q",
        "--since",
        "2026-05-02",
        "--until",
        "2026-05-03T00:00:00Z",
        "-o",
        s(&out),
        "--report-json",
        s(&report),
        s(&input),
    ]);
    let alerts = read_alerts(&out);
    assert!(!alerts.is_empty());
    for a in &alerts {
        let t = a["event"]["time"].as_str().unwrap();
        assert!(
            t.starts_with("2026-05-02"),
            "alert for an event outside the range: {t}"
        );
    }
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let t = &r["totals"];
    let total = events.len() as u64;
    assert_eq!(
        t["events"].as_u64().unwrap()
            + t["outside_time_range"].as_u64().unwrap()
            + t["without_time"].as_u64().unwrap(),
        total,
        "every event is scanned or counted as outside: {t}"
    );
    assert!(t["outside_time_range"].as_u64().unwrap() > 0);
}

/// Run `replay` with a state file to completion after an interruption: the alert file must
/// then hold exactly `scan`'s alerts (so no object was written twice, none was skipped).
#[test]
fn a_replay_interrupted_by_max_objects_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _) = events(200, 2);
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    for (i, chunk) in events.chunks(events.len().div_ceil(5)).enumerate() {
        std::fs::write(archive.join(format!("part-{i}.jsonl")), jsonl(chunk)).unwrap();
    }
    let (out, state, report) = (
        dir.path().join("alerts.jsonl"),
        dir.path().join("state.json"),
        dir.path().join("r.json"),
    );
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "replay",
            "-q",
            "-j",
            "2",
            "--state",
            s(&state),
            "-o",
            s(&out),
            "--report-json",
            s(&report),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        a.extend(extra.iter().map(|x| x.to_string()));
        a.push(s(&archive).to_string());
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        phiscan(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(&["--max-objects", "2"]);
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["done"].as_object().unwrap().len(), 2);
    let partial = read_alerts(&out).len();
    let second = run(&[]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.is_empty(), "-q: {stderr}");
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["done"].as_object().unwrap().len(), 5);
    let all = read_alerts(&out);
    assert!(all.len() > partial && partial > 0);
    let reference = scan_dir_alerts(dir.path(), &archive);
    assert_eq!(
        sorted(&all),
        sorted(&reference),
        "each object's alerts exactly once"
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["totals"]["objects"], 5);
    assert_eq!(
        r["totals"]["events"].as_u64().unwrap(),
        events.len() as u64,
        "each event scanned once over both runs"
    );
    assert_eq!(r["totals"]["alerts"].as_u64().unwrap(), all.len() as u64);
    // a third run has nothing left to do and changes nothing
    run(&[]);
    assert_eq!(sorted(&read_alerts(&out)), sorted(&reference));
    // and a state file refuses another replay
    let other = phiscan_command(KEY)
        .args(["replay", "-q", "--state", s(&state), s(dir.path())])
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("another replay"));
}

fn scan_dir_alerts(dir: &Path, archive: &Path) -> Vec<Value> {
    let out = dir.join(format!("{}.jsonl", unique("scan")));
    phiscan(&["scan", "-q", "-o", s(&out), s(archive)]);
    read_alerts(&out)
}

#[test]
fn a_replay_killed_mid_way_resumes_and_writes_each_object_once() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    let sd = seed();
    let per_file = 1500u64;
    for f in 0..40u64 {
        let lines: Vec<Vec<u8>> = (0..per_file)
            .map(|i| planted(sd, f * per_file + i).json)
            .collect();
        std::fs::write(archive.join(format!("part-{f:03}.jsonl")), jsonl(&lines)).unwrap();
    }
    let (out, state) = (
        dir.path().join("alerts.jsonl"),
        dir.path().join("state.json"),
    );
    let cmd = || {
        let mut c = phiscan_command(KEY);
        c.args([
            "replay",
            "-q",
            "-j",
            "1",
            "--state",
            s(&state),
            "-o",
            s(&out),
            s(&archive),
        ])
        .stdin(Stdio::null());
        c
    };
    let mut child = cmd().spawn().unwrap();
    let saved = wait_until(Duration::from_secs(120), || {
        std::fs::read(&state)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["done"].as_object().is_some_and(|d| !d.is_empty()))
    });
    assert!(saved, "the replay saved no state");
    std::thread::sleep(Duration::from_millis(300)); // mid-object, alerts written past the state
    assert!(
        child.try_wait().unwrap().is_none(),
        "the replay finished before it could be killed: make the archive larger"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let done_before = st["done"].as_object().unwrap().len();
    assert!(done_before < 40, "killed before the end");
    let status = cmd().stderr(Stdio::null()).status().unwrap();
    assert!(status.success());
    let reference = scan_dir_alerts(dir.path(), &archive);
    let replayed = read_alerts(&out);
    assert_eq!(
        replayed.len(),
        reference.len(),
        "no alert lost or written twice"
    );
    assert_eq!(sorted(&replayed), sorted(&reference));
    let st: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(st["done"].as_object().unwrap().len(), 40);
    println!(
        "killed after {done_before} of 40 objects; resumed to {} alerts",
        replayed.len()
    );
}

// ------------------------------------------------------------------------------------ S3

#[test]
fn s3_gzip_and_firehose_objects_give_the_same_alerts_as_scan() {
    let Some(moto) = service_var("PHISCAN_TEST_MOTO", "run scripts/services.sh start moto") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (events, _) = events(240, 2);
    let reference = scan_alerts(dir.path(), &events);
    let (rt, c) = s3_client(&moto);
    let bucket = unique("replay").to_lowercase().replace('_', "-");
    rt.block_on(c.create_bucket().bucket(&bucket).send())
        .expect("create bucket");
    let q = events.len() / 4;
    put_object(
        &rt,
        &c,
        &bucket,
        "firehose/2026/05/01/part-0.jsonl.gz",
        gzip(&jsonl(&events[..q])),
        None,
    );
    // Firehose delivery streams: records back to back, no suffix
    put_object(
        &rt,
        &c,
        &bucket,
        "firehose/2026/05/01/stream-1-2026-05-01-00-00-00-abc",
        firehose(&events[q..2 * q]),
        None,
    );
    // …and compressed, labelled only by Content-Encoding
    put_object(
        &rt,
        &c,
        &bucket,
        "firehose/2026/05/02/stream-1-2026-05-02-00-00-00-def",
        gzip(&firehose(&events[2 * q..3 * q])),
        Some("gzip"),
    );
    put_object(
        &rt,
        &c,
        &bucket,
        "firehose/2026/05/02/part-3.jsonl.zst",
        zstd::encode_all(&jsonl(&events[3 * q..])[..], 1).unwrap(),
        None,
    );
    put_object(
        &rt,
        &c,
        &bucket,
        "elsewhere/not-in-the-prefix.jsonl",
        jsonl(&events[..10]),
        None,
    );

    let out = dir.path().join("alerts.jsonl");
    let url = format!("s3://{bucket}/firehose/");
    replay_s3(&moto, &["-o", s(&out), &url]);
    let replayed = read_alerts(&out);
    assert_eq!(without_source(&replayed), without_source(&reference));
    let mut keys = BTreeMap::new();
    for a in &replayed {
        let src = &a["source"];
        assert_eq!(src["kind"], "s3", "{src}");
        assert_eq!(src["bucket"], bucket.as_str());
        assert!(src["line"].as_u64().unwrap() >= 1);
        *keys
            .entry(src["key"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(
        keys.len(),
        4,
        "alerts from every object under the prefix, none outside: {keys:?}"
    );

    // resumable from S3 as well: a second run with the state file replays nothing
    let state = dir.path().join("state.json");
    let out2 = dir.path().join("alerts2.jsonl");
    replay_s3(
        &moto,
        &[
            "--state",
            s(&state),
            "--max-objects",
            "1",
            "-o",
            s(&out2),
            &url,
        ],
    );
    replay_s3(&moto, &["--state", s(&state), "-o", s(&out2), &url]);
    assert_eq!(sorted(&read_alerts(&out2)), sorted(&replayed));
}

// -------------------------------------------------------------------------------- report

#[test]
fn the_html_report_renders_in_headless_chromium_and_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (events, secrets) = events(150, 5);
    let input = dir.path().join("events.jsonl");
    let mut bytes = jsonl(&events);
    bytes.extend_from_slice(b"{\"specversion\": broken\n");
    std::fs::write(&input, bytes).unwrap();
    let (html, json, out) = (
        dir.path().join("report.html"),
        dir.path().join("report.json"),
        dir.path().join("a.jsonl"),
    );
    phiscan(&[
        "replay",
        "-q",
        "--report",
        s(&html),
        "--report-json",
        s(&json),
        "-o",
        s(&out),
        s(&input),
    ]);
    let html_text = std::fs::read(&html).unwrap();
    let json_text = std::fs::read(&json).unwrap();
    let found: Vec<String> = leaks("report.html", &html_text, &secrets)
        .into_iter()
        .chain(leaks("report.json", &json_text, &secrets))
        .collect();
    assert!(found.is_empty(), "raw values in the report: {found:#?}");

    let r: Value = serde_json::from_slice(&json_text).unwrap();
    let alerts = read_alerts(&out);
    assert_eq!(r["totals"]["alerts"].as_u64().unwrap(), alerts.len() as u64);
    assert_eq!(r["totals"]["malformed"], 1);
    let by_rule: u64 = r["alerts_by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_rule, alerts.len() as u64);
    let over_time: u64 = r["alerts_by_hour"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|m| m.as_object().unwrap().values().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(
        over_time,
        alerts
            .iter()
            .filter(|a| a["event"]["time"].is_string())
            .count() as u64
    );
    assert!(r["examples"].as_array().is_some_and(|e| !e.is_empty()));

    // self-contained: nothing fetched (the SVG namespace is a name, not a request)
    let page = String::from_utf8_lossy(&html_text);
    for needle in ["src=", "href=", "url(", "@import", "<script", "<link"] {
        assert!(
            !page.contains(needle),
            "the report must not load anything: found `{needle}`"
        );
    }
    let Some(chromium) = service_var(
        "PHISCAN_TEST_CHROMIUM",
        "run scripts/services.sh install chromium",
    ) else {
        return;
    };
    let (dom, shot) = render_in_chromium(&chromium, dir.path(), &html);
    assert!(
        dom.contains("PHI audit report"),
        "the page did not load: {}",
        &dom[..dom.len().min(500)]
    );
    let svgs = dom.matches("<svg").count();
    assert!(svgs >= 6, "charts drawn: {svgs}");
    assert!(dom.contains("<rect"), "charts have bars");
    let colours = distinct_colours(&shot);
    assert!(colours >= 4, "the screenshot is blank ({colours} colours)");
}

/// The DOM after load and a screenshot (PNG), from headless Chromium with the network off.
fn render_in_chromium(chromium: &str, dir: &Path, html: &Path) -> (String, PathBuf) {
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let shot = dir.join("shot.png");
    let run = |extra: &[String], tag: &str| {
        let profile = dir.join(format!("profile-{tag}"));
        std::fs::create_dir_all(&profile).unwrap();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1200,1600",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra.iter().cloned());
        args.push(url.clone());
        let out = Command::new(chromium)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run chromium");
        assert!(
            out.status.success(),
            "chromium {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let dom = run(&["--dump-dom".to_string()], "dom");
    run(&[format!("--screenshot={}", shot.display())], "shot");
    (String::from_utf8_lossy(&dom.stdout).into_owned(), shot)
}

fn distinct_colours(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("screenshot written"),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for p in buf[..info.buffer_size()].chunks(px) {
        seen.insert(p.to_vec());
        if seen.len() > 50 {
            break;
        }
    }
    seen.len()
}

// --------------------------------------------------------------------------------- Kafka

#[test]
fn a_kafka_offset_range_replays_exactly_those_records() {
    let Some(env) = support::kafka::env() else {
        return;
    };
    let topic = unique("replay");
    env.create_topic(&topic, 2);
    let producer = env.producer(); // batch.num.messages=1
    let sd = seed();
    let mut ids_by_pos = BTreeMap::new();
    for i in 0..60u64 {
        let p = planted(sd, i);
        let partition = (i % 2) as i32;
        producer.send(&topic, Some(partition), &p.id, &p.json);
        ids_by_pos.insert((partition, (i / 2) as i64), p.id);
    }
    producer.flush();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let url = format!("kafka://{}/{topic}", env.brokers);
    phiscan(&[
        "replay",
        "-q",
        "--kafka-from",
        "5",
        "--kafka-to",
        "20",
        "-o",
        s(&out),
        &url,
    ]);
    let alerts = read_alerts(&out);
    let mut got: Vec<(i32, i64, String)> = alerts
        .iter()
        .map(|a| {
            assert_eq!(a["source"]["kind"], "kafka");
            (
                a["source"]["partition"].as_i64().unwrap() as i32,
                a["source"]["offset"].as_i64().unwrap(),
                a["event"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(i32, i64, String)> = ids_by_pos
        .iter()
        .filter(|((_, off), _)| (5..20).contains(off))
        .map(|((p, off), id)| (*p, *off, id.clone()))
        .collect();
    assert_eq!(
        got, want,
        "one alert per record in offsets 5..20 of each partition"
    );
}

/// `phiscan replay kinesis://…` against kinesis-local: the whole stream gives the same alerts as
/// `scan` over the same events; `--kinesis-from/--kinesis-to` (AT_TIMESTAMP up to a bound on
/// arrival time) select exactly the records that arrived between them; a replay stopped after
/// one shard resumes with the other, and no shard is read twice.
#[test]
fn a_kinesis_stream_replays_from_a_timestamp_up_to_a_bound() {
    let Some(env) = support::kinesis::services() else {
        return;
    };
    let stream = unique("replay-kinesis");
    env.create_stream(&stream, 2);
    env.wait_active(&stream);
    let (all, secrets) = events(24, 1);
    let batches: Vec<&[Vec<u8>]> = vec![&all[..8], &all[8..16], &all[16..]];
    for (i, batch) in batches.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(3_000));
        }
        let records: Vec<(String, Vec<u8>)> = batch
            .iter()
            .enumerate()
            .map(|(j, e)| (format!("key-{i}-{j}"), e.clone()))
            .collect();
        env.put_many(&stream, &records);
    }
    let marks = marks_between_batches(&env.arrivals(&stream), batches.len());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("kinesis://{stream}");
    let replay = |name: &str, extra: &[&str]| -> Vec<Value> {
        let out = dir.path().join(name);
        let mut args = vec!["replay", "-q", "--kinesis-endpoint", &env.kinesis_url];
        args.extend_from_slice(&["--region", "us-east-1", "-o", s(&out)]);
        args.extend_from_slice(extra);
        args.push(&url);
        phiscan(&args);
        read_alerts(&out)
    };

    let whole = replay("whole.jsonl", &[]);
    assert!(!whole.is_empty());
    assert_eq!(
        without_source(&whole),
        without_source(&scan_alerts(dir.path(), &all)),
        "the whole stream: the same alerts as scan over the same events"
    );
    for a in &whole {
        assert_eq!(a["source"]["kind"], "kinesis");
        assert_eq!(a["source"]["stream"], stream.as_str());
        assert!(
            a["source"]["shard"]
                .as_str()
                .unwrap()
                .starts_with("shardId-")
        );
        assert!(!a["source"]["sequence"].as_str().unwrap().is_empty());
    }
    let text: Vec<u8> = whole
        .iter()
        .flat_map(|a| a.to_string().into_bytes())
        .collect();
    assert_eq!(leaks("alerts", &text, &secrets), Vec::<String>::new());

    let middle = replay(
        "middle.jsonl",
        &["--kinesis-from", &marks[0], "--kinesis-to", &marks[1]],
    );
    assert_eq!(
        without_source(&middle),
        without_source(&scan_alerts(dir.path(), batches[1])),
        "AT_TIMESTAMP {} up to {}: exactly the middle batch",
        marks[0],
        marks[1]
    );

    let state = dir.path().join("state.json");
    let first = replay(
        "resumed.jsonl",
        &["--state", s(&state), "--max-objects", "1"],
    );
    let state_json: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(state_json["done"].as_object().unwrap().len(), 1);
    let range = state_json["kinesis_ranges"][&url].clone();
    assert!(range.is_array(), "the resolved range is kept: {state_json}");
    let both = replay("resumed.jsonl", &["--state", s(&state)]);
    assert!(first.len() <= both.len());
    assert_eq!(
        without_source(&both),
        without_source(&whole),
        "stopped after one shard and resumed: every alert once"
    );
    let state_json: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(state_json["done"].as_object().unwrap().len(), 2);
}

/// For --kinesis-from/--kinesis-to: a time (RFC 3339, milliseconds) midway between the last
/// arrival of batch i-1 and the first of batch i, for each later batch i, from the arrival times
/// by partition key (`key-{batch}-{n}`) as kinesis-local recorded them (see `Env::arrivals`).
fn marks_between_batches(arrivals: &HashMap<String, i64>, batches: usize) -> Vec<String> {
    let batch_of = |key: &str| -> usize { key.split('-').nth(1).unwrap().parse().unwrap() };
    let span = |b: usize| {
        let times = arrivals
            .iter()
            .filter(|(k, _)| batch_of(k) == b)
            .map(|(_, t)| *t);
        (times.clone().min().unwrap(), times.max().unwrap())
    };
    (1..batches)
        .map(|b| {
            let (last, first) = (span(b - 1).1, span(b).0);
            assert!(
                first > last + 1,
                "batches {} and {b} arrived at the same time",
                b - 1
            );
            phiscan::replay::time::format_millis((last + first) / 2)
        })
        .collect()
}

// ----------------------------------------------------------------------------- benchmark

/// Replay throughput from S3 (moto): a generated archive of PHISCAN_BENCH_MB megabytes of
/// events (default 256) in gzip objects of ~8 MB of JSON each. Run with
/// `cargo test --release --test replay -- --ignored --nocapture replay_benchmark`.
#[test]
#[ignore]
fn replay_benchmark_from_s3() {
    let Some(moto) = service_var("PHISCAN_TEST_MOTO", "run scripts/services.sh start moto") else {
        return;
    };
    let mb: usize = std::env::var("PHISCAN_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let (base, _) = events(2000, 30);
    let (rt, c) = s3_client(&moto);
    let bucket = unique("bench").to_lowercase().replace('_', "-");
    rt.block_on(c.create_bucket().bucket(&bucket).send())
        .expect("create bucket");
    let object_bytes = 8 << 20;
    let (mut raw, mut compressed, mut objects, mut events_total) = (0usize, 0usize, 0usize, 0u64);
    let mut i = 0usize;
    while raw < mb << 20 {
        let mut body = Vec::with_capacity(object_bytes + 4096);
        while body.len() < object_bytes {
            body.extend_from_slice(&base[i % base.len()]);
            body.push(b'\n');
            i += 1;
            events_total += 1;
        }
        raw += body.len();
        let gz = gzip(&body);
        compressed += gz.len();
        put_object(
            &rt,
            &c,
            &bucket,
            &format!("bench/part-{objects:05}.jsonl.gz"),
            gz,
            None,
        );
        objects += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let started = std::time::Instant::now();
    replay_s3(&moto, &["-o", s(&out), &format!("s3://{bucket}/bench/")]);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "replay from S3 (moto): {objects} objects, {events_total} events, {:.0} MiB JSON ({:.0} MiB gzip) in {secs:.1}s: {:.0} events/s, {:.1} MiB/s JSON, {:.1} MiB/s downloaded",
        raw as f64 / 1048576.0,
        compressed as f64 / 1048576.0,
        events_total as f64 / secs,
        raw as f64 / 1048576.0 / secs,
        compressed as f64 / 1048576.0 / secs
    );
    assert!(!read_alerts(&out).is_empty());
}
