//! Where alerts go.

pub mod jsonl;
