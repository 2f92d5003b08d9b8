//! End-to-end tests of `phiscan run` with the Kinesis source against kinesis-local (which
//! closes split shards like AWS) and moto's DynamoDB for the lease table, both started by
//! `scripts/services.sh start kinesis moto` (`eval "$(scripts/services.sh env)"` sets
//! PHISCAN_TEST_KINESIS and PHISCAN_TEST_MOTO). Each test uses its own stream and lease table.
//!
//!   cargo test --test kinesis_e2e -- --nocapture

mod support;

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use support::launch::*;
use support::metrics::*;
use support::planted::*;
use support::*;

const ALERTS_WAIT: Duration = Duration::from_secs(60);

/// (event id → alert count) over several alert files.
fn alerted(files: &[&std::path::Path]) -> HashMap<String, usize> {
    alerted_ids(
        &files
            .iter()
            .flat_map(|f| read_alerts(f))
            .collect::<Vec<_>>(),
    )
}

fn missing(expected: &[Planted], got: &HashMap<String, usize>) -> Vec<String> {
    expected
        .iter()
        .filter(|e| !got.contains_key(&e.id))
        .map(|e| e.id.clone())
        .collect()
}

fn wait_all_alerted(expected: &[Planted], files: &[&std::path::Path], what: &str) {
    wait_until(ALERTS_WAIT, || {
        missing(expected, &alerted(files)).is_empty()
    });
    let miss = missing(expected, &alerted(files));
    assert!(
        miss.is_empty(),
        "{} of {} events {what} (e.g. {:?})",
        miss.len(),
        expected.len(),
        miss.first()
    );
}

fn no_leaks(events: &[Planted], files: &[(&str, Vec<u8>)]) {
    let secrets: Vec<String> = events
        .iter()
        .flat_map(|e| e.secrets.iter().cloned())
        .collect();
    for (what, bytes) in files {
        let l = support::planted::leaks(what, bytes, &secrets);
        assert!(l.is_empty(), "raw values leaked: {l:?}");
    }
}

/// Record data in the wrappings Twilio or a relay might use: plain JSON mostly, some gzip,
/// some base64 text.
fn wrap(i: u64, json: &[u8]) -> Vec<u8> {
    match i % 7 {
        3 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(json).unwrap();
            e.finish().unwrap()
        }
        5 => base64::engine::general_purpose::STANDARD
            .encode(json)
            .into_bytes(),
        _ => json.to_vec(),
    }
}

/// Put planted events `from..to` with spread partition keys; returns them with their shards.
fn put_events(
    env: &support::kinesis::Env,
    stream: &str,
    seed: u64,
    range: std::ops::Range<u64>,
) -> Vec<(Planted, String, String)> {
    range
        .map(|i| {
            let p = planted(seed, i);
            let (shard, seq) = env.put(stream, &format!("key-{seed}-{i}"), &wrap(i, &p.json));
            (p, shard, seq)
        })
        .collect()
}

fn planted_only(v: &[(Planted, String, String)]) -> Vec<Planted> {
    v.iter().map(|(p, _, _)| p.clone()).collect()
}

/// A 2-shard stream split while being consumed: every event is alerted, every alert from the
/// parent comes before any from its children, the parent ends at SHARD_END, the lease table
/// holds the lineage, and SIGTERM releases every lease after checkpointing.
#[test]
fn a_split_stream_is_read_parents_before_children() {
    let Some(env) = support::kinesis::services() else {
        return;
    };
    let seed = seed();
    println!("seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("split");
    let table = format!("{stream}-leases");
    env.create_stream(&stream, 2);
    let first = put_events(&env, &stream, seed, 0..40);
    let mut svc = env.start(dir.path(), &stream, &table, "solo", 3_000);
    let alerts = dir.path().join("solo.jsonl");
    wait_all_alerted(
        &planted_only(&first),
        &[&alerts],
        "of the first batch were not alerted",
    );

    let parent = first[0].1.clone();
    env.split(&stream, &parent);
    let shards = env.shards(&stream);
    let children: Vec<String> = shards
        .iter()
        .filter(|s| s.parent_shard_id() == Some(parent.as_str()))
        .map(|s| s.shard_id().to_string())
        .collect();
    assert_eq!(
        children.len(),
        2,
        "kinesis-local did not split {parent}: {shards:?}"
    );
    let second = put_events(&env, &stream, seed, 40..100);
    assert!(
        second.iter().any(|(_, s, _)| children.contains(s)),
        "no record landed in a child shard"
    );
    let all: Vec<Planted> = planted_only(&first)
        .into_iter()
        .chain(planted_only(&second))
        .collect();
    wait_all_alerted(&all, &[&alerts], "were not alerted after the split");

    // parents before children, in delivery order
    let order: Vec<Value> = read_alerts(&alerts);
    let shard_of = |a: &Value| a["source"]["shard"].as_str().unwrap_or("").to_string();
    let last_parent = order
        .iter()
        .rposition(|a| shard_of(a) == parent)
        .expect("alerts from the parent");
    let first_child = order
        .iter()
        .position(|a| children.contains(&shard_of(a)))
        .expect("alerts from a child");
    assert!(
        last_parent < first_child,
        "a child's alert (#{first_child}) came before the parent's last (#{last_parent})"
    );
    for a in &order {
        assert_eq!(a["source"]["kind"], "kinesis");
        assert_eq!(a["source"]["stream"], stream.as_str());
        assert!(
            a["source"]["sequence"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }

    // lineage and SHARD_END in the lease table; state in /metrics and /readyz
    let ok = wait_until(Duration::from_secs(10), || {
        env.lease_map(&table)
            .get(&parent)
            .is_some_and(|l| l.checkpoint == "SHARD_END")
    });
    assert!(
        ok,
        "the parent was not checkpointed SHARD_END: {:?}",
        env.leases(&table)
    );
    let leases = env.lease_map(&table);
    for c in &children {
        assert_eq!(leases[c].parents, vec![parent.clone()], "child {c} lineage");
    }
    let metrics = svc.metrics();
    assert!(
        metrics.contains("phiscan_kinesis_millis_behind_latest{"),
        "no MillisBehindLatest in /metrics"
    );
    assert!(
        metric(
            &metrics,
            &format!("phiscan_kinesis_shards_ended_total{{stream=\"{stream}\"}}")
        )
        .is_some_and(|v| v >= 1.0)
    );
    let ready = svc.http_get("/readyz").unwrap_or_default();
    assert!(
        ready.contains(&format!(
            "kinesis shard {parent} ended checkpoint SHARD_END"
        )),
        "readyz: {ready}"
    );
    assert!(ready.starts_with("sources: ready"), "readyz: {ready}");

    // graceful stop: each open shard checkpointed at its last record, leases released
    let status = svc.sigterm(Duration::from_secs(30));
    assert!(
        status.success(),
        "exit {status:?}: {}",
        tail(&svc.stderr(), 20)
    );
    let mut last_seq: HashMap<String, String> = HashMap::new();
    for (_, shard, seq) in first.iter().chain(&second) {
        last_seq.insert(shard.clone(), seq.clone()); // puts are in order per shard
    }
    let leases = env.lease_map(&table);
    for (shard, seq) in &last_seq {
        if shard == &parent {
            continue;
        }
        assert_eq!(
            &leases[shard].checkpoint, seq,
            "shard {shard} checkpoint after SIGTERM"
        );
    }
    assert!(
        leases.values().all(|l| l.owner.is_none()),
        "leases not released: {leases:?}"
    );
    assert!(env.workers(&table).is_empty(), "worker item left behind");
    let stderr = svc.stderr();
    no_leaks(
        &all,
        &[
            ("alerts", std::fs::read(&alerts).unwrap()),
            ("stderr", stderr.into_bytes()),
        ],
    );
}

/// Per shard, the last sequence number put: what a complete checkpoint reads.
fn last_per_shard(v: &[(Planted, String, String)]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (_, shard, seq) in v {
        m.insert(shard.clone(), seq.clone());
    }
    m
}

fn held(svc: &Service, stream: &str) -> f64 {
    metric(
        &svc.metrics(),
        &format!("phiscan_kinesis_leases_held{{stream=\"{stream}\"}}"),
    )
    .unwrap_or(-1.0)
}

/// Two replicas share a 4-shard stream through the lease table: the second one to start gets
/// half the shards by graceful hand-off (no event alerted twice), and when one is killed with
/// SIGKILL the other takes its shards once the leases expire and resumes from the checkpoints:
/// nothing missed, and nothing that was checkpointed before the kill alerted again.
#[test]
fn two_replicas_share_shards_and_survive_kill9() {
    let Some(env) = support::kinesis::services() else {
        return;
    };
    let seed = seed();
    println!("seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("share");
    let table = format!("{stream}-leases");
    env.create_stream(&stream, 4);
    let lease_ms = 2_000;

    let mut a = env.start(dir.path(), &stream, &table, "replica-a", lease_ms);
    let a_alerts = dir.path().join("replica-a.jsonl");
    let b_alerts = dir.path().join("replica-b.jsonl");
    assert!(
        wait_until(Duration::from_secs(30), || held(&a, &stream) == 4.0),
        "replica a never held the 4 leases: {}",
        tail(&a.stderr(), 20)
    );
    let first = put_events(&env, &stream, seed, 0..40);
    wait_all_alerted(
        &planted_only(&first),
        &[&a_alerts],
        "were not alerted by the lone replica",
    );

    // a second replica joins: a gives two shards up gracefully
    let mut b = env.start(dir.path(), &stream, &table, "replica-b", lease_ms);
    let spread = wait_until(Duration::from_secs(30), || {
        held(&a, &stream) == 2.0 && held(&b, &stream) == 2.0
    });
    assert!(
        spread,
        "no even spread: a holds {}, b holds {}\n{}",
        held(&a, &stream),
        held(&b, &stream),
        tail(&b.stderr(), 20)
    );
    let second = put_events(&env, &stream, seed, 40..80);
    let both = [a_alerts.as_path(), b_alerts.as_path()];
    wait_all_alerted(
        &planted_only(&second),
        &both,
        "were not alerted by the two replicas",
    );
    let got = alerted(&both);
    let dup: Vec<_> = first
        .iter()
        .chain(&second)
        .filter(|(p, _, _)| got.get(&p.id) != Some(&1))
        .collect();
    assert!(
        dup.is_empty(),
        "{} events alerted more than once across a graceful hand-off",
        dup.len()
    );
    let b_shards: HashSet<String> = read_alerts(&b_alerts)
        .iter()
        .filter_map(|x| x["source"]["shard"].as_str().map(str::to_string))
        .collect();
    assert!(!b_shards.is_empty(), "replica b alerted nothing");

    // everything so far checkpointed; then kill -9 a
    let done = last_per_shard(&first.iter().chain(&second).cloned().collect::<Vec<_>>());
    let ok = wait_until(Duration::from_secs(15), || {
        let l = env.lease_map(&table);
        done.iter()
            .all(|(s, seq)| l.get(s).is_some_and(|x| &x.checkpoint == seq))
    });
    assert!(ok, "checkpoints never caught up: {:?}", env.leases(&table));
    let a_held: Vec<String> = env
        .leases(&table)
        .into_iter()
        .filter(|l| l.owner.as_deref() == Some("replica-a"))
        .map(|l| l.shard)
        .collect();
    assert_eq!(a_held.len(), 2);
    a.kill9();
    let killed = Instant::now();
    let third = put_events(&env, &stream, seed, 80..140);
    let ok = wait_until(Duration::from_secs(30), || held(&b, &stream) == 4.0);
    assert!(ok, "replica b never took over: {}", tail(&b.stderr(), 20));
    let took = killed.elapsed();
    // expiry is judged from the last renewal a replica saw, up to a renewal period before the kill
    assert!(
        took >= Duration::from_millis(lease_ms / 2),
        "taken over after {took:?}: before the lease expired"
    );
    wait_all_alerted(&planted_only(&third), &both, "were missed after the kill");
    let m = b.metrics();
    assert!(
        metric(
            &m,
            &format!("phiscan_kinesis_leases_taken_total{{how=\"expired\",stream=\"{stream}\"}}")
        )
        .is_some_and(|v| v >= 2.0),
        "no expired-lease takeover counted"
    );

    // nothing checkpointed before the kill was alerted again
    let got = alerted(&both);
    let again: Vec<_> = first
        .iter()
        .chain(&second)
        .filter(|(p, _, _)| got.get(&p.id) != Some(&1))
        .collect();
    assert!(
        again.is_empty(),
        "{} checkpointed events alerted again after the takeover",
        again.len()
    );
    let status = b.sigterm(Duration::from_secs(30));
    assert!(status.success(), "exit {status:?}");
    let all: Vec<Planted> = [first, second, third]
        .iter()
        .flat_map(|v| planted_only(v))
        .collect();
    no_leaks(
        &all,
        &[
            ("alerts a", std::fs::read(&a_alerts).unwrap_or_default()),
            ("alerts b", std::fs::read(&b_alerts).unwrap()),
            ("stderr b", b.stderr().into_bytes()),
        ],
    );
}

/// Benchmark (ignored): events/s end to end from kinesis-local through the pipeline to JSONL
/// alerts, and how long after the last alert the checkpoints reach the end of every shard.
///
///   cargo test --release --test kinesis_e2e kinesis_throughput -- --ignored --nocapture
#[test]
#[ignore]
fn kinesis_throughput() {
    let Some(env) = support::kinesis::services() else {
        return;
    };
    let n: u64 = std::env::var("PHISCAN_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("bench");
    let table = format!("{stream}-leases");
    env.create_stream(&stream, 2);
    let records: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| (format!("k{i}"), planted(seed, i).json))
        .collect();
    let last = env.put_many(&stream, &records);
    let alerts = dir.path().join("bench.jsonl");
    let started = Instant::now();
    let mut svc = env.start(dir.path(), &stream, &table, "bench", 10_000);
    let count = || {
        std::fs::read(&alerts)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0)
    };
    let done = wait_until(Duration::from_secs(600), || count() as u64 >= n);
    let elapsed = started.elapsed();
    assert!(done, "only {} of {n} alerts", count());
    let ok = wait_until(Duration::from_secs(60), || {
        let l = env.lease_map(&table);
        last.iter()
            .all(|(s, seq)| l.get(s).is_some_and(|x| &x.checkpoint == seq))
    });
    let lag = started.elapsed() - elapsed;
    assert!(ok, "checkpoints never reached the end of the shards");
    let m = svc.metrics();
    println!(
        "kinesis end to end: {n} events in {:.2} s = {:.0} events/s (including start-up and lease taking); \
         checkpoints complete {:.0} ms after the last alert; checkpoint lag gauge: {:?}",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        lag.as_secs_f64() * 1000.0,
        m.lines()
            .filter(|l| l.starts_with("phiscan_kinesis_checkpoint_lag_seconds{"))
            .collect::<Vec<_>>()
    );
    let _ = svc.sigterm(Duration::from_secs(30));
}
