//! Where events come from. Each source turns its wrapping into CloudEvent values plus a
//! `SourceRef` saying where each came from; `scan::Scanner` does the rest.

pub mod files;
pub mod kafka;
pub mod kinesis;
pub mod webhook;
