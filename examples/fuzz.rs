//! Long fuzz runs of the targets in `tests/fuzz_support` (the same ones `tests/fuzz.rs` runs
//! briefly in every `cargo test`):
//!
//! ```text
//! nice -n 10 cargo run --release --example fuzz -- [TARGET|all] [EXECUTIONS] [SEED] [MAX_SECONDS]
//! ```
//!
//! Crashing inputs are saved under `target/fuzz-crashes/` and the run goes on; one summary line
//! per target (a README table row) is printed at the end. Exit status 1 when anything crashed.

#[path = "../tests/fuzz_support/mod.rs"]
mod fuzz_support;
#[path = "../tests/support/planted.rs"]
pub mod planted;

/// What `tests/support/planted.rs` takes from its parent module.
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random bytes");
    u64::from_le_bytes(b)
}

/// The part of `tests/support` the fuzz targets use (the rest needs a test build: the binary's
/// path, the services).
mod support {
    pub use crate::planted;

    pub fn keyed_scanner(key: &str) -> phiscan::scan::Scanner {
        let mut config = phiscan::config::Config::default();
        config.fingerprint.key = Some(key.into());
        phiscan::scan::Scanner::new(&config).expect("scanner with the default configuration")
    }
}

use fuzz_support::{Corpus, run, targets};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    let execs: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let limit = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .map(std::time::Duration::from_secs);
    let names: Vec<&str> = match which {
        "all" => targets::TARGETS.to_vec(),
        one => vec![one],
    };
    let crash_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    let corpus = Corpus::load();
    eprintln!(
        "{} seeds; crashes go to {}",
        corpus.seeds.len(),
        crash_dir.display()
    );
    // a caught panic's message is kept in the summary; do not print thousands of them
    std::panic::set_hook(Box::new(|_| {}));
    let mut rows = Vec::new();
    let mut crashed = false;
    for name in names {
        let mut target = targets::make(name);
        let out = run(
            name,
            &mut target,
            &corpus,
            execs,
            seed,
            Some(&crash_dir),
            limit,
        );
        let secs = out.elapsed.as_secs_f64();
        let row = format!(
            "| {name} | {} | {:.0} s | {:.0} | {} |",
            out.execs,
            secs,
            out.execs as f64 / secs,
            out.crashes.len()
        );
        eprintln!("{row}");
        let mut messages: Vec<&str> = out.crashes.iter().map(|(m, _)| m.as_str()).collect();
        messages.sort_unstable();
        messages.dedup();
        for m in messages.iter().take(10) {
            eprintln!("  crash: {}", m.lines().next().unwrap_or(""));
        }
        if let Some((_, Some(p))) = out.crashes.first() {
            eprintln!("  first input: {}", p.display());
        }
        crashed |= !out.crashes.is_empty();
        rows.push(row);
    }
    println!("| target | executions | time | execs/s | crashes |\n|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    std::process::exit(i32::from(crashed));
}
