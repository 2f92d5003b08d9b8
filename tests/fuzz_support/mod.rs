//! A fuzz driver on stable Rust (no nightly, no cargo-fuzz, no coverage feedback): random bytes
//! and mutations of a seed corpus are fed to each target, raw and through
//! `arbitrary::Unstructured`. Coverage-guided fuzzers find deeper paths, but they need nightly
//! instrumentation; this driver runs anywhere `cargo test` runs, so every CI run fuzzes a little
//! (`tests/fuzz.rs`) and `examples/fuzz.rs` runs millions of executions in release.
//!
//! The seed corpus is read at run time, never copied into the repository: the repository's
//! `examples/` (events as JSON, JSON Lines, a webhook body, a GetRecords dump) and the shared
//! Twilio samples (`/work/shared/samples/twilio-events`, or the directories in
//! `PHISCAN_TEST_FUZZ_SEEDS`, colon-separated), each JSON Lines line also on its own.
//!
//! Each target asserts invariants (what must hold for every input), not only "no panic"; a
//! failed assertion is a crash like any panic.
#![allow(dead_code)]

pub mod events;
pub mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// splitmix64: small, seedable, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

/// Largest input the driver builds (seeds above it are cut): keeps executions fast.
const MAX_INPUT: usize = 16 << 10;

/// Byte strings that steer parsers into their corners.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"null",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00\\ud800",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98\x80",
    b"\xff\xfe",
    b"[[[[[[[[",
    b"{\"specversion\":\"1.0\",\"type\":\"t\",\"data\":{}}",
    b"\"Records\":[",
    b"\"Data\":\"",
    b"\"data_base64\":\"",
    b"eyJzcGVjdmVyc2lvbiI6IjEuMCJ9",
    b"078-05-1120",
    b"SSN 219-09-9999",
    b"AC0123456789abcdef0123456789abcdef",
    b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd",
    b"bodySHA256=",
    b"__",
    b"PHISCAN_",
];

/// Seeds for mutation; a few built-in documents so the driver works without any seed directory.
pub struct Corpus {
    pub seeds: Vec<Vec<u8>>,
}

impl Corpus {
    pub fn load() -> Corpus {
        let mut dirs: Vec<PathBuf> = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")];
        match std::env::var("PHISCAN_TEST_FUZZ_SEEDS") {
            Ok(list) => dirs.extend(list.split(':').filter(|s| !s.is_empty()).map(PathBuf::from)),
            Err(_) => dirs.push("/work/shared/samples/twilio-events".into()),
        }
        let mut seeds: Vec<Vec<u8>> = vec![
            br#"{"specversion":"1.0","id":"EZ00000000000000000000000000000000","type":"com.twilio.messaging.message.sent","source":"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json","time":"2026-05-04T13:00:00.000Z","data":{"body":"SSN 078-05-1120","to":"+15005550006"}}"#.to_vec(),
            br#"[{"specversion":"1.0","type":"t","data":"{\"note\":\"MRN 12345678\"}"}]"#.to_vec(),
            b"PHISCAN_SOURCES__WEBHOOK__AUTH_TOKEN=0123456789".to_vec(),
        ];
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !matches!(ext, "json" | "jsonl" | "toml") {
                    continue;
                }
                let Ok(mut bytes) = std::fs::read(&p) else {
                    continue;
                };
                if ext == "jsonl" {
                    seeds.extend(
                        bytes
                            .split(|b| *b == b'\n')
                            .filter(|l| !l.trim_ascii().is_empty())
                            .map(<[u8]>::to_vec),
                    );
                }
                bytes.truncate(MAX_INPUT);
                seeds.push(bytes);
            }
        }
        Corpus { seeds }
    }

    /// The next input: random bytes, a seed, or a seed with a few mutations.
    pub fn input(&self, rng: &mut Rng, out: &mut Vec<u8>) {
        out.clear();
        match rng.below(16) {
            0 => out.extend((0..rng.below(256)).map(|_| rng.next() as u8)),
            1 => out.extend_from_slice(&self.seeds[rng.index(self.seeds.len())]),
            _ => {
                out.extend_from_slice(&self.seeds[rng.index(self.seeds.len())]);
                for _ in 0..1 << rng.below(4) {
                    self.mutate(rng, out);
                }
            }
        }
        out.truncate(MAX_INPUT);
    }

    fn mutate(&self, rng: &mut Rng, b: &mut Vec<u8>) {
        let at = rng.index(b.len() + 1);
        let span = (1 + rng.index(16)).min(b.len() - at);
        match rng.below(8) {
            0 if at < b.len() => b[at] ^= 1 << rng.below(8),
            1 if at < b.len() => b[at] = rng.next() as u8,
            2 => drop(b.drain(at..at + span)),
            3 | 4 => {
                let t = TOKENS[rng.index(TOKENS.len())];
                b.splice(at..at, t.iter().copied());
            }
            5 => {
                let copy = b[at..at + span].to_vec();
                let to = rng.index(b.len() + 1);
                b.splice(to..to, copy);
            }
            6 => {
                let other = &self.seeds[rng.index(self.seeds.len())];
                let from = rng.index(other.len() + 1);
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            _ => b.truncate(at),
        }
    }
}

/// What one run of a target did.
pub struct Outcome {
    pub execs: u64,
    pub elapsed: Duration,
    /// (panic message, where the input was saved).
    pub crashes: Vec<(String, Option<PathBuf>)>,
}

/// Run `target` on `execs` inputs from `corpus` (fewer when `time_limit` passes first). With `crash_dir`, a panic is caught, its input
/// saved there and the run goes on; without, the panic is re-raised after printing the input
/// (escaped, so a failing CI log shows it).
pub fn run(
    name: &str,
    target: &mut dyn FnMut(&[u8]),
    corpus: &Corpus,
    execs: u64,
    seed: u64,
    crash_dir: Option<&Path>,
    time_limit: Option<Duration>,
) -> Outcome {
    let mut rng = Rng(seed);
    let mut input = Vec::with_capacity(MAX_INPUT);
    let mut crashes = Vec::new();
    let start = Instant::now();
    let mut done = 0;
    for i in 0..execs {
        if i % 256 == 0 && time_limit.is_some_and(|t| start.elapsed() >= t) {
            break;
        }
        done += 1;
        corpus.input(&mut rng, &mut input);
        let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&input))) else {
            continue;
        };
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let Some(dir) = crash_dir else {
            eprintln!(
                "{name}: crash at execution {i} (seed {seed}), input {:?}",
                String::from_utf8_lossy(&input[..input.len().min(2048)])
            );
            std::panic::resume_unwind(panic);
        };
        let path = dir.join(format!("{name}-{seed}-{i}.bin"));
        let saved = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, &input))
            .is_ok();
        crashes.push((msg, saved.then_some(path)));
    }
    Outcome {
        execs: done,
        elapsed: start.elapsed(),
        crashes,
    }
}
