//! Where events come from. Each source turns its wrapping into CloudEvent values plus a
//! `SourceRef` saying where each came from; `scan::Scanner` does the rest.
//!
//! The streaming sources (Kafka, Kinesis, the webhook receiver) hand their records to the service
//! through `contract` only: a new source implements a `run(config, Submitter, Shutdown, Health)`
//! and names its `Decoder`; it never imports `service`.

pub mod contract;
pub mod files;
pub mod kafka;
pub mod kinesis;
pub mod webhook;
