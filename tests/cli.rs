//! End-to-end tests of the `phiscan` binary: inputs (directories, stdin, .gz, .zst), outputs
//! (stdout, --output, --dead-letter), exit codes (--fail-on, missing paths), malformed input,
//! `detect` byte offsets, `rules check` and `--help`.

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn examples() -> PathBuf {
    support::repo_root().join("examples")
}

fn events_jsonl() -> PathBuf {
    examples().join("events.jsonl")
}

fn phiscan() -> Command {
    support::launch::phiscan_command("cli-test-key")
}

fn run(args: &[&str]) -> Output {
    phiscan().args(args).output().expect("phiscan runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = phiscan()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("phiscan starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn alerts(text: &[u8]) -> Vec<Value> {
    String::from_utf8(text.to_vec())
        .expect("alerts are UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (event id, rule) pairs: what a run found, independent of where the input came from.
fn found(alerts: &[Value]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["event"]["id"].as_str().unwrap().to_string(),
                a["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn summary_count(stderr: &str, what: &str) -> u64 {
    // "phiscan: scanned N events (...)" and "N alerts, M malformed records, K sink test events"
    let re = match what {
        "events" => regex::Regex::new(r"scanned (\d+) events").unwrap(),
        "alerts" => regex::Regex::new(r"(\d+) alerts,").unwrap(),
        "malformed" => regex::Regex::new(r"(\d+) malformed records").unwrap(),
        "test" => regex::Regex::new(r"(\d+) sink test events skipped").unwrap(),
        _ => unreachable!(),
    };
    re.captures(stderr)
        .unwrap_or_else(|| panic!("no `{what}` count in summary:\n{stderr}"))[1]
        .parse()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\n{}",
        o.status.code(),
        stderr(o)
    );
}

#[test]
fn help_lists_the_subcommands() {
    let o = run(&["--help"]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    for sub in ["scan", "detect", "rules"] {
        assert!(
            text.contains(sub),
            "--help does not mention `{sub}`:\n{text}"
        );
    }
    let o = run(&["scan", "--help"]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in ["--output", "--fail-on", "--dead-letter", "--config"] {
        assert!(text.contains(flag), "scan --help does not mention {flag}");
    }
    // no subcommand is a usage error
    assert!(!run(&[]).status.success());
}

#[test]
fn scan_a_directory_writes_alert_lines_and_a_summary() {
    let o = run(&["scan", examples().to_str().unwrap()]);
    ok(&o);
    let a = alerts(&o.stdout);
    let err = stderr(&o);
    assert_eq!(summary_count(&err, "alerts"), a.len() as u64);
    assert_eq!(summary_count(&err, "malformed"), 0);
    // examples/ holds 63 events (two of them sink test events), in three files
    assert_eq!(summary_count(&err, "events"), 63);
    assert_eq!(summary_count(&err, "test"), 2);
    assert!(err.contains("alerts by rule"), "{err}");
    assert!(a.len() >= 30);
    let paths: BTreeSet<&str> = a
        .iter()
        .map(|x| x["source"]["path"].as_str().unwrap())
        .collect();
    for f in [
        "events.jsonl",
        "webhook-sink-body.json",
        "kinesis-getrecords.json",
    ] {
        assert!(
            paths.iter().any(|p| p.ends_with(f)),
            "no alert from {f}: {paths:?}"
        );
    }
    for x in &a {
        assert_eq!(x["schema"], "phiscan.alert/1");
        assert_eq!(x["source"]["kind"], "file");
        assert!(x["source"]["line"].as_u64().unwrap() >= 1);
    }
    // the same input gives the same output (ordering and stable ids)
    let again = run(&["scan", "-q", examples().to_str().unwrap()]);
    ok(&again);
    assert_eq!(again.stdout, o.stdout);
    assert!(again.stderr.is_empty(), "--quiet: {}", stderr(&again));
}

#[test]
fn stdin_gz_and_zst_inputs_give_the_same_alerts() {
    let plain = std::fs::read(events_jsonl()).unwrap();
    let o = run(&["scan", "-q", events_jsonl().to_str().unwrap()]);
    ok(&o);
    let want = found(&alerts(&o.stdout));
    assert!(want.len() >= 25);

    // stdin
    let o = run_stdin(&["scan", "-q", "-"], &plain);
    ok(&o);
    let a = alerts(&o.stdout);
    assert_eq!(found(&a), want, "stdin");
    assert!(a.iter().all(|x| x["source"]["path"] == "-"));

    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("events.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    let zst = dir.path().join("events.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();

    for file in [&gz, &zst] {
        let o = run(&["scan", file.to_str().unwrap()]);
        ok(&o);
        assert_eq!(found(&alerts(&o.stdout)), want, "{}", file.display());
        assert_eq!(summary_count(&stderr(&o), "malformed"), 0);
    }
    // compressed data on stdin is recognised by its magic bytes
    let o = run_stdin(&["scan", "-q", "-"], &std::fs::read(&gz).unwrap());
    ok(&o);
    assert_eq!(found(&alerts(&o.stdout)), want, "gzip on stdin");
    let o = run_stdin(&["scan", "-q", "-"], &std::fs::read(&zst).unwrap());
    ok(&o);
    assert_eq!(found(&alerts(&o.stdout)), want, "zstd on stdin");

    // a directory with both: every alert twice, from each file
    let o = run(&["scan", dir.path().to_str().unwrap()]);
    ok(&o);
    let a = alerts(&o.stdout);
    assert_eq!(a.len(), 2 * want.len());
    assert_eq!(found(&a), want);
}

#[test]
fn output_file_receives_the_alerts_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let to_stdout = run(&["scan", "-q", examples().to_str().unwrap()]);
    ok(&to_stdout);
    let o = run(&[
        "scan",
        "--output",
        out.to_str().unwrap(),
        examples().to_str().unwrap(),
    ]);
    ok(&o);
    assert!(o.stdout.is_empty());
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, to_stdout.stdout);
    assert_eq!(
        summary_count(&stderr(&o), "alerts"),
        alerts(&written).len() as u64
    );
}

/// Events of examples/events.jsonl by id.
fn example_lines(ids: &[&str]) -> String {
    let text = std::fs::read_to_string(events_jsonl()).unwrap();
    let mut out = String::new();
    for id in ids {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("\"id\":\"{id}\"")))
            .unwrap_or_else(|| panic!("{id} not in events.jsonl"));
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn fail_on_exits_3_only_at_or_above_the_severity() {
    // examples/ has critical and high alerts
    let o = run(&[
        "scan",
        "-q",
        "--fail-on",
        "high",
        examples().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!o.stdout.is_empty(), "alerts are still written");

    let dir = tempfile::tempdir().unwrap();
    // only medium alerts (phi-in-url, phi-in-attributes) and compliant events
    let medium = dir.path().join("medium.jsonl");
    std::fs::write(
        &medium,
        example_lines(&[
            "EZ00000000000000000000000000000601",
            "EZ00000000000000000000000000000501",
            "EZ00000000000000000000000000001001",
        ]),
    )
    .unwrap();
    let m = medium.to_str().unwrap();
    let o = run(&["scan", "-q", "--fail-on", "high", m]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(alerts(&o.stdout).len(), 2);
    let o = run(&["scan", "-q", "--fail-on", "medium", m]);
    assert_eq!(o.status.code(), Some(3));
    let o = run(&["scan", "-q", "--fail-on", "info", m]);
    assert_eq!(o.status.code(), Some(3));
    let o = run(&["scan", "-q", m]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "without --fail-on, alerts are not failure"
    );

    // a high alert but nothing critical
    let high = dir.path().join("high.jsonl");
    std::fs::write(
        &high,
        example_lines(&["NO00000000000000000000000000000202"]),
    )
    .unwrap();
    let h = high.to_str().unwrap();
    assert_eq!(
        run(&["scan", "-q", "--fail-on", "critical", h])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "-q", "--fail-on", "high", h]).status.code(),
        Some(3)
    );
    // compliant events only
    let clean = dir.path().join("clean.jsonl");
    std::fs::write(
        &clean,
        example_lines(&[
            "EZ00000000000000000000000000001001",
            "EZ00000000000000000000000000001005",
        ]),
    )
    .unwrap();
    let o = run(&["scan", "-q", "--fail-on", "info", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());

    // an unknown severity is a usage error, not a gate result
    let o = run(&["scan", "--fail-on", "severe", h]);
    assert!(!o.status.success() && o.status.code() != Some(3));
    assert!(stderr(&o).contains("severe"), "{}", stderr(&o));
}

#[test]
fn missing_path_is_an_error_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-archive.jsonl.gz");
    let o = run(&["scan", missing.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_ne!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("no-such-archive.jsonl.gz") && err.to_lowercase().contains("no such file"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    // a missing config file too
    let o = run(&[
        "scan",
        "--config",
        dir.path().join("nope.toml").to_str().unwrap(),
        events_jsonl().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
    // a config with an unknown key names it
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[policy]\nhipaa_acounts = []\n").unwrap();
    let o = run(&[
        "scan",
        "--config",
        bad.to_str().unwrap(),
        events_jsonl().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("hipaa_acounts"), "{}", stderr(&o));
    // no path at all is a usage error
    assert!(!run(&["scan"]).status.success());
}

#[test]
fn malformed_lines_are_reported_with_file_and_line_and_the_scan_continues() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.jsonl");
    let good = example_lines(&[
        "EZ00000000000000000000000000000101", // phi-in-tag
        "NO00000000000000000000000000000202", // phi-in-log
        "EZ00000000000000000000000000001001", // none
    ]);
    let good: Vec<&str> = good.lines().collect();
    let garbage = "{\"specversion\": \"1.0\", \"type\": broken-json";
    let not_event = "{\"hello\": \"world\"}";
    let text = format!(
        "{}\n{garbage}\n{}\n\n{not_event}\n{}\n",
        good[0], good[1], good[2]
    );
    std::fs::write(&file, text).unwrap();
    let dead = dir.path().join("dead.jsonl");

    let o = run(&[
        "scan",
        "--dead-letter",
        dead.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    ok(&o);
    let err = stderr(&o);
    let shown = file.display().to_string();
    assert!(
        err.contains(&format!("{shown}:2")),
        "line 2 reported:\n{err}"
    );
    assert!(
        err.contains(&format!("{shown}:5")),
        "line 5 reported:\n{err}"
    );
    assert!(
        !err.contains(&format!("{shown}:4:")),
        "blank line 4 is not malformed:\n{err}"
    );
    assert_eq!(summary_count(&err, "events"), 3);
    assert_eq!(summary_count(&err, "malformed"), 2);
    let a = alerts(&o.stdout);
    let rules: BTreeSet<&str> = a.iter().map(|x| x["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, BTreeSet::from(["phi-in-tag", "phi-in-log"]));
    // the alert after the bad lines still names its own line
    let log = a.iter().find(|x| x["rule"] == "phi-in-log").unwrap();
    assert_eq!(log["source"]["line"], 3);
    // the error message never quotes the input
    assert!(
        !err.contains("broken-json") && !err.contains("world"),
        "{err}"
    );

    // the dead-letter file holds the two records, raw, with where they were
    let dl: Vec<Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dl.len(), 2, "{dl:?}");
    assert_eq!(dl[0]["line"], 2);
    assert_eq!(dl[0]["raw"], garbage);
    assert_eq!(dl[1]["line"], 5);
    assert_eq!(dl[1]["raw"], not_event);
    for d in &dl {
        assert_eq!(d["path"], shown.as_str());
        assert!(d["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // it appends: a second run adds two more
    let o = run(&[
        "scan",
        "-q",
        "--dead-letter",
        dead.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    ok(&o);
    assert_eq!(std::fs::read_to_string(&dead).unwrap().lines().count(), 4);

    // a truncated pretty-printed document is one malformed record with its line
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, "{\n  \"specversion\": \"1.0\",\n  \"data\": {\n").unwrap();
    let o = run(&["scan", cut.to_str().unwrap()]);
    ok(&o);
    assert_eq!(summary_count(&stderr(&o), "malformed"), 1);
    assert!(stderr(&o).contains(&cut.display().to_string()));
}

/// Before: a malformed first line switched the file into "one JSON document" mode; the
/// document did not parse, and the scan reported 0 events and exited 0.
#[test]
fn a_malformed_first_line_does_not_skip_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("first-line-bad.jsonl");
    let good = example_lines(&[
        "EZ00000000000000000000000000000101", // phi-in-tag
        "NO00000000000000000000000000000202", // phi-in-log
    ]);
    for first in [
        "{\"specversion\": \"1.0\", \"type\": broken-json",
        "{\"specversion\": \"1.0\", \"data\": {",
        "{\"specversion\": \"1.0\", \"da",
    ] {
        std::fs::write(&file, format!("{first}\n{good}")).unwrap();
        let o = run(&["scan", file.to_str().unwrap()]);
        ok(&o);
        let err = stderr(&o);
        assert_eq!(
            summary_count(&err, "events"),
            2,
            "first line {first:?}:\n{err}"
        );
        assert_eq!(summary_count(&err, "malformed"), 1, "{err}");
        assert!(err.contains(&format!("{}:1", file.display())), "{err}");
        let rules: BTreeSet<String> = alerts(&o.stdout)
            .iter()
            .map(|a| a["rule"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rules.len(), 2, "{rules:?}");
    }
}

/// Before: a truncated `.gz` stopped the whole scan with an error, and the files after it were
/// never read. Now every other file is scanned, what the truncated one held before the cut is
/// scanned too, and the summary and exit status 4 say the scan is incomplete.
#[test]
fn a_truncated_gz_does_not_stop_the_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let lines = example_lines(&[
        "EZ00000000000000000000000000000101",
        "NO00000000000000000000000000000202",
    ]);
    let mut many = String::new();
    for _ in 0..2000 {
        many.push_str(&lines);
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(many.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    std::fs::write(dir.path().join("a-cut.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
    std::fs::write(dir.path().join("b-whole.jsonl"), &lines).unwrap();
    let o = run(&["scan", dir.path().to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("a-cut.jsonl.gz") && err.contains("PARTLY READ"),
        "{err}"
    );
    let a = alerts(&o.stdout);
    assert!(
        a.iter().any(|x| x["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("b-whole.jsonl")),
        "the file after the truncated one was scanned:\n{err}"
    );
    assert!(
        a.iter().any(|x| x["source"]["path"]
            .as_str()
            .unwrap()
            .ends_with("a-cut.jsonl.gz")),
        "what the truncated file held before the cut was scanned:\n{err}"
    );
    // even with --quiet the incomplete input is named
    let o = run(&["scan", "-q", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("a-cut.jsonl.gz"), "{}", stderr(&o));
    // --fail-on keeps its meaning
    let o = run(&[
        "scan",
        "-q",
        "--fail-on",
        "high",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
}

/// A few MB of `.gz` that expand to 2 GiB of one line: before, the line was read whole (RSS
/// past 2 GiB); now it is skipped as it streams past, with bounded memory, and reported.
#[test]
fn a_decompression_bomb_keeps_memory_bounded_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.jsonl.gz");
    {
        let f = std::fs::File::create(&bomb).unwrap();
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..2048 {
            enc.write_all(&chunk).unwrap();
        }
        enc.write_all(b"\n").unwrap();
        enc.write_all(example_lines(&["EZ00000000000000000000000000000101"]).as_bytes())
            .unwrap();
        enc.finish().unwrap();
    }
    let compressed = std::fs::metadata(&bomb).unwrap().len();
    assert!(compressed < 16 << 20, "{compressed} bytes");
    let child = phiscan()
        .args(["scan", bomb.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let peak = std::thread::spawn(move || {
        let mut peak = 0u64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        peak
    });
    let o = child.wait_with_output().unwrap();
    let peak = peak.join().unwrap();
    let err = stderr(&o);
    ok(&o);
    println!(
        "decompression bomb: {compressed} bytes of .gz, 2 GiB expanded, peak RSS {} MiB",
        peak >> 20
    );
    assert!(peak < 512 << 20, "peak RSS {} MiB", peak >> 20);
    assert_eq!(summary_count(&err, "malformed"), 1, "{err}");
    assert!(err.contains("exceeds"), "{err}");
    assert_eq!(
        summary_count(&err, "events"),
        1,
        "the event after the bomb is scanned"
    );
}

#[test]
fn config_file_applies_from_the_command_line() {
    let cfg = examples().join("phiscan.toml");
    let o = run(&[
        "scan",
        "-q",
        "--config",
        cfg.to_str().unwrap(),
        examples().to_str().unwrap(),
    ]);
    ok(&o);
    let a = alerts(&o.stdout);
    let f = found(&a);
    assert!(f.contains(&(
        "EZ00000000000000000000000000000803".into(),
        "phi-in-non-hipaa-account".into()
    )));
    assert!(
        !f.iter()
            .any(|(id, _)| id == "EZ00000000000000000000000000000902"),
        "allow-listed"
    );
    assert!(
        a.iter()
            .filter(|x| x["rule"] == "phi-in-url")
            .all(|x| x["severity"] == "high")
    );
    // PHISCAN_CONFIG is the same as --config
    let o = phiscan()
        .env("PHISCAN_CONFIG", &cfg)
        .args(["scan", "-q", examples().to_str().unwrap()])
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(found(&alerts(&o.stdout)), f);
}

#[test]
fn detect_reports_utf8_byte_offsets_for_jsonl_and_plain_text() {
    let texts = [
        // non-ASCII before the finding: byte offsets differ from char offsets
        ("café-1", "Café crème à 9h — patient SSN 078-05-1120, merci"),
        ("emoji", "📅 Rappel: your metformin 500mg refill is ready"),
        ("none", "Your verification code is 482913"),
    ];
    let input: String = texts
        .iter()
        .map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string() + "\n")
        .collect();
    let o = run_stdin(&["detect", "-"], input.as_bytes());
    ok(&o);
    let lines = alerts(&o.stdout);
    assert_eq!(lines.len(), texts.len());
    for ((id, text), line) in texts.iter().zip(&lines) {
        assert_eq!(line["id"], *id);
        for f in line["findings"].as_array().unwrap() {
            let (s, e) = (
                f["span"][0].as_u64().unwrap() as usize,
                f["span"][1].as_u64().unwrap() as usize,
            );
            assert!(text.is_char_boundary(s) && text.is_char_boundary(e) && s < e);
            let c = f["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&c));
            assert!(f["category"].is_string() && f["detector"].is_string());
        }
    }
    let span_of = |line: &Value, category: &str| -> (usize, usize) {
        let f = line["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["category"] == category)
            .unwrap_or_else(|| panic!("no {category} in {line}"));
        (
            f["span"][0].as_u64().unwrap() as usize,
            f["span"][1].as_u64().unwrap() as usize,
        )
    };
    let (s, e) = span_of(&lines[0], "ssn");
    assert_eq!(&texts[0].1[s..e], "078-05-1120");
    assert_eq!(s, texts[0].1.find("078-05-1120").unwrap()); // a byte offset
    assert_ne!(s, texts[0].1[..s].chars().count(), "bytes, not chars");
    let (s, e) = span_of(&lines[1], "medication");
    assert_eq!(&texts[1].1[s..e], "metformin");
    assert!(lines[2]["findings"].as_array().unwrap().is_empty());

    // plain text from a file: one document a line, id = line number
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("notes.txt");
    std::fs::write(
        &plain,
        "nothing here\nÜberweisung für Jürgen: DOB 04/12/1961\n",
    )
    .unwrap();
    let o = run(&["detect", plain.to_str().unwrap()]);
    ok(&o);
    let lines = alerts(&o.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[1]["id"], 2);
    assert!(lines[0]["findings"].as_array().unwrap().is_empty());
    let text = "Überweisung für Jürgen: DOB 04/12/1961";
    let (s, e) = span_of(&lines[1], "date");
    assert_eq!(&text[s..e], "04/12/1961");

    // a threshold above every confidence prints no findings
    let o = run_stdin(&["detect", "--threshold", "1.0", "-"], input.as_bytes());
    ok(&o);
    let strict = alerts(&o.stdout);
    assert_eq!(strict.len(), texts.len());
    assert!(strict.iter().all(|l| {
        l["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["confidence"].as_f64().unwrap() >= 1.0)
    }));
    // a missing input file is an error
    let o = run(&["detect", dir.path().join("missing.txt").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing.txt"));
}

#[test]
fn rules_check_passes() {
    let o = run(&["rules", "check"]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("0 failed"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}
