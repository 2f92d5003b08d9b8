//! phiscan: finds protected health information (PHI) in Twilio Event Streams events where HIPAA
//! forbids it (tags, logs, non-eligible channels, non-US numbers, non-HIPAA accounts).
//!
//! Data flows through the modules in this order:
//! `source` (where bytes come from) → `event` (CloudEvent decoding and the field walk) →
//! `detect` (the one-pass detection engine over each string) → `policy` (where a finding is a
//! violation, and how severe) → `sink` (alert outputs). `alert` holds the alert document and the
//! masking/fingerprinting that keeps raw values out of every output. `service` runs it all as a
//! long-lived process (`phiscan run`), with `checkpoint` tracking which Kafka offsets are safe
//! to commit and `metrics` beside it.
//!
//! Two kinds of "rule", never mixed up in names: a **detector** (`detect::DetectorRule` as
//! written in `detectors/*.toml`, `detect::CompiledDetector` once compiled, `Finding::detector`,
//! the `detector` field of an alert's findings) says *what* a span of text is; a **policy rule**
//! (`policy::PolicyRule`, `Violation::policy_rule`, the `rule` field of an alert — that public
//! name is fixed by docs/interface.md) says *where* such a finding is a violation and how
//! severe it is. `phiscan rules check` checks detectors.

pub mod alert;
pub mod aws;
pub mod checkpoint;
pub mod config;
pub mod detect;
pub mod event;
pub mod internal_events;
pub mod metrics;
pub mod policy;
pub mod replay;
pub mod scan;
pub mod service;
pub mod sink;
pub mod source;
#[cfg(test)]
mod test_fixtures;

/// Scanning parses every event into a tree of small strings and maps and frees it right after:
/// mimalloc's thread-local free lists make that ~15% cheaper than glibc malloc (measured with
/// `benches/detect.rs`), and it returns memory to the OS under the service's steady load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
