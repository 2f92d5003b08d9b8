//! Everything the integration tests share, in one place: each test file says `mod support;` and
//! takes what it needs. Nothing here is defined twice across `tests/` (`tests/structure.rs`
//! checks that), so a fix to a helper reaches every test at once.
//!
//! - this file: the repository root, free ports, polling, seeds, and [`unavailable`], the one
//!   rule for a missing service or tool (fail when the test script promised the services, else
//!   print why and skip);
//! - [`launch`]: the `phiscan` binary, with the `PHISCAN_*` environment cleared one way, and a
//!   running `phiscan run` ([`launch::Service`]);
//! - [`metrics`]: reading Prometheus text and plain HTTP GETs;
//! - [`planted`]: planted values (seeded SSNs, MRNs, names; adversarial events) and the
//!   assertions that none of them leaves the scanner;
//! - [`kafka`], [`kinesis`], [`s3`], [`webhook`]: the services of `scripts/services.sh` and the
//!   webhook source's signing and posting;
//! - [`tls`]: a self-signed certificate; [`tools`]: command-line tools the tests shell out to.
#![allow(dead_code)]

pub mod kafka;
pub mod kinesis;
pub mod launch;
pub mod metrics;
pub mod planted;
pub mod s3;
pub mod tls;
pub mod tools;
pub mod webhook;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The repository root (where `Cargo.toml`, `examples/` and `deploy/` are).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the test script said the services are up (`PHISCAN_TEST_SERVICES_RUNNING=1`, exported
/// by `scripts/test.sh`) or the run is CI's (`CI=true`): then a missing service or tool fails a
/// test instead of skipping it.
pub fn services_promised() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("PHISCAN_TEST_SERVICES_RUNNING").is_ok_and(|v| v == "1")
}

/// The one rule for something a test needs and cannot find: panics with `why` when the services
/// were promised ([`services_promised`]), else prints `skipped: why` so a test run alone says
/// why it passed without doing anything.
pub fn unavailable(why: &str) {
    assert!(
        !services_promised(),
        "{why}, but the test script said the services are running \
         (PHISCAN_TEST_SERVICES_RUNNING=1 or CI=true): see scripts/services.sh status"
    );
    println!("skipped: {why}");
}

/// The value of `var` (a service address from `scripts/services.sh env`), or `None` after
/// [`unavailable`] (which fails when the services were promised). `how` says how to start it.
pub fn service_var(var: &str, how: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            unavailable(&format!(
                "{var} is not set ({how}; then eval \"$(scripts/services.sh env)\")"
            ));
            None
        }
    }
}

/// Every one of `vars`, or `None` after one [`unavailable`] naming all that are missing.
pub fn service_vars(vars: &[&str], how: &str) -> Option<Vec<String>> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let missing: Vec<&str> = vars.iter().copied().filter(|k| get(k).is_none()).collect();
    if !missing.is_empty() {
        unavailable(&format!(
            "{} not set ({how}; then eval \"$(scripts/services.sh env)\")",
            missing.join(", ")
        ));
        return None;
    }
    Some(vars.iter().map(|k| get(k).unwrap()).collect())
}

/// Installs rustls's ring provider (reqwest and the AWS clients need one; a second call is a
/// no-op).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Poll `f` every 100 ms until it is true; false after `timeout`.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A name no other test (or earlier run against the same service) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A seed for this test run (print it, so a failure can be reproduced).
pub fn seed() -> u64 {
    let s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (std::process::id() as u64) << 32;
    s % 1_000_000_000_000
}

/// A scanner with the default configuration and a fixed fingerprint key (stable alert ids).
pub fn keyed_scanner(key: &str) -> phiscan::scan::Scanner {
    let mut config = phiscan::config::Config::default();
    config.fingerprint.key = Some(key.into());
    phiscan::scan::Scanner::new(&config).expect("scanner with the default configuration")
}

/// `PHISCAN_TEST_SEED`, when set (to reproduce a failure).
pub fn env_seed() -> Option<u64> {
    std::env::var("PHISCAN_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
}

/// 64 random bits from the operating system.
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// `n` random hex digits.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n.div_ceil(2)];
    getrandom::fill(&mut b).unwrap();
    hex::encode(&b)[..n].to_string()
}

/// xorshift: reproducible random choices without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The last `n` lines of `s` (for failure messages).
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `n` of `d` as a right-aligned percentage for a report table (`-` when `d` is 0).
pub fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "   -  ".to_string()
    } else {
        format!("{:5.1}%", 100.0 * n as f64 / d as f64)
    }
}

/// `n / d`, 1 when `d` is 0 (nothing to find is all found).
pub fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}
